// A state set has one series per state: its states are a closed LabelValue enum.
use promforge::{MetricsGroup, StateSet};

#[derive(MetricsGroup)]
struct Metrics {
    /// The current phase.
    phase: StateSet<String>,
}

fn main() {}
