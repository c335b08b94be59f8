//! The per-call guards: in flight from their creation, recorded when finished or dropped.

#[cfg(feature = "fast-clock")]
use quanta::Instant;
#[cfg(not(feature = "fast-clock"))]
use std::time::Instant;

use crate::labels::LabelSet;
use crate::thread_cells::{CallSeries, ComboResult, Ending};

use super::CallResult;
use super::labeled::*;
use super::outcome::*;
use super::site::*;

/// Records one call: in flight from its creation, finished by [`finish`](Self::finish),
/// or — when dropped unfinished — recorded as `cancelled` (or `panic` while unwinding).
#[must_use = "dropping the guard at once records a cancelled call"]
#[derive(Debug)]
pub struct CallGuard {
    pub(super) metrics: Option<&'static SiteMetrics>,
    pub(super) start: Option<Instant>,
    pub(super) done: bool,
}

impl CallGuard {
    #[inline]
    pub(super) fn new(metrics: &'static SiteMetrics) -> Self {
        match &metrics.in_flight {
            Some(Route::Cells) => metrics.cells.enter(),
            Some(Route::Series(series, overflow)) => {
                overflow.note();
                series.add(1);
            }
            None => {}
        }
        let timed = metrics.duration.is_some()
            || metrics.duration_summary.is_some()
            || metrics.duration_native.is_some();
        Self {
            metrics: Some(metrics),
            start: timed.then(Instant::now),
            done: false,
        }
    }

    /// A guard that records nothing (feature `noop`).
    #[inline]
    pub(super) fn off() -> Self {
        Self {
            metrics: None,
            start: None,
            done: true,
        }
    }

    /// The call returned with `outcome`; `error_values` lists the values of the function's
    /// error type when it is a closed [`LabelValue`] enum (`LabelValue::value_at`): at the
    /// first call, every variant's `result="error"` series is made at 0, and the
    /// `error=""` one (which such a function never moves) is dropped.
    #[inline]
    pub fn finish_with(self, outcome: Outcome, error_values: Option<ErrorValues>) {
        if let (Some(values), Some(metrics)) = (error_values, self.metrics) {
            if metrics.error_values.get().is_none() {
                metrics.make_error_series(values);
            }
        }
        self.finish(outcome);
    }

    /// The call returned with `outcome`.
    #[inline]
    pub fn finish(mut self, outcome: Outcome) {
        self.done = true;
        let Some(metrics) = self.metrics else {
            return;
        };
        let counted = metrics.count_calls;
        match outcome {
            Outcome::Ok => self.end(counted.then_some(CallResult::Ok)),
            Outcome::Error => self.end(counted.then_some(CallResult::Error)),
            Outcome::LabeledError(variant) => {
                self.end(None);
                if counted {
                    metrics.record_labeled_error(variant);
                }
            }
        }
    }

    /// Ends the call: its duration, in flight no more, and (`result`) its count; what goes
    /// to the cells in one visit of this thread's cells.
    #[inline]
    pub(super) fn end(&mut self, result: Option<CallResult>) {
        self.end_with(result, None);
    }

    /// [`end`](Self::end), the result counted per label combination (`combo`) when given.
    /// Always inlined: `end` (no combination) compiles to exactly the unlabeled path.
    #[inline(always)]
    pub(super) fn end_with(&mut self, result: Option<CallResult>, combo: Option<ComboResult>) {
        let Some(metrics) = self.metrics else {
            return;
        };
        // `exemplars = false`: this call's duration keeps no automatic exemplar.
        let _quiet = (!metrics.exemplars).then(crate::metrics::ExemplarsOff::new);
        let mut ending = Ending {
            in_flight: false,
            seconds: None,
            result: None,
        };
        if let Some(start) = self.start {
            let seconds = start.elapsed().as_secs_f64();
            match (&metrics.duration, &metrics.duration_summary) {
                (Some(Route::Cells), _) => ending.seconds = Some(seconds),
                (Some(Route::Series(series, overflow)), _) => {
                    overflow.note();
                    series.observe(seconds);
                }
                (None, Some(summary)) => summary.observe(seconds),
                (None, None) => {
                    if let Some(native) = &metrics.duration_native {
                        native.observe(seconds);
                    }
                }
            }
        }
        match &metrics.in_flight {
            Some(Route::Cells) => ending.in_flight = true,
            Some(Route::Series(series, overflow)) => {
                overflow.note();
                series.add(-1);
            }
            None => {}
        }
        if let Some(result) = result {
            match metrics.calls() {
                None => ending.result = Some(result as usize),
                Some(series) => {
                    if let Some((series, overflow)) = series.get(result as usize) {
                        overflow.note();
                        series.inc();
                    }
                }
            }
        }
        match combo {
            Some(combo) => metrics.cells.leave_combo(ending, combo),
            None if ending.in_flight || ending.seconds.is_some() || ending.result.is_some() => {
                metrics.cells.leave(ending);
            }
            None => {}
        }
    }
}

