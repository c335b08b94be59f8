//! axum helpers (feature `axum`): `/metrics`, `/health` and `/ready` as routes of your own
//! router, answering as the standalone [exporter](mod@crate::exporter) does. A
//! [`MetricsLayer`](super::MetricsLayer) leaves them out of its metrics wherever they are mounted (see
//! [`MetricsLayer::count_scrapes`](super::MetricsLayer::count_scrapes) and
//! [`MetricsLayer::count_probes`](super::MetricsLayer::count_probes)).
//!
//! ```no_run
//! use std::time::Duration;
//! use axum::{Router, routing::get};
//! use promforge::http::{MetricsLayer, axum::MetricsRoutes};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let registry = promforge::Registry::new();
//! let app = Router::new()
//!     .route("/orders/{id}", get(|| async { "an order" }))
//!     .merge(
//!         MetricsRoutes::new(registry.clone())
//!             .readiness_check("database", Duration::from_secs(1), || async {
//!                 Ok::<(), std::io::Error>(()) // ping it here
//!             })
//!             .into_router(),
//!     )
//!     .layer(MetricsLayer::new(&registry)?); // scrapes and probes are not counted
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! axum::serve(listener, app).await?;
//! # Ok(()) }
//! ```

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
    settings: endpoints::Settings,
    health: bool,
    ready: bool,
}

impl std::fmt::Debug for MetricsRoutes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsRoutes")
            .field("metrics_path", &self.settings.metrics_path)
            .field("health", &self.health)
            .field("ready", &self.ready)
            .field("render_timeout", &self.settings.request_timeout)
            .field("checks", &self.settings.check_names())
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
            settings: endpoints::Settings::new(registry),
            health: true,
            ready: true,
        }
    }

    /// How long a scrape waits for the registry's text before it is answered 503 (default
    /// [`DEFAULT_REQUEST_TIMEOUT`](crate::exporter::DEFAULT_REQUEST_TIMEOUT), 30 s) and an
    /// [`Error::Scrape`](crate::Error::Scrape) is reported. Renders run on a blocking
    /// thread, one per registry at a time, shared by the scrapes that arrive meanwhile
    /// (as in the standalone exporter).
    pub fn render_timeout(mut self, timeout: Duration) -> Self {
        self.settings.request_timeout = timeout;
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
        self.settings.set_metrics_path(path.into());
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
        self.settings
            .checks
            .push(ReadinessCheck::new(name, timeout, check));
        self
    }

    /// The routes as a router (stateless, so it merges into a router of any state).
    pub fn into_router<S>(self) -> Router<S>
    where
        S: Clone + Send + Sync + 'static,
    {
        let metrics_path = self.settings.metrics_path.clone();
        let (health, ready) = (self.health, self.ready);
        let state = Arc::new(self);
        let for_metrics = Arc::clone(&state);
        let mut router = Router::new().route(
            &metrics_path,
            get(move |headers: HeaderMap| async move {
                super::own_route(super::OWN_SCRAPE).await;
                let settings = &for_metrics.settings;
                to_axum(
                    endpoints::metrics_shared(
                        &settings.registry,
                        &headers,
                        settings.request_timeout,
                    )
                    .await,
                )
            })
            .fallback(not_allowed::<{ super::OWN_SCRAPE }>),
        );
        if health {
            router = router.route(
                "/health",
                get(|| async {
                    super::own_route(super::OWN_PROBE).await;
                    to_axum(endpoints::health())
                })
                .fallback(not_allowed::<{ super::OWN_PROBE }>),
            );
        }
        if ready {
            router = router.route(
                "/ready",
                get(move || async move {
                    super::own_route(super::OWN_PROBE).await;
                    to_axum(endpoints::ready(&state.settings.checks).await)
                })
                .fallback(not_allowed::<{ super::OWN_PROBE }>),
            );
        }
        router
    }
}

/// Another method than `GET`/`HEAD` on one of these routes: 405 (axum adds `Allow`),
/// left out of a layer's metrics as the route itself is.
async fn not_allowed<const KIND: u8>() -> ::http::StatusCode {
    super::own_route(KIND).await;
    ::http::StatusCode::METHOD_NOT_ALLOWED
}

fn to_axum(resp: ::http::Response<bytes::Bytes>) -> Response {
    resp.map(Body::from)
}
