//! Origin 004 (Ticker) end to end: the example serves over TCP while Dagda ticks its
//! workers and a client calls the API; `/metrics` parses strictly, passes `promtool`, and
//! carries every family of the origin with its type, labels and plausible values.

use std::collections::BTreeSet;
use std::time::Duration;

use promforge_tests::exposition::Exposition;
use promforge_tests::get;

/// Every family the example serves: name, type, label names (besides `le`).
const FAMILIES: &[(&str, &str, &[&str])] = &[
    // The origin's.
    ("system_cpu_usage_percent", "gauge", &["cpu"]),
    ("system_memory_usage_bytes", "gauge", &["type"]),
    ("system_memory_total_bytes", "gauge", &["type"]),
    ("dagda_status", "gauge", &[]),
    ("dagda_shards", "gauge", &[]),
    ("dagda_workers", "gauge", &["shard_id"]),
    ("dagda_workers_by_status", "gauge", &["status", "shard_id"]),
    (
        "dagda_worker_operations_total",
        "counter",
        &["operation", "status"],
    ),
    (
        "dagda_worker_ticks_total",
        "counter",
        &["worker_id", "blueprint"],
    ),
    (
        "dagda_worker_progress_ratio",
        "gauge",
        &["worker_id", "blueprint"],
    ),
    ("dagda_message_queue_size", "gauge", &["queue_type"]),
    (
        "dagda_tick_processing_duration_seconds",
        "histogram",
        &["shard_id"],
    ),
    (
        "dagda_worker_processing_duration_seconds",
        "histogram",
        &["message_type"],
    ),
    (
        "http_requests_total",
        "counter",
        &["method", "endpoint", "status"],
    ),
    (
        "http_request_duration_seconds",
        "histogram",
        &["method", "endpoint"],
    ),
    // Added by the HTTP layer and the instrumented handlers.
    (
        "http_requests_failed_total",
        "counter",
        &["method", "endpoint", "status", "class"],
    ),
    ("http_requests_in_flight", "gauge", &[]),
    (
        "function_calls_total",
        "counter",
        &["function", "module", "result", "error"],
    ),
    (
        "function_calls_duration_seconds",
        "histogram",
        &["function", "module"],
    ),
    (
        "function_calls_concurrent",
        "gauge",
        &["function", "module"],
    ),
];

const WORKER_STATUSES: [&str; 5] = ["idle", "in_progress", "completed", "paused", "stopped"];

