//! `#[instrument_metrics]`: counts, results, durations and in-flight gauges for every
//! supported form, read back from the registry's exposition (and checked by promtool).

use std::sync::LazyLock;
use std::time::Duration;

use promforge::{LabelValue, Registry, instrument_metrics};
use promforge_tests::check_exposition;
use promforge_tests::exposition::Exposition;

static REG: LazyLock<Registry> = LazyLock::new(|| {
    Registry::builder()
        .const_label("service", "instrument-test")
        .build()
        .expect("registry")
});

fn scrape() -> Exposition {
    check_exposition(&REG.render())
}

fn calls(e: &Exposition, function: &str, result: &str) -> f64 {
    e.value(
        "function_calls_total",
        &[("function", function), ("result", result)],
    )
    .unwrap_or(0.0)
}

fn in_flight(e: &Exposition, function: &str) -> Option<f64> {
    e.value("function_calls_concurrent", &[("function", function)])
}

fn duration_count(e: &Exposition, function: &str) -> f64 {
    e.value(
        "function_calls_duration_seconds_count",
        &[("function", function)],
    )
    .unwrap_or(0.0)
}

#[derive(LabelValue, Debug, Clone, Copy, PartialEq)]
enum DbError {
    Timeout,
    NotFound,
}

#[instrument_metrics(registry = REG)]
fn add_one(x: u32) -> u32 {
    x + 1
}

#[instrument_metrics(registry = REG)]
fn parse_number(text: &str) -> Result<u32, std::num::ParseIntError> {
    let n = text.trim().parse::<u32>()?;
    if n == 0 {
        return Ok(1);
    }
    Ok(n)
}

#[instrument_metrics(registry = REG)]
fn lookup(fail: Option<DbError>) -> Result<&'static str, DbError> {
    match fail {
        Some(e) => Err(e),
        None => Ok("row"),
    }
}

#[test]
fn sync_functions_count_results() {
    assert_eq!(add_one(1), 2);
    assert_eq!(add_one(2), 3);
    assert_eq!(parse_number("7").ok(), Some(7));
    assert_eq!(parse_number("0").ok(), Some(1));
    assert!(parse_number("x").is_err());
    assert_eq!(lookup(None), Ok("row"));
    assert_eq!(lookup(Some(DbError::Timeout)), Err(DbError::Timeout));
    assert_eq!(lookup(Some(DbError::Timeout)), Err(DbError::Timeout));
    assert_eq!(lookup(Some(DbError::NotFound)), Err(DbError::NotFound));

    let e = scrape();
    assert_eq!(calls(&e, "add_one", "ok"), 2.0);
    assert_eq!(calls(&e, "add_one", "error"), 0.0);
    assert_eq!(calls(&e, "parse_number", "ok"), 2.0);
    assert_eq!(calls(&e, "parse_number", "error"), 1.0);
    assert_eq!(calls(&e, "lookup", "ok"), 1.0);
    // An error enum that is a LabelValue names the variant.
    assert_eq!(
        e.value(
            "function_calls_total",
            &[
                ("function", "lookup"),
                ("result", "error"),
                ("error", "timeout")
            ]
        ),
        Some(2.0)
    );
    assert_eq!(
        e.value(
            "function_calls_total",
            &[
                ("function", "lookup"),
                ("result", "error"),
                ("error", "not_found")
            ]
        ),
        Some(1.0)
    );
    assert_eq!(duration_count(&e, "add_one"), 2.0);
    assert_eq!(in_flight(&e, "add_one"), Some(0.0));
    let module = e
        .samples()
        .find(|s| s.label("function") == Some("add_one"))
        .and_then(|s| s.label("module").map(str::to_owned));
    assert_eq!(module.as_deref(), Some("instrument"));
    for s in e.samples() {
        assert_eq!(s.label("service"), Some("instrument-test"));
    }
}

#[instrument_metrics(registry = REG)]
async fn fetch_after(ms: u64) -> Result<u64, String> {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    if ms == 13 {
        return Err("unlucky".into());
    }
    Ok(ms)
}

