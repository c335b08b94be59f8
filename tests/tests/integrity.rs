//! Data integrity under the ways production stresses a metrics library: threads that come
//! and go (and call instrumented code from their thread-local destructors), async calls
//! that migrate between workers while scrapes run, families past their cardinality limit,
//! and groups that fail to register while other threads scrape and register. Exact totals
//! are asserted at rest and bounds in every render.

use std::cell::RefCell;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use promforge::{Counter, Error, Family, Histogram, MetricsGroup, Registry, instrument_metrics};
use promforge_tests::check_exposition;
use promforge_tests::exposition::Exposition;

static REG: LazyLock<Registry> = LazyLock::new(Registry::new);

fn calls(e: &Exposition, function: &str, result: &str) -> f64 {
    e.value(
        "function_calls_total",
        &[("function", function), ("result", result)],
    )
    .unwrap_or(0.0)
}

#[instrument_metrics(registry = REG)]
fn flush_on_exit(n: u64) -> u64 {
    n + 1
}

/// A connection pool of a thread: flushes (an instrumented call) when the thread exits.
struct Pool;

impl Drop for Pool {
    fn drop(&mut self) {
        for i in 0..3 {
            std::hint::black_box(flush_on_exit(i));
        }
    }
}

thread_local! {
    static POOL_FIRST: RefCell<Option<Pool>> = const { RefCell::new(None) };
    static POOL_LAST: RefCell<Option<Pool>> = const { RefCell::new(None) };
}

/// Used to abort the process: the destructor's call reached a thread-local of promforge's
/// that was already destroyed ("cannot access a Thread Local Storage value during or after
/// destruction" → "thread local panicked on drop").
#[test]
fn instrumented_calls_from_thread_exit_destructors_are_counted() {
    let threads: Vec<_> = (0..16)
        .map(|t| {
            std::thread::spawn(move || {
                // Destroyed after promforge's own thread-locals of this thread…
                POOL_FIRST.set(Some(Pool));
                if t % 2 == 0 {
                    flush_on_exit(0);
                }
                // …and before them.
                POOL_LAST.set(Some(Pool));
            })
        })
        .collect();
    for thread in threads {
        // A join waits for the thread's thread-local destructors.
        assert!(thread.join().is_ok(), "a thread panicked");
    }
    let e = check_exposition(&REG.render());
    assert_eq!(calls(&e, "flush_on_exit", "ok"), (16 * 6 + 8) as f64);
    assert_eq!(
        e.value(
            "function_calls_concurrent",
            &[("function", "flush_on_exit")]
        ),
        Some(0.0)
    );
    assert_eq!(
        e.value(
            "function_calls_duration_seconds_count",
            &[("function", "flush_on_exit")]
        ),
        Some((16 * 6 + 8) as f64)
    );
}

static MIGRATING: LazyLock<Registry> = LazyLock::new(Registry::new);

#[instrument_metrics(registry = MIGRATING)]
async fn migrating_call(hops: u32) -> u32 {
    for _ in 0..hops {
        tokio::task::yield_now().await;
    }
    hops
}

#[instrument_metrics(registry = MIGRATING)]
fn short_lived_thread_call() -> u32 {
    std::hint::black_box(7)
}

