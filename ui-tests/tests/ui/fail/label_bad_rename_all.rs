// rename_all takes one of a fixed list of case rules.
use promforge::LabelValue;

#[derive(LabelValue)]
#[label(rename_all = "Title Case")]
enum Method {
    Get,
    Post,
}

fn main() {}
