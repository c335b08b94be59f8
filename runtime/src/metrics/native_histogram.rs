//! Native (sparse, exponential) histograms: no bucket boundaries to choose, a relative error
//! set by a schema.
//!
//! # Buckets
//!
//! At schema `s` (−4 ..= 8) bucket `k` holds the values `v` with
//! `2^((k−1)·2^−s) < |v| <= 2^(k·2^−s)` (upper bounds inclusive, as in every Prometheus
//! histogram): each bucket is `2^(2^−s)` times as wide as the one before, so any value is known
//! within that factor. Values with `|v| <=` the zero threshold go to the zero bucket; negative
//! values to negative buckets of the same keys; `±Inf` to the bucket past the one holding
//! `±f64::MAX`; NaN only to `count` (and makes `sum` NaN), as the specification says.
//!
//! # Bounded memory, lock-free observations
//!
//! The positive buckets live in a fixed window of `max_buckets` atomic counters at the
//! configured schema, placed around the first positive observation and never moved: an
//! observation in it is one atomic addition (and the sum's compare-and-swap), like a classic
//! histogram's. Anything else (negative values, values outside the window) goes to a sparse
//! map under a mutex, which keeps at most `max_buckets` buckets by lowering its own schema
//! (merging neighbouring buckets pairwise: nothing is lost, only resolution). A render exposes
//! both at the map's schema, lowered further if they hold more than `max_buckets` buckets
//! together. Memory per histogram is thus bounded whatever the data: `max_buckets` counters
//! plus at most `max_buckets` map entries.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use super::{EncodeMetric, Number};
use crate::Error;
use crate::encoding::{BucketLabels, MetricEncoder, MetricType, NativeBuckets};

/// The default bucket factor: each bucket at most 10 % wider than the one before, as in
/// client_golang (schema 3, a factor of `2^(1/8)` ≈ 1.09).
pub const DEFAULT_BUCKET_FACTOR: f64 = 1.1;
/// The default zero threshold, `2^-128`, as in client_golang: values this close to zero
/// are counted in the zero bucket.
pub const DEFAULT_ZERO_THRESHOLD: f64 = 2.938_735_877_055_719e-39;
/// The default maximum number of buckets of one histogram (positive and negative together),
/// the value the specification and OpenTelemetry suggest.
pub const DEFAULT_MAX_BUCKETS: usize = 160;
/// The lowest schema (each bucket 65536 times as wide as the one before).
pub const MIN_SCHEMA: i8 = -4;
/// The highest schema (each bucket `2^(1/256)` ≈ 1.0027 times as wide as the one before).
pub const MAX_SCHEMA: i8 = 8;

/// The schema whose bucket factor is at most `factor` (the highest resolution needed for it),
/// as client_golang picks it: `factor` 1.1 gives schema 3. `None` unless `factor > 1`.
pub fn schema_for_factor(factor: f64) -> Option<i8> {
    if factor.is_nan() || factor <= 1.0 {
        return None;
    }
    let floor = factor.log2().log2().floor();
    Some(if floor <= -8.0 {
        MAX_SCHEMA
    } else if floor >= 4.0 {
        MIN_SCHEMA
    } else {
        -(floor as i8)
    })
}

/// The upper bound of bucket `key` at `schema`: `2^(key · 2^-schema)` (`+Inf` past the bucket
/// of `f64::MAX`).
pub fn bucket_upper_bound(key: i32, schema: i8) -> f64 {
    if schema <= 0 {
        let exp = i64::from(key) << -schema;
        return ldexp(1.0, exp);
    }
    let per_octave = 1i64 << schema;
    let key = i64::from(key);
    let (octave, index) = (key.div_euclid(per_octave), key.rem_euclid(per_octave));
    let frac = bounds(schema)
        .get(index as usize)
        .copied()
        .unwrap_or(f64::NAN);
    // bounds are 2^(i/2^s − 1): one octave lower.
    ldexp(frac, octave + 1)
}

/// `x · 2^exp`, saturating to 0 or infinity.
fn ldexp(x: f64, exp: i64) -> f64 {
    let mut x = x;
    let mut exp = exp.clamp(-2200, 2200);
    while exp > 1000 {
        x *= 2f64.powi(1000);
        exp -= 1000;
    }
    while exp < -1000 {
        x *= 2f64.powi(-1000);
        exp += 1000;
    }
    x * 2f64.powi(exp as i32)
}

/// For schema `s > 0`: the `2^s` values `2^(i/2^s − 1)`, `i` in `0..2^s` (the bucket
/// boundaries in `[0.5, 1)`), against which a value's binary fraction is searched.
fn bounds(schema: i8) -> &'static [f64] {
    static TABLES: OnceLock<Vec<Box<[f64]>>> = OnceLock::new();
    let tables = TABLES.get_or_init(|| {
        (0..=MAX_SCHEMA)
            .map(|s| {
                let n = 1u32 << s;
                (0..n)
                    .map(|i| (f64::from(i) / f64::from(n) - 1.0).exp2())
                    .collect()
            })
            .collect()
    });
    tables
        .get(schema.max(0) as usize)
        .map(|t| &**t)
        .unwrap_or(&[])
}

