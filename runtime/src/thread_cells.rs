//! Per-thread cells of instrumented call sites: each thread that runs a site records its
//! calls started and ended, results and durations in cells of its own, written with a plain
//! load and store (no locked instruction, no cache line shared with another core), and a
//! scrape adds up every thread's cells. The site's series in the shared families are views
//! onto them ([`CallSeries::Site`], [`DurationSeries::Site`], [`InFlightSeries::Site`]).
//!
//! One writer per cell: every running thread holds a slot number of its own (a `const`
//! thread-local without destructor, so reading it never fails, even while the thread's
//! thread-locals are being destroyed). A thread's slot is given back when the thread exits,
//! and with it its cells (and their counts) to a thread started after it. A call made after
//! the thread gave its slot back (from another thread-local's destructor: a pool's `Drop`,
//! a guard flushing on exit) is recorded in the site's shared cells with atomic adds:
//! counted exactly, never a panic (a panic in a thread-local destructor aborts the process).
//!
//! In flight is kept as two monotone counts, calls started and calls ended, so a call may
//! start on one thread and end on another (an async call migrating between workers). A
//! scrape reads every thread's starts first, then every thread's ends: each call whose
//! start was counted and whose end was not was in flight when the starts had been read, so
//! the difference never exceeds the calls in flight then; it is clamped at 0 (an end may be
//! counted whose start was made after its thread's starts were read).

use std::cell::Cell;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use crate::encoding::{MetricEncoder, MetricType};
use crate::metrics::{Counter, EncodeMetric, ExemplarSlot, Gauge, Histogram, auto_exemplar};

/// Slot numbers of running threads; a number is reused (lowest first) after its thread
/// exited, so the slots stay as few as the threads that run at once.
#[derive(Default)]
struct SlotPool {
    next: usize,
    free: BinaryHeap<Reverse<usize>>,
}

static SLOTS: Mutex<SlotPool> = Mutex::new(SlotPool {
    next: 0,
    free: BinaryHeap::new(),
});

/// [`SLOT`] of a thread whose slot was given back (it is exiting).
const EXITED: usize = usize::MAX;

thread_local! {
    /// This thread's slot number + 1; 0 before its first call, [`EXITED`] after its exit.
    /// No destructor: reading it never fails.
    static SLOT: Cell<usize> = const { Cell::new(0) };
    /// Gives the slot back when the thread exits.
    static SLOT_GUARD: SlotGuard = const { SlotGuard(Cell::new(EXITED)) };
}

struct SlotGuard(Cell<usize>);

impl Drop for SlotGuard {
    fn drop(&mut self) {
        SLOT.set(EXITED);
        let slot = self.0.get();
        if slot != EXITED {
            SLOTS
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .free
                .push(Reverse(slot));
        }
    }
}

/// This thread's slot number; `None` once the thread gave it back (or could not take one:
/// its thread-locals are being destroyed).
#[inline]
fn this_slot() -> Option<usize> {
    match SLOT.get() {
        0 => take_slot(),
        EXITED => None,
        slot => Some(slot - 1),
    }
}

#[cold]
fn take_slot() -> Option<usize> {
    let slot = {
        let mut pool = SLOTS.lock().unwrap_or_else(PoisonError::into_inner);
        match pool.free.pop() {
            Some(Reverse(slot)) => slot,
            None => {
                pool.next += 1;
                pool.next - 1
            }
        }
    };
    if SLOT_GUARD.try_with(|guard| guard.0.set(slot)).is_err() {
        // Past this thread's thread-local destruction: nothing would give the slot back.
        SLOTS
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .free
            .push(Reverse(slot));
        SLOT.set(EXITED);
        return None;
    }
    SLOT.set(slot + 1);
    Some(slot)
}

/// Slot `n` is entry `n + 1 - 2^b` of bucket `b = log2(n + 1)`: bucket `b` holds `2^b`
/// entries, allocated when a thread of its range first records.
const BUCKETS: usize = 24;

#[inline]
fn bucket_of(slot: usize) -> (usize, usize) {
    let n = slot + 1;
    let bucket = (usize::BITS - 1 - n.leading_zeros()) as usize;
    (bucket, n - (1 << bucket))
}

