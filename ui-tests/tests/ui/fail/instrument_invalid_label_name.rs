// Prometheus label names are ASCII: `[a-zA-Z_][a-zA-Z0-9_]*`.
use promforge::instrument_metrics;

#[instrument_metrics(name = "db_query", labels(tablé = table))]
fn query(table: &str) -> usize {
    table.len()
}

fn main() {
    let _ = query("users");
}
