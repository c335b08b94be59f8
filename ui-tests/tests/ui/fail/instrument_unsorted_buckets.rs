// Histogram bucket bounds are strictly increasing.
use promforge::instrument_metrics;

#[instrument_metrics(name = "render", buckets = [0.1, 1.0, 0.5, 5.0])]
fn render(page: &str) -> usize {
    page.len()
}

fn main() {
    let _ = render("index");
}
