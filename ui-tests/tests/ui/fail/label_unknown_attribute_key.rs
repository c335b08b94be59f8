// Unknown keys in #[label(…)] are reported with the keys that are valid there.
use promforge::{LabelSet, LabelValue};

#[derive(LabelValue)]
#[label(rename_al = "lowercase")]
enum Method {
    #[label(name = "GET")]
    Get,
}

#[derive(LabelSet)]
struct Labels {
    #[label(rename = "verb", default = "get")]
    method: Method,
}

fn main() {}
