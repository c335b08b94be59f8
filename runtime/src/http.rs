//! HTTP server middleware (feature `http`): a tower [`Layer`] that counts and times every
//! request, for axum, hyper and tonic servers; axum helpers (feature `axum`).
//!
#![cfg_attr(feature = "axum", doc = "```no_run")]
#![cfg_attr(not(feature = "axum"), doc = "```ignore")]
//! use axum::{Router, routing::get};
//! use promforge::http::MetricsLayer;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let registry = promforge::default_registry().clone();
//! let app = Router::new()
//!     .route("/users/{id}", get(|| async { "a user" }))
//!     .merge(promforge::http::axum::routes(registry.clone())) // /metrics, /health, /ready
//!     // Last, inside the router: `Router::layer` wraps the routes added before it.
//!     .layer(MetricsLayer::new(&registry)?);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! axum::serve(listener, app).await?;
//! # Ok(()) }
//! ```
//!
//! # Where the layer goes (axum)
//!
//! Add it with `Router::layer` **after** the routes (it wraps every route added before it,
//! and the fallback: unrouted requests are counted as `"unmatched"`), or with
//! `Router::route_layer` (routes only: unrouted requests are not counted). axum names the
//! route (`MatchedPath`) while routing, before it calls a route's service, so the layer
//! sees the template there. Routes merged *after* the layer are not counted. Wrapping the
//! whole router from outside (`MetricsLayer::layer(router)`, a `ServiceBuilder` around it,
//! a layer of `axum::serve`'s service) runs before routing: every request would be
//! `"unmatched"`. The layer notices that case (a request a route answered, seen before any
//! router) and reports it once through the [error handler](crate::set_error_handler)
//! ([`Error::HttpLayerSeesNoRoutes`]).
//!
//! # Metrics
//!
//! Registered by [`MetricsLayer::new`] (names get the registry's prefix, and the layer's own
//! [prefix](MetricsLayerBuilder::prefix) when it has one):
//!
//! | family | type | labels |
//! |---|---|---|
//! | `http_requests_total` | counter | `method`, `endpoint`, `status` |
//! | `http_requests_failed_total` | counter | `method`, `endpoint`, `status`, `class` |
//! | `http_request_duration_seconds` | histogram ([`BUCKETS_HTTP`]: 10 ms … 10 s) | `method`, `endpoint` |
//! | `http_requests_in_flight` | gauge | — |
//!
//! The label names can be changed on the [builder](MetricsLayerBuilder::label_name)
//! (`status_code`, `error_type`, …), for dashboards written for another middleware.
//!
//! - `method`: `GET`, `HEAD`, `POST`, `PUT`, `DELETE`, `PATCH`, `OPTIONS`, `CONNECT`,
//!   `TRACE`, or `OTHER` for any other method ([`HttpMethod`]).
//! - `endpoint`: the route **template** (`/users/{id}`), never the raw path, so ids and
//!   random 404 paths do not make new series. It comes from the
//!   [endpoint function](MetricsLayer::endpoint_fn) when one is set and returns `Some`,
//!   else from axum's `MatchedPath` (feature `axum`), else it is [`UNMATCHED_ENDPOINT`]
//!   (`"unmatched"`). Endpoints are an open label: each family holds at most
//!   [`DEFAULT_CARDINALITY_LIMIT`](crate::DEFAULT_CARDINALITY_LIMIT) series (see
//!   [`MetricsLayer::cardinality_limit`]); past it, requests are counted in the overflow series.
//! - `status`: the response's status code as text (`"200"`, `"404"`); `"500"` when the
//!   handler panicked (what tower-http's `CatchPanicLayer` answers, in whichever order the
//!   two layers are; without it the client sees the connection closed); `"error"` when the
//!   inner service returned an error instead of a response; `"cancelled"` when the response
//!   future was dropped before it completed (the client went away, a timeout fired).
//!   gRPC (tonic) puts its status in trailers, which the layer does not read: gRPC calls
//!   are counted by their HTTP status.
//! - `class` (failures only): `client_error` for a 4xx status, `server_error` for a 5xx
//!   status (a panic included) or an error from the inner service. Cancelled requests are
//!   not failures. The name `http_requests_failed_total` and its `status` label are those
//!   of the prometheus_client middleware this replaces.
//!
//! # What is left out
//!
//! - The routes promforge mounts itself ([`axum::MetricsRoutes`], [`axum::routes`]):
//!   scrapes of the metrics path, and the `/health` and `/ready` probes, wherever they are
//!   mounted or nested. A scrape would add to the totals and see itself in flight; a
//!   failing `/ready` (503) would count as an error of the API. Count them with
//!   [`MetricsLayer::count_scrapes`] and [`MetricsLayer::count_probes`].
//! - Paths given to [`MetricsLayer::exclude_path`] (probes an application answers itself).
//!
//! # What is measured
//!
//! The duration runs from the call of the service until its response future resolves: the
//! response head is ready. Streaming the body comes after and is not included, unless the
//! layer [times the body](MetricsLayer::time_body) (server-sent events, downloads): then
//! the request is recorded, and stays in flight, until its body ends. Cancelled requests
//! are timed up to the moment they were dropped. The in-flight gauge goes up when the
//! service is called and down when the request is recorded or dropped (a drop guard), so
//! it always returns to 0. [`MetricsLayer::duration_histogram`] reads every recorded
//! duration back (percentiles for a `/health` answer).
//!
//! # Two layers on one registry
//!
//! One registry holds one set of these families: clone the layer to use it on several
//! routers. A second [`MetricsLayer::new`] (or [`MetricsLayer::default_registry`]) on the
//! same registry fails with [`Error::HttpMetricsTaken`]; a layer that must count apart
//! gets its own [prefix](MetricsLayerBuilder::prefix).

