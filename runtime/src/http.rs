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
//!     // After the routes: `Router::layer` wraps the routes added before it.
//!     .layer(MetricsLayer::new(&registry)?.exclude_path("/metrics"));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! axum::serve(listener, app).await?;
//! # Ok(()) }
//! ```
//!
//! # Metrics
//!
//! Registered by [`MetricsLayer::new`] (names get the registry's prefix):
//!
//! | family | type | labels |
//! |---|---|---|
//! | `http_requests_total` | counter | `method`, `endpoint`, `status` |
//! | `http_requests_failed_total` | counter | `method`, `endpoint`, `status`, `class` |
//! | `http_request_duration_seconds` | histogram ([`BUCKETS_HTTP`]: 10 ms … 10 s) | `method`, `endpoint` |
//! | `http_requests_in_flight` | gauge | — |
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
//! - `status`: the response's status code as text (`"200"`, `"404"`), `"error"` when the
//!   inner service returned an error instead of a response, `"cancelled"` when the response
//!   future was dropped before it completed (the client went away, a timeout fired, the
//!   handler panicked). gRPC (tonic) puts its status in trailers, which the layer does not
//!   read: gRPC calls are counted by their HTTP status.
//! - `class` (failures only): `client_error` for a 4xx status, `server_error` for a 5xx
//!   status or an error from the inner service. Cancelled requests are not failures.
//!   The name `http_requests_failed_total` and its `status` label are those of the
//!   prometheus_client middleware this replaces.
//!
//! # What is measured
//!
//! The duration runs from the call of the service until its response future resolves: the
//! response head is ready. Streaming the body to the client comes after and is **not**
//! included. Cancelled requests are timed up to the moment they were dropped. The in-flight
//! gauge goes up when the service is called and down when the response future completes or
//! is dropped (a drop guard), so it always returns to 0.
//!
//! # axum: layer, not around the router
//!
//! axum sets `MatchedPath` while routing, before it calls a route's service; so the layer
//! sees the template when it is added with `Router::layer` (wraps
//! every route and the fallback: unrouted requests are counted as `"unmatched"`) or
//! `Router::route_layer` (routes only: unrouted requests are
//! not counted at all). Both apply to the routes added *before* them. Wrapping the whole
//! router from outside (`MetricsLayer::layer(router)`, a `ServiceBuilder` around it) runs
//! before routing: every request would then be `"unmatched"`.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, ready};
use std::time::Instant;

use tower_layer::Layer;
use tower_service::Service;

use crate::instrument::BUCKETS_HTTP;
use crate::labels::LabelValue;
use crate::{Counter, Error, Family, Gauge, Histogram, Registry, default_registry};

/// The `endpoint` label of requests whose route is not known: no endpoint function answered,
/// and no route matched (or the server is not axum).
pub const UNMATCHED_ENDPOINT: &str = "unmatched";

/// The `method` label: the request method, one of a closed set (every series exists up
/// front, looked up without hashing). Methods outside the standard nine are `OTHER`, so a
/// client cannot create series by inventing methods.
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

#[derive(crate::LabelSet, Debug)]
struct RouteLabels {
    method: HttpMethod,
    endpoint: Endpoint,
}

#[derive(crate::LabelSet, Debug)]
struct RequestLabels {
    method: HttpMethod,
    endpoint: Endpoint,
    status: Status,
}

#[derive(crate::LabelSet, Debug)]
struct FailureLabels {
    method: HttpMethod,
    endpoint: Endpoint,
    status: Status,
    class: FailureClass,
}

/// The registered families; clones share them.
#[derive(Clone, Debug)]
struct Families {
    requests: Family<RequestLabels, Counter>,
    failures: Family<FailureLabels, Counter>,
    duration: Family<RouteLabels, Histogram>,
    in_flight: Gauge,
}

