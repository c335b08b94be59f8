//! What `#[instrument_metrics]` expands to: a call site resolved once, a guard per call.
//!
//! Every instrumented function shares three families (names compatible with autometrics'
//! dashboards), in the registry and under the prefix its attribute names:
//!
//! | family | type | labels |
//! |---|---|---|
//! | `function_calls_total` | counter | `function`, `module`, `result` (`ok`, `error`, `cancelled`, `panic`), `error` |
//! | `function_calls_duration_seconds` | histogram ([`BUCKETS_LATENCY`]) | `function`, `module` |
//! | `function_calls_concurrent` | gauge | `function`, `module` |
//!
//! With `name = "x"` a function gets families of its own: `x_calls_total`,
//! `x_duration_seconds`, `x_in_flight`, which may carry extra labels from its arguments.
//! With `summary` too, `x_duration_seconds` is a [`Summary`](crate::Summary) (quantiles over a sliding
//! window, `quantile` label, `_sum`, `_count`) instead of a histogram. The first call site
//! of a name to run makes its families: two functions sharing a name share its layout.
//!
//! The cost of a call: on the first call of a call site, its series are looked up once and
//! kept in a `static`; every call after that is two clock reads and a few writes to cells
//! that belong to the calling thread (no formatting, hashing, allocation, lock or locked
//! instruction; threads calling the same function share no cache line). A scrape adds
//! every thread's cells up. The cells take 256 bytes per function per thread that called
//! it (a thread that exits leaves its cells, with their counts, to the next one started).
//! A function with `labels(…)` also finds its call's label set in its families at every
//! call: for labels of open types (strings, integers) a hash and the family's read lock
//! (its write lock the first time a label set is seen); a `summary` duration takes the
//! summary's mutex.
//!
//! **The `function` label** is the function's name for a free function (`load_config`),
//! and `Type::method` for a method or associated function (`Webhook::execute`), with the
//! type's path and generic parameters left out (`impl<T> Queue<T>` gives `Queue::push`),
//! so methods of the same name in different impls count apart. With the attribute on the
//! impl block the type is known at compile time; with the attribute on a single method it
//! is read at the method's first call (`type_name::<Self>`) when the method takes `self`;
//! an associated function without `self` whose attribute is its own keeps its plain name
//! (put the attribute on the impl block to qualify it). `module` is `module_path!()`.
//!
//! **Series before the first call.** Every call site is collected at link time (the
//! `inventory` crate: Linux, macOS, Windows, the BSDs, Android, iOS and wasm), and a
//! registry's first render makes the series of every function instrumented into it, at 0:
//! an alert or dashboard sees a function that has not run yet. Not collected (their series
//! appear at their first call): methods whose type is read at the first call (above), and
//! sites whose `registry = …` is not a path to a static or constant (an argument, a call).
//! Series with labels taken from the arguments exist per label set, from its first call.
//!
//! **Results.** A call that returns is `ok`, or `error` for an `Err` (with the variant in
//! `error` when the error type is a closed [`LabelValue`](crate::LabelValue) enum); a call that unwinds is
//! `panic`; a future dropped before it completes is `cancelled`. An `async fn`'s body starts
//! at the future's first poll, and so does the call: a future dropped before it was ever
//! polled ran nothing and records nothing (not even `cancelled`). The guard records from
//! `Drop`.
//!
//! **Exemplars.** With feature `opentelemetry` (or a source set with
//! [`set_exemplar_source`](crate::metrics::set_exemplar_source)), a call's duration made
//! inside a sampled span keeps the span's `trace_id` and `span_id` as its bucket's exemplar
//! (shown in OpenMetrics output). `#[instrument_metrics(exemplars = false)]` turns that off
//! for one function.

pub use crate::metrics::{BUCKETS_HTTP, BUCKETS_LATENCY};

/// How a call ended: the `result` label of `function_calls_total`.
#[doc(hidden)]
#[derive(crate::LabelValue, Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallResult {
    /// Returned normally (for a `Result`, an `Ok`).
    Ok,
    /// Returned an `Err`.
    Error,
    /// A future dropped before it completed.
    Cancelled,
    /// Unwound from a panic.
    Panic,
}

impl CallResult {
    /// Every result, in the order of their index.
    pub const ALL: [CallResult; 4] = [Self::Ok, Self::Error, Self::Cancelled, Self::Panic];
}

// The support generated code names, re-exported only under `promforge::__private`.
pub(crate) mod guard;
pub(crate) mod labeled;
pub(crate) mod outcome;
mod shared;
pub(crate) mod site;
#[cfg(test)]
mod tests;
