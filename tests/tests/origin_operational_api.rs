//! Origin 002 (the operational API), re-created in `promforge_examples::operational_api`:
//! uptime and starts, the HTTP middleware's request, failure and latency metrics (route
//! templates as endpoints, the origin's 10 ms … 10 s buckets), `service` and `environment`
//! on every series, no constitutional metrics, `/health` with the uptime and `/ready` with
//! the database, Redis and event store checks, at the root and under `/v1`.

use std::collections::BTreeSet;
use std::time::Duration;

use promforge_tests::exposition::{Exposition, Family};

/// The origin's latency buckets, as the exposition writes them.
const BOUNDS: &[&str] = &[
    "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf",
];

/// The endpoints the API can report: its route templates and "unmatched" (the probes and
/// scrapes of promforge's own routes are not requests of the API).
const ENDPOINTS: &[&str] = &["/v1/events", "/v1/events/{event_id}", "unmatched"];

fn family<'a>(e: &'a Exposition, name: &str) -> &'a Family {
    e.family(name)
        .unwrap_or_else(|| panic!("no family `{name}`"))
}

fn label_names(f: &Family) -> BTreeSet<&str> {
    f.samples
        .iter()
        .flat_map(|s| s.labels.iter().map(|(n, _)| n.as_str()))
        .collect()
}

fn sum(e: &Exposition, name: &str, labels: &[(&str, &str)]) -> f64 {
    e.samples()
        .filter(|s| s.name == name && labels.iter().all(|(k, v)| s.label(k) == Some(*v)))
        .map(|s| s.value)
        .sum()
}

