//! Labeled counter increments, promforge against the peers, in one run:
//! a closed two-label set (method × status), and an open string label (1,000 values).
//!
//! `cargo bench -p promforge-benches --bench labels`

#![allow(missing_docs)] // criterion's macros generate undocumented functions

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};

use criterion::{Criterion, criterion_group, criterion_main};
use prometheus_client::encoding::EncodeLabelSet;
use promforge::{Counter, Family, LabelSet, LabelValue};

#[derive(LabelValue, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[expect(dead_code, reason = "the unused variants give the closed set its size")]
enum Method {
    Get,
    Post,
}

#[derive(LabelValue, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[expect(dead_code, reason = "the unused variants give the closed set its size")]
enum Status {
    #[label(rename = "200")]
    Ok,
    #[label(rename = "500")]
    Error,
}

#[derive(LabelSet, Clone, Copy)]
struct Closed {
    method: Method,
    status: Status,
}

#[derive(LabelSet, Clone)]
struct Open {
    path: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, EncodeLabelSet)]
struct PcClosed {
    method: String,
    status: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, EncodeLabelSet)]
struct PcOpen {
    path: String,
}

fn closed(c: &mut Criterion) {
    let mut g = c.benchmark_group("labeled_inc_closed");

    let atomic = AtomicU64::new(0);
    g.bench_function("atomic_u64_fetch_add", |b| {
        b.iter(|| black_box(&atomic).fetch_add(1, Ordering::Relaxed))
    });

    let family = Family::<Closed, Counter>::new();
    let labels = Closed {
        method: Method::Get,
        status: Status::Ok,
    };
    g.bench_function("promforge_family_get_inc", |b| {
        b.iter(|| family.get(black_box(&labels)).inc())
    });
    g.bench_function("promforge_family_inc", |b| {
        b.iter(|| family.inc(black_box(&labels)))
    });

    let vec = prometheus::IntCounterVec::new(
        prometheus::Opts::new("requests_total", "Requests."),
        &["method", "status"],
    )
    .expect("vec");
    g.bench_function("prometheus_with_label_values_inc", |b| {
        b.iter(|| vec.with_label_values(black_box(&["get", "200"])).inc())
    });

    let pc: prometheus_client::metrics::family::Family<
        PcClosed,
        prometheus_client::metrics::counter::Counter,
    > = Default::default();
    let pc_labels = PcClosed {
        method: "get".into(),
        status: "200".into(),
    };
    g.bench_function("prometheus_client_get_or_create_inc", |b| {
        b.iter(|| pc.get_or_create(black_box(&pc_labels)).inc())
    });

    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
    let _ = metrics::set_global_recorder(recorder);
    g.bench_function("metrics_counter_macro_inc", |b| {
        b.iter(|| {
            metrics::counter!("requests_total", "method" => "get", "status" => "200").increment(1)
        })
    });
    g.finish();
}

fn open(c: &mut Criterion) {
    let mut g = c.benchmark_group("labeled_inc_open_1k");
    let paths: Vec<String> = (0..1000).map(|i| format!("/api/item/{i}")).collect();

    let family = Family::<Open, Counter>::new();
    let ours: Vec<Open> = paths.iter().map(|p| Open { path: p.clone() }).collect();
    let mut i = 0;
    g.bench_function("promforge_family_get_inc", |b| {
        b.iter(|| {
            i = (i + 1) % ours.len();
            family.get(&ours[i]).inc()
        })
    });
    g.bench_function("promforge_family_inc", |b| {
        b.iter(|| {
            i = (i + 1) % ours.len();
            family.inc(&ours[i])
        })
    });

    let pc: prometheus_client::metrics::family::Family<
        PcOpen,
        prometheus_client::metrics::counter::Counter,
    > = Default::default();
    let theirs: Vec<PcOpen> = paths.iter().map(|p| PcOpen { path: p.clone() }).collect();
    let mut j = 0;
    g.bench_function("prometheus_client_get_or_create_inc", |b| {
        b.iter(|| {
            j = (j + 1) % theirs.len();
            pc.get_or_create(&theirs[j]).inc()
        })
    });

    let vec =
        prometheus::IntCounterVec::new(prometheus::Opts::new("hits_total", "Hits."), &["path"])
            .expect("vec");
    let mut k = 0;
    g.bench_function("prometheus_with_label_values_inc", |b| {
        b.iter(|| {
            k = (k + 1) % paths.len();
            vec.with_label_values(&[paths[k].as_str()]).inc()
        })
    });
    g.finish();
}

criterion_group!(benches, closed, open);
criterion_main!(benches);
