use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::{EncodeMetric, GaugeNumber};
use crate::encoding::{MetricEncoder, MetricType};

/// A value that goes up and down: queue depth, connections open, memory in use.
///
/// `Gauge` holds an `i64`; `Gauge<f64>` (alias [`FloatGauge`](super::FloatGauge)) a float.
///
/// ```
/// let queue = promforge::Gauge::new();
/// queue.set(10);
/// queue.dec();
/// assert_eq!(queue.get(), 9);
/// {
///     let _busy = queue.track_in_flight(); // +1 until dropped
///     assert_eq!(queue.get(), 10);
/// }
/// assert_eq!(queue.get(), 9);
/// ```
pub struct Gauge<N: GaugeNumber = i64> {
    cell: Arc<AtomicU64>,
    _number: PhantomData<N>,
}

impl<N: GaugeNumber> Gauge<N> {
    /// A gauge at zero.
    pub fn new() -> Self {
        Self {
            cell: Arc::new(AtomicU64::new(N::ZERO.into_bits())),
            _number: PhantomData,
        }
    }

    /// Sets the value.
    #[inline]
    pub fn set(&self, v: N) {
        if crate::noop::NOOP {
            return;
        }
        self.cell.store(v.into_bits(), Ordering::Relaxed);
    }

    /// Adds one.
    #[inline]
    pub fn inc(&self) {
        if crate::noop::NOOP {
            return;
        }
        N::atomic_add(&self.cell, N::ONE);
    }

    /// Subtracts one.
    #[inline]
    pub fn dec(&self) {
        if crate::noop::NOOP {
            return;
        }
        N::atomic_add(&self.cell, N::ONE.negate());
    }

    /// Adds `v` (which may be negative).
    #[inline]
    pub fn add(&self, v: N) {
        if crate::noop::NOOP {
            return;
        }
        N::atomic_add(&self.cell, v);
    }

    /// Subtracts `v`.
    #[inline]
    pub fn sub(&self, v: N) {
        if crate::noop::NOOP {
            return;
        }
        N::atomic_add(&self.cell, v.negate());
    }

    /// The current value.
    #[inline]
    pub fn get(&self) -> N {
        N::from_bits(self.cell.load(Ordering::Relaxed))
    }

    /// Adds one now and subtracts it again when the returned guard is dropped
    /// (also on an early return, a `?`, a panic or a dropped future).
    #[inline]
    pub fn track_in_flight(&self) -> InFlightGuard<N> {
        self.inc();
        InFlightGuard {
            gauge: self.clone(),
        }
    }
}

impl<N: GaugeNumber> Default for Gauge<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<N: GaugeNumber> Clone for Gauge<N> {
    fn clone(&self) -> Self {
        Self {
            cell: Arc::clone(&self.cell),
            _number: PhantomData,
        }
    }
}

impl<N: GaugeNumber> std::fmt::Debug for Gauge<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Gauge").field(&self.get()).finish()
    }
}

impl<N: GaugeNumber> EncodeMetric for Gauge<N> {
    fn metric_type(&self) -> MetricType {
        MetricType::Gauge
    }

    fn encode(&self, encoder: &mut MetricEncoder<'_>) {
        encoder.gauge(self.get());
    }
}

/// Decrements its gauge when dropped; made by [`Gauge::track_in_flight`].
#[must_use = "the gauge goes back down as soon as the guard is dropped"]
#[derive(Debug)]
pub struct InFlightGuard<N: GaugeNumber = i64> {
    gauge: Gauge<N>,
}

impl<N: GaugeNumber> Drop for InFlightGuard<N> {
    fn drop(&mut self) {
        self.gauge.dec();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn up_and_down() {
        let g = Gauge::<i64>::new();
        g.set(5);
        g.sub(7);
        assert_eq!(g.get(), -2);
        g.add(3);
        g.inc();
        assert_eq!(g.get(), 2);

        let f = Gauge::<f64>::new();
        f.set(1.5);
        f.dec();
        f.add(0.25);
        assert_eq!(f.get(), 0.75);
        f.set(f64::NAN);
        assert!(f.get().is_nan());
    }
}
