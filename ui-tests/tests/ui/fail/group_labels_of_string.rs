// `labels = …` names a LabelSet struct; a String has no label name.
use promforge::{Counter, MetricsGroup};

#[derive(MetricsGroup)]
#[metrics(labels = String)]
struct Worker {
    /// Messages.
    messages: Counter,
}

fn main() {}
