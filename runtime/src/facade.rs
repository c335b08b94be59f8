//! The [`metrics`](https://docs.rs/metrics) facade, recorded by promforge: libraries that
//! emit through `metrics::counter!`, `gauge!` and `histogram!` show up in the same registry
//! (and on the same `/metrics`) as promforge's own metrics.
//!
//! ```
//! # fn main() -> Result<(), promforge::Error> {
//! let registry = promforge::Registry::new();
//! let recorder = promforge::facade::builder(&registry)
//!     .buckets_for_prefix("http.", &[0.01, 0.1, 1.0])
//!     .build()?;
//! // `install()` instead of `build()` makes it the process-wide recorder; a local one
//! // serves this example (and tests):
//! metrics::with_local_recorder(&recorder, || {
//!     metrics::describe_counter!("jobs.done", "Jobs processed.");
//!     metrics::counter!("jobs.done", "queue" => "mail").increment(2);
//!     metrics::histogram!("http.latency").record(0.05);
//! });
//! let text = registry.render();
//! assert!(text.contains("# HELP jobs_done_total Jobs processed.\n"));
//! assert!(text.contains("jobs_done_total{queue=\"mail\"} 2\n"));
//! assert!(text.contains("http_latency_bucket{le=\"0.1\"} 1\n"));
//! # Ok(()) }
//! ```
//!
//! ## How the facade's metrics are named
//!
//! - **Names**: every character outside `[a-zA-Z0-9_:]` (the dots and dashes the facade's
//!   users like, spaces, any other character) becomes `_`, and a name starting with a digit
//!   gets a leading `_`: `http.server-requests` → `http_server_requests`. Counters get
//!   `_total` (unless the name ends with it already), like promforge's own. Label names
//!   follow the same rule without `:`.
//! - **Clashes** are errors, never a silent merge: when two facade names map to one name
//!   (`a.b` and `a-b`), when a name is used as two kinds (a counter and a gauge), when the
//!   name is taken in the registry already, or when a label name is invalid (`le` on a
//!   histogram, `__x`), the update is dropped and the error goes (once) to the
//!   [error handler](crate::set_error_handler).
//! - **Descriptions** (`describe_counter!` …) become the family's HELP, with the unit
//!   (other than a plain count) in parentheses; a family used before it is described gets
//!   a placeholder HELP, replaced when the description comes.
//! - **Labels** are dynamic: each name is an open family, bounded by a cardinality limit
//!   ([`FacadeBuilder::cardinality_limit`], 1,000 by default). Past it, updates go to one
//!   series whose label values are all `__overflow__`, counted in
//!   `promforge_cardinality_overflow_total`. Series of a family are written sorted by their
//!   label values.
//! - **Histograms** use the buckets of the longest matching prefix given to
//!   [`FacadeBuilder::buckets_for_prefix`] (matched on the facade name), otherwise
//!   [`FacadeBuilder::buckets`] ([`DEFAULT_BUCKETS`] by default).
//! - **Counters** take `increment` and `absolute` (the count never goes down: an
//!   `absolute` below the current value is ignored); **gauges** `increment`, `decrement` and
//!   `set`.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use metrics::{Key, KeyName, Metadata, SharedString, Unit};

use crate::encoding::{MetricEncoder, MetricType, push_label_pair};
use crate::error::{Error, report};
use crate::family::{DEFAULT_CARDINALITY_LIMIT, OVERFLOW_LABEL_VALUE};
use crate::metrics::{DEFAULT_BUCKETS, EncodeMetric, Histogram};
use crate::name::{check_metric_name, check_user_label_name};
use crate::registry::Registry;

/// Makes promforge, recording into `registry`, the process-wide `metrics` recorder, with
/// the default settings (see [`builder`] for the others).
///
/// Errors: another recorder is installed already (the facade has one per process).
///
/// ```no_run
/// # fn main() -> Result<(), promforge::Error> {
/// promforge::facade::install(promforge::default_registry())?;
/// metrics::counter!("cache.hits").increment(1); // cache_hits_total 1
/// # Ok(()) }
/// ```
pub fn install(registry: &Registry) -> Result<(), Error> {
    builder(registry).install()
}

