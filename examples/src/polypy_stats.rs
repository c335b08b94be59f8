//! Origin 000, "polypy": a market-data service that already keeps its statistics in plain
//! structs (per connection, per worker, router, recycler, registry, pool, lifecycle) and
//! wants them on `/metrics`. The origin wrote a "transformation layer": on each scrape, a
//! fresh `prometheus_client` registry filled from `get_stats()` by hand, ~400 lines.
//!
//! Here the structs stay as they are (numbers, maps, a list) and derive
//! [`MetricsGroup`](promforge::MetricsGroup) with `#[metrics(snapshot)]`: the attributes say
//! which field is a counter, a gauge or a label, convert units with `scale`, put several
//! fields into one family with fixed labels (`labels(result = "completed")`), and make
//! summaries from aggregates (`summary(avg = …, count = …)`: the origin's phase 3). One
//! `Arc<Mutex<PolypyStats>>` is registered; each scrape reads it under the lock, with no
//! registry built per scrape.
//!
//! # Metrics
//!
//! | metric | type | labels | from |
//! |---|---|---|---|
//! | `polypy_application_running` | gauge | | `running` |
//! | `polypy_registry_markets` | gauge | `status` = total, pending, subscribed, expired | `total_markets`, `pending`, `subscribed`, `expired` |
//! | `polypy_pool_connections` | gauge | `type` = total, active | `connection_count`, `active_connections` |
//! | `polypy_pool_capacity` | gauge | | `total_capacity` |
//! | `polypy_connection_messages_received_total` | counter | `connection_id` | `messages_received` |
//! | `polypy_connection_bytes_received_total` | counter | `connection_id` | `bytes_received` |
//! | `polypy_connection_parse_errors_total` | counter | `connection_id` | `parse_errors` |
//! | `polypy_connection_reconnects_total` | counter | `connection_id` | `reconnect_count` |
//! | `polypy_connection_message_rate` | gauge | `connection_id` | `message_rate` (messages/second) |
//! | `polypy_connection_healthy` | gauge | `connection_id`, `status` | `health` |
//! | `polypy_connection_markets` | gauge | `connection_id`, `type` = total, subscribed, expired | `total_markets`, `subscribed_markets`, `expired_markets` |
//! | `polypy_connection_pollution_ratio` | gauge | `connection_id` | `pollution_ratio` |
//! | `polypy_router_messages_routed_total` | counter | | `messages_routed` |
//! | `polypy_router_messages_dropped_total` | counter | | `messages_dropped` |
//! | `polypy_router_batches_sent_total` | counter | | `batches_sent` |
//! | `polypy_router_queue_full_events_total` | counter | | `queue_full_events` |
//! | `polypy_router_routing_errors_total` | counter | | `routing_errors` |
//! | `polypy_router_queue_depth` | gauge | `queue_name` | `queue_depths` (an unknown depth writes nothing) |
//! | `polypy_router_routing_latency_seconds` | summary (`_sum`, `_count`) | | `total_latency_ms` ÷ 1000, `messages_routed` |
//! | `polypy_workers_alive` | gauge | | `alive_count` |
//! | `polypy_workers_healthy` | gauge | | `is_healthy` |
//! | `polypy_worker_messages_processed_total` | counter | `worker_id` | `messages_processed` |
//! | `polypy_worker_updates_applied_total` | counter | `worker_id` | `updates_applied` |
//! | `polypy_worker_snapshots_received_total` | counter | `worker_id` | `snapshots_received` |
//! | `polypy_worker_orderbooks` | gauge | `worker_id` | `orderbook_count` |
//! | `polypy_worker_memory_bytes` | gauge | `worker_id` | `memory_usage_mb` × 1048576 |
//! | `polypy_worker_processing_seconds` | summary (`_sum`, `_count`) | `worker_id` | `avg_processing_time_us` × `messages_processed` ÷ 10⁶, `messages_processed` |
//! | `polypy_lifecycle_running` | gauge | | `is_running` |
//! | `polypy_lifecycle_known_markets` | gauge | | `known_market_count` |
//! | `polypy_recycler_recycles_total` | counter | `result` = completed, failed | `recycles_completed`, `recycles_failed` |
//! | `polypy_recycler_markets_migrated_total` | counter | | `markets_migrated` |
//! | `polypy_recycler_success_rate` | gauge | | `success_rate` (0.0 to 1.0) |
//! | `polypy_recycler_active_recycles` | gauge | | `active_recycles` |
//! | `polypy_recycler_avg_downtime_seconds` | gauge | | `avg_downtime_ms` ÷ 1000 |
//! | `polypy_recycler_downtime_seconds` | summary (`_sum`, `_count`) | | `avg_downtime_ms` × `recycles_completed` ÷ 1000, `recycles_completed` |
//!
//! # Where this differs from the origin, and why
//!
//! - `polypy_registry_markets_total` and `polypy_connection_markets_total` are gauges (a
//!   market expires, so the number goes down). `promtool check metrics` flags a gauge whose
//!   name ends in `_total` ("non-counter metrics should not have `_total` suffix"), and
//!   `rate()` over it would be wrong: they are `polypy_registry_markets` and
//!   `polypy_connection_markets`.
//! - `polypy_worker_orderbook_count` is a gauge too, and promtool flags a gauge ending in
//!   `_count` (the suffix of a summary's or histogram's sample): it is
//!   `polypy_worker_orderbooks`.
//! - Every family is written at every scrape, at 0 before anything happened, as Prometheus
//!   advises. The origin left out the summaries and `avg_downtime_seconds` while their
//!   average was 0, and `message_rate` for a connection with no age; it also left out a
//!   queue depth of -1 (not known on macOS), which here is `None`, so that series is not
//!   written either.
//! - The summaries are the origin's phase 3 (which replaced the phase-1 counter
//!   `polypy_router_routing_latency_seconds_total` and the phase-2 gauge
//!   `polypy_worker_avg_processing_time_seconds`); like the origin's, they have `_sum` and
//!   `_count` and no quantiles: the service keeps averages, not observations.
//!   `rate(…_sum[1m]) / rate(…_count[1m])` is the average over the last minute.
//! - `status="total"` (registry) and `type="total"` (pool, connection) are kept from the
//!   origin: `sum()` over those labels counts everything twice, so exclude them
//!   (`sum(polypy_registry_markets{status!="total"})`).
//! - `message_rate` is a field the connection keeps up to date (messages per second over
//!   the last interval), where the origin divided `messages_received` by the connection's
//!   age at each scrape.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use promforge::{LabelValue, MetricsGroup, Registry};

