// Each quantile of a summary is given once.
use promforge::{MetricsGroup, Summary};

#[derive(MetricsGroup)]
struct Metrics {
    /// Request latency.
    #[metric(unit = "seconds", quantiles = [0.5, 0.9, 0.50])]
    latency: Summary,
}

fn main() {}