/// Starts a recorder for `registry`, to set its buckets and cardinality limit.
pub fn builder(registry: &Registry) -> FacadeBuilder {
    FacadeBuilder {
        registry: registry.clone(),
        buckets: DEFAULT_BUCKETS.to_vec(),
        prefix_buckets: Vec::new(),
        cardinality_limit: DEFAULT_CARDINALITY_LIMIT,
    }
}

/// Settings of a [`FacadeRecorder`]; from [`builder`].
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `build` or `install`"]
pub struct FacadeBuilder {
    registry: Registry,
    buckets: Vec<f64>,
    prefix_buckets: Vec<(String, Vec<f64>)>,
    cardinality_limit: usize,
}

impl FacadeBuilder {
    /// The buckets of histograms no [`buckets_for_prefix`](Self::buckets_for_prefix)
    /// matches ([`DEFAULT_BUCKETS`] unless set).
    pub fn buckets(mut self, buckets: &[f64]) -> Self {
        self.buckets = buckets.to_vec();
        self
    }

    /// The buckets of histograms whose facade name starts with `prefix` (the longest
    /// matching prefix wins).
    ///
    /// ```
    /// # fn main() -> Result<(), promforge::Error> {
    /// let registry = promforge::Registry::new();
    /// let recorder = promforge::facade::builder(&registry)
    ///     .buckets_for_prefix("db.", &[0.001, 0.01, 0.1])
    ///     .build()?;
    /// # Ok(()) }
    /// ```
    pub fn buckets_for_prefix(mut self, prefix: &str, buckets: &[f64]) -> Self {
        self.prefix_buckets
            .push((prefix.to_owned(), buckets.to_vec()));
        self
    }

    /// The most series of one facade name; past it, updates go to its overflow series.
    pub fn cardinality_limit(mut self, limit: usize) -> Self {
        self.cardinality_limit = limit;
        self
    }

    /// The recorder, for `metrics::with_local_recorder` or `metrics::set_global_recorder`.
    ///
    /// Errors: buckets that are not finite and strictly increasing.
    pub fn build(self) -> Result<FacadeRecorder, Error> {
        Histogram::with_buckets(&self.buckets)?;
        for (_, buckets) in &self.prefix_buckets {
            Histogram::with_buckets(buckets)?;
        }
        let mut prefix_buckets = self.prefix_buckets;
        // Longest first: the first match is the longest.
        prefix_buckets.sort_by_key(|(prefix, _)| std::cmp::Reverse(prefix.len()));
        Ok(FacadeRecorder {
            state: Arc::new(State {
                id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
                registry: self.registry,
                buckets: self.buckets,
                prefix_buckets,
                cardinality_limit: self.cardinality_limit,
                series: RwLock::new(hashbrown::HashTable::new()),
                names: Mutex::new(Names::default()),
            }),
        })
    }

    /// Builds the recorder and makes it the process-wide `metrics` recorder.
    ///
    /// Errors: bad buckets, or another recorder is installed already.
    pub fn install(self) -> Result<(), Error> {
        let recorder = self.build()?;
        metrics::set_global_recorder(recorder).map_err(|_| Error::Integration {
            what: "metrics facade",
            reason: "a global `metrics` recorder is installed already (one per process)".to_owned(),
        })
    }
}

/// promforge as a `metrics::Recorder`: what [`install`] installs.
#[derive(Clone)]
pub struct FacadeRecorder {
    state: Arc<State>,
}

impl std::fmt::Debug for FacadeRecorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FacadeRecorder").finish_non_exhaustive()
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Counter,
    Gauge,
    Histogram,
}

impl Kind {
    fn word(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        }
    }
}

