// A prefix starts the metric names: it follows the metric name rule, so no `-`.
use promforge::instrument_metrics;

#[instrument_metrics(prefix = "my-service")]
fn handle(request: &str) -> usize {
    request.len()
}

fn main() {
    let _ = handle("GET /");
}
