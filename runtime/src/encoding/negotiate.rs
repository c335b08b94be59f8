//! Content negotiation on untrusted request headers: a parser for the lists with quality
//! values that `Accept`, `Accept-Encoding` (and `Accept-Charset`, `Accept-Language`) share,
//! and the choice of an exposition [`Format`](super::Format) from `Accept`.
//!
//! The parser is generic on purpose: the exporter's `Accept-Encoding` choice reuses
//! [`q_items`]. Nothing here panics or allocates per element, whatever the input.

use super::{ContentType, Format, NameEscaping};

/// A quality value in thousandths: `q=0.5` is 500, `q=1` (and no `q`) is 1000.
pub(crate) type Quality = u16;

/// The highest quality, the one an element without `q` has.
pub(crate) const Q_MAX: Quality = 1000;

/// One element of a list with quality values, as in `gzip;q=0.8` or
/// `text/plain;version=0.0.4;q=0.5`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct QItem<'a> {
    /// The element before its parameters (a coding, a media range, a language), trimmed,
    /// as sent (compare it ignoring ASCII case).
    pub(crate) value: &'a str,
    /// The parameters between the value and `q` (for a media range, its own parameters),
    /// without the leading `;`; read them with [`params`].
    pub(crate) params: &'a str,
    /// The element's quality ([`Q_MAX`] without `q`).
    pub(crate) q: Quality,
}

/// The elements of one header value, in order. Empty elements (`a,,b`) are skipped, as
/// RFC 9110 §5.6.1 asks; an element whose `q` is not a valid quality value (`q=2`,
/// `q=0.5x`, `q=` …) is skipped as a whole, since what its sender meant is unknown.
/// Commas and semicolons inside quoted strings do not split.
pub(crate) fn q_items(value: &str) -> impl Iterator<Item = QItem<'_>> {
    split_unquoted(value, b',').filter_map(parse_item)
}

/// The `name=value` parameters of `params` (as in [`QItem::params`]): names trimmed, values
/// trimmed and unquoted (a quoted value keeps its backslash escapes as sent).
pub(crate) fn params(params: &str) -> impl Iterator<Item = (&str, &str)> {
    split_unquoted(params, b';').filter_map(|p| {
        let p = p.trim_matches(is_ows);
        if p.is_empty() {
            return None;
        }
        let (name, value) = p.split_once('=').unwrap_or((p, ""));
        let value = value.trim_matches(is_ows);
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(value);
        Some((name.trim_matches(is_ows), value))
    })
}

fn parse_item(element: &str) -> Option<QItem<'_>> {
    let element = element.trim_matches(is_ows);
    if element.is_empty() {
        return None;
    }
    let (value, rest) = match element.find(';') {
        Some(i) => (&element[..i], &element[i + 1..]),
        None => (element, ""),
    };
    let value = value.trim_matches(is_ows);
    if value.is_empty() {
        return None;
    }
    // The parameters up to `q` belong to the value; `q` and what follows it (accept
    // extensions) set the weight.
    let mut q = Q_MAX;
    let mut params_end = rest.len();
    let mut offset = 0;
    for param in split_unquoted(rest, b';') {
        let start = offset;
        offset += param.len() + 1;
        let trimmed = param.trim_matches(is_ows);
        let Some((name, weight)) = trimmed.split_once('=') else {
            continue;
        };
        if name.trim_matches(is_ows).eq_ignore_ascii_case("q") {
            q = parse_quality(weight.trim_matches(is_ows))?;
            params_end = start.saturating_sub(1).min(rest.len());
            break;
        }
    }
    let params = rest.get(..params_end).unwrap_or("");
    Some(QItem {
        value,
        params: params.trim_matches(is_ows),
        q,
    })
}

/// `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )`, in thousandths.
pub(crate) fn parse_quality(s: &str) -> Option<Quality> {
    let (whole, fraction) = match s.split_once('.') {
        Some((w, f)) => (w, f),
        None => (s, ""),
    };
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut thousandths: Quality = 0;
    for (i, digit) in fraction.bytes().enumerate() {
        let scale: Quality = [100, 10, 1][i];
        thousandths += Quality::from(digit - b'0') * scale;
    }
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(Q_MAX),
        _ => None,
    }
}

