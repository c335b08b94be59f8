//! The [`Registry`]: named, documented metric families, rendered to the text format.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex, PoisonError, RwLock};

use crate::collector::{Collector, CollectorEntry};
use crate::encoding::{
    ContentType, ExpositionWriter, FamilyMeta, MetricType, RenderOptions, escape_label_value_into,
    push_label_pair,
};
use crate::error::Error;
use crate::metrics::{
    Counter, CounterNumber, EncodeMetric, Gauge, GaugeNumber, Histogram, NativeOptions,
};
use crate::name::{
    check_metric_name, check_user_label_name, check_utf8_metric_name, check_utf8_user_label_name,
};

#[cfg(feature = "prometheus-interop")]
mod interop;

/// The environment variable whose value becomes the constant label `service`.
pub const ENV_SERVICE: &str = "PROMFORGE_SERVICE";
/// The environment variable whose value becomes the constant label `environment`.
pub const ENV_ENVIRONMENT: &str = "PROMFORGE_ENVIRONMENT";

/// The family counting updates that went to an overflow series because a family of open
/// label sets reached its cardinality limit (label `metric`: that family's name).
pub const OVERFLOW_FAMILY: &str = "promforge_cardinality_overflow_total";

/// The family counting scrapes in which a collector (a snapshot source, a stats closure)
/// panicked; its samples were left out of that scrape (label `collector`: its first family).
pub const SCRAPE_ERRORS_FAMILY: &str = "promforge_scrape_errors_total";

/// The `Content-Type` of [`Registry::render`]'s output.
pub const TEXT_CONTENT_TYPE: &str = crate::encoding::text::CONTENT_TYPE;

/// A set of metric families, rendered together on a scrape.
///
/// A `Registry` is a cheap handle (an `Arc`): clones share the same families. Most programs
/// use the process-wide [`default_registry()`](crate::default_registry); make your own for
/// tests, libraries or a second endpoint.
///
/// ```
/// # fn main() -> Result<(), promforge::Error> {
/// let registry = promforge::Registry::builder()
///     .prefix("shop")
///     .const_label("service", "checkout")
///     .build()?;
/// let orders = registry.counter("orders", "Orders placed.")?;
/// orders.inc();
/// assert!(registry.render().contains("shop_orders_total{service=\"checkout\"} 1\n"));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Registry {
    inner: Arc<Inner>,
}

struct Inner {
    prefix: String,
    /// What renders write beyond the format (OpenMetrics `_created` samples).
    options: RenderOptions,
    const_labels: Vec<(String, String)>,
    /// `a="1",b="2"`, escaped, or empty (names in the legacy character set).
    const_labels_rendered: String,
    /// The same with names outside the legacy character set quoted (`"a.b"="1"`), for
    /// scrapers that allow UTF-8 names.
    const_labels_utf8: String,
    /// Whether metric and label names outside the legacy character set are accepted.
    utf8_names: bool,
    state: RwLock<State>,
    /// The size of the last render, to allocate the next one at once.
    size_hint: AtomicUsize,
    /// Whether the instrumented functions recording here had their series made (at the
    /// first render: every call site is known at link time).
    sites_registered: std::sync::Once,
    /// `RegistryBuilder::native_durations`: instrumented functions recording here keep
    /// their durations in native histograms unless their attribute says otherwise.
    native_durations: Option<NativeOptions>,
}

struct State {
    families: Vec<Family>,
    /// Every sample name the families write (`x_total`, `h_bucket`, `h_sum`, …).
    sample_names: HashSet<String>,
    collectors: Vec<CollectorEntry>,
    /// Registries of the `prometheus` crate rendered after promforge's own families.
    #[cfg(feature = "prometheus-interop")]
    foreign: Vec<prometheus::Registry>,
}

/// Writes the series of a bookkeeping family (`(labels, value)`), with its header only when
/// there is one.
fn bookkeeping<'a>(
    out: &mut ExpositionWriter<'_>,
    meta: &FamilyMeta,
    series: impl Iterator<Item = (&'a str, u64)>,
) {
    let mut series = series.peekable();
    if series.peek().is_none() {
        return;
    }
    let mut encoder = out.family(meta);
    for (labels, value) in series {
        encoder.with_labels(labels).counter(value);
    }
}

impl Default for State {
    fn default() -> Self {
        Self {
            families: Vec::new(),
            sample_names: HashSet::from([
                OVERFLOW_FAMILY.to_owned(),
                SCRAPE_ERRORS_FAMILY.to_owned(),
            ]),
            collectors: Vec::new(),
            #[cfg(feature = "prometheus-interop")]
            foreign: Vec::new(),
        }
    }
}

/// The families a group registration in progress on this thread has staged (see
/// [`Registry::batch`]), with the sample names of each.
struct Batch {
    registry: usize,
    families: Vec<(Family, Vec<String>)>,
}

thread_local! {
    static BATCH: std::cell::RefCell<Option<Batch>> = const { std::cell::RefCell::new(None) };
}

/// A family's full name, the sample names it writes, and its description.
struct Prepared {
    full: String,
    samples: Vec<String>,
    meta: FamilyMeta,
}

struct Family {
    name: String,
    /// `metric="<name>"`, escaped: the label of this family's overflow counter series.
    overflow_label: String,
    meta: FamilyMeta,
    metric: Box<dyn EncodeMetric>,
}

