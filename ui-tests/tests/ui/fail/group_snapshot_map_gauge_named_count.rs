// The values of a map are a gauge unless marked `counter`: `…_count` is refused on them too.
use std::collections::HashMap;

use promforge::MetricsGroup;

#[derive(MetricsGroup)]
#[metrics(prefix = "worker", snapshot)]
struct Stats {
    /// Connections open, by peer.
    #[metric(key = "peer", name = "connections_count")]
    connections: HashMap<String, u32>,
}

fn main() {}