/// One thread's values of a call site, on cache lines of its own.
#[repr(align(128))]
struct Cells {
    /// Calls started on this thread.
    started: AtomicU64,
    /// Calls ended on this thread (a call may start on one thread and end on another).
    ended: AtomicU64,
    /// `ok`, `error`, `cancelled`, `panic`.
    calls: [AtomicU64; 4],
    /// A site with closed labels from its arguments: the four results of each label
    /// combination (`combination * 4 + result`), made at this thread's first such call.
    combos: OnceLock<Box<[AtomicU64]>>,
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
            started: AtomicU64::new(0),
            ended: AtomicU64::new(0),
            calls: Default::default(),
            combos: OnceLock::new(),
            sum: AtomicU64::new(0f64.to_bits()),
            buckets: (0..buckets.div_ceil(16)).map(|_| Line::default()).collect(),
        }
    }

    #[inline]
    fn bucket(&self, i: usize) -> Option<&AtomicU64> {
        self.buckets.get(i / 16).and_then(|line| line.0.get(i % 16))
    }
}

/// Who writes a set of cells.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Writer {
    /// Only this thread: a plain load and store.
    Owner,
    /// Any thread (the shared cells): atomic read-modify-writes.
    Shared,
}

impl Writer {
    /// Adds `by` to `cell`; the store releases what this thread wrote before (a scrape that
    /// counts an end also sees its start).
    #[inline]
    fn bump(self, cell: &AtomicU64, by: u64) {
        match self {
            Self::Owner => cell.store(
                cell.load(Ordering::Relaxed).wrapping_add(by),
                Ordering::Release,
            ),
            Self::Shared => {
                cell.fetch_add(by, Ordering::AcqRel);
            }
        }
    }

    /// Adds `v` to the `f64` in `cell`.
    #[inline]
    fn add_f64(self, cell: &AtomicU64, v: f64) {
        match self {
            Self::Owner => {
                let sum = f64::from_bits(cell.load(Ordering::Relaxed)) + v;
                cell.store(sum.to_bits(), Ordering::Relaxed);
            }
            Self::Shared => {
                let _ = cell.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |bits| {
                    Some((f64::from_bits(bits) + v).to_bits())
                });
            }
        }
    }
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

/// A call's result counted per label combination: counter `index` of `len`
/// (`combination * 4 + result`, `len` = 4 × the combinations of the site's label types).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ComboResult {
    pub(crate) index: usize,
    pub(crate) len: usize,
}

type Bucket = Box<[OnceLock<Cells>]>;

