//! What `#[derive(MetricsGroup)]` builds on: [`MetricsGroup`] for structs of metrics,
//! [`SnapshotGroup`] for structs of plain numbers read at every scrape.

use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use crate::Error;
use crate::collector::{Collector, CollectorEncoder, FamilyDesc};
use crate::encoding::{MetricType, push_label_pair};
use crate::family::Family;
use crate::labels::{LabelSet, LabelValue};
use crate::metrics::SummaryOptions;
use crate::metrics::{
    Counter, CounterNumber, EncodeMetric, Gauge, GaugeNumber, Histogram, Summary,
};
use crate::registry::Registry;

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
    /// A [`Summary`]'s quantiles and window (checked at compile time by the derive); the
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

/// A metric type that can be a field of a `#[derive(MetricsGroup)]` struct.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a promforge metric type",
    label = "a field whose type is named Counter, ShardedCounter, Gauge, Histogram, Family, Summary or StateSet is taken as a metric",
    note = "use promforge's metric types, or mark the field #[metric(nested)] if it is a group"
)]
pub trait GroupMetric: EncodeMetric + Clone + Sized {
    /// Makes the metric for a field.
    fn create(options: &FieldOptions) -> Result<Self, Error>;

    /// Makes the metric with default settings; never fails.
    fn create_default() -> Self;
}

impl<N: CounterNumber> GroupMetric for Counter<N> {
    fn create(_: &FieldOptions) -> Result<Self, Error> {
        Ok(Counter::new())
    }

    fn create_default() -> Self {
        Counter::new()
    }
}

impl<N: CounterNumber> GroupMetric for crate::ShardedCounter<N> {
    fn create(_: &FieldOptions) -> Result<Self, Error> {
        Ok(Self::new())
    }

    fn create_default() -> Self {
        Self::new()
    }
}

impl<N: GaugeNumber> GroupMetric for Gauge<N> {
    fn create(_: &FieldOptions) -> Result<Self, Error> {
        Ok(Gauge::new())
    }

    fn create_default() -> Self {
        Gauge::new()
    }
}

impl GroupMetric for Histogram {
    fn create(options: &FieldOptions) -> Result<Self, Error> {
        match options.buckets {
            Some(buckets) => Histogram::with_buckets(buckets),
            None => Ok(Histogram::new()),
        }
    }

    fn create_default() -> Self {
        Histogram::new()
    }
}

impl GroupMetric for Summary {
    fn create(options: &FieldOptions) -> Result<Self, Error> {
        options.summary.build()
    }

    fn create_default() -> Self {
        Self::new()
    }
}

impl<E: LabelValue + 'static> GroupMetric for crate::StateSet<E> {
    fn create(options: &FieldOptions) -> Result<Self, Error> {
        crate::StateSet::new(options.state_label.unwrap_or("state"))
    }

    fn create_default() -> Self {
        // `state` is a valid label name: this cannot fail.
        crate::StateSet::new("state").unwrap_or_else(|_| crate::StateSet::new_unchecked("state"))
    }
}

impl<L: LabelSet + 'static, M: GroupMetric> GroupMetric for Family<L, M> {
    fn create(options: &FieldOptions) -> Result<Self, Error> {
        let options = *options;
        // Check the options once; every series is then made the same way.
        M::create(&options)?;
        Ok(Family::new_with(move || {
            M::create(&options).unwrap_or_else(|_| M::create_default())
        }))
    }

    fn create_default() -> Self {
        Family::new_with(M::create_default)
    }
}

/// A struct of metrics (`#[derive(MetricsGroup)]`): every field a registered metric or a
/// nested group.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is neither a metric nor a metrics group",
    label = "not a metric (Counter, ShardedCounter, Gauge, Histogram, Family, Summary, StateSet) nor a #[derive(MetricsGroup)] struct",
    note = "give the field a metric type, derive MetricsGroup on its type, or mark it #[metric(skip)]"
)]
pub trait MetricsGroup: Sized {
    /// Registers every field in `registry` under `prefix` (joined with the struct's own
    /// prefix) and returns the group.
    fn register_in(registry: &Registry, prefix: &str) -> Result<Self, Error>;

    /// The group with metrics that are not registered anywhere (a fallback that keeps the
    /// program running when registration fails).
    fn unregistered() -> Self;
}

