//! The one table of cases for the rules: this crate tests its functions with it, and
//! `promforge` and `promforge-macros` each test their own entry points with it (the
//! registry, families and bucket generators; the derives and the attribute), so that a
//! rule changed here is checked on both sides.

use crate::Generator;

/// A name and whether it is a valid metric name, label name, and user label name.
#[derive(Clone, Copy, Debug)]
pub struct NameCase {
    /// The name.
    pub name: &'static str,
    /// Valid as a metric name.
    pub metric: bool,
    /// Valid as a label name (Prometheus' rule).
    pub label: bool,
    /// Valid as a label a user names (not `le`, not `quantile`).
    pub user_label: bool,
}

const fn name(name: &'static str, metric: bool, label: bool, user_label: bool) -> NameCase {
    NameCase {
        name,
        metric,
        label,
        user_label,
    }
}

/// Names, valid and not.
pub const NAMES: &[NameCase] = &[
    name("a", true, true, true),
    name("_a", true, true, true),
    name("A_B9", true, true, true),
    name("http_requests_total", true, true, true),
    name(":a", true, false, false),
    name("a:b", true, false, false),
    name("a_b:c9", true, false, false),
    name("_", true, true, true),
    name("", false, false, false),
    name("9a", false, false, false),
    name("5xx", false, false, false),
    name("a-b", false, false, false),
    name("a b", false, false, false),
    name("a.b", false, false, false),
    name("é", false, false, false),
    name("größe", false, false, false),
    name("__name__", true, false, false),
    name("__x", true, false, false),
    name("__", true, false, false),
    name("le", true, true, false),
    name("quantile", true, true, false),
    name("LE", true, true, true),
    name("les", true, true, true),
];

/// `(prefix, name, joined)`.
pub const JOINS: &[(&str, &str, &str)] = &[
    ("", "x", "x"),
    ("a", "", "a"),
    ("", "", ""),
    ("a", "x", "a_x"),
    ("a_", "x", "a_x"),
    ("a__", "x", "a_x"),
    ("app", "5xx", "app_5xx"),
];

/// `(counter name, exposed name)`.
pub const COUNTERS: &[(&str, &str)] = &[
    ("requests", "requests_total"),
    ("requests_total", "requests_total"),
    ("total", "total_total"),
    ("requests_totals", "requests_totals_total"),
];

/// `(gauge name, refused suffix)`.
pub const GAUGES: &[(&str, Option<&str>)] = &[
    ("queue_depth", None),
    ("jobs_total", Some("_total")),
    ("jobs_count", Some("_count")),
    ("latency_sum", Some("_sum")),
    ("latency_bucket", Some("_bucket")),
    ("_total", None),
    ("totals", None),
];

/// `(#[instrument_metrics] name, refused suffix)`.
pub const INSTRUMENT_NAMES: &[(&str, Option<&str>)] = &[
    ("checkout", None),
    ("checkout_calls_total", Some("_calls_total")),
    ("checkout_calls", Some("_calls")),
    ("checkout_total", Some("_total")),
    ("checkout_duration_seconds", Some("_duration_seconds")),
    ("checkout_duration", Some("_duration")),
    ("checkout_seconds", Some("_seconds")),
    ("checkout_in_flight", Some("_in_flight")),
    ("_total", None),
];

/// A histogram's bounds, written or computed.
#[derive(Clone, Copy, Debug)]
pub enum BucketCase {
    /// Bounds as written, and whether they are valid.
    List {
        /// The bounds.
        bounds: &'static [f64],
        /// Whether they are accepted.
        ok: bool,
    },
    /// A generator's arguments, and the bounds it makes (`None`: refused).
    Generated {
        /// Which generator.
        generator: Generator,
        /// Its start.
        start: f64,
        /// Its factor or width.
        step: f64,
        /// Its count.
        count: usize,
        /// The bounds, or `None` if the arguments are refused.
        expected: Option<&'static [f64]>,
    },
}

const fn list(bounds: &'static [f64], ok: bool) -> BucketCase {
    BucketCase::List { bounds, ok }
}

const fn generated(
    generator: Generator,
    start: f64,
    step: f64,
    count: usize,
    expected: Option<&'static [f64]>,
) -> BucketCase {
    BucketCase::Generated {
        generator,
        start,
        step,
        count,
        expected,
    }
}

use Generator::{Exponential, Linear};

/// Bucket cases.
pub const BUCKETS: &[BucketCase] = &[
    list(&[0.005, 0.01, 1.0], true),
    list(&[-1.0, 0.5, 1e3], true),
    list(&[1.0], true),
    list(&[], false),
    list(&[1.0, 1.0], false),
    list(&[1.0, 0.5], false),
    list(&[1.0, f64::INFINITY, 2.0], false),
    list(&[f64::NAN], false),
    list(&[f64::NEG_INFINITY, 1.0], false),
    generated(
        Exponential,
        0.001,
        2.0,
        10,
        Some(&[
            0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512,
        ]),
    ),
    generated(Exponential, 1.0, 10.0, 3, Some(&[1.0, 10.0, 100.0])),
    generated(
        Exponential,
        0.001,
        1.5,
        4,
        Some(&[0.001, 0.0015, 0.00225, 0.003375]),
    ),
    generated(Linear, 0.1, 0.1, 5, Some(&[0.1, 0.2, 0.3, 0.4, 0.5])),
    generated(Linear, -1.0, 0.5, 3, Some(&[-1.0, -0.5, 0.0])),
    generated(Linear, 0.0, 1.0, 1, Some(&[0.0])),
    generated(Exponential, 0.0, 2.0, 3, None),
    generated(Exponential, -1.0, 2.0, 3, None),
    generated(Exponential, 1.0, 1.0, 3, None),
    generated(Exponential, 1.0, 0.5, 3, None),
    generated(Exponential, 1.0, 2.0, 0, None),
    generated(Exponential, 1.0, 2.0, 1001, None),
    generated(Exponential, 1e300, 10.0, 20, None),
    generated(Exponential, 1.0, 1.000000000000001, 20, None),
    generated(Linear, 0.0, 0.0, 3, None),
    generated(Linear, 0.0, -1.0, 3, None),
    generated(Linear, 0.0, 1.0, 0, None),
    generated(Linear, 0.0, 1.0, 1001, None),
    generated(Linear, 1e16, 1.0, 2, None),
];

/// `(quantile, valid)`.
pub const QUANTILES: &[(f64, bool)] = &[
    (0.5, true),
    (0.99, true),
    (0.001, true),
    (0.0, false),
    (1.0, false),
    (-0.5, false),
    (1.5, false),
    (f64::NAN, false),
];

/// `(age_buckets, valid)`.
pub const AGE_BUCKETS: &[(usize, bool)] = &[
    (1, true),
    (5, true),
    (1000, true),
    (0, false),
    (1001, false),
];
