//! # promforge
//!
//! Prometheus instrumentation for Rust, written as attributes and derives and checked by the
//! compiler. This crate is the one you depend on: it holds the metric types, the
//! [`Registry`], the text encoder and (feature `exporter`, on by default) the HTTP exporter
//! serving `/metrics`, `/health` and `/ready`.
//!
//! ```no_run
//! # async fn run() -> Result<(), promforge::Error> {
//! let registry = promforge::default_registry();
//! let jobs = registry.counter("jobs_processed", "Jobs processed.")?;
//! let queue = registry.gauge("queue_depth", "Jobs waiting.")?;
//! jobs.inc();
//! queue.set(3);
//! promforge::exporter().bind("127.0.0.1:9184").serve().await?; // until shut down
//! # Ok(()) }
//! ```
//!
//! ## Naming
//!
//! Names follow the Prometheus conventions, checked when registering: metric names
//! `[a-zA-Z_:][a-zA-Z0-9_:]*`, label names `[a-zA-Z_][a-zA-Z0-9_]*` not starting with `__`
//! (`le` and `quantile` are reserved for histograms and summaries). Counters are exposed
//! with a `_total` suffix, added when the name does not carry it already.
//!
//! ## Errors, never panics
//!
//! Invalid names, duplicate registrations, bad buckets and a port in use are returned as
//! [`Error`]s. Updating a metric cannot fail. Counters, gauges and histograms, and the
//! series of a family of closed label sets, update with atomic operations and take no
//! lock; a [`Summary`] observation takes the summary's mutex, and a series of a family of
//! open label values (strings, ids) is looked up under the family's `RwLock` (a read lock,
//! a write lock only to create the series).

#![cfg_attr(docsrs, feature(doc_cfg))]

// Lets the derives, which name `::promforge`, be used inside this crate too.
extern crate self as promforge;

mod collector;
pub mod encoding;
#[cfg(feature = "exporter")]
mod endpoints;
mod error;
#[cfg(feature = "exporter")]
#[cfg_attr(docsrs, doc(cfg(feature = "exporter")))]
pub mod exporter;
#[cfg(feature = "metrics-facade")]
#[cfg_attr(docsrs, doc(cfg(feature = "metrics-facade")))]
pub mod facade;
mod family;
pub mod group;
#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub mod http;
pub mod instrument;
pub mod labels;
pub mod metrics;
mod name;
mod noop;
#[cfg(feature = "process")]
#[cfg_attr(docsrs, doc(cfg(feature = "process")))]
pub mod process;
#[cfg(feature = "push")]
#[cfg_attr(docsrs, doc(cfg(feature = "push")))]
pub mod push;
mod registry;
pub mod service;
#[cfg(feature = "system")]
#[cfg_attr(docsrs, doc(cfg(feature = "system")))]
pub mod system;
mod thread_cells;
#[cfg(feature = "tokio-runtime")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio-runtime")))]
pub mod tokio_runtime;

pub use collector::{Collector, CollectorEncoder, FamilyDesc};
pub use encoding::MetricType;
pub use error::{Error, set_error_handler};
#[cfg(feature = "exporter")]
#[cfg_attr(docsrs, doc(cfg(feature = "exporter")))]
pub use exporter::{Exporter, ExporterHandle, exporter};
pub use family::{DEFAULT_CARDINALITY_LIMIT, Family, MetricRef, OVERFLOW_LABEL_VALUE};
pub use group::{
    FromFn, GroupMetric, MetricsGroup, SnapshotGroup, SnapshotSource, register_snapshot,
};
#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub use http::MetricsLayer;
pub use labels::{ClosedLabelValue, LabelSet, LabelValue};
pub use metrics::{
    Counter, DEFAULT_BUCKETS, EncodeMetric, FloatCounter, FloatGauge, Gauge, Histogram,
    NativeHistogram, ShardedCounter, StateSet, Summary, exponential_buckets, linear_buckets,
};
pub use name::{check_label_name, check_metric_name, check_user_label_name};
#[doc = include_str!("docs/label_set.md")]
pub use promforge_macros::LabelSet;
#[doc = include_str!("docs/label_value.md")]
pub use promforge_macros::LabelValue;
#[doc = include_str!("docs/metrics_group.md")]
pub use promforge_macros::MetricsGroup;
#[doc = include_str!("docs/instrument_metrics.md")]
pub use promforge_macros::instrument_metrics;
pub use registry::{
    ENV_ENVIRONMENT, ENV_SERVICE, OVERFLOW_FAMILY, Registry, RegistryBuilder, SCRAPE_ERRORS_FAMILY,
    TEXT_CONTENT_TYPE, default_registry,
};
/// The content type of the protobuf exposition (see [`Registry::render_protobuf_into`]).
pub const PROTOBUF_CONTENT_TYPE: &str = encoding::protobuf::CONTENT_TYPE;

/// What the generated code of `promforge-macros` names. Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::encoding::push_label_pair;
    /// What `#[instrument_metrics]` expands to.
    pub mod instrument {
        pub use crate::instrument::CallResult;
        pub use crate::instrument::guard::*;
        pub use crate::instrument::labeled::*;
        pub use crate::instrument::outcome::*;
        pub use crate::instrument::site::*;
        pub use crate::metrics::{BUCKETS_HTTP, BUCKETS_LATENCY, NativeOptions, SummaryOptions};
    }
    /// What `#[derive(MetricsGroup)]` expands to.
    pub mod group {
        pub use crate::group::support::*;
        pub use crate::group::{
            FromFn, GroupMetric, MetricsGroup, SnapshotGroup, SnapshotSource, register_snapshot,
        };
    }
    pub use crate::labels::derive_support;
    pub use crate::labels::{ClosedLabelValue, LabelSet, LabelValue};
    pub use crate::registry::Registry;
    pub use ::core::option::Option::{self, None, Some};
    pub use ::inventory;
    pub use ::std::borrow::Cow;
    pub use ::std::string::String;
    pub use ::std::vec::Vec;
}

/// The README's examples, compiled as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
