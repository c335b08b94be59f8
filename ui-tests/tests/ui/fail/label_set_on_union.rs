// LabelSet is for structs, not unions.
use promforge::LabelSet;

#[derive(LabelSet)]
union Labels {
    a: u32,
    b: f32,
}

fn main() {}
