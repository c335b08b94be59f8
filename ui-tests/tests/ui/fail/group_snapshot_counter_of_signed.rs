// A counter never goes down: a snapshot counter cannot be a signed integer, as
// `Counter<i64>` cannot.
use promforge::MetricsGroup;

#[derive(MetricsGroup)]
#[metrics(prefix = "worker", snapshot)]
struct Stats {
    /// Messages processed.
    #[metric(counter)]
    messages: i64,
}

fn main() {}
