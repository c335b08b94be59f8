//! Origin 001: the **observer** service (`../shared/origin/001_*.txt`, "Phase 8.7: Prometheus
//! Metrics"), re-created with promforge.
//!
//! The origin is a Rust service that watches entity change events (insert, update, delete)
//! and runs the actions configured for them (webhooks, e-mails, Slack messages). Failed
//! actions go to a job queue with retries and a dead-letter list; action results are
//! cached; redelivered events are dropped by a dedup store; listeners checkpoint their
//! position and recover it after a restart. It hand-wrote an `ObserverMetrics` struct of
//! `prometheus` crate metrics (`ObserverMetrics::new(&registry)`), timed its functions with
//! `Instant::now()`, and served `/metrics` from an axum router.
//!
//! Here the struct is a `#[derive(MetricsGroup)]` (HELP texts from the doc comments, one
//! `register(&registry)` call), the timing and in-flight bookkeeping are guards
//! (`start_timer`, `track_in_flight`), the service's async operations carry
//! `#[instrument_metrics(registry = REGISTRY)]` (calls by result and error variant,
//! durations, calls in progress), and `/metrics` (with `/health` and `/ready`) is
//! `promforge::http::axum::routes` merged into the axum app.
//!
//! # Metrics
//!
//! The origin's 23 families, none with labels (as in the origin):
//!
//! | family | type | origin name |
//! |---|---|---|
//! | `events_processed_total` | counter | same |
//! | `event_processing_duration_seconds` | histogram | `event_processing_duration_ms` |
//! | `events_in_flight` | gauge | same |
//! | `actions_executed_total` | counter | same |
//! | `action_success_total` | counter | same |
//! | `action_failure_total` | counter | same |
//! | `action_duration_seconds` | histogram | `action_duration_ms` |
//! | `action_timeout_total` | counter | same |
//! | `queue_depth` | gauge | same |
//! | `queue_jobs_enqueued_total` | counter | same |
//! | `queue_jobs_processed_total` | counter | same |
//! | `queue_retry_total` | counter | same |
//! | `queue_deadletter_total` | counter | same |
//! | `cache_hits_total` | counter | same |
//! | `cache_misses_total` | counter | same |
//! | `cache_hit_rate` | gauge (percent, 0–100) | same |
//! | `cache_size_bytes` | gauge | same |
//! | `dedup_checks_total` | counter | same |
//! | `dedup_duplicates_found_total` | counter | same |
//! | `dedup_hit_rate` | gauge (percent, 0–100) | same |
//! | `checkpoint_saves_total` | counter | same |
//! | `checkpoint_save_duration_seconds` | histogram | `checkpoint_save_duration_ms` |
//! | `checkpoint_recovery_total` | counter | same |
//!
//! Added by `#[instrument_metrics]` on the observer's async operations (`process_event`,
//! `execute_action`, `cache_get`, `is_duplicate`, `enqueue`, `mark_success`, `mark_retry`,
//! `mark_deadletter`, `save_checkpoint`, `recover`):
//! `function_calls_total{function, module, result, error}` (`error="timeout"`,
//! `"unreachable"`, `"invalid_payload"`, `"unavailable"`: the variants of the error enums),
//! `function_calls_duration_seconds{function, module}` and
//! `function_calls_concurrent{function, module}`. promforge adds its own
//! `promforge_cardinality_overflow_total{metric}` (0 unless the open `function_calls_total`
//! family outgrows its cardinality limit).
//!
//! # Changes from the origin
//!
//! - **Durations in seconds.** `event_processing_duration_ms`, `action_duration_ms` and
//!   `checkpoint_save_duration_ms` are `promtool check metrics` errors ("metric names should
//!   not contain abbreviated units") and Prometheus wants base units: they are
//!   `*_duration_seconds` here, recording seconds, with the origin's bucket bounds
//!   (1, 5, 10, 50, 100, 500, 1000, 5000, 10000 ms) converted to seconds. Queries change from
//!   `histogram_quantile(0.99, action_duration_ms)` to
//!   `histogram_quantile(0.99, rate(action_duration_seconds_bucket[5m]))` (the origin's
//!   dashboard query also lacked the `_bucket`/`rate()`).
//! - **`queue_depth` drops on dead-lettering too.** The origin decremented it only in
//!   `mark_success`, so every dead-lettered job stayed counted forever and `queue_depth >
//!   1000` would fire eventually on a healthy queue.
//! - `cache_hit_rate` and `dedup_hit_rate` stay percentages (0–100) computed from the
//!   counters, as in the origin, so its `cache_hit_rate < 50` alert still holds. promtool does
//!   not flag them; the convention would be a `_ratio` in 0–1, or no gauge at all:
//!   `rate(cache_hits_total[5m]) / (rate(cache_hits_total[5m]) + rate(cache_misses_total[5m]))`.
//! - The origin's `ObserverMetrics` struct listed 20 fields, but its metric tree and code
//!   also use `cache_size_bytes`, `dedup_hit_rate` and `checkpoint_recovery_total`: all 23
//!   are here.
//!
//! The simulated load: two listeners deliver events (8 % are redeliveries), each event runs
//! one or two actions (some time out, fail or are unreachable; results are cached per entity
//! and action), failed actions are queued and retried up to three times by a worker, and
//! listeners save a checkpoint every 25 events and now and then reconnect and recover it.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use promforge::{
    Counter, Error, FloatGauge, Gauge, Histogram, LabelValue, MetricsGroup, Registry,
    instrument_metrics,
};
use tokio::task::JoinSet;