/// Splits `s` on `sep`, except inside double-quoted strings (with `\` escapes).
fn split_unquoted(s: &str, sep: u8) -> impl Iterator<Item = &str> {
    let bytes = s.as_bytes();
    let mut start = 0;
    let mut i = 0;
    let mut quoted = false;
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        while i < bytes.len() {
            let b = bytes[i];
            if quoted && b == b'\\' {
                i += 2;
                continue;
            }
            if b == b'"' {
                quoted = !quoted;
            } else if b == sep && !quoted {
                // `sep` is ASCII: both ends are character boundaries.
                let part = s.get(start..i).unwrap_or("");
                i += 1;
                start = i;
                return Some(part);
            }
            i += 1;
        }
        done = true;
        Some(s.get(start..).unwrap_or(""))
    })
}

fn is_ows(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// One media type `Accept` may name, and the format it selects.
struct MediaType {
    /// `type/subtype`, compared ignoring ASCII case.
    essence: &'static str,
    /// The `version` parameters that select this row; `""` stands for no `version`.
    versions: &'static [&'static str],
    /// Other parameters the range must carry, exactly (names ignoring ASCII case).
    required: &'static [(&'static str, &'static str)],
    /// The format answered, or `None` for a type recognised but not offered by this build
    /// (the negotiation then goes on to the client's next choice).
    format: Option<Format>,
}

/// Every media type the negotiation recognises: Prometheus' `scrape_protocols`. A new
/// format is one more row here (or a `None` turned into its variant), nothing else.
const MEDIA_TYPES: &[MediaType] = &[
    MediaType {
        essence: "application/vnd.google.protobuf",
        versions: &[""],
        required: &[
            ("proto", "io.prometheus.client.MetricFamily"),
            ("encoding", "delimited"),
        ],
        format: Some(Format::PrometheusProtobuf),
    },
    MediaType {
        essence: "application/openmetrics-text",
        versions: &["1.0.0"],
        required: &[],
        format: Some(Format::OpenMetricsText1_0_0),
    },
    MediaType {
        essence: "application/openmetrics-text",
        // As client_golang: OpenMetrics without a version is the first one, 0.0.1.
        versions: &["0.0.1", ""],
        required: &[],
        format: Some(Format::OpenMetricsText0_0_1),
    },
    MediaType {
        essence: "text/plain",
        versions: &["1.0.0"],
        required: &[],
        format: Some(Format::PrometheusText1_0_0),
    },
    MediaType {
        essence: "text/plain",
        versions: &["0.0.4", ""],
        required: &[],
        format: Some(Format::PrometheusText0_0_4),
    },
];

impl MediaType {
    /// Whether the media range `item` names this type (wildcards name none: a client that
    /// only sends `*/*` gets the default).
    fn matches(&self, item: &QItem<'_>) -> bool {
        if !item.value.eq_ignore_ascii_case(self.essence) {
            return false;
        }
        let version = params(item.params)
            .find(|(name, _)| name.eq_ignore_ascii_case("version"))
            .map_or("", |(_, v)| v);
        self.versions.contains(&version)
            && self.required.iter().all(|(name, value)| {
                params(item.params).any(|(n, v)| n.eq_ignore_ascii_case(name) && v == *value)
            })
    }
}

/// The `escaping` parameter of a media range: how the client wants names outside the
/// legacy character set written.
fn escaping_of(item: &QItem<'_>) -> NameEscaping {
    match params(item.params).find(|(name, _)| name.eq_ignore_ascii_case("escaping")) {
        Some((_, "allow-utf-8")) => NameEscaping::AllowUtf8,
        _ => NameEscaping::Underscores,
    }
}

