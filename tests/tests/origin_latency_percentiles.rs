//! Origin 003 (latency percentiles) end to end: the example serves over TCP while its own
//! load runs; `/metrics` parses strictly, passes `promtool`, and carries every family with
//! its type, labels and plausible values; `/health` carries the percentiles.

use std::collections::BTreeSet;
use std::time::Duration;

use promforge_tests::exposition::Exposition;
use promforge_tests::get;

/// Every family the example serves: name, type, label names (besides `le`/`quantile`).
const FAMILIES: &[(&str, &str, &[&str])] = &[
    (
        "route_calls_total",
        "counter",
        &["function", "module", "result", "error"],
    ),
    (
        "route_duration_seconds",
        "histogram",
        &["function", "module"],
    ),
    ("route_in_flight", "gauge", &["function", "module"]),
    // The native histogram of every request (classic 5 ms … 10 s buckets in text).
    ("request_latency_seconds", "histogram", &[]),
    ("cache_hits_total", "counter", &[]),
    ("cache_misses_total", "counter", &[]),
    ("cache_evictions_total", "counter", &[]),
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
    ("websocket_open_connections", "gauge", &[]),
    ("websocket_messages_sent_total", "counter", &[]),
    ("tokio_event_loop_lag_seconds", "histogram", &[]),
    ("tokio_workers", "gauge", &[]),
    ("tokio_alive_tasks", "gauge", &[]),
    ("tokio_global_queue_depth", "gauge", &[]),
    (
        "http_requests_total",
        "counter",
        &["method", "endpoint", "status"],
    ),
    (
        "http_requests_failed_total",
        "counter",
        &["method", "endpoint", "status", "class"],
    ),
    (
        "http_request_duration_seconds",
        "histogram",
        &["method", "endpoint"],
    ),
    ("http_requests_in_flight", "gauge", &[]),
];

/// The origin's `METRICS_HISTOGRAM_BUCKETS` (ms), as `le` values in seconds.
const ROUTE_BUCKETS: &[&str] = &[
    "0.025", "0.05", "0.1", "0.2", "0.35", "0.5", "0.75", "1", "1.5", "2.5", "5", "+Inf",
];

