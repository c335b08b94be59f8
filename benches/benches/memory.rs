//! Memory per series: the growth of the process's resident set (`/proc/self/statm`)
//! while 100,000 series of an open string label are created (and incremented once), for
//! promforge `Family<{path: String}, Counter>` (cardinality limit raised to 200,000),
//! `prometheus` `IntCounterVec`, `prometheus-client` `Family<_, Counter>`, `measured`
//! `CounterVec` (label interned by `lasso::ThreadedRodeo`) and, for reference, the `metrics`
//! crate with the `metrics-exporter-prometheus` recorder.
//!
//! Each implementation runs in its own child process (this binary, re-run with
//! `PROMFORGE_MEMORY_CASE` set), so no one reuses memory another freed. The label strings
//! are built before the first reading: only what the library keeps is counted. Prints a
//! table; no criterion. Linux only.
//!
//! `cargo bench -p promforge-benches --bench memory`

#![allow(missing_docs)]

use std::hint::black_box;
use std::process::Command;

use prometheus_client::encoding::EncodeLabelSet;
use promforge::{Counter, Family, LabelSet};

const SERIES: usize = 100_000;
const CASES: [&str; 5] = [
    "promforge",
    "prometheus",
    "prometheus_client",
    "measured",
    "metrics_exporter_prometheus",
];

#[derive(LabelSet, Clone)]
struct Labels {
    path: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, EncodeLabelSet)]
struct PcLabels {
    path: String,
}

/// measured: the open label interned by lasso's `ThreadedRodeo`, no values declared up front.
#[derive(measured::LabelGroup, Clone, Copy)]
#[label(set = MLabelsSet)]
struct MLabels<'a> {
    #[label(dynamic_with = lasso::ThreadedRodeo, default)]
    path: &'a str,
}

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

/// Creates the series of one implementation; returns the RSS growth in bytes.
fn measure(case: &str) -> u64 {
    let paths: Vec<String> = (0..SERIES)
        .map(|i| format!("/api/v1/items/{i:06}"))
        .collect();
    match case {
        "promforge" => {
            let labels: Vec<Labels> = paths.iter().map(|p| Labels { path: p.clone() }).collect();
            let before = rss();
            let family = Family::<Labels, Counter>::new().with_cardinality_limit(200_000);
            for l in &labels {
                family.inc(l);
            }
            let grown = rss() - before;
            assert_eq!(family.len(), SERIES);
            assert_eq!(family.overflow_count(), 0);
            black_box(family);
            grown
        }
        "prometheus" => {
            let before = rss();
            let vec = prometheus::IntCounterVec::new(
                prometheus::Opts::new("hits_total", "Hits."),
                &["path"],
            )
            .expect("vec");
            for p in &paths {
                vec.with_label_values(&[p.as_str()]).inc();
            }
            let grown = rss() - before;
            black_box(vec);
            grown
        }
        "prometheus_client" => {
            let labels: Vec<PcLabels> =
                paths.iter().map(|p| PcLabels { path: p.clone() }).collect();
            let before = rss();
            let family = prometheus_client::metrics::family::Family::<
                PcLabels,
                prometheus_client::metrics::counter::Counter,
            >::default();
            for l in &labels {
                family.get_or_create(l).inc();
            }
            let grown = rss() - before;
            black_box(family);
            grown
        }
        "measured" => {
            let before = rss();
            let vec = measured::CounterVec::<MLabelsSet>::new();
            for p in &paths {
                vec.inc(MLabels { path: p });
            }
            let grown = rss() - before;
            assert_eq!(vec.get_cardinality().0, SERIES);
            black_box(vec);
            grown
        }
        "metrics_exporter_prometheus" => {
            let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
            let before = rss();
            metrics::with_local_recorder(&recorder, || {
                for p in &paths {
                    metrics::counter!("hits_total", "path" => p.clone()).increment(1);
                }
            });
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
    println!("memory per series, {SERIES} series of one open string label (RSS growth):");
    println!("| implementation | RSS growth | bytes per series | ratio to promforge |");
    println!("|---|---|---|---|");
    for (case, bytes) in &results {
        println!(
            "| {case} | {:.1} MiB | {:.0} B | {:.2}× |",
            bytes / (1024.0 * 1024.0),
            bytes / SERIES as f64,
            bytes / ours
        );
    }
}
