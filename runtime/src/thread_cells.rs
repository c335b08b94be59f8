//! Per-thread cells of instrumented call sites: each thread that runs a site records its
//! in-flight count, results and durations in cells of its own, written with a plain load
//! and store (no locked instruction, no cache line shared with another core), and a scrape
//! adds up every thread's cells. The site's series in the shared families are views onto
//! them ([`CallSeries::Site`], [`DurationSeries::Site`], [`InFlightSeries::Site`]).
//!
//! One writer per cell: [`ThreadLocal`] gives every running thread its own cells, and gives
//! a thread that exited's cells (with their counts) only to a thread started after it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use thread_local::ThreadLocal;

use crate::encode::{MetricType, SampleEncoder};
use crate::metrics::{Counter, EncodeMetric, Gauge, Histogram};

/// One thread's values of a call site, on cache lines of its own (another thread's cells
/// may sit right next to them: `ThreadLocal` keeps them in arrays).
#[repr(align(128))]
struct Cells {
    /// Calls started minus calls ended on this thread (an `i64`: a call may start on one
    /// thread and end on another).
    in_flight: AtomicU64,
    /// `ok`, `error`, `cancelled`, `panic`.
    calls: [AtomicU64; 4],
    /// Sum of the durations, as `f64` bits.
    sum: AtomicU64,
    /// Per duration bucket (not cumulative), `+Inf` last, in lines of their own.
    buckets: Box<[Line]>,
}

/// 16 counters on a pair of cache lines.
#[repr(align(128))]
#[derive(Default)]
struct Line([AtomicU64; 16]);

impl Cells {
    fn new(buckets: usize) -> Self {
        Self {
            in_flight: AtomicU64::new(0),
            calls: Default::default(),
            sum: AtomicU64::new(0f64.to_bits()),
            buckets: (0..buckets.div_ceil(16)).map(|_| Line::default()).collect(),
        }
    }

    #[inline]
    fn bucket(&self, i: usize) -> Option<&AtomicU64> {
        self.buckets.get(i / 16).and_then(|line| line.0.get(i % 16))
    }
}

/// Adds `by` to a cell only this thread writes.
#[inline]
fn bump(cell: &AtomicU64, by: u64) {
    cell.store(
        cell.load(Ordering::Relaxed).wrapping_add(by),
        Ordering::Relaxed,
    );
}

/// What a call does to its site's cells when it ends.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ending {
    /// Whether the call was counted in flight.
    pub(crate) in_flight: bool,
    /// Its duration in seconds, when durations go to the cells.
    pub(crate) seconds: Option<f64>,
    /// Its result (`CallResult as usize`), when calls are counted in the cells.
    pub(crate) result: Option<usize>,
}

/// The cells of one call site (one function of one module), every thread's.
pub(crate) struct SiteCells {
    /// The duration buckets (an empty histogram: its bounds and pre-rendered `le` pairs).
    shape: Histogram,
    threads: ThreadLocal<Cells>,
}

impl std::fmt::Debug for SiteCells {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SiteCells")
            .field("buckets", &self.shape.buckets())
            .finish_non_exhaustive()
    }
}

impl SiteCells {
    /// Cells whose durations use the buckets of `shape`.
    pub(crate) fn new(shape: Histogram) -> Self {
        Self {
            shape,
            threads: ThreadLocal::new(),
        }
    }

    #[inline]
    fn mine(&self) -> &Cells {
        self.threads
            .get_or(|| Cells::new(self.shape.buckets().len() + 1))
    }

    /// A call started on this thread.
    #[inline]
    pub(crate) fn enter(&self) {
        bump(&self.mine().in_flight, 1);
    }

    /// A call ended on this thread.
    #[inline]
    pub(crate) fn leave(&self, ending: Ending) {
        let cells = self.mine();
        if let Some(v) = ending.seconds {
            if let Some(bucket) = cells.bucket(self.shape.bucket_of(v)) {
                bump(bucket, 1);
            }
            let sum = f64::from_bits(cells.sum.load(Ordering::Relaxed)) + v;
            cells.sum.store(sum.to_bits(), Ordering::Relaxed);
        }
        if ending.in_flight {
            bump(&cells.in_flight, 1u64.wrapping_neg());
        }
        if let Some(call) = ending.result.and_then(|r| cells.calls.get(r)) {
            bump(call, 1);
        }
    }

    fn total(&self, read: impl Fn(&Cells) -> u64) -> u64 {
        self.threads
            .iter()
            .fold(0u64, |total, cells| total.wrapping_add(read(cells)))
    }

    fn calls(&self, result: usize) -> u64 {
        self.total(|c| c.calls.get(result).map_or(0, |v| v.load(Ordering::Relaxed)))
    }

    fn in_flight(&self) -> i64 {
        self.total(|c| c.in_flight.load(Ordering::Relaxed)) as i64
    }

    fn encode_durations(&self, encoder: &mut SampleEncoder<'_>) {
        let n = self.shape.buckets().len() + 1;
        let counts: Vec<u64> = (0..n)
            .map(|i| self.total(|c| c.bucket(i).map_or(0, |v| v.load(Ordering::Relaxed))))
            .collect();
        let sum = self
            .threads
            .iter()
            .map(|c| f64::from_bits(c.sum.load(Ordering::Relaxed)))
            .sum();
        self.shape.encode_counts(encoder, counts.into_iter(), sum);
    }
}