use crate::Running;

/// The observer's own registry (never the default one). A `static`, because
/// `#[instrument_metrics(registry = REGISTRY)]` names it at every call.
static REGISTRY: LazyLock<Registry> = LazyLock::new(Registry::new);

/// The origin's timing buckets (1 ms … 10 s), in seconds.
const DURATION_BUCKETS: &[f64] = &[0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0];

/// The origin's `ObserverMetrics`: one field per metric, named as the origin names it.
#[derive(MetricsGroup)]
struct ObserverMetrics {
    // Event processing
    /// Events processed by the observer executor.
    events_processed_total: Counter,
    /// Time to process one event (run every matching observer), in seconds.
    #[metric(buckets = DURATION_BUCKETS)]
    event_processing_duration_seconds: Histogram,
    /// Events being processed now.
    events_in_flight: Gauge,

    // Action execution
    /// Actions executed.
    actions_executed_total: Counter,
    /// Actions that succeeded.
    action_success_total: Counter,
    /// Actions that failed (an unsuccessful result, an error or a timeout).
    action_failure_total: Counter,
    /// Time to execute one action, in seconds.
    #[metric(buckets = DURATION_BUCKETS)]
    action_duration_seconds: Histogram,
    /// Actions that timed out (also counted as failures).
    action_timeout_total: Counter,

    // Queue
    /// Jobs in the retry queue (enqueued, not yet processed or dead-lettered).
    queue_depth: Gauge,
    /// Jobs enqueued.
    queue_jobs_enqueued_total: Counter,
    /// Jobs processed successfully.
    queue_jobs_processed_total: Counter,
    /// Job retries scheduled.
    queue_retry_total: Counter,
    /// Jobs moved to the dead-letter list.
    queue_deadletter_total: Counter,

    // Cache
    /// Action result cache hits.
    cache_hits_total: Counter,
    /// Action result cache misses.
    cache_misses_total: Counter,
    /// Cache hits as a percentage of lookups (0-100).
    cache_hit_rate: FloatGauge,
    /// Bytes held by the action result cache.
    cache_size_bytes: Gauge,

    // Dedup
    /// Deduplication checks.
    dedup_checks_total: Counter,
    /// Events found to be duplicates.
    dedup_duplicates_found_total: Counter,
    /// Duplicates as a percentage of dedup checks (0-100).
    dedup_hit_rate: FloatGauge,

    // Checkpoints
    /// Checkpoints saved.
    checkpoint_saves_total: Counter,
    /// Time to save one checkpoint, in seconds.
    #[metric(buckets = DURATION_BUCKETS)]
    checkpoint_save_duration_seconds: Histogram,
    /// Listener positions recovered from a checkpoint.
    checkpoint_recovery_total: Counter,
}

// ---------------------------------------------------------------------------------------
// The domain, simulated.

/// What changed.
#[derive(Clone, Copy, Debug)]
enum EventKind {
    Insert,
    Update,
    Delete,
}

