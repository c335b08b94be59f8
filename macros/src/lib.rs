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

/// Records the calls of a function: how many, how they ended (`ok`, `error`, `cancelled`,
/// `panic`), how long they took, and how many are in progress. On an impl block, records
/// every method with a body (but `const fn`s, methods with an `#[instrument_metrics]` of
/// their own, and those marked `#[instrument_metrics(skip)]`, which are left alone).
///
/// Options, each at most once: `prefix = "…"`, `name = "…"` (families of the function's
/// own: `<name>_calls_total`, `<name>_duration_seconds`, `<name>_in_flight`; so a name
/// ending in `_calls`, `_total`, `_duration`, `_seconds` or `_in_flight` is refused),
/// `labels(label = argument_expr, …)`, `buckets = …` and `summary` (these three with
/// `name`), `skip(…)` with one or two of `calls`, `duration`, `in_flight` (all three would
/// record nothing), `registry = expr` (an expression that is a `Registry`, or derefs to
/// one; not a string), `crate = "path"`.
///
/// - `buckets`: `[f64, …]`, a preset (`latency`, `http`), or bounds computed at compile
///   time: `exponential(start, factor, count)` (start > 0, factor > 1) or
///   `linear(start, width, count)` (width > 0), count from 1 to 1000, each bound rounded to
///   15 significant digits as `promforge::exponential_buckets` / `linear_buckets` do.
/// - `summary`, or `summary(quantiles = [0.5, 0.99], max_age = "5m", age_buckets = 5)`:
///   `<name>_duration_seconds` is a summary (a `quantile` label, `_sum`, `_count`: quantiles
///   over a sliding window) instead of a histogram; settings left out keep the defaults of
///   `promforge::Summary` (p50, p90, p95, p99 over 10 minutes, in 5 slices). Quantiles are
///   number literals in (0, 1), each once; `max_age` is a whole number and a unit (`ms`,
///   `s`, `m`, `h`), one or more (`"1h30m"`). Not with `buckets` or `skip(duration)`.
///
/// The signature, attributes and visibility stay exactly as written; the body is wrapped.
/// An `async fn` is timed over its whole future, and a future dropped before it completes is
/// recorded as `cancelled`. A non-async function ending in `async move { … }` or
/// `Box::pin(async move { … })` (`#[async_trait]`) has that future instrumented.
#[proc_macro_attribute]
pub fn instrument_metrics(args: TokenStream, item: TokenStream) -> TokenStream {
    instrument::expand(args.into(), item.into()).into()
}

/// Derives `promforge::MetricsGroup` for a struct of metrics registered together. Each field
/// is a metric — `Counter`, `FloatCounter`, `Gauge`, `FloatGauge`, `Histogram`, `Family`,
/// `Summary` or `StateSet`, by the last segment of its type — or else a nested group. Adds
/// `register(&registry)` and, for a struct without generics, `global()` (registered in the
/// default registry on first use).
///
/// - HELP text: the first paragraph of the field's doc comment, or `help = "…"`; required.
/// - Name: `<prefix>_<field name, or name = "…">`, then `_<unit>` with `unit = "…"` (a base
///   unit: `seconds`, `bytes`, `ratio`, `volts`, `amperes`, `joules`, `grams`, `meters`,
///   `celsius`, `info`; a name ending in a non-base unit such as `_ms`, `_mb` or `_percent`
///   has that ending replaced). The registry adds `_total` to counters.
/// - On the struct, `#[metrics(prefix = "…", labels = Type, snapshot, crate = "path")]`; on
///   a field, `#[metric(name = "…", help = "…", unit = "…", buckets = …, quantiles = […],
///   max_age = "…", age_buckets = n, nested, skip)]` (`skip`: built with
///   `Default::default()`, not registered).
/// - `buckets` (a `Histogram`, or a `Family` of them): `[f64, …]`, the path of a
///   `&'static [f64]` constant, a preset (`latency`, `http`: the runtime's
///   `instrument::BUCKETS_LATENCY` / `BUCKETS_HTTP`), or `exponential(start, factor, count)`
///   / `linear(start, width, count)`, computed at compile time as in `#[instrument_metrics]`.
/// - `quantiles`, `max_age`, `age_buckets` (a `Summary`, or a `Family` of them): the
///   quantiles reported (number literals in (0, 1), each once), how far back they look
///   (`"30s"`, `"5m"`, `"1h"`, `"500ms"`, `"1h30m"`) and in how many slices the window is
///   kept; each left out keeps the default of `promforge::Summary`.
///
/// With `labels = L`, the derive also writes `<Name>Families` (one `Family<L, _>` per field,
/// itself a group), whose `for_labels(&labels)` gives the group of one label set, and
/// `<Name>::for_labels(&labels)` on process-wide families.
///
/// A nested group (a field whose type is not a metric type) is named by its own `prefix`
/// joined to the parent's; the field name is not used, so two fields of one group type are
/// refused.
///
/// With `snapshot`, the struct holds plain values (integers, floats, `bool`, `Duration`, or
/// `Option` of those; nested snapshot structs, `Option`s of them (`None` writes nothing),
/// `Vec`s and maps of them), read at every scrape from the source given to
/// `promforge::register_snapshot(&registry, source)` (an `Arc<Mutex<Stats>>`,
/// `Arc<RwLock<Stats>>`, `Arc<Stats>`, or `FromFn(closure)`), or to the same function the
/// derive adds to the struct, `Stats::register_snapshot(&registry, source)`. Field keys:
/// `counter`, `gauge` (the default), `label` (the field is a label of the struct's
/// samples), `key = "…"` (a `HashMap`/`BTreeMap`: the label of its keys; a map of nested
/// structs takes `key` and no `nested`), `labels(k = "v", …)` (fixed labels: sibling fields
/// with the same `name` share one family), `unit`, `scale` (`scale = 1024`,
/// `scale = 0.001` or `scale = "1/1000"`: a scale that is the reciprocal of a whole number
/// divides, so `250.5` µs prints as `0.0002505` seconds), `name`, `help`, `nested`, `skip`.
/// On the struct, `summary(name = "…_seconds", sum = field | avg = field, count = field,
/// scale = …, help = "…")` writes a summary's `_sum` and `_count` from aggregates (`help`
/// is required). `promforge::group` has an example of each form.
///
/// Names, units, HELP texts, duplicates, buckets and label names are checked at compile
/// time, with the error on the token at fault; so are gauges named like another type's
/// samples (`_total`, `_count`, `_sum`, `_bucket`), snapshot counters of signed integers,
/// and two nested fields of one type. Names across different nested group types are
/// checked when the group is registered.
#[proc_macro_derive(MetricsGroup, attributes(metrics, metric))]
pub fn derive_metrics_group(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    metrics_group::expand(&input).into()
}
