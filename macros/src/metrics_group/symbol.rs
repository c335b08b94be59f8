//! The attributes of `#[derive(MetricsGroup)]` and their keys, in one table.

use std::fmt::{self, Display};

use syn::Path;

/// An attribute name or key, compared with the identifiers of the user's attributes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) struct Key(&'static str);

/// `#[metrics(…)]`: the attribute on the struct.
pub(super) const METRICS: Key = Key("metrics");
/// `#[metric(…)]`: the attribute on a field.
pub(super) const METRIC: Key = Key("metric");

/// `prefix = "…"`: joined (with `_`) before the name of every metric of the struct.
pub(super) const PREFIX: Key = Key("prefix");
/// `crate = "path"`: where the runtime crate is, if not `::promforge`.
pub(super) const CRATE: Key = Key("crate");
/// `labels = Type` on a live struct: a live group made once per label set, from families
/// shared by all. `labels(name = "value", …)` on a snapshot value field: labels with fixed
/// values on its samples (fields of one name with such labels share one family).
pub(super) const LABELS: Key = Key("labels");
/// `snapshot`: a struct of plain values read at every scrape.
pub(super) const SNAPSHOT: Key = Key("snapshot");
/// `summary(name = "…", sum = field | avg = field, count = field, scale = …, help = "…")`: a
/// summary family (`_sum` and `_count`, no quantiles) from aggregates a snapshot struct keeps.
pub(super) const SUMMARY: Key = Key("summary");
/// `sum = field` in `summary(…)`: the field holding the total of the observations.
pub(super) const SUM: Key = Key("sum");
/// `avg = field` in `summary(…)`: the field holding their average (sum = avg × count).
pub(super) const AVG: Key = Key("avg");
/// `count = field` in `summary(…)`: the field holding the number of observations.
pub(super) const COUNT: Key = Key("count");

/// `name = "…"`: the metric's name (the field's name otherwise); a label field's label name.
pub(super) const NAME: Key = Key("name");
/// `help = "…"`: the HELP text (the first paragraph of the doc comment otherwise).
pub(super) const HELP: Key = Key("help");
/// `unit = "…"`: a base unit, appended to the name (`_seconds`, `_bytes`, …).
pub(super) const UNIT: Key = Key("unit");
/// `buckets = [f64, …]` or `buckets = PATH`: a histogram's upper bounds.
pub(super) const BUCKETS: Key = Key("buckets");
/// `nested`: the field is a nested group (the default for a type that is not a metric).
pub(super) const NESTED: Key = Key("nested");
/// `skip`: the field is not a metric (live groups build it with `Default::default()`).
pub(super) const SKIP: Key = Key("skip");
/// `counter`: a snapshot value exposed as a counter.
pub(super) const COUNTER: Key = Key("counter");
/// `gauge`: a snapshot value exposed as a gauge (the default).
pub(super) const GAUGE: Key = Key("gauge");
/// `label`: a snapshot field whose value is a label of every sample of the struct.
pub(super) const LABEL: Key = Key("label");
/// `key = "…"`: the label a snapshot map's keys are written in.
pub(super) const KEY: Key = Key("key");
/// `scale = <number>`: a snapshot value is multiplied by it (to reach the base unit).
pub(super) const SCALE: Key = Key("scale");

/// The keys of `#[metrics(…)]` (as listed for a live group).
pub(super) const CONTAINER_KEYS: &[Key] = &[PREFIX, SNAPSHOT, LABELS, CRATE];
/// The keys of `#[metrics(…)]` on a snapshot group.
pub(super) const SNAPSHOT_CONTAINER_KEYS: &[Key] = &[PREFIX, SNAPSHOT, SUMMARY, CRATE];
/// The keys of `#[metrics(summary(…))]`.
pub(super) const SUMMARY_KEYS: &[Key] = &[NAME, SUM, AVG, COUNT, SCALE, HELP];
/// The keys of `#[metric(…)]` in a live group.
pub(super) const LIVE_FIELD_KEYS: &[Key] = &[NAME, HELP, UNIT, BUCKETS, NESTED, SKIP];
/// The keys of `#[metric(…)]` in a snapshot group.
pub(super) const SNAPSHOT_FIELD_KEYS: &[Key] = &[
    COUNTER, GAUGE, LABEL, LABELS, KEY, NAME, HELP, UNIT, SCALE, NESTED, SKIP,
];

impl Key {
    /// The key's text.
    pub(super) const fn as_str(self) -> &'static str {
        self.0
    }
}

impl Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl PartialEq<Key> for Path {
    fn eq(&self, key: &Key) -> bool {
        self.is_ident(key.0)
    }
}

impl PartialEq<Key> for &Path {
    fn eq(&self, key: &Key) -> bool {
        self.is_ident(key.0)
    }
}

/// Lists keys for an error message: `` `a`, `b` or `c` ``.
pub(super) fn list(keys: &[Key]) -> String {
    let mut out = String::new();
    for (i, key) in keys.iter().enumerate() {
        if i > 0 {
            out.push_str(if i + 1 == keys.len() { " or " } else { ", " });
        }
        out.push('`');
        out.push_str(key.as_str());
        out.push('`');
    }
    out
}

/// The key of `keys` closest to a misspelled `word` (at most two edits away), if any.
pub(super) fn closest(word: &str, keys: &[Key]) -> Option<Key> {
    keys.iter()
        .map(|&key| (edit_distance(word, key.as_str()), key))
        .filter(|&(distance, _)| distance <= 2 && distance < word.len())
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, key)| key)
}

/// Levenshtein distance between two short ASCII-ish words.
pub(super) fn edit_distance(a: &str, b: &str) -> usize {
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
    fn lists_and_suggestions() {
        assert_eq!(list(&[NAME]), "`name`");
        assert_eq!(list(&[NAME, HELP, UNIT]), "`name`, `help` or `unit`");
        assert_eq!(closest("unti", LIVE_FIELD_KEYS), Some(UNIT));
        assert_eq!(closest("bucket", LIVE_FIELD_KEYS), Some(BUCKETS));
        assert_eq!(closest("prefx", CONTAINER_KEYS), Some(PREFIX));
        assert_eq!(closest("default", LIVE_FIELD_KEYS), None);
        assert_eq!(closest("x", LIVE_FIELD_KEYS), None);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
