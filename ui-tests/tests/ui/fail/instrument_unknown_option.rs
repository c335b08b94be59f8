// A misspelt option is an error that lists the valid ones.
use promforge::instrument_metrics;

#[instrument_metrics(name = "render", bukets = [0.1, 1.0])]
fn render(page: &str) -> usize {
    page.len()
}

fn main() {
    let _ = render("index");
}
