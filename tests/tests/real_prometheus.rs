//! A real Prometheus server scrapes the exporter and answers PromQL over what it served.

use std::time::Duration;

use promforge::{Exporter, Registry};
use promforge_tests::prometheus_server::PrometheusServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_scrapes_the_exporter() {
    let registry = Registry::builder()
        .prefix("e2e")
        .const_label("service", "it \"works\"")
        .const_label("environment", "ci")
        .build()
        .expect("registry");
    let requests = registry
        .counter("requests", "Requests served.")
        .expect("counter");
    let latency = registry
        .histogram(
            "latency_seconds",
            "Request latency.",
            &[0.01, 0.05, 0.1, 0.5, 1.0],
        )
        .expect("histogram");
    let in_flight = registry
        .gauge("in_flight", "Requests in progress.")
        .expect("gauge");
    let summary = promforge::Summary::builder()
        .quantiles(&[0.5, 0.9, 0.99])
        .build()
        .expect("summary");
    registry
        .register("work_seconds", "Work time.", summary.clone())
        .expect("summary");
    for ms in 1..=100 {
        summary.observe(f64::from(ms) / 1000.0);
    }
    let nan = registry.float_gauge("nan", "Holds NaN.").expect("gauge");
    nan.set(f64::NAN);

    let handle = Exporter::new(registry)
        .bind("127.0.0.1:0")
        .start()
        .await
        .expect("exporter");
    // Keep the metrics moving while Prometheus scrapes: every observation is 70 ms.
    let load = tokio::spawn(async move {
        loop {
            requests.inc_by(10);
            latency.observe(0.07);
            in_flight.set(3);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });

    let prom = PrometheusServer::start("promforge", &[handle.local_addr()], "").await;
    let within = Duration::from_secs(60);
    prom.wait_for("up{job=\"promforge\"}", within, |v| v == 1.0)
        .await;
    let rate = prom
        .wait_for("rate(e2e_requests_total[5s])", within, |v| v > 0.0)
        .await;
    assert!(rate > 0.0);
    let p99 = prom
        .wait_for(
            "histogram_quantile(0.99, sum by (le) (rate(e2e_latency_seconds_bucket[5s])))",
            within,
            |v| v.is_finite(),
        )
        .await;
    assert!(
        (0.05..=0.1).contains(&p99),
        "p99 {p99} is outside the 70 ms bucket"
    );
    // Summary quantiles arrive as series, ordered, near the exact values (1..100 ms).
    let mut previous = 0.0;
    for (q, exact) in [("0.5", 0.050), ("0.9", 0.090), ("0.99", 0.099)] {
        let v = prom
            .wait_for(
                &format!("e2e_work_seconds{{quantile=\"{q}\"}}"),
                within,
                |v| v.is_finite(),
            )
            .await;
        assert!(
            (v - exact).abs() <= exact * 0.011 + 0.001,
            "p{q} = {v}, exact {exact}"
        );
        assert!(v >= previous, "quantiles out of order");
        previous = v;
    }
    assert_eq!(
        prom.query_value("e2e_work_seconds_count").await,
        Some(100.0)
    );
    let labeled = prom
        .query("e2e_in_flight{service=\"it \\\"works\\\"\", environment=\"ci\"}")
        .await;
    assert_eq!(labeled.len(), 1, "{labeled:?}");
    // Nothing was dropped or refused on the way in.
    let targets = prom.targets().await;
    assert!(
        targets
            .iter()
            .all(|t| t["health"] == "up" && t["lastError"] == ""),
        "{targets:#?}"
    );
    assert_eq!(
        prom.query_value("scrape_samples_scraped{job=\"promforge\"}")
            .await,
        prom.query_value("scrape_samples_post_metric_relabeling{job=\"promforge\"}")
            .await
    );
    load.abort();
    handle.shutdown().await.expect("shutdown");
}
