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
//!
//! ## Access control and TLS
//!
//! [`Access`] restricts a route to HTTP Basic auth users (plain, bcrypt or Argon2
//! [`Password`]s), bearer tokens and/or client networks: [`Exporter::access`] sets it for
//! every route, [`Exporter::route_access`] for one (`/health` often stays open for probes).
//! Missing or wrong credentials get `401` with a `WWW-Authenticate` challenge; a client
//! outside the allowed networks gets `403`. With the feature `tls`, `Exporter::tls` serves
//! HTTPS from PEM files (`TlsConfig`), optionally requiring client certificates.
//!
//! ```no_run
//! # async fn run() -> Result<(), promforge::Error> {
//! use promforge::exporter::{Access, Password, Route};
//!
//! promforge::exporter()
//!     .bind("10.0.0.5:9184")
//!     .access(Access::open().basic_auth("prometheus", Password::hashed("$2y$10$…")))
//!     .route_access(Route::Health, Access::open())
//!     .serve()
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! ## Limits
//!
//! | limit | default | builder method |
//! |---|---|---|
//! | connections being answered at once (a request read, its answer not yet written; more wait, pending) | [`DEFAULT_MAX_CONNECTIONS`] (256) | [`max_connections`](Exporter::max_connections) |
//! | connections open and not being answered (TLS handshake, request head on its way, idle between requests, waiting to be answered); past it the oldest of them is closed | [`DEFAULT_MAX_PENDING_CONNECTIONS`] (1024) | [`max_pending_connections`](Exporter::max_pending_connections) |
//! | size of a request's line and headers (`431` past it) | [`DEFAULT_MAX_HEADER_BYTES`] (16 KiB) | [`max_header_bytes`](Exporter::max_header_bytes) |
//! | time to send the request headers (counted from accept, TLS handshake included, never extended by bytes trickling in), or idle between requests | [`DEFAULT_HEADER_READ_TIMEOUT`] (10 s) | [`header_read_timeout`](Exporter::header_read_timeout) |
//! | time to answer (render, checks; `503` past it, logged) | [`DEFAULT_REQUEST_TIMEOUT`] (30 s) | [`request_timeout`](Exporter::request_timeout) |
//! | time to write one answer to the client (the connection is closed past it) | [`DEFAULT_WRITE_TIMEOUT`] (10 s) | [`write_timeout`](Exporter::write_timeout) |
//!
//! Connections are accepted as they arrive, so a flood of slow or idle clients cannot keep a
//! scraper in the listen backlog: it only pushes the oldest of them out. Shed connections are
//! reported through the [error handler](crate::set_error_handler)
//! ([`Error::ConnectionsShed`], at most one line every 10 s). `SECURITY.md` in the
//! repository lists what the exporter defends against.
//!
//! The registry is rendered on a blocking thread, one render per registry at a time: scrapes
//! that arrive while a render runs wait for it and share its text, so a slow collector
//! cannot make renders pile up.

mod access;
mod io;
mod slots;
mod strict;
#[cfg(feature = "tls")]
mod tls;

use std::convert::Infallible;
use std::fmt::Display;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::FutureExt as _;
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::Watcher;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::{Semaphore, oneshot};

pub use self::access::{Access, DEFAULT_REALM, MAX_WAITING_FOR_HASH, Password};
#[cfg(feature = "tls")]
#[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
pub use self::tls::TlsConfig;
use crate::endpoints::{self, ReadinessCheck};
use crate::error::Error;
use crate::registry::{Registry, default_registry};
use access::{Guard, IpNet, Verdict};

