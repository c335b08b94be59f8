// Unknown keys in #[metrics(…)] and #[metric(…)] are reported with the keys that are valid
// there (and the closest one, for a typo).
use promforge::MetricsGroup;
use promforge::{Counter, Histogram};

#[derive(MetricsGroup)]
#[metrics(prefx = "app")]
struct Metrics {
    /// Latency.
    #[metric(unti = "seconds")]
    latency: Histogram,
    /// Requests.
    #[metric(counter, default = 0)]
    requests: Counter,
}

fn main() {}
