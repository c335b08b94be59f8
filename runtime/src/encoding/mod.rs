//! How metrics describe their samples, independently of the exposition format.
//!
//! Metric types, families, collectors and the registry never write a format themselves:
//! they hand their values to a [`MetricEncoder`] (a counter's value, a histogram's buckets,
//! a summary's quantiles), and the encoder of the format being rendered writes them. Each
//! format is one file of this module ([`text`] for the Prometheus text formats,
//! [`protobuf`] for the protobuf format, the only one carrying native histograms), one
//! variant of [`Format`], and one row of the `Accept` negotiation
//! ([`ContentType::negotiate`]), which every endpoint shares.
//!
//! What does not change between scrapes is prepared once, when a metric is registered or
//! made: a family's header ([`FamilyMeta`]), a series' escaped label pairs, a histogram's
//! `le` values ([`BucketLabels`]), a summary's `quantile` values ([`QuantileLabels`]).

pub(crate) mod negotiate;
pub mod openmetrics;
pub mod protobuf;
pub mod text;

use std::fmt::Write as _;

use crate::metrics::ExemplarSlot;

/// An exposition format: one of the protocols Prometheus names in its `scrape_protocols`.
///
/// Chosen for a scrape by [`ContentType::negotiate`] from its `Accept` header, and passed
/// to [`Registry::render_as`](crate::Registry::render_as).
///
/// ```
/// use promforge::encoding::{ContentType, Format};
///
/// // What Prometheus 2.x sends without feature flags.
/// let accept = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;\
///               version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
/// let chosen = ContentType::negotiate([accept]);
/// # let _ = chosen;
/// // No Accept at all: the text format 0.0.4.
/// assert_eq!(ContentType::negotiate([]).format, Format::PrometheusText0_0_4);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Format {
    /// The Prometheus text format 0.0.4 (`text/plain; version=0.0.4`): the default, and
    /// what every scraper reads.
    #[default]
    PrometheusText0_0_4,
    /// The Prometheus text format 1.0.0 (`text/plain; version=1.0.0`): 0.0.4 with quoted
    /// UTF-8 names where the scraper allows them (`escaping=allow-utf-8`).
    PrometheusText1_0_0,
    /// OpenMetrics 1.0.0 (`application/openmetrics-text; version=1.0.0`): what Prometheus
    /// asks for first; the format that carries exemplars and `_created` samples.
    OpenMetricsText1_0_0,
    /// OpenMetrics 0.0.1 (`application/openmetrics-text; version=0.0.1`): the same text as
    /// 1.0.0, for scrapers that name the older version.
    OpenMetricsText0_0_1,
    /// The Prometheus protobuf format (`application/vnd.google.protobuf;
    /// proto=io.prometheus.client.MetricFamily; encoding=delimited`): the only one that
    /// carries native histograms; what Prometheus asks for first with
    /// `--enable-feature=native-histograms`.
    PrometheusProtobuf,
}

impl Format {
    /// The `Content-Type` of this format (with names escaped to the legacy character set).
    pub fn content_type(self) -> &'static str {
        ContentType::from(self).header_value()
    }

    /// Whether this format can carry names outside the legacy character set (quoted), when
    /// the scraper asks for it with `escaping=allow-utf-8`.
    pub fn allows_utf8_names(self) -> bool {
        match self {
            Format::PrometheusText0_0_4
            | Format::OpenMetricsText0_0_1
            | Format::PrometheusProtobuf => false,
            Format::PrometheusText1_0_0 | Format::OpenMetricsText1_0_0 => true,
        }
    }

    /// Whether this is an OpenMetrics format.
    pub fn is_openmetrics(self) -> bool {
        matches!(
            self,
            Format::OpenMetricsText1_0_0 | Format::OpenMetricsText0_0_1
        )
    }
}

/// How names outside the legacy character set (`[a-zA-Z_:][a-zA-Z0-9_:]*`) are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum NameEscaping {
    /// Every character outside the legacy set becomes `_` (Prometheus' `underscores`
    /// scheme): what every scraper reads.
    #[default]
    Underscores,
    /// Names are written as they are, quoted where needed (`escaping=allow-utf-8`), for
    /// scrapers that ask for it (Prometheus 3).
    AllowUtf8,
}

