//! Scrape cost, every peer in one run, for the same data: `families` labeled families of
//! 100 series each (one third counters, one third gauges, one third histograms with 11
//! buckets), every series labeled `kind` (3 values) and `id` (0..100). Rendered to the
//! text format by promforge (`Registry::render_into`, reused buffer), `prometheus`
//! (`gather` + `TextEncoder`), `prometheus-client` (`encoding::text::encode`),
//! `metrics-exporter-prometheus` (`PrometheusHandle::render`) and `measured`
//! (`BufferedTextEncoder`). Sizes: 1,000 series (10 families) and 10,000 (100 families).
//!
//! The bytes and sample lines of each column's output are printed once (stderr), and every
//! column must produce the same number of sample lines.
//!
//! `cargo bench -p promforge-benches --bench scrape`

#![allow(missing_docs)] // criterion's macros generate undocumented functions

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, SamplingMode, criterion_group, criterion_main};
use measured::metric::MetricFamilyEncoding as _;
use measured::metric::group::Encoding as _;
use measured::metric::histogram::Thresholds;
use measured::metric::name::MetricName;
use prometheus::Encoder as _;
use prometheus_client::encoding::EncodeLabelSet;
use promforge::{Counter, Family, FloatGauge, Histogram, LabelSet, LabelValue};

const SERIES: usize = 100;
const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
const KINDS: [&str; 3] = ["get", "post", "put"];

/// What every column records: family `f`, series `s`.
fn kind(s: usize) -> usize {
    s % 3
}
fn counter_value(f: usize, s: usize) -> u64 {
    (f * 1000 + s) as u64
}
fn gauge_value(f: usize, s: usize) -> f64 {
    (f + s) as f64 * 0.5
}
fn observed(f: usize, s: usize) -> f64 {
    ((f * 7 + s) % 1200) as f64 / 100.0
}

// ---------------------------------------------------------------- promforge

#[derive(LabelValue, Clone, Copy)]
enum Kind {
    Get,
    Post,
    Put,
}

#[derive(LabelSet, Clone)]
struct Labels {
    kind: Kind,
    id: String,
}

fn labels(s: usize) -> Labels {
    Labels {
        kind: [Kind::Get, Kind::Post, Kind::Put][kind(s)],
        id: s.to_string(),
    }
}

fn promforge_registry(families: usize) -> promforge::Registry {
    let r = promforge::Registry::new();
    for f in 0..families {
        match f % 3 {
            0 => {
                let fam = Family::<Labels, Counter>::new();
                r.register(&format!("c{f}"), "A counter.", fam.clone())
                    .expect("c");
                for s in 0..SERIES {
                    fam.inc_by(&labels(s), counter_value(f, s));
                }
            }
            1 => {
                let fam = Family::<Labels, FloatGauge>::new();
                r.register(&format!("g{f}"), "A gauge.", fam.clone())
                    .expect("g");
                for s in 0..SERIES {
                    fam.set(&labels(s), gauge_value(f, s));
                }
            }
            _ => {
                let fam = Family::<Labels, Histogram>::with_buckets(&BUCKETS).expect("buckets");
                r.register(&format!("h{f}"), "A histogram.", fam.clone())
                    .expect("h");
                for s in 0..SERIES {
                    fam.observe(&labels(s), observed(f, s));
                }
            }
        }
    }
    r
}

// ---------------------------------------------------------------- prometheus

fn prometheus_registry(families: usize) -> prometheus::Registry {
    let r = prometheus::Registry::new();
    let names = &["kind", "id"];
    for f in 0..families {
        match f % 3 {
            0 => {
                let v = prometheus::IntCounterVec::new(
                    prometheus::Opts::new(format!("c{f}_total"), "A counter."),
                    names,
                )
                .expect("c");
                r.register(Box::new(v.clone())).expect("reg");
                for s in 0..SERIES {
                    v.with_label_values(&[KINDS[kind(s)], &s.to_string()])
                        .inc_by(counter_value(f, s));
                }
            }
            1 => {
                let v = prometheus::GaugeVec::new(
                    prometheus::Opts::new(format!("g{f}"), "A gauge."),
                    names,
                )
                .expect("g");
                r.register(Box::new(v.clone())).expect("reg");
                for s in 0..SERIES {
                    v.with_label_values(&[KINDS[kind(s)], &s.to_string()])
                        .set(gauge_value(f, s));
                }
            }
            _ => {
                let v = prometheus::HistogramVec::new(
                    prometheus::HistogramOpts::new(format!("h{f}"), "A histogram.")
                        .buckets(BUCKETS.to_vec()),
                    names,
                )
                .expect("h");
                r.register(Box::new(v.clone())).expect("reg");
                for s in 0..SERIES {
                    v.with_label_values(&[KINDS[kind(s)], &s.to_string()])
                        .observe(observed(f, s));
                }
            }
        }
    }
    r
}

// ---------------------------------------------------------------- prometheus-client

