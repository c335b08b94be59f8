// `#[label(crate = "…")]` for a crate that depends on promforge under another name, or
// re-exports it.
extern crate promforge as renamed;

use renamed::{LabelSet, LabelValue};

#[derive(LabelValue, Clone, Copy)]
#[label(crate = "renamed")]
enum Method {
    Get,
    Post,
}

#[derive(LabelSet, Clone, Copy)]
#[label(crate = "::renamed")]
struct Labels {
    method: Method,
}

#[derive(LabelSet)]
#[label(crate = "renamed")]
struct Newtype(Labels);

// A facade crate's path: the generated code names exactly what is given, as this one shows
// by answering a different `product` of cardinalities than promforge's.
mod facade {
    pub mod __private {
        pub use renamed::__private::*;

        pub mod derive_support {
            pub use renamed::__private::derive_support::*;

            /// Not promforge's `product`: every cardinality this facade computes is 42.
            pub const fn product(_: &[Option<usize>]) -> Option<usize> {
                Some(42)
            }
        }
    }
}

#[derive(LabelSet)]
#[label(crate = "crate::facade")]
struct ThroughFacade {
    method: Method,
}

fn main() {
    assert_eq!(Labels::NAMES, ["method"]);
    assert_eq!(Labels::CARDINALITY, Some(2));
    let labels = Labels {
        method: Method::Post,
    };
    assert_eq!(labels.index(), 1);
    let mut text = String::new();
    Newtype(labels).encode_labels(&mut text);
    assert_eq!(text, r#"method="post""#);
    assert_eq!(ThroughFacade::NAMES, ["method"]);
    assert_eq!(ThroughFacade::CARDINALITY, Some(42));
}
