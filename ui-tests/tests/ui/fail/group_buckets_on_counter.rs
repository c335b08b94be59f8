// `buckets` applies to histograms only.
use promforge::Counter;
use promforge::MetricsGroup;

#[derive(MetricsGroup)]
struct Metrics {
    /// Requests.
    #[metric(buckets = [0.1, 1.0])]
    requests: Counter,
}

fn main() {}
