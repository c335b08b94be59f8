//! Exemplars end to end: recorded on counters and histogram buckets, written only in
//! OpenMetrics, read by the strict parser, and stored by a real Prometheus
//! (`--enable-feature=exemplar-storage`) that negotiated OpenMetrics with promforge.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::Request;
use axum::middleware::Next;
use promforge::encoding::Format;
use promforge::{Error, LabelSet, Registry};
use promforge_tests::openmetrics::check_openmetrics;
use promforge_tests::prometheus_server::PrometheusServer;

fn ok<T>(r: Result<T, Error>) -> T {
    r.unwrap_or_else(|e| panic!("{e}"))
}

#[derive(LabelSet, Clone)]
struct Trace {
    trace_id: String,
    span_id: String,
}

const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

#[test]
fn exemplars_are_written_in_openmetrics_only() {
    let r = Registry::new();
    let orders = ok(r.counter("orders", "Orders placed."));
    let latency = ok(r.histogram("latency_seconds", "Latency.", &[0.1, 1.0]));
    ok(orders.inc_with_exemplar(&[("trace_id", TRACE)]));
    ok(orders.inc_by_with_exemplar(
        2,
        &Trace {
            // Python's parser refuses `\"` inside exemplar labels (valid OpenMetrics), so
            // the escaping checked here is a backslash's and a non-ASCII character's.
            trace_id: "a\\b é".to_owned(),
            span_id: "00f067aa0ba902b7".to_owned(),
        },
    ));
    latency.observe(0.05);
    ok(latency.observe_with_exemplar(0.5, &[("trace_id", TRACE)]));
    ok(latency.observe_with_exemplar(7.0, &[("trace_id", "inf-bucket")]));

    let text = r.render_as(Format::OpenMetricsText1_0_0);
    let families = check_openmetrics(&text);
    let samples: Vec<_> = families.iter().flat_map(|f| &f.samples).collect();
    let exemplar = |name: &str, le: Option<&str>| {
        samples
            .iter()
            .find(|s| s.name == name && s.label("le") == le)
            .and_then(|s| s.exemplar.clone())
    };
    let (labels, value, timestamp) =
        exemplar("orders_total", None).unwrap_or_else(|| panic!("no exemplar:\n{text}"));
    assert_eq!(
        labels,
        vec![
            ("span_id".to_owned(), "00f067aa0ba902b7".to_owned()),
            ("trace_id".to_owned(), "a\\b é".to_owned())
        ]
    );
    assert_eq!(value, 2.0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or_default();
    let stamped = timestamp.unwrap_or_default();
    assert!(
        stamped > now - 60.0 && stamped <= now + 1.0,
        "{stamped} vs {now}"
    );
    assert_eq!(exemplar("latency_seconds_bucket", Some("0.1")), None);
    let bucket = exemplar("latency_seconds_bucket", Some("1")).map(|(l, v, _)| (l, v));
    assert_eq!(
        bucket,
        Some((vec![("trace_id".to_owned(), TRACE.to_owned())], 0.5))
    );
    let inf = exemplar("latency_seconds_bucket", Some("+Inf")).map(|(_, v, _)| v);
    assert_eq!(inf, Some(7.0));

    // The text format 0.0.4 has none, and promtool still accepts it.
    let plain = r.render();
    assert!(
        !plain.contains('#') || !plain.contains("trace_id"),
        "{plain}"
    );
    promforge_tests::check_exposition(&plain);

    // Refused labels: a clear error, nothing recorded, no panic.
    let long = "x".repeat(129 - "trace_id".len());
    assert!(matches!(
        orders.inc_with_exemplar(&[("trace_id", long.as_str())]),
        Err(Error::InvalidExemplar { .. })
    ));
    assert!(matches!(
        latency.observe_with_exemplar(0.5, &[("__bad", "x")]),
        Err(Error::InvalidLabelName { .. })
    ));
    assert_eq!(orders.get(), 3);
    assert_eq!(latency.count(), 3);
}

/// Exemplars from many threads at once: every update counted, the last exemplar of each
/// slot whole (one thread's labels and value, never a mix).
#[test]
fn concurrent_exemplars_stay_whole() {
    let r = Registry::new();
    let latency = ok(r.histogram("latency_seconds", "Latency.", &[1.0]));
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        for t in 0..4u32 {
            let latency = &latency;
            s.spawn(move || {
                let id = format!("thread-{t}");
                for _ in 0..2000 {
                    ok(latency
                        .observe_with_exemplar(f64::from(t) / 10.0, &[("trace_id", id.as_str())]));
                }
            });
        }
        s.spawn(|| {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let _ = r.render_as(Format::OpenMetricsText1_0_0);
                std::thread::yield_now();
                stop.store(
                    latency.count() >= 8000,
                    std::sync::atomic::Ordering::Relaxed,
                );
            }
        });
    });
    assert_eq!(latency.count(), 8000);
    let families = check_openmetrics(&r.render_as(Format::OpenMetricsText1_0_0));
    let bucket = families
        .iter()
        .flat_map(|f| &f.samples)
        .find(|s| s.label("le") == Some("1"))
        .and_then(|s| s.exemplar.clone())
        .unwrap_or_else(|| panic!("no exemplar: {families:#?}"));
    let (labels, value, _) = bucket;
    let t: f64 = labels[0]
        .1
        .trim_start_matches("thread-")
        .parse()
        .unwrap_or(-1.0);
    assert_eq!(value, t / 10.0, "labels {labels:?} with value {value}");
}

