//! Where-clauses for generic groups: a field type that names one of the struct's type or
//! const parameters gets a bound on the impl (as serde does), so that the impl states what
//! it needs and the error, if any, is at the use of the group.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Generics, Type};

use crate::generics::{mentions, param_names};

/// The impl's where-clause: the struct's own predicates, then `Ty: bound` for each field
/// type naming a parameter. Empty when there is nothing to say.
pub(super) fn where_clause<'a>(
    generics: &Generics,
    bounds: impl IntoIterator<Item = (&'a Type, TokenStream)>,
) -> TokenStream {
    let params = param_names(generics);
    let existing = generics
        .where_clause
        .iter()
        .flat_map(|clause| clause.predicates.iter())
        .map(ToTokens::to_token_stream);
    let ours = bounds
        .into_iter()
        .filter(|(ty, _)| !params.is_empty() && mentions(ty.to_token_stream(), &params))
        .map(|(ty, bound)| quote_spanned!(ty.span()=> #ty: #bound));
    let predicates: Vec<TokenStream> = existing.chain(ours).collect();
    if predicates.is_empty() {
        TokenStream::new()
    } else {
        quote!(where #(#predicates,)*)
    }
}
