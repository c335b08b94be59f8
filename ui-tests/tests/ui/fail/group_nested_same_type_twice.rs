// A nested group is named by its own prefix, not by the field: two fields of the same group
// type would register the same names.
use promforge::{Counter, MetricsGroup};

#[derive(MetricsGroup)]
#[metrics(prefix = "cache")]
struct Cache {
    /// Hits.
    hits: Counter,
}

#[derive(MetricsGroup)]
#[metrics(prefix = "app")]
struct Metrics {
    users: Cache,
    sessions: Cache,
}

fn main() {}
