// Two fields cannot carry the same label name, here because of a rename.
use promforge::LabelSet;

#[derive(LabelSet)]
struct Labels {
    method: bool,
    #[label(rename = "method")]
    verb: bool,
}

fn main() {}
