// A native histogram and fixed buckets are two ways to record durations: give one.
use promforge::instrument_metrics;

#[instrument_metrics(name = "resolve", native, buckets = [0.1, 1.0])]
fn resolve(host: &str) -> usize {
    host.len()
}

fn main() {
    let _ = resolve("example.org");
}