/// The address the exporter binds to unless told otherwise: loopback, port 9184.
pub const DEFAULT_ADDR: &str = "127.0.0.1:9184";
/// How long a client may take to send a request's headers; also the idle time allowed
/// between two requests on a kept-alive connection, and the time allowed for a TLS handshake.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
pub use crate::endpoints::DEFAULT_REQUEST_TIMEOUT;
/// How long writing one answer to a client may take before the connection is closed.
pub const DEFAULT_WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a graceful shutdown waits for requests in progress.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// How many connections are answered at once (a request read, its answer not yet written);
/// further requests wait, their connections pending.
pub const DEFAULT_MAX_CONNECTIONS: usize = 256;
/// How many connections may be open without being answered: in their TLS handshake,
/// sending a request head, idle between two requests, or waiting to be answered. When one
/// more arrives, the oldest of them is closed.
pub const DEFAULT_MAX_PENDING_CONNECTIONS: usize = 1024;
/// The largest request line plus headers accepted, in bytes; larger requests get `431`.
pub const DEFAULT_MAX_HEADER_BYTES: usize = 16 * 1024;
/// The smallest read buffer hyper accepts; header limits below it are enforced once the
/// headers are complete.
const MIN_READ_BUFFER: usize = 8 * 1024;

type ShutdownFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Starts configuring an exporter for the [default registry](crate::default_registry),
/// on [`DEFAULT_ADDR`].
pub fn exporter() -> Exporter {
    Exporter::new(default_registry().clone())
}

/// Configures and runs the HTTP exporter. Made by [`exporter()`] or [`Exporter::new`].
#[must_use = "an exporter does nothing until it is served or started"]
pub struct Exporter {
    settings: endpoints::Settings,
    addr: String,
    limits: Limits,
    access: Access,
    route_access: Vec<(Route, Access)>,
    #[cfg(feature = "tls")]
    tls: Option<TlsConfig>,
    shutdown: Option<ShutdownFuture>,
}

impl std::fmt::Debug for Exporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("Exporter");
        d.field("addr", &self.addr)
            .field("metrics_path", &self.settings.metrics_path)
            .field("checks", &self.settings.check_names())
            .field("access", &self.access)
            .field("route_access", &self.route_access)
            .field("max_connections", &self.limits.max_connections)
            .field(
                "max_pending_connections",
                &self.limits.max_pending_connections,
            )
            .field("max_header_bytes", &self.limits.max_header_bytes);
        #[cfg(feature = "tls")]
        d.field("tls", &self.tls);
        d.finish_non_exhaustive()
    }
}

/// The connection limits and timeouts of the exporter's server, set once by the
/// [`Exporter`]'s builder methods and read by every connection (the time an answer may
/// take is [`endpoints::Settings::request_timeout`], shared with the axum routes).
#[derive(Debug, Clone, Copy)]
struct Limits {
    header_read_timeout: Duration,
    write_timeout: Duration,
    shutdown_grace: Duration,
    max_connections: usize,
    max_pending_connections: usize,
    max_header_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            write_timeout: DEFAULT_WRITE_TIMEOUT,
            shutdown_grace: DEFAULT_SHUTDOWN_GRACE,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_pending_connections: DEFAULT_MAX_PENDING_CONNECTIONS,
            max_header_bytes: DEFAULT_MAX_HEADER_BYTES,
        }
    }
}

/// A route of the exporter, for [`Exporter::route_access`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Route {
    /// The metrics path (`/metrics` unless [changed](Exporter::metrics_path)).
    Metrics,
    /// `/health`.
    Health,
    /// `/ready`.
    Ready,
}

impl Route {
    const ALL: [Route; 3] = [Route::Metrics, Route::Health, Route::Ready];

    fn index(self) -> usize {
        match self {
            Route::Metrics => 0,
            Route::Health => 1,
            Route::Ready => 2,
        }
    }
}

impl Exporter {
    /// An exporter serving `registry`.
    pub fn new(registry: Registry) -> Self {
        crate::service::mark_start();
        Self {
            settings: endpoints::Settings::new(registry),
            addr: DEFAULT_ADDR.to_owned(),
            limits: Limits::default(),
            access: Access::open(),
            route_access: Vec::new(),
            #[cfg(feature = "tls")]
            tls: None,
            shutdown: None,
        }
    }

