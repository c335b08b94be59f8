//! What `#[instrument_metrics]` expands to: a call site resolved once, a guard per call.
//!
//! Every instrumented function shares three families (names compatible with autometrics'
//! dashboards), in the registry and under the prefix its attribute names:
//!
//! | family | type | labels |
//! |---|---|---|
//! | `function_calls_total` | counter | `function`, `module`, `result` (`ok`, `error`, `cancelled`, `panic`), `error` |
//! | `function_calls_duration_seconds` | histogram ([`BUCKETS_LATENCY`]) | `function`, `module` |
//! | `function_calls_concurrent` | gauge | `function`, `module` |
//!
//! With `name = "x"` a function gets families of its own: `x_calls_total`,
//! `x_duration_seconds`, `x_in_flight`, which may carry extra labels from its arguments.
//! With `summary` too, `x_duration_seconds` is a [`Summary`] (quantiles over a sliding
//! window, `quantile` label, `_sum`, `_count`) instead of a histogram. The first call site
//! of a name to run makes its families: two functions sharing a name share its layout.
//!
//! The cost of a call: on the first call of a call site, its series are looked up once and
//! kept in a `static`; every call after that is two clock reads and a few writes to cells
//! that belong to the calling thread (no formatting, hashing, allocation, lock or locked
//! instruction; threads calling the same function share no cache line). A scrape adds
//! every thread's cells up. A function with `labels(…)` also finds its call's label set in
//! its families at every call: for labels of open types (strings, integers) a hash and the
//! family's read lock (its write lock the first time a label set is seen); a `summary`
//! duration takes the summary's mutex. The cells take 256 bytes per function per thread that called
//! it (a thread that exits leaves its cells, with their counts, to the next one started).
//!
//! **The `function` label** is the function's name for a free function (`load_config`),
//! and `Type::method` for a method or associated function (`Webhook::execute`), with the
//! type's path and generic parameters left out (`impl<T> Queue<T>` gives `Queue::push`),
//! so methods of the same name in different impls count apart. With the attribute on the
//! impl block the type is known at compile time; with the attribute on a single method it
//! is read at the method's first call (`type_name::<Self>`) when the method takes `self`;
//! an associated function without `self` whose attribute is its own keeps its plain name
//! (put the attribute on the impl block to qualify it). `module` is `module_path!()`.
//!
//! **Series before the first call.** Every call site is collected at link time (the
//! `inventory` crate: Linux, macOS, Windows, the BSDs, Android, iOS and wasm), and a
//! registry's first render makes the series of every function instrumented into it, at 0:
//! an alert or dashboard sees a function that has not run yet. Not collected (their series
//! appear at their first call): methods whose type is read at the first call (above), and
//! sites whose `registry = …` is not a path to a static or constant (an argument, a call).
//! Series with labels taken from the arguments exist per label set, from its first call.
//!
//! **Results.** A call that returns is `ok`, or `error` for an `Err` (with the variant in
//! `error` when the error type is a closed [`LabelValue`] enum); a call that unwinds is
//! `panic`; a future dropped before it completes is `cancelled`. An `async fn`'s body starts
//! at the future's first poll, and so does the call: a future dropped before it was ever
//! polled ran nothing and records nothing (not even `cancelled`). The guard records from
//! `Drop`.

#[cfg(feature = "fast-clock")]
use quanta::Instant;
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, RwLock};
#[cfg(not(feature = "fast-clock"))]
use std::time::Instant;

use crate::Error;
use crate::encoding::{MetricEncoder, MetricType};
use crate::family::Family;
use crate::labels::{LabelSet, LabelValue};
use crate::metrics::{EncodeMetric, Histogram, Summary};
use crate::registry::{Registry, default_registry};
use crate::thread_cells::{CallSeries, DurationSeries, Ending, InFlightSeries, SiteCells};

