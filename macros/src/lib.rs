//! Procedural macros of [promforge](https://docs.rs/promforge). This crate is an
//! implementation detail: depend on `promforge`, which re-exports what is here.
//!
//! Every macro names the runtime through `::promforge::__private` (or the path given with
//! `#[label(crate = "…")]` / `#[instrument_metrics(crate = "…")]`), so the user's own
//! `Option`, `String` or `LabelValue` never change what the generated code means.

use proc_macro::TokenStream;
use syn::{DeriveInput, parse_macro_input};

mod attr_util;
mod ctxt;
mod generics;
mod instrument;
mod krate;
mod labels;
mod metric_options;
mod metrics_group;
mod names;
#[cfg(test)]
mod rules_table;
mod symbol;
#[cfg(test)]
mod test_util;

/// (`#[derive(LabelValue)]` is implemented in `promforge-macros`; its documentation, with an
/// example per attribute, is on `promforge::LabelValue`, where `promforge` re-exports it.)
#[proc_macro_derive(LabelValue, attributes(label))]
pub fn derive_label_value(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    labels::value::expand(&input).into()
}

/// (`#[derive(LabelSet)]` is implemented in `promforge-macros`; its documentation, with an
/// example per attribute, is on `promforge::LabelSet`, where `promforge` re-exports it.)
#[proc_macro_derive(LabelSet, attributes(label))]
pub fn derive_label_set(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    labels::set::expand(&input).into()
}

/// (`#[instrument_metrics]` is implemented in `promforge-macros`; its documentation, with an
/// example per option, is on `promforge::instrument_metrics`, where `promforge` re-exports
/// it.)
#[proc_macro_attribute]
pub fn instrument_metrics(args: TokenStream, item: TokenStream) -> TokenStream {
    instrument::expand(args.into(), item.into()).into()
}

/// (`#[derive(MetricsGroup)]` is implemented in `promforge-macros`; its documentation, with
/// an example per attribute, is on `promforge::MetricsGroup`, where `promforge` re-exports
/// it.)
#[proc_macro_derive(MetricsGroup, attributes(metrics, metric))]
pub fn derive_metrics_group(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    metrics_group::expand(&input).into()
}
