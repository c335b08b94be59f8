// `name` is the stem of the function's own families: the attribute adds `_calls_total`,
// `_duration_seconds` and `_in_flight`, so a name ending in one of them would have it twice.
use promforge::instrument_metrics;

#[instrument_metrics(name = "db_query_calls_total")]
fn query(sql: &str) -> usize {
    sql.len()
}

fn main() {
    let _ = query("select 1");
}
