//! OpenMetrics output, read back by someone else's strict parser (Python's
//! `prometheus_client.openmetrics.parser`): every metric type, created timestamps, the
//! families of an included `prometheus::Registry`, and escaping that round-trips in both
//! text formats.

use promforge::encoding::Format;
use promforge::{
    Collector, CollectorEncoder, Counter, Family, FamilyDesc, LabelSet, LabelValue, MetricType,
    Registry, StateSet, Summary,
};
use promforge_tests::openmetrics::{check_openmetrics, family, parse_text};
use proptest::prelude::*;

#[derive(LabelValue, Clone, Copy, Debug, PartialEq)]
enum Phase {
    Starting,
    Running,
}

#[derive(LabelSet, Clone, Debug)]
struct Path {
    path: String,
}

/// A collector of one untyped family (`unknown` in OpenMetrics).
struct Temperature;

impl Collector for Temperature {
    fn families(&self) -> Vec<FamilyDesc> {
        vec![FamilyDesc::new(
            "room_temperature",
            "Room temperature.",
            MetricType::Untyped,
        )]
    }
    fn collect(&self, out: &mut CollectorEncoder<'_>) {
        out.sample(0, "", 21.5);
    }
}

fn ok<T>(r: Result<T, promforge::Error>) -> T {
    r.unwrap_or_else(|e| panic!("{e}"))
}

fn value(
    families: &[promforge_tests::openmetrics::ParsedFamily],
    sample: &str,
    labels: &[(&str, &str)],
) -> f64 {
    families
        .iter()
        .flat_map(|f| &f.samples)
        .find(|s| s.name == sample && labels.iter().all(|(n, v)| s.label(n) == Some(v)))
        .map(|s| s.value)
        .unwrap_or_else(|| panic!("no sample {sample}{labels:?} in {families:#?}"))
}

#[test]
fn every_type_reads_back_strictly() {
    let r = ok(Registry::builder().prefix("om").build());
    ok(r.counter("jobs", "Jobs done.")).inc_by(3);
    ok(r.float_counter("busy_seconds", "Busy time.")).inc_by(1.5);
    ok(r.gauge("queue_depth", "Jobs waiting.")).set(-2);
    let h = ok(r.histogram("latency_seconds", "Latency.", &[0.1, 1.0]));
    h.observe(0.5);
    h.observe(5.0);
    let n = ok(r.histogram("offset", "Clock offsets.", &[-1.0, 0.0, 1.0]));
    n.observe(-0.5);
    let s = Summary::new();
    s.observe(2.0);
    ok(r.register("size_bytes", "Sizes.", s));
    // A state set whose label is named like the family is an OpenMetrics `stateset`...
    let phase = ok(StateSet::<Phase>::new("om_phase"));
    phase.set(Phase::Starting);
    phase.set(Phase::Running);
    ok(r.register("phase", "Phase.", phase));
    // ...one with another label name stays a gauge (its series keep their labels).
    let other = ok(StateSet::<Phase>::new("state"));
    ok(r.register("other_phase", "Other phase.", other));
    ok(promforge::build_info!(&r, "abc123"));
    let paths = Family::<Path, Counter>::new();
    paths
        .get(&Path {
            path: "/a\"b\\c\nd é".to_owned(),
        })
        .inc();
    ok(r.register("hits", "Hits by \"path\".\nSecond line \\.", paths));
    ok(r.register_collector(Temperature));

    let text = r.render_as(Format::OpenMetricsText1_0_0);
    assert!(text.ends_with("\n# EOF\n"), "{text}");
    let families = check_openmetrics(&text);
    let kind = |name: &str| family(&families, name).metric_type.clone();
    assert_eq!(kind("om_jobs"), "counter");
    assert_eq!(kind("om_busy_seconds"), "counter");
    assert_eq!(kind("om_queue_depth"), "gauge");
    assert_eq!(kind("om_latency_seconds"), "histogram");
    assert_eq!(kind("om_offset"), "histogram");
    assert_eq!(kind("om_size_bytes"), "summary");
    assert_eq!(kind("om_phase"), "stateset");
    assert_eq!(kind("om_other_phase"), "gauge");
    assert_eq!(kind("om_hits"), "counter");
    assert_eq!(kind("om_room_temperature"), "unknown");
    let build = families
        .iter()
        .find(|f| f.metric_type == "info")
        .unwrap_or_else(|| panic!("no info family: {families:#?}"));
    assert!(build.name.ends_with("_build"), "{}", build.name);
    assert_eq!(
        build.samples.first().and_then(|s| s.label("revision")),
        Some("abc123")
    );

    assert_eq!(value(&families, "om_jobs_total", &[]), 3.0);
    assert_eq!(value(&families, "om_busy_seconds_total", &[]), 1.5);
    assert_eq!(value(&families, "om_queue_depth", &[]), -2.0);
    assert_eq!(
        value(&families, "om_latency_seconds_bucket", &[("le", "1")]),
        1.0
    );
    assert_eq!(
        value(&families, "om_latency_seconds_bucket", &[("le", "+Inf")]),
        2.0
    );
    assert_eq!(value(&families, "om_latency_seconds_count", &[]), 2.0);
    assert_eq!(value(&families, "om_latency_seconds_sum", &[]), 5.5);
    // Negative buckets: no _sum (nor _count) in OpenMetrics.
    assert!(
        family(&families, "om_offset")
            .samples
            .iter()
            .all(|s| s.name == "om_offset_bucket")
    );
    assert_eq!(value(&families, "om_offset_bucket", &[("le", "0")]), 1.0);
    assert_eq!(value(&families, "om_size_bytes_count", &[]), 1.0);
    assert_eq!(
        value(&families, "om_phase", &[("om_phase", "running")]),
        1.0
    );
    assert_eq!(
        value(&families, "om_phase", &[("om_phase", "starting")]),
        0.0
    );
    assert_eq!(
        value(&families, "om_other_phase", &[("state", "starting")]),
        1.0
    );
    assert_eq!(
        value(&families, "om_hits_total", &[("path", "/a\"b\\c\nd é")]),
        1.0
    );
    assert_eq!(
        family(&families, "om_hits").help,
        "Hits by \"path\".\nSecond line \\."
    );
    assert_eq!(value(&families, "om_room_temperature", &[]), 21.5);
    // No _created unless asked for.
    assert!(!text.contains("_created"), "{text}");

    // OpenMetrics 0.0.1 is the same text; the 0.0.4 text still passes promtool.
    assert_eq!(r.render_as(Format::OpenMetricsText0_0_1), text);
    promforge_tests::check_exposition(&r.render());
}

