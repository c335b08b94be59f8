//! UTF-8 names (Prometheus 3) through the exporter: escaped (`underscores`) for every
//! scraper that does not ask for `escaping=allow-utf-8` — `promtool`, Python's
//! `prometheus_client` and a real Prometheus 2 read them — and quoted for one that does.

use std::time::Duration;

use promforge::{Exporter, Registry};
use promforge_tests::openmetrics::{check_openmetrics, family, parse_text};
use promforge_tests::prometheus_server::PrometheusServer;
use promforge_tests::{promtool_check, request};

fn registry() -> Registry {
    let registry = Registry::builder()
        .utf8_names(true)
        .const_label("service.name", "checkout")
        .build()
        .expect("registry");
    registry
        .counter("http.requests", "Requests served.")
        .expect("counter")
        .inc_by(7);
    let latency = registry
        .histogram("request.latency 😱", "Latency, \"quoted\".", &[0.1, 1.0])
        .expect("histogram");
    latency.observe(0.05);
    latency.observe(0.5);
    registry
        .gauge("queue_depth", "A legacy name.")
        .expect("gauge")
        .set(3);
    registry
}

async fn scrape(addr: std::net::SocketAddr, accept: Option<&str>) -> (String, String) {
    let headers: Vec<(&str, &str)> = accept.map(|a| ("accept", a)).into_iter().collect();
    let response = request(addr, "GET", "/metrics", &headers)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(response.status, 200);
    (response.header("content-type").to_owned(), response.text())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn utf8_names_escaped_or_quoted_as_the_scraper_asks() {
    let handle = Exporter::new(registry())
        .bind("127.0.0.1:0")
        .start()
        .await
        .expect("exporter");
    let addr = handle.local_addr();

    // (a) No Accept: 0.0.4, names escaped; promtool and prometheus_client read it.
    let (content_type, text) = scrape(addr, None).await;
    assert_eq!(content_type, "text/plain; version=0.0.4; charset=utf-8");
    promtool_check(&text).unwrap_or_else(|e| panic!("{e}"));
    assert!(!text.contains("{\""), "{text}");
    assert!(
        text.contains("http_requests_total{service_name=\"checkout\"} 7\n"),
        "{text}"
    );
    let families = parse_text(&text).unwrap_or_else(|e| panic!("{e}"));
    let latency = family(&families, "request_latency__");
    assert_eq!(latency.metric_type, "histogram");
    assert_eq!(latency.help, "Latency, \"quoted\".");
    let count = latency
        .samples
        .iter()
        .find(|s| s.name == "request_latency___count")
        .expect("count");
    assert_eq!(
        (count.value, count.label("service_name")),
        (2.0, Some("checkout"))
    );
    // OpenMetrics without the parameter (what Prometheus 2 asks for): escaped too.
    let (content_type, om) = scrape(addr, Some("application/openmetrics-text;version=1.0.0")).await;
    assert!(!content_type.contains("escaping"), "{content_type}");
    let families = check_openmetrics(&om);
    assert_eq!(family(&families, "http_requests").samples[0].value, 7.0);

    // (b) `escaping=allow-utf-8`: the names as they are, quoted.
    let (content_type, text) =
        scrape(addr, Some("text/plain;version=1.0.0;escaping=allow-utf-8")).await;
    assert_eq!(
        content_type,
        "text/plain; version=1.0.0; charset=utf-8; escaping=allow-utf-8"
    );
    for line in [
        "# HELP \"http.requests_total\" Requests served.\n",
        "# TYPE \"http.requests_total\" counter\n",
        "{\"http.requests_total\",\"service.name\"=\"checkout\"} 7\n",
        "{\"request.latency 😱_bucket\",\"service.name\"=\"checkout\",le=\"0.1\"} 1\n",
        "{\"request.latency 😱_count\",\"service.name\"=\"checkout\"} 2\n",
        "queue_depth{\"service.name\"=\"checkout\"} 3\n",
    ] {
        assert!(text.contains(line), "{line:?} in\n{text}");
    }
    let families = parse_text(&text).unwrap_or_else(|e| panic!("{e}"));
    let latency = family(&families, "request.latency 😱");
    assert_eq!(latency.metric_type, "histogram");
    assert!(
        latency
            .samples
            .iter()
            .any(|s| s.name == "request.latency 😱_sum"
                && s.label("service.name") == Some("checkout")
                && (s.value - 0.55).abs() < 1e-9)
    );
    let (content_type, om) = scrape(
        addr,
        Some("application/openmetrics-text;version=1.0.0;escaping=allow-utf-8"),
    )
    .await;
    assert!(
        content_type.ends_with("escaping=allow-utf-8"),
        "{content_type}"
    );
    assert!(om.contains("# TYPE \"http.requests\" counter\n"), "{om}");
    let families = check_openmetrics(&om);
    let requests = family(&families, "http.requests");
    assert_eq!(requests.samples[0].name, "http.requests_total");
    assert_eq!(requests.samples[0].label("service.name"), Some("checkout"));
    assert_eq!(family(&families, "queue_depth").samples[0].value, 3.0);

    // (c) A real Prometheus 2 (no `escaping=allow-utf-8` in its Accept) sees the escaped
    // names through PromQL.
    let prom = PrometheusServer::start("utf8", &[addr], "").await;
    let within = Duration::from_secs(60);
    prom.wait_for("up{job=\"utf8\"}", within, |v| v == 1.0)
        .await;
    let requests = prom
        .wait_for(
            "http_requests_total{service_name=\"checkout\"}",
            within,
            |v| v == 7.0,
        )
        .await;
    assert_eq!(requests, 7.0);
    let count = prom
        .wait_for("request_latency___count", within, |v| v == 2.0)
        .await;
    assert_eq!(count, 2.0);
    let bucket = prom
        .query_value("request_latency___bucket{le=\"0.1\",service_name=\"checkout\"}")
        .await;
    assert_eq!(bucket, Some(1.0));
}

/// Two UTF-8 names an older scraper would merge are a registration error.
#[test]
fn names_that_escape_alike_clash() {
    let registry = Registry::builder()
        .utf8_names(true)
        .build()
        .expect("registry");
    registry
        .gauge("queue.depth", "Jobs waiting.")
        .expect("gauge");
    match registry.gauge("queue-depth", "Jobs waiting.") {
        Err(promforge::Error::AlreadyRegistered { name, clashes_with }) => {
            assert_eq!(name, "queue-depth");
            assert_eq!(clashes_with.as_deref(), Some("queue_depth"));
        }
        other => panic!("{other:?}"),
    }
    let message = registry
        .counter("queue_depth", "Legacy.")
        .map(drop)
        .expect_err("clash");
    assert!(message.to_string().contains("queue_depth"), "{message}");
    // Default registries refuse such names, as before.
    assert!(matches!(
        Registry::new().gauge("queue.depth", "Jobs."),
        Err(promforge::Error::InvalidMetricName { .. })
    ));
}
