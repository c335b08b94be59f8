//! Origin 002: an **operational API** (`../shared/origin/002_*.txt`, "Story 8.1:
//! Operational Metrics Collection"), re-created with promforge.
//!
//! The origin is a Python FastAPI service (an event API) that added operational metrics
//! with `prometheus_client`: a `MetricsCollector` with the uptime gauge, a starts counter,
//! a request latency histogram (10 ms … 10 s, for p50/p95/p99) and request and failure
//! counters, filled by a hand-written middleware; `/v1/metrics` in the text format; every
//! metric labelled with the service and environment; `/v1/health` (liveness, with
//! `uptime_seconds`) and `/v1/ready` (readiness: database, Redis and event store checks
//! with their latency); and only operational metrics, never the "constitutional" ones.
//!
//! Here that is a registry with constant labels, `service::register_uptime`, the
//! [`MetricsLayer`] on the API's routes, and [`MetricsRoutes`] with one readiness check per
//! dependency; the dependency checks carry `#[instrument_metrics]`, so their latency and
//! failures are metrics too.
//!
//! # Metrics
//!
//! Every series carries the constant labels `service` (default `api`) and `environment`
//! (default `development`); `PROMFORGE_SERVICE` and `PROMFORGE_ENVIRONMENT` override them
//! (the origin's `SERVICE_NAME` and `ENVIRONMENT`).
//!
//! | family | type | labels (besides `service`, `environment`) | origin |
//! |---|---|---|---|
//! | `uptime_seconds` | gauge | — | same |
//! | `service_starts_total` | counter | — | same |
//! | `http_request_duration_seconds` | histogram (0.01 … 10 s, the origin's buckets) | `method`, `endpoint` | same |
//! | `http_requests_total` | counter | `method`, `endpoint`, `status_code` | labels `method`, `endpoint`, `status` |
//! | `http_requests_failed_total` | counter | `method`, `endpoint`, `status_code`, `error_type` | same (and `method`) |
//!
//! Added: `service_start_time_seconds` (gauge; with `register_uptime`, so that restarts can
//! be counted with `changes()`), `http_requests_in_flight` (gauge; from the layer), and from
//! `#[instrument_metrics]` on `check_database`, `check_redis` and `check_event_store`:
//! `function_calls_total{function, module, result, error}`,
//! `function_calls_duration_seconds{function, module}`,
//! `function_calls_concurrent{function, module}`. promforge adds its own
//! `promforge_cardinality_overflow_total{metric}` and `promforge_scrape_errors_total{collector}`
//! (both 0 unless a family outgrows its cardinality limit or a collector fails).
//!
//! # Changes from the origin
//!
//! - The failure counter has the origin's label names, `status_code` and `error_type`
//!   (`client_error` for 4xx, `server_error` for 5xx), set on the layer's builder. One name
//!   per label serves both counters, so `http_requests_total` carries `status_code` too,
//!   where the origin's naming example writes `status`. Both counters also carry `method`.
//! - `endpoint` is always the route template (`/v1/events/{event_id}`), never the raw path;
//!   requests that match no route are `endpoint="unmatched"`.
//! - Scrapes and the health and readiness probes (at the root and under `/v1`) are not
//!   counted in the HTTP metrics, the layer's default for the routes promforge mounts: a
//!   failing `/ready` (503) would otherwise count against the API's error rate. The origin's
//!   naming example shows `endpoint="/v1/health"`; `count_probes(true)` on the layer would
//!   bring it back.
//! - `/metrics`, `/health` and `/ready` are served at the root (where promforge and
//!   Kubernetes probes look) and under `/v1` (the origin's paths). The readiness answer lists
//!   each check's `name`, `status`, `error` and `latency_seconds` (the origin had
//!   `healthy` and `latency_ms`), and the checks are named `database`, `redis` and
//!   `event_store`.
//! - Uptime is for this process only (`service="api"`); the origin's other services
//!   (event-writer, observer, watchdog) register their own.
//!
//! The simulated load: two clients send requests to the API over TCP (reads of known and
//! unknown events, appends, some invalid, a few hitting a failing event store, listings,
//! probes, and a scanner's random paths).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use promforge::http::axum::MetricsRoutes;
use promforge::http::{HttpLabel, MetricsLayer};
use promforge::{Error, LabelValue, Registry, instrument_metrics};
use serde_json::{Value, json};

use crate::Running;

/// The default `service` label (the origin's uptime example: `uptime_seconds{service="api"}`).
const SERVICE: &str = "api";
/// The default `environment` label.
const ENVIRONMENT: &str = "development";

/// The API's registry, set by [`start`]; `#[instrument_metrics(registry = registry())]`
/// names it at every call.
static REGISTRY: OnceLock<Registry> = OnceLock::new();

