//! Runnable examples of promforge: the quickstart, and the five services promforge was
//! started from (`../shared/origin/`), each re-created with the same metric names.
//!
//! Every origin example is a module with `start(addr)`: it builds its own [`Registry`]
//! (so several can run in one process, as the integration tests do), serves it, generates
//! its own load, and returns a [`Running`] handle. The example binaries call
//! [`run_until_ctrl_c`].

use std::future::Future;
use std::net::SocketAddr;

pub mod latency_percentiles;
pub mod load;
pub mod native_latency;
pub mod observer;
pub mod operational_api;
pub mod polypy_stats;
pub mod ticker;

/// A running example: where it serves, and how to stop it.
pub struct Running {
    /// The address `/metrics` is served on.
    pub addr: SocketAddr,
    /// The example's registry (what `/metrics` serves).
    pub registry: promforge::Registry,
    /// Stops the server and the load generators.
    pub stop: Box<dyn FnOnce() + Send>,
}

impl std::fmt::Debug for Running {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Running")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Running {
    /// `http://<addr>/metrics`.
    pub fn metrics_url(&self) -> String {
        format!("http://{}/metrics", self.addr)
    }
}

/// Binds `addr` and serves `router` in a task until the returned sender is used or dropped
/// (a graceful shutdown: connections in progress finish). `name` prefixes a serve error.
pub async fn serve_axum(
    addr: &str,
    router: axum::Router,
    name: &'static str,
) -> Result<(SocketAddr, tokio::sync::oneshot::Sender<()>), promforge::Error> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| promforge::Error::Bind {
            addr: addr.to_owned(),
            source,
        })?;
    let local = listener.local_addr()?;
    let (shutdown, on_shutdown) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let served = axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = on_shutdown.await;
            })
            .await;
        if let Err(e) = served {
            eprintln!("{name}: server stopped: {e}");
        }
    });
    Ok((local, shutdown))
}

/// Starts an example on the address given as the first argument (default
/// `127.0.0.1:9184`), prints where it serves, and runs until Ctrl-C.
pub async fn run_until_ctrl_c<F, Fut>(start: F) -> Result<(), promforge::Error>
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = Result<Running, promforge::Error>>,
{
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9184".to_owned());
    let running = start(addr).await?;
    println!("serving metrics on {}", running.metrics_url());
    println!("generating load; Ctrl-C stops");
    let _ = tokio::signal::ctrl_c().await;
    (running.stop)();
    Ok(())
}