#[derive(Clone, Debug, PartialEq, Eq, Hash, EncodeLabelSet)]
struct PcLabels {
    kind: String,
    id: String,
}

fn pc_labels(s: usize) -> PcLabels {
    PcLabels {
        kind: KINDS[kind(s)].to_owned(),
        id: s.to_string(),
    }
}

type PcGauge = prometheus_client::metrics::gauge::Gauge<f64, std::sync::atomic::AtomicU64>;
type PcHistogram = prometheus_client::metrics::histogram::Histogram;

fn prometheus_client_registry(families: usize) -> prometheus_client::registry::Registry {
    use prometheus_client::metrics::{counter::Counter as PcCounter, family::Family as PcFamily};
    let mut r = prometheus_client::registry::Registry::default();
    for f in 0..families {
        match f % 3 {
            0 => {
                let fam = PcFamily::<PcLabels, PcCounter>::default();
                r.register(format!("c{f}"), "A counter.", fam.clone());
                for s in 0..SERIES {
                    fam.get_or_create(&pc_labels(s)).inc_by(counter_value(f, s));
                }
            }
            1 => {
                let fam = PcFamily::<PcLabels, PcGauge>::default();
                r.register(format!("g{f}"), "A gauge.", fam.clone());
                for s in 0..SERIES {
                    fam.get_or_create(&pc_labels(s)).set(gauge_value(f, s));
                }
            }
            _ => {
                let fam =
                    PcFamily::<PcLabels, PcHistogram, fn() -> PcHistogram>::new_with_constructor(
                        || PcHistogram::new(BUCKETS.iter().copied()),
                    );
                r.register(format!("h{f}"), "A histogram.", fam.clone());
                for s in 0..SERIES {
                    fam.get_or_create(&pc_labels(s)).observe(observed(f, s));
                }
            }
        }
    }
    r
}

// ---------------------------------------------------------------- metrics-exporter-prometheus

fn metrics_exporter(families: usize) -> metrics_exporter_prometheus::PrometheusHandle {
    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new()
        .set_buckets(&BUCKETS)
        .expect("buckets")
        .build_recorder();
    let handle = recorder.handle();
    metrics::with_local_recorder(&recorder, || {
        for f in 0..families {
            for s in 0..SERIES {
                let labels = [("kind", KINDS[kind(s)].to_owned()), ("id", s.to_string())];
                match f % 3 {
                    0 => {
                        let name = format!("c{f}_total");
                        metrics::describe_counter!(name.clone(), "A counter.");
                        metrics::counter!(name, &labels).increment(counter_value(f, s));
                    }
                    1 => {
                        let name = format!("g{f}");
                        metrics::describe_gauge!(name.clone(), "A gauge.");
                        metrics::gauge!(name, &labels).set(gauge_value(f, s));
                    }
                    _ => {
                        let name = format!("h{f}");
                        metrics::describe_histogram!(name.clone(), "A histogram.");
                        metrics::histogram!(name, &labels).record(observed(f, s));
                    }
                }
            }
        }
    });
    handle
}

// ---------------------------------------------------------------- measured

#[derive(measured::FixedCardinalityLabel, Clone, Copy)]
enum MKind {
    Get,
    Post,
    Put,
}

#[derive(measured::LabelGroup)]
#[label(set = MLabelsSet)]
struct MLabels {
    kind: MKind,
    #[label(fixed_with = indexmap::IndexSet<String>)]
    id: String,
}

fn m_labels(s: usize) -> MLabels {
    MLabels {
        kind: [MKind::Get, MKind::Post, MKind::Put][kind(s)],
        id: s.to_string(),
    }
}

fn m_set() -> MLabelsSet {
    MLabelsSet::new((0..SERIES).map(|s| s.to_string()).collect())
}

enum MFamily {
    Counter(measured::CounterVec<MLabelsSet>),
    Gauge(measured::FloatGaugeVec<MLabelsSet>),
    Histogram(measured::HistogramVec<MLabelsSet, 11>),
}