use crate::Running;

/// What `PolyPy.get_stats()` aggregates: every component's stats.
#[derive(MetricsGroup, Debug, Clone, PartialEq)]
#[metrics(prefix = "polypy", snapshot)]
pub struct PolypyStats {
    /// Whether the application is running (1) or stopped (0)
    #[metric(name = "application_running")]
    pub running: bool,
    /// The asset registry.
    pub registry: RegistryStats,
    /// The connection pool and its connections.
    pub pool: PoolStats,
    /// The message router.
    pub router: RouterStats,
    /// The worker processes.
    pub workers: WorkersStats,
    /// The lifecycle controller.
    pub lifecycle: LifecycleStats,
    /// The connection recycler.
    pub recycler: RecycleStats,
}

/// Markets known to the asset registry, by status.
#[derive(MetricsGroup, Debug, Clone, Default, PartialEq)]
#[metrics(prefix = "registry", snapshot)]
pub struct RegistryStats {
    /// Number of markets by status
    #[metric(name = "markets", labels(status = "total"))]
    pub total_markets: u64,
    /// Markets waiting for a subscription.
    #[metric(name = "markets", labels(status = "pending"))]
    pub pending: u64,
    /// Markets subscribed on a connection.
    #[metric(name = "markets", labels(status = "subscribed"))]
    pub subscribed: u64,
    /// Markets past their end date.
    #[metric(name = "markets", labels(status = "expired"))]
    pub expired: u64,
}

/// The connection pool.
#[derive(MetricsGroup, Debug, Clone, Default, PartialEq)]
#[metrics(snapshot)]
pub struct PoolStats {
    /// Number of connections by type
    #[metric(name = "pool_connections", labels(type = "total"))]
    pub connection_count: u64,
    /// Connections that are up.
    #[metric(name = "pool_connections", labels(type = "active"))]
    pub active_connections: u64,
    /// Total subscription capacity across all connections
    #[metric(name = "pool_capacity")]
    pub total_capacity: u64,
    /// Each connection's stats.
    pub stats: Vec<ConnectionStats>,
}

