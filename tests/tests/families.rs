//! Families of labeled series: closed sets exposed in full at 0, open sets bounded with a
//! counted overflow, state sets, escaping, and all of it through promtool.

use promforge::{
    Counter, Family, Gauge, Histogram, LabelSet, LabelValue, OVERFLOW_LABEL_VALUE, Registry,
    StateSet,
};
use promforge_tests::check_exposition;

#[derive(LabelValue, Clone, Copy, Debug)]
enum Method {
    #[label(rename = "GET")]
    Get,
    #[label(rename = "POST")]
    Post,
    #[label(rename = "DELETE")]
    Delete,
}

#[derive(LabelValue, Clone, Copy, Debug)]
enum Outcome {
    Ok,
    Timeout,
    ServerError,
}

#[derive(LabelSet, Clone, Copy, Debug)]
struct RequestLabels {
    method: Method,
    outcome: Outcome,
    cached: bool,
}

#[derive(LabelSet, Clone, Debug)]
struct PathLabels {
    path: String,
    method: Method,
}

#[test]
fn closed_families_expose_every_combination_at_zero() {
    assert_eq!(RequestLabels::CARDINALITY, Some(18));
    let r = Registry::builder()
        .const_label("service", "api")
        .build()
        .expect("registry");
    let requests = Family::<RequestLabels, Counter>::new();
    assert!(requests.is_closed());
    r.register("http_requests", "Requests.", requests.clone())
        .expect("register");
    let latency = Family::<RequestLabels, Histogram>::with_buckets(&[0.1, 1.0]).expect("buckets");
    r.register("http_request_duration_seconds", "Latency.", latency.clone())
        .expect("register");

    let e = check_exposition(&r.render());
    let counters = &e.family("http_requests_total").expect("family").samples;
    assert_eq!(counters.len(), 18);
    assert!(counters.iter().all(|s| s.value == 0.0));
    let bucket_lines = e
        .family("http_request_duration_seconds")
        .expect("histogram")
        .samples
        .len();
    assert_eq!(bucket_lines, 18 * (3 + 2));

    let labels = RequestLabels {
        method: Method::Post,
        outcome: Outcome::ServerError,
        cached: true,
    };
    requests.get(&labels).inc_by(5);
    latency.get(&labels).observe(0.5);
    let e = check_exposition(&r.render());
    let want = [
        ("method", "POST"),
        ("outcome", "server_error"),
        ("cached", "true"),
        ("service", "api"),
    ];
    assert_eq!(e.value("http_requests_total", &want), Some(5.0));
    assert_eq!(
        e.value(
            "http_requests_total",
            &[("method", "GET"), ("outcome", "ok"), ("cached", "false")]
        ),
        Some(0.0)
    );
    let mut le1 = want.to_vec();
    le1.push(("le", "1"));
    assert_eq!(
        e.value("http_request_duration_seconds_bucket", &le1),
        Some(1.0)
    );
    // Closed families have no overflow: no overflow counter is exposed for them.
    assert!(e.family(promforge::OVERFLOW_FAMILY).is_none());
}

#[test]
fn every_closed_index_maps_to_its_own_series() {
    let family = Family::<RequestLabels, Counter>::new();
    let mut n = 0;
    for method in [Method::Get, Method::Post, Method::Delete] {
        for outcome in [Outcome::Ok, Outcome::Timeout, Outcome::ServerError] {
            for cached in [false, true] {
                n += 1;
                family
                    .get(&RequestLabels {
                        method,
                        outcome,
                        cached,
                    })
                    .inc_by(n);
            }
        }
    }
    let r = Registry::new();
    r.register("x", "X.", family).expect("register");
    let e = check_exposition(&r.render());
    let mut values: Vec<f64> = e.samples().map(|s| s.value).collect();
    values.sort_by(f64::total_cmp);
    assert_eq!(values, (1..=18).map(|v| v as f64).collect::<Vec<_>>());
}

