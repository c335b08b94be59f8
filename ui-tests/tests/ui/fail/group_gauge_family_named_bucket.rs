// A family of gauges named `…_bucket` would look like a histogram's samples.
use promforge::{Family, Gauge, LabelSet, MetricsGroup};

#[derive(LabelSet, Clone, Copy)]
struct Shard {
    shard: u8,
}

#[derive(MetricsGroup)]
struct Metrics {
    /// Tokens left in each bucket.
    token_bucket: Family<Shard, Gauge>,
}

fn main() {}