    /// Serves this registry instead.
    pub fn registry(mut self, registry: Registry) -> Self {
        self.settings.registry = registry;
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
        self.settings.set_metrics_path(path.into());
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
        self.settings
            .checks
            .push(ReadinessCheck::new(name, timeout, check));
        self
    }

    /// How long a client may take to send its request headers, to finish the TLS handshake,
    /// or may stay idle between two requests (default [`DEFAULT_HEADER_READ_TIMEOUT`]). For
    /// a new connection it counts from accept, TLS handshake included. A client that sends
    /// its headers a byte at a time is cut off when it runs out: bytes arriving do not
    /// extend it.
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.limits.header_read_timeout = timeout;
        self
    }

    /// How long answering one request may take before the exporter answers 503
    /// (default [`DEFAULT_REQUEST_TIMEOUT`]). A scrape cut this way is reported to the [error handler](crate::set_error_handler) (stderr by default); the
    /// render it waited for goes on, and scrapes arriving meanwhile share it.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.settings.request_timeout = timeout;
        self
    }

    /// How long writing one answer to a client may take before the connection is closed
    /// (default [`DEFAULT_WRITE_TIMEOUT`]): a client that stops reading cannot hold a
    /// connection.
    pub fn write_timeout(mut self, timeout: Duration) -> Self {
        self.limits.write_timeout = timeout;
        self
    }

    /// How many connections are answered at once (default [`DEFAULT_MAX_CONNECTIONS`]; at
    /// least 1): from a complete request head until its answer is written. A request read
    /// while all are busy waits for one, its connection counted as pending.
    pub fn max_connections(mut self, max: usize) -> Self {
        self.limits.max_connections = max.max(1);
        self
    }

    /// How many connections may be open without being answered (default
    /// [`DEFAULT_MAX_PENDING_CONNECTIONS`]; at least 1): in their TLS handshake, sending a
    /// request head, idle between two requests, or waiting for one of the
    /// [`max_connections`](Self::max_connections). Connections are accepted as soon as they
    /// arrive; when one more would pass this limit, the oldest pending connection is closed,
    /// so that clients trickling their headers cannot lock a scraper out. Closings are
    /// reported to the [error handler](crate::set_error_handler) as
    /// [`Error::ConnectionsShed`], at most once every 10 s.
    pub fn max_pending_connections(mut self, max: usize) -> Self {
        self.limits.max_pending_connections = max.max(1);
        self
    }

    /// The largest request line plus headers accepted, in bytes (default
    /// [`DEFAULT_MAX_HEADER_BYTES`]; at least 64); larger requests are answered
    /// `431 Request Header Fields Too Large` and the connection is closed.
    pub fn max_header_bytes(mut self, max: usize) -> Self {
        self.limits.max_header_bytes = max.max(64);
        self
    }

    /// Who may use the routes: [`Access`] for every route that has no
    /// [`route_access`](Self::route_access) of its own (default: [`Access::open`]).
    pub fn access(mut self, access: Access) -> Self {
        self.access = access;
        self
    }

    /// Who may use one route, instead of the [`access`](Self::access) for every route; for
    /// example `route_access(Route::Health, Access::open())` keeps `/health` open for
    /// probes. Unknown paths are answered 404 whatever the access.
    pub fn route_access(mut self, route: Route, access: Access) -> Self {
        self.route_access.retain(|(r, _)| *r != route);
        self.route_access.push((route, access));
        self
    }

    /// Serves HTTPS instead of HTTP (feature `tls`). The files are read when the exporter
    /// starts; see [`TlsConfig`].
    #[cfg(feature = "tls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
    pub fn tls(mut self, tls: TlsConfig) -> Self {
        self.tls = Some(tls);
        self
    }

    /// How long a shutdown waits for requests in progress (default [`DEFAULT_SHUTDOWN_GRACE`]).
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.limits.shutdown_grace = grace;
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
    /// signal](Self::shutdown_on) completes (or forever without one). Settings that cannot
    /// be used (TLS files, access control) are reported before binding.
    pub async fn serve(mut self) -> Result<(), Error> {
        let shutdown = self
            .shutdown
            .take()
            .unwrap_or_else(|| Box::pin(std::future::pending()));
        let addr = self.addr.clone();
        let server = Server::new(self)?;
        let listener = bind(&addr).await?;
        server.run(listener, shutdown).await
    }

    /// Binds, then serves in a task spawned on the current tokio runtime. Bind errors and
    /// settings that cannot be used are returned here; the handle tells the address and
    /// stops the server.
    pub async fn start(mut self) -> Result<ExporterHandle, Error> {
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let (done_tx, done_rx) = oneshot::channel();
        let shutdown = self.combined_shutdown(stop_rx);
        let addr = self.addr.clone();
        let server = Server::new(self)?;
        let listener = bind(&addr).await?;
        let local_addr = listener.local_addr()?;
        let tls = server.is_tls();
        tokio::spawn(async move {
            let result = server.run(listener, shutdown).await;
            let _ = done_tx.send(result);
        });
        Ok(ExporterHandle {
            local_addr,
            tls,
            stop: Some(stop_tx),
            done: done_rx,
        })
    }

    /// Serves from a background thread that owns a small single-threaded tokio runtime:
    /// for programs that have no runtime of their own (it may be called from one too). Bind
    /// errors and settings that cannot be used are returned here. The server runs until the
    /// handle's `shutdown` is called (dropping the handle leaves it running for the rest of
    /// the process).
    pub fn start_background(mut self) -> Result<ExporterHandle, Error> {
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let (done_tx, done_rx) = oneshot::channel();
        let shutdown = self.combined_shutdown(stop_rx);
        let addr = self.addr.clone();
        let server = Server::new(self)?;
        // Bound here with std, so that no runtime is made, blocked on or dropped on the
        // caller's thread (which may be inside a runtime).
        let listener = std::net::TcpListener::bind(&addr)
            .and_then(|l| l.set_nonblocking(true).map(|()| l))
            .map_err(|source| Error::Bind {
                addr: addr.clone(),
                source,
            })?;
        let local_addr = listener.local_addr()?;
        let tls = server.is_tls();
        std::thread::Builder::new()
            .name("promforge-exporter".into())
            .spawn(move || {
                let result = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(Error::from)
                    .and_then(|runtime| {
                        runtime.block_on(async move {
                            let listener = TcpListener::from_std(listener)?;
                            server.run(listener, shutdown).await
                        })
                    });
                if let Err(e) = &result {
                    crate::error::report(&Error::Exporter {
                        addr: local_addr,
                        reason: e.to_string(),
                    });
                }
                let _ = done_tx.send(result);
            })?;
        Ok(ExporterHandle {
            local_addr,
            tls,
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

/// The listen backlog asked for (the kernel caps it, at `net.core.somaxconn` on Linux):
/// larger than the 1,024 tokio picks, so that a burst of connections (slow clients all
/// reconnecting at once) does not make the kernel drop a scraper's SYN, which costs it a
/// retransmission a second later. Connections are accepted as fast as they come anyway.
const LISTEN_BACKLOG: u32 = 4096;

async fn bind(addr: &str) -> Result<TcpListener, Error> {
    let error = |source| Error::Bind {
        addr: addr.to_owned(),
        source,
    };
    let mut last = None;
    for resolved in tokio::net::lookup_host(addr).await.map_err(error)? {
        let socket = if resolved.is_ipv4() {
            TcpSocket::new_v4()
        } else {
            TcpSocket::new_v6()
        };
        // As `TcpListener::bind` does: SO_REUSEADDR, then bind and listen.
        let listener = socket.and_then(|socket| {
            socket.set_reuseaddr(true)?;
            socket.bind(resolved)?;
            socket.listen(LISTEN_BACKLOG)
        });
        match listener {
            Ok(listener) => return Ok(listener),
            Err(e) => last = Some(e),
        }
    }
    Err(error(last.unwrap_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the address resolved to nothing",
        )
    })))
}

