//! The HTTP middleware in an axum app served over real TCP on loopback: counts by route
//! template, statuses, failures, durations, in-flight, 404 collapsing, excluded paths, and
//! the axum `/metrics`, `/health`, `/ready` routes; and the defaults a service author
//! expects: panics as 500, promforge's own routes left out wherever nested, the layer
//! around the router reported, streamed bodies timed to their end, prefixes and label
//! names, durations read back. Each test has its own registry.

use std::borrow::Cow;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::routing::{get, post};
use promforge::http::axum::{MetricsRoutes, routes};
use promforge::http::{MetricsLayer, UNMATCHED_ENDPOINT};
use promforge::{Error, Registry, TEXT_CONTENT_TYPE};
use promforge_tests::exposition::Exposition;
use promforge_tests::{check_exposition, get as http_get, gunzip, request};
use tower::ServiceExt as _;

const REQUESTS: &str = "http_requests_total";
const FAILED: &str = "http_requests_failed_total";
const DURATION: &str = "http_request_duration_seconds";
const IN_FLIGHT: &str = "http_requests_in_flight";

/// The application's own routes.
fn api() -> Router {
    Router::new()
        .route(
            "/users/{id}",
            get(|Path(id): Path<u32>| async move { format!("user {id}") }),
        )
        .route(
            "/users",
            post(|| async { (StatusCode::CREATED, "created") }),
        )
        .route(
            "/fail",
            get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "boom") }),
        )
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_millis(30)).await;
                "slow"
            }),
        )
        .route(
            "/hang",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(30)).await;
                "late"
            }),
        )
}

/// The app with the metrics routes merged in and the layer over all of it, as the README
/// shows it (no path excluded by hand).
fn app(registry: &Registry, metrics: Router) -> Router {
    let layer = MetricsLayer::new(registry).expect("layer");
    api().merge(metrics).layer(layer)
}

async fn serve(app: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move {
        axum::serve(listener, app).await.expect("serve");
    });
    addr
}

async fn start(registry: &Registry) -> SocketAddr {
    serve(app(registry, routes(registry.clone()))).await
}

async fn send(addr: SocketAddr, method: &str, path: &str) -> u16 {
    request(addr, method, path, &[])
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .status
}

fn requests(e: &Exposition, method: &str, endpoint: &str, status: &str) -> Option<f64> {
    e.value(
        REQUESTS,
        &[
            ("method", method),
            ("endpoint", endpoint),
            ("status", status),
        ],
    )
}

fn bucket(e: &Exposition, endpoint: &str, le: &str) -> Option<f64> {
    e.value(
        &format!("{DURATION}_bucket"),
        &[("method", "GET"), ("endpoint", endpoint), ("le", le)],
    )
}

