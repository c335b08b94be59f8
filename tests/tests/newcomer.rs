//! What a newcomer expects of `#[instrument_metrics]`, over real renders: a method's series
//! name its type, every instrumented function is exposed at 0 before its first call, and
//! what a dropped future records.

use std::future::Future;
use std::sync::LazyLock;
use std::task::{Context, Waker};

use promforge::{Registry, instrument_metrics};
use promforge_tests::check_exposition;
use promforge_tests::exposition::Exposition;

static REG: LazyLock<Registry> = LazyLock::new(Registry::new);

fn calls(e: &Exposition, function: &str, result: &str) -> Option<f64> {
    e.value(
        "function_calls_total",
        &[("function", function), ("result", result)],
    )
}

trait ActionExecutor {
    fn execute(&self, fail: bool) -> Result<(), String>;
}

struct Webhook;
struct Email;

impl ActionExecutor for Webhook {
    #[instrument_metrics(registry = REG)]
    fn execute(&self, fail: bool) -> Result<(), String> {
        if fail { Err("503".into()) } else { Ok(()) }
    }
}

impl ActionExecutor for Email {
    #[instrument_metrics(registry = REG)]
    fn execute(&self, fail: bool) -> Result<(), String> {
        if fail { Err("bounced".into()) } else { Ok(()) }
    }
}

struct Queue<T>(Vec<T>);

#[instrument_metrics(registry = REG)]
impl<T> Queue<T> {
    fn push(&mut self, item: T) {
        self.0.push(item);
    }

    fn len(&self) -> usize {
        self.0.len()
    }
}

#[instrument_metrics(registry = REG)]
fn free_function() -> u8 {
    1
}

/// Methods of the same name in two impls count apart: `function` is `Type::method`.
#[test]
fn methods_of_the_same_name_in_different_impls_count_apart() {
    Webhook.execute(false).ok();
    Webhook.execute(true).ok();
    Webhook.execute(true).ok();
    Email.execute(false).ok();
    let mut ints = Queue(Vec::new());
    ints.push(1u8);
    let mut strings = Queue(Vec::new());
    strings.push("a");
    assert_eq!(ints.len() + strings.len(), 2);
    free_function();

    let e = check_exposition(&REG.render());
    assert_eq!(calls(&e, "Webhook::execute", "ok"), Some(1.0));
    assert_eq!(calls(&e, "Webhook::execute", "error"), Some(2.0));
    assert_eq!(calls(&e, "Email::execute", "ok"), Some(1.0));
    assert_eq!(calls(&e, "Email::execute", "error"), Some(0.0));
    assert_eq!(calls(&e, "execute", "ok"), None);
    // Generic parameters are left out: one series for every `Queue<T>`.
    assert_eq!(calls(&e, "Queue::push", "ok"), Some(2.0));
    assert_eq!(calls(&e, "Queue::len", "ok"), Some(2.0));
    // Free functions keep their plain name.
    assert_eq!(calls(&e, "free_function", "ok"), Some(1.0));
}

static EAGER: LazyLock<Registry> = LazyLock::new(Registry::new);

#[instrument_metrics(registry = EAGER)]
fn never_called() -> Result<u8, String> {
    Ok(1)
}

#[instrument_metrics(registry = EAGER)]
async fn never_awaited() -> u8 {
    1
}

#[allow(dead_code, reason = "never used: its series exist all the same")]
struct Pool;

#[allow(dead_code, reason = "never called: its series exist all the same")]
#[instrument_metrics(registry = EAGER)]
impl Pool {
    fn checkout(&self) -> u8 {
        1
    }
}

#[instrument_metrics]
fn never_called_in_the_default_registry() {}

/// A registry's first render already shows every function instrumented into it, at 0: an
/// alert on `function_calls_total` sees a function that has not run yet.
#[test]
fn every_instrumented_function_is_exposed_before_its_first_call() {
    let e = check_exposition(&EAGER.render());
    for function in ["never_called", "never_awaited", "Pool::checkout"] {
        for result in ["ok", "error", "cancelled", "panic"] {
            assert_eq!(
                calls(&e, function, result),
                Some(0.0),
                "{function} {result}"
            );
        }
        assert_eq!(
            e.value(
                "function_calls_duration_seconds_count",
                &[("function", function)]
            ),
            Some(0.0),
            "{function}"
        );
        assert_eq!(
            e.value("function_calls_concurrent", &[("function", function)]),
            Some(0.0),
            "{function}"
        );
    }
    // Only the functions of this registry.
    assert_eq!(calls(&e, "free_function", "ok"), None);
    let default = check_exposition(&promforge::default_registry().render());
    assert_eq!(
        calls(&default, "never_called_in_the_default_registry", "ok"),
        Some(0.0)
    );
}

static FUTURES: LazyLock<Registry> = LazyLock::new(Registry::new);

