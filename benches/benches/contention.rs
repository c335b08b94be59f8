//! Contention: one counter incremented by one thread, and by two threads at once (the
//! machine's two cores), in ns per increment per thread. promforge `Counter` and
//! `ShardedCounter`, a bare `AtomicU64` (the one-thread floor), `prometheus::IntCounter`,
//! `prometheus_client`'s `Counter`, `measured`'s `Counter` and a `metrics` counter handle
//! (with the `metrics-exporter-prometheus` recorder), under the same load.
//!
//! Each measurement spawns its threads (in `std::thread::scope`) and times them together;
//! the one-thread column spawns one thread too, so both pay the same spawn cost, which is
//! amortised over millions of increments.
//!
//! `cargo bench -p promforge-benches --bench contention`

#![allow(missing_docs)] // criterion's macros generate undocumented functions

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

static INSTRUMENTED: std::sync::LazyLock<promforge::Registry> =
    std::sync::LazyLock::new(promforge::Registry::new);

#[inline(never)]
#[promforge::instrument_metrics(registry = INSTRUMENTED)]
fn instrumented(x: u64) -> u64 {
    x.wrapping_mul(31).rotate_left(7)
}

/// The same updates hand-written on pre-resolved `prometheus` handles.
struct Hand {
    calls: prometheus::IntCounter,
    duration: prometheus::Histogram,
    in_flight: prometheus::IntGauge,
}

static HAND: std::sync::LazyLock<Hand> = std::sync::LazyLock::new(|| Hand {
    calls: prometheus::IntCounter::new("calls", "Calls.").expect("counter"),
    duration: prometheus::Histogram::with_opts(prometheus::HistogramOpts::new("d", "D."))
        .expect("histogram"),
    in_flight: prometheus::IntGauge::new("in_flight", "In flight.").expect("gauge"),
});

#[inline(never)]
fn hand_written(x: u64) -> u64 {
    let hand = &*HAND;
    hand.in_flight.inc();
    let start = Instant::now();
    let out = x.wrapping_mul(31).rotate_left(7);
    hand.duration.observe(start.elapsed().as_secs_f64());
    hand.calls.inc();
    hand.in_flight.dec();
    out
}

/// Runs `inc` `iters` times on each of `threads` threads at once; the wall time is the
/// time per increment per thread.
fn run(threads: usize, iters: u64, inc: &(impl Fn() + Sync)) -> Duration {
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                for _ in 0..iters {
                    inc();
                }
            });
        }
    });
    start.elapsed()
}

fn contention(c: &mut Criterion) {
    let mut g = c.benchmark_group("counter_contention");
    let ours = promforge::Counter::<u64>::new();
    let sharded = promforge::ShardedCounter::<u64>::new();
    let client = prometheus_client::metrics::counter::Counter::<u64>::default();
    let measured = measured::Counter::new();
    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
    let metrics_handle = recorder.handle();
    metrics::set_global_recorder(recorder).expect("the only recorder in this process");
    let metrics_counter = metrics::counter!("contention_total");
    let atomic = AtomicU64::new(0);
    let theirs = prometheus::IntCounter::new("c", "C.").expect("counter");
    // One update each before any benchmark, so that the checks at the end hold whichever
    // benchmarks a name filter leaves out.
    ours.inc();
    sharded.inc();
    client.inc();
    measured.inc();
    metrics_counter.increment(1);
    atomic.fetch_add(1, Ordering::Relaxed);
    theirs.inc();
    black_box(instrumented(1));
    black_box(hand_written(1));
    for threads in [1, 2] {
        g.bench_function(BenchmarkId::new("promforge_counter", threads), |b| {
            b.iter_custom(|iters| run(threads, iters, &|| black_box(&ours).inc()))
        });
        g.bench_function(
            BenchmarkId::new("promforge_sharded_counter", threads),
            |b| b.iter_custom(|iters| run(threads, iters, &|| black_box(&sharded).inc())),
        );
        g.bench_function(BenchmarkId::new("atomic_u64", threads), |b| {
            b.iter_custom(|iters| {
                run(threads, iters, &|| {
                    black_box(&atomic).fetch_add(1, Ordering::Relaxed);
                })
            })
        });
        g.bench_function(BenchmarkId::new("prometheus_int_counter", threads), |b| {
            b.iter_custom(|iters| run(threads, iters, &|| black_box(&theirs).inc()))
        });
        g.bench_function(
            BenchmarkId::new("prometheus_client_counter", threads),
            |b| {
                b.iter_custom(|iters| {
                    run(threads, iters, &|| {
                        black_box(&client).inc();
                    })
                })
            },
        );
        g.bench_function(BenchmarkId::new("measured_counter", threads), |b| {
            b.iter_custom(|iters| run(threads, iters, &|| black_box(&measured).inc()))
        });
        g.bench_function(BenchmarkId::new("metrics_counter", threads), |b| {
            b.iter_custom(|iters| run(threads, iters, &|| black_box(&metrics_counter).increment(1)))
        });
    }
    g.finish();

    // A whole instrumented call (count, duration, in-flight) from one and two threads.
    let mut g = c.benchmark_group("instrumented_call_contention");
    for threads in [1, 2] {
        g.bench_function(
            BenchmarkId::new("promforge_instrument_metrics", threads),
            |b| {
                b.iter_custom(|iters| {
                    run(threads, iters, &|| {
                        black_box(instrumented(black_box(7)));
                    })
                })
            },
        );
        g.bench_function(BenchmarkId::new("hand_written_prometheus", threads), |b| {
            b.iter_custom(|iters| {
                run(threads, iters, &|| {
                    black_box(hand_written(black_box(7)));
                })
            })
        });
    }
    g.finish();
    assert!(INSTRUMENTED.render().contains("function=\"instrumented\""));
    assert!(HAND.calls.get() > 0);
    assert!(ours.get() > 0 && theirs.get() > 0 && atomic.load(Ordering::Relaxed) > 0);
    assert!(sharded.get() > 0 && client.get() > 0);
    assert!(measured.get_metric().count.load(Ordering::Relaxed) > 0);
    assert!(
        metrics_handle.render().contains("contention_total "),
        "the metrics counter was recorded"
    );
}

criterion_group!(benches, contention);
criterion_main!(benches);
