// A summary from aggregates has no field whose doc comment could be its HELP text: `help`
// is required.
use promforge::MetricsGroup;

#[derive(MetricsGroup)]
#[metrics(prefix = "router", snapshot)]
#[metrics(summary(
    name = "routing_latency_seconds",
    sum = total_latency_ms,
    count = messages_routed,
    scale = 0.001
))]
struct RouterStats {
    /// Messages routed.
    #[metric(counter)]
    messages_routed: u64,
    #[metric(skip)]
    total_latency_ms: f64,
}

fn main() {}
