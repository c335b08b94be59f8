//! Origin 004: the "Ticker" proof of concept (Rust, axum), re-created with promforge.
//!
//! Ticker runs a controller, Dagda, over shards of workers that follow blueprints: every
//! second Dagda ticks each shard, which ticks its workers; the workers report progress,
//! completion and failure back through Dagda's inbox. The origin built its metrics by hand
//! on the `prometheus` crate, in a global `OnceLock<Metrics>`: system CPU and memory from
//! `sysinfo` refreshed every 5 seconds, controller and worker gauges updated on every tick,
//! worker counters updated as things happen, message queue sizes as a measure of
//! backpressure, tick and message processing histograms, and HTTP metrics from a
//! middleware, all served on `/metrics`.
//!
//! Here: one `#[derive(MetricsGroup)]` struct holds every Dagda metric, with typed label
//! sets (`#[derive(LabelSet)]`, `#[derive(LabelValue)]` enums for the closed label values);
//! [`promforge::system::register`] brings the system metrics, [`MetricsLayer`] the HTTP
//! ones, [`MetricsRoutes`] serves `/metrics` (plus `/health` and `/ready`), and
//! `#[instrument_metrics]` records the calls of the HTTP API's handlers.
//!
//! # Metrics
//!
//! | family | type | labels | origin |
//! |---|---|---|---|
//! | `system_cpu_usage_percent` | gauge | `cpu` (`cpu0`, `cpu1`, …, `total`) | same |
//! | `system_memory_usage_bytes` | gauge | `type` (`used`, `available`) | same |
//! | `system_memory_total_bytes` | gauge | `type` (`total`) | same |
//! | `dagda_status` | gauge | — (0 = stopped, 1 = running, 2 = stopping) | same |
//! | `dagda_shards` | gauge | — | `dagda_shards_total` |
//! | `dagda_workers` | gauge | `shard_id` | `dagda_workers_total` |
//! | `dagda_workers_by_status` | gauge | `status` (`idle`, `in_progress`, `completed`, `paused`, `stopped`), `shard_id` | same |
//! | `dagda_worker_operations_total` | counter | `operation` (`worker_start`, `worker_pause`, `worker_resume`, `worker_stop`, `completed`, `failed`), `status` (`success`, `error`, `unauthorized`) | same |
//! | `dagda_worker_ticks_total` | counter | `worker_id`, `blueprint` | same |
//! | `dagda_worker_progress_ratio` | gauge (0–1) | `worker_id`, `blueprint` | same |
//! | `dagda_message_queue_size` | gauge | `queue_type` (`dagda_inbox`, `worker_inbox`) | same |
//! | `dagda_tick_processing_duration_seconds` | histogram | `shard_id` | same |
//! | `dagda_worker_processing_duration_seconds` | histogram | `message_type` (`started`, `progress`, `completed`, `failed`, `paused`, `resumed`, `stopped`) | same |
//! | `http_requests_total` | counter | `method`, `endpoint`, `status` | same |
//! | `http_request_duration_seconds` | histogram | `method`, `endpoint` | same |
//! | `http_requests_failed_total` | counter | `method`, `endpoint`, `status`, `class` | added by [`MetricsLayer`] |
//! | `http_requests_in_flight` | gauge | — | added by [`MetricsLayer`] |
//! | `function_calls_total` | counter | `function`, `module`, `result`, `error` | added: the API handlers |
//! | `function_calls_duration_seconds` | histogram | `function`, `module` | added: the API handlers |
//! | `function_calls_concurrent` | gauge | `function`, `module` | added: the API handlers |
//! | `promforge_cardinality_overflow_total`, `promforge_scrape_errors_total` | counter | `metric`; `collector` | added: the registry's own |
//!
//! Changes from the origin, and why:
//! - `dagda_shards_total` and `dagda_workers_total` are gauges (numbers of things, which go
//!   down as well as up). `promtool check metrics` refuses the `_total` suffix on anything
//!   but a counter ("non-counter metrics should not have "_total" suffix"), so they are
//!   `dagda_shards` and `dagda_workers`. (`system_memory_total_bytes` keeps its name: the
//!   rule is about the suffix.)
//! - `dagda_status` stays a plain gauge holding 0, 1 or 2, as the origin exposes it, so its
//!   dashboards and alerts keep working. A new design would use a [`promforge::StateSet`]
//!   (`dagda_status{dagda_status="running"} 1`, one series per state), which needs no legend.
//! - The origin does not give its histogram buckets; the tick and message buckets here run
//!   from 25 µs to 1 s, since both are usually well under a millisecond.
//!
//! # Synthetic latency
//!
//! `GET /api/workers` gathers the workers' state from their shards in 55–70 ms, so
//! `histogram_quantile(0.99, http_request_duration_seconds_bucket{endpoint="/api/workers"})`
//! lands in the bucket `le="0.1"` (0.05 s < p99 ≤ 0.1 s); so does
//! `function_calls_duration_seconds_bucket{function="Api::list_workers"}`.
//!
//! # Routes
//!
//! `GET /api/status`, `GET /api/workers`, `POST /api/workers/{worker_id}/{action}`
//! (`pause`, `resume`, `stop`; needs `Authorization: Bearer ticker-admin`), `/metrics`,
//! `/health`, `/ready`.

