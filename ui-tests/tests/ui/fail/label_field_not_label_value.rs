// Every field of a LabelSet is the value of a label: its type must implement LabelValue.
use promforge::LabelSet;

struct Endpoint;

#[derive(LabelSet)]
struct Labels {
    cached: bool,
    endpoint: Endpoint,
}

fn main() {}
