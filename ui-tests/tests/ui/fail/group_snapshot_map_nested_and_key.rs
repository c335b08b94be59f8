// A map of nested stats takes `key = "…"` only: `nested` is for a single nested struct.
use std::collections::HashMap;

use promforge::MetricsGroup;

#[derive(MetricsGroup)]
#[metrics(prefix = "queue", snapshot)]
struct Queue {
    /// Jobs waiting.
    waiting: u64,
}

#[derive(MetricsGroup)]
#[metrics(prefix = "worker", snapshot)]
struct Stats {
    #[metric(nested, key = "queue")]
    queues: HashMap<String, Queue>,
}

fn main() {}