/// The answer to the `Accept` lists `values` (one per header line): among the media ranges
/// with a quality above 0, from the highest quality down (ties in the order sent), the
/// first that names a format this build offers. Nothing acceptable (no `Accept`, only
/// `*/*`, unknown types) gets the Prometheus text format 0.0.4: `/metrics` never answers 406.
///
/// The `escaping` parameter of the chosen range is honoured for the formats that can
/// carry quoted UTF-8 names; the others always escape.
pub(crate) fn choose_format<'a>(values: impl IntoIterator<Item = &'a str>) -> ContentType {
    // At most this many ranges are weighed (a long header is cut, not an error); they are
    // kept on the stack.
    const MAX: usize = 32;
    let mut ranges: [Option<QItem<'a>>; MAX] = [None; MAX];
    let mut n = 0;
    for item in values.into_iter().flat_map(q_items) {
        if n == MAX {
            break;
        }
        if item.q > 0
            && let Some(slot) = ranges.get_mut(n)
        {
            *slot = Some(item);
            n += 1;
        }
    }
    let ranges = ranges.get_mut(..n).unwrap_or_default();
    // Stable: equal qualities keep the client's order.
    ranges.sort_by_key(|r| std::cmp::Reverse(r.map_or(0, |r| r.q)));
    for range in ranges.iter().flatten() {
        let offered = MEDIA_TYPES
            .iter()
            .find(|m| m.matches(range))
            .and_then(|m| m.format);
        if let Some(format) = offered {
            let escaping = if format.allows_utf8_names() {
                escaping_of(range)
            } else {
                NameEscaping::Underscores
            };
            return ContentType { format, escaping };
        }
    }
    ContentType::default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chosen(lines: &[&str]) -> (Format, NameEscaping) {
        let c = choose_format(lines.iter().copied());
        (c.format, c.escaping)
    }

    /// What real scrapers send (captured from Prometheus 2.42, with and without native
    /// histograms; Prometheus 3's default list), and the corner cases around them.
    #[test]
    fn accept_table() {
        use Format::{
            OpenMetricsText0_0_1 as OM001, OpenMetricsText1_0_0 as OM100, PrometheusProtobuf as PB,
            PrometheusText0_0_4 as T004, PrometheusText1_0_0 as T100,
        };
        use NameEscaping::{AllowUtf8 as Utf8, Underscores as Esc};
        let table: &[(&[&str], (Format, NameEscaping))] = &[
            (&[], (T004, Esc)),
            (&[""], (T004, Esc)),
            (&["*/*"], (T004, Esc)),
            (&["text/*"], (T004, Esc)),
            (&["application/json"], (T004, Esc)),
            (&["text/plain"], (T004, Esc)),
            (&["TEXT/Plain; Version=0.0.4"], (T004, Esc)),
            (&["text/plain;version=0.0.5"], (T004, Esc)),
            (&["text/plain;version=1.0.0"], (T100, Esc)),
            (
                &["text/plain;version=1.0.0;escaping=allow-utf-8"],
                (T100, Utf8),
            ),
            (
                &["text/plain;version=1.0.0;escaping=underscores"],
                (T100, Esc),
            ),
            (&["text/plain;version=1.0.0;escaping=values"], (T100, Esc)),
            (
                &["text/plain;version=\"1.0.0\";escaping=\"allow-utf-8\""],
                (T100, Utf8),
            ),
            // 0.0.4 cannot quote names: escaped whatever is asked.
            (
                &["text/plain;version=0.0.4;escaping=allow-utf-8"],
                (T004, Esc),
            ),
            (
                &["text/plain;version=1.0.0;q=0.5, text/plain;version=0.0.4"],
                (T004, Esc),
            ),
            (
                &["text/plain;version=0.0.4;q=0.5, text/plain;version=1.0.0"],
                (T100, Esc),
            ),
            // Equal qualities: the client's order.
            (
                &["text/plain;version=1.0.0, text/plain;version=0.0.4"],
                (T100, Esc),
            ),
            (
                &["text/plain;version=0.0.4, text/plain;version=1.0.0"],
                (T004, Esc),
            ),
            (&["text/plain;version=1.0.0;q=0"], (T004, Esc)),
            (&["text/plain;version=1.0.0;q=2"], (T004, Esc)),
            (
                &[
                    "text/plain;version=0.0.4;q=0.1",
                    "text/plain;version=1.0.0;q=0.2",
                ],
                (T100, Esc),
            ),
            // Protobuf, as Prometheus 2.42 with native histograms asks for it.
            (
                &[
                    "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;\
                   encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8,\
                   application/openmetrics-text;version=0.0.1;q=0.75,\
                   text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
                ],
                (PB, Esc),
            ),
            (
                &[
                    "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;\
                   encoding=delimited;q=0.4,text/plain;version=1.0.0;q=0.5",
                ],
                (T100, Esc),
            ),
            // Prometheus 2.42, as captured.
            (
                &[
                    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;\
                   version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
                ],
                (OM100, Esc),
            ),
            // Prometheus 3 (UTF-8 names on).
            (
                &[
                    "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,\
                   application/openmetrics-text;version=0.0.1;q=0.5,\
                   text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,\
                   text/plain;version=0.0.4;q=0.3,*/*;q=0.2",
                ],
                (OM100, Utf8),
            ),
            (&["application/openmetrics-text"], (OM001, Esc)),
            (
                &["application/openmetrics-text;version=0.0.1;escaping=allow-utf-8"],
                (OM001, Esc),
            ),
            (
                &["application/openmetrics-text;version=2.0.0, text/plain"],
                (T004, Esc),
            ),
            (
                &[
                    "application/openmetrics-text;version=1.0.0;q=0.2,text/plain;version=0.0.4;q=0.3",
                ],
                (T004, Esc),
            ),
            (
                &["garbage;;;,,,=;q=", "text/plain;version=1.0.0"],
                (T100, Esc),
            ),
        ];
        for (lines, expected) in table {
            assert_eq!(chosen(lines), *expected, "Accept: {lines:?}");
        }
    }

    /// The protobuf row needs both of its parameters, exactly.
    #[test]
    fn protobuf_needs_its_parameters() {
        let row = MEDIA_TYPES
            .iter()
            .find(|m| m.essence == "application/vnd.google.protobuf");
        let Some(row) = row else {
            panic!("no protobuf row");
        };
        let matches = |range: &str| q_items(range).next().is_some_and(|i| row.matches(&i));
        assert!(matches(
            "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited"
        ));
        assert!(matches(
            "Application/Vnd.Google.Protobuf; Encoding=delimited; proto=io.prometheus.client.MetricFamily"
        ));
        assert!(!matches(
            "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily"
        ));
        assert!(!matches(
            "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=text"
        ));
        assert!(!matches(
            "application/vnd.google.protobuf;proto=other;encoding=delimited"
        ));
    }

    /// Every offered format's content type names it, so that its own answer, sent back as
    /// an `Accept`, negotiates it again.
    #[test]
    fn content_types_negotiate_back_to_their_format() {
        for row in MEDIA_TYPES {
            let Some(format) = row.format else { continue };
            for escaping in [NameEscaping::Underscores, NameEscaping::AllowUtf8] {
                let sent = ContentType { format, escaping };
                let back = choose_format([sent.header_value()]);
                assert_eq!(back.format, format, "{}", sent.header_value());
                if format.allows_utf8_names() {
                    assert_eq!(back.escaping, escaping, "{}", sent.header_value());
                }
            }
        }
    }

    /// A header longer than the ranges weighed is cut, not an error.
    #[test]
    fn long_headers_are_cut() {
        let mut long = "x/y, ".repeat(100);
        long.push_str("text/plain;version=1.0.0");
        assert_eq!(chosen(&[&long]).0, Format::PrometheusText0_0_4);
        let mut short = "x/y, ".repeat(10);
        short.push_str("text/plain;version=1.0.0");
        assert_eq!(chosen(&[&short]).0, Format::PrometheusText1_0_0);
    }
}