/// Whether the load has produced successes, client errors and server errors yet.
fn loaded(e: &Exposition) -> bool {
    sum(e, "http_requests_total", &[("status_code", "201")]) > 0.0
        && sum(e, "http_requests_total", &[("status_code", "200")]) > 0.0
        && sum(
            e,
            "http_requests_failed_total",
            &[("error_type", "client_error")],
        ) > 0.0
        && sum(
            e,
            "http_requests_failed_total",
            &[("error_type", "server_error")],
        ) > 0.0
        && sum(e, "http_requests_total", &[("endpoint", "unmatched")]) > 0.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operational_api_serves_the_origin_metrics() -> Result<(), promforge::Error> {
    let running = promforge_examples::operational_api::start("127.0.0.1:0".into()).await?;
    let const_labels = running.registry.const_labels().to_vec();
    let service = const_labels
        .iter()
        .find(|(n, _)| n == "service")
        .map(|(_, v)| v.clone())
        .expect("a constant `service` label");
    assert!(
        const_labels.iter().any(|(n, _)| n == "environment"),
        "a constant `environment` label"
    );
    if std::env::var_os(promforge::ENV_SERVICE).is_none() {
        assert_eq!(service, "api");
    }

    // Wait (at most ~5 s) until the clients have produced every kind of answer.
    let e = promforge_tests::scrape_until(running.addr, Duration::from_secs(5), loaded).await;

    // Every series carries the service and environment (NFR27).
    for s in e.samples() {
        for (name, value) in &const_labels {
            assert_eq!(
                s.label(name),
                Some(value.as_str()),
                "{} lacks {name}",
                s.name
            );
        }
    }
    let with_const = |own: &[&'static str]| -> BTreeSet<&'static str> {
        own.iter()
            .copied()
            .chain(["service", "environment"])
            .collect()
    };

    // Uptime and starts (AC2).
    let uptime = family(&e, "uptime_seconds");
    assert_eq!(uptime.kind, "gauge");
    assert_eq!(label_names(uptime), with_const(&[]));
    assert!(sum(&e, "uptime_seconds", &[]) > 0.0);
    let starts = family(&e, "service_starts_total");
    assert_eq!(starts.kind, "counter");
    assert_eq!(label_names(starts), with_const(&[]));
    assert_eq!(sum(&e, "service_starts_total", &[]), 1.0);

    // Requests and failures (AC4).
    let requests = family(&e, "http_requests_total");
    assert_eq!(requests.kind, "counter");
    assert_eq!(
        label_names(requests),
        with_const(&["method", "endpoint", "status_code"])
    );
    let failed = family(&e, "http_requests_failed_total");
    assert_eq!(failed.kind, "counter");
    assert_eq!(
        label_names(failed),
        with_const(&["method", "endpoint", "status_code", "error_type"])
    );
    assert!(
        sum(
            &e,
            "http_requests_total",
            &[
                ("method", "POST"),
                ("endpoint", "/v1/events"),
                ("status_code", "201")
            ]
        ) > 0.0
    );
    assert!(
        sum(
            &e,
            "http_requests_failed_total",
            &[
                ("endpoint", "/v1/events"),
                ("status_code", "500"),
                ("error_type", "server_error")
            ]
        ) > 0.0
    );
    assert!(
        sum(
            &e,
            "http_requests_failed_total",
            &[("status_code", "404"), ("error_type", "client_error")]
        ) > 0.0
    );
    assert!(sum(&e, "http_requests_failed_total", &[("status_code", "422")]) > 0.0);
    // Every failure is a 4xx or 5xx request, and counted among the requests too.
    for s in &failed.samples {
        let status = s.label("status_code").unwrap_or("");
        let class = s.label("error_type").unwrap_or("");
        match class {
            "client_error" => assert!(status.starts_with('4'), "{status} as {class}"),
            "server_error" => assert!(status.starts_with('5'), "{status} as {class}"),
            other => panic!("unexpected error_type {other}"),
        }
    }
    assert!(sum(&e, "http_requests_failed_total", &[]) <= sum(&e, "http_requests_total", &[]));
    // Endpoints are route templates, never raw paths (ids, scanners' paths).
    for s in requests.samples.iter().chain(&failed.samples) {
        let endpoint = s.label("endpoint").unwrap_or("");
        assert!(
            ENDPOINTS.contains(&endpoint),
            "endpoint {endpoint:?} is not a route template"
        );
    }
    assert!(
        sum(
            &e,
            "http_requests_total",
            &[("endpoint", "/v1/events/{event_id}")]
        ) > 0.0
    );
    assert!(
        sum(
            &e,
            "http_requests_total",
            &[("endpoint", "unmatched"), ("status_code", "404")]
        ) > 0.0
    );
    // Scrapes and probes are not requests of the API (a failing /ready would count as a
    // server error): none of promforge's own routes is counted, at the root or under /v1.
    for own in ["/metrics", "/health", "/ready"] {
        for path in [own.to_owned(), format!("/v1{own}")] {
            assert_eq!(
                sum(&e, "http_requests_total", &[("endpoint", &path)]),
                0.0,
                "{path}"
            );
        }
    }

    // Latency (AC3): the origin's buckets, cumulative, by method and endpoint.
    let duration = family(&e, "http_request_duration_seconds");
    assert_eq!(duration.kind, "histogram");
    assert_eq!(
        label_names(duration),
        with_const(&["method", "endpoint", "le"])
    );
    let listing: Vec<(&str, f64)> = duration
        .samples
        .iter()
        .filter(|s| {
            s.name == "http_request_duration_seconds_bucket"
                && s.label("method") == Some("GET")
                && s.label("endpoint") == Some("/v1/events")
        })
        .map(|s| (s.label("le").unwrap_or(""), s.value))
        .collect();
    let les: Vec<&str> = listing.iter().map(|(le, _)| *le).collect();
    assert_eq!(les, BOUNDS);
    assert!(
        listing.windows(2).all(|w| w[0].1 <= w[1].1),
        "cumulative buckets"
    );
    assert!(listing.last().is_some_and(|(_, count)| *count > 0.0));
    assert_eq!(
        listing.first().map(|(_, v)| *v),
        Some(0.0),
        "listing events takes at least 15 ms"
    );
    assert_eq!(family(&e, "http_requests_in_flight").kind, "gauge");

    // The dependency checks, instrumented.
    for function in ["check_database", "check_redis", "check_event_store"] {
        assert!(
            sum(
                &e,
                "function_calls_total",
                &[("function", function), ("result", "ok")]
            ) > 0.0,
            "{function} ran"
        );
    }

    // Only operational metrics (AC6): exactly these families, besides promforge's own
    // `promforge_*` ones (cardinality overflows, scrape errors), which report no trouble.
    let served: BTreeSet<&str> = e
        .families
        .iter()
        .map(|f| f.name.as_str())
        .filter(|name| !name.starts_with("promforge_"))
        .collect();
    let expected: BTreeSet<&str> = [
        "uptime_seconds",
        "service_starts_total",
        "service_start_time_seconds",
        "http_requests_total",
        "http_requests_failed_total",
        "http_request_duration_seconds",
        "http_requests_in_flight",
        "function_calls_total",
        "function_calls_duration_seconds",
        "function_calls_concurrent",
    ]
    .into_iter()
    .collect();
    assert_eq!(served, expected);
    for s in e.samples().filter(|s| s.name.starts_with("promforge_")) {
        assert_eq!(s.value, 0.0, "{s:?}");
    }
    for constitutional in [
        "constitutional_breach_count",
        "halt_state",
        "dissent_health_ratio",
        "witness_coverage_percent",
        "override_frequency",
    ] {
        assert!(
            e.families.iter().all(|f| !f.name.contains(constitutional)),
            "{constitutional} is served"
        );
    }

    // Liveness and readiness (AC5), at the root and under /v1.
    for path in ["/health", "/v1/health"] {
        let health = promforge_tests::get(running.addr, path).await;
        assert_eq!(health.status, 200, "{path}");
        let health = health.json();
        assert_eq!(health["status"], "healthy");
        assert!(health["uptime_seconds"].as_f64().is_some_and(|u| u > 0.0));
    }
    for path in ["/ready", "/v1/ready"] {
        let ready = promforge_tests::get(running.addr, path).await;
        assert_eq!(ready.status, 200, "{path}");
        let ready = ready.json();
        assert_eq!(ready["status"], "ready");
        let checks = ready["checks"].as_array().expect("checks");
        let names: BTreeSet<&str> = checks.iter().filter_map(|c| c["name"].as_str()).collect();
        assert_eq!(
            names,
            BTreeSet::from(["database", "redis", "event_store"]),
            "{path}"
        );
        for check in checks {
            assert_eq!(check["status"], "ok", "{check}");
            assert!(check["latency_seconds"].as_f64().is_some_and(|l| l > 0.0));
        }
    }
    assert_eq!(
        promforge_tests::get(running.addr, "/v1/metrics")
            .await
            .status,
        200
    );

    (running.stop)();
    Ok(())
}
