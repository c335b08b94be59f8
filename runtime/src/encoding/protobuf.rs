//! The Prometheus protobuf exposition format (`io.prometheus.client.MetricFamily`, each
//! message preceded by its varint length), written straight into a byte buffer.
//!
//! No generated code: the few messages of `metrics.proto` (client_model) are written field by
//! field. A nested message's length is not known before its content, so one byte is kept
//! for it and the content moved when the length needs more (a message of 128 bytes or
//! more: a histogram's, a large family's).
//!
//! Label pairs come pre-rendered as escaped text (`a="1",b="2"`, the form the text formats
//! copy); they are read back here, unescaping only values that hold a `\`.

use super::{BucketLabels, FamilyMeta, MetricType, NativeBuckets};

/// The content type of this format, as Prometheus asks for it.
pub const CONTENT_TYPE: &str =
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";

const VARINT: u8 = 0;
const FIXED64: u8 = 1;
const LEN: u8 = 2;

#[inline]
fn varint(buf: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        buf.push((v as u8) | 0x80);
        v >>= 7;
    }
    buf.push(v as u8);
}

#[inline]
fn varint_len(v: u64) -> usize {
    (64 - (v | 1).leading_zeros() as usize).div_ceil(7)
}

#[inline]
fn tag(buf: &mut Vec<u8>, field: u32, wire: u8) {
    varint(buf, u64::from(field << 3) | u64::from(wire));
}

#[inline]
fn double(buf: &mut Vec<u8>, field: u32, v: f64) {
    tag(buf, field, FIXED64);
    buf.extend_from_slice(&v.to_le_bytes());
}

#[inline]
fn uint(buf: &mut Vec<u8>, field: u32, v: u64) {
    tag(buf, field, VARINT);
    varint(buf, v);
}

#[inline]
fn sint(buf: &mut Vec<u8>, field: u32, v: i64) {
    tag(buf, field, VARINT);
    varint(buf, zigzag(v));
}

#[inline]
fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

#[inline]
fn bytes(buf: &mut Vec<u8>, field: u32, b: &[u8]) {
    tag(buf, field, LEN);
    varint(buf, b.len() as u64);
    buf.extend_from_slice(b);
}

/// Starts a length-delimited field (or, with `field` 0, a length-prefixed message): one byte
/// kept for the length. Returns where the content starts, for [`close`].
#[inline]
fn open(buf: &mut Vec<u8>, field: u32) -> usize {
    if field != 0 {
        tag(buf, field, LEN);
    }
    buf.push(0);
    buf.len()
}

/// Writes the length of the content since `start`, moving the content if the length needs
/// more than the one byte kept.
#[inline]
fn close(buf: &mut Vec<u8>, start: usize) {
    let len = buf.len() - start;
    if len < 0x80 {
        if let Some(b) = buf.get_mut(start - 1) {
            *b = len as u8;
        }
        return;
    }
    let extra = varint_len(len as u64) - 1;
    let end = buf.len();
    buf.resize(end + extra, 0);
    buf.copy_within(start..end, start + extra);
    let mut prefix = [0u8; 10];
    let mut v = len as u64;
    let mut n = 0;
    while let Some(slot) = prefix.get_mut(n) {
        n += 1;
        if v < 0x80 {
            *slot = v as u8;
            break;
        }
        *slot = (v as u8) | 0x80;
        v >>= 7;
    }
    if let (Some(dst), Some(src)) = (buf.get_mut(start - 1..start - 1 + n), prefix.get(..n)) {
        dst.copy_from_slice(src);
    }
}

/// Calls `pair(name, escaped value)` for each pair of pre-rendered label text
/// (`a="1",b="x\"y"`).
fn each_label(mut text: &str, mut pair: impl FnMut(&str, &str)) {
    while let Some((name, rest)) = text.split_once("=\"") {
        let name = name.trim_start_matches(',');
        // The value ends at the first `"` not escaped.
        let bytes = rest.as_bytes();
        let mut i = 0;
        let end = loop {
            match memchr::memchr2(b'"', b'\\', bytes.get(i..).unwrap_or_default()) {
                Some(j) if bytes.get(i + j) == Some(&b'\\') => i += j + 2,
                Some(j) => break i + j,
                None => break bytes.len(),
            }
        };
        pair(name, rest.get(..end).unwrap_or_default());
        text = rest.get(end + 1..).unwrap_or_default();
    }
}

