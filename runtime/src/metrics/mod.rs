//! Metric handles: [`Counter`], [`Gauge`], [`Histogram`].
//!
//! A handle is an `Arc` around atomics: cloning it is cheap, every clone updates the same
//! series, and updates take no lock. Registering a handle (see [`Registry`](crate::Registry))
//! makes it show up in the exposition under a name.

mod counter;
mod gauge;
mod histogram;
mod number;
mod summary;

pub use counter::Counter;
pub use gauge::{Gauge, InFlightGuard};
pub use histogram::{
    DEFAULT_BUCKETS, Histogram, HistogramTimer, exponential_buckets, linear_buckets,
};
pub use number::{CounterNumber, GaugeNumber, Number};
pub use summary::{
    Clock, DEFAULT_AGE_BUCKETS, DEFAULT_MAX_AGE, DEFAULT_QUANTILES, RELATIVE_ACCURACY, Summary,
    SummaryBuilder, SystemClock,
};

use crate::encode::{MetricType, SampleEncoder};

/// A counter of floating-point values (for example seconds spent).
pub type FloatCounter = Counter<f64>;
/// A gauge of floating-point values (for example a ratio or a temperature).
pub type FloatGauge = Gauge<f64>;

/// Something that writes one metric family's samples: the metric types, and (later)
/// families of labeled series and user-made collectors.
///
/// Implement it to expose a custom metric; the registry writes the `# HELP` and `# TYPE`
/// lines, then calls [`encode`](EncodeMetric::encode) at every scrape.
pub trait EncodeMetric: Send + Sync + 'static {
    /// The family's type, written on its `# TYPE` line.
    fn metric_type(&self) -> MetricType;
    /// Writes the family's sample lines through `encoder`.
    fn encode(&self, encoder: &mut SampleEncoder<'_>);

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
