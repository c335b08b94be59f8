//! The expansion of a live group: `MetricsGroup` (register every field, or build it
//! unregistered), `register` and `global`; with `labels = L`, the `<Name>Families` struct
//! that holds one family per field and hands out a group per label set.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Ident, Type};

use super::ast::{Input, LiveField, LiveRole, Metric};
use super::bounds;

/// The paths generated code names things by.
struct Paths {
    /// `::promforge` (or the `crate = "…"` path).
    krate: TokenStream,
    /// `::promforge::__private`.
    p: TokenStream,
    /// `::promforge::__private::group`.
    group: TokenStream,
}

impl Paths {
    fn new(input: &Input<'_>) -> Self {
        let krate = &input.attrs.krate;
        let p = krate.private();
        Self {
            krate: quote!(#krate),
            group: quote!(#p::group),
            p,
        }
    }

    /// `::core::result::Result<T, ::promforge::Error>`.
    fn result(&self, ok: TokenStream) -> TokenStream {
        let krate = &self.krate;
        quote!(::core::result::Result<#ok, #krate::Error>)
    }
}

/// `let __prefix = join_name(__prefix, "<prefix>");`, or nothing without a prefix.
fn join_prefix(paths: &Paths, prefix: &str) -> TokenStream {
    if prefix.is_empty() {
        return TokenStream::new();
    }
    let group = &paths.group;
    quote!(let __prefix = #group::join_name(__prefix, #prefix);)
}

/// `FieldOptions::new().state_label("…").buckets(…).quantiles(…)…` for a metric: the
/// settings given, through the runtime's `const fn` setters (no struct literal, so a
/// setting the runtime adds later keeps its default, and clippy finds no needless update).
fn options(paths: &Paths, metric: &Metric) -> TokenStream {
    let p = &paths.p;
    let group = &paths.group;
    let state_label = &metric.name;
    let buckets = metric.buckets.as_ref().map(|buckets| {
        let buckets = buckets.to_static_slice(&quote!(#p::instrument));
        quote!(.buckets(#buckets))
    });
    let setters = metric.summary.setters();
    let summary = (!setters.is_empty())
        .then(|| quote!(.summary(#p::instrument::SummaryOptions::new() #setters)));
    quote!(#group::FieldOptions::new().state_label(#state_label) #buckets #summary)
}

/// `register_field::<Ty>`, spanned on the field's type so that a type that is not a metric
/// is reported there.
fn register_field(paths: &Paths, ty: &TokenStream, span: proc_macro2::Span) -> TokenStream {
    let group = &paths.group;
    quote_spanned!(span=> #group::register_field::<#ty>)
}

fn unregistered_field(paths: &Paths, ty: &TokenStream, span: proc_macro2::Span) -> TokenStream {
    let group = &paths.group;
    quote_spanned!(span=> #group::unregistered_field::<#ty>)
}

/// `Default::default()` for a skipped field, spanned on its type.
fn default(ty: &Type) -> TokenStream {
    quote_spanned!(ty.span()=> <#ty as ::core::default::Default>::default)
}

/// The `MetricsGroup` impl: `inits` register the fields (`member: expr`), `fallbacks` build
/// them unregistered; `self_ty` ends with the impl's where-clause.
fn metrics_group_impl(
    paths: &Paths,
    input: &Input<'_>,
    self_ty: &TokenStream,
    impl_head: &TokenStream,
    inits: &[TokenStream],
    fallbacks: &[TokenStream],
) -> TokenStream {
    let p = &paths.p;
    let group = &paths.group;
    let result = paths.result(quote!(Self));
    let join = join_prefix(paths, &input.prefix);
    let hide = do_not_recommend(input);
    quote! {
        #[automatically_derived]
        #hide
        #impl_head #group::MetricsGroup for #self_ty {
            #[allow(unused_variables)]
            fn register_in(
                __registry: &#p::Registry,
                __prefix: &::core::primitive::str,
            ) -> #result {
                #join
                ::core::result::Result::Ok(Self { #(#inits,)* })
            }

            fn unregistered() -> Self {
                Self { #(#fallbacks,)* }
            }
        }
    }
}

/// `register(registry)` and, for a struct without generics, `global()`.
fn register_and_global(
    paths: &Paths,
    input: &Input<'_>,
    self_ident: &Ident,
    what: &str,
) -> TokenStream {
    let p = &paths.p;
    let group = &paths.group;
    let krate = &paths.krate;
    let vis = input.vis;
    let result = paths.result(quote!(Self));
    let register_doc = format!(
        "Registers every {what} of the group in the registry, under the group's prefix.\n\n\
         # Errors\n\n\
         A name that is invalid or already taken in the registry. Registration is all or \
         nothing: the {what}s registered before the failing one are unregistered again."
    );
    let register = quote! {
        #[doc = #register_doc]
        #vis fn register(__registry: &#p::Registry) -> #result {
            #group::register_all(__registry, |__registry| {
                <Self as #group::MetricsGroup>::register_in(__registry, "")
            })
        }
    };
    if !input.generics.params.is_empty() {
        return register;
    }
    let global_doc = format!(
        "The process-wide instance, registered in `promforge::default_registry()` on first \
         use. A registration error is reported once (to the handler of \
         `promforge::set_error_handler`, stderr by default), and the {what}s still work, \
         unexported."
    );
    quote! {
        #register

        #[doc = #global_doc]
        #vis fn global() -> &'static Self {
            static __PROMFORGE_GLOBAL: ::std::sync::OnceLock<#self_ident> = ::std::sync::OnceLock::new();
            ::std::sync::OnceLock::get_or_init(&__PROMFORGE_GLOBAL, || {
                match Self::register(#krate::default_registry()) {
                    ::core::result::Result::Ok(__group) => __group,
                    ::core::result::Result::Err(__error) => #group::report_and_fallback(__error),
                }
            })
        }
    }
}

/// The expansion of a live group.
pub(super) fn expand(input: &Input<'_>, fields: &[LiveField<'_>]) -> TokenStream {
    if let Some((_, labels)) = &input.attrs.labels {
        return labeled(input, fields, labels);
    }
    let paths = Paths::new(input);
    let group = &paths.group;
    let ident = input.ident;
    let (impl_generics, ty_generics, _) = input.generics.split_for_impl();
    let where_clause = bounds::where_clause(
        input.generics,
        fields.iter().map(|field| {
            let bound = match field.role {
                LiveRole::Metric(_) => quote!(#group::GroupMetric),
                LiveRole::Nested => quote!(#group::MetricsGroup),
                LiveRole::Skip => quote!(::core::default::Default),
            };
            (field.ty, bound)
        }),
    );
    let mut inits = Vec::with_capacity(fields.len());
    let mut fallbacks = Vec::with_capacity(fields.len());
    for field in fields {
        let member = field.member;
        let ty = field.ty;
        let span = ty.span();
        let ty_tokens = quote!(#ty);
        match &field.role {
            LiveRole::Metric(metric) => {
                let name = &metric.name;
                let help = &metric.help;
                let options = options(&paths, metric);
                let register = register_field(&paths, &ty_tokens, span);
                let unregistered = unregistered_field(&paths, &ty_tokens, span);
                inits.push(
                    quote!(#member: #register(__registry, &__prefix, #name, #help, &#options)?),
                );
                fallbacks.push(quote!(#member: #unregistered(&#options)));
            }
            LiveRole::Nested => {
                let as_group = quote_spanned!(span=> <#ty as #group::MetricsGroup>);
                inits.push(quote!(#member: #as_group::register_in(__registry, &__prefix)?));
                fallbacks.push(quote!(#member: #as_group::unregistered()));
            }
            LiveRole::Skip => {
                let default = default(ty);
                inits.push(quote!(#member: #default()));
                fallbacks.push(quote!(#member: #default()));
            }
        }
    }
    let impl_head = quote!(impl #impl_generics);
    let self_ty = quote!(#ident #ty_generics #where_clause);
    let group_impl = metrics_group_impl(&paths, input, &self_ty, &impl_head, &inits, &fallbacks);
    let methods = register_and_global(&paths, input, ident, "metric");
    quote! {
        const _: () = {
            #group_impl

            #[automatically_derived]
            #[allow(dead_code)]
            impl #impl_generics #ident #ty_generics #where_clause {
                #methods
            }
        };
    }
}

/// `#[metrics(labels = L)]`: `<Name>Families` (one family per field, a `MetricsGroup` of
/// its own), `<Name>Families::for_labels`, and `<Name>::for_labels` on the process-wide
/// families.
fn labeled(input: &Input<'_>, fields: &[LiveField<'_>], labels: &Type) -> TokenStream {
    let paths = Paths::new(input);
    let krate = &paths.krate;
    let ident = input.ident;
    let vis = input.vis;
    let families = families_ident(ident);
    let labels_span = labels.span();
    let family_of = |ty: &Type| quote_spanned!(labels_span=> #krate::Family<#labels, #ty>);

    let mut defs = Vec::new();
    let mut inits = Vec::new();
    let mut fallbacks = Vec::new();
    let mut handles = Vec::new();
    for field in fields {
        let member = field.member;
        let ty = field.ty;
        let span = ty.span();
        match &field.role {
            LiveRole::Metric(metric) => {
                let family = family_of(ty);
                let docs: Vec<_> = field
                    .field
                    .attrs
                    .iter()
                    .filter(|attr| attr.path().is_ident("doc"))
                    .collect();
                let docs = if docs.is_empty() {
                    let help = &metric.help;
                    quote!(#[doc = #help])
                } else {
                    quote!(#(#docs)*)
                };
                let field_vis = &field.field.vis;
                defs.push(quote!(#docs #field_vis #member: #family));
                let name = &metric.name;
                let help = &metric.help;
                let options = options(&paths, metric);
                let register = register_field(&paths, &family, span);
                let unregistered = unregistered_field(&paths, &family, span);
                inits.push(
                    quote!(#member: #register(__registry, &__prefix, #name, #help, &#options)?),
                );
                fallbacks.push(quote!(#member: #unregistered(&#options)));
                handles.push(quote! {
                    #member: ::core::clone::Clone::clone(&*#krate::Family::get(&self.#member, __labels))
                });
            }
            // Reported by `check.rs`: a labeled group has no nested fields.
            LiveRole::Nested => {}
            LiveRole::Skip => {
                let default = default(ty);
                handles.push(quote!(#member: #default()));
            }
        }
    }
    let struct_doc = format!(
        "The families of [`{ident}`]: one per metric, with a series per label set. \
         [`for_labels`]({families}::for_labels) gives the `{ident}` of one label set."
    );
    let impl_head = quote!(impl);
    let self_ty = quote!(#families);
    let group_impl = metrics_group_impl(&paths, input, &self_ty, &impl_head, &inits, &fallbacks);
    let methods = register_and_global(&paths, input, &families, "family");
    quote! {
        #[doc = #struct_doc]
        #[derive(::core::clone::Clone, ::core::fmt::Debug)]
        #vis struct #families {
            #(#defs,)*
        }

        const _: () = {
            #group_impl

            #[automatically_derived]
            #[allow(dead_code)]
            impl #families {
                #methods

                /// The group of one label set: each field a handle to that label set's
                /// series in the field's family.
                #vis fn for_labels(&self, __labels: &#labels) -> #ident {
                    #ident { #(#handles,)* }
                }
            }

            #[automatically_derived]
            #[allow(dead_code)]
            impl #ident {
                /// The group of a label set, from the process-wide families (`global()` of the
                /// families struct), registered in `promforge::default_registry()` on first
                /// use. A registration error is reported once (to the handler of
                /// `promforge::set_error_handler`, stderr by default), and the metrics still
                /// work, unexported.
                #vis fn for_labels(__labels: &#labels) -> Self {
                    #families::global().for_labels(__labels)
                }
            }
        };
    }
}

/// `<Name>Families`.
pub(super) fn families_ident(ident: &Ident) -> Ident {
    format_ident!("{}Families", ident)
}

/// `#[diagnostic::do_not_recommend]` for a struct without generics: a field whose type is
/// not a group is then reported with the runtime's message alone, without rustc listing the
/// user's groups as "the types that implement the trait".
pub(super) fn do_not_recommend(input: &Input<'_>) -> TokenStream {
    if input.generics.params.is_empty() {
        quote!(#[diagnostic::do_not_recommend])
    } else {
        TokenStream::new()
    }
}
