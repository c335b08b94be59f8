//! What `#[derive(MetricsGroup)]` builds on: [`MetricsGroup`] for structs of metrics,
//! [`SnapshotGroup`] for structs of plain numbers read at every scrape. The examples below
//! are the derive's forms, each checked against a real render.
//!
//! # Nested live groups
//!
//! A field whose type is not a metric type is a nested group. Its metrics are named by the
//! nested struct's own `prefix`, joined to the parent's with `_`; **the field name is not
//! used**. Two fields of the same group type would therefore write the same names, which
//! the derive refuses.
//!
//! ```
//! use promforge::{Counter, Gauge, MetricsGroup, Registry};
//!
//! #[derive(MetricsGroup)]
//! #[metrics(prefix = "cache")]
//! struct CacheMetrics {
//!     /// Lookups that found the entry.
//!     hits: Counter,
//! }
//!
//! #[derive(MetricsGroup)]
//! #[metrics(prefix = "observer")]
//! struct ObserverMetrics {
//!     /// Events waiting.
//!     queue_depth: Gauge,
//!     user_cache: CacheMetrics, // observer_cache_hits_total, not observer_user_cache_…
//! }
//!
//! # fn main() -> Result<(), promforge::Error> {
//! let registry = Registry::new();
//! let metrics = ObserverMetrics::register(&registry)?;
//! metrics.user_cache.hits.inc();
//! let text = registry.render();
//! assert!(text.contains("observer_cache_hits_total 1\n"), "{text}");
//! assert!(text.contains("observer_queue_depth 0\n"), "{text}");
//! # Ok(()) }
//! ```
//!
//! # Snapshot groups
//!
//! `#[metrics(snapshot)]` on a struct of plain values the program keeps: at every scrape
//! the value is read from the source given to [`register_snapshot`] (see there) and
//! written. A field is a gauge unless marked `counter`; `#[metric(label)]` fields label the
//! struct's samples; `unit` and `scale` convert. A scale that is the reciprocal of a whole
//! number (`scale = 0.001`, or written as a fraction, `scale = "1/1000"`) divides, so the
//! value prints as a person writes it (`0.0002505`, not `0.00025049999999999996`).
//!
//! ## Fixed labels on sibling fields: `labels(k = "v")`
//!
//! Several value fields with the same `name` and `labels(…)` write one family, one series
//! each. The first field's doc comment is the family's HELP text; all are counters or all
//! gauges, with the same label names.
//!
//! ```
//! use std::sync::Arc;
//!
//! use promforge::{MetricsGroup, Registry};
//!
//! #[derive(MetricsGroup, Default)]
//! #[metrics(prefix = "pool", snapshot)]
//! struct PoolStats {
//!     /// Workers recycled, by how the recycling ended.
//!     #[metric(counter, name = "recycles", labels(result = "completed"))]
//!     recycles_completed: u64,
//!     #[metric(counter, name = "recycles", labels(result = "failed"))]
//!     recycles_failed: u64,
//! }
//!
//! # fn main() -> Result<(), promforge::Error> {
//! let registry = Registry::new();
//! let stats = PoolStats { recycles_completed: 5, recycles_failed: 1 };
//! promforge::register_snapshot(&registry, Arc::new(stats))?;
//! let text = registry.render();
//! assert!(text.contains("pool_recycles_total{result=\"completed\"} 5\n"), "{text}");
//! assert!(text.contains("pool_recycles_total{result=\"failed\"} 1\n"), "{text}");
//! # Ok(()) }
//! ```
//!
//! ## Summaries from aggregates: `summary(name, sum | avg, count, scale, help)`
//!
//! A program that keeps a total (or an average) and a count writes them as a summary's
//! `_sum` and `_count` (no quantiles) with `#[metrics(summary(…))]` on the struct:
//! `name` (after the prefix, ending in its base unit), `sum = field` (the total) or
//! `avg = field` (the average: the sum is `avg × count`), `count = field`, an optional
//! `scale` (as for fields), and `help`, **required**: no field's doc comment could give it.
//! The fields it reads are usually `#[metric(skip)]`.
//!
//! ```
//! use std::sync::Arc;
//!
//! use promforge::{MetricsGroup, Registry};
//!
//! #[derive(MetricsGroup, Default)]
//! #[metrics(prefix = "worker", snapshot)]
//! #[metrics(summary(name = "processing_seconds", avg = avg_processing_us,
//!                   count = processed, scale = "1/1000000",
//!                   help = "Time spent processing a message."))]
//! struct WorkerStats {
//!     /// Messages processed.
//!     #[metric(counter)]
//!     processed: u64,
//!     #[metric(skip)]
//!     avg_processing_us: f64,
//! }
//!
//! # fn main() -> Result<(), promforge::Error> {
//! let registry = Registry::new();
//! let stats = WorkerStats { processed: 4, avg_processing_us: 250.0 };
//! promforge::register_snapshot(&registry, Arc::new(stats))?;
//! let text = registry.render();
//! assert!(text.contains("# TYPE worker_processing_seconds summary\n"), "{text}");
//! assert!(text.contains("worker_processing_seconds_sum 0.001\n"), "{text}");
//! assert!(text.contains("worker_processing_seconds_count 4\n"), "{text}");
//! # Ok(()) }
//! ```
//!
//! ## Nested stats: a struct, an `Option`, a `Vec`, a map
//!
//! A field whose type is another snapshot struct is nested (its families are named by its
//! own prefix joined to the parent's). An `Option` of one writes nothing while it is `None`
//! (a component that is not there); a `Vec` writes each element. A `HashMap` or `BTreeMap`
//! of nested structs takes `#[metric(key = "…")]`, the label its keys are written in, and
//! no `nested` (which is for a single struct, and only needed when its type is a
//! parameter).
//!
//! ```
//! use std::collections::BTreeMap;
//! use std::sync::{Arc, Mutex};
//!
//! use promforge::{MetricsGroup, Registry};
//!
//! #[derive(MetricsGroup, Default)]
//! #[metrics(prefix = "queue", snapshot)]
//! struct QueueStats {
//!     /// Jobs waiting.
//!     depth: u32,
//! }
//!
//! #[derive(MetricsGroup, Default)]
//! #[metrics(prefix = "cache", snapshot)]
//! struct CacheStats {
//!     /// Entries held.
//!     entries: u64,
//! }
//!
//! #[derive(MetricsGroup, Default)]
//! #[metrics(prefix = "worker", snapshot)]
//! struct WorkerStats {
//!     #[metric(key = "queue")]
//!     queues: BTreeMap<String, QueueStats>,
//!     cache: Option<CacheStats>, // no cache configured: no worker_cache_* series
//! }
//!
//! # fn main() -> Result<(), promforge::Error> {
//! let registry = Registry::new();
//! let stats = Arc::new(Mutex::new(WorkerStats::default()));
//! promforge::register_snapshot(&registry, Arc::clone(&stats))?;
//! if let Ok(mut stats) = stats.lock() {
//!     stats.queues.insert("inbox".into(), QueueStats { depth: 3 });
//! }
//! let text = registry.render();
//! assert!(text.contains("worker_queue_depth{queue=\"inbox\"} 3\n"), "{text}");
//! assert!(!text.contains("worker_cache_entries "), "{text}");
//! if let Ok(mut stats) = stats.lock() {
//!     stats.cache = Some(CacheStats { entries: 9 });
//! }
//! assert!(registry.render().contains("worker_cache_entries 9\n"));
//! # Ok(()) }
//! ```

