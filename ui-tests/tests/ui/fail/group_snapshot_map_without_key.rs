// The keys of a map in a snapshot group are written in a label, which needs a name.
use promforge::MetricsGroup;
use std::collections::HashMap;

#[derive(MetricsGroup)]
#[metrics(snapshot)]
struct ConnectionStats {
    /// Messages received.
    received: u64,
}

#[derive(MetricsGroup)]
#[metrics(prefix = "worker", snapshot)]
struct WorkerStats {
    connections: HashMap<String, ConnectionStats>,
}

fn uses(stats: WorkerStats) {
    let registry = promforge::Registry::new();
    let _ = WorkerStats::register_snapshot(&registry, std::sync::Arc::new(stats));
}

fn main() {}