/// The registry's own families (bookkeeping), described once.
static OVERFLOW_META: LazyLock<FamilyMeta> = LazyLock::new(|| {
    FamilyMeta::new(
        OVERFLOW_FAMILY,
        "Updates sent to a family's overflow series because it reached its cardinality limit.",
        MetricType::Counter,
    )
});
static SCRAPE_ERRORS_META: LazyLock<FamilyMeta> = LazyLock::new(|| {
    FamilyMeta::new(
        SCRAPE_ERRORS_FAMILY,
        "Scrapes in which a collector failed; its samples were left out.",
        MetricType::Counter,
    )
});

/// Builds a [`Registry`] with a name prefix and constant labels.
#[derive(Debug, Default, Clone)]
#[must_use]
pub struct RegistryBuilder {
    prefix: Option<String>,
    const_labels: Vec<(String, String)>,
    from_env: bool,
    created: bool,
    utf8_names: bool,
    native_durations: Option<NativeOptions>,
}

impl RegistryBuilder {
    /// Puts `prefix_` in front of every metric name (a namespace such as the service name).
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = Some(prefix.into());
        self
    }

    /// Adds a label written on every series of this registry (`service`, `environment`,
    /// `region`, …). Setting the same name twice keeps the last value.
    pub fn const_label(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        let (name, value) = (name.into(), value.into());
        self.const_labels.retain(|(n, _)| *n != name);
        self.const_labels.push((name, value));
        self
    }

    /// Takes the constant labels `service` and `environment` from the environment variables
    /// `PROMFORGE_SERVICE` and `PROMFORGE_ENVIRONMENT` when they are set and not empty.
    /// Values from the environment replace values given in code, so a deployment can
    /// override them. The default registry always does this.
    pub fn labels_from_env(mut self) -> Self {
        self.from_env = true;
        self
    }

    /// Writes a `_created` sample (when the series was made, in seconds since the epoch)
    /// for every counter, histogram and summary in OpenMetrics output; off by default,
    /// because Prometheus before 2.50 ingests them as extra series. The text format
    /// 0.0.4 has no such samples.
    ///
    /// ```
    /// use promforge::encoding::Format;
    ///
    /// # fn main() -> Result<(), promforge::Error> {
    /// let registry = promforge::Registry::builder().created_timestamps(true).build()?;
    /// registry.counter("jobs", "Jobs done.")?.inc();
    /// let text = registry.render_as(Format::OpenMetricsText1_0_0);
    /// assert!(text.contains("\njobs_total 1\njobs_created "));
    /// assert!(!registry.render().contains("_created"));
    /// # Ok(()) }
    /// ```
    pub fn created_timestamps(mut self, on: bool) -> Self {
        self.created = on;
        self
    }

    /// Accepts metric and label names outside the legacy character set
    /// (`[a-zA-Z_:][a-zA-Z0-9_:]*`), as Prometheus 3 does: any non-empty UTF-8 string
    /// (label names still not `le`, `quantile` or starting with `__`; the prefix stays a
    /// legacy name). Off by default.
    ///
    /// Such a name is written quoted (`{"http.requests",…}`) only to a scraper whose
    /// `Accept` carries `escaping=allow-utf-8` (Prometheus 3) in the text format 1.0.0 or
    /// OpenMetrics 1.0.0; every other scraper (and `promtool`) gets it escaped the
    /// `underscores` way, each character outside the legacy set turned into `_`
    /// (`http_requests`). Two names that escape to the same name are a registration error,
    /// since an older scraper would see them merged. Both forms are prepared when the
    /// name is registered; legacy names render exactly as in any registry.
    ///
    /// ```
    /// use promforge::encoding::ContentType;
    ///
    /// # fn main() -> Result<(), promforge::Error> {
    /// let registry = promforge::Registry::builder()
    ///     .utf8_names(true)
    ///     .const_label("service.name", "checkout")
    ///     .build()?;
    /// registry.gauge("queue.depth", "Jobs waiting.")?.set(3);
    ///
    /// // A Prometheus 3 scrape: names as they are, quoted.
    /// let utf8 = ContentType::negotiate(["text/plain;version=1.0.0;escaping=allow-utf-8"]);
    /// assert!(registry
    ///     .render_as(utf8)
    ///     .contains("{\"queue.depth\",\"service.name\"=\"checkout\"} 3\n"));
    /// // Any other scraper: escaped.
    /// assert!(registry.render().contains("queue_depth{service_name=\"checkout\"} 3\n"));
    /// // `queue_depth` would be merged with `queue.depth` by an older scraper: refused.
    /// assert!(registry.gauge("queue_depth", "Another.").is_err());
    /// // Without `utf8_names`, such names are refused.
    /// assert!(promforge::Registry::new().gauge("queue.depth", "Jobs.").is_err());
    /// # Ok(()) }
    /// ```
    pub fn utf8_names(mut self, on: bool) -> Self {
        self.utf8_names = on;
        self
    }

    /// Makes every `#[instrument_metrics]` function recording in this registry keep its
    /// durations in a native histogram with these settings (`<name>_duration_seconds`
    /// for a function with `name = "…"`, `function_calls_duration_seconds` otherwise),
    /// as the attribute's `native` option does, unless its attribute names `buckets` or
    /// `summary`. Calls and calls in progress are counted as before.
    ///
    /// ```
    /// use promforge::metrics::NativeOptions;
    ///
    /// # fn main() -> Result<(), promforge::Error> {
    /// let registry = promforge::Registry::builder()
    ///     .native_durations(Some(NativeOptions::new().bucket_factor(1.05)))
    ///     .build()?;
    /// # let _ = registry;
    /// # Ok(()) }
    /// ```
    pub fn native_durations(mut self, options: Option<NativeOptions>) -> Self {
        self.native_durations = options;
        self
    }

    /// Checks the prefix and label names and makes the registry.
    pub fn build(mut self) -> Result<Registry, Error> {
        if self.from_env {
            for (var, label) in [(ENV_SERVICE, "service"), (ENV_ENVIRONMENT, "environment")] {
                if let Some(value) = std::env::var_os(var).and_then(|v| v.into_string().ok())
                    && !value.is_empty()
                {
                    self = self.const_label(label, value);
                }
            }
        }
        let prefix = match self.prefix {
            Some(p) if !p.is_empty() => {
                check_metric_name(&p)?;
                format!("{}_", p.trim_end_matches('_'))
            }
            _ => String::new(),
        };
        let mut rendered = String::new();
        let mut utf8 = String::new();
        let mut escaped_names = std::collections::HashSet::new();
        for (name, value) in &self.const_labels {
            if self.utf8_names {
                check_utf8_user_label_name(name)?;
            } else {
                check_user_label_name(name)?;
            }
            let escaped = promforge_rules::escape_label_name(name);
            if !escaped_names.insert(escaped.clone().into_owned()) {
                return Err(Error::InvalidLabelName {
                    name: name.clone(),
                    reason: "it escapes to the same legacy name as another constant label",
                });
            }
            push_label_pair(&mut rendered, &escaped, value);
            if *escaped == **name {
                push_label_pair(&mut utf8, name, value);
            } else {
                let mut quoted = String::from("\"");
                escape_label_value_into(name, &mut quoted);
                quoted.push('"');
                push_label_pair(&mut utf8, &quoted, value);
            }
        }
        Ok(Registry {
            inner: Arc::new(Inner {
                prefix,
                options: RenderOptions {
                    created: self.created,
                },
                const_labels: self.const_labels,
                const_labels_rendered: rendered,
                const_labels_utf8: utf8,
                utf8_names: self.utf8_names,
                state: RwLock::default(),
                size_hint: AtomicUsize::new(1024),
                sites_registered: std::sync::Once::new(),
                native_durations: self.native_durations,
            }),
        })
    }
}