/// The state of a WebSocket connection (`status="CONNECTED"`, …, as the origin writes it).
#[derive(LabelValue, Debug, Clone, Copy, PartialEq, Eq)]
#[label(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ConnectionStatus {
    /// Opening.
    Connecting,
    /// Up and receiving.
    Connected,
    /// Down, to be reconnected.
    Disconnected,
    /// Being recycled: no new subscriptions.
    Draining,
}

/// A connection's health: `polypy_connection_healthy{connection_id, status}` (the status is
/// a label of this family only).
#[derive(MetricsGroup, Debug, Clone, PartialEq)]
#[metrics(snapshot)]
pub struct ConnectionHealth {
    /// The connection's state.
    #[metric(label)]
    pub status: ConnectionStatus,
    /// Connection health status (1=healthy, 0=unhealthy)
    pub healthy: bool,
}

/// One WebSocket connection (`src/connection/stats.py`).
#[derive(MetricsGroup, Debug, Clone, PartialEq)]
#[metrics(prefix = "connection", snapshot)]
pub struct ConnectionStats {
    /// The connection's id (`conn-0`, …).
    #[metric(label)]
    pub connection_id: String,
    /// Seconds since the connection was (re)opened.
    #[metric(skip)]
    pub age_seconds: f64,
    /// Whether the connection is being recycled.
    #[metric(skip)]
    pub is_draining: bool,
    /// Total messages received per connection
    #[metric(counter)]
    pub messages_received: u64,
    /// Total bytes received per connection
    #[metric(counter)]
    pub bytes_received: u64,
    /// Total parse errors per connection
    #[metric(counter)]
    pub parse_errors: u64,
    /// Total reconnection attempts per connection
    #[metric(counter, name = "reconnects")]
    pub reconnect_count: u64,
    /// Message rate (messages/second) per connection
    pub message_rate: f64,
    /// The connection's state and health.
    pub health: ConnectionHealth,
    /// Number of markets per connection by type
    #[metric(name = "markets", labels(type = "total"))]
    pub total_markets: u64,
    /// Markets subscribed on the connection.
    #[metric(name = "markets", labels(type = "subscribed"))]
    pub subscribed_markets: u64,
    /// Markets on the connection that have expired.
    #[metric(name = "markets", labels(type = "expired"))]
    pub expired_markets: u64,
    /// Ratio of expired to total markets per connection
    pub pollution_ratio: f64,
}

/// The message router (`src/router.py`).
#[derive(MetricsGroup, Debug, Clone, Default, PartialEq)]
#[metrics(prefix = "router", snapshot)]
#[metrics(summary(
    name = "routing_latency_seconds",
    sum = total_latency_ms,
    count = messages_routed,
    scale = 0.001,
    help = "Message routing latency distribution in seconds"
))]
pub struct RouterStats {
    /// Total messages successfully routed to workers
    #[metric(counter)]
    pub messages_routed: u64,
    /// Total messages dropped due to backpressure
    #[metric(counter)]
    pub messages_dropped: u64,
    /// Total batches sent to workers
    #[metric(counter)]
    pub batches_sent: u64,
    /// Total worker queue full events
    #[metric(counter)]
    pub queue_full_events: u64,
    /// Total routing errors
    #[metric(counter)]
    pub routing_errors: u64,
    /// Routing latency of all messages routed, in milliseconds.
    #[metric(skip)]
    pub total_latency_ms: f64,
    /// Current queue depth by queue name
    ///
    /// `None` where the depth is not known (`qsize()` is not implemented on macOS).
    #[metric(key = "queue_name", name = "queue_depth")]
    pub queue_depths: BTreeMap<String, Option<u64>>,
}

/// The worker processes.
#[derive(MetricsGroup, Debug, Clone, Default, PartialEq)]
#[metrics(snapshot)]
pub struct WorkersStats {
    /// Number of alive worker processes
    #[metric(name = "workers_alive")]
    pub alive_count: u64,
    /// Whether all workers are healthy (1) or not (0)
    #[metric(name = "workers_healthy")]
    pub is_healthy: bool,
    /// Each worker's stats, by worker id.
    #[metric(key = "worker_id")]
    pub worker_stats: BTreeMap<u32, WorkerStats>,
}