/// A series of the shared calls family: a plain counter (series that no site's cells hold,
/// such as `error="<variant>"`), or a site's count of one result.
#[derive(Clone, Debug)]
pub(crate) enum CallSeries {
    Counter(Counter),
    Site(Arc<SiteCells>, usize),
}

impl Default for CallSeries {
    fn default() -> Self {
        Self::Counter(Counter::new())
    }
}

impl CallSeries {
    /// Adds one call.
    #[inline]
    pub(crate) fn inc(&self) {
        match self {
            Self::Counter(counter) => counter.inc(),
            Self::Site(cells, result) => cells.leave(Ending {
                in_flight: false,
                seconds: None,
                result: Some(*result),
            }),
        }
    }

    /// Whether this is `cells`' count of `result`.
    pub(crate) fn is_site(&self, cells: &Arc<SiteCells>, result: usize) -> bool {
        matches!(self, Self::Site(c, r) if Arc::ptr_eq(c, cells) && *r == result)
    }
}

impl EncodeMetric for CallSeries {
    fn metric_type(&self) -> MetricType {
        MetricType::Counter
    }

    fn encode(&self, encoder: &mut SampleEncoder<'_>) {
        let value = match self {
            Self::Counter(counter) => counter.get(),
            Self::Site(cells, result) => cells.calls(*result),
        };
        encoder.sample("", "", value);
    }
}

/// A series of a shared duration histogram family.
#[derive(Clone, Debug)]
pub(crate) enum DurationSeries {
    Histogram(Histogram),
    Site(Arc<SiteCells>),
}

impl DurationSeries {
    /// Records a duration.
    #[inline]
    pub(crate) fn observe(&self, seconds: f64) {
        match self {
            Self::Histogram(histogram) => histogram.observe(seconds),
            Self::Site(cells, ..) => cells.leave(Ending {
                in_flight: false,
                seconds: Some(seconds),
                result: None,
            }),
        }
    }

    /// Whether this is `cells`' histogram.
    pub(crate) fn is_site(&self, cells: &Arc<SiteCells>) -> bool {
        matches!(self, Self::Site(c) if Arc::ptr_eq(c, cells))
    }
}

impl EncodeMetric for DurationSeries {
    fn metric_type(&self) -> MetricType {
        MetricType::Histogram
    }

    fn encode(&self, encoder: &mut SampleEncoder<'_>) {
        match self {
            Self::Histogram(histogram) => histogram.encode(encoder),
            Self::Site(cells) => cells.encode_durations(encoder),
        }
    }
}

/// A series of a shared in-flight gauge family.
#[derive(Clone, Debug)]
pub(crate) enum InFlightSeries {
    Gauge(Gauge),
    Site(Arc<SiteCells>),
}

impl Default for InFlightSeries {
    fn default() -> Self {
        Self::Gauge(Gauge::new())
    }
}

impl InFlightSeries {
    /// Adds `v` (one call started: 1; ended: -1).
    #[inline]
    pub(crate) fn add(&self, v: i64) {
        match self {
            Self::Gauge(gauge) => gauge.add(v),
            Self::Site(cells) if v > 0 => cells.enter(),
            Self::Site(cells) => cells.leave(Ending {
                in_flight: true,
                seconds: None,
                result: None,
            }),
        }
    }

    /// Whether this is `cells`' gauge.
    pub(crate) fn is_site(&self, cells: &Arc<SiteCells>) -> bool {
        matches!(self, Self::Site(c) if Arc::ptr_eq(c, cells))
    }
}

impl EncodeMetric for InFlightSeries {
    fn metric_type(&self) -> MetricType {
        MetricType::Gauge
    }

    fn encode(&self, encoder: &mut SampleEncoder<'_>) {
        let value = match self {
            Self::Gauge(gauge) => gauge.get(),
            Self::Site(cells) => cells.in_flight(),
        };
        encoder.sample("", "", value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_threads_cells_add_up() -> Result<(), crate::Error> {
        let cells = Arc::new(SiteCells::new(Histogram::with_buckets(&[0.1, 1.0])?));
        std::thread::scope(|s| {
            for t in 0..4 {
                let cells = &cells;
                s.spawn(move || {
                    for i in 0..1000 {
                        cells.enter();
                        cells.leave(Ending {
                            in_flight: true,
                            seconds: Some(if i % 2 == 0 { 0.0625 } else { 0.5 }),
                            result: Some(t % 2),
                        });
                    }
                    // One call left running on each thread.
                    cells.enter();
                });
            }
        });
        assert_eq!(cells.calls(0), 2000);
        assert_eq!(cells.calls(1), 2000);
        assert_eq!(cells.in_flight(), 4);
        // A call that started elsewhere ends here.
        cells.leave(Ending {
            in_flight: true,
            seconds: None,
            result: None,
        });
        assert_eq!(cells.in_flight(), 3);

        let r = crate::Registry::new();
        r.register("site", "Site.", DurationSeries::Site(cells.clone()))?;
        let text = r.render();
        assert!(text.contains("site_bucket{le=\"0.1\"} 2000\n"), "{text}");
        assert!(text.contains("site_bucket{le=\"1\"} 4000\n"), "{text}");
        assert!(text.contains("site_bucket{le=\"+Inf\"} 4000\n"), "{text}");
        assert!(text.contains("site_sum 1125\n"), "{text}");
        assert!(text.contains("site_count 4000\n"), "{text}");
        Ok(())
    }
}
