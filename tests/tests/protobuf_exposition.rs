//! The protobuf exposition, decoded by `prost` with the messages of client_model's
//! `metrics.proto` (written here by hand with prost's derives), compared with the text
//! exposition of the same registry, value by value.

use std::collections::BTreeMap;

use promforge::encoding::MetricEncoder;
use promforge::{
    Collector, CollectorEncoder, Counter, Family, FamilyDesc, LabelSet, LabelValue, MetricType,
    NativeHistogram, Registry, StateSet, Summary,
};
use promforge_tests::proto::{self, decode, expand};

/// A sample: name and sorted labels (`le` and `quantile` as parsed floats, so `1e+06` and
/// `1000000` compare equal).
type Key = (String, Vec<(String, String)>);

fn key(name: &str, labels: impl IntoIterator<Item = (String, String)>) -> Key {
    let mut labels: Vec<(String, String)> = labels
        .into_iter()
        .map(|(n, v)| {
            if n == "le" || n == "quantile" {
                let f: f64 = v.parse().unwrap_or(f64::NAN);
                (n, format!("{f:?}"))
            } else {
                (n, v)
            }
        })
        .collect();
    labels.sort();
    (name.to_owned(), labels)
}

/// The samples the text format would show for the decoded families. Native buckets are not
/// in the text formats: only `_sum` and `_count` (and classic buckets) of a histogram.
fn flatten(families: &[proto::MetricFamily]) -> BTreeMap<Key, f64> {
    let mut out = BTreeMap::new();
    for f in families {
        for m in &f.metric {
            let labels: Vec<(String, String)> = m
                .label
                .iter()
                .map(|l| (l.name.clone(), l.value.clone()))
                .collect();
            let with = |extra: Option<(&str, f64)>| {
                let mut l = labels.clone();
                if let Some((n, v)) = extra {
                    l.push((n.to_owned(), v.to_string()));
                }
                l
            };
            let name = f.name.as_str();
            if let Some(v) = m
                .counter
                .as_ref()
                .or(m.gauge.as_ref())
                .or(m.untyped.as_ref())
            {
                out.insert(key(name, with(None)), v.value);
            }
            if let Some(s) = &m.summary {
                for q in &s.quantile {
                    out.insert(key(name, with(Some(("quantile", q.quantile)))), q.value);
                }
                out.insert(key(&format!("{name}_sum"), with(None)), s.sample_sum);
                out.insert(
                    key(&format!("{name}_count"), with(None)),
                    s.sample_count as f64,
                );
            }
            if let Some(h) = &m.histogram {
                for b in &h.bucket {
                    out.insert(
                        key(&format!("{name}_bucket"), with(Some(("le", b.upper_bound)))),
                        b.cumulative_count as f64,
                    );
                }
                if !h.bucket.is_empty() {
                    out.insert(
                        key(&format!("{name}_bucket"), with(Some(("le", f64::INFINITY)))),
                        h.sample_count as f64,
                    );
                }
                out.insert(key(&format!("{name}_sum"), with(None)), h.sample_sum);
                out.insert(
                    key(&format!("{name}_count"), with(None)),
                    h.sample_count as f64,
                );
            }
        }
    }
    out
}

fn text_samples(text: &str) -> BTreeMap<Key, f64> {
    let parsed = promforge_tests::check_exposition(text);
    parsed
        .samples()
        .map(|s| (key(&s.name, s.labels.clone()), s.value))
        .collect()
}

fn same(a: f64, b: f64) -> bool {
    a == b || (a.is_nan() && b.is_nan())
}

#[derive(LabelValue, Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    #[allow(dead_code)] // a state set shows every state, current or not
    Idle,
    Busy,
}

#[derive(LabelSet, Clone)]
struct Path {
    path: String,
}

struct Pool;

