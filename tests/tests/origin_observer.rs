//! Origin 001 (the observer service), re-created in `promforge_examples::observer`: every
//! metric the origin defines is served over HTTP under its name (durations in seconds),
//! with the right type, no labels, and values that show the simulated load; the
//! exposition parses strictly and passes `promtool check metrics`.

use std::time::Duration;

use promforge_tests::exposition::{Exposition, Family};

/// The origin's counters (name as exposed).
const COUNTERS: &[&str] = &[
    "events_processed_total",
    "actions_executed_total",
    "action_success_total",
    "action_failure_total",
    "action_timeout_total",
    "queue_jobs_enqueued_total",
    "queue_jobs_processed_total",
    "queue_retry_total",
    "queue_deadletter_total",
    "cache_hits_total",
    "cache_misses_total",
    "dedup_checks_total",
    "dedup_duplicates_found_total",
    "checkpoint_saves_total",
    "checkpoint_recovery_total",
];

/// The origin's gauges.
const GAUGES: &[&str] = &[
    "events_in_flight",
    "queue_depth",
    "cache_hit_rate",
    "cache_size_bytes",
    "dedup_hit_rate",
];

/// The origin's histograms (`*_duration_ms` there).
const HISTOGRAMS: &[&str] = &[
    "event_processing_duration_seconds",
    "action_duration_seconds",
    "checkpoint_save_duration_seconds",
];

/// The origin's bucket bounds (1 ms … 10 s), as the exposition writes them.
const BOUNDS: &[&str] = &[
    "0.001", "0.005", "0.01", "0.05", "0.1", "0.5", "1", "5", "10", "+Inf",
];

fn family<'a>(e: &'a Exposition, name: &str) -> &'a Family {
    e.family(name)
        .unwrap_or_else(|| panic!("no family `{name}`"))
}

fn value(e: &Exposition, name: &str) -> f64 {
    e.value(name, &[])
        .unwrap_or_else(|| panic!("no sample `{name}`"))
}

