//! Labeled counter increments, promforge against the peers, in one run:
//! a closed two-label set (method × status), and an open string label (1,000 values).
//!
//! Peers: `prometheus` (`with_label_values`, and for the closed set also
//! `prometheus-static-metric`'s `make_static_metric!` with label enums), `prometheus-client`,
//! `metrics` with the `metrics-exporter-prometheus` recorder (closed set), and `measured`
//! (`CounterVec` over a `#[derive(LabelGroup)]`: `FixedCardinalityLabel` enums for the closed
//! set, the `lasso::ThreadedRodeo` interner for the open label).
//!
//! `cargo bench -p promforge-benches --bench labels`

#![allow(missing_docs)] // criterion's macros generate undocumented functions

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};

use prometheus_static_metric::make_static_metric;

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

// measured: a closed set is a label group of `FixedCardinalityLabel` enums (a dense vec,
// the labels encode to its index).
#[derive(measured::FixedCardinalityLabel, Clone, Copy)]
enum MMethod {
    Get,
    Post,
}

#[derive(measured::FixedCardinalityLabel, Clone, Copy)]
enum MStatus {
    Ok = 200,
    Error = 500,
}

#[derive(measured::LabelGroup, Clone, Copy)]
#[label(set = MClosedSet)]
struct MClosed {
    method: MMethod,
    status: MStatus,
}

// measured: an open string label goes through an interner, here lasso's `ThreadedRodeo`,
// measured's documented choice for values not known up front (no pre-declaring; a
// `fixed_with = IndexSet`/`RodeoReader` label would need every value listed at start-up).
// The vec is then sparse: the interned key indexes a sharded hash map.
#[derive(measured::LabelGroup, Clone, Copy)]
#[label(set = MOpenSet)]
struct MOpen<'a> {
    #[label(dynamic_with = lasso::ThreadedRodeo, default)]
    path: &'a str,
}

// prometheus-static-metric: one `IntCounter` per label pair, resolved from the
// `IntCounterVec` once; `get(enum)` picks the child at run time.
make_static_metric! {
    label_enum SmMethod {
        get,
        post,
    }

    label_enum SmStatus {
        ok: "200",
        error: "500",
    }

    struct SmRequests: IntCounter {
        "method" => SmMethod,
        "status" => SmStatus,
    }
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

    let sm_vec = prometheus::IntCounterVec::new(
        prometheus::Opts::new("requests_total", "Requests."),
        &["method", "status"],
    )
    .expect("vec");
    let sm = SmRequests::from(&sm_vec);
    sm.get(SmMethod::get).get(SmStatus::ok).inc();
    assert_eq!(sm_vec.with_label_values(&["get", "200"]).get(), 1);
    g.bench_function("prometheus_static_metric_get_inc", |b| {
        b.iter(|| {
            sm.get(black_box(SmMethod::get))
                .get(black_box(SmStatus::ok))
                .inc()
        })
    });

    let m = measured::CounterVec::<MClosedSet>::new();
    let m_labels = MClosed {
        method: MMethod::Get,
        status: MStatus::Ok,
    };
    m.inc(m_labels);
    assert_eq!(measured_count(&m, m_labels), 1);
    g.bench_function("measured_counter_vec_inc", |b| {
        b.iter(|| m.inc(black_box(m_labels)))
    });
    g.finish();
}

/// The value of one measured counter.
fn measured_count<L: measured::label::LabelGroupSet>(
    vec: &measured::CounterVec<L>,
    labels: L::Group<'_>,
) -> u64 {
    vec.get_metric(vec.with_labels(labels))
        .count
        .load(Ordering::Relaxed)
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

    let m = measured::CounterVec::<MOpenSet>::new();
    let first = MOpen { path: &paths[0] };
    m.inc(first);
    assert_eq!(measured_count(&m, first), 1);
    assert_eq!(m.get_cardinality().0, 1);
    let mut n = 0;
    g.bench_function("measured_counter_vec_inc", |b| {
        b.iter(|| {
            n = (n + 1) % paths.len();
            m.inc(MOpen { path: &paths[n] })
        })
    });
    g.finish();
}

criterion_group!(benches, closed, open);
criterion_main!(benches);