/// Async calls that start on one worker and end on another, threads that come and go, and
/// a blocking pool, with a scrape running all the while: in flight is never negative and
/// never more than the calls that can exist; every call is counted once at rest.
#[test]
fn in_flight_is_never_impossible_under_migration_and_thread_churn() {
    const TASKS: u64 = 64;
    const CALLS: u64 = 1_000;
    const THREADS: u64 = 200;
    const BLOCKING: u64 = 200;
    let done = AtomicBool::new(false);
    let renders = AtomicU64::new(0);
    std::thread::scope(|s| {
        s.spawn(|| {
            while !done.load(Ordering::Relaxed) {
                let e = promforge_tests::exposition::parse(&MIGRATING.render())
                    .expect("a parsable render");
                for (function, most) in [("migrating_call", TASKS), ("short_lived_thread_call", 8)]
                {
                    let in_flight = e
                        .value("function_calls_concurrent", &[("function", function)])
                        .unwrap_or(0.0);
                    assert!(
                        (0.0..=most as f64).contains(&in_flight),
                        "{function}: {in_flight} in flight, at most {most} possible"
                    );
                }
                renders.fetch_add(1, Ordering::Relaxed);
            }
        });
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(8)
            .max_blocking_threads(8)
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async {
            let tasks: Vec<_> = (0..TASKS)
                .map(|t| {
                    tokio::spawn(async move {
                        for i in 0..CALLS {
                            migrating_call(1 + ((t + i) % 3) as u32).await;
                        }
                    })
                })
                .collect();
            let blocking: Vec<_> = (0..BLOCKING)
                .map(|_| tokio::task::spawn_blocking(short_lived_thread_call))
                .collect();
            for task in tasks {
                task.await.expect("task");
            }
            for task in blocking {
                task.await.expect("blocking task");
            }
        });
        drop(runtime);
        // Threads that come and go, at most 8 at once (well within 8 in flight).
        for _ in 0..THREADS / 8 {
            let batch: Vec<_> = (0..8)
                .map(|_| std::thread::spawn(short_lived_thread_call))
                .collect();
            for thread in batch {
                assert!(thread.join().is_ok());
            }
        }
        done.store(true, Ordering::Relaxed);
    });
    assert!(renders.load(Ordering::Relaxed) > 0);
    let e = check_exposition(&MIGRATING.render());
    assert_eq!(calls(&e, "migrating_call", "ok"), (TASKS * CALLS) as f64);
    assert_eq!(
        calls(&e, "short_lived_thread_call", "ok"),
        (THREADS + BLOCKING) as f64
    );
    for function in ["migrating_call", "short_lived_thread_call"] {
        assert_eq!(
            e.value("function_calls_concurrent", &[("function", function)]),
            Some(0.0),
            "{function}"
        );
    }
}

#[derive(promforge::LabelSet, Clone)]
struct Peer {
    peer: String,
}

fn peer(i: usize) -> Peer {
    Peer {
        peer: format!("p{i}"),
    }
}

fn overflow_total(registry: &Registry, metric: &str) -> f64 {
    check_exposition(&registry.render())
        .value(
            "promforge_cardinality_overflow_total",
            &[("metric", metric)],
        )
        .unwrap_or(0.0)
}

/// `promforge_cardinality_overflow_total` counts the updates that landed in the overflow
/// series, exactly: looking a series up counts nothing.
#[test]
fn the_overflow_counter_counts_updates_not_lookups() -> Result<(), Error> {
    let registry = Registry::new();
    let requests = Family::<Peer, Counter>::new().with_cardinality_limit(2);
    registry.register("peer_requests", "Requests by peer.", requests.clone())?;
    let latency = Family::<Peer, Histogram>::with_buckets(&[0.1, 1.0])?.with_cardinality_limit(1);
    registry.register("peer_latency_seconds", "Latency by peer.", latency.clone())?;

    requests.inc(&peer(0));
    requests.inc(&peer(1));
    // Lookups past the limit, no update.
    for i in 2..200 {
        assert!(requests.get(&peer(i)).is_overflow());
    }
    assert_eq!(requests.overflow_count(), 0);
    assert_eq!(overflow_total(&registry, "peer_requests_total"), 0.0);

    // Updates past the limit: each counted once, whatever its size.
    for i in 2..7 {
        requests.get(&peer(i)).inc();
    }
    for i in 0..7 {
        requests.inc_by(&peer(100 + i), 10);
    }
    requests.inc(&peer(0)); // within the limit: not an overflow
    assert_eq!(requests.overflow_count(), 12);
    assert_eq!(overflow_total(&registry, "peer_requests_total"), 12.0);
    let e = check_exposition(&registry.render());
    assert_eq!(
        e.value("peer_requests_total", &[("peer", "__overflow__")]),
        Some(75.0)
    );

    latency.observe(&peer(0), 0.05);
    for i in 1..9 {
        latency.observe(&peer(i), 0.5);
    }
    let handle = latency.get(&peer(50));
    handle.observe(2.0);
    handle.observe(3.0);
    assert_eq!(overflow_total(&registry, "peer_latency_seconds"), 10.0);
    let e = check_exposition(&registry.render());
    assert_eq!(
        e.value("peer_latency_seconds_count", &[("peer", "__overflow__")]),
        Some(10.0)
    );
    Ok(())
}

#[derive(MetricsGroup)]
#[metrics(prefix = "integrity")]
struct Clashing {
    /// First field: registers fine on its own.
    first: Counter,
    /// Second field: its name is taken, so the group fails here.
    second: Counter,
}