static DEFAULT: LazyLock<Registry> = LazyLock::new(|| {
    RegistryBuilder::default()
        .labels_from_env()
        .build()
        .unwrap_or_else(|_| Registry::new())
});

/// The process-wide registry, made on first use. Its constant labels come from
/// `PROMFORGE_SERVICE` and `PROMFORGE_ENVIRONMENT` (see [`RegistryBuilder::labels_from_env`]).
pub fn default_registry() -> &'static Registry {
    &DEFAULT
}

impl Registry {
    /// An empty registry with no prefix and no constant labels.
    pub fn new() -> Self {
        Registry {
            inner: Arc::new(Inner {
                prefix: String::new(),
                options: RenderOptions::default(),
                const_labels: Vec::new(),
                const_labels_rendered: String::new(),
                const_labels_utf8: String::new(),
                utf8_names: false,
                state: RwLock::default(),
                size_hint: AtomicUsize::new(1024),
                sites_registered: std::sync::Once::new(),
                native_durations: None,
            }),
        }
    }

    /// Starts a registry with a prefix and constant labels.
    pub fn builder() -> RegistryBuilder {
        RegistryBuilder::default()
    }

    /// The native histogram settings of `RegistryBuilder::native_durations`, if set.
    pub(crate) fn native_durations(&self) -> Option<NativeOptions> {
        self.inner.native_durations
    }

    /// An identity for this registry (shared by its clones), for keying per-registry state.
    pub(crate) fn id(&self) -> usize {
        Arc::as_ptr(&self.inner) as usize
    }

    /// The prefix put in front of every name, with its trailing `_` (empty when none).
    pub fn prefix(&self) -> &str {
        &self.inner.prefix
    }

    /// The constant labels written on every series.
    pub fn const_labels(&self) -> &[(String, String)] {
        &self.inner.const_labels
    }

    /// Registers `metric` as the family `name` with HELP text `help`; keep a clone of the
    /// handle to update it. Returns the family's full name (with the registry's prefix, and
    /// `_total` added to a counter's name when it does not end so already).
    ///
    /// Errors: an invalid name, empty help, or a name already taken (also when one family's
    /// samples would carry another's name, such as a gauge `x_count` beside a histogram `x`).
    pub fn register<M: EncodeMetric>(
        &self,
        name: &str,
        help: &str,
        metric: M,
    ) -> Result<String, Error> {
        let metric_type = metric.metric_type();
        self.register_as(name, help, metric, metric_type)
    }

