//! The Prometheus naming and bucket rules of [promforge](https://docs.rs/promforge), in one
//! place for its two crates: `promforge-macros` checks them at compile time (the attributes'
//! names, labels and bucket literals), `promforge` at run time (the registry, families,
//! `linear_buckets`, …). Both call these functions, so the compile-time check and the
//! run-time one cannot disagree. This crate is an implementation detail: depend on
//! `promforge`.
//!
//! Dependency-free and pure: each crate turns the errors here into its own (a `syn::Error`
//! on the user's token, a `promforge::Error`). [`table`] holds the cases both crates test
//! their entry points with.

use std::fmt;

pub mod table;

// ---------------------------------------------------------------------------------------
// Names

/// Why a metric name is refused: Prometheus metric names match `[a-zA-Z_:][a-zA-Z0-9_:]*`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum MetricNameError {
    /// The name is empty.
    Empty,
    /// The first character is not a letter, `_` or `:` (a digit, say).
    First,
    /// A character other than an ASCII letter, digit, `_` or `:`.
    Char,
}

impl MetricNameError {
    /// The rule broken, as a clause (`"the name is empty"`).
    pub fn reason(self) -> &'static str {
        match self {
            Self::Empty => "the name is empty",
            Self::First => "it must start with a letter, `_` or `:`",
            Self::Char => "only ASCII letters, digits, `_` and `:` are allowed",
        }
    }
}

/// Why a label name is refused: Prometheus label names match `[a-zA-Z_][a-zA-Z0-9_]*` and
/// do not start with `__`; the labels a user writes are not `le` or `quantile` either.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum LabelNameError {
    /// The name is empty.
    Empty,
    /// The first character is not a letter or `_`.
    First,
    /// A character other than an ASCII letter, digit or `_`.
    Char,
    /// The name starts with `__`, reserved for Prometheus' own labels (`__name__`).
    DoubleUnderscore,
    /// `le` or `quantile` ([`RESERVED_LABELS`]): histograms and summaries write them.
    Reserved,
}

impl LabelNameError {
    /// The rule broken, as a clause.
    pub fn reason(self) -> &'static str {
        match self {
            Self::Empty => "the name is empty",
            Self::First => "it must start with a letter or `_`",
            Self::Char => "only ASCII letters, digits and `_` are allowed",
            Self::DoubleUnderscore => "names starting with `__` are reserved for Prometheus",
            Self::Reserved => {
                "`le` and `quantile` are written by histograms and summaries themselves"
            }
        }
    }
}

/// The label names histograms (`le`, a bucket's upper bound) and summaries (`quantile`)
/// write on their samples, so a user's label may not take them.
pub const RESERVED_LABELS: [&str; 2] = ["le", "quantile"];

/// Checks a metric name against `[a-zA-Z_:][a-zA-Z0-9_:]*`.
pub fn check_metric_name(name: &str) -> Result<(), MetricNameError> {
    let mut bytes = name.bytes();
    match bytes.next() {
        None => return Err(MetricNameError::Empty),
        Some(b) if !(b.is_ascii_alphabetic() || b == b'_' || b == b':') => {
            return Err(MetricNameError::First);
        }
        Some(_) => {}
    }
    if bytes.any(|b| !(b.is_ascii_alphanumeric() || b == b'_' || b == b':')) {
        return Err(MetricNameError::Char);
    }
    Ok(())
}

/// Checks a label name against `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__`.
pub fn check_label_name(name: &str) -> Result<(), LabelNameError> {
    let mut bytes = name.bytes();
    match bytes.next() {
        None => return Err(LabelNameError::Empty),
        Some(b) if !(b.is_ascii_alphabetic() || b == b'_') => {
            return Err(LabelNameError::First);
        }
        Some(_) => {}
    }
    if bytes.any(|b| !(b.is_ascii_alphanumeric() || b == b'_')) {
        return Err(LabelNameError::Char);
    }
    if name.starts_with("__") {
        return Err(LabelNameError::DoubleUnderscore);
    }
    Ok(())
}

/// [`check_label_name`], and not one of [`RESERVED_LABELS`]: the rule for every label a user
/// names (label sets, families, constant labels).
pub fn check_user_label_name(name: &str) -> Result<(), LabelNameError> {
    check_label_name(name)?;
    if RESERVED_LABELS.contains(&name) {
        return Err(LabelNameError::Reserved);
    }
    Ok(())
}

/// Checks a metric name under UTF-8 names (Prometheus 3, a registry's `utf8_names`): any
/// non-empty string.
pub fn check_utf8_metric_name(name: &str) -> Result<(), MetricNameError> {
    if name.is_empty() {
        return Err(MetricNameError::Empty);
    }
    Ok(())
}