/// A group whose later field fails is never visible half-registered, and a concurrent
/// registration of its first field's name never fails because of it.
#[test]
fn a_failing_group_is_never_visible_half_registered() -> Result<(), Error> {
    let registry = Registry::new();
    registry.counter("integrity_second", "Taken before the group.")?;
    let done = AtomicBool::new(false);
    let renders = AtomicU64::new(0);
    std::thread::scope(|s| {
        // Scrapes, as often as they can.
        s.spawn(|| {
            while !done.load(Ordering::Relaxed) {
                let text = registry.render();
                assert!(
                    !text.contains("# HELP integrity_first_total First field"),
                    "a half-registered group:\n{text}"
                );
                renders.fetch_add(1, Ordering::Relaxed);
            }
        });
        // Registers the group's first name under its own help text, and removes it again.
        s.spawn(|| {
            for _ in 0..2_000 {
                let registered = registry.counter("integrity_first", "Someone else's.");
                assert!(
                    registered.is_ok(),
                    "a spurious failure: {:?}",
                    registered.err()
                );
                assert!(registry.unregister("integrity_first_total"));
            }
        });
        for _ in 0..5_000 {
            match Clashing::register(&registry) {
                Err(Error::AlreadyRegistered { name, .. }) => {
                    assert!(name.starts_with("integrity_"), "{name}");
                }
                other => panic!("expected AlreadyRegistered, got {:?}", other.err()),
            }
        }
        done.store(true, Ordering::Relaxed);
    });
    assert!(renders.load(Ordering::Relaxed) > 0);
    // At rest: the group left nothing behind.
    assert!(registry.unregister("integrity_second_total"));
    let group = Clashing::register(&registry)?;
    group.first.inc();
    group.second.inc_by(2);
    let e = check_exposition(&registry.render());
    assert_eq!(e.value("integrity_first_total", &[]), Some(1.0));
    assert_eq!(e.value("integrity_second_total", &[]), Some(2.0));
    Ok(())
}

#[derive(promforge::LabelValue, Clone, Copy, PartialEq)]
enum Verb {
    Get,
    Put,
}

static LABELED: LazyLock<Registry> = LazyLock::new(Registry::new);

#[instrument_metrics(registry = LABELED, name = "verb_call", labels(verb = verb, peer = peer))]
fn verb_call(verb: Verb, peer: &str, fail: bool) -> Result<(), String> {
    std::hint::black_box(peer);
    if fail { Err("no".into()) } else { Ok(()) }
}

#[instrument_metrics(registry = LABELED, name = "closed_call", labels(verb = verb))]
fn closed_call(verb: Verb, fail: bool) -> Result<(), String> {
    if verb == Verb::Put && fail {
        Err("no".into())
    } else {
        Ok(())
    }
}

/// Labels from arguments: closed values counted in per-thread cells, open ones through
/// the family, from threads that come and go: every call counted once, in its series.
#[test]
fn labeled_calls_are_exact_from_many_threads() {
    let threads: Vec<_> = (0..8)
        .map(|t| {
            std::thread::spawn(move || {
                for i in 0..1_000u32 {
                    let verb = if i % 2 == 0 { Verb::Get } else { Verb::Put };
                    let fail = i % 5 == 0;
                    closed_call(verb, fail).ok();
                    verb_call(verb, if t % 2 == 0 { "a" } else { "b" }, fail).ok();
                }
            })
        })
        .collect();
    for thread in threads {
        assert!(thread.join().is_ok());
    }
    let e = check_exposition(&LABELED.render());
    let closed = |verb: &str, result: &str| {
        e.value(
            "closed_call_calls_total",
            &[("verb", verb), ("result", result)],
        )
        .unwrap_or(0.0)
    };
    // Per thread: 500 get (all ok), 500 put of which 100 fail (i % 5 == 0 and odd i).
    assert_eq!(closed("get", "ok"), 8.0 * 500.0);
    assert_eq!(closed("put", "ok"), 8.0 * 400.0);
    assert_eq!(closed("put", "error"), 8.0 * 100.0);
    assert_eq!(closed("get", "error"), 0.0);
    let open = |peer: &str, result: &str| {
        e.sum(
            "verb_call_calls_total",
            &[("peer", peer), ("result", result)],
        )
    };
    assert_eq!(open("a", "ok") + open("a", "error"), 4.0 * 1000.0);
    assert_eq!(open("b", "error"), 4.0 * 200.0);
}
