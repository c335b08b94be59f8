use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use super::{EncodeMetric, ExemplarLabels, ExemplarSlot, Number};
use crate::encoding::{BucketLabels, MetricEncoder, MetricType};
use crate::error::Error;

/// The buckets [`Histogram::new`] uses, in seconds: the same defaults as the other Prometheus
/// clients (5 ms to 10 s), so dashboards written for them work unchanged.
pub const DEFAULT_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Function latency buckets, in seconds: 1 ms to 10 s (`#[instrument_metrics]`'s default).
pub const BUCKETS_LATENCY: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// HTTP request latency buckets, in seconds: 10 ms to 10 s (the HTTP middleware's default).
pub const BUCKETS_HTTP: &[f64] = &[0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// Observations (latencies, sizes) counted into buckets, exposed as `_bucket{le="…"}`,
/// `_sum` and `_count`.
///
/// An observation costs a bucket search and two atomic additions; `_count` is the sum of
/// the buckets, so it always equals the `+Inf` bucket in the output.
///
/// ```
/// # fn main() -> Result<(), promforge::Error> {
/// let latency = promforge::Histogram::with_buckets(&[0.1, 0.5, 1.0])?;
/// latency.observe(0.3);
/// {
///     let _timer = latency.start_timer(); // observes the elapsed seconds when dropped
/// }
/// assert_eq!(latency.count(), 2);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Histogram {
    core: Arc<Core>,
}

struct Core {
    /// Upper bounds, strictly increasing, finite (`+Inf` is implicit), with their `le`
    /// values.
    buckets: BucketLabels,
    /// Per-bucket (not cumulative) counts, one per bound plus `+Inf`.
    counts: Box<[AtomicU64]>,
    /// The sum of observations, as `f64` bits.
    sum: AtomicU64,
    /// When the histogram was made, in seconds since the epoch (OpenMetrics `_created`).
    created: f64,
    /// The last exemplar of each bucket, made at the first exemplar.
    exemplars: OnceLock<Box<[ExemplarSlot]>>,
}

impl Histogram {
    /// A histogram with [`DEFAULT_BUCKETS`].
    pub fn new() -> Self {
        Self::from_checked(DEFAULT_BUCKETS.to_vec())
    }

    /// A histogram with these upper bounds. They must be finite and strictly increasing;
    /// a trailing `+Inf` may be given or left out (it is always there).
    pub fn with_buckets(buckets: &[f64]) -> Result<Self, Error> {
        Ok(Self::from_checked(check_buckets(buckets)?))
    }

    fn from_checked(bounds: Vec<f64>) -> Self {
        let counts = (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect();
        Self {
            core: Arc::new(Core {
                buckets: BucketLabels::new(&bounds),
                counts,
                sum: AtomicU64::new(0f64.to_bits()),
                created: super::now_seconds(),
                exemplars: OnceLock::new(),
            }),
        }
    }

    /// Records one observation. NaN is counted in the `+Inf` bucket (and makes `_sum` NaN),
    /// as the Go client does.
    #[inline]
    pub fn observe(&self, v: f64) {
        if crate::noop::NOOP {
            return;
        }
        let core = &*self.core;
        let bucket = self.bucket_of(v);
        if let Some(count) = core.counts.get(bucket) {
            count.fetch_add(1, Ordering::Relaxed);
        }
        f64::atomic_add(&core.sum, v);
        super::auto_exemplar(&core.exemplars, core.counts.len(), bucket, v);
    }

    /// Records one observation and keeps `labels` (a trace id, typically) as the exemplar
    /// of its bucket, stamped now: shown after the bucket's sample in OpenMetrics output
    /// only. Errors (and records nothing) when OpenMetrics would refuse the labels: an
    /// invalid name, or names and values longer than 128 characters together. The first
    /// exemplar of a histogram allocates its buckets' slots; an observation without one
    /// costs what [`observe`](Self::observe) costs.
    ///
    /// ```
    /// use promforge::encoding::Format;
    ///
    /// # fn main() -> Result<(), promforge::Error> {
    /// let registry = promforge::Registry::new();
    /// let latency = registry.histogram("latency_seconds", "Latency.", &[0.1, 1.0])?;
    /// latency.observe_with_exemplar(0.25, &[("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736")])?;
    /// let text = registry.render_as(Format::OpenMetricsText1_0_0);
    /// assert!(text.contains(
    ///     "latency_seconds_bucket{le=\"1\"} 1 # {trace_id=\"4bf92f3577b34da6a3ce929d0e0e4736\"} 0.25 "
    /// ));
    /// # Ok(()) }
    /// ```
    pub fn observe_with_exemplar<E: ExemplarLabels + ?Sized>(
        &self,
        v: f64,
        labels: &E,
    ) -> Result<(), Error> {
        if crate::noop::NOOP {
            return Ok(());
        }
        let bucket = self.bucket_of(v);
        let slots = self.core.exemplars.get_or_init(|| {
            (0..self.core.counts.len())
                .map(|_| ExemplarSlot::new())
                .collect()
        });
        if let Some(slot) = slots.get(bucket) {
            slot.record(labels, v)?;
        }
        self.observe(v);
        Ok(())
    }

    /// Records a duration, in seconds.
    #[inline]
    pub fn observe_duration(&self, d: Duration) {
        self.observe(d.as_secs_f64());
    }

    /// Records the seconds elapsed since `start`.
    #[inline]
    pub fn observe_since(&self, start: Instant) {
        self.observe_duration(start.elapsed());
    }

    /// Starts a timer that records the elapsed seconds when it is dropped (or
    /// [`stop`](HistogramTimer::stop)ped).
    #[inline]
    pub fn start_timer(&self) -> HistogramTimer {
        HistogramTimer {
            histogram: self.clone(),
            start: Instant::now(),
            observed: false,
        }
    }

    /// The upper bounds (without the implicit `+Inf`).
    pub fn buckets(&self) -> &[f64] {
        self.core.buckets.bounds()
    }

    /// The number of observations.
    pub fn count(&self) -> u64 {
        self.core
            .counts
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .sum()
    }

    /// The sum of observations.
    pub fn sum(&self) -> f64 {
        f64::from_bits(self.core.sum.load(Ordering::Relaxed))
    }

    /// Cumulative counts per upper bound, ending with `(+Inf, count)`.
    pub fn cumulative_counts(&self) -> Vec<(f64, u64)> {
        let mut total = 0;
        self.core
            .buckets
            .bounds()
            .iter()
            .copied()
            .chain(std::iter::once(f64::INFINITY))
            .zip(self.core.counts.iter())
            .map(|(b, c)| {
                total += c.load(Ordering::Relaxed);
                (b, total)
            })
            .collect()
    }
}

impl Histogram {
    /// Estimates quantile `q` (in [0, 1]) of everything observed so far the way PromQL's
    /// `histogram_quantile` does: linear interpolation inside the bucket holding the rank
    /// (the first bucket starts at 0 when its bound is positive). A rank in the `+Inf`
    /// bucket gives the highest finite bound. `None` with no observations or `q` out of range.
    pub fn estimate_quantile(&self, q: f64) -> Option<f64> {
        if !(0.0..=1.0).contains(&q) {
            return None;
        }
        let cumulative = self.cumulative_counts();
        let total = cumulative.last().map(|(_, c)| *c).unwrap_or(0);
        if total == 0 {
            return None;
        }
        let rank = q * total as f64;
        let i = cumulative
            .iter()
            .position(|(_, c)| *c as f64 >= rank)
            .unwrap_or(cumulative.len() - 1);
        let bounds = self.core.buckets.bounds();
        if i >= bounds.len() {
            return bounds.last().copied();
        }
        let upper = bounds[i];
        let (lower, below) = if i == 0 {
            (if upper > 0.0 { 0.0 } else { upper }, 0)
        } else {
            (bounds[i - 1], cumulative[i - 1].1)
        };
        let inside = cumulative[i].1 - below;
        if inside == 0 {
            return Some(upper);
        }
        Some(lower + (upper - lower) * (rank - below as f64) / inside as f64)
    }
}

impl Default for Histogram {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Histogram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Histogram")
            .field("buckets", &self.buckets())
            .field("count", &self.count())
            .field("sum", &self.sum())
            .finish()
    }
}

impl Histogram {
    /// The bucket an observation of `v` goes in (NaN in `+Inf`).
    #[inline]
    pub(crate) fn bucket_of(&self, v: f64) -> usize {
        let bounds = self.core.buckets.bounds();
        if v.is_nan() {
            bounds.len()
        } else {
            bounds.partition_point(|&b| b < v)
        }
    }

    /// Writes the samples of a histogram with these buckets from counts kept elsewhere
    /// (per bucket, not cumulative, `+Inf` last) and their sum.
    pub(crate) fn encode_counts(
        &self,
        encoder: &mut MetricEncoder<'_>,
        counts: impl Iterator<Item = u64>,
        sum: f64,
        exemplars: Option<&[ExemplarSlot]>,
    ) {
        encoder.histogram_with_exemplars(&self.core.buckets, counts, sum, exemplars);
        encoder.created(self.core.created);
    }
}

impl EncodeMetric for Histogram {
    fn metric_type(&self) -> MetricType {
        MetricType::Histogram
    }

    fn encode(&self, encoder: &mut MetricEncoder<'_>) {
        let counts = self.core.counts.iter().map(|c| c.load(Ordering::Relaxed));
        let exemplars = self.core.exemplars.get().map(|e| &e[..]);
        self.encode_counts(encoder, counts, self.sum(), exemplars);
    }
}

/// Records the time since it was made into its histogram when dropped.
#[must_use = "the timer records when it is dropped; dropping it at once records ~0 s"]
#[derive(Debug)]
pub struct HistogramTimer {
    histogram: Histogram,
    start: Instant,
    observed: bool,
}

impl HistogramTimer {
    /// Records now and returns the seconds recorded.
    pub fn stop(mut self) -> f64 {
        self.record()
    }

    /// Drops the timer without recording anything.
    pub fn discard(mut self) {
        self.observed = true;
    }

    fn record(&mut self) -> f64 {
        let secs = self.start.elapsed().as_secs_f64();
        if !self.observed {
            self.observed = true;
            self.histogram.observe(secs);
        }
        secs
    }
}

impl Drop for HistogramTimer {
    fn drop(&mut self) {
        self.record();
    }
}

/// Checks upper bounds: at least one, finite, strictly increasing; a trailing `+Inf` is
/// dropped (the rule itself, shared with the macros' `buckets = [...]`, is
/// `promforge_rules::check_bounds`).
pub(crate) fn check_buckets(buckets: &[f64]) -> Result<Vec<f64>, Error> {
    let bounds = match buckets.split_last() {
        Some((last, rest)) if *last == f64::INFINITY => rest,
        _ => buckets,
    };
    promforge_rules::check_bounds(bounds).map_err(bucket_error)?;
    Ok(bounds.to_vec())
}

fn bucket_error(e: promforge_rules::BucketError) -> Error {
    Error::InvalidBuckets {
        reason: e.to_string(),
    }
}

/// `count` upper bounds starting at `start`, each `factor` times the one before
/// (`exponential_buckets(0.001, 2.0, 4)` → 1 ms, 2 ms, 4 ms, 8 ms), each rounded to 15
/// significant digits so that it reads as written. Needs `start > 0`, `factor > 1` and a
/// `count` from 1 to 1000; the bounds computed must stay finite and increasing.
/// `#[instrument_metrics(buckets = exponential(…))]` computes the same bounds at compile
/// time, with the same code.
///
/// ```
/// let bounds = promforge::exponential_buckets(0.001, 2.0, 4)?;
/// assert_eq!(bounds, [0.001, 0.002, 0.004, 0.008]);
/// assert!(matches!(
///     promforge::exponential_buckets(0.0, 2.0, 4),
///     Err(promforge::Error::InvalidBuckets { .. })
/// ));
/// # Ok::<(), promforge::Error>(())
/// ```
pub fn exponential_buckets(start: f64, factor: f64, count: usize) -> Result<Vec<f64>, Error> {
    promforge_rules::Generator::Exponential
        .bounds(start, factor, count)
        .map_err(bucket_error)
}

/// `count` upper bounds starting at `start`, `width` apart
/// (`linear_buckets(0.1, 0.1, 3)` → 0.1, 0.2, 0.3), each rounded to 15 significant digits.
/// Needs a finite `start`, `width > 0` and a `count` from 1 to 1000.
/// `#[instrument_metrics(buckets = linear(…))]` computes the same bounds at compile time.
///
/// ```
/// assert_eq!(promforge::linear_buckets(0.1, 0.1, 3)?, [0.1, 0.2, 0.3]);
/// # Ok::<(), promforge::Error>(())
/// ```
pub fn linear_buckets(start: f64, width: f64, count: usize) -> Result<Vec<f64>, Error> {
    promforge_rules::Generator::Linear
        .bounds(start, width, count)
        .map_err(bucket_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_inclusive_and_cumulative() {
        let h = Histogram::with_buckets(&[1.0, 2.0]).expect("valid bounds");
        for v in [0.5, 1.0, 1.5, 2.0, 3.0, f64::NAN] {
            h.observe(v);
        }
        assert_eq!(
            h.cumulative_counts(),
            vec![(1.0, 2), (2.0, 4), (f64::INFINITY, 6)]
        );
        assert_eq!(h.count(), 6);
        assert!(h.sum().is_nan());
    }

    /// The shared table (`promforge_rules::table::BUCKETS`) through the runtime's entry
    /// points; the macros run it through `buckets = [...]` / `exponential(…)` / `linear(…)`.
    #[test]
    fn the_shared_bucket_table() {
        use promforge_rules::table::{BUCKETS, BucketCase};
        for case in BUCKETS {
            let made = match *case {
                BucketCase::List { bounds, ok } => {
                    let made = Histogram::with_buckets(bounds);
                    assert_eq!(made.is_ok(), ok, "{bounds:?}");
                    made.err()
                }
                BucketCase::Generated {
                    generator,
                    start,
                    step,
                    count,
                    expected,
                } => {
                    let made = match generator {
                        promforge_rules::Generator::Exponential => {
                            exponential_buckets(start, step, count)
                        }
                        promforge_rules::Generator::Linear => linear_buckets(start, step, count),
                    };
                    assert_eq!(made.as_deref().ok(), expected, "{case:?}");
                    made.err()
                }
            };
            if let Some(e) = made {
                assert!(matches!(e, Error::InvalidBuckets { .. }), "{e:?}");
            }
        }
    }

    #[test]
    fn a_trailing_infinity_is_the_implicit_bucket() {
        let h = Histogram::with_buckets(&[1.0, f64::INFINITY]).expect("valid bounds");
        assert_eq!(h.cumulative_counts(), vec![(1.0, 0), (f64::INFINITY, 0)]);
        assert!(matches!(
            Histogram::with_buckets(&[f64::INFINITY]),
            Err(Error::InvalidBuckets { .. })
        ));
    }

    #[test]
    fn quantile_estimates_interpolate_like_promql() {
        let h = Histogram::with_buckets(&[1.0, 2.0, 4.0]).expect("valid bounds");
        assert_eq!(h.estimate_quantile(0.5), None);
        for v in [0.5, 1.5, 1.5, 3.0] {
            h.observe(v);
        }
        // rank 2 of 4 falls in (1, 2], which holds ranks 1..3: halfway.
        assert_eq!(h.estimate_quantile(0.5), Some(1.5));
        assert_eq!(h.estimate_quantile(0.25), Some(1.0));
        assert_eq!(h.estimate_quantile(1.0), Some(4.0));
        assert_eq!(h.estimate_quantile(1.5), None);
        h.observe(100.0);
        assert_eq!(
            h.estimate_quantile(1.0),
            Some(4.0),
            "+Inf gives the highest bound"
        );
    }

    #[test]
    fn timer_records_once() {
        let h = Histogram::new();
        let t = h.start_timer();
        assert!(t.stop() >= 0.0);
        h.start_timer().discard();
        drop(h.start_timer());
        assert_eq!(h.count(), 2);
    }
}
