// A snapshot gauge named `…_sum` would look like a summary's sample.
use promforge::MetricsGroup;

#[derive(MetricsGroup)]
#[metrics(prefix = "worker", snapshot)]
struct Stats {
    /// Sizes of every message so far, added up.
    message_size_sum: u64,
}

fn main() {}
