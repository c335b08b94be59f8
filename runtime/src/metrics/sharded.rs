use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use super::{CounterNumber, EncodeMetric};
use crate::encoding::{MetricEncoder, MetricType};

/// A [`Counter`](super::Counter) for hot paths that many threads update at once: one cell
/// per shard, each on its own cache line, summed when read.
///
/// A plain counter is one atomic; when two cores increment it at the same time its cache
/// line travels between them on every increment, and each increment costs several times
/// what it costs on one thread. A sharded counter gives each thread its own cell (threads
/// are spread over the shards round-robin, in the order they first touch any sharded
/// counter), so an increment stays on its core. [`get`](Self::get) and every scrape add the
/// cells up.
///
/// It is exposed exactly like a `Counter` (a `counter` family with the `_total` suffix).
/// The price is memory: 128 bytes per shard, with twice as many shards as CPUs (at least 4,
/// at most 64) — use it for the few counters that sit on hot multi-threaded paths, not for
/// every series of a large family.
///
/// ```
/// let hits: promforge::ShardedCounter = promforge::ShardedCounter::new();
/// std::thread::scope(|s| {
///     for _ in 0..4 {
///         s.spawn(|| (0..1000).for_each(|_| hits.inc()));
///     }
/// });
/// assert_eq!(hits.get(), 4000);
/// ```
pub struct ShardedCounter<N: CounterNumber = u64> {
    cells: Arc<[Cell]>,
    _number: PhantomData<N>,
}

/// One shard: an atomic alone on a pair of cache lines (x86 prefetches lines in pairs).
#[repr(align(128))]
struct Cell(AtomicU64);

impl<N: CounterNumber> ShardedCounter<N> {
    /// A counter at zero with the default number of shards (twice the CPUs, 4 to 64).
    pub fn new() -> Self {
        Self::with_shards(default_shards())
    }

    /// A counter at zero with `shards` cells (rounded up to a power of two, 1 to 1024).
    pub fn with_shards(shards: usize) -> Self {
        let n = shards.clamp(1, 1024).next_power_of_two();
        Self {
            cells: (0..n)
                .map(|_| Cell(AtomicU64::new(N::ZERO.into_bits())))
                .collect(),
            _number: PhantomData,
        }
    }

    /// The number of shards.
    pub fn shards(&self) -> usize {
        self.cells.len()
    }

    #[inline]
    fn cell(&self) -> &AtomicU64 {
        // The length is a power of two (at least 1): masking is the modulo, always in range.
        &self.cells[shard_index() & (self.cells.len() - 1)].0
    }

    /// Adds one (to this thread's shard).
    #[inline]
    pub fn inc(&self) {
        if crate::noop::NOOP {
            return;
        }
        N::atomic_add(self.cell(), N::ONE);
    }

    /// Adds `v`. A negative or NaN `v` (possible only for `ShardedCounter<f64>`) is
    /// ignored: a counter never goes down.
    #[inline]
    pub fn inc_by(&self, v: N) {
        if !crate::noop::NOOP && v.is_valid_increment() {
            N::atomic_add(self.cell(), v);
        }
    }

    /// The current value: the sum of the shards.
    pub fn get(&self) -> N {
        self.cells.iter().fold(N::ZERO, |sum, cell| {
            sum.plus(N::from_bits(cell.0.load(Ordering::Relaxed)))
        })
    }
}

/// This thread's shard number: threads are numbered round-robin as they first use a
/// sharded counter, so threads started together land on different shards.
#[inline]
fn shard_index() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static INDEX: usize = NEXT.fetch_add(1, Ordering::Relaxed);
    }
    // During thread teardown the thread-local may be gone: any shard is correct.
    INDEX.try_with(|i| *i).unwrap_or(0)
}

fn default_shards() -> usize {
    static SHARDS: OnceLock<usize> = OnceLock::new();
    *SHARDS.get_or_init(|| {
        let cpus = std::thread::available_parallelism().map_or(1, usize::from);
        (cpus * 2).clamp(4, 64).next_power_of_two()
    })
}

impl<N: CounterNumber> Default for ShardedCounter<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<N: CounterNumber> Clone for ShardedCounter<N> {
    fn clone(&self) -> Self {
        Self {
            cells: Arc::clone(&self.cells),
            _number: PhantomData,
        }
    }
}

impl<N: CounterNumber> std::fmt::Debug for ShardedCounter<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShardedCounter")
            .field("value", &self.get())
            .field("shards", &self.shards())
            .finish()
    }
}

impl<N: CounterNumber> EncodeMetric for ShardedCounter<N> {
    fn metric_type(&self) -> MetricType {
        MetricType::Counter
    }

    fn encode(&self, encoder: &mut MetricEncoder<'_>) {
        encoder.counter(self.get());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_lose_nothing() {
        let c = ShardedCounter::<u64>::new();
        assert!(c.shards() >= 4 && c.shards().is_power_of_two());
        let d = c.clone();
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| (0..10_000).for_each(|_| d.inc()));
            }
        });
        c.inc_by(5);
        assert_eq!(c.get(), 80_005);
    }

    #[test]
    fn threads_use_different_shards() {
        // Many shards: other tests' threads, numbered in between, cannot wrap the two
        // threads started here onto the same shard.
        let c = ShardedCounter::<u64>::with_shards(1024);
        std::thread::scope(|s| {
            for _ in 0..2 {
                s.spawn(|| c.inc());
            }
        });
        let used = c
            .cells
            .iter()
            .filter(|cell| cell.0.load(Ordering::Relaxed) > 0)
            .count();
        assert_eq!(used, 2, "two threads started together share no shard");
    }

    #[test]
    fn float_counts_and_shard_counts() {
        let f = ShardedCounter::<f64>::with_shards(3);
        assert_eq!(f.shards(), 4);
        f.inc_by(0.5);
        f.inc_by(-1.0);
        f.inc_by(f64::NAN);
        f.inc();
        assert_eq!(f.get(), 1.5);
        assert_eq!(ShardedCounter::<u64>::with_shards(0).shards(), 1);
        assert_eq!(ShardedCounter::<u64>::with_shards(1 << 20).shards(), 1024);
    }

    #[test]
    fn renders_like_a_counter() -> Result<(), crate::error::Error> {
        let r = crate::registry::Registry::new();
        let c = r.sharded_counter("hot_hits", "Hot hits.")?;
        c.inc_by(3);
        #[derive(crate::LabelSet)]
        struct Worker {
            worker: u8,
        }
        let family = crate::family::Family::<Worker, ShardedCounter>::new();
        r.register("worker_hits", "Hits by worker.", family.clone())?;
        std::thread::scope(|s| {
            for _ in 0..3 {
                s.spawn(|| (0..100).for_each(|_| family.inc(&Worker { worker: 1 })));
            }
        });
        family.inc_by(&Worker { worker: 2 }, 5);
        let text = r.render();
        assert!(text.contains("# TYPE hot_hits_total counter\n"), "{text}");
        assert!(text.contains("hot_hits_total 3\n"), "{text}");
        assert!(
            text.contains("worker_hits_total{worker=\"1\"} 300\n"),
            "{text}"
        );
        assert!(
            text.contains("worker_hits_total{worker=\"2\"} 5\n"),
            "{text}"
        );
        Ok(())
    }
}
