// A label needs at least one value.
use promforge::LabelValue;

#[derive(LabelValue)]
enum Never {}

fn main() {}
