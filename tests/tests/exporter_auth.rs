//! Access control of the exporter over real TCP: HTTP Basic auth (plain, bcrypt, Argon2),
//! bearer tokens, per-route access, client networks; and a real Prometheus scraping with
//! `basic_auth` and `authorization`.

use std::net::SocketAddr;
use std::time::Duration;

use base64::Engine as _;
use promforge::exporter::{Access, Password, Route};
use promforge::{Error, Exporter, ExporterHandle, Registry};
use promforge_tests::prometheus_server::{PrometheusServer, scrape_job};
use promforge_tests::{HttpResponse, check_exposition, request};

fn registry() -> Registry {
    let r = Registry::new();
    r.counter("auth_demo_requests", "Requests served.")
        .expect("counter")
        .inc_by(5);
    r
}

async fn start(exporter: Exporter) -> ExporterHandle {
    exporter.bind("127.0.0.1:0").start().await.expect("start")
}

fn basic(user: &str, password: &str) -> String {
    basic_bytes(format!("{user}:{password}").as_bytes())
}

fn basic_bytes(raw: &[u8]) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

async fn get_with(addr: SocketAddr, path: &str, authorization: Option<&str>) -> HttpResponse {
    let headers: Vec<(&str, &str)> = authorization
        .map(|a| vec![("authorization", a)])
        .unwrap_or_default();
    request(addr, "GET", path, &headers)
        .await
        .unwrap_or_else(|e| panic!("GET {path}: {e}"))
}

fn challenges(resp: &HttpResponse) -> Vec<String> {
    resp.headers
        .get_all("www-authenticate")
        .iter()
        .map(|v| v.to_str().expect("ascii").to_owned())
        .collect()
}