fn registry() -> &'static Registry {
    // `start` sets it before anything instrumented runs.
    REGISTRY.get_or_init(Registry::new)
}

// ---------------------------------------------------------------------------------------
// Dependencies and their readiness checks (origin: `health_service.py`).

/// Why a dependency check failed (the `error` label of `function_calls_total`).
#[derive(LabelValue, Clone, Copy, Debug, PartialEq, Eq)]
enum DependencyError {
    Unreachable,
}

impl std::fmt::Display for DependencyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("unreachable")
    }
}

/// A simulated dependency: answers a ping after `latency` while it is up.
struct Dependency {
    up: std::sync::atomic::AtomicBool,
    latency: Duration,
}

impl Dependency {
    const fn new(latency: Duration) -> Self {
        Self {
            up: std::sync::atomic::AtomicBool::new(true),
            latency,
        }
    }

    async fn ping(&self) -> Result<(), DependencyError> {
        tokio::time::sleep(self.latency).await;
        if self.up.load(Ordering::Relaxed) {
            Ok(())
        } else {
            Err(DependencyError::Unreachable)
        }
    }
}

/// What `/ready` checks (all up in this simulation: set `up` to false to see a 503).
struct Dependencies {
    database: Dependency,
    redis: Dependency,
    event_store: Dependency,
}

impl Dependencies {
    const fn new() -> Self {
        Self {
            database: Dependency::new(Duration::from_millis(3)),
            redis: Dependency::new(Duration::from_millis(1)),
            event_store: Dependency::new(Duration::from_millis(5)),
        }
    }
}

#[instrument_metrics(registry = registry())]
async fn check_database(deps: Arc<Dependencies>) -> Result<(), DependencyError> {
    deps.database.ping().await
}

#[instrument_metrics(registry = registry())]
async fn check_redis(deps: Arc<Dependencies>) -> Result<(), DependencyError> {
    deps.redis.ping().await
}

#[instrument_metrics(registry = registry())]
async fn check_event_store(deps: Arc<Dependencies>) -> Result<(), DependencyError> {
    deps.event_store.ping().await
}

/// `/metrics`, `/health` and `/ready` (with the three dependency checks) for `registry`.
fn operational_routes(registry: &Registry, deps: &Arc<Dependencies>) -> Router {
    let timeout = Duration::from_secs(1);
    let (db, redis, store) = (Arc::clone(deps), Arc::clone(deps), Arc::clone(deps));
    MetricsRoutes::new(registry.clone())
        .readiness_check("database", timeout, move || check_database(Arc::clone(&db)))
        .readiness_check("redis", timeout, move || check_redis(Arc::clone(&redis)))
        .readiness_check("event_store", timeout, move || {
            check_event_store(Arc::clone(&store))
        })
        .into_router()
}

// ---------------------------------------------------------------------------------------
// The API (simulated): events appended and read back.

#[derive(Default)]
struct EventStore {
    events: Mutex<Vec<Value>>,
    requests: AtomicU64,
}

impl EventStore {
    /// A pseudo-random number for this request (latency, failures).
    fn roll(&self) -> u64 {
        mix(self.requests.fetch_add(1, Ordering::Relaxed))
    }
}

type ApiError = (StatusCode, axum::Json<Value>);

fn api_error(status: StatusCode, detail: &str) -> ApiError {
    (status, axum::Json(json!({ "detail": detail })))
}

/// `GET /v1/events`: the latest events (a slower query).
async fn list_events(State(store): State<Arc<EventStore>>) -> axum::Json<Value> {
    let roll = store.roll();
    tokio::time::sleep(Duration::from_millis(15 + roll % 120)).await;
    let events = store.events.lock().unwrap_or_else(PoisonError::into_inner);
    let latest: Vec<Value> = events.iter().rev().take(20).cloned().collect();
    axum::Json(json!({ "events": latest, "total": events.len() }))
}

/// `GET /v1/events/{event_id}`: one event, or 404.
async fn read_event(
    State(store): State<Arc<EventStore>>,
    Path(event_id): Path<u64>,
) -> Result<axum::Json<Value>, ApiError> {
    let roll = store.roll();
    tokio::time::sleep(Duration::from_millis(1 + roll % 12)).await;
    let events = store.events.lock().unwrap_or_else(PoisonError::into_inner);
    let index = usize::try_from(event_id).unwrap_or(usize::MAX);
    match index.checked_sub(1).and_then(|i| events.get(i)) {
        Some(event) => Ok(axum::Json(event.clone())),
        None => Err(api_error(StatusCode::NOT_FOUND, "event not found")),
    }
}

