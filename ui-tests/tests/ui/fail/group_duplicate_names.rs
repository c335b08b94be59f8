// Two fields of a group cannot render to the same metric name (nor to one another's
// sample names), whether the name comes from the field or from `name = …`.
use promforge::MetricsGroup;
use promforge::{Counter, Gauge, Histogram};

#[derive(MetricsGroup)]
#[metrics(prefix = "app")]
struct Metrics {
    /// Requests.
    requests: Counter,
    /// Requests, again.
    #[metric(name = "requests")]
    also_requests: Counter,
    /// Latency.
    #[metric(unit = "seconds")]
    latency: Histogram,
    /// Clashes with the histogram's `_count` samples.
    latency_seconds_count: Gauge,
}

fn main() {}
