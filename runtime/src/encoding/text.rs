//! The Prometheus text exposition format 0.0.4, written straight into a byte buffer.
//!
//! A sample line is `<name><suffix>{<const labels>,<series labels>,<le|quantile>} <value>`;
//! every piece but the value was rendered once (headers, label pairs, `le` values), so what
//! is left per sample is copying them and writing a number (`itoa`, `ryu`).

use super::{EncodeValue, MetricType, escape_help_into};

/// The content type of the text format 0.0.4.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The content type of the text format 1.0.0 (0.0.4's syntax; names escaped).
pub const CONTENT_TYPE_1_0_0: &str = "text/plain; version=1.0.0; charset=utf-8";

/// `# HELP <name> <help>\n# TYPE <name> <type>\n`.
pub(crate) fn header(name: &str, help: &str, metric_type: MetricType) -> String {
    let mut header = String::with_capacity(name.len() * 2 + help.len() + 24);
    header.push_str("# HELP ");
    header.push_str(name);
    header.push(' ');
    escape_help_into(help, &mut header);
    header.push_str("\n# TYPE ");
    header.push_str(name);
    header.push(' ');
    header.push_str(metric_type.as_str());
    header.push('\n');
    header
}

/// Where one family's samples go.
pub(crate) struct Sink<'a> {
    buf: &'a mut Vec<u8>,
    name: &'a str,
    const_labels: &'a str,
    /// Whether names are written quoted inside the braces (`{"my.metric",a="1"}`): a name
    /// outside the legacy character set, for a scraper that allows UTF-8 names.
    quoted: bool,
}

impl<'a> Sink<'a> {
    pub(crate) fn new(
        buf: &'a mut Vec<u8>,
        name: &'a str,
        const_labels: &'a str,
        quoted: bool,
    ) -> Self {
        Self {
            buf,
            name,
            const_labels,
            quoted,
        }
    }

    #[inline]
    pub(crate) fn reborrow(&mut self) -> Sink<'_> {
        Sink {
            buf: self.buf,
            name: self.name,
            const_labels: self.const_labels,
            quoted: self.quoted,
        }
    }

    /// Writes one line: `<name><suffix>{<const>,<labels>,<extra>} <value>\n`.
    #[inline]
    pub(crate) fn line<V: EncodeValue>(
        &mut self,
        labels: &str,
        suffix: &str,
        extra: &str,
        value: V,
    ) {
        self.line_named(self.name, labels, suffix, extra, value);
    }

    /// [`line`](Self::line) for a sample whose name is not the family's own
    /// (OpenMetrics' `_created` of a counter family).
    #[inline]
    pub(crate) fn line_named<V: EncodeValue>(
        &mut self,
        name: &str,
        labels: &str,
        suffix: &str,
        extra: &str,
        value: V,
    ) {
        self.open_line(name, labels, suffix, extra, value)
            .push(b'\n');
    }

    /// A line without its newline (for what OpenMetrics adds after the value: an
    /// exemplar); returns the buffer to finish it.
    #[inline]
    pub(crate) fn open_line<V: EncodeValue>(
        &mut self,
        name: &str,
        labels: &str,
        suffix: &str,
        extra: &str,
        value: V,
    ) -> &mut Vec<u8> {
        let buf = &mut *self.buf;
        if self.quoted {
            return quoted_line(buf, name, suffix, self.const_labels, labels, extra, value);
        }
        buf.extend_from_slice(name.as_bytes());
        buf.extend_from_slice(suffix.as_bytes());
        let mut first = true;
        for part in [self.const_labels, labels, extra] {
            if part.is_empty() {
                continue;
            }
            buf.push(if first { b'{' } else { b',' });
            first = false;
            buf.extend_from_slice(part.as_bytes());
        }
        if !first {
            buf.push(b'}');
        }
        buf.push(b' ');
        value.encode_value(buf);
        buf
    }

    /// The family's own name.
    #[inline]
    pub(crate) fn name(&self) -> &'a str {
        self.name
    }

    /// Cumulative `_bucket` lines, `_sum`, `_count` (the `+Inf` bucket's count).
    #[inline]
    pub(crate) fn histogram(
        &mut self,
        labels: &str,
        le: &[String],
        counts: impl IntoIterator<Item = u64>,
        sum: f64,
    ) {
        let mut total = 0u64;
        for (count, le) in counts.into_iter().zip(le) {
            total = total.wrapping_add(count);
            self.line(labels, "_bucket", le, total);
        }
        self.line(labels, "_sum", "", sum);
        self.line(labels, "_count", "", total);
    }

    /// One line per quantile, `_sum`, `_count`.
    #[inline]
    pub(crate) fn summary<C: EncodeValue>(
        &mut self,
        labels: &str,
        quantiles: &[String],
        values: impl IntoIterator<Item = f64>,
        sum: f64,
        count: C,
    ) {
        for (value, quantile) in values.into_iter().zip(quantiles) {
            self.line(labels, "", quantile, value);
        }
        self.line(labels, "_sum", "", sum);
        self.line(labels, "_count", "", count);
    }
}

/// A line whose name is quoted inside the braces: `{"<name><suffix>",<labels>} <value>`
/// (`name` already escaped as a quoted string's content).
#[cold]
#[inline(never)]
fn quoted_line<'b, V: EncodeValue>(
    buf: &'b mut Vec<u8>,
    name: &str,
    suffix: &str,
    const_labels: &str,
    labels: &str,
    extra: &str,
    value: V,
) -> &'b mut Vec<u8> {
    buf.extend_from_slice(b"{\"");
    buf.extend_from_slice(name.as_bytes());
    buf.extend_from_slice(suffix.as_bytes());
    buf.push(b'"');
    for part in [const_labels, labels, extra] {
        if !part.is_empty() {
            buf.push(b',');
            buf.extend_from_slice(part.as_bytes());
        }
    }
    buf.extend_from_slice(b"} ");
    value.encode_value(buf);
    buf
}
