//! The HTTP exporter: `/metrics`, `/health` and `/ready` on tokio + hyper 1.
//!
//! ```no_run
//! # async fn run() -> Result<(), promforge::Error> {
//! use std::time::Duration;
//!
//! promforge::exporter()
//!     .bind("127.0.0.1:9184")
//!     .readiness_check("database", Duration::from_secs(1), || async {
//!         Ok::<(), std::io::Error>(()) // ping it here
//!     })
//!     .serve()
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! | route | answer |
//! |---|---|
//! | `GET`/`HEAD /metrics` (path configurable) | 200, the text format 0.0.4, gzip when the client accepts it |
//! | `GET /health` | 200 `{"status":"healthy","uptime_seconds":…}` (liveness) |
//! | `GET /ready` | 200 or 503 with every readiness check's name, result and latency |
//! | other paths | 404 |
//! | other methods on the routes above | 405 with `Allow: GET, HEAD` |
//!
//! The exporter binds to loopback unless told otherwise: a metrics endpoint shows a
//! program's internals, so exposing it is a choice to make explicitly.

use std::convert::Infallible;
use std::fmt::Display;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::FutureExt as _;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::Error;
use crate::endpoints::{self, ReadinessCheck};
use crate::registry::{Registry, default_registry};

/// The address the exporter binds to unless told otherwise: loopback, port 9184.
pub const DEFAULT_ADDR: &str = "127.0.0.1:9184";
/// How long a client may take to send a request's headers (also the idle time allowed
/// between two requests on a kept-alive connection, with hyper versions that count it).
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a request may take to be answered (rendering, or running the readiness checks).
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a graceful shutdown waits for requests in progress.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

type ShutdownFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Starts configuring an exporter for the [default registry](crate::default_registry),
/// on [`DEFAULT_ADDR`].
pub fn exporter() -> Exporter {
    Exporter::new(default_registry().clone())
}

/// Configures and runs the HTTP exporter. Made by [`exporter()`] or [`Exporter::new`].
#[must_use = "an exporter does nothing until it is served or started"]
pub struct Exporter {
    registry: Registry,
    addr: String,
    metrics_path: String,
    checks: Vec<ReadinessCheck>,
    header_read_timeout: Duration,
    request_timeout: Duration,
    shutdown_grace: Duration,
    shutdown: Option<ShutdownFuture>,
}

impl std::fmt::Debug for Exporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exporter")
            .field("addr", &self.addr)
            .field("metrics_path", &self.metrics_path)
            .field(
                "checks",
                &self.checks.iter().map(|c| &c.name).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl Exporter {
    /// An exporter serving `registry`.
    pub fn new(registry: Registry) -> Self {
        crate::service::mark_start();
        Self {
            registry,
            addr: DEFAULT_ADDR.to_owned(),
            metrics_path: "/metrics".to_owned(),
            checks: Vec::new(),
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            shutdown_grace: DEFAULT_SHUTDOWN_GRACE,
            shutdown: None,
        }
    }

    /// Serves this registry instead.
    pub fn registry(mut self, registry: Registry) -> Self {
        self.registry = registry;
        self
    }

    /// The address to listen on, such as `127.0.0.1:9184`, `[::1]:0` or `localhost:9184`
    /// (port 0 picks a free port; read it back from [`ExporterHandle::local_addr`]).
    pub fn bind(mut self, addr: impl Into<String>) -> Self {
        self.addr = addr.into();
        self
    }

    /// The path metrics are served on (default `/metrics`).
    pub fn metrics_path(mut self, path: impl Into<String>) -> Self {
        self.metrics_path = endpoints::normalize_path(path.into());
        self
    }

    /// Adds a readiness check, run on every `GET /ready`: `/ready` answers 200 when every
    /// check returns `Ok` within its `timeout`, 503 otherwise. Checks run concurrently.
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

    /// How long a client may take to send its request headers
    /// (default [`DEFAULT_HEADER_READ_TIMEOUT`]).
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    /// How long answering one request may take before the exporter answers 503
    /// (default [`DEFAULT_REQUEST_TIMEOUT`]).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// How long a shutdown waits for requests in progress (default [`DEFAULT_SHUTDOWN_GRACE`]).
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.shutdown_grace = grace;
        self
    }

    /// Stops serving (gracefully) when `signal` completes, for example
    /// `tokio::signal::ctrl_c()`.
    pub fn shutdown_on<F>(mut self, signal: F) -> Self
    where
        F: Future + Send + 'static,
    {
        self.shutdown = Some(Box::pin(signal.map(drop)));
        self
    }

    /// Binds and serves on the current tokio runtime until the [shutdown
    /// signal](Self::shutdown_on) completes (or forever without one).
    pub async fn serve(mut self) -> Result<(), Error> {
        let listener = bind(&self.addr).await?;
        let shutdown = self
            .shutdown
            .take()
            .unwrap_or_else(|| Box::pin(std::future::pending()));
        Server::new(self).run(listener, shutdown).await
    }

    /// Binds, then serves in a task spawned on the current tokio runtime. Bind errors are
    /// returned here; the handle tells the address and stops the server.
    pub async fn start(mut self) -> Result<ExporterHandle, Error> {
        let listener = bind(&self.addr).await?;
        let local_addr = listener.local_addr()?;
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let (done_tx, done_rx) = oneshot::channel();
        let shutdown = self.combined_shutdown(stop_rx);
        let server = Server::new(self);
        tokio::spawn(async move {
            let result = server.run(listener, shutdown).await;
            let _ = done_tx.send(result);
        });
        Ok(ExporterHandle {
            local_addr,
            stop: Some(stop_tx),
            done: done_rx,
        })
    }

    /// Serves from a background thread that owns a small single-threaded tokio runtime:
    /// for programs that have no runtime of their own. Bind errors are returned here.
    /// The server runs until the handle's `shutdown` is called (dropping the handle leaves
    /// it running for the rest of the process).
    pub fn start_background(mut self) -> Result<ExporterHandle, Error> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let listener = runtime.block_on(bind(&self.addr))?;
        let local_addr = listener.local_addr()?;
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let (done_tx, done_rx) = oneshot::channel();
        let shutdown = self.combined_shutdown(stop_rx);
        let server = Server::new(self);
        std::thread::Builder::new()
            .name("promforge-exporter".into())
            .spawn(move || {
                let result = runtime.block_on(server.run(listener, shutdown));
                let _ = done_tx.send(result);
            })?;
        Ok(ExporterHandle {
            local_addr,
            stop: Some(stop_tx),
            done: done_rx,
        })
    }

    fn combined_shutdown(&mut self, stop: oneshot::Receiver<()>) -> ShutdownFuture {
        let user = self.shutdown.take();
        Box::pin(async move {
            match user {
                Some(user) => {
                    tokio::select! {
                        _ = stop => {}
                        () = user => {}
                    }
                }
                None => {
                    // A dropped sender means the handle was dropped: keep serving.
                    if stop.await.is_err() {
                        std::future::pending::<()>().await;
                    }
                }
            }
        })
    }
}

