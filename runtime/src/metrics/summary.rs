use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use sketches_ddsketch::{Config, DDSketch};

use super::EncodeMetric;
use crate::encoding::{MetricEncoder, MetricType, QuantileLabels};
use crate::error::Error;

/// The quantiles a [`Summary`] reports unless told otherwise: p50, p90, p95, p99.
pub const DEFAULT_QUANTILES: &[f64] = &[0.5, 0.9, 0.95, 0.99];
/// How far back a [`Summary`]'s quantiles look by default (as the Go client: 10 minutes).
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(600);
/// How many slices the window is kept in by default (as the Go client: 5).
pub const DEFAULT_AGE_BUCKETS: usize = 5;
/// The relative accuracy of quantile estimates: an estimate `e` of the exact quantile
/// value `x` satisfies `|e - x| <= RELATIVE_ACCURACY * |x|`.
pub const RELATIVE_ACCURACY: f64 = 0.01;

/// The time source of a summary's window; replace it in tests to move time by hand.
pub trait Clock: Send + Sync + 'static {
    /// The current instant.
    fn now(&self) -> Instant;
}

/// The real monotonic clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// Quantiles (p50, p90, p95, p99 by default) over a sliding time window, plus the
/// cumulative `_sum` and `_count`, exposed as a Prometheus summary.
///
/// Quantiles come from a DDSketch (crate `sketches-ddsketch`): every estimate is within
/// [`RELATIVE_ACCURACY`] (1%) of the exact quantile value of the observations in the
/// window, whatever the distribution. The window is kept in `age_buckets` slices of
/// `max_age / age_buckets` each; an observation goes into the newest slice, the oldest is
/// dropped as time passes, so the window covers between `max_age·(n-1)/n` and `max_age`.
/// Memory is bounded: each slice holds at most 2 × 2,048 bins (~32 KiB), whatever the
/// observation rate.
///
/// ```
/// # fn main() -> Result<(), promforge::Error> {
/// use std::time::Duration;
/// let latency = promforge::Summary::builder()
///     .quantiles(&[0.5, 0.99])
///     .max_age(Duration::from_secs(300))
///     .build()?;
/// for ms in 1..=100 {
///     latency.observe(ms as f64 / 1000.0);
/// }
/// let p99 = latency.quantile(0.99).unwrap_or(f64::NAN);
/// assert!((p99 - 0.099).abs() <= 0.099 * 0.01 + 1e-12);
/// assert_eq!(latency.count(), 100);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Summary {
    core: Arc<Core>,
}

struct Core {
    quantiles: Box<[f64]>,
    /// Their `quantile` label values.
    quantile_labels: QuantileLabels,
    step: Duration,
    clock: Arc<dyn Clock>,
    window: Mutex<Window>,
    /// When the summary was made, in seconds since the epoch (OpenMetrics `_created`).
    created: f64,
}

struct Window {
    slices: Vec<DDSketch>,
    /// Index of the newest slice.
    head: usize,
    /// When the newest slice started.
    head_start: Instant,
    /// Observations, all time (under the lock the sketch needs anyway: no atomics).
    count: u64,
    /// Sum of observations, all time.
    sum: f64,
}

impl Window {
    /// Drops the slices that are older than the window at `now`.
    fn advance(&mut self, now: Instant, step: Duration) {
        let elapsed = now.saturating_duration_since(self.head_start);
        if elapsed < step {
            return;
        }
        let steps = (elapsed.as_nanos() / step.as_nanos().max(1)) as usize;
        let n = self.slices.len();
        for _ in 0..steps.min(n) {
            self.head = (self.head + 1) % n;
            self.slices[self.head] = new_sketch();
        }
        // Keep slice boundaries on the step grid.
        self.head_start += step * u32::try_from(steps).unwrap_or(u32::MAX);
    }

    fn merged(&self) -> DDSketch {
        let mut all = new_sketch();
        for slice in &self.slices {
            // Same configuration everywhere: merging cannot fail.
            let _ = all.merge(slice);
        }
        all
    }
}

fn new_sketch() -> DDSketch {
    DDSketch::new(Config::new(RELATIVE_ACCURACY, 2048, 1.0e-9))
}

