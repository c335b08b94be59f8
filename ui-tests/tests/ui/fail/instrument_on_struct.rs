// #[instrument_metrics] records the calls of a function: a struct is not called.
use promforge::instrument_metrics;

#[instrument_metrics]
struct Store {
    value: u32,
}

fn main() {
    // The struct is kept as written: no follow-on error here.
    let store = Store { value: 1 };
    let _ = store.value;
}
