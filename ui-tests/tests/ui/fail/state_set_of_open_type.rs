// A state set has one series per state, all known up front: a String is no closed set.
fn main() {
    let _ = promforge::StateSet::<String>::new("phase");
}
