// exponential(start, factor, count): each bound is the one before times the factor, which
// must be greater than 1 (in #[derive(MetricsGroup)] and #[instrument_metrics] alike).
use promforge::{Histogram, MetricsGroup, instrument_metrics};

#[derive(MetricsGroup)]
struct Metrics {
    /// Request latency.
    #[metric(unit = "seconds", buckets = exponential(0.001, 1.0, 10))]
    latency: Histogram,
}

#[instrument_metrics(name = "render", buckets = exponential(0.01, 0.5, 8))]
fn render(page: &str) -> usize {
    page.len()
}

fn main() {
    let _ = render("index");
}
