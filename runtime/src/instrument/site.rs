//! A call site: what the attribute fixed at compile time, its series resolved once, and
//! the link-time collection of sites (series at 0 before the first call).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use crate::error::Error;
use crate::labels::LabelSet;
use crate::metrics::{NativeHistogram, NativeOptions, Summary, SummaryOptions};
use crate::registry::{Registry, default_registry};
use crate::thread_cells::{CallSeries, DurationSeries, InFlightSeries, SiteCells};

use super::CallResult;
use super::guard::*;
use super::labeled::*;
use super::outcome::*;
use super::shared::*;

/// The labels of the shared calls family.
#[derive(crate::LabelSet, Clone, Copy, Debug)]
pub(super) struct CallLabels {
    pub(super) function: &'static str,
    pub(super) module: &'static str,
    pub(super) result: CallResult,
    pub(super) error: &'static str,
}

/// The labels of the shared duration and in-flight families.
#[derive(crate::LabelSet, Clone, Copy, Debug)]
pub(super) struct FnLabels {
    pub(super) function: &'static str,
    pub(super) module: &'static str,
}

/// What the attribute says about one call site, fixed at compile time.
#[derive(Debug)]
pub struct SiteConfig {
    /// The function's name.
    pub function: &'static str,
    /// `module_path!()` of the function.
    pub module: &'static str,
    /// The attribute's `prefix`, or "".
    pub prefix: &'static str,
    /// The attribute's `name` (own families), if any.
    pub name: Option<&'static str>,
    /// Duration buckets (only used with `name`; the shared family uses [`BUCKETS_LATENCY`](crate::metrics::BUCKETS_LATENCY)).
    pub buckets: &'static [f64],
    /// Durations go in a summary with these settings instead of a histogram (only used
    /// with `name`: the shared family is a histogram).
    pub summary: Option<SummaryOptions>,
    /// Whether durations go in a native histogram (`native`), follow the registry's
    /// `native_durations` default, or stay classic (`buckets` or `summary` given).
    pub native: NativeChoice,
    /// Whether calls are counted.
    pub calls: bool,
    /// Whether durations are recorded.
    pub duration: bool,
    /// Whether calls in progress are tracked.
    pub in_flight: bool,
    /// Whether durations keep automatic exemplars (the current span's trace; the
    /// attribute's `exemplars = false` turns them off).
    pub exemplars: bool,
}

/// Whether a site's durations go in a native histogram.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NativeChoice {
    /// As the registry says (`RegistryBuilder::native_durations`).
    Registry,
    /// `native` or `native(…)`: in a native histogram with these settings.
    Site(NativeOptions),
    /// Not native (`buckets` or `summary` given).
    Off,
}

/// One instrumented call site: its configuration and, after the first call, its series.
#[derive(Debug)]
pub struct Site {
    pub(super) config: SiteConfig,
    pub(super) metrics: OnceLock<SiteMetrics>,
    /// `type_name::<Self>` of a method whose attribute could not see its impl block (set
    /// by its first call): the `function` label is then `Type::method`.
    pub(super) self_type: OnceLock<fn() -> &'static str>,
    /// The `function` label, made once.
    pub(super) function_label: OnceLock<&'static str>,
    /// Whether a call naming another registry than the one the site is bound to was
    /// reported (once per site).
    pub(super) other_registry_reported: AtomicBool,
}

