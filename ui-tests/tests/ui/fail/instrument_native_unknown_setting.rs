// native(…) takes bucket_factor, zero_threshold and max_buckets.
use promforge::instrument_metrics;

#[instrument_metrics(name = "resolve", native(factor = 1.1))]
fn resolve(host: &str) -> usize {
    host.len()
}

fn main() {
    let _ = resolve("example.org");
}
