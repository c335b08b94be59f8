// exemplars = … takes `false` (or `true`, the default), nothing else.
use promforge::instrument_metrics;

#[instrument_metrics(exemplars = "off")]
fn tick(n: u64) -> u64 {
    n + 1
}

fn main() {
    let _ = tick(1);
}