/// Writes an escaped label value unescaped (`\\`, `\"`, `\n`).
fn string_unescaped(buf: &mut Vec<u8>, field: u32, escaped: &str) {
    if memchr::memchr(b'\\', escaped.as_bytes()).is_none() {
        bytes(buf, field, escaped.as_bytes());
        return;
    }
    let start = open(buf, field);
    let mut chars = escaped.bytes();
    while let Some(b) = chars.next() {
        if b == b'\\' {
            match chars.next() {
                Some(b'n') => buf.push(b'\n'),
                Some(other) => buf.push(other),
                None => {}
            }
        } else {
            buf.push(b);
        }
    }
    close(buf, start);
}

fn label_pairs(buf: &mut Vec<u8>, labels: &str) {
    each_label(labels, |name, value| {
        let pair = open(buf, 1);
        bytes(buf, 1, name.as_bytes());
        string_unescaped(buf, 2, value);
        close(buf, pair);
    });
}

/// The `MetricType` enum of `metrics.proto`.
fn type_number(t: MetricType) -> u64 {
    match t {
        MetricType::Counter => 0,
        // No state sets or info metrics in this format: gauges of 1 and 0, as in text 0.0.4.
        MetricType::Gauge | MetricType::StateSet | MetricType::Info => 1,
        MetricType::Summary => 2,
        MetricType::Untyped => 3,
        MetricType::Histogram => 4,
    }
}

/// Starts a `MetricFamily` (length-prefixed): name, help, type. Returns its start and where
/// its header ends, for [`family_end`].
pub(crate) fn family_start(buf: &mut Vec<u8>, meta: &FamilyMeta) -> (usize, usize) {
    let start = open(buf, 0);
    bytes(buf, 1, meta.name().as_bytes());
    bytes(buf, 2, meta.help().as_bytes());
    uint(buf, 3, type_number(meta.metric_type()));
    (start, buf.len())
}

/// Ends a family begun with [`family_start`]; a family without a sample is removed (an
/// empty family is no family in this format).
pub(crate) fn family_end(buf: &mut Vec<u8>, (start, header_end): (usize, usize)) {
    if buf.len() == header_end {
        buf.truncate(start - 1);
    } else {
        close(buf, start);
    }
}

/// Where one family's samples go: `Metric` messages (field 4 of `MetricFamily`).
pub(crate) struct Sink<'a> {
    buf: &'a mut Vec<u8>,
    const_labels: &'a str,
}

impl<'a> Sink<'a> {
    pub(crate) fn new(buf: &'a mut Vec<u8>, const_labels: &'a str) -> Self {
        Self { buf, const_labels }
    }

    #[inline]
    pub(crate) fn reborrow(&mut self) -> Sink<'_> {
        Sink {
            buf: self.buf,
            const_labels: self.const_labels,
        }
    }

    /// Starts a `Metric` with its labels; returns its start for `close`.
    #[inline]
    fn metric(&mut self, labels: &str) -> usize {
        let start = open(self.buf, 4);
        label_pairs(self.buf, self.const_labels);
        label_pairs(self.buf, labels);
        start
    }

    /// A metric with one value: `field` is 2 (gauge), 3 (counter) or 5 (untyped).
    #[inline]
    pub(crate) fn value(&mut self, labels: &str, field: u32, value: f64) {
        let metric = self.metric(labels);
        let inner = open(self.buf, field);
        double(self.buf, 1, value);
        close(self.buf, inner);
        close(self.buf, metric);
    }

    /// A classic histogram: per-bucket counts (not cumulative, `+Inf` last).
    pub(crate) fn histogram(
        &mut self,
        labels: &str,
        buckets: &BucketLabels,
        counts: impl IntoIterator<Item = u64>,
        sum: f64,
    ) {
        let metric = self.metric(labels);
        let h = open(self.buf, 7);
        let total = classic_buckets(self.buf, buckets, counts);
        uint(self.buf, 1, total);
        double(self.buf, 2, sum);
        close(self.buf, h);
        close(self.buf, metric);
    }

    /// A native histogram, with classic buckets too when it keeps them.
    pub(crate) fn native_histogram(
        &mut self,
        labels: &str,
        native: &NativeBuckets<'_>,
        classic: Option<(&BucketLabels, impl IntoIterator<Item = u64>)>,
    ) {
        let metric = self.metric(labels);
        let buf = &mut *self.buf;
        let h = open(buf, 7);
        uint(buf, 1, native.count);
        double(buf, 2, native.sum);
        if let Some((buckets, counts)) = classic {
            classic_buckets(buf, buckets, counts);
        }
        sint(buf, 5, i64::from(native.schema));
        double(buf, 6, native.zero_threshold);
        uint(buf, 7, native.zero_count);
        native_side(buf, 9, native.negative);
        if native.positive.is_empty() {
            // The no-op span that marks a histogram without positive buckets as native.
            let span = open(buf, 12);
            close(buf, span);
        } else {
            native_side(buf, 12, native.positive);
        }
        close(buf, h);
        close(buf, metric);
    }

    /// A summary.
    pub(crate) fn summary(
        &mut self,
        labels: &str,
        quantiles: &[f64],
        values: impl IntoIterator<Item = f64>,
        sum: f64,
        count: u64,
    ) {
        let metric = self.metric(labels);
        let buf = &mut *self.buf;
        let s = open(buf, 4);
        uint(buf, 1, count);
        double(buf, 2, sum);
        for (q, v) in quantiles.iter().zip(values) {
            let quantile = open(buf, 3);
            double(buf, 1, *q);
            double(buf, 2, v);
            close(buf, quantile);
        }
        close(buf, s);
        close(buf, metric);
    }
}

