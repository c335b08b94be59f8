//! Procedural macros of [promforge](https://docs.rs/promforge). This crate is an
//! implementation detail: depend on `promforge`, which re-exports what is here.
//!
//! Every macro names the runtime through `::promforge::__private` (or the path given with
//! `#[label(crate = "…")]`), so the user's own `Option`, `String` or `LabelValue` never
//! change what the generated code means.

use proc_macro::TokenStream;
use syn::{DeriveInput, parse_macro_input};

mod ctxt;
mod krate;
mod labels;
mod names;
mod symbol;

/// Derives `promforge::LabelValue` for an enum of unit variants: each variant is one value
/// of a label, so the type is closed (its cardinality is the number of variants and a value's
/// index is its variant's position).
///
/// Values are the variant names in `snake_case` (`ServerError` → `server_error`,
/// `HTTPError` → `http_error`). Attributes:
///
/// - on the enum, `#[label(rename_all = "…")]`: one of `"snake_case"`, `"lowercase"`,
///   `"UPPERCASE"`, `"SCREAMING_SNAKE_CASE"`, `"kebab-case"`, `"camelCase"`,
///   `"PascalCase"` (the name as written);
/// - on the enum, `#[label(crate = "path")]`: where promforge is, if not `::promforge`;
/// - on a variant, `#[label(rename = "…")]`: that variant's value (not empty).
///
/// Two variants may not render to the same value.
#[proc_macro_derive(LabelValue, attributes(label))]
pub fn derive_label_value(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    labels::value::expand(&input).into()
}

/// Derives `promforge::LabelSet` for a struct whose fields are labels: the label names are
/// the field names, the values the fields' `LabelValue`s.
///
/// - a struct with named fields: one label per field, in order; the set is closed when every
///   field's type is;
/// - a unit struct: the empty set;
/// - a tuple struct of one field: a newtype of another `LabelSet`, which it delegates to.
///
/// Attributes: on a field, `#[label(rename = "…")]` (the label's name); on the struct,
/// `#[label(crate = "path")]`. Names are checked at compile time: `[a-zA-Z_][a-zA-Z0-9_]*`,
/// not starting with `__`, not `le` or `quantile` (written by histograms and summaries),
/// and no two fields with the same name.
#[proc_macro_derive(LabelSet, attributes(label))]
pub fn derive_label_set(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    labels::set::expand(&input).into()
}
