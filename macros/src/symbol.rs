//! The attribute names and keys the macros understand, in one table.

use std::fmt::{self, Display};

use syn::{Ident, Path};

/// An attribute name or key, compared with the identifiers of the user's attributes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Symbol(&'static str);

/// `#[label(…)]`: the attribute of `LabelValue` and `LabelSet`.
pub(crate) const LABEL: Symbol = Symbol("label");
/// `crate = "path"`: where the runtime crate is, if not `::promforge`.
pub(crate) const CRATE: Symbol = Symbol("crate");
/// `rename = "…"`: a variant's label value, or a field's label name.
pub(crate) const RENAME: Symbol = Symbol("rename");
/// `rename_all = "…"`: the case rule of an enum's label values.
pub(crate) const RENAME_ALL: Symbol = Symbol("rename_all");

/// `#[instrument_metrics(…)]`: the attribute, as the last segment of its path.
pub(crate) const INSTRUMENT_METRICS: Symbol = Symbol("instrument_metrics");
/// `prefix = "…"`: the prefix of the families an instrumented function records in.
pub(crate) const PREFIX: Symbol = Symbol("prefix");
/// `name = "…"`: an instrumented function's own families (`<name>_calls_total`, …).
pub(crate) const NAME: Symbol = Symbol("name");
/// `labels(ident = expr, …)`: labels taken from an instrumented function's arguments.
pub(crate) const LABELS: Symbol = Symbol("labels");
/// `buckets = [f64, …]` or `buckets = <preset>`: the duration histogram's bounds.
pub(crate) const BUCKETS: Symbol = Symbol("buckets");
/// `skip(calls, duration, in_flight)`: metrics not recorded; plain `skip`: a method left alone.
pub(crate) const SKIP: Symbol = Symbol("skip");
/// `registry = expr`: the registry an instrumented function records in.
pub(crate) const REGISTRY: Symbol = Symbol("registry");
/// `skip(calls)`: calls are not counted.
pub(crate) const CALLS: Symbol = Symbol("calls");
/// `skip(duration)`: durations are not recorded.
pub(crate) const DURATION: Symbol = Symbol("duration");
/// `skip(in_flight)`: calls in progress are not tracked.
pub(crate) const IN_FLIGHT: Symbol = Symbol("in_flight");
/// `buckets = latency`: function latencies, 1 ms to 10 s.
pub(crate) const LATENCY: Symbol = Symbol("latency");
/// `buckets = http`: HTTP request latencies, 10 ms to 10 s.
pub(crate) const HTTP: Symbol = Symbol("http");

impl Symbol {
    /// The symbol's text.
    pub(crate) const fn as_str(self) -> &'static str {
        self.0
    }
}

impl Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl PartialEq<Symbol> for Ident {
    fn eq(&self, word: &Symbol) -> bool {
        self == word.0
    }
}

impl PartialEq<Symbol> for &Ident {
    fn eq(&self, word: &Symbol) -> bool {
        *self == word.0
    }
}

impl PartialEq<Symbol> for Path {
    fn eq(&self, word: &Symbol) -> bool {
        self.is_ident(word.0)
    }
}

impl PartialEq<Symbol> for &Path {
    fn eq(&self, word: &Symbol) -> bool {
        self.is_ident(word.0)
    }
}

/// Lists symbols for an error message: `` `a`, `b` or `c` ``.
pub(crate) fn list(symbols: &[Symbol]) -> String {
    let mut out = String::new();
    for (i, symbol) in symbols.iter().enumerate() {
        if i > 0 {
            out.push_str(if i + 1 == symbols.len() { " or " } else { ", " });
        }
        out.push('`');
        out.push_str(symbol.as_str());
        out.push('`');
    }
    out
}
