// linear(start, width, count): each bound is the one before plus the width, which must be
// greater than 0 (in #[derive(MetricsGroup)] and #[instrument_metrics] alike).
use promforge::{Histogram, MetricsGroup, instrument_metrics};

#[derive(MetricsGroup)]
struct Metrics {
    /// Request sizes.
    #[metric(unit = "bytes", buckets = linear(100, 0, 5))]
    sizes: Histogram,
}

#[instrument_metrics(name = "render", buckets = linear(0.1, 0.0, 5))]
fn render(page: &str) -> usize {
    page.len()
}

fn main() {
    let _ = render("index");
}
