//! Origin 003: the A1Betting backend's "production-grade metrics system" (Python, FastAPI),
//! re-created with promforge.
//!
//! The origin hand-wrote a `UnifiedMetricsCollector`: an `@instrument_route` decorator on
//! six routes, p50/p90/p95/p99 latency over sliding 5-minute windows (reservoir sampling,
//! `METRICS_WINDOW_SIZE_SECONDS=300`), a latency histogram with the buckets
//! `25,50,100,200,350,500,750,1000,1500,2500,5000` ms, cache hit/miss/eviction counters
//! (a hook monkey-patching the cache's `get`/`set`/`delete`), WebSocket connection and
//! message counts, an event-loop lag sampler (every second, average and p95), a hand-made
//! Prometheus exposition on `/metrics`, and the same numbers in the `/health` JSON.
//!
//! Here each piece is one promforge tool: `#[instrument_metrics]` on the route handlers and
//! on the cache's methods, `#[derive(MetricsGroup)]` structs for the cache and WebSocket
//! counters, the tokio runtime collector for the event-loop lag, [`MetricsLayer`] for HTTP
//! metrics and [`MetricsRoutes`] for `/metrics` and `/ready`, and a [`NativeHistogram`] of
//! every request's latency (`request_latency_seconds`) for the percentiles: exponential
//! buckets with no boundaries to choose, so p50 … p99 are known within 9 % whatever the
//! latencies are (the `/health` JSON reads them from it).
//!
//! # PromQL
//!
//! A Prometheus started with `--enable-feature=native-histograms` scrapes the native buckets
//! (in the protobuf format, which it asks for first), and the origin's numbers over its
//! 5-minute window are:
//!
//! ```text
//! histogram_quantile(0.99, rate(request_latency_seconds[5m]))     # p99_latency_ms / 1000
//! histogram_quantile(0.5, rate(request_latency_seconds[5m]))      # p50 (0.9, 0.95 alike)
//! histogram_count(rate(request_latency_seconds[5m]))              # requests per second
//! histogram_sum(rate(request_latency_seconds[5m]))
//!   / histogram_count(rate(request_latency_seconds[5m]))          # avg_latency_ms / 1000
//! ```
//!
//! Without that flag (and for `promtool`, `curl`), the same family is a classic histogram
//! with the usual 5 ms … 10 s buckets.
//!
//! # Metrics
//!
//! The origin names its numbers only as keys of its JSON data model (it gives no
//! Prometheus names). Every key is still served under its own name by `GET /health`; the
//! Prometheus families carrying them follow the conventions `promtool check metrics`
//! enforces (base unit seconds instead of `_ms`, `_total` on counters):
//!
//! | origin key (`/health`) | family | type | labels |
//! |---|---|---|---|
//! | `p50_latency_ms` … `p99_latency_ms` | `request_latency_seconds` (`histogram_quantile` over its native buckets) | native histogram | — |
//! | `total_requests`, `avg_latency_ms` | `request_latency_seconds` (`histogram_count`, `histogram_sum`) | (native histogram) | — |
//! | `error_rate` | `route_calls_total` (`result="error"` over all) | counter | `function`, `module`, `result`, `error` |
//! | `latency_histogram` | `route_duration_seconds` (the origin's buckets, in seconds) | histogram | `function`, `module` |
//! | (requests in progress) | `route_in_flight` | gauge | `function`, `module` |
//! | `cache.hits` / `misses` / `evictions` | `cache_hits_total`, `cache_misses_total`, `cache_evictions_total` | counter | — |
//! | `cache.hit_rate` | derived: `hits / (hits + misses)` | — | — |
//! | (the cache hook's wrapped `get`/`set`/`delete`) | `function_calls_total`, `function_calls_duration_seconds`, `function_calls_concurrent` | counter, histogram, gauge | `function`, `module` (+ `result`, `error`) |
//! | `event_loop.avg_lag_ms`, `p95_lag_ms` | `tokio_event_loop_lag_seconds` (probe every second) | histogram | — |
//! | `event_loop.monitoring_active` | `/health` only (true while the probe runs) | — | — |
//! | — | `tokio_workers`, `tokio_alive_tasks`, `tokio_global_queue_depth` | gauge | — |
//! | `websocket.open_connections_estimate` | `websocket_open_connections` | gauge | — |
//! | `websocket.messages_sent` | `websocket_messages_sent_total` | counter | — |
//! | (FastAPI request metrics) | `http_requests_total`, `http_requests_failed_total`, `http_request_duration_seconds`, `http_requests_in_flight` | counter, counter, histogram, gauge | `method`, `endpoint`, `status` (+ `class`) |
//! | — (the registry's own) | `promforge_cardinality_overflow_total`, `promforge_scrape_errors_total` | counter | `metric`; `collector` |
//!
//! Changes from the origin, and why:
//! - milliseconds became seconds (`promtool`: "metric names should not contain abbreviated
//!   units", and seconds are the base unit); the JSON keeps the origin's `_ms` values.
//! - `error_rate`, `hit_rate` and averages are not exported as gauges: they are ratios of
//!   counters, computed by PromQL (`rate(a) / rate(b)`) or by `/health`.
//! - The percentiles are estimated from a native histogram (within its 9 % bucket factor,
//!   whatever the latencies) over every request since the start, instead of a 10,000-sample
//!   reservoir over 5 minutes: `/health` reads the histogram Prometheus scrapes, and a
//!   5-minute window is PromQL's
//!   `histogram_quantile(0.99, rate(request_latency_seconds[5m]))`.
//! - WebSocket clients are simulated in-process (the example has no WebSocket server).
//! - `/health` carries every key of the origin's data model in one document (the origin
//!   also had `/health/extended`, `/diagnostics/…` and `/internal/metrics`, left out).
//!   The percentiles, cache and WebSocket numbers come from the metric handles; `error_rate`,
//!   `latency_histogram` and the event-loop numbers are read back from the registry's
//!   exposition, because promforge hands out no handle to the families of instrumented
//!   functions or of the lag probe.
//!
//! # Synthetic latency
//!
//! `GET /todays-games` waits 55–70 ms for a (simulated) odds provider on every call, so
//! `histogram_quantile(0.99, route_duration_seconds_bucket{function="Routes::todays_games"})` lands
//! in the bucket `le="0.1"` (0.05 s < p99 ≤ 0.1 s); so does the layer's
//! `http_request_duration_seconds_bucket{endpoint="/todays-games"}`.
//!
//! # Routes
//!
//! `/version`, `/status`, `/model/{model_name}/health`, `/circuit-breaker/ollama`,
//! `/system`, `/todays-games` (instrumented, as in the origin), `/health` (the origin's
//! JSON), `/metrics`, `/ready`.

