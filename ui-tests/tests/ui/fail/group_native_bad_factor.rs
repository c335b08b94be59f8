// A native histogram's bucket factor must be above 1.
use promforge::{MetricsGroup, NativeHistogram};

#[derive(MetricsGroup)]
struct Metrics {
    /// Latency.
    #[metric(unit = "seconds", native(bucket_factor = 1.0))]
    latency: NativeHistogram,
}

fn main() {}