/// Builds a [`Summary`] with chosen quantiles and window.
#[derive(Clone)]
#[must_use]
pub struct SummaryBuilder {
    quantiles: Vec<f64>,
    max_age: Duration,
    age_buckets: usize,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for SummaryBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SummaryBuilder")
            .field("quantiles", &self.quantiles)
            .field("max_age", &self.max_age)
            .field("age_buckets", &self.age_buckets)
            .finish_non_exhaustive()
    }
}

impl SummaryBuilder {
    /// The quantiles to report, each in (0, 1), no duplicates (any order).
    pub fn quantiles(mut self, quantiles: &[f64]) -> Self {
        self.quantiles = quantiles.to_vec();
        self
    }

    /// How far back the quantiles look.
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = max_age;
        self
    }

    /// In how many slices the window is kept (more: smoother expiry, more memory).
    pub fn age_buckets(mut self, age_buckets: usize) -> Self {
        self.age_buckets = age_buckets;
        self
    }

    /// The clock the window follows (tests pass one they move by hand).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Checks the settings and makes the summary.
    pub fn build(self) -> Result<Summary, Error> {
        let mut quantiles = self.quantiles;
        quantiles.sort_by(f64::total_cmp);
        let err = |reason: String| Err(Error::InvalidQuantiles { reason });
        // The rules the macros check `quantiles = […]` and `age_buckets = n` with.
        if let Some(q) = quantiles
            .iter()
            .find(|&&q| !promforge_rules::quantile_ok(q))
        {
            return err(format!("quantile {q} is not between 0 and 1 (exclusive)"));
        }
        if let Some(w) = quantiles.windows(2).find(|w| w[0] == w[1]) {
            return err(format!("quantile {} is given twice", w[0]));
        }
        if !promforge_rules::age_buckets_ok(self.age_buckets) || self.max_age.is_zero() {
            return err(format!(
                "max_age must be greater than zero and age_buckets from 1 to {}",
                promforge_rules::MAX_AGE_BUCKETS
            ));
        }
        Ok(Summary::from_checked(
            quantiles,
            self.max_age,
            self.age_buckets,
            self.clock,
        ))
    }
}

impl Default for SummaryBuilder {
    fn default() -> Self {
        Self {
            quantiles: DEFAULT_QUANTILES.to_vec(),
            max_age: DEFAULT_MAX_AGE,
            age_buckets: DEFAULT_AGE_BUCKETS,
            clock: Arc::new(SystemClock),
        }
    }
}

impl Summary {
    /// A summary with [`DEFAULT_QUANTILES`] over [`DEFAULT_MAX_AGE`].
    pub fn new() -> Self {
        Self::from_checked(
            DEFAULT_QUANTILES.to_vec(),
            DEFAULT_MAX_AGE,
            DEFAULT_AGE_BUCKETS,
            Arc::new(SystemClock),
        )
    }

    /// Makes a summary from settings already checked (sorted quantiles in (0, 1), no
    /// duplicates, non-zero window).
    fn from_checked(
        quantiles: Vec<f64>,
        max_age: Duration,
        age_buckets: usize,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let age_buckets = age_buckets.max(1);
        let step = (max_age / u32::try_from(age_buckets).unwrap_or(u32::MAX))
            .max(Duration::from_millis(1));
        let quantile_labels = QuantileLabels::new(&quantiles);
        let now = clock.now();
        Summary {
            core: Arc::new(Core {
                quantiles: quantiles.into_boxed_slice(),
                quantile_labels,
                step,
                window: Mutex::new(Window {
                    slices: (0..age_buckets).map(|_| new_sketch()).collect(),
                    head: 0,
                    head_start: now,
                    count: 0,
                    sum: 0.0,
                }),
                clock,
                created: super::now_seconds(),
            }),
        }
    }

    /// Starts a summary with other quantiles, window or clock.
    pub fn builder() -> SummaryBuilder {
        SummaryBuilder::default()
    }

