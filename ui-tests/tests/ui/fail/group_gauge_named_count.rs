// A gauge named `…_count` would look like a summary's or histogram's sample.
use promforge::{FloatGauge, MetricsGroup};

#[derive(MetricsGroup)]
#[metrics(prefix = "pool")]
struct Metrics {
    /// Connections open.
    #[metric(name = "connections_count")]
    connections: FloatGauge,
}

fn main() {}
