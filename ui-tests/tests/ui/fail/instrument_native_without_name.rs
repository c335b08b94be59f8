// The shared function_calls_duration_seconds is one histogram for every function: a native one needs `name`.
use promforge::instrument_metrics;

#[instrument_metrics(native)]
fn resolve(host: &str) -> usize {
    host.len()
}

fn main() {
    let _ = resolve("example.org");
}
