// A snapshot value is a gauge unless marked `counter`: named `…_total`, it reads as a counter.
use promforge::MetricsGroup;

#[derive(MetricsGroup)]
#[metrics(prefix = "worker", snapshot)]
struct Stats {
    /// Messages processed.
    messages_total: u64,
}

fn main() {}
