//! After an error: impls that compile whatever the input, so that uses of the struct
//! elsewhere (`Metrics::global()`, a field of another group, `register_snapshot`) do not
//! add errors to the real one. Their bodies never run: the crate does not compile.

use proc_macro2::TokenStream;
use quote::quote;
use syn::DeriveInput;

use super::attr::ContainerAttrs;
use super::live::families_ident;

/// The stub impls of the group `attrs` says `input` is.
pub(super) fn stub(input: &DeriveInput, attrs: &ContainerAttrs) -> TokenStream {
    let krate = &attrs.krate;
    let p = krate.private();
    let group = quote!(#p::group);
    let ident = &input.ident;
    let vis = &input.vis;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let unimplemented = quote!(::core::unimplemented!());
    let result = |ok: TokenStream| quote!(::core::result::Result<#ok, #krate::Error>);

    if attrs.snapshot.is_some() {
        let result = result(quote!(#p::Vec<#p::String>));
        return quote! {
            const _: () = {
                #[automatically_derived]
                impl #impl_generics #group::SnapshotGroup for #ident #ty_generics #where_clause {
                    const FAMILY_COUNT: ::core::primitive::usize = 0;
                    fn describe(_: &::core::primitive::str, _: &mut #p::Vec<#krate::FamilyDesc>) {}
                    fn collect(
                        &self,
                        _: &mut #krate::CollectorEncoder<'_>,
                        _: ::core::primitive::usize,
                        _: &mut #p::String,
                    ) {
                    }
                }

                #[automatically_derived]
                #[allow(dead_code)]
                impl #impl_generics #ident #ty_generics #where_clause {
                    #vis fn register_snapshot<__PromforgeSource: #group::SnapshotSource<Self>>(
                        _: &#p::Registry,
                        _: __PromforgeSource,
                    ) -> #result {
                        #unimplemented
                    }
                }
            };
        };
    }

    let result_self = result(quote!(Self));
    if let Some((_, labels)) = &attrs.labels {
        if !input.generics.params.is_empty() {
            return TokenStream::new();
        }
        let families = families_ident(ident);
        return quote! {
            #[doc = "The families of a labeled group (not generated: the derive failed)."]
            #vis struct #families {}

            const _: () = {
                #[automatically_derived]
                #[allow(dead_code)]
                impl #families {
                    #vis fn register(_: &#p::Registry) -> #result_self {
                        #unimplemented
                    }
                    #vis fn global() -> &'static Self {
                        #unimplemented
                    }
                    #vis fn for_labels(&self, _: &#labels) -> #ident {
                        #unimplemented
                    }
                }

                #[automatically_derived]
                #[allow(dead_code)]
                impl #ident {
                    #vis fn for_labels(_: &#labels) -> Self {
                        #unimplemented
                    }
                }
            };
        };
    }

    let global = if input.generics.params.is_empty() {
        quote! {
            #vis fn global() -> &'static Self {
                #unimplemented
            }
        }
    } else {
        TokenStream::new()
    };
    quote! {
        const _: () = {
            #[automatically_derived]
            impl #impl_generics #group::MetricsGroup for #ident #ty_generics #where_clause {
                fn register_in(
                    _: &#p::Registry,
                    _: &::core::primitive::str,
                ) -> #result_self {
                    #unimplemented
                }
                fn unregistered() -> Self {
                    #unimplemented
                }
            }

            #[automatically_derived]
            #[allow(dead_code)]
            impl #impl_generics #ident #ty_generics #where_clause {
                #vis fn register(_: &#p::Registry) -> #result_self {
                    #unimplemented
                }
                #global
            }
        };
    }
}