    /// [`register`](Self::register) with the family's type given (an info family is a
    /// gauge family of value 1 written as `info` in OpenMetrics).
    pub(crate) fn register_as<M: EncodeMetric>(
        &self,
        name: &str,
        help: &str,
        metric: M,
        metric_type: MetricType,
    ) -> Result<String, Error> {
        let Prepared {
            full,
            samples,
            mut meta,
        } = self.prepare(name, help, metric_type)?;
        // OpenMetrics names a state set's one label like the family; another is a gauge.
        if metric_type == MetricType::StateSet && metric.label_names() != [full.as_str()] {
            meta = FamilyMeta::new(full.clone(), help, MetricType::Gauge);
        }

        if let Some(label) = metric.label_names().into_iter().find(|l| {
            self.inner.const_labels.iter().any(|(c, _)| {
                c == l
                    || promforge_rules::escape_label_name(c)
                        == promforge_rules::escape_label_name(l)
            })
        }) {
            return Err(Error::LabelClash {
                metric: full,
                label: label.to_owned(),
            });
        }
        let mut overflow_label = String::new();
        push_label_pair(&mut overflow_label, "metric", &full);
        let family = Family {
            name: full.clone(),
            overflow_label,
            meta,
            metric: Box::new(metric),
        };

        // Inside a batch (a group's registration): checked now, added with the rest.
        let family = match self.stage(family, &samples)? {
            Some(family) => family,
            None => return Ok(full),
        };
        let mut state = self.write_state();
        if let Some(taken) = samples.iter().find(|s| state.sample_names.contains(*s)) {
            return Err(Error::AlreadyRegistered {
                clashes_with: (*taken != full).then(|| taken.clone()),
                name: full,
            });
        }
        state.sample_names.extend(samples);
        state.families.push(family);
        Ok(full)
    }

    /// Runs `register` as one batch: every family it registers in this registry on this
    /// thread is checked as it is registered but added only when `register` succeeds, all
    /// under one lock, so a scrape sees all of them or none, and a failing batch leaves no
    /// trace (a concurrent registration of one of its names never fails because of it). A
    /// batch inside a batch joins it; when the inner one fails, only its own families are
    /// dropped.
    pub(crate) fn batch<T>(&self, register: impl FnOnce() -> Result<T, Error>) -> Result<T, Error> {
        /// Drops what the batch staged after `from` when it does not finish (an error or a
        /// panic), and ends the batch when it was the outermost.
        struct Scope {
            from: Option<usize>,
            outermost: bool,
        }
        impl Drop for Scope {
            fn drop(&mut self) {
                let _ = BATCH.try_with(|batch| {
                    let mut batch = batch.borrow_mut();
                    match (self.from, &mut *batch) {
                        (Some(from), Some(open)) => open.families.truncate(from),
                        (None, _) => {}
                        (Some(_), None) => {}
                    }
                    if self.outermost {
                        *batch = None;
                    }
                });
            }
        }
        let id = self.id();
        let joined = BATCH.try_with(|batch| {
            let mut batch = batch.borrow_mut();
            match &*batch {
                Some(open) if open.registry == id => Some((open.families.len(), false)),
                // A batch of another registry is in progress: this one runs unbatched.
                Some(_) => None,
                None => {
                    *batch = Some(Batch {
                        registry: id,
                        families: Vec::new(),
                    });
                    Some((0, true))
                }
            }
        });
        let Ok(Some((from, outermost))) = joined else {
            // Thread-locals gone (a thread exiting) or another registry's batch: plain
            // registration, one family at a time.
            return register();
        };
        let mut scope = Scope {
            from: Some(from),
            outermost,
        };
        let value = register()?;
        if !outermost {
            scope.from = None;
            return Ok(value);
        }
        let staged = BATCH
            .try_with(|batch| {
                batch
                    .borrow_mut()
                    .as_mut()
                    .map(|b| std::mem::take(&mut b.families))
            })
            .ok()
            .flatten()
            .unwrap_or_default();
        scope.from = None;
        drop(scope);
        let mut state = self.write_state();
        for (family, samples) in &staged {
            if let Some(taken) = samples.iter().find(|s| state.sample_names.contains(*s)) {
                return Err(Error::AlreadyRegistered {
                    clashes_with: (*taken != family.name).then(|| taken.clone()),
                    name: family.name.clone(),
                });
            }
        }
        for (family, samples) in staged {
            state.sample_names.extend(samples);
            state.families.push(family);
        }
        Ok(value)
    }

    /// Stages `family` when a batch of this registry is in progress on this thread (after
    /// checking its samples against the registry and the batch): `None` then; otherwise the
    /// family back, to be added now.
    fn stage(&self, family: Family, samples: &[String]) -> Result<Option<Family>, Error> {
        let id = self.id();
        let mut family = Some(family);
        let staged = BATCH.try_with(|batch| {
            let mut batch = batch.borrow_mut();
            let Some(open) = batch.as_mut().filter(|b| b.registry == id) else {
                return Ok(());
            };
            let Some(staging) = family.take() else {
                return Ok(());
            };
            let state = self.read_state();
            let taken = samples.iter().find(|s| {
                state.sample_names.contains(*s)
                    || open.families.iter().any(|(_, staged)| staged.contains(s))
            });
            if let Some(taken) = taken {
                return Err(Error::AlreadyRegistered {
                    clashes_with: (*taken != staging.name).then(|| taken.clone()),
                    name: staging.name,
                });
            }
            open.families.push((staging, samples.to_vec()));
            Ok(())
        });
        match staged {
            // Not staged (no batch, or thread-locals gone): the caller adds it now.
            Ok(Ok(())) | Err(_) => Ok(family),
            Ok(Err(e)) => Err(e),
        }
    }

    /// Checks a family's name and help and describes it.
    fn prepare(&self, name: &str, help: &str, metric_type: MetricType) -> Result<Prepared, Error> {
        self.prepare_with_prefix(&self.inner.prefix, name, help, metric_type)
    }

