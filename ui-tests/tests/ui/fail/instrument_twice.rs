use promforge::instrument_metrics;

#[instrument_metrics]
#[instrument_metrics(prefix = "again")]
fn counted_twice() -> u8 {
    1
}

fn main() {
    counted_twice();
}