impl Families {
    fn register(registry: &Registry) -> Result<Self, Error> {
        let families = Self {
            requests: Family::new(),
            failures: Family::new(),
            duration: Family::with_buckets(BUCKETS_HTTP)?,
            in_flight: Gauge::new(),
        };
        let mut registered = Vec::with_capacity(4);
        let result = (|| {
            registered.push(registry.register(
                "http_requests",
                "HTTP requests answered, by method, route template and status code.",
                families.requests.clone(),
            )?);
            registered.push(registry.register(
                "http_requests_failed",
                "HTTP requests that failed: a 4xx status (client_error), a 5xx status or an error in the server (server_error).",
                families.failures.clone(),
            )?);
            registered.push(registry.register(
                "http_request_duration_seconds",
                "Time to answer HTTP requests (until the response head is ready), in seconds.",
                families.duration.clone(),
            )?);
            registered.push(registry.register(
                "http_requests_in_flight",
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
                Err(e)
            }
        }
    }
}

type EndpointFn = dyn Fn(&::http::Request<()>) -> Option<Cow<'static, str>> + Send + Sync;

/// What every clone of a layer and its services share.
#[derive(Clone)]
struct Shared {
    families: Families,
    excluded: Vec<String>,
    endpoint_fn: Option<Arc<EndpointFn>>,
}

impl Shared {
    #[inline]
    fn is_excluded(&self, path: &str) -> bool {
        self.excluded.iter().any(|p| p == path)
    }

    /// The request's endpoint label (the request is passed through unchanged).
    #[inline]
    fn endpoint<B>(&self, req: ::http::Request<B>) -> (::http::Request<B>, Endpoint) {
        let mut req = req;
        if let Some(f) = &self.endpoint_fn {
            // Show the function the request without its body (moves, no allocation).
            let (parts, body) = req.into_parts();
            let head = ::http::Request::from_parts(parts, ());
            let found = f(&head);
            let (parts, ()) = head.into_parts();
            req = ::http::Request::from_parts(parts, body);
            if let Some(text) = found {
                return (req, Endpoint::Text(text));
            }
        }
        #[cfg(feature = "axum")]
        if let Some(path) = req.extensions().get::<::axum::extract::MatchedPath>() {
            let path = path.clone();
            return (req, Endpoint::Matched(path));
        }
        (req, Endpoint::UNMATCHED)
    }
}

/// A tower [`Layer`] recording every request in `http_requests_total`,
/// `http_requests_failed_total`, `http_request_duration_seconds` and
/// `http_requests_in_flight` (see the [module documentation](self) for labels and
/// semantics).
///
/// Made once per registry with [`new`](Self::new) (or [`default_registry`](Self::default_registry));
/// clones share the families, so clone the layer rather than making a second one. The
/// settings ([`exclude_path`](Self::exclude_path), [`endpoint_fn`](Self::endpoint_fn)) belong
/// to each clone.
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

/// The layer of the default registry, made on first use.
static DEFAULT_FAMILIES: Mutex<Option<Families>> = Mutex::new(None);

impl MetricsLayer {
    /// Registers the HTTP families in `registry` and returns a layer recording into them.
    ///
    /// Errors: a family name already taken in `registry` (for example by another
    /// `MetricsLayer::new` on the same registry: clone the first layer instead), or a clash
    /// with the registry's constant labels (`method`, `endpoint`, `status`, `class`).
    /// Nothing is registered when it fails.
    pub fn new(registry: &Registry) -> Result<Self, Error> {
        Ok(Self::from_families(Families::register(registry)?))
    }

    /// A layer recording into the [default registry](crate::default_registry). The
    /// families are registered by the first call; later calls return layers sharing them.
    pub fn default_registry() -> Result<Self, Error> {
        let mut slot = DEFAULT_FAMILIES
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let families = match &*slot {
            Some(families) => families.clone(),
            None => {
                let families = Families::register(default_registry())?;
                *slot = Some(families.clone());
                families
            }
        };
        Ok(Self::from_families(families))
    }

    fn from_families(families: Families) -> Self {
        Self {
            shared: Arc::new(Shared {
                families,
                excluded: Vec::new(),
                endpoint_fn: None,
            }),
        }
    }

    /// Leaves requests for exactly this path (`/metrics`, `/health`) out of every metric.
    /// Matched against the request's URI path, without the query string. May be called
    /// more than once.
    pub fn exclude_path(mut self, path: impl Into<String>) -> Self {
        Arc::make_mut(&mut self.shared).excluded.push(path.into());
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
    /// Applies to series created from now on, in every layer sharing these families.
    pub fn cardinality_limit(self, limit: usize) -> Self {
        let families = &self.shared.families;
        drop(families.requests.clone().with_cardinality_limit(limit));
        drop(families.failures.clone().with_cardinality_limit(limit));
        drop(families.duration.clone().with_cardinality_limit(limit));
        self
    }
}

impl std::fmt::Debug for MetricsLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsLayer")
            .field("excluded", &self.shared.excluded)
            .field("endpoint_fn", &self.shared.endpoint_fn.is_some())
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
/// request when its response future completes or is dropped.
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
    type Response = S::Response;
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
            };
        }
        let method = HttpMethod::from(req.method());
        let (req, endpoint) = self.shared.endpoint(req);
        let guard = RequestGuard::start(&self.shared, method, endpoint);
        ResponseFuture {
            inner: self.inner.call(req),
            guard: Some(guard),
        }
    }
}

