// A label field's type must be a label value (a string, an integer, bool, or a
// #[derive(LabelValue)] enum).
use promforge::MetricsGroup;

struct Endpoint {
    host: String,
}

#[derive(MetricsGroup)]
#[metrics(prefix = "svc", snapshot)]
struct Stats {
    #[metric(label)]
    endpoint: Endpoint,
    /// Requests served.
    #[metric(counter)]
    requests: u64,
}

fn main() {}