/// Whether the load has produced everything the assertions look at.
fn loaded(e: &Exposition) -> bool {
    e.sum("http_request_duration_seconds_count", &[]) >= 20.0
        && e.sum(
            "route_duration_seconds_count",
            &[("function", "Routes::todays_games")],
        ) >= 8.0
        && e.sum("route_calls_total", &[("result", "error")]) > 0.0
        && e.sum("cache_hits_total", &[]) > 0.0
        && e.sum("cache_misses_total", &[]) > 0.0
        && e.sum("cache_evictions_total", &[]) > 0.0
        && e.sum("tokio_event_loop_lag_seconds_count", &[]) >= 1.0
        && e.sum("websocket_messages_sent_total", &[]) > 0.0
        && e.sum("function_calls_total", &[]) > 0.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latency_percentiles_origin() -> Result<(), promforge::Error> {
    let running = promforge_examples::latency_percentiles::start("127.0.0.1:0".into()).await?;

    let e = promforge_tests::scrape_until(running.addr, Duration::from_secs(5), loaded).await;

    // Every family, with its type and label names.
    e.assert_families(FAMILIES);

    // The percentiles' native histogram: in text, the default classic layout, every
    // request counted.
    assert_eq!(
        e.value("request_latency_seconds_bucket", &[("le", "+Inf")]),
        e.value("request_latency_seconds_count", &[])
    );
    assert!(e.value("request_latency_seconds_count", &[]) > Some(0.0));

    // Instrumented routes: the origin's buckets, results, and the synthetic latency.
    let les: Vec<&str> = e
        .family("route_duration_seconds")
        .expect("route histogram")
        .samples
        .iter()
        .filter(|s| s.label("function") == Some("Routes::todays_games"))
        .filter_map(|s| s.label("le"))
        .collect();
    assert_eq!(les, ROUTE_BUCKETS);
    assert!(
        e.quantile_bound(
            "route_duration_seconds",
            &[("function", "Routes::todays_games")],
            0.99
        ) >= 0.1,
        "p99 of /todays-games sleeps 55–70 ms: at least the 0.1 bucket (loaded machines run later)"
    );
    assert!(
        e.quantile_bound(
            "http_request_duration_seconds",
            &[("endpoint", "/todays-games")],
            0.99
        ) >= 0.1,
        "p99 of 55–70 ms sleeps: at least the 0.1 bucket"
    );
    assert!(
        e.sum(
            "route_calls_total",
            &[("function", "Routes::todays_games"), ("result", "ok")]
        ) > 0.0
    );
    assert!(
        e.sum(
            "route_calls_total",
            &[
                ("function", "Routes::model_health"),
                ("error", "model_not_found")
            ]
        ) > 0.0
    );
    for sample in &e.family("route_in_flight").expect("in flight").samples {
        assert!(sample.value >= 0.0, "{sample:?}");
    }

    // The cache hook: counters and the wrapped operations.
    assert!(e.sum("cache_hits_total", &[]) > 0.0);
    assert!(e.sum("cache_misses_total", &[]) > 0.0);
    assert!(e.sum("cache_evictions_total", &[]) > 0.0);
    let functions: BTreeSet<&str> = e
        .family("function_calls_total")
        .expect("cache operations")
        .samples
        .iter()
        .filter_map(|s| s.label("function"))
        .collect();
    assert!(
        functions.iter().any(|f| f.ends_with("get"))
            && functions.iter().any(|f| f.ends_with("set")),
        "cache operations: {functions:?}"
    );

    // Event-loop lag: the probe has sampled.
    assert!(e.sum("tokio_event_loop_lag_seconds_count", &[]) >= 1.0);
    assert!(e.sum("tokio_event_loop_lag_seconds_sum", &[]) >= 0.0);
    assert!(e.sum("tokio_workers", &[]) >= 1.0);

    // WebSocket activity.
    assert!(e.sum("websocket_open_connections", &[]) >= 0.0);
    assert!(e.sum("websocket_messages_sent_total", &[]) > 0.0);

    // HTTP middleware: by route template.
    assert!(
        e.sum(
            "http_requests_total",
            &[
                ("method", "GET"),
                ("endpoint", "/todays-games"),
                ("status", "200")
            ]
        ) > 0.0
    );
    assert!(
        e.sum(
            "http_requests_total",
            &[
                ("endpoint", "/model/{model_name}/health"),
                ("status", "404")
            ]
        ) > 0.0
    );

    // `/health`: the origin's JSON, percentiles read back from the native histogram.
    let health = get(running.addr, "/health").await;
    assert_eq!(health.status, 200);
    let health = health.json();
    assert_eq!(health["status"], "healthy");
    let p: Vec<f64> = ["p50", "p90", "p95", "p99"]
        .iter()
        .map(|q| {
            health[format!("{q}_latency_ms")]
                .as_f64()
                .unwrap_or_else(|| panic!("{q}_latency_ms in {health}"))
        })
        .collect();
    assert!(p.is_sorted(), "health percentiles not ordered: {p:?}");
    // A quarter of the requests wait 55–70 ms: the p99 is there, below a second.
    assert!((50.0..1000.0).contains(&p[3]), "p99_latency_ms {p:?}");
    assert!(
        health["total_requests"].as_u64().unwrap_or(0) >= 20,
        "{health}"
    );
    assert!(health["avg_latency_ms"].as_f64().is_some_and(|v| v > 0.0));
    let error_rate = health["error_rate"].as_f64().expect("error_rate");
    assert!(error_rate > 0.0 && error_rate < 1.0, "{error_rate}");
    assert!(
        health["cache"]["hits"].as_u64().unwrap_or(0) > 0,
        "{health}"
    );
    assert!(health["cache"]["misses"].as_u64().unwrap_or(0) > 0);
    let hit_rate = health["cache"]["hit_rate"].as_f64().expect("hit_rate");
    assert!((0.0..=1.0).contains(&hit_rate));
    assert!(
        health["event_loop"]["avg_lag_ms"].as_f64().is_some(),
        "{health}"
    );
    assert!(health["event_loop"]["p95_lag_ms"].as_f64().is_some());
    assert_eq!(health["event_loop"]["monitoring_active"], true);
    assert!(health["websocket"]["messages_sent"].as_u64().unwrap_or(0) > 0);
    assert!(
        health["websocket"]["open_connections_estimate"]
            .as_i64()
            .is_some()
    );
    let histogram = health["latency_histogram"]
        .as_object()
        .expect("latency_histogram");
    for key in ["25", "50", "100", "5000", "+Inf"] {
        assert!(histogram.contains_key(key), "{key} in {histogram:?}");
    }

    (running.stop)();
    Ok(())
}
