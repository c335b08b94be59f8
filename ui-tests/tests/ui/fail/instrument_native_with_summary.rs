// A native histogram and a summary are two ways to record durations: give one.
use promforge::instrument_metrics;

#[instrument_metrics(name = "resolve", summary, native)]
fn resolve(host: &str) -> usize {
    host.len()
}

fn main() {
    let _ = resolve("example.org");
}