#[tokio::test]
async fn basic_auth_with_a_plain_password() {
    let handle = start(
        Exporter::new(registry())
            .access(Access::open().basic_auth("prometheus", Password::plain("s3cret")))
            .route_access(Route::Health, Access::open()),
    )
    .await;
    let addr = handle.local_addr();

    let refused = get_with(addr, "/metrics", None).await;
    assert_eq!(refused.status, 401);
    assert_eq!(
        challenges(&refused),
        ["Basic realm=\"promforge\", charset=\"UTF-8\""]
    );
    assert!(!refused.text().contains("auth_demo"), "no metrics leak");

    for wrong in [
        basic("prometheus", "wrong"),
        basic("prometheus", "s3cre"),
        basic("prometheus", "s3cret "),
        basic("someone", "s3cret"),
        basic("", "s3cret"),
        basic("prometheus", ""),
        "Basic".to_owned(),
        "Basic !!!not base64!!!".to_owned(),
        basic_bytes(b"no colon at all"),
        basic_bytes(b"prometheus:\xff\xfe\x00"),
        basic_bytes(b"\xc3\x28:\xa0\xa1"),
        "Bearer s3cret".to_owned(),
        "Digest username=\"prometheus\"".to_owned(),
        "s3cret".to_owned(),
    ] {
        let resp = get_with(addr, "/metrics", Some(&wrong)).await;
        assert_eq!(resp.status, 401, "{wrong}");
        assert!(!challenges(&resp).is_empty());
    }

    let ok = get_with(addr, "/metrics", Some(&basic("prometheus", "s3cret"))).await;
    assert_eq!(ok.status, 200);
    let parsed = check_exposition(&ok.text());
    assert_eq!(parsed.value("auth_demo_requests_total", &[]), Some(5.0));
    // The scheme is case-insensitive.
    let lower = basic("prometheus", "s3cret").replacen("Basic", "basic", 1);
    assert_eq!(get_with(addr, "/metrics", Some(&lower)).await.status, 200);

    // Two Authorization headers are ambiguous: refused.
    let good = basic("prometheus", "s3cret");
    let twice = request(
        addr,
        "GET",
        "/metrics",
        &[("authorization", &good), ("authorization", &good)],
    )
    .await
    .expect("request");
    assert_eq!(twice.status, 401);

    // /health stays open, /ready follows the default access.
    assert_eq!(get_with(addr, "/health", None).await.status, 200);
    assert_eq!(get_with(addr, "/ready", None).await.status, 401);
    assert_eq!(get_with(addr, "/ready", Some(&good)).await.status, 200);
    // Other methods: credentials first, then 405; unknown paths: 404.
    assert_eq!(
        request(addr, "POST", "/metrics", &[])
            .await
            .expect("post")
            .status,
        401
    );
    assert_eq!(
        request(addr, "POST", "/metrics", &[("authorization", &good)])
            .await
            .expect("post")
            .status,
        405
    );
    let head = request(addr, "HEAD", "/metrics", &[]).await.expect("head");
    assert_eq!(head.status, 401);
    assert_eq!(get_with(addr, "/nope", None).await.status, 404);
    handle.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn bearer_tokens_and_several_users() {
    let handle = start(
        Exporter::new(registry()).access(
            Access::open()
                .basic_auth("alice", Password::plain("a-pass"))
                .basic_auth("bob", Password::plain("b-pass"))
                .bearer_token("token-one")
                .bearer_token("token-two")
                .realm("metrics \"internal\""),
        ),
    )
    .await;
    let addr = handle.local_addr();
    let refused = get_with(addr, "/metrics", None).await;
    assert_eq!(refused.status, 401);
    assert_eq!(
        challenges(&refused),
        [
            "Basic realm=\"metrics \\\"internal\\\"\", charset=\"UTF-8\"",
            "Bearer realm=\"metrics \\\"internal\\\"\"",
        ]
    );
    for good in [
        basic("alice", "a-pass"),
        basic("bob", "b-pass"),
        "Bearer token-one".to_owned(),
        "Bearer token-two".to_owned(),
        "bearer  token-two ".to_owned(),
    ] {
        assert_eq!(
            get_with(addr, "/metrics", Some(&good)).await.status,
            200,
            "{good}"
        );
    }
    for bad in [
        basic("alice", "b-pass"),
        basic("bob", "a-pass"),
        "Bearer token-on".to_owned(),
        "Bearer token-one-and-more".to_owned(),
        "Bearer ".to_owned(),
        "Bearer token-one token-two".to_owned(),
    ] {
        assert_eq!(
            get_with(addr, "/metrics", Some(&bad)).await.status,
            401,
            "{bad}"
        );
    }
    handle.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn bcrypt_hashed_password() {
    let hash = bcrypt::hash("s3cret", 4).expect("bcrypt");
    // htpasswd writes `$2y$`: the same hash under that prefix is accepted too.
    let htpasswd_style = hash.replacen("$2b$", "$2y$", 1);
    for stored in [hash, htpasswd_style] {
        let handle = start(
            Exporter::new(registry())
                .access(Access::open().basic_auth("prometheus", Password::hashed(&stored))),
        )
        .await;
        let addr = handle.local_addr();
        assert_eq!(get_with(addr, "/metrics", None).await.status, 401);
        let good = basic("prometheus", "s3cret");
        let bad = basic("prometheus", "s3cret!");
        // Right and wrong credentials interleaved, concurrently: the remembered right
        // password never lets a wrong one in.
        let mut tasks = Vec::new();
        for i in 0..40 {
            let auth = if i % 2 == 0 {
                good.clone()
            } else {
                bad.clone()
            };
            tasks.push(tokio::spawn(async move {
                (i, get_with(addr, "/metrics", Some(&auth)).await.status)
            }));
        }
        for task in tasks {
            let (i, status) = task.await.expect("task");
            assert_eq!(status, if i % 2 == 0 { 200 } else { 401 }, "request {i}");
        }
        assert_eq!(
            get_with(addr, "/metrics", Some(&basic("mallory", "s3cret")))
                .await
                .status,
            401
        );
        handle.shutdown().await.expect("shutdown");
    }
}

#[tokio::test]
async fn argon2_hashed_password() {
    use argon2::password_hash::{PasswordHasher as _, SaltString};
    // Small parameters keep the test fast in debug builds; the exporter reads them from
    // the PHC string.
    let params = argon2::Params::new(1024, 1, 1, None).expect("params");
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let salt = SaltString::from_b64("c29tZXNhbHRzb21lc2FsdA").expect("salt");
    let hash = argon
        .hash_password(b"s3cret", &salt)
        .expect("argon2")
        .to_string();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    let handle = start(
        Exporter::new(registry())
            .access(Access::open().basic_auth("prometheus", Password::hashed(hash))),
    )
    .await;
    let addr = handle.local_addr();
    assert_eq!(get_with(addr, "/metrics", None).await.status, 401);
    assert_eq!(
        get_with(addr, "/metrics", Some(&basic("prometheus", "nope")))
            .await
            .status,
        401
    );
    for _ in 0..3 {
        assert_eq!(
            get_with(addr, "/metrics", Some(&basic("prometheus", "s3cret")))
                .await
                .status,
            200
        );
    }
    handle.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn unusable_settings_are_start_up_errors() {
    let cases: Vec<(Access, &str)> = vec![
        (
            Access::open().basic_auth("prometheus", Password::hashed("$2b$04$tooshort")),
            "`prometheus`",
        ),
        (
            Access::open().basic_auth("prometheus", Password::hashed("$argon2id$v=19$garbage")),
            "Argon2",
        ),
        (
            Access::open().basic_auth("prometheus", Password::hashed("{SHA}abc")),
            "neither bcrypt",
        ),
        (
            Access::open().basic_auth("prometheus", Password::plain("")),
            "empty",
        ),
        (Access::open().bearer_token(""), "empty"),
        (Access::open().allow_network("10.0.0/8"), "`10.0.0/8`"),
        (Access::open().allow_network("10.0.0.0/40"), "0 to 32"),
    ];
    for (access, expected) in cases {
        let err = Exporter::new(registry())
            .bind("127.0.0.1:0")
            .access(access)
            .start()
            .await
            .err()
            .unwrap_or_else(|| panic!("accepted a setting that should fail with `{expected}`"));
        assert!(matches!(err, Error::InvalidAccess { .. }), "{err:?}");
        assert!(err.to_string().contains(expected), "{err}");
    }
    // Per-route settings are checked too, and before binding.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let err = Exporter::new(registry())
        .bind(taken.local_addr().expect("addr").to_string())
        .route_access(Route::Ready, Access::open().allow_network("nonsense"))
        .start()
        .await
        .expect_err("refused");
    assert!(matches!(err, Error::InvalidAccess { .. }), "{err:?}");
}

#[tokio::test]
async fn client_network_allow_list() {
    // Loopback is allowed: everything works.
    let handle = start(
        Exporter::new(registry()).access(
            Access::open()
                .allow_network("10.0.0.0/8")
                .allow_network("127.0.0.0/8"),
        ),
    )
    .await;
    assert_eq!(
        get_with(handle.local_addr(), "/metrics", None).await.status,
        200
    );
    handle.shutdown().await.expect("shutdown");

    // Only /metrics is restricted to a network the client is not in: 403 there, the
    // other routes answer.
    let handle = start(
        Exporter::new(registry())
            .route_access(Route::Metrics, Access::open().allow_network("10.0.0.0/8")),
    )
    .await;
    let addr = handle.local_addr();
    let forbidden = get_with(addr, "/metrics", None).await;
    assert_eq!(forbidden.status, 403);
    assert!(!forbidden.text().contains("auth_demo"));
    assert_eq!(get_with(addr, "/health", None).await.status, 200);
    handle.shutdown().await.expect("shutdown");

    // Network and credentials together: both are needed.
    let handle = start(
        Exporter::new(registry()).access(
            Access::open()
                .allow_network("127.0.0.1/32")
                .bearer_token("tok"),
        ),
    )
    .await;
    let addr = handle.local_addr();
    assert_eq!(get_with(addr, "/metrics", None).await.status, 401);
    assert_eq!(
        get_with(addr, "/metrics", Some("Bearer tok")).await.status,
        200
    );
    handle.shutdown().await.expect("shutdown");

    // No route lets loopback in: the connection is closed as soon as it is accepted.
    let handle =
        start(Exporter::new(registry()).access(Access::open().allow_network("192.0.2.0/24"))).await;
    let addr = handle.local_addr();
    for _ in 0..20 {
        let outcome = request(addr, "GET", "/metrics", &[]).await;
        assert!(outcome.is_err(), "{outcome:?}");
    }
    handle.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn real_prometheus_scrapes_with_basic_auth_and_bearer_token() {
    let plain = start(
        Exporter::new(registry())
            .access(Access::open().basic_auth("prometheus", Password::plain("s3cret"))),
    )
    .await;
    let hash = bcrypt::hash("hashed-s3cret", 4).expect("bcrypt");
    let hashed = start(
        Exporter::new(registry())
            .access(Access::open().basic_auth("prometheus", Password::hashed(hash))),
    )
    .await;
    let bearer =
        start(Exporter::new(registry()).access(Access::open().bearer_token("a-long-random-token")))
            .await;
    let wrong = start(
        Exporter::new(registry())
            .access(Access::open().basic_auth("prometheus", Password::plain("other"))),
    )
    .await;
    // The first job is `plain`; the others are appended after it.
    let extra = [
        "    basic_auth: {username: prometheus, password: s3cret}\n".to_owned(),
        scrape_job(
            "hashed",
            hashed.local_addr(),
            "    basic_auth: {username: prometheus, password: hashed-s3cret}\n",
        ),
        scrape_job(
            "bearer",
            bearer.local_addr(),
            "    authorization: {credentials: a-long-random-token}\n",
        ),
        scrape_job(
            "wrong",
            wrong.local_addr(),
            "    basic_auth: {username: prometheus, password: s3cret}\n",
        ),
    ]
    .concat();
    let prometheus = PrometheusServer::start("plain", &[plain.local_addr()], &extra).await;
    prometheus
        .wait_until_scraped(
            &["plain", "hashed", "bearer"],
            "auth_demo_requests_total",
            5.0,
        )
        .await;
    // Wrong credentials: the target is down, and Prometheus says why.
    prometheus
        .wait_for("up{job=\"wrong\"}", Duration::from_secs(60), |v| v == 0.0)
        .await;
    let targets = prometheus.targets().await;
    let wrong_target = targets
        .iter()
        .find(|t| t["labels"]["job"] == "wrong")
        .unwrap_or_else(|| panic!("no `wrong` target: {targets:#?}"));
    let last_error = wrong_target["lastError"].as_str().unwrap_or("");
    assert!(last_error.contains("401"), "{wrong_target:#?}");
    drop(prometheus);
    for handle in [plain, hashed, bearer, wrong] {
        handle.shutdown().await.expect("shutdown");
    }
}