/// `Bucket` messages (cumulative, finite bounds only: the `+Inf` one is the count); returns
/// the total.
fn classic_buckets(
    buf: &mut Vec<u8>,
    buckets: &BucketLabels,
    counts: impl IntoIterator<Item = u64>,
) -> u64 {
    let mut total = 0u64;
    let mut bounds = buckets.bounds().iter();
    for count in counts {
        total = total.wrapping_add(count);
        if let Some(bound) = bounds.next() {
            let b = open(buf, 3);
            uint(buf, 1, total);
            double(buf, 2, *bound);
            close(buf, b);
        }
    }
    total
}

/// Spans (field `span_field`) and count deltas (the next field, packed) of one side.
fn native_side(buf: &mut Vec<u8>, span_field: u32, buckets: &[(i32, u64)]) {
    if buckets.is_empty() {
        return;
    }
    // Spans: runs of consecutive keys; the offset is the gap from the previous span's end
    // (from 0 for the first).
    let mut previous_end: i64 = 0;
    let mut run_start = 0usize;
    let mut i = 0usize;
    while i < buckets.len() {
        let mut j = i + 1;
        while let (Some(a), Some(b)) = (buckets.get(j - 1), buckets.get(j)) {
            if i64::from(b.0) != i64::from(a.0) + 1 {
                break;
            }
            j += 1;
        }
        let first = buckets.get(i).map_or(0, |b| i64::from(b.0));
        let span = open(buf, span_field);
        sint(buf, 1, first - previous_end);
        uint(buf, 2, (j - i) as u64);
        close(buf, span);
        previous_end = first + (j - i) as i64;
        run_start = j;
        i = j;
    }
    debug_assert_eq!(run_start, buckets.len());
    let deltas = open(buf, span_field + 1);
    let mut previous = 0i64;
    for (_, count) in buckets {
        let count = *count as i64;
        varint(buf, zigzag(count.wrapping_sub(previous)));
        previous = count;
    }
    close(buf, deltas);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_and_lengths() {
        for v in [0u64, 1, 127, 128, 300, 16_383, 16_384, u64::MAX] {
            let mut b = Vec::new();
            varint(&mut b, v);
            assert_eq!(b.len(), varint_len(v), "{v}");
        }
        let mut b = Vec::new();
        varint(&mut b, 300);
        assert_eq!(b, [0xac, 0x02]);
        assert_eq!(zigzag(-1), 1);
        assert_eq!(zigzag(1), 2);
        assert_eq!(zigzag(i64::MIN), u64::MAX);
    }

    #[test]
    fn a_long_message_moves_its_content_after_the_length() {
        for len in [0usize, 5, 127, 128, 200, 20_000] {
            let mut b = vec![9u8];
            let start = open(&mut b, 1);
            b.extend(std::iter::repeat_n(7u8, len));
            close(&mut b, start);
            let mut expect = vec![9u8, 0x0a];
            varint(&mut expect, len as u64);
            expect.extend(std::iter::repeat_n(7u8, len));
            assert_eq!(b, expect, "{len}");
        }
    }

    #[test]
    fn label_text_is_read_back() {
        let mut seen = Vec::new();
        each_label(r#"a="1",b="x\"y,z=\"",c="\\",d="""#, |n, v| {
            seen.push((n.to_owned(), v.to_owned()))
        });
        let expect = [("a", "1"), ("b", r#"x\"y,z=\""#), ("c", r"\\"), ("d", "")];
        assert_eq!(
            seen,
            expect
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect::<Vec<_>>()
        );
        let mut b = Vec::new();
        string_unescaped(&mut b, 2, r#"x\"y\\z\n"#);
        assert_eq!(b, [0x12, 6, b'x', b'"', b'y', b'\\', b'z', b'\n']);
    }
}