/// Checks a label a user names under UTF-8 names: any non-empty string not starting with
/// `__` (nor escaping to a name that does, such as `ü_x` → `__x`, which an older scraper
/// would drop as reserved) and not one of [`RESERVED_LABELS`].
pub fn check_utf8_user_label_name(name: &str) -> Result<(), LabelNameError> {
    if name.is_empty() {
        return Err(LabelNameError::Empty);
    }
    if escape_label_name(name).starts_with("__") {
        return Err(LabelNameError::DoubleUnderscore);
    }
    if RESERVED_LABELS.contains(&name) {
        return Err(LabelNameError::Reserved);
    }
    Ok(())
}

/// A metric name in the legacy character set, by Prometheus' `underscores` escaping
/// (client_golang's `model.EscapeName(name, model.UnderscoreEscaping)`): a legacy-valid
/// name is returned as it is; otherwise every character (not byte) outside
/// `[a-zA-Z_:]` first, `[a-zA-Z0-9_:]` after, becomes `_`.
pub fn escape_metric_name(name: &str) -> std::borrow::Cow<'_, str> {
    escape_underscores(name, true)
}

/// A label name in the legacy character set: [`escape_metric_name`]'s scheme, with `:`
/// escaped too (a label name may not contain it, so the result is always a valid label
/// name, where client_golang's would keep the `:`).
pub fn escape_label_name(name: &str) -> std::borrow::Cow<'_, str> {
    escape_underscores(name, false)
}

fn escape_underscores(name: &str, colon: bool) -> std::borrow::Cow<'_, str> {
    let valid = |i: usize, c: char| {
        c.is_ascii_alphabetic() || c == '_' || (colon && c == ':') || (i > 0 && c.is_ascii_digit())
    };
    if name.chars().enumerate().all(|(i, c)| valid(i, c)) {
        return std::borrow::Cow::Borrowed(name);
    }
    std::borrow::Cow::Owned(
        name.chars()
            .enumerate()
            .map(|(i, c)| if valid(i, c) { c } else { '_' })
            .collect(),
    )
}

/// Joins a prefix and a name with one `_` (a trailing `_` of the prefix is not doubled);
/// either may be empty. How a group's prefix, and a nested group's, join its field names.
pub fn join_name(prefix: &str, name: &str) -> String {
    match (prefix.is_empty(), name.is_empty()) {
        (true, _) => name.to_owned(),
        (_, true) => prefix.to_owned(),
        _ => format!("{}_{}", prefix.trim_end_matches('_'), name),
    }
}

// ---------------------------------------------------------------------------------------
// Suffixes

/// The suffix of a counter's name: added to it when the name does not end with it.
pub const COUNTER_SUFFIX: &str = "_total";

/// The suffixes of a histogram's sample names, after the family's name.
pub const HISTOGRAM_SAMPLE_SUFFIXES: [&str; 3] = ["_bucket", "_sum", "_count"];

/// The suffixes of a summary's sample names besides the family's name (its quantiles).
pub const SUMMARY_SAMPLE_SUFFIXES: [&str; 2] = ["_sum", "_count"];

/// The endings a gauge's name may not have: a counter's (`_total`), or those of a
/// histogram's or summary's samples (promtool refuses them on a gauge).
pub const GAUGE_REFUSED_SUFFIXES: [&str; 4] = ["_total", "_count", "_sum", "_bucket"];

/// The name a counter is exposed under: `name` with [`COUNTER_SUFFIX`] added unless it
/// already ends with it.
pub fn counter_name(name: &str) -> String {
    if name.ends_with(COUNTER_SUFFIX) {
        name.to_owned()
    } else {
        format!("{name}{COUNTER_SUFFIX}")
    }
}

/// The [`GAUGE_REFUSED_SUFFIXES`] entry `name` ends with, if any (a name that is only the
/// suffix, `_total`, does not count).
pub fn gauge_refused_suffix(name: &str) -> Option<&'static str> {
    GAUGE_REFUSED_SUFFIXES
        .into_iter()
        .find(|suffix| name.len() > suffix.len() && name.ends_with(suffix))
}

/// What `#[instrument_metrics(name = "<name>")]` appends for the function's calls.
pub const CALLS_SUFFIX: &str = "_calls_total";
/// What `#[instrument_metrics(name = "<name>")]` appends for the function's durations.
pub const DURATION_SUFFIX: &str = "_duration_seconds";
/// What `#[instrument_metrics(name = "<name>")]` appends for the calls in progress.
pub const IN_FLIGHT_SUFFIX: &str = "_in_flight";

