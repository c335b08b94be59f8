//! What the derive's generated code calls: field options, registration helpers, snapshot
//! values and their scale. Named only through `promforge::__private::group`.

use std::time::Duration;

use crate::collector::{CollectorEncoder, FamilyDesc};
use crate::encoding::{MetricType, QuantileLabels, push_label_pair};
use crate::error::Error;
use crate::labels::LabelValue;
use crate::metrics::SummaryOptions;
use crate::registry::Registry;

use super::{GroupMetric, MetricsGroup, SnapshotGroup};

/// Per-field settings a [`GroupMetric`] is made with.
///
/// The derive writes them with the `const fn` setters, from [`FieldOptions::new`]
/// (`FieldOptions::new().buckets(&[0.1, 1.0]).state_label("status")`): a setting added
/// later keeps its default in code written before it, and the user's crate sees no struct
/// literal (clippy's `needless_update` has nothing to say about).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct FieldOptions {
    /// Histogram upper bounds (checked at compile time by the derive), if given.
    pub buckets: Option<&'static [f64]>,
    /// The label of a [`StateSet`](crate::StateSet) field (the derive passes the metric's
    /// name, as OpenMetrics state sets do); `state` when not given.
    pub state_label: Option<&'static str>,
    /// A [`Summary`](crate::Summary)'s quantiles and window (checked at compile time by the derive); the
    /// summary's defaults for what is not given.
    pub summary: SummaryOptions,
}

impl FieldOptions {
    /// No setting given: every metric is made with its defaults.
    pub const fn new() -> Self {
        Self {
            buckets: None,
            state_label: None,
            summary: SummaryOptions::new(),
        }
    }

    /// A histogram's upper bounds.
    #[must_use]
    pub const fn buckets(mut self, buckets: &'static [f64]) -> Self {
        self.buckets = Some(buckets);
        self
    }

    /// A state set's label.
    #[must_use]
    pub const fn state_label(mut self, label: &'static str) -> Self {
        self.state_label = Some(label);
        self
    }

    /// A summary's quantiles and window.
    #[must_use]
    pub const fn summary(mut self, summary: SummaryOptions) -> Self {
        self.summary = summary;
        self
    }
}

/// Joins two name parts with `_` (either may be empty): `promforge_rules::join_name`, the
/// join the derive checks names with at compile time.
pub fn join_name(prefix: &str, name: &str) -> String {
    promforge_rules::join_name(prefix, name)
}

/// Makes and registers one field of a live group.
pub fn register_field<M: GroupMetric>(
    registry: &Registry,
    prefix: &str,
    name: &str,
    help: &str,
    options: &FieldOptions,
) -> Result<M, Error> {
    let metric = M::create(options)?;
    registry.register(&join_name(prefix, name), help, metric.clone())?;
    Ok(metric)
}

/// Runs a group's registration all or nothing: the families it registers are added to the
/// registry together when it succeeds (a scrape sees the whole group or none of it), and
/// not at all when it fails, so the registry is as it was.
pub fn register_all<G>(
    registry: &Registry,
    register: impl FnOnce(&Registry) -> Result<G, Error>,
) -> Result<G, Error> {
    registry.batch(|| register(registry))
}

/// Makes one field of an unregistered group.
pub fn unregistered_field<M: GroupMetric>(options: &FieldOptions) -> M {
    M::create(options).unwrap_or_else(|_| M::create_default())
}

/// Reports a registration error (to the [error handler](crate::set_error_handler)) and
/// returns the unregistered group instead.
pub fn report_and_fallback<G: MetricsGroup>(error: Error) -> G {
    crate::error::report(&Error::Unexported(Box::new(error)));
    G::unregistered()
}

/// A field value of a snapshot group.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a snapshot value",
    label = "snapshot values are integers, floats, bool, Duration, or Option of those",
    note = "a struct of values is a nested group: derive MetricsGroup with #[metrics(snapshot)] on it"
)]
pub trait SnapshotValue {
    /// Writes the value, converted by `scale`, as one sample of `family`; `None` writes
    /// nothing.
    fn write(&self, out: &mut CollectorEncoder<'_>, family: usize, labels: &str, scale: Scale);
}

/// How a snapshot value is converted to the unit it is exposed in (`#[metric(scale = …)]`):
/// multiplied by a factor, or divided by a number. The derive divides when the scale is the
/// reciprocal of a whole number (`scale = 0.001`, `scale = 1e-6`, or written as a fraction,
/// `scale = "1/1000000"`): `250.5 / 1e6` is `0.0002505`, the correctly rounded result, where
/// `250.5 * 1e-6` is `0.00025049999999999996`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scale {
    /// The value is multiplied by this factor.
    Times(f64),
    /// The value is divided by this number.
    Per(f64),
}

