//! The five origin services, re-created as examples, run in this process on free loopback
//! ports while one real Prometheus server scrapes them all every second.

use std::time::Duration;

use promforge_examples::Running;
use promforge_tests::exposition::Exposition;
use promforge_tests::prometheus_server::PrometheusServer;
use promforge_tests::{check_exposition, get, scrape_until};

async fn scrape(running: &Running) -> Exposition {
    let resp = get(running.addr, "/metrics").await;
    assert_eq!(resp.status, 200, "{}", running.metrics_url());
    check_exposition(&resp.text())
}

/// Counters whose value grew between two scrapes of the same example.
fn growing_counters(before: &Exposition, after: &Exposition) -> Vec<String> {
    let mut names: Vec<String> = after
        .families
        .iter()
        .filter(|f| f.kind == "counter")
        .filter(|f| {
            f.samples.iter().any(|s| {
                let labels: Vec<(&str, &str)> = s
                    .labels
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                before.value(&s.name, &labels).is_some_and(|b| s.value > b)
            })
        })
        .map(|f| f.name.clone())
        .collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_scrapes_every_origin_example() {
    let mut examples: Vec<(&str, Running)> = Vec::new();
    for (name, running) in [
        (
            "polypy_stats",
            promforge_examples::polypy_stats::start("127.0.0.1:0".into()).await,
        ),
        (
            "observer",
            promforge_examples::observer::start("127.0.0.1:0".into()).await,
        ),
        (
            "operational_api",
            promforge_examples::operational_api::start("127.0.0.1:0".into()).await,
        ),
        (
            "latency_percentiles",
            promforge_examples::latency_percentiles::start("127.0.0.1:0".into()).await,
        ),
        (
            "ticker",
            promforge_examples::ticker::start("127.0.0.1:0".into()).await,
        ),
    ] {
        examples.push((name, running.unwrap_or_else(|e| panic!("{name}: {e}"))));
    }

    // Every example's own output is clean (parser + promtool) and has counters that move.
    let mut moving: Vec<(String, String)> = Vec::new();
    for (name, running) in &examples {
        let before = scrape(running).await;
        let after = scrape_until(running.addr, Duration::from_secs(30), |after| {
            !growing_counters(&before, after).is_empty()
        })
        .await;
        let growing = growing_counters(&before, &after);
        assert!(!growing.is_empty(), "{name}: no counter moved under load");
        moving.push((name.to_string(), growing[0].clone()));
    }

    let targets: Vec<_> = examples.iter().map(|(_, r)| r.addr).collect();
    let prom = PrometheusServer::start("origins", &targets, "").await;
    let within = Duration::from_secs(60);
    let up = prom
        .wait_for("count(up{job=\"origins\"} == 1)", within, |v| {
            v == examples.len() as f64
        })
        .await;
    assert_eq!(up, examples.len() as f64);

    for ((name, counter), (_, running)) in moving.iter().zip(&examples) {
        let expr = format!("sum(rate({counter}{{instance=\"{}\"}}[5s]))", running.addr);
        let rate = prom.wait_for(&expr, within, |v| v > 0.0).await;
        assert!(rate > 0.0, "{name}: {expr} = {rate}");
    }

    // Summary quantiles arrive as series and are ordered, wherever an example has them.
    // Summaries (origin 000's aggregates have only `_sum`/`_count`; any with quantiles must
    // have them ordered).
    let mut summaries = 0;
    for (name, running) in &examples {
        let e = scrape(running).await;
        for family in e.families.iter().filter(|f| f.kind == "summary") {
            summaries += 1;
            let quantiles: Vec<&str> = family
                .samples
                .iter()
                .filter_map(|s| s.label("quantile"))
                .collect();
            if quantiles.is_empty() {
                continue;
            }
            let mut previous = f64::NEG_INFINITY;
            let mut sorted: Vec<&str> = quantiles.clone();
            sorted.sort_by(|a, b| {
                a.parse::<f64>()
                    .unwrap_or(0.0)
                    .total_cmp(&b.parse::<f64>().unwrap_or(0.0))
            });
            sorted.dedup();
            for q in sorted {
                let expr = format!(
                    "max({}{{instance=\"{}\",quantile=\"{q}\"}})",
                    family.name, running.addr
                );
                if let Some(v) = prom.query_value(&expr).await
                    && v.is_finite()
                {
                    assert!(v >= previous, "{name}: {expr} = {v} < {previous}");
                    previous = v;
                }
            }
        }
    }
    assert!(summaries > 0, "no example exposes a summary");

    // histogram_quantile answers over every example's histograms that saw observations.
    let mut histograms = 0;
    for (name, running) in &examples {
        let e = scrape(running).await;
        for family in e.families.iter().filter(|f| f.kind == "histogram") {
            let observed = family
                .samples
                .iter()
                .any(|s| s.name.ends_with("_count") && s.value > 0.0);
            if !observed {
                continue;
            }
            histograms += 1;
            let expr = format!(
                "histogram_quantile(0.99, sum by (le) (rate({}_bucket{{instance=\"{}\"}}[10s])))",
                family.name, running.addr
            );
            let v = prom
                .wait_for(&expr, within, |v| v.is_finite() || v.is_nan())
                .await;
            assert!(v.is_nan() || v >= 0.0, "{name}: {expr} = {v}");
        }
    }
    assert!(histograms > 0, "no example observed a histogram");

    // Known synthetic latencies (handlers sleeping 55–70 ms) put the p99 above 50 ms. No
    // upper bound: a sleep on a loaded machine may overshoot by any amount (no timed
    // assertions), and a finite p99 past 50 ms already shows the durations arrived.
    for expr in [
        "histogram_quantile(0.99, sum by (le) (rate(route_duration_seconds_bucket{function=\"Routes::todays_games\"}[10s])))",
        "histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{endpoint=\"/api/workers\"}[10s])))",
    ] {
        let p99 = prom.wait_for(expr, within, f64::is_finite).await;
        assert!(p99 > 0.05, "{expr} = {p99}");
    }

    // Constant labels reach Prometheus: every operational_api series carries them.
    let api = &examples
        .iter()
        .find(|(n, _)| *n == "operational_api")
        .expect("operational_api")
        .1;
    let labeled = prom
        .query_value(&format!(
            "count({{instance=\"{}\",service=\"api\",environment=\"development\"}})",
            api.addr
        ))
        .await
        .unwrap_or(0.0);
    let all = prom
        .query_value(&format!(
            "count({{instance=\"{}\",__name__!~\"up|scrape_.*\"}})",
            api.addr
        ))
        .await
        .unwrap_or(-1.0);
    assert!(
        labeled > 0.0 && labeled == all,
        "{labeled} of {all} series carry the constant labels"
    );

    // Prometheus saw no scrape problem anywhere.
    for t in prom.targets().await {
        assert_eq!(t["health"], "up", "{t:#}");
        assert_eq!(t["lastError"], "", "{t:#}");
    }
    for (_, running) in &examples {
        let scraped = prom
            .query_value(&format!(
                "scrape_samples_scraped{{instance=\"{}\"}}",
                running.addr
            ))
            .await;
        let kept = prom
            .query_value(&format!(
                "scrape_samples_post_metric_relabeling{{instance=\"{}\"}}",
                running.addr
            ))
            .await;
        assert!(scraped.is_some_and(|v| v > 0.0));
        assert_eq!(scraped, kept);
    }

    drop(prom);
    for (_, running) in examples {
        (running.stop)();
    }
}