use crate::load::{random_below, sleep_ms};
use std::net::SocketAddr;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use promforge::http::MetricsLayer;
use promforge::http::axum::MetricsRoutes;
use promforge::{
    Counter, Error, Family, FloatGauge, Gauge, Histogram, LabelSet, LabelValue, MetricsGroup,
    Registry, instrument_metrics,
};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// The example's registry. `#[instrument_metrics(registry = REGISTRY)]` needs it at every
/// call, so it is a `static`; [`start`] registers everything else in it (a second `start`
/// in one process fails with "already registered").
static REGISTRY: LazyLock<Registry> = LazyLock::new(Registry::new);

/// How often Dagda ticks (the origin: every second).
pub const TICK: Duration = Duration::from_secs(1);
/// How often the system metrics are refreshed (the origin: every 5 seconds).
pub const SYSTEM_REFRESH: Duration = Duration::from_secs(5);
/// Shards, and workers in each.
const SHARDS: u32 = 3;
const WORKERS_PER_SHARD: u32 = 4;
/// The token the API's write routes want.
const ADMIN_TOKEN: &str = "Bearer ticker-admin";

/// Dagda's state, as the value of `dagda_status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DagdaStatus {
    Stopped = 0,
    Running = 1,
    Stopping = 2,
}

/// A worker's state: the `status` label of `dagda_workers_by_status`.
#[derive(LabelValue, Clone, Copy, Debug, PartialEq, Eq)]
enum WorkerStatus {
    Idle,
    InProgress,
    Completed,
    Paused,
    Stopped,
}

impl WorkerStatus {
    const ALL: [WorkerStatus; 5] = [
        WorkerStatus::Idle,
        WorkerStatus::InProgress,
        WorkerStatus::Completed,
        WorkerStatus::Paused,
        WorkerStatus::Stopped,
    ];
}

/// What was done to a worker: the `operation` label of `dagda_worker_operations_total`.
#[derive(LabelValue, Clone, Copy, Debug, PartialEq, Eq)]
enum Operation {
    WorkerStart,
    WorkerPause,
    WorkerResume,
    WorkerStop,
    Completed,
    Failed,
}

/// How it went: the `status` label of `dagda_worker_operations_total`.
#[derive(LabelValue, Clone, Copy, Debug)]
enum OperationStatus {
    Success,
    Error,
    Unauthorized,
}

/// Which inbox: the `queue_type` label of `dagda_message_queue_size`.
#[derive(LabelValue, Clone, Copy, Debug)]
enum QueueType {
    DagdaInbox,
    WorkerInbox,
}

/// What a worker told Dagda: the `message_type` label of
/// `dagda_worker_processing_duration_seconds`.
#[derive(LabelValue, Clone, Copy, Debug, PartialEq, Eq)]
enum MessageType {
    Started,
    Progress,
    Completed,
    Failed,
    Paused,
    Resumed,
    Stopped,
}

/// What a worker does: the `blueprint` label.
#[derive(LabelValue, Clone, Copy, Debug)]
enum Blueprint {
    PriceTicker,
    OrderBook,
    TradeTape,
}

#[derive(LabelSet, Clone, Copy, Debug)]
struct ShardLabels {
    shard_id: u32,
}

#[derive(LabelSet, Clone, Copy, Debug)]
struct WorkerStatusLabels {
    status: WorkerStatus,
    shard_id: u32,
}

#[derive(LabelSet, Clone, Copy, Debug)]
struct OperationLabels {
    operation: Operation,
    status: OperationStatus,
}

