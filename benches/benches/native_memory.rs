//! Memory per native histogram holding 160 populated buckets: the growth of the process's
//! resident set (`/proc/self/statm`) while 10,000 histograms are made and each observes the
//! 160 values `2^(i/8)`, `i` in `0..160` (one per bucket at schema 3, the default bucket
//! factor 1.1), for promforge `NativeHistogram` (budget 160), `prometheus-client` 0.25's
//! native `Histogram` (`max_buckets(160)`) and `metrics-exporter-prometheus` 0.18's native
//! histogram (160 buckets, one metric name per histogram).
//!
//! Each implementation runs in its own child process (this binary, re-run with
//! `PROMFORGE_MEMORY_CASE` set). Prints a table; no criterion. Linux only.
//!
//! `cargo bench -p promforge-benches --bench native_memory`

#![allow(missing_docs)]

use std::hint::black_box;
use std::process::Command;

use promforge::NativeHistogram;

const HISTOGRAMS: usize = 10_000;
const BUCKETS: usize = 160;
const CASES: [&str; 3] = [
    "promforge",
    "prometheus_client",
    "metrics_exporter_prometheus",
];

/// Resident set size in bytes, from `/proc/self/statm` (pages of 4 KiB).
fn rss() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("/proc/self/statm");
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .expect("resident pages");
    pages * 4096
}

fn values() -> Vec<f64> {
    (0..BUCKETS).map(|i| (i as f64 / 8.0).exp2()).collect()
}

fn measure(case: &str) -> u64 {
    let values = values();
    match case {
        "promforge" => {
            let before = rss();
            let all: Vec<NativeHistogram> = (0..HISTOGRAMS)
                .map(|_| {
                    let h = NativeHistogram::builder()
                        .max_buckets(BUCKETS)
                        .build()
                        .expect("native");
                    for &v in &values {
                        h.observe(v);
                    }
                    h
                })
                .collect();
            // A render's view: the buckets as exposed (nothing lost, within the budget).
            let (_, _, positive, _) = all.first().expect("one").buckets();
            assert!(positive.len() >= BUCKETS / 2, "{}", positive.len());
            let grown = rss() - before;
            black_box(all);
            grown
        }
        "prometheus_client" => {
            let before = rss();
            let all: Vec<_> = (0..HISTOGRAMS)
                .map(|_| {
                    let h = pc_native::metrics::histogram::Histogram::new_native(
                        pc_native::metrics::histogram::NativeHistogramConfig::new(1.1)
                            .max_buckets(BUCKETS),
                    );
                    for &v in &values {
                        h.observe(v);
                    }
                    h
                })
                .collect();
            let grown = rss() - before;
            black_box(all);
            grown
        }
        "metrics_exporter_prometheus" => {
            let names: Vec<String> = (0..HISTOGRAMS).map(|i| format!("h{i}")).collect();
            let config =
                mep_native::NativeHistogramConfig::new(1.1, BUCKETS as u32, 2f64.powi(-128))
                    .expect("native config");
            let recorder = mep_native::PrometheusBuilder::new()
                .set_native_histogram_for_metric(mep_native::Matcher::Prefix("h".into()), config)
                .build_recorder();
            let before = rss();
            metrics::with_local_recorder(&recorder, || {
                for name in &names {
                    let h = metrics::histogram!(name.clone());
                    for &v in &values {
                        h.record(v);
                    }
                }
            });
            // The recorder buffers observations until a render drains them into the
            // histograms: render once so what is measured is the histograms themselves.
            black_box(recorder.handle().render());
            let grown = rss() - before;
            black_box(recorder);
            grown
        }
        other => panic!("unknown case {other}"),
    }
}

fn main() {
    if let Ok(case) = std::env::var("PROMFORGE_MEMORY_CASE") {
        println!("{}", measure(&case));
        return;
    }
    let exe = std::env::current_exe().expect("current_exe");
    let results: Vec<(&str, f64)> = CASES
        .iter()
        .map(|case| {
            let out = Command::new(&exe)
                .env("PROMFORGE_MEMORY_CASE", case)
                .output()
                .expect("child");
            assert!(out.status.success(), "{case}: {out:?}");
            let bytes: f64 = String::from_utf8_lossy(&out.stdout)
                .trim()
                .parse()
                .expect("bytes");
            (*case, bytes)
        })
        .collect();
    let ours = results[0].1;
    println!(
        "memory per native histogram with {BUCKETS} populated buckets, {HISTOGRAMS} histograms (RSS growth):"
    );
    println!("| implementation | RSS growth | bytes per histogram | ratio to promforge |");
    println!("|---|---|---|---|");
    for (case, bytes) in &results {
        println!(
            "| {case} | {:.1} MiB | {:.0} B | {:.2}× |",
            bytes / (1024.0 * 1024.0),
            bytes / HISTOGRAMS as f64,
            bytes / ours
        );
    }
}