impl Collector for Pool {
    fn families(&self) -> Vec<FamilyDesc> {
        vec![
            FamilyDesc::new("pool_connections", "Open connections.", MetricType::Gauge),
            FamilyDesc::new("pool_checkouts_total", "Checkouts.", MetricType::Counter),
        ]
    }
    fn collect(&self, out: &mut CollectorEncoder<'_>) {
        out.sample(1, "", 7u64);
        out.sample(0, "pool=\"a\"", 3i64);
        out.sample(0, "pool=\"b\"", 4i64);
    }
}

/// A metric type of a user's, through the public encoder.
struct Custom;

impl promforge::EncodeMetric for Custom {
    fn metric_type(&self) -> MetricType {
        MetricType::Untyped
    }
    fn encode(&self, encoder: &mut MetricEncoder<'_>) {
        encoder.with_labels("kind=\"x\"").untyped(2.5f64);
    }
}

#[test]
fn every_metric_type_decodes_to_the_text_values() {
    let r = Registry::builder()
        .prefix("app")
        .const_label("service", "api \"v2\"")
        .build()
        .expect("registry");
    r.counter("jobs", "Jobs done.").expect("c").inc_by(42);
    r.float_counter("cpu_seconds_total", "CPU.")
        .expect("fc")
        .inc_by(1.25);
    r.gauge("depth", "Queue depth.").expect("g").set(-3);
    r.float_gauge("nan", "NaN.").expect("nan").set(f64::NAN);
    r.float_gauge("inf", "Inf.")
        .expect("inf")
        .set(f64::INFINITY);
    let paths = Family::<Path, Counter>::new();
    r.register("hits", "Hits by path.", paths.clone())
        .expect("family");
    for p in ["/a", "quote\"back\\slash\nnewline", "é/ü"] {
        paths.get(&Path { path: p.into() }).inc_by(p.len() as u64);
    }
    let h = r
        .histogram("latency_seconds", "Latency.", &[0.005, 0.1, 1.0, 1e6])
        .expect("h");
    for v in [0.001, 0.05, 0.7, 3.0, 2e6, f64::NAN] {
        h.observe(v);
    }
    let s = Summary::new();
    for v in 1..=100 {
        s.observe(f64::from(v));
    }
    r.register("size_bytes", "Sizes.", s).expect("summary");
    let state = StateSet::<Mode>::new("mode").expect("state set");
    state.set(Mode::Busy);
    r.register("mode", "Mode.", state).expect("state");
    let native = NativeHistogram::new();
    for v in [0.0, 1e-3, 0.02, 0.02, 7.5, -2.0, 1e9, f64::INFINITY] {
        native.observe(v);
    }
    r.register("native_seconds", "Native.", native.clone())
        .expect("native");
    let mixed = NativeHistogram::builder()
        .classic_buckets(&[0.1, 1.0])
        .build()
        .expect("mixed");
    for v in [0.05, 0.5, 5.0] {
        mixed.observe(v);
    }
    r.register("mixed_seconds", "Mixed.", mixed.clone())
        .expect("mixed");
    let empty = NativeHistogram::new();
    r.register("empty_seconds", "Nothing yet.", empty)
        .expect("empty");
    let by_path = Family::<Path, NativeHistogram>::new();
    r.register("path_seconds", "By path.", by_path.clone())
        .expect("native family");
    by_path.observe(&Path { path: "/x".into() }, 0.25);
    r.register("custom", "Custom.", Custom).expect("custom");
    r.register_collector(Pool).expect("collector");

    let text = r.render();
    let mut buf = vec![0xffu8; 3]; // rendering appends
    r.render_protobuf_into(&mut buf);
    let families = decode(buf.get(3..).unwrap_or_default());

    // The families, in registration order, with HELP and type.
    let names: Vec<(&str, i32)> = families
        .iter()
        .map(|f| (f.name.as_str(), f.r#type))
        .collect();
    assert_eq!(
        names,
        [
            ("app_jobs_total", 0),
            ("app_cpu_seconds_total", 0),
            ("app_depth", 1),
            ("app_nan", 1),
            ("app_inf", 1),
            ("app_hits_total", 0),
            ("app_latency_seconds", 4),
            ("app_size_bytes", 2),
            ("app_mode", 1),
            ("app_native_seconds", 4),
            ("app_mixed_seconds", 4),
            ("app_empty_seconds", 4),
            ("app_path_seconds", 4),
            ("app_custom", 3),
            ("app_pool_connections", 1),
            ("app_pool_checkouts_total", 0),
        ]
    );
    assert_eq!(
        families.first().map(|f| f.help.as_str()),
        Some("Jobs done.")
    );

    // Every sample protobuf carries, text shows with the same value; and every text sample
    // is in protobuf but the classic buckets text derives for native-only histograms.
    let from_text = text_samples(&text);
    let from_proto = flatten(&families);
    for (k, v) in &from_proto {
        let t = from_text
            .get(k)
            .unwrap_or_else(|| panic!("{k:?} not in text:\n{text}"));
        assert!(same(*t, *v), "{k:?}: text {t}, protobuf {v}");
    }
    let derived = [
        "app_native_seconds_bucket",
        "app_empty_seconds_bucket",
        "app_path_seconds_bucket",
    ];
    for k in from_text.keys() {
        assert!(
            from_proto.contains_key(k) || derived.contains(&k.0.as_str()),
            "{k:?} missing from protobuf"
        );
    }
    assert!(from_proto.len() > 30, "{} samples", from_proto.len());

    // Escaped label values arrive unescaped; the constant label on every series.
    let hits = families
        .iter()
        .find(|f| f.name == "app_hits_total")
        .expect("hits");
    let values: Vec<&str> = hits
        .metric
        .iter()
        .flat_map(|m| {
            m.label
                .iter()
                .filter(|l| l.name == "path")
                .map(|l| l.value.as_str())
        })
        .collect();
    assert_eq!(values, ["/a", "quote\"back\\slash\nnewline", "é/ü"]);
    for f in &families {
        for m in &f.metric {
            assert_eq!(
                m.label.first().map(|l| (l.name.as_str(), l.value.as_str())),
                Some(("service", "api \"v2\"")),
                "{}",
                f.name
            );
        }
    }

    // The native histogram: schema, zero bucket, both sides, as the histogram holds them.
    let native_of = |name: &str| {
        families
            .iter()
            .find(|f| f.name == name)
            .and_then(|f| f.metric.first())
            .and_then(|m| m.histogram.clone())
            .unwrap_or_else(|| panic!("no histogram {name}"))
    };
    let n = native_of("app_native_seconds");
    let (schema, zero, positive, negative) = native.buckets();
    assert_eq!(n.schema, Some(i32::from(schema)));
    assert_eq!(n.schema, Some(3));
    assert_eq!(n.zero_threshold, promforge::metrics::DEFAULT_ZERO_THRESHOLD);
    assert_eq!(n.zero_count, zero);
    assert_eq!(zero, 1);
    assert_eq!(expand(&n.positive_span, &n.positive_delta), positive);
    assert_eq!(expand(&n.negative_span, &n.negative_delta), negative);
    assert_eq!(negative, [(8, 1)], "-2 is in (2^(7/8), 2]");
    assert_eq!(positive.iter().map(|b| b.1).sum::<u64>(), 6);
    assert_eq!(n.sample_count, 8);
    assert!(n.bucket.is_empty(), "no classic buckets");
    // The text shows the same observations under the default classic layout.
    assert_eq!(
        from_text.get(&key(
            "app_native_seconds_bucket",
            [
                ("service".into(), "api \"v2\"".into()),
                ("le".into(), "0.025".into())
            ]
        )),
        Some(&5.0),
        "0, -2, 1e-3 and 0.02 twice are at or under 0.025"
    );

    // Mixed: classic buckets and native ones in one message.
    let m = native_of("app_mixed_seconds");
    assert_eq!(
        m.bucket
            .iter()
            .map(|b| (b.upper_bound, b.cumulative_count))
            .collect::<Vec<_>>(),
        [(0.1, 1), (1.0, 2)]
    );
    assert_eq!(m.schema, Some(3));
    assert_eq!(expand(&m.positive_span, &m.positive_delta).len(), 3);

    // Empty: still native (the no-op span), with nothing in it.
    let e = native_of("app_empty_seconds");
    assert_eq!(e.schema, Some(3));
    assert_eq!(
        e.positive_span,
        [proto::BucketSpan {
            offset: 0,
            length: 0
        }]
    );
    assert_eq!(e.sample_count, 0);
}

#[test]
fn large_families_and_histograms_keep_their_lengths() {
    // Messages over 127 bytes (a wide histogram, a family of many series) move their
    // content after the length: decoding them proves the lengths right.
    let r = Registry::new();
    let wide = NativeHistogram::builder()
        .bucket_factor(1.01)
        .build()
        .expect("wide");
    for i in 0..1000 {
        wide.observe(1.0 + f64::from(i) / 100.0);
        wide.observe(-(f64::from(i) + 0.5));
    }
    r.register("wide", "Wide.", wide.clone()).expect("wide");
    let many = Family::<Path, Counter>::new().with_cardinality_limit(5000);
    r.register("many", "Many.", many.clone()).expect("many");
    for i in 0..3000u64 {
        many.get(&Path {
            path: format!("/p/{i}"),
        })
        .inc_by(i);
    }
    let mut buf = Vec::new();
    r.render_protobuf_into(&mut buf);
    let families = decode(&buf);
    assert_eq!(families.len(), 2);
    let h = families
        .first()
        .and_then(|f| f.metric.first())
        .and_then(|m| m.histogram.clone())
        .expect("histogram");
    let (schema, zero, positive, negative) = wide.buckets();
    assert!(schema < 7, "the budget lowered the schema: {schema}");
    assert_eq!(h.schema, Some(i32::from(schema)));
    assert_eq!(zero, 0);
    assert_eq!(expand(&h.positive_span, &h.positive_delta), positive);
    assert_eq!(expand(&h.negative_span, &h.negative_delta), negative);
    assert_eq!(h.sample_count, 2000);
    let total: u64 = positive.iter().chain(&negative).map(|b| b.1).sum();
    assert_eq!(total, 2000);
    let many = families.get(1).expect("many");
    assert_eq!(many.metric.len(), 3000);
    let sum: f64 = many
        .metric
        .iter()
        .filter_map(|m| m.counter.as_ref())
        .map(|c| c.value)
        .sum();
    assert_eq!(sum, (0..3000u64).sum::<u64>() as f64);
}

#[test]
fn a_native_only_histogram_in_text_passes_promtool() {
    // The text fallback: classic buckets from the native ones, cumulative, +Inf = count.
    let r = Registry::new();
    let h = r.native_histogram("work_seconds", "Work.").expect("native");
    for v in [0.001, 0.004, 0.006, 0.2, 3.0, 50.0, -1.0, f64::NAN] {
        h.observe(v);
    }
    let text = r.render();
    let e = promforge_tests::check_exposition(&text);
    assert_eq!(e.value("work_seconds_count", &[]), Some(8.0));
    assert_eq!(e.value("work_seconds_bucket", &[("le", "+Inf")]), Some(8.0));
    // -1 and 0.001, 0.004 are under 0.005 (their native buckets end at or below it).
    assert_eq!(
        e.value("work_seconds_bucket", &[("le", "0.005")]),
        Some(3.0)
    );
    assert_eq!(e.value("work_seconds_bucket", &[("le", "10")]), Some(6.0));
    assert!(e.value("work_seconds_sum", &[]).is_some_and(f64::is_nan));
}
