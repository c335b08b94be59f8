//! Automatic exemplars (feature `opentelemetry`): observations made inside a sampled
//! OpenTelemetry span (a `tracing` span with `tracing-opentelemetry`'s layer) keep the
//! span's trace and span ids, compared with the ids the OpenTelemetry SDK recorded
//! in-process; read by the strict parser and by a real Prometheus with exemplar storage.

use std::collections::HashSet;
use std::sync::LazyLock;
use std::time::Duration;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
use promforge::encoding::Format;
use promforge::{Registry, instrument_metrics};
use promforge_tests::openmetrics::check_openmetrics;
use promforge_tests::prometheus_server::PrometheusServer;
use tracing_subscriber::layer::SubscriberExt as _;

static REG: LazyLock<Registry> = LazyLock::new(Registry::new);

#[instrument_metrics(registry = REG)]
fn handle(order: u32) -> u32 {
    std::thread::sleep(Duration::from_millis(2));
    order * 2
}

/// The same, with automatic exemplars turned off for this function.
#[instrument_metrics(registry = REG, exemplars = false)]
fn quiet(order: u32) -> u32 {
    std::thread::sleep(Duration::from_millis(2));
    order * 3
}

/// Installs the SDK (sampling every trace, spans kept in memory) behind `tracing`, for the
/// whole process: each test file is its own process.
fn install() -> (SdkTracerProvider, InMemorySpanExporter) {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let tracer = provider.tracer("promforge-tests");
    let subscriber =
        tracing_subscriber::registry().with(tracing_opentelemetry::layer().with_tracer(tracer));
    tracing::subscriber::set_global_default(subscriber)
        .unwrap_or_else(|e| panic!("a subscriber was set already: {e}"));
    (provider, exporter)
}

/// The trace and span ids of every span the SDK finished, as hex.
fn finished(
    provider: &SdkTracerProvider,
    exporter: &InMemorySpanExporter,
) -> (HashSet<String>, HashSet<String>) {
    let _ = provider.force_flush();
    let spans = exporter
        .get_finished_spans()
        .unwrap_or_else(|e| panic!("{e}"));
    let traces = spans
        .iter()
        .map(|s| s.span_context.trace_id().to_string())
        .collect();
    let ids = spans
        .iter()
        .map(|s| s.span_context.span_id().to_string())
        .collect();
    (traces, ids)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exemplars_carry_the_current_spans_trace() {
    let (provider, exporter) = install();
    let latency = REG
        .histogram("work_seconds", "Work.", &[0.001, 0.1])
        .unwrap_or_else(|e| panic!("{e}"));
    // Outside of any span: no exemplar.
    latency.observe(0.0005);
    let text = REG.render_as(Format::OpenMetricsText1_0_0);
    assert!(!text.contains("trace_id"), "{text}");

    for order in 0..3 {
        let span = tracing::info_span!("request", order);
        let _entered = span.enter();
        handle(order);
        quiet(order);
        latency.observe(0.05);
    }

    let (traces, spans) = finished(&provider, &exporter);
    assert_eq!(traces.len(), 3, "one trace per request span");
    let families = check_openmetrics(&REG.render_as(Format::OpenMetricsText1_0_0));
    let exemplars: Vec<_> = families
        .iter()
        .flat_map(|f| &f.samples)
        .filter_map(|s| s.exemplar.clone().map(|e| (s.name.clone(), e)))
        .collect();
    let names: HashSet<&str> = exemplars.iter().map(|(n, _)| n.as_str()).collect();
    assert!(names.contains("work_seconds_bucket"), "{exemplars:?}");
    assert!(
        names.contains("function_calls_duration_seconds_bucket"),
        "{exemplars:?}"
    );
    for (name, (labels, _, timestamp)) in &exemplars {
        let label = |n: &str| {
            labels
                .iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        assert!(
            traces.contains(&label("trace_id")),
            "{name}: {labels:?} not in {traces:?}"
        );
        assert!(
            spans.contains(&label("span_id")),
            "{name}: {labels:?} not in {spans:?}"
        );
        assert!(timestamp.is_some());
    }
    // `exemplars = false`: its series counted the calls, and keep no exemplar.
    let quiet_samples: Vec<_> = families
        .iter()
        .flat_map(|f| &f.samples)
        .filter(|s| s.label("function") == Some("quiet"))
        .collect();
    assert!(
        quiet_samples
            .iter()
            .any(|s| s.name == "function_calls_duration_seconds_count" && s.value == 3.0),
        "{quiet_samples:?}"
    );
    assert!(
        quiet_samples.iter().all(|s| s.exemplar.is_none()),
        "{quiet_samples:?}"
    );
    // The 0.1 bucket's exemplar is the last request's.
    assert!(
        exemplars
            .iter()
            .any(|(n, (_, v, _))| n == "work_seconds_bucket" && *v == 0.05)
    );

    // A real Prometheus stores them: the same trace ids come back from its API.
    let handle = promforge::Exporter::new(REG.clone())
        .bind("127.0.0.1:0")
        .start()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let prometheus = PrometheusServer::start_with_features(
        "traced",
        &[handle.local_addr()],
        "",
        &["exemplar-storage"],
    )
    .await;
    prometheus
        .wait_until_scraped(&["traced"], "work_seconds_count", 4.0)
        .await;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    for query in [
        "work_seconds_bucket",
        "function_calls_duration_seconds_bucket",
    ] {
        loop {
            let stored: Vec<String> = prometheus
                .query_exemplars(query)
                .await
                .iter()
                .flat_map(|s| s["exemplars"].as_array().cloned().unwrap_or_default())
                .filter_map(|e| e["labels"]["trace_id"].as_str().map(str::to_owned))
                .collect();
            if !stored.is_empty() {
                assert!(
                    stored.iter().all(|t| traces.contains(t)),
                    "{stored:?} vs {traces:?}"
                );
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "Prometheus kept no exemplar for {query}\n{}",
                prometheus.log()
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
    handle.shutdown().await.unwrap_or_else(|e| panic!("{e}"));
}