/// One worker process (`src/worker.py`), as it reports every few seconds.
#[derive(MetricsGroup, Debug, Clone, Default, PartialEq)]
#[metrics(prefix = "worker", snapshot)]
#[metrics(summary(
    name = "processing_seconds",
    avg = avg_processing_time_us,
    count = messages_processed,
    scale = 0.000001,
    help = "Worker message processing time distribution in seconds"
))]
pub struct WorkerStats {
    /// Total messages processed per worker
    #[metric(counter)]
    pub messages_processed: u64,
    /// Total orderbook updates applied per worker
    #[metric(counter)]
    pub updates_applied: u64,
    /// Total orderbook snapshots received per worker
    #[metric(counter)]
    pub snapshots_received: u64,
    /// Average processing time of a message, in microseconds.
    #[metric(skip)]
    pub avg_processing_time_us: f64,
    /// Number of orderbooks managed per worker
    #[metric(name = "orderbooks")]
    pub orderbook_count: u64,
    /// Memory usage in bytes per worker
    #[metric(name = "memory", unit = "bytes", scale = 1048576.0)]
    pub memory_usage_mb: f64,
}

/// The lifecycle controller (market discovery and expiry).
#[derive(MetricsGroup, Debug, Clone, Default, PartialEq)]
#[metrics(prefix = "lifecycle", snapshot)]
pub struct LifecycleStats {
    /// Whether lifecycle controller is running (1) or stopped (0)
    #[metric(name = "running")]
    pub is_running: bool,
    /// Number of known market condition IDs
    #[metric(name = "known_markets")]
    pub known_market_count: u64,
}

/// The connection recycler (`src/lifecycle/recycler.py`).
#[derive(MetricsGroup, Debug, Clone, PartialEq)]
#[metrics(prefix = "recycler", snapshot)]
#[metrics(summary(
    name = "downtime_seconds",
    avg = avg_downtime_ms,
    count = recycles_completed,
    scale = 0.001,
    help = "Recycle operation downtime distribution in seconds"
))]
pub struct RecycleStats {
    /// Recycles started.
    #[metric(skip)]
    pub recycles_initiated: u64,
    /// Total recycle operations by result
    #[metric(counter, name = "recycles", labels(result = "completed"))]
    pub recycles_completed: u64,
    /// Recycles that failed.
    #[metric(counter, name = "recycles", labels(result = "failed"))]
    pub recycles_failed: u64,
    /// Total markets migrated during recycles
    #[metric(counter)]
    pub markets_migrated: u64,
    /// Recycle success rate (0.0 to 1.0)
    pub success_rate: f64,
    /// Number of currently active recycle operations
    pub active_recycles: u64,
    /// Average downtime per recycle in seconds
    #[metric(unit = "seconds", scale = 0.001)]
    pub avg_downtime_ms: f64,
}

impl Default for RecycleStats {
    fn default() -> Self {
        Self {
            recycles_initiated: 0,
            recycles_completed: 0,
            recycles_failed: 0,
            markets_migrated: 0,
            success_rate: 1.0,
            active_recycles: 0,
            avg_downtime_ms: 0.0,
        }
    }
}

fn connection(
    id: &str,
    age_seconds: f64,
    messages_received: u64,
    bytes_received: u64,
    parse_errors: u64,
    reconnect_count: u64,
) -> ConnectionStats {
    ConnectionStats {
        connection_id: id.to_owned(),
        age_seconds,
        is_draining: false,
        messages_received,
        bytes_received,
        parse_errors,
        reconnect_count,
        message_rate: messages_received as f64 / age_seconds,
        health: ConnectionHealth {
            status: ConnectionStatus::Connected,
            healthy: true,
        },
        total_markets: 75,
        subscribed_markets: 60,
        expired_markets: 15,
        pollution_ratio: 0.2,
    }
}

fn worker(avg_processing_time_us: f64, memory_usage_mb: f64) -> WorkerStats {
    WorkerStats {
        messages_processed: 1500,
        updates_applied: 4500,
        snapshots_received: 75,
        avg_processing_time_us,
        orderbook_count: 75,
        memory_usage_mb,
    }
}

