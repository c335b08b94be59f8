// A counter never goes down, so it cannot hold a signed integer.
fn main() {
    let _ = promforge::Counter::<i64>::new();
}
