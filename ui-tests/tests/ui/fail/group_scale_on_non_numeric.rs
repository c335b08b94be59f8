// `scale` converts numbers (ms → seconds, MB → bytes); it means nothing on a bool.
use promforge::MetricsGroup;

#[derive(MetricsGroup)]
#[metrics(prefix = "svc", snapshot)]
struct Stats {
    /// Whether the service is up.
    #[metric(scale = 0.001)]
    up: bool,
}

fn main() {}
