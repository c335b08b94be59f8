// A family holds metrics, not plain numbers.
use promforge::{Family, LabelSet, MetricsGroup};

#[derive(LabelSet, Clone, Copy)]
struct Shard {
    shard: u8,
}

#[derive(MetricsGroup)]
struct Metrics {
    /// Requests.
    requests: Family<Shard, u64>,
}

fn main() {}