impl Scale {
    /// No conversion.
    pub const ONE: Self = Self::Times(1.0);

    /// `value`, converted.
    #[inline]
    pub fn apply(self, value: f64) -> f64 {
        match self {
            Self::Times(factor) => value * factor,
            Self::Per(divisor) => value / divisor,
        }
    }

    /// Whether the value is written as it is.
    #[inline]
    pub fn is_one(self) -> bool {
        matches!(self, Self::Times(factor) if factor == 1.0)
    }
}

macro_rules! snapshot_integers {
    ($($t:ty),*) => {$(
        impl SnapshotValue for $t {
            #[inline]
            fn write(&self, out: &mut CollectorEncoder<'_>, family: usize, labels: &str, scale: Scale) {
                if scale.is_one() {
                    out.sample(family, labels, *self as i64);
                } else {
                    out.sample(family, labels, scale.apply(*self as f64));
                }
            }
        }
    )*};
}

snapshot_integers!(u8, u16, u32, i8, i16, i32, i64, isize);

macro_rules! snapshot_unsigned {
    ($($t:ty),*) => {$(
        impl SnapshotValue for $t {
            #[inline]
            fn write(&self, out: &mut CollectorEncoder<'_>, family: usize, labels: &str, scale: Scale) {
                if scale.is_one() {
                    out.sample(family, labels, *self as u64);
                } else {
                    out.sample(family, labels, scale.apply(*self as f64));
                }
            }
        }
    )*};
}

snapshot_unsigned!(u64, usize);

impl SnapshotValue for f64 {
    #[inline]
    fn write(&self, out: &mut CollectorEncoder<'_>, family: usize, labels: &str, scale: Scale) {
        out.sample(family, labels, scale.apply(*self));
    }
}

impl SnapshotValue for f32 {
    #[inline]
    fn write(&self, out: &mut CollectorEncoder<'_>, family: usize, labels: &str, scale: Scale) {
        out.sample(family, labels, scale.apply(f64::from(*self)));
    }
}

impl SnapshotValue for bool {
    #[inline]
    fn write(&self, out: &mut CollectorEncoder<'_>, family: usize, labels: &str, _scale: Scale) {
        out.sample(family, labels, u64::from(*self));
    }
}

/// Durations are written in seconds (converted by `scale`).
impl SnapshotValue for Duration {
    #[inline]
    fn write(&self, out: &mut CollectorEncoder<'_>, family: usize, labels: &str, scale: Scale) {
        out.sample(family, labels, scale.apply(self.as_secs_f64()));
    }
}

impl<T: SnapshotValue> SnapshotValue for Option<T> {
    #[inline]
    fn write(&self, out: &mut CollectorEncoder<'_>, family: usize, labels: &str, scale: Scale) {
        if let Some(v) = self {
            v.write(out, family, labels, scale);
        }
    }
}

/// Appends a snapshot struct's label field to the inherited labels.
#[inline]
pub fn push_label<V: LabelValue + ?Sized>(labels: &mut String, name: &str, value: &V) {
    push_label_pair(labels, name, &value.label_value());
}

/// Describes `T`'s families under `prefix` (helper for nested fields).
pub fn describe_nested<T: SnapshotGroup>(prefix: &str, out: &mut Vec<FamilyDesc>) {
    T::describe(prefix, out);
}

/// A family description for a snapshot field.
pub fn field_desc(
    prefix: &str,
    name: &str,
    help: &'static str,
    metric_type: MetricType,
) -> FamilyDesc {
    FamilyDesc::new(join_name(prefix, name), help, metric_type)
}

/// Writes one series of a summary made from aggregates a program keeps (no quantiles):
/// `<family>_sum` and `<family>_count` of family `family`, with the rendered `labels`. The
/// derive's `#[metrics(summary(…))]` calls it.
pub fn write_aggregate_summary(
    out: &mut CollectorEncoder<'_>,
    family: usize,
    labels: &str,
    sum: f64,
    count: f64,
) {
    out.with_family(family, labels, |encoder| {
        encoder.summary(&QuantileLabels::new(&[]), [], sum, count);
    });
}
