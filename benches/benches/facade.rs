//! The `metrics` facade's macros recorded by promforge (`promforge::facade`) and by
//! `metrics-exporter-prometheus`, in the same run: a labeled `counter!` (static labels, and
//! a label value chosen per call) and a `histogram!` over a spread of magnitudes. Each row
//! runs under its recorder as the thread's local recorder, so both pay the same lookup.

#![allow(missing_docs)] // criterion's macros generate undocumented functions

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};

fn values() -> Vec<f64> {
    // 1 µs to ~10 s, spread over the magnitudes.
    (0..1024)
        .map(|i| 1e-6 * 10f64.powf(f64::from(i % 64) / 9.0))
        .collect()
}

const USERS: [&str; 8] = ["ann", "bob", "cid", "dan", "eve", "fay", "gus", "hal"];

fn rows(c: &mut Criterion, name: &str, recorder: &(dyn metrics::Recorder + Sync)) {
    let mut g = c.benchmark_group("facade_counter_labeled");
    metrics::with_local_recorder(recorder, || {
        g.bench_function(name, |b| {
            b.iter(|| {
                metrics::counter!("requests", "method" => "get", "status" => "200").increment(1)
            })
        });
    });
    g.finish();
    let mut g = c.benchmark_group("facade_counter_dynamic_label");
    metrics::with_local_recorder(recorder, || {
        let mut i = 0usize;
        g.bench_function(name, |b| {
            b.iter(|| {
                i = (i + 1) & 7;
                let user = USERS.get(i).copied().unwrap_or("ann");
                metrics::counter!("logins", "user" => black_box(user)).increment(1)
            })
        });
    });
    g.finish();
    let mut g = c.benchmark_group("facade_histogram");
    let values = values();
    metrics::with_local_recorder(recorder, || {
        let mut i = 0usize;
        g.bench_function(name, |b| {
            b.iter(|| {
                i = (i + 1) & 1023;
                let v = values.get(i).copied().unwrap_or(0.0);
                metrics::histogram!("latency_seconds", "route" => "/users").record(black_box(v))
            })
        });
    });
    g.finish();
}

fn facade(c: &mut Criterion) {
    let registry = promforge::Registry::new();
    let promforge = promforge::facade::builder(&registry)
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    rows(c, "promforge", &promforge);
    assert!(c_filtered() || registry.render().contains("requests_total{method=\"get\""));
    let exporter = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
    rows(c, "metrics_exporter_prometheus", &exporter);
}

/// Whether criterion was given a name filter (rows may then not have run).
fn c_filtered() -> bool {
    std::env::args().skip(1).any(|a| !a.starts_with('-'))
}

criterion_group!(benches, facade);
criterion_main!(benches);