impl Drop for CallGuard {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let Some(metrics) = self.metrics else {
            return;
        };
        let result = if std::thread::panicking() {
            CallResult::Panic
        } else {
            CallResult::Cancelled
        };
        self.end(metrics.count_calls.then_some(result));
    }
}

/// A call of a site with labels from its arguments; see [`Site::start_labeled`].
#[must_use = "dropping the guard at once records a cancelled call"]
pub struct LabeledCallGuard<L: LabelSet + 'static, F: Fn(CallResult, &'static str) -> L> {
    pub(super) guard: CallGuard,
    pub(super) family: &'static LabeledCalls<L>,
    /// The combination of the label values and the number of combinations, when they are
    /// all closed (see [`label_combo`]).
    pub(super) combo: Option<(usize, usize)>,
    pub(super) make_labels: Option<F>,
}

impl<L, F> LabeledCallGuard<L, F>
where
    L: LabelSet + 'static,
    F: Fn(CallResult, &'static str) -> L,
{
    /// The call returned with `outcome`.
    #[inline]
    pub fn finish(mut self, outcome: Outcome) {
        let (result, error) = match outcome {
            Outcome::Ok => (CallResult::Ok, ""),
            Outcome::Error => (CallResult::Error, ""),
            Outcome::LabeledError(variant) => (CallResult::Error, variant),
        };
        self.record(result, error);
    }

    #[inline]
    pub(super) fn record(&mut self, result: CallResult, error: &'static str) {
        let Some(make_labels) = self.make_labels.take() else {
            return;
        };
        // Closed label values without an error variant: counted in this thread's cells of
        // the site, in the same visit as the duration and the end of the call.
        let combo = match (self.guard.metrics, self.combo) {
            (Some(metrics), Some((combo, combos))) if metrics.count_calls && error.is_empty() => {
                self.family
                    .combo_in_cells(metrics, combo, combos, &make_labels)
                    .then_some(ComboResult {
                        index: combo * 4 + result as usize,
                        len: combos * 4,
                    })
            }
            _ => None,
        };
        self.guard.end_with(None, combo);
        if combo.is_some() {
            return;
        }
        let Some(metrics) = self.guard.metrics else {
            return;
        };
        if !metrics.count_calls {
            return;
        }
        let (series, overflow) = self
            .family
            .family(&metrics.shared)
            .get_or_insert_with(&make_labels(result, error), CallSeries::default);
        Overflow(overflow).note();
        series.inc();
    }
}

impl<L, F> Drop for LabeledCallGuard<L, F>
where
    L: LabelSet + 'static,
    F: Fn(CallResult, &'static str) -> L,
{
    fn drop(&mut self) {
        let result = if std::thread::panicking() {
            CallResult::Panic
        } else {
            CallResult::Cancelled
        };
        self.record(result, "");
    }
}

impl<L, F> std::fmt::Debug for LabeledCallGuard<L, F>
where
    L: LabelSet + 'static,
    F: Fn(CallResult, &'static str) -> L,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LabeledCallGuard")
            .field("finished", &self.make_labels.is_none())
            .finish_non_exhaustive()
    }
}