/// The stats of the origin's test fixture (`mock_stats` of phase 2), with the router's
/// `avg_latency_ms` of 1.5 over 3000 messages kept as its total, 4500 ms.
pub fn sample_stats() -> PolypyStats {
    PolypyStats {
        running: true,
        registry: RegistryStats {
            total_markets: 150,
            pending: 10,
            subscribed: 120,
            expired: 20,
        },
        pool: PoolStats {
            connection_count: 2,
            active_connections: 2,
            total_capacity: 1000,
            stats: vec![
                connection("conn-0", 100.0, 1000, 50_000, 2, 1),
                connection("conn-1", 200.0, 2000, 100_000, 0, 0),
            ],
        },
        router: RouterStats {
            messages_routed: 3000,
            messages_dropped: 10,
            batches_sent: 150,
            queue_full_events: 2,
            routing_errors: 1,
            total_latency_ms: 4500.0,
            queue_depths: BTreeMap::from([
                ("async_queue".to_owned(), Some(10)),
                ("worker_0".to_owned(), Some(5)),
                ("worker_1".to_owned(), Some(3)),
            ]),
        },
        workers: WorkersStats {
            alive_count: 2,
            is_healthy: true,
            worker_stats: BTreeMap::from([(0, worker(250.5, 128.5)), (1, worker(230.2, 125.3))]),
        },
        lifecycle: LifecycleStats {
            is_running: true,
            known_market_count: 150,
        },
        recycler: RecycleStats {
            recycles_initiated: 5,
            recycles_completed: 4,
            recycles_failed: 1,
            markets_migrated: 300,
            success_rate: 0.8,
            active_recycles: 0,
            avg_downtime_ms: 150.0,
        },
    }
}

/// A registry of its own serving `stats`, read under the lock at every scrape.
///
/// # Errors
///
/// A family name refused by the registry (none is: the names are checked at compile time).
pub fn registry_for(stats: Arc<Mutex<PolypyStats>>) -> Result<Registry, promforge::Error> {
    let registry = Registry::new();
    PolypyStats::register_snapshot(&registry, stats)?;
    Ok(registry)
}

/// Serves the service's stats on `addr` and changes them as the service would (messages
/// flowing through connections, router and workers, a reconnect and a recycle now and then).
///
/// # Errors
///
/// The address cannot be bound.
pub async fn start(addr: String) -> Result<Running, promforge::Error> {
    let stats = Arc::new(Mutex::new(starting_stats()));
    let registry = registry_for(stats.clone())?;
    let handle = promforge::Exporter::new(registry.clone())
        .bind(addr)
        .start()
        .await?;
    let load = tokio::spawn(run_service(stats));
    Ok(Running {
        addr: handle.local_addr(),
        registry,
        stop: Box::new(move || {
            load.abort();
            let _ = handle.shutdown_blocking();
        }),
    })
}

/// The service just after start-up: three connections, two workers, nothing received yet.
fn starting_stats() -> PolypyStats {
    let mut stats = sample_stats();
    let connections = ["conn-0", "conn-1", "conn-2"];
    stats.pool = PoolStats {
        connection_count: 3,
        active_connections: 3,
        total_capacity: 1500,
        stats: connections
            .iter()
            .map(|id| ConnectionStats {
                reconnect_count: 0,
                ..connection(id, 1.0, 0, 0, 0, 0)
            })
            .collect(),
    };
    stats.router = RouterStats {
        queue_depths: ["async_queue", "worker_0", "worker_1"]
            .iter()
            .map(|name| ((*name).to_owned(), Some(0)))
            .collect(),
        ..RouterStats::default()
    };
    stats.workers.worker_stats =
        BTreeMap::from([(0, WorkerStats::default()), (1, WorkerStats::default())]);
    stats.recycler = RecycleStats::default();
    stats.registry = RegistryStats {
        total_markets: 225,
        pending: 0,
        subscribed: 225,
        expired: 0,
    };
    stats.lifecycle.known_market_count = 225;
    stats
}

/// A small deterministic generator (xorshift), enough for a demo's load.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number in `low..high` (`high > low`).
    fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.next() % (high - low)
    }

    /// True once in `n` times.
    fn one_in(&mut self, n: u64) -> bool {
        self.next() % n == 0
    }
}

const TICK: Duration = Duration::from_millis(100);

/// Updates the stats every tick, as the service's components do.
async fn run_service(stats: Arc<Mutex<PolypyStats>>) {
    let mut dice = Dice(0x9E37_79B9_7F4A_7C15);
    let mut ticks = tokio::time::interval(TICK);
    loop {
        ticks.tick().await;
        let mut stats = stats.lock().unwrap_or_else(PoisonError::into_inner);
        tick(&mut stats, &mut dice);
    }
}

