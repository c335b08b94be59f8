// A label field of a snapshot group has a label name: `le` is reserved for histogram
// buckets (and `quantile`, `__*` likewise).
use promforge::MetricsGroup;

#[derive(MetricsGroup)]
#[metrics(snapshot)]
struct Stats {
    #[metric(label)]
    le: String,
    /// Items.
    items: u64,
}

fn main() {}
