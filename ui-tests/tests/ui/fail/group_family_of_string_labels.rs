// A family's labels are a LabelSet struct (label names are its field names): a bare String
// has no label name.
use promforge::{Counter, Family, MetricsGroup};

#[derive(MetricsGroup)]
struct Metrics {
    /// Requests.
    requests: Family<String, Counter>,
}

fn main() {}
