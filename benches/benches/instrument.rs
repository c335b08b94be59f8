//! Per-call cost of an instrumented trivial function (sync, and async polled to completion):
//! plain fn, promforge's `#[instrument_metrics]`, the same four updates hand-written on
//! pre-resolved `prometheus` handles, `#[autometrics]`, and metered's `#[measure]`.
//!
//! `cargo bench -p promforge-benches --bench instrument`

#![allow(missing_docs)] // criterion's macros generate undocumented functions

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use metered::{HitCount, InFlight, ResponseTime};
use promforge::{Registry, instrument_metrics};

static REG: LazyLock<Registry> = LazyLock::new(Registry::new);

#[inline(never)]
fn work(x: u64) -> u64 {
    x.wrapping_mul(2_862_933_555_777_941_757).rotate_left(7)
}

#[inline(never)]
fn plain(x: u64) -> u64 {
    work(x)
}

#[inline(never)]
#[instrument_metrics(registry = REG)]
fn promforge_sync(x: u64) -> u64 {
    work(x)
}

#[inline(never)]
#[instrument_metrics(registry = REG)]
async fn promforge_async(x: u64) -> u64 {
    work(x)
}

#[inline(never)]
async fn plain_async(x: u64) -> u64 {
    work(x)
}

#[derive(promforge::LabelValue, Clone, Copy)]
enum Method {
    Get,
    Post,
}

/// Own families (`name`), no labels: what the labeled rows compare with.
#[inline(never)]
#[instrument_metrics(registry = REG, name = "own")]
fn promforge_own(x: u64, _method: Method) -> u64 {
    work(x)
}

/// A label from a closed `LabelValue` enum argument.
#[inline(never)]
#[instrument_metrics(registry = REG, name = "closed", labels(method = method))]
fn promforge_closed_label(x: u64, method: Method) -> u64 {
    work(x)
}

/// A label from an open (`&str`) argument.
#[inline(never)]
#[instrument_metrics(registry = REG, name = "open", labels(peer = peer))]
fn promforge_open_label(x: u64, peer: &str) -> u64 {
    work(x)
}

#[inline(never)]
#[autometrics::autometrics]
fn autometrics_sync(x: u64) -> u64 {
    work(x)
}

#[inline(never)]
#[autometrics::autometrics]
async fn autometrics_async(x: u64) -> u64 {
    work(x)
}

/// The same four updates as promforge's, written by hand on handles resolved once.
struct HandWritten {
    in_flight: prometheus::IntGauge,
    calls: prometheus::IntCounter,
    duration: prometheus::Histogram,
}

static HAND: LazyLock<HandWritten> = LazyLock::new(|| {
    let calls = prometheus::IntCounterVec::new(
        prometheus::Opts::new("function_calls_total", "Calls."),
        &["function", "module", "result"],
    )
    .expect("counter");
    let duration = prometheus::HistogramVec::new(
        prometheus::HistogramOpts::new("function_calls_duration_seconds", "Latency.")
            .buckets(promforge::instrument::BUCKETS_LATENCY.to_vec()),
        &["function", "module"],
    )
    .expect("histogram");
    let in_flight = prometheus::IntGaugeVec::new(
        prometheus::Opts::new("function_calls_concurrent", "In flight."),
        &["function", "module"],
    )
    .expect("gauge");
    HandWritten {
        in_flight: in_flight.with_label_values(&["hand", "bench"]),
        calls: calls.with_label_values(&["hand", "bench", "ok"]),
        duration: duration.with_label_values(&["hand", "bench"]),
    }
});

#[inline(never)]
fn hand_written(x: u64) -> u64 {
    let m = &*HAND;
    m.in_flight.inc();
    let start = Instant::now();
    let r = work(x);
    m.duration.observe(start.elapsed().as_secs_f64());
    m.calls.inc();
    m.in_flight.dec();
    r
}

#[derive(Default)]
struct Metered {
    metrics: MeteredMetrics,
}

#[metered::metered(registry = MeteredMetrics)]
impl Metered {
    #[measure([HitCount, InFlight, ResponseTime])]
    #[inline(never)]
    fn call(&self, x: u64) -> u64 {
        work(x)
    }

    #[measure([HitCount, InFlight, ResponseTime])]
    #[inline(never)]
    async fn call_async(&self, x: u64) -> u64 {
        work(x)
    }
}

