//! `#[instrument_metrics(native)]` and `RegistryBuilder::native_durations`: durations in a
//! shared native histogram per function (protobuf), classic buckets in the text formats
//! (promtool clean), calls and in-flight counted as before.

use std::sync::LazyLock;

use promforge::metrics::NativeOptions;
use promforge::{Registry, instrument_metrics};
use promforge_tests::proto;

static SITE_REGISTRY: LazyLock<Registry> = LazyLock::new(Registry::new);
static DEFAULT_REGISTRY: LazyLock<Registry> = LazyLock::new(|| {
    Registry::builder()
        .native_durations(Some(NativeOptions::new().bucket_factor(1.05)))
        .build()
        .expect("registry")
});

#[instrument_metrics(
    name = "native_job",
    native(bucket_factor = 1.05, max_buckets = 100),
    registry = &*SITE_REGISTRY
)]
fn native_job() {}

#[instrument_metrics(name = "plain_job", registry = &*DEFAULT_REGISTRY)]
fn plain_job() {}

#[instrument_metrics(name = "bucketed_job", buckets = [0.5, 1.0], registry = &*DEFAULT_REGISTRY)]
fn bucketed_job() {}

fn protobuf(registry: &Registry) -> Vec<proto::MetricFamily> {
    let mut buf = Vec::new();
    registry.render_protobuf_into(&mut buf);
    proto::decode(&buf)
}

fn histogram(families: &[proto::MetricFamily], name: &str) -> proto::Histogram {
    let family = families
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no {name}"));
    let metric = family.metric.first().expect("a series");
    assert!(
        metric
            .label
            .iter()
            .any(|l| l.name == "function" && l.value.ends_with("_job")),
        "{metric:?}"
    );
    metric.histogram.clone().expect("a histogram")
}

#[test]
fn a_site_records_its_durations_in_a_native_histogram() {
    for _ in 0..3 {
        native_job();
    }
    let families = protobuf(&SITE_REGISTRY);
    let h = histogram(&families, "native_job_duration_seconds");
    assert_eq!(h.sample_count, 3);
    assert!(
        h.sample_sum >= 0.0 && h.sample_sum < 10.0,
        "{}",
        h.sample_sum
    );
    assert_eq!(h.schema, Some(4), "bucket factor 1.05");

    let text = SITE_REGISTRY.render();
    let e = promforge_tests::check_exposition(&text);
    assert_eq!(
        e.value("native_job_duration_seconds_count", &[]),
        Some(3.0),
        "{text}"
    );
    assert_eq!(
        e.value("native_job_duration_seconds_bucket", &[("le", "+Inf")]),
        Some(3.0),
        "{text}"
    );
    assert_eq!(
        e.value("native_job_calls_total", &[("result", "ok")]),
        Some(3.0)
    );
    assert_eq!(e.value("native_job_in_flight", &[]), Some(0.0));
}

#[test]
fn a_registry_default_makes_sites_native_unless_they_name_buckets() {
    plain_job();
    plain_job();
    bucketed_job();
    let families = protobuf(&DEFAULT_REGISTRY);
    let plain = histogram(&families, "plain_job_duration_seconds");
    assert_eq!(plain.sample_count, 2);
    assert_eq!(plain.schema, Some(4));
    let bucketed = histogram(&families, "bucketed_job_duration_seconds");
    assert_eq!(bucketed.sample_count, 1);
    assert_eq!(bucketed.schema, None, "classic");
    assert_eq!(bucketed.bucket.len(), 2);

    let text = DEFAULT_REGISTRY.render();
    let e = promforge_tests::check_exposition(&text);
    assert_eq!(
        e.value("plain_job_duration_seconds_count", &[]),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        e.value("bucketed_job_duration_seconds_bucket", &[("le", "0.5")]),
        Some(1.0),
        "{text}"
    );
}