/// Joins two name parts with `_` (either may be empty).
pub fn join_name(prefix: &str, name: &str) -> String {
    match (prefix.is_empty(), name.is_empty()) {
        (true, _) => name.to_owned(),
        (_, true) => prefix.to_owned(),
        _ => format!("{}_{}", prefix.trim_end_matches('_'), name),
    }
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

/// A struct of plain values read at every scrape (`#[derive(MetricsGroup)]` with
/// `#[metrics(snapshot)]`).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is neither a snapshot value nor a snapshot group",
    label = "not a number, bool, Duration or Option of those, nor a #[metrics(snapshot)] struct",
    note = "derive MetricsGroup with #[metrics(snapshot)] on its type, or mark the field #[metric(skip)]"
)]
pub trait SnapshotGroup: Send + Sync + 'static {
    /// How many families [`describe`](Self::describe) adds.
    const FAMILY_COUNT: usize;

    /// Adds this struct's families (nested ones included), in a fixed order, named under
    /// `prefix`.
    fn describe(prefix: &str, out: &mut Vec<FamilyDesc>);

    /// Writes this value's samples into families `base..base + FAMILY_COUNT`, each series
    /// carrying `labels` (rendered, escaped; this struct's own label fields are appended
    /// for its samples and removed again).
    fn collect(&self, out: &mut CollectorEncoder<'_>, base: usize, labels: &mut String);
}

/// A field value of a snapshot group.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a snapshot value",
    label = "snapshot values are integers, floats, bool, Duration, or Option of those",
    note = "a struct of values is a nested group: derive MetricsGroup with #[metrics(snapshot)] on it"
)]
pub trait SnapshotValue {
    /// Writes the value, multiplied by `scale`, as one sample of `family`; `None` writes nothing.
    fn write(&self, out: &mut CollectorEncoder<'_>, family: usize, labels: &str, scale: f64);
}

macro_rules! snapshot_integers {
    ($($t:ty),*) => {$(
        impl SnapshotValue for $t {
            #[inline]
            fn write(&self, out: &mut CollectorEncoder<'_>, family: usize, labels: &str, scale: f64) {
                if scale == 1.0 {
                    out.sample(family, labels, *self as i64);
                } else {
                    out.sample(family, labels, *self as f64 * scale);
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
            fn write(&self, out: &mut CollectorEncoder<'_>, family: usize, labels: &str, scale: f64) {
                if scale == 1.0 {
                    out.sample(family, labels, *self as u64);
                } else {
                    out.sample(family, labels, *self as f64 * scale);
                }
            }
        }
    )*};
}

snapshot_unsigned!(u64, usize);

impl SnapshotValue for f64 {
    #[inline]
    fn write(&self, out: &mut CollectorEncoder<'_>, family: usize, labels: &str, scale: f64) {
        out.sample(family, labels, *self * scale);
    }
}

impl SnapshotValue for f32 {
    #[inline]
    fn write(&self, out: &mut CollectorEncoder<'_>, family: usize, labels: &str, scale: f64) {
        out.sample(family, labels, f64::from(*self) * scale);
    }
}

impl SnapshotValue for bool {
    #[inline]
    fn write(&self, out: &mut CollectorEncoder<'_>, family: usize, labels: &str, _scale: f64) {
        out.sample(family, labels, u64::from(*self));
    }
}

/// Durations are written in seconds (times `scale`).
impl SnapshotValue for Duration {
    #[inline]
    fn write(&self, out: &mut CollectorEncoder<'_>, family: usize, labels: &str, scale: f64) {
        out.sample(family, labels, self.as_secs_f64() * scale);
    }
}

impl<T: SnapshotValue> SnapshotValue for Option<T> {
    #[inline]
    fn write(&self, out: &mut CollectorEncoder<'_>, family: usize, labels: &str, scale: f64) {
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

/// Where a registered snapshot group reads its value at each scrape.
pub trait SnapshotSource<T>: Send + Sync + 'static {
    /// Calls `f` with the current value.
    fn read(&self, f: &mut dyn FnMut(&T));
}

/// A closure returning the current value (for example a copy of the program's stats).
#[derive(Debug, Clone)]
pub struct FromFn<F>(pub F);

impl<T, F> SnapshotSource<T> for FromFn<F>
where
    F: Fn() -> T + Send + Sync + 'static,
{
    fn read(&self, f: &mut dyn FnMut(&T)) {
        f(&(self.0)());
    }
}

impl<T: Send + 'static> SnapshotSource<T> for Arc<Mutex<T>> {
    fn read(&self, f: &mut dyn FnMut(&T)) {
        f(&self.lock().unwrap_or_else(PoisonError::into_inner));
    }
}

impl<T: Send + Sync + 'static> SnapshotSource<T> for Arc<RwLock<T>> {
    fn read(&self, f: &mut dyn FnMut(&T)) {
        f(&RwLock::read(self).unwrap_or_else(PoisonError::into_inner));
    }
}

impl<T: Send + Sync + 'static> SnapshotSource<T> for Arc<T> {
    fn read(&self, f: &mut dyn FnMut(&T)) {
        f(self);
    }
}

struct SnapshotCollector<T, S> {
    source: S,
    _value: std::marker::PhantomData<fn() -> T>,
}

impl<T: SnapshotGroup, S: SnapshotSource<T>> Collector for SnapshotCollector<T, S> {
    fn families(&self) -> Vec<FamilyDesc> {
        let mut out = Vec::with_capacity(T::FAMILY_COUNT);
        T::describe("", &mut out);
        out
    }