use std::borrow::Cow;
use std::cell::Cell;
use std::future::Future;
use std::hash::Hasher;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Instant;

use tower_layer::Layer;
use tower_service::Service;

use crate::error::Error;
use crate::family::Family;
use crate::labels::derive_support::{push_label, strip_label};
use crate::labels::{LabelSet, LabelValue};
use crate::metrics::BUCKETS_HTTP;
use crate::metrics::EncodeMetric;
use crate::metrics::{Counter, Gauge, Histogram};
use crate::registry::{Registry, default_registry};

/// The `endpoint` label of requests whose route is not known: no endpoint function answered,
/// and no route matched (or the server is not axum).
pub const UNMATCHED_ENDPOINT: &str = "unmatched";

/// The `method` label: the request method, one of a closed set. Methods outside the
/// standard nine are `OTHER`, so a client cannot create series by inventing methods.
#[derive(crate::LabelValue, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[label(rename_all = "UPPERCASE")]
pub enum HttpMethod {
    /// `GET`.
    Get,
    /// `HEAD`.
    Head,
    /// `POST`.
    Post,
    /// `PUT`.
    Put,
    /// `DELETE`.
    Delete,
    /// `PATCH`.
    Patch,
    /// `OPTIONS`.
    Options,
    /// `CONNECT`.
    Connect,
    /// `TRACE`.
    Trace,
    /// Any other (extension) method.
    Other,
}

impl From<&::http::Method> for HttpMethod {
    #[inline]
    fn from(method: &::http::Method) -> Self {
        match method.as_str() {
            "GET" => Self::Get,
            "HEAD" => Self::Head,
            "POST" => Self::Post,
            "PUT" => Self::Put,
            "DELETE" => Self::Delete,
            "PATCH" => Self::Patch,
            "OPTIONS" => Self::Options,
            "CONNECT" => Self::Connect,
            "TRACE" => Self::Trace,
            _ => Self::Other,
        }
    }
}

/// The `class` label of failed requests.
#[derive(crate::LabelValue, Clone, Copy, Debug, PartialEq, Eq)]
enum FailureClass {
    /// A 4xx status.
    ClientError,
    /// A 5xx status, or an error from the inner service.
    ServerError,
}

/// The `status` label: the status code as text, or how the request ended without one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    Code(::http::StatusCode),
    Error,
    Cancelled,
}

impl Status {
    /// What a panicking handler's client receives (from tower-http's `CatchPanicLayer`).
    const PANIC: Status = Status::Code(::http::StatusCode::INTERNAL_SERVER_ERROR);

    #[inline]
    fn failure_class(self) -> Option<FailureClass> {
        match self {
            Status::Code(code) if code.is_client_error() => Some(FailureClass::ClientError),
            Status::Code(code) if code.is_server_error() => Some(FailureClass::ServerError),
            Status::Code(_) | Status::Cancelled => None,
            Status::Error => Some(FailureClass::ServerError),
        }
    }
}

impl LabelValue for Status {
    fn label_value(&self) -> Cow<'_, str> {
        Cow::Borrowed(match self {
            Status::Code(code) => code.as_str(),
            Status::Error => "error",
            Status::Cancelled => "cancelled",
        })
    }
}

/// The `endpoint` label: a route template, held without copying it.
#[derive(Clone, Debug)]
enum Endpoint {
    /// From the endpoint function, or [`UNMATCHED_ENDPOINT`].
    Text(Cow<'static, str>),
    /// axum's matched route (an `Arc<str>` inside).
    #[cfg(feature = "axum")]
    Matched(::axum::extract::MatchedPath),
}

impl Endpoint {
    const UNMATCHED: Endpoint = Endpoint::Text(Cow::Borrowed(UNMATCHED_ENDPOINT));

    #[inline]
    fn as_str(&self) -> &str {
        match self {
            Endpoint::Text(text) => text,
            #[cfg(feature = "axum")]
            Endpoint::Matched(path) => path.as_str(),
        }
    }
}

impl LabelValue for Endpoint {
    #[inline]
    fn label_value(&self) -> Cow<'_, str> {
        Cow::Borrowed(self.as_str())
    }
}

/// One label of the HTTP families, to rename with [`MetricsLayerBuilder::label_name`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HttpLabel {
    /// `method` (on every family but the in-flight gauge).
    Method,
    /// `endpoint` (on every family but the in-flight gauge).
    Endpoint,
    /// `status` (on `http_requests_total` and `http_requests_failed_total`).
    Status,
    /// `class` (on `http_requests_failed_total`).
    Class,
}

impl HttpLabel {
    const ALL: [HttpLabel; 4] = [
        HttpLabel::Method,
        HttpLabel::Endpoint,
        HttpLabel::Status,
        HttpLabel::Class,
    ];

    /// The name promforge gives the label.
    pub const fn default_name(self) -> &'static str {
        match self {
            HttpLabel::Method => "method",
            HttpLabel::Endpoint => "endpoint",
            HttpLabel::Status => "status",
            HttpLabel::Class => "class",
        }
    }
}

