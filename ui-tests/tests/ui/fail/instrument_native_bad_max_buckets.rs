// A native histogram keeps at least 2 buckets.
use promforge::instrument_metrics;

#[instrument_metrics(name = "resolve", native(max_buckets = 1))]
fn resolve(host: &str) -> usize {
    host.len()
}

fn main() {
    let _ = resolve("example.org");
}