/// Whether the load has touched every counter and histogram yet.
fn loaded(e: &Exposition) -> bool {
    COUNTERS
        .iter()
        .all(|name| e.value(name, &[]).is_some_and(|v| v > 0.0))
        && HISTOGRAMS.iter().all(|name| {
            e.value(&format!("{name}_count"), &[])
                .is_some_and(|v| v > 0.0)
        })
        && e.value(
            "function_calls_total",
            &[
                ("function", "Observer::execute_action"),
                ("error", "timeout"),
            ],
        )
        .is_some_and(|v| v > 0.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn observer_serves_the_origin_metrics() -> Result<(), promforge::Error> {
    let running = promforge_examples::observer::start("127.0.0.1:0".into()).await?;

    // Wait (at most ~5 s) until the load has produced every kind of data.
    let e = promforge_tests::scrape_until(running.addr, Duration::from_secs(5), loaded).await;

    // Every origin family, with its type and no labels of its own.
    for (names, kind) in [
        (COUNTERS, "counter"),
        (GAUGES, "gauge"),
        (HISTOGRAMS, "histogram"),
    ] {
        for name in names {
            let f = family(&e, name);
            assert_eq!(f.kind, kind, "type of {name}");
            assert!(
                f.help.as_deref().is_some_and(|h| !h.is_empty()),
                "HELP of {name}"
            );
            for s in &f.samples {
                let labels: Vec<&str> = s.labels.iter().map(|(n, _)| n.as_str()).collect();
                let expected: &[&str] = if s.name.ends_with("_bucket") {
                    &["le"]
                } else {
                    &[]
                };
                assert_eq!(labels, expected, "labels of {}", s.name);
            }
        }
    }
    assert_eq!(
        COUNTERS.len() + GAUGES.len() + HISTOGRAMS.len(),
        23,
        "the origin's 23 metrics"
    );
    // The origin's `*_ms` names are not served (promtool refuses abbreviated units).
    for name in [
        "event_processing_duration_ms",
        "action_duration_ms",
        "checkpoint_save_duration_ms",
    ] {
        assert!(e.family(name).is_none(), "{name} should be in seconds");
    }

    // Counters moved under the load.
    for name in COUNTERS {
        assert!(value(&e, name) > 0.0, "{name} is still 0 after the load");
    }
    // Outcomes add up: a finished action is a success or a failure, timeouts are failures.
    // (The counters are read one after another while actions run: allow what is in flight.)
    let executed = value(&e, "actions_executed_total");
    let success = value(&e, "action_success_total");
    let failure = value(&e, "action_failure_total");
    assert!(success + failure <= executed + 200.0);
    assert!(value(&e, "action_timeout_total") <= failure);
    assert!(value(&e, "dedup_duplicates_found_total") < value(&e, "dedup_checks_total"));
    assert!(value(&e, "queue_jobs_processed_total") <= value(&e, "queue_jobs_enqueued_total"));

    // Gauges are plausible.
    for rate in ["cache_hit_rate", "dedup_hit_rate"] {
        let v = value(&e, rate);
        assert!(v > 0.0 && v <= 100.0, "{rate} = {v} is not a percentage");
    }
    let hits = value(&e, "cache_hits_total");
    let misses = value(&e, "cache_misses_total");
    let expected_rate = hits / (hits + misses) * 100.0;
    assert!(
        (value(&e, "cache_hit_rate") - expected_rate).abs() < 5.0,
        "cache_hit_rate is hits / lookups in percent"
    );
    assert!(value(&e, "cache_size_bytes") > 0.0);
    assert!(value(&e, "queue_depth") >= 0.0);
    assert!(value(&e, "events_in_flight") >= 0.0);

    // Histograms: the origin's bounds in seconds, cumulative, +Inf equal to _count.
    for name in HISTOGRAMS {
        let f = family(&e, name);
        let buckets: Vec<(&str, f64)> = f
            .samples
            .iter()
            .filter(|s| s.name.ends_with("_bucket"))
            .map(|s| (s.label("le").unwrap_or(""), s.value))
            .collect();
        let les: Vec<&str> = buckets.iter().map(|(le, _)| *le).collect();
        assert_eq!(les, BOUNDS, "bucket bounds of {name}");
        assert!(
            buckets.windows(2).all(|w| w[0].1 <= w[1].1),
            "{name} buckets are cumulative"
        );
        let count = value(&e, &format!("{name}_count"));
        assert!(count > 0.0, "{name} has observations");
        assert_eq!(buckets.last().map(|b| b.1), Some(count));
        let sum = value(&e, &format!("{name}_sum"));
        assert!(
            sum > 0.0 && sum / count < 1.0,
            "{name}: mean {} s",
            sum / count
        );
    }
    // Actions take milliseconds, never more than the 40 ms timeout (plus scheduling).
    assert_eq!(
        e.value("action_duration_seconds_bucket", &[("le", "0.001")]),
        Some(0.0)
    );

    // `#[instrument_metrics]` on the observer's operations.
    assert_eq!(family(&e, "function_calls_total").kind, "counter");
    assert_eq!(
        family(&e, "function_calls_duration_seconds").kind,
        "histogram"
    );
    assert_eq!(family(&e, "function_calls_concurrent").kind, "gauge");
    for function in [
        "Observer::process_event",
        "Observer::execute_action",
        "Observer::cache_get",
        "Observer::is_duplicate",
        "Observer::enqueue",
        "Observer::mark_success",
        "Observer::mark_retry",
        "Observer::mark_deadletter",
        "Observer::save_checkpoint",
        "Observer::recover",
    ] {
        let ok = e
            .value(
                "function_calls_total",
                &[("function", function), ("result", "ok")],
            )
            .unwrap_or(0.0);
        assert!(ok > 0.0, "{function} has no ok calls");
        assert!(
            e.value(
                "function_calls_duration_seconds_count",
                &[("function", function)]
            )
            .is_some_and(|v| v > 0.0),
            "{function} is timed"
        );
    }
    assert!(
        e.value(
            "function_calls_total",
            &[
                ("function", "Observer::execute_action"),
                ("result", "error"),
                ("error", "timeout")
            ]
        )
        .is_some_and(|v| v > 0.0)
    );

    // Nothing else registered by accident: the origin's families plus the attribute's.
    // promforge's own `promforge_*` families (cardinality overflows, scrape errors) may be
    // there too, and report no trouble.
    let mut expected: Vec<&str> = COUNTERS
        .iter()
        .chain(GAUGES)
        .chain(HISTOGRAMS)
        .copied()
        .chain([
            "function_calls_total",
            "function_calls_duration_seconds",
            "function_calls_concurrent",
        ])
        .collect();
    let (own, mut served): (Vec<&Family>, Vec<&Family>) = e
        .families
        .iter()
        .partition(|f| f.name.starts_with("promforge_"));
    let mut served: Vec<&str> = served.drain(..).map(|f| f.name.as_str()).collect();
    expected.sort_unstable();
    served.sort_unstable();
    assert_eq!(served, expected);
    for f in own {
        assert!(f.samples.iter().all(|s| s.value == 0.0), "{f:?}");
    }

    // The registry in the handle is what `/metrics` serves.
    assert!(
        running
            .registry
            .family_names()
            .contains(&"events_processed_total".to_owned())
    );

    // `/health` and `/ready` from the same axum app.
    let health = promforge_tests::get(running.addr, "/health").await;
    assert_eq!(health.status, 200);
    let health = health.json();
    assert_eq!(health["status"], "healthy");
    assert!(health["uptime_seconds"].as_f64().is_some_and(|u| u >= 0.0));
    let ready = promforge_tests::get(running.addr, "/ready").await;
    assert_eq!(ready.status, 200);
    assert_eq!(ready.json()["status"], "ready");

    (running.stop)();
    Ok(())
}
