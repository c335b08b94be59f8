// Every field of a live group is a metric or a nested group (or is skipped): a `String`
// is neither.
use promforge::Counter;
use promforge::MetricsGroup;

#[derive(MetricsGroup)]
struct Metrics {
    /// Requests.
    requests: Counter,
    name: String,
}

fn main() {}