/// Polls until `done` holds for the registry's exposition (the server records a request
/// when its response future completes, which may be just after the client has the answer).
async fn eventually(registry: &Registry, what: &str, done: impl Fn(&Exposition) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let text = registry.render();
        let e = check_exposition(&text);
        if done(&e) {
            return;
        }
        assert!(Instant::now() < deadline, "{what}; exposition:\n{text}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn requests_are_counted_by_route_template_status_and_class() {
    let registry = Registry::new();
    let addr = start(&registry).await;

    assert_eq!(send(addr, "GET", "/users/1").await, 200);
    assert_eq!(send(addr, "GET", "/users/2").await, 200);
    assert_eq!(send(addr, "GET", "/users/2?x=1").await, 200);
    assert_eq!(send(addr, "POST", "/users").await, 201);
    assert_eq!(send(addr, "GET", "/users").await, 405);
    assert_eq!(send(addr, "GET", "/users/not-a-number").await, 400);
    assert_eq!(send(addr, "GET", "/fail").await, 500);
    assert_eq!(send(addr, "GET", "/fail").await, 500);
    assert_eq!(send(addr, "DELETE", "/fail").await, 405);
    assert_eq!(send(addr, "PURGE", "/users/3").await, 405);

    eventually(&registry, "all requests recorded", |e| {
        e.value(
            &format!("{DURATION}_count"),
            &[("method", "GET"), ("endpoint", "/fail")],
        ) == Some(2.0)
            && e.value(IN_FLIGHT, &[]) == Some(0.0)
    })
    .await;
    let e = check_exposition(&registry.render());

    // The template, never the raw path: /users/1, /users/2 and /users/2?x=1 are one series.
    assert_eq!(requests(&e, "GET", "/users/{id}", "200"), Some(3.0));
    assert!(
        e.samples()
            .filter_map(|s| s.label("endpoint"))
            .all(|v| !v.contains("/users/1") && !v.contains("/users/2")),
        "a raw path became a label value"
    );
    assert_eq!(requests(&e, "POST", "/users", "201"), Some(1.0));
    assert_eq!(requests(&e, "GET", "/users", "405"), Some(1.0));
    assert_eq!(requests(&e, "GET", "/users/{id}", "400"), Some(1.0));
    assert_eq!(requests(&e, "GET", "/fail", "500"), Some(2.0));
    assert_eq!(requests(&e, "DELETE", "/fail", "405"), Some(1.0));
    assert_eq!(requests(&e, "OTHER", "/users/{id}", "405"), Some(1.0));
    assert_eq!(e.family(REQUESTS).expect("requests").kind, "counter");

    // Failures by class: 5xx are server errors, 4xx client errors; 2xx are not failures.
    let failed = |endpoint: &str, status: &str, class: &str| {
        e.value(
            FAILED,
            &[("endpoint", endpoint), ("status", status), ("class", class)],
        )
    };
    assert_eq!(failed("/fail", "500", "server_error"), Some(2.0));
    assert_eq!(failed("/fail", "405", "client_error"), Some(1.0));
    assert_eq!(failed("/users", "405", "client_error"), Some(1.0));
    assert_eq!(failed("/users/{id}", "400", "client_error"), Some(1.0));
    let failures = &e.family(FAILED).expect("failures").samples;
    assert!(failures.iter().all(|s| s.label("status") != Some("200")));
    let server_errors: f64 = failures
        .iter()
        .filter(|s| s.label("class") == Some("server_error"))
        .map(|s| s.value)
        .sum();
    assert_eq!(server_errors, 2.0);

    // Durations per method and template, in the HTTP buckets.
    assert_eq!(e.family(DURATION).expect("duration").kind, "histogram");
    assert_eq!(bucket(&e, "/users/{id}", "+Inf"), Some(4.0));
    assert!(bucket(&e, "/users/{id}", "0.01").is_some());
    assert_eq!(bucket(&e, "/users/{id}", "10"), Some(4.0));
    assert_eq!(e.value(IN_FLIGHT, &[]), Some(0.0));
    assert_eq!(e.family(IN_FLIGHT).expect("in flight").kind, "gauge");
}

#[tokio::test]
async fn slow_requests_land_in_the_higher_buckets() {
    let registry = Registry::new();
    let addr = start(&registry).await;
    assert_eq!(send(addr, "GET", "/slow").await, 200);
    eventually(&registry, "/slow recorded", |e| {
        bucket(e, "/slow", "+Inf") == Some(1.0)
    })
    .await;
    let e = check_exposition(&registry.render());
    // 30 ms of sleep: above 25 ms, so not in le="0.025" nor any lower bucket.
    assert_eq!(bucket(&e, "/slow", "0.01"), Some(0.0));
    assert_eq!(bucket(&e, "/slow", "0.025"), Some(0.0));
    assert_eq!(bucket(&e, "/slow", "10"), Some(1.0));
    let sum = e
        .value(&format!("{DURATION}_sum"), &[("endpoint", "/slow")])
        .expect("sum");
    assert!((0.03..10.0).contains(&sum), "sum {sum}");
    assert_eq!(e.value(IN_FLIGHT, &[]), Some(0.0));
}

#[tokio::test]
async fn random_404_paths_collapse_into_one_unmatched_series() {
    let registry = Registry::new();
    let addr = start(&registry).await;
    let seed = std::process::id();
    for i in 0..50u32 {
        let path = format!("/random/{seed}-{i}/{}", i.wrapping_mul(2_654_435_761));
        assert_eq!(send(addr, "GET", &path).await, 404);
    }
    eventually(&registry, "50 not-found requests recorded", |e| {
        requests(e, "GET", UNMATCHED_ENDPOINT, "404") == Some(50.0)
    })
    .await;
    let e = check_exposition(&registry.render());
    let unmatched: Vec<_> = e
        .family(REQUESTS)
        .expect("requests")
        .samples
        .iter()
        .filter(|s| s.label("endpoint") == Some(UNMATCHED_ENDPOINT))
        .collect();
    assert_eq!(unmatched.len(), 1, "one series: {unmatched:?}");
    assert!(
        e.samples()
            .filter_map(|s| s.label("endpoint"))
            .all(|v| !v.contains("/random")),
        "a raw 404 path became a label value"
    );
    assert_eq!(
        e.value(
            FAILED,
            &[("endpoint", UNMATCHED_ENDPOINT), ("class", "client_error")]
        ),
        Some(50.0)
    );
    assert_eq!(
        e.family(FAILED).expect("failures").samples.len(),
        1,
        "one failure series"
    );
    // One histogram series: 10 finite buckets, +Inf, _sum and _count.
    assert_eq!(e.family(DURATION).expect("duration").samples.len(), 13);
}

#[tokio::test]
async fn metrics_routes_answer_like_the_exporter_and_metrics_is_not_counted() {
    let registry = Registry::builder()
        .prefix("api")
        .const_label("service", "users")
        .build()
        .expect("registry");
    let addr = start(&registry).await;

    let resp = http_get(addr, "/metrics").await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.header("content-type"), TEXT_CONTENT_TYPE);
    assert_eq!(resp.header("content-encoding"), "");
    let served = check_exposition(&resp.text());
    assert!(served.family("api_http_requests_total").is_some());
    assert!(served.family("api_http_requests_in_flight").is_some());

    let zipped = request(addr, "GET", "/metrics", &[("accept-encoding", "gzip")])
        .await
        .expect("gzip scrape");
    assert_eq!(zipped.status, 200);
    assert_eq!(zipped.header("content-encoding"), "gzip");
    assert!(zipped.header("vary").contains("Accept-Encoding"));
    check_exposition(&gunzip(&zipped.body));

    let head = request(addr, "HEAD", "/metrics", &[]).await.expect("head");
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(send(addr, "POST", "/metrics").await, 405);

    let health = http_get(addr, "/health").await;
    assert_eq!(health.status, 200);
    assert_eq!(health.header("content-type"), "application/json");
    let json = health.json();
    assert_eq!(json["status"], "healthy");
    assert!(json["uptime_seconds"].as_f64().is_some_and(|s| s >= 0.0));

    let ready = http_get(addr, "/ready").await;
    assert_eq!(ready.status, 200);
    assert_eq!(ready.json()["status"], "ready");

    // A request of the API after the scrapes and probes: once it is recorded, they would be.
    assert_eq!(send(addr, "GET", "/users/5").await, 200);
    eventually(&registry, "/users/5 recorded", |e| {
        e.value(
            "api_http_requests_total",
            &[("endpoint", "/users/{id}"), ("service", "users")],
        ) == Some(1.0)
    })
    .await;
    let e = check_exposition(&registry.render());
    // promforge's own routes are in no series, whatever the method.
    for own in ["/metrics", "/health", "/ready"] {
        assert!(
            e.samples().all(|s| s.label("endpoint") != Some(own)),
            "{own} was counted"
        );
    }
    assert_eq!(e.value("api_http_requests_in_flight", &[]), Some(0.0));
}

