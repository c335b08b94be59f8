//! The messages of client_model's `metrics.proto` (`io.prometheus.client`) that promforge
//! writes, by hand with prost's derives (no code generation), and helpers to read a
//! protobuf exposition back.

use prost::Message as _;

/// `LabelPair`.
#[allow(missing_docs)]
#[derive(Clone, PartialEq, prost::Message)]
pub struct LabelPair {
    #[prost(string, tag = "1")]
    pub name: String,
    #[prost(string, tag = "2")]
    pub value: String,
}
/// `Gauge`, `Counter` and `Untyped` (one `double value = 1`).
#[allow(missing_docs)]
#[derive(Clone, PartialEq, prost::Message)]
pub struct Value {
    #[prost(double, tag = "1")]
    pub value: f64,
}
/// `Quantile`.
#[allow(missing_docs)]
#[derive(Clone, PartialEq, prost::Message)]
pub struct Quantile {
    #[prost(double, tag = "1")]
    pub quantile: f64,
    #[prost(double, tag = "2")]
    pub value: f64,
}
/// `Summary`.
#[allow(missing_docs)]
#[derive(Clone, PartialEq, prost::Message)]
pub struct Summary {
    #[prost(uint64, tag = "1")]
    pub sample_count: u64,
    #[prost(double, tag = "2")]
    pub sample_sum: f64,
    #[prost(message, repeated, tag = "3")]
    pub quantile: Vec<Quantile>,
}
/// `Bucket` (classic).
#[allow(missing_docs)]
#[derive(Clone, PartialEq, prost::Message)]
pub struct Bucket {
    #[prost(uint64, tag = "1")]
    pub cumulative_count: u64,
    #[prost(double, tag = "2")]
    pub upper_bound: f64,
}
/// `BucketSpan` (native).
#[allow(missing_docs)]
#[derive(Clone, PartialEq, prost::Message)]
pub struct BucketSpan {
    #[prost(sint32, tag = "1")]
    pub offset: i32,
    #[prost(uint32, tag = "2")]
    pub length: u32,
}
/// `Histogram`, classic and native fields.
#[allow(missing_docs)]
#[derive(Clone, PartialEq, prost::Message)]
pub struct Histogram {
    #[prost(uint64, tag = "1")]
    pub sample_count: u64,
    #[prost(double, tag = "2")]
    pub sample_sum: f64,
    #[prost(message, repeated, tag = "3")]
    pub bucket: Vec<Bucket>,
    #[prost(sint32, optional, tag = "5")]
    pub schema: Option<i32>,
    #[prost(double, tag = "6")]
    pub zero_threshold: f64,
    #[prost(uint64, tag = "7")]
    pub zero_count: u64,
    #[prost(message, repeated, tag = "9")]
    pub negative_span: Vec<BucketSpan>,
    #[prost(sint64, repeated, tag = "10")]
    pub negative_delta: Vec<i64>,
    #[prost(message, repeated, tag = "12")]
    pub positive_span: Vec<BucketSpan>,
    #[prost(sint64, repeated, tag = "13")]
    pub positive_delta: Vec<i64>,
}
/// `Metric`.
#[allow(missing_docs)]
#[derive(Clone, PartialEq, prost::Message)]
pub struct Metric {
    #[prost(message, repeated, tag = "1")]
    pub label: Vec<LabelPair>,
    #[prost(message, optional, tag = "2")]
    pub gauge: Option<Value>,
    #[prost(message, optional, tag = "3")]
    pub counter: Option<Value>,
    #[prost(message, optional, tag = "4")]
    pub summary: Option<Summary>,
    #[prost(message, optional, tag = "5")]
    pub untyped: Option<Value>,
    #[prost(message, optional, tag = "7")]
    pub histogram: Option<Histogram>,
}
/// `MetricFamily`.
#[allow(missing_docs)]
#[derive(Clone, PartialEq, prost::Message)]
pub struct MetricFamily {
    #[prost(string, tag = "1")]
    pub name: String,
    #[prost(string, tag = "2")]
    pub help: String,
    #[prost(int32, tag = "3")]
    pub r#type: i32,
    #[prost(message, repeated, tag = "4")]
    pub metric: Vec<Metric>,
}

/// Every length-delimited `MetricFamily` of `buf`, decoded (panics on a decode error).
pub fn decode(mut buf: &[u8]) -> Vec<MetricFamily> {
    let mut out = Vec::new();
    while !buf.is_empty() {
        match MetricFamily::decode_length_delimited(&mut buf) {
            Ok(f) => out.push(f),
            Err(e) => panic!("not a MetricFamily after {} families: {e}", out.len()),
        }
    }
    out
}

/// Native buckets as `(key, count)`, from spans and deltas.
pub fn expand(spans: &[BucketSpan], deltas: &[i64]) -> Vec<(i32, u64)> {
    let mut out = Vec::new();
    let (mut key, mut count, mut deltas) = (0i32, 0i64, deltas.iter());
    for span in spans {
        key += span.offset;
        for _ in 0..span.length {
            count += deltas.next().copied().unwrap_or_default();
            out.push((key, count as u64));
            key += 1;
        }
    }
    assert!(deltas.next().is_none(), "more deltas than spans cover");
    out
}
