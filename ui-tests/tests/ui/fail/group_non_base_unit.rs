// Metric names carry base units only (seconds, bytes, ratio…): a non-base unit is refused,
// with the base unit to use (and, for a snapshot value, the scale that converts it).
use promforge::Histogram;
use promforge::MetricsGroup;

#[derive(MetricsGroup)]
struct Live {
    /// Request latency.
    #[metric(unit = "milliseconds")]
    latency: Histogram,
}

#[derive(MetricsGroup)]
#[metrics(snapshot)]
struct Stats {
    /// Memory in use.
    #[metric(unit = "megabytes")]
    memory: f64,
    /// CPU in use.
    #[metric(unit = "percent")]
    cpu: f64,
}

fn main() {}
