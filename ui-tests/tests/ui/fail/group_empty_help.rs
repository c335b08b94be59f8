// An empty HELP text is refused.
use promforge::{Counter, MetricsGroup};

#[derive(MetricsGroup)]
struct Metrics {
    #[metric(help = "")]
    requests: Counter,
}

fn main() {}
