//! Scrape cost: promforge's renderer against the `prometheus` crate's gather + TextEncoder,
//! for the same 1,000 series (100 families × 10 series: counters, gauges, histograms).
//!
//! `cargo bench -p promforge --bench render`

#![allow(missing_docs)] // criterion's macros generate undocumented functions

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use prometheus::Encoder as _;

const FAMILIES: usize = 100;
const SERIES: usize = 10;
const BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// One registry per series "slot", so each family has SERIES series distinguished by a
/// constant label (families of labeled series come with `Family`; this keeps the
/// comparison to plain metrics).
fn promforge_registry() -> Vec<promforge::Registry> {
    (0..SERIES)
        .map(|s| {
            let r = promforge::Registry::builder()
                .const_label("instance", format!("i{s}"))
                .build()
                .expect("registry");
            for f in 0..FAMILIES {
                match f % 3 {
                    0 => r
                        .counter(&format!("c{f}"), "A counter.")
                        .expect("c")
                        .inc_by(f as u64),
                    1 => r
                        .float_gauge(&format!("g{f}"), "A gauge.")
                        .expect("g")
                        .set(f as f64 * 0.5),
                    _ => r
                        .histogram(&format!("h{f}"), "A histogram.", BUCKETS)
                        .expect("h")
                        .observe(f as f64 / 100.0),
                }
            }
            r
        })
        .collect()
}

fn prometheus_registry() -> prometheus::Registry {
    let r = prometheus::Registry::new();
    for f in 0..FAMILIES {
        let labels = &["instance"];
        match f % 3 {
            0 => {
                let v = prometheus::IntCounterVec::new(
                    prometheus::Opts::new(format!("c{f}_total"), "A counter."),
                    labels,
                )
                .expect("c");
                r.register(Box::new(v.clone())).expect("reg");
                for s in 0..SERIES {
                    v.with_label_values(&[&format!("i{s}")]).inc_by(f as u64);
                }
            }
            1 => {
                let v = prometheus::GaugeVec::new(
                    prometheus::Opts::new(format!("g{f}"), "A gauge."),
                    labels,
                )
                .expect("g");
                r.register(Box::new(v.clone())).expect("reg");
                for s in 0..SERIES {
                    v.with_label_values(&[&format!("i{s}")]).set(f as f64 * 0.5);
                }
            }
            _ => {
                let v = prometheus::HistogramVec::new(
                    prometheus::HistogramOpts::new(format!("h{f}"), "A histogram.")
                        .buckets(BUCKETS.to_vec()),
                    labels,
                )
                .expect("h");
                r.register(Box::new(v.clone())).expect("reg");
                for s in 0..SERIES {
                    v.with_label_values(&[&format!("i{s}")])
                        .observe(f as f64 / 100.0);
                }
            }
        }
    }
    r
}

fn render(c: &mut Criterion) {
    let mut group = c.benchmark_group("render_1000_series");
    let ours = promforge_registry();
    let theirs = prometheus_registry();
    let mut buf = Vec::new();
    group.bench_function(BenchmarkId::new("promforge", "render_into"), |b| {
        b.iter(|| {
            buf.clear();
            for r in &ours {
                r.render_into(&mut buf);
            }
            buf.len()
        })
    });
    group.bench_function(BenchmarkId::new("prometheus", "gather+TextEncoder"), |b| {
        let encoder = prometheus::TextEncoder::new();
        b.iter(|| {
            buf.clear();
            encoder.encode(&theirs.gather(), &mut buf).expect("encode");
            buf.len()
        })
    });
    group.finish();
}

criterion_group!(benches, render);
criterion_main!(benches);
