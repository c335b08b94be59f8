// Every metric needs HELP text: a doc comment or `help = "…"`. The struct still works
// elsewhere (no follow-on errors from its uses).
use promforge::MetricsGroup;
use promforge::{Counter, Gauge};

#[derive(MetricsGroup)]
struct Metrics {
    /// Requests served.
    requests: Counter,
    in_flight: Gauge,
}

fn uses() {
    Metrics::global().in_flight.inc();
}

fn main() {}