    fn collect(&self, out: &mut CollectorEncoder<'_>) {
        let mut labels = String::new();
        self.source
            .read(&mut |value| value.collect(out, 0, &mut labels));
    }
}

/// Registers a snapshot group: at every scrape its value is read from `source` (an
/// `Arc<Mutex<T>>`, `Arc<RwLock<T>>`, `Arc<T>`, or [`FromFn`] around a closure) and
/// written as metrics. Returns the families' full names.
pub fn register_snapshot<T: SnapshotGroup, S: SnapshotSource<T>>(
    registry: &Registry,
    source: S,
) -> Result<Vec<String>, Error> {
    registry.register_collector(SnapshotCollector {
        source,
        _value: std::marker::PhantomData,
    })
}

impl<T: SnapshotGroup> SnapshotGroup for Vec<T> {
    const FAMILY_COUNT: usize = T::FAMILY_COUNT;

    fn describe(prefix: &str, out: &mut Vec<FamilyDesc>) {
        T::describe(prefix, out);
    }

    fn collect(&self, out: &mut CollectorEncoder<'_>, base: usize, labels: &mut String) {
        for item in self {
            item.collect(out, base, labels);
        }
    }
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
        encoder.summary(&crate::encoding::QuantileLabels::new(&[]), [], sum, count);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_options_are_built_in_const_context() {
        const OPTIONS: FieldOptions = FieldOptions::new()
            .buckets(&[0.1, 1.0])
            .state_label("status")
            .summary(
                SummaryOptions::new()
                    .quantiles(&[0.5, 0.99])
                    .max_age(Duration::from_secs(300))
                    .age_buckets(3),
            );
        assert_eq!(OPTIONS.buckets, Some(&[0.1, 1.0][..]));
        assert_eq!(OPTIONS.state_label, Some("status"));
        assert_eq!(OPTIONS.summary.quantiles, Some(&[0.5, 0.99][..]));
        assert_eq!(OPTIONS.summary.max_age, Some(Duration::from_secs(300)));
        assert_eq!(OPTIONS.summary.age_buckets, Some(3));
        assert_eq!(FieldOptions::new(), FieldOptions::default());
    }

    #[test]
    fn summary_fields_take_their_options() -> Result<(), Error> {
        let options = FieldOptions::new()
            .summary(SummaryOptions::new().quantiles(&[0.9, 0.1]).age_buckets(2));
        let summary = Summary::create(&options)?;
        assert_eq!(summary.configured_quantiles(), [0.1, 0.9]);
        let plain = Summary::create(&FieldOptions::new())?;
        assert_eq!(
            plain.configured_quantiles(),
            crate::metrics::DEFAULT_QUANTILES
        );
        assert!(
            Summary::create(&FieldOptions::new().summary(SummaryOptions::new().quantiles(&[1.0])))
                .is_err()
        );
        // A family checks the options once, then makes every series with them.
        let family = Family::<(), Summary>::create(&options)?;
        assert_eq!(family.get(&()).configured_quantiles(), [0.1, 0.9]);
        assert!(
            Family::<(), Summary>::create(
                &FieldOptions::new().summary(SummaryOptions::new().age_buckets(0))
            )
            .is_err()
        );
        Ok(())
    }
}
