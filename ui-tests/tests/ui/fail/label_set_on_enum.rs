// LabelSet is for structs whose fields are labels; an enum is the value of one label.
use promforge::LabelSet;

#[derive(LabelSet)]
enum Method {
    Get,
    Post,
}

fn main() {}