#[test]
fn created_timestamps_when_the_registry_asks() {
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or_default()
    };
    let before = now();
    let r = ok(Registry::builder().created_timestamps(true).build());
    ok(r.counter("jobs", "Jobs done.")).inc();
    ok(r.histogram("latency_seconds", "Latency.", &[1.0])).observe(0.5);
    ok(r.register("size_bytes", "Sizes.", Summary::new()));
    ok(r.gauge("depth", "Depth.")).set(1);
    let after = now();
    let text = r.render_as(Format::OpenMetricsText1_0_0);
    let families = check_openmetrics(&text);
    for name in [
        "jobs_created",
        "latency_seconds_created",
        "size_bytes_created",
    ] {
        let created = value(&families, name, &[]);
        assert!(
            created >= before.floor() && created <= after.ceil(),
            "{name} = {created}, not in [{before}, {after}]"
        );
    }
    assert!(!text.contains("depth_created"), "{text}");
    // Never in the text format.
    assert!(!r.render().contains("_created"));
}

#[test]
fn included_prometheus_registries_are_converted() {
    let foreign = prometheus::Registry::new();
    let legacy = prometheus::IntCounter::new("legacy_requests", "Requests.")
        .unwrap_or_else(|e| panic!("{e}"));
    legacy.inc_by(2);
    foreign
        .register(Box::new(legacy))
        .unwrap_or_else(|e| panic!("{e}"));
    let hist = prometheus::Histogram::with_opts(
        prometheus::HistogramOpts::new("legacy_latency_seconds", "Latency.")
            .buckets(vec![0.5, 1.0]),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    hist.observe(0.7);
    foreign
        .register(Box::new(hist))
        .unwrap_or_else(|e| panic!("{e}"));
    let r = ok(Registry::builder().const_label("service", "x").build());
    r.include_prometheus_registry(foreign);
    let families = check_openmetrics(&r.render_as(Format::OpenMetricsText1_0_0));
    assert_eq!(family(&families, "legacy_requests").metric_type, "counter");
    assert_eq!(
        value(&families, "legacy_requests_total", &[("service", "x")]),
        2.0
    );
    assert_eq!(
        value(&families, "legacy_latency_seconds_bucket", &[("le", "0.5")]),
        0.0
    );
    assert_eq!(
        value(&families, "legacy_latency_seconds_bucket", &[("le", "1")]),
        1.0
    );
    assert_eq!(
        value(
            &families,
            "legacy_latency_seconds_bucket",
            &[("le", "+Inf")]
        ),
        1.0
    );
    assert_eq!(value(&families, "legacy_latency_seconds_count", &[]), 1.0);
}

/// Label values and HELP texts made of the characters escaping is about.
fn nasty() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("\"".to_owned()),
        Just("\\".to_owned()),
        Just("\n".to_owned()),
        Just("\\n".to_owned()),
        Just("🦀".to_owned()),
        Just("é".to_owned()),
        Just(" # ".to_owned()),
        Just("}".to_owned()),
        Just(",x=\"".to_owned()),
        "[a-z]{1,8}",
        Just("long".repeat(300)),
    ];
    prop::collection::vec(piece, 1..8).prop_map(|p| p.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// What goes in comes back, through the strict OpenMetrics parser and both 0.0.4
    /// parsers (prometheus_client's and promforge-tests'), and promtool accepts the text.
    #[test]
    fn escaping_round_trips_in_both_formats(
        values in prop::collection::btree_set(nasty(), 1..6),
        help in nasty(),
    ) {
        let r = Registry::new();
        let family = Family::<Path, Counter>::new();
        for (i, v) in values.iter().enumerate() {
            family.get(&Path { path: v.clone() }).inc_by(i as u64 + 1);
        }
        ok(r.register("hits", &format!("h{help}."), family));
        let om = check_openmetrics(&r.render_as(Format::OpenMetricsText1_0_0));
        let text = r.render();
        let classic = parse_text(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        let ours = promforge_tests::check_exposition(&text);
        for parsed in [&om, &classic] {
            let hits = parsed.iter().find(|f| f.name == "hits").unwrap_or_else(|| panic!("{parsed:#?}"));
            prop_assert_eq!(&hits.help, &format!("h{help}."));
        }
        for (i, v) in values.iter().enumerate() {
            let want = i as f64 + 1.0;
            prop_assert_eq!(value(&om, "hits_total", &[("path", v)]), want);
            prop_assert_eq!(value(&classic, "hits_total", &[("path", v)]), want);
            prop_assert_eq!(ours.value("hits_total", &[("path", v)]), Some(want));
        }
    }
}