#[tokio::test]
async fn async_functions_count_results_and_time_the_whole_future() {
    assert_eq!(fetch_after(20).await, Ok(20));
    assert!(fetch_after(13).await.is_err());
    let e = scrape();
    assert_eq!(calls(&e, "fetch_after", "ok"), 1.0);
    assert_eq!(calls(&e, "fetch_after", "error"), 1.0);
    assert_eq!(duration_count(&e, "fetch_after"), 2.0);
    let sum = e
        .value(
            "function_calls_duration_seconds_sum",
            &[("function", "fetch_after")],
        )
        .unwrap_or(0.0);
    assert!(sum >= 0.030, "the duration covers the awaits: {sum}");
}

#[instrument_metrics(registry = REG)]
async fn never_finishes() {
    std::future::pending::<()>().await;
}

#[tokio::test]
async fn a_dropped_future_is_counted_as_cancelled() {
    let fut = never_finishes();
    let started = tokio::time::timeout(Duration::from_millis(20), fut).await;
    assert!(started.is_err(), "timed out");
    let e = scrape();
    assert_eq!(calls(&e, "never_finishes", "cancelled"), 1.0);
    assert_eq!(calls(&e, "never_finishes", "ok"), 0.0);
    assert_eq!(in_flight(&e, "never_finishes"), Some(0.0));
    assert_eq!(duration_count(&e, "never_finishes"), 1.0);
}

#[tokio::test]
async fn a_future_observed_in_flight_while_pending() {
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(wait_for(rx));
    let mut seen = None;
    for _ in 0..200 {
        tokio::time::sleep(Duration::from_millis(5)).await;
        seen = in_flight(&scrape(), "wait_for");
        if seen == Some(1.0) {
            break;
        }
    }
    assert_eq!(seen, Some(1.0));
    tx.send(()).expect("send");
    task.await.expect("task");
    assert_eq!(in_flight(&scrape(), "wait_for"), Some(0.0));
}

#[instrument_metrics(registry = REG)]
async fn wait_for(rx: tokio::sync::oneshot::Receiver<()>) {
    let _ = rx.await;
}

#[instrument_metrics(registry = REG)]
fn explode(really: bool) -> u32 {
    if really {
        panic!("boom");
    }
    1
}

#[test]
fn a_panicking_call_is_counted_and_leaves_no_call_in_flight() {
    let result = std::panic::catch_unwind(|| explode(true));
    assert!(result.is_err());
    assert_eq!(explode(false), 1);
    let e = scrape();
    assert_eq!(calls(&e, "explode", "panic"), 1.0);
    assert_eq!(calls(&e, "explode", "ok"), 1.0);
    assert_eq!(in_flight(&e, "explode"), Some(0.0));
}

struct Store {
    value: u32,
}

#[instrument_metrics(registry = REG)]
impl Store {
    fn new_store() -> Self {
        Store { value: 0 }
    }

    fn read_value(&self) -> u32 {
        self.value
    }

    fn write_value(&mut self, v: u32) {
        self.value = v;
    }

    fn into_value(self) -> u32 {
        self.value
    }

    async fn read_later(&self) -> u32 {
        tokio::task::yield_now().await;
        self.value
    }

    #[instrument_metrics(skip)]
    fn not_measured(&self) -> u32 {
        self.value
    }

    const fn constant() -> u32 {
        7
    }
}

#[tokio::test]
async fn impl_blocks_instrument_every_method_but_skipped_ones() {
    let mut store = Store::new_store();
    store.write_value(5);
    assert_eq!(store.read_value(), 5);
    assert_eq!(store.read_later().await, 5);
    assert_eq!(store.not_measured(), 5);
    assert_eq!(Store::constant(), 7);
    assert_eq!(store.into_value(), 5);
    let e = scrape();
    for f in [
        "new_store",
        "read_value",
        "write_value",
        "into_value",
        "read_later",
    ] {
        // A method's `function` label names its type.
        assert_eq!(calls(&e, &format!("Store::{f}"), "ok"), 1.0, "{f}");
        assert_eq!(calls(&e, f, "ok"), 0.0, "{f}");
    }
    assert_eq!(calls(&e, "Store::not_measured", "ok"), 0.0);
    assert_eq!(calls(&e, "Store::constant", "ok"), 0.0);
}

#[instrument_metrics(registry = REG)]
fn describe<'a, T>(items: &'a [T], sep: &str) -> String
where
    T: std::fmt::Display + 'a,
{
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(sep)
}

#[instrument_metrics(registry = REG)]
fn evens(limit: u32) -> impl Iterator<Item = u32> {
    (0..limit).filter(|n| n % 2 == 0)
}