/// Polls a future that completes without waiting, once.
fn run<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => v,
        Poll::Pending => unreachable!("the benchmarked futures never wait"),
    }
}

fn sync_calls(c: &mut Criterion) {
    let mut g = c.benchmark_group("instrumented_call_sync");
    let metered = Metered::default();
    g.bench_function("plain_fn", |b| b.iter(|| plain(black_box(7))));
    g.bench_function("promforge_instrument_metrics", |b| {
        b.iter(|| promforge_sync(black_box(7)))
    });
    g.bench_function("hand_written_prometheus", |b| {
        b.iter(|| hand_written(black_box(7)))
    });
    g.bench_function("metered_measure", |b| b.iter(|| metered.call(black_box(7))));
    g.bench_function("autometrics", |b| b.iter(|| autometrics_sync(black_box(7))));
    g.finish();
}

fn labeled_calls(c: &mut Criterion) {
    let mut g = c.benchmark_group("instrumented_call_labeled");
    g.bench_function("promforge_no_label", |b| {
        b.iter(|| promforge_own(black_box(7), black_box(Method::Get)))
    });
    g.bench_function("promforge_closed_label", |b| {
        let mut i = 0u64;
        b.iter(|| {
            i += 1;
            let method = if i % 2 == 0 {
                Method::Get
            } else {
                Method::Post
            };
            promforge_closed_label(black_box(7), black_box(method))
        })
    });
    g.bench_function("promforge_open_label", |b| {
        let mut i = 0u64;
        b.iter(|| {
            i += 1;
            let peer = if i % 2 == 0 { "alpha" } else { "beta" };
            promforge_open_label(black_box(7), black_box(peer))
        })
    });
    g.finish();
    // The rows above must have recorded into their own series.
    let text = REG.render();
    for needle in [
        "closed_calls_total{function=\"promforge_closed_label\"",
        "open_calls_total{function=\"promforge_open_label\"",
    ] {
        assert!(c_filtered() || text.contains(needle), "{needle}");
    }
}

/// Whether criterion was given a name filter (rows may then not have run).
fn c_filtered() -> bool {
    std::env::args().skip(1).any(|a| !a.starts_with('-'))
}

fn async_calls(c: &mut Criterion) {
    let mut g = c.benchmark_group("instrumented_call_async");
    let metered = Metered::default();
    g.bench_function("plain_async_fn", |b| {
        b.iter(|| run(plain_async(black_box(7))))
    });
    g.bench_function("promforge_instrument_metrics", |b| {
        b.iter(|| run(promforge_async(black_box(7))))
    });
    g.bench_function("metered_measure", |b| {
        b.iter(|| run(metered.call_async(black_box(7))))
    });
    g.bench_function("autometrics", |b| {
        b.iter(|| run(autometrics_async(black_box(7))))
    });
    g.finish();
    // The instrumented functions are counted (checked on calls made here, so that it holds
    // whichever benchmarks a name filter leaves out).
    assert_eq!(promforge_sync(1), plain(1));
    assert_eq!(run(promforge_async(1)), run(plain_async(1)));
    let text = REG.render();
    assert!(text.contains("function=\"promforge_sync\""), "{text}");
    assert!(text.contains("function=\"promforge_async\""), "{text}");
    let _ = metered.metrics;
}

/// What any instrumented call that records a duration, an in-flight gauge and a count must
/// pay at least on this machine: two clock reads, and the five locked atomic additions
/// (in-flight up and down, a bucket, the sum, the count), measured alone.
fn floor(c: &mut Criterion) {
    let mut g = c.benchmark_group("instrumented_call_floor");
    g.bench_function("two_clock_reads", |b| {
        b.iter(|| black_box(Instant::now()).elapsed())
    });
    let cells: [AtomicU64; 5] = Default::default();
    // Once before any benchmark: the check below holds under any name filter.
    cells.iter().for_each(|c| {
        c.fetch_add(1, Ordering::Relaxed);
    });
    g.bench_function("five_atomic_adds", |b| {
        b.iter(|| {
            for cell in black_box(&cells) {
                cell.fetch_add(1, Ordering::Relaxed);
            }
        })
    });
    g.finish();
    assert!(cells.iter().all(|c| c.load(Ordering::Relaxed) > 0));
}

criterion_group!(benches, sync_calls, labeled_calls, async_calls, floor);
criterion_main!(benches);
