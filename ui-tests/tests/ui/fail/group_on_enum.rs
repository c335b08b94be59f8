// MetricsGroup is derived for structs with named fields.
use promforge::MetricsGroup;

#[derive(MetricsGroup)]
enum Metrics {
    Requests,
}

fn main() {}
