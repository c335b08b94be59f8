//! Quickstart: register a few metrics, update them in a loop, serve them on `/metrics`.
//!
//! ```text
//! cargo run -p promforge-examples --example quickstart [ADDRESS]
//! curl -s http://127.0.0.1:9184/metrics
//! ```

use std::time::{Duration, Instant};

#[tokio::main]
async fn main() -> Result<(), promforge::Error> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9184".to_owned());

    let registry = promforge::default_registry();
    let jobs = registry.counter("quickstart_jobs_processed", "Jobs processed.")?;
    let failures = registry.counter("quickstart_jobs_failed", "Jobs that failed.")?;
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
            jobs.inc();
            if seed % 10 == 0 {
                failures.inc();
            }
        }
    };
    tokio::select! {
        () = work => {}
        _ = tokio::signal::ctrl_c() => println!("stopping"),
    }
    server.shutdown().await
}
