//! Metric handles: [`Counter`] (and [`ShardedCounter`] for hot multi-threaded paths),
//! [`Gauge`], [`Histogram`], [`Summary`].
//!
//! A handle is an `Arc` around its state: cloning it is cheap and every clone updates the
//! same series. [`Counter`], [`Gauge`], [`Histogram`] and [`ShardedCounter`] are atomics and
//! update without a lock; a [`Summary`] observation takes the summary's mutex (its sketch
//! and sliding window). Registering a handle (see [`Registry`](crate::Registry)) makes it
//! show up in the exposition under a name.

mod counter;
mod exemplar;
mod gauge;
mod histogram;
mod native_histogram;
mod number;
mod sharded;
mod state_set;
mod summary;

pub use counter::Counter;
pub use exemplar::{
    ExemplarLabels, ExemplarSlot, ExemplarSource, MAX_EXEMPLAR_CHARS, TraceContext,
    set_exemplar_source,
};
pub(crate) use exemplar::{ExemplarsOff, auto_exemplar};
pub use gauge::{Gauge, InFlightGuard};
pub use histogram::{
    BUCKETS_HTTP, BUCKETS_LATENCY, DEFAULT_BUCKETS, Histogram, HistogramTimer, exponential_buckets,
    linear_buckets,
};
pub use native_histogram::{
    DEFAULT_BUCKET_FACTOR, DEFAULT_MAX_BUCKETS, DEFAULT_ZERO_THRESHOLD, MAX_SCHEMA, MIN_SCHEMA,
    NativeHistogram, NativeHistogramBuilder, NativeOptions, TEXT_BUCKETS, bucket_upper_bound,
    schema_for_factor,
};
pub use number::{CounterNumber, GaugeNumber, Number};
pub use sharded::ShardedCounter;
pub use state_set::StateSet;
pub use summary::{
    Clock, DEFAULT_AGE_BUCKETS, DEFAULT_MAX_AGE, DEFAULT_QUANTILES, RELATIVE_ACCURACY, Summary,
    SummaryBuilder, SummaryOptions, SystemClock,
};

use crate::encoding::{MetricEncoder, MetricType};

/// Now, in seconds since the Unix epoch (a metric's creation time, OpenMetrics `_created`).
pub(crate) fn now_seconds() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// A counter of floating-point values (for example seconds spent).
pub type FloatCounter = Counter<f64>;
/// A gauge of floating-point values (for example a ratio or a temperature).
pub type FloatGauge = Gauge<f64>;

/// Something that writes one metric family's samples: the metric types above and
/// [`Family`](crate::Family) (labeled series). Values read at scrape time implement
/// [`Collector`](crate::Collector) instead.
///
/// Implement it to expose a custom metric; the registry writes the `# HELP` and `# TYPE`
/// lines, then calls [`encode`](EncodeMetric::encode) at every scrape.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a metric",
    label = "not a metric type",
    note = "metrics are Counter, FloatCounter, ShardedCounter, Gauge, FloatGauge, Histogram, NativeHistogram, Summary, StateSet, or a Family of them (`Family<L, Counter>`, not `Family<L, u64>`); a type of your own implements EncodeMetric"
)]
pub trait EncodeMetric: Send + Sync + 'static {
    /// The family's type, written on its `# TYPE` line.
    fn metric_type(&self) -> MetricType;
    /// Writes the family's sample lines through `encoder`.
    fn encode(&self, encoder: &mut MetricEncoder<'_>);

    /// The label names the samples carry (besides `le`/`quantile`), so the registry can
    /// refuse a constant label of the same name.
    fn label_names(&self) -> Vec<&str> {
        Vec::new()
    }

    /// For a bounded family of open label sets: how many updates went to its overflow
    /// series. The registry exposes it as `promforge_cardinality_overflow_total{metric}`.
    fn cardinality_overflow(&self) -> Option<u64> {
        None
    }
}

/// Run with `cargo test -p promforge --features noop --lib noop`.
#[cfg(all(test, feature = "noop"))]
mod noop {
    use super::*;

    #[test]
    fn updates_do_nothing_when_switched_off() {
        let c = Counter::<u64>::new();
        c.inc();
        c.inc_by(5);
        assert_eq!(c.get(), 0);
        let g = Gauge::<i64>::new();
        g.set(3);
        g.inc();
        assert_eq!(g.get(), 0);
        let h = Histogram::new();
        h.observe(1.0);
        assert_eq!(h.count(), 0);
        let s = Summary::new();
        s.observe(1.0);
        assert_eq!(s.count(), 0);
        // Registries and rendering still work (zeros).
        let r = crate::registry::Registry::new();
        r.register("c", "C.", c).map(drop).expect("registers");
        assert!(r.render().contains("c_total 0\n"));
    }
}