/// measured declares its families as struct fields; a run-time list of them is encoded
/// by hand, the way its derive would.
struct Measured(Vec<(String, &'static str, MFamily)>);

impl Measured {
    fn new(families: usize) -> Self {
        Self(
            (0..families)
                .map(|f| match f % 3 {
                    0 => {
                        let v = measured::CounterVec::with_label_set(m_set());
                        for s in 0..SERIES {
                            v.inc_by(m_labels(s), counter_value(f, s));
                        }
                        (format!("c{f}_total"), "A counter.", MFamily::Counter(v))
                    }
                    1 => {
                        let v = measured::FloatGaugeVec::with_label_set(m_set());
                        for s in 0..SERIES {
                            v.set(m_labels(s), gauge_value(f, s));
                        }
                        (format!("g{f}"), "A gauge.", MFamily::Gauge(v))
                    }
                    _ => {
                        let v = measured::HistogramVec::with_label_set_and_metadata(
                            m_set(),
                            Thresholds::with_buckets(BUCKETS),
                        );
                        for s in 0..SERIES {
                            v.observe(m_labels(s), observed(f, s));
                        }
                        (format!("h{f}"), "A histogram.", MFamily::Histogram(v))
                    }
                })
                .collect(),
        )
    }

    fn render(
        &self,
        enc: &mut measured::text::BufferedTextEncoder,
    ) -> impl std::ops::Deref<Target = [u8]> + use<> {
        for (name, help, fam) in &self.0 {
            let name = MetricName::try_from_str(name).expect("name");
            let Ok(()) = enc.write_help(name, help);
            let Ok(()) = match fam {
                MFamily::Counter(v) => v.collect_family_into(name, enc),
                MFamily::Gauge(v) => v.collect_family_into(name, enc),
                MFamily::Histogram(v) => v.collect_family_into(name, enc),
            };
        }
        enc.finish()
    }
}

// ---------------------------------------------------------------- the runs

/// Prints what a column renders, and returns its number of sample lines of the data
/// (promforge adds one `promforge_cardinality_overflow_total{metric="…"} 0` line per open
/// family, its self-monitoring, which is printed but not compared).
fn report(column: &str, series: usize, text: &[u8]) -> usize {
    let text = std::str::from_utf8(text).expect("utf-8");
    let (own, samples) = text
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .fold((0, 0), |(own, data), l| {
            if l.starts_with("promforge_") {
                (own + 1, data)
            } else {
                (own, data + 1)
            }
        });
    eprintln!(
        "scrape_{series}_series/{column}: {} bytes, {samples} sample lines (+{own} self-monitoring)",
        text.len()
    );
    samples
}

fn scrape(c: &mut Criterion, families: usize) {
    let series = families * SERIES;
    let ours = promforge_registry(families);
    let prom = prometheus_registry(families);
    let pc = prometheus_client_registry(families);
    let mep = metrics_exporter(families);
    let meas = Measured::new(families);

    // Same data everywhere: the same number of samples in every column.
    let mut buf = Vec::new();
    ours.render_into(&mut buf);
    let expected = report("promforge", series, &buf);
    buf.clear();
    prometheus::TextEncoder::new()
        .encode(&prom.gather(), &mut buf)
        .expect("encode");
    assert_eq!(report("prometheus", series, &buf), expected);
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &pc).expect("encode");
    assert_eq!(
        report("prometheus_client", series, text.as_bytes()),
        expected
    );
    assert_eq!(
        report(
            "metrics_exporter_prometheus",
            series,
            mep.render().as_bytes()
        ),
        expected
    );
    let mut menc = measured::text::BufferedTextEncoder::new();
    let out = meas.render(&mut menc);
    assert_eq!(report("measured", series, &out), expected);

    let mut g = c.benchmark_group(format!("scrape_{series}_series"));
    // The peers take milliseconds per scrape: fewer samples keep the whole comparison
    // within its time (`--measurement-time 2`) without criterion stretching it.
    if series > 1000 {
        g.sampling_mode(SamplingMode::Flat).sample_size(20);
    } else {
        g.sample_size(50);
    }
    g.bench_function(BenchmarkId::new("promforge", "render_into"), |b| {
        b.iter(|| {
            buf.clear();
            ours.render_into(&mut buf);
            buf.len()
        })
    });
    // The same registry as OpenMetrics (what Prometheus negotiates): the ratio to the
    // 0.0.4 row above is the cost of the format (issue 17: at most 1.2×).
    // prometheus-client's `text::encode` below writes OpenMetrics too.
    g.bench_function(
        BenchmarkId::new("promforge", "render_into_as OpenMetrics"),
        |b| {
            b.iter(|| {
                buf.clear();
                ours.render_into_as(&mut buf, promforge::encoding::Format::OpenMetricsText1_0_0);
                buf.len()
            })
        },
    );
    g.bench_function(BenchmarkId::new("prometheus", "gather+TextEncoder"), |b| {
        let encoder = prometheus::TextEncoder::new();
        b.iter(|| {
            buf.clear();
            encoder.encode(&prom.gather(), &mut buf).expect("encode");
            buf.len()
        })
    });
    g.bench_function(BenchmarkId::new("prometheus_client", "text::encode"), |b| {
        b.iter(|| {
            text.clear();
            prometheus_client::encoding::text::encode(&mut text, &pc).expect("encode");
            text.len()
        })
    });
    g.bench_function(
        BenchmarkId::new("metrics_exporter_prometheus", "handle.render"),
        |b| b.iter(|| mep.render()),
    );
    g.bench_function(BenchmarkId::new("measured", "BufferedTextEncoder"), |b| {
        b.iter(|| black_box(meas.render(&mut menc)))
    });
    g.finish();
}

fn scrape_1k(c: &mut Criterion) {
    scrape(c, 10);
}

fn scrape_10k(c: &mut Criterion) {
    scrape(c, 100);
}

criterion_group!(benches, scrape_1k, scrape_10k);
criterion_main!(benches);
