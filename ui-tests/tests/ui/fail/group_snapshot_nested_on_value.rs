// `nested` is for a field whose type is a snapshot struct; a number is a value.
use promforge::MetricsGroup;

#[derive(MetricsGroup)]
#[metrics(prefix = "worker", snapshot)]
struct Stats {
    /// Messages processed.
    #[metric(nested)]
    messages: u64,
}

fn main() {}
