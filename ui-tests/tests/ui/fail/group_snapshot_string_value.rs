// A String is no value: to put it on the struct's samples, it is a label.
use promforge::MetricsGroup;

#[derive(MetricsGroup)]
#[metrics(prefix = "worker", snapshot)]
struct Stats {
    worker_id: String,
    /// Messages processed.
    #[metric(counter)]
    messages: u64,
}

fn main() {}
