//! Content negotiation on `/metrics`: one choice of format from `Accept`, shared by the
//! standalone exporter and the axum routes, over real TCP.

use std::net::SocketAddr;

use promforge::encoding::Format;
use promforge::{Exporter, Registry};
use promforge_tests::openmetrics::{check_openmetrics, family};
use promforge_tests::{check_exposition, request};

fn registry() -> Registry {
    let r = Registry::builder()
        .prefix("neg")
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    r.counter("requests", "Requests served.")
        .unwrap_or_else(|e| panic!("{e}"))
        .inc_by(4);
    r.histogram("latency_seconds", "Latency.", &[0.1, 1.0])
        .unwrap_or_else(|e| panic!("{e}"))
        .observe(0.5);
    r
}

/// What Prometheus 2.42 sends without feature flags (captured from a real scrape).
const PROMETHEUS_2_ACCEPT: &str = "application/openmetrics-text;version=1.0.0,\
    application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

/// `Accept` lines and the content type each must be answered in (by every endpoint).
fn cases() -> Vec<(Vec<&'static str>, &'static str)> {
    let t004 = Format::PrometheusText0_0_4.content_type();
    let t100 = Format::PrometheusText1_0_0.content_type();
    let om100 = Format::OpenMetricsText1_0_0.content_type();
    let om001 = Format::OpenMetricsText0_0_1.content_type();
    vec![
        (vec![], t004),
        (vec!["*/*"], t004),
        (vec!["application/json"], t004),
        (vec!["text/plain;version=1.0.0"], t100),
        (
            vec!["text/plain;version=1.0.0;q=0.4, text/plain;version=0.0.4;q=0.5"],
            t004,
        ),
        (
            vec![
                "text/plain;version=0.0.4;q=0.1",
                "text/plain;version=1.0.0;q=0.9",
            ],
            t100,
        ),
        (vec![PROMETHEUS_2_ACCEPT], om100),
        (vec!["application/openmetrics-text; version=0.0.1"], om001),
        (
            vec![
                "application/openmetrics-text;version=1.0.0;q=0.2",
                "text/plain;q=0.3",
            ],
            t004,
        ),
    ]
}

async fn scrape(addr: SocketAddr, accept: &[&str], gzip: bool) -> promforge_tests::HttpResponse {
    let mut headers: Vec<(&str, &str)> = accept.iter().map(|a| ("accept", *a)).collect();
    if gzip {
        headers.push(("accept-encoding", "gzip"));
    }
    request(addr, "GET", "/metrics", &headers)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

async fn check_endpoint(addr: SocketAddr, what: &str) {
    for (accept, content_type) in cases() {
        for gzip in [false, true] {
            let resp = scrape(addr, &accept, gzip).await;
            assert_eq!(resp.status, 200, "{what}: {accept:?}");
            assert_eq!(
                resp.header("content-type"),
                content_type,
                "{what}: {accept:?}"
            );
            assert_eq!(resp.header("vary"), "Accept, Accept-Encoding", "{what}");
            let text = if gzip {
                assert_eq!(resp.header("content-encoding"), "gzip");
                promforge_tests::gunzip(&resp.body)
            } else {
                resp.text()
            };
            if content_type.starts_with("text/plain") {
                let parsed = check_exposition(&text);
                assert_eq!(parsed.value("neg_requests_total", &[]), Some(4.0), "{what}");
            } else {
                let parsed = check_openmetrics(&text);
                assert_eq!(
                    family(&parsed, "neg_requests").metric_type,
                    "counter",
                    "{what}"
                );
            }
        }
    }
}

#[tokio::test]
async fn the_exporter_answers_in_the_negotiated_format() {
    let handle = Exporter::new(registry())
        .bind("127.0.0.1:0")
        .start()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    check_endpoint(handle.local_addr(), "exporter").await;
    handle.shutdown().await.unwrap_or_else(|e| panic!("{e}"));
}

#[tokio::test]
async fn the_axum_routes_answer_in_the_negotiated_format() {
    let app: axum::Router = promforge::http::axum::routes(registry());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    check_endpoint(addr, "axum").await;
}

/// Scrapes in different formats that arrive together each get their own format (renders
/// are shared per registry and format, never across formats).
#[tokio::test]
async fn concurrent_scrapes_in_different_formats_get_their_own() {
    let handle = Exporter::new(registry())
        .bind("127.0.0.1:0")
        .start()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let addr = handle.local_addr();
    let scrapes = (0..16).map(|i| async move {
        let accept = if i % 2 == 0 {
            PROMETHEUS_2_ACCEPT
        } else {
            "text/plain"
        };
        let resp = scrape(addr, &[accept], false).await;
        (i, resp.header("content-type").to_owned(), resp.text())
    });
    for (i, content_type, text) in futures_util::future::join_all(scrapes).await {
        if i % 2 == 0 {
            assert!(
                content_type.starts_with("application/openmetrics-text"),
                "{content_type}"
            );
            assert!(text.ends_with("# EOF\n"), "{text}");
        } else {
            assert!(content_type.starts_with("text/plain"), "{content_type}");
            assert!(!text.contains("# EOF"), "{text}");
        }
    }
    handle.shutdown().await.unwrap_or_else(|e| panic!("{e}"));
}
