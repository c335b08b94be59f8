// LabelValue is for enums; a struct of labels is a LabelSet.
use promforge::LabelValue;

#[derive(LabelValue)]
struct Labels {
    method: bool,
}

fn main() {}
