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
/// `exemplars = false`: an instrumented function's durations keep no automatic exemplar.
pub(crate) const EXEMPLARS: Symbol = Symbol("exemplars");
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
/// `buckets = exponential(start, factor, count)`: bounds computed at compile time.
pub(crate) const EXPONENTIAL: Symbol = Symbol("exponential");
/// `buckets = linear(start, width, count)`: bounds computed at compile time.
pub(crate) const LINEAR: Symbol = Symbol("linear");
/// `summary` or `summary(quantiles = …, max_age = …, age_buckets = …)`: durations recorded
/// in a summary (quantiles over a sliding window) instead of a histogram.
pub(crate) const SUMMARY: Symbol = Symbol("summary");
/// `quantiles = [0.5, 0.99]`: the quantiles a summary reports.
pub(crate) const QUANTILES: Symbol = Symbol("quantiles");
/// `max_age = "5m"`: how far back a summary's quantiles look.
pub(crate) const MAX_AGE: Symbol = Symbol("max_age");
/// `age_buckets = 5`: in how many slices a summary keeps its window.
pub(crate) const AGE_BUCKETS: Symbol = Symbol("age_buckets");
/// `native` or `native(bucket_factor = …, zero_threshold = …, max_buckets = …)`: durations
/// recorded in a native histogram.
pub(crate) const NATIVE: Symbol = Symbol("native");
/// `bucket_factor = 1.1`: the largest ratio between neighbouring native buckets.
pub(crate) const BUCKET_FACTOR: Symbol = Symbol("bucket_factor");
/// `zero_threshold = 1e-9`: values this close to 0 go in the zero bucket.
pub(crate) const ZERO_THRESHOLD: Symbol = Symbol("zero_threshold");
/// `max_buckets = 160`: how many native buckets are kept at most.
pub(crate) const MAX_BUCKETS: Symbol = Symbol("max_buckets");

impl Symbol {
    /// A symbol (for the tables of each macro).
    pub(crate) const fn new(text: &'static str) -> Self {
        Self(text)
    }

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

/// The symbol of `symbols` closest to a misspelled `word` (at most two edits away), if any.
pub(crate) fn closest(word: &str, symbols: &[Symbol]) -> Option<Symbol> {
    symbols
        .iter()
        .map(|&symbol| (edit_distance(word, symbol.as_str()), symbol))
        .filter(|&(distance, _)| distance <= 2 && distance < word.len())
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, symbol)| symbol)
}

/// Levenshtein distance between two short ASCII-ish words.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = Vec::with_capacity(b.len() + 1);
        current.push(i + 1);
        for (j, &cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            let insertion = current[j] + 1;
            let deletion = previous[j + 1] + 1;
            current.push(substitution.min(insertion).min(deletion));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_edit_distances() {
        assert_eq!(list(&[NAME]), "`name`");
        assert_eq!(list(&[NAME, PREFIX, CRATE]), "`name`, `prefix` or `crate`");
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(closest("nmae", &[NAME, PREFIX]), Some(NAME));
        assert_eq!(closest("x", &[NAME]), None);
    }
}
