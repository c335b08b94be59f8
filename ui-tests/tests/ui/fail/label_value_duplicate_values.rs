// Two variants cannot render to the same label value, after rename or rename_all.
use promforge::LabelValue;

#[derive(LabelValue)]
#[label(rename_all = "lowercase")]
enum Method {
    Get,
    GET,
    #[label(rename = "post")]
    Put,
    Post,
}

fn main() {}
