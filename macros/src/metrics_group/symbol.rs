//! The attributes of `#[derive(MetricsGroup)]` and their keys, in one table.

use crate::symbol::Symbol;
/// `quantiles = [f64, …]`, `max_age = "…"`, `age_buckets = n`: a `Summary` field's window,
/// as in `#[instrument_metrics(summary(…))]`.
pub(super) use crate::symbol::{AGE_BUCKETS, MAX_AGE, QUANTILES};
pub(super) use crate::symbol::{closest, edit_distance, list};

/// An attribute name or key, compared with the identifiers of the user's attributes.
pub(super) type Key = Symbol;

/// `#[metrics(…)]`: the attribute on the struct.
pub(super) const METRICS: Key = Symbol::new("metrics");
/// `#[metric(…)]`: the attribute on a field.
pub(super) const METRIC: Key = Symbol::new("metric");

/// `prefix = "…"`: joined (with `_`) before the name of every metric of the struct.
pub(super) const PREFIX: Key = Symbol::new("prefix");
/// `crate = "path"`: where the runtime crate is, if not `::promforge`.
pub(super) const CRATE: Key = Symbol::new("crate");
/// `labels = Type` on a live struct: a live group made once per label set, from families
/// shared by all. `labels(name = "value", …)` on a snapshot value field: labels with fixed
/// values on its samples (fields of one name with such labels share one family).
pub(super) const LABELS: Key = Symbol::new("labels");
/// `snapshot`: a struct of plain values read at every scrape.
pub(super) const SNAPSHOT: Key = Symbol::new("snapshot");
/// `summary(name = "…", sum = field | avg = field, count = field, scale = …, help = "…")`: a
/// summary family (`_sum` and `_count`, no quantiles) from aggregates a snapshot struct keeps.
pub(super) const SUMMARY: Key = Symbol::new("summary");
/// `sum = field` in `summary(…)`: the field holding the total of the observations.
pub(super) const SUM: Key = Symbol::new("sum");
/// `avg = field` in `summary(…)`: the field holding their average (sum = avg × count).
pub(super) const AVG: Key = Symbol::new("avg");
/// `count = field` in `summary(…)`: the field holding the number of observations.
pub(super) const COUNT: Key = Symbol::new("count");

/// `name = "…"`: the metric's name (the field's name otherwise); a label field's label name.
pub(super) const NAME: Key = Symbol::new("name");
/// `help = "…"`: the HELP text (the first paragraph of the doc comment otherwise).
pub(super) const HELP: Key = Symbol::new("help");
/// `unit = "…"`: a base unit, appended to the name (`_seconds`, `_bytes`, …).
pub(super) const UNIT: Key = Symbol::new("unit");
/// `buckets = [f64, …]`, `PATH`, a preset (`latency`, `http`) or `exponential(…)` /
/// `linear(…)`: a histogram's upper bounds (read by `metric_options`).
pub(super) const BUCKETS: Key = Symbol::new("buckets");
/// `native` or `native(bucket_factor = 1.05, zero_threshold = 1e-9, max_buckets = 100)`: a
/// `NativeHistogram` field's settings.
pub(super) const NATIVE: Key = Symbol::new("native");
/// `nested`: the field is a nested group (the default for a type that is not a metric).
pub(super) const NESTED: Key = Symbol::new("nested");
/// `skip`: the field is not a metric (live groups build it with `Default::default()`).
pub(super) const SKIP: Key = Symbol::new("skip");
/// `counter`: a snapshot value exposed as a counter.
pub(super) const COUNTER: Key = Symbol::new("counter");
/// `gauge`: a snapshot value exposed as a gauge (the default).
pub(super) const GAUGE: Key = Symbol::new("gauge");
/// `label`: a snapshot field whose value is a label of every sample of the struct.
pub(super) const LABEL: Key = Symbol::new("label");
/// `key = "…"`: the label a snapshot map's keys are written in.
pub(super) const KEY: Key = Symbol::new("key");
/// `scale = <number>` or `scale = "1/n"`: converts a snapshot value to the base unit (a
/// reciprocal of a whole number divides).
pub(super) const SCALE: Key = Symbol::new("scale");

/// The keys of `#[metrics(…)]` (as listed for a live group).
pub(super) const CONTAINER_KEYS: &[Key] = &[PREFIX, SNAPSHOT, LABELS, CRATE];
/// The keys of `#[metrics(…)]` on a snapshot group.
pub(super) const SNAPSHOT_CONTAINER_KEYS: &[Key] = &[PREFIX, SNAPSHOT, SUMMARY, CRATE];
/// The keys of `#[metrics(summary(…))]`.
pub(super) const SUMMARY_KEYS: &[Key] = &[NAME, SUM, AVG, COUNT, SCALE, HELP];
/// The keys of `#[metric(…)]` in a live group.
pub(super) const LIVE_FIELD_KEYS: &[Key] = &[
    NAME,
    HELP,
    UNIT,
    BUCKETS,
    QUANTILES,
    MAX_AGE,
    AGE_BUCKETS,
    NATIVE,
    NESTED,
    SKIP,
];
/// The keys of `#[metric(…)]` in a snapshot group.
pub(super) const SNAPSHOT_FIELD_KEYS: &[Key] = &[
    COUNTER, GAUGE, LABEL, LABELS, KEY, NAME, HELP, UNIT, SCALE, NESTED, SKIP,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_suggestions() {
        assert_eq!(list(&[NAME]), "`name`");
        assert_eq!(list(&[NAME, HELP, UNIT]), "`name`, `help` or `unit`");
        assert_eq!(closest("unti", LIVE_FIELD_KEYS), Some(UNIT));
        assert_eq!(closest("bucket", LIVE_FIELD_KEYS), Some(BUCKETS));
        assert_eq!(closest("prefx", CONTAINER_KEYS), Some(PREFIX));
        assert_eq!(closest("default", LIVE_FIELD_KEYS), None);
        assert_eq!(closest("x", LIVE_FIELD_KEYS), None);
    }
}