use crate::load::{random_below, sleep_ms};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use promforge::http::MetricsLayer;
use promforge::http::axum::MetricsRoutes;
use promforge::{Counter, Error, Gauge, LabelValue, MetricsGroup, NativeHistogram, Registry};
use promforge::{instrument_metrics, tokio_runtime};
use serde_json::{Map, Value, json};
use tokio::task::JoinHandle;

/// The example's registry. `#[instrument_metrics(registry = REGISTRY)]` needs it at every
/// call, so it is a `static`; [`start`] registers everything else in it (a second `start`
/// in one process fails with "already registered").
static REGISTRY: LazyLock<Registry> = LazyLock::new(Registry::new);

/// How often the event-loop probe samples (the origin's lag monitor: every second).
pub const LAG_INTERVAL: Duration = Duration::from_secs(1);

/// The cache hook's counters (origin: `cache.hits`, `cache.misses`, `cache.evictions`).
#[derive(MetricsGroup)]
#[metrics(prefix = "cache")]
struct CacheMetrics {
    /// Cache lookups that found a live entry.
    hits: Counter,
    /// Cache lookups that found no entry, or an expired one.
    misses: Counter,
    /// Cache entries dropped: expired, or pushed out by a newer one when the cache is full.
    evictions: Counter,
}