/// What a scrape is answered in: a [`Format`] and how names are escaped in it, as chosen
/// by [`negotiate`](Self::negotiate) from the request's `Accept` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ContentType {
    /// The exposition format.
    pub format: Format,
    /// How names outside the legacy character set are written.
    pub escaping: NameEscaping,
}

impl From<Format> for ContentType {
    fn from(format: Format) -> Self {
        Self {
            format,
            escaping: NameEscaping::Underscores,
        }
    }
}

impl ContentType {
    /// The answer to a request whose `Accept` header lines are `accept` (none: the header
    /// is missing): among the media ranges with a quality above 0, from the highest
    /// quality down (ties in the order sent), the first this build offers; the Prometheus
    /// text format 0.0.4 when none is (unknown types, only `*/*`, a malformed header).
    /// The `escaping` parameter of the chosen range is honoured where the format can carry
    /// UTF-8 names. Never fails, whatever the input.
    pub fn negotiate<'a>(accept: impl IntoIterator<Item = &'a str>) -> Self {
        negotiate::choose_format(accept)
    }

    /// Whether names outside the legacy character set are written quoted (the scraper
    /// asked for `escaping=allow-utf-8` in a format that can carry them), rather than
    /// escaped with `underscores`.
    pub fn allows_utf8(self) -> bool {
        self.escaping == NameEscaping::AllowUtf8 && self.format.allows_utf8_names()
    }

    /// The `Content-Type` header value of an answer in this format.
    pub fn header_value(self) -> &'static str {
        let utf8 = self.allows_utf8();
        match (self.format, utf8) {
            (Format::PrometheusText0_0_4, _) => text::CONTENT_TYPE,
            (Format::PrometheusText1_0_0, false) => text::CONTENT_TYPE_1_0_0,
            (Format::PrometheusText1_0_0, true) => {
                "text/plain; version=1.0.0; charset=utf-8; escaping=allow-utf-8"
            }
            (Format::OpenMetricsText1_0_0, false) => openmetrics::CONTENT_TYPE,
            (Format::OpenMetricsText1_0_0, true) => {
                "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=allow-utf-8"
            }
            (Format::OpenMetricsText0_0_1, _) => openmetrics::CONTENT_TYPE_0_0_1,
            (Format::PrometheusProtobuf, _) => protobuf::CONTENT_TYPE,
        }
    }
}

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
    /// One series per state of a set, the current one at 1, the others at 0 (a gauge in the
    /// text format 0.0.4; `stateset` in OpenMetrics when its one label is named like the
    /// family, as OpenMetrics requires).
    StateSet,
    /// A series always at 1 whose labels carry information, named `…_info` (a gauge in the
    /// text format 0.0.4; `info` in OpenMetrics).
    Info,
}

impl MetricType {
    /// The word used on the `# TYPE` line of the text format 0.0.4.
    pub fn as_str(self) -> &'static str {
        match self {
            MetricType::Counter => "counter",
            MetricType::Gauge | MetricType::StateSet | MetricType::Info => "gauge",
            MetricType::Histogram => "histogram",
            MetricType::Summary => "summary",
            MetricType::Untyped => "untyped",
        }
    }

    /// The word used on the `# TYPE` line of OpenMetrics.
    pub fn openmetrics_str(self) -> &'static str {
        match self {
            MetricType::Counter => "counter",
            MetricType::Gauge => "gauge",
            MetricType::Histogram => "histogram",
            MetricType::Summary => "summary",
            MetricType::Untyped => "unknown",
            MetricType::StateSet => "stateset",
            MetricType::Info => "info",
        }
    }

    /// The suffixes a family of this type adds to its name on its sample lines.
    pub(crate) fn sample_suffixes(self) -> &'static [&'static str] {
        match self {
            MetricType::Histogram => &promforge_rules::HISTOGRAM_SAMPLE_SUFFIXES,
            MetricType::Summary => &promforge_rules::SUMMARY_SAMPLE_SUFFIXES,
            _ => &[],
        }
    }

    /// The other names a family of this type takes in OpenMetrics, from its full name: the
    /// family name without `_total` (`_info`), and the `_created` samples.
    pub(crate) fn openmetrics_names(self, full: &str) -> Vec<String> {
        let family = openmetrics::family_name(full, self);
        let mut names = Vec::new();
        if family != full {
            names.push(family.to_owned());
        }
        if matches!(
            self,
            MetricType::Counter | MetricType::Histogram | MetricType::Summary
        ) {
            names.push(format!("{family}_created"));
        }
        names
    }
}

