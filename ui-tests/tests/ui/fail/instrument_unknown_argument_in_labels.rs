// Label values are read from the arguments when the call starts: `tabel` is not one.
use promforge::instrument_metrics;

#[instrument_metrics(name = "db_query", labels(table = tabel))]
fn query(table: &str, sql: &str) -> usize {
    table.len() + sql.len()
}

fn main() {
    let _ = query("users", "select 1");
}
