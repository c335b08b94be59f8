// A summary's quantiles are fractions strictly between 0 and 1.
use promforge::{MetricsGroup, Summary};

#[derive(MetricsGroup)]
struct Metrics {
    /// Request latency.
    #[metric(unit = "seconds", quantiles = [0.5, 0.99, 1.0])]
    latency: Summary,
    /// Sizes.
    #[metric(unit = "bytes", quantiles = [0, 0.5, 99])]
    sizes: Summary,
}

fn main() {}