#[test]
fn generic_functions_and_impl_trait_returns() {
    assert_eq!(describe(&[1, 2, 3], ","), "1,2,3");
    assert_eq!(describe(&["a", "b"], "-"), "a-b");
    assert_eq!(evens(5).collect::<Vec<_>>(), vec![0, 2, 4]);
    let e = scrape();
    assert_eq!(
        calls(&e, "describe", "ok"),
        2.0,
        "one call site for all instances"
    );
    assert_eq!(calls(&e, "evens", "ok"), 1.0);
}

trait Greeter {
    fn greet(&self, name: &str) -> String;
    async fn greet_later(&self, name: &str) -> String;
}

impl Greeter for Store {
    #[instrument_metrics(registry = REG)]
    fn greet(&self, name: &str) -> String {
        format!("hello {name} #{}", self.value)
    }

    #[instrument_metrics(registry = REG)]
    async fn greet_later(&self, name: &str) -> String {
        tokio::task::yield_now().await;
        format!("later {name}")
    }
}

#[async_trait::async_trait]
trait Fetcher {
    async fn fetch(&self, key: u32) -> Result<u32, DbError>;
}

struct OuterFirst;
struct InnerFirst;

// instrument_metrics sees the `async fn` and async_trait boxes the instrumented body.
#[instrument_metrics(registry = REG)]
#[async_trait::async_trait]
impl Fetcher for OuterFirst {
    async fn fetch(&self, key: u32) -> Result<u32, DbError> {
        tokio::task::yield_now().await;
        if key == 0 {
            Err(DbError::NotFound)
        } else {
            Ok(key)
        }
    }
}

// async_trait runs first; instrument_metrics finds the boxed `async move` block.
#[async_trait::async_trait]
#[instrument_metrics(registry = REG, prefix = "boxed")]
impl Fetcher for InnerFirst {
    async fn fetch(&self, key: u32) -> Result<u32, DbError> {
        tokio::task::yield_now().await;
        if key == 0 {
            Err(DbError::Timeout)
        } else {
            Ok(key)
        }
    }
}

#[tokio::test]
async fn trait_impls_and_async_trait_in_either_order() {
    let store = Store { value: 1 };
    assert_eq!(store.greet("a"), "hello a #1");
    assert_eq!(store.greet_later("b").await, "later b");
    assert_eq!(OuterFirst.fetch(1).await, Ok(1));
    assert_eq!(OuterFirst.fetch(0).await, Err(DbError::NotFound));
    assert_eq!(InnerFirst.fetch(2).await, Ok(2));
    assert_eq!(InnerFirst.fetch(0).await, Err(DbError::Timeout));
    let e = scrape();
    // Methods whose attribute is their own name their type too (read at the first call).
    assert_eq!(calls(&e, "Store::greet", "ok"), 1.0);
    assert_eq!(calls(&e, "Store::greet_later", "ok"), 1.0);
    assert_eq!(
        e.value(
            "function_calls_total",
            &[
                ("function", "OuterFirst::fetch"),
                ("result", "error"),
                ("error", "not_found")
            ]
        ),
        Some(1.0)
    );
    assert_eq!(
        e.value(
            "boxed_function_calls_total",
            &[
                ("function", "InnerFirst::fetch"),
                ("result", "error"),
                ("error", "timeout")
            ]
        ),
        Some(1.0)
    );
    assert_eq!(
        e.value(
            "boxed_function_calls_total",
            &[("function", "InnerFirst::fetch"), ("result", "ok")]
        ),
        Some(1.0)
    );
}

#[instrument_metrics(registry = REG, name = "db_query", labels(table = table, retried = retry), buckets = [0.001, 0.01, 0.1, 1.0])]
async fn query(table: &str, retry: bool) -> Result<u32, DbError> {
    tokio::task::yield_now().await;
    if table == "missing" {
        return Err(DbError::NotFound);
    }
    Ok(table.len() as u32)
}