pin_project_lite::pin_project! {
    /// The response future of [`MetricsService`]: the inner future, recorded when it
    /// completes (with its status, or `"error"`) or is dropped first (`"cancelled"`).
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        guard: Option<RequestGuard>,
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
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let result = ready!(this.inner.poll(cx));
        if let Some(mut guard) = this.guard.take() {
            guard.status = match &result {
                Ok(resp) => Status::Code(resp.status()),
                Err(_) => Status::Error,
            };
            drop(guard); // records
        }
        Poll::Ready(result)
    }
}

/// One request in progress: records it when dropped, as `cancelled` unless a status was set.
struct RequestGuard {
    shared: Arc<Shared>,
    method: HttpMethod,
    endpoint: Endpoint,
    status: Status,
    start: Instant,
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
        }
    }
}

impl Drop for RequestGuard {
    fn drop(&mut self) {
        let secs = self.start.elapsed().as_secs_f64();
        let families = &self.shared.families;
        families.in_flight.dec();
        let (method, status) = (self.method, self.status);
        // The endpoint moves from one label set to the next: no copy of the text.
        let route = RouteLabels {
            method,
            endpoint: std::mem::replace(&mut self.endpoint, Endpoint::UNMATCHED),
        };
        families.duration.observe(&route, secs);
        let request = RequestLabels {
            method,
            endpoint: route.endpoint,
            status,
        };
        families.requests.inc(&request);
        if let Some(class) = status.failure_class() {
            families.failures.inc(&FailureLabels {
                method,
                endpoint: request.endpoint,
                status,
                class,
            });
        }
    }
}

/// axum helpers (feature `axum`): `/metrics`, `/health` and `/ready` as routes of your own
/// router, answering as the standalone [exporter](mod@crate::exporter) does.
///
/// ```no_run
/// use std::time::Duration;
/// use axum::{Router, routing::get};
/// use promforge::http::{MetricsLayer, axum::MetricsRoutes};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let registry = promforge::Registry::new();
/// let app = Router::new()
///     .route("/orders/{id}", get(|| async { "an order" }))
///     .merge(
///         MetricsRoutes::new(registry.clone())
///             .readiness_check("database", Duration::from_secs(1), || async {
///                 Ok::<(), std::io::Error>(()) // ping it here
///             })
///             .into_router(),
///     )
///     .layer(MetricsLayer::new(&registry)?.exclude_path("/metrics"));
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
/// axum::serve(listener, app).await?;
/// # Ok(()) }
/// ```
#[cfg(feature = "axum")]
pub mod axum {
    use std::fmt::Display;
    use std::future::Future;
    use std::sync::Arc;
    use std::time::Duration;

    use ::axum::Router;
    use ::axum::body::Body;
    use ::axum::response::Response;
    use ::axum::routing::get;
    use ::http::header::HeaderMap;

    use crate::endpoints::{self, ReadinessCheck};
    use crate::registry::Registry;

    /// Routes serving a registry: `GET`/`HEAD` on the metrics path (default `/metrics`),
    /// `/health` and `/ready`, with the exporter's answers (text format 0.0.4 gzipped when
    /// the client accepts it; `{"status":"healthy","uptime_seconds":…}`; 200 or 503 with
    /// each readiness check's name, status, error and latency). Other methods get 405.
    /// [`without_health`](Self::without_health) and [`without_ready`](Self::without_ready)
    /// leave a route to the application.
    #[must_use = "the routes do nothing until they are turned into a router and served"]
    pub struct MetricsRoutes {
        registry: Registry,
        metrics_path: String,
        checks: Vec<ReadinessCheck>,
        health: bool,
        ready: bool,
        render_timeout: Duration,
    }