struct State {
    /// This recorder's identity in the threads' caches.
    id: u64,
    registry: Registry,
    buckets: Vec<f64>,
    prefix_buckets: Vec<(String, Vec<f64>)>,
    cardinality_limit: usize,
    /// Handles by key, for the keys seen (the hot path: a read lock and a probe with the
    /// key's own hash).
    series: RwLock<hashbrown::HashTable<Entry>>,
    /// Facade names, their families and descriptions.
    names: Mutex<Names>,
}

struct Entry {
    kind: Kind,
    key: Key,
    handle: Handle,
}

/// The most handles one thread keeps in its cache (of every recorder).
const THREAD_CACHE_ENTRIES: usize = 4096;

/// An entry of a thread's cache: a handle of recorder `id`.
struct Cached {
    id: u64,
    kind: Kind,
    key: Key,
    handle: Handle,
}

thread_local! {
    /// Handles this thread looked up before, by key hash: the hot path takes no lock.
    static CACHE: std::cell::RefCell<hashbrown::HashTable<Cached>> =
        const { std::cell::RefCell::new(hashbrown::HashTable::new()) };
}

/// Identities of recorders (never reused, unlike an address).
static NEXT_ID: AtomicU64 = AtomicU64::new(0);

#[derive(Default)]
struct Names {
    /// By facade name: the family, or `None` when the name could not be registered.
    families: HashMap<(String, KindKey), Option<Arc<FacadeFamily>>>,
    /// Mapped name → (facade name, kind) using it.
    owners: HashMap<String, (String, Kind)>,
    /// Descriptions given before or after first use.
    descriptions: HashMap<String, String>,
}

/// `Kind` as a map key (separate so that `Kind` stays `Copy` and simple).
type KindKey = u8;

fn kind_key(kind: Kind) -> KindKey {
    kind as u8
}

#[derive(Clone)]
enum Handle {
    Counter(Arc<CounterCell>),
    Gauge(Arc<GaugeCell>),
    Histogram(Arc<HistogramCell>),
    /// An update that was refused (its error was reported).
    Dropped,
}

/// One counter series.
#[derive(Default)]
struct CounterCell {
    value: AtomicU64,
    /// The family's overflow count, when this is its overflow series.
    overflow: Option<Arc<AtomicU64>>,
}

impl metrics::CounterFn for CounterCell {
    fn increment(&self, value: u64) {
        if crate::noop::NOOP {
            return;
        }
        self.value.fetch_add(value, Ordering::Relaxed);
        note_overflow(&self.overflow);
    }

    fn absolute(&self, value: u64) {
        if crate::noop::NOOP {
            return;
        }
        self.value.fetch_max(value, Ordering::Relaxed);
        note_overflow(&self.overflow);
    }
}

/// One gauge series (`f64` bits).
struct GaugeCell {
    value: AtomicU64,
    overflow: Option<Arc<AtomicU64>>,
}

impl GaugeCell {
    fn add(&self, delta: f64) {
        if crate::noop::NOOP {
            return;
        }
        let _ = self
            .value
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |bits| {
                Some((f64::from_bits(bits) + delta).to_bits())
            });
        note_overflow(&self.overflow);
    }
}

impl metrics::GaugeFn for GaugeCell {
    fn increment(&self, value: f64) {
        self.add(value);
    }

    fn decrement(&self, value: f64) {
        self.add(-value);
    }

    fn set(&self, value: f64) {
        if crate::noop::NOOP {
            return;
        }
        self.value.store(value.to_bits(), Ordering::Relaxed);
        note_overflow(&self.overflow);
    }
}

/// One histogram series.
struct HistogramCell {
    histogram: Histogram,
    overflow: Option<Arc<AtomicU64>>,
}

impl metrics::HistogramFn for HistogramCell {
    fn record(&self, value: f64) {
        self.histogram.observe(value);
        note_overflow(&self.overflow);
    }
}

#[inline]
fn note_overflow(overflow: &Option<Arc<AtomicU64>>) {
    if let Some(count) = overflow {
        count.fetch_add(1, Ordering::Relaxed);
    }
}

