// A label enum is a plain list of values: no generics.
use promforge::LabelValue;

#[derive(LabelValue)]
enum Method<const VERSION: u8> {
    Get,
    Post,
}

fn main() {}
