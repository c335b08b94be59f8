//! The errors promforge returns. Nothing in promforge panics on bad input: it returns one of these.

use std::net::SocketAddr;

/// Everything that can go wrong when registering, naming or serving metrics.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A metric name that does not match `[a-zA-Z_:][a-zA-Z0-9_:]*`.
    #[error("invalid metric name `{name}`: {reason}")]
    InvalidMetricName {
        /// The name as given.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A label name that does not match `[a-zA-Z_][a-zA-Z0-9_]*`, starts with `__`, or is reserved.
    #[error("invalid label name `{name}`: {reason}")]
    InvalidLabelName {
        /// The name as given.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A family (or one of the sample names it writes) is already registered.
    #[error("a metric named `{name}` is already registered{}", clash_note(.clashes_with))]
    AlreadyRegistered {
        /// The full name of the family that could not be registered.
        name: String,
        /// The sample name both families would write, when it differs from `name`.
        clashes_with: Option<String>,
    },
    /// A label of a family's series has the name of one of the registry's constant labels.
    #[error(
        "metric `{metric}` has a label `{label}`, which is also a constant label of the registry"
    )]
    LabelClash {
        /// The family's full name.
        metric: String,
        /// The label name used twice.
        label: String,
    },
    /// A metric registered without HELP text (Prometheus tooling warns about those).
    #[error("metric `{name}` has no help text")]
    MissingHelp {
        /// The metric's name.
        name: String,
    },
    /// Histogram buckets that are empty, not finite, or not strictly increasing.
    #[error("invalid histogram buckets: {reason}")]
    InvalidBuckets {
        /// What is wrong with them.
        reason: String,
    },
    /// Exemplar labels OpenMetrics refuses: an invalid name, or names and values longer
    /// than 128 characters together.
    #[error("invalid exemplar: {reason}")]
    InvalidExemplar {
        /// What is wrong with it.
        reason: String,
    },
    /// Summary quantiles outside (0, 1) or given twice, or an empty window.
    #[error("invalid summary settings: {reason}")]
    InvalidQuantiles {
        /// What is wrong with them.
        reason: String,
    },
    /// The families of an HTTP [`MetricsLayer`](crate::MetricsLayer) cannot be registered:
    /// their names are taken in the registry, usually by a first layer.
    #[error(
        "the HTTP metrics cannot be registered: `{name}` is already registered in this registry \
         (by another MetricsLayer?); clone the first layer, or give this one its own prefix \
         (`MetricsLayer::builder().prefix(\"admin\")`)"
    )]
    HttpMetricsTaken {
        /// The full name of the family that could not be registered.
        name: String,
    },
    /// An HTTP [`MetricsLayer`](crate::MetricsLayer) that sees no route: a request a route
    /// answered was counted as `endpoint="unmatched"`, because the layer wraps the router
    /// from outside (it runs before routing). Only passed to the
    /// [error handler](crate::set_error_handler), once per layer.
    #[error(
        "MetricsLayer: `{method} {path}` was answered {status} but counted as \
         endpoint=\"unmatched\": the layer runs before routing, so it sees no route. Add it \
         inside the router, after the routes (`Router::layer` or `Router::route_layer`), not \
         around it; for hyper or tonic, name endpoints with `MetricsLayer::endpoint_fn`"
    )]
    HttpLayerSeesNoRoutes {
        /// The request's method.
        method: String,
        /// The request's path.
        path: String,
        /// The status it was answered with.
        status: u16,
    },
    /// An integration (process collector, push gateway, …) failed.
    #[error("{what}: {reason}")]
    Integration {
        /// Which integration.
        what: &'static str,
        /// What happened.
        reason: String,
    },
    /// The exporter could not listen on its address.
    #[error("failed to bind the metrics exporter to {addr}: {source}")]
    Bind {
        /// The address it tried.
        addr: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// An address that does not parse or resolve.
    #[error("invalid exporter address `{addr}`: {reason}")]
    InvalidAddress {
        /// The address as given.
        addr: String,
        /// Why it was refused.
        reason: String,
    },
    /// An I/O error while serving (for example starting the exporter's own runtime).
    #[error("exporter I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The exporter stopped with an error.
    #[error("exporter at {addr} stopped: {reason}")]
    Exporter {
        /// The address it was serving on.
        addr: SocketAddr,
        /// What happened.
        reason: String,
    },
    /// The exporter's TLS set-up failed: a certificate or key file that cannot be read or
    /// parsed, or a key that does not belong to the certificate.
    #[error("exporter TLS set-up failed for `{path}`: {reason}")]
    Tls {
        /// The file concerned.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An access-control setting of the exporter that cannot be used: an empty password or
    /// token, a password hash that does not parse (or whose feature is off), a network that
    /// is not in CIDR notation.
    #[error("invalid exporter access control: {reason}")]
    InvalidAccess {
        /// What is wrong.
        reason: String,
    },
    /// Metrics registered on first use (an instrumented function, a group's `global()`)
    /// whose registration failed: they keep counting, but are not exported. Only passed to
    /// the [error handler](crate::set_error_handler).
    #[error("{0}; these metrics are recorded but not exported")]
    Unexported(Box<Error>),
    /// The exporter closed connections that were not being answered (still sending their
    /// request head, in their TLS handshake, idle between requests or waiting for a serving
    /// slot) because more than its [limit](crate::Exporter::max_pending_connections) were open:
    /// the oldest go first. Only passed to the [error handler](crate::set_error_handler), at
    /// most once every 10 s, with the count since the previous report.
    #[error(
        "the metrics exporter closed {closed} connection(s) that were not sending a whole \
         request in time, oldest first: more than {limit} were open at once (slow or idle \
         clients, or a flood of connections)"
    )]
    ConnectionsShed {
        /// How many were closed since the last report.
        closed: u64,
        /// The limit ([`crate::Exporter::max_pending_connections`]).
        limit: usize,
    },
    /// A scrape of the exporter (or of the axum routes) that failed or timed out. Only passed
    /// to the [error handler](crate::set_error_handler).
    #[error("scrape failed: {reason}")]
    Scrape {
        /// What happened.
        reason: String,
    },
}

type Handler = std::sync::Arc<dyn Fn(&Error) + Send + Sync>;

static HANDLER: std::sync::RwLock<Option<Handler>> = std::sync::RwLock::new(None);

/// Sets what promforge does with the errors no caller can receive: metrics registered on
/// first use whose name is taken ([`Error::Unexported`]), a scrape that failed or timed out
/// ([`Error::Scrape`]), an exporter started in the background that stopped
/// ([`Error::Exporter`]). By default each is one line on stderr; send them to your logger
/// instead:
///
/// ```
/// promforge::set_error_handler(|error| {
///     // tracing::warn!(%error, "metrics"), log::warn!("metrics: {error}"), …
///     let _ = error;
/// });
/// ```
pub fn set_error_handler(handler: impl Fn(&Error) + Send + Sync + 'static) {
    let mut slot = HANDLER
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    *slot = Some(std::sync::Arc::new(handler));
}

/// Hands `error` to the handler set with [`set_error_handler`], or writes it to stderr.
pub(crate) fn report(error: &Error) {
    // Called without the lock held: a handler may set another handler.
    let handler = HANDLER
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    let handled = handler.is_some_and(|handler| {
        // A panicking handler must not take the scrape or the exporter down with it.
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| handler(error))).is_ok()
    });
    if !handled {
        eprintln!("promforge: {error}");
    }
}

fn clash_note(clashes_with: &Option<String>) -> String {
    match clashes_with {
        Some(sample) => format!(" (both would write samples named `{sample}`)"),
        None => String::new(),
    }
}
