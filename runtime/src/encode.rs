//! The Prometheus text exposition format 0.0.4, written straight into a byte buffer.
//!
//! Every piece that does not change between scrapes (a family's `# HELP`/`# TYPE` header,
//! a series' escaped label pairs, a histogram's `le="…"` values) is rendered once, when the
//! metric is registered or created, and copied at scrape time. What is left per sample is
//! writing a number: `itoa` for integers, `ryu` for floats.

use std::fmt::Write as _;

/// The kind of a metric family, as written on its `# TYPE` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MetricType {
    /// A monotonically increasing count (`_total`).
    Counter,
    /// A value that goes up and down.
    Gauge,
    /// Observations counted into cumulative buckets, with `_sum` and `_count`.
    Histogram,
    /// Quantiles over a window, with `_sum` and `_count`.
    Summary,
    /// Anything else.
    Untyped,
}

impl MetricType {
    /// The word used on the `# TYPE` line.
    pub fn as_str(self) -> &'static str {
        match self {
            MetricType::Counter => "counter",
            MetricType::Gauge => "gauge",
            MetricType::Histogram => "histogram",
            MetricType::Summary => "summary",
            MetricType::Untyped => "untyped",
        }
    }

    /// The suffixes a family of this type adds to its name on its sample lines.
    pub(crate) fn sample_suffixes(self) -> &'static [&'static str] {
        match self {
            MetricType::Histogram => &["_bucket", "_sum", "_count"],
            MetricType::Summary => &["_sum", "_count"],
            _ => &[],
        }
    }
}

/// A sample value that can be written in the exposition format.
pub trait EncodeValue: Copy {
    /// Appends the value's text form to `buf`.
    fn encode_value(self, buf: &mut Vec<u8>);
}

impl EncodeValue for u64 {
    #[inline]
    fn encode_value(self, buf: &mut Vec<u8>) {
        buf.extend_from_slice(itoa::Buffer::new().format(self).as_bytes());
    }
}

impl EncodeValue for i64 {
    #[inline]
    fn encode_value(self, buf: &mut Vec<u8>) {
        buf.extend_from_slice(itoa::Buffer::new().format(self).as_bytes());
    }
}

impl EncodeValue for f64 {
    #[inline]
    fn encode_value(self, buf: &mut Vec<u8>) {
        if self.is_nan() {
            buf.extend_from_slice(b"NaN");
        } else if self.is_infinite() {
            buf.extend_from_slice(if self > 0.0 { b"+Inf" } else { b"-Inf" });
        } else if self.fract() == 0.0 && self.abs() < 9.007_199_254_740_992e15 {
            // Whole numbers (the common case for counts kept in floats) print without `.0`.
            (self as i64).encode_value(buf);
        } else {
            buf.extend_from_slice(ryu::Buffer::new().format_finite(self).as_bytes());
        }
    }
}

/// Appends `value` escaped as a label value: `\` → `\\`, `"` → `\"`, newline → `\n`.
/// Everything else, including any UTF-8, is written as it is.
pub fn escape_label_value_into(value: &str, out: &mut String) {
    escape_into(value, out, true);
}

/// Appends `help` escaped as HELP text: `\` → `\\`, newline → `\n` (quotes stay as they are).
pub fn escape_help_into(help: &str, out: &mut String) {
    escape_into(help, out, false);
}

fn escape_into(s: &str, out: &mut String, quotes: bool) {
    let bytes = s.as_bytes();
    let next = |from: usize| {
        let rest = bytes.get(from..).unwrap_or_default();
        let found = if quotes {
            memchr::memchr3(b'\\', b'\n', b'"', rest)
        } else {
            memchr::memchr2(b'\\', b'\n', rest)
        };
        found.map(|i| from + i)
    };
    let mut start = 0;
    while let Some(i) = next(start) {
        out.push_str(s.get(start..i).unwrap_or_default());
        out.push_str(escape_of(bytes.get(i).copied()));
        start = i + 1;
    }
    out.push_str(s.get(start..).unwrap_or_default());
}

/// The escape sequence of a byte that needs one.
#[inline]
fn escape_of(byte: Option<u8>) -> &'static str {
    match byte {
        Some(b'\n') => "\\n",
        Some(b'"') => "\\\"",
        _ => "\\\\",
    }
}

/// If `text` starts with `value` escaped as a label value, the rest of `text`: compares
/// without building the escaped value.
#[inline]
pub(crate) fn strip_escaped_label_value<'t>(text: &'t str, value: &str) -> Option<&'t str> {
    let mut rest = text.as_bytes();
    let mut value = value.as_bytes();
    while let Some(i) = memchr::memchr3(b'\\', b'\n', b'"', value) {
        let (plain, special) = value.split_at(i);
        rest = rest.strip_prefix(plain)?;
        let (byte, after) = special.split_first()?;
        rest = rest.strip_prefix(escape_of(Some(*byte)).as_bytes())?;
        value = after;
    }
    rest = rest.strip_prefix(value)?;
    // All of `value` (whole characters) matched: the rest starts on a character boundary.
    text.get(text.len() - rest.len()..)
}