    /// [`prepare`](Self::prepare) with `prefix` instead of the registry's.
    fn prepare_with_prefix(
        &self,
        prefix: &str,
        name: &str,
        help: &str,
        metric_type: MetricType,
    ) -> Result<Prepared, Error> {
        let check = |name: &str| {
            if self.inner.utf8_names {
                check_utf8_metric_name(name)
            } else {
                check_metric_name(name)
            }
        };
        check(name)?;
        let mut full = format!("{prefix}{name}");
        if metric_type == MetricType::Counter {
            full = promforge_rules::counter_name(&full);
        }
        if metric_type == MetricType::Info && !full.ends_with("_info") {
            full.push_str("_info");
        }
        check(&full)?;
        if help.trim().is_empty() {
            return Err(Error::MissingHelp { name: full });
        }
        let samples = sample_names(&full, metric_type);
        Ok(Prepared {
            meta: FamilyMeta::new(full.clone(), help, metric_type),
            full,
            samples,
        })
    }

    /// Registers a [`Collector`]: its families are written at every scrape from what its
    /// `collect` reads then. Returns the families' full names. Errors as for
    /// [`register`](Self::register); nothing is registered when one family fails.
    pub fn register_collector<C: Collector>(&self, collector: C) -> Result<Vec<String>, Error> {
        self.register_collector_with_prefix(&self.inner.prefix, collector)
    }

    /// Registers a collector whose names take no prefix (standard names such as
    /// `process_*`).
    #[cfg(feature = "process")]
    pub(crate) fn register_unprefixed_collector<C: Collector>(
        &self,
        collector: C,
    ) -> Result<Vec<String>, Error> {
        self.register_collector_with_prefix("", collector)
    }

    fn register_collector_with_prefix<C: Collector>(
        &self,
        prefix: &str,
        collector: C,
    ) -> Result<Vec<String>, Error> {
        let descs = collector.families();
        let mut names = Vec::with_capacity(descs.len());
        let mut metas = Vec::with_capacity(descs.len());
        let mut samples: Vec<String> = Vec::new();
        for desc in &descs {
            let prepared =
                self.prepare_with_prefix(prefix, &desc.name, &desc.help, desc.metric_type)?;
            if let Some(taken) = prepared.samples.iter().find(|s| samples.contains(s)) {
                return Err(Error::AlreadyRegistered {
                    clashes_with: (*taken != prepared.full).then(|| taken.clone()),
                    name: prepared.full,
                });
            }
            samples.extend(prepared.samples);
            names.push(prepared.full);
            metas.push(prepared.meta);
        }
        let mut state = self.write_state();
        if let Some(taken) = samples.iter().find(|s| state.sample_names.contains(*s)) {
            return Err(Error::AlreadyRegistered {
                name: taken.clone(),
                clashes_with: None,
            });
        }
        state.sample_names.extend(samples);
        let mut error_label = String::new();
        push_label_pair(
            &mut error_label,
            "collector",
            names.first().map_or("", String::as_str),
        );
        state.collectors.push(CollectorEntry {
            error_label,
            errors: AtomicU64::new(0),
            collector: Box::new(collector),
            buffers: Mutex::new(vec![Vec::new(); names.len()]),
            families: metas,
        });
        Ok(names)
    }

    /// Registers and returns a new integer [`Counter`].
    pub fn counter(&self, name: &str, help: &str) -> Result<Counter, Error> {
        self.new_counter(name, help)
    }

    /// Registers and returns a new [`FloatCounter`](crate::FloatCounter) (seconds, ratios…).
    pub fn float_counter(&self, name: &str, help: &str) -> Result<Counter<f64>, Error> {
        self.new_counter(name, help)
    }

    /// Registers and returns a new [`ShardedCounter`](crate::ShardedCounter): a counter for
    /// hot paths that many threads update at once.
    pub fn sharded_counter(
        &self,
        name: &str,
        help: &str,
    ) -> Result<crate::metrics::ShardedCounter, Error> {
        let counter = crate::metrics::ShardedCounter::new();
        self.register(name, help, counter.clone())?;
        Ok(counter)
    }

    /// Registers and returns a new integer [`Gauge`].
    pub fn gauge(&self, name: &str, help: &str) -> Result<Gauge, Error> {
        self.new_gauge(name, help)
    }

    /// Registers and returns a new [`FloatGauge`](crate::FloatGauge).
    pub fn float_gauge(&self, name: &str, help: &str) -> Result<Gauge<f64>, Error> {
        self.new_gauge(name, help)
    }

    fn new_counter<N: CounterNumber>(&self, name: &str, help: &str) -> Result<Counter<N>, Error> {
        let counter = Counter::new();
        self.register(name, help, counter.clone())?;
        Ok(counter)
    }

    fn new_gauge<N: GaugeNumber>(&self, name: &str, help: &str) -> Result<Gauge<N>, Error> {
        let gauge = Gauge::new();
        self.register(name, help, gauge.clone())?;
        Ok(gauge)
    }

    /// Registers and returns a new [`Histogram`] with these upper bounds
    /// (see [`Histogram::with_buckets`]).
    pub fn histogram(&self, name: &str, help: &str, buckets: &[f64]) -> Result<Histogram, Error> {
        let histogram = Histogram::with_buckets(buckets)?;
        self.register(name, help, histogram.clone())?;
        Ok(histogram)
    }

    /// Registers and returns a new [`NativeHistogram`](crate::NativeHistogram) with the
    /// default settings (bucket factor 1.1, at most 160 buckets); register one made with
    /// [`NativeHistogram::builder`](crate::NativeHistogram::builder) for others.
    pub fn native_histogram(
        &self,
        name: &str,
        help: &str,
    ) -> Result<crate::NativeHistogram, Error> {
        let histogram = crate::NativeHistogram::new();
        self.register(name, help, histogram.clone())?;
        Ok(histogram)
    }

