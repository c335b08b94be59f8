// The shared function_calls_duration_seconds is a histogram for every function: a summary
// of durations needs families of the function's own, named with `name = "…"`.
use promforge::instrument_metrics;

#[instrument_metrics(summary(quantiles = [0.5, 0.99]))]
fn render(page: &str) -> usize {
    page.len()
}

fn main() {
    let _ = render("index");
}