#[test]
fn open_families_stop_at_the_limit_and_count_the_overflow() {
    let r = Registry::new();
    let hits = Family::<PathLabels, Counter>::new().with_cardinality_limit(3);
    assert!(!hits.is_closed());
    r.register("page_hits", "Page hits.", hits.clone())
        .expect("register");
    let other = Family::<PathLabels, Gauge>::new();
    r.register("page_size", "Page size.", other)
        .expect("register");

    // Before any update: no series, and no overflow counter (it shows at its first count).
    let e = check_exposition(&r.render());
    assert!(e.family(promforge::OVERFLOW_FAMILY).is_none());

    for i in 0..10 {
        let labels = PathLabels {
            path: format!("/item/{i}"),
            method: Method::Get,
        };
        hits.get(&labels).inc();
        hits.get(&labels).inc();
    }
    assert_eq!(hits.len(), 3);
    assert_eq!(hits.overflow_count(), 14);
    let e = check_exposition(&r.render());
    assert_eq!(
        e.family("page_hits_total").map(|f| f.samples.len()),
        Some(4)
    );
    assert_eq!(
        e.value("page_hits_total", &[("path", "/item/0"), ("method", "GET")]),
        Some(2.0)
    );
    assert_eq!(
        e.value(
            "page_hits_total",
            &[
                ("path", OVERFLOW_LABEL_VALUE),
                ("method", OVERFLOW_LABEL_VALUE)
            ]
        ),
        Some(14.0),
        "nothing recorded is lost: overflowed updates land in the overflow series"
    );
    assert_eq!(
        e.value(promforge::OVERFLOW_FAMILY, &[("metric", "page_hits_total")]),
        Some(14.0)
    );

    // Series for things that went away can be removed, making room again.
    assert!(hits.remove(&PathLabels {
        path: "/item/1".into(),
        method: Method::Get
    }));
    assert!(!hits.remove(&PathLabels {
        path: "/item/1".into(),
        method: Method::Get
    }));
    hits.get(&PathLabels {
        path: "/new".into(),
        method: Method::Post,
    })
    .inc();
    assert_eq!(hits.len(), 3);
    assert_eq!(hits.overflow_count(), 14);
    hits.clear();
    assert!(hits.is_empty());
    check_exposition(&r.render());
}

#[test]
fn open_label_values_with_special_characters_round_trip() {
    let r = Registry::new();
    let family = Family::<PathLabels, Counter>::new();
    r.register("requests", "Requests.", family.clone())
        .expect("register");
    let nasty = [
        "/a\"quoted\"",
        "C:\\path\\",
        "multi\nline",
        "ünïcödé ✓ 🦀",
        "",
        "}{,=",
    ];
    for (i, path) in nasty.iter().enumerate() {
        family
            .get(&PathLabels {
                path: (*path).to_owned(),
                method: Method::Delete,
            })
            .inc_by(i as u64 + 1);
    }
    let e = check_exposition(&r.render());
    for (i, path) in nasty.iter().enumerate() {
        assert_eq!(
            e.value("requests_total", &[("path", path), ("method", "DELETE")]),
            Some(i as f64 + 1.0),
            "{path:?}"
        );
    }
}

#[test]
fn concurrent_updates_to_open_and_closed_families_lose_nothing() {
    let closed = Family::<RequestLabels, Counter>::new();
    let open = Family::<PathLabels, Counter>::new();
    std::thread::scope(|s| {
        for t in 0..4 {
            let (closed, open) = (&closed, &open);
            s.spawn(move || {
                for i in 0..5_000 {
                    closed
                        .get(&RequestLabels {
                            method: Method::Get,
                            outcome: Outcome::Ok,
                            cached: i % 2 == 0,
                        })
                        .inc();
                    open.get(&PathLabels {
                        path: format!("/p{}", (i + t) % 50),
                        method: Method::Get,
                    })
                    .inc();
                }
            });
        }
    });
    let r = Registry::new();
    r.register("closed", "Closed.", closed).expect("register");
    r.register("open", "Open.", open).expect("register");
    let e = check_exposition(&r.render());
    let sum = |name: &str| -> f64 {
        e.samples()
            .filter(|s| s.name == name)
            .map(|s| s.value)
            .sum()
    };
    assert_eq!(sum("closed_total"), 20_000.0);
    assert_eq!(sum("open_total"), 20_000.0);
}

#[derive(LabelValue, Clone, Copy, Debug, PartialEq)]
enum ControllerStatus {
    Stopped,
    Running,
    Stopping,
}

