// Each variant of a LabelValue enum is one value of the label: no fields.
use promforge::LabelValue;

#[derive(LabelValue)]
enum Status {
    Ok,
    Error(u16),
    Redirect { location: String },
}

fn main() {}
