//! What the registry renders, parsed back strictly and checked by `promtool check metrics`.

use promforge::{Counter, Gauge, Histogram, Registry};
use promforge_tests::{check_exposition, exposition};

#[test]
fn every_metric_type_parses_back_and_passes_promtool() {
    let r = Registry::builder()
        .prefix("app")
        .const_label("service", "api")
        .const_label("environment", "test")
        .build()
        .expect("registry");
    r.counter("http_requests", "HTTP requests served.")
        .expect("c")
        .inc_by(42);
    r.float_counter("cpu_seconds_total", "CPU time used.")
        .expect("fc")
        .inc_by(1.25);
    let g = r.gauge("connections", "Open connections.").expect("g");
    g.set(-2);
    let temps = r
        .float_gauge("temperature_celsius", "Temperature.")
        .expect("fg");
    temps.set(21.5);
    r.float_gauge("nan_value", "A gauge holding NaN.")
        .expect("nan")
        .set(f64::NAN);
    r.float_gauge("pos_inf", "A gauge holding +Inf.")
        .expect("inf")
        .set(f64::INFINITY);
    r.float_gauge("neg_inf", "A gauge holding -Inf.")
        .expect("-inf")
        .set(f64::NEG_INFINITY);
    r.float_gauge("tiny", "A tiny value.")
        .expect("tiny")
        .set(1.5e-12);
    r.float_gauge("huge", "A huge value.")
        .expect("huge")
        .set(6.02e300);
    let h = r
        .histogram(
            "request_duration_seconds",
            "Request latency.",
            &[0.005, 0.1, 1.0, 2.5, 1e6],
        )
        .expect("h");
    for v in [0.001, 0.05, 0.05, 0.7, 3.0, 2e6] {
        h.observe(v);
    }

    let text = r.render();
    let e = check_exposition(&text);

    // Every series carries the constant labels.
    for s in e.samples() {
        assert_eq!(s.label("service"), Some("api"), "{s:?}");
        assert_eq!(s.label("environment"), Some("test"), "{s:?}");
    }
    let fam = e.family("app_http_requests_total").expect("counter family");
    assert_eq!(fam.kind, "counter");
    assert_eq!(fam.help.as_deref(), Some("HTTP requests served."));
    assert_eq!(e.value("app_http_requests_total", &[]), Some(42.0));
    assert_eq!(e.value("app_cpu_seconds_total", &[]), Some(1.25));
    assert_eq!(e.value("app_connections", &[]), Some(-2.0));
    assert_eq!(e.value("app_temperature_celsius", &[]), Some(21.5));
    assert!(e.value("app_nan_value", &[]).is_some_and(f64::is_nan));
    assert_eq!(e.value("app_pos_inf", &[]), Some(f64::INFINITY));
    assert_eq!(e.value("app_neg_inf", &[]), Some(f64::NEG_INFINITY));
    assert_eq!(e.value("app_tiny", &[]), Some(1.5e-12));
    assert_eq!(e.value("app_huge", &[]), Some(6.02e300));

    let hist = e.family("app_request_duration_seconds").expect("histogram");
    assert_eq!(hist.kind, "histogram");
    let les: Vec<_> = hist.samples.iter().filter_map(|s| s.label("le")).collect();
    // `le` is written as the Go client writes it, so dashboards match across clients.
    assert_eq!(les, ["0.005", "0.1", "1", "2.5", "1e+06", "+Inf"]);
    assert_eq!(
        e.value("app_request_duration_seconds_bucket", &[("le", "0.1")]),
        Some(3.0)
    );
    assert_eq!(
        e.value("app_request_duration_seconds_bucket", &[("le", "+Inf")]),
        Some(6.0)
    );
    assert_eq!(
        e.value("app_request_duration_seconds_count", &[]),
        Some(6.0)
    );
    let sum = e
        .value("app_request_duration_seconds_sum", &[])
        .expect("sum");
    assert!((sum - 2_000_003.801).abs() < 1e-6, "{sum}");
}

#[test]
fn label_values_are_escaped_and_round_trip() {
    let nasty = [
        "double \"quotes\"",
        "back\\slash",
        "new\nline",
        "trailing backslash \\",
        "ünïcödé ✓ 日本語 🦀",
        "",
        "\\n literal",
        "tab\tand}brace{,comma=",
    ];
    for value in nasty {
        let r = Registry::builder()
            .const_label("value", value)
            .build()
            .expect("any UTF-8 is a valid label value");
        r.counter("events", "Events.").expect("counter").inc();
        r.histogram("sizes_bytes", "Sizes.", &[1.0, 10.0])
            .expect("h")
            .observe(5.0);
        let text = r.render();
        let e = check_exposition(&text);
        for s in e.samples() {
            assert_eq!(s.label("value"), Some(value), "in {text}");
        }
    }
}

#[test]
fn help_text_is_escaped_and_round_trips() {
    let help = "Line one\nline two with \\ and \"quotes\" and ✓";
    let r = Registry::new();
    r.gauge("documented", help).expect("gauge");
    let e = check_exposition(&r.render());
    assert_eq!(
        e.family("documented")
            .and_then(|f| f.help.clone())
            .as_deref(),
        Some(help)
    );
}