    /// Removes the family with this full name (as [`register`](Self::register) returned it).
    /// Returns whether there was one.
    pub fn unregister(&self, full_name: &str) -> bool {
        let mut state = self.write_state();
        let Some(i) = state.families.iter().position(|f| f.name == full_name) else {
            return false;
        };
        let family = state.families.remove(i);
        for name in sample_names(&family.name, family.meta.metric_type()) {
            state.sample_names.remove(&name);
        }
        true
    }

    /// The full names of the registered families, in registration order.
    pub fn family_names(&self) -> Vec<String> {
        self.read_state()
            .families
            .iter()
            .map(|f| f.name.clone())
            .collect()
    }

    /// Renders every family in the Prometheus text format 0.0.4
    /// ([`TEXT_CONTENT_TYPE`]); [`render_as`](Self::render_as) renders another format.
    pub fn render(&self) -> String {
        self.render_as(crate::encoding::Format::PrometheusText0_0_4)
    }

    /// Renders every family in `format` (a [`Format`](crate::encoding::Format), or the
    /// [`ContentType`] a scrape's `Accept` header negotiated).
    ///
    /// ```
    /// use promforge::encoding::{ContentType, Format};
    ///
    /// # fn main() -> Result<(), promforge::Error> {
    /// let registry = promforge::Registry::new();
    /// registry.counter("jobs", "Jobs done.")?.inc();
    /// let asked = ContentType::negotiate(["text/plain; version=1.0.0"]);
    /// assert_eq!(asked.format, Format::PrometheusText1_0_0);
    /// assert!(registry.render_as(asked).contains("jobs_total 1\n"));
    /// # Ok(()) }
    /// ```
    pub fn render_as(&self, format: impl Into<ContentType>) -> String {
        let mut buf = Vec::new();
        self.render_into_as(&mut buf, format);
        // The output is made only of `&str` pieces and ASCII, so this never fails.
        String::from_utf8(buf)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }

    /// Appends the text format 0.0.4 to `buf` (see [`render_into_as`](Self::render_into_as)).
    pub fn render_into(&self, buf: &mut Vec<u8>) {
        self.render_into_as(buf, crate::encoding::Format::PrometheusText0_0_4);
    }

    /// Appends the protobuf exposition ([`PROTOBUF_CONTENT_TYPE`](crate::PROTOBUF_CONTENT_TYPE):
    /// length-delimited `io.prometheus.client.MetricFamily` messages, the only format that
    /// carries native histograms) to `buf`: `render_into_as(buf, Format::PrometheusProtobuf)`.
    /// Families of an included `prometheus::Registry` are text only and left out.
    ///
    /// ```
    /// # fn main() -> Result<(), promforge::Error> {
    /// let registry = promforge::Registry::new();
    /// registry.counter("jobs", "Jobs.")?.inc();
    /// let mut buf = Vec::new();
    /// registry.render_protobuf_into(&mut buf);
    /// assert_eq!(usize::from(buf[0]), buf.len() - 1, "one family, its length first");
    /// # Ok(()) }
    /// ```
    pub fn render_protobuf_into(&self, buf: &mut Vec<u8>) {
        self.render_into_as(buf, crate::encoding::Format::PrometheusProtobuf);
    }

    /// Appends every family rendered in `format` to `buf`: the one render entry point
    /// every endpoint goes through. Reuse one buffer across scrapes to render without
    /// allocating: numbers are written straight from the metrics' atomics.
    pub fn render_into_as(&self, buf: &mut Vec<u8>, format: impl Into<ContentType>) {
        self.inner.sites_registered.call_once_force(|_| {
            for hook in inventory::iter::<FirstRender> {
                (hook.0)(self);
            }
        });
        let start = buf.len();
        buf.reserve(self.inner.size_hint.load(Ordering::Relaxed));
        let state = self.read_state();
        let content_type = format.into();
        let const_labels = if content_type.allows_utf8() {
            self.inner.const_labels_utf8.as_str()
        } else {
            self.inner.const_labels_rendered.as_str()
        };
        let mut out = ExpositionWriter::new(buf, const_labels, content_type, self.inner.options);
        let mut bounded = false;
        for family in &state.families {
            family.metric.encode(&mut out.family(&family.meta));
            bounded |= family.metric.cardinality_overflow().is_some();
        }
        for collector in &state.collectors {
            collector.render(const_labels, &mut out);
        }
        // The bookkeeping families show only their series that are not 0 (and not at all
        // while every series is 0): nothing a user did not ask for in a healthy exposition.
        let errors = state.collectors.iter().filter_map(|collector| {
            let errors = collector.errors.load(Ordering::Relaxed);
            (errors > 0).then_some((collector.error_label.as_str(), errors))
        });
        bookkeeping(&mut out, &SCRAPE_ERRORS_META, errors);
        if bounded {
            let overflows = state.families.iter().filter_map(|family| {
                let count = family.metric.cardinality_overflow().filter(|c| *c > 0)?;
                Some((family.overflow_label.as_str(), count))
            });
            bookkeeping(&mut out, &OVERFLOW_META, overflows);
        }
        #[cfg(feature = "prometheus-interop")]
        if !state.foreign.is_empty() {
            self.render_foreign(&state, &mut out);
        }
        out.finish();
        drop(state);
        self.inner
            .size_hint
            .store(buf.len() - start, Ordering::Relaxed);
    }