/// A running exporter, from [`Exporter::start`] or [`Exporter::start_background`].
///
/// Dropping the handle leaves the server running; call `shutdown` to stop it.
#[derive(Debug)]
pub struct ExporterHandle {
    local_addr: SocketAddr,
    tls: bool,
    stop: Option<oneshot::Sender<()>>,
    done: oneshot::Receiver<Result<(), Error>>,
}

impl ExporterHandle {
    /// The address the server listens on (with the real port when bound to port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// `http://<address>` (`https://` with TLS) — the base URL of the server.
    pub fn base_url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.local_addr)
    }

    /// Stops accepting connections, lets requests in progress finish (within the shutdown
    /// grace period) and waits for the server to end.
    pub async fn shutdown(mut self) -> Result<(), Error> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let result = (&mut self.done).await;
        ended(self.local_addr, result.ok())
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
        let addr = self.local_addr;
        ended(addr, self.done.blocking_recv().ok())
    }
}

/// The server's own result, or an error when it ended without one (its task panicked, or
/// its runtime was shut down under it).
fn ended(addr: SocketAddr, result: Option<Result<(), Error>>) -> Result<(), Error> {
    result.unwrap_or_else(|| {
        Err(Error::Exporter {
            addr,
            reason: "the server ended without finishing its shutdown (its task panicked or \
                     its runtime stopped)"
                .to_owned(),
        })
    })
}

