//! `#[instrument_metrics]`: calls, results, durations and calls in flight of a function, or
//! of every method of an impl block.
//!
//! Parse (`args.rs`) → check (`check.rs`) → expand (`expand.rs`). Any mistake leaves the
//! item exactly as written, beside the errors, so the rest of the program still compiles and
//! only the real mistakes are reported.

mod args;
mod check;
mod expand;
mod inline;

use proc_macro2::{Delimiter, TokenStream};
use quote::{ToTokens, quote};
use syn::parse::{Parse, ParseStream};
use syn::{AttrStyle, Attribute, Block, ImplItem, Item, ItemImpl, Signature, Stmt, Visibility};

use self::args::Args;
use self::check::Options;
use self::expand::Body;
use crate::ctxt::{self, Ctxt};
use crate::symbol::{INSTRUMENT_METRICS, SKIP};

/// The expansion of `#[instrument_metrics(args)] item`.
pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let cx = Ctxt::new();
    let mut args = Args::parse(&cx, args);
    let options = check::options(&cx, &mut args);
    let expanded = match Target::parse(item.clone()) {
        Ok(Target::Fn(function)) => {
            check::not_twice(&cx, &function.attrs);
            check::plain_skip(&cx, &args, false);
            check::not_const(&cx, &function.sig);
            check::label_expressions(&cx, &options.labels, &function.sig);
            Some(function.expand(&options))
        }
        Ok(Target::Impl(block)) => {
            check::not_twice(&cx, &block.attrs);
            check::plain_skip(&cx, &args, true);
            Some(instrument_impl(&cx, &options, *block))
        }
        Ok(Target::Other(tokens, message)) => {
            cx.error_spanned_by(tokens, message);
            None
        }
        Err(error) => {
            cx.syn_error(error);
            None
        }
    };
    match (cx.check(), expanded) {
        (Ok(()), Some(expanded)) => expanded,
        (Err(error), _) => ctxt::failed(&error, item),
        // Every `None` above recorded an error.
        (Ok(()), None) => item,
    }
}

/// What the attribute is on.
enum Target {
    Fn(Box<Function>),
    Impl(Box<ItemImpl>),
    /// Anything else: the tokens the error spans (the item's keyword and name), and the
    /// error.
    Other(TokenStream, String),
}

impl Target {
    fn parse(tokens: TokenStream) -> syn::Result<Self> {
        match syn::parse2::<Item>(tokens.clone()) {
            Ok(Item::Fn(item)) => {
                // `Function` writes the function back without modifiers syn knows and we do
                // not (none exist yet for a free function): report them rather than drop them.
                item.modifiers.require_empty()?;
                Ok(Self::Fn(Box::new(Function {
                    attrs: item.attrs,
                    vis: item.vis,
                    sig: item.sig,
                    body: Body::Block(*item.block),
                })))
            }
            Ok(Item::Impl(item)) => Ok(Self::Impl(Box::new(item))),
            Ok(item) => Ok(Self::Other(
                check::wrong_item_tokens(&item),
                check::wrong_item_message(&item),
            )),
            // A body syn cannot parse: instrument it as written, and leave it to rustc.
            Err(error) => syn::parse2::<Function>(tokens)
                .map_err(|_| error)
                .map(|function| Self::Fn(Box::new(function))),
        }
    }
}

/// A function with a body: `#attrs #vis #sig { … }`.
struct Function {
    attrs: Vec<Attribute>,
    vis: Visibility,
    sig: Signature,
    body: Body,
}

impl Parse for Function {
    /// The signature, and the body as tokens.
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis = input.parse()?;
        let sig = input.parse()?;
        let body = input.step(|cursor| match cursor.group(Delimiter::Brace) {
            Some((_, _, rest)) => match cursor.token_tree() {
                Some((tree, _)) => Ok((tree, rest)),
                None => Err(cursor.error("expected the function's body")),
            },
            None => Err(cursor.error("expected the function's body")),
        })?;
        Ok(Self {
            attrs,
            vis,
            sig,
            body: Body::Tokens(body.into_token_stream()),
        })
    }
}

