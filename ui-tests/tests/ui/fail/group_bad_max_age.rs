// A summary's `max_age` is a duration with a unit, like "30s", "5m", "1h" or "500ms".
use promforge::{MetricsGroup, Summary};

#[derive(MetricsGroup)]
struct Metrics {
    /// Request latency.
    #[metric(unit = "seconds", max_age = "5 minutes")]
    latency: Summary,
    /// Sizes.
    #[metric(unit = "bytes", max_age = "0s")]
    sizes: Summary,
}

fn main() {}
