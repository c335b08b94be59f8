// `quantile` is written by summaries: a LabelSet cannot use it, renamed or not.
use promforge::LabelSet;

#[derive(LabelSet)]
struct Labels {
    #[label(rename = "quantile")]
    percentile: bool,
}

fn main() {}