async fn bind(addr: &str) -> Result<TcpListener, Error> {
    TcpListener::bind(addr).await.map_err(|source| Error::Bind {
        addr: addr.to_owned(),
        source,
    })
}

/// A running exporter, from [`Exporter::start`] or [`Exporter::start_background`].
///
/// Dropping the handle leaves the server running; call `shutdown` to stop it.
#[derive(Debug)]
pub struct ExporterHandle {
    local_addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    done: oneshot::Receiver<Result<(), Error>>,
}

impl ExporterHandle {
    /// The address the server listens on (with the real port when bound to port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// `http://<address>` — the base URL of the server.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.local_addr)
    }

    /// Stops accepting connections, lets requests in progress finish (within the shutdown
    /// grace period) and waits for the server to end.
    pub async fn shutdown(mut self) -> Result<(), Error> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.done.await.unwrap_or(Ok(()))
    }

    /// Like [`shutdown`](Self::shutdown), for code that is not async. Called from inside a
    /// tokio runtime it only signals the stop and does not wait (waiting would block the
    /// runtime the server may be running on).
    pub fn shutdown_blocking(mut self) -> Result<(), Error> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if tokio::runtime::Handle::try_current().is_ok() {
            return Ok(());
        }
        self.done.blocking_recv().unwrap_or(Ok(()))
    }
}

/// What every connection task shares.
struct Server {
    registry: Registry,
    metrics_path: String,
    checks: Vec<ReadinessCheck>,
    header_read_timeout: Duration,
    request_timeout: Duration,
    shutdown_grace: Duration,
}

impl Server {
    fn new(exporter: Exporter) -> Arc<Self> {
        Arc::new(Self {
            registry: exporter.registry,
            metrics_path: exporter.metrics_path,
            checks: exporter.checks,
            header_read_timeout: exporter.header_read_timeout,
            request_timeout: exporter.request_timeout,
            shutdown_grace: exporter.shutdown_grace,
        })
    }

    async fn run(
        self: Arc<Self>,
        listener: TcpListener,
        shutdown: ShutdownFuture,
    ) -> Result<(), Error> {
        let graceful = hyper_util::server::graceful::GracefulShutdown::new();
        let mut shutdown = shutdown;
        loop {
            let stream = tokio::select! {
                () = &mut shutdown => break,
                accepted = listener.accept() => match accepted {
                    Ok((stream, _peer)) => stream,
                    Err(_) => {
                        // Out of file descriptors or a connection reset before accept:
                        // back off briefly instead of spinning, and keep serving.
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
            };
            let _ = stream.set_nodelay(true);
            let server = Arc::clone(&self);
            let service = hyper::service::service_fn(move |req| {
                let server = Arc::clone(&server);
                async move { Ok::<_, Infallible>(server.handle(req).await) }
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(self.header_read_timeout)
                .serve_connection(TokioIo::new(stream), service);
            let conn = graceful.watch(conn);
            tokio::spawn(async move {
                // A client that misbehaves or goes away only ends its own connection.
                let _ = conn.await;
            });
        }
        drop(listener);
        let _ = tokio::time::timeout(self.shutdown_grace, graceful.shutdown()).await;
        Ok(())
    }

    async fn handle(&self, req: Request<Incoming>) -> Response<Full<Bytes>> {
        self.answer(req).await.map(Full::new)
    }

    async fn answer(&self, req: Request<Incoming>) -> Response<Bytes> {
        let path = req.uri().path();
        let route = if path == self.metrics_path {
            Route::Metrics
        } else if path == "/health" {
            Route::Health
        } else if path == "/ready" {
            Route::Ready
        } else {
            return endpoints::text(StatusCode::NOT_FOUND, "not found\n");
        };
        if req.method() != Method::GET && req.method() != Method::HEAD {
            let mut resp = endpoints::text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
            resp.headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
            return resp;
        }
        let answer = async {
            match route {
                Route::Metrics => endpoints::metrics(&self.registry, req.headers()),
                Route::Health => endpoints::health(),
                Route::Ready => endpoints::ready(&self.checks).await,
            }
        };
        match tokio::time::timeout(self.request_timeout, answer).await {
            Ok(resp) => resp,
            Err(_) => endpoints::text(StatusCode::SERVICE_UNAVAILABLE, "request timed out\n"),
        }
    }
}

#[derive(Clone, Copy)]
enum Route {
    Metrics,
    Health,
    Ready,
}
