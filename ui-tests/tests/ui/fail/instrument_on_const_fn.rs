// A const fn can run at compile time, where there are no metrics to update.
use promforge::instrument_metrics;

#[instrument_metrics]
const fn answer() -> u32 {
    42
}

// The function is kept as written, still `const`: no follow-on error here.
const ANSWER: u32 = answer();

fn main() {
    let _ = ANSWER;
}
