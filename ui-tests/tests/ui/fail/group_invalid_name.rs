// Metric names follow the Prometheus rule `[a-zA-Z_:][a-zA-Z0-9_:]*`: a name given with
// `name = …` or a prefix that breaks it is refused, on its literal.
use promforge::Counter;
use promforge::MetricsGroup;

#[derive(MetricsGroup)]
#[metrics(prefix = "my-app")]
struct Metrics {
    /// Requests.
    #[metric(name = "bad-name")]
    requests: Counter,
}

fn main() {}
