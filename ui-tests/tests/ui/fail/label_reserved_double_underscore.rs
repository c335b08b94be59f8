// Label names starting with `__` are reserved for Prometheus' internal use.
use promforge::LabelSet;

#[derive(LabelSet)]
struct Labels {
    __name: bool,
}

fn main() {}
