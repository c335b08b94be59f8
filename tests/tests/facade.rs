//! The `metrics` facade recorded by promforge (feature `metrics-facade`): the facade's
//! macros and a real library emitting through them (`metrics-process`), checked by the
//! strict parser, promtool and a real Prometheus scrape.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use promforge::{Error, Exporter, Registry};
use promforge_tests::check_exposition;
use promforge_tests::prometheus_server::PrometheusServer;

/// Errors the facade reported (the error handler is process-wide: tests filter by name).
static REPORTED: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn collect_errors() {
    promforge::set_error_handler(|e: &Error| {
        REPORTED
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(e.to_string());
    });
}

fn reported(needle: &str) -> bool {
    REPORTED
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
        .any(|e| e.contains(needle))
}

#[test]
fn facade_updates_land_in_the_registry() -> Result<(), Error> {
    let registry = Registry::builder().prefix("app").build()?;
    let recorder = promforge::facade::builder(&registry)
        .buckets_for_prefix("rpc.", &[0.1, 1.0])
        .buckets_for_prefix("rpc.slow.", &[10.0, 100.0])
        .build()?;
    metrics::with_local_recorder(&recorder, || {
        metrics::describe_counter!("jobs.done", "Jobs processed.");
        for _ in 0..3 {
            metrics::counter!("jobs.done", "queue" => "mail", "kind" => "bulk").increment(2);
        }
        // The same labels in another order are the same series.
        metrics::counter!("jobs.done", "kind" => "bulk", "queue" => "mail").increment(1);
        metrics::counter!("jobs.done", "queue" => "sms", "kind" => "bulk").absolute(40);
        // `absolute` never takes a counter down.
        metrics::counter!("jobs.done", "queue" => "sms", "kind" => "bulk").absolute(5);
        let depth = metrics::gauge!("queue-depth");
        depth.set(10.0);
        depth.increment(2.5);
        depth.decrement(0.5);
        metrics::histogram!("rpc.latency", "method" => "get").record(0.05);
        metrics::histogram!("rpc.latency", "method" => "get").record(0.5);
        metrics::histogram!("rpc.slow.batch").record(50.0);
        // Described after first use: the HELP follows, the counts stay.
        metrics::describe_gauge!("queue-depth", metrics::Unit::Count, "Jobs waiting.");
        metrics::describe_histogram!("rpc.latency", metrics::Unit::Seconds, "RPC latency.");
    });
    let text = registry.render();
    let e = check_exposition(&text);
    let labels = [("kind", "bulk"), ("queue", "mail")];
    assert_eq!(e.value("app_jobs_done_total", &labels), Some(7.0));
    assert_eq!(
        e.value("app_jobs_done_total", &[("kind", "bulk"), ("queue", "sms")]),
        Some(40.0)
    );
    assert_eq!(e.value("app_queue_depth", &[]), Some(12.0));
    let get = [("method", "get")];
    assert_eq!(e.value("app_rpc_latency_count", &get), Some(2.0));
    assert_eq!(
        e.value(
            "app_rpc_latency_bucket",
            &[("method", "get"), ("le", "0.1")]
        ),
        Some(1.0)
    );
    assert_eq!(
        e.value("app_rpc_slow_batch_bucket", &[("le", "100")]),
        Some(1.0)
    );
    assert!(
        text.contains("# HELP app_jobs_done_total Jobs processed.\n"),
        "{text}"
    );
    assert!(
        text.contains("# HELP app_queue_depth Jobs waiting.\n"),
        "{text}"
    );
    assert!(
        text.contains("# HELP app_rpc_latency RPC latency (seconds).\n"),
        "{text}"
    );
    Ok(())
}

#[test]
fn clashes_are_reported_and_never_merged() -> Result<(), Error> {
    collect_errors();
    let registry = Registry::new();
    registry.counter("taken", "Registered by the program.")?;
    let recorder = promforge::facade::builder(&registry).build()?;
    metrics::with_local_recorder(&recorder, || {
        metrics::counter!("clash.a").increment(1);
        metrics::counter!("clash-a").increment(100);
        metrics::counter!("kinds").increment(1);
        metrics::gauge!("kinds").set(100.0);
        metrics::counter!("taken").increment(100);
        metrics::histogram!("lat", "le" => "x").record(1.0);
    });
    let e = check_exposition(&registry.render());
    assert_eq!(e.value("clash_a_total", &[]), Some(1.0));
    assert_eq!(e.value("kinds_total", &[]), Some(1.0));
    assert_eq!(e.value("taken_total", &[]), Some(0.0));
    // Its family exists (made before its labels were read), without a series.
    assert_eq!(e.value("lat_count", &[("le", "x")]), None);
    assert_eq!(e.value("lat_count", &[]), None);
    assert!(reported(
        "`clash-a` and `clash.a` both map to the Prometheus name `clash_a`"
    ));
    assert!(reported("`kinds` is used as a counter and as a gauge"));
    assert!(reported("`taken`"));
    assert!(reported("`lat`"));
    Ok(())
}

