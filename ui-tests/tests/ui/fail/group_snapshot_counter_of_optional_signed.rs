// An `Option` of a signed integer is no better as a counter.
use promforge::MetricsGroup;

#[derive(MetricsGroup)]
#[metrics(prefix = "worker", snapshot)]
struct Stats {
    /// Restarts.
    #[metric(counter)]
    restarts: Option<i32>,
}

fn main() {}
