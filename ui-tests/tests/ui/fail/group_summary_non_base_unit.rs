// A summary's name ends in the base unit of its sum: `_ms` is not one (name it `_seconds`
// and convert with `scale`), and a name without a unit is refused too.
use promforge::MetricsGroup;

#[derive(MetricsGroup)]
#[metrics(prefix = "recycler", snapshot)]
#[metrics(summary(
    name = "downtime_ms",
    avg = avg_downtime_ms,
    count = recycles_completed,
    help = "Downtime per recycle."
))]
#[metrics(summary(name = "downtime", avg = avg_downtime_ms, count = recycles_completed, help = "Downtime."))]
struct RecycleStats {
    /// Recycles completed.
    #[metric(counter)]
    recycles_completed: u64,
    #[metric(skip)]
    avg_downtime_ms: f64,
}

fn main() {}