#[tokio::test]
async fn ready_reports_failing_checks_with_503() {
    let registry = Registry::new();
    let metrics = MetricsRoutes::new(registry.clone())
        .metrics_path("scrape")
        .readiness_check("database", Duration::from_secs(1), || async {
            Ok::<(), String>(())
        })
        .readiness_check("cache", Duration::from_secs(1), || async {
            Err::<(), _>("connection refused")
        })
        .readiness_check("queue", Duration::from_millis(50), || async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            Ok::<(), String>(())
        })
        .into_router();
    // Counted on purpose: a failing /ready is then a server error like any other.
    let layer = MetricsLayer::new(&registry)
        .expect("layer")
        .count_scrapes(true)
        .count_probes(true);
    let addr = serve(api().merge(metrics).layer(layer)).await;

    let ready = http_get(addr, "/ready").await;
    assert_eq!(ready.status, 503);
    let json = ready.json();
    assert_eq!(json["status"], "not_ready");
    let checks = json["checks"].as_array().expect("checks");
    let status_of = |name: &str| {
        checks
            .iter()
            .find(|c| c["name"] == name)
            .map(|c| c["status"].clone())
    };
    assert_eq!(status_of("database"), Some("ok".into()));
    assert_eq!(status_of("cache"), Some("failed".into()));
    assert_eq!(status_of("queue"), Some("timeout".into()));
    assert_eq!(
        checks.iter().find(|c| c["name"] == "cache").expect("cache")["error"],
        "connection refused"
    );

    let scrape = http_get(addr, "/scrape").await;
    assert_eq!(scrape.status, 200);
    assert_eq!(scrape.header("content-type"), TEXT_CONTENT_TYPE);
    eventually(&registry, "/ready and /scrape recorded", |e| {
        requests(e, "GET", "/ready", "503") == Some(1.0)
            && requests(e, "GET", "/scrape", "200") == Some(1.0)
            && e.value(FAILED, &[("endpoint", "/ready"), ("class", "server_error")]) == Some(1.0)
    })
    .await;
}

#[tokio::test]
async fn a_client_going_away_is_recorded_as_cancelled() {
    use tokio::io::AsyncWriteExt as _;

    let registry = Registry::new();
    let addr = start(&registry).await;
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(b"GET /hang HTTP/1.1\r\nhost: test\r\n\r\n")
        .await
        .expect("write");
    eventually(&registry, "the request in flight", |e| {
        e.value(IN_FLIGHT, &[]) == Some(1.0)
    })
    .await;
    drop(stream);
    eventually(
        &registry,
        "the dropped request recorded as cancelled",
        |e| {
            requests(e, "GET", "/hang", "cancelled") == Some(1.0)
                && e.value(IN_FLIGHT, &[]) == Some(0.0)
        },
    )
    .await;
    let e = check_exposition(&registry.render());
    assert_eq!(bucket(&e, "/hang", "+Inf"), Some(1.0));
    assert!(
        e.family(FAILED).is_none_or(|f| f
            .samples
            .iter()
            .all(|s| s.label("status") != Some("cancelled"))),
        "a cancelled request is not a failure"
    );
}

#[tokio::test]
async fn tower_services_errors_endpoint_fn_and_cancellation() {
    let registry = Registry::new();
    let layer = MetricsLayer::new(&registry)
        .expect("layer")
        .endpoint_fn(|req| {
            req.uri()
                .path()
                .strip_prefix("/grpc/")
                .map(|_| Cow::Borrowed("/grpc/{method}"))
        });
    let service = tower::ServiceBuilder::new().layer(layer).service_fn(
        |req: axum::http::Request<()>| async move {
            match req.uri().path() {
                "/broken" => Err("the inner service failed"),
                "/forever" => std::future::pending().await,
                _ => Ok(axum::http::Response::new(())),
            }
        },
    );
    let call = |path: &str| {
        let req = axum::http::Request::builder()
            .uri(path)
            .body(())
            .expect("request");
        service.clone().oneshot(req)
    };
    assert!(call("/grpc/Say").await.is_ok());
    assert!(call("/grpc/Hello").await.is_ok());
    assert!(call("/broken").await.is_err());
    assert!(call("/plain").await.is_ok());
    let timed_out = tokio::time::timeout(Duration::from_millis(20), call("/forever")).await;
    assert!(timed_out.is_err());

    let e = check_exposition(&registry.render());
    assert_eq!(requests(&e, "GET", "/grpc/{method}", "200"), Some(2.0));
    // No endpoint function answer and no axum router: "unmatched".
    assert_eq!(requests(&e, "GET", UNMATCHED_ENDPOINT, "200"), Some(1.0));
    assert_eq!(requests(&e, "GET", UNMATCHED_ENDPOINT, "error"), Some(1.0));
    assert_eq!(
        requests(&e, "GET", UNMATCHED_ENDPOINT, "cancelled"),
        Some(1.0)
    );
    assert_eq!(
        e.value(FAILED, &[("status", "error"), ("class", "server_error")]),
        Some(1.0)
    );
    assert_eq!(e.value(IN_FLIGHT, &[]), Some(0.0));
    assert_eq!(
        e.value(
            &format!("{DURATION}_count"),
            &[("endpoint", UNMATCHED_ENDPOINT)]
        ),
        Some(3.0)
    );
}

