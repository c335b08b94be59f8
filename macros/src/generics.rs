//! Which field types name a struct's generic parameters: those get a bound on the derived
//! impl (as serde does), checked where the type is used.

use std::collections::BTreeSet;

use proc_macro2::{TokenStream, TokenTree};
use syn::{GenericParam, Generics};

/// The names of the type and const parameters of `generics` (lifetimes left out).
pub(crate) fn param_names(generics: &Generics) -> BTreeSet<String> {
    generics
        .params
        .iter()
        .filter_map(|param| match param {
            GenericParam::Type(param) => Some(param.ident.to_string()),
            GenericParam::Const(param) => Some(param.ident.to_string()),
            GenericParam::Lifetime(_) => None,
        })
        .collect()
}

/// Whether tokens name one of `params` (conservatively: any identifier spelled the same).
pub(crate) fn mentions(tokens: TokenStream, params: &BTreeSet<String>) -> bool {
    tokens.into_iter().any(|tree| match tree {
        TokenTree::Ident(ident) => params.contains(&ident.to_string()),
        TokenTree::Group(group) => mentions(group.stream(), params),
        TokenTree::Punct(_) | TokenTree::Literal(_) => false,
    })
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::*;

    #[test]
    fn params_and_mentions() {
        let generics: Generics = syn::parse_quote!(<'a, T: Clone, const N: usize>);
        let params = param_names(&generics);
        assert_eq!(params.iter().collect::<Vec<_>>(), ["N", "T"]);
        assert!(mentions(quote!(Vec<Option<T>>), &params));
        assert!(mentions(quote!([u8; N]), &params));
        assert!(!mentions(quote!(&'a str), &params));
    }
}