/// A sample value that can be written in the exposition format.
pub trait EncodeValue: Copy {
    /// Appends the value's text form to `buf`.
    fn encode_value(self, buf: &mut Vec<u8>);
    /// The value as a float (the protobuf format's sample values are doubles).
    fn sample_f64(self) -> f64;
}

impl EncodeValue for u64 {
    #[inline]
    fn encode_value(self, buf: &mut Vec<u8>) {
        buf.extend_from_slice(itoa::Buffer::new().format(self).as_bytes());
    }
    #[inline]
    fn sample_f64(self) -> f64 {
        self as f64
    }
}

impl EncodeValue for i64 {
    #[inline]
    fn encode_value(self, buf: &mut Vec<u8>) {
        buf.extend_from_slice(itoa::Buffer::new().format(self).as_bytes());
    }
    #[inline]
    fn sample_f64(self) -> f64 {
        self as f64
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
    #[inline]
    fn sample_f64(self) -> f64 {
        self
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

/// One metric family's description: its full name, HELP text and type, with whatever
/// each format renders of them once (the 0.0.4 header), so a scrape only copies it.
#[derive(Debug, Clone)]
pub struct FamilyMeta {
    name: String,
    help: String,
    metric_type: MetricType,
    /// `# HELP …\n# TYPE …\n`, as the 0.0.4 text format writes them.
    text_header: String,
    /// The family's name in OpenMetrics (without `_total` or `_info`).
    om_family: String,
    /// `# TYPE …\n# HELP …\n`, as OpenMetrics writes them.
    om_header: String,
    /// The name in the legacy character set (`underscores` escaping): what the sample
    /// lines and the headers above carry.
    escaped: String,
    /// The quoted forms, for a name outside the legacy character set (rendered only for a
    /// scraper that asks for `escaping=allow-utf-8`).
    utf8: Option<Box<Utf8Forms>>,
}

/// A UTF-8 family name's forms for `escaping=allow-utf-8`, prepared once.
#[derive(Debug, Clone)]
struct Utf8Forms {
    /// The name escaped as a quoted string's content (`\`, `"`, newline).
    name: String,
    /// The same, without OpenMetrics' `_total`/`_info`.
    om_family: String,
    /// `# HELP "<name>" …\n# TYPE "<name>" …\n`.
    text_header: String,
    /// `# TYPE "<family>" …\n# HELP "<family>" …\n`.
    om_header: String,
}

/// `"<name>"`, the content escaped as a label value.
fn quoted(name: &str) -> String {
    let mut q = String::with_capacity(name.len() + 2);
    q.push('"');
    escape_label_value_into(name, &mut q);
    q.push('"');
    q
}

impl FamilyMeta {
    /// The description of the family `name` (its full name, as exposed).
    pub fn new(name: impl Into<String>, help: impl Into<String>, metric_type: MetricType) -> Self {
        let (name, help): (String, String) = (name.into(), help.into());
        let escaped = promforge_rules::escape_metric_name(&name).into_owned();
        let text_header = text::header(&escaped, &help, metric_type);
        let om_family = openmetrics::family_name(&escaped, metric_type).to_owned();
        let om_header = openmetrics::header(&om_family, &help, metric_type);
        let utf8 = (escaped != name).then(|| {
            let family = openmetrics::family_name(&name, metric_type);
            let mut utf8_name = String::new();
            escape_label_value_into(&name, &mut utf8_name);
            let mut utf8_family = String::new();
            escape_label_value_into(family, &mut utf8_family);
            Box::new(Utf8Forms {
                text_header: text::header(&quoted(&name), &help, metric_type),
                om_header: openmetrics::header(&quoted(family), &help, metric_type),
                name: utf8_name,
                om_family: utf8_family,
            })
        });
        Self {
            name,
            help,
            metric_type,
            text_header,
            om_family,
            om_header,
            escaped,
            utf8,
        }
    }

    /// The family's name in the legacy character set (`underscores` escaping): the name
    /// itself when it is a legacy name, which every name is outside registries with
    /// [`utf8_names`](crate::RegistryBuilder::utf8_names).
    pub fn escaped_name(&self) -> &str {
        &self.escaped
    }

    /// The name and OpenMetrics family name sample lines carry, and whether they are
    /// written quoted (`allowed`: [`ContentType::allows_utf8`]).
    #[inline]
    fn sample_names(&self, allowed: bool) -> (&str, &str, bool) {
        match self.utf8_forms(allowed) {
            Some(utf8) => (&utf8.name, &utf8.om_family, true),
            None => (&self.escaped, &self.om_family, false),
        }
    }

    /// The quoted forms, when the name is not a legacy one and the scraper allows UTF-8
    /// (`allowed`: [`ContentType::allows_utf8`]).
    #[inline]
    fn utf8_forms(&self, allowed: bool) -> Option<&Utf8Forms> {
        if allowed { self.utf8.as_deref() } else { None }
    }

    /// The family's full name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The HELP text, as given (not escaped).
    pub fn help(&self) -> &str {
        &self.help
    }

    /// The family's type.
    pub fn metric_type(&self) -> MetricType {
        self.metric_type
    }
}

/// A histogram's upper bounds (finite, increasing; `+Inf` implied), with their `le` label
/// values rendered once (`le="0.005"`, …, `le="+Inf"`), as the Go client formats them.
#[derive(Debug, Clone, PartialEq)]
pub struct BucketLabels {
    bounds: Box<[f64]>,
    /// One per bound, then `+Inf`.
    le: Box<[String]>,
}

impl BucketLabels {
    /// The labels of these upper bounds (checked by the caller: finite, increasing).
    pub fn new(bounds: &[f64]) -> Self {
        let all = bounds.iter().copied().chain(std::iter::once(f64::INFINITY));
        Self {
            bounds: bounds.into(),
            le: float_label_pairs("le", all),
        }
    }

    /// The finite upper bounds.
    pub fn bounds(&self) -> &[f64] {
        &self.bounds
    }

    /// How many buckets, `+Inf` included.
    pub fn len(&self) -> usize {
        self.le.len()
    }

    /// Whether there is only the `+Inf` bucket.
    pub fn is_empty(&self) -> bool {
        self.bounds.is_empty()
    }
}

/// `name="<value>"` for each value, formatted as the Go client formats floats.
fn float_label_pairs(name: &str, values: impl Iterator<Item = f64>) -> Box<[String]> {
    values
        .map(|v| {
            let mut pair = String::new();
            push_label_pair(&mut pair, name, &format_go_float(v));
            pair
        })
        .collect()
}

/// A summary's quantiles (in `[0, 1]`), with their `quantile` label values rendered once.
#[derive(Debug, Clone, PartialEq)]
pub struct QuantileLabels {
    quantiles: Box<[f64]>,
    labels: Box<[String]>,
}

impl QuantileLabels {
    /// The labels of these quantiles.
    pub fn new(quantiles: &[f64]) -> Self {
        Self {
            quantiles: quantiles.into(),
            labels: float_label_pairs("quantile", quantiles.iter().copied()),
        }
    }

    /// The quantiles.
    pub fn quantiles(&self) -> &[f64] {
        &self.quantiles
    }
}

/// A native histogram's state as a render exposes it (see
/// [`NativeHistogram`](crate::NativeHistogram)): bucket `k` at `schema` holds the values with
/// `2^((k−1)·2^−schema) < |v| <= 2^(k·2^−schema)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NativeBuckets<'a> {
    /// The resolution, −4 ..= 8.
    pub schema: i8,
    /// Values with `|v| <=` this are in the zero bucket.
    pub zero_threshold: f64,
    /// Observations in the zero bucket.
    pub zero_count: u64,
    /// All observations (NaN ones included, which are in no bucket).
    pub count: u64,
    /// The sum of all observations.
    pub sum: f64,
    /// Populated positive buckets, `(key, count)`, keys increasing.
    pub positive: &'a [(i32, u64)],
    /// Populated negative buckets (key of `|v|`), keys increasing.
    pub negative: &'a [(i32, u64)],
}

/// Where a metric writes the samples of one series (or of a family's series, one
/// [`with_labels`](Self::with_labels) each), in the format being rendered.
///
/// A custom [`EncodeMetric`](crate::EncodeMetric) describes its values with the method of
/// its type: [`counter`](Self::counter), [`gauge`](Self::gauge),
/// [`histogram`](Self::histogram), [`summary`](Self::summary), [`untyped`](Self::untyped).
///
/// ```
/// use promforge::encoding::MetricEncoder;
/// use promforge::{EncodeMetric, MetricType, Registry};
///
/// struct Answer;
///
/// impl EncodeMetric for Answer {
///     fn metric_type(&self) -> MetricType {
///         MetricType::Gauge
///     }
///     fn encode(&self, encoder: &mut MetricEncoder<'_>) {
///         encoder.with_labels("kind=\"ultimate\"").gauge(42u64);
///     }
/// }
///
/// # fn main() -> Result<(), promforge::Error> {
/// let registry = Registry::new();
/// registry.register("answer", "The answer.", Answer)?;
/// assert!(registry.render().contains("answer{kind=\"ultimate\"} 42\n"));
/// # Ok(()) }
/// ```
pub struct MetricEncoder<'a> {
    sink: Sink<'a>,
    /// This series' own labels (escaped `a="1",b="2"`), or empty.
    labels: &'a str,
}

/// The format being written.
enum Sink<'a> {
    Text(text::Sink<'a>),
    Protobuf(protobuf::Sink<'a>),
    OpenMetrics(openmetrics::Sink<'a>),
}

/// What a render writes, beyond the format: the options of the registry.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RenderOptions {
    /// OpenMetrics `_created` samples.
    pub(crate) created: bool,
}

impl<'a> MetricEncoder<'a> {
    /// An encoder for the family `meta` writing `format` into `buf`, with `const_labels`
    /// (escaped, or empty) on every sample.
    #[inline]
    pub(crate) fn new(
        format: Format,
        options: RenderOptions,
        buf: &'a mut Vec<u8>,
        (name, family, quoted): (&'a str, &'a str, bool),
        const_labels: &'a str,
    ) -> Self {
        let sink = match format {
            Format::PrometheusText0_0_4 | Format::PrometheusText1_0_0 => {
                Sink::Text(text::Sink::new(buf, name, const_labels, quoted))
            }
            Format::PrometheusProtobuf => Sink::Protobuf(protobuf::Sink::new(buf, const_labels)),
            Format::OpenMetricsText1_0_0 | Format::OpenMetricsText0_0_1 => Sink::OpenMetrics(
                openmetrics::Sink::new(buf, name, family, const_labels, options.created, quoted),
            ),
        };
        Self { sink, labels: "" }
    }

    /// The same family, for the series whose own labels are `labels` (pre-rendered and
    /// escaped, as [`push_label_pair`] makes them).
    #[inline]
    pub fn with_labels<'b>(&'b mut self, labels: &'b str) -> MetricEncoder<'b> {
        MetricEncoder {
            sink: match &mut self.sink {
                Sink::Text(sink) => Sink::Text(sink.reborrow()),
                Sink::Protobuf(sink) => Sink::Protobuf(sink.reborrow()),
                Sink::OpenMetrics(sink) => Sink::OpenMetrics(sink.reborrow()),
            },
            labels,
        }
    }

    /// A counter's value with the exemplar kept in `exemplar` (written in OpenMetrics
    /// only, when one was recorded).
    #[inline]
    pub fn counter_with_exemplar<V: EncodeValue>(&mut self, value: V, exemplar: &ExemplarSlot) {
        match &mut self.sink {
            Sink::Text(sink) => sink.line(self.labels, "", "", value),
            Sink::Protobuf(sink) => sink.value(self.labels, 3, value.sample_f64()),
            Sink::OpenMetrics(sink) => sink.line_with_exemplar(self.labels, value, exemplar),
        }
    }

    /// A counter's value (the family's name already ends in `_total`).
    #[inline]
    pub fn counter<V: EncodeValue>(&mut self, value: V) {
        match &mut self.sink {
            Sink::Text(sink) => sink.line(self.labels, "", "", value),
            Sink::Protobuf(sink) => sink.value(self.labels, 3, value.sample_f64()),
            Sink::OpenMetrics(sink) => sink.line(self.labels, value),
        }
    }

    /// A gauge's value.
    #[inline]
    pub fn gauge<V: EncodeValue>(&mut self, value: V) {
        match &mut self.sink {
            Sink::Text(sink) => sink.line(self.labels, "", "", value),
            Sink::Protobuf(sink) => sink.value(self.labels, 2, value.sample_f64()),
            Sink::OpenMetrics(sink) => sink.line(self.labels, value),
        }
    }

    /// One state of a state set: whether it is the current one (a gauge of 1 or 0 in the
    /// text format).
    #[inline]
    pub fn state(&mut self, active: bool) {
        match &mut self.sink {
            Sink::Text(sink) => sink.line(self.labels, "", "", u64::from(active)),
            Sink::Protobuf(sink) => sink.value(self.labels, 2, f64::from(u8::from(active))),
            Sink::OpenMetrics(sink) => sink.line(self.labels, u64::from(active)),
        }
    }

    /// The value of a sample of unknown type.
    #[inline]
    pub fn untyped<V: EncodeValue>(&mut self, value: V) {
        match &mut self.sink {
            Sink::Text(sink) => sink.line(self.labels, "", "", value),
            Sink::Protobuf(sink) => sink.value(self.labels, 5, value.sample_f64()),
            Sink::OpenMetrics(sink) => sink.line(self.labels, value),
        }
    }

    /// A histogram: `counts` per bucket of `buckets` (not cumulative, `+Inf` last), and the
    /// sum of the observations. The count is the sum of the buckets.
    #[inline]
    pub fn histogram(
        &mut self,
        buckets: &BucketLabels,
        counts: impl IntoIterator<Item = u64>,
        sum: f64,
    ) {
        self.histogram_with_exemplars(buckets, counts, sum, None);
    }

    /// [`histogram`](Self::histogram) with the exemplars kept per bucket (one slot per
    /// bucket, `+Inf` last; written in OpenMetrics only).
    #[inline]
    pub fn histogram_with_exemplars(
        &mut self,
        buckets: &BucketLabels,
        counts: impl IntoIterator<Item = u64>,
        sum: f64,
        exemplars: Option<&[ExemplarSlot]>,
    ) {
        match &mut self.sink {
            Sink::Text(sink) => sink.histogram(self.labels, &buckets.le, counts, sum),
            Sink::Protobuf(sink) => sink.histogram(self.labels, buckets, counts, sum),
            Sink::OpenMetrics(sink) => {
                sink.histogram(
                    self.labels,
                    &buckets.bounds,
                    &buckets.le,
                    counts,
                    sum,
                    exemplars,
                );
            }
        }
    }

    /// A native histogram (`native`), with the classic buckets it also keeps, if any
    /// (`buckets` and per-bucket counts, not cumulative, `+Inf` last). The text formats,
    /// which cannot carry native buckets, write the classic buckets, or without them
    /// [`TEXT_BUCKETS`](crate::metrics::TEXT_BUCKETS) counted from the native ones.
    #[inline]
    pub fn native_histogram<I: IntoIterator<Item = u64>>(
        &mut self,
        native: &NativeBuckets<'_>,
        classic: Option<(&BucketLabels, I)>,
    ) {
        match &mut self.sink {
            Sink::Text(sink) => match classic {
                Some((buckets, counts)) => {
                    sink.histogram(self.labels, &buckets.le, counts, native.sum)
                }
                None => {
                    let (buckets, counts) = text_layout(native);
                    sink.histogram(self.labels, &buckets.le, counts, native.sum)
                }
            },
            Sink::OpenMetrics(sink) => match classic {
                Some((buckets, counts)) => sink.histogram(
                    self.labels,
                    &buckets.bounds,
                    &buckets.le,
                    counts,
                    native.sum,
                    None,
                ),
                None => {
                    let (buckets, counts) = text_layout(native);
                    sink.histogram(
                        self.labels,
                        &buckets.bounds,
                        &buckets.le,
                        counts,
                        native.sum,
                        None,
                    )
                }
            },
            Sink::Protobuf(sink) => sink.native_histogram(self.labels, native, classic),
        }
    }

    /// A summary: the value of each of `quantiles`, in order, the sum and the count (an
    /// integer, or a float for counts derived from aggregates).
    #[inline]
    pub fn summary<C: EncodeValue>(
        &mut self,
        quantiles: &QuantileLabels,
        values: impl IntoIterator<Item = f64>,
        sum: f64,
        count: C,
    ) {
        match &mut self.sink {
            Sink::Text(sink) => sink.summary(self.labels, &quantiles.labels, values, sum, count),
            Sink::Protobuf(sink) => {
                let count = count.sample_f64();
                let count = if count >= 0.0 {
                    count.round() as u64
                } else {
                    0
                };
                sink.summary(self.labels, &quantiles.quantiles, values, sum, count)
            }
            Sink::OpenMetrics(sink) => {
                sink.lines_mut()
                    .summary(self.labels, &quantiles.labels, values, sum, count);
            }
        }
    }

    /// When the series written last (a counter, histogram or summary) was created, in
    /// seconds since the Unix epoch: a `_created` sample in OpenMetrics when the registry
    /// writes them ([`RegistryBuilder::created_timestamps`](crate::RegistryBuilder::created_timestamps)),
    /// nothing otherwise.
    #[inline]
    pub fn created(&mut self, seconds: f64) {
        match &mut self.sink {
            Sink::Text(_) => {}
            Sink::OpenMetrics(sink) => sink.created(self.labels, seconds),
            Sink::Protobuf(_) => {}
        }
    }

    /// A sample of the family's type (for collectors, which name the type of each family).
    #[inline]
    pub(crate) fn value<V: EncodeValue>(&mut self, metric_type: MetricType, value: V) {
        match metric_type {
            MetricType::Counter => self.counter(value),
            MetricType::Gauge | MetricType::StateSet | MetricType::Info => self.gauge(value),
            _ => self.untyped(value),
        }
    }
}

/// The classic buckets ([`TEXT_BUCKETS`](crate::metrics::TEXT_BUCKETS)) a native-only
/// histogram shows in the text formats, and its per-bucket counts: each native bucket under
/// the first `le` at or above its largest value, NaN observations under `+Inf`.
fn text_layout(
    native: &NativeBuckets<'_>,
) -> (
    &'static BucketLabels,
    [u64; crate::metrics::TEXT_BUCKETS.len() + 1],
) {
    use crate::metrics::{TEXT_BUCKETS, bucket_upper_bound};
    static LABELS: std::sync::OnceLock<BucketLabels> = std::sync::OnceLock::new();
    let labels = LABELS.get_or_init(|| BucketLabels::new(TEXT_BUCKETS));
    let mut counts = [0u64; TEXT_BUCKETS.len() + 1];
    let mut add = |largest: f64, count: u64| {
        let i = TEXT_BUCKETS.partition_point(|&b| b < largest);
        if let Some(c) = counts.get_mut(i) {
            *c = c.wrapping_add(count);
        }
    };
    add(native.zero_threshold, native.zero_count);
    let mut in_buckets = native.zero_count;
    for &(key, count) in native.positive {
        add(bucket_upper_bound(key, native.schema), count);
        in_buckets = in_buckets.wrapping_add(count);
    }
    for &(key, count) in native.negative {
        add(-bucket_upper_bound(key - 1, native.schema), count);
        in_buckets = in_buckets.wrapping_add(count);
    }
    if let Some(inf) = counts.last_mut() {
        *inf = inf.wrapping_add(native.count.saturating_sub(in_buckets));
    }
    (labels, counts)
}

/// Writes a whole exposition: each family's header, then its samples through a
/// [`MetricEncoder`]. The registry drives it.
pub(crate) struct ExpositionWriter<'a> {
    buf: &'a mut Vec<u8>,
    const_labels: &'a str,
    content_type: ContentType,
    /// The protobuf family still open: its start and the end of its header.
    open: Option<(usize, usize)>,
    /// `content_type.allows_utf8()`, once per render.
    utf8_allowed: bool,
    options: RenderOptions,
}

impl<'a> ExpositionWriter<'a> {
    /// A writer of `content_type` into `buf`.
    pub(crate) fn new(
        buf: &'a mut Vec<u8>,
        const_labels: &'a str,
        content_type: ContentType,
        options: RenderOptions,
    ) -> Self {
        Self {
            buf,
            const_labels,
            content_type,
            open: None,
            utf8_allowed: content_type.allows_utf8(),
            options,
        }
    }