/// Function latency buckets, in seconds: 1 ms to 10 s.
pub const BUCKETS_LATENCY: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// HTTP request latency buckets, in seconds: 10 ms to 10 s.
pub const BUCKETS_HTTP: &[f64] = &[0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// How a call ended: the `result` label of `function_calls_total`.
#[doc(hidden)]
#[derive(crate::LabelValue, Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallResult {
    /// Returned normally (for a `Result`, an `Ok`).
    Ok,
    /// Returned an `Err`.
    Error,
    /// A future dropped before it completed.
    Cancelled,
    /// Unwound from a panic.
    Panic,
}

impl CallResult {
    /// Every result, in the order of their index.
    pub const ALL: [CallResult; 4] = [Self::Ok, Self::Error, Self::Cancelled, Self::Panic];
}

/// The labels of the shared calls family.
#[derive(crate::LabelSet, Clone, Copy, Debug)]
struct CallLabels {
    function: &'static str,
    module: &'static str,
    result: CallResult,
    error: &'static str,
}

/// The labels of the shared duration and in-flight families.
#[derive(crate::LabelSet, Clone, Copy, Debug)]
struct FnLabels {
    function: &'static str,
    module: &'static str,
}

/// A label value computed from an argument: borrowed for closed types (no allocation),
/// owned for open ones.
pub type LabelText = Cow<'static, str>;

/// A label value's place among its type's values (`(cardinality, index)`) when the type is
/// closed; `None` for an open type.
pub type LabelIndex = Option<(usize, usize)>;

/// The most label combinations of a labeled site counted in per-thread cells; the others
/// (and every open label) go through the site's family.
const MAX_COMBOS: usize = 64;

/// The combination of a call's label values, when every label is of a closed type and the
/// combination is one of the first 64: its calls are then counted in per-thread
/// cells, like an unlabeled function's.
#[inline]
pub fn label_combo(parts: &[LabelIndex]) -> Option<usize> {
    let mut combo = 0usize;
    for part in parts {
        let (cardinality, index) = (*part)?;
        combo = combo.checked_mul(cardinality)?.checked_add(index)?;
    }
    (combo < MAX_COMBOS).then_some(combo)
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
    /// Duration buckets (only used with `name`; the shared family uses [`BUCKETS_LATENCY`]).
    pub buckets: &'static [f64],
    /// Durations go in a summary with these settings instead of a histogram (only used
    /// with `name`: the shared family is a histogram).
    pub summary: Option<SummaryOptions>,
    /// Whether calls are counted.
    pub calls: bool,
    /// Whether durations are recorded.
    pub duration: bool,
    /// Whether calls in progress are tracked.
    pub in_flight: bool,
}

pub use crate::metrics::SummaryOptions;

/// One instrumented call site: its configuration and, after the first call, its series.
#[derive(Debug)]
pub struct Site {
    config: SiteConfig,
    metrics: OnceLock<SiteMetrics>,
    /// `type_name::<Self>` of a method whose attribute could not see its impl block (set
    /// by its first call): the `function` label is then `Type::method`.
    self_type: OnceLock<fn() -> &'static str>,
    /// The `function` label, made once.
    function_label: OnceLock<&'static str>,
    /// Whether a call naming another registry than the one the site is bound to was
    /// reported (once per site).
    other_registry_reported: AtomicBool,
}

/// The families a (registry, prefix, name) triple shares, registered on first use.
struct SharedFamilies {
    registry: Registry,
    calls_name: String,
    calls: Family<CallLabels, CallSeries>,
    calls_registered: OnceLock<()>,
    /// The calls families of the sites with labels from their arguments, registered together
    /// under `calls_name` by the first of them.
    labeled: Mutex<Option<Arc<LabeledSet>>>,
    duration: DurationFamily,
    in_flight: Family<FnLabels, InFlightSeries>,
    /// The per-thread cells of each function (by function and module) recording here.
    cells: Mutex<HashMap<(&'static str, &'static str), Arc<SiteCells>>>,
}

