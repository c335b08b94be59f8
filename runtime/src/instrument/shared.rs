//! The families a (registry, prefix, name) triple shares, registered on first use.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError, RwLock};

use crate::error::Error;
use crate::family::Family;
use crate::metrics::{
    BUCKETS_LATENCY, EncodeMetric, Histogram, NativeHistogram, NativeOptions, Summary,
    SummaryOptions,
};
use crate::registry::Registry;
use crate::thread_cells::{CallSeries, DurationSeries, InFlightSeries, SiteCells};

use super::labeled::*;
use super::site::*;

/// The families a (registry, prefix, name) triple shares, registered on first use.
pub(super) struct SharedFamilies {
    pub(super) registry: Registry,
    pub(super) calls_name: String,
    pub(super) calls: Family<CallLabels, CallSeries>,
    pub(super) calls_registered: OnceLock<()>,
    /// The calls families of the sites with labels from their arguments, registered together
    /// under `calls_name` by the first of them.
    pub(super) labeled: Mutex<Option<Arc<LabeledSet>>>,
    pub(super) duration: DurationFamily,
    pub(super) in_flight: Family<FnLabels, InFlightSeries>,
    /// The per-thread cells of each function (by function and module) recording here.
    pub(super) cells: Mutex<HashMap<(&'static str, &'static str), Arc<SiteCells>>>,
}

impl SharedFamilies {
    /// The cells of `function` in `module` (one set per function, whichever sites run it).
    pub(super) fn cells(&self, function: &'static str, module: &'static str) -> Arc<SiteCells> {
        let mut cells = self.cells.lock().unwrap_or_else(PoisonError::into_inner);
        let shape = match &self.duration {
            DurationFamily::Histogram(_, shape) => shape.clone(),
            DurationFamily::Summary(_) | DurationFamily::Native(_) => {
                Histogram::with_buckets(&[]).unwrap_or_default()
            }
        };
        Arc::clone(
            cells
                .entry((function, module))
                .or_insert_with(|| Arc::new(SiteCells::new(shape))),
        )
    }

    /// Adds a labeled site's calls family to the name's labeled set (registering the set
    /// with the first one). Every site sharing the name must take the same labels.
    pub(super) fn add_labeled(
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

/// The family durations are recorded in.
pub(super) enum DurationFamily {
    /// With its buckets (an empty histogram of them).
    Histogram(Family<FnLabels, DurationSeries>, Histogram),
    Summary(Family<FnLabels, Summary>),
    /// `native`: a native histogram per function (outside the per-thread cells).
    Native(Family<FnLabels, NativeHistogram>),
}

impl std::fmt::Debug for SharedFamilies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedFamilies")
            .field("calls", &self.calls_name)
            .finish_non_exhaustive()
    }
}

pub(super) type SharedKey = (usize, &'static str, Option<&'static str>);
pub(super) static SHARED: OnceLock<Mutex<HashMap<SharedKey, Arc<SharedFamilies>>>> =
    OnceLock::new();

/// The most series each shared family (calls, durations, in flight) holds before it
/// overflows: 10,000 functions with their 4 results. The same for the three families, so
/// a function past it overflows in all of them or in none.
pub(super) const SHARED_LIMIT: usize = 40_000;

pub(super) fn report(err: Error) {
    crate::error::report(&Error::Unexported(Box::new(err)));
}

pub(super) fn shared_families(config: &SiteConfig, registry: &Registry) -> Arc<SharedFamilies> {
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
            // The endings the attribute refuses in `name` (promforge_rules' suffixes).
            format!("{prefix}{name}{}", promforge_rules::CALLS_SUFFIX),
            format!("{prefix}{name}{}", promforge_rules::DURATION_SUFFIX),
            format!("{prefix}{name}{}", promforge_rules::IN_FLIGHT_SUFFIX),
            format!("`{name}`"),
        ),
    };
    let duration_help = format!("Duration of calls to {help}, in seconds.");
    let native = match config.native {
        NativeChoice::Site(options) if config.name.is_some() => Some(options),
        NativeChoice::Site(_) | NativeChoice::Off => None,
        NativeChoice::Registry if config.summary.is_some() => None,
        NativeChoice::Registry => registry.native_durations(),
    };
    let (duration, registered) = match (config.name, config.summary, native) {
        (_, _, Some(options)) => {
            let options = options
                .builder()
                .build()
                .map(|_| options)
                .unwrap_or_else(|e| {
                    report(e);
                    NativeOptions::new()
                });
            let family = Family::<FnLabels, NativeHistogram>::new_with(move || {
                options.builder().build().unwrap_or_default()
            })
            .with_cardinality_limit(SHARED_LIMIT);
            let registered = registry.register(&duration_name, &duration_help, family.clone());
            (DurationFamily::Native(family), registered)
        }
        (Some(_), Some(options), None) => {
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
        (name, _, None) => {
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