    /// The format being written, and the options.
    pub(crate) fn format(&self) -> (ContentType, RenderOptions) {
        (self.content_type, self.options)
    }

    /// Writes `meta`'s header in this format.
    /// (A protobuf family stays open until the next one, or [`finish`](Self::finish),
    /// closes it: its length is known then.)
    #[inline]
    fn header(&mut self, meta: &FamilyMeta) {
        // Protobuf carries names as strings: no quoting.
        if !matches!(self.content_type.format, Format::PrometheusProtobuf)
            && let Some(utf8) = meta.utf8_forms(self.utf8_allowed)
        {
            return self.utf8_header(utf8);
        }
        match self.content_type.format {
            Format::PrometheusText0_0_4 | Format::PrometheusText1_0_0 => {
                self.buf.extend_from_slice(meta.text_header.as_bytes());
            }
            Format::OpenMetricsText1_0_0 | Format::OpenMetricsText0_0_1 => {
                self.buf.extend_from_slice(meta.om_header.as_bytes());
            }
            Format::PrometheusProtobuf => {
                self.close_family();
                self.open = Some(protobuf::family_start(self.buf, meta));
            }
        }
    }

    /// Ends the protobuf family still open, if any.
    fn close_family(&mut self) {
        if let Some(open) = self.open.take() {
            protobuf::family_end(self.buf, open);
        }
    }