#[test]
fn a_state_set_has_exactly_one_current_state() {
    let r = Registry::builder()
        .prefix("dagda")
        .build()
        .expect("registry");
    let status = StateSet::<ControllerStatus>::new("status").expect("state set");
    r.register("status", "Controller state.", status.clone())
        .expect("register");
    let check = |want: &str| {
        let e = check_exposition(&r.render());
        let fam = e.family("dagda_status").expect("family");
        assert_eq!(fam.kind, "gauge");
        assert_eq!(fam.samples.len(), 3);
        for s in &fam.samples {
            let expected = if s.label("status") == Some(want) {
                1.0
            } else {
                0.0
            };
            assert_eq!(s.value, expected, "{s:?}");
        }
    };
    check("stopped");
    status.set(ControllerStatus::Running);
    assert!(status.is(&ControllerStatus::Running));
    assert_eq!(status.current_value(), "running");
    check("running");
    status.set(ControllerStatus::Stopping);
    check("stopping");
    status.set(ControllerStatus::Stopped);
    check("stopped");
    assert!(matches!(
        StateSet::<ControllerStatus>::new("le"),
        Err(promforge::Error::InvalidLabelName { .. })
    ));
    assert!(matches!(
        StateSet::<bool>::new("bad name"),
        Err(promforge::Error::InvalidLabelName { .. })
    ));
}

#[test]
fn family_labels_may_not_repeat_constant_labels() {
    #[derive(LabelSet, Clone)]
    struct ServiceLabels {
        service: String,
    }
    let r = Registry::builder()
        .const_label("service", "api")
        .build()
        .expect("registry");
    let err = r
        .register("x", "X.", Family::<ServiceLabels, Counter>::new())
        .expect_err("clash");
    assert!(matches!(err, promforge::Error::LabelClash { .. }), "{err}");
    assert!(
        matches!(
            r.register(
                "promforge_cardinality_overflow_total",
                "Ours.",
                Counter::<u64>::new()
            ),
            Err(promforge::Error::AlreadyRegistered { .. })
        ),
        "the overflow family's name is reserved"
    );
}

#[test]
fn update_methods_on_families_match_their_handles() {
    let r = Registry::new();
    let counts = Family::<PathLabels, Counter>::new().with_cardinality_limit(2);
    let levels = Family::<RequestLabels, Gauge<f64>>::new();
    let sizes = Family::<PathLabels, Histogram>::with_buckets(&[10.0, 100.0]).expect("buckets");
    r.register("counts", "Counts.", counts.clone())
        .expect("register");
    r.register("levels", "Levels.", levels.clone())
        .expect("register");
    r.register("sizes_bytes", "Sizes.", sizes.clone())
        .expect("register");

    let a = PathLabels {
        path: "/a".into(),
        method: Method::Get,
    };
    let b = PathLabels {
        path: "/b".into(),
        method: Method::Get,
    };
    let c = PathLabels {
        path: "/c".into(),
        method: Method::Get,
    };
    counts.inc(&a);
    counts.inc_by(&a, 4);
    counts.inc(&b);
    counts.inc(&c); // past the limit of 2: overflow
    assert_eq!(counts.get(&a).get(), 5);
    assert_eq!(counts.overflow_count(), 1);

    let g = RequestLabels {
        method: Method::Post,
        outcome: Outcome::Timeout,
        cached: false,
    };
    levels.set(&g, 2.5);
    levels.add(&g, 1.0);
    levels.inc(&g);
    levels.dec(&g);
    assert_eq!(levels.get(&g).get(), 3.5);

    sizes.observe(&a, 50.0);
    sizes.observe(&a, 500.0);
    assert_eq!(sizes.get(&a).count(), 2);

    let e = check_exposition(&r.render());
    assert_eq!(e.value("counts_total", &[("path", "/a")]), Some(5.0));
    assert_eq!(
        e.value("counts_total", &[("path", OVERFLOW_LABEL_VALUE)]),
        Some(1.0)
    );
    assert_eq!(
        e.value(
            "levels",
            &[
                ("method", "POST"),
                ("outcome", "timeout"),
                ("cached", "false")
            ]
        ),
        Some(3.5)
    );
    assert_eq!(
        e.value("sizes_bytes_bucket", &[("path", "/a"), ("le", "100")]),
        Some(1.0)
    );
    assert_eq!(e.value("sizes_bytes_count", &[("path", "/a")]), Some(2.0));
}
