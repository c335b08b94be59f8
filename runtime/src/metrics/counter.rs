use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::{CounterNumber, EncodeMetric, ExemplarLabels, ExemplarSlot};
use crate::encoding::{MetricEncoder, MetricType};
use crate::error::Error;

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
    cell: Arc<Cell>,
    _number: PhantomData<N>,
}

/// A counter's value (the hot part, first) and what only scrapes read.
struct Cell {
    value: AtomicU64,
    /// When the counter was made, in seconds since the epoch (OpenMetrics `_created`).
    created: f64,
    /// The last exemplar (untouched by updates without one).
    exemplar: ExemplarSlot,
}

impl std::ops::Deref for Cell {
    type Target = AtomicU64;

    #[inline]
    fn deref(&self) -> &AtomicU64 {
        &self.value
    }
}

impl<N: CounterNumber> Counter<N> {
    /// A counter at zero.
    pub fn new() -> Self {
        Self {
            cell: Arc::new(Cell {
                value: AtomicU64::new(N::ZERO.into_bits()),
                created: super::now_seconds(),
                exemplar: ExemplarSlot::new(),
            }),
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

    /// Adds one and keeps `labels` (a trace id, typically) as this counter's exemplar,
    /// stamped now: shown after the sample in OpenMetrics output only. Errors (and adds
    /// nothing) when OpenMetrics would refuse the labels: an invalid name, or names and
    /// values longer than 128 characters together.
    ///
    /// ```
    /// use promforge::encoding::Format;
    ///
    /// # fn main() -> Result<(), promforge::Error> {
    /// let registry = promforge::Registry::new();
    /// let orders = registry.counter("orders", "Orders placed.")?;
    /// orders.inc_with_exemplar(&[("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736")])?;
    /// let text = registry.render_as(Format::OpenMetricsText1_0_0);
    /// assert!(text.contains("orders_total 1 # {trace_id=\"4bf92f3577b34da6a3ce929d0e0e4736\"} 1 "));
    /// assert!(!registry.render().contains("trace_id")); // not in the text format 0.0.4
    /// # Ok(()) }
    /// ```
    pub fn inc_with_exemplar<E: ExemplarLabels + ?Sized>(&self, labels: &E) -> Result<(), Error> {
        self.inc_by_with_exemplar(N::ONE, labels)
    }

    /// Adds `v` with an exemplar (see [`inc_with_exemplar`](Self::inc_with_exemplar)); the
    /// exemplar's value is `v`. A negative or NaN `v` adds nothing and keeps no exemplar.
    pub fn inc_by_with_exemplar<E: ExemplarLabels + ?Sized>(
        &self,
        v: N,
        labels: &E,
    ) -> Result<(), Error> {
        if crate::noop::NOOP || !v.is_valid_increment() {
            return Ok(());
        }
        self.cell.exemplar.record(labels, v.to_f64())?;
        N::atomic_add(&self.cell, v);
        Ok(())
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
        encoder.counter_with_exemplar(self.get(), &self.cell.exemplar);
        encoder.created(self.cell.created);
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
