// `registry` takes an expression that is a Registry, not its name in a string.
use promforge::instrument_metrics;

#[instrument_metrics(registry = "jobs")]
fn run(job: &str) -> usize {
    job.len()
}

fn main() {
    let _ = run("x");
}
