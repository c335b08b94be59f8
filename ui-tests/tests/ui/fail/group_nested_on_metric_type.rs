// `nested` is for a field whose type is a group; a Counter is a metric.
use promforge::{Counter, MetricsGroup};

#[derive(MetricsGroup)]
struct Metrics {
    /// Requests.
    #[metric(nested)]
    requests: Counter,
}

fn main() {}
