// A live group's Summary fields with their own quantiles and window
// (`#[metric(quantiles = […], max_age = "…", age_buckets = n)]`), alone or in a Family; a
// Summary field without them keeps the defaults (p50, p90, p95, p99 over 10 minutes).
#![deny(warnings)]

use promforge::{Family, LabelSet, LabelValue, MetricsGroup, Registry, Summary};

#[derive(LabelValue, Clone, Copy)]
enum Route {
    Home,
    Search,
}

#[derive(LabelSet, Clone, Copy)]
struct RouteLabels {
    route: Route,
}

#[derive(MetricsGroup)]
#[metrics(prefix = "api")]
struct ApiMetrics {
    /// Request latency.
    #[metric(unit = "seconds", quantiles = [0.5, 0.9, 0.99], max_age = "5m", age_buckets = 5)]
    latency: Summary,
    /// Response sizes, by route.
    #[metric(unit = "bytes", quantiles = [0.99, 0.25], max_age = "1h30m")]
    response_size: Family<RouteLabels, Summary>,
    /// Queue wait, with the default quantiles.
    #[metric(unit = "seconds")]
    queue_wait: Summary,
}

fn main() -> Result<(), promforge::Error> {
    let registry = Registry::new();
    let metrics = ApiMetrics::register(&registry)?;
    for ms in 1..=100 {
        metrics.latency.observe(f64::from(ms) / 1000.0);
    }
    metrics
        .response_size
        .get(&RouteLabels {
            route: Route::Search,
        })
        .observe(2048.0);
    metrics.queue_wait.observe(0.25);
    assert_eq!(metrics.latency.configured_quantiles(), [0.5, 0.9, 0.99]);

    let text = registry.render();
    println!("{text}");
    for expected in [
        "# HELP api_latency_seconds Request latency.\n",
        "# TYPE api_latency_seconds summary\n",
        "api_latency_seconds{quantile=\"0.5\"} ",
        "api_latency_seconds{quantile=\"0.9\"} ",
        "api_latency_seconds{quantile=\"0.99\"} ",
        "api_latency_seconds_count 100\n",
        "# TYPE api_response_size_bytes summary\n",
        // Sorted, whatever the order written.
        "api_response_size_bytes{route=\"search\",quantile=\"0.25\"} ",
        "api_response_size_bytes{route=\"search\",quantile=\"0.99\"} ",
        "api_response_size_bytes_sum{route=\"search\"} 2048\n",
        "api_response_size_bytes_count{route=\"search\"} 1\n",
        "api_response_size_bytes{route=\"home\",quantile=\"0.25\"} NaN\n",
        "api_response_size_bytes_count{route=\"home\"} 0\n",
        "api_queue_wait_seconds{quantile=\"0.95\"} ",
        "api_queue_wait_seconds_count 1\n",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    assert!(!text.contains("api_latency_seconds{quantile=\"0.95\"}"));
    assert!(
        text.find("route=\"search\",quantile=\"0.25\"}")
            < text.find("route=\"search\",quantile=\"0.99\"}")
    );
    // p99 of 1..=100 ms, within the sketch's 1%.
    let p99 = metrics.latency.quantile(0.99).unwrap_or(f64::NAN);
    assert!((p99 - 0.099).abs() <= 0.099 * 0.01 + 1e-12, "{p99}");
    Ok(())
}
