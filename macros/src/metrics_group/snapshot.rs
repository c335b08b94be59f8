//! The expansion of a snapshot group (`#[metrics(snapshot)]`): `SnapshotGroup` (the
//! families, in field order, and the samples of one value) and `register_snapshot`.

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use super::ast::{AggregateField, AggregateSummary, Input, SnapshotField, SnapshotRole, Value};
use super::attr::Scale;
use super::{bounds, live};
use crate::attr_util::float;

/// Where a field's families start, relative to the struct's first: a number of single
/// families plus the `FAMILY_COUNT`s of nested groups before it (summed at compile time).
#[derive(Default, Clone)]
struct Offset {
    single: usize,
    nested: Vec<TokenStream>,
}

impl Offset {
    fn tokens(&self) -> TokenStream {
        let single = self.single;
        let nested = &self.nested;
        quote!(#single #(+ #nested)*)
    }
}

/// The expansion of a snapshot group.
pub(super) fn expand(input: &Input<'_>, fields: &[SnapshotField<'_>]) -> TokenStream {
    let krate = &input.attrs.krate;
    let p = krate.private();
    let group = quote!(#p::group);
    let ident = input.ident;
    let vis = input.vis;
    let (impl_generics, ty_generics, _) = input.generics.split_for_impl();
    let usize_ty = quote!(::core::primitive::usize);
    let send_sync = quote!(::core::marker::Send + ::core::marker::Sync + 'static);
    let where_clause = bounds::where_clause(
        input.generics,
        fields.iter().flat_map(|field| {
            let ty = field.ty;
            match &field.role {
                SnapshotRole::Label { .. } => {
                    vec![(ty, quote!(#p::LabelValue + #send_sync))]
                }
                SnapshotRole::Value(_) => {
                    vec![(ty, quote!(#group::SnapshotValue + #send_sync))]
                }
                SnapshotRole::Nested => vec![(ty, quote!(#group::SnapshotGroup))],
                SnapshotRole::Map {
                    key_ty,
                    value_ty,
                    value,
                    ..
                } => {
                    let value_bound = if value.is_some() {
                        quote!(#group::SnapshotValue + #send_sync)
                    } else {
                        quote!(#group::SnapshotGroup)
                    };
                    vec![
                        (ty, send_sync.clone()),
                        (*key_ty, quote!(#p::LabelValue + #send_sync)),
                        (*value_ty, value_bound),
                    ]
                }
                SnapshotRole::Skip => vec![(ty, send_sync.clone())],
            }
        }),
    );

    let join = if input.prefix.is_empty() {
        TokenStream::new()
    } else {
        let prefix = &input.prefix;
        quote!(let __prefix = #group::join_name(__prefix, #prefix);)
    };
    let labels_str = quote!(#p::String::as_str(__labels));
    let mut offset = Offset::default();
    let mut describe = Vec::new();
    let mut push_labels = Vec::new();
    let mut collect = Vec::new();
    let desc = |name: &str, help: &str, metric_type: TokenStream| {
        quote! {
            #p::Vec::push(
                __out,
                #group::field_desc(&__prefix, #name, #help, #krate::MetricType::#metric_type),
            );
        }
    };
    let value_desc = |value: &Value| {
        let metric_type = if value.counter {
            quote!(Counter)
        } else {
            quote!(Gauge)
        };
        desc(&value.name, &value.help, metric_type)
    };
    // Where the families of values with fixed labels are, for the fields that join them.
    let mut fixed_families: BTreeMap<&str, TokenStream> = BTreeMap::new();
    for field in fields {
        let member = field.member;
        let ty = field.ty;
        let span = ty.span();
        let at = offset.tokens();
        match &field.role {
            SnapshotRole::Label { name } => {
                let push_label = quote_spanned!(span=> #group::push_label::<#ty>);
                push_labels.push(quote!(#push_label(__labels, #name, &self.#member);));
            }
            SnapshotRole::Value(value) => {
                let scale = scale_tokens(&group, value.scale);
                let write = quote_spanned!(span=> <#ty as #group::SnapshotValue>::write);
                let at = if value.shared {
                    fixed_families
                        .get(value.family.as_str())
                        .cloned()
                        .unwrap_or(at)
                } else {
                    describe.push(value_desc(value));
                    if !value.labels.is_empty() {
                        fixed_families.insert(&value.family, at.clone());
                    }
                    offset.single += 1;
                    at
                };
                let write =
                    quote!(#write(&self.#member, __out, __base + #at, #labels_str, #scale););
                if value.labels.is_empty() {
                    collect.push(write);
                } else {
                    let pairs = value
                        .labels
                        .iter()
                        .map(|(name, value)| quote!(#p::push_label_pair(__labels, #name, #value);));
                    collect.push(quote! {
                        let __promforge_len = #p::String::len(__labels);
                        #(#pairs)*
                        #write
                        #p::String::truncate(__labels, __promforge_len);
                    });
                }
            }
            SnapshotRole::Nested => {
                let as_group = quote_spanned!(span=> <#ty as #group::SnapshotGroup>);
                describe.push(quote!(#as_group::describe(&__prefix, __out);));
                collect.push(
                    quote!(#as_group::collect(&self.#member, __out, __base + #at, __labels);),
                );
                offset.nested.push(quote!(#as_group::FAMILY_COUNT));
            }
            SnapshotRole::Map {
                key_ty,
                value_ty,
                label,
                value,
            } => {
                let push_label = quote_spanned!(key_ty.span()=> #group::push_label::<#key_ty>);
                let value_span = value_ty.span();
                let record = match value {
                    Some(value) => {
                        describe.push(value_desc(value));
                        let scale = scale_tokens(&group, value.scale);
                        let write = quote_spanned!(value_span=> <#value_ty as #group::SnapshotValue>::write);
                        offset.single += 1;
                        quote!(#write(__value, __out, __base + #at, #labels_str, #scale);)
                    }
                    None => {
                        let as_group =
                            quote_spanned!(value_span=> <#value_ty as #group::SnapshotGroup>);
                        describe.push(quote!(#as_group::describe(&__prefix, __out);));
                        offset.nested.push(quote!(#as_group::FAMILY_COUNT));
                        quote!(#as_group::collect(__value, __out, __base + #at, __labels);)
                    }
                };
                collect.push(quote! {
                    for (__key, __value) in &self.#member {
                        let __promforge_len = #p::String::len(__labels);
                        #push_label(__labels, #label, __key);
                        #record
                        #p::String::truncate(__labels, __promforge_len);
                    }
                });
            }
            SnapshotRole::Skip => {}
        }
    }
    for summary in &input.summaries {
        let at = offset.tokens();
        describe.push(desc(&summary.name, &summary.help, quote!(Summary)));
        let (sum, count) = aggregate(summary);
        collect.push(quote! {
            #group::write_aggregate_summary(__out, __base + #at, #labels_str, #sum, #count);
        });
        offset.single += 1;
    }
    let family_count = offset.tokens();
    let (save_labels, restore_labels) = if push_labels.is_empty() {
        (TokenStream::new(), TokenStream::new())
    } else {
        (
            quote!(let __promforge_labels_len = #p::String::len(__labels);),
            quote!(#p::String::truncate(__labels, __promforge_labels_len);),
        )
    };
    let result = quote!(::core::result::Result<#p::Vec<#p::String>, #krate::Error>);
    let hide = live::do_not_recommend(input);
    quote! {
        const _: () = {
            #[automatically_derived]
            #hide
            impl #impl_generics #group::SnapshotGroup for #ident #ty_generics #where_clause {
                const FAMILY_COUNT: #usize_ty = #family_count;

                #[allow(unused_variables)]
                fn describe(
                    __prefix: &::core::primitive::str,
                    __out: &mut #p::Vec<#krate::FamilyDesc>,
                ) {
                    #join
                    #(#describe)*
                }

                #[allow(
                    unused_variables,
                    clippy::cast_precision_loss,
                    clippy::cast_lossless,
                    clippy::unnecessary_cast
                )]
                fn collect(
                    &self,
                    __out: &mut #krate::CollectorEncoder<'_>,
                    __base: #usize_ty,
                    __labels: &mut #p::String,
                ) {
                    #save_labels
                    #(#push_labels)*
                    #(#collect)*
                    #restore_labels
                }
            }

            #[automatically_derived]
            #[allow(dead_code)]
            impl #impl_generics #ident #ty_generics #where_clause {
                /// Registers the group in the registry: at every scrape, its value is read
                /// from the source (an `Arc<Mutex<Self>>`, `Arc<RwLock<Self>>`, `Arc<Self>`,
                /// or `promforge::FromFn` around a closure returning one) and written as
                /// metrics. Returns the families' full names.
                ///
                /// # Errors
                ///
                /// A name that is invalid or already taken in the registry (then nothing is
                /// registered).
                #vis fn register_snapshot<__PromforgeSource: #group::SnapshotSource<Self>>(
                    __registry: &#p::Registry,
                    __source: __PromforgeSource,
                ) -> #result {
                    #group::register_snapshot::<Self, __PromforgeSource>(__registry, __source)
                }
            }
        };
    }
}

/// The expressions of a summary's sum (in the base unit) and count, as `f64`s.
fn aggregate(summary: &AggregateSummary<'_>) -> (TokenStream, TokenStream) {
    let read = |field: &AggregateField<'_>| {
        let member = field.member;
        let span = field.ty.span();
        if field.duration {
            quote_spanned!(span=> ::core::time::Duration::as_secs_f64(&self.#member))
        } else if field.is_f64 {
            quote!(self.#member)
        } else {
            quote_spanned!(span=> self.#member as ::core::primitive::f64)
        }
    };
    let count = read(&summary.count);
    let raw = read(&summary.sum);
    let raw = if summary.avg {
        quote!(#raw * #count)
    } else {
        raw
    };
    let sum = match summary.scale {
        Scale::ONE => raw,
        // `x / 1000` is the correctly rounded result; `x * 0.001` may be off by one ulp
        // (and then prints as `0.15000000000000002`).
        Scale::Per(divisor) => {
            let divisor = float(divisor);
            quote!(#raw / #divisor)
        }
        Scale::Times(factor) => {
            let factor = float(factor);
            quote!(#raw * #factor)
        }
    };
    (sum, count)
}

/// `Scale::Times(…)` or `Scale::Per(…)`, as the runtime's `SnapshotValue::write` takes it.
fn scale_tokens(group: &TokenStream, scale: Scale) -> TokenStream {
    match scale {
        Scale::Times(factor) => {
            let factor = float(factor);
            quote!(#group::Scale::Times(#factor))
        }
        Scale::Per(divisor) => {
            let divisor = float(divisor);
            quote!(#group::Scale::Per(#divisor))
        }
    }
}