/// `POST /v1/events`: appends an event (`{"type": "...", "payload": {...}}`); 422 without a
/// type, 500 when the event store fails (5 % here). Malformed JSON is axum's 400.
async fn append_event(
    State(store): State<Arc<EventStore>>,
    axum::Json(body): axum::Json<Value>,
) -> Result<(StatusCode, axum::Json<Value>), ApiError> {
    let roll = store.roll();
    let Some(kind) = body.get("type").and_then(Value::as_str) else {
        return Err(api_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "field `type` is required",
        ));
    };
    tokio::time::sleep(Duration::from_millis(2 + roll % 25)).await;
    if roll % 100 < 5 {
        return Err(api_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "event store unavailable",
        ));
    }
    let mut events = store.events.lock().unwrap_or_else(PoisonError::into_inner);
    let id = events.len() + 1;
    let event = json!({ "id": id, "type": kind, "payload": body.get("payload") });
    events.push(event.clone());
    Ok((StatusCode::CREATED, axum::Json(event)))
}

// ---------------------------------------------------------------------------------------
// Load: clients calling the API over TCP.

/// A client of the API: reads (some of unknown events), appends (some invalid), lists,
/// probes, and now and then a scanner's path.
async fn run_client(addr: SocketAddr, number: u64) {
    let mut n = 0u64;
    loop {
        n += 1;
        let roll = mix(n ^ (number << 60));
        let id = 1 + (roll >> 8) % 60;
        let (method, path, body): (&str, String, &str) = match roll % 100 {
            0..=34 => ("GET", format!("/v1/events/{id}"), ""),
            35..=59 => (
                "POST",
                "/v1/events".to_owned(),
                r#"{"type":"vote.cast","payload":{"seat":7}}"#,
            ),
            60..=63 => ("POST", "/v1/events".to_owned(), r#"{"type":"#),
            64..=67 => ("POST", "/v1/events".to_owned(), r#"{"payload":{}}"#),
            68..=79 => ("GET", "/v1/events".to_owned(), ""),
            80..=84 => ("GET", "/health".to_owned(), ""),
            85..=87 => ("GET", "/v1/health".to_owned(), ""),
            88..=92 => ("GET", "/ready".to_owned(), ""),
            93..=94 => ("GET", "/v1/ready".to_owned(), ""),
            95..=96 => ("GET", "/v1/events/latest".to_owned(), ""),
            _ => ("GET", format!("/wp-login-{id}.php"), ""),
        };
        let request = crate::load::request(
            addr,
            method,
            &path,
            "Content-Type: application/json\r\n",
            body,
        );
        let _ = tokio::time::timeout(Duration::from_secs(5), request).await;
        tokio::time::sleep(Duration::from_millis(2 + (roll >> 32) % 8)).await;
    }
}

/// A 64-bit mix (splitmix64's finalizer): the simulation's randomness.
fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Starts the API on `addr`: a registry with the `service` and `environment` labels,
/// uptime, the HTTP middleware on every route, `/metrics`, `/health` and `/ready` (also
/// under `/v1`), and two clients generating traffic. A second call in one process fails
/// (the metrics are registered).
pub async fn start(addr: String) -> Result<Running, Error> {
    let registry = match REGISTRY.get() {
        Some(registry) => registry.clone(),
        None => {
            let built = Registry::builder()
                .const_label("service", SERVICE)
                .const_label("environment", ENVIRONMENT)
                .labels_from_env()
                .build()?;
            REGISTRY.get_or_init(|| built).clone()
        }
    };
    promforge::service::register_uptime(&registry, SERVICE)?;
    // The origin's label names; scrapes and probes are left out by default.
    let layer = MetricsLayer::builder()
        .label_name(HttpLabel::Status, "status_code")
        .label_name(HttpLabel::Class, "error_type")
        .register(&registry)?;

    let deps = Arc::new(Dependencies::new());
    let api = Router::new()
        .route("/v1/events", get(list_events).post(append_event))
        .route("/v1/events/{event_id}", get(read_event))
        .with_state(Arc::new(EventStore::default()));
    let app = api
        .merge(operational_routes(&registry, &deps))
        .nest("/v1", operational_routes(&registry, &deps))
        // Last: wraps every route above (and counts unrouted requests as "unmatched").
        .layer(layer);

    let (local, shutdown) = crate::serve_axum(&addr, app, "operational_api").await?;

    let clients = [
        tokio::spawn(run_client(local, 0)),
        tokio::spawn(run_client(local, 1)),
    ];
    Ok(Running {
        addr: local,
        registry,
        stop: Box::new(move || {
            for client in &clients {
                client.abort();
            }
            let _ = shutdown.send(()); // connections in progress finish, then it ends
        }),
    })
}