/// The series of one call site, resolved once.
#[derive(Debug)]
pub(super) struct SiteMetrics {
    pub(super) shared: Arc<SharedFamilies>,
    pub(super) function: &'static str,
    pub(super) module: &'static str,
    pub(super) count_calls: bool,
    /// Whether durations keep automatic exemplars.
    pub(super) exemplars: bool,
    /// The function's per-thread cells, where its calls, durations and in-flight count go
    /// (the families' series of the function read them).
    pub(super) cells: Arc<SiteCells>,
    /// The `ok`, `error`, `cancelled`, `panic` series, resolved at the first finished call
    /// (sites with labels from arguments never resolve them): `None` when they read the
    /// cells, the series to count in otherwise (a family past its limit).
    pub(super) calls: OnceLock<Option<[(CallSeries, Overflow); 4]>>,
    /// Counters of `result="error", error="<variant>"`, by variant, resolved on first use.
    pub(super) error_labels: [OnceLock<(&'static str, CallSeries, Overflow)>; 8],
    /// Set once every variant of a closed error type has its series.
    pub(super) error_values: OnceLock<()>,
    /// Where durations go, when they are recorded in a histogram.
    pub(super) duration: Option<Route<DurationSeries>>,
    /// The duration series, when they are recorded in a summary (`summary`).
    pub(super) duration_summary: Option<Summary>,
    /// The duration series, when they are recorded in a native histogram (`native`).
    pub(super) duration_native: Option<NativeHistogram>,
    /// Where the in-flight count goes, when it is kept.
    pub(super) in_flight: Option<Route<InFlightSeries>>,
}

/// Where a site records a value: its cells (the family's series reads them), or a series
/// of the family's own (when the family gave another series, such as its overflow series).
#[derive(Debug)]
pub(super) enum Route<S> {
    Cells,
    Series(S, Overflow),
}

/// The family's overflow counter when a site's series is the family's overflow series:
/// every update made there is counted (`promforge_cardinality_overflow_total`).
#[derive(Debug, Clone, Default)]
pub(super) struct Overflow(pub(super) Option<Arc<AtomicU64>>);

impl Overflow {
    /// Counts one update (when the series is an overflow series).
    #[inline]
    pub(super) fn note(&self) {
        if let Some(count) = &self.0 {
            count.fetch_add(1, Ordering::Relaxed);
        }
    }
}

impl Site {
    /// A call site, resolved on its first call.
    pub const fn new(config: SiteConfig) -> Self {
        Self {
            config,
            metrics: OnceLock::new(),
            self_type: OnceLock::new(),
            function_label: OnceLock::new(),
            other_registry_reported: AtomicBool::new(false),
        }
    }

    /// For a method whose attribute could not see its impl block: names the type the
    /// method belongs to (`type_name::<Self>`), so that its `function` label is
    /// `Type::method` (path and generic parameters left out). Only the first call's counts.
    #[inline]
    pub fn with_self_type(&'static self, type_name: fn() -> &'static str) -> &'static Self {
        if self.self_type.get().is_none() {
            let _ = self.self_type.set(type_name);
        }
        self
    }

    /// The `function` label: the function's name, `Type::method` for a method.
    pub fn function_label(&self) -> &'static str {
        self.function_label
            .get_or_init(|| match self.self_type.get() {
                None => self.config.function,
                Some(type_name) => {
                    let type_name = type_name();
                    let plain = type_name.split('<').next().unwrap_or(type_name);
                    let plain = plain.rsplit("::").next().unwrap_or(plain);
                    let plain = plain.trim_start_matches(['&', '*']).trim();
                    Box::leak(format!("{plain}::{}", self.config.function).into_boxed_str())
                }
            })
    }

    /// Makes the site's series (at 0) in `registry`, before its first call.
    pub(super) fn preregister(&'static self, registry: &Registry, labeled: bool) {
        let metrics = self
            .metrics
            .get_or_init(|| SiteMetrics::resolve(&self.config, self.function_label(), registry));
        if !labeled && metrics.count_calls {
            let _ = metrics.calls();
        }
    }

    /// Starts a call recorded in the default registry.
    #[inline]
    pub fn start(&'static self) -> CallGuard {
        if crate::noop::NOOP {
            return CallGuard::off();
        }
        match self.metrics.get() {
            Some(metrics) => CallGuard::new(metrics),
            None => self.start_in(default_registry()),
        }
    }

    /// Starts a call recorded in `registry`. The site is bound to the registry of its
    /// first call: a later call naming another registry is still recorded in the first
    /// one, and reported once through the [error handler](crate::set_error_handler).
    #[inline]
    pub fn start_in(&'static self, registry: &Registry) -> CallGuard {
        if crate::noop::NOOP {
            return CallGuard::off();
        }
        let metrics = self
            .metrics
            .get_or_init(|| SiteMetrics::resolve(&self.config, self.function_label(), registry));
        if metrics.shared.registry.id() != registry.id() {
            self.report_other_registry();
        }
        CallGuard::new(metrics)
    }