/// The label names of one set of HTTP families (method, endpoint, status, class), with the
/// `name="` / `,name="` prefixes an open family compares stored series with.
#[derive(Debug)]
struct LabelNames {
    names: [Cow<'static, str>; 4],
    prefixes: [String; 4],
}

impl LabelNames {
    fn new(names: [Cow<'static, str>; 4]) -> Self {
        let prefixes = std::array::from_fn(|i| {
            let comma = if i == 0 { "" } else { "," };
            format!("{comma}{}=\"", names[i])
        });
        Self { names, prefixes }
    }

    fn first(&self, n: usize) -> Vec<&str> {
        self.names.iter().take(n).map(|n| &**n).collect()
    }
}

/// The labels of the first `N` of method, endpoint, status, class, named at run time
/// (promforge's names unless renamed on the builder). `N` = 2: durations; 3: requests;
/// 4: failures. Every family of the layer is open (the endpoint is).
#[derive(Debug)]
struct HttpLabels<const N: usize> {
    names: Arc<LabelNames>,
    method: HttpMethod,
    endpoint: Endpoint,
    status: Status,
    class: FailureClass,
}

impl<const N: usize> LabelSet for HttpLabels<N> {
    // The default names; the families are registered with the names in use (see `Named`).
    const NAMES: &'static [&'static str] = match N {
        2 => &["method", "endpoint"],
        3 => &["method", "endpoint", "status"],
        _ => &["method", "endpoint", "status", "class"],
    };
    const CARDINALITY: Option<usize> = None;

    fn index(&self) -> usize {
        0
    }

    fn encode_labels(&self, out: &mut String) {
        let names = &self.names.names;
        push_label(out, &names[0], &self.method);
        push_label(out, &names[1], &self.endpoint);
        if N > 2 {
            push_label(out, &names[2], &self.status);
        }
        if N > 3 {
            push_label(out, &names[3], &self.class);
        }
    }

    fn encode_labels_at(_index: usize, _out: &mut String) {
        // Open sets have no members by index.
    }

    #[inline]
    fn matches_encoded(&self, text: &str) -> bool {
        let p = &self.names.prefixes;
        let rest = strip_label(text, &p[0], &self.method)
            .and_then(|rest| strip_label(rest, &p[1], &self.endpoint));
        let rest = if N > 2 {
            rest.and_then(|rest| strip_label(rest, &p[2], &self.status))
        } else {
            rest
        };
        let rest = if N > 3 {
            rest.and_then(|rest| strip_label(rest, &p[3], &self.class))
        } else {
            rest
        };
        rest == Some("")
    }

    #[inline]
    fn hash_labels<H: Hasher>(&self, state: &mut H) {
        // One family has one set of names: the values alone tell its series apart.
        self.method.hash_value(state);
        self.endpoint.hash_value(state);
        if N > 2 {
            self.status.hash_value(state);
        }
        if N > 3 {
            self.class.hash_value(state);
        }
    }
}

/// A family registered with the label names in use (for the registry's check against its
/// constant labels).
struct Named<M> {
    metric: M,
    names: Vec<String>,
}

impl<M: EncodeMetric> EncodeMetric for Named<M> {
    fn metric_type(&self) -> crate::encoding::MetricType {
        self.metric.metric_type()
    }

    fn encode(&self, encoder: &mut crate::encoding::MetricEncoder<'_>) {
        self.metric.encode(encoder);
    }

    fn label_names(&self) -> Vec<&str> {
        self.names.iter().map(String::as_str).collect()
    }

    fn cardinality_overflow(&self) -> Option<u64> {
        self.metric.cardinality_overflow()
    }
}

/// The registered families and what every layer recording into them shares.
#[derive(Debug)]
struct Families {
    names: Arc<LabelNames>,
    requests: Family<HttpLabels<3>, Counter>,
    failures: Family<HttpLabels<4>, Counter>,
    duration: Family<HttpLabels<2>, Histogram>,
    in_flight: Gauge,
    /// Every recorded request's duration, whatever its method and endpoint (not exported;
    /// [`MetricsLayer::duration_histogram`]).
    all_durations: Histogram,
    /// Whether the layer-outside-the-router warning was given.
    warned: AtomicBool,
}

impl Families {
    fn register(registry: &Registry, prefix: &str, names: LabelNames) -> Result<Self, Error> {
        let open = |n: usize| names.first(n);
        let families = Self {
            requests: Family::new().with_overflow_label_names(&open(3)),
            failures: Family::new().with_overflow_label_names(&open(4)),
            duration: Family::with_buckets(BUCKETS_HTTP)?.with_overflow_label_names(&open(2)),
            in_flight: Gauge::new(),
            all_durations: Histogram::with_buckets(BUCKETS_HTTP)?,
            warned: AtomicBool::new(false),
            names: Arc::new(names),
        };
        let named = |n: usize| -> Vec<String> {
            families
                .names
                .first(n)
                .into_iter()
                .map(str::to_owned)
                .collect()
        };
        let mut registered = Vec::with_capacity(4);
        let result = (|| {
            registered.push(registry.register(
                &format!("{prefix}http_requests"),
                "HTTP requests answered, by method, route template and status code.",
                Named {
                    metric: families.requests.clone(),
                    names: named(3),
                },
            )?);
            registered.push(registry.register(
                &format!("{prefix}http_requests_failed"),
                "HTTP requests that failed: a 4xx status (client_error), a 5xx status or an error in the server (server_error).",
                Named {
                    metric: families.failures.clone(),
                    names: named(4),
                },
            )?);
            registered.push(registry.register(
                &format!("{prefix}http_request_duration_seconds"),
                "Time to answer HTTP requests, in seconds.",
                Named {
                    metric: families.duration.clone(),
                    names: named(2),
                },
            )?);
            registered.push(registry.register(
                &format!("{prefix}http_requests_in_flight"),
                "HTTP requests being answered now.",
                families.in_flight.clone(),
            )?);
            Ok::<(), Error>(())
        })();
        match result {
            Ok(()) => Ok(families),
            Err(e) => {
                // All or nothing: a failed construction leaves the registry as it was.
                for name in &registered {
                    registry.unregister(name);
                }
                Err(match e {
                    Error::AlreadyRegistered { name, .. } => Error::HttpMetricsTaken { name },
                    other => other,
                })
            }
        }
    }
}

type EndpointFn = dyn Fn(&::http::Request<()>) -> Option<Cow<'static, str>> + Send + Sync;

/// Kinds of the routes promforge mounts itself ([`axum::MetricsRoutes`]), left out of the
/// layer's metrics unless counted on purpose.
pub(crate) const OWN_SCRAPE: u8 = 1;
pub(crate) const OWN_PROBE: u8 = 2;

/// What every clone of a layer and its services share.
#[derive(Clone)]
struct Shared {
    families: Arc<Families>,
    excluded: Vec<String>,
    endpoint_fn: Option<Arc<EndpointFn>>,
    /// Which of promforge's own routes are counted ([`OWN_SCRAPE`], [`OWN_PROBE`] bits).
    counted_own: u8,
    /// Whether requests are timed until the end of their response body.
    time_body: bool,
}

impl Shared {
    #[inline]
    fn is_excluded(&self, path: &str) -> bool {
        self.excluded.iter().any(|p| p == path)
    }

