// Histogram buckets are checked at compile time: strictly increasing finite numbers.
use promforge::Histogram;
use promforge::MetricsGroup;

#[derive(MetricsGroup)]
struct Metrics {
    /// Latency.
    #[metric(unit = "seconds", buckets = [0.1, 0.5, 0.25, 1.0])]
    latency: Histogram,
    /// Sizes.
    #[metric(unit = "bytes", buckets = [])]
    sizes: Histogram,
}

fn main() {}
