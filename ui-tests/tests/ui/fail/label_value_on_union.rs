// LabelValue is for enums of unit variants, not unions.
use promforge::LabelValue;

#[derive(LabelValue)]
union Bits {
    a: u32,
    b: f32,
}

fn main() {}
