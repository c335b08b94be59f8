// A labeled group (`labels = L`) makes one family per field, with a series per label set:
// its fields are plain Counter, Gauge or Histogram, not families (nor nested groups).
use promforge::MetricsGroup;
use promforge::{Counter, Family, LabelSet, LabelValue};

#[derive(LabelValue, Clone, Copy)]
enum Outcome {
    Ok,
    Failed,
}

#[derive(LabelSet, Clone, Copy)]
struct OutcomeLabels {
    outcome: Outcome,
}

#[derive(LabelSet, Clone)]
struct WorkerLabels {
    worker_id: u32,
}

#[derive(MetricsGroup)]
#[metrics(labels = WorkerLabels)]
struct WorkerMetrics {
    /// Messages processed.
    messages: Counter,
    /// Jobs by outcome.
    jobs: Family<OutcomeLabels, Counter>,
}

fn uses() {
    WorkerMetrics::for_labels(&WorkerLabels { worker_id: 1 })
        .messages
        .inc();
    let families = WorkerMetricsFamilies::global();
    let _ = families.for_labels(&WorkerLabels { worker_id: 2 });
}

fn main() {}
