// A native histogram needs a budget of at least 2 buckets.
use promforge::{MetricsGroup, NativeHistogram};

#[derive(MetricsGroup)]
struct Metrics {
    /// Latency.
    #[metric(unit = "seconds", native(max_buckets = 1))]
    latency: NativeHistogram,
}

fn main() {}