/// `(frac, exp)` with `v = frac · 2^exp`, `frac` in `[0.5, 1)`, for finite `v > 0`.
#[inline]
fn frexp(v: f64) -> (f64, i32) {
    let bits = v.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    if biased == 0 {
        // Subnormal: scale into the normal range first.
        let (frac, exp) = frexp(v * 2f64.powi(64));
        return (frac, exp - 64);
    }
    let frac = f64::from_bits((bits & ((1u64 << 52) - 1)) | (1022u64 << 52));
    (frac, biased - 1022)
}

/// The key of the bucket holding `|v|` (`v` not NaN, `|v|` above the zero threshold) at
/// `schema`, with `table = bounds(schema)`.
#[inline]
fn key_of(v: f64, schema: i8, table: &[f64]) -> i32 {
    let a = v.abs();
    let (a, inf) = if a.is_infinite() {
        (f64::MAX, 1)
    } else {
        (a, 0)
    };
    let (frac, exp) = frexp(a);
    let key = if schema > 0 {
        let index = table.partition_point(|b| *b < frac) as i32;
        index + ((exp - 1) << schema)
    } else {
        let key = if frac == 0.5 { exp - 1 } else { exp };
        let shift = -i32::from(schema);
        (key + (1 << shift) - 1) >> shift
    };
    key + inf
}

/// `key` (at some schema) at a schema `by` lower: `ceil(key / 2^by)`.
#[inline]
fn reduce_key(key: i32, by: u32) -> i32 {
    if by == 0 {
        key
    } else {
        ((key - 1) >> by.min(31)) + 1
    }
}

/// The settings of a native histogram as a `Copy` value made in a `const` (what
/// `#[instrument_metrics(native(…))]` and [`RegistryBuilder::native_durations`](crate::RegistryBuilder::native_durations)
/// hold); [`NativeOptions::builder`] turns them into a [`NativeHistogramBuilder`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NativeOptions {
    factor: f64,
    zero_threshold: f64,
    max_buckets: usize,
}

impl Default for NativeOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl NativeOptions {
    /// The defaults: [`DEFAULT_BUCKET_FACTOR`], [`DEFAULT_ZERO_THRESHOLD`],
    /// [`DEFAULT_MAX_BUCKETS`].
    pub const fn new() -> Self {
        Self {
            factor: DEFAULT_BUCKET_FACTOR,
            zero_threshold: DEFAULT_ZERO_THRESHOLD,
            max_buckets: DEFAULT_MAX_BUCKETS,
        }
    }

    /// See [`NativeHistogramBuilder::bucket_factor`].
    pub const fn bucket_factor(mut self, factor: f64) -> Self {
        self.factor = factor;
        self
    }

    /// See [`NativeHistogramBuilder::zero_threshold`].
    pub const fn zero_threshold(mut self, threshold: f64) -> Self {
        self.zero_threshold = threshold;
        self
    }

    /// See [`NativeHistogramBuilder::max_buckets`].
    pub const fn max_buckets(mut self, max: usize) -> Self {
        self.max_buckets = max;
        self
    }

    /// A builder with these settings.
    pub fn builder(self) -> NativeHistogramBuilder {
        NativeHistogram::builder()
            .bucket_factor(self.factor)
            .zero_threshold(self.zero_threshold)
            .max_buckets(self.max_buckets)
    }
}

/// How a [`NativeHistogram`] is made: resolution, zero bucket, bucket budget, and optional
/// classic buckets kept alongside (a histogram both classic and native).
///
/// ```
/// # fn main() -> Result<(), promforge::Error> {
/// use promforge::NativeHistogram;
///
/// let h = NativeHistogram::builder()
///     .bucket_factor(1.05) // buckets at most 5 % apart (schema 4)
///     .max_buckets(100)
///     .classic_buckets(&[0.1, 0.5, 1.0]) // also `_bucket{le=…}` for old dashboards
///     .build()?;
/// h.observe(0.3);
/// assert_eq!(h.schema(), 4);
/// assert_eq!(h.count(), 1);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct NativeHistogramBuilder {
    factor: f64,
    zero_threshold: f64,
    max_buckets: usize,
    classic: Option<Vec<f64>>,
}

impl Default for NativeHistogramBuilder {
    fn default() -> Self {
        Self {
            factor: DEFAULT_BUCKET_FACTOR,
            zero_threshold: DEFAULT_ZERO_THRESHOLD,
            max_buckets: DEFAULT_MAX_BUCKETS,
            classic: None,
        }
    }
}

impl NativeHistogramBuilder {
    /// The largest allowed ratio between the bounds of neighbouring buckets (the relative
    /// error is about half of `factor − 1`); the schema is the coarsest one within it.
    /// Must be above 1; [`DEFAULT_BUCKET_FACTOR`] (1.1) unless set.
    pub fn bucket_factor(mut self, factor: f64) -> Self {
        self.factor = factor;
        self
    }

