// A zero threshold must not be negative.
use promforge::instrument_metrics;

#[instrument_metrics(name = "resolve", native(zero_threshold = -0.5))]
fn resolve(host: &str) -> usize {
    host.len()
}

fn main() {
    let _ = resolve("example.org");
}
