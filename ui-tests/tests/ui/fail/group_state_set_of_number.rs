// A state set's states are a closed enum, not any number.
use promforge::{MetricsGroup, StateSet};

#[derive(MetricsGroup)]
struct Metrics {
    /// The current phase.
    phase: StateSet<u8>,
}

fn main() {}
