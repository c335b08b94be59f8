// skip(…) names metrics the attribute records: `calls`, `duration`, `in_flight`.
use promforge::instrument_metrics;

#[instrument_metrics(skip(in_flight, errors))]
fn tick(n: u64) -> u64 {
    n + 1
}

fn main() {
    let _ = tick(1);
}