    /// Values with `|v| <= threshold` are counted in the zero bucket. Must be finite and not
    /// negative; [`DEFAULT_ZERO_THRESHOLD`] unless set.
    pub fn zero_threshold(mut self, threshold: f64) -> Self {
        self.zero_threshold = threshold;
        self
    }

    /// At most this many buckets are kept and exposed (positive and negative together); more
    /// distinct values lower the resolution instead. At least 2; [`DEFAULT_MAX_BUCKETS`]
    /// (160) unless set. At the lowest schema (−4) the whole `f64` range fits in 270 buckets,
    /// so a budget below that can be exceeded there, never by more.
    pub fn max_buckets(mut self, max: usize) -> Self {
        self.max_buckets = max;
        self
    }

    /// Also keep classic buckets with these upper bounds (finite, increasing; `+Inf`
    /// implied): the histogram is then exposed both ways in protobuf, and with these
    /// buckets in the text formats.
    pub fn classic_buckets(mut self, bounds: &[f64]) -> Self {
        self.classic = Some(bounds.to_vec());
        self
    }

    /// The histogram, or [`Error::InvalidBuckets`] for a factor not above 1, a zero threshold
    /// negative or not finite, fewer than 2 buckets, or bad classic bounds.
    pub fn build(self) -> Result<NativeHistogram, Error> {
        let err = |reason: String| Err(Error::InvalidBuckets { reason });
        let Some(schema) = schema_for_factor(self.factor) else {
            return err(format!(
                "a native histogram's bucket factor must be above 1 (got {})",
                self.factor
            ));
        };
        if !(self.zero_threshold >= 0.0 && self.zero_threshold.is_finite()) {
            return err(format!(
                "a native histogram's zero threshold must be finite and not negative (got {})",
                self.zero_threshold
            ));
        }
        if self.max_buckets < 2 {
            return err(format!(
                "a native histogram needs at least 2 buckets (got max_buckets {})",
                self.max_buckets
            ));
        }
        let classic = match self.classic {
            Some(bounds) => {
                let bounds = super::histogram::check_buckets(&bounds)?;
                let counts = (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect();
                Some(Classic {
                    buckets: BucketLabels::new(&bounds),
                    counts,
                })
            }
            None => None,
        };
        Ok(NativeHistogram::assemble(
            schema,
            self.zero_threshold,
            self.max_buckets,
            classic,
        ))
    }
}

/// A histogram with exponential buckets chosen by a schema instead of boundaries chosen up
/// front: Prometheus' native histogram. Exposed with its buckets in the protobuf format
/// (Prometheus started with `--enable-feature=native-histograms` asks for it); in the text
/// formats, which cannot carry native buckets, as a classic histogram (see below).
///
/// An observation in the usual range is one atomic addition to its bucket and one to the
/// sum, without a lock: the positive buckets live in a fixed window of `max_buckets`
/// atomic counters, placed around the first positive observation and never moved. Anything
/// else (negative values, values outside the window) is counted in a sparse map under a
/// mutex, which keeps at most `max_buckets` buckets by lowering its own schema (merging
/// neighbouring buckets pairwise: resolution is lost, never an observation). A render
/// exposes both at the map's schema, lowered further while they hold more than
/// `max_buckets` buckets together. Memory is thus bounded whatever the data:
/// `max_buckets` counters plus at most `max_buckets` map entries.
///
/// # In the text formats
///
/// A histogram made with [`classic_buckets`](NativeHistogramBuilder::classic_buckets) shows
/// those. A native-only one shows as a classic histogram with [`TEXT_BUCKETS`] (the usual
/// 5 ms … 10 s), counted from the native buckets: a native bucket goes under the first `le`
/// at or above its upper bound, so a value is at most one native bucket width (the bucket
/// factor) above the `le` it is counted under; `_sum` and `_count` are exact.
///
/// ```
/// use promforge::Registry;
///
/// # fn main() -> Result<(), promforge::Error> {
/// let registry = Registry::new();
/// let latency = registry.native_histogram("request_duration_seconds", "Request latency.")?;
/// latency.observe(0.042);
/// assert_eq!(latency.count(), 1);
/// assert!(registry.render().contains("request_duration_seconds_bucket{le=\"0.05\"} 1\n"));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct NativeHistogram {
    core: Arc<Core>,
}

/// The classic bounds a native-only histogram shows in the text formats: [`DEFAULT_BUCKETS`](
/// super::DEFAULT_BUCKETS).
pub const TEXT_BUCKETS: &[f64] = super::DEFAULT_BUCKETS;

const UNPLACED: i64 = i64::MIN;

/// Buckets as `(key, count)`, keys increasing.
type Keyed = Vec<(i32, u64)>;

struct Core {
    /// The schema of the window (the configured resolution).
    schema: i8,
    /// `bounds(schema)`.
    table: &'static [f64],
    zero_threshold: f64,
    max_buckets: usize,
    /// The key of the window's first counter, or `UNPLACED` before the first positive
    /// observation. Set once.
    window_start: AtomicI64,
    /// Positive buckets `window_start ..` at `schema`.
    window: Box<[AtomicU64]>,
    zero: AtomicU64,
    /// NaN observations: in `count`, in no bucket.
    nan: AtomicU64,
    sum: AtomicU64,
    classic: Option<Classic>,
    sparse: Mutex<Sparse>,
}

