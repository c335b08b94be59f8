// A snapshot group: a plain stats struct read at every scrape. Label fields, counters,
// gauges with a unit and a scale, durations, options (None writes nothing), a nested
// struct, a Vec and maps of nested structs, and a map of values.
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use promforge::{FromFn, MetricsGroup, Registry};

#[derive(MetricsGroup, Clone, Default)]
#[metrics(prefix = "queue", snapshot)]
struct QueueStats {
    /// Messages waiting.
    depth: u32,
}

#[derive(MetricsGroup, Clone)]
#[metrics(prefix = "connection", snapshot)]
struct ConnectionStats {
    /// Messages received on the connection.
    #[metric(counter)]
    messages_received: u64,
    /// Whether the connection is up.
    up: bool,
}

#[derive(MetricsGroup, Clone)]
#[metrics(snapshot)]
struct ShardStats {
    #[metric(label, name = "shard")]
    id: u8,
    /// Keys in the shard.
    shard_keys: usize,
}

#[derive(MetricsGroup, Clone)]
#[metrics(prefix = "polypy_worker", snapshot)]
struct WorkerStats {
    #[metric(label)]
    worker_id: String,
    /// Messages processed.
    #[metric(counter)]
    messages_processed: u64,
    /// Memory in use.
    #[metric(gauge, unit = "bytes", scale = 1048576.0)]
    memory_usage_mb: f64,
    /// Average latency.
    #[metric(unit = "seconds", scale = 0.001)]
    avg_latency_ms: f64,
    /// Uptime.
    #[metric(unit = "seconds")]
    uptime: Duration,
    /// Time since the last snapshot.
    since_snapshot: Option<Duration>,
    /// The last error code, if any.
    last_error: Option<i32>,
    /// CPU in use.
    #[metric(unit = "ratio", scale = 0.01)]
    cpu_percent: Option<f32>,
    #[metric(skip)]
    scratch: Vec<u8>,
    queue: QueueStats,
    shards: Vec<ShardStats>,
    #[metric(key = "connection_id")]
    connections: HashMap<String, ConnectionStats>,
    /// Messages sent, by destination.
    #[metric(counter, key = "destination", name = "sent")]
    sent_by_destination: BTreeMap<&'static str, u64>,
}

fn stats() -> WorkerStats {
    WorkerStats {
        worker_id: "w1".to_owned(),
        messages_processed: 42,
        memory_usage_mb: 1.5,
        avg_latency_ms: 250.0,
        uptime: Duration::from_millis(90_500),
        since_snapshot: None,
        last_error: Some(-3),
        cpu_percent: Some(50.0),
        scratch: vec![1, 2, 3],
        queue: QueueStats { depth: 7 },
        shards: vec![
            ShardStats {
                id: 0,
                shard_keys: 10,
            },
            ShardStats {
                id: 1,
                shard_keys: 11,
            },
        ],
        connections: HashMap::from([(
            "c\"1".to_owned(),
            ConnectionStats {
                messages_received: 5,
                up: true,
            },
        )]),
        sent_by_destination: BTreeMap::from([("router", 3), ("store", 4)]),
    }
}

fn check(text: &str) {
    println!("{text}");
    for expected in [
        "# HELP polypy_worker_messages_processed_total Messages processed.\n",
        "# TYPE polypy_worker_messages_processed_total counter\n",
        "polypy_worker_messages_processed_total{worker_id=\"w1\"} 42\n",
        "# TYPE polypy_worker_memory_usage_bytes gauge\n",
        "polypy_worker_memory_usage_bytes{worker_id=\"w1\"} 1572864\n",
        "polypy_worker_avg_latency_seconds{worker_id=\"w1\"} 0.25\n",
        "polypy_worker_uptime_seconds{worker_id=\"w1\"} 90.5\n",
        "polypy_worker_last_error{worker_id=\"w1\"} -3\n",
        "polypy_worker_cpu_ratio{worker_id=\"w1\"} 0.5\n",
        "# HELP polypy_worker_queue_depth Messages waiting.\n",
        "polypy_worker_queue_depth{worker_id=\"w1\"} 7\n",
        "polypy_worker_shard_keys{worker_id=\"w1\",shard=\"0\"} 10\n",
        "polypy_worker_shard_keys{worker_id=\"w1\",shard=\"1\"} 11\n",
        "polypy_worker_connection_messages_received_total{worker_id=\"w1\",connection_id=\"c\\\"1\"} 5\n",
        "polypy_worker_connection_up{worker_id=\"w1\",connection_id=\"c\\\"1\"} 1\n",
        "# TYPE polypy_worker_sent_total counter\n",
        "polypy_worker_sent_total{worker_id=\"w1\",destination=\"router\"} 3\n",
        "polypy_worker_sent_total{worker_id=\"w1\",destination=\"store\"} 4\n",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    // `None` writes no sample, and a family without samples is left out.
    assert!(!text.contains("since_snapshot"), "{text}");
    assert!(!text.contains("scratch"), "{text}");
}

fn main() -> Result<(), promforge::Error> {
    // From a shared, locked value the program updates.
    let registry = Registry::new();
    let shared = Arc::new(Mutex::new(stats()));
    let names = WorkerStats::register_snapshot(&registry, shared.clone())?;
    assert_eq!(
        names.len(),
        <WorkerStats as promforge::SnapshotGroup>::FAMILY_COUNT
    );
    assert!(names.contains(&"polypy_worker_messages_processed_total".to_owned()));
    check(&registry.render());
    shared
        .lock()
        .map(|mut stats| stats.messages_processed += 1)
        .ok();
    assert!(
        registry
            .render()
            .contains("polypy_worker_messages_processed_total{worker_id=\"w1\"} 43\n")
    );

    // From a closure returning a copy.
    let registry = Registry::new();
    let stats = stats();
    WorkerStats::register_snapshot(&registry, FromFn(move || stats.clone()))?;
    check(&registry.render());

    // A struct registered on its own, through the runtime's function.
    let registry = Registry::new();
    promforge::register_snapshot(&registry, Arc::new(QueueStats::default()))?;
    assert!(registry.render().contains("queue_depth 0\n"));
    Ok(())
}