    /// The request's endpoint label (the request is passed through unchanged), and whether
    /// the request went through an axum router before reaching the layer.
    #[inline]
    fn endpoint<B>(&self, req: ::http::Request<B>) -> (::http::Request<B>, Option<Endpoint>) {
        let mut req = req;
        if let Some(f) = &self.endpoint_fn {
            // Show the function the request without its body (moves, no allocation).
            let (parts, body) = req.into_parts();
            let head = ::http::Request::from_parts(parts, ());
            let found = f(&head);
            let (parts, ()) = head.into_parts();
            req = ::http::Request::from_parts(parts, body);
            if let Some(text) = found {
                return (req, Some(Endpoint::Text(text)));
            }
        }
        #[cfg(feature = "axum")]
        if let Some(path) = req.extensions().get::<::axum::extract::MatchedPath>() {
            let path = path.clone();
            return (req, Some(Endpoint::Matched(path)));
        }
        (req, None)
    }

    /// Whether an unmatched request may show the layer outside the router: no endpoint
    /// function, and (axum) the request did not go through a router before the layer.
    #[inline]
    fn may_be_outside<B>(&self, req: &::http::Request<B>) -> bool {
        if self.endpoint_fn.is_some() || self.families.warned.load(Ordering::Relaxed) {
            return false;
        }
        #[cfg(feature = "axum")]
        if req
            .extensions()
            .get::<::axum::extract::OriginalUri>()
            .is_some()
        {
            // Inside a router: an unrouted request reached its fallback.
            return false;
        }
        let _ = req;
        true
    }
}

/// A tower [`Layer`] recording every request in `http_requests_total`,
/// `http_requests_failed_total`, `http_request_duration_seconds` and
/// `http_requests_in_flight` (see the [module documentation](self) for labels and
/// semantics).
///
/// Made once per registry with [`new`](Self::new), [`default_registry`](Self::default_registry)
/// or [`builder`](Self::builder); clones share the families, so clone the layer rather than
/// making a second one. The settings ([`exclude_path`](Self::exclude_path),
/// [`endpoint_fn`](Self::endpoint_fn), [`time_body`](Self::time_body),
/// [`count_scrapes`](Self::count_scrapes), [`count_probes`](Self::count_probes)) belong to
/// each clone.
///
/// ```
/// use std::borrow::Cow;
/// use promforge::http::MetricsLayer;
///
/// # fn main() -> Result<(), promforge::Error> {
/// let registry = promforge::Registry::new();
/// // A hyper or tonic server has no router: name endpoints yourself (gRPC paths are a
/// // bounded set; for REST, map raw paths to templates here).
/// let layer = MetricsLayer::new(&registry)?
///     .exclude_path("/metrics")
///     .endpoint_fn(|req| match req.uri().path() {
///         p if p.starts_with("/users/") => Some(Cow::Borrowed("/users/{id}")),
///         _ => None, // "unmatched"
///     });
/// # let _ = layer;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct MetricsLayer {
    shared: Arc<Shared>,
}

/// Builds a [`MetricsLayer`] whose families have a name prefix or other label names
/// (what [`MetricsLayer::new`] gives without them).
///
/// ```
/// use promforge::http::{HttpLabel, MetricsLayer};
///
/// # fn main() -> Result<(), promforge::Error> {
/// let registry = promforge::Registry::new();
/// // The names of dashboards written for another middleware.
/// let layer = MetricsLayer::builder()
///     .label_name(HttpLabel::Status, "status_code")
///     .label_name(HttpLabel::Class, "error_type")
///     .register(&registry)?;
/// // A second layer on the same registry, for another router: its own prefix.
/// let admin = MetricsLayer::builder().prefix("admin").register(&registry)?;
/// assert!(registry.family_names().contains(&"admin_http_requests_total".to_owned()));
/// # let _ = (layer, admin);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, Default)]
#[must_use = "the builder does nothing until `register` is called"]
pub struct MetricsLayerBuilder {
    prefix: String,
    names: Vec<(HttpLabel, String)>,
    cardinality_limit: Option<usize>,
}

