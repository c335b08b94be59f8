// A label needs a name: a tuple struct of two fields has none (one field is a newtype).
use promforge::LabelSet;

#[derive(LabelSet)]
struct Labels(bool, bool);

fn main() {}
