//! Native histograms as fields of a `#[derive(MetricsGroup)]` struct (`#[metric(native(…))]`)
//! and as `Family` members: the settings reach the histograms, the text shows them as
//! classic histograms (promtool clean), the protobuf as native ones.

use promforge::{Family, LabelSet, MetricsGroup, NativeHistogram, Registry};
use promforge_tests::proto;

#[derive(LabelSet, Clone)]
struct Route {
    route: String,
}

#[derive(MetricsGroup)]
#[metrics(prefix = "svc")]
struct Service {
    /// Request latency.
    #[metric(unit = "seconds", native(bucket_factor = 1.05, max_buckets = 100))]
    latency: NativeHistogram,
    /// Response sizes, classic buckets too.
    #[metric(unit = "bytes", buckets = [100.0, 1000.0], native)]
    size: NativeHistogram,
    /// Defaults.
    plain: NativeHistogram,
    /// Latency by route.
    #[metric(unit = "seconds", native(zero_threshold = 0.001))]
    by_route: Family<Route, NativeHistogram>,
}

#[test]
fn group_fields_take_their_native_settings() {
    let r = Registry::new();
    let m = Service::register(&r).expect("group");
    m.latency.observe(0.25);
    m.size.observe(512.0);
    m.plain.observe(3.0);
    m.by_route
        .get(&Route { route: "/a".into() })
        .observe(0.0005);
    assert_eq!(m.latency.schema(), 4, "bucket factor 1.05");
    assert_eq!(m.plain.schema(), 3);

    let text = r.render();
    let e = promforge_tests::check_exposition(&text);
    assert_eq!(
        e.value("svc_size_bytes_bucket", &[("le", "1000")]),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        e.value("svc_size_bytes_bucket", &[("le", "100")]),
        Some(0.0)
    );
    assert_eq!(e.value("svc_latency_seconds_count", &[]), Some(1.0));

    let mut buf = Vec::new();
    r.render_protobuf_into(&mut buf);
    let families = proto::decode(&buf);
    let histogram = |name: &str| {
        families
            .iter()
            .find(|f| f.name == name)
            .and_then(|f| f.metric.first())
            .and_then(|m| m.histogram.clone())
            .unwrap_or_else(|| panic!("no {name}"))
    };
    assert_eq!(histogram("svc_latency_seconds").schema, Some(4));
    let size = histogram("svc_size_bytes");
    assert_eq!(size.schema, Some(3));
    assert_eq!(
        size.bucket.len(),
        2,
        "classic buckets beside the native ones"
    );
    let by_route = histogram("svc_by_route_seconds");
    assert_eq!(by_route.zero_threshold, 0.001);
    assert_eq!(
        by_route.zero_count, 1,
        "0.0005 is within the zero threshold"
    );
}

#[test]
fn a_family_of_native_histograms_with_settings() {
    let family = Family::<Route, NativeHistogram>::with_native(
        NativeHistogram::builder()
            .bucket_factor(1.5)
            .max_buckets(20),
    )
    .expect("settings");
    let r = Registry::new();
    r.register("route_seconds", "By route.", family.clone())
        .expect("register");
    for (i, route) in ["/a", "/b"].iter().enumerate() {
        family.observe(
            &Route {
                route: (*route).into(),
            },
            i as f64 + 0.5,
        );
    }
    assert!(
        Family::<Route, NativeHistogram>::with_native(NativeHistogram::builder().max_buckets(0))
            .is_err()
    );
    let mut buf = Vec::new();
    r.render_protobuf_into(&mut buf);
    let families = proto::decode(&buf);
    let metrics = &families.first().expect("family").metric;
    assert_eq!(metrics.len(), 2);
    for m in metrics {
        let h = m.histogram.as_ref().expect("histogram");
        assert_eq!(h.schema, Some(1), "factor 1.5");
        assert_eq!(h.sample_count, 1);
    }
}