struct Classic {
    buckets: BucketLabels,
    counts: Box<[AtomicU64]>,
}

/// Buckets outside the window, at a schema at most the window's.
struct Sparse {
    schema: i8,
    positive: BTreeMap<i32, u64>,
    negative: BTreeMap<i32, u64>,
}

impl Sparse {
    fn len(&self) -> usize {
        self.positive.len() + self.negative.len()
    }

    /// Lowers the schema by one: neighbouring buckets merge pairwise.
    fn reduce(&mut self) {
        self.schema -= 1;
        for map in [&mut self.positive, &mut self.negative] {
            let old = std::mem::take(map);
            for (key, count) in old {
                *map.entry(reduce_key(key, 1)).or_insert(0) += count;
            }
        }
    }
}

impl NativeHistogram {
    /// A native histogram with the defaults: bucket factor 1.1 (schema 3), zero threshold
    /// `2^-128`, at most 160 buckets.
    pub fn new() -> Self {
        // The defaults, valid by construction.
        Self::assemble(3, DEFAULT_ZERO_THRESHOLD, DEFAULT_MAX_BUCKETS, None)
    }

    fn assemble(
        schema: i8,
        zero_threshold: f64,
        max_buckets: usize,
        classic: Option<Classic>,
    ) -> Self {
        Self {
            core: Arc::new(Core {
                schema,
                table: bounds(schema),
                zero_threshold,
                max_buckets,
                window_start: AtomicI64::new(UNPLACED),
                window: (0..max_buckets).map(|_| AtomicU64::new(0)).collect(),
                zero: AtomicU64::new(0),
                nan: AtomicU64::new(0),
                sum: AtomicU64::new(0f64.to_bits()),
                classic,
                sparse: Mutex::new(Sparse {
                    schema,
                    positive: BTreeMap::new(),
                    negative: BTreeMap::new(),
                }),
            }),
        }
    }

    /// Settings other than the defaults.
    pub fn builder() -> NativeHistogramBuilder {
        NativeHistogramBuilder::default()
    }