/// One tick of the service's life.
fn tick(stats: &mut PolypyStats, dice: &mut Dice) {
    let seconds = TICK.as_secs_f64();

    // Connections receive messages; one reconnects now and then.
    let mut received = 0;
    for conn in &mut stats.pool.stats {
        conn.age_seconds += seconds;
        if conn.health.status != ConnectionStatus::Connected {
            conn.health = ConnectionHealth {
                status: ConnectionStatus::Connected,
                healthy: true,
            };
            conn.age_seconds = 0.0;
            conn.message_rate = 0.0;
            continue;
        }
        if dice.one_in(400) {
            conn.health = ConnectionHealth {
                status: ConnectionStatus::Disconnected,
                healthy: false,
            };
            conn.reconnect_count += 1;
            continue;
        }
        let messages = dice.between(20, 80);
        conn.messages_received += messages;
        conn.bytes_received += messages * dice.between(300, 700);
        if dice.one_in(50) {
            conn.parse_errors += 1;
        }
        conn.message_rate = messages as f64 / seconds;
        received += messages;
    }
    let active = stats
        .pool
        .stats
        .iter()
        .filter(|conn| conn.health.status == ConnectionStatus::Connected)
        .count() as u64;
    stats.pool.active_connections = active;

    // The router batches them to the workers.
    let router = &mut stats.router;
    let dropped = if dice.one_in(30) {
        router.queue_full_events += 1;
        dice.between(1, 10).min(received)
    } else {
        0
    };
    let routed = received - dropped;
    router.messages_dropped += dropped;
    router.messages_routed += routed;
    router.batches_sent += routed.div_ceil(50);
    router.total_latency_ms += routed as f64 * (1.0 + dice.between(0, 100) as f64 / 100.0);
    if dice.one_in(200) {
        router.routing_errors += 1;
    }
    for depth in router.queue_depths.values_mut() {
        *depth = Some(dice.between(0, 20));
    }

    // The workers process their share and report.
    let workers = stats.workers.worker_stats.len() as u64;
    for worker in stats.workers.worker_stats.values_mut() {
        let share = routed / workers.max(1);
        let time_us = 200.0 + dice.between(0, 100) as f64;
        let before = worker.messages_processed as f64;
        worker.messages_processed += share;
        if worker.messages_processed > 0 {
            worker.avg_processing_time_us = (worker.avg_processing_time_us * before
                + time_us * share as f64)
                / worker.messages_processed as f64;
        }
        worker.updates_applied += share * 3;
        if dice.one_in(10) {
            worker.snapshots_received += 1;
        }
        worker.orderbook_count = stats.registry.subscribed / workers.max(1);
        worker.memory_usage_mb = 120.0 + dice.between(0, 160) as f64 / 10.0;
    }
    stats.workers.alive_count = workers;
    stats.workers.is_healthy = true;

    // Markets come and go.
    let registry = &mut stats.registry;
    if dice.one_in(20) {
        registry.pending += 1;
        registry.total_markets += 1;
    } else if registry.pending > 0 && dice.one_in(5) {
        registry.pending -= 1;
        registry.subscribed += 1;
    } else if registry.subscribed > 0 && dice.one_in(40) {
        registry.subscribed -= 1;
        registry.expired += 1;
    }
    stats.lifecycle.known_market_count = registry.total_markets;
    for conn in &mut stats.pool.stats {
        conn.total_markets = registry.total_markets / 3;
        conn.expired_markets = registry.expired / 3;
        conn.subscribed_markets = registry.subscribed / 3;
        conn.pollution_ratio = conn.expired_markets as f64 / conn.total_markets.max(1) as f64;
    }

    // The recycler replaces a polluted connection now and then.
    let recycler = &mut stats.recycler;
    if recycler.active_recycles > 0 {
        recycler.active_recycles -= 1;
        if dice.one_in(5) {
            recycler.recycles_failed += 1;
        } else {
            let downtime_ms = 100.0 + dice.between(0, 100) as f64;
            let done = recycler.recycles_completed as f64;
            recycler.recycles_completed += 1;
            recycler.avg_downtime_ms = (recycler.avg_downtime_ms * done + downtime_ms)
                / recycler.recycles_completed as f64;
            recycler.markets_migrated += stats.registry.subscribed / 3;
        }
        let finished = recycler.recycles_completed + recycler.recycles_failed;
        recycler.success_rate = recycler.recycles_completed as f64 / finished as f64;
    } else if dice.one_in(100) {
        recycler.recycles_initiated += 1;
        recycler.active_recycles = 1;
    }
}