/// Whether the load has produced everything the assertions look at.
fn loaded(e: &Exposition) -> bool {
    e.sum("dagda_tick_processing_duration_seconds_count", &[]) >= 3.0
        && e.sum(
            "dagda_worker_processing_duration_seconds_count",
            &[("message_type", "progress")],
        ) > 0.0
        && e.sum("dagda_worker_ticks_total", &[]) > 0.0
        && e.sum(
            "dagda_worker_operations_total",
            &[("status", "unauthorized")],
        ) > 0.0
        && e.sum(
            "http_request_duration_seconds_count",
            &[("endpoint", "/api/workers")],
        ) >= 8.0
        && e.sum("system_memory_total_bytes", &[]) > 0.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ticker_origin() -> Result<(), promforge::Error> {
    let running = promforge_examples::ticker::start("127.0.0.1:0".into()).await?;

    let e = promforge_tests::scrape_until(running.addr, Duration::from_secs(5), loaded).await;

    // Every family, with its type and label names.
    e.assert_families(FAMILIES);
    // The renamed gauges are not served under the origin's `_total` names.
    assert!(e.family("dagda_shards_total").is_none());
    assert!(e.family("dagda_workers_total").is_none());

    // System: every core and the total within 0–100 %, memory consistent.
    let cpus = &e.family("system_cpu_usage_percent").expect("cpu").samples;
    assert!(cpus.iter().any(|s| s.label("cpu") == Some("total")));
    assert!(cpus.iter().any(|s| s.label("cpu") == Some("cpu0")));
    for cpu in cpus {
        assert!((0.0..=100.0).contains(&cpu.value), "{cpu:?}");
    }
    let total = e.sum("system_memory_total_bytes", &[("type", "total")]);
    let used = e.sum("system_memory_usage_bytes", &[("type", "used")]);
    let available = e.sum("system_memory_usage_bytes", &[("type", "available")]);
    assert!(total > 0.0 && used > 0.0 && available > 0.0);
    assert!(used <= total && available <= total);

    // Dagda: status as the origin's plain gauge, shards, workers by status.
    let status = e.sum("dagda_status", &[]);
    assert!([0.0, 1.0, 2.0].contains(&status), "dagda_status {status}");
    assert_eq!(e.sum("dagda_shards", &[]), 3.0);
    for shard in ["0", "1", "2"] {
        assert_eq!(e.sum("dagda_workers", &[("shard_id", shard)]), 4.0);
        for status in WORKER_STATUSES {
            assert!(
                e.value(
                    "dagda_workers_by_status",
                    &[("status", status), ("shard_id", shard)]
                )
                .is_some(),
                "{status} of shard {shard}"
            );
        }
        assert_eq!(
            e.sum("dagda_workers_by_status", &[("shard_id", shard)]),
            4.0,
            "every worker of shard {shard} has one status"
        );
        assert!(
            e.sum(
                "dagda_tick_processing_duration_seconds_count",
                &[("shard_id", shard)]
            ) >= 1.0
        );
    }

    // Worker operations: every (operation, status) exists; starts and refusals happened.
    let operations = &e
        .family("dagda_worker_operations_total")
        .expect("operations")
        .samples;
    assert_eq!(operations.len(), 6 * 3, "{operations:?}");
    assert!(
        e.sum(
            "dagda_worker_operations_total",
            &[("operation", "worker_start"), ("status", "success")]
        ) > 0.0
    );
    assert!(
        e.sum(
            "dagda_worker_operations_total",
            &[("status", "unauthorized")]
        ) > 0.0
    );

    // Per-worker ticks and progress: 12 workers, progress within 0–1.
    let ticks = &e.family("dagda_worker_ticks_total").expect("ticks").samples;
    assert_eq!(ticks.len(), 12);
    assert!(ticks.iter().any(|s| s.value > 0.0));
    let progress = &e
        .family("dagda_worker_progress_ratio")
        .expect("progress")
        .samples;
    assert_eq!(progress.len(), 12);
    for p in progress {
        assert!((0.0..=1.0).contains(&p.value), "{p:?}");
    }

    // Backpressure: both inboxes.
    for queue in ["dagda_inbox", "worker_inbox"] {
        let size = e
            .value("dagda_message_queue_size", &[("queue_type", queue)])
            .unwrap_or_else(|| panic!("queue {queue}"));
        assert!(size >= 0.0);
    }

    // Message processing: by type, every type shown.
    let types: BTreeSet<&str> = e
        .family("dagda_worker_processing_duration_seconds")
        .expect("message processing")
        .samples
        .iter()
        .filter_map(|s| s.label("message_type"))
        .collect();
    for t in ["started", "progress", "completed", "failed"] {
        assert!(types.contains(t), "{t} in {types:?}");
    }

    // HTTP: by route template, and the synthetic latency of `GET /api/workers`.
    assert!(
        e.sum(
            "http_requests_total",
            &[
                ("method", "GET"),
                ("endpoint", "/api/workers"),
                ("status", "200")
            ]
        ) >= 8.0
    );
    assert!(
        e.sum(
            "http_requests_total",
            &[
                ("method", "POST"),
                ("endpoint", "/api/workers/{worker_id}/{action}"),
                ("status", "401")
            ]
        ) > 0.0
    );
    assert!(
        e.quantile_bound(
            "http_request_duration_seconds",
            &[("method", "GET"), ("endpoint", "/api/workers")],
            0.99
        ) >= 0.1,
        "p99 of GET /api/workers sleeps 55–70 ms: at least the 0.1 bucket (loaded machines run later)"
    );
    assert!(
        e.quantile_bound(
            "function_calls_duration_seconds",
            &[("function", "Api::list_workers")],
            0.99
        ) >= 0.1,
        "p99 of 55–70 ms sleeps: at least the 0.1 bucket"
    );
    assert!(
        e.sum(
            "function_calls_total",
            &[
                ("function", "Api::worker_action"),
                ("error", "unauthorized")
            ]
        ) > 0.0
    );

    // The axum routes answer besides `/metrics`.
    assert_eq!(get(running.addr, "/health").await.status, 200);
    assert_eq!(get(running.addr, "/api/status").await.status, 200);

    (running.stop)();
    Ok(())
}