    /// Records one observation.
    #[inline]
    pub fn observe(&self, v: f64) {
        if crate::noop::NOOP {
            return;
        }
        let core = &*self.core;
        if let Some(classic) = &core.classic {
            let bounds = classic.buckets.bounds();
            let i = if v.is_nan() {
                bounds.len()
            } else {
                bounds.partition_point(|&b| b < v)
            };
            if let Some(c) = classic.counts.get(i) {
                c.fetch_add(1, Ordering::Relaxed);
            }
        }
        f64::atomic_add(&core.sum, v);
        if v.is_nan() {
            core.nan.fetch_add(1, Ordering::Relaxed);
            return;
        }
        if v.abs() <= core.zero_threshold {
            core.zero.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let key = key_of(v, core.schema, core.table);
        if v > 0.0 {
            let start = core.window_start.load(Ordering::Acquire);
            if let Some(slot) = usize::try_from(i64::from(key).wrapping_sub(start))
                .ok()
                .and_then(|i| core.window.get(i))
            {
                slot.fetch_add(1, Ordering::Relaxed);
                return;
            }
        }
        self.observe_slow(key, v > 0.0);
    }

    /// A value outside the window: placed there if the window is not yet, else counted in
    /// the sparse map.
    #[cold]
    fn observe_slow(&self, key: i32, positive: bool) {
        let core = &*self.core;
        let mut sparse = core.sparse.lock().unwrap_or_else(PoisonError::into_inner);
        if positive && core.window_start.load(Ordering::Acquire) == UNPLACED {
            // Centred on the first value: room for `max_buckets / 2` buckets either side.
            let start = i64::from(key) - (core.window.len() / 2) as i64;
            core.window_start.store(start, Ordering::Release);
            if let Some(slot) = usize::try_from(i64::from(key) - start)
                .ok()
                .and_then(|i| core.window.get(i))
            {
                slot.fetch_add(1, Ordering::Relaxed);
                return;
            }
        }
        let key = reduce_key(key, (core.schema - sparse.schema) as u32);
        let map = if positive {
            &mut sparse.positive
        } else {
            &mut sparse.negative
        };
        *map.entry(key).or_insert(0) += 1;
        while sparse.len() > core.max_buckets && sparse.schema > MIN_SCHEMA {
            sparse.reduce();
        }
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

    /// The configured schema (the resolution of new observations in the usual range; the
    /// exposed schema may be lower, see [`exposed_schema`](Self::exposed_schema)).
    pub fn schema(&self) -> i8 {
        self.core.schema
    }

    /// The schema the next render exposes (lower than [`schema`](Self::schema) once more
    /// distinct buckets were seen than the budget holds).
    pub fn exposed_schema(&self) -> i8 {
        self.snapshot(|s| s.schema)
    }

    /// The zero threshold.
    pub fn zero_threshold(&self) -> f64 {
        self.core.zero_threshold
    }

    /// The number of observations (NaN included).
    pub fn count(&self) -> u64 {
        self.snapshot(|s| s.count)
    }

    /// The sum of observations.
    pub fn sum(&self) -> f64 {
        f64::from_bits(self.core.sum.load(Ordering::Relaxed))
    }

    /// The populated buckets as exposed: `(schema, zero count, positive, negative)`, each
    /// bucket as `(key, count)` in increasing key order (for tests and custom exports).
    pub fn buckets(&self) -> (i8, u64, Keyed, Keyed) {
        self.snapshot(|s| {
            (
                s.schema,
                s.zero_count,
                s.positive.to_vec(),
                s.negative.to_vec(),
            )
        })
    }

    /// Estimates quantile `q` (in [0, 1]) of everything observed so far from the buckets,
    /// as PromQL's `histogram_quantile` does on a native histogram: the bucket holding the
    /// rank, and a point inside it interpolated on the log scale (so the estimate is off by
    /// less than the bucket factor). The zero bucket counts as 0. `None` with no
    /// observations in buckets or `q` out of range.
    ///
    /// ```
    /// let h = promforge::NativeHistogram::new();
    /// for ms in 1..=100 {
    ///     h.observe(f64::from(ms) / 1000.0);
    /// }
    /// let p99 = h.estimate_quantile(0.99).unwrap_or_default();
    /// assert!((0.099 / 1.1..=0.099 * 1.1).contains(&p99), "{p99}");
    /// ```
    pub fn estimate_quantile(&self, q: f64) -> Option<f64> {
        if !(0.0..=1.0).contains(&q) {
            return None;
        }
        self.snapshot(|s| {
            // Ascending order of value: negative buckets from the largest key down, zero,
            // positive ones.
            let negative = s.negative.iter().rev().map(|&(k, c)| (-1.0, k, c));
            let zero = std::iter::once((0.0, 0, s.zero_count));
            let positive = s.positive.iter().map(|&(k, c)| (1.0, k, c));
            let buckets = negative.chain(zero).chain(positive);
            let total: u64 = buckets.clone().map(|b| b.2).sum();
            if total == 0 {
                return None;
            }
            let rank = q * total as f64;
            let mut below = 0u64;
            for (sign, key, count) in buckets {
                if count == 0 || ((below + count) as f64) < rank {
                    below += count;
                    continue;
                }
                if sign == 0.0 {
                    return Some(0.0);
                }
                let (lower, upper) = (
                    bucket_upper_bound(key - 1, s.schema),
                    bucket_upper_bound(key, s.schema),
                );
                let fraction = ((rank - below as f64) / count as f64).clamp(0.0, 1.0);
                let (from, to) = if sign > 0.0 {
                    (lower, upper)
                } else {
                    // Ascending through a negative bucket goes from -upper to -lower.
                    (upper, lower)
                };
                let value = if from.is_finite() && to.is_finite() && from > 0.0 {
                    from * (to / from).powf(fraction)
                } else {
                    to.min(f64::MAX)
                };
                return Some(sign * value);
            }
            None
        })
    }

    /// Runs `f` on a consistent view of the buckets (merged, within the budget), made in
    /// this thread's reused scratch space.
    fn snapshot<R: Default>(&self, f: impl FnOnce(&NativeBuckets<'_>) -> R) -> R {
        thread_local! {
            static SCRATCH: std::cell::RefCell<(Keyed, Keyed)> =
                const { std::cell::RefCell::new((Vec::new(), Vec::new())) };
        }
        let core = &*self.core;
        let run = |positive: &mut Vec<(i32, u64)>, negative: &mut Vec<(i32, u64)>| {
            positive.clear();
            negative.clear();
            let mut sparse = core.sparse.lock().unwrap_or_else(PoisonError::into_inner);
            let mut schema = sparse.schema;
            let by = (core.schema - schema) as u32;
            // The window's keys, reduced to the sparse schema, merged with the sparse map's
            // (both ascending).
            let start = core.window_start.load(Ordering::Acquire);
            let window = core.window.iter().enumerate().filter_map(|(i, c)| {
                let count = c.load(Ordering::Relaxed);
                let key = i32::try_from(start.saturating_add(i as i64)).ok()?;
                (count > 0).then(|| (reduce_key(key, by), count))
            });
            let window = if start == UNPLACED {
                None
            } else {
                Some(window)
            };
            merge_into(
                positive,
                window.into_iter().flatten(),
                sparse.positive.iter().map(|(k, c)| (*k, *c)),
            );
            negative.extend(sparse.negative.iter().map(|(k, c)| (*k, *c)));
            while positive.len() + negative.len() > core.max_buckets && schema > MIN_SCHEMA {
                schema -= 1;
                reduce_in_place(positive);
                reduce_in_place(negative);
            }
            // Keep the lower schema from now on: the exposed resolution does not flap.
            while sparse.schema > schema {
                sparse.reduce();
            }
            drop(sparse);
            let zero_count = core.zero.load(Ordering::Relaxed);
            let nan = core.nan.load(Ordering::Relaxed);
            let in_buckets = positive
                .iter()
                .chain(negative.iter())
                .fold(zero_count, |n, (_, c)| n.wrapping_add(*c));
            f(&NativeBuckets {
                schema,
                zero_threshold: core.zero_threshold,
                zero_count,
                count: in_buckets.wrapping_add(nan),
                sum: f64::from_bits(core.sum.load(Ordering::Relaxed)),
                positive,
                negative,
            })
        };
        // Re-entered only if `f` snapshots another histogram (or at thread exit): then
        // fresh vectors.
        let mut run = Some(run);
        let done = SCRATCH
            .try_with(|scratch| {
                let mut scratch = scratch.try_borrow_mut().ok()?;
                let (p, n) = &mut *scratch;
                run.take().map(|run| run(p, n))
            })
            .ok()
            .flatten();
        match (done, run) {
            (Some(r), _) => r,
            (None, Some(run)) => run(&mut Vec::new(), &mut Vec::new()),
            // `run` is taken only when it runs.
            (None, None) => R::default(),
        }
    }
}

/// Merges two ascending `(key, count)` streams into `out`, adding equal keys.
fn merge_into(
    out: &mut Vec<(i32, u64)>,
    a: impl Iterator<Item = (i32, u64)>,
    b: impl Iterator<Item = (i32, u64)>,
) {
    let mut push = |(k, c): (i32, u64)| match out.last_mut() {
        Some((last, n)) if *last == k => *n += c,
        _ => out.push((k, c)),
    };
    let (mut a, mut b) = (a.peekable(), b.peekable());
    loop {
        let next = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) => {
                if x.0 <= y.0 {
                    a.next()
                } else {
                    b.next()
                }
            }
            (Some(_), None) => a.next(),
            (None, Some(_)) => b.next(),
            (None, None) => break,
        };
        if let Some(item) = next {
            push(item);
        }
    }
}

/// Lowers ascending `(key, count)` buckets by one schema, in place.
fn reduce_in_place(buckets: &mut Vec<(i32, u64)>) {
    let mut len = 0usize;
    for i in 0..buckets.len() {
        let Some(&(key, count)) = buckets.get(i) else {
            break;
        };
        let key = reduce_key(key, 1);
        match len.checked_sub(1).and_then(|j| buckets.get_mut(j)) {
            Some((last, n)) if *last == key => *n += count,
            _ => {
                if let Some(slot) = buckets.get_mut(len) {
                    *slot = (key, count);
                }
                len += 1;
            }
        }
    }
    buckets.truncate(len);
}

impl Default for NativeHistogram {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for NativeHistogram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NativeHistogram")
            .field("schema", &self.schema())
            .field("count", &self.count())
            .field("sum", &self.sum())
            .finish()
    }
}

