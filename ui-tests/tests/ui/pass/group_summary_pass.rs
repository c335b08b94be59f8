// Summaries from aggregates a stats struct keeps (`#[metrics(summary(…))]`): a total and a
// count, or an average and a count, converted to base units by `scale`; the fields keep
// their own role (exported on their own, or skipped). And values with fixed labels
// (`labels(…)`): fields of one name share a family, one series each.
use std::sync::{Arc, Mutex};
use std::time::Duration;

use promforge::{MetricsGroup, Registry};

#[derive(MetricsGroup, Clone)]
#[metrics(prefix = "worker", snapshot)]
#[metrics(summary(
    name = "processing_seconds",
    sum = processing_time_ms,
    count = messages_processed,
    scale = 0.001,
    help = "Message processing time."
))]
#[metrics(summary(
    name = "parse_seconds",
    avg = avg_parse_time_us,
    count = messages_processed,
    scale = 1e-6,
    help = "Message parse time."
))]
#[metrics(summary(name = "idle_seconds", sum = idle, count = idle_periods, help = "Idle time."))]
struct WorkerStats {
    #[metric(label)]
    worker_id: u32,
    /// Messages processed.
    #[metric(counter)]
    messages_processed: u64,
    #[metric(skip)]
    processing_time_ms: f64,
    #[metric(skip)]
    avg_parse_time_us: f32,
    #[metric(skip)]
    idle: Duration,
    #[metric(skip)]
    idle_periods: u32,
}

#[derive(MetricsGroup, Clone)]
#[metrics(prefix = "recycler", snapshot)]
#[metrics(summary(
    name = "downtime_seconds",
    avg = avg_downtime_ms,
    count = recycles_completed,
    scale = 0.001,
    help = "Downtime per recycle."
))]
struct RecycleStats {
    /// Recycles, by result.
    #[metric(counter, name = "recycles", labels(result = "completed"))]
    recycles_completed: u64,
    #[metric(counter, name = "recycles", labels(result = "failed"))]
    recycles_failed: u64,
    /// Markets by status.
    #[metric(name = "markets", labels(status = "pending", type = "spot"))]
    pending: u32,
    #[metric(name = "markets", labels(r#type = "spot", status = "expired"))]
    expired: u32,
    /// Average downtime.
    #[metric(unit = "seconds", scale = 0.001)]
    avg_downtime_ms: f64,
    workers: Vec<WorkerStats>,
}

fn stats() -> RecycleStats {
    let worker = |id, processed, total_ms, avg_us| WorkerStats {
        worker_id: id,
        messages_processed: processed,
        processing_time_ms: total_ms,
        avg_parse_time_us: avg_us,
        idle: Duration::from_millis(1500),
        idle_periods: 3,
    };
    RecycleStats {
        recycles_completed: 4,
        recycles_failed: 1,
        pending: 10,
        expired: 20,
        avg_downtime_ms: 150.0,
        workers: vec![worker(0, 1500, 375.75, 2.5), worker(1, 0, 0.0, 0.0)],
    }
}

fn main() -> Result<(), promforge::Error> {
    let registry = Registry::new();
    let shared = Arc::new(Mutex::new(stats()));
    let names = RecycleStats::register_snapshot(&registry, shared.clone())?;
    assert_eq!(
        names.len(),
        <RecycleStats as promforge::SnapshotGroup>::FAMILY_COUNT
    );
    assert_eq!(
        names,
        [
            "recycler_recycles_total",
            "recycler_markets",
            "recycler_avg_downtime_seconds",
            "recycler_worker_messages_processed_total",
            "recycler_worker_processing_seconds",
            "recycler_worker_parse_seconds",
            "recycler_worker_idle_seconds",
            "recycler_downtime_seconds",
        ]
    );
    let text = registry.render();
    println!("{text}");
    for expected in [
        "# HELP recycler_recycles_total Recycles, by result.\n\
         # TYPE recycler_recycles_total counter\n\
         recycler_recycles_total{result=\"completed\"} 4\n\
         recycler_recycles_total{result=\"failed\"} 1\n",
        "# TYPE recycler_markets gauge\n\
         recycler_markets{status=\"pending\",type=\"spot\"} 10\n\
         recycler_markets{type=\"spot\",status=\"expired\"} 20\n",
        "# HELP recycler_worker_processing_seconds Message processing time.\n\
         # TYPE recycler_worker_processing_seconds summary\n\
         recycler_worker_processing_seconds_sum{worker_id=\"0\"} 0.37575\n\
         recycler_worker_processing_seconds_count{worker_id=\"0\"} 1500\n\
         recycler_worker_processing_seconds_sum{worker_id=\"1\"} 0\n\
         recycler_worker_processing_seconds_count{worker_id=\"1\"} 0\n",
        "recycler_worker_parse_seconds_sum{worker_id=\"0\"} 0.00375\n",
        "recycler_worker_idle_seconds_sum{worker_id=\"0\"} 1.5\n\
         recycler_worker_idle_seconds_count{worker_id=\"0\"} 3\n",
        "# HELP recycler_downtime_seconds Downtime per recycle.\n\
         # TYPE recycler_downtime_seconds summary\n\
         recycler_downtime_seconds_sum 0.6\n\
         recycler_downtime_seconds_count 4\n",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    assert!(!text.contains("quantile"), "{text}");

    shared
        .lock()
        .map(|mut stats| {
            stats.recycles_completed += 1;
            stats.avg_downtime_ms = 100.0;
        })
        .ok();
    let text = registry.render();
    assert!(
        text.contains("recycler_downtime_seconds_sum 0.5\n"),
        "{text}"
    );
    assert!(
        text.contains("recycler_downtime_seconds_count 5\n"),
        "{text}"
    );
    Ok(())
}
