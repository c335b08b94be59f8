//! How a returned value classifies a call (autoref specialization over `Classify*`).

use crate::labels::LabelValue;

/// How a returned value classifies a call; made by the `Classify*` traits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// `ok`.
    Ok,
    /// `error`.
    Error,
    /// `error`, with the error enum's variant as the `error` label.
    LabeledError(&'static str),
}

/// The values of a closed [`LabelValue`] error type, by index (`LabelValue::value_at`).
pub type ErrorValues = fn(usize) -> Option<&'static str>;

/// Wraps a reference to a returned value for the classification traits (autoref
/// specialization: `(&&&Classify(&value)).__pf_outcome()` picks the most specific impl).
#[derive(Debug)]
pub struct Classify<'a, T: ?Sized>(pub &'a T);

/// `Result<_, E>` with `E` a closed [`LabelValue`]: `ok`, or `error` with the variant.
pub trait ClassifyLabeledError {
    /// The outcome.
    fn __pf_outcome(&self) -> Outcome;
    /// The error type's values.
    fn __pf_error_values(&self) -> Option<ErrorValues>;
}

/// Any `Result`: `ok` or `error`.
pub trait ClassifyResult {
    /// The outcome.
    fn __pf_outcome(&self) -> Outcome;
    /// None: the error type is not a closed label value.
    fn __pf_error_values(&self) -> Option<ErrorValues> {
        None
    }
}

/// Anything else: `ok`.
pub trait ClassifyOther {
    /// The outcome.
    fn __pf_outcome(&self) -> Outcome;
    /// None: not a `Result`.
    fn __pf_error_values(&self) -> Option<ErrorValues> {
        None
    }
}

impl<T, E: LabelValue> ClassifyLabeledError for &&Classify<'_, Result<T, E>> {
    #[inline]
    fn __pf_outcome(&self) -> Outcome {
        match self.0 {
            Ok(_) => Outcome::Ok,
            Err(e) => match E::CARDINALITY.and_then(|_| E::value_at(e.index())) {
                Some(variant) => Outcome::LabeledError(variant),
                None => Outcome::Error,
            },
        }
    }

    #[inline]
    fn __pf_error_values(&self) -> Option<ErrorValues> {
        E::CARDINALITY.map(|_| E::value_at as ErrorValues)
    }
}

impl<T, E> ClassifyResult for &Classify<'_, Result<T, E>> {
    #[inline]
    fn __pf_outcome(&self) -> Outcome {
        match self.0 {
            Ok(_) => Outcome::Ok,
            Err(_) => Outcome::Error,
        }
    }
}

impl<T: ?Sized> ClassifyOther for Classify<'_, T> {
    #[inline]
    fn __pf_outcome(&self) -> Outcome {
        Outcome::Ok
    }
}
