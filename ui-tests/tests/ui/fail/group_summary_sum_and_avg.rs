// A summary's sum is a total (`sum`) or an average times the count (`avg`): one of them,
// not both and not neither; an unknown key is refused with the keys listed.
use promforge::MetricsGroup;

#[derive(MetricsGroup)]
#[metrics(prefix = "worker", snapshot)]
#[metrics(summary(
    name = "processing_seconds",
    sum = processing_time_ms,
    avg = avg_processing_time_ms,
    count = messages_processed,
    scale = 0.001,
    help = "Message processing time."
))]
#[metrics(summary(name = "idle_seconds", count = messages_processed, help = "Idle time."))]
#[metrics(summary(name = "busy_seconds", sum = processing_time_ms, count = messages_processed, help = "Busy.", quantiles = [0.5]))]
struct WorkerStats {
    /// Messages processed.
    #[metric(counter)]
    messages_processed: u64,
    #[metric(skip)]
    processing_time_ms: f64,
    #[metric(skip)]
    avg_processing_time_ms: f64,
}

fn main() {}
