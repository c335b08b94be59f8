//! `#[derive(LabelValue)]` and `#[derive(LabelSet)]`.

mod attr;
pub(crate) mod set;
pub(crate) mod value;

use proc_macro2::TokenStream;
use quote::quote;

/// `&'static str`, spelled so that nothing in the user's scope changes it.
fn static_str() -> TokenStream {
    quote!(&'static ::core::primitive::str)
}

/// `usize`, spelled so that nothing in the user's scope changes it.
fn usize_ty() -> TokenStream {
    quote!(::core::primitive::usize)
}