/// Appends `name="value"` (value escaped) to `out`, preceded by a comma if `out` is not empty.
pub fn push_label_pair(out: &mut String, name: &str, value: &str) {
    if !out.is_empty() {
        out.push(',');
    }
    out.push_str(name);
    out.push_str("=\"");
    escape_label_value_into(value, out);
    out.push('"');
}

/// Formats a float the way the Go client does for `le` and `quantile` label values
/// (`strconv.FormatFloat(v, 'g', -1, 64)`: `1`, `0.005`, `2.5`, `1e+06`, `+Inf`), so that
/// series from promforge and from other clients line up in PromQL (`le="1"`, not `le="1.0"`).
pub fn format_go_float(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    if v == 0.0 {
        return if v.is_sign_negative() { "-0" } else { "0" }.into();
    }
    // `{:e}` gives the shortest round-tripping digits: "-1.2345e-7".
    let sci = format!("{v:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let mut out = String::from(sign);
    // Go's rule for the shortest 'g' form: exponent notation below 1e-4 and from 1e6 up.
    if !(-4..6).contains(&exp) {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let _ = write!(out, "e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
    } else if exp < 0 {
        out.push_str("0.");
        for _ in 0..(-exp - 1) {
            out.push('0');
        }
        out.push_str(&digits);
    } else {
        let int_len = exp as usize + 1;
        if digits.len() <= int_len {
            out.push_str(&digits);
            for _ in digits.len()..int_len {
                out.push('0');
            }
        } else {
            out.push_str(&digits[..int_len]);
            out.push('.');
            out.push_str(&digits[int_len..]);
        }
    }
    out
}

/// Writes the sample lines of one series (or one family's worth of series) into the output.
///
/// Metric types call [`SampleEncoder::sample`] once per line they produce; the encoder
/// adds the family name, the registry's constant labels and the series' own labels.
pub struct SampleEncoder<'a> {
    buf: &'a mut Vec<u8>,
    name: &'a str,
    const_labels: &'a str,
    labels: &'a str,
}

impl<'a> SampleEncoder<'a> {
    /// An encoder for the family `name` writing into `buf`. `const_labels` is a pre-rendered,
    /// escaped `a="1",b="2"` list (or empty) that is put on every sample.
    pub fn new(buf: &'a mut Vec<u8>, name: &'a str, const_labels: &'a str) -> Self {
        Self {
            buf,
            name,
            const_labels,
            labels: "",
        }
    }

    /// The same family, for one series whose own labels are `labels` (pre-rendered and
    /// escaped, as [`push_label_pair`] makes them).
    pub fn with_labels<'b>(&'b mut self, labels: &'b str) -> SampleEncoder<'b> {
        SampleEncoder {
            buf: self.buf,
            name: self.name,
            const_labels: self.const_labels,
            labels,
        }
    }

    /// Writes one line: `<name><suffix>{<const>,<labels>,<extra>} <value>\n`.
    /// `extra` is a pre-rendered label pair such as `le="0.5"`, or empty.
    #[inline]
    pub fn sample<V: EncodeValue>(&mut self, suffix: &str, extra: &str, value: V) {
        let buf = &mut *self.buf;
        buf.extend_from_slice(self.name.as_bytes());
        buf.extend_from_slice(suffix.as_bytes());
        let mut first = true;
        for part in [self.const_labels, self.labels, extra] {
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
        buf.push(b'\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value<V: EncodeValue>(v: V) -> String {
        let mut b = Vec::new();
        v.encode_value(&mut b);
        String::from_utf8(b).unwrap_or_default()
    }

    #[test]
    fn values() {
        assert_eq!(value(0u64), "0");
        assert_eq!(value(-3i64), "-3");
        assert_eq!(value(f64::NAN), "NaN");
        assert_eq!(value(f64::INFINITY), "+Inf");
        assert_eq!(value(f64::NEG_INFINITY), "-Inf");
        assert_eq!(value(2.0f64), "2");
        assert_eq!(value(0.25f64), "0.25");
        assert_eq!(value(1e300f64).parse::<f64>().ok(), Some(1e300));
    }

    #[test]
    fn go_floats() {
        for (v, s) in [
            (1.0, "1"),
            (0.005, "0.005"),
            (2.5, "2.5"),
            (10.0, "10"),
            (100000.0, "100000"),
            (1e6, "1e+06"),
            (1234567.0, "1.234567e+06"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (-0.5, "-0.5"),
            (0.0, "0"),
            (f64::INFINITY, "+Inf"),
        ] {
            assert_eq!(format_go_float(v), s, "{v}");
        }
    }

    #[test]
    fn escaping() {
        let mut s = String::new();
        escape_label_value_into("a\"b\\c\nd é", &mut s);
        assert_eq!(s, "a\\\"b\\\\c\\nd é");
        let mut h = String::new();
        escape_help_into("say \"hi\"\\\n", &mut h);
        assert_eq!(h, "say \"hi\"\\\\\\n");
    }
}