/// The series of one facade name: an open family with label names that may differ from
/// series to series (the facade does not fix them), sorted by label text.
struct FacadeFamily {
    kind: Kind,
    buckets: Vec<f64>,
    limit: usize,
    series: RwLock<Vec<(String, Handle)>>,
    overflowed: Arc<AtomicU64>,
    /// Whether a refused label set was reported (once per family).
    refused_reported: AtomicBool,
}

/// Shares a [`FacadeFamily`] with the registry (which wants an owned `EncodeMetric`).
#[derive(Clone)]
struct SharedFamily(Arc<FacadeFamily>);

impl FacadeFamily {
    fn new_cell(&self, overflow: Option<Arc<AtomicU64>>) -> Handle {
        match self.kind {
            Kind::Counter => Handle::Counter(Arc::new(CounterCell {
                value: AtomicU64::new(0),
                overflow,
            })),
            Kind::Gauge => Handle::Gauge(Arc::new(GaugeCell {
                value: AtomicU64::new(0f64.to_bits()),
                overflow,
            })),
            Kind::Histogram => match Histogram::with_buckets(&self.buckets) {
                Ok(histogram) => Handle::Histogram(Arc::new(HistogramCell {
                    histogram,
                    overflow,
                })),
                // Checked by `build`.
                Err(_) => Handle::Dropped,
            },
        }
    }

    /// The series with label text `text`, made when new; `(handle, cacheable)`: a label
    /// set past the limit gets the overflow series and is not remembered by key (so an
    /// unbounded stream of label values keeps no memory).
    fn series(&self, text: String, names: &[String]) -> (Handle, bool) {
        let find = |series: &[(String, Handle)], text: &str| {
            series.binary_search_by(|(t, _)| crate::family::compare_label_text(t, text))
        };
        {
            let series = self.series.read().unwrap_or_else(PoisonError::into_inner);
            if let Ok(i) = find(&series, &text) {
                if let Some((_, handle)) = series.get(i) {
                    return (handle.clone(), true);
                }
            }
        }
        let mut series = self.series.write().unwrap_or_else(PoisonError::into_inner);
        match find(&series, &text) {
            Ok(i) => match series.get(i) {
                Some((_, handle)) => (handle.clone(), true),
                None => (Handle::Dropped, false),
            },
            Err(at) if series.len() < self.limit => {
                let handle = self.new_cell(None);
                series.insert(at, (text, handle.clone()));
                (handle, true)
            }
            Err(_) => {
                let mut overflow_text = String::new();
                for name in names {
                    push_label_pair(&mut overflow_text, name, OVERFLOW_LABEL_VALUE);
                }
                let handle = match find(&series, &overflow_text) {
                    Ok(i) => series.get(i).map_or(Handle::Dropped, |(_, h)| h.clone()),
                    Err(at) => {
                        let handle = self.new_cell(Some(Arc::clone(&self.overflowed)));
                        series.insert(at, (overflow_text, handle.clone()));
                        handle
                    }
                };
                // The update about to be made lands in the overflow series.
                (handle, false)
            }
        }
    }
}

impl EncodeMetric for SharedFamily {
    fn metric_type(&self) -> MetricType {
        match self.0.kind {
            Kind::Counter => MetricType::Counter,
            Kind::Gauge => MetricType::Gauge,
            Kind::Histogram => MetricType::Histogram,
        }
    }

    fn encode(&self, encoder: &mut MetricEncoder<'_>) {
        let series = self.0.series.read().unwrap_or_else(PoisonError::into_inner);
        for (text, handle) in series.iter() {
            let mut encoder = encoder.with_labels(text);
            match handle {
                Handle::Counter(cell) => encoder.counter(cell.value.load(Ordering::Relaxed)),
                Handle::Gauge(cell) => {
                    encoder.gauge(f64::from_bits(cell.value.load(Ordering::Relaxed)));
                }
                Handle::Histogram(cell) => cell.histogram.encode(&mut encoder),
                Handle::Dropped => {}
            }
        }
    }