/// What every connection task shares.
struct Server {
    settings: endpoints::Settings,
    limits: Limits,
    /// One per [`Route`], by [`Route::index`].
    guards: [Guard; 3],
    /// When every route restricts networks: their union, checked as connections are accepted.
    accept_networks: Option<Vec<IpNet>>,
    /// Serving slots ([`Exporter::max_connections`]).
    connections: Arc<Semaphore>,
    /// Connections not being answered ([`Exporter::max_pending_connections`]).
    pending: Arc<slots::Pending>,
    #[cfg(feature = "tls")]
    tls: Option<tokio_rustls::TlsAcceptor>,
}

impl Server {
    fn new(exporter: Exporter) -> Result<Arc<Self>, Error> {
        let mut guards = Vec::with_capacity(Route::ALL.len());
        for route in Route::ALL {
            let access = exporter
                .route_access
                .iter()
                .find(|(r, _)| *r == route)
                .map_or(&exporter.access, |(_, a)| a);
            guards.push(access.compile()?);
        }
        let Ok(guards) = <[Guard; 3]>::try_from(guards) else {
            return Err(Error::InvalidAccess {
                reason: "internal: one access per route expected".to_owned(),
            });
        };
        let accept_networks = guards
            .iter()
            .all(|g| !g.networks().is_empty())
            .then(|| guards.iter().flat_map(|g| g.networks()).copied().collect());
        #[cfg(feature = "tls")]
        let tls = match &exporter.tls {
            Some(config) => Some(tokio_rustls::TlsAcceptor::from(config.build()?)),
            None => None,
        };
        Ok(Arc::new(Self {
            settings: exporter.settings,
            limits: exporter.limits,
            guards,
            accept_networks,
            connections: Arc::new(Semaphore::new(
                exporter.limits.max_connections.min(Semaphore::MAX_PERMITS),
            )),
            pending: slots::Pending::new(exporter.limits.max_pending_connections),
            #[cfg(feature = "tls")]
            tls,
        }))
    }

    fn is_tls(&self) -> bool {
        #[cfg(feature = "tls")]
        return self.tls.is_some();
        #[cfg(not(feature = "tls"))]
        false
    }

