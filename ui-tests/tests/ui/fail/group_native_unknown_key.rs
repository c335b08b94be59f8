// An unknown key inside `native(…)` names the valid ones.
use promforge::{MetricsGroup, NativeHistogram};

#[derive(MetricsGroup)]
struct Metrics {
    /// Latency.
    #[metric(unit = "seconds", native(factor = 1.1))]
    latency: NativeHistogram,
}

fn main() {}
