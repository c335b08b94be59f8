// `le` is written by histograms for their bucket bounds: a LabelSet cannot use it.
use promforge::LabelSet;

#[derive(LabelSet)]
struct Labels {
    method: bool,
    le: bool,
}

fn main() {}
