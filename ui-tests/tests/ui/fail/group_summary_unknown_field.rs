// A summary names the fields it reads: a misspelled field is an error on the name written,
// with the closest field suggested; a field that is not a number is refused too.
use promforge::MetricsGroup;

#[derive(MetricsGroup)]
#[metrics(prefix = "worker", snapshot)]
#[metrics(summary(
    name = "processing_seconds",
    sum = processing_time,
    count = messages_processed,
    scale = 0.001,
    help = "Message processing time."
))]
#[metrics(summary(name = "wait_seconds", sum = wait_ms, count = worker_id, scale = 0.001, help = "Wait."))]
struct WorkerStats {
    #[metric(label)]
    worker_id: String,
    /// Messages processed.
    #[metric(counter)]
    messages_processed: u64,
    #[metric(skip)]
    processing_time_ms: f64,
    #[metric(skip)]
    wait_ms: f64,
}

fn uses(registry: &promforge::Registry, stats: std::sync::Arc<WorkerStats>) {
    let _ = WorkerStats::register_snapshot(registry, stats);
}

fn main() {}