#[tokio::test]
async fn a_real_prometheus_negotiates_openmetrics_and_stores_the_exemplars() {
    let registry = Registry::new();
    let orders = ok(registry.counter("shop_orders", "Orders placed."));
    let latency = ok(registry.histogram("shop_latency_seconds", "Latency.", &[0.1, 1.0]));
    ok(orders.inc_with_exemplar(&[("trace_id", TRACE)]));
    ok(latency.observe_with_exemplar(
        0.25,
        &[("trace_id", TRACE), ("span_id", "00f067aa0ba902b7")],
    ));

    // What the scraper asked for and what it was answered, seen by a middleware.
    let seen: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let record = Arc::clone(&seen);
    let app: axum::Router = promforge::http::axum::routes(registry.clone()).layer(
        axum::middleware::from_fn(move |req: Request, next: Next| {
            let record = Arc::clone(&record);
            async move {
                let accept = req
                    .headers()
                    .get("accept")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                let resp = next.run(req).await;
                let content_type = resp
                    .headers()
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                if let Ok(mut seen) = record.lock() {
                    seen.push((accept, content_type));
                }
                resp
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    tokio::spawn(async move { axum::serve(listener, app).await });

    let prometheus =
        PrometheusServer::start_with_features("shop", &[addr], "", &["exemplar-storage"]).await;
    prometheus
        .wait_until_scraped(&["shop"], "shop_orders_total", 1.0)
        .await;

    let (accept, content_type) = seen
        .lock()
        .ok()
        .and_then(|s| s.first().cloned())
        .unwrap_or_default();
    assert!(
        accept.starts_with("application/openmetrics-text;version=1.0.0"),
        "Prometheus asked for {accept:?}"
    );
    assert_eq!(content_type, Format::OpenMetricsText1_0_0.content_type());

    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    for query in ["shop_orders_total", "shop_latency_seconds_bucket"] {
        loop {
            let found = prometheus.query_exemplars(query).await;
            let trace_ids: Vec<String> = found
                .iter()
                .flat_map(|series| series["exemplars"].as_array().cloned().unwrap_or_default())
                .filter_map(|e| e["labels"]["trace_id"].as_str().map(str::to_owned))
                .collect();
            if trace_ids.iter().any(|t| t == TRACE) {
                assert!(trace_ids.iter().all(|t| t == TRACE), "{trace_ids:?}");
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no exemplar for {query}: {found:?}\n{}",
                prometheus.log()
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
    // The bucket's exemplar: its value and both labels.
    let found = prometheus
        .query_exemplars("shop_latency_seconds_bucket")
        .await;
    let exemplar = found
        .iter()
        .flat_map(|series| series["exemplars"].as_array().cloned().unwrap_or_default())
        .next()
        .unwrap_or_default();
    assert_eq!(exemplar["value"], "0.25");
    assert_eq!(exemplar["labels"]["span_id"], "00f067aa0ba902b7");
}
