// A gauge named `…_total` reads as a counter (and promtool refuses it).
use promforge::{Gauge, MetricsGroup};

#[derive(MetricsGroup)]
#[metrics(prefix = "queue")]
struct Metrics {
    /// Jobs waiting.
    jobs_total: Gauge,
}

fn main() {}