/// The WebSocket wrapper's numbers (origin: `websocket.open_connections_estimate`,
/// `websocket.messages_sent`).
#[derive(MetricsGroup)]
#[metrics(prefix = "websocket")]
struct WebSocketMetrics {
    /// WebSocket connections open now.
    open_connections: Gauge,
    /// WebSocket messages sent to clients.
    messages_sent: Counter,
}

/// What the handlers share.
struct App {
    /// Every request's latency (`request_latency_seconds`, a native histogram):
    /// p50/p90/p95/p99 for `/health`.
    latency: NativeHistogram,
    cache: Cache,
    websocket: WebSocketMetrics,
    /// Whether the event-loop probe runs (`event_loop.monitoring_active`).
    lag_monitoring: AtomicBool,
}

/// An in-memory cache with a capacity and a time to live, its operations instrumented (the
/// origin's `CacheMetricsHook` wrapped `get`, `set` and `delete` of its cache services).
struct Cache {
    entries: Mutex<HashMap<String, (Value, Instant)>>,
    capacity: usize,
    ttl: Duration,
    metrics: CacheMetrics,
}

impl Cache {
    fn new(capacity: usize, ttl: Duration, metrics: CacheMetrics) -> Self {
        Self {
            entries: Mutex::new(HashMap::with_capacity(capacity + 1)),
            capacity,
            ttl,
            metrics,
        }
    }
}

#[instrument_metrics(registry = REGISTRY)]
impl Cache {
    /// The live value under `key`: a hit, or a miss (an expired entry is evicted).
    fn get(&self, key: &str) -> Option<Value> {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let found = match entries.get(key) {
            Some((value, stored)) if stored.elapsed() < self.ttl => Some(value.clone()),
            Some(_) => {
                entries.remove(key);
                self.metrics.evictions.inc();
                None
            }
            None => None,
        };
        match found {
            Some(_) => self.metrics.hits.inc(),
            None => self.metrics.misses.inc(),
        }
        found
    }

    /// Stores `value`; when the cache is full, the oldest entry is evicted.
    fn set(&self, key: &str, value: Value) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.insert(key.to_owned(), (value, Instant::now()));
        if entries.len() > self.capacity {
            let oldest = entries
                .iter()
                .min_by_key(|(_, (_, stored))| *stored)
                .map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                entries.remove(&oldest);
                self.metrics.evictions.inc();
            }
        }
    }

    /// Drops the entry under `key`; whether there was one.
    fn delete(&self, key: &str) -> bool {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.remove(key).is_some()
    }
}

/// A WebSocket connection, counted while it is open (the origin's `InstrumentedWebSocket`).
struct InstrumentedWebSocket {
    app: Arc<App>,
}

impl InstrumentedWebSocket {
    fn accept(app: Arc<App>) -> Self {
        app.websocket.open_connections.inc();
        Self { app }
    }

    fn send(&self, _message: &str) {
        self.app.websocket.messages_sent.inc();
    }
}

impl Drop for InstrumentedWebSocket {
    fn drop(&mut self) {
        self.app.websocket.open_connections.dec();
    }
}

/// Why a route failed: the `error` label of `route_calls_total` (`model_not_found`,
/// `model_unavailable`) and the HTTP answer.
#[derive(LabelValue, Clone, Copy, Debug)]
enum ApiError {
    ModelNotFound,
    ModelUnavailable,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match self {
            ApiError::ModelNotFound => StatusCode::NOT_FOUND,
            ApiError::ModelUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        };
        (status, Json(json!({ "error": self.label_value() }))).into_response()
    }
}

/// The models `/model/{model_name}/health` knows.
const MODELS: &[&str] = &["llama3", "mistral", "mlb-props-v2"];