    /// [`header`](Self::header) of a name written quoted.
    #[cold]
    #[inline(never)]
    fn utf8_header(&mut self, utf8: &Utf8Forms) {
        let header = match self.content_type.format {
            Format::PrometheusText0_0_4 | Format::PrometheusText1_0_0 => &utf8.text_header,
            Format::OpenMetricsText1_0_0 | Format::OpenMetricsText0_0_1 => &utf8.om_header,
            // Not called for protobuf (see `header`).
            Format::PrometheusProtobuf => return,
        };
        self.buf.extend_from_slice(header.as_bytes());
    }

    /// Writes `meta`'s header and returns the encoder of its samples.
    #[inline]
    pub(crate) fn family<'b>(&'b mut self, meta: &'b FamilyMeta) -> MetricEncoder<'b> {
        self.header(meta);
        MetricEncoder::new(
            self.content_type.format,
            self.options,
            self.buf,
            meta.sample_names(self.utf8_allowed),
            self.const_labels,
        )
    }

    /// Writes `meta`'s header and samples encoded earlier (into a buffer of
    /// [`sample_buffer`](Self::sample_buffer)'s encoder).
    pub(crate) fn family_encoded(&mut self, meta: &FamilyMeta, samples: &[u8]) {
        self.header(meta);
        self.buf.extend_from_slice(samples);
    }

