//! How rendering scales with the number of series: 1k, 10k, 100k and 1M series of open
//! families (labels `path` like `/api/v1/users/12345/orders`, `method`, `status`), one
//! third counters, one third gauges, one third histograms of 4 buckets. For each size: the
//! render time (the median of several renders into a reused buffer), the bytes rendered,
//! the memory the registry holds, and the peak memory of a render (the buffer), each per
//! series, so a cost that grows faster than the series shows as a growing column.
//!
//! Each size runs in its own child process (this binary, re-run with
//! `PROMFORGE_SCALING_SERIES` set), so no size reuses memory another freed. Prints a table;
//! no criterion. Linux only (`/proc/self/status`).
//!
//! `cargo bench -p promforge-benches --bench scaling`

#![allow(missing_docs)]

use std::hint::black_box;
use std::process::Command;
use std::time::Instant;

use promforge::{Counter, Family, FloatGauge, Histogram, LabelSet, Registry};

const SIZES: [usize; 4] = [1_000, 10_000, 100_000, 1_000_000];
const METHODS: [&str; 4] = ["GET", "POST", "PUT", "DELETE"];
const STATUSES: [&str; 5] = ["200", "201", "404", "500", "503"];
const BUCKETS: [f64; 4] = [0.01, 0.1, 1.0, 10.0];

#[derive(LabelSet, Clone)]
struct Route {
    path: String,
    method: &'static str,
    status: &'static str,
}

fn route(i: usize) -> Route {
    Route {
        path: format!("/api/v1/users/{}/orders", 100_000 + i),
        method: METHODS[i % METHODS.len()],
        status: STATUSES[(i / METHODS.len()) % STATUSES.len()],
    }
}

/// A `/proc/self/status` field, in bytes.
fn status_bytes(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .expect("field")
        * 1024
}

/// Builds and renders `series` series; prints one tab-separated line.
fn run(series: usize) {
    let labels: Vec<Route> = (0..series).map(route).collect();
    let before = status_bytes("VmRSS:");
    let registry = Registry::new();
    let per_family = series.div_ceil(3);
    let counters = Family::<Route, Counter>::new().with_cardinality_limit(per_family);
    let gauges = Family::<Route, FloatGauge>::new().with_cardinality_limit(per_family);
    let histograms = Family::<Route, Histogram>::with_buckets(&BUCKETS)
        .expect("buckets")
        .with_cardinality_limit(per_family);
    registry
        .register("http_requests", "Requests.", counters.clone())
        .expect("register");
    registry
        .register("http_request_size_bytes", "Size.", gauges.clone())
        .expect("register");
    registry
        .register(
            "http_request_duration_seconds",
            "Latency.",
            histograms.clone(),
        )
        .expect("register");
    for (i, route) in labels.iter().enumerate() {
        match i % 3 {
            0 => counters.inc_by(route, i as u64),
            1 => gauges.set(route, i as f64 * 0.5),
            _ => histograms.observe(route, (i % 100) as f64 * 0.07),
        }
    }
    let held = status_bytes("VmRSS:").saturating_sub(before);

    let mut buf = Vec::new();
    registry.render_into(&mut buf);
    let bytes = buf.len();
    let peak_before = status_bytes("VmHWM:");
    let rounds = if series >= 1_000_000 { 5 } else { 15 };
    let mut times = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        buf.clear();
        let start = Instant::now();
        registry.render_into(&mut buf);
        times.push(start.elapsed().as_nanos() as f64);
        black_box(&buf);
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    // The renders' own peak: the buffer (reused, so reached on the first render above).
    let render_peak = buf.capacity() as u64 + status_bytes("VmHWM:").saturating_sub(peak_before);
    println!("{series}\t{median}\t{bytes}\t{held}\t{render_peak}",);
}

fn main() {
    if let Some(series) = std::env::var("PROMFORGE_SCALING_SERIES")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        run(series);
        return;
    }
    // `cargo bench` passes `--bench`; any other argument is a filter this table ignores.
    let exe = std::env::current_exe().expect("current exe");
    println!(
        "| series | render | per series | bytes per series | registry memory per series | render peak per series |"
    );
    println!("|---:|---:|---:|---:|---:|---:|");
    for series in SIZES {
        let out = Command::new(&exe)
            .env("PROMFORGE_SCALING_SERIES", series.to_string())
            .output()
            .expect("child");
        let line = String::from_utf8_lossy(&out.stdout);
        let fields: Vec<f64> = line
            .trim()
            .split('\t')
            .filter_map(|f| f.parse().ok())
            .collect();
        let [n, ns, bytes, held, peak] = fields[..] else {
            panic!(
                "child for {series}: {line} {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        println!(
            "| {n} | {:.2} ms | {:.1} ns | {:.1} B | {:.1} B | {:.1} B |",
            ns / 1e6,
            ns / n,
            bytes / n,
            held / n,
            peak / n
        );
    }
}