    /// A summary with the settings given (`None`: the default), as the macros' options
    /// hold them: `#[metric(quantiles = …, max_age = …, age_buckets = …)]` and
    /// `#[instrument_metrics(summary(…))]`.
    pub(crate) fn from_options(
        quantiles: Option<&[f64]>,
        max_age: Option<Duration>,
        age_buckets: Option<usize>,
    ) -> Result<Self, Error> {
        if quantiles.is_none() && max_age.is_none() && age_buckets.is_none() {
            return Ok(Self::new());
        }
        let mut builder = Self::builder();
        if let Some(quantiles) = quantiles {
            builder = builder.quantiles(quantiles);
        }
        if let Some(max_age) = max_age {
            builder = builder.max_age(max_age);
        }
        if let Some(age_buckets) = age_buckets {
            builder = builder.age_buckets(age_buckets);
        }
        builder.build()
    }

    /// Records one observation. NaN counts in `_count` and makes `_sum` NaN, but is not
    /// part of the quantiles.
    #[inline]
    pub fn observe(&self, v: f64) {
        if crate::noop::NOOP {
            return;
        }
        let core = &*self.core;
        let now = core.clock.now();
        let mut window = core.window.lock().unwrap_or_else(PoisonError::into_inner);
        window.count += 1;
        window.sum += v;
        if !v.is_nan() {
            window.advance(now, core.step);
            let head = window.head;
            window.slices[head].add(v);
        }
    }

    /// Records a duration, in seconds.
    #[inline]
    pub fn observe_duration(&self, d: Duration) {
        self.observe(d.as_secs_f64());
    }

    /// The number of observations (all time).
    pub fn count(&self) -> u64 {
        self.lock().count
    }

    /// The sum of observations (all time).
    pub fn sum(&self) -> f64 {
        self.lock().sum
    }

    /// The configured quantiles, ascending.
    pub fn configured_quantiles(&self) -> &[f64] {
        &self.core.quantiles
    }