    fn cardinality_overflow(&self) -> Option<u64> {
        Some(self.0.overflowed.load(Ordering::Relaxed))
    }
}

/// The facade's `name` as a Prometheus metric name: characters outside `[a-zA-Z0-9_:]`
/// become `_`, and a leading digit gets a `_` before it.
///
/// ```
/// use promforge::facade::metric_name;
/// assert_eq!(metric_name("http.server-requests"), "http_server_requests");
/// assert_eq!(metric_name("2xx.count"), "_2xx_count");
/// assert_eq!(metric_name("already_fine:rate"), "already_fine:rate");
/// ```
pub fn metric_name(name: &str) -> Cow<'_, str> {
    map_name(name, true)
}

/// The facade's label `name` as a Prometheus label name: like [`metric_name`], and `:`
/// becomes `_` too.
///
/// ```
/// assert_eq!(promforge::facade::label_name("http.method"), "http_method");
/// ```
pub fn label_name(name: &str) -> Cow<'_, str> {
    map_name(name, false)
}

fn map_name(name: &str, colons: bool) -> Cow<'_, str> {
    let keep = |c: char| c.is_ascii_alphanumeric() || c == '_' || (colons && c == ':');
    let leading_digit = name.starts_with(|c: char| c.is_ascii_digit());
    if !leading_digit && !name.is_empty() && name.chars().all(keep) {
        return Cow::Borrowed(name);
    }
    let mut out = String::with_capacity(name.len() + 1);
    if leading_digit || name.is_empty() {
        out.push('_');
    }
    out.extend(name.chars().map(|c| if keep(c) { c } else { '_' }));
    Cow::Owned(out)
}

impl State {
    fn hash(kind: Kind, key: &Key) -> u64 {
        // The key's own hash (computed when the key was made), mixed with the kind.
        key.get_hash() ^ (kind as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)
    }

    #[inline]
    fn handle(&self, kind: Kind, key: &Key) -> Handle {
        let hash = Self::hash(kind, key);
        let id = self.id;
        // This thread's cache first: no lock, no cache line shared with other threads.
        let cached = CACHE.try_with(|cache| {
            let cache = cache.try_borrow().ok()?;
            cache
                .find(hash, |e| e.id == id && e.kind == kind && e.key == *key)
                .map(|e| e.handle.clone())
        });
        if let Ok(Some(handle)) = cached {
            return handle;
        }
        let found = {
            let series = self.series.read().unwrap_or_else(PoisonError::into_inner);
            series
                .find(hash, |e| e.kind == kind && e.key == *key)
                .map(|e| e.handle.clone())
        };
        match found {
            Some(handle) => {
                self.remember(hash, kind, key, &handle);
                handle
            }
            None => self.make(kind, key, hash),
        }
    }

    /// Keeps a handle found in the shared table in this thread's cache (bounded: emptied
    /// when full).
    #[cold]
    fn remember(&self, hash: u64, kind: Kind, key: &Key, handle: &Handle) {
        let _ = CACHE.try_with(|cache| {
            let Ok(mut cache) = cache.try_borrow_mut() else {
                return;
            };
            if cache.len() >= THREAD_CACHE_ENTRIES {
                cache.clear();
            }
            cache.insert_unique(
                hash,
                Cached {
                    id: self.id,
                    kind,
                    key: key.clone(),
                    handle: handle.clone(),
                },
                |e| Self::hash(e.kind, &e.key),
            );
        });
    }