#[tokio::test]
async fn own_families_with_labels_from_arguments() {
    assert_eq!(query("users", false).await, Ok(5));
    assert_eq!(query("users", true).await, Ok(5));
    assert_eq!(query("missing", false).await, Err(DbError::NotFound));
    let pending = query("slow \"quoted\"", false);
    drop(pending); // never polled: not started, nothing recorded
    let e = scrape();
    assert_eq!(
        e.value(
            "db_query_calls_total",
            &[("table", "users"), ("retried", "false"), ("result", "ok")]
        ),
        Some(1.0)
    );
    assert_eq!(
        e.value(
            "db_query_calls_total",
            &[
                ("table", "missing"),
                ("result", "error"),
                ("error", "not_found")
            ]
        ),
        Some(1.0)
    );
    assert_eq!(
        e.value("db_query_duration_seconds_count", &[("function", "query")]),
        Some(3.0)
    );
    let les: Vec<_> = e
        .family("db_query_duration_seconds")
        .expect("own histogram")
        .samples
        .iter()
        .filter_map(|s| s.label("le").map(str::to_owned))
        .collect();
    assert_eq!(les, ["0.001", "0.01", "0.1", "1", "+Inf"]);
    assert_eq!(
        e.value("db_query_in_flight", &[("function", "query")]),
        Some(0.0)
    );
}

#[instrument_metrics(registry = REG, name = "user_lookup", labels(user = name))]
async fn find_user(name: String) -> usize {
    tokio::task::yield_now().await;
    name.len()
}

fn assert_send<T: Send>(t: T) -> T {
    t
}

#[tokio::test]
async fn instrumented_futures_stay_send() {
    // Compile-time check: these futures are spawned on a multi-threaded runtime.
    let a = tokio::spawn(assert_send(fetch_after(1)));
    let b = tokio::spawn(assert_send(find_user(String::from("ada"))));
    assert_eq!(a.await.expect("join"), Ok(1));
    assert_eq!(b.await.expect("join"), 3);
}

#[instrument_metrics(registry = REG, name = "cache_op", labels(key = key))]
fn cache_get(key: &str) -> Option<usize> {
    (!key.is_empty()).then_some(key.len())
}

#[instrument_metrics(registry = REG, name = "cache_op", labels(key = key))]
fn cache_put(key: &str, value: usize) -> usize {
    key.len() + value
}

#[test]
fn labeled_functions_sharing_a_name_share_its_families() {
    assert_eq!(cache_get("a"), Some(1));
    assert_eq!(cache_put("a", 1), 2);
    assert_eq!(cache_put("bb", 1), 3);
    // One calls family (registered once), with both functions' series in it: the
    // exposition passes the strict parser and promtool, so no family appears twice.
    let e = scrape();
    assert_eq!(
        e.value(
            "cache_op_calls_total",
            &[("function", "cache_get"), ("key", "a"), ("result", "ok")]
        ),
        Some(1.0)
    );
    assert_eq!(
        e.value(
            "cache_op_calls_total",
            &[("function", "cache_put"), ("key", "bb"), ("result", "ok")]
        ),
        Some(1.0)
    );
    assert_eq!(
        e.value(
            "cache_op_duration_seconds_count",
            &[("function", "cache_put")]
        ),
        Some(2.0)
    );
}

// No `return` or `?`: the body runs inline in the instrumented future (no nested block).
#[instrument_metrics(registry = REG)]
async fn inline_body(really_panic: bool) -> u32 {
    tokio::task::yield_now().await;
    assert!(!really_panic, "boom");
    7
}

#[tokio::test]
async fn inline_async_bodies_record_results_panics_and_cancellations() {
    assert_eq!(inline_body(false).await, 7);
    let panicked = tokio::spawn(inline_body(true)).await;
    assert!(panicked.is_err_and(|e| e.is_panic()));
    drop(inline_body(false)); // never polled: nothing recorded
    {
        // Started, then dropped at the end of this block: cancelled.
        let mut pending = std::pin::pin!(inline_body(false));
        assert!(
            futures_poll_once(pending.as_mut()).is_none(),
            "yielded once"
        );
    }
    let e = scrape();
    assert_eq!(calls(&e, "inline_body", "ok"), 1.0);
    assert_eq!(calls(&e, "inline_body", "panic"), 1.0);
    assert_eq!(calls(&e, "inline_body", "cancelled"), 1.0);
    assert_eq!(duration_count(&e, "inline_body"), 3.0);
    assert_eq!(in_flight(&e, "inline_body"), Some(0.0));
}

/// Polls `fut` once with a waker that does nothing.
fn futures_poll_once<F: std::future::Future>(fut: std::pin::Pin<&mut F>) -> Option<F::Output> {
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match fut.poll(&mut cx) {
        std::task::Poll::Ready(v) => Some(v),
        std::task::Poll::Pending => None,
    }
}