/// An entity change event, as a listener delivers it.
#[derive(Clone, Copy, Debug)]
struct EntityEvent {
    id: u64,
    entity_id: u64,
    kind: EventKind,
}

/// The actions an observer runs.
#[derive(LabelValue, Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum ActionKind {
    Webhook,
    Email,
    Slack,
}

impl ActionKind {
    /// The actions configured for an event kind.
    fn for_event(kind: EventKind) -> &'static [ActionKind] {
        match kind {
            EventKind::Insert => &[ActionKind::Webhook, ActionKind::Email],
            EventKind::Update => &[ActionKind::Webhook],
            EventKind::Delete => &[ActionKind::Slack, ActionKind::Webhook],
        }
    }
}

/// What an action returned: `success == false` is a delivered but refused action (a 4xx
/// from the webhook, a bounced e-mail).
#[derive(Clone, Copy, Debug)]
struct ActionResult {
    success: bool,
    size_bytes: i64,
}

/// Why an action could not be executed (the `error` label of `function_calls_total`).
#[derive(LabelValue, Clone, Copy, Debug, PartialEq, Eq)]
enum ActionError {
    Timeout,
    Unreachable,
}

/// Why an event could not be processed.
#[derive(LabelValue, Clone, Copy, Debug, PartialEq, Eq)]
enum EventError {
    InvalidPayload,
}

/// Why the checkpoint store refused an operation.
#[derive(LabelValue, Clone, Copy, Debug, PartialEq, Eq)]
enum StoreError {
    Unavailable,
}

/// A failed action, waiting to be retried.
#[derive(Clone, Copy, Debug)]
struct Job {
    id: u64,
    event: EntityEvent,
    action: ActionKind,
    attempts: u32,
}

/// A listener's position.
#[derive(Clone, Copy, Debug)]
struct CheckpointState {
    last_event_id: u64,
}

/// How long an action may take.
const ACTION_TIMEOUT: Duration = Duration::from_millis(40);
/// Cached action results kept (oldest evicted first).
const CACHE_CAPACITY: usize = 400;
/// Event ids the dedup store remembers.
const DEDUP_WINDOW: usize = 10_000;
/// Attempts before a job is dead-lettered.
const MAX_ATTEMPTS: u32 = 3;
/// Dead-lettered jobs kept for inspection.
const DEADLETTERS_KEPT: usize = 100;

/// The action result cache: results by (action, entity), oldest evicted first.
#[derive(Default)]
struct ResultCache {
    entries: HashMap<(ActionKind, u64), ActionResult>,
    order: VecDeque<(ActionKind, u64)>,
    size_bytes: i64,
}

/// The event ids seen recently.
#[derive(Default)]
struct DedupStore {
    seen: HashSet<u64>,
    order: VecDeque<u64>,
}