impl MetricsLayerBuilder {
    /// Puts `prefix` and `_` before the families' names (`admin_http_requests_total`),
    /// after the registry's own prefix: for a second layer on one registry.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        let mut prefix = prefix.into();
        if !prefix.is_empty() && !prefix.ends_with('_') {
            prefix.push('_');
        }
        self.prefix = prefix;
        self
    }

    /// How many series (label sets) each of the layer's labeled families may hold; further
    /// ones are counted in its overflow series. Default
    /// [`DEFAULT_CARDINALITY_LIMIT`](crate::DEFAULT_CARDINALITY_LIMIT). The families are this
    /// layer's own (and its clones'): no other layer is affected.
    pub fn cardinality_limit(mut self, limit: usize) -> Self {
        self.cardinality_limit = Some(limit);
        self
    }

    /// Names the label `label` `name` in every family that has it (`status_code` for
    /// `status`, `error_type` for `class`). The name is checked when the layer is
    /// registered, like any label name: the Prometheus rules, `le`, `quantile` and `__*`
    /// reserved, and no two labels of the layer with one name.
    pub fn label_name(mut self, label: HttpLabel, name: impl Into<String>) -> Self {
        self.names.retain(|(l, _)| *l != label);
        self.names.push((label, name.into()));
        self
    }

    /// Registers the HTTP families in `registry` and returns a layer recording into them.
    ///
    /// Errors: an invalid or duplicate label name, [`Error::HttpMetricsTaken`] when a family
    /// name is taken in `registry` (for example by another layer: clone the first layer, or
    /// give this one its own [prefix](Self::prefix)), or a clash with the registry's constant
    /// labels. Nothing is registered when it fails.
    pub fn register(self, registry: &Registry) -> Result<MetricsLayer, Error> {
        let names: [Cow<'static, str>; 4] = std::array::from_fn(|i| {
            let label = HttpLabel::ALL[i];
            match self.names.iter().find(|(l, _)| *l == label) {
                Some((_, name)) => Cow::Owned(name.clone()),
                None => Cow::Borrowed(label.default_name()),
            }
        });
        for (i, name) in names.iter().enumerate() {
            crate::name::check_user_label_name(name)?;
            if names[..i].contains(name) {
                return Err(Error::InvalidLabelName {
                    name: name.to_string(),
                    reason: "two labels of the HTTP layer would have this name",
                });
            }
        }
        if !self.prefix.is_empty() {
            crate::name::check_metric_name(&self.prefix)?;
        }
        let families = Families::register(registry, &self.prefix, LabelNames::new(names))?;
        let layer = MetricsLayer::from_families(Arc::new(families));
        Ok(match self.cardinality_limit {
            Some(limit) => layer.cardinality_limit(limit),
            None => layer,
        })
    }
}

impl MetricsLayer {
    /// Registers the HTTP families in `registry` and returns a layer recording into them.
    ///
    /// Errors: [`Error::HttpMetricsTaken`] when a family name is already taken in
    /// `registry`, for example by another `MetricsLayer` on it (clone the first layer, or
    /// give this one its own [prefix](MetricsLayerBuilder::prefix)), or a clash with the
    /// registry's constant labels (`method`, `endpoint`, `status`, `class`). Nothing is
    /// registered when it fails.
    ///
    /// ```
    /// # fn main() -> Result<(), promforge::Error> {
    /// let registry = promforge::Registry::new();
    /// let layer = promforge::MetricsLayer::new(&registry)?;
    /// let for_another_router = layer.clone(); // same families
    /// assert!(promforge::MetricsLayer::new(&registry).is_err()); // a second set: no
    /// # let _ = for_another_router;
    /// # Ok(()) }
    /// ```
    pub fn new(registry: &Registry) -> Result<Self, Error> {
        Self::builder().register(registry)
    }

    /// [`new`](Self::new) on the [default registry](crate::default_registry), with the same
    /// errors: a second call fails too (clone the first layer instead).
    pub fn default_registry() -> Result<Self, Error> {
        Self::new(default_registry())
    }

    /// A builder, to set a name prefix or the label names.
    pub fn builder() -> MetricsLayerBuilder {
        MetricsLayerBuilder::default()
    }

    fn from_families(families: Arc<Families>) -> Self {
        Self {
            shared: Arc::new(Shared {
                families,
                excluded: Vec::new(),
                endpoint_fn: None,
                counted_own: 0,
                time_body: false,
            }),
        }
    }

    /// Leaves requests for exactly this path (`/health` of your own) out of every metric.
    /// Matched against the request's URI path, without the query string. May be called
    /// more than once. The routes of [`axum::MetricsRoutes`] need no exclusion: they are
    /// left out wherever they are mounted (see [`count_scrapes`](Self::count_scrapes)).
    pub fn exclude_path(mut self, path: impl Into<String>) -> Self {
        Arc::make_mut(&mut self.shared).excluded.push(path.into());
        self
    }

    /// Counts the scrapes of promforge's own metrics route ([`axum::MetricsRoutes`], at
    /// whatever path and nesting) like any request. By default they are left out: each
    /// scrape would add to the request totals and to the in-flight gauge it reads.
    pub fn count_scrapes(mut self, count: bool) -> Self {
        let shared = Arc::make_mut(&mut self.shared);
        shared.counted_own = if count {
            shared.counted_own | OWN_SCRAPE
        } else {
            shared.counted_own & !OWN_SCRAPE
        };
        self
    }

