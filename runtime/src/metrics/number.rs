//! The number types metrics hold, all stored in one `AtomicU64`.

use std::fmt::Debug;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::encoding::EncodeValue;

mod sealed {
    pub trait Sealed {}
    impl Sealed for u64 {}
    impl Sealed for i64 {}
    impl Sealed for f64 {}
}

/// A number a metric can hold: `u64`, `i64` or `f64`, stored as the 64 bits of an `AtomicU64`.
pub trait Number:
    sealed::Sealed + Copy + PartialOrd + Debug + Send + Sync + 'static + EncodeValue
{
    /// Zero.
    const ZERO: Self;
    /// One.
    const ONE: Self;
    #[doc(hidden)]
    fn into_bits(self) -> u64;
    #[doc(hidden)]
    fn from_bits(bits: u64) -> Self;
    #[doc(hidden)]
    fn atomic_add(cell: &AtomicU64, v: Self);
    /// `self + other` (wrapping for integers).
    #[doc(hidden)]
    fn plus(self, other: Self) -> Self;
}

/// The numbers a [`Counter`](super::Counter) can count in: `u64` (the default) and `f64`.
#[diagnostic::on_unimplemented(
    message = "a counter counts in `u64` or `f64`, not `{Self}`",
    label = "a counter only goes up: use `Counter` (u64) or `FloatCounter` (f64)",
    note = "for a value that also goes down, use a `Gauge`"
)]
pub trait CounterNumber: Number {
    /// Whether `v` may be added to a counter (not negative, not NaN).
    #[doc(hidden)]
    fn is_valid_increment(self) -> bool;
    /// The value as a float (an exemplar's value).
    #[doc(hidden)]
    fn to_f64(self) -> f64;
}

/// The numbers a [`Gauge`](super::Gauge) can hold: `i64` (the default) and `f64`.
#[diagnostic::on_unimplemented(
    message = "a gauge holds `i64` or `f64`, not `{Self}`",
    label = "use `Gauge` (i64) or `FloatGauge` (f64)"
)]
pub trait GaugeNumber: Number {
    #[doc(hidden)]
    fn negate(self) -> Self;
}

impl Number for u64 {
    #[inline]
    fn plus(self, other: Self) -> Self {
        self.wrapping_add(other)
    }
    const ZERO: Self = 0;
    const ONE: Self = 1;
    #[inline]
    fn into_bits(self) -> u64 {
        self
    }
    #[inline]
    fn from_bits(bits: u64) -> Self {
        bits
    }
    #[inline]
    fn atomic_add(cell: &AtomicU64, v: Self) {
        cell.fetch_add(v, Ordering::Relaxed);
    }
}

impl Number for i64 {
    #[inline]
    fn plus(self, other: Self) -> Self {
        self.wrapping_add(other)
    }
    const ZERO: Self = 0;
    const ONE: Self = 1;
    #[inline]
    fn into_bits(self) -> u64 {
        self as u64
    }
    #[inline]
    fn from_bits(bits: u64) -> Self {
        bits as i64
    }
    #[inline]
    fn atomic_add(cell: &AtomicU64, v: Self) {
        // Two's complement: adding the bit pattern of a negative i64 subtracts.
        cell.fetch_add(v as u64, Ordering::Relaxed);
    }
}

impl Number for f64 {
    #[inline]
    fn plus(self, other: Self) -> Self {
        self + other
    }
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    #[inline]
    fn into_bits(self) -> u64 {
        self.to_bits()
    }
    #[inline]
    fn from_bits(bits: u64) -> Self {
        f64::from_bits(bits)
    }
    #[inline]
    fn atomic_add(cell: &AtomicU64, v: Self) {
        let mut old = cell.load(Ordering::Relaxed);
        loop {
            let new = (f64::from_bits(old) + v).to_bits();
            match cell.compare_exchange_weak(old, new, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => return,
                Err(current) => old = current,
            }
        }
    }
}

impl CounterNumber for u64 {
    #[inline]
    fn is_valid_increment(self) -> bool {
        true
    }
    #[inline]
    fn to_f64(self) -> f64 {
        self as f64
    }
}

impl CounterNumber for f64 {
    #[inline]
    fn is_valid_increment(self) -> bool {
        self >= 0.0
    }
    #[inline]
    fn to_f64(self) -> f64 {
        self
    }
}

impl GaugeNumber for i64 {
    #[inline]
    fn negate(self) -> Self {
        self.wrapping_neg()
    }
}

impl GaugeNumber for f64 {
    #[inline]
    fn negate(self) -> Self {
        -self
    }
}
