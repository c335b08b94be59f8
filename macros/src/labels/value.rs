//! `#[derive(LabelValue)]`: an enum of unit variants, each one value of a label.

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::ext::IdentExt;
use syn::{Data, DataEnum, DeriveInput, Fields, Ident};

use super::attr::{self, ContainerAttrs};
use super::{static_str, usize_ty};
use crate::ctxt::{self, Ctxt};
use crate::names::RenameRule;

/// The expansion of `#[derive(LabelValue)]`: the impl, or the errors.
pub(crate) fn expand(input: &DeriveInput) -> TokenStream {
    let cx = Ctxt::new();
    let attrs = ContainerAttrs::parse(&cx, &input.attrs, &attr::VALUE_ENUM);
    let ident = &input.ident;
    let values = match &input.data {
        Data::Struct(data) => {
            let keyword = data.struct_token;
            cx.error_spanned_by(
                quote!(#keyword #ident),
                "LabelValue can only be derived for enums with unit variants; \
                 for a set of labels use #[derive(LabelSet)]",
            );
            Vec::new()
        }
        Data::Union(data) => {
            let keyword = data.union_token;
            cx.error_spanned_by(
                quote!(#keyword #ident),
                "LabelValue can only be derived for enums with unit variants, not for a union",
            );
            Vec::new()
        }
        Data::Enum(data) => {
            if !input.generics.params.is_empty() {
                cx.error_spanned_by(
                    &input.generics,
                    format!(
                        "LabelValue cannot be derived for the generic enum `{ident}`: a label \
                         enum is a plain list of values, without type, lifetime or const \
                         parameters"
                    ),
                );
            }
            if data.variants.is_empty() {
                let keyword = data.enum_token;
                cx.error_spanned_by(
                    quote!(#keyword #ident),
                    format!(
                        "`{ident}` has no variants: each variant of a LabelValue enum is one \
                         value of the label, and a label needs at least one value"
                    ),
                );
            }
            variant_values(&cx, data, attrs.rename_all.unwrap_or(RenameRule::Snake))
        }
    };
    if let Err(error) = cx.check() {
        return ctxt::failed_derive(&error, attrs.krate_invalid, || stub(input, &attrs));
    }
    implementation(input, &attrs, &values)
}

/// A variant and the label value it renders as.
struct Value<'a> {
    variant: &'a Ident,
    text: String,
}

fn variant_values<'a>(cx: &Ctxt, data: &'a DataEnum, rule: RenameRule) -> Vec<Value<'a>> {
    let mut values = Vec::with_capacity(data.variants.len());
    let mut seen: BTreeMap<String, &Ident> = BTreeMap::new();
    for variant in &data.variants {
        let rename = attr::parse_rename(cx, &variant.attrs, &attr::VALUE_VARIANT);
        if !matches!(variant.fields, Fields::Unit) {
            cx.error_spanned_by(
                &variant.fields,
                format!(
                    "variant `{}` has fields: LabelValue is derived for enums of unit variants \
                     only, each variant being one value of the label",
                    variant.ident
                ),
            );
        }
        let (text, origin) = match &rename {
            Some(literal) => (literal.value(), literal.to_token_stream()),
            None => (
                rule.apply(&variant.ident.unraw().to_string()),
                variant.ident.to_token_stream(),
            ),
        };
        if text.is_empty() {
            cx.error_spanned_by(
                origin,
                format!(
                    "the label value of variant `{}` is empty: give it some text",
                    variant.ident
                ),
            );
        } else if let Some(first) = seen.get(&text) {
            cx.error_spanned_by(
                origin,
                format!(
                    "variant `{}` renders to the label value \"{text}\", like variant \
                     `{first}`: the values of a label must be distinct",
                    variant.ident
                ),
            );
        } else {
            seen.insert(text.clone(), &variant.ident);
        }
        values.push(Value {
            variant: &variant.ident,
            text,
        });
    }
    values
}

fn implementation(
    input: &DeriveInput,
    attrs: &ContainerAttrs,
    values: &[Value<'_>],
) -> TokenStream {
    let p = attrs.krate.private();
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let usize_ty = usize_ty();
    let static_str = static_str();
    let count = values.len();
    let variants: Vec<&Ident> = values.iter().map(|value| value.variant).collect();
    let indices = 0..count;
    let texts: Vec<&str> = values.iter().map(|value| value.text.as_str()).collect();
    // The values as the exposition writes them, escaped once here rather than at every use.
    let escaped: Vec<String> = texts.iter().map(|text| escape_label_value(text)).collect();
    quote! {
        const _: () = {
            #[automatically_derived]
            #[allow(deprecated)]
            impl #impl_generics #p::LabelValue for #ident #ty_generics #where_clause {
                const CARDINALITY: #p::Option<#usize_ty> = #p::Some(#count);

                #[inline]
                fn index(&self) -> #usize_ty {
                    match self {
                        #(Self::#variants => #indices,)*
                    }
                }

                #[inline]
                fn value_at(__index: #usize_ty) -> #p::Option<#static_str> {
                    const VALUES: [#static_str; #count] = [#(#texts),*];
                    if __index < #count {
                        #p::Some(VALUES[__index])
                    } else {
                        #p::None
                    }
                }

                #[inline]
                fn label_value(&self) -> #p::Cow<'_, ::core::primitive::str> {
                    #p::Cow::Borrowed(match self {
                        #(Self::#variants => #texts,)*
                    })
                }

                #[inline]
                fn encode_value(&self, __out: &mut #p::String) {
                    __out.push_str(match self {
                        #(Self::#variants => #escaped,)*
                    })
                }

                #[inline]
                fn strip_encoded<'__t>(
                    &self,
                    __text: &'__t ::core::primitive::str,
                ) -> #p::Option<&'__t ::core::primitive::str> {
                    __text.strip_prefix(match self {
                        #(Self::#variants => #escaped,)*
                    })
                }
            }

            #[automatically_derived]
            impl #impl_generics #p::ClosedLabelValue for #ident #ty_generics #where_clause {}
        };
    }
}

/// `text` escaped as a label value: `\` → `\\`, `"` → `\"`, newline → `\n`.
fn escape_label_value(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// After an error: an impl that compiles whatever the input, so that uses of the type as a
/// label value elsewhere do not add errors to the real one.
fn stub(input: &DeriveInput, attrs: &ContainerAttrs) -> TokenStream {
    let p = attrs.krate.private();
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    quote! {
        const _: () = {
            #[automatically_derived]
            impl #impl_generics #p::LabelValue for #ident #ty_generics #where_clause {
                fn label_value(&self) -> #p::Cow<'_, ::core::primitive::str> {
                    #p::Cow::Borrowed("")
                }
            }

            #[automatically_derived]
            impl #impl_generics #p::ClosedLabelValue for #ident #ty_generics #where_clause {}
        };
    }
}
