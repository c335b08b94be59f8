//! The exporter, started on an ephemeral loopback port and talked to over real TCP.

use std::time::Duration;

use promforge::{Error, Exporter, Registry};
use promforge_tests::{check_exposition, get, gunzip, request};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

fn registry() -> Registry {
    let r = Registry::builder()
        .prefix("demo")
        .const_label("service", "exporter-test")
        .build()
        .expect("registry");
    r.counter("requests", "Requests served.")
        .expect("counter")
        .inc_by(7);
    r.gauge("queue_depth", "Jobs waiting.")
        .expect("gauge")
        .set(3);
    r.histogram("latency_seconds", "Request latency.", &[0.1, 1.0])
        .expect("histogram")
        .observe(0.5);
    r
}

async fn start(exporter: Exporter) -> promforge::ExporterHandle {
    exporter.bind("127.0.0.1:0").start().await.expect("start")
}

#[tokio::test]
async fn metrics_are_served_with_the_text_content_type() {
    let handle = start(Exporter::new(registry())).await;
    let resp = get(handle.local_addr(), "/metrics").await;
    assert_eq!(resp.status, 200);
    assert_eq!(
        resp.header("content-type"),
        "text/plain; version=0.0.4; charset=utf-8"
    );
    assert_eq!(resp.header("content-encoding"), "");
    let text = resp.text();
    let parsed = check_exposition(&text);
    assert_eq!(
        parsed.value("demo_requests_total", &[("service", "exporter-test")]),
        Some(7.0)
    );
    assert_eq!(parsed.value("demo_queue_depth", &[]), Some(3.0));
    assert_eq!(
        parsed.value("demo_latency_seconds_bucket", &[("le", "1")]),
        Some(1.0)
    );
    handle.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn gzip_when_the_client_asks_for_it() {
    let handle = start(Exporter::new(registry())).await;
    let addr = handle.local_addr();
    let plain = get(addr, "/metrics").await.text();
    let resp = request(addr, "GET", "/metrics", &[("accept-encoding", "gzip")])
        .await
        .expect("gzip scrape");
    assert_eq!(resp.status, 200);
    assert_eq!(resp.header("content-encoding"), "gzip");
    assert!(resp.header("vary").contains("Accept-Encoding"));
    assert!(resp.body.len() < plain.len());
    assert_eq!(gunzip(&resp.body), plain);
    let refused = request(addr, "GET", "/metrics", &[("accept-encoding", "gzip;q=0")])
        .await
        .expect("identity scrape");
    assert_eq!(refused.header("content-encoding"), "");
    assert_eq!(refused.text(), plain);
    handle.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn head_has_headers_and_no_body() {
    let handle = start(Exporter::new(registry())).await;
    let addr = handle.local_addr();
    let resp = request(addr, "HEAD", "/metrics", &[]).await.expect("head");
    assert_eq!(resp.status, 200);
    assert!(
        resp.header("content-type")
            .starts_with("text/plain; version=0.0.4")
    );
    assert!(resp.body.is_empty());
    let length: usize = resp
        .header("content-length")
        .parse()
        .expect("content-length");
    assert_eq!(length, get(addr, "/metrics").await.body.len());
    handle.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn unknown_paths_and_methods() {
    let handle = start(Exporter::new(registry())).await;
    let addr = handle.local_addr();
    assert_eq!(get(addr, "/nope").await.status, 404);
    assert_eq!(get(addr, "/metrics/extra").await.status, 404);
    for path in ["/metrics", "/health", "/ready"] {
        for method in ["POST", "PUT", "DELETE"] {
            let resp = request(addr, method, path, &[]).await.expect("request");
            assert_eq!(resp.status, 405, "{method} {path}");
            assert_eq!(resp.header("allow"), "GET, HEAD");
        }
    }
    handle.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn custom_metrics_path() {
    let handle = start(Exporter::new(registry()).metrics_path("prom")).await;
    let addr = handle.local_addr();
    assert_eq!(get(addr, "/prom").await.status, 200);
    assert_eq!(get(addr, "/metrics").await.status, 404);
    handle.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn health_reports_uptime() {
    let handle = start(Exporter::new(registry())).await;
    let resp = get(handle.local_addr(), "/health").await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.header("content-type"), "application/json");
    let json = resp.json();
    assert_eq!(json["status"], "healthy");
    assert!(json["uptime_seconds"].as_f64().is_some_and(|u| u >= 0.0));
    handle.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn ready_with_passing_checks() {
    let exporter = Exporter::new(registry())
        .readiness_check("database", Duration::from_secs(2), || async {
            Ok::<(), String>(())
        })
        .readiness_check("cache", Duration::from_secs(2), || async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            Ok::<(), String>(())
        });
    let handle = start(exporter).await;
    let resp = get(handle.local_addr(), "/ready").await;
    assert_eq!(resp.status, 200);
    let json = resp.json();
    assert_eq!(json["status"], "ready");
    let checks = json["checks"].as_array().expect("checks");
    assert_eq!(checks.len(), 2);
    assert_eq!(checks[0]["name"], "database");
    assert_eq!(checks[1]["name"], "cache");
    assert!(checks.iter().all(|c| c["status"] == "ok"));
    assert!(
        checks[1]["latency_seconds"]
            .as_f64()
            .is_some_and(|l| l >= 0.015)
    );
    handle.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn ready_with_failing_slow_and_panicking_checks() {
    let exporter = Exporter::new(registry())
        .readiness_check("database", Duration::from_secs(2), || async {
            Ok::<(), String>(())
        })
        .readiness_check("broker", Duration::from_secs(2), || async {
            Err::<(), _>("connection refused")
        })
        .readiness_check("slow", Duration::from_millis(50), || async {
            tokio::time::sleep(Duration::from_secs(30)).await;
            Ok::<(), String>(())
        })
        .readiness_check("buggy", Duration::from_secs(2), || async {
            let v: Vec<u8> = Vec::new();
            // An out-of-bounds index: the check panics, the exporter must not.
            let _ = v[usize::from(v.is_empty())];
            Ok::<(), String>(())
        });
    let handle = start(exporter).await;
    let resp = get(handle.local_addr(), "/ready").await;
    assert_eq!(resp.status, 503);
    let json = resp.json();
    assert_eq!(json["status"], "not_ready");
    let status_of = |name: &str| {
        json["checks"]
            .as_array()
            .and_then(|cs| cs.iter().find(|c| c["name"] == name))
            .map(|c| (c["status"].clone(), c["error"].clone()))
            .expect("check listed")
    };
    assert_eq!(status_of("database").0, "ok");
    assert_eq!(status_of("broker").0, "failed");
    assert_eq!(status_of("broker").1, "connection refused");
    assert_eq!(status_of("slow").0, "timeout");
    assert_eq!(status_of("buggy").0, "failed");
    // The exporter is still fine afterwards.
    assert_eq!(get(handle.local_addr(), "/health").await.status, 200);
    handle.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn a_port_in_use_is_a_clear_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr").to_string();
    let err = Exporter::new(registry())
        .bind(addr.clone())
        .start()
        .await
        .expect_err("the port is taken");
    assert!(matches!(err, Error::Bind { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains(&addr), "{msg}");
    assert!(msg.to_lowercase().contains("in use"), "{msg}");
    let bad = Exporter::new(registry())
        .bind("not an address")
        .start()
        .await
        .expect_err("not an address");
    assert!(bad.to_string().contains("not an address"), "{bad}");
}

#[tokio::test]
async fn shutdown_closes_the_listener() {
    let handle = start(Exporter::new(registry())).await;
    let addr = handle.local_addr();
    assert_eq!(get(addr, "/metrics").await.status, 200);
    handle.shutdown().await.expect("shutdown");
    assert!(TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn shutdown_on_a_user_signal() {
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    let server = tokio::spawn(
        Exporter::new(registry())
            .bind(addr.to_string())
            .shutdown_on(rx)
            .serve(),
    );
    let mut up = false;
    for _ in 0..100 {
        if request(addr, "GET", "/health", &[]).await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(up, "the exporter never answered");
    tx.send(()).expect("signal");
    let result = tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("serve() ends after the signal")
        .expect("task");
    assert!(result.is_ok(), "{result:?}");
}

#[test]
fn background_thread_without_a_runtime() {
    let handle = Exporter::new(registry())
        .bind("127.0.0.1:0")
        .start_background()
        .expect("start");
    let addr = handle.local_addr();
    // Talk to it from a separate, throwaway runtime.
    let body = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(async { get(addr, "/metrics").await.text() });
    assert!(body.contains("demo_requests_total{service=\"exporter-test\"} 7\n"));
    handle.shutdown_blocking().expect("shutdown");
    assert!(std::net::TcpStream::connect(addr).is_err());
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_cut_off() {
    let handle =
        start(Exporter::new(registry()).header_read_timeout(Duration::from_millis(300))).await;
    let addr = handle.local_addr();
    let mut slow = TcpStream::connect(addr).await.expect("connect");
    slow.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("write");
    // The server must close the connection on its own, well before this bound.
    let mut buf = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(10), slow.read_to_end(&mut buf)).await;
    assert!(closed.is_ok(), "the half-sent request held the connection");
    // Meanwhile and afterwards, normal scrapes work.
    assert_eq!(get(addr, "/metrics").await.status, 200);
    handle.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn a_broken_request_gets_400_and_the_server_goes_on() {
    let handle = start(Exporter::new(registry())).await;
    let addr = handle.local_addr();
    for garbage in [
        &b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http\r\n\r\n"[..],
        &b"GET /\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n"[..],
        &b"GET /metrics HTTP/1.1\r\nBad Header Line\r\n\r\n"[..],
    ] {
        let mut conn = TcpStream::connect(addr).await.expect("connect");
        conn.write_all(garbage).await.expect("write");
        let mut buf = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(10), conn.read_to_end(&mut buf))
            .await
            .expect("the server answers or closes");
        if read.is_ok() && !buf.is_empty() {
            let head = String::from_utf8_lossy(&buf);
            assert!(head.starts_with("HTTP/1.1 4"), "{head}");
        }
    }
    assert_eq!(get(addr, "/metrics").await.status, 200);
    handle.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn many_concurrent_scrapes_all_succeed() {
    let handle = start(Exporter::new(registry())).await;
    let addr = handle.local_addr();
    let scrapes: Vec<_> = (0..64)
        .map(|_| tokio::spawn(async move { get(addr, "/metrics").await.status }))
        .collect();
    for s in scrapes {
        assert_eq!(s.await.expect("task"), 200);
    }
    handle.shutdown().await.expect("shutdown");
}
