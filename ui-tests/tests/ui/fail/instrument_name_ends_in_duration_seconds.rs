// The attribute adds `_duration_seconds` to `name`: a name ending in it would have it twice.
use promforge::instrument_metrics;

#[instrument_metrics(name = "render_duration_seconds")]
fn render(page: &str) -> usize {
    page.len()
}

fn main() {
    let _ = render("index");
}