/// The instrumented routes (origin: `@instrument_route` on each). Every method records in
/// `route_calls_total`, `route_duration_seconds` (the origin's histogram buckets) and
/// `route_in_flight`, with `function` = the method's name.
struct Routes;

#[instrument_metrics(
    registry = REGISTRY,
    name = "route",
    buckets = [0.025, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0, 1.5, 2.5, 5.0]
)]
impl Routes {
    async fn version() -> Json<Value> {
        Json(json!({ "version": env!("CARGO_PKG_VERSION"), "service": "a1betting-backend" }))
    }

    async fn status(State(app): State<Arc<App>>) -> Json<Value> {
        sleep_ms(1, 4).await;
        Json(json!({
            "status": "ok",
            "websocket_connections": app.websocket.open_connections.get(),
        }))
    }

    async fn model_health(Path(model_name): Path<String>) -> Result<Json<Value>, ApiError> {
        if !MODELS.contains(&model_name.as_str()) {
            return Err(ApiError::ModelNotFound);
        }
        sleep_ms(5, 30).await; // asks the model server
        if model_name == "mistral" && random_below(8) == 0 {
            return Err(ApiError::ModelUnavailable);
        }
        Ok(Json(json!({ "model": model_name, "status": "healthy" })))
    }

    async fn circuit_breaker_ollama() -> Json<Value> {
        Json(json!({ "name": "ollama", "state": "closed", "failures": 0 }))
    }

    async fn system() -> Json<Value> {
        sleep_ms(10, 20).await; // gathers host details
        Json(json!({ "python": "3.12", "workers": 4 }))
    }

    /// Every call waits 55–70 ms for the odds provider: the synthetic latency.
    async fn todays_games(State(app): State<Arc<App>>) -> Json<Value> {
        let games = match app.cache.get("mlb:todays_games") {
            Some(games) => games,
            None => {
                let games = json!(["NYY @ BOS", "LAD @ SF", "CHC @ STL"]);
                app.cache.set("mlb:todays_games", games.clone());
                games
            }
        };
        sleep_ms(55, 70).await;
        Json(json!({ "games": games }))
    }
}

/// `GET /health`: the origin's health JSON, with the percentiles read from the native
/// histogram of request latencies.
async fn health(State(app): State<Arc<App>>) -> Json<Value> {
    Json(app.health())
}

impl App {
    fn health(&self) -> Value {
        let ms = |seconds: f64| seconds.is_finite().then_some(seconds * 1000.0);
        let mut body = json!({
            "status": "healthy",
            "total_requests": self.latency.count(),
            "avg_latency_ms": ms(self.latency.sum() / self.latency.count() as f64),
        });
        for q in [0.5, 0.9, 0.95, 0.99] {
            let value = self.latency.estimate_quantile(q).and_then(ms);
            body[format!("p{}_latency_ms", (q * 100.0).round())] = json!(value);
        }

        // Families promforge keeps inside (instrumented routes, the lag probe) are read
        // back from the exposition.
        let text = REGISTRY.render();
        let calls: f64 = samples(&text, "route_calls_total").map(|(_, v)| v).sum();
        let errors: f64 = samples(&text, "route_calls_total")
            .filter(|(labels, _)| label(labels, "result") == Some("error"))
            .map(|(_, v)| v)
            .sum();
        body["error_rate"] = json!(if calls > 0.0 { errors / calls } else { 0.0 });
        let mut histogram = Map::new();
        for (le, count) in buckets(&text, "route_duration_seconds_bucket") {
            let key = if le.is_finite() {
                format!("{}", (le * 1000.0).round())
            } else {
                "+Inf".to_owned()
            };
            histogram.insert(key, json!(count as u64));
        }
        body["latency_histogram"] = Value::Object(histogram);

        let hits = self.cache.metrics.hits.get();
        let misses = self.cache.metrics.misses.get();
        let lookups = hits + misses;
        body["cache"] = json!({
            "hits": hits,
            "misses": misses,
            "evictions": self.cache.metrics.evictions.get(),
            "hit_rate": if lookups > 0 { hits as f64 / lookups as f64 } else { 0.0 },
        });

        let lag = buckets(&text, "tokio_event_loop_lag_seconds_bucket");
        let lag_sum: f64 = samples(&text, "tokio_event_loop_lag_seconds_sum")
            .map(|(_, v)| v)
            .sum();
        let lag_count = lag.last().map_or(0.0, |(_, c)| *c);
        body["event_loop"] = json!({
            "avg_lag_ms": ms(lag_sum / lag_count),
            "p95_lag_ms": bucket_quantile(0.95, &lag).and_then(ms),
            "monitoring_active": self.lag_monitoring.load(Ordering::Relaxed),
        });

        body["websocket"] = json!({
            "open_connections_estimate": self.websocket.open_connections.get(),
            "messages_sent": self.websocket.messages_sent.get(),
        });
        body
    }
}