    #[cold]
    fn make(&self, kind: Kind, key: &Key, hash: u64) -> Handle {
        let Some(family) = self.family(kind, key.name()) else {
            return Handle::Dropped;
        };
        let Some((text, names)) = self.label_text(key, &family) else {
            return Handle::Dropped;
        };
        let (handle, cacheable) = family.series(text, &names);
        if cacheable {
            let mut series = self.series.write().unwrap_or_else(PoisonError::into_inner);
            if series
                .find(hash, |e| e.kind == kind && e.key == *key)
                .is_none()
            {
                series.insert_unique(
                    hash,
                    Entry {
                        kind,
                        key: key.clone(),
                        handle: handle.clone(),
                    },
                    |e| Self::hash(e.kind, &e.key),
                );
            }
        }
        handle
    }

    /// The key's labels as label text, sorted by name (so that two keys with the same
    /// labels in another order are one series), and their names.
    fn label_text(&self, key: &Key, family: &FacadeFamily) -> Option<(String, Vec<String>)> {
        let mut labels: Vec<(Cow<'_, str>, &str)> = key
            .labels()
            .map(|l| (label_name(l.key()), l.value()))
            .collect();
        labels.sort_by(|a, b| a.0.cmp(&b.0));
        let refuse = |reason: String| {
            if !family.refused_reported.swap(true, Ordering::Relaxed) {
                report(&Error::Integration {
                    what: "metrics facade",
                    reason,
                });
            }
        };
        for pair in labels.windows(2) {
            if let [(a, _), (b, _)] = pair {
                if a == b {
                    refuse(format!(
                        "`{}` has two labels named `{a}` (after mapping to Prometheus names); \
                         updates with them are dropped",
                        key.name()
                    ));
                    return None;
                }
            }
        }
        let mut text = String::new();
        let mut names = Vec::with_capacity(labels.len());
        for (name, value) in &labels {
            if let Err(e) = check_user_label_name(name) {
                refuse(format!(
                    "`{}`: {e}; updates with this label are dropped",
                    key.name()
                ));
                return None;
            }
            push_label_pair(&mut text, name, value);
            names.push(name.clone().into_owned());
        }
        Some((text, names))
    }

    /// The family of facade name `name` as `kind`, registered at its first use; `None`
    /// (reported once) when it cannot be.
    fn family(&self, kind: Kind, name: &str) -> Option<Arc<FacadeFamily>> {
        let mut names = self.names.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(family) = names.families.get(&(name.to_owned(), kind_key(kind))) {
            return family.clone();
        }
        let family = self.register(&mut names, kind, name);
        names
            .families
            .insert((name.to_owned(), kind_key(kind)), family.clone());
        family
    }

    fn register(&self, names: &mut Names, kind: Kind, name: &str) -> Option<Arc<FacadeFamily>> {
        let mapped = metric_name(name).into_owned();
        let refuse = |reason: String| {
            report(&Error::Integration {
                what: "metrics facade",
                reason,
            });
            None
        };
        if let Err(e) = check_metric_name(&mapped) {
            return refuse(format!("`{name}`: {e}"));
        }
        // One owner per base name: `a` as a counter (`a_total`) and as a gauge (`a`) are
        // one facade name used twice, refused like any other clash.
        let owner_key = mapped.trim_end_matches("_total").to_owned();
        if let Some((other, other_kind)) = names.owners.get(&owner_key) {
            return refuse(if other == name {
                format!(
                    "`{name}` is used as a {} and as a {}; the {} updates are dropped",
                    other_kind.word(),
                    kind.word(),
                    kind.word()
                )
            } else {
                format!(
                    "`{name}` and `{other}` both map to the Prometheus name `{mapped}`; \
                     the updates of `{name}` are dropped"
                )
            });
        }
        let buckets = self
            .prefix_buckets
            .iter()
            .find(|(prefix, _)| name.starts_with(prefix.as_str()))
            .map_or_else(|| self.buckets.clone(), |(_, b)| b.clone());
        let family = Arc::new(FacadeFamily {
            kind,
            buckets,
            limit: self.cardinality_limit,
            series: RwLock::new(Vec::new()),
            overflowed: Arc::new(AtomicU64::new(0)),
            refused_reported: AtomicBool::new(false),
        });
        let help = names
            .descriptions
            .get(name)
            .cloned()
            .unwrap_or_else(|| placeholder_help(name));
        match self
            .registry
            .register(&mapped, &help, SharedFamily(Arc::clone(&family)))
        {
            Ok(_) => {
                names.owners.insert(owner_key, (name.to_owned(), kind));
                Some(family)
            }
            Err(e) => refuse(format!("`{name}`: {e}")),
        }
    }

    fn describe(&self, kind: Kind, name: &str, unit: Option<Unit>, description: &str) {
        let help = match unit {
            Some(unit) if unit != Unit::Count && !description.is_empty() => {
                // "Latency." → "Latency (seconds)."
                let text = description.trim_end_matches('.');
                let stop = if text.len() < description.len() {
                    "."
                } else {
                    ""
                };
                format!("{text} ({}){stop}", unit.as_str())
            }
            _ if description.is_empty() => placeholder_help(name),
            _ => description.to_owned(),
        };
        let mut names = self.names.lock().unwrap_or_else(PoisonError::into_inner);
        let previous = names.descriptions.insert(name.to_owned(), help.clone());
        if previous.as_deref() == Some(help.as_str()) {
            return;
        }
        // Already in use: registered again with its HELP (the series are the family's,
        // so nothing recorded is lost).
        let Some(Some(family)) = names
            .families
            .get(&(name.to_owned(), kind_key(kind)))
            .cloned()
        else {
            return;
        };
        let mapped = metric_name(name).into_owned();
        // The name the registry gave the family (its prefix, and `_total` for a counter as
        // `promforge_rules::counter_name` adds it).
        let full = match kind {
            Kind::Counter => {
                promforge_rules::counter_name(&format!("{}{mapped}", self.registry.prefix()))
            }
            _ => format!("{}{mapped}", self.registry.prefix()),
        };
        self.registry.unregister(&full);
        if let Err(e) = self.registry.register(&mapped, &help, SharedFamily(family)) {
            report(&Error::Integration {
                what: "metrics facade",
                reason: format!("`{name}`: {e}"),
            });
        }
    }
}

fn placeholder_help(name: &str) -> String {
    format!("`{name}`, from the metrics facade (not described).")
}

impl metrics::Recorder for FacadeRecorder {
    fn describe_counter(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.state
            .describe(Kind::Counter, key.as_str(), unit, &description);
    }

