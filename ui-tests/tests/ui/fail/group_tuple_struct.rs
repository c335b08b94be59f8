// A group's field names are its metric names: a tuple struct has none.
use promforge::Counter;
use promforge::MetricsGroup;

#[derive(MetricsGroup)]
struct Metrics(Counter);

fn main() {}