/// The samples named `name` in an exposition: (labels as written, value).
fn samples<'t>(text: &'t str, name: &'t str) -> impl Iterator<Item = (&'t str, f64)> + 't {
    text.lines().filter_map(move |line| {
        let rest = line.strip_prefix(name)?;
        let (labels, value) = match rest.strip_prefix('{') {
            Some(rest) => rest.rsplit_once("} ")?,
            None => ("", rest.strip_prefix(' ')?),
        };
        Some((labels, value.trim().parse().ok()?))
    })
}

/// The value of label `name` in labels as written (`a="x",b="y"`; no escapes needed here).
fn label<'t>(labels: &'t str, name: &str) -> Option<&'t str> {
    labels.split("\",").find_map(|pair| {
        let value = pair.strip_prefix(name)?.strip_prefix("=\"")?;
        Some(value.strip_suffix('"').unwrap_or(value))
    })
}

/// A histogram's cumulative buckets (upper bound, count), summed over its series.
fn buckets(text: &str, bucket_name: &str) -> Vec<(f64, f64)> {
    let mut out: Vec<(f64, f64)> = Vec::new();
    for (labels, count) in samples(text, bucket_name) {
        let Some(le) = label(labels, "le").and_then(|le| le.parse::<f64>().ok()) else {
            continue;
        };
        match out.iter_mut().find(|(bound, _)| *bound == le) {
            Some((_, total)) => *total += count,
            None => out.push((le, count)),
        }
    }
    out.sort_by(|a, b| a.0.total_cmp(&b.0));
    out
}

/// Quantile `q` of cumulative buckets, interpolated as PromQL's `histogram_quantile`
/// (and `Histogram::estimate_quantile`) do.
fn bucket_quantile(q: f64, buckets: &[(f64, f64)]) -> Option<f64> {
    let total = buckets.last()?.1;
    if total <= 0.0 {
        return None;
    }
    let rank = q * total;
    let i = buckets.iter().position(|(_, c)| *c >= rank)?;
    let (upper, count) = buckets[i];
    let (lower, below) = if i == 0 { (0.0, 0.0) } else { buckets[i - 1] };
    if !upper.is_finite() {
        return Some(lower);
    }
    if count <= below {
        return Some(upper);
    }
    Some(lower + (upper - lower) * (rank - below) / (count - below))
}