#[test]
fn registering_twice_in_one_registry_is_an_error_not_a_panic() {
    let registry = Registry::new();
    let first = MetricsLayer::new(&registry).expect("first");
    match MetricsLayer::new(&registry) {
        Err(e @ Error::HttpMetricsTaken { .. }) => {
            assert!(
                e.to_string()
                    .contains("clone the first layer, or give this one its own prefix"),
                "{e}"
            );
            assert!(e.to_string().contains("`http_requests_total`"), "{e}");
        }
        other => panic!("expected HttpMetricsTaken, got {other:?}"),
    }
    // The failed attempt registered nothing; the first layer's families are intact.
    assert_eq!(
        registry.family_names(),
        [
            "http_requests_total",
            "http_requests_failed_total",
            "http_request_duration_seconds",
            "http_requests_in_flight"
        ]
    );
    drop(first);

    // A constant label named like one of the layer's labels is refused. `class` is only on
    // the second family: the first, registered already, is taken out again.
    let clashing = Registry::builder()
        .const_label("class", "x")
        .build()
        .expect("registry");
    assert!(matches!(
        MetricsLayer::new(&clashing),
        Err(Error::LabelClash { .. })
    ));
    assert!(clashing.family_names().is_empty());
}

/// The only test of this file that touches the default registry: it behaves as `new` does,
/// a second layer is refused with the same advice (the first one is to be cloned).
#[test]
fn the_default_registry_layer_is_registered_once() {
    let first = MetricsLayer::default_registry().expect("default");
    match MetricsLayer::default_registry() {
        Err(e @ Error::HttpMetricsTaken { .. }) => {
            assert!(e.to_string().contains("clone the first layer"), "{e}");
        }
        other => panic!("expected HttpMetricsTaken, got {other:?}"),
    }
    let _clone = first.clone();
    let names = promforge::default_registry().family_names();
    assert_eq!(
        names.iter().filter(|n| *n == "http_requests_total").count(),
        1
    );
}

/// A route layer sees the template too, and leaves unrouted requests out.
#[tokio::test]
async fn route_layer_counts_routed_requests_only() {
    let registry = Registry::new();
    let layer = MetricsLayer::new(&registry).expect("layer");
    let addr = serve(api().route_layer(layer)).await;
    assert_eq!(send(addr, "GET", "/users/7").await, 200);
    assert_eq!(send(addr, "GET", "/nowhere").await, 404);
    eventually(&registry, "/users/7 recorded", |e| {
        requests(e, "GET", "/users/{id}", "200") == Some(1.0)
    })
    .await;
    let e = check_exposition(&registry.render());
    assert_eq!(requests(&e, "GET", UNMATCHED_ENDPOINT, "404"), None);
}

/// Endpoint names are an open label: past the limit, requests go to the overflow series.
#[tokio::test]
async fn endpoints_past_the_cardinality_limit_overflow() {
    let registry = Registry::new();
    let layer = MetricsLayer::new(&registry)
        .expect("layer")
        .cardinality_limit(2)
        .endpoint_fn(|req| Some(Cow::Owned(req.uri().path().to_owned())));
    let service =
        tower::ServiceBuilder::new()
            .layer(layer)
            .service_fn(|_: axum::http::Request<()>| async {
                Ok::<_, Infallible>(axum::http::Response::new(()))
            });
    for i in 0..5 {
        let req = axum::http::Request::builder()
            .uri(format!("/item/{i}"))
            .body(())
            .expect("request");
        service.clone().oneshot(req).await.expect("call");
    }
    let e = check_exposition(&registry.render());
    assert_eq!(e.family(REQUESTS).expect("requests").samples.len(), 3);
    assert_eq!(
        requests(
            &e,
            promforge::OVERFLOW_LABEL_VALUE,
            promforge::OVERFLOW_LABEL_VALUE,
            promforge::OVERFLOW_LABEL_VALUE
        ),
        Some(3.0)
    );
    assert_eq!(
        e.value(
            promforge::OVERFLOW_FAMILY,
            &[("metric", "http_requests_total")]
        ),
        Some(3.0)
    );
}