#[derive(LabelSet, Clone, Debug)]
struct WorkerLabels {
    worker_id: Arc<str>,
    blueprint: Blueprint,
}

#[derive(LabelSet, Clone, Copy, Debug)]
struct QueueLabels {
    queue_type: QueueType,
}

#[derive(LabelSet, Clone, Copy, Debug)]
struct MessageLabels {
    message_type: MessageType,
}

/// Every Dagda metric of the origin, by its name.
#[derive(MetricsGroup)]
#[metrics(prefix = "dagda")]
struct DagdaMetrics {
    /// Dagda controller status: 0 = stopped, 1 = running, 2 = stopping.
    status: Gauge,
    /// Shards in the system.
    shards: Gauge,
    /// Workers in each shard.
    workers: Family<ShardLabels, Gauge>,
    /// Workers in each shard, by status.
    workers_by_status: Family<WorkerStatusLabels, Gauge>,
    /// Worker operations, by operation and outcome.
    worker_operations: Family<OperationLabels, Counter>,
    /// Ticks processed by each worker.
    worker_ticks: Family<WorkerLabels, Counter>,
    /// Each worker's progress through its blueprint, from 0 to 1.
    #[metric(unit = "ratio")]
    worker_progress: Family<WorkerLabels, FloatGauge>,
    /// Messages waiting in Dagda's inbox and in the workers' inboxes (backpressure).
    message_queue_size: Family<QueueLabels, Gauge>,
    /// Time to process one tick of a shard.
    #[metric(
        unit = "seconds",
        buckets = [0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0]
    )]
    tick_processing_duration: Family<ShardLabels, Histogram>,
    /// Time to process one message from a worker, by message type.
    #[metric(
        unit = "seconds",
        buckets = [0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0]
    )]
    worker_processing_duration: Family<MessageLabels, Histogram>,
}

impl DagdaMetrics {
    fn operation(&self, operation: Operation, status: OperationStatus) {
        self.worker_operations
            .inc(&OperationLabels { operation, status });
    }
}

/// A command from Dagda to a worker, through the worker's inbox.
#[derive(Clone, Copy, Debug)]
enum WorkerCommand {
    Start,
    Tick,
    Pause,
    Resume,
    Stop,
}

/// A message to Dagda, through its inbox.
#[derive(Debug)]
enum DagdaMessage {
    /// A worker reports.
    Worker {
        worker: usize,
        kind: MessageType,
        progress: f64,
    },
    /// The API asks for an operation on a worker.
    Command { worker: usize, operation: Operation },
}

/// What the API sees of a worker.
#[derive(Clone, Debug)]
struct WorkerView {
    id: Arc<str>,
    shard: u32,
    blueprint: Blueprint,
    status: WorkerStatus,
    progress: f64,
    /// The tick at which it entered its status.
    since: u64,
}

/// What the controller and the API share.
struct Shared {
    metrics: DagdaMetrics,
    workers: Mutex<Vec<WorkerView>>,
    dagda_status: Mutex<DagdaStatus>,
    inbox: mpsc::Sender<DagdaMessage>,
}

