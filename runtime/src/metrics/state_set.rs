//! [`StateSet`]: which state of a closed enum is current, as one gauge series per state.

use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::encoding::{MetricEncoder, MetricType, push_label_pair};
use crate::error::Error;
use crate::labels::LabelValue;
use crate::metrics::EncodeMetric;
use crate::name::check_user_label_name;

/// Which state of a closed [`LabelValue`] enum is current: one gauge series per state,
/// 1 for the current one and 0 for the others (Python's `Enum` metric, OpenMetrics'
/// StateSet). Setting it is one atomic store, so a scrape never sees two states at 1.
///
/// ```
/// use promforge::{LabelValue, Registry, StateSet};
///
/// #[derive(LabelValue, Clone, Copy)]
/// enum Status { Stopped, Running, Stopping }
///
/// # fn main() -> Result<(), promforge::Error> {
/// let registry = Registry::new();
/// let status = StateSet::<Status>::new("status")?;
/// registry.register("controller_status", "Controller state.", status.clone())?;
/// status.set(Status::Running);
/// let text = registry.render();
/// assert!(text.contains("controller_status{status=\"running\"} 1\n"));
/// assert!(text.contains("controller_status{status=\"stopped\"} 0\n"));
/// # Ok(()) }
/// ```
pub struct StateSet<E: LabelValue> {
    inner: Arc<StateInner>,
    _state: PhantomData<fn(&E)>,
}

struct StateInner {
    current: AtomicUsize,
    /// `label="state"`, escaped, one per state.
    labels: Box<[String]>,
    label_name: String,
}

impl<E: LabelValue> StateSet<E> {
    /// A state set whose series carry the state in the label `label_name`; the first state
    /// (index 0) is current until [`set`](Self::set) is called.
    ///
    /// `E` must be a closed type (a derived enum or `bool`); an open one is a compile error.
    pub fn new(label_name: &str) -> Result<Self, Error>
    where
        E: crate::labels::ClosedLabelValue,
    {
        check_user_label_name(label_name)?;
        Ok(Self::new_unchecked(label_name))
    }

    /// [`new`](Self::new) without checking the label name (for names known to be valid).
    pub(crate) fn new_unchecked(label_name: &str) -> Self {
        const {
            assert!(
                E::CARDINALITY.is_some(),
                "a StateSet needs a closed LabelValue type: an enum deriving LabelValue, or bool"
            )
        };
        let n = E::CARDINALITY.unwrap_or(0);
        let labels = (0..n)
            .map(|i| {
                let mut s = String::new();
                push_label_pair(&mut s, label_name, E::value_at(i).unwrap_or(""));
                s
            })
            .collect();
        Self {
            inner: Arc::new(StateInner {
                current: AtomicUsize::new(0),
                labels,
                label_name: label_name.to_owned(),
            }),
            _state: PhantomData,
        }
    }

    /// Makes `state` the current state.
    #[inline]
    pub fn set(&self, state: E) {
        if crate::noop::NOOP {
            return;
        }
        self.inner.current.store(state.index(), Ordering::Relaxed);
    }

    /// Whether `state` is the current state.
    pub fn is(&self, state: &E) -> bool {
        self.inner.current.load(Ordering::Relaxed) == state.index()
    }

    /// The current state's label value.
    pub fn current_value(&self) -> &'static str {
        E::value_at(self.inner.current.load(Ordering::Relaxed)).unwrap_or("")
    }
}

impl<E: LabelValue> Clone for StateSet<E> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
            _state: PhantomData,
        }
    }
}

impl<E: LabelValue> std::fmt::Debug for StateSet<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateSet")
            .field("current", &self.current_value())
            .finish()
    }
}

impl<E: LabelValue + 'static> EncodeMetric for StateSet<E> {
    fn metric_type(&self) -> MetricType {
        MetricType::StateSet
    }

    fn encode(&self, encoder: &mut MetricEncoder<'_>) {
        let current = self.inner.current.load(Ordering::Relaxed);
        for (i, labels) in self.inner.labels.iter().enumerate() {
            encoder.with_labels(labels).state(i == current);
        }
    }

    fn label_names(&self) -> Vec<&str> {
        vec![self.inner.label_name.as_str()]
    }
}
