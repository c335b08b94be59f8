//! Small pieces every attribute parser needs: reading a list of keys and going on after a
//! bad one, showing the user's tokens in a message, reading a number literal, writing an
//! `f64` back as a token.

use proc_macro2::{Literal, TokenStream, TokenTree};
use quote::{ToTokens, quote};
use syn::meta::ParseNestedMeta;
use syn::{Attribute, Expr, ExprLit, Lit, UnOp};

use crate::ctxt::Ctxt;

/// Calls `on_key` for each key of an attribute's list (`#[attr(a, b = 1, c(…))]`). An error
/// of one key is recorded in `cx` and parsing goes on with the next key; so is an error in
/// the list's own syntax.
pub(crate) fn parse_keys(
    cx: &Ctxt,
    attr: &Attribute,
    mut on_key: impl FnMut(&ParseNestedMeta<'_>) -> syn::Result<()>,
) {
    let result = attr.parse_nested_meta(|meta| {
        let outcome = on_key(&meta);
        go_on(cx, &meta, outcome)
    });
    if let Err(error) = result {
        cx.syn_error(error);
    }
}

/// [`parse_keys`] for the list of a key (`c(a, b = 1)`): an error in the list's own syntax
/// is returned (and recorded by the caller's [`go_on`]).
pub(crate) fn parse_nested_keys(
    cx: &Ctxt,
    meta: &ParseNestedMeta<'_>,
    mut on_key: impl FnMut(&ParseNestedMeta<'_>) -> syn::Result<()>,
) -> syn::Result<()> {
    meta.parse_nested_meta(|inner| {
        let outcome = on_key(&inner);
        go_on(cx, &inner, outcome)
    })
}

/// After one key: records its error, if any, and skips the rest of its value so that the
/// next key is read.
pub(crate) fn go_on(
    cx: &Ctxt,
    meta: &ParseNestedMeta<'_>,
    outcome: syn::Result<()>,
) -> syn::Result<()> {
    if let Err(error) = outcome {
        cx.syn_error(error);
        skip_value(meta)?;
    }
    Ok(())
}

/// Skips what is left of a key's value (up to the next `,`), so that parsing goes on with the
/// next key after an error.
pub(crate) fn skip_value(meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    meta.input.step(|cursor| {
        let mut rest = *cursor;
        while let Some((tree, next)) = rest.token_tree() {
            if matches!(&tree, TokenTree::Punct(punct) if punct.as_char() == ',') {
                break;
            }
            rest = next;
        }
        Ok(((), rest))
    })
}

/// Tokens as the user wrote them, more or less: without the spaces of `to_string`
/// (`a::b`, `-1`, `[0.1,1]`).
pub(crate) fn tokens_text(tokens: &impl ToTokens) -> String {
    tokens.to_token_stream().to_string().replace(' ', "")
}

/// The value of a number literal (`1`, `0.5`, `2.5e3`, `-2`, `(1)`), as `f64`.
pub(crate) fn number(expr: &Expr) -> Option<f64> {
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Float(literal),
            ..
        }) => literal.base10_parse().ok(),
        Expr::Lit(ExprLit {
            lit: Lit::Int(literal),
            ..
        }) => literal.base10_digits().parse().ok(),
        Expr::Unary(unary) if matches!(unary.op, UnOp::Neg(_)) => number(&unary.expr).map(|v| -v),
        Expr::Group(group) => number(&group.expr),
        Expr::Paren(paren) => number(&paren.expr),
        _ => None,
    }
}

/// A finite `f64` as a literal token (`-` and the magnitude for a negative number).
pub(crate) fn float(value: f64) -> TokenStream {
    let magnitude = Literal::f64_suffixed(value.abs());
    if value.is_sign_negative() {
        quote!(-#magnitude)
    } else {
        quote!(#magnitude)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        let read = |text: &str| number(&syn::parse_str(text).expect("expression"));
        assert_eq!(read("1"), Some(1.0));
        assert_eq!(read("0.25"), Some(0.25));
        assert_eq!(read("2.5e3"), Some(2500.0));
        assert_eq!(read("-2"), Some(-2.0));
        assert_eq!(read("(-0.5)"), Some(-0.5));
        assert_eq!(read("1_000u32"), Some(1000.0));
        assert_eq!(read("x"), None);
        assert_eq!(read("\"1\""), None);
        assert_eq!(read("1 + 1"), None);
    }

    #[test]
    fn floats_and_text() {
        assert!(crate::test_util::Expansion::new(float(-1.5)).is("-1.5f64"));
        assert!(crate::test_util::Expansion::new(float(0.001)).is("0.001f64"));
        let expr: Expr = syn::parse_str("- 1").expect("expression");
        assert_eq!(tokens_text(&expr), "-1");
    }
}