use std::sync::{Arc, Mutex, PoisonError, RwLock};

use crate::collector::{Collector, CollectorEncoder, FamilyDesc};
use crate::error::Error;
use crate::family::Family;
use crate::labels::LabelSet;
use crate::metrics::{
    Counter, CounterNumber, EncodeMetric, Gauge, GaugeNumber, Histogram, Summary,
};
use crate::registry::Registry;

// The support generated code names, re-exported only under `promforge::__private::group`.
pub(crate) mod support;

use support::FieldOptions;

/// A metric type that can be a field of a `#[derive(MetricsGroup)]` struct: made from the
/// field's `#[metric(…)]` settings (buckets, quantiles, a state set's label).
///
/// ```
/// use promforge::{GroupMetric, Histogram};
///
/// // What a failed registration falls back on: a working metric with default settings.
/// let histogram = Histogram::create_default();
/// histogram.observe(0.5);
/// assert_eq!(histogram.count(), 1);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a promforge metric type",
    label = "a field whose type is named Counter, ShardedCounter, Gauge, Histogram, Family, Summary or StateSet is taken as a metric",
    note = "use promforge's metric types, or mark the field #[metric(nested)] if it is a group"
)]
pub trait GroupMetric: EncodeMetric + Clone + Sized {
    /// Makes the metric for a field.
    #[doc(hidden)]
    fn create(options: &FieldOptions) -> Result<Self, Error>;