    /// The estimate of quantile `q` (any value in [0, 1]) over the current window, or
    /// `None` when the window holds no observation or `q` is out of range.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let merged = self.window_sketch();
        merged.quantile(q).ok().flatten()
    }

    /// The configured quantiles with their current estimates (NaN when the window is empty).
    pub fn quantiles(&self) -> Vec<(f64, f64)> {
        let merged = self.window_sketch();
        self.core
            .quantiles
            .iter()
            .map(|&q| (q, merged.quantile(q).ok().flatten().unwrap_or(f64::NAN)))
            .collect()
    }

    /// How many observations the current window holds.
    pub fn window_count(&self) -> usize {
        self.window_sketch().count()
    }

    fn window_sketch(&self) -> DDSketch {
        self.snapshot().0
    }

    /// The current window merged, with the count and sum, read together.
    fn snapshot(&self) -> (DDSketch, u64, f64) {
        let core = &*self.core;
        let now = core.clock.now();
        let mut window = self.lock();
        window.advance(now, core.step);
        (window.merged(), window.count, window.sum)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Window> {
        self.core
            .window
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl Default for Summary {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Summary")
            .field("quantiles", &self.quantiles())
            .field("count", &self.count())
            .field("sum", &self.sum())
            .finish()
    }
}

impl EncodeMetric for Summary {
    fn metric_type(&self) -> MetricType {
        MetricType::Summary
    }

    fn encode(&self, encoder: &mut MetricEncoder<'_>) {
        let (merged, count, sum) = self.snapshot();
        let values = self
            .core
            .quantiles
            .iter()
            .map(|q| merged.quantile(*q).ok().flatten().unwrap_or(f64::NAN));
        encoder.summary(&self.core.quantile_labels, values, sum, count);
        encoder.created(self.core.created);
    }
}

/// Settings of a [`Summary`] written by the attributes
/// (`#[instrument_metrics(name = "…", summary(quantiles = […], max_age = "5m"))]`, a group's
/// `#[metric(quantiles = […])]`): each setting not given keeps the default of [`Summary`].
/// Built with the `const fn` setters from [`SummaryOptions::new`].
#[derive(Debug, Clone, Copy, Default, PartialEq)]
#[non_exhaustive]
pub struct SummaryOptions {
    /// The quantiles reported.
    pub quantiles: Option<&'static [f64]>,
    /// How far back the quantiles look.
    pub max_age: Option<Duration>,
    /// In how many slices the window is kept.
    pub age_buckets: Option<usize>,
}

impl SummaryOptions {
    /// The defaults of [`Summary`].
    pub const fn new() -> Self {
        Self {
            quantiles: None,
            max_age: None,
            age_buckets: None,
        }
    }

    /// The quantiles reported.
    #[must_use]
    pub const fn quantiles(mut self, quantiles: &'static [f64]) -> Self {
        self.quantiles = Some(quantiles);
        self
    }

    /// How far back the quantiles look.
    #[must_use]
    pub const fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = Some(max_age);
        self
    }

    /// In how many slices the window is kept.
    #[must_use]
    pub const fn age_buckets(mut self, age_buckets: usize) -> Self {
        self.age_buckets = Some(age_buckets);
        self
    }

    /// A summary with these settings.
    pub fn build(&self) -> Result<Summary, Error> {
        Summary::from_options(self.quantiles, self.max_age, self.age_buckets)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A clock moved by hand.
    #[derive(Clone)]
    struct ManualClock(Arc<Mutex<Instant>>);

    impl ManualClock {
        fn new() -> Self {
            Self(Arc::new(Mutex::new(Instant::now())))
        }
        fn advance(&self, d: Duration) {
            let mut t = self.0.lock().unwrap_or_else(PoisonError::into_inner);
            *t += d;
        }
    }

    impl Clock for ManualClock {
        fn now(&self) -> Instant {
            *self.0.lock().unwrap_or_else(PoisonError::into_inner)
        }
    }

    /// xorshift64*: a reproducible uniform source in [0, 1).
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> f64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    fn check_accuracy(name: &str, samples: &mut [f64]) {
        let summary = Summary::builder()
            .quantiles(&[0.5, 0.9, 0.95, 0.99, 0.999])
            .build()
            .expect("valid summary settings");
        for &v in samples.iter() {
            summary.observe(v);
        }
        samples.sort_by(f64::total_cmp);
        let n = samples.len();
        for (q, estimate) in summary.quantiles() {
            let exact = samples[(q * (n - 1) as f64) as usize];
            let bound = RELATIVE_ACCURACY * exact.abs() + 1e-12;
            assert!(
                (estimate - exact).abs() <= bound,
                "{name} p{q}: estimate {estimate}, exact {exact}, bound {bound}"
            );
        }
        assert_eq!(summary.count(), n as u64);
        let sum: f64 = samples.iter().sum();
        assert!((summary.sum() - sum).abs() <= 1e-6 * sum.abs().max(1.0));
    }

    #[test]
    fn quantiles_are_within_the_documented_bound() {
        const N: usize = 200_000;
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut uniform: Vec<f64> = (0..N).map(|_| 0.001 + rng.next() * 10.0).collect();
        check_accuracy("uniform", &mut uniform);
        let mut exponential: Vec<f64> = (0..N).map(|_| -(1.0 - rng.next()).ln() * 0.25).collect();
        check_accuracy("exponential", &mut exponential);
        // 70% fast (around 5 ms), 30% slow (around 800 ms): p50 in one mode, p90+ in the other.
        let mut bimodal: Vec<f64> = (0..N)
            .map(|_| {
                if rng.next() < 0.7 {
                    0.004 + rng.next() * 0.002
                } else {
                    0.7 + rng.next() * 0.2
                }
            })
            .collect();
        check_accuracy("bimodal", &mut bimodal);
        let mut signed: Vec<f64> = (0..N).map(|_| rng.next() * 200.0 - 100.0).collect();
        check_accuracy("signed", &mut signed);
    }

    #[test]
    fn old_observations_leave_the_window() {
        let clock = ManualClock::new();
        let summary = Summary::builder()
            .max_age(Duration::from_secs(60))
            .age_buckets(3)
            .clock(clock.clone())
            .build()
            .expect("valid summary settings");
        for _ in 0..100 {
            summary.observe(10.0);
        }
        assert_eq!(summary.window_count(), 100);
        clock.advance(Duration::from_secs(25));
        for _ in 0..100 {
            summary.observe(1.0);
        }
        // Both slices still inside the window: the median is between the two values.
        assert_eq!(summary.window_count(), 200);
        clock.advance(Duration::from_secs(40)); // 65 s after the first batch
        assert_eq!(summary.window_count(), 100, "the first batch aged out");
        let p50 = summary.quantile(0.5).unwrap_or(f64::NAN);
        assert!((p50 - 1.0).abs() <= 0.01, "{p50}");
        clock.advance(Duration::from_secs(3600));
        assert_eq!(summary.window_count(), 0);
        assert_eq!(summary.quantile(0.5), None);
        assert!(summary.quantiles().iter().all(|(_, v)| v.is_nan()));
        // _count and _sum are cumulative, not windowed.
        assert_eq!(summary.count(), 200);
        assert_eq!(summary.sum(), 1100.0);
    }

    #[test]
    fn memory_stays_bounded_under_a_long_stream() {
        let clock = ManualClock::new();
        let summary = Summary::builder()
            .age_buckets(4)
            .clock(clock.clone())
            .build()
            .expect("valid summary settings");
        let mut rng = Rng(42);
        for i in 0..1_000_000u32 {
            // Values over 18 orders of magnitude, time moving on.
            summary.observe(10f64.powf(rng.next() * 18.0 - 9.0));
            if i % 10_000 == 0 {
                clock.advance(Duration::from_secs(7));
            }
        }
        let window = summary
            .core
            .window
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        for slice in &window.slices {
            assert!(slice.length() <= 2 * 2048, "{} bins", slice.length());
        }
        assert_eq!(window.slices.len(), 4);
    }

    #[test]
    fn concurrent_observers_lose_nothing() {
        let summary = Summary::new();
        std::thread::scope(|s| {
            for t in 0..4 {
                let summary = &summary;
                s.spawn(move || {
                    for i in 0..25_000 {
                        summary.observe(f64::from(t * 25_000 + i));
                    }
                });
            }
        });
        assert_eq!(summary.count(), 100_000);
        assert_eq!(summary.window_count(), 100_000);
        assert_eq!(summary.sum(), (0..100_000u64).sum::<u64>() as f64);
    }

    #[test]
    fn options_keep_the_defaults_they_do_not_give() {
        let summary = Summary::from_options(Some(&[0.99, 0.5]), None, Some(2))
            .expect("valid summary settings");
        assert_eq!(summary.configured_quantiles(), [0.5, 0.99]);
        assert_eq!(summary.core.step, DEFAULT_MAX_AGE / 2);
        let summary = Summary::from_options(None, Some(Duration::from_secs(60)), None)
            .expect("valid summary settings");
        assert_eq!(summary.configured_quantiles(), DEFAULT_QUANTILES);
        assert_eq!(
            summary.core.step,
            Duration::from_secs(60) / DEFAULT_AGE_BUCKETS as u32
        );
        assert!(matches!(
            Summary::from_options(Some(&[1.5]), None, None),
            Err(Error::InvalidQuantiles { .. })
        ));
        assert!(matches!(
            Summary::from_options(None, None, Some(0)),
            Err(Error::InvalidQuantiles { .. })
        ));
    }

    /// The shared table (`promforge_rules::table`) through the builder; the macros run it
    /// through `quantiles = […]` and `age_buckets = n`.
    #[test]
    fn the_shared_summary_table() {
        use promforge_rules::table::{AGE_BUCKETS, QUANTILES};
        for &(quantile, ok) in QUANTILES {
            let built = Summary::builder().quantiles(&[quantile]).build();
            assert_eq!(built.is_ok(), ok, "{quantile}");
            assert!(ok || matches!(built, Err(Error::InvalidQuantiles { .. })));
        }
        for &(age_buckets, ok) in AGE_BUCKETS {
            let built = Summary::builder().age_buckets(age_buckets).build();
            assert_eq!(built.is_ok(), ok, "{age_buckets}");
            assert!(ok || matches!(built, Err(Error::InvalidQuantiles { .. })));
        }
    }

    #[test]
    fn invalid_settings_are_errors() {
        for qs in [&[0.0][..], &[1.0], &[0.5, 0.5], &[-0.1], &[f64::NAN]] {
            assert!(
                matches!(
                    Summary::builder().quantiles(qs).build(),
                    Err(Error::InvalidQuantiles { .. })
                ),
                "{qs:?}"
            );
        }
        assert!(matches!(
            Summary::builder().age_buckets(0).build(),
            Err(Error::InvalidQuantiles { .. })
        ));
        assert!(matches!(
            Summary::builder().max_age(Duration::ZERO).build(),
            Err(Error::InvalidQuantiles { .. })
        ));
    }
}