/// The cells of one call site (one function of one module), every thread's.
pub(crate) struct SiteCells {
    /// The duration buckets (an empty histogram: its bounds and pre-rendered `le` pairs).
    shape: Histogram,
    /// Each thread's cells, by slot number.
    threads: [OnceLock<Bucket>; BUCKETS],
    /// The cells of calls made by threads without a slot (exiting threads).
    shared: Cells,
    /// The duration buckets' automatic exemplars (made at the first).
    exemplars: OnceLock<Box<[ExemplarSlot]>>,
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
        let shared = Cells::new(shape.buckets().len() + 1);
        Self {
            shape,
            threads: Default::default(),
            shared,
            exemplars: OnceLock::new(),
        }
    }

    /// This thread's cells, or the shared ones when it has no slot.
    #[inline]
    fn mine(&self) -> (&Cells, Writer) {
        let Some(slot) = this_slot() else {
            return (&self.shared, Writer::Shared);
        };
        let (bucket, index) = bucket_of(slot);
        let Some(bucket) = self
            .threads
            .get(bucket)
            .map(|b| b.get_or_init(|| (0..1usize << bucket).map(|_| OnceLock::new()).collect()))
        else {
            return (&self.shared, Writer::Shared);
        };
        match bucket.get(index) {
            Some(cells) => (
                cells.get_or_init(|| Cells::new(self.shape.buckets().len() + 1)),
                Writer::Owner,
            ),
            None => (&self.shared, Writer::Shared),
        }
    }

    /// Every thread's cells, the shared ones last.
    fn every(&self) -> impl Iterator<Item = &Cells> {
        self.threads
            .iter()
            .filter_map(OnceLock::get)
            .flat_map(|bucket| bucket.iter().filter_map(OnceLock::get))
            .chain(std::iter::once(&self.shared))
    }

    /// A call started on this thread.
    #[inline]
    pub(crate) fn enter(&self) {
        let (cells, writer) = self.mine();
        writer.bump(&cells.started, 1);
    }

    /// A call ended on this thread.
    #[inline]
    pub(crate) fn leave(&self, ending: Ending) {
        let (cells, writer) = self.mine();
        self.record(cells, writer, ending);
    }

    /// A call of a site with closed labels ended on this thread: its result counted among
    /// its label combination's (`combo`), in the same visit of this thread's cells.
    #[inline]
    pub(crate) fn leave_combo(&self, ending: Ending, combo: ComboResult) {
        let (cells, writer) = self.mine();
        let counts = cells
            .combos
            .get_or_init(|| (0..combo.len).map(|_| AtomicU64::new(0)).collect());
        if let Some(call) = counts.get(combo.index) {
            writer.bump(call, 1);
        }
        self.record(cells, writer, ending);
    }

    /// What a call's end writes into `cells`.
    #[inline(always)]
    fn record(&self, cells: &Cells, writer: Writer, ending: Ending) {
        if let Some(v) = ending.seconds {
            let bucket = self.shape.bucket_of(v);
            if let Some(count) = cells.bucket(bucket) {
                writer.bump(count, 1);
            }
            writer.add_f64(&cells.sum, v);
            auto_exemplar(&self.exemplars, self.shape.buckets().len() + 1, bucket, v);
        }
        if let Some(call) = ending.result.and_then(|r| cells.calls.get(r)) {
            writer.bump(call, 1);
        }
        // Last: a scrape that counts this end sees the rest of the call too.
        if ending.in_flight {
            writer.bump(&cells.ended, 1);
        }
    }

    fn total(&self, read: impl Fn(&Cells) -> u64) -> u64 {
        self.every()
            .fold(0u64, |total, cells| total.wrapping_add(read(cells)))
    }

    fn calls(&self, result: usize) -> u64 {
        self.total(|c| c.calls.get(result).map_or(0, |v| v.load(Ordering::Relaxed)))
    }

    fn combo_calls(&self, index: usize) -> u64 {
        self.total(|c| {
            c.combos
                .get()
                .and_then(|counts| counts.get(index))
                .map_or(0, |v| v.load(Ordering::Relaxed))
        })
    }

    /// Calls in flight: every start read before any end (see the module's docs), never
    /// below 0.
    fn in_flight(&self) -> i64 {
        let started = self.total(|c| c.started.load(Ordering::Acquire));
        let ended = self.total(|c| c.ended.load(Ordering::Acquire));
        (started.wrapping_sub(ended) as i64).max(0)
    }

    fn encode_durations(&self, encoder: &mut MetricEncoder<'_>) {
        let n = self.shape.buckets().len() + 1;
        let counts: Vec<u64> = (0..n)
            .map(|i| self.total(|c| c.bucket(i).map_or(0, |v| v.load(Ordering::Relaxed))))
            .collect();
        let sum = self
            .every()
            .map(|c| f64::from_bits(c.sum.load(Ordering::Relaxed)))
            .sum();
        let exemplars = self.exemplars.get().map(|e| &e[..]);
        self.shape
            .encode_counts(encoder, counts.into_iter(), sum, exemplars);
    }
}

/// A series of the shared calls family: a plain counter (series that no site's cells hold,
/// such as `error="<variant>"`), a site's count of one result, or a labeled site's count of
/// one result of one label combination.
#[derive(Clone, Debug)]
pub(crate) enum CallSeries {
    Counter(Counter),
    Site(Arc<SiteCells>, usize),
    Combo(Arc<SiteCells>, ComboResult),
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
            Self::Combo(cells, combo) => cells.leave_combo(
                Ending {
                    in_flight: false,
                    seconds: None,
                    result: None,
                },
                *combo,
            ),
        }
    }

    /// Whether this is `cells`' count of `result`.
    pub(crate) fn is_site(&self, cells: &Arc<SiteCells>, result: usize) -> bool {
        matches!(self, Self::Site(c, r) if Arc::ptr_eq(c, cells) && *r == result)
    }

    /// Whether this is `cells`' count of `combo`.
    pub(crate) fn is_combo(&self, cells: &Arc<SiteCells>, combo: ComboResult) -> bool {
        matches!(self, Self::Combo(c, r) if Arc::ptr_eq(c, cells) && *r == combo)
    }
}

impl EncodeMetric for CallSeries {
    fn metric_type(&self) -> MetricType {
        MetricType::Counter
    }