    /// Counts the probes of promforge's own `/health` and `/ready` routes
    /// ([`axum::MetricsRoutes`], wherever nested) like any request. By default they are
    /// left out: a failing `/ready` (503) would count as a server error of the API.
    pub fn count_probes(mut self, count: bool) -> Self {
        let shared = Arc::make_mut(&mut self.shared);
        shared.counted_own = if count {
            shared.counted_own | OWN_PROBE
        } else {
            shared.counted_own & !OWN_PROBE
        };
        self
    }

    /// Times each request until its response body has been sent (server-sent events,
    /// downloads), holding it in `http_requests_in_flight` until then. By default a request
    /// is recorded when its response head is ready. Its status is the response's; a body
    /// that fails is recorded as `error`.
    ///
    /// ```
    /// # fn main() -> Result<(), promforge::Error> {
    /// let registry = promforge::Registry::new();
    /// let layer = promforge::MetricsLayer::new(&registry)?.time_body(true);
    /// # let _ = layer;
    /// # Ok(()) }
    /// ```
    pub fn time_body(mut self, until_body_end: bool) -> Self {
        Arc::make_mut(&mut self.shared).time_body = until_body_end;
        self
    }

    /// Names each request's `endpoint` label with `f` (for hyper or tonic servers, which
    /// have no `MatchedPath`, or to group routes differently). `f` sees the request without
    /// its body; `None` falls back to axum's matched path, then to [`UNMATCHED_ENDPOINT`].
    ///
    /// Return route templates, not raw paths: every distinct value is a new series (up to
    /// the [cardinality limit](Self::cardinality_limit)). Returning `Cow::Borrowed` of a
    /// `&'static str` costs no allocation.
    pub fn endpoint_fn<F>(mut self, f: F) -> Self
    where
        F: Fn(&::http::Request<()>) -> Option<Cow<'static, str>> + Send + Sync + 'static,
    {
        Arc::make_mut(&mut self.shared).endpoint_fn = Some(Arc::new(f));
        self
    }

    /// How many series (label sets) each labeled family may hold; further ones are counted
    /// in its overflow series. Default [`DEFAULT_CARDINALITY_LIMIT`](crate::DEFAULT_CARDINALITY_LIMIT).
    /// Applies to series created from now on. Its scope is this layer's families: this layer
    /// and its clones (which share them), wherever they were cloned to before or after; a
    /// layer registered separately (its own prefix) keeps its own limit. Set it before
    /// cloning, or on the [builder](MetricsLayerBuilder::cardinality_limit).
    pub fn cardinality_limit(self, limit: usize) -> Self {
        let families = &self.shared.families;
        drop(families.requests.clone().with_cardinality_limit(limit));
        drop(families.failures.clone().with_cardinality_limit(limit));
        drop(families.duration.clone().with_cardinality_limit(limit));
        self
    }

    /// The durations of every request this layer's families recorded, whatever their method
    /// and endpoint, in the buckets of `http_request_duration_seconds`: to read percentiles
    /// back (a `/health` answer) without keeping a second metric. Not exported; a handle
    /// that keeps counting.
    ///
    /// ```
    /// # fn main() -> Result<(), promforge::Error> {
    /// let registry = promforge::Registry::new();
    /// let layer = promforge::MetricsLayer::new(&registry)?;
    /// let durations = layer.duration_histogram();
    /// // In a handler: p50 and p99 as PromQL's histogram_quantile would estimate them.
    /// let (p50, p99) = (durations.estimate_quantile(0.5), durations.estimate_quantile(0.99));
    /// assert_eq!((p50, p99, durations.count()), (None, None, 0)); // nothing served yet
    /// # Ok(()) }
    /// ```
    pub fn duration_histogram(&self) -> Histogram {
        self.shared.families.all_durations.clone()
    }
}

impl std::fmt::Debug for MetricsLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsLayer")
            .field("excluded", &self.shared.excluded)
            .field("endpoint_fn", &self.shared.endpoint_fn.is_some())
            .field(
                "count_scrapes",
                &(self.shared.counted_own & OWN_SCRAPE != 0),
            )
            .field("count_probes", &(self.shared.counted_own & OWN_PROBE != 0))
            .field("time_body", &self.shared.time_body)
            .finish_non_exhaustive()
    }
}

impl<S> Layer<S> for MetricsLayer {
    type Service = MetricsService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        MetricsService {
            inner,
            shared: Arc::clone(&self.shared),
        }
    }
}

/// The [`Service`] made by [`MetricsLayer`]: calls the inner service and records the
/// request when its response future completes or is dropped (or, with
/// [`time_body`](MetricsLayer::time_body), when its body ends).
#[derive(Clone)]
pub struct MetricsService<S> {
    inner: S,
    shared: Arc<Shared>,
}

impl<S: std::fmt::Debug> std::fmt::Debug for MetricsService<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsService")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<S> MetricsService<S> {
    /// The wrapped service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The wrapped service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// The wrapped service, unwrapped.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S, B, ResBody> Service<::http::Request<B>> for MetricsService<S>
