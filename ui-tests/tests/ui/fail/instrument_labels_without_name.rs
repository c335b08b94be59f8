// The shared function_calls_* families have fixed labels: labels from the arguments need
// families of the function's own, named with `name = "…"`.
use promforge::instrument_metrics;

#[instrument_metrics(labels(table = table))]
fn query(table: &str) -> usize {
    table.len()
}

fn main() {
    let _ = query("users");
}