impl SharedFamilies {
    /// The cells of `function` in `module` (one set per function, whichever sites run it).
    fn cells(&self, function: &'static str, module: &'static str) -> Arc<SiteCells> {
        let mut cells = self.cells.lock().unwrap_or_else(PoisonError::into_inner);
        let shape = match &self.duration {
            DurationFamily::Histogram(_, shape) => shape.clone(),
            DurationFamily::Summary(_) => Histogram::with_buckets(&[]).unwrap_or_default(),
        };
        Arc::clone(
            cells
                .entry((function, module))
                .or_insert_with(|| Arc::new(SiteCells::new(shape))),
        )
    }

    /// Adds a labeled site's calls family to the name's labeled set (registering the set
    /// with the first one). Every site sharing the name must take the same labels.
    fn add_labeled(
        &self,
        names: &'static [&'static str],
        family: Box<dyn EncodeMetric>,
    ) -> Result<(), Error> {
        let mut slot = self.labeled.lock().unwrap_or_else(PoisonError::into_inner);
        match &*slot {
            Some(set) if set.names == names => {
                set.members
                    .write()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(family);
                Ok(())
            }
            Some(set) => Err(Error::Integration {
                what: "instrumented functions sharing a name",
                reason: format!(
                    "the functions counted in `{}` take different labels ({} and {}); \
                     give them different names",
                    self.calls_name,
                    set.names.join(", "),
                    names.join(", ")
                ),
            }),
            None => {
                let set = Arc::new(LabeledSet {
                    names,
                    members: RwLock::new(vec![family]),
                });
                self.registry.register(
                    &self.calls_name,
                    "Calls, by result and by labels taken from the arguments.",
                    SharedLabeled(Arc::clone(&set)),
                )?;
                *slot = Some(set);
                Ok(())
            }
        }
    }
}

/// The calls families of every labeled site of one name (each has its own generated label
/// set type, with the same label names).
struct LabeledSet {
    names: &'static [&'static str],
    members: RwLock<Vec<Box<dyn EncodeMetric>>>,
}

/// [`LabeledSet`] as one registered counter family: the members' series one after another.
struct SharedLabeled(Arc<LabeledSet>);

impl EncodeMetric for SharedLabeled {
    fn metric_type(&self) -> MetricType {
        MetricType::Counter
    }

    fn encode(&self, encoder: &mut MetricEncoder<'_>) {
        let members = self
            .0
            .members
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        for member in members.iter() {
            member.encode(encoder);
        }
    }

    fn label_names(&self) -> Vec<&str> {
        self.0.names.to_vec()
    }

    fn cardinality_overflow(&self) -> Option<u64> {
        let members = self
            .0
            .members
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        members
            .iter()
            .filter_map(|member| member.cardinality_overflow())
            .reduce(|a, b| a + b)
    }
}

/// The family durations are recorded in.
enum DurationFamily {
    /// With its buckets (an empty histogram of them).
    Histogram(Family<FnLabels, DurationSeries>, Histogram),
    Summary(Family<FnLabels, Summary>),
}

impl std::fmt::Debug for SharedFamilies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedFamilies")
            .field("calls", &self.calls_name)
            .finish_non_exhaustive()
    }
}