    async fn run(
        self: Arc<Self>,
        listener: TcpListener,
        shutdown: ShutdownFuture,
    ) -> Result<(), Error> {
        let graceful = hyper_util::server::graceful::GracefulShutdown::new();
        let mut shutdown = shutdown;
        loop {
            // Accepted at once, whatever the load: a new connection only pushes the oldest
            // pending one out (see `slots`).
            let (stream, peer) = tokio::select! {
                () = &mut shutdown => break,
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(_) => {
                        // Out of file descriptors or a connection reset before accept:
                        // back off briefly instead of spinning, and keep serving.
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
            };
            let accepted = tokio::time::Instant::now();
            if let Some(networks) = &self.accept_networks
                && !networks.iter().any(|n| n.contains(peer.ip()))
            {
                // No route would let it in: close at once.
                continue;
            }
            let _ = stream.set_nodelay(true);
            let (slot, shed) = slots::Slot::new(&self.pending);
            if let Some(slots::Shed(count)) = shed {
                slots::report_shed(count, self.pending.max());
            }
            let server = Arc::clone(&self);
            let watcher = graceful.watcher();
            tokio::spawn(async move {
                server
                    .connection(stream, peer.ip(), watcher, slot, accepted)
                    .await;
            });
        }
        drop(listener);
        let _ = tokio::time::timeout(self.limits.shutdown_grace, graceful.shutdown()).await;
        Ok(())
    }

    /// Serves one connection (after the TLS handshake, with TLS), until it ends, is shed
    /// (see `slots`) or, with TLS, has not sent a whole request head within the
    /// header-read timeout from `accepted`. A client that misbehaves or goes away only ends
    /// its own connection.
    async fn connection(
        self: Arc<Self>,
        stream: TcpStream,
        peer: IpAddr,
        watcher: Watcher,
        slot: Arc<slots::Slot>,
        accepted: tokio::time::Instant,
    ) {
        let io = io::TimedIo::new(stream, self.limits.write_timeout);
        let header_deadline = accepted + self.limits.header_read_timeout;
        #[cfg(feature = "tls")]
        let serve: Pin<Box<dyn Future<Output = ()> + Send>> = match &self.tls {
            Some(acceptor) => {
                let acceptor = acceptor.clone();
                let server = Arc::clone(&self);
                let slot = Arc::clone(&slot);
                Box::pin(async move {
                    let handshake = tokio::time::timeout_at(header_deadline, acceptor.accept(io));
                    if let Ok(Ok(stream)) = handshake.await {
                        server.http(stream, peer, watcher, slot).await;
                    }
                })
            }
            None => Box::pin(Arc::clone(&self).http(io, peer, watcher, Arc::clone(&slot))),
        };
        #[cfg(not(feature = "tls"))]
        let serve: Pin<Box<dyn Future<Output = ()> + Send>> =
            Box::pin(Arc::clone(&self).http(io, peer, watcher, Arc::clone(&slot)));
        let mut serve = serve;
        // hyper's own header-read timer starts when it first reads, which is at accept for
        // plain HTTP (and answers 408); after a TLS handshake it would start anew, so the
        // first request head also has this deadline, counted from accept.
        let first_head_late = async {
            if self.is_tls() {
                tokio::time::sleep_until(header_deadline).await;
                if !slot.served() {
                    return;
                }
            }
            std::future::pending::<()>().await;
        };
        tokio::select! {
            () = &mut serve => {}
            () = slot.shed() => {}
            () = first_head_late => {}
        }
        // Closed (its answer, if any, dropped) before it leaves the budget.
        drop(serve);
        slot.close();
    }

    async fn http<I>(self: Arc<Self>, io: I, peer: IpAddr, watcher: Watcher, slot: Arc<slots::Slot>)
    where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let server = Arc::clone(&self);
        let service = hyper::service::service_fn(move |req| {
            let server = Arc::clone(&server);
            let slot = Arc::clone(&slot);
            async move {
                // The head is read: wait for a serving slot (still pending, so still
                // sheddable), then leave the pending budget.
                let Ok(permit) = Arc::clone(&server.connections).acquire_owned().await else {
                    return Ok::<_, Infallible>(Response::new(slots::SlotBody::new(
                        Bytes::new(),
                        None,
                    )));
                };
                let Some(serving) = slot.serve(permit) else {
                    // Shed while waiting: the connection is being closed.
                    let mut resp = endpoints::text(StatusCode::SERVICE_UNAVAILABLE, "overloaded\n");
                    resp.headers_mut()
                        .insert(header::CONNECTION, HeaderValue::from_static("close"));
                    return Ok(resp.map(|b| slots::SlotBody::new(b, None)));
                };
                let resp = server.answer(req, peer).await;
                Ok(resp.map(|b| slots::SlotBody::new(b, Some(serving))))
            }
        });
        let conn = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(self.limits.header_read_timeout)
            .max_header_size(self.limits.max_header_bytes)
            .max_buf_size(self.limits.max_header_bytes.max(MIN_READ_BUFFER))
            .serve_connection(TokioIo::new(io), service);
        let _ = watcher.watch(conn).await;
    }