#[tokio::test]
async fn metrics_routes_can_leave_health_and_ready_to_the_application() {
    let registry = Registry::new();
    // Merging a second `/health` would panic if the metrics routes still mounted theirs.
    let app = Router::new()
        .route("/health", get(|| async { "the application's own health" }))
        .merge(
            MetricsRoutes::new(registry.clone())
                .without_health()
                .into_router(),
        );
    let addr = serve(app).await;
    let health = http_get(addr, "/health").await;
    assert_eq!(health.status, 200);
    assert_eq!(health.text(), "the application's own health");
    assert_eq!(http_get(addr, "/ready").await.status, 200);
    assert_eq!(http_get(addr, "/metrics").await.status, 200);

    let app = MetricsRoutes::new(registry.clone())
        .without_health()
        .without_ready()
        .into_router();
    let addr = serve(app).await;
    assert_eq!(http_get(addr, "/health").await.status, 404);
    assert_eq!(http_get(addr, "/ready").await.status, 404);
    assert_eq!(http_get(addr, "/metrics").await.status, 200);
}

/// A collector that takes half a second and counts its renders.
struct SlowCollector(std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl promforge::Collector for SlowCollector {
    fn families(&self) -> Vec<promforge::FamilyDesc> {
        vec![promforge::FamilyDesc::new(
            "slow_value",
            "A value that takes its time.",
            promforge::MetricType::Gauge,
        )]
    }

    fn collect(&self, out: &mut promforge::CollectorEncoder<'_>) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(500));
        out.sample(0, "", 1u64);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_routes_share_renders_and_cut_slow_ones() {
    let registry = Registry::new();
    let renders = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    registry
        .register_collector(SlowCollector(renders.clone()))
        .expect("collector");
    let app = MetricsRoutes::new(registry.clone())
        .render_timeout(Duration::from_millis(100))
        .into_router();
    let addr = serve(app).await;

    // Cut after 100 ms: 503, while the render goes on.
    let cut = http_get(addr, "/metrics").await;
    assert_eq!(cut.status, 503);
    // Ten scrapes at once share one render instead of starting ten.
    let scrapes: Vec<_> = (0..10)
        .map(|_| tokio::spawn(async move { http_get(addr, "/metrics").await.status }))
        .collect();
    for scrape in scrapes {
        assert_eq!(scrape.await.expect("join"), 503);
    }
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert!(
        renders.load(std::sync::atomic::Ordering::SeqCst) <= 3,
        "renders were shared: {}",
        renders.load(std::sync::atomic::Ordering::SeqCst)
    );

    // With time enough, the same routes answer.
    let app = MetricsRoutes::new(registry.clone()).into_router();
    let addr = serve(app).await;
    let ok = http_get(addr, "/metrics").await;
    assert_eq!(ok.status, 200);
    assert!(check_exposition(&ok.text()).value("slow_value", &[]) == Some(1.0));
}

// ---------------------------------------------------------------------------------------
// The defaults a service author expects (issue 21).

/// A route whose handler panics.
fn panicking() -> Router {
    Router::new().route(
        "/panic",
        get(|| async {
            if std::hint::black_box(true) {
                panic!("the handler panics (expected by the test)");
            }
            "never"
        }),
    )
}

/// A handler panic is what the client receives: 500, a server error; in every order of
/// the layers, and without tower-http's `CatchPanicLayer` too (the client then sees the
/// connection closed).
#[tokio::test]
async fn a_panicking_handler_is_a_server_error_in_every_layer_order() {
    use tower_http::catch_panic::CatchPanicLayer;

    for (order, expected_answer) in [
        ("no CatchPanicLayer", None),
        ("CatchPanicLayer outside", Some(500)),
        ("CatchPanicLayer inside", Some(500)),
    ] {
        let registry = Registry::new();
        let layer = MetricsLayer::new(&registry).expect("layer");
        let app = match order {
            "no CatchPanicLayer" => panicking().layer(layer),
            "CatchPanicLayer outside" => panicking().layer(layer).layer(CatchPanicLayer::new()),
            _ => panicking().layer(CatchPanicLayer::new()).layer(layer),
        };
        let addr = serve(app).await;
        let answer = request(addr, "GET", "/panic", &[]).await.map(|r| r.status);
        match expected_answer {
            Some(status) => assert_eq!(answer, Ok(status), "{order}"),
            None => assert!(answer.is_err(), "{order}: {answer:?}"),
        }
        eventually(&registry, order, |e| {
            requests(e, "GET", "/panic", "500") == Some(1.0)
                && e.value(
                    FAILED,
                    &[
                        ("endpoint", "/panic"),
                        ("status", "500"),
                        ("class", "server_error"),
                    ],
                ) == Some(1.0)
                && e.value(IN_FLIGHT, &[]) == Some(0.0)
        })
        .await;
        let e = check_exposition(&registry.render());
        assert_eq!(requests(&e, "GET", "/panic", "cancelled"), None, "{order}");
    }
}

/// `/metrics`, `/health` and `/ready` of `MetricsRoutes` are left out wherever they are
/// mounted (here also under `/v1`), with nothing excluded by hand; a scrape does not see
/// itself in flight. Counting them is a choice.
#[tokio::test]
async fn promforges_own_routes_are_left_out_wherever_nested() {
    let registry = Registry::new();
    let failing_ready = || {
        MetricsRoutes::new(registry.clone())
            .readiness_check("database", Duration::from_secs(1), || async {
                Err::<(), _>("down")
            })
            .into_router()
    };
    let layer = MetricsLayer::new(&registry).expect("layer");
    let addr = serve(
        api()
            .merge(failing_ready())
            .nest("/v1", failing_ready())
            .layer(layer),
    )
    .await;
    for path in ["/metrics", "/v1/metrics"] {
        let scrape = http_get(addr, path).await;
        assert_eq!(scrape.status, 200);
        let served = check_exposition(&scrape.text());
        assert_eq!(served.value(IN_FLIGHT, &[]), Some(0.0), "{path}");
    }
    assert_eq!(http_get(addr, "/health").await.status, 200);
    assert_eq!(http_get(addr, "/v1/health").await.status, 200);
    assert_eq!(http_get(addr, "/ready").await.status, 503);
    assert_eq!(http_get(addr, "/v1/ready").await.status, 503);
    // A request of the API afterwards: once it is recorded, the others would be too.
    assert_eq!(send(addr, "GET", "/users/1").await, 200);
    eventually(&registry, "/users/1 recorded", |e| {
        requests(e, "GET", "/users/{id}", "200") == Some(1.0)
    })
    .await;
    let e = check_exposition(&registry.render());
    let endpoints: Vec<&str> = e
        .family(REQUESTS)
        .expect("requests")
        .samples
        .iter()
        .filter_map(|s| s.label("endpoint"))
        .collect();
    assert_eq!(endpoints, ["/users/{id}"]);
    assert!(e.family(FAILED).is_none_or(|f| f.samples.is_empty()));
    assert_eq!(e.value(IN_FLIGHT, &[]), Some(0.0));
    assert_eq!(e.value(&format!("{DURATION}_count"), &[]), Some(1.0));

    // Opted in: scrapes and probes count like any request, under their templates.
    let registry = Registry::new();
    let layer = MetricsLayer::new(&registry)
        .expect("layer")
        .count_scrapes(true)
        .count_probes(true);
    let addr = serve(
        Router::new()
            .nest("/v1", routes(registry.clone()))
            .layer(layer),
    )
    .await;
    let scrape = http_get(addr, "/v1/metrics").await;
    assert_eq!(
        check_exposition(&scrape.text()).value(IN_FLIGHT, &[]),
        Some(1.0)
    );
    assert_eq!(http_get(addr, "/v1/health").await.status, 200);
    eventually(&registry, "counted on purpose", |e| {
        requests(e, "GET", "/v1/metrics", "200") == Some(1.0)
            && requests(e, "GET", "/v1/health", "200") == Some(1.0)
    })
    .await;
}

/// Error-handler reports, kept for the test that wraps a router from outside (the handler
/// is process-wide: the test looks only at the reports naming its own paths).
static REPORTS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

fn reports_about(path: &str) -> Vec<String> {
    REPORTS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .iter()
        .filter(|r| r.contains(path))
        .cloned()
        .collect()
}

/// A layer around the router (before routing) counts every request as `unmatched`: the
/// first request a route answered is reported once through the error handler. The right
/// placement, with unrouted requests answered by a fallback, reports nothing.
#[tokio::test]
async fn a_layer_around_the_router_is_reported_once() {
    promforge::set_error_handler(|error| {
        if matches!(error, Error::HttpLayerSeesNoRoutes { .. }) {
            REPORTS
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(error.to_string());
        }
    });
    let routes = || {
        Router::new()
            .route("/outside/{id}", get(|| async { "routed" }))
            .fallback(|| async { "the fallback answers" })
    };

    // Inside: a route and the fallback, nothing to report.
    let registry = Registry::new();
    let addr = serve(routes().layer(MetricsLayer::new(&registry).expect("layer"))).await;
    assert_eq!(send(addr, "GET", "/nowhere/inside").await, 200);
    assert_eq!(send(addr, "GET", "/outside/1").await, 200);
    eventually(&registry, "inside: recorded", |e| {
        requests(e, "GET", "/outside/{id}", "200") == Some(1.0)
            && requests(e, "GET", UNMATCHED_ENDPOINT, "200") == Some(1.0)
    })
    .await;
    assert_eq!(reports_about("/nowhere/inside"), Vec::<String>::new());

    // Around the router: reported once, however many requests follow.
    let registry = Registry::new();
    let wrapped = tower::ServiceBuilder::new()
        .layer(MetricsLayer::new(&registry).expect("layer"))
        .service(routes());
    let wrapped = tower::ServiceExt::<axum::extract::Request>::map_response(
        wrapped,
        axum::response::IntoResponse::into_response,
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move {
        let make = axum::ServiceExt::<axum::extract::Request>::into_make_service(wrapped);
        axum::serve(listener, make).await.expect("serve");
    });
    for _ in 0..3 {
        assert_eq!(send(addr, "GET", "/outside/2").await, 200);
    }
    eventually(&registry, "around: recorded as unmatched", |e| {
        requests(e, "GET", UNMATCHED_ENDPOINT, "200") == Some(3.0)
    })
    .await;
    let reports = reports_about("/outside/2");
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert!(reports[0].contains("Router::layer"), "{}", reports[0]);
}

/// Reads from `stream` until `buf` contains `needle`.
async fn read_until(stream: &mut tokio::net::TcpStream, buf: &mut Vec<u8>, needle: &str) {
    use tokio::io::AsyncReadExt as _;
    let deadline = Instant::now() + Duration::from_secs(5);
    while !String::from_utf8_lossy(buf).contains(needle) {
        let mut chunk = [0u8; 1024];
        let n = tokio::time::timeout_at(deadline.into(), stream.read(&mut chunk))
            .await
            .expect("answer within 5 s")
            .expect("read");
        assert!(
            n > 0,
            "closed before {needle:?}: {}",
            String::from_utf8_lossy(buf)
        );
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// With `time_body`, a streamed body (server-sent events, a download) is timed until its
/// end, and in flight until then; by default the request is recorded at the head.
#[tokio::test]
async fn a_slow_streamed_body_is_timed_until_its_end_when_asked() {
    use tokio::io::AsyncWriteExt as _;

    for time_body in [true, false] {
        let registry = Registry::new();
        let (chunks, rx) = tokio::sync::mpsc::unbounded_channel::<&'static str>();
        let rx = std::sync::Arc::new(tokio::sync::Mutex::new(Some(rx)));
        let stream_route = get(move || {
            let rx = rx.clone();
            async move {
                let rx = rx.lock().await.take().expect("one request");
                let stream = futures_util::stream::unfold(rx, |mut rx| async move {
                    let chunk = rx.recv().await?;
                    Some((Ok::<_, Infallible>(chunk), rx))
                });
                axum::body::Body::from_stream(stream)
            }
        });
        let layer = MetricsLayer::new(&registry)
            .expect("layer")
            .time_body(time_body);
        let addr = serve(Router::new().route("/events", stream_route).layer(layer)).await;

        let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
        stream
            .write_all(b"GET /events HTTP/1.1\r\nhost: test\r\nconnection: close\r\n\r\n")
            .await
            .expect("write");
        chunks.send("first-event").expect("send");
        let mut received = Vec::new();
        read_until(&mut stream, &mut received, "first-event").await;

        if time_body {
            // The head and a first event are out; the request is still being answered.
            eventually(&registry, "in flight while the body streams", |e| {
                e.value(IN_FLIGHT, &[]) == Some(1.0)
            })
            .await;
            assert_eq!(
                requests(
                    &check_exposition(&registry.render()),
                    "GET",
                    "/events",
                    "200"
                ),
                None
            );
        } else {
            eventually(&registry, "recorded at the head", |e| {
                requests(e, "GET", "/events", "200") == Some(1.0)
                    && e.value(IN_FLIGHT, &[]) == Some(0.0)
            })
            .await;
        }
        tokio::time::sleep(Duration::from_millis(60)).await;
        chunks.send("last-event").expect("send");
        drop(chunks); // the end of the body
        read_until(&mut stream, &mut received, "last-event").await;

        eventually(&registry, "recorded", |e| {
            requests(e, "GET", "/events", "200") == Some(1.0)
                && e.value(IN_FLIGHT, &[]) == Some(0.0)
        })
        .await;
        let e = check_exposition(&registry.render());
        let sum = e
            .value(&format!("{DURATION}_sum"), &[("endpoint", "/events")])
            .expect("sum");
        if time_body {
            // At least the 60 ms between the first event and the last.
            assert!(sum >= 0.06, "time_body: {sum}");
            assert_eq!(bucket(&e, "/events", "0.05"), Some(0.0));
        }
    }
}

/// A second layer on one registry needs its own prefix; the label names can be the ones
/// of existing dashboards, checked like any label name.
#[tokio::test]
async fn prefixes_and_label_names_are_set_on_the_builder() {
    use promforge::http::HttpLabel;

    let registry = Registry::builder()
        .const_label("service", "api")
        .build()
        .expect("registry");
    let api_layer = MetricsLayer::builder()
        .label_name(HttpLabel::Status, "status_code")
        .label_name(HttpLabel::Class, "error_type")
        .register(&registry)
        .expect("api layer");
    let admin_layer = MetricsLayer::builder()
        .prefix("admin")
        .register(&registry)
        .expect("a second layer with its own prefix");
    let admin = Router::new()
        .route("/admin/fail", get(|| async { StatusCode::BAD_GATEWAY }))
        .layer(admin_layer);
    let addr = serve(api().layer(api_layer).merge(admin)).await;
    assert_eq!(send(addr, "GET", "/fail").await, 500);
    assert_eq!(send(addr, "GET", "/users/3").await, 200);
    assert_eq!(send(addr, "GET", "/admin/fail").await, 502);
    eventually(&registry, "both layers recorded", |e| {
        e.value("admin_http_requests_total", &[("status", "502")]) == Some(1.0)
            && e.value(REQUESTS, &[("status_code", "200")]) == Some(1.0)
    })
    .await;
    let e = check_exposition(&registry.render());
    assert_eq!(
        e.value(
            FAILED,
            &[
                ("method", "GET"),
                ("endpoint", "/fail"),
                ("status_code", "500"),
                ("error_type", "server_error"),
                ("service", "api"),
            ]
        ),
        Some(1.0)
    );
    assert!(
        e.samples()
            .filter(|s| s.name.starts_with("http_"))
            .all(|s| s.label("status").is_none() && s.label("class").is_none()),
        "a default name is left"
    );
    assert_eq!(
        e.value(
            "admin_http_requests_failed_total",
            &[("status", "502"), ("class", "server_error")]
        ),
        Some(1.0)
    );

    // Label names are checked: invalid, reserved, twice in the layer, a constant label.
    for (label, name) in [
        (HttpLabel::Status, "le"),
        (HttpLabel::Status, "__status"),
        (HttpLabel::Class, "error-type"),
        (HttpLabel::Endpoint, ""),
        (HttpLabel::Class, "method"),
    ] {
        let fresh = Registry::new();
        let refused = MetricsLayer::builder()
            .label_name(label, name)
            .register(&fresh);
        assert!(
            matches!(refused, Err(Error::InvalidLabelName { .. })),
            "{name}: {refused:?}"
        );
        assert!(fresh.family_names().is_empty());
    }
    let clashing = Registry::builder()
        .const_label("error_type", "x")
        .build()
        .expect("registry");
    assert!(matches!(
        MetricsLayer::builder()
            .label_name(HttpLabel::Class, "error_type")
            .register(&clashing),
        Err(Error::LabelClash { .. })
    ));
    assert!(clashing.family_names().is_empty());
}

/// The overflow series carries the label names in use.
#[tokio::test]
async fn renamed_labels_name_the_overflow_series_too() {
    use promforge::http::HttpLabel;

    let registry = Registry::new();
    let layer = MetricsLayer::builder()
        .label_name(HttpLabel::Status, "status_code")
        .register(&registry)
        .expect("layer")
        .cardinality_limit(1)
        .endpoint_fn(|req| Some(Cow::Owned(req.uri().path().to_owned())));
    let service =
        tower::ServiceBuilder::new()
            .layer(layer)
            .service_fn(|_: axum::http::Request<()>| async {
                Ok::<_, Infallible>(axum::http::Response::new(()))
            });
    for path in ["/a", "/b", "/c"] {
        let req = axum::http::Request::builder()
            .uri(path)
            .body(())
            .expect("request");
        service.clone().oneshot(req).await.expect("call");
    }
    let e = check_exposition(&registry.render());
    let overflow = promforge::OVERFLOW_LABEL_VALUE;
    assert_eq!(
        e.value(
            REQUESTS,
            &[
                ("method", overflow),
                ("endpoint", overflow),
                ("status_code", overflow)
            ]
        ),
        Some(2.0)
    );
}

/// The layer's durations can be read back (a `/health` with p50/p99) without a second
/// metric; scrapes and probes are not in them.
#[tokio::test]
async fn the_layers_durations_can_be_read_back() {
    let registry = Registry::new();
    let layer = MetricsLayer::new(&registry).expect("layer");
    let durations = layer.duration_histogram();
    let addr = start_with(&registry, layer).await;
    assert_eq!(send(addr, "GET", "/slow").await, 200);
    assert_eq!(send(addr, "GET", "/users/1").await, 200);
    assert_eq!(http_get(addr, "/metrics").await.status, 200);
    assert_eq!(http_get(addr, "/health").await.status, 200);
    assert_eq!(send(addr, "GET", "/users/2").await, 200);
    eventually(&registry, "three requests recorded", |e| {
        e.value(&format!("{DURATION}_count"), &[]).is_some()
            && e.family(DURATION)
                .expect("duration")
                .samples
                .iter()
                .filter(|s| s.name.ends_with("_count"))
                .map(|s| s.value)
                .sum::<f64>()
                == 3.0
    })
    .await;
    assert_eq!(durations.count(), 3);
    assert_eq!(durations.buckets(), promforge::instrument::BUCKETS_HTTP);
    let (p50, p99) = (
        durations.estimate_quantile(0.5).expect("p50"),
        durations.estimate_quantile(0.99).expect("p99"),
    );
    // The 30 ms request is the slowest: the p99 lies above 25 ms.
    assert!(p99 > 0.025 && p50 <= p99, "p50 {p50}, p99 {p99}");
    assert!(durations.sum() >= 0.03);
}

async fn start_with(registry: &Registry, layer: MetricsLayer) -> SocketAddr {
    serve(api().merge(routes(registry.clone())).layer(layer)).await
}

/// A cardinality limit set on one layer's builder bounds that layer's families only: a
/// second layer on the same registry (its own prefix) keeps the default.
#[tokio::test]
async fn a_cardinality_limit_applies_to_its_own_layer_only() {
    let registry = Registry::new();
    let main = MetricsLayer::new(&registry).expect("layer");
    let admin = MetricsLayer::builder()
        .prefix("admin")
        .cardinality_limit(1)
        .register(&registry)
        .expect("admin layer");
    let addr = serve(api().layer(main)).await;
    let admin_addr = serve(api().layer(admin)).await;
    for path in ["/users/1", "/fail", "/users"] {
        send(addr, "GET", path).await;
        send(admin_addr, "GET", path).await;
    }
    eventually(&registry, "both layers recorded", |e| {
        e.sum(REQUESTS, &[]) >= 3.0 && e.sum(&format!("admin_{REQUESTS}"), &[]) >= 3.0
    })
    .await;
    let e = check_exposition(&registry.render());
    let overflow = |family: &str| {
        e.family(family).map_or(0, |f| {
            f.samples
                .iter()
                .filter(|s| s.label("endpoint") == Some("__overflow__"))
                .count()
        })
    };
    assert!(
        overflow(&format!("admin_{REQUESTS}")) > 0,
        "admin is bounded"
    );
    assert_eq!(overflow(REQUESTS), 0, "the main layer keeps its own limit");
}