where
    S: Service<::http::Request<B>, Response = ::http::Response<ResBody>>,
{
    type Response = ::http::Response<MetricsBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    #[inline]
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: ::http::Request<B>) -> Self::Future {
        if self.shared.is_excluded(req.uri().path()) {
            return ResponseFuture {
                inner: self.inner.call(req),
                guard: None,
                time_body: false,
            };
        }
        let method = HttpMethod::from(req.method());
        let (req, endpoint) = self.shared.endpoint(req);
        let outside = match endpoint {
            Some(_) => None,
            None if self.shared.may_be_outside(&req) => Some(Box::new((
                req.method().clone(),
                req.uri().path().to_owned(),
            ))),
            None => None,
        };
        let endpoint = endpoint.unwrap_or(Endpoint::UNMATCHED);
        let mut guard = RequestGuard::start(&self.shared, method, endpoint);
        guard.outside = outside;
        // A service that panics when called (not only its future) is recorded too.
        let inner = &mut self.inner;
        match catch_unwind(AssertUnwindSafe(|| inner.call(req))) {
            Ok(inner) => ResponseFuture {
                inner,
                guard: Some(guard),
                time_body: self.shared.time_body,
            },
            Err(panic) => {
                guard.status = Status::PANIC;
                drop(guard);
                resume_unwind(panic)
            }
        }
    }
}

thread_local! {
    /// The kinds of promforge's own routes ([`OWN_SCRAPE`], [`OWN_PROBE`]) whose handler
    /// declared itself while a [`ResponseFuture`] polls it on this thread.
    static OWN_ROUTE: Cell<u8> = const { Cell::new(0) };
    /// How many [`ResponseFuture`]s with a request to record are polling on this thread.
    static POLLING: Cell<u32> = const { Cell::new(0) };
}

/// Called first by the handlers of promforge's own routes: tells the layers polling this
/// request that it is a scrape or a probe, and yields once, so that they leave it out of
/// the in-flight gauge before the handler goes on (a scrape then does not see itself).
#[cfg(feature = "axum")]
pub(crate) async fn own_route(kind: u8) {
    if POLLING.with(Cell::get) > 0 {
        OWN_ROUTE.with(|own| own.set(own.get() | kind));
        YieldOnce(false).await;
    }
}

/// Pending once (waking itself at once), then ready.
#[cfg(feature = "axum")]
struct YieldOnce(bool);

#[cfg(feature = "axum")]
impl Future for YieldOnce {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

pin_project_lite::pin_project! {
    /// The response future of [`MetricsService`]: the inner future, recorded when it
    /// completes (with its status, or `"error"`), panics (`"500"`) or is dropped first
    /// (`"cancelled"`).
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        guard: Option<RequestGuard>,
        time_body: bool,
    }
}

impl<F> std::fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseFuture")
            .field("recorded", &self.guard.is_some())
            .finish_non_exhaustive()
    }
}

impl<F, ResBody, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<::http::Response<ResBody>, E>>,
{
    type Output = Result<::http::Response<MetricsBody<ResBody>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let Some(guard) = this.guard.as_mut() else {
            // Nothing to record (an excluded path): own routes inside still tell outer layers.
            return this
                .inner
                .poll(cx)
                .map_ok(|resp| resp.map(MetricsBody::passthrough));
        };
        let outer = OWN_ROUTE.with(|own| own.replace(0));
        POLLING.with(|n| n.set(n.get() + 1));
        let inner = this.inner;
        let polled = catch_unwind(AssertUnwindSafe(|| inner.poll(cx)));
        POLLING.with(|n| n.set(n.get().saturating_sub(1)));
        let own = OWN_ROUTE.with(|cell| cell.replace(outer | cell.get()));
        if own & !guard.shared.counted_own != 0 {
            // A scrape or probe of promforge's own routes: not counted, out of in-flight now.
            guard.record = false;
            *this.guard = None;
        }
        let result = match polled {
            Ok(Poll::Ready(result)) => result,
            Ok(Poll::Pending) => return Poll::Pending,
            Err(panic) => {
                // What the client receives from a panic handler (tower-http's CatchPanicLayer),
                // in whichever order the layers are.
                if let Some(mut guard) = this.guard.take() {
                    guard.status = Status::PANIC;
                }
                resume_unwind(panic)
            }
        };
        let Some(mut guard) = this.guard.take() else {
            return Poll::Ready(result.map(|resp| resp.map(MetricsBody::passthrough)));
        };
        Poll::Ready(match result {
            Ok(resp) => {
                guard.status = Status::Code(resp.status());
                if *this.time_body {
                    Ok(resp.map(|body| MetricsBody {
                        inner: body,
                        guard: Some(guard),
                    }))
                } else {
                    drop(guard); // records
                    Ok(resp.map(MetricsBody::passthrough))
                }
            }
            Err(e) => {
                guard.status = Status::Error;
                drop(guard);
                Err(e)
            }
        })
    }
}

pin_project_lite::pin_project! {
    /// The response body of [`MetricsService`]: the inner body, unchanged. With
    /// [`time_body`](MetricsLayer::time_body) the request is recorded when the body ends
    /// (or fails, or is dropped).
    pub struct MetricsBody<B> {
        #[pin]
        inner: B,
        guard: Option<RequestGuard>,
    }
}

impl<B> MetricsBody<B> {
    fn passthrough(inner: B) -> Self {
        Self { inner, guard: None }
    }

    /// The wrapped body.
    pub fn into_inner(self) -> B {
        self.inner
    }
}

impl<B> std::fmt::Debug for MetricsBody<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsBody")
            .field("timed", &self.guard.is_some())
            .finish_non_exhaustive()
    }
}