/// Each thread keeps the handles it looked up: two recorders on one thread (and a
/// recorder made after another was dropped) never get each other's.
#[test]
fn recorders_on_one_thread_keep_their_own_series() -> Result<(), Error> {
    let registries = [Registry::new(), Registry::new(), Registry::new()];
    for (i, registry) in registries.iter().enumerate() {
        let recorder = promforge::facade::builder(registry).build()?;
        metrics::with_local_recorder(&recorder, || {
            for _ in 0..=i {
                metrics::counter!("hits", "shard" => "a").increment(1);
            }
        });
        // The recorder is dropped here; the next one may get its address.
    }
    for (i, registry) in registries.iter().enumerate() {
        let e = check_exposition(&registry.render());
        assert_eq!(
            e.value("hits_total", &[("shard", "a")]),
            Some(i as f64 + 1.0)
        );
    }
    Ok(())
}

#[test]
fn past_the_limit_updates_go_to_the_overflow_series() -> Result<(), Error> {
    let registry = Registry::new();
    let recorder = promforge::facade::builder(&registry)
        .cardinality_limit(3)
        .build()?;
    metrics::with_local_recorder(&recorder, || {
        for user in 0..10 {
            metrics::counter!("logins", "user" => user.to_string()).increment(1);
        }
    });
    let e = check_exposition(&registry.render());
    for user in ["0", "1", "2"] {
        assert_eq!(e.value("logins_total", &[("user", user)]), Some(1.0));
    }
    assert_eq!(
        e.value("logins_total", &[("user", "__overflow__")]),
        Some(7.0)
    );
    assert_eq!(
        e.value(
            "promforge_cardinality_overflow_total",
            &[("metric", "logins_total")]
        ),
        Some(7.0)
    );
    Ok(())
}

/// A real library that emits through the facade (`metrics-process`), beside the facade's
/// own macros, installed as the process-wide recorder and scraped by a real Prometheus.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_library_on_the_facade_is_scraped_by_prometheus() -> Result<(), Error> {
    let registry = Registry::new();
    promforge::facade::install(&registry)?;
    // One recorder per process: a second install says so.
    assert!(matches!(
        promforge::facade::install(&registry),
        Err(Error::Integration { .. })
    ));
    let collector = metrics_process::Collector::default();
    collector.describe();
    collector.collect();
    metrics::counter!("facade.requests", "route" => "/users/{id}").increment(5);
    let e = check_exposition(&registry.render());
    let rss = e.value("process_resident_memory_bytes", &[]).unwrap_or(0.0);
    assert!(rss > 0.0, "resident memory {rss}");

    let handle = Exporter::new(registry).bind("127.0.0.1:0").start().await?;
    let prom = PrometheusServer::start("facade", &[handle.local_addr()], "").await;
    let within = Duration::from_secs(60);
    let requests = prom
        .wait_for(
            "facade_requests_total{route=\"/users/{id}\"}",
            within,
            |v| v == 5.0,
        )
        .await;
    assert_eq!(requests, 5.0);
    let rss = prom
        .wait_for("process_resident_memory_bytes", within, |v| v > 0.0)
        .await;
    assert!(rss > 0.0);
    let targets = prom.targets().await;
    assert!(
        targets
            .iter()
            .all(|t| t["health"] == "up" && t["lastError"] == ""),
        "{targets:#?}"
    );
    handle.shutdown().await?;
    Ok(())
}

/// A counter whose name ends in `_total` twice, described after its first use: the facade
/// finds it under the name the registry gave it (one `_total` added only when missing) to
/// register it again with its HELP.
#[test]
fn a_counter_named_total_total_takes_its_description() -> Result<(), Error> {
    let registry = Registry::new();
    let recorder = promforge::facade::builder(&registry).build()?;
    metrics::with_local_recorder(&recorder, || {
        metrics::counter!("retries_total_total").increment(3);
        metrics::describe_counter!("retries_total_total", "Retries, counted twice over.");
    });
    let text = registry.render();
    assert!(
        text.contains("# HELP retries_total_total Retries, counted twice over.\n"),
        "{text}"
    );
    assert_eq!(
        check_exposition(&text).value("retries_total_total", &[]),
        Some(3.0)
    );
    Ok(())
}