/// The endings an `#[instrument_metrics]` name may not have, since the attribute adds them
/// (or a part of them: `x_calls` would give `x_calls_calls_total`); longest first.
pub const INSTRUMENT_REFUSED_SUFFIXES: [&str; 7] = [
    CALLS_SUFFIX,
    DURATION_SUFFIX,
    IN_FLIGHT_SUFFIX,
    "_calls",
    "_duration",
    "_total",
    "_seconds",
];

/// The [`INSTRUMENT_REFUSED_SUFFIXES`] entry an instrumented function's `name` ends with.
pub fn instrument_refused_suffix(name: &str) -> Option<&'static str> {
    INSTRUMENT_REFUSED_SUFFIXES
        .into_iter()
        .find(|suffix| name.len() > suffix.len() && name.ends_with(suffix))
}

// ---------------------------------------------------------------------------------------
// Buckets

/// The most bounds a bucket generator may make.
pub const MAX_GENERATED_BOUNDS: usize = 1000;

/// Why a histogram's upper bounds are refused.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum BucketError {
    /// No bound at all (the `+Inf` bucket alone counts nothing a `_count` does not).
    Empty,
    /// Bound number `index` (from 0) is infinite or NaN.
    NotFinite {
        /// Its position.
        index: usize,
        /// The bound.
        bound: f64,
    },
    /// Bound number `index` is not greater than the one before.
    NotIncreasing {
        /// Its position.
        index: usize,
        /// The bound before it.
        before: f64,
        /// The bound.
        after: f64,
    },
    /// A generator's start: not finite, or (exponential) not greater than 0.
    Start(Generator),
    /// A generator's factor (exponential: greater than 1) or width (linear: greater than 0).
    Step(Generator),
    /// A generator's count: from 1 to [`MAX_GENERATED_BOUNDS`].
    Count(Generator),
}

impl fmt::Display for BucketError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Empty => f.write_str("at least one finite upper bound is needed"),
            Self::NotFinite { bound, .. } => write!(f, "upper bound {bound} is not finite"),
            Self::NotIncreasing { before, after, .. } => write!(
                f,
                "upper bounds must be strictly increasing, but {before} is followed by {after}"
            ),
            Self::Start(Generator::Exponential) => {
                f.write_str("the start of exponential buckets must be finite and greater than 0")
            }
            Self::Start(Generator::Linear) => {
                f.write_str("the start of linear buckets must be finite")
            }
            Self::Step(Generator::Exponential) => {
                f.write_str("the factor of exponential buckets must be finite and greater than 1")
            }
            Self::Step(Generator::Linear) => {
                f.write_str("the width of linear buckets must be finite and greater than 0")
            }
            Self::Count(generator) => write!(
                f,
                "the count of {} buckets must be from 1 to {MAX_GENERATED_BOUNDS}",
                generator.name()
            ),
        }
    }
}

/// Checks bounds one at a time, as they are written: each finite and greater than the one
/// before. [`check_bounds`] runs it over a slice; the macros run it over a literal list, to
/// report every wrong element on its own token.
#[derive(Clone, Copy, Default, Debug)]
pub struct BoundsCheck {
    previous: Option<f64>,
    count: usize,
}

impl BoundsCheck {
    /// A check that has seen no bound.
    pub fn new() -> Self {
        Self::default()
    }

    /// Checks the next bound; a refused one is not remembered (the next is compared with
    /// the last accepted).
    pub fn push(&mut self, bound: f64) -> Result<(), BucketError> {
        let index = self.count;
        self.count += 1;
        if !bound.is_finite() {
            return Err(BucketError::NotFinite { index, bound });
        }
        if let Some(before) = self.previous.filter(|&before| bound <= before) {
            return Err(BucketError::NotIncreasing {
                index,
                before,
                after: bound,
            });
        }
        self.previous = Some(bound);
        Ok(())
    }

    /// After the last bound: whether there was one.
    pub fn finish(self) -> Result<(), BucketError> {
        if self.count == 0 {
            Err(BucketError::Empty)
        } else {
            Ok(())
        }
    }
}

/// Checks a histogram's upper bounds: at least one, each finite, strictly increasing (the
/// `+Inf` bucket is always added, and is not written here).
pub fn check_bounds(bounds: &[f64]) -> Result<(), BucketError> {
    let mut check = BoundsCheck::new();
    for &bound in bounds {
        check.push(bound)?;
    }
    check.finish()
}

