//! Native histograms and the protobuf exposition, against the peers that have them, in one
//! run:
//!
//! - `native_observe`: one observation, on a spread of magnitudes (1 µs … 1000 s, both
//!   signs for 1 in 16), promforge `NativeHistogram` and classic `Histogram`,
//!   `prometheus-client` 0.25's native `Histogram` and `metrics-exporter-prometheus` 0.18's
//!   native histogram (through the `metrics` facade, its only way in), same values.
//! - `native_observe_two_threads`: two threads observing one histogram, 10,000 values each
//!   (time per pair of batches), native and classic.
//! - `render_protobuf`: 1,000 and 10,000 series (one open label) rendered by promforge in
//!   protobuf and in text 0.0.4, and by `prometheus-client` 0.25 in protobuf (its
//!   `prometheus_protobuf` encoder, protos compiled by `protox`: no `protoc`).
//!   `metrics-exporter-prometheus`' protobuf needs `protoc` at build time and is left out.
//!
//! `cargo bench -p promforge-benches --bench native`

#![allow(missing_docs)] // criterion's macros generate undocumented functions

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use promforge::{Counter, Family, LabelSet, NativeHistogram, Registry};

const BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// 1024 values spread log-uniformly over 1 µs … 1000 s; one in 16 negative.
fn values() -> Vec<f64> {
    let mut x = 0x2545_f491_4f6c_dd1d_u64;
    (0..1024)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let u = (x % 1_000_000) as f64 / 1_000_000.0;
            let v = 1e-6 * 1e9f64.powf(u);
            if i % 16 == 0 { -v } else { v }
        })
        .collect()
}

fn observe(c: &mut Criterion) {
    let mut g = c.benchmark_group("native_observe");
    let values = values();
    let mut i = 0;

    let native = NativeHistogram::new();
    g.bench_function("promforge_native", |b| {
        b.iter(|| {
            i = (i + 1) & 1023;
            native.observe(black_box(values[i]))
        })
    });

    let classic = promforge::Histogram::with_buckets(BUCKETS).expect("buckets");
    g.bench_function("promforge_classic", |b| {
        b.iter(|| {
            i = (i + 1) & 1023;
            classic.observe(black_box(values[i]))
        })
    });

    let pc = pc_native::metrics::histogram::Histogram::new_native(
        pc_native::metrics::histogram::NativeHistogramConfig::new(1.1).max_buckets(160),
    );
    g.bench_function("prometheus_client_native", |b| {
        b.iter(|| {
            i = (i + 1) & 1023;
            pc.observe(black_box(values[i]))
        })
    });

    let config =
        mep_native::NativeHistogramConfig::new(1.1, 160, 2f64.powi(-128)).expect("native config");
    let recorder = mep_native::PrometheusBuilder::new()
        .set_native_histogram_for_metric(mep_native::Matcher::Full("latency".into()), config)
        .build_recorder();
    let handle = recorder.handle();
    metrics::with_local_recorder(&recorder, || {
        let h = metrics::histogram!("latency");
        g.bench_function("metrics_exporter_prometheus_native", |b| {
            b.iter(|| {
                i = (i + 1) & 1023;
                h.record(black_box(values[i]))
            })
        });
    });
    black_box(handle.render());
    g.finish();
}

/// Time for two threads to observe 10,000 values each into `observe`'s histogram.
fn two_threads(iters: u64, values: &[f64], observe: &(dyn Fn(f64) + Sync)) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        std::thread::scope(|s| {
            for t in 0..2 {
                s.spawn(move || {
                    for k in 0..10_000 {
                        observe(values[(k * 7 + t) & 1023]);
                    }
                });
            }
        });
    }
    start.elapsed()
}

fn contention(c: &mut Criterion) {
    let mut g = c.benchmark_group("native_observe_two_threads");
    let values = values();
    let native = NativeHistogram::new();
    g.bench_function("promforge_native", |b| {
        b.iter_custom(|iters| two_threads(iters, &values, &|v| native.observe(v)))
    });
    let classic = promforge::Histogram::with_buckets(BUCKETS).expect("buckets");
    g.bench_function("promforge_classic", |b| {
        b.iter_custom(|iters| two_threads(iters, &values, &|v| classic.observe(v)))
    });
    let pc = pc_native::metrics::histogram::Histogram::new_native(
        pc_native::metrics::histogram::NativeHistogramConfig::new(1.1).max_buckets(160),
    );
    g.bench_function("prometheus_client_native", |b| {
        b.iter_custom(|iters| two_threads(iters, &values, &|v| pc.observe(v)))
    });
    g.finish();
}

#[derive(LabelSet, Clone)]
struct Path {
    path: String,
}

/// prometheus-client's label set (its derive names the crate `prometheus_client`, which is
/// the 0.24 the other benchmarks use: pairs instead).
type PcPath = Vec<(String, String)>;

fn render(c: &mut Criterion) {
    let mut g = c.benchmark_group("render_protobuf");
    for series in [1_000usize, 10_000] {
        let registry = Registry::new();
        let family = Family::<Path, Counter>::new().with_cardinality_limit(series + 1);
        registry
            .register("requests", "Requests.", family.clone())
            .expect("register");
        let mut pc_registry = pc_native::registry::Registry::default();
        let pc_family = pc_native::metrics::family::Family::<
            PcPath,
            pc_native::metrics::counter::Counter,
        >::default();
        pc_registry.register("requests", "Requests.", pc_family.clone());
        for n in 0..series {
            let path = format!("/api/v1/item/{n}");
            family.get(&Path { path: path.clone() }).inc_by(n as u64);
            pc_family
                .get_or_create(&vec![("path".to_owned(), path)])
                .inc_by(n as u64);
        }
        let mut buf = Vec::new();
        registry.render_protobuf_into(&mut buf);
        assert!(!buf.is_empty());
        g.bench_with_input(
            BenchmarkId::new("promforge_protobuf", series),
            &series,
            |b, _| {
                b.iter(|| {
                    buf.clear();
                    registry.render_protobuf_into(&mut buf);
                    black_box(buf.len())
                })
            },
        );
        g.bench_with_input(
            BenchmarkId::new("promforge_text", series),
            &series,
            |b, _| {
                b.iter(|| {
                    buf.clear();
                    registry.render_into(&mut buf);
                    black_box(buf.len())
                })
            },
        );
        g.bench_with_input(
            BenchmarkId::new("prometheus_client_protobuf", series),
            &series,
            |b, _| {
                b.iter(|| {
                    let bytes =
                        pc_native::encoding::prometheus_protobuf::encode_to_vec(&pc_registry)
                            .expect("encode");
                    black_box(bytes.len())
                })
            },
        );
    }
    g.finish();
}

criterion_group!(benches, observe, contention, render);
criterion_main!(benches);