    /// Makes the metric with default settings; never fails.
    #[doc(hidden)]
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

impl<N: CounterNumber> GroupMetric for crate::metrics::ShardedCounter<N> {
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

impl<E: crate::labels::ClosedLabelValue + 'static> GroupMetric for crate::metrics::StateSet<E> {
    fn create(options: &FieldOptions) -> Result<Self, Error> {
        crate::metrics::StateSet::new(options.state_label.unwrap_or("state"))
    }

    fn create_default() -> Self {
        // `state` is a valid label name: this cannot fail.
        crate::metrics::StateSet::new("state")
            .unwrap_or_else(|_| crate::metrics::StateSet::new_unchecked("state"))
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
/// nested group. The derive implements it and adds `register(&registry)` (no outer
/// prefix) and `global()`; call `register_in` to put a group under a prefix of your own.
///
/// ```
/// use promforge::{Counter, MetricsGroup, Registry};
///
/// #[derive(MetricsGroup)]
/// #[metrics(prefix = "cache")]
/// struct Cache {
///     /// Lookups that found the entry.
///     hits: Counter,
/// }
///
/// let registry = Registry::new();
/// let sessions = Cache::register_in(&registry, "sessions")?;
/// sessions.hits.inc();
/// assert!(registry.render().contains("sessions_cache_hits_total 1\n"));
///
/// // Working metrics, registered nowhere: what `global()` falls back on if its
/// // registration fails (the error goes to the error handler).
/// let detached = Cache::unregistered();
/// detached.hits.inc();
/// assert!(!registry.render().contains("sessions_cache_hits_total 2"));
/// # Ok::<(), promforge::Error>(())
/// ```
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

/// A struct of plain values read at every scrape (`#[derive(MetricsGroup)]` with
/// `#[metrics(snapshot)]`). Registered with [`register_snapshot`], which reads it from a
/// [`SnapshotSource`].
///
/// ```
/// use std::sync::{Arc, RwLock};
///
/// use promforge::{MetricsGroup, Registry, SnapshotGroup};
///
/// #[derive(MetricsGroup, Default)]
/// #[metrics(prefix = "disk", snapshot)]
/// struct DiskStats {
///     /// Bytes free.
///     #[metric(unit = "bytes")]
///     free: u64,
///     /// Writes done.
///     #[metric(counter)]
///     writes: u64,
/// }
///
/// assert_eq!(DiskStats::FAMILY_COUNT, 2);
/// let registry = Registry::new();
/// let stats = Arc::new(RwLock::new(DiskStats { free: 4096, writes: 2 }));
/// promforge::register_snapshot(&registry, Arc::clone(&stats))?;
/// assert!(registry.render().contains("disk_free_bytes 4096\n"));
/// assert!(registry.render().contains("disk_writes_total 2\n"));
/// # Ok::<(), promforge::Error>(())
/// ```
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

/// Where a registered snapshot group reads its value at each scrape: `Arc<Mutex<T>>`,
/// `Arc<RwLock<T>>`, `Arc<T>`, [`FromFn`], or a type of your own.
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicU64, Ordering};
///
/// use promforge::{MetricsGroup, Registry, SnapshotSource};
///
/// #[derive(MetricsGroup, Default)]
/// #[metrics(prefix = "conns", snapshot)]
/// struct Conns {
///     /// Connections open.
///     open: u64,
/// }
///
/// /// The program keeps an atomic; the source reads it into the struct.
/// struct Counted(Arc<AtomicU64>);
///
/// impl SnapshotSource<Conns> for Counted {
///     fn read(&self, f: &mut dyn FnMut(&Conns)) {
///         f(&Conns { open: self.0.load(Ordering::Relaxed) });
///     }
/// }
///
/// let open = Arc::new(AtomicU64::new(3));
/// let registry = Registry::new();
/// promforge::register_snapshot(&registry, Counted(Arc::clone(&open)))?;
/// assert!(registry.render().contains("conns_open 3\n"));
/// # Ok::<(), promforge::Error>(())
/// ```
pub trait SnapshotSource<T>: Send + Sync + 'static {
    /// Calls `f` with the current value.
    fn read(&self, f: &mut dyn FnMut(&T));
}

/// A closure returning the current value (for example a copy of the program's stats).
///
/// ```
/// use promforge::{FromFn, MetricsGroup, Registry};
///
/// #[derive(MetricsGroup)]
/// #[metrics(prefix = "build", snapshot)]
/// struct Build {
///     /// Seconds since the process started.
///     #[metric(unit = "seconds")]
///     uptime: f64,
/// }
///
/// let started = std::time::Instant::now();
/// let registry = Registry::new();
/// Build::register_snapshot(
///     &registry,
///     FromFn(move || Build { uptime: started.elapsed().as_secs_f64() }),
/// )?;
/// assert!(registry.render().contains("# TYPE build_uptime_seconds gauge\n"));
/// # Ok::<(), promforge::Error>(())
/// ```
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

/// `T: SnapshotGroup`, so that an `Arc<Mutex<T>>` or `Arc<RwLock<T>>` is only read through
/// its lock (a `Mutex<T>` is no snapshot group): `register_snapshot(&registry, source)`
/// finds `T` from the source alone.
impl<T: SnapshotGroup> SnapshotSource<T> for Arc<T> {
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
///
/// `T` is found from the source: `promforge::register_snapshot(&registry, stats)` with
/// `stats` an `Arc<Mutex<WorkerStats>>` registers `WorkerStats`. The derive also writes
/// the same function as an associated function of the struct,
/// `WorkerStats::register_snapshot(&registry, source)`, which names `T` for you (handy with
/// a closure).
///
/// ```
/// use std::sync::{Arc, Mutex};
///
/// use promforge::{FromFn, MetricsGroup, Registry};
///
/// #[derive(MetricsGroup, Clone, Default)]
/// #[metrics(prefix = "worker", snapshot)]
/// struct WorkerStats {
///     /// Messages processed.
///     #[metric(counter)]
///     messages: u64,
///     /// Memory in use.
///     #[metric(unit = "bytes", scale = 1048576)]
///     memory_mb: f64,
///     /// Average processing time.
///     #[metric(name = "processing", unit = "seconds", scale = "1/1000000")]
///     processing_us: f64,
/// }
///
/// # fn main() -> Result<(), promforge::Error> {
/// let registry = Registry::new();
/// let stats = Arc::new(Mutex::new(WorkerStats::default()));
/// promforge::register_snapshot(&registry, Arc::clone(&stats))?;
/// {
///     let mut stats = stats.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
///     stats.messages = 7;
///     stats.memory_mb = 1.5;
///     stats.processing_us = 250.5;
/// }
/// let text = registry.render();
/// assert!(text.contains("worker_messages_total 7\n"), "{text}");
/// assert!(text.contains("worker_memory_bytes 1572864\n"), "{text}");
/// // Divided by 1,000,000 rather than multiplied by 0.000001 (which gives
/// // 0.00025049999999999996).
/// assert!(text.contains("worker_processing_seconds 0.0002505\n"), "{text}");
///
/// // The struct's own `register_snapshot`, here with a closure.
/// let other = Registry::new();
/// WorkerStats::register_snapshot(&other, FromFn(|| WorkerStats { messages: 3, ..WorkerStats::default() }))?;
/// assert!(other.render().contains("worker_messages_total 3\n"));
/// # Ok(()) }
/// ```
///
/// # Errors
///
/// A name that is invalid or already taken in the registry (then nothing is registered).
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

/// An optional nested group: `None` (a component that is not there) writes no series.
impl<T: SnapshotGroup> SnapshotGroup for Option<T> {
    const FAMILY_COUNT: usize = T::FAMILY_COUNT;

    fn describe(prefix: &str, out: &mut Vec<FamilyDesc>) {
        T::describe(prefix, out);
    }

    fn collect(&self, out: &mut CollectorEncoder<'_>, base: usize, labels: &mut String) {
        if let Some(item) = self {
            item.collect(out, base, labels);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::metrics::SummaryOptions;

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
        assert!(matches!(
            Summary::create(&FieldOptions::new().summary(SummaryOptions::new().quantiles(&[1.0]))),
            Err(Error::InvalidQuantiles { .. })
        ));
        // A family checks the options once, then makes every series with them.
        let family = Family::<(), Summary>::create(&options)?;
        assert_eq!(family.get(&()).configured_quantiles(), [0.1, 0.9]);
        assert!(matches!(
            Family::<(), Summary>::create(
                &FieldOptions::new().summary(SummaryOptions::new().age_buckets(0))
            ),
            Err(Error::InvalidQuantiles { .. })
        ));
        Ok(())
    }
}