/// Starts the service on `addr`: its routes, `/health`, `/metrics`, `/ready`, and load
/// generators (HTTP clients on its routes, cache traffic, WebSocket clients).
pub async fn start(addr: String) -> Result<crate::Running, Error> {
    let registry: &Registry = &REGISTRY;
    let cache = Cache::new(
        32,
        Duration::from_secs(2),
        CacheMetrics::register(registry)?,
    );
    let websocket = WebSocketMetrics::register(registry)?;
    // `/metrics` and `/ready` (promforge's) are left out by default; `/health` is the app's.
    let layer = MetricsLayer::new(registry)?.exclude_path("/health");
    let probe =
        tokio_runtime::register(registry, &tokio::runtime::Handle::current(), LAG_INTERVAL)?;
    let latency = NativeHistogram::new();
    registry.register(
        "request_latency_seconds",
        "Latency of every request (a native histogram: p50 … p99 within 9 %).",
        latency.clone(),
    )?;
    let app = Arc::new(App {
        latency: latency.clone(),
        cache,
        websocket,
        lag_monitoring: AtomicBool::new(true),
    });

    let router = Router::new()
        .route("/version", get(Routes::version))
        .route("/status", get(Routes::status))
        .route("/model/{model_name}/health", get(Routes::model_health))
        .route(
            "/circuit-breaker/ollama",
            get(Routes::circuit_breaker_ollama),
        )
        .route("/system", get(Routes::system))
        .route("/todays-games", get(Routes::todays_games))
        // Every route above (not `/health`, not `/metrics`) times its requests.
        .route_layer(axum::middleware::from_fn(
            move |request: axum::extract::Request, next: axum::middleware::Next| {
                let latency = latency.clone();
                async move {
                    let start = Instant::now();
                    let response = next.run(request).await;
                    latency.observe_since(start);
                    response
                }
            },
        ))
        .route("/health", get(health))
        .with_state(Arc::clone(&app))
        // This app answers `/health` itself (with its percentiles): the metrics routes
        // bring `/metrics` and `/ready` only.
        .merge(
            MetricsRoutes::new(registry.clone())
                .without_health()
                .into_router::<()>(),
        )
        .layer(layer);

    let (local, shutdown) = crate::serve_axum(&addr, router, "latency_percentiles").await?;

    let tasks: Vec<JoinHandle<()>> = vec![
        tokio::spawn(http_clients(local)),
        tokio::spawn(http_clients(local)),
        tokio::spawn(cache_traffic(Arc::clone(&app))),
        tokio::spawn(websocket_clients(Arc::clone(&app))),
    ];
    let stop = Box::new(move || {
        app.lag_monitoring.store(false, Ordering::Relaxed);
        probe.stop();
        for task in tasks {
            task.abort();
        }
        let _ = shutdown.send(());
    });
    Ok(crate::Running {
        addr: local,
        registry: registry.clone(),
        stop,
    })
}

/// Calls the routes as the frontend does, one request after another.
async fn http_clients(addr: SocketAddr) {
    const PATHS: &[&str] = &[
        "/todays-games",
        "/todays-games",
        "/todays-games",
        "/status",
        "/version",
        "/system",
        "/circuit-breaker/ollama",
        "/model/llama3/health",
        "/model/mistral/health",
        "/model/mlb-props-v2/health",
        "/model/gpt-5/health",
    ];
    loop {
        let path = PATHS[random_below(PATHS.len() as u64) as usize];
        let _ = tokio::time::timeout(
            Duration::from_secs(5),
            crate::load::request(addr, "GET", path, "", ""),
        )
        .await;
        sleep_ms(5, 25).await;
    }
}

/// Odds lookups through the cache: hits, misses, and evictions (64 keys, 32 places).
async fn cache_traffic(app: Arc<App>) {
    loop {
        let key = format!("odds:{}", random_below(64));
        if app.cache.get(&key).is_none() {
            app.cache.set(&key, json!({ "line": random_below(200) }));
        }
        if random_below(20) == 0 {
            app.cache.delete(&key);
        }
        sleep_ms(5, 15).await;
    }
}

/// Live-odds subscribers: connections come and go, each gets the broadcasts.
async fn websocket_clients(app: Arc<App>) {
    let mut connections: Vec<InstrumentedWebSocket> = Vec::new();
    loop {
        if connections.len() < 25 && random_below(3) == 0 {
            connections.push(InstrumentedWebSocket::accept(Arc::clone(&app)));
        }
        if !connections.is_empty() && random_below(5) == 0 {
            connections.swap_remove(random_below(connections.len() as u64) as usize);
        }
        for connection in &connections {
            connection.send("{\"type\":\"odds_update\"}");
        }
        sleep_ms(50, 150).await;
    }
}