    fn encode(&self, encoder: &mut MetricEncoder<'_>) {
        let value = match self {
            Self::Counter(counter) => counter.get(),
            Self::Site(cells, result) => cells.calls(*result),
            Self::Combo(cells, combo) => cells.combo_calls(combo.index),
        };
        encoder.counter(value);
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

    fn encode(&self, encoder: &mut MetricEncoder<'_>) {
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

    fn encode(&self, encoder: &mut MetricEncoder<'_>) {
        let value = match self {
            Self::Gauge(gauge) => gauge.get(),
            Self::Site(cells) => cells.in_flight(),
        };
        encoder.gauge(value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_threads_cells_add_up() -> Result<(), crate::error::Error> {
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

        let r = crate::registry::Registry::new();
        r.register("site", "Site.", DurationSeries::Site(cells.clone()))?;
        let text = r.render();
        assert!(text.contains("site_bucket{le=\"0.1\"} 2000\n"), "{text}");
        assert!(text.contains("site_bucket{le=\"1\"} 4000\n"), "{text}");
        assert!(text.contains("site_bucket{le=\"+Inf\"} 4000\n"), "{text}");
        assert!(text.contains("site_sum 1125\n"), "{text}");
        assert!(text.contains("site_count 4000\n"), "{text}");
        Ok(())
    }

    /// Calls made from thread-local destructors, before and after the thread gave its slot
    /// back, and on a thread that never had one: all counted, nothing panics.
    #[test]
    fn calls_during_thread_exit_are_counted() -> Result<(), crate::error::Error> {
        struct CallsOnDrop(Arc<SiteCells>);
        impl Drop for CallsOnDrop {
            fn drop(&mut self) {
                for _ in 0..3 {
                    self.0.enter();
                    self.0.leave(Ending {
                        in_flight: true,
                        seconds: Some(0.5),
                        result: Some(0),
                    });
                }
            }
        }
        thread_local! {
            static EARLY: std::cell::RefCell<Option<CallsOnDrop>> =
                const { std::cell::RefCell::new(None) };
            static LATE: std::cell::RefCell<Option<CallsOnDrop>> =
                const { std::cell::RefCell::new(None) };
        }
        let cells = Arc::new(SiteCells::new(Histogram::with_buckets(&[1.0])?));
        // Joined (not scoped) threads: a join waits for the thread-local destructors too.
        let threads: Vec<_> = (0..6)
            .map(|t| {
                let cells = Arc::clone(&cells);
                std::thread::spawn(move || {
                    // Destroyed after the slot guard (registered before it)…
                    EARLY.set(Some(CallsOnDrop(Arc::clone(&cells))));
                    if t % 2 == 0 {
                        // …(threads that called before exiting, and threads that did not)…
                        cells.enter();
                        cells.leave(Ending {
                            in_flight: true,
                            seconds: None,
                            result: Some(0),
                        });
                    }
                    // …and destroyed before it.
                    LATE.set(Some(CallsOnDrop(cells)));
                })
            })
            .collect();
        for thread in threads {
            assert!(thread.join().is_ok());
        }
        assert_eq!(cells.calls(0), 6 * 6 + 3);
        assert_eq!(cells.in_flight(), 0);
        let count: u64 = cells
            .every()
            .map(|c| c.bucket(0).map_or(0, |b| b.load(Ordering::Relaxed)))
            .sum();
        assert_eq!(count, 36);
        Ok(())
    }

    /// Starts are read before ends: calls that start and end between the two readings make
    /// the difference negative, which is clamped; the value never exceeds what was in
    /// flight when the starts were read.
    #[test]
    fn in_flight_is_never_negative() -> Result<(), crate::error::Error> {
        let cells = SiteCells::new(Histogram::with_buckets(&[1.0])?);
        let started = cells.total(|c| c.started.load(Ordering::Acquire));
        // Between the readings: a call starts elsewhere and ends here.
        std::thread::scope(|s| {
            s.spawn(|| cells.enter());
        });
        cells.leave(Ending {
            in_flight: true,
            seconds: None,
            result: None,
        });
        let ended = cells.total(|c| c.ended.load(Ordering::Acquire));
        assert_eq!(started.wrapping_sub(ended) as i64, -1);
        assert_eq!(cells.in_flight(), 0);
        cells.enter();
        assert_eq!(cells.in_flight(), 1);
        Ok(())
    }

    #[test]
    fn slots_map_onto_growing_buckets() {
        assert_eq!(bucket_of(0), (0, 0));
        assert_eq!(bucket_of(1), (1, 0));
        assert_eq!(bucket_of(2), (1, 1));
        assert_eq!(bucket_of(3), (2, 0));
        assert_eq!(bucket_of(6), (2, 3));
        assert_eq!(bucket_of(7), (3, 0));
    }
}
