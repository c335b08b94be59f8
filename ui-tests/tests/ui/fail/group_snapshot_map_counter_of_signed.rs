// The values of a map written as a counter cannot be signed either.
use std::collections::BTreeMap;

use promforge::MetricsGroup;

#[derive(MetricsGroup)]
#[metrics(prefix = "worker", snapshot)]
struct Stats {
    /// Messages processed, by queue.
    #[metric(counter, key = "queue")]
    messages: BTreeMap<String, i64>,
}

fn main() {}
