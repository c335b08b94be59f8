//! Native histograms: request latencies with no bucket boundaries to choose.
//!
//! A [`NativeHistogram`] keeps exponential buckets whose resolution is set by a bucket
//! factor (1.1 by default: every value known within 9 %), over any range of values. Served
//! by the exporter, it goes out in the protobuf format to a Prometheus started with
//! `--enable-feature=native-histograms`, which then answers:
//!
//! ```text
//! histogram_quantile(0.99, rate(request_duration_seconds[1m]))    # p99 over the last minute
//! histogram_count(rate(request_duration_seconds[1m]))             # requests per second
//! histogram_sum(rate(request_duration_seconds[1m]))
//!   / histogram_count(rate(request_duration_seconds[1m]))         # mean latency
//! histogram_fraction(0, 0.1, rate(request_duration_seconds[1m]))  # share under 100 ms
//! ```
//!
//! Text scrapers (and `curl`) get a classic histogram with the usual 5 ms … 10 s buckets.
//!
//! The load is a fixed [`workload`]: every [`TICK`], each of its [`WORKLOAD_LEN`] latencies
//! is observed once and `workload_cycles_total` goes up by one, so any stretch of scrapes
//! holds whole copies of the workload and PromQL's answers can be checked against it.

use std::time::Duration;

use promforge::{Counter, Error, NativeHistogram, Registry};

/// How many latencies one cycle of the workload observes.
pub const WORKLOAD_LEN: usize = 2000;
/// How often a cycle runs.
pub const TICK: Duration = Duration::from_millis(200);

/// The example's latencies, in seconds: a long-tailed spread from 1 ms to about 2 s (most
/// between 5 and 50 ms), the same at every run (a fixed pseudo-random sequence).
pub fn workload() -> Vec<f64> {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    (0..WORKLOAD_LEN)
        .map(|_| {
            // xorshift64*: a uniform u in [0, 1).
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            let u = (state.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64;
            // Mostly 5–50 ms, a tail to ~2 s: 1 ms · 2^(11·u³).
            0.001 * (11.0 * u * u * u).exp2()
        })
        .collect()
}

/// Starts the example on `addr`: a registry with the native histogram
/// `request_duration_seconds` and the counter `workload_cycles_total`, served by the
/// exporter, and the load.
pub async fn start(addr: String) -> Result<crate::Running, Error> {
    let registry = Registry::new();
    let latency = NativeHistogram::new();
    registry.register(
        "request_duration_seconds",
        "Request latency (a native histogram).",
        latency.clone(),
    )?;
    let cycles: Counter = registry.counter(
        "workload_cycles",
        "Copies of the workload observed in full.",
    )?;
    let server = promforge::Exporter::new(registry.clone())
        .bind(addr)
        .start()
        .await?;
    let local = server.local_addr();
    let load = tokio::spawn(async move {
        let values = workload();
        let mut tick = tokio::time::interval(TICK);
        loop {
            tick.tick().await;
            for &v in &values {
                latency.observe(v);
            }
            cycles.inc();
        }
    });
    Ok(crate::Running {
        addr: local,
        registry,
        stop: Box::new(move || {
            load.abort();
            // The shutdown runs on the runtime; the handle's task finishes it.
            tokio::spawn(async move {
                let _ = server.shutdown().await;
            });
        }),
    })
}