impl Shared {
    fn workers(&self) -> std::sync::MutexGuard<'_, Vec<WorkerView>> {
        self.workers.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Dagda: ticks the shards, handles the workers' messages and the API's commands.
struct Dagda {
    shared: Arc<Shared>,
    worker_inboxes: Vec<mpsc::Sender<WorkerCommand>>,
    ticks: u64,
}

impl Dagda {
    fn tick(&mut self, inbox_len: usize) {
        self.ticks += 1;
        let metrics = &self.shared.metrics;
        // Every 30 ticks the controller drains for a rebalance: stopping, stopped, running.
        let status = match self.ticks % 30 {
            0 => DagdaStatus::Stopping,
            1 if self.ticks > 1 => DagdaStatus::Stopped,
            _ => DagdaStatus::Running,
        };
        *self
            .shared
            .dagda_status
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = status;
        metrics.status.set(status as i64);
        metrics.shards.set(i64::from(SHARDS));

        let mut workers = self.shared.workers();
        for shard_id in 0..SHARDS {
            let shard = ShardLabels { shard_id };
            let _timer = metrics.tick_processing_duration.get(&shard).start_timer();
            let mut by_status = [0i64; WorkerStatus::ALL.len()];
            let mut in_shard = 0;
            for (index, worker) in workers.iter_mut().enumerate() {
                if worker.shard != shard_id {
                    continue;
                }
                in_shard += 1;
                if status == DagdaStatus::Running {
                    let idle_for = self.ticks - worker.since;
                    let restart = match worker.status {
                        WorkerStatus::Idle => true,
                        WorkerStatus::Completed | WorkerStatus::Stopped => idle_for >= 2,
                        _ => false,
                    };
                    let inbox = &self.worker_inboxes[index];
                    if restart && inbox.try_send(WorkerCommand::Start).is_ok() {
                        metrics.operation(Operation::WorkerStart, OperationStatus::Success);
                        worker.status = WorkerStatus::InProgress;
                        worker.since = self.ticks;
                    }
                    let _ = inbox.try_send(WorkerCommand::Tick);
                }
                let i = WorkerStatus::ALL
                    .iter()
                    .position(|s| *s == worker.status)
                    .unwrap_or(0);
                by_status[i] += 1;
            }
            metrics.workers.set(&shard, in_shard);
            for (status, count) in WorkerStatus::ALL.into_iter().zip(by_status) {
                metrics
                    .workers_by_status
                    .set(&WorkerStatusLabels { status, shard_id }, count);
            }
        }
        drop(workers);

        let waiting: usize = self
            .worker_inboxes
            .iter()
            .map(|inbox| inbox.max_capacity() - inbox.capacity())
            .sum();
        metrics.message_queue_size.set(
            &QueueLabels {
                queue_type: QueueType::WorkerInbox,
            },
            waiting as i64,
        );
        metrics.message_queue_size.set(
            &QueueLabels {
                queue_type: QueueType::DagdaInbox,
            },
            inbox_len as i64,
        );
    }

    fn handle(&mut self, message: DagdaMessage) {
        let metrics = &self.shared.metrics;
        match message {
            DagdaMessage::Worker {
                worker,
                kind,
                progress,
            } => {
                let _timer = metrics
                    .worker_processing_duration
                    .get(&MessageLabels { message_type: kind })
                    .start_timer();
                let mut workers = self.shared.workers();
                let Some(view) = workers.get_mut(worker) else {
                    return;
                };
                let status = match kind {
                    MessageType::Started | MessageType::Progress | MessageType::Resumed => {
                        WorkerStatus::InProgress
                    }
                    MessageType::Completed => {
                        metrics.operation(Operation::Completed, OperationStatus::Success);
                        WorkerStatus::Completed
                    }
                    MessageType::Failed => {
                        metrics.operation(Operation::Failed, OperationStatus::Error);
                        WorkerStatus::Stopped
                    }
                    MessageType::Paused => WorkerStatus::Paused,
                    MessageType::Stopped => WorkerStatus::Stopped,
                };
                if status != view.status {
                    view.status = status;
                    view.since = self.ticks;
                }
                view.progress = progress;
            }
            DagdaMessage::Command { worker, operation } => {
                let current = self.shared.workers().get(worker).map(|w| w.status);
                let command = match (operation, current) {
                    (Operation::WorkerPause, Some(WorkerStatus::InProgress)) => {
                        Some(WorkerCommand::Pause)
                    }
                    (Operation::WorkerResume, Some(WorkerStatus::Paused)) => {
                        Some(WorkerCommand::Resume)
                    }
                    (
                        Operation::WorkerStop,
                        Some(WorkerStatus::InProgress | WorkerStatus::Paused),
                    ) => Some(WorkerCommand::Stop),
                    _ => None,
                };
                let sent = command
                    .is_some_and(|command| self.worker_inboxes[worker].try_send(command).is_ok());
                let status = if sent {
                    OperationStatus::Success
                } else {
                    OperationStatus::Error
                };
                metrics.operation(operation, status);
            }
        }
    }

    async fn run(mut self, mut inbox: mpsc::Receiver<DagdaMessage>) {
        let mut interval = tokio::time::interval(TICK);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = interval.tick() => self.tick(inbox.len()),
                message = inbox.recv() => match message {
                    Some(message) => self.handle(message),
                    None => return,
                },
            }
        }
    }
}