/// The observer: its metrics and its (in-memory) stores.
struct Observer {
    metrics: ObserverMetrics,
    cache: Mutex<ResultCache>,
    dedup: Mutex<DedupStore>,
    queue: Mutex<VecDeque<Job>>,
    /// The last dead-lettered jobs: id and reason.
    deadletters: Mutex<VecDeque<(u64, &'static str)>>,
    checkpoints: Mutex<HashMap<&'static str, CheckpointState>>,
    next_job_id: AtomicU64,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The observer's operations: the functions the origin instrumented by hand. Each is
/// counted, timed and tracked in flight by the attribute (the shared `function_calls_*`
/// families); the origin's own metrics are updated in the bodies, as the origin did.
#[instrument_metrics(registry = REGISTRY)]
impl Observer {
    /// Runs every action configured for the event (origin: `executor.rs`).
    /// Returns how many actions ran (not answered from the cache).
    async fn process_event(&self, event: EntityEvent) -> Result<usize, EventError> {
        let m = &self.metrics;
        let _in_flight = m.events_in_flight.track_in_flight();
        let _timer = m.event_processing_duration_seconds.start_timer();
        let result = self.execute_observers(event).await;
        m.events_processed_total.inc();
        result
    }

    /// Executes one action, counting its outcome (origin: `MetricsActionExecutor`).
    async fn execute_action(
        &self,
        event: &EntityEvent,
        action: ActionKind,
    ) -> Result<ActionResult, ActionError> {
        let m = &self.metrics;
        m.actions_executed_total.inc();
        let _timer = m.action_duration_seconds.start_timer();
        let result = deliver(event, action, 0).await;
        match result {
            Ok(ActionResult { success: true, .. }) => m.action_success_total.inc(),
            Ok(_) | Err(ActionError::Unreachable) => m.action_failure_total.inc(),
            Err(ActionError::Timeout) => {
                m.action_failure_total.inc();
                m.action_timeout_total.inc();
            }
        }
        result
    }

    /// Looks an action result up in the cache (origin: `cache/mod.rs`).
    async fn cache_get(&self, key: (ActionKind, u64)) -> Option<ActionResult> {
        let found = lock(&self.cache).entries.get(&key).copied();
        let m = &self.metrics;
        if found.is_some() {
            m.cache_hits_total.inc();
        } else {
            m.cache_misses_total.inc();
        }
        self.update_hit_rate();
        found
    }

    /// Whether the event was seen before (origin: `dedup/mod.rs`).
    async fn is_duplicate(&self, event_id: u64) -> bool {
        let m = &self.metrics;
        m.dedup_checks_total.inc();
        let duplicate = {
            let mut dedup = lock(&self.dedup);
            let fresh = dedup.seen.insert(event_id);
            if fresh {
                dedup.order.push_back(event_id);
                if dedup.order.len() > DEDUP_WINDOW
                    && let Some(old) = dedup.order.pop_front()
                {
                    dedup.seen.remove(&old);
                }
            }
            !fresh
        };
        if duplicate {
            m.dedup_duplicates_found_total.inc();
        }
        self.update_dedup_rate();
        duplicate
    }

    /// Queues a failed action for retry (origin: `queue/mod.rs`); returns the job id.
    async fn enqueue(&self, event: EntityEvent, action: ActionKind) -> u64 {
        let id = self.next_job_id.fetch_add(1, Ordering::Relaxed);
        lock(&self.queue).push_back(Job {
            id,
            event,
            action,
            attempts: 1,
        });
        self.metrics.queue_jobs_enqueued_total.inc();
        self.metrics.queue_depth.inc();
        id
    }

    /// A job's retry succeeded: it leaves the queue (the in-memory queue handed it out
    /// already; a database-backed one would delete its row here).
    async fn mark_success(&self, _job_id: u64) {
        self.metrics.queue_jobs_processed_total.inc();
        self.metrics.queue_depth.dec();
    }

    /// A job's retry failed: it goes back in the queue.
    async fn mark_retry(&self, job: Job) {
        lock(&self.queue).push_back(Job {
            attempts: job.attempts + 1,
            ..job
        });
        self.metrics.queue_retry_total.inc();
    }

    /// A job failed too often: it leaves the queue for the dead-letter list.
    async fn mark_deadletter(&self, job: &Job, reason: &'static str) {
        {
            let mut deadletters = lock(&self.deadletters);
            if deadletters.len() == DEADLETTERS_KEPT {
                deadletters.pop_front();
            }
            deadletters.push_back((job.id, reason));
        }
        self.metrics.queue_deadletter_total.inc();
        self.metrics.queue_depth.dec();
    }

    /// Saves a listener's position (origin: `checkpoint/mod.rs`). A failed save is not
    /// counted or timed, as in the origin.
    async fn save_checkpoint(
        &self,
        listener: &'static str,
        state: CheckpointState,
    ) -> Result<(), StoreError> {
        let m = &self.metrics;
        let timer = m.checkpoint_save_duration_seconds.start_timer();
        let roll = mix(state.last_event_id ^ 0xc4ec);
        tokio::time::sleep(Duration::from_micros(500 + roll % 4_000)).await;
        if roll % 50 == 0 {
            timer.discard();
            return Err(StoreError::Unavailable);
        }
        lock(&self.checkpoints).insert(listener, state);
        drop(timer);
        m.checkpoint_saves_total.inc();
        Ok(())
    }

    /// Reads a listener's saved position, if there is one.
    async fn recover(&self, listener: &'static str) -> Result<Option<CheckpointState>, StoreError> {
        tokio::time::sleep(Duration::from_millis(1)).await;
        let state = lock(&self.checkpoints).get(listener).copied();
        if state.is_some() {
            self.metrics.checkpoint_recovery_total.inc();
        }
        Ok(state)
    }
}

/// Helpers, not instrumented.
impl Observer {
    fn new(metrics: ObserverMetrics) -> Self {
        // A previous run of the `orders` listener left a checkpoint.
        let checkpoints = HashMap::from([(
            "orders",
            CheckpointState {
                last_event_id: 1_000,
            },
        )]);
        Self {
            metrics,
            cache: Mutex::default(),
            dedup: Mutex::default(),
            queue: Mutex::default(),
            deadletters: Mutex::default(),
            checkpoints: Mutex::new(checkpoints),
            next_job_id: AtomicU64::new(1),
        }
    }

    /// Runs the event's actions: from the cache when a result is there, else executed
    /// (and cached when successful); failures are queued for retry.
    async fn execute_observers(&self, event: EntityEvent) -> Result<usize, EventError> {
        if mix(event.id) % 100 == 0 {
            return Err(EventError::InvalidPayload);
        }
        let mut executed = 0;
        for &action in ActionKind::for_event(event.kind) {
            let key = (action, event.entity_id);
            if self.cache_get(key).await.is_some() {
                continue;
            }
            executed += 1;
            match self.execute_action(&event, action).await {
                Ok(result) if result.success => self.cache_put(key, result),
                Ok(_) | Err(_) => {
                    self.enqueue(event, action).await;
                }
            }
        }
        Ok(executed)
    }

    fn cache_put(&self, key: (ActionKind, u64), result: ActionResult) {
        let mut cache = lock(&self.cache);
        if let Some(old) = cache.entries.insert(key, result) {
            cache.size_bytes -= old.size_bytes;
        } else {
            cache.order.push_back(key);
        }
        cache.size_bytes += result.size_bytes;
        while cache.order.len() > CACHE_CAPACITY {
            let Some(oldest) = cache.order.pop_front() else {
                break;
            };
            if let Some(evicted) = cache.entries.remove(&oldest) {
                cache.size_bytes -= evicted.size_bytes;
            }
        }
        self.metrics.cache_size_bytes.set(cache.size_bytes);
    }

    /// `cache_hit_rate` from the counters, as the origin computes it (a percentage).
    fn update_hit_rate(&self) {
        let m = &self.metrics;
        let hits = m.cache_hits_total.get() as f64;
        let total = hits + m.cache_misses_total.get() as f64;
        if total > 0.0 {
            m.cache_hit_rate.set(hits / total * 100.0);
        }
    }

    /// `dedup_hit_rate` from the counters, as the origin computes it (a percentage).
    fn update_dedup_rate(&self) {
        let m = &self.metrics;
        let checks = m.dedup_checks_total.get() as f64;
        if checks > 0.0 {
            let duplicates = m.dedup_duplicates_found_total.get() as f64;
            m.dedup_hit_rate.set(duplicates / checks * 100.0);
        }
    }

    /// Drops redelivered events, processes the others.
    async fn handle(&self, event: EntityEvent) {
        if !self.is_duplicate(event.id).await {
            let _ = self.process_event(event).await;
        }
    }

    fn next_job(&self) -> Option<Job> {
        lock(&self.queue).pop_front()
    }
}

/// The action itself, simulated: a delivery taking a few milliseconds that now and then
/// hangs (a timeout), finds the endpoint unreachable, or is refused.
async fn deliver(
    event: &EntityEvent,
    action: ActionKind,
    attempt: u32,
) -> Result<ActionResult, ActionError> {
    let roll = mix(event.id ^ ((action.index() as u64) << 56) ^ (u64::from(attempt) << 48));
    let base_ms = match action {
        ActionKind::Webhook => 4,
        ActionKind::Email => 2,
        ActionKind::Slack => 3,
    };
    let outcome = roll % 100;
    let latency = if outcome < 4 {
        ACTION_TIMEOUT * 3 // hangs
    } else {
        Duration::from_micros(base_ms * 1_000 + (roll >> 8) % 20_000)
    };
    let work = async {
        tokio::time::sleep(latency).await;
        match outcome {
            4..=6 => Err(ActionError::Unreachable),
            7..=11 => Ok(ActionResult {
                success: false,
                size_bytes: 0,
            }),
            _ => Ok(ActionResult {
                success: true,
                size_bytes: 64 + ((roll >> 32) % 448) as i64,
            }),
        }
    };
    tokio::time::timeout(ACTION_TIMEOUT, work)
        .await
        .unwrap_or(Err(ActionError::Timeout))
}

/// A 64-bit mix (splitmix64's finalizer): the simulation's randomness, reproducible from
/// ids.
fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

// ---------------------------------------------------------------------------------------
// Load.

/// One listener: delivers events (some of them again), checkpoints every 25 events, and
/// now and then reconnects and recovers its position.
async fn run_listener(observer: Arc<Observer>, listener: &'static str, number: u64) {
    let mut position = match observer.recover(listener).await {
        Ok(Some(state)) => state.last_event_id,
        Ok(None) | Err(_) => 0,
    };
    let mut in_progress = JoinSet::new();
    let mut recent: VecDeque<EntityEvent> = VecDeque::with_capacity(64);
    let mut delivered = 0u64;
    loop {
        tokio::time::sleep(Duration::from_millis(4)).await;
        delivered += 1;
        let roll = mix(delivered ^ (number << 60));
        let event = match recent.get((roll >> 16) as usize % 64) {
            Some(&event) if roll % 100 < 8 => event, // redelivered
            _ => {
                position += 1;
                let event = EntityEvent {
                    id: (number << 48) | position,
                    entity_id: (roll >> 24) % 200,
                    kind: match (roll >> 40) % 10 {
                        0..=4 => EventKind::Insert,
                        5..=8 => EventKind::Update,
                        _ => EventKind::Delete,
                    },
                };
                if recent.len() == 64 {
                    recent.pop_front();
                }
                recent.push_back(event);
                event
            }
        };
        let worker = Arc::clone(&observer);
        in_progress.spawn(async move { worker.handle(event).await });
        while in_progress.try_join_next().is_some() {}
        if in_progress.len() > 64 {
            in_progress.join_next().await;
        }
        if delivered % 25 == 0 {
            let state = CheckpointState {
                last_event_id: position,
            };
            let _ = observer.save_checkpoint(listener, state).await;
        }
        if roll % 1_000 == 999 {
            // The connection dropped: resume from the last checkpoint.
            if let Ok(Some(state)) = observer.recover(listener).await {
                position = position.max(state.last_event_id);
            }
        }
    }
}

/// The retry worker: takes jobs from the queue and retries them; a job that failed
/// `MAX_ATTEMPTS` times is dead-lettered.
async fn run_queue_worker(observer: Arc<Observer>) {
    loop {
        tokio::time::sleep(Duration::from_millis(20)).await;
        for _ in 0..16 {
            let Some(job) = observer.next_job() else {
                break;
            };
            let ok = matches!(
                deliver(&job.event, job.action, job.attempts).await,
                Ok(ActionResult { success: true, .. })
            ) && mix(job.id) % 10 < 6;
            if ok {
                observer.mark_success(job.id).await;
            } else if job.attempts >= MAX_ATTEMPTS {
                observer.mark_deadletter(&job, "max attempts reached").await;
            } else {
                observer.mark_retry(job).await;
            }
        }
    }
}

/// Starts the observer on `addr`: registers its metrics in its own registry, serves
/// `/metrics`, `/health` and `/ready` from an axum app, and runs the simulated listeners
/// and retry worker. A second call in one process fails (the metrics are registered).
pub async fn start(addr: String) -> Result<Running, Error> {
    let registry = REGISTRY.clone();
    let metrics = ObserverMetrics::register(&registry)?;
    let observer = Arc::new(Observer::new(metrics));

    // The origin's `create_metrics_router`: `/metrics` (and `/health`, `/ready`) in axum.
    let app: axum::Router = promforge::http::axum::routes(registry.clone());
    let (local, shutdown) = crate::serve_axum(&addr, app, "observer").await?;

    let tasks = [
        tokio::spawn(run_listener(Arc::clone(&observer), "orders", 0)),
        tokio::spawn(run_listener(Arc::clone(&observer), "users", 1)),
        tokio::spawn(run_queue_worker(observer)),
    ];
    Ok(Running {
        addr: local,
        registry,
        stop: Box::new(move || {
            for task in &tasks {
                task.abort();
            }
            let _ = shutdown.send(()); // connections in progress finish, then it ends
        }),
    })
}