impl Function {
    fn expand(&self, options: &Options) -> TokenStream {
        let Self {
            attrs,
            vis,
            sig,
            body,
        } = self;
        let outer = attrs
            .iter()
            .filter(|attr| matches!(attr.style, AttrStyle::Outer));
        let inner = attrs
            .iter()
            .filter(|attr| matches!(attr.style, AttrStyle::Inner(_)));
        let statements = expand::body(options, sig, None, body);
        quote! {
            #(#outer)*
            #vis #sig {
                #(#inner)*
                #statements
            }
        }
    }
}

/// Instruments every method of an impl block that has a body, except `const fn`s, those
/// with an attribute of their own (which expand themselves), and those marked
/// `#[instrument_metrics(skip)]` (which lose the mark and stay as they are).
fn instrument_impl(cx: &Ctxt, options: &Options, mut block: ItemImpl) -> TokenStream {
    let impl_type = type_label(&block.self_ty);
    for item in &mut block.items {
        let ImplItem::Fn(method) = item else {
            continue;
        };
        let before = method.attrs.len();
        method.attrs.retain(|attr| !is_plain_skip(attr));
        if method.attrs.len() != before
            || method.sig.constness.is_some()
            || method.attrs.iter().any(is_instrument_metrics)
        {
            continue;
        }
        check::label_expressions(cx, &options.labels, &method.sig);
        let statements = expand::body(
            options,
            &method.sig,
            Some(&impl_type),
            &Body::Block(method.block.clone()),
        );
        method.block = Block {
            brace_token: method.block.brace_token,
            stmts: vec![Stmt::Expr(syn::Expr::Verbatim(statements), None)],
        };
    }
    block.into_token_stream()
}

/// How a method's `function` label names its impl block's type: the type's name without
/// its path or generic parameters (`Webhook` for `impl<T> Executor for crate::Webhook<T>`).
fn type_label(ty: &syn::Type) -> String {
    match ty {
        syn::Type::Path(path) => match path.path.segments.last() {
            Some(last) => syn::ext::IdentExt::unraw(&last.ident).to_string(),
            None => crate::attr_util::tokens_text(ty),
        },
        syn::Type::Reference(reference) => type_label(&reference.elem),
        syn::Type::Paren(inner) => type_label(&inner.elem),
        syn::Type::Group(inner) => type_label(&inner.elem),
        _ => crate::attr_util::tokens_text(ty).replace(' ', ""),
    }
}

/// `#[instrument_metrics(…)]`, by the last segment of its path (`#[promforge::…]` too).
fn is_instrument_metrics(attr: &Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|segment| segment.ident == INSTRUMENT_METRICS)
}