/// A worker: follows its blueprint one tick at a time and reports to Dagda.
async fn worker(
    index: usize,
    ticks: Counter,
    progress_ratio: FloatGauge,
    mut inbox: mpsc::Receiver<WorkerCommand>,
    dagda: mpsc::Sender<DagdaMessage>,
) {
    let mut status = WorkerStatus::Idle;
    let mut progress = 0.0;
    while let Some(command) = inbox.recv().await {
        let report = match (command, status) {
            (WorkerCommand::Start, _) => {
                progress = 0.0;
                status = WorkerStatus::InProgress;
                Some(MessageType::Started)
            }
            (WorkerCommand::Tick, WorkerStatus::InProgress) => {
                ticks.inc();
                if random_below(40) == 0 {
                    status = WorkerStatus::Stopped;
                    Some(MessageType::Failed)
                } else {
                    progress = f64::min(1.0, progress + 0.1 + random_below(15) as f64 / 100.0);
                    if progress >= 1.0 {
                        status = WorkerStatus::Completed;
                        Some(MessageType::Completed)
                    } else {
                        Some(MessageType::Progress)
                    }
                }
            }
            (WorkerCommand::Pause, WorkerStatus::InProgress) => {
                status = WorkerStatus::Paused;
                Some(MessageType::Paused)
            }
            (WorkerCommand::Resume, WorkerStatus::Paused) => {
                status = WorkerStatus::InProgress;
                Some(MessageType::Resumed)
            }
            (WorkerCommand::Stop, WorkerStatus::InProgress | WorkerStatus::Paused) => {
                status = WorkerStatus::Stopped;
                Some(MessageType::Stopped)
            }
            _ => None,
        };
        progress_ratio.set(progress);
        if let Some(kind) = report {
            let message = DagdaMessage::Worker {
                worker: index,
                kind,
                progress,
            };
            if dagda.send(message).await.is_err() {
                return;
            }
        }
    }
}

/// Why an API call failed: the `error` label of `function_calls_total` and the answer.
#[derive(LabelValue, Clone, Copy, Debug)]
enum ApiError {
    Unauthorized,
    UnknownWorker,
    UnknownAction,
    Unavailable,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match self {
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::UnknownWorker | ApiError::UnknownAction => StatusCode::NOT_FOUND,
            ApiError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        };
        (status, Json(json!({ "error": self.label_value() }))).into_response()
    }
}

/// The HTTP API; every handler is instrumented (`function_calls_total{function=…}`, …).
struct Api;

#[instrument_metrics(registry = REGISTRY)]
impl Api {
    async fn status(State(shared): State<Arc<Shared>>) -> Json<Value> {
        let status = *shared
            .dagda_status
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let workers = shared.workers().len();
        Json(json!({
            "status": format!("{status:?}").to_lowercase(),
            "shards": SHARDS,
            "workers": workers,
        }))
    }

    /// Gathers every worker's state from its shard: 55–70 ms, the synthetic latency.
    async fn list_workers(State(shared): State<Arc<Shared>>) -> Json<Value> {
        sleep_ms(55, 70).await;
        let workers: Vec<Value> = shared
            .workers()
            .iter()
            .map(|w| {
                json!({
                    "worker_id": &*w.id,
                    "shard_id": w.shard,
                    "blueprint": w.blueprint.label_value(),
                    "status": w.status.label_value(),
                    "progress": w.progress,
                })
            })
            .collect();
        Json(json!({ "workers": workers }))
    }

    async fn worker_action(
        State(shared): State<Arc<Shared>>,
        Path((worker_id, action)): Path<(String, String)>,
        headers: HeaderMap,
    ) -> Result<(StatusCode, Json<Value>), ApiError> {
        let operation = match action.as_str() {
            "pause" => Operation::WorkerPause,
            "resume" => Operation::WorkerResume,
            "stop" => Operation::WorkerStop,
            _ => return Err(ApiError::UnknownAction),
        };
        let authorized = headers
            .get("authorization")
            .is_some_and(|value| value.as_bytes() == ADMIN_TOKEN.as_bytes());
        if !authorized {
            shared
                .metrics
                .operation(operation, OperationStatus::Unauthorized);
            return Err(ApiError::Unauthorized);
        }
        let found = shared.workers().iter().position(|w| *w.id == *worker_id);
        let Some(worker) = found else {
            shared.metrics.operation(operation, OperationStatus::Error);
            return Err(ApiError::UnknownWorker);
        };
        shared
            .inbox
            .send(DagdaMessage::Command { worker, operation })
            .await
            .map_err(|_| ApiError::Unavailable)?;
        Ok((
            StatusCode::ACCEPTED,
            Json(json!({ "worker_id": worker_id, "action": action })),
        ))
    }
}

