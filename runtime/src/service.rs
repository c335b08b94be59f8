//! Service-level metrics every program wants: uptime, starts, and build information.
//!
//! ```
//! # fn main() -> Result<(), promforge::Error> {
//! let registry = promforge::Registry::new();
//! promforge::service::register_uptime(&registry, "api")?;   // uptime_seconds, service_starts_total
//! promforge::build_info!(&registry)?;                         // <crate>_build_info{version, revision} 1
//! let text = registry.render();
//! assert!(text.contains("service_starts_total{service=\"api\"} 1\n"));
//! # Ok(()) }
//! ```

use std::sync::LazyLock;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use crate::collector::{Collector, CollectorEncoder, FamilyDesc};
use crate::encoding::{MetricType, push_label_pair};
use crate::error::Error;
use crate::metrics::Gauge;
use crate::registry::Registry;

/// When the process started using promforge (in practice: when it started).
static STARTED: LazyLock<(Instant, SystemTime)> =
    LazyLock::new(|| (Instant::now(), SystemTime::now()));

/// Seconds since the process started (since promforge was first used in it).
pub fn uptime_seconds() -> f64 {
    STARTED.0.elapsed().as_secs_f64()
}

/// Marks the start time now, if nothing did before (call it first thing in `main` for the
/// most exact uptime; the exporter and `register_uptime` call it too).
pub fn mark_start() {
    LazyLock::force(&STARTED);
}

struct Uptime {
    labels: String,
    start_time: f64,
}

impl Collector for Uptime {
    fn families(&self) -> Vec<FamilyDesc> {
        vec![
            FamilyDesc::new(
                "uptime_seconds",
                "Seconds since the service started.",
                MetricType::Gauge,
            ),
            FamilyDesc::new(
                "service_starts_total",
                "Times the service started (1 per process; sum it over time to count restarts).",
                MetricType::Counter,
            ),
            FamilyDesc::new(
                "service_start_time_seconds",
                "When the service started, in seconds since the Unix epoch.",
                MetricType::Gauge,
            ),
        ]
    }

    fn collect(&self, out: &mut CollectorEncoder<'_>) {
        out.sample(0, &self.labels, uptime_seconds());
        out.sample(1, &self.labels, 1u64);
        out.sample(2, &self.labels, self.start_time);
    }
}

/// Registers `uptime_seconds`, `service_starts_total` and `service_start_time_seconds`,
/// labelled `service="<service>"` (origin 002's names). When the registry already has a
/// constant label `service` (for example from `PROMFORGE_SERVICE`), that one is used and
/// `service` is not repeated. A restart shows as `service_starts_total` counting again
/// from 1: `changes(service_start_time_seconds[1h])` or `resets(service_starts_total[1h])`
/// count restarts.
pub fn register_uptime(registry: &Registry, service: &str) -> Result<Vec<String>, Error> {
    mark_start();
    let mut labels = String::new();
    if !registry
        .const_labels()
        .iter()
        .any(|(name, _)| name == "service")
    {
        push_label_pair(&mut labels, "service", service);
    }
    let start_time = STARTED
        .1
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    registry.register_collector(Uptime { labels, start_time })
}

/// Registers `<crate>_build_info{version="…", revision="…"} 1` (a gauge always at 1 whose
/// labels carry the build). Prefer the [`build_info!`](crate::build_info) macro, which fills
/// in the calling crate's name and version.
pub fn register_build_info(
    registry: &Registry,
    crate_name: &str,
    version: &str,
    revision: Option<&str>,
) -> Result<String, Error> {
    #[derive(crate::LabelSet, Clone)]
    struct BuildLabels {
        version: String,
        revision: String,
    }
    let name = format!("{}_build_info", crate_name.replace(['-', '.'], "_"));
    let family = crate::family::Family::<BuildLabels, Gauge>::new();
    let full = registry.register_as(
        &name,
        &format!("Build information of {crate_name}: always 1, the labels carry the build."),
        family.clone(),
        crate::MetricType::Info,
    )?;
    family.set(
        &BuildLabels {
            version: version.to_owned(),
            revision: revision.unwrap_or("unknown").to_owned(),
        },
        1,
    );
    Ok(full)
}

/// Registers `<crate>_build_info{version, revision} 1` for the crate that calls it: name and
/// version from Cargo, revision from the `GIT_REVISION` (or `GIT_HASH`, `VERGEN_GIT_SHA`)
/// environment variable at build time, or given as a second argument.
///
/// ```
/// # fn main() -> Result<(), promforge::Error> {
/// let registry = promforge::Registry::new();
/// promforge::build_info!(&registry, "abc123")?;
/// assert!(registry.render().contains("revision=\"abc123\""));
/// # Ok(()) }
/// ```
#[macro_export]
macro_rules! build_info {
    ($registry:expr) => {
        $crate::service::register_build_info(
            $registry,
            ::core::env!("CARGO_PKG_NAME"),
            ::core::env!("CARGO_PKG_VERSION"),
            ::core::option_env!("GIT_REVISION")
                .or(::core::option_env!("GIT_HASH"))
                .or(::core::option_env!("VERGEN_GIT_SHA")),
        )
    };
    ($registry:expr, $revision:expr) => {
        $crate::service::register_build_info(
            $registry,
            ::core::env!("CARGO_PKG_NAME"),
            ::core::env!("CARGO_PKG_VERSION"),
            ::core::option::Option::Some($revision),
        )
    };
}
