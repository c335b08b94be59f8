//! Observation cost: promforge `Histogram` and `Summary` against the `prometheus` crate's
//! histogram, the `measured` crate's `Histogram<11>`, and the `metrics` crate's histogram as
//! `metrics-exporter-prometheus` records it (a summary with quantiles unless buckets are set),
//! same values, one run.
//!
//! `cargo bench -p promforge-benches --bench observe`

#![allow(missing_docs)] // criterion's macros generate undocumented functions

use std::hint::black_box;
use std::sync::atomic::Ordering;

use criterion::{Criterion, criterion_group, criterion_main};

const BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// A spread of latencies so every bucket search and sketch bin is exercised.
fn values() -> Vec<f64> {
    let mut x = 0x2545_f491_4f6c_dd1d_u64;
    (0..1024)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % 10_000) as f64 / 1000.0
        })
        .collect()
}

fn observe(c: &mut Criterion) {
    let mut g = c.benchmark_group("observe");
    let values = values();

    let ours = promforge::Histogram::with_buckets(BUCKETS).expect("buckets");
    let mut i = 0;
    g.bench_function("promforge_histogram", |b| {
        b.iter(|| {
            i = (i + 1) & 1023;
            ours.observe(black_box(values[i]))
        })
    });

    // Exemplars (issue 17): the same observation with an explicit exemplar (at most
    // +40 ns over the row above), and from two threads at once on one histogram (at most
    // 2× the one-thread cost).
    let traced = promforge::Histogram::with_buckets(BUCKETS).expect("buckets");
    let trace = [("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736")];
    g.bench_function("promforge_histogram_with_exemplar", |b| {
        b.iter(|| {
            i = (i + 1) & 1023;
            traced
                .observe_with_exemplar(black_box(values[i]), &trace)
                .expect("exemplar")
        })
    });
    g.bench_function("promforge_histogram_with_exemplar_two_threads", |b| {
        b.iter_custom(|iters| {
            let start = std::time::Instant::now();
            std::thread::scope(|s| {
                for t in 0..2 {
                    let (traced, values) = (&traced, &values);
                    s.spawn(move || {
                        for n in 0..iters as usize {
                            let v = values[(n + t * 512) & 1023];
                            traced
                                .observe_with_exemplar(black_box(v), &trace)
                                .expect("exemplar");
                        }
                    });
                }
            });
            start.elapsed()
        })
    });

    let theirs = prometheus::Histogram::with_opts(
        prometheus::HistogramOpts::new("h", "H.").buckets(BUCKETS.to_vec()),
    )
    .expect("histogram");
    g.bench_function("prometheus_histogram", |b| {
        b.iter(|| {
            i = (i + 1) & 1023;
            theirs.observe(black_box(values[i]))
        })
    });

    let buckets: [f64; 11] = BUCKETS.try_into().expect("11 buckets");
    let measured = measured::Histogram::with_metadata(
        measured::metric::histogram::Thresholds::with_buckets(buckets),
    );
    measured.observe(values[0]);
    assert_eq!(measured_count(&measured), 1);
    g.bench_function("measured_histogram", |b| {
        b.iter(|| {
            i = (i + 1) & 1023;
            measured.observe(black_box(values[i]))
        })
    });

    let summary = promforge::Summary::new();
    g.bench_function("promforge_summary", |b| {
        b.iter(|| {
            i = (i + 1) & 1023;
            summary.observe(black_box(values[i]))
        })
    });

    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
    let _ = metrics::set_global_recorder(recorder);
    let handle = metrics::histogram!("latency_seconds");
    g.bench_function("metrics_exporter_prometheus_summary", |b| {
        b.iter(|| {
            i = (i + 1) & 1023;
            handle.record(black_box(values[i]))
        })
    });
    g.finish();
}

/// Observations a measured histogram holds (its buckets and `+Inf`).
fn measured_count(h: &measured::Histogram<11>) -> u64 {
    let guard = h.get_metric();
    let inner = guard.inner.read();
    inner
        .buckets
        .iter()
        .map(|b| b.load(Ordering::Relaxed))
        .sum::<u64>()
        + inner.inf.load(Ordering::Relaxed)
}

criterion_group!(benches, observe);
criterion_main!(benches);
