// Every form #[instrument_metrics] goes on compiles, and records what it should.
#![deny(warnings)]

use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::LazyLock;
use std::task::{Context, Poll, Waker};

use promforge::{LabelValue, Registry, instrument_metrics};

extern crate promforge as renamed;

static R: LazyLock<Registry> = LazyLock::new(Registry::new);

/// A free function; its docs and other attributes stay.
#[instrument_metrics(registry = R)]
#[inline]
pub fn parse(input: &str) -> Result<u32, std::num::ParseIntError> {
    let n = input.trim().parse::<u32>()?;
    if n == 0 {
        return Ok(1);
    }
    Ok(n)
}

#[instrument_metrics(registry = R)]
fn longest<'a, 'b, T>(items: &'a [T], _other: &'b str) -> Option<&'a T>
where
    T: Ord + 'a,
{
    items.iter().max()
}

#[instrument_metrics(registry = R)]
unsafe fn read(pointer: *const u32) -> u32 {
    unsafe { *pointer }
}

#[instrument_metrics(registry = R)]
extern "C" fn callback(x: u32) -> u32 {
    x * 2
}

#[instrument_metrics(registry = R)]
fn evens(limit: u32) -> impl Iterator<Item = u32> {
    (0..limit).filter(|n| n % 2 == 0)
}

// The future is what gets instrumented, and `?` still sees the declared output type.
#[instrument_metrics(registry = R)]
fn later(x: u32) -> impl Future<Output = Result<u32, std::num::ParseIntError>> {
    let text = x.to_string();
    async move {
        yield_now().await;
        let n: u32 = text.parse()?;
        Ok(n + 1)
    }
}

#[instrument_metrics(registry = R)]
async fn fetch(key: &str) -> Result<usize, Box<dyn std::error::Error + Send + Sync>> {
    yield_now().await;
    let n: usize = key.parse()?;
    Ok(n)
}

#[instrument_metrics(registry = R)]
async fn nothing() {}

#[instrument_metrics(registry = R)]
#[allow(dead_code)]
fn abort(reason: &str) -> ! {
    panic!("{reason}")
}

#[promforge::instrument_metrics(skip(in_flight, duration), registry = R)]
fn tick() {}

#[instrument_metrics]
fn in_default_registry() -> bool {
    true
}

#[renamed::instrument_metrics(crate = "renamed", registry = R, name = "renamed_fn", labels(n = n))]
fn renamed_fn(n: u32) -> u32 {
    n
}

#[derive(LabelValue, Clone, Copy)]
enum Table {
    Users,
    Orders,
}

#[derive(LabelValue, Clone, Copy, Debug, PartialEq)]
enum DbError {
    NotFound,
}

struct Db {
    shard_id: u32,
    rows: Vec<u32>,
}

impl Db {
    #[instrument_metrics(
        registry = R,
        name = "db_query",
        labels(table = table, shard = self.shard_id, r#type = kind),
        buckets = [0.001, 0.01, 0.1, 1.0]
    )]
    async fn query(&self, table: Table, kind: &str, sql: String) -> Result<usize, DbError> {
        yield_now().await;
        if sql.is_empty() {
            return Err(DbError::NotFound);
        }
        Ok(self.rows.len() + sql.len())
    }
}

#[instrument_metrics(registry = R, prefix = "store")]
impl Db {
    fn new(shard_id: u32) -> Self {
        Db {
            shard_id,
            rows: Vec::new(),
        }
    }

    fn first(&self) -> Option<&u32> {
        self.rows.first()
    }

    fn rows_mut(&mut self) -> &mut Vec<u32> {
        &mut self.rows
    }

    fn into_rows(self) -> Vec<u32> {
        self.rows
    }

    async fn count_later(&self) -> usize {
        yield_now().await;
        self.rows.len()
    }

    // What #[async_trait] writes.
    fn boxed(&self) -> Pin<Box<dyn Future<Output = u32> + Send + '_>> {
        Box::pin(async move {
            yield_now().await;
            self.shard_id
        })
    }

    #[instrument_metrics(skip)]
    fn helper(&self) -> u32 {
        self.shard_id
    }

    const fn limit() -> usize {
        10
    }
}

trait Greeter {
    fn greet(&self, name: &str) -> String;
    async fn greet_later(&self, name: &str) -> String;
}

#[instrument_metrics(registry = R)]
impl Greeter for Db {
    fn greet(&self, name: &str) -> String {
        format!("hello {name} from {}", self.shard_id)
    }

    async fn greet_later(&self, name: &str) -> String {
        yield_now().await;
        format!("later {name}")
    }
}

