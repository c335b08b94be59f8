// A live group with every kind of field: metrics (HELP from the doc comment or `help`),
// units, buckets, a family, a nested group, a skipped field; the names it renders to; the
// process-wide `global()`; and a labeled group (`labels = …`) with its families struct.
use promforge::{
    Counter, Family, FloatCounter, FloatGauge, Gauge, Histogram, LabelSet, LabelValue,
    MetricsGroup, Registry,
};

#[derive(LabelValue, Clone, Copy)]
enum ActionKind {
    Buy,
    Sell,
}

#[derive(LabelSet, Clone, Copy)]
struct ActionLabels {
    kind: ActionKind,
}

/// Cache metrics, nested in `ObserverMetrics`.
#[derive(MetricsGroup)]
#[metrics(prefix = "cache")]
struct CacheMetrics {
    /// Cache hits.
    hits: Counter,
    /// Bytes held by the cache.
    #[metric(unit = "bytes")]
    size: Gauge,
}

#[derive(MetricsGroup)]
#[metrics(prefix = "observer")]
pub struct ObserverMetrics {
    /// Events processed.
    ///
    /// Only the first paragraph is the HELP text.
    events_processed: Counter,
    /// Events being processed
    /// right now.
    events_in_flight: Gauge,
    /// Action latency.
    #[metric(unit = "seconds", buckets = [0.001, 0.01, 0.1, 1.0])]
    action_duration: Histogram,
    /// Time spent waiting, kept in seconds by the program.
    #[metric(unit = "seconds")]
    wait_time_ms: FloatCounter,
    #[metric(name = "acts", help = "Actions by kind.")]
    actions: Family<ActionLabels, Counter>,
    /// Load.
    #[metric(unit = "ratio")]
    load_percent: FloatGauge,
    /// Queue latency.
    #[metric(buckets = promforge::DEFAULT_BUCKETS)]
    queue_latency: Histogram,
    cache: CacheMetrics,
    #[metric(skip)]
    note: String,
}

#[derive(LabelSet, Clone)]
struct WorkerLabels {
    worker_id: u32,
}

#[derive(MetricsGroup)]
#[metrics(prefix = "worker", labels = WorkerLabels)]
struct WorkerMetrics {
    /// Messages processed.
    messages: Counter,
    /// Queue depth.
    queue_depth: Gauge,
    /// Handling time.
    #[metric(unit = "seconds", buckets = [0.5, 1])]
    handling: Histogram,
    #[metric(skip)]
    scratch: Vec<u8>,
}

fn main() -> Result<(), promforge::Error> {
    let registry = Registry::new();
    let metrics = ObserverMetrics::register(&registry)?;
    metrics.events_processed.inc();
    metrics.events_in_flight.set(2);
    metrics.action_duration.observe(0.005);
    metrics.wait_time_ms.inc_by(1.5);
    metrics
        .actions
        .get(&ActionLabels {
            kind: ActionKind::Sell,
        })
        .inc();
    metrics.load_percent.set(0.25);
    metrics.queue_latency.observe(0.2);
    metrics.cache.hits.inc_by(7);
    metrics.cache.size.set(4096);
    assert!(metrics.note.is_empty());

    let text = registry.render();
    println!("{text}");
    for expected in [
        "# HELP observer_events_processed_total Events processed.\n",
        "# TYPE observer_events_processed_total counter\n",
        "observer_events_processed_total 1\n",
        "# HELP observer_events_in_flight Events being processed right now.\n",
        "observer_events_in_flight 2\n",
        "# HELP observer_action_duration_seconds Action latency.\n",
        "# TYPE observer_action_duration_seconds histogram\n",
        "observer_action_duration_seconds_bucket{le=\"0.001\"} 0\n",
        "observer_action_duration_seconds_bucket{le=\"0.01\"} 1\n",
        "observer_action_duration_seconds_bucket{le=\"+Inf\"} 1\n",
        "observer_action_duration_seconds_count 1\n",
        "observer_wait_time_seconds_total 1.5\n",
        "# HELP observer_acts_total Actions by kind.\n",
        "observer_acts_total{kind=\"buy\"} 0\n",
        "observer_acts_total{kind=\"sell\"} 1\n",
        "observer_load_ratio 0.25\n",
        "observer_queue_latency_bucket{le=\"0.25\"} 1\n",
        "# HELP observer_cache_hits_total Cache hits.\n",
        "observer_cache_hits_total 7\n",
        "observer_cache_size_bytes 4096\n",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    assert!(!text.contains("Only the first paragraph"));

    // Registering twice in one registry is an error, not a panic.
    assert!(ObserverMetrics::register(&registry).is_err());

    // The process-wide instance: the same one at every call.
    let global = ObserverMetrics::global();
    global.events_processed.inc();
    assert!(std::ptr::eq(global, ObserverMetrics::global()));
    assert!(
        promforge::default_registry()
            .render()
            .contains("observer_events_processed_total 1\n")
    );

    // The unregistered fallback works too.
    let detached = <CacheMetrics as MetricsGroup>::unregistered();
    detached.hits.inc();
    assert_eq!(detached.hits.get(), 1);

    // A labeled group: one family per field, a group per label set.
    let families = WorkerMetricsFamilies::register(&registry)?;
    let worker = families.for_labels(&WorkerLabels { worker_id: 3 });
    worker.messages.inc_by(5);
    worker.queue_depth.set(4);
    worker.handling.observe(0.7);
    assert!(worker.scratch.is_empty());
    let other = families.for_labels(&WorkerLabels { worker_id: 4 });
    other.messages.inc();
    // The same series again: a handle to what `worker` updated.
    let again = families.for_labels(&WorkerLabels { worker_id: 3 });
    assert_eq!(again.messages.get(), 5);
    let text = registry.render();
    println!("{text}");
    for expected in [
        "# HELP worker_messages_total Messages processed.\n",
        "worker_messages_total{worker_id=\"3\"} 5\n",
        "worker_messages_total{worker_id=\"4\"} 1\n",
        "worker_queue_depth{worker_id=\"3\"} 4\n",
        "worker_handling_seconds_bucket{worker_id=\"3\",le=\"1\"} 1\n",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    families.queue_depth.remove(&WorkerLabels { worker_id: 4 });

    // The process-wide families, through the group.
    WorkerMetrics::for_labels(&WorkerLabels { worker_id: 9 })
        .messages
        .inc();
    assert!(
        promforge::default_registry()
            .render()
            .contains("worker_messages_total{worker_id=\"9\"} 1\n")
    );
    Ok(())
}
