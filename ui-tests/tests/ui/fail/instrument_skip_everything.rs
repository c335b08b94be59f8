// Skipping calls, durations and calls in flight records nothing at all.
use promforge::instrument_metrics;

#[instrument_metrics(skip(calls, duration, in_flight))]
fn parse(input: &str) -> usize {
    input.len()
}

fn main() {
    let _ = parse("1");
}
