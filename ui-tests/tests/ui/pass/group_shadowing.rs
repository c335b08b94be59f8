// The derive names everything by absolute path: the user's own `Result`, `Option`, `Some`,
// `String`, `Vec`, `Counter`, `Default`, `Clone`, `usize`, `str`, `f64`, `OnceLock`,
// `MetricsGroup` or `Registry`, and constants named like the generated functions'
// parameters, do not change what the generated code means.
#![allow(dead_code, non_camel_case_types, non_upper_case_globals)]

struct Result;
struct Option;
struct Some;
struct None;
struct String;
struct Vec;
struct Box;
struct Default;
struct Clone;
struct Debug;
struct Send;
struct Sync;
struct OnceLock;
struct usize;
struct str;
struct f64;
struct u8;
mod core {}
mod std {}
const registry: i32 = 1;
const source: i32 = 2;
const labels: i32 = 3;
const prefix: i32 = 4;
const group: i32 = 5;
const error: i32 = 6;
const key: i32 = 7;
const value: i32 = 8;
const out: i32 = 9;
const base: i32 = 10;

mod shadowed {
    // Names of the runtime's items, as local items.
    pub struct Counter;
    pub struct Gauge;
    pub struct Histogram;
    pub struct Family;
    pub struct Registry;
    pub struct Error;
    pub trait MetricsGroup {}
    pub trait SnapshotGroup {}
    pub trait SnapshotValue {}
    pub trait GroupMetric {}
    pub mod group {}
    pub mod promforge {}
    pub fn join_name() {}
    pub fn register_field() {}

    #[derive(::promforge::LabelValue, ::core::clone::Clone, ::core::marker::Copy)]
    pub enum Kind {
        Read,
        Write,
    }

    #[derive(::promforge::LabelSet, ::core::clone::Clone)]
    pub struct OpLabels {
        pub kind: Kind,
    }

    #[derive(::promforge::MetricsGroup)]
    #[metrics(prefix = "inner")]
    pub struct Inner {
        /// Inner events.
        pub events: ::promforge::Counter,
    }

    #[derive(::promforge::MetricsGroup)]
    #[metrics(prefix = "shadow")]
    pub struct Live {
        /// Operations.
        pub ops: ::promforge::Family<OpLabels, ::promforge::Counter>,
        /// Latency.
        #[metric(unit = "seconds", buckets = [0.1, 1.0])]
        pub latency: ::promforge::Histogram,
        pub inner: Inner,
        #[metric(skip)]
        pub note: ::std::string::String,
    }

    #[derive(::promforge::MetricsGroup)]
    #[metrics(prefix = "shadow_worker", labels = OpLabels)]
    pub struct PerOp {
        /// Operations done.
        pub done: ::promforge::Counter,
        /// Operations waiting.
        pub waiting: ::promforge::Gauge,
    }

    #[derive(::promforge::MetricsGroup)]
    #[metrics(prefix = "shadow_stats", snapshot)]
    pub struct Stats {
        #[metric(label)]
        pub name: &'static ::core::primitive::str,
        /// Items.
        #[metric(counter)]
        pub items: ::core::primitive::u64,
        /// Size.
        #[metric(unit = "bytes", scale = 1024)]
        pub size_kb: ::core::option::Option<::core::primitive::f64>,
        #[metric(key = "part")]
        pub parts: ::std::collections::BTreeMap<::core::primitive::u8, Part>,
    }

    #[derive(::promforge::MetricsGroup)]
    #[metrics(snapshot)]
    pub struct Part {
        /// Part length.
        pub len: ::core::primitive::usize,
    }
}

fn main() {
    let registry_ = ::promforge::Registry::new();
    let live = shadowed::Live::register(&registry_).expect("registers");
    live.ops
        .get(&shadowed::OpLabels {
            kind: shadowed::Kind::Write,
        })
        .inc();
    live.inner.events.inc();
    let per_op = shadowed::PerOpFamilies::register(&registry_).expect("registers");
    per_op
        .for_labels(&shadowed::OpLabels {
            kind: shadowed::Kind::Read,
        })
        .done
        .inc();
    let stats = shadowed::Stats {
        name: "s",
        items: 3,
        size_kb: ::core::option::Option::Some(2.0),
        parts: ::std::collections::BTreeMap::from([(1, shadowed::Part { len: 9 })]),
    };
    shadowed::Stats::register_snapshot(&registry_, ::std::sync::Arc::new(stats))
        .expect("registers");
    let text = registry_.render();
    for expected in [
        "shadow_ops_total{kind=\"write\"} 1\n",
        "shadow_latency_seconds_bucket{le=\"0.1\"} 0\n",
        "shadow_inner_events_total 1\n",
        "shadow_worker_done_total{kind=\"read\"} 1\n",
        "shadow_stats_items_total{name=\"s\"} 3\n",
        "shadow_stats_size_bytes{name=\"s\"} 2048\n",
        "shadow_stats_len{name=\"s\",part=\"1\"} 9\n",
    ] {
        ::std::assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    let _ = shadowed::Live::global();
}