    impl std::fmt::Debug for MetricsRoutes {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("MetricsRoutes")
                .field("metrics_path", &self.metrics_path)
                .field("health", &self.health)
                .field("ready", &self.ready)
                .field("render_timeout", &self.render_timeout)
                .field(
                    "checks",
                    &self.checks.iter().map(|c| &c.name).collect::<Vec<_>>(),
                )
                .finish_non_exhaustive()
        }
    }

    /// The three routes for `registry`, with no readiness checks (`/ready` is always 200),
    /// to [`merge`](Router::merge) into an application's router.
    pub fn routes<S>(registry: Registry) -> Router<S>
    where
        S: Clone + Send + Sync + 'static,
    {
        MetricsRoutes::new(registry).into_router()
    }

    impl MetricsRoutes {
        /// Routes serving `registry` (marks the process start for `uptime_seconds`).
        pub fn new(registry: Registry) -> Self {
            crate::service::mark_start();
            Self {
                registry,
                metrics_path: "/metrics".to_owned(),
                checks: Vec::new(),
                health: true,
                ready: true,
                render_timeout: crate::exporter::DEFAULT_REQUEST_TIMEOUT,
            }
        }

        /// How long a scrape waits for the registry's text before it is answered 503 (default
        /// [`DEFAULT_REQUEST_TIMEOUT`](crate::exporter::DEFAULT_REQUEST_TIMEOUT), 30 s) and an
        /// [`Error::Scrape`](crate::Error::Scrape) is reported. Renders run on a blocking
        /// thread, one per registry at a time, shared by the scrapes that arrive meanwhile
        /// (as in the standalone exporter).
        pub fn render_timeout(mut self, timeout: Duration) -> Self {
            self.render_timeout = timeout;
            self
        }

        /// Leaves `/health` out, for an application that answers it itself.
        pub fn without_health(mut self) -> Self {
            self.health = false;
            self
        }

        /// Leaves `/ready` out, for an application that answers it itself (its readiness
        /// checks are then not run).
        pub fn without_ready(mut self) -> Self {
            self.ready = false;
            self
        }

        /// The path metrics are served on (default `/metrics`).
        pub fn metrics_path(mut self, path: impl Into<String>) -> Self {
            self.metrics_path = endpoints::normalize_path(path.into());
            self
        }

        /// Adds a readiness check run by `/ready`: ready when every check returns `Ok`
        /// within its `timeout` (a check that panics or times out is failed).
        pub fn readiness_check<F, Fut, E>(
            mut self,
            name: impl Into<String>,
            timeout: Duration,
            check: F,
        ) -> Self
        where
            F: Fn() -> Fut + Send + Sync + 'static,
            Fut: Future<Output = Result<(), E>> + Send + 'static,
            E: Display,
        {
            self.checks.push(ReadinessCheck::new(name, timeout, check));
            self
        }

        /// The routes as a router (stateless, so it merges into a router of any state).
        pub fn into_router<S>(self) -> Router<S>
        where
            S: Clone + Send + Sync + 'static,
        {
            let metrics_path = self.metrics_path.clone();
            let (health, ready) = (self.health, self.ready);
            let state = Arc::new(self);
            let for_metrics = Arc::clone(&state);
            let mut router = Router::new().route(
                &metrics_path,
                get(move |headers: HeaderMap| async move {
                    let (registry, timeout) = (&for_metrics.registry, for_metrics.render_timeout);
                    to_axum(endpoints::metrics_shared(registry, &headers, timeout).await)
                }),
            );
            if health {
                router = router.route("/health", get(|| async { to_axum(endpoints::health()) }));
            }
            if ready {
                router = router.route(
                    "/ready",
                    get(move || async move { to_axum(endpoints::ready(&state.checks).await) }),
                );
            }
            router
        }
    }

    fn to_axum(resp: ::http::Response<bytes::Bytes>) -> Response {
        resp.map(Body::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_and_statuses() {
        assert_eq!(HttpMethod::from(&::http::Method::GET), HttpMethod::Get);
        assert_eq!(
            HttpMethod::from(&::http::Method::from_bytes(b"PURGE").unwrap_or_default()),
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
    }
}