/// `#[instrument_metrics(skip)]`.
fn is_plain_skip(attr: &Attribute) -> bool {
    is_instrument_metrics(attr)
        && attr
            .parse_args::<syn::Ident>()
            .is_ok_and(|ident| ident == SKIP)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::Expansion;

    fn expand_args(args: &str, item: &str) -> Expansion {
        let args: TokenStream = args.parse().expect("args");
        let item: TokenStream = item.parse().expect("item");
        Expansion::new(expand(args, item))
    }

    #[test]
    fn wrong_items_are_reported_and_kept() {
        for item in [
            "struct S;",
            "enum E { A }",
            "trait T { fn f(&self); }",
            "mod m {}",
            "const C: u8 = 1;",
            "static S: u8 = 1;",
        ] {
            let out = expand_args("", item);
            assert!(
                out.error("goes on a function (free, associated, method, async)"),
                "{item}: {out}"
            );
            assert!(out.ends_with(item), "{item}: {out}");
        }
    }

    #[test]
    fn a_function_without_a_body_is_named() {
        for item in ["fn f(&self);", "pub fn abs(input: i32) -> i32;"] {
            let out = expand_args("", item);
            assert!(out.error("has no body"), "{item}: {out}");
            assert!(!out.error("goes on a function (free"), "{item}: {out}");
            assert!(out.ends_with(item), "{item}: {out}");
        }
    }

    #[test]
    fn names_with_an_added_suffix_all_skipped_and_literal_registries() {
        for (args, expected) in [
            (
                "name = \"db_query_calls_total\"",
                "write `name = \"db_query\"`",
            ),
            ("name = \"db_calls\"", "ends in `_calls`"),
            ("name = \"upload_in_flight\"", "ends in `_in_flight`"),
            ("skip(in_flight, calls, duration)", "records nothing"),
            (
                "registry = \"jobs\"",
                "the `registry` option takes an expression",
            ),
        ] {
            let out = expand_args(args, "fn f() {}");
            assert!(out.error(expected), "{args}: {out}");
        }
        for args in [
            "name = \"db_query\"",
            "skip(calls, duration)",
            "registry = &*REG",
        ] {
            let out = expand_args(args, "fn f() {}");
            assert!(!out.has_errors(), "{args}: {out}");
        }
    }

    #[test]
    fn a_const_fn_is_an_error() {
        let out = expand_args("", "const fn f() -> u8 { 1 }");
        assert!(out.error("a const fn cannot record metrics"), "{out}");
    }

    #[test]
    fn errors_keep_the_function_as_written() {
        let out = expand_args("bukets = [1.0]", "fn f() -> u8 { 1 }");
        assert!(out.starts_with("::core::compile_error!"), "{out}");
        assert!(out.ends_with("fn f() -> u8 { 1 }"), "{out}");
        assert!(!out.has("__PF_SITE"), "{out}");
    }

    #[test]
    fn functions_expand() {
        let out = expand_args("", "pub fn f(x: u8) -> u8 { x }");
        assert!(out.has("static __PF_SITE"), "{out}");
        assert!(
            out.has("::promforge::__private::instrument::Site::new"),
            "{out}"
        );
        assert!(out.has("function: \"f\""), "{out}");
        let out = expand_args(
            "crate = \"my::pf\", registry = REG, name = \"q\", labels(t = t), buckets = http",
            "async fn q(t: &str) {}",
        );
        assert!(
            out.has("my::pf::__private::instrument::BUCKETS_HTTP"),
            "{out}"
        );
        assert!(out.has("start_labeled_in"), "{out}");
        assert!(out.has("#[label(crate = \"my::pf\")]"), "{out}");
    }

    #[test]
    fn summaries_and_generated_buckets_expand() {
        let out = expand_args(
            "name = \"q\", summary(quantiles = [0.5, 0.99], max_age = \"30s\")",
            "fn q() {}",
        );
        assert!(
            out.has(
                "summary: ::core::option::Option::Some(::promforge::__private::instrument::\
                 SummaryOptions::new().quantiles(&[0.5f64, 0.99f64])\
                 .max_age(::core::time::Duration::from_millis(30000u64)))"
            ),
            "{out}"
        );
        assert!(out.has("buckets: ::promforge::__private::instrument::BUCKETS_LATENCY"));
        let out = expand_args("name = \"q\", buckets = linear(1, 1, 3)", "fn q() {}");
        assert!(out.has("buckets: &[1f64, 2f64, 3f64]"), "{out}");
        assert!(out.has("summary: ::core::option::Option::None"), "{out}");
    }

    #[test]
    fn impl_blocks_expand_each_method_once() {
        let out = expand_args(
            "",
            "impl S {
                fn a(&self) {}
                #[instrument_metrics(skip)] fn b(&self) {}
                #[promforge::instrument_metrics(name = \"c\")] fn c(&self) {}
                const fn d() -> u8 { 1 }
            }",
        );
        assert_eq!(out.count("static __PF_SITE"), 1, "{out}");
        assert!(!out.has("(skip)"), "{out}");
        assert!(out.has("instrument_metrics(name = \"c\")"), "{out}");
        let out = expand_args("skip", "impl S { fn a(&self) {} }");
        assert!(out.error("plain `skip` on an impl block"), "{out}");
        let out = expand_args("skip", "fn a() {}");
        assert!(out.error("this function is not in one"), "{out}");
    }

    #[test]
    fn an_unparsed_body_is_kept_as_written() {
        let out = expand_args("", "fn f() -> u8 { some new syntax @@ }");
        assert!(out.has("{ some new syntax @@ }"), "{out}");
    }
}