/// Starts Ticker on `addr`: Dagda, its workers, the HTTP API, `/metrics`, `/health`,
/// `/ready`, and a client calling the API.
pub async fn start(addr: String) -> Result<crate::Running, Error> {
    let registry: &'static Registry = &REGISTRY;
    let metrics = DagdaMetrics::register(registry)?;
    let layer = MetricsLayer::new(registry)?; // scrapes and probes are left out by default
    // The first CPU reading waits ~200 ms: off the runtime's worker threads.
    tokio::task::spawn_blocking(move || promforge::system::register(registry, SYSTEM_REFRESH))
        .await
        .map_err(|e| Error::Integration {
            what: "system collector",
            reason: e.to_string(),
        })??;

    metrics.status.set(DagdaStatus::Stopped as i64);
    let (inbox, inbox_rx) = mpsc::channel::<DagdaMessage>(1024);
    let blueprints = [
        Blueprint::PriceTicker,
        Blueprint::OrderBook,
        Blueprint::TradeTape,
    ];
    let mut views = Vec::new();
    let mut worker_inboxes = Vec::new();
    let mut tasks: Vec<JoinHandle<()>> = Vec::new();
    for shard in 0..SHARDS {
        for n in 0..WORKERS_PER_SHARD {
            let index = views.len();
            let id: Arc<str> = format!("shard{shard}-worker{n}").into();
            let blueprint = blueprints[index % blueprints.len()];
            let labels = WorkerLabels {
                worker_id: Arc::clone(&id),
                blueprint,
            };
            let ticks = metrics.worker_ticks.get(&labels).clone();
            let progress = metrics.worker_progress.get(&labels).clone();
            let (tx, rx) = mpsc::channel(64);
            tasks.push(tokio::spawn(worker(
                index,
                ticks,
                progress,
                rx,
                inbox.clone(),
            )));
            worker_inboxes.push(tx);
            views.push(WorkerView {
                id,
                shard,
                blueprint,
                status: WorkerStatus::Idle,
                progress: 0.0,
                since: 0,
            });
        }
    }
    let shared = Arc::new(Shared {
        metrics,
        workers: Mutex::new(views),
        dagda_status: Mutex::new(DagdaStatus::Stopped),
        inbox,
    });
    let dagda = Dagda {
        shared: Arc::clone(&shared),
        worker_inboxes,
        ticks: 0,
    };
    tasks.push(tokio::spawn(dagda.run(inbox_rx)));

    let router = Router::new()
        .route("/api/status", get(Api::status))
        .route("/api/workers", get(Api::list_workers))
        .route(
            "/api/workers/{worker_id}/{action}",
            post(Api::worker_action),
        )
        .with_state(Arc::clone(&shared))
        .merge(MetricsRoutes::new(registry.clone()).into_router())
        .layer(layer);
    let (local, shutdown) = crate::serve_axum(&addr, router, "ticker").await?;
    tasks.push(tokio::spawn(api_client(local)));

    let stop = Box::new(move || {
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

/// An operator's dashboard and scripts: reads status and workers most of the time; now
/// and then pauses a worker (resuming it later) or stops one, sometimes without the token.
async fn api_client(addr: SocketAddr) {
    let mut paused: Vec<String> = Vec::new();
    loop {
        let worker = format!(
            "shard{}-worker{}",
            random_below(u64::from(SHARDS)),
            random_below(u64::from(WORKERS_PER_SHARD))
        );
        let token = if random_below(3) == 0 {
            String::new()
        } else {
            format!("Authorization: {ADMIN_TOKEN}\r\n")
        };
        let (method, path) = match random_below(20) {
            0..=8 => ("GET", "/api/status".to_owned()),
            9..=15 => ("GET", "/api/workers".to_owned()),
            16 => {
                let path = format!("/api/workers/{worker}/pause");
                paused.push(worker);
                ("POST", path)
            }
            17 | 18 => {
                let target = paused.pop().unwrap_or(worker);
                ("POST", format!("/api/workers/{target}/resume"))
            }
            _ => ("POST", format!("/api/workers/{worker}/stop")),
        };
        let request = crate::load::request(addr, method, &path, &token, "");
        let _ = tokio::time::timeout(Duration::from_secs(5), request).await;
        sleep_ms(10, 40).await;
    }
}
