//! What `/metrics`, `/health` and `/ready` answer, shared by the standalone exporter and
//! the axum routes: responses with a `Bytes` body that each server wraps in its own body type.

use std::collections::HashMap;
use std::fmt::Display;
use std::future::Future;
use std::io::Write as _;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::FutureExt as _;
use futures_util::future::{BoxFuture, Shared};
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Response, StatusCode};

use crate::encoding::ContentType;
use crate::registry::Registry;

pub(crate) mod negotiate;

/// How long a request may take to be answered (rendering, or running the readiness checks),
/// by the exporter and by the axum routes alike.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

type CheckFuture = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;

/// What the routes serve, however they are served (the exporter's own server or the axum
/// routes): the registry, the metrics path, the readiness checks, and how long one answer
/// may take. Each builder sets these once, here.
pub(crate) struct Settings {
    pub(crate) registry: Registry,
    pub(crate) metrics_path: String,
    pub(crate) checks: Vec<ReadinessCheck>,
    pub(crate) request_timeout: Duration,
}

impl Settings {
    /// The defaults: `/metrics`, no readiness check, [`DEFAULT_REQUEST_TIMEOUT`].
    pub(crate) fn new(registry: Registry) -> Self {
        Self {
            registry,
            metrics_path: "/metrics".to_owned(),
            checks: Vec::new(),
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
        }
    }

    /// Serves metrics on `path` (normalized: a leading `/`).
    pub(crate) fn set_metrics_path(&mut self, path: String) {
        self.metrics_path = normalize_path(path);
    }

    /// The readiness checks' names, for `Debug`.
    pub(crate) fn check_names(&self) -> Vec<&str> {
        self.checks.iter().map(|c| c.name.as_str()).collect()
    }
}

/// One readiness check: a name, a time limit, and the check itself.
pub(crate) struct ReadinessCheck {
    pub(crate) name: String,
    timeout: Duration,
    run: Box<dyn Fn() -> CheckFuture + Send + Sync>,
}

impl ReadinessCheck {
    pub(crate) fn new<F, Fut, E>(name: impl Into<String>, timeout: Duration, check: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: Display,
    {
        Self {
            name: name.into(),
            timeout,
            run: Box::new(move || Box::pin(check().map(|r| r.map_err(|e| e.to_string())))),
        }
    }
}

/// `path` with a leading `/`.
pub(crate) fn normalize_path(path: String) -> String {
    if path.starts_with('/') {
        path
    } else {
        format!("/{path}")
    }
}

/// The format a scrape asked for with its `Accept` header lines (the 0.0.4 text format
/// without one): the one negotiation every `/metrics` endpoint uses.
pub(crate) fn negotiate(headers: &HeaderMap) -> ContentType {
    ContentType::negotiate(
        headers
            .get_all(header::ACCEPT)
            .into_iter()
            .filter_map(|v| v.to_str().ok()),
    )
}

/// A 200 answer carrying `body` (rendered as `content_type`), gzipped when the request
/// accepts it.
fn metrics_response(
    body: Bytes,
    content_type: ContentType,
    headers: &HeaderMap,
) -> Response<Bytes> {
    let mut body = body;
    let mut resp = Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, content_type.header_value())
        .header(header::VARY, "Accept, Accept-Encoding");
    if negotiate::choose_encoding(headers) == negotiate::Coding::Gzip
        && let Some(compressed) = gzip(&body)
    {
        body = Bytes::from(compressed);
        resp = resp.header(header::CONTENT_ENCODING, "gzip");
    }
    resp.body(body)
        .unwrap_or_else(|_| text(StatusCode::INTERNAL_SERVER_ERROR, "error\n"))
}

/// A render in progress, shared by every scrape of its registry that arrives meanwhile.
type SharedRender = Shared<BoxFuture<'static, Result<Bytes, &'static str>>>;

/// Which render: a registry (by [`Registry::id`]) in a format.
type RenderKey = (usize, ContentType);

/// The render in progress for each registry and format, with its generation. An entry
/// lives only while its render runs, and the render holds a clone of its registry, so an
/// id cannot be reused by another registry meanwhile.
static RENDERS: LazyLock<Mutex<HashMap<RenderKey, (u64, SharedRender)>>> =
    LazyLock::new(Mutex::default);
static GENERATION: AtomicU64 = AtomicU64::new(0);

/// Removes the entry of render `generation` of `id`, if it is still there.
fn forget_render(id: RenderKey, generation: u64) {
    let mut renders = RENDERS.lock().unwrap_or_else(PoisonError::into_inner);
    if renders.get(&id).is_some_and(|(g, _)| *g == generation) {
        renders.remove(&id);
    }
}

/// Removes its render's entry when dropped: when the render ends, also by a panic.
struct ForgetOnDrop(RenderKey, u64);

