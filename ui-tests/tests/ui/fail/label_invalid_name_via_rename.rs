// A renamed label must still be a valid Prometheus label name.
use promforge::LabelSet;

#[derive(LabelSet)]
struct Labels {
    #[label(rename = "http-method")]
    method: bool,
}

fn main() {}