    /// The output buffer, for families already rendered in the 0.0.4 text format (those of
    /// an included `prometheus::Registry`); `None` in the protobuf format.
    #[cfg(feature = "prometheus-interop")]
    pub(crate) fn text_buffer(&mut self) -> Option<&mut Vec<u8>> {
        match self.content_type.format {
            Format::PrometheusText0_0_4 | Format::PrometheusText1_0_0 => Some(&mut *self.buf),
            Format::PrometheusProtobuf
            | Format::OpenMetricsText1_0_0
            | Format::OpenMetricsText0_0_1 => None,
        }
    }

    /// The rest of the output (a format's end marker; the last protobuf family's length).
    pub(crate) fn finish(mut self) {
        match self.content_type.format {
            Format::PrometheusText0_0_4 | Format::PrometheusText1_0_0 => {}
            Format::PrometheusProtobuf => self.close_family(),
            Format::OpenMetricsText1_0_0 | Format::OpenMetricsText0_0_1 => {
                self.buf.extend_from_slice(openmetrics::EOF);
            }
        }
    }

    /// An encoder writing the samples of `name` in `format` into `buf`, to be written
    /// later with [`family_encoded`](Self::family_encoded) (collectors write their
    /// families' samples in any order).
    pub(crate) fn sample_buffer<'b>(
        (format, options): (ContentType, RenderOptions),
        buf: &'b mut Vec<u8>,
        meta: &'b FamilyMeta,
        const_labels: &'b str,
    ) -> MetricEncoder<'b> {
        MetricEncoder::new(
            format.format,
            options,
            buf,
            meta.sample_names(format.allows_utf8()),
            const_labels,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value<V: EncodeValue>(v: V) -> String {
        let mut b = Vec::new();
        v.encode_value(&mut b);
        String::from_utf8(b).expect("UTF-8")
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
