// In a snapshot group too, two nested fields of one type write the same families.
use promforge::MetricsGroup;

#[derive(MetricsGroup, Default)]
#[metrics(prefix = "queue", snapshot)]
struct Queue {
    /// Jobs waiting.
    waiting: u64,
}

#[derive(MetricsGroup, Default)]
#[metrics(prefix = "worker", snapshot)]
struct Stats {
    inbox: Queue,
    outbox: Queue,
}

fn main() {}
