//! `#[derive(LabelSet)]`: a struct whose fields are labels.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Field, Fields, FieldsNamed, Ident, Type};

use super::attr::{self, ContainerAttrs};
use super::{static_str, usize_ty};
use crate::ctxt::{self, Ctxt};
use crate::generics::{mentions, param_names};
use crate::names;

/// The expansion of `#[derive(LabelSet)]`: the impl, or the errors.
pub(crate) fn expand(input: &DeriveInput) -> TokenStream {
    let cx = Ctxt::new();
    let attrs = ContainerAttrs::parse(&cx, &input.attrs, &attr::SET_STRUCT);
    let ident = &input.ident;
    let shape = match &input.data {
        Data::Enum(data) => {
            let keyword = data.enum_token;
            cx.error_spanned_by(
                quote!(#keyword #ident),
                "LabelSet is derived for structs whose fields are labels; \
                 for the values of one label use #[derive(LabelValue)]",
            );
            None
        }
        Data::Union(data) => {
            let keyword = data.union_token;
            cx.error_spanned_by(
                quote!(#keyword #ident),
                "LabelSet is derived for structs whose fields are labels, not for a union",
            );
            None
        }
        Data::Struct(data) => match &data.fields {
            Fields::Unit => Some(Shape::Labels(Vec::new())),
            Fields::Named(fields) => Some(Shape::Labels(labels(&cx, fields))),
            Fields::Unnamed(fields) if fields.unnamed.len() == 1 => {
                let field = &fields.unnamed[0];
                // Reports any `#[label(…)]` here: it takes no keys.
                let _ = attr::parse_rename(&cx, &field.attrs, &attr::SET_NEWTYPE_FIELD);
                Some(Shape::Newtype(field))
            }
            Fields::Unnamed(fields) => {
                cx.error_spanned_by(
                    fields,
                    format!(
                        "the fields of the tuple struct `{ident}` have no names, and a label \
                         needs one: use named fields (`struct {ident} {{ method: Method, … }}`), \
                         or a tuple struct of exactly one field wrapping another LabelSet"
                    ),
                );
                None
            }
        },
    };
    // Every `None` above recorded an error; the fallback message is never seen.
    let shape = match (cx.check(), shape) {
        (Ok(()), Some(shape)) => shape,
        (result, _) => {
            let error = result.err().unwrap_or_else(|| {
                syn::Error::new(Span::call_site(), "LabelSet cannot be derived here")
            });
            return ctxt::failed_derive(&error, attrs.krate_invalid, || stub(input, &attrs));
        }
    };
    match shape {
        Shape::Labels(labels) => implementation(input, &attrs, &labels),
        Shape::Newtype(field) => newtype(input, &attrs, &field.ty),
    }
}

enum Shape<'a> {
    /// Named fields (none for a unit struct).
    Labels(Vec<Label<'a>>),
    /// `struct Outer(Inner);`, `Inner: LabelSet`.
    Newtype(&'a Field),
}

/// A field and its label name.
struct Label<'a> {
    member: &'a Ident,
    ty: &'a Type,
    name: String,
}

fn labels<'a>(cx: &Ctxt, fields: &'a FieldsNamed) -> Vec<Label<'a>> {
    let mut labels = Vec::with_capacity(fields.named.len());
    let mut seen: BTreeMap<String, &Ident> = BTreeMap::new();
    for field in &fields.named {
        let Some(member) = &field.ident else {
            continue; // named fields all have an ident
        };
        let rename = attr::parse_rename(cx, &field.attrs, &attr::SET_FIELD);
        let (name, origin) = match &rename {
            Some(literal) => (literal.value(), literal.to_token_stream()),
            None => (member.unraw().to_string(), member.to_token_stream()),
        };
        if let Err(message) = names::check_label_name(&name) {
            cx.error_spanned_by(origin, message);
        } else if let Some(first) = seen.get(&name) {
            cx.error_spanned_by(
                origin,
                format!(
                    "duplicate label name `{name}`: field `{first}` already uses it; each label \
                     of a set needs its own name"
                ),
            );
        } else {
            seen.insert(name.clone(), member);
        }
        labels.push(Label {
            member,
            ty: &field.ty,
            name,
        });
    }
    labels
}

/// The bounds that field types implement `trait_path`, and the checks that report a field
/// type that does not, once and on that type.
///
/// A field type naming one of the struct's type or const parameters gets a plain bound on
/// the impl (like serde's bounds), checked where the set is used. Any other field type gets a
/// bound too, written `for<'__promforge> Ty: Trait` so that the compiler does not check it on
/// the impl (where it would report it as a "trivial bound", then again at every use in the
/// body); instead an assertion function reports it once, with the type's span.
struct FieldBounds {
    trait_path: TokenStream,
    /// The name of the assertion function, read in the compiler's "required by a bound in …".
    assert: Ident,
    predicates: Vec<TokenStream>,
    assertions: Vec<TokenStream>,
}

