//! Quickstart: register a few metrics, update them in a loop, serve them on `/metrics`.
//!
//! ```text
//! cargo run -p promforge-examples --example quickstart [ADDRESS]
//! curl -s http://127.0.0.1:9184/metrics
//! ```

use std::time::{Duration, Instant};

use promforge::{Counter, Family, LabelSet, LabelValue};

/// How a job ended: a closed set, so every outcome is exposed (at 0 until it happens).
#[derive(LabelValue, Clone, Copy)]
enum Outcome {
    Ok,
    Failed,
}

/// The labels of the jobs counter; the field name is the label name.
#[derive(LabelSet, Clone, Copy)]
struct JobLabels {
    outcome: Outcome,
}

#[tokio::main]
async fn main() -> Result<(), promforge::Error> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9184".to_owned());

    let registry = promforge::default_registry();
    let jobs = Family::<JobLabels, Counter>::new();
    registry.register(
        "quickstart_jobs_processed",
        "Jobs processed, by outcome.",
        jobs.clone(),
    )?;
    let queue = registry.gauge("quickstart_queue_depth", "Jobs waiting to be processed.")?;
    let latency = registry.histogram(
        "quickstart_job_duration_seconds",
        "Time spent processing one job.",
        promforge::DEFAULT_BUCKETS,
    )?;

    let server = promforge::exporter()
        .bind(addr)
        .readiness_check("queue", Duration::from_secs(1), {
            let queue = queue.clone();
            move || {
                let depth = queue.get();
                async move {
                    if depth < 1_000 {
                        Ok(())
                    } else {
                        Err(format!("queue too deep: {depth}"))
                    }
                }
            }
        })
        .start()
        .await?;
    println!("serving metrics on {}/metrics", server.base_url());
    println!(
        "health on {0}/health, readiness on {0}/ready; Ctrl-C stops",
        server.base_url()
    );

    // Generate some load: a job every 50 ms with a pseudo-random duration.
    let work = async {
        let mut seed = 0x2545_f491_u64;
        loop {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            queue.set((seed % 20) as i64);
            let start = Instant::now();
            tokio::time::sleep(Duration::from_millis(5 + seed % 45)).await;
            latency.observe_since(start);
            let outcome = if seed % 10 == 0 {
                Outcome::Failed
            } else {
                Outcome::Ok
            };
            jobs.get(&JobLabels { outcome }).inc();
        }
    };
    tokio::select! {
        () = work => {}
        _ = tokio::signal::ctrl_c() => println!("stopping"),
    }
    server.shutdown().await
}
