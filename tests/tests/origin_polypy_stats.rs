//! Origin 000 ("polypy"): the service's stats structs, exposed through snapshot groups,
//! render every metric of the origin's list with its name, type, labels and value for the
//! origin's test fixture (unit conversions and summaries from aggregates included), follow
//! the stats as they change, pass promtool, and are served over HTTP by the example.

use std::sync::{Arc, Mutex, PoisonError};

use promforge_examples::polypy_stats::{self, ConnectionStatus, PolypyStats};
use promforge_tests::exposition::Exposition;
use promforge_tests::{check_exposition, get, scrape_until};

/// One expected sample: its name, its labels in order, its value.
type Expected<'a> = (&'a str, &'a [(&'a str, &'a str)], f64);

/// A sample as `(name, labels, value)`.
type Owned = (String, Vec<(String, String)>, f64);

/// The samples of `family` in `e`, in order.
fn samples(e: &Exposition, family: &str) -> Vec<Owned> {
    e.family(family)
        .unwrap_or_else(|| panic!("no family {family}"))
        .samples
        .iter()
        .map(|s| (s.name.clone(), s.labels.clone(), s.value))
        .collect()
}

/// Checks the type, HELP and exact samples of `family`.
fn check_family(e: &Exposition, family: &str, kind: &str, help: &str, expected: &[Expected<'_>]) {
    let found = e
        .family(family)
        .unwrap_or_else(|| panic!("no family {family}"));
    assert_eq!(found.kind, kind, "type of {family}");
    assert_eq!(found.help.as_deref(), Some(help), "HELP of {family}");
    let expected: Vec<Owned> = expected
        .iter()
        .map(|(name, labels, value)| {
            (
                (*name).to_owned(),
                labels
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
                *value,
            )
        })
        .collect();
    assert_eq!(samples(e, family), expected, "samples of {family}");
}

fn render(stats: &Arc<Mutex<PolypyStats>>) -> Exposition {
    let registry = polypy_stats::registry_for(stats.clone()).expect("registry");
    check_exposition(&registry.render())
}

/// Every family of the origin's list (renamed where promtool flags the origin's name), in
/// the order the stats structs declare them.
const FAMILIES: [&str; 35] = [
    "polypy_application_running",
    "polypy_registry_markets",
    "polypy_pool_connections",
    "polypy_pool_capacity",
    "polypy_connection_messages_received_total",
    "polypy_connection_bytes_received_total",
    "polypy_connection_parse_errors_total",
    "polypy_connection_reconnects_total",
    "polypy_connection_message_rate",
    "polypy_connection_healthy",
    "polypy_connection_markets",
    "polypy_connection_pollution_ratio",
    "polypy_router_messages_routed_total",
    "polypy_router_messages_dropped_total",
    "polypy_router_batches_sent_total",
    "polypy_router_queue_full_events_total",
    "polypy_router_routing_errors_total",
    "polypy_router_queue_depth",
    "polypy_router_routing_latency_seconds",
    "polypy_workers_alive",
    "polypy_workers_healthy",
    "polypy_worker_messages_processed_total",
    "polypy_worker_updates_applied_total",
    "polypy_worker_snapshots_received_total",
    "polypy_worker_orderbooks",
    "polypy_worker_memory_bytes",
    "polypy_worker_processing_seconds",
    "polypy_lifecycle_running",
    "polypy_lifecycle_known_markets",
    "polypy_recycler_recycles_total",
    "polypy_recycler_markets_migrated_total",
    "polypy_recycler_success_rate",
    "polypy_recycler_active_recycles",
    "polypy_recycler_avg_downtime_seconds",
    "polypy_recycler_downtime_seconds",
];

const C0: &[(&str, &str)] = &[("connection_id", "conn-0")];
const C1: &[(&str, &str)] = &[("connection_id", "conn-1")];
const W0: &[(&str, &str)] = &[("worker_id", "0")];
const W1: &[(&str, &str)] = &[("worker_id", "1")];

#[test]
fn the_fixture_renders_every_metric_of_the_origin() {
    let e = render(&Arc::new(Mutex::new(polypy_stats::sample_stats())));
    let polypy: Vec<&str> = e
        .families
        .iter()
        .map(|f| f.name.as_str())
        .filter(|name| name.starts_with("polypy_"))
        .collect();
    assert_eq!(polypy, FAMILIES, "the polypy families, in order");
    // The names promtool would flag are not there.
    for renamed in [
        "polypy_registry_markets_total",
        "polypy_connection_markets_total",
        "polypy_worker_orderbook_count",
    ] {
        assert!(e.family(renamed).is_none(), "{renamed}");
    }

    // Application, registry, pool.
    check_family(
        &e,
        "polypy_application_running",
        "gauge",
        "Whether the application is running (1) or stopped (0)",
        &[("polypy_application_running", &[], 1.0)],
    );
    check_family(
        &e,
        "polypy_registry_markets",
        "gauge",
        "Number of markets by status",
        &[
            ("polypy_registry_markets", &[("status", "total")], 150.0),
            ("polypy_registry_markets", &[("status", "pending")], 10.0),
            (
                "polypy_registry_markets",
                &[("status", "subscribed")],
                120.0,
            ),
            ("polypy_registry_markets", &[("status", "expired")], 20.0),
        ],
    );
    check_family(
        &e,
        "polypy_pool_connections",
        "gauge",
        "Number of connections by type",
        &[
            ("polypy_pool_connections", &[("type", "total")], 2.0),
            ("polypy_pool_connections", &[("type", "active")], 2.0),
        ],
    );
    check_family(
        &e,
        "polypy_pool_capacity",
        "gauge",
        "Total subscription capacity across all connections",
        &[("polypy_pool_capacity", &[], 1000.0)],
    );

    // Per connection.
    let per_connection = |family: &str, kind: &str, help: &str, v0: f64, v1: f64| {
        check_family(
            &e,
            family,
            kind,
            help,
            &[(family, C0, v0), (family, C1, v1)],
        );
    };
    per_connection(
        "polypy_connection_messages_received_total",
        "counter",
        "Total messages received per connection",
        1000.0,
        2000.0,
    );
    assert_eq!(
        e.value("polypy_connection_messages_received_total", C1),
        Some(2000.0)
    );
    per_connection(
        "polypy_connection_bytes_received_total",
        "counter",
        "Total bytes received per connection",
        50_000.0,
        100_000.0,
    );
    per_connection(
        "polypy_connection_parse_errors_total",
        "counter",
        "Total parse errors per connection",
        2.0,
        0.0,
    );
    per_connection(
        "polypy_connection_reconnects_total",
        "counter",
        "Total reconnection attempts per connection",
        1.0,
        0.0,
    );
    // messages_received / age_seconds: 1000 / 100 and 2000 / 200.
    per_connection(
        "polypy_connection_message_rate",
        "gauge",
        "Message rate (messages/second) per connection",
        10.0,
        10.0,
    );
    check_family(
        &e,
        "polypy_connection_healthy",
        "gauge",
        "Connection health status (1=healthy, 0=unhealthy)",
        &[
            (
                "polypy_connection_healthy",
                &[("connection_id", "conn-0"), ("status", "CONNECTED")],
                1.0,
            ),
            (
                "polypy_connection_healthy",
                &[("connection_id", "conn-1"), ("status", "CONNECTED")],
                1.0,
            ),
        ],
    );
    let markets = "polypy_connection_markets";
    check_family(
        &e,
        markets,
        "gauge",
        "Number of markets per connection by type",
        &[
            (
                markets,
                &[("connection_id", "conn-0"), ("type", "total")],
                75.0,
            ),
            (
                markets,
                &[("connection_id", "conn-0"), ("type", "subscribed")],
                60.0,
            ),
            (
                markets,
                &[("connection_id", "conn-0"), ("type", "expired")],
                15.0,
            ),
            (
                markets,
                &[("connection_id", "conn-1"), ("type", "total")],
                75.0,
            ),
            (
                markets,
                &[("connection_id", "conn-1"), ("type", "subscribed")],
                60.0,
            ),
            (
                markets,
                &[("connection_id", "conn-1"), ("type", "expired")],
                15.0,
            ),
        ],
    );
    per_connection(
        "polypy_connection_pollution_ratio",
        "gauge",
        "Ratio of expired to total markets per connection",
        0.2,
        0.2,
    );

    // Router.
    for (family, help, value) in [
        (
            "polypy_router_messages_routed_total",
            "Total messages successfully routed to workers",
            3000.0,
        ),
        (
            "polypy_router_messages_dropped_total",
            "Total messages dropped due to backpressure",
            10.0,
        ),
        (
            "polypy_router_batches_sent_total",
            "Total batches sent to workers",
            150.0,
        ),
        (
            "polypy_router_queue_full_events_total",
            "Total worker queue full events",
            2.0,
        ),
        (
            "polypy_router_routing_errors_total",
            "Total routing errors",
            1.0,
        ),
    ] {
        check_family(&e, family, "counter", help, &[(family, &[], value)]);
    }
    let depth = "polypy_router_queue_depth";
    check_family(
        &e,
        depth,
        "gauge",
        "Current queue depth by queue name",
        &[
            (depth, &[("queue_name", "async_queue")], 10.0),
            (depth, &[("queue_name", "worker_0")], 5.0),
            (depth, &[("queue_name", "worker_1")], 3.0),
        ],
    );
    // avg_latency_ms 1.5 × 3000 messages = 4500 ms = 4.5 s.
    check_family(
        &e,
        "polypy_router_routing_latency_seconds",
        "summary",
        "Message routing latency distribution in seconds",
        &[
            ("polypy_router_routing_latency_seconds_sum", &[], 4.5),
            ("polypy_router_routing_latency_seconds_count", &[], 3000.0),
        ],
    );

    // Workers.
    check_family(
        &e,
        "polypy_workers_alive",
        "gauge",
        "Number of alive worker processes",
        &[("polypy_workers_alive", &[], 2.0)],
    );
    check_family(
        &e,
        "polypy_workers_healthy",
        "gauge",
        "Whether all workers are healthy (1) or not (0)",
        &[("polypy_workers_healthy", &[], 1.0)],
    );
    let per_worker = |family: &str, kind: &str, help: &str, v0: f64, v1: f64| {
        check_family(
            &e,
            family,
            kind,
            help,
            &[(family, W0, v0), (family, W1, v1)],
        );
    };
    per_worker(
        "polypy_worker_messages_processed_total",
        "counter",
        "Total messages processed per worker",
        1500.0,
        1500.0,
    );
    per_worker(
        "polypy_worker_updates_applied_total",
        "counter",
        "Total orderbook updates applied per worker",
        4500.0,
        4500.0,
    );
    per_worker(
        "polypy_worker_snapshots_received_total",
        "counter",
        "Total orderbook snapshots received per worker",
        75.0,
        75.0,
    );
    per_worker(
        "polypy_worker_orderbooks",
        "gauge",
        "Number of orderbooks managed per worker",
        75.0,
        75.0,
    );
    // 128.5 MB = 134742016 bytes (MiB, as the origin converts: × 1024 × 1024).
    per_worker(
        "polypy_worker_memory_bytes",
        "gauge",
        "Memory usage in bytes per worker",
        134_742_016.0,
        125.3 * 1_048_576.0,
    );
    // avg_processing_time_us × messages_processed, in seconds: 250.5 µs × 1500 = 0.37575 s.
    let processing = "polypy_worker_processing_seconds";
    check_family(
        &e,
        processing,
        "summary",
        "Worker message processing time distribution in seconds",
        &[
            ("polypy_worker_processing_seconds_sum", W0, 0.37575),
            ("polypy_worker_processing_seconds_count", W0, 1500.0),
            ("polypy_worker_processing_seconds_sum", W1, 0.3453),
            ("polypy_worker_processing_seconds_count", W1, 1500.0),
        ],
    );

    // Lifecycle.
    check_family(
        &e,
        "polypy_lifecycle_running",
        "gauge",
        "Whether lifecycle controller is running (1) or stopped (0)",
        &[("polypy_lifecycle_running", &[], 1.0)],
    );
    check_family(
        &e,
        "polypy_lifecycle_known_markets",
        "gauge",
        "Number of known market condition IDs",
        &[("polypy_lifecycle_known_markets", &[], 150.0)],
    );

    // Recycler.
    check_family(
        &e,
        "polypy_recycler_recycles_total",
        "counter",
        "Total recycle operations by result",
        &[
            (
                "polypy_recycler_recycles_total",
                &[("result", "completed")],
                4.0,
            ),
            (
                "polypy_recycler_recycles_total",
                &[("result", "failed")],
                1.0,
            ),
        ],
    );
    check_family(
        &e,
        "polypy_recycler_markets_migrated_total",
        "counter",
        "Total markets migrated during recycles",
        &[("polypy_recycler_markets_migrated_total", &[], 300.0)],
    );
    check_family(
        &e,
        "polypy_recycler_success_rate",
        "gauge",
        "Recycle success rate (0.0 to 1.0)",
        &[("polypy_recycler_success_rate", &[], 0.8)],
    );
    check_family(
        &e,
        "polypy_recycler_active_recycles",
        "gauge",
        "Number of currently active recycle operations",
        &[("polypy_recycler_active_recycles", &[], 0.0)],
    );
    // 150 ms.
    check_family(
        &e,
        "polypy_recycler_avg_downtime_seconds",
        "gauge",
        "Average downtime per recycle in seconds",
        &[("polypy_recycler_avg_downtime_seconds", &[], 0.15)],
    );
    // 150 ms × 4 completed recycles = 0.6 s.
    check_family(
        &e,
        "polypy_recycler_downtime_seconds",
        "summary",
        "Recycle operation downtime distribution in seconds",
        &[
            ("polypy_recycler_downtime_seconds_sum", &[], 0.6),
            ("polypy_recycler_downtime_seconds_count", &[], 4.0),
        ],
    );
    // No quantiles: the service keeps aggregates only.
    assert!(
        e.samples().all(|s| s.label("quantile").is_none()),
        "quantiles written"
    );
}

#[test]
fn a_scrape_after_a_change_shows_the_new_values() {
    let stats = Arc::new(Mutex::new(polypy_stats::sample_stats()));
    let registry = polypy_stats::registry_for(stats.clone()).expect("registry");
    check_exposition(&registry.render());
    {
        let mut s = stats.lock().unwrap_or_else(PoisonError::into_inner);
        let conn = &mut s.pool.stats[1];
        conn.messages_received += 500;
        conn.reconnect_count += 1;
        conn.health.status = ConnectionStatus::Disconnected;
        conn.health.healthy = false;
        s.router.messages_routed = 4000;
        s.router.total_latency_ms = 8000.0;
        s.router.queue_depths.insert("worker_1".to_owned(), None);
        let worker = s.workers.worker_stats.entry(0).or_default();
        worker.messages_processed = 2000;
        worker.avg_processing_time_us = 300.0;
        worker.memory_usage_mb = 256.0;
        s.recycler.recycles_completed = 5;
        s.recycler.recycles_failed = 2;
        s.recycler.avg_downtime_ms = 200.0;
        s.registry.expired = 25;
        s.workers.worker_stats.remove(&1);
        s.running = false;
    }
    let e = check_exposition(&registry.render());
    assert_eq!(
        e.value("polypy_connection_messages_received_total", C1),
        Some(2500.0)
    );
    assert_eq!(e.value("polypy_connection_reconnects_total", C1), Some(1.0));
    assert_eq!(
        e.value(
            "polypy_connection_healthy",
            &[("connection_id", "conn-1"), ("status", "DISCONNECTED")]
        ),
        Some(0.0)
    );
    assert_eq!(
        e.value("polypy_router_routing_latency_seconds_sum", &[]),
        Some(8.0)
    );
    assert_eq!(
        e.value("polypy_router_routing_latency_seconds_count", &[]),
        Some(4000.0)
    );
    // An unknown queue depth writes no sample.
    assert_eq!(
        e.value("polypy_router_queue_depth", &[("queue_name", "worker_1")]),
        None
    );
    assert_eq!(
        e.value("polypy_worker_processing_seconds_sum", W0),
        Some(0.6)
    );
    assert_eq!(
        e.value("polypy_worker_processing_seconds_count", W0),
        Some(2000.0)
    );
    assert_eq!(
        e.value("polypy_worker_memory_bytes", W0),
        Some(268_435_456.0)
    );
    // A worker that went away is gone from every family.
    assert!(e.samples().all(|s| s.label("worker_id") != Some("1")));
    assert_eq!(
        e.value("polypy_recycler_recycles_total", &[("result", "completed")]),
        Some(5.0)
    );
    assert_eq!(
        e.value("polypy_recycler_recycles_total", &[("result", "failed")]),
        Some(2.0)
    );
    assert_eq!(
        e.value("polypy_recycler_downtime_seconds_sum", &[]),
        Some(1.0)
    );
    assert_eq!(
        e.value("polypy_registry_markets", &[("status", "expired")]),
        Some(25.0)
    );
    assert_eq!(e.value("polypy_application_running", &[]), Some(0.0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_serves_its_stats_over_http() {
    let running = polypy_stats::start("127.0.0.1:0".to_owned())
        .await
        .expect("start");
    // Twice in one process: each example has its own registry.
    let second = polypy_stats::start("127.0.0.1:0".to_owned())
        .await
        .expect("start again");
    tokio::time::sleep(std::time::Duration::from_millis(350)).await;
    let response = get(running.addr, "/metrics").await;
    assert_eq!(response.status, 200);
    let e = check_exposition(&response.text());
    for family in FAMILIES {
        assert!(e.family(family).is_some(), "{family} not served");
    }
    let routed = e
        .value("polypy_router_messages_routed_total", &[])
        .expect("messages routed");
    assert!(routed > 0.0, "no load: {routed}");
    assert!(
        e.value("polypy_connection_messages_received_total", C0)
            .is_some_and(|v| v > 0.0)
    );
    assert_eq!(
        e.value("polypy_worker_processing_seconds_count", W0)
            .zip(e.value("polypy_worker_messages_processed_total", W0))
            .map(|(a, b)| a == b),
        Some(true)
    );

    // The load keeps going: a later scrape has more.
    scrape_until(running.addr, std::time::Duration::from_secs(10), |later| {
        later
            .value("polypy_router_messages_routed_total", &[])
            .is_some_and(|v| v > routed)
    })
    .await;
    assert_eq!(get(second.addr, "/metrics").await.status, 200);

    let addr = running.addr;
    (running.stop)();
    (second.stop)();
    // Stopping takes effect promptly: poll until the port refuses.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while promforge_tests::request(addr, "GET", "/metrics", &[])
        .await
        .is_ok()
    {
        assert!(
            std::time::Instant::now() < deadline,
            "still serving 10 s after stop"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}