impl FieldBounds {
    fn new<'a>(
        input: &DeriveInput,
        trait_path: TokenStream,
        assert: &str,
        types: impl IntoIterator<Item = &'a Type>,
    ) -> Self {
        let mut params = param_names(&input.generics);
        params.insert("Self".to_owned()); // `Box<Self>`: only meaningful inside the impl
        let mut seen = BTreeSet::new();
        let mut bounds = Self {
            trait_path,
            assert: Ident::new(assert, Span::call_site()),
            predicates: Vec::new(),
            assertions: Vec::new(),
        };
        let trait_path = &bounds.trait_path;
        let assert = &bounds.assert;
        for ty in types {
            if !seen.insert(ty.to_token_stream().to_string()) {
                continue;
            }
            let span = ty.span();
            if mentions(ty.to_token_stream(), &params) {
                bounds
                    .predicates
                    .push(quote_spanned!(span=> #ty: #trait_path));
            } else {
                bounds
                    .predicates
                    .push(quote_spanned!(span=> for<'__promforge> #ty: #trait_path));
                bounds
                    .assertions
                    .push(quote_spanned!(span=> #assert::<#ty>();));
            }
        }
        bounds
    }

    /// The impl's where clause: the struct's predicates and the field bounds.
    fn where_clause(&self, input: &DeriveInput) -> TokenStream {
        let existing = input
            .generics
            .where_clause
            .iter()
            .flat_map(|clause| clause.predicates.iter());
        let ours = &self.predicates;
        let mut predicates = quote!(#(#existing,)* #(#ours,)*);
        if predicates.is_empty() {
            return predicates;
        }
        predicates = quote!(where #predicates);
        predicates
    }

    /// A function (never called) that checks the field types that are not generic.
    fn assertions(&self, input: &DeriveInput) -> TokenStream {
        if self.assertions.is_empty() {
            return TokenStream::new();
        }
        let trait_path = &self.trait_path;
        let assert = &self.assert;
        let (impl_generics, _, where_clause) = input.generics.split_for_impl();
        let assertions = &self.assertions;
        quote! {
            #[allow(
                dead_code,
                clippy::extra_unused_lifetimes,
                clippy::extra_unused_type_parameters
            )]
            fn __promforge_check_field_types #impl_generics () #where_clause {
                fn #assert<T: ?::core::marker::Sized + #trait_path>() {}
                #(#assertions)*
            }
        }
    }
}

fn implementation(
    input: &DeriveInput,
    attrs: &ContainerAttrs,
    labels: &[Label<'_>],
) -> TokenStream {
    let p = attrs.krate.private();
    let ident = &input.ident;
    let usize_ty = usize_ty();
    let static_str = static_str();
    let (impl_generics, ty_generics, _) = input.generics.split_for_impl();
    let label_value = quote!(#p::LabelValue);
    let bounds = FieldBounds::new(
        input,
        label_value.clone(),
        "field_type_must_implement_label_value",
        labels.iter().map(|label| label.ty),
    );
    let where_clause = bounds.where_clause(input);
    let assertions = bounds.assertions(input);

    let names: Vec<&str> = labels.iter().map(|label| label.name.as_str()).collect();
    // `<Ty as LabelValue>`, with the type's span so that errors point at the field's type.
    let as_value: Vec<TokenStream> = labels
        .iter()
        .map(|label| {
            let ty = label.ty;
            quote_spanned!(ty.span()=> <#ty as #label_value>)
        })
        .collect();
    let types: Vec<TokenStream> = labels
        .iter()
        .map(|label| {
            let ty = label.ty;
            quote_spanned!(ty.span()=> #ty)
        })
        .collect();
    let members: Vec<&Ident> = labels.iter().map(|label| label.member).collect();
    let digits = 0..labels.len();
    let support = quote!(#p::derive_support);

    let cardinality = if labels.is_empty() {
        quote!(#p::Some(1))
    } else {
        quote!(#support::product(&[#(#as_value::CARDINALITY),*]))
    };
    let index = as_value
        .iter()
        .zip(&members)
        .fold(quote!(0), |acc, (as_value, member)| {
            quote!(#support::mix(#acc, #as_value::CARDINALITY, #as_value::index(&self.#member)))
        });
    let (out, index_param, state) = if labels.is_empty() {
        (quote!(_), quote!(_), quote!(_))
    } else {
        (quote!(__out), quote!(__index), quote!(__state))
    };
    // What precedes each value in the text: `name="`, with a comma after the first label.
    let prefixes = names.iter().enumerate().map(|(i, name)| {
        let comma = if i == 0 { "" } else { "," };
        format!("{comma}{name}=\"")
    });
    let encode_at = if labels.is_empty() {
        TokenStream::new()
    } else {
        quote! {
            let __digits = #support::split_index(__index, [#(#as_value::CARDINALITY),*]);
            #(#support::push_label_at::<#types>(__out, #names, __digits[#digits]);)*
        }
    };
    quote! {
        const _: () = {
            #[automatically_derived]
            impl #impl_generics #p::LabelSet for #ident #ty_generics #where_clause {
                const NAMES: &'static [#static_str] = &[#(#names),*];

                const CARDINALITY: #p::Option<#usize_ty> = #cardinality;

                #[inline]
                fn index(&self) -> #usize_ty {
                    #index
                }

                #[inline]
                fn encode_labels(&self, #out: &mut #p::String) {
                    #(#support::push_label(__out, #names, &self.#members);)*
                }

                fn encode_labels_at(#index_param: #usize_ty, #out: &mut #p::String) {
                    #encode_at
                }

                #[inline]
                fn matches_encoded(&self, __text: &::core::primitive::str) -> ::core::primitive::bool {
                    #(
                        let #p::Some(__text) = #support::strip_label(__text, #prefixes, &self.#members)
                        else {
                            return false;
                        };
                    )*
                    __text.is_empty()
                }

                #[inline]
                fn hash_labels<__H: ::core::hash::Hasher>(&self, #state: &mut __H) {
                    #(#as_value::hash_value(&self.#members, __state);)*
                }
            }

            #assertions
        };
    }
}

/// `struct Outer(Inner);`: everything is `Inner`'s.
fn newtype(input: &DeriveInput, attrs: &ContainerAttrs, inner: &Type) -> TokenStream {
    let p = attrs.krate.private();
    let ident = &input.ident;
    let usize_ty = usize_ty();
    let static_str = static_str();
    let (impl_generics, ty_generics, _) = input.generics.split_for_impl();
    let label_set = quote!(#p::LabelSet);
    let bounds = FieldBounds::new(
        input,
        label_set.clone(),
        "newtype_field_must_implement_label_set",
        [inner],
    );
    let where_clause = bounds.where_clause(input);
    let assertions = bounds.assertions(input);
    let as_set = quote_spanned!(inner.span()=> <#inner as #label_set>);
    quote! {
        const _: () = {
            #[automatically_derived]
            impl #impl_generics #label_set for #ident #ty_generics #where_clause {
                const NAMES: &'static [#static_str] = #as_set::NAMES;

                const CARDINALITY: #p::Option<#usize_ty> = #as_set::CARDINALITY;

                #[inline]
                fn index(&self) -> #usize_ty {
                    #as_set::index(&self.0)
                }

                #[inline]
                fn encode_labels(&self, __out: &mut #p::String) {
                    #as_set::encode_labels(&self.0, __out)
                }

                #[inline]
                fn encode_labels_at(__index: #usize_ty, __out: &mut #p::String) {
                    #as_set::encode_labels_at(__index, __out)
                }

                #[inline]
                fn matches_encoded(&self, __text: &::core::primitive::str) -> ::core::primitive::bool {
                    #as_set::matches_encoded(&self.0, __text)
                }

                #[inline]
                fn hash_labels<__H: ::core::hash::Hasher>(&self, __state: &mut __H) {
                    #as_set::hash_labels(&self.0, __state)
                }
            }

            #assertions
        };
    }
}

/// After an error: an impl that compiles whatever the input, so that uses of the type as a
/// label set elsewhere do not add errors to the real one.
fn stub(input: &DeriveInput, attrs: &ContainerAttrs) -> TokenStream {
    let p = attrs.krate.private();
    let ident = &input.ident;
    let usize_ty = usize_ty();
    let static_str = static_str();
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    quote! {
        const _: () = {
            #[automatically_derived]
            impl #impl_generics #p::LabelSet for #ident #ty_generics #where_clause {
                const NAMES: &'static [#static_str] = &[];
                const CARDINALITY: #p::Option<#usize_ty> = #p::None;
                fn index(&self) -> #usize_ty {
                    0
                }
                fn encode_labels(&self, _: &mut #p::String) {}
                fn encode_labels_at(_: #usize_ty, _: &mut #p::String) {}
            }
        };
    }
}