    fn read_state(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.inner
            .state
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn write_state(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.inner
            .state
            .write()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// Every name a family writes or takes, in any format: its samples (`x_total`, `h_bucket`,
/// `h_sum`, …) and its OpenMetrics names (`x`, `x_created`), so that no two families
/// clash in any format.
///
/// A name outside the legacy character set takes its `underscores`-escaped forms too, so
/// two names that an older scraper would see as one clash.
fn sample_names(full: &str, metric_type: MetricType) -> Vec<String> {
    let names = std::iter::once(full.to_owned())
        .chain(
            metric_type
                .sample_suffixes()
                .iter()
                .map(|s| format!("{full}{s}")),
        )
        .chain(metric_type.openmetrics_names(full));
    let mut all: Vec<String> = Vec::new();
    for name in names {
        if let std::borrow::Cow::Owned(escaped) = promforge_rules::escape_metric_name(&name) {
            all.push(escaped);
        }
        all.push(name);
    }
    all
}

impl Default for Registry {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("prefix", &self.inner.prefix)
            .field("const_labels", &self.inner.const_labels)
            .field("families", &self.family_names())
            .finish()
    }
}

/// Work a layer above the registry has done at each registry's first render (the
/// instrumented call sites make their series, at 0): submitted with `inventory`, so that the
/// registry does not import the layers that use it.
pub(crate) struct FirstRender(pub(crate) fn(&Registry));

inventory::collect!(FirstRender);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_errors() {
        let r = Registry::builder()
            .prefix("app")
            .build()
            .expect("a valid registry");
        assert_eq!(
            r.register("requests", "Requests.", Counter::<u64>::new())
                .ok(),
            Some("app_requests_total".to_owned())
        );
        assert_eq!(
            r.register("bytes_total", "Bytes.", Counter::<u64>::new())
                .ok(),
            Some("app_bytes_total".to_owned())
        );
        assert!(matches!(
            r.counter("requests_total", "Again."),
            Err(Error::AlreadyRegistered { .. })
        ));
        assert!(matches!(
            r.gauge("bad-name", "x"),
            Err(Error::InvalidMetricName { .. })
        ));
        assert!(matches!(
            r.gauge("no_help", " "),
            Err(Error::MissingHelp { .. })
        ));
        r.histogram("latency_seconds", "Latency.", &[0.1, 1.0])
            .map(drop)
            .expect("registers");
        match r.gauge("latency_seconds_count", "Clash.") {
            Err(Error::AlreadyRegistered { clashes_with, .. }) => {
                assert_eq!(clashes_with, None);
            }
            other => panic!("expected a clash, got {other:?}"),
        }
        assert!(matches!(
            r.histogram("other", "Bad buckets.", &[2.0, 1.0]),
            Err(Error::InvalidBuckets { .. })
        ));
        assert!(r.unregister("app_latency_seconds"));
        assert!(r.gauge("latency_seconds_count", "Now free.").is_ok());
        assert!(!r.unregister("app_latency_seconds"));
    }

    #[test]
    fn bad_builder_input() {
        assert!(matches!(
            Registry::builder().prefix("9x").build(),
            Err(Error::InvalidMetricName { .. })
        ));
        for label in ["le", "__x", "a b"] {
            assert!(
                matches!(
                    Registry::builder().const_label(label, "1").build(),
                    Err(Error::InvalidLabelName { .. })
                ),
                "{label}"
            );
        }
    }

    #[test]
    fn renders_headers_and_labels() {
        let r = Registry::builder()
            .const_label("service", "a\"b")
            .build()
            .expect("a valid registry");
        let g = r
            .float_gauge("temp", "Line one\nline \\two")
            .expect("registers");
        g.set(-1.5);
        assert_eq!(
            r.render(),
            "# HELP temp Line one\\nline \\\\two\n# TYPE temp gauge\ntemp{service=\"a\\\"b\"} -1.5\n"
        );
    }

    fn utf8(format: crate::encoding::Format) -> ContentType {
        ContentType {
            format,
            escaping: crate::encoding::NameEscaping::AllowUtf8,
        }
    }

    fn utf8_registry() -> Registry {
        let r = Registry::builder()
            .utf8_names(true)
            .const_label("service.name", "a")
            .build()
            .expect("valid");
        r.counter("http.requests", "Requests.")
            .expect("utf-8")
            .inc();
        r.histogram("req.latency", "Latency.", &[0.5])
            .expect("utf-8")
            .observe(0.25);
        r.gauge("plain", "A legacy name.").expect("legacy").set(2);
        r.gauge("quote\"d é", "Odd.").expect("utf-8").set(1);
        r
    }

    /// Default scrapers (and 0.0.4 / OpenMetrics 0.0.1 even with `escaping=allow-utf-8`)
    /// see names escaped the `underscores` way.
    #[test]
    fn utf8_names_escaped_by_default() {
        use crate::encoding::Format;
        let r = utf8_registry();
        let escaped = "# HELP http_requests_total Requests.\n\
             # TYPE http_requests_total counter\n\
             http_requests_total{service_name=\"a\"} 1\n\
             # HELP req_latency Latency.\n\
             # TYPE req_latency histogram\n\
             req_latency_bucket{service_name=\"a\",le=\"0.5\"} 1\n\
             req_latency_bucket{service_name=\"a\",le=\"+Inf\"} 1\n\
             req_latency_sum{service_name=\"a\"} 0.25\n\
             req_latency_count{service_name=\"a\"} 1\n\
             # HELP plain A legacy name.\n\
             # TYPE plain gauge\n\
             plain{service_name=\"a\"} 2\n\
             # HELP quote_d__ Odd.\n\
             # TYPE quote_d__ gauge\n\
             quote_d__{service_name=\"a\"} 1\n";
        assert_eq!(r.render(), escaped);
        assert_eq!(r.render_as(utf8(Format::PrometheusText0_0_4)), escaped);
        assert_eq!(r.render_as(Format::PrometheusText1_0_0), escaped);
        let om = r.render_as(Format::OpenMetricsText1_0_0);
        assert!(om.starts_with("# TYPE http_requests counter\n# HELP http_requests Requests.\n"));
        assert!(!om.contains("{\""), "{om}");
        assert_eq!(om, r.render_as(utf8(Format::OpenMetricsText0_0_1)));
    }

    /// A scraper that allows UTF-8 names gets them quoted, Prometheus 3's way.
    #[test]
    fn utf8_names_quoted_when_allowed() {
        use crate::encoding::Format;
        let r = utf8_registry();
        assert_eq!(
            r.render_as(utf8(Format::PrometheusText1_0_0)),
            "# HELP \"http.requests_total\" Requests.\n\
             # TYPE \"http.requests_total\" counter\n\
             {\"http.requests_total\",\"service.name\"=\"a\"} 1\n\
             # HELP \"req.latency\" Latency.\n\
             # TYPE \"req.latency\" histogram\n\
             {\"req.latency_bucket\",\"service.name\"=\"a\",le=\"0.5\"} 1\n\
             {\"req.latency_bucket\",\"service.name\"=\"a\",le=\"+Inf\"} 1\n\
             {\"req.latency_sum\",\"service.name\"=\"a\"} 0.25\n\
             {\"req.latency_count\",\"service.name\"=\"a\"} 1\n\
             # HELP plain A legacy name.\n\
             # TYPE plain gauge\n\
             plain{\"service.name\"=\"a\"} 2\n\
             # HELP \"quote\\\"d é\" Odd.\n\
             # TYPE \"quote\\\"d é\" gauge\n\
             {\"quote\\\"d é\",\"service.name\"=\"a\"} 1\n"
        );
        let r = Registry::builder()
            .utf8_names(true)
            .created_timestamps(true)
            .build()
            .expect("valid");
        r.counter("jobs.done", "Jobs.").expect("utf-8").inc();
        let om = r.render_as(utf8(Format::OpenMetricsText1_0_0));
        assert!(
            om.starts_with(
                "# TYPE \"jobs.done\" counter\n# HELP \"jobs.done\" Jobs.\n\
                 {\"jobs.done_total\"} 1\n{\"jobs.done_created\"} "
            ),
            "{om}"
        );
        assert!(om.ends_with("# EOF\n"));
    }

    #[test]
    fn utf8_names_opt_in_and_rules() {
        assert!(matches!(
            Registry::new().gauge("a.b", "x"),
            Err(Error::InvalidMetricName { .. })
        ));
        assert!(matches!(
            Registry::builder().const_label("a.b", "1").build(),
            Err(Error::InvalidLabelName { .. })
        ));
        let r = Registry::builder().utf8_names(true).build().expect("valid");
        assert!(matches!(
            r.gauge("", "x"),
            Err(Error::InvalidMetricName { .. })
        ));
        for label in ["le", "quantile", "__a.b", ""] {
            assert!(
                matches!(
                    Registry::builder()
                        .utf8_names(true)
                        .const_label(label, "1")
                        .build(),
                    Err(Error::InvalidLabelName { .. })
                ),
                "{label:?}"
            );
        }
        // Two constant labels an older scraper would see as one.
        assert!(matches!(
            Registry::builder()
                .utf8_names(true)
                .const_label("a.b", "1")
                .const_label("a_b", "2")
                .build(),
            Err(Error::InvalidLabelName { .. })
        ));
        // A prefix stays a legacy name.
        assert!(
            Registry::builder()
                .utf8_names(true)
                .prefix("a.b")
                .build()
                .is_err()
        );
    }

    /// Two names that escape to one are a clash, in either order and across sample names.
    #[test]
    fn utf8_names_clash_on_their_escaped_forms() {
        let r = Registry::builder().utf8_names(true).build().expect("valid");
        r.gauge("a.b", "x").expect("first");
        match r.gauge("a_b", "x") {
            Err(Error::AlreadyRegistered { name, .. }) => assert_eq!(name, "a_b"),
            other => panic!("{other:?}"),
        }
        match r.gauge("a-b", "x") {
            Err(Error::AlreadyRegistered { name, clashes_with }) => {
                assert_eq!(
                    (name.as_str(), clashes_with.as_deref()),
                    ("a-b", Some("a_b"))
                );
            }
            other => panic!("{other:?}"),
        }
        r.gauge("c_d", "x").expect("legacy");
        assert!(matches!(
            r.gauge("c.d", "x"),
            Err(Error::AlreadyRegistered { .. })
        ));
        // A histogram's `_count` sample against a gauge.
        r.histogram("h.x", "x", &[1.0]).expect("histogram");
        assert!(matches!(
            r.gauge("h_x_count", "x"),
            Err(Error::AlreadyRegistered { .. })
        ));
        // Unregistering frees the escaped forms too.
        assert!(r.unregister("a.b"));
        r.gauge("a_b", "x").expect("free again");
    }
}
