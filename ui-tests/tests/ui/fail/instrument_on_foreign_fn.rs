// A foreign function has no body to instrument.
use promforge::instrument_metrics;

unsafe extern "C" {
    #[instrument_metrics]
    fn abs(input: i32) -> i32;
}

fn main() {}