impl EncodeMetric for NativeHistogram {
    fn metric_type(&self) -> MetricType {
        MetricType::Histogram
    }

    fn encode(&self, encoder: &mut MetricEncoder<'_>) {
        let classic = self.core.classic.as_ref();
        self.snapshot(|native| match classic {
            Some(classic) => {
                let counts = classic.counts.iter().map(|c| c.load(Ordering::Relaxed));
                encoder.native_histogram(native, Some((&classic.buckets, counts)));
            }
            None => {
                encoder.native_histogram(native, None::<(&BucketLabels, std::iter::Empty<u64>)>)
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The schema's definition: the upper bound of bucket `k` is `2^(k·2^-s)`, computed
    /// independently of the lookup tables (on the integer and fractional parts of the
    /// exponent).
    fn defined_upper(key: i32, schema: i8) -> f64 {
        let per = 2f64.powi(i32::from(schema));
        let e = f64::from(key) / per;
        let (int, fract) = (e.floor(), e - e.floor());
        ldexp(fract.exp2(), int as i64)
    }

    fn check_key(v: f64, schema: i8) -> Result<(), TestCaseError> {
        let key = key_of(v, schema, bounds(schema));
        let (lower, upper) = (defined_upper(key - 1, schema), defined_upper(key, schema));
        let a = v.abs();
        if lower < f64::MIN_POSITIVE {
            // Bounds among the subnormals are not representable: only the order is checked.
            prop_assert!(a <= upper.max(f64::MIN_POSITIVE));
            return Ok(());
        }
        prop_assert!(
            lower < a && a <= upper,
            "{v} at schema {schema}: key {key}, bucket ({lower}, {upper}]"
        );
        Ok(())
    }

    #[test]
    fn schemas_from_factors_match_the_specification_table() {
        for (factor, schema) in [
            (65536.0, -4),
            (256.0, -3),
            (16.0, -2),
            (4.0, -1),
            (2.0, 0),
            (1.5, 1),
            (1.2, 2),
            (1.1, 3),
            (1.05, 4),
            (1.03, 5),
            (1.02, 6),
            (1.01, 7),
            (1.005, 8),
            (1.000_001, 8),
            (1e300, -4),
        ] {
            assert_eq!(schema_for_factor(factor), Some(schema), "{factor}");
        }
        assert_eq!(schema_for_factor(1.0), None);
        assert_eq!(schema_for_factor(f64::NAN), None);
    }

    #[test]
    fn keys_of_powers_of_two_and_their_neighbours() {
        // 1 is the upper bound of bucket 0 at every schema; 2 of bucket 2^s (s >= 0).
        for schema in MIN_SCHEMA..=MAX_SCHEMA {
            let t = bounds(schema);
            assert_eq!(key_of(1.0, schema, t), 0, "schema {schema}");
            assert_eq!(key_of(1.0f64.next_up(), schema, t), 1, "schema {schema}");
            if schema >= 0 {
                assert_eq!(key_of(2.0, schema, t), 1 << schema, "schema {schema}");
            }
        }
        // Schema 0: (0.5, 1] is 0, (1, 2] is 1, (2, 4] is 2.
        assert_eq!(key_of(3.0, 0, &[]), 2);
        assert_eq!(key_of(0.75, 0, &[]), 0);
        // Schema -1: (1, 4] is 1.
        assert_eq!(key_of(3.0, -1, &[]), 1);
        assert_eq!(key_of(4.0, -1, &[]), 1);
        assert_eq!(key_of(4.0f64.next_up(), -1, &[]), 2);
    }

    #[test]
    fn infinities_and_extremes() {
        for schema in MIN_SCHEMA..=MAX_SCHEMA {
            let t = bounds(schema);
            let max = key_of(f64::MAX, schema, t);
            assert_eq!(key_of(f64::INFINITY, schema, t), max + 1);
            assert_eq!(key_of(f64::NEG_INFINITY, schema, t), max + 1);
            check_key(f64::MAX, schema).unwrap_or_else(|e| panic!("{e}"));
            check_key(f64::MIN_POSITIVE, schema).unwrap_or_else(|e| panic!("{e}"));
            check_key(5e-324, schema).unwrap_or_else(|e| panic!("{e}"));
        }
        let h = NativeHistogram::new();
        for v in [
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            0.0,
            -0.0,
            1.0,
            -1.0,
        ] {
            h.observe(v);
        }
        let (schema, zero, pos, neg) = h.buckets();
        assert_eq!(schema, 3);
        assert_eq!(zero, 2);
        assert_eq!(pos, vec![(0, 1), (8193, 1)]);
        assert_eq!(neg, vec![(0, 1), (8193, 1)]);
        assert_eq!(h.count(), 7, "NaN counts, in no bucket");
        assert!(h.sum().is_nan());
    }

    #[test]
    fn bad_settings_are_errors() {
        assert!(
            NativeHistogram::builder()
                .bucket_factor(1.0)
                .build()
                .is_err()
        );
        assert!(
            NativeHistogram::builder()
                .bucket_factor(f64::NAN)
                .build()
                .is_err()
        );
        assert!(
            NativeHistogram::builder()
                .zero_threshold(-1.0)
                .build()
                .is_err()
        );
        assert!(
            NativeHistogram::builder()
                .zero_threshold(f64::INFINITY)
                .build()
                .is_err()
        );
        assert!(NativeHistogram::builder().max_buckets(1).build().is_err());
        assert!(
            NativeHistogram::builder()
                .classic_buckets(&[2.0, 1.0])
                .build()
                .is_err()
        );
    }

    #[test]
    fn zero_threshold_takes_small_values_both_signs() {
        let h = NativeHistogram::builder()
            .zero_threshold(0.01)
            .build()
            .unwrap_or_default();
        for v in [0.01, -0.01, 0.005, 0.0, 0.02] {
            h.observe(v);
        }
        let (_, zero, pos, neg) = h.buckets();
        assert_eq!(zero, 4);
        assert_eq!(pos.iter().map(|b| b.1).sum::<u64>(), 1);
        assert!(neg.is_empty());
    }

    #[test]
    fn a_wide_spread_lowers_the_schema_within_the_budget() {
        let h = NativeHistogram::builder()
            .max_buckets(20)
            .build()
            .unwrap_or_default();
        let mut n = 0;
        for e in -200..200 {
            h.observe(2f64.powf(f64::from(e) / 3.0));
            h.observe(-(2f64.powf(f64::from(e) / 7.0)));
            n += 2;
        }
        let (schema, zero, pos, neg) = h.buckets();
        assert!(schema < 3, "schema {schema}");
        assert!(
            pos.len() + neg.len() <= 20,
            "{} buckets",
            pos.len() + neg.len()
        );
        let total: u64 = pos.iter().chain(&neg).map(|b| b.1).sum::<u64>() + zero;
        assert_eq!(total, n);
        assert_eq!(h.count(), n);
    }

    #[test]
    fn reduction_keeps_keys_covering_their_values() {
        // ceil(key / 2^by) is the bucket of a lower schema containing the finer one.
        for key in -40..40 {
            for by in 0..4u32 {
                let coarse = reduce_key(key, by);
                let s = 4i8;
                assert!(
                    defined_upper(key, s) <= defined_upper(coarse, s - by as i8)
                        && defined_upper(key - 1, s) >= defined_upper(coarse - 1, s - by as i8),
                    "{key} by {by}"
                );
            }
        }
    }

    fn value() -> impl Strategy<Value = f64> {
        prop_oneof![
            // A spread of magnitudes, both signs.
            (-60i32..60, 0.5f64..1.0, any::<bool>()).prop_map(|(e, m, neg)| if neg {
                -1.0
            } else {
                1.0
            } * m
                * 2f64.powi(e)),
            // Anything a float can be (finite).
            any::<f64>().prop_filter("finite", |v| v.is_finite()),
            // Exactly on bucket bounds, and just past them.
            (-500i32..500, 0i8..=8, any::<bool>()).prop_map(|(k, s, up)| {
                let b = bucket_upper_bound(k, s);
                if up { b.next_up() } else { b }
            }),
        ]
    }

    proptest! {
        #[test]
        fn every_key_matches_the_schema_definition(v in value(), schema in MIN_SCHEMA..=MAX_SCHEMA) {
            prop_assume!(v != 0.0);
            check_key(v, schema)?;
        }

        #[test]
        fn counts_add_up_and_reduction_loses_nothing(
            values in proptest::collection::vec(value(), 1..400),
            max in 2usize..200,
            factor in 1.001f64..3.0,
        ) {
            let h = NativeHistogram::builder()
                .max_buckets(max)
                .bucket_factor(factor)
                .zero_threshold(1e-300)
                .build()
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            for &v in &values {
                h.observe(v);
            }
            let (schema, zero, pos, neg) = h.buckets();
            let in_buckets: u64 = pos.iter().chain(&neg).map(|b| b.1).sum::<u64>() + zero;
            prop_assert_eq!(in_buckets, values.len() as u64);
            prop_assert_eq!(h.count(), values.len() as u64);
            prop_assert!(schema <= h.schema() && schema >= MIN_SCHEMA);
            if schema > MIN_SCHEMA {
                prop_assert!(pos.len() + neg.len() <= max);
            }
            prop_assert!(pos.windows(2).all(|w| w[0].0 < w[1].0));
            prop_assert!(neg.windows(2).all(|w| w[0].0 < w[1].0));
            // Each value is in the bucket its key at the exposed schema names.
            let t = bounds(schema);
            for &v in &values {
                if v.abs() <= 1e-300 {
                    continue;
                }
                let key = key_of(v, schema, t);
                let side = if v > 0.0 { &pos } else { &neg };
                prop_assert!(side.iter().any(|b| b.0 == key), "{} (key {}) missing", v, key);
            }
        }
    }

    #[test]
    fn two_threads_lose_nothing() {
        let h = NativeHistogram::builder()
            .max_buckets(16)
            .build()
            .unwrap_or_default();
        std::thread::scope(|s| {
            for t in 0..2 {
                let h = h.clone();
                s.spawn(move || {
                    for i in 0..20_000u32 {
                        let v = f64::from(i % 97 + 1) * if t == 0 { 1e-3 } else { -1e3 };
                        h.observe(v);
                    }
                });
            }
        });
        let (_, zero, pos, neg) = h.buckets();
        let total: u64 = pos.iter().chain(&neg).map(|b| b.1).sum::<u64>() + zero;
        assert_eq!(total, 40_000);
    }

    #[test]
    fn quantiles_are_within_a_bucket_factor() {
        let h = NativeHistogram::new();
        assert_eq!(h.estimate_quantile(0.5), None);
        let values: Vec<f64> = (1..=1000).map(|i| f64::from(i) * 1e-3).collect();
        for &v in &values {
            h.observe(v);
        }
        let factor = 2f64.powf(1.0 / 8.0);
        for q in [0.01, 0.25, 0.5, 0.9, 0.99, 1.0] {
            let truth = values[((q * 1000.0) as usize).clamp(1, 1000) - 1];
            let estimate = h.estimate_quantile(q).unwrap_or(f64::NAN);
            assert!(
                estimate <= truth * factor && estimate >= truth / factor,
                "q {q}: {estimate} vs {truth}"
            );
        }
        assert_eq!(h.estimate_quantile(1.5), None);
        let n = NativeHistogram::new();
        for v in [-4.0, -2.0, 0.0, 8.0] {
            n.observe(v);
        }
        let low = n.estimate_quantile(0.1).unwrap_or(f64::NAN);
        assert!((-4.0..=-2.0 * factor).contains(&low), "{low}");
        assert_eq!(n.estimate_quantile(0.6), Some(0.0));
    }

    #[test]
    fn classic_buckets_count_alongside() {
        let h = NativeHistogram::builder()
            .classic_buckets(&[1.0, 2.0])
            .build()
            .unwrap_or_default();
        for v in [0.5, 1.5, 3.0, f64::NAN] {
            h.observe(v);
        }
        let classic = h.core.classic.as_ref().map(|c| {
            c.counts
                .iter()
                .map(|c| c.load(Ordering::Relaxed))
                .collect::<Vec<_>>()
        });
        assert_eq!(classic, Some(vec![1, 1, 2]));
        assert_eq!(h.count(), 4);
    }
}
