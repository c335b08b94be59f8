// `#[metrics(crate = "…")]` for a crate that depends on promforge under another name, or
// re-exports it.
extern crate promforge as renamed;

use renamed::{Counter, MetricsGroup, Registry};

#[derive(MetricsGroup)]
#[metrics(crate = "renamed", prefix = "svc")]
struct Renamed {
    /// Requests.
    requests: Counter,
}

#[derive(MetricsGroup)]
#[metrics(crate = "::renamed", snapshot)]
struct Stats {
    /// Items.
    items: u32,
}

// A facade crate's path: the generated code names exactly what is given, as this one shows
// by joining names its own way.
mod facade {
    pub use renamed::*;

    pub mod __private {
        pub use renamed::__private::*;

        pub mod group {
            pub use renamed::__private::group::*;

            /// Not promforge's `join_name`: every prefix joined through this facade is marked.
            pub fn join_name(prefix: &str, name: &str) -> String {
                format!(
                    "facade_{}",
                    renamed::__private::group::join_name(prefix, name)
                )
            }
        }
    }
}

#[derive(MetricsGroup)]
#[metrics(crate = "crate::facade", prefix = "svc")]
struct ThroughFacade {
    /// Requests.
    requests: Counter,
}

fn main() -> Result<(), renamed::Error> {
    let registry = Registry::new();
    Renamed::register(&registry)?.requests.inc();
    Stats::register_snapshot(&registry, std::sync::Arc::new(Stats { items: 2 }))?;
    ThroughFacade::register(&registry)?.requests.inc();
    let text = registry.render();
    assert!(text.contains("svc_requests_total 1\n"), "{text}");
    assert!(text.contains("items 2\n"), "{text}");
    assert!(text.contains("facade_svc_requests_total 1\n"), "{text}");
    Ok(())
}
