// A `&str` is no value either: it is a label.
use promforge::MetricsGroup;

#[derive(MetricsGroup)]
#[metrics(prefix = "worker", snapshot)]
struct Stats {
    region: &'static str,
    /// Messages processed.
    #[metric(counter)]
    messages: u64,
}

fn main() {}