impl Drop for ForgetOnDrop {
    fn drop(&mut self) {
        forget_render(self.0, self.1);
    }
}

/// The render of `registry` in `content_type` in progress, or a new one on a blocking thread.
fn shared_render(registry: &Registry, content_type: ContentType) -> SharedRender {
    let id = (registry.id(), content_type);
    let mut renders = RENDERS.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((_, render)) = renders.get(&id) {
        return render.clone();
    }
    let generation = GENERATION.fetch_add(1, Ordering::Relaxed);
    let registry = registry.clone();
    let handle = tokio::task::spawn_blocking(move || {
        let _forget = ForgetOnDrop(id, generation);
        let mut body = Vec::new();
        registry.render_into_as(&mut body, content_type);
        Bytes::from(body)
    });
    let render = async move {
        let outcome = handle.await.map_err(|e| {
            if e.is_panic() {
                "rendering the registry panicked"
            } else {
                "rendering the registry was cancelled"
            }
        });
        // The blocking task forgets its entry itself; this covers a task that never ran.
        forget_render(id, generation);
        outcome
    }
    .boxed()
    .shared();
    renders.insert(id, (generation, render.clone()));
    render
}

/// `/metrics`: the registry rendered in the format the request's `Accept` negotiates
/// (see [`negotiate`]), on a blocking thread, one render per registry and format at a time
/// (a scrape arriving meanwhile waits for it and shares its text). A scrape that gets no
/// text within `timeout` is answered 503 and logged; the render goes on, and the scrapes
/// that come meanwhile join it instead of piling up.
pub(crate) async fn metrics_shared(
    registry: &Registry,
    headers: &HeaderMap,
    timeout: Duration,
) -> Response<Bytes> {
    let content_type = negotiate(headers);
    match tokio::time::timeout(timeout, shared_render(registry, content_type)).await {
        Ok(Ok(body)) => metrics_response(body, content_type, headers),
        Ok(Err(reason)) => {
            crate::error::report(&crate::error::Error::Scrape {
                reason: reason.to_string(),
            });
            text(
                StatusCode::INTERNAL_SERVER_ERROR,
                "rendering the metrics failed\n",
            )
        }
        Err(_) => {
            crate::error::report(&crate::error::Error::Scrape {
                reason: format!(
                    "cut after {timeout:?}: rendering the registry takes longer (later scrapes \
                     share the render in progress)"
                ),
            });
            text(StatusCode::SERVICE_UNAVAILABLE, "scrape timed out\n")
        }
    }
}

/// `{"status":"healthy","uptime_seconds":…}`.
pub(crate) fn health() -> Response<Bytes> {
    let body = serde_json::json!({
        "status": "healthy",
        "uptime_seconds": crate::service::uptime_seconds(),
    });
    json(StatusCode::OK, &body)
}

/// Runs every check concurrently (each within its time limit; a panic is a failure) and
/// answers 200 when all passed, 503 otherwise, with each check's name, status, error and
/// latency.
pub(crate) async fn ready(checks: &[ReadinessCheck]) -> Response<Bytes> {
    let runs = checks.iter().map(|check| async move {
        let start = Instant::now();
        let outcome = tokio::time::timeout(
            check.timeout,
            AssertUnwindSafe((check.run)()).catch_unwind(),
        )
        .await;
        let latency = start.elapsed().as_secs_f64();
        let (status, error) = match outcome {
            Ok(Ok(Ok(()))) => ("ok", None),
            Ok(Ok(Err(e))) => ("failed", Some(e)),
            Ok(Err(_panic)) => ("failed", Some("the check panicked".to_owned())),
            Err(_) => (
                "timeout",
                Some(format!("no answer within {:?}", check.timeout)),
            ),
        };
        serde_json::json!({
            "name": check.name,
            "status": status,
            "error": error,
            "latency_seconds": latency,
        })
    });
    let results = futures_util::future::join_all(runs).await;
    let ready = results.iter().all(|r| r["status"] == "ok");
    let body = serde_json::json!({
        "status": if ready { "ready" } else { "not_ready" },
        "checks": results,
    });
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    json(status, &body)
}

/// A JSON answer.
pub(crate) fn json(status: StatusCode, body: &serde_json::Value) -> Response<Bytes> {
    let mut resp = Response::new(Bytes::from(body.to_string()));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// A plain-text answer.
pub(crate) fn text(status: StatusCode, body: &'static str) -> Response<Bytes> {
    let mut resp = Response::new(Bytes::from_static(body.as_bytes()));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp
}

fn gzip(body: &[u8]) -> Option<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 4 + 64),
        flate2::Compression::fast(),
    );
    encoder.write_all(body).ok()?;
    encoder.finish().ok()
}