/// A computed bound rounded to 15 significant digits, so that it reads as it would be
/// written: `0.1 + 0.1 × 2` is `0.3`, not `0.30000000000000004` (and renders `le="0.3"`).
pub fn round_bound(bound: f64) -> f64 {
    format!("{bound:.14e}").parse().unwrap_or(bound)
}

/// A way to compute bucket bounds: `exponential(start, factor, count)` or
/// `linear(start, width, count)`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Generator {
    /// Each bound the one before times a factor (> 1), from a start > 0.
    Exponential,
    /// Each bound the one before plus a width (> 0), from any finite start.
    Linear,
}

impl Generator {
    /// `exponential` or `linear`, as the macros' attribute spells it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Exponential => "exponential",
            Self::Linear => "linear",
        }
    }

    /// Whether `start` may begin this generator's bounds.
    pub fn start_ok(self, start: f64) -> bool {
        start.is_finite() && (self == Self::Linear || start > 0.0)
    }

    /// Whether `step` may be this generator's factor (`> 1`) or width (`> 0`).
    pub fn step_ok(self, step: f64) -> bool {
        step.is_finite()
            && match self {
                Self::Exponential => step > 1.0,
                Self::Linear => step > 0.0,
            }
    }

    /// Whether the generator may make `count` bounds.
    pub fn count_ok(count: usize) -> bool {
        (1..=MAX_GENERATED_BOUNDS).contains(&count)
    }

    /// The `count` bounds, each rounded with [`round_bound`], and checked with
    /// [`check_bounds`] (a large factor overflows to infinity; a tiny width can make two
    /// rounded bounds equal).
    pub fn bounds(self, start: f64, step: f64, count: usize) -> Result<Vec<f64>, BucketError> {
        if !self.start_ok(start) {
            return Err(BucketError::Start(self));
        }
        if !self.step_ok(step) {
            return Err(BucketError::Step(self));
        }
        if !Self::count_ok(count) {
            return Err(BucketError::Count(self));
        }
        let bounds: Vec<f64> = match self {
            Self::Exponential => (0..count)
                .scan(start, |bound, _| {
                    let value = *bound;
                    *bound *= step;
                    Some(round_bound(value))
                })
                .collect(),
            Self::Linear => (0..count)
                .map(|i| round_bound(start + step * i as f64))
                .collect(),
        };
        check_bounds(&bounds)?;
        Ok(bounds)
    }
}

// ---------------------------------------------------------------------------------------
// Summaries

/// The most slices a summary's window may be kept in.
pub const MAX_AGE_BUCKETS: usize = 1000;

/// Whether `quantile` may be reported: strictly between 0 and 1 (a list also gives each
/// quantile once).
pub fn quantile_ok(quantile: f64) -> bool {
    quantile > 0.0 && quantile < 1.0
}

/// Whether a summary's window may be kept in `age_buckets` slices: from 1 to
/// [`MAX_AGE_BUCKETS`].
pub fn age_buckets_ok(age_buckets: usize) -> bool {
    (1..=MAX_AGE_BUCKETS).contains(&age_buckets)
}

#[cfg(test)]
mod tests {

    /// client_golang's `model.EscapeName(…, UnderscoreEscaping)` examples (model/metric_test.go).
    #[test]
    fn underscores_escaping_as_client_golang() {
        for (name, escaped) in [
            ("no:escaping_required", "no:escaping_required"),
            ("mysystem.prod.west.cpu.load", "mysystem_prod_west_cpu_load"),
            (
                "mysystem.prod.west.cpu.load_total",
                "mysystem_prod_west_cpu_load_total",
            ),
            ("http.status:sum", "http_status:sum"),
            ("label with 😱", "label_with__"),
            ("étiquette", "_tiquette"),
            ("0digit", "_digit"),
            ("a0", "a0"),
        ] {
            assert_eq!(escape_metric_name(name), escaped, "{name:?}");
            assert!(check_metric_name(&escape_metric_name(name)).is_ok());
        }
        assert!(matches!(
            escape_metric_name("ok_name"),
            std::borrow::Cow::Borrowed(_)
        ));
        assert_eq!(escape_label_name("http.status:sum"), "http_status_sum");
        assert_eq!(escape_label_name("label.x"), "label_x");
        assert!(check_label_name(&escape_label_name("a:ü1")).is_ok());
        assert_eq!(escape_label_name("ü:1"), "__1");
    }

