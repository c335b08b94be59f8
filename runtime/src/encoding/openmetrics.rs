//! The OpenMetrics text format 1.0 (also answered to `version=0.0.1`, which Prometheus
//! reads the same way), written straight into a byte buffer like [`text`].
//!
//! What differs from the text format 0.0.4:
//! - a counter family is named without `_total` on its `# TYPE` and `# HELP` lines (its
//!   sample keeps `_total`), an info family without `_info`;
//! - `# TYPE` words: `unknown` for untyped, `stateset`, `info`;
//! - HELP escapes `"` too;
//! - `_created` samples (seconds since the epoch) for counters, histograms and summaries,
//!   when the registry asks for them ([`RegistryBuilder::created_timestamps`](crate::RegistryBuilder::created_timestamps));
//! - a histogram with a negative bucket bound has no `_sum` and `_count` (OpenMetrics
//!   forbids a sum beside negative buckets, and `_count` comes with `_sum`);
//! - the exposition ends with `# EOF`.

use super::{EncodeValue, MetricType, escape_label_value_into, text};
use crate::metrics::ExemplarSlot;

/// The content type of OpenMetrics 1.0.0.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The content type of OpenMetrics 0.0.1 (the same text).
pub const CONTENT_TYPE_0_0_1: &str = "application/openmetrics-text; version=0.0.1; charset=utf-8";

/// The end of an exposition.
pub(crate) const EOF: &[u8] = b"# EOF\n";

/// The name of a family on its `# TYPE`/`# HELP` lines: without the suffix its single
/// sample carries (`_total` for counters, `_info` for info).
pub(crate) fn family_name(name: &str, metric_type: MetricType) -> &str {
    let suffix = match metric_type {
        MetricType::Counter => "_total",
        MetricType::Info => "_info",
        _ => return name,
    };
    name.strip_suffix(suffix).unwrap_or(name)
}

/// `# TYPE <family> <type>\n# HELP <family> <help>\n`.
pub(crate) fn header(family: &str, help: &str, metric_type: MetricType) -> String {
    let mut header = String::with_capacity(family.len() * 2 + help.len() + 24);
    header.push_str("# TYPE ");
    header.push_str(family);
    header.push(' ');
    header.push_str(metric_type.openmetrics_str());
    header.push_str("\n# HELP ");
    header.push_str(family);
    header.push(' ');
    // HELP is an escaped string in OpenMetrics: `\`, newline and `"` are escaped, as in a
    // label value.
    escape_label_value_into(help, &mut header);
    header.push('\n');
    header
}

/// Where one family's samples go.
pub(crate) struct Sink<'a> {
    /// Writes the lines (the same syntax as 0.0.4).
    lines: text::Sink<'a>,
    /// The family's name without its sample suffix (for `_created`).
    family: &'a str,
    /// Whether `_created` samples are written.
    created: bool,
}

impl<'a> Sink<'a> {
    pub(crate) fn new(
        buf: &'a mut Vec<u8>,
        name: &'a str,
        family: &'a str,
        const_labels: &'a str,
        created: bool,
        quoted: bool,
    ) -> Self {
        Self {
            lines: text::Sink::new(buf, name, const_labels, quoted),
            family,
            created,
        }
    }

    #[inline]
    pub(crate) fn reborrow(&mut self) -> Sink<'_> {
        Sink {
            lines: self.lines.reborrow(),
            family: self.family,
            created: self.created,
        }
    }

    /// The line writer, for what is written as in the text format (a summary).
    #[inline]
    pub(crate) fn lines_mut(&mut self) -> &mut text::Sink<'a> {
        &mut self.lines
    }

    /// One sample line of the family's own name.
    #[inline]
    pub(crate) fn line<V: EncodeValue>(&mut self, labels: &str, value: V) {
        self.lines.line(labels, "", "", value);
    }

    /// A counter's line, with the exemplar of `slot` after it (if one was recorded).
    #[inline]
    pub(crate) fn line_with_exemplar<V: EncodeValue>(
        &mut self,
        labels: &str,
        value: V,
        slot: &ExemplarSlot,
    ) {
        let name = self.lines.name();
        let buf = self.lines.open_line(name, labels, "", "", value);
        slot.write_openmetrics(buf);
        buf.push(b'\n');
    }

    /// `<family>_created{labels} <seconds>`, when created timestamps are on.
    #[inline]
    pub(crate) fn created(&mut self, labels: &str, seconds: f64) {
        if self.created {
            self.lines
                .line_named(self.family, labels, "_created", "", seconds);
        }
    }

    /// Cumulative `_bucket` lines, then `_count` and `_sum` (left out when a bound is
    /// negative).
    #[inline]
    pub(crate) fn histogram(
        &mut self,
        labels: &str,
        bounds: &[f64],
        le: &[String],
        counts: impl IntoIterator<Item = u64>,
        sum: f64,
        exemplars: Option<&[ExemplarSlot]>,
    ) {
        let mut total = 0u64;
        let name = self.lines.name();
        for (i, (count, le)) in counts.into_iter().zip(le).enumerate() {
            total = total.wrapping_add(count);
            let buf = self.lines.open_line(name, labels, "_bucket", le, total);
            if let Some(slot) = exemplars.and_then(|e| e.get(i)) {
                slot.write_openmetrics(buf);
            }
            buf.push(b'\n');
        }
        if bounds.first().is_some_and(|b| *b < 0.0) {
            return;
        }
        self.lines.line(labels, "_count", "", total);
        self.lines.line(labels, "_sum", "", sum);
    }
}