    #[cold]
    pub(super) fn report_other_registry(&self) {
        if !self.other_registry_reported.swap(true, Ordering::Relaxed) {
            report(Error::Integration {
                what: "#[instrument_metrics(registry = …)]",
                reason: format!(
                    "`{}::{}` was called with another registry than at its first call; \
                     an instrumented function records in the registry of its first call",
                    self.config.module, self.config.function
                ),
            });
        }
    }

    /// Starts a call of a site whose attribute takes labels from the arguments, recorded in
    /// the default registry. `make_labels` is built at the start of the call (it owns the
    /// label values taken from the arguments) and called with the call's result — also
    /// when the call is cancelled or panics. `combo` is [`label_combo`] of the values: when
    /// they are all closed, the call is counted in per-thread cells of the combination.
    #[inline]
    pub fn start_labeled<L, F>(
        &'static self,
        family: &'static LabeledCalls<L>,
        combo: Option<(usize, usize)>,
        make_labels: F,
    ) -> LabeledCallGuard<L, F>
    where
        L: LabelSet + 'static,
        F: Fn(CallResult, &'static str) -> L,
    {
        self.start_labeled_in(default_registry(), family, combo, make_labels)
    }

    /// [`start_labeled`](Self::start_labeled), recorded in `registry`.
    #[inline]
    pub fn start_labeled_in<L, F>(
        &'static self,
        registry: &Registry,
        family: &'static LabeledCalls<L>,
        combo: Option<(usize, usize)>,
        make_labels: F,
    ) -> LabeledCallGuard<L, F>
    where
        L: LabelSet + 'static,
        F: Fn(CallResult, &'static str) -> L,
    {
        let mut guard = self.start_in(registry);
        // The labeled guard does the counting; the plain one only times and tracks.
        guard.done = true;
        LabeledCallGuard {
            guard,
            family,
            combo,
            make_labels: Some(make_labels),
        }
    }

    /// The site's configuration.
    pub fn config(&self) -> &SiteConfig {
        &self.config
    }
}

/// A call site, collected at link time (`#[instrument_metrics]` submits one per site), so
/// that its series exist at 0 from the first render of its registry, before any call.
#[derive(Debug)]
pub struct SiteEntry {
    pub(super) site: &'static Site,
    /// The registry the attribute names (`registry = PATH`); `None`: the default one.
    pub(super) registry: Option<fn() -> &'static Registry>,
    /// Whether the site takes labels from its arguments (its calls series are made per
    /// label set, at the calls).
    pub(super) labeled: bool,
}

impl SiteEntry {
    /// The entry of `site`, recording in the registry `registry` returns (the default
    /// registry when `None`).
    pub const fn new(
        site: &'static Site,
        registry: Option<fn() -> &'static Registry>,
        labeled: bool,
    ) -> Self {
        Self {
            site,
            registry,
            labeled,
        }
    }
}

inventory::collect!(SiteEntry);

inventory::submit!(crate::registry::FirstRender(preregister_sites));

/// Makes the series of every collected call site that records in `registry` and has not
/// been called yet.
fn preregister_sites(registry: &Registry) {
    if crate::noop::NOOP {
        return;
    }
    for entry in inventory::iter::<SiteEntry> {
        if entry.site.metrics.get().is_some() {
            continue;
        }
        let target = match entry.registry {
            None => default_registry(),
            Some(registry) => registry(),
        };
        if target.id() == registry.id() {
            entry.site.preregister(registry, entry.labeled);
        }
    }
}

impl SiteMetrics {
    pub(super) fn resolve(
        config: &SiteConfig,
        function: &'static str,
        registry: &Registry,
    ) -> Self {
        let shared = shared_families(config, registry);
        let labels = FnLabels {
            function,
            module: config.module,
        };
        let cells = shared.cells(function, config.module);
        let mut duration_native = None;
        let (duration, duration_summary) = match (&shared.duration, config.duration) {
            (_, false) => (None, None),
            (DurationFamily::Native(family), true) => {
                duration_native = Some(family.get(&labels).clone());
                (None, None)
            }
            (DurationFamily::Histogram(family, _), true) => {
                let (series, overflow) =
                    family.get_or_insert_with(&labels, || DurationSeries::Site(cells.clone()));
                let route = if series.is_site(&cells) {
                    Route::Cells
                } else {
                    Route::Series(series, Overflow(overflow))
                };
                (Some(route), None)
            }
            (DurationFamily::Summary(family), true) => (None, Some(family.get(&labels).clone())),
        };
        let in_flight = config.in_flight.then(|| {
            let (series, overflow) = shared
                .in_flight
                .get_or_insert_with(&labels, || InFlightSeries::Site(cells.clone()));
            if series.is_site(&cells) {
                Route::Cells
            } else {
                Route::Series(series, Overflow(overflow))
            }
        });
        Self {
            duration,
            duration_summary,
            duration_native,
            in_flight,
            cells,
            function,
            module: config.module,
            count_calls: config.calls,
            exemplars: config.exemplars,
            calls: OnceLock::new(),
            error_labels: Default::default(),
            error_values: OnceLock::new(),
            shared,
        }
    }

    pub(super) fn call_labels(&self, result: CallResult, error: &'static str) -> CallLabels {
        CallLabels {
            function: self.function,
            module: self.module,
            result,
            error,
        }
    }

    pub(super) fn register_calls(&self) {
        let shared = &self.shared;
        shared.calls_registered.get_or_init(|| {
            let help = if shared.calls_name.ends_with("function_calls_total") {
                "Calls to instrumented functions, by result."
            } else {
                "Calls, by result."
            };
            if let Err(e) = shared
                .registry
                .register(&shared.calls_name, help, shared.calls.clone())
            {
                report(e);
            }
        });
    }

    #[inline]
    pub(super) fn calls(&self) -> Option<&[(CallSeries, Overflow); 4]> {
        self.calls
            .get_or_init(|| {
                self.register_calls();
                let series = [
                    CallResult::Ok,
                    CallResult::Error,
                    CallResult::Cancelled,
                    CallResult::Panic,
                ]
                .map(|r| {
                    let labels = self.call_labels(r, "");
                    let (series, overflow) = self.shared.calls.get_or_insert_with(&labels, || {
                        CallSeries::Site(Arc::clone(&self.cells), r as usize)
                    });
                    (series, Overflow(overflow))
                });
                let in_cells = series
                    .iter()
                    .enumerate()
                    .all(|(i, (s, _))| s.is_site(&self.cells, i));
                (!in_cells).then_some(series)
            })
            .as_ref()
    }

    pub(super) fn record_labeled_error(&self, error: &'static str) {
        for slot in &self.error_labels {
            let (label, counter, overflow) = slot.get_or_init(|| {
                let (counter, overflow) = self.error_series(error);
                (error, counter, overflow)
            });
            if *label == error {
                overflow.note();
                counter.inc();
                return;
            }
        }
        // More distinct error variants than slots: look the series up.
        let (counter, overflow) = self.error_series(error);
        overflow.note();
        counter.inc();
    }

    /// Makes every variant's `result="error"` series (at 0) and drops the `error=""` one.
    #[cold]
    pub(super) fn make_error_series(&self, values: ErrorValues) {
        self.error_values.get_or_init(|| {
            if !self.count_calls {
                return;
            }
            for variant in (0..).map_while(values) {
                let in_a_slot = self.error_labels.iter().any(|slot| {
                    let (label, ..) = slot.get_or_init(|| {
                        let (counter, overflow) = self.error_series(variant);
                        (variant, counter, overflow)
                    });
                    *label == variant
                });
                if !in_a_slot {
                    // Past the slots: made now, looked up at each error.
                    let _ = self.error_series(variant);
                }
            }
            // The plain result series first (made at the first call otherwise, after this).
            let _ = self.calls();
            self.shared
                .calls
                .remove(&self.call_labels(CallResult::Error, ""));
        });
    }

    /// The `result="error", error="<variant>"` series.
    pub(super) fn error_series(&self, error: &'static str) -> (CallSeries, Overflow) {
        self.register_calls();
        let labels = self.call_labels(CallResult::Error, error);
        let (series, overflow) = self
            .shared
            .calls
            .get_or_insert_with(&labels, CallSeries::default);
        (series, Overflow(overflow))
    }
}
