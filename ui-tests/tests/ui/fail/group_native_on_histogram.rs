// `native` settings on a field that is not a `NativeHistogram`: a `Histogram` keeps classic
// buckets only.
use promforge::{Histogram, MetricsGroup};

#[derive(MetricsGroup)]
struct Metrics {
    /// Latency.
    #[metric(unit = "seconds", native(bucket_factor = 1.05))]
    latency: Histogram,
}

fn main() {}
