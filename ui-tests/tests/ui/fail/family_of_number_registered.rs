// A family holds one metric per label set: a plain number is no metric.
use promforge::{Family, LabelSet};

#[derive(LabelSet, Clone, Copy)]
struct Shard {
    shard: u8,
}

fn main() {
    let _: Family<Shard, u64> = Family::default();
}
