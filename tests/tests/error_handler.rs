//! `set_error_handler`: the errors no caller can receive reach the application's handler
//! (its own test binary: the handler is process-wide).

use std::sync::{LazyLock, Mutex};

use promforge::{Counter, Error, MetricsGroup, Registry, instrument_metrics};

static SEEN: Mutex<Vec<String>> = Mutex::new(Vec::new());
static REG: LazyLock<Registry> = LazyLock::new(Registry::new);
// Registries of their own: `REG`'s first render makes the series of every function
// instrumented into it (taking their names), these are only first used by the calls below.
static REG2: LazyLock<Registry> = LazyLock::new(Registry::new);
static REG3: LazyLock<Registry> = LazyLock::new(Registry::new);

#[derive(MetricsGroup)]
#[metrics(prefix = "handler_test")]
struct Jobs {
    /// Jobs done.
    done: Counter,
}

#[instrument_metrics(registry = REG, name = "lookup")]
fn lookup(x: u32) -> u32 {
    x + 1
}

#[instrument_metrics(registry = REG2, name = "second")]
fn second(x: u32) -> u32 {
    x + 2
}

#[instrument_metrics(registry = REG3, name = "third")]
fn third(x: u32) -> u32 {
    x + 3
}

#[test]
fn registration_errors_on_first_use_reach_the_handler() {
    promforge::set_error_handler(|error| {
        if let Error::Unexported(inner) = error {
            if let Error::AlreadyRegistered { name, .. } = &**inner {
                SEEN.lock().expect("seen").push(name.clone());
            }
        }
    });
    // Both names are taken before the metrics are first used.
    promforge::default_registry()
        .gauge("handler_test_done_total", "Taken.")
        .expect("gauge");
    REG.counter("lookup_calls_total", "Taken.")
        .expect("counter");

    Jobs::global().done.inc(); // still counts, unexported
    assert_eq!(Jobs::global().done.get(), 1);
    assert_eq!(lookup(1), 2);

    let seen = SEEN.lock().expect("seen").clone();
    assert!(
        seen.contains(&"handler_test_done_total".to_owned()),
        "{seen:?}"
    );
    assert!(seen.contains(&"lookup_calls_total".to_owned()), "{seen:?}");
    // The rest of the instrumented function's metrics are exported as usual.
    assert!(REG.render().contains("lookup_duration_seconds_count{"));

    // A handler that panics takes nothing down (the error goes to stderr instead) ...
    promforge::set_error_handler(|_| panic!("a bug in the handler"));
    REG2.counter("second_calls_total", "Taken.")
        .expect("counter");
    assert_eq!(second(1), 3);
    // ... and one that replaces itself does not deadlock.
    promforge::set_error_handler(|_| promforge::set_error_handler(|_| {}));
    REG3.counter("third_calls_total", "Taken.")
        .expect("counter");
    assert_eq!(third(1), 4);
}
