// A gauge goes down too: `u64` is not a gauge number (use `i64` or `f64`).
fn main() {
    let _ = promforge::Gauge::<u64>::new();
}