    #[test]
    fn utf8_name_rules() {
        assert!(check_utf8_metric_name("my.metric 😱").is_ok());
        assert_eq!(check_utf8_metric_name(""), Err(MetricNameError::Empty));
        assert!(check_utf8_user_label_name("label.x").is_ok());
        assert_eq!(
            check_utf8_user_label_name("__x.y"),
            Err(LabelNameError::DoubleUnderscore)
        );
        assert_eq!(
            check_utf8_user_label_name("le"),
            Err(LabelNameError::Reserved)
        );
        assert_eq!(
            check_utf8_user_label_name("quantile"),
            Err(LabelNameError::Reserved)
        );
        assert_eq!(check_utf8_user_label_name(""), Err(LabelNameError::Empty));
        assert_eq!(
            check_utf8_user_label_name("ü_x"),
            Err(LabelNameError::DoubleUnderscore)
        );
        assert!(check_utf8_user_label_name("ü").is_ok());
    }
    use super::*;
    use crate::table::{self, BucketCase};

    #[test]
    fn metric_names() {
        for case in table::NAMES {
            assert_eq!(
                check_metric_name(case.name).is_ok(),
                case.metric,
                "{}",
                case.name
            );
        }
        assert_eq!(check_metric_name(""), Err(MetricNameError::Empty));
        assert_eq!(check_metric_name("9a"), Err(MetricNameError::First));
        assert_eq!(check_metric_name("a-b"), Err(MetricNameError::Char));
    }

    #[test]
    fn label_names() {
        for case in table::NAMES {
            assert_eq!(
                check_label_name(case.name).is_ok(),
                case.label,
                "{}",
                case.name
            );
            assert_eq!(
                check_user_label_name(case.name).is_ok(),
                case.user_label,
                "{}",
                case.name
            );
        }
        assert_eq!(check_label_name("a:b"), Err(LabelNameError::Char));
        assert_eq!(
            check_label_name("__x"),
            Err(LabelNameError::DoubleUnderscore)
        );
        assert_eq!(check_user_label_name("le"), Err(LabelNameError::Reserved));
        assert_eq!(check_label_name("le"), Ok(()));
    }

    #[test]
    fn joins_and_suffixes() {
        for &(prefix, name, joined) in table::JOINS {
            assert_eq!(join_name(prefix, name), joined, "{prefix} + {name}");
        }
        for &(name, exposed) in table::COUNTERS {
            assert_eq!(counter_name(name), exposed, "{name}");
        }
        for &(name, suffix) in table::GAUGES {
            assert_eq!(gauge_refused_suffix(name), suffix, "{name}");
        }
        for &(name, suffix) in table::INSTRUMENT_NAMES {
            assert_eq!(instrument_refused_suffix(name), suffix, "{name}");
        }
    }

    #[test]
    fn buckets() {
        for case in table::BUCKETS {
            match *case {
                BucketCase::List { bounds, ok } => {
                    assert_eq!(check_bounds(bounds).is_ok(), ok, "{bounds:?}");
                }
                BucketCase::Generated {
                    generator,
                    start,
                    step,
                    count,
                    expected,
                } => {
                    let bounds = generator.bounds(start, step, count).ok();
                    assert_eq!(
                        bounds.as_deref(),
                        expected,
                        "{generator:?}({start}, {step}, {count})"
                    );
                }
            }
        }
        assert_eq!(
            check_bounds(&[1.0, 0.5]),
            Err(BucketError::NotIncreasing {
                index: 1,
                before: 1.0,
                after: 0.5
            })
        );
        assert_eq!(
            Generator::Exponential.bounds(0.0, 2.0, 3),
            Err(BucketError::Start(Generator::Exponential))
        );
        assert_eq!(
            Generator::Linear.bounds(0.0, 0.0, 3),
            Err(BucketError::Step(Generator::Linear))
        );
        assert_eq!(
            Generator::Linear.bounds(0.0, 1.0, 1001),
            Err(BucketError::Count(Generator::Linear))
        );
    }

    #[test]
    fn summaries() {
        for &(quantile, ok) in table::QUANTILES {
            assert_eq!(quantile_ok(quantile), ok, "{quantile}");
        }
        for &(age_buckets, ok) in table::AGE_BUCKETS {
            assert_eq!(age_buckets_ok(age_buckets), ok, "{age_buckets}");
        }
    }

    #[test]
    fn a_refused_bound_is_not_remembered() {
        let mut check = BoundsCheck::new();
        assert_eq!(check.push(1.0), Ok(()));
        assert!(check.push(f64::NAN).is_err());
        assert!(check.push(0.5).is_err());
        assert_eq!(check.push(2.0), Ok(()));
        assert_eq!(check.finish(), Ok(()));
        assert_eq!(BoundsCheck::new().finish(), Err(BucketError::Empty));
    }
}
