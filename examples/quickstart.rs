//! Quickstart: an instrumented function, a group of metrics with a closed label set, a
//! snapshot of the program's own stats, all served on `/metrics`.
//!
//! ```text
//! cargo run -p promforge-examples --example quickstart [ADDRESS]
//! curl -s http://127.0.0.1:9184/metrics
//! ```

use std::sync::{Arc, Mutex};
use std::time::Duration;

use promforge::{Counter, Family, Gauge, LabelSet, LabelValue, MetricsGroup, instrument_metrics};

/// How a job ended: a closed set, so every outcome is exposed (at 0 until it happens).
#[derive(LabelValue, Clone, Copy, Debug)]
enum Outcome {
    Ok,
    Failed,
}

/// The labels of the jobs counter; the field name is the label name.
#[derive(LabelSet, Clone, Copy)]
struct JobLabels {
    outcome: Outcome,
}

/// Metrics registered together: names, HELP texts and labels checked at compile time.
#[derive(MetricsGroup)]
#[metrics(prefix = "quickstart")]
struct JobMetrics {
    /// Jobs processed, by outcome.
    jobs_processed: Family<JobLabels, Counter>, // quickstart_jobs_processed_total{outcome}
    /// Jobs waiting to be processed.
    queue_depth: Gauge, // quickstart_queue_depth
}

/// Stats the program keeps anyway, read at every scrape.
#[derive(MetricsGroup, Default)]
#[metrics(prefix = "quickstart_worker", snapshot)]
struct WorkerStats {
    /// Bytes held in the worker's buffers.
    #[metric(unit = "bytes", scale = 1024)]
    buffer_kib: u64, // quickstart_worker_buffer_bytes
    /// Time since the last job, from milliseconds.
    #[metric(name = "idle", unit = "seconds", scale = "1/1000")]
    idle_ms: u64, // quickstart_worker_idle_seconds
}

/// One job: calls, results, errors and durations are recorded in `function_calls_total`,
/// `function_calls_duration_seconds` and `function_calls_concurrent`.
#[instrument_metrics]
async fn process(job: u64) -> Result<u64, Outcome> {
    tokio::time::sleep(Duration::from_millis(5 + job % 45)).await;
    if job % 10 == 0 {
        Err(Outcome::Failed)
    } else {
        Ok(job)
    }
}

#[tokio::main]
async fn main() -> Result<(), promforge::Error> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9184".to_owned());
    let registry = promforge::default_registry();
    let metrics = JobMetrics::register(registry)?;
    let stats = Arc::new(Mutex::new(WorkerStats::default()));
    promforge::register_snapshot(registry, Arc::clone(&stats))?;

    let server = promforge::exporter().bind(addr).start().await?;
    println!(
        "serving metrics on {}/metrics; Ctrl-C stops",
        server.base_url()
    );

    // Generate some load: a job every few milliseconds with a pseudo-random duration.
    let work = async {
        let mut seed = 0x2545_f491_u64;
        loop {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            metrics.queue_depth.set((seed % 20) as i64);
            let outcome = match process(seed).await {
                Ok(_) => Outcome::Ok,
                Err(outcome) => outcome,
            };
            metrics.jobs_processed.get(&JobLabels { outcome }).inc();
            if let Ok(mut stats) = stats.lock() {
                stats.buffer_kib = seed % 4096;
                stats.idle_ms = seed % 50;
            }
        }
    };
    tokio::select! {
        () = work => {}
        _ = tokio::signal::ctrl_c() => println!("stopping"),
    }
    server.shutdown().await
}