    async fn answer(&self, req: Request<Incoming>, peer: IpAddr) -> Response<Bytes> {
        if let Err(refusal) = strict::check_request(req.method(), req.version(), req.headers()) {
            // The rest of the connection cannot be trusted to be framed as this peer meant.
            let mut resp = endpoints::text(StatusCode::BAD_REQUEST, refusal);
            resp.headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            return resp;
        }
        let path = req.uri().path();
        let route = if path == self.settings.metrics_path {
            Route::Metrics
        } else if path == "/health" {
            Route::Health
        } else if path == "/ready" {
            Route::Ready
        } else {
            return endpoints::text(StatusCode::NOT_FOUND, "not found\n");
        };
        let guard = &self.guards[route.index()];
        if !guard.is_open() {
            let verdict = tokio::time::timeout(
                self.settings.request_timeout,
                guard.check(peer, req.headers()),
            )
            .await;
            match verdict {
                Ok(Verdict::Allow) => {}
                Ok(Verdict::Unauthorized) => return guard.unauthorized(),
                Ok(Verdict::Forbidden) => {
                    return endpoints::text(StatusCode::FORBIDDEN, "forbidden\n");
                }
                Ok(Verdict::Busy) => {
                    let mut resp = endpoints::text(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "too many password checks in progress\n",
                    );
                    resp.headers_mut()
                        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
                    return resp;
                }
                Err(_) => {
                    return endpoints::text(StatusCode::SERVICE_UNAVAILABLE, "request timed out\n");
                }
            }
        }
        if req.method() != Method::GET && req.method() != Method::HEAD {
            let mut resp = endpoints::text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
            resp.headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
            return resp;
        }
        match route {
            Route::Metrics => {
                endpoints::metrics_shared(
                    &self.settings.registry,
                    req.headers(),
                    self.settings.request_timeout,
                )
                .await
            }
            Route::Health => endpoints::health(),
            Route::Ready => {
                match tokio::time::timeout(
                    self.settings.request_timeout,
                    endpoints::ready(&self.settings.checks),
                )
                .await
                {
                    Ok(resp) => resp,
                    Err(_) => {
                        endpoints::text(StatusCode::SERVICE_UNAVAILABLE, "request timed out\n")
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod handle_tests {
    use super::*;

    fn handle_of_a_server_that_died() -> ExporterHandle {
        let (stop, _stopped) = oneshot::channel();
        let (finished, done) = oneshot::channel::<Result<(), Error>>();
        // The server task dropped its end without reporting: what a panic does.
        drop(finished);
        ExporterHandle {
            local_addr: SocketAddr::from(([127, 0, 0, 1], 9)),
            tls: false,
            stop: Some(stop),
            done,
        }
    }

    #[test]
    fn a_server_that_panicked_is_not_reported_as_a_clean_shutdown() {
        let result = handle_of_a_server_that_died().shutdown_blocking();
        assert!(matches!(result, Err(Error::Exporter { .. })), "{result:?}");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        let result = runtime.block_on(handle_of_a_server_that_died().shutdown());
        assert!(matches!(result, Err(Error::Exporter { .. })), "{result:?}");
    }
}