impl<B: http_body::Body> http_body::Body for MetricsBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        let this = self.project();
        if this.guard.is_none() {
            return this.inner.poll_frame(cx);
        }
        let inner = this.inner;
        match catch_unwind(AssertUnwindSafe(|| inner.poll_frame(cx))) {
            Ok(Poll::Ready(None)) => {
                drop(this.guard.take()); // the end: records
                Poll::Ready(None)
            }
            Ok(Poll::Ready(Some(Err(e)))) => {
                if let Some(mut guard) = this.guard.take() {
                    guard.status = Status::Error;
                }
                Poll::Ready(Some(Err(e)))
            }
            Ok(polled) => polled,
            Err(panic) => {
                if let Some(mut guard) = this.guard.take() {
                    guard.status = Status::Error;
                }
                resume_unwind(panic)
            }
        }
    }

    #[inline]
    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    #[inline]
    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// One request in progress: records it when dropped, as `cancelled` unless a status was set.
struct RequestGuard {
    shared: Arc<Shared>,
    method: HttpMethod,
    endpoint: Endpoint,
    status: Status,
    start: Instant,
    /// Whether to record the request (else it only leaves the in-flight gauge).
    record: bool,
    /// An unmatched request that did not go through a router: its method and path, for the
    /// layer-outside-the-router warning.
    outside: Option<Box<(::http::Method, String)>>,
}

impl RequestGuard {
    #[inline]
    fn start(shared: &Arc<Shared>, method: HttpMethod, endpoint: Endpoint) -> Self {
        shared.families.in_flight.inc();
        Self {
            shared: Arc::clone(shared),
            method,
            endpoint,
            status: Status::Cancelled,
            start: Instant::now(),
            record: true,
            outside: None,
        }
    }

    /// Reports, once per set of families, a request a route answered but the layer saw
    /// before routing.
    #[cold]
    fn warn_outside(&self, method: &::http::Method, path: &str) {
        let answered = match self.status {
            Status::Code(code) => {
                code != ::http::StatusCode::NOT_FOUND
                    && code != ::http::StatusCode::METHOD_NOT_ALLOWED
            }
            Status::Error | Status::Cancelled => false,
        };
        if !answered || self.shared.families.warned.swap(true, Ordering::Relaxed) {
            return;
        }
        let code = match self.status {
            Status::Code(code) => code.as_u16(),
            _ => 0,
        };
        crate::error::report(&Error::HttpLayerSeesNoRoutes {
            method: method.to_string(),
            path: path.to_owned(),
            status: code,
        });
    }
}

impl Drop for RequestGuard {
    fn drop(&mut self) {
        let families = &self.shared.families;
        families.in_flight.dec();
        if !self.record {
            return;
        }
        if let Some(outside) = self.outside.take() {
            self.warn_outside(&outside.0, &outside.1);
        }
        let secs = self.start.elapsed().as_secs_f64();
        let families = &self.shared.families;
        let (method, status) = (self.method, self.status);
        let class = status.failure_class();
        // The endpoint moves from one label set to the next: no copy of the text.
        let route = HttpLabels::<2> {
            names: Arc::clone(&families.names),
            method,
            endpoint: std::mem::replace(&mut self.endpoint, Endpoint::UNMATCHED),
            status,
            class: class.unwrap_or(FailureClass::ServerError),
        };
        families.duration.observe(&route, secs);
        families.all_durations.observe(secs);
        let request = HttpLabels::<3> {
            names: route.names,
            method,
            endpoint: route.endpoint,
            status,
            class: route.class,
        };
        families.requests.inc(&request);
        if class.is_some() {
            families.failures.inc(&HttpLabels::<4> {
                names: request.names,
                method,
                endpoint: request.endpoint,
                status,
                class: request.class,
            });
        }
    }
}

#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub mod axum;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_and_statuses() {
        assert_eq!(HttpMethod::from(&::http::Method::GET), HttpMethod::Get);
        assert_eq!(
            HttpMethod::from(&::http::Method::from_bytes(b"PURGE").expect("a valid method")),
            HttpMethod::Other
        );
        assert_eq!(HttpMethod::Other.label_value(), "OTHER");
        assert_eq!(HttpMethod::Options.label_value(), "OPTIONS");
        let not_found = Status::Code(::http::StatusCode::NOT_FOUND);
        assert_eq!(not_found.label_value(), "404");
        assert_eq!(not_found.failure_class(), Some(FailureClass::ClientError));
        assert_eq!(
            Status::Error.failure_class(),
            Some(FailureClass::ServerError)
        );
        assert_eq!(Status::Cancelled.failure_class(), None);
        assert_eq!(FailureClass::ServerError.label_value(), "server_error");
        assert_eq!(
            Status::PANIC.failure_class(),
            Some(FailureClass::ServerError)
        );
    }

    #[test]
    fn renamed_labels_encode_and_match_their_text() {
        let names = Arc::new(LabelNames::new([
            Cow::Borrowed("method"),
            Cow::Borrowed("endpoint"),
            Cow::Borrowed("status_code"),
            Cow::Borrowed("error_type"),
        ]));
        let labels = HttpLabels::<4> {
            names,
            method: HttpMethod::Get,
            endpoint: Endpoint::Text(Cow::Borrowed("/a\"b")),
            status: Status::Code(::http::StatusCode::BAD_GATEWAY),
            class: FailureClass::ServerError,
        };
        let mut text = String::new();
        labels.encode_labels(&mut text);
        assert_eq!(
            text,
            r#"method="GET",endpoint="/a\"b",status_code="502",error_type="server_error""#
        );
        assert!(labels.matches_encoded(&text));
        assert!(!labels.matches_encoded(&text.replace("502", "503")));
        assert!(!labels.matches_encoded(&text.replace("status_code", "status")));
        assert!(!labels.matches_encoded(&format!("{text},x=\"y\"")));
    }
}