fn main() {
    assert_eq!(parse("7"), Ok(7));
    assert!(parse("x").is_err());
    assert_eq!(longest(&[1, 3, 2], "x"), Some(&3));
    assert_eq!(unsafe { read(&5) }, 5);
    assert_eq!(callback(2), 4);
    assert_eq!(evens(5).collect::<Vec<_>>(), [0, 2, 4]);
    assert_eq!(block_on(later(4)), Ok(5));
    assert_eq!(block_on(fetch("12")).ok(), Some(12));
    block_on(nothing());
    tick();
    assert!(in_default_registry());
    assert_eq!(renamed_fn(5), 5);

    let mut db = Db::new(3);
    db.rows_mut().push(1);
    assert_eq!(db.first(), Some(&1));
    assert_eq!(block_on(db.count_later()), 1);
    assert_eq!(block_on(db.boxed()), 3);
    assert_eq!(db.helper(), 3);
    assert_eq!(Db::limit(), 10);
    assert_eq!(db.greet("a"), "hello a from 3");
    assert_eq!(block_on(db.greet_later("b")), "later b");
    let query = db.query(Table::Users, "select", "x".to_owned());
    assert_eq!(block_on(query), Ok(2));
    let query = db.query(Table::Orders, "select", String::new());
    assert_eq!(block_on(query), Err(DbError::NotFound));
    assert_eq!(db.into_rows(), [1]);

    let text = R.render();
    let calls = |family: &str, function: &str, result: &str| {
        sample(&text, family, &[("function", function), ("result", result)])
    };
    let shared = "function_calls_total";
    assert_eq!(calls(shared, "parse", "ok"), Some(1.0));
    assert_eq!(calls(shared, "parse", "error"), Some(1.0));
    let plain = [
        "longest", "read", "callback", "evens", "later", "fetch", "nothing",
    ];
    for function in plain.into_iter().chain(["Db::greet", "Db::greet_later"]) {
        assert_eq!(calls(shared, function, "ok"), Some(1.0), "{function}");
    }
    let prefixed = "store_function_calls_total";
    // Methods name their type.
    for function in [
        "Db::new",
        "Db::first",
        "Db::rows_mut",
        "Db::into_rows",
        "Db::count_later",
        "Db::boxed",
    ] {
        assert_eq!(calls(prefixed, function, "ok"), Some(1.0), "{function}");
    }
    for function in ["Db::helper", "Db::limit"] {
        assert_eq!(calls(prefixed, function, "ok"), None, "{function}");
    }
    assert_eq!(calls("function_calls_total", "tick", "ok"), Some(1.0));
    assert_eq!(
        sample(
            &text,
            "function_calls_duration_seconds_count",
            &[("function", "tick")]
        ),
        None
    );
    assert_eq!(
        sample(&text, "function_calls_concurrent", &[("function", "tick")]),
        None
    );
    assert_eq!(
        sample(&text, "function_calls_concurrent", &[("function", "fetch")]),
        Some(0.0)
    );
    let users = [
        ("table", "users"),
        ("shard", "3"),
        ("type", "select"),
        ("result", "ok"),
    ];
    assert_eq!(sample(&text, "db_query_calls_total", &users), Some(1.0));
    let orders = [
        ("table", "orders"),
        ("result", "error"),
        ("error", "not_found"),
    ];
    assert_eq!(sample(&text, "db_query_calls_total", &orders), Some(1.0));
    assert!(sample(&text, "db_query_duration_seconds_bucket", &[("le", "0.01")]).is_some());
    assert_eq!(
        sample(&text, "renamed_fn_calls_total", &[("n", "5")]),
        Some(1.0)
    );

    let text = promforge::default_registry().render();
    assert_eq!(
        sample(
            &text,
            "function_calls_total",
            &[("function", "in_default_registry"), ("result", "ok")]
        ),
        Some(1.0)
    );
}

/// The value of the sample of `family` with these labels (among others), if any.
fn sample(text: &str, family: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines()
        .filter(|line| line.starts_with(&format!("{family}{{")))
        .find(|line| {
            labels
                .iter()
                .all(|(name, value)| line.contains(&format!("{name}=\"{value}\"")))
        })
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
}

/// Polls a future to completion (the futures here only yield once in a while).
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
    }
}

/// Pending once, then ready: a real suspension point.
fn yield_now() -> impl Future<Output = ()> + Send {
    let mut yielded = false;
    std::future::poll_fn(move |_| {
        if yielded {
            Poll::Ready(())
        } else {
            yielded = true;
            Poll::Pending
        }
    })
}
