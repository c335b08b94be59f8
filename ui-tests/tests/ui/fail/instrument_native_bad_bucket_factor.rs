// A bucket factor must be above 1.
use promforge::instrument_metrics;

#[instrument_metrics(name = "resolve", native(bucket_factor = 1.0))]
fn resolve(host: &str) -> usize {
    host.len()
}

fn main() {
    let _ = resolve("example.org");
}
