use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::{CounterNumber, EncodeMetric};
use crate::encoding::{MetricEncoder, MetricType};

/// A value that only goes up: requests served, bytes sent, errors seen.
///
/// `Counter` counts in `u64`; `Counter<f64>` (alias [`FloatCounter`](super::FloatCounter))
/// counts fractions, such as seconds. Registered counters are exposed with the `_total`
/// suffix Prometheus expects.
///
/// ```
/// let requests = promforge::Counter::new();
/// requests.inc();
/// requests.inc_by(2);
/// assert_eq!(requests.get(), 3);
/// ```
pub struct Counter<N: CounterNumber = u64> {
    cell: Arc<AtomicU64>,
    _number: PhantomData<N>,
}

impl<N: CounterNumber> Counter<N> {
    /// A counter at zero.
    pub fn new() -> Self {
        Self {
            cell: Arc::new(AtomicU64::new(N::ZERO.into_bits())),
            _number: PhantomData,
        }
    }

    /// Adds one.
    #[inline]
    pub fn inc(&self) {
        if crate::noop::NOOP {
            return;
        }
        N::atomic_add(&self.cell, N::ONE);
    }

    /// Adds `v`. A negative or NaN `v` (possible only for `Counter<f64>`) is ignored:
    /// a counter never goes down.
    #[inline]
    pub fn inc_by(&self, v: N) {
        if !crate::noop::NOOP && v.is_valid_increment() {
            N::atomic_add(&self.cell, v);
        }
    }

    /// The current value.
    #[inline]
    pub fn get(&self) -> N {
        N::from_bits(self.cell.load(Ordering::Relaxed))
    }
}

impl<N: CounterNumber> Default for Counter<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<N: CounterNumber> Clone for Counter<N> {
    fn clone(&self) -> Self {
        Self {
            cell: Arc::clone(&self.cell),
            _number: PhantomData,
        }
    }
}

impl<N: CounterNumber> std::fmt::Debug for Counter<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Counter").field(&self.get()).finish()
    }
}

impl<N: CounterNumber> EncodeMetric for Counter<N> {
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
    fn counts() {
        let c = Counter::<u64>::new();
        let d = c.clone();
        c.inc();
        d.inc_by(41);
        assert_eq!(c.get(), 42);

        let f = Counter::<f64>::new();
        f.inc_by(0.5);
        f.inc_by(-1.0);
        f.inc_by(f64::NAN);
        f.inc();
        assert_eq!(f.get(), 1.5);
    }

    #[test]
    fn threads_lose_nothing() {
        let c = Counter::<f64>::new();
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| (0..10_000).for_each(|_| c.inc()));
            }
        });
        assert_eq!(c.get(), 40_000.0);
    }
}