#[instrument_metrics(registry = FUTURES)]
async fn waits_forever() {
    std::future::pending::<()>().await;
}

/// An `async fn`'s body (and so its guard) starts at the first poll: a future dropped
/// before it records nothing (it never ran), one dropped after it is `cancelled`.
#[test]
fn a_dropped_future_is_cancelled_once_it_has_started() {
    drop(waits_forever());
    let e = check_exposition(&FUTURES.render());
    assert_eq!(calls(&e, "waits_forever", "cancelled"), Some(0.0));

    let mut started = Box::pin(waits_forever());
    let mut cx = Context::from_waker(Waker::noop());
    assert!(started.as_mut().poll(&mut cx).is_pending());
    let e = check_exposition(&FUTURES.render());
    assert_eq!(
        e.value(
            "function_calls_concurrent",
            &[("function", "waits_forever")]
        ),
        Some(1.0)
    );
    drop(started);
    let e = check_exposition(&FUTURES.render());
    assert_eq!(calls(&e, "waits_forever", "cancelled"), Some(1.0));
    assert_eq!(
        e.value(
            "function_calls_concurrent",
            &[("function", "waits_forever")]
        ),
        Some(0.0)
    );
}

#[derive(promforge::LabelSet, Clone)]
struct Peer {
    peer: String,
    zone: &'static str,
}

/// The series of a family come out ordered by their label values (compared as strings,
/// as client_golang orders them), whatever order they were made in or removed: two
/// scrapes diff cleanly.
#[test]
fn series_are_written_in_order_of_their_label_values() -> Result<(), promforge::Error> {
    let registry = Registry::new();
    let hits = promforge::Family::<Peer, promforge::Counter>::new();
    registry.register("peer_hits", "Hits by peer.", hits.clone())?;
    for (i, peer) in ["m", "b", "x y", "x", "a", "zz", "c", "b b"]
        .iter()
        .enumerate()
    {
        let zone = if i % 2 == 0 { "z2" } else { "z1" };
        hits.inc(&Peer {
            peer: (*peer).to_owned(),
            zone,
        });
    }
    assert!(hits.remove(&Peer {
        peer: "c".into(),
        zone: "z2"
    }));
    hits.inc(&Peer {
        peer: "x".into(),
        zone: "z0",
    });
    let e = check_exposition(&registry.render());
    let rendered: Vec<(String, String)> = e
        .family("peer_hits_total")
        .expect("family")
        .samples
        .iter()
        .map(|s| {
            (
                s.label("peer").unwrap_or("").to_owned(),
                s.label("zone").unwrap_or("").to_owned(),
            )
        })
        .collect();
    let mut sorted = rendered.clone();
    sorted.sort();
    assert_eq!(rendered, sorted);
    assert_eq!(rendered.len(), 8);

    // The instrumented functions' shared families too.
    let e = check_exposition(&REG.render());
    let functions: Vec<[String; 4]> = e
        .family("function_calls_total")
        .expect("calls")
        .samples
        .iter()
        .map(|s| {
            ["function", "module", "result", "error"].map(|l| s.label(l).unwrap_or("").to_owned())
        })
        .collect();
    let mut sorted = functions.clone();
    sorted.sort();
    assert_eq!(functions, sorted);
    Ok(())
}

#[derive(promforge::LabelValue, Debug, Clone, Copy)]
#[allow(dead_code, reason = "never returned: their series exist all the same")]
enum StoreError {
    Timeout,
    NotFound,
    Conflict,
}

static ERRORS: LazyLock<Registry> = LazyLock::new(Registry::new);

#[instrument_metrics(registry = ERRORS)]
fn load(key: u32) -> Result<u32, StoreError> {
    match key {
        0 => Err(StoreError::NotFound),
        _ => Ok(key),
    }
}

/// A function whose error type is a closed `LabelValue` enum shows every variant's error
/// series at 0 from its first call, and no `error=""` series (it could never move).
#[test]
fn every_error_variant_is_exposed_at_zero() {
    assert_eq!(load(1).ok(), Some(1));
    let e = check_exposition(&ERRORS.render());
    for variant in ["timeout", "not_found", "conflict"] {
        assert_eq!(
            e.value(
                "function_calls_total",
                &[
                    ("function", "load"),
                    ("result", "error"),
                    ("error", variant)
                ]
            ),
            Some(0.0),
            "{variant}"
        );
    }
    assert_eq!(
        e.value(
            "function_calls_total",
            &[("function", "load"), ("result", "error"), ("error", "")]
        ),
        None
    );
    assert!(load(0).is_err());
    let e = check_exposition(&ERRORS.render());
    assert_eq!(
        e.value(
            "function_calls_total",
            &[
                ("function", "load"),
                ("result", "error"),
                ("error", "not_found")
            ]
        ),
        Some(1.0)
    );
    assert_eq!(calls(&e, "load", "ok"), Some(1.0));
}
