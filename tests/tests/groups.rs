//! `#[derive(MetricsGroup)]` through the registry: live groups registered twice, and
//! snapshot sources that fail.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use promforge::{Counter, FromFn, Gauge, Histogram, MetricsGroup, Registry, ShardedCounter};
use promforge_tests::check_exposition;

#[derive(MetricsGroup)]
#[metrics(prefix = "observer")]
struct ObserverMetrics {
    /// Events processed.
    events_processed: Counter,
    /// Events being processed right now.
    events_in_flight: Gauge,
    /// Action latency.
    #[metric(unit = "seconds", buckets = [0.001, 0.01, 0.1, 1.0])]
    action_duration: Histogram,
    /// Events received, from every worker thread.
    events_received: ShardedCounter,
}

#[test]
fn a_live_group_registers_renders_and_refuses_a_second_registration() {
    let r = Registry::new();
    let m = ObserverMetrics::register(&r).expect("first registration");
    m.events_processed.inc_by(3);
    m.events_in_flight.set(2);
    m.action_duration.observe(0.05);
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| (0..250).for_each(|_| m.events_received.inc()));
        }
    });
    let e = check_exposition(&r.render());
    assert_eq!(
        e.family("observer_events_received_total")
            .map(|f| f.kind.as_str()),
        Some("counter")
    );
    assert_eq!(e.value("observer_events_received_total", &[]), Some(1000.0));
    let fam = e
        .family("observer_events_processed_total")
        .expect("counter");
    assert_eq!(fam.kind, "counter");
    assert_eq!(fam.help.as_deref(), Some("Events processed."));
    assert_eq!(e.value("observer_events_processed_total", &[]), Some(3.0));
    assert_eq!(e.value("observer_events_in_flight", &[]), Some(2.0));
    assert_eq!(
        e.value("observer_action_duration_seconds_bucket", &[("le", "0.1")]),
        Some(1.0)
    );
    match ObserverMetrics::register(&r) {
        Err(promforge::Error::AlreadyRegistered { name, .. }) => {
            assert_eq!(name, "observer_events_processed_total");
        }
        Err(other) => panic!("unexpected error: {other}"),
        Ok(_) => panic!("a second registration into the same registry must fail"),
    }
    // The first group still works and is still the one rendered.
    m.events_processed.inc();
    assert_eq!(
        check_exposition(&r.render()).value("observer_events_processed_total", &[]),
        Some(4.0)
    );
}

#[derive(MetricsGroup, Clone, Default)]
#[metrics(prefix = "job", snapshot)]
struct JobStats {
    /// Jobs done.
    #[metric(counter)]
    done: u64,
}

#[test]
fn a_panicking_snapshot_closure_does_not_break_the_scrape() {
    let r = Registry::new();
    r.gauge("steady", "Always served.").expect("gauge").set(1);
    let calls = Arc::new(AtomicU64::new(0));
    let stats = Arc::new(Mutex::new(JobStats { done: 5 }));
    let source = {
        let (calls, stats) = (Arc::clone(&calls), Arc::clone(&stats));
        FromFn(move || {
            if calls.fetch_add(1, Ordering::Relaxed) == 1 {
                panic!("the stats are being rebuilt");
            }
            stats.lock().map(|s| s.clone()).unwrap_or_default()
        })
    };
    JobStats::register_snapshot(&r, source).expect("snapshot");

    let first = check_exposition(&r.render());
    assert_eq!(first.value("job_done_total", &[]), Some(5.0));
    let second = check_exposition(&r.render());
    assert_eq!(
        second.value("job_done_total", &[]),
        None,
        "left out this scrape"
    );
    assert_eq!(second.value("steady", &[]), Some(1.0));
    assert_eq!(
        second.value(
            "promforge_scrape_errors_total",
            &[("collector", "job_done_total")]
        ),
        Some(1.0)
    );
    if let Ok(mut s) = stats.lock() {
        s.done = 9;
    }
    let third = check_exposition(&r.render());
    assert_eq!(third.value("job_done_total", &[]), Some(9.0), "fresh again");
}

#[derive(MetricsGroup)]
#[metrics(prefix = "pool")]
struct PoolMetrics {
    /// Connections opened.
    opened: Counter,
    /// Connection waits.
    waits: WaitMetrics,
    /// Connections idle.
    idle: Gauge,
}

#[derive(MetricsGroup)]
struct WaitMetrics {
    /// Time spent waiting for a connection.
    #[metric(unit = "seconds")]
    wait_duration: Histogram,
}

#[test]
fn a_failed_group_registration_leaves_the_registry_as_it_was() {
    let r = Registry::new();
    // The last field's name is taken: the whole group fails, nested fields included.
    let taken = r.gauge("pool_idle", "Someone else's.").expect("gauge");
    taken.set(7);
    match PoolMetrics::register(&r) {
        Err(promforge::Error::AlreadyRegistered { name, .. }) => assert_eq!(name, "pool_idle"),
        Err(other) => panic!("unexpected error: {other}"),
        Ok(_) => panic!("`pool_idle` is taken"),
    }
    assert_eq!(
        r.family_names(),
        ["pool_idle"],
        "nothing of the group stays registered"
    );
    let e = check_exposition(&r.render());
    assert_eq!(e.value("pool_idle", &[]), Some(7.0));

    // Once the name is free, the same group registers in full.
    assert!(r.unregister("pool_idle"));
    let pool = PoolMetrics::register(&r).expect("registers now");
    pool.opened.inc();
    pool.waits.wait_duration.observe(0.2);
    pool.idle.set(3);
    let mut names = r.family_names();
    names.sort();
    assert_eq!(
        names,
        [
            "pool_idle",
            "pool_opened_total",
            "pool_wait_duration_seconds"
        ]
    );
}