/// The series of one call site, resolved once.
#[derive(Debug)]
struct SiteMetrics {
    shared: Arc<SharedFamilies>,
    function: &'static str,
    module: &'static str,
    count_calls: bool,
    /// The function's per-thread cells, where its calls, durations and in-flight count go
    /// (the families' series of the function read them).
    cells: Arc<SiteCells>,
    /// The `ok`, `error`, `cancelled`, `panic` series, resolved at the first finished call
    /// (sites with labels from arguments never resolve them): `None` when they read the
    /// cells, the series to count in otherwise (a family past its limit).
    calls: OnceLock<Option<[(CallSeries, Overflow); 4]>>,
    /// Counters of `result="error", error="<variant>"`, by variant, resolved on first use.
    error_labels: [OnceLock<(&'static str, CallSeries, Overflow)>; 8],
    /// Set once every variant of a closed error type has its series.
    error_values: OnceLock<()>,
    /// Where durations go, when they are recorded in a histogram.
    duration: Option<Route<DurationSeries>>,
    /// The duration series, when they are recorded in a summary (`summary`).
    duration_summary: Option<Summary>,
    /// Where the in-flight count goes, when it is kept.
    in_flight: Option<Route<InFlightSeries>>,
}

/// Where a site records a value: its cells (the family's series reads them), or a series
/// of the family's own (when the family gave another series, such as its overflow series).
#[derive(Debug)]
enum Route<S> {
    Cells,
    Series(S, Overflow),
}

/// The family's overflow counter when a site's series is the family's overflow series:
/// every update made there is counted (`promforge_cardinality_overflow_total`).
#[derive(Debug, Clone, Default)]
struct Overflow(Option<Arc<AtomicU64>>);

impl Overflow {
    /// Counts one update (when the series is an overflow series).
    #[inline]
    fn note(&self) {
        if let Some(count) = &self.0 {
            count.fetch_add(1, Ordering::Relaxed);
        }
    }
}

type SharedKey = (usize, &'static str, Option<&'static str>);
static SHARED: OnceLock<Mutex<HashMap<SharedKey, Arc<SharedFamilies>>>> = OnceLock::new();

/// The most series each shared family (calls, durations, in flight) holds before it
/// overflows: 10,000 functions with their 4 results. The same for the three families, so
/// a function past it overflows in all of them or in none.
const SHARED_LIMIT: usize = 40_000;

fn report(err: Error) {
    crate::error::report(&Error::Unexported(Box::new(err)));
}

fn shared_families(config: &SiteConfig, registry: &Registry) -> Arc<SharedFamilies> {
    let key = (registry.id(), config.prefix, config.name);
    let table = SHARED.get_or_init(Mutex::default);
    let mut table = table.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(found) = table.get(&key) {
        return Arc::clone(found);
    }
    let prefix = if config.prefix.is_empty() {
        String::new()
    } else {
        format!("{}_", config.prefix.trim_end_matches('_'))
    };
    let (calls_name, duration_name, in_flight_name, help) = match config.name {
        None => (
            format!("{prefix}function_calls_total"),
            format!("{prefix}function_calls_duration_seconds"),
            format!("{prefix}function_calls_concurrent"),
            "instrumented functions".to_owned(),
        ),
        Some(name) => (
            format!("{prefix}{name}_calls_total"),
            format!("{prefix}{name}_duration_seconds"),
            format!("{prefix}{name}_in_flight"),
            format!("`{name}`"),
        ),
    };
    let duration_help = format!("Duration of calls to {help}, in seconds.");
    let (duration, registered) = match (config.name, config.summary) {
        (Some(_), Some(options)) => {
            let options = options.build().map(|_| options).unwrap_or_else(|e| {
                report(e);
                SummaryOptions::new()
            });
            let family =
                Family::<FnLabels, Summary>::new_with(move || options.build().unwrap_or_default())
                    .with_cardinality_limit(SHARED_LIMIT);
            let registered = registry.register(&duration_name, &duration_help, family.clone());
            (DurationFamily::Summary(family), registered)
        }
        (name, _) => {
            let buckets = name.map_or(BUCKETS_LATENCY, |_| config.buckets);
            let shape = Histogram::with_buckets(buckets).unwrap_or_else(|e| {
                report(e);
                Histogram::new()
            });
            let prototype = shape.clone();
            let family = Family::<FnLabels, DurationSeries>::new_with(move || {
                let bounds = prototype.buckets();
                DurationSeries::Histogram(Histogram::with_buckets(bounds).unwrap_or_default())
            })
            .with_cardinality_limit(SHARED_LIMIT);
            let registered = registry.register(&duration_name, &duration_help, family.clone());
            (DurationFamily::Histogram(family, shape), registered)
        }
    };
    if let Err(e) = registered {
        report(e);
    }
    let in_flight = Family::<FnLabels, InFlightSeries>::new().with_cardinality_limit(SHARED_LIMIT);
    if let Err(e) = registry.register(
        &in_flight_name,
        &format!("Calls to {help} in progress."),
        in_flight.clone(),
    ) {
        report(e);
    }
    let shared = Arc::new(SharedFamilies {
        registry: registry.clone(),
        calls_name,
        calls: Family::new().with_cardinality_limit(SHARED_LIMIT),
        calls_registered: OnceLock::new(),
        labeled: Mutex::default(),
        duration,
        in_flight,
        cells: Mutex::default(),
    });
    table.insert(key, Arc::clone(&shared));
    shared
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
    fn preregister(&'static self, registry: &Registry, labeled: bool) {
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
        if crate::metrics::NOOP {
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
        if crate::metrics::NOOP {
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
    fn report_other_registry(&self) {
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
        combo: Option<usize>,
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
        combo: Option<usize>,
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
    site: &'static Site,
    /// The registry the attribute names (`registry = PATH`); `None`: the default one.
    registry: Option<fn() -> &'static Registry>,
    /// Whether the site takes labels from its arguments (its calls series are made per
    /// label set, at the calls).
    labeled: bool,
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

/// Makes the series of every collected call site that records in `registry` and has not
/// been called yet.
pub(crate) fn preregister_sites(registry: &Registry) {
    if crate::metrics::NOOP {
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
    fn resolve(config: &SiteConfig, function: &'static str, registry: &Registry) -> Self {
        let shared = shared_families(config, registry);
        let labels = FnLabels {
            function,
            module: config.module,
        };
        let cells = shared.cells(function, config.module);
        let (duration, duration_summary) = match (&shared.duration, config.duration) {
            (_, false) => (None, None),
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
            in_flight,
            cells,
            function,
            module: config.module,
            count_calls: config.calls,
            calls: OnceLock::new(),
            error_labels: Default::default(),
            error_values: OnceLock::new(),
            shared,
        }
    }

    fn call_labels(&self, result: CallResult, error: &'static str) -> CallLabels {
        CallLabels {
            function: self.function,
            module: self.module,
            result,
            error,
        }
    }

    fn register_calls(&self) {
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
    fn calls(&self) -> Option<&[(CallSeries, Overflow); 4]> {
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

    fn record_labeled_error(&self, error: &'static str) {
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
    fn make_error_series(&self, values: ErrorValues) {
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
    fn error_series(&self, error: &'static str) -> (CallSeries, Overflow) {
        self.register_calls();
        let labels = self.call_labels(CallResult::Error, error);
        let (series, overflow) = self
            .shared
            .calls
            .get_or_insert_with(&labels, CallSeries::default);
        (series, Overflow(overflow))
    }
}

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

/// Records one call: in flight from its creation, finished by [`finish`](Self::finish),
/// or — when dropped unfinished — recorded as `cancelled` (or `panic` while unwinding).
#[must_use = "dropping the guard at once records a cancelled call"]
#[derive(Debug)]
pub struct CallGuard {
    metrics: Option<&'static SiteMetrics>,
    start: Option<Instant>,
    done: bool,
}

impl CallGuard {
    #[inline]
    fn new(metrics: &'static SiteMetrics) -> Self {
        match &metrics.in_flight {
            Some(Route::Cells) => metrics.cells.enter(),
            Some(Route::Series(series, overflow)) => {
                overflow.note();
                series.add(1);
            }
            None => {}
        }
        let timed = metrics.duration.is_some() || metrics.duration_summary.is_some();
        Self {
            metrics: Some(metrics),
            start: timed.then(Instant::now),
            done: false,
        }
    }

    /// A guard that records nothing (feature `noop`).
    #[inline]
    fn off() -> Self {
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
    fn end(&mut self, result: Option<CallResult>) {
        let Some(metrics) = self.metrics else {
            return;
        };
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
                (None, None) => {}
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
        if ending.in_flight || ending.seconds.is_some() || ending.result.is_some() {
            metrics.cells.leave(ending);
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
    guard: CallGuard,
    family: &'static LabeledCalls<L>,
    /// The combination of the label values, when they are all closed (see [`label_combo`]).
    combo: Option<usize>,
    make_labels: Option<F>,
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
    fn record(&mut self, result: CallResult, error: &'static str) {
        let Some(make_labels) = self.make_labels.take() else {
            return;
        };
        self.guard.end(None);
        let Some(metrics) = self.guard.metrics else {
            return;
        };
        if !metrics.count_calls {
            return;
        }
        // Closed label values without an error variant: this thread's cells of the
        // combination, as for an unlabeled function.
        if error.is_empty() {
            let cells = self.combo.and_then(|combo| {
                self.family
                    .combo_cells(&metrics.shared, combo, &make_labels)
            });
            if let Some(cells) = cells {
                cells.leave(Ending {
                    in_flight: false,
                    seconds: None,
                    result: Some(result as usize),
                });
                return;
            }
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

/// The calls family of a site whose attribute takes labels from the arguments: its label
/// set is a struct the attribute generates, so it lives in the site's own `static`. Sites
/// sharing a `name` (and so a calls family name) are exposed together under it, provided
/// they take the same labels.
pub struct LabeledCalls<L: LabelSet> {
    family: OnceLock<Family<L, CallSeries>>,
    /// Per label combination (see [`label_combo`]): the per-thread cells its calls are
    /// counted in, or `None` when the family gave other series (past its limit).
    combos: [OnceLock<Option<Arc<SiteCells>>>; MAX_COMBOS],
}

impl<L: LabelSet> std::fmt::Debug for LabeledCalls<L> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LabeledCalls").finish_non_exhaustive()
    }
}

impl<L: LabelSet + 'static> LabeledCalls<L> {
    /// An empty slot, filled on the first finished call.
    #[allow(clippy::new_without_default)]
    pub const fn new() -> Self {
        Self {
            family: OnceLock::new(),
            combos: [const { OnceLock::new() }; MAX_COMBOS],
        }
    }

    /// The cells of label combination `combo` (made at its first call, with its four result
    /// series in the family as views of them).
    #[inline]
    fn combo_cells(
        &self,
        shared: &SharedFamilies,
        combo: usize,
        make_labels: &impl Fn(CallResult, &'static str) -> L,
    ) -> Option<&Arc<SiteCells>> {
        let slot = self.combos.get(combo)?;
        slot.get_or_init(|| {
            let family = self.family(shared);
            let cells = Arc::new(SiteCells::new(Histogram::new()));
            let all_cells = CallResult::ALL.iter().all(|&result| {
                let (series, _) = family.get_or_insert_with(&make_labels(result, ""), || {
                    CallSeries::Site(Arc::clone(&cells), result as usize)
                });
                series.is_site(&cells, result as usize)
            });
            all_cells.then_some(cells)
        })
        .as_ref()
    }

    fn family(&self, shared: &SharedFamilies) -> &Family<L, CallSeries> {
        self.family.get_or_init(|| {
            let family = Family::new();
            if let Err(e) = shared.add_labeled(L::NAMES, Box::new(family.clone())) {
                report(e);
            }
            family
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::metrics::Counter;

    const fn config(name: &'static str, summary: Option<SummaryOptions>) -> SiteConfig {
        SiteConfig {
            function: "f",
            module: "m",
            prefix: "",
            name: Some(name),
            buckets: &[0.5, 1.0],
            summary,
            calls: true,
            duration: true,
            in_flight: true,
        }
    }

    /// Past 1,000 functions (the default cardinality limit), durations and in-flight
    /// counts of later functions still get series of their own, like their calls.
    #[test]
    fn the_shared_families_hold_as_many_functions_as_each_other() {
        let registry = Registry::new();
        for i in 0..1_200 {
            let function: &'static str = Box::leak(format!("f{i}").into_boxed_str());
            let site: &'static Site = Box::leak(Box::new(Site::new(SiteConfig {
                function,
                ..config("many", None)
            })));
            site.start_in(&registry).finish(Outcome::Ok);
        }
        let text = registry.render();
        assert!(!text.contains("__overflow__"), "{text}");
        for family in [
            "many_calls_total",
            "many_duration_seconds_count",
            "many_in_flight",
        ] {
            assert!(
                text.contains(&format!("{family}{{function=\"f1199\",module=\"m\"")),
                "{family}"
            );
        }
    }

    /// A site records in the registry of its first call; a call naming another one is
    /// recorded there too, and reported (once).
    #[test]
    fn a_site_stays_bound_to_its_first_registry() {
        static BOUND: Site = Site::new(config("bound", None));
        let first = Registry::new();
        let second = Registry::new();
        BOUND.start_in(&first).finish(Outcome::Ok);
        assert!(!BOUND.other_registry_reported.load(Ordering::Relaxed));
        BOUND.start_in(&second).finish(Outcome::Ok);
        assert!(BOUND.other_registry_reported.load(Ordering::Relaxed));
        assert!(first.render().contains(
            "bound_calls_total{function=\"f\",module=\"m\",result=\"ok\",error=\"\"} 2\n"
        ));
        assert!(!second.render().contains("bound_calls_total"));
    }

    #[test]
    fn labeled_sites_sharing_a_name_must_take_the_same_labels() {
        #[derive(crate::LabelSet)]
        struct A {
            key: &'static str,
        }
        #[derive(crate::LabelSet)]
        struct B {
            other: &'static str,
        }
        let registry = Registry::new();
        let shared = shared_families(&config("shared_labeled", None), &registry);
        let (a1, a2, b) = (
            Family::<A, Counter>::new(),
            Family::<A, Counter>::new(),
            Family::<B, Counter>::new(),
        );
        a1.inc(&A { key: "x" });
        a2.inc(&A { key: "y" });
        b.inc(&B { other: "z" });
        assert!(shared.add_labeled(A::NAMES, Box::new(a1)).is_ok());
        assert!(shared.add_labeled(A::NAMES, Box::new(a2)).is_ok());
        match shared.add_labeled(B::NAMES, Box::new(b)) {
            Err(Error::Integration { reason, .. }) => {
                assert!(reason.contains("shared_labeled_calls_total"), "{reason}");
                assert!(reason.contains("key and other"), "{reason}");
            }
            other => panic!("expected a label mismatch, got {other:?}"),
        }
        let text = registry.render();
        assert_eq!(
            text.matches("# TYPE shared_labeled_calls_total counter")
                .count(),
            1
        );
        assert!(
            text.contains("shared_labeled_calls_total{key=\"x\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("shared_labeled_calls_total{key=\"y\"} 1\n"),
            "{text}"
        );
        assert!(!text.contains("other=\"z\""), "{text}");
    }

    static HISTOGRAM_SITE: Site = Site::new(config("timed_by_histogram", None));
    static SUMMARY_SITE: Site = Site::new(config(
        "timed_by_summary",
        Some(
            SummaryOptions::new()
                .quantiles(&[0.5, 0.99])
                .max_age(Duration::from_secs(60))
                .age_buckets(2),
        ),
    ));

    static FULL_SITE: Site = Site::new(config("families_full", None));
    static THREADED_SITE: Site = Site::new(config("threaded", None));

    #[test]
    fn a_site_past_the_families_limits_counts_in_their_overflow_series() {
        let registry = Registry::new();
        let shared = shared_families(&config("families_full", None), &registry);
        let DurationFamily::Histogram(duration, _) = &shared.duration else {
            unreachable!("a histogram site")
        };
        // Full before the site's first call: its series are the overflow series.
        let _ = duration.clone().with_cardinality_limit(0);
        let _ = shared.in_flight.clone().with_cardinality_limit(0);
        let _ = shared.calls.clone().with_cardinality_limit(0);
        FULL_SITE.start_in(&registry).finish(Outcome::Ok);
        drop(FULL_SITE.start_in(&registry)); // cancelled
        let text = registry.render();
        let overflow = "function=\"__overflow__\",module=\"__overflow__\"";
        assert!(
            text.contains(&format!(
                "families_full_duration_seconds_count{{{overflow}}} 2\n"
            )),
            "{text}"
        );
        assert!(
            text.contains(&format!("families_full_in_flight{{{overflow}}} 0\n")),
            "{text}"
        );
        let calls = format!(
            "families_full_calls_total{{{overflow},result=\"__overflow__\",error=\"__overflow__\"}} 2\n"
        );
        assert!(text.contains(&calls), "{text}");
        // The overflow counter counts the updates that landed there, not the lookups.
        for (family, updates) in [
            ("families_full_duration_seconds", 2),
            ("families_full_in_flight", 4),
            ("families_full_calls_total", 2),
        ] {
            let line =
                format!("promforge_cardinality_overflow_total{{metric=\"{family}\"}} {updates}\n");
            assert!(text.contains(&line), "{line}{text}");
        }
    }

    #[test]
    fn calls_started_and_ended_on_different_threads_leave_none_in_flight() {
        let registry = Registry::new();
        let guards: Vec<CallGuard> = (0..8).map(|_| THREADED_SITE.start_in(&registry)).collect();
        assert!(
            registry
                .render()
                .contains("threaded_in_flight{function=\"f\",module=\"m\"} 8\n")
        );
        std::thread::scope(|s| {
            for guard in guards {
                s.spawn(move || guard.finish(Outcome::Ok));
            }
        });
        let text = registry.render();
        assert!(
            text.contains("threaded_in_flight{function=\"f\",module=\"m\"} 0\n"),
            "{text}"
        );
        assert!(
            text.contains(
                "threaded_calls_total{function=\"f\",module=\"m\",result=\"ok\",error=\"\"} 8\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("threaded_duration_seconds_count{function=\"f\",module=\"m\"} 8\n"),
            "{text}"
        );
    }

    #[test]
    fn durations_go_in_a_histogram_or_a_summary() {
        let registry = Registry::new();
        HISTOGRAM_SITE.start_in(&registry).finish(Outcome::Ok);
        SUMMARY_SITE.start_in(&registry).finish(Outcome::Ok);
        SUMMARY_SITE.start_in(&registry).finish(Outcome::Error);
        let text = registry.render();
        assert!(
            text.contains("# TYPE timed_by_histogram_duration_seconds histogram\n"),
            "{text}"
        );
        assert!(text.contains(
            "timed_by_histogram_duration_seconds_bucket{function=\"f\",module=\"m\",le=\"0.5\"} 1\n"
        ));
        assert!(
            text.contains("# TYPE timed_by_summary_duration_seconds summary\n"),
            "{text}"
        );
        for quantile in ["0.5", "0.99"] {
            assert!(
                text.contains(&format!(
                    "timed_by_summary_duration_seconds{{function=\"f\",module=\"m\",quantile=\"{quantile}\"}} "
                )),
                "{text}"
            );
        }
        assert!(
            text.contains(
                "timed_by_summary_duration_seconds_count{function=\"f\",module=\"m\"} 2\n"
            ),
            "{text}"
        );
        assert!(!text.contains("timed_by_summary_duration_seconds_bucket"));
        assert_eq!(
            SummaryOptions::new().age_buckets(2),
            SummaryOptions {
                age_buckets: Some(2),
                ..SummaryOptions::default()
            }
        );
        assert!(matches!(
            SummaryOptions::new().quantiles(&[0.0]).build(),
            Err(crate::Error::InvalidQuantiles { .. })
        ));
    }
}