    fn describe_gauge(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.state
            .describe(Kind::Gauge, key.as_str(), unit, &description);
    }

    fn describe_histogram(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.state
            .describe(Kind::Histogram, key.as_str(), unit, &description);
    }

    fn register_counter(&self, key: &Key, _metadata: &Metadata<'_>) -> metrics::Counter {
        match self.state.handle(Kind::Counter, key) {
            Handle::Counter(cell) => metrics::Counter::from_arc(cell),
            _ => metrics::Counter::noop(),
        }
    }

    fn register_gauge(&self, key: &Key, _metadata: &Metadata<'_>) -> metrics::Gauge {
        match self.state.handle(Kind::Gauge, key) {
            Handle::Gauge(cell) => metrics::Gauge::from_arc(cell),
            _ => metrics::Gauge::noop(),
        }
    }

    fn register_histogram(&self, key: &Key, _metadata: &Metadata<'_>) -> metrics::Histogram {
        match self.state.handle(Kind::Histogram, key) {
            Handle::Histogram(cell) => metrics::Histogram::from_arc(cell),
            _ => metrics::Histogram::noop(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_to_prometheus_names() {
        for (from, to) in [
            ("a.b", "a_b"),
            ("a-b c", "a_b_c"),
            ("1st", "_1st"),
            ("", "_"),
            ("ok:rate", "ok:rate"),
            ("émoji", "_moji"),
        ] {
            assert_eq!(metric_name(from), to, "{from}");
            assert!(check_metric_name(&metric_name(from)).is_ok(), "{from}");
        }
        assert_eq!(label_name("a:b"), "a_b");
    }
}