#[test]
fn registration_errors_leave_the_registry_intact() {
    let r = Registry::new();
    let c = r.counter("jobs", "Jobs done.").expect("first");
    c.inc();
    assert!(matches!(
        r.counter("jobs", "Again."),
        Err(promforge::Error::AlreadyRegistered { .. })
    ));
    assert!(matches!(
        r.register("jobs_total", "Same family as a gauge.", Gauge::<i64>::new()),
        Err(promforge::Error::AlreadyRegistered { .. })
    ));
    for bad in ["", "1abc", "with space", "dash-ed", "dotted.name", "ümlaut"] {
        let err = r
            .register(bad, "Bad name.", Counter::<u64>::new())
            .expect_err(bad);
        assert!(
            matches!(err, promforge::Error::InvalidMetricName { .. }),
            "{bad}: {err:?}"
        );
        assert!(err.to_string().contains("invalid metric name"), "{err}");
    }
    let e = check_exposition(&r.render());
    assert_eq!(e.families.len(), 1);
    assert_eq!(e.value("jobs_total", &[]), Some(1.0));
}

#[test]
fn includes_an_existing_prometheus_registry() {
    let legacy = prometheus::Registry::new();
    let old = prometheus::IntCounterVec::new(
        prometheus::Opts::new("legacy_requests_total", "Requests counted by older code."),
        &["path"],
    )
    .expect("vec");
    legacy.register(Box::new(old.clone())).expect("register");
    old.with_label_values(&["/a"]).inc_by(3);
    // A family promforge also serves: left out, so the name keeps one TYPE.
    let clash = prometheus::IntGauge::new("jobs_total", "Clashes with ours.").expect("gauge");
    legacy.register(Box::new(clash)).expect("register");

    let r = Registry::builder()
        .const_label("service", "mixed")
        .build()
        .expect("registry");
    r.counter("jobs", "Jobs done.").expect("counter").inc();
    r.include_prometheus_registry(legacy);

    let e = check_exposition(&r.render());
    assert_eq!(
        e.value(
            "legacy_requests_total",
            &[("path", "/a"), ("service", "mixed")]
        ),
        Some(3.0)
    );
    assert_eq!(
        e.family("jobs_total").map(|f| f.kind.as_str()),
        Some("counter")
    );
    assert_eq!(e.families.len(), 2);
}

#[test]
fn render_into_reuses_the_buffer() {
    let r = Registry::new();
    let h = Histogram::new();
    r.register("work_seconds", "Work.", h.clone())
        .expect("register");
    h.observe(0.2);
    let mut buf = Vec::new();
    r.render_into(&mut buf);
    let first = buf.clone();
    let capacity = buf.capacity();
    buf.clear();
    r.render_into(&mut buf);
    assert_eq!(buf, first);
    assert_eq!(
        buf.capacity(),
        capacity,
        "a second render into the same buffer reallocated"
    );
    assert_eq!(String::from_utf8(first).expect("utf-8"), r.render());
    exposition::parse(&r.render()).expect("parses");
}

struct WorkerStats {
    workers: Vec<(u32, u64, f64)>,
}

impl promforge::Collector for WorkerStats {
    fn families(&self) -> Vec<promforge::FamilyDesc> {
        use promforge::{FamilyDesc, MetricType};
        vec![
            FamilyDesc::new(
                "worker_messages_processed",
                "Messages processed.",
                MetricType::Counter,
            ),
            FamilyDesc::new(
                "worker_memory_usage_bytes",
                "Memory in use.",
                MetricType::Gauge,
            ),
            FamilyDesc::new(
                "worker_never_written",
                "Written by nobody.",
                MetricType::Gauge,
            ),
            FamilyDesc::new("worker_batch_size", "Batch sizes.", MetricType::Histogram),
        ]
    }

    fn collect(&self, out: &mut promforge::CollectorEncoder<'_>) {
        // Interleaved on purpose: worker by worker, family by family.
        for (id, messages, memory_mb) in &self.workers {
            let mut labels = String::new();
            promforge::encoding::push_label_pair(&mut labels, "worker_id", &id.to_string());
            out.sample(0, &labels, *messages);
            out.sample(1, &labels, memory_mb * 1_048_576.0);
            let buckets = promforge::encoding::BucketLabels::new(&[10.0]);
            out.with_family(3, &labels, |enc| enc.histogram(&buckets, [1, 1], 25.0));
            out.sample(99, &labels, 1u64); // out of range: ignored
        }
    }
}

