// `le` is written by histograms for their bucket bounds, and the duration histogram is one.
use promforge::instrument_metrics;

#[instrument_metrics(name = "fetch", labels(le = limit))]
fn fetch(limit: u32) -> u32 {
    limit
}

fn main() {
    let _ = fetch(3);
}