#[test]
fn collectors_are_read_at_scrape_time_and_grouped_by_family() {
    let r = Registry::builder()
        .prefix("polypy")
        .const_label("service", "stats")
        .build()
        .expect("registry");
    let names = r
        .register_collector(WorkerStats {
            workers: vec![(1, 10, 1.5), (2, 20, 2.0)],
        })
        .expect("collector");
    assert_eq!(names[0], "polypy_worker_messages_processed_total");
    let e = check_exposition(&r.render());
    assert_eq!(
        e.value(
            "polypy_worker_messages_processed_total",
            &[("worker_id", "2"), ("service", "stats")]
        ),
        Some(20.0)
    );
    assert_eq!(
        e.value("polypy_worker_memory_usage_bytes", &[("worker_id", "1")]),
        Some(1.5 * 1_048_576.0)
    );
    assert_eq!(
        e.value("polypy_worker_batch_size_count", &[("worker_id", "2")]),
        Some(2.0)
    );
    assert!(e.family("polypy_worker_never_written").is_none());
    // The same families twice is refused, and so is a clash with a registered metric.
    assert!(matches!(
        r.register_collector(WorkerStats { workers: vec![] }),
        Err(promforge::Error::AlreadyRegistered { .. })
    ));
    assert!(matches!(
        r.counter("worker_messages_processed", "Clash."),
        Err(promforge::Error::AlreadyRegistered { .. })
    ));
}

#[test]
fn summaries_render_quantiles_sum_and_count() {
    #[derive(promforge::LabelSet, Clone)]
    struct Route {
        route: String,
    }
    let r = Registry::builder().prefix("api").build().expect("registry");
    let latency = promforge::Summary::builder()
        .quantiles(&[0.5, 0.9, 0.99])
        .build()
        .expect("summary");
    r.register(
        "request_latency_seconds",
        "Request latency.",
        latency.clone(),
    )
    .expect("register");
    let empty = promforge::Summary::new();
    r.register("idle_seconds", "Nothing observed yet.", empty)
        .expect("register");
    let by_route = promforge::Family::<Route, promforge::Summary>::new();
    r.register(
        "route_latency_seconds",
        "Latency by route.",
        by_route.clone(),
    )
    .expect("register");
    for ms in 1..=1000 {
        latency.observe(f64::from(ms) / 1000.0);
    }
    by_route.get(&Route { route: "/a".into() }).observe(0.25);

    let e = check_exposition(&r.render());
    let fam = e
        .family("api_request_latency_seconds")
        .expect("summary family");
    assert_eq!(fam.kind, "summary");
    let quantiles: Vec<(String, f64)> = fam
        .samples
        .iter()
        .filter_map(|s| s.label("quantile").map(|q| (q.to_owned(), s.value)))
        .collect();
    assert_eq!(
        quantiles
            .iter()
            .map(|(q, _)| q.as_str())
            .collect::<Vec<_>>(),
        ["0.5", "0.9", "0.99"]
    );
    for ((_, v), exact) in quantiles.iter().zip([0.5, 0.9, 0.99]) {
        assert!((v - exact).abs() <= exact * 0.011, "{v} vs {exact}");
    }
    assert!(quantiles.windows(2).all(|w| w[0].1 <= w[1].1), "ordered");
    assert_eq!(
        e.value("api_request_latency_seconds_count", &[]),
        Some(1000.0)
    );
    let sum = e
        .value("api_request_latency_seconds_sum", &[])
        .expect("sum");
    assert!((sum - 500.5).abs() < 1e-9);
    // An empty window reports NaN quantiles, as the Go client does.
    assert!(
        e.value("api_idle_seconds", &[("quantile", "0.5")])
            .is_some_and(f64::is_nan)
    );
    assert_eq!(
        e.value("api_route_latency_seconds_count", &[("route", "/a")]),
        Some(1.0)
    );
}

struct Flaky {
    calls: std::sync::atomic::AtomicU64,
}

impl promforge::Collector for Flaky {
    fn families(&self) -> Vec<promforge::FamilyDesc> {
        vec![promforge::FamilyDesc::new(
            "flaky_value",
            "A value whose source panics every other scrape.",
            promforge::MetricType::Gauge,
        )]
    }

    fn collect(&self, out: &mut promforge::CollectorEncoder<'_>) {
        let n = self
            .calls
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        out.sample(0, "", n);
        if n % 2 == 1 {
            panic!("the stats source failed");
        }
    }
}

#[test]
fn a_panicking_collector_does_not_break_the_scrape() {
    let r = Registry::new();
    r.counter("steady", "Always there.").expect("counter").inc();
    r.register_collector(Flaky {
        calls: std::sync::atomic::AtomicU64::new(0),
    })
    .expect("collector");
    let first = check_exposition(&r.render());
    assert_eq!(first.value("flaky_value", &[]), Some(0.0));
    // The errors counter shows up at its first error, not before.
    assert_eq!(
        first
            .family("promforge_scrape_errors_total")
            .map(|f| f.samples.len()),
        None
    );
    // Second scrape: the source panics; its samples are left out, the rest is served.
    let second = check_exposition(&r.render());
    assert_eq!(second.value("flaky_value", &[]), None);
    assert_eq!(second.value("steady_total", &[]), Some(1.0));
    assert_eq!(
        second.value(
            "promforge_scrape_errors_total",
            &[("collector", "flaky_value")]
        ),
        Some(1.0)
    );
    // And it recovers.
    let third = check_exposition(&r.render());
    assert_eq!(third.value("flaky_value", &[]), Some(2.0));
}
