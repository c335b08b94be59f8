//! The `Accept-Encoding` choice of RFC 9110 §12.5.3 for `/metrics`, on the quality-value
//! list parser of [`crate::encoding::negotiate`] (shared with the `Accept` format
//! negotiation).

use hyper::header::{self, HeaderMap};

#[cfg(test)]
pub(crate) use crate::encoding::negotiate::{Q_MAX, params, parse_quality};
pub(crate) use crate::encoding::negotiate::{QItem, Quality, q_items};

/// The elements of every line of header `name` (values that are not visible ASCII are
/// skipped), in order.
pub(crate) fn header_q_items<'a>(
    headers: &'a HeaderMap,
    name: header::HeaderName,
) -> impl Iterator<Item = QItem<'a>> {
    headers
        .get_all(name)
        .into_iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(q_items)
}

/// A content coding the exporter can answer `/metrics` in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Coding {
    /// No compression.
    Identity,
    /// gzip.
    Gzip,
}

/// The quality `Accept-Encoding` gives each coding the exporter has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EncodingWeights {
    /// gzip's quality (0: not acceptable).
    pub(crate) gzip: Quality,
    /// identity's quality; 0 when refused, and also when it is only implicitly acceptable
    /// (not named, no `*`), so that any named coding is preferred to it.
    pub(crate) identity: Quality,
}

/// Weighs `Accept-Encoding` by RFC 9110 §12.5.3: a coding named explicitly has its own
/// quality (the highest when named twice), whatever `*` says; `*` gives its quality to the
/// codings not named; `x-gzip` is `gzip`; without any `Accept-Encoding` no coding is asked
/// for.
pub(crate) fn encoding_weights<'a>(items: impl Iterator<Item = QItem<'a>>) -> EncodingWeights {
    let (mut gzip, mut identity, mut star) = (None::<Quality>, None::<Quality>, None::<Quality>);
    let max = |slot: &mut Option<Quality>, q: Quality| *slot = Some(slot.map_or(q, |s| s.max(q)));
    for item in items {
        let v = item.value;
        if v.eq_ignore_ascii_case("gzip") || v.eq_ignore_ascii_case("x-gzip") {
            max(&mut gzip, item.q);
        } else if v.eq_ignore_ascii_case("identity") {
            max(&mut identity, item.q);
        } else if v == "*" {
            max(&mut star, item.q);
        }
    }
    EncodingWeights {
        gzip: gzip.or(star).unwrap_or(0),
        identity: identity.or(star).unwrap_or(0),
    }
}

/// The coding to answer `/metrics` in: gzip when its quality is above 0 and at least
/// identity's (ties go to gzip, the smaller answer), identity otherwise, even when the
/// client refused identity too (`/metrics` never answers 406: an uncompressed answer is
/// more useful than none).
pub(crate) fn choose_encoding(headers: &HeaderMap) -> Coding {
    let weights = encoding_weights(header_q_items(headers, header::ACCEPT_ENCODING));
    choose(weights)
}

/// [`choose_encoding`] on weights.
pub(crate) fn choose(weights: EncodingWeights) -> Coding {
    if weights.gzip > 0 && weights.gzip >= weights.identity {
        Coding::Gzip
    } else {
        Coding::Identity
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    fn coding_of(values: &[&'static str]) -> Coding {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(header::ACCEPT_ENCODING, HeaderValue::from_static(v));
        }
        choose_encoding(&h)
    }

    #[test]
    fn accept_encoding_table() {
        use Coding::{Gzip, Identity};
        let table: &[(&[&'static str], Coding)] = &[
            (&[], Identity),
            (&[""], Identity),
            (&["gzip"], Gzip),
            (&["GZIP"], Gzip),
            (&["x-gzip"], Gzip),
            (&["deflate, gzip;q=0.5"], Gzip),
            (&["*"], Gzip),
            (&["gzip;q=0"], Identity),
            (&["gzip;q=0, *"], Identity),
            (&["*, gzip;q=0"], Identity),
            (&["*;q=0.5, gzip;q=0"], Identity),
            (&["gzip;q=0", "*"], Identity),
            (&["*;q=0"], Identity),
            (&["*;q=0, gzip"], Gzip),
            (&["identity"], Identity),
            (&["identity;q=0"], Identity),
            (&["identity;q=0, *;q=0"], Identity),
            (&["identity;q=0.5, gzip;q=0.4"], Identity),
            (&["identity;q=0.4, gzip;q=0.5"], Gzip),
            (&["identity, gzip"], Gzip),
            (&["identity;q=0, gzip;q=0.001"], Gzip),
            (&["*;q=0.3, identity;q=0.5"], Identity),
            (&["*;q=0.5, identity;q=0.3"], Gzip),
            (&["br, deflate"], Identity),
            (&["gzip;q=1.0"], Gzip),
            (&["gzip;q=1.001"], Identity),
            (&["gzip;q=2"], Identity),
            (&["gzip;q=0.5x"], Identity),
            (&["gzip;q="], Identity),
            (&["gzip;q=0.000"], Identity),
            (&["gzip ; Q=0.2"], Gzip),
            (&["gzip;level=1;q=0.7"], Gzip),
            (&[" , ,gzip,,"], Gzip),
            (&["gzip;q=0", "gzip;q=0.5"], Gzip),
            (&["gzip;foo=\"a,b;q=0\""], Gzip),
            (&["gzip;q=0;foo"], Identity),
        ];
        for (values, expected) in table {
            assert_eq!(coding_of(values), *expected, "Accept-Encoding: {values:?}");
        }
    }

    #[test]
    fn quality_values() {
        for (s, q) in [
            ("0", Some(0)),
            ("0.", Some(0)),
            ("0.5", Some(500)),
            ("0.05", Some(50)),
            ("0.001", Some(1)),
            ("0.999", Some(999)),
            ("1", Some(1000)),
            ("1.", Some(1000)),
            ("1.000", Some(1000)),
            ("1.0001", None),
            ("1.5", None),
            ("00.5", None),
            (".5", None),
            ("", None),
            ("-0", None),
            ("0.+1", None),
            ("0.٣", None),
        ] {
            assert_eq!(parse_quality(s), q, "{s:?}");
        }
    }

    #[test]
    fn media_ranges_keep_their_parameters() {
        let items: Vec<_> = q_items(
            "application/openmetrics-text; version=1.0.0; q=0.9; ext=1, \
             text/plain;version=0.0.4, */*;q=0.1",
        )
        .collect();
        assert_eq!(items.len(), 3);
        assert_eq!(items[0].value, "application/openmetrics-text");
        assert_eq!(items[0].q, 900);
        assert_eq!(
            params(items[0].params).collect::<Vec<_>>(),
            [("version", "1.0.0")]
        );
        assert_eq!(items[1].value, "text/plain");
        assert_eq!(items[1].q, Q_MAX);
        assert_eq!(
            params(items[1].params).collect::<Vec<_>>(),
            [("version", "0.0.4")]
        );
        assert_eq!((items[2].value, items[2].q), ("*/*", 100));
        let quoted: Vec<_> = q_items("text/plain;a=\"x;y,z\";q=0.2").collect();
        assert_eq!(quoted.len(), 1);
        assert_eq!(
            params(quoted[0].params).collect::<Vec<_>>(),
            [("a", "x;y,z")]
        );
        assert_eq!(quoted[0].q, 200);
    }
}

/// Properties over untrusted input: the parser never panics, reads back what a list is
/// made of, and the `Accept-Encoding` choice is monotone in the qualities.
#[cfg(test)]
mod props {
    use super::*;
    use hyper::header::HeaderValue;
    use proptest::prelude::*;

    /// A quality and how it is written (`q=0.5`, `Q=0.500`, or no `q` for 1000).
    fn quality() -> impl Strategy<Value = (Quality, String)> {
        (0..=Q_MAX, 0usize..4, any::<bool>()).prop_map(|(q, style, upper)| {
            let name = if upper { "Q" } else { "q" };
            let text = match (q, style) {
                (Q_MAX, 0) => return (q, String::new()),
                (Q_MAX, _) => format!(";{name}=1.000"),
                (0, 1) => format!("; {name}=0"),
                (_, 2) => format!(" ;{name}=0.{q:03}"),
                _ => format!(";{name}=0.{}", format!("{q:03}").trim_end_matches('0')),
            };
            (q, text)
        })
    }

    fn coding() -> impl Strategy<Value = &'static str> {
        prop_oneof![
            Just("gzip"),
            Just("GZip"),
            Just("x-gzip"),
            Just("identity"),
            Just("*"),
            Just("br"),
            Just("deflate"),
        ]
    }

    /// An `Accept-Encoding` list: each element a coding and a quality.
    fn list() -> impl Strategy<Value = Vec<(&'static str, Quality, String)>> {
        prop::collection::vec(
            (coding(), quality()).prop_map(|(c, (q, text))| (c, q, text)),
            0..6,
        )
    }

    fn render(list: &[(&str, Quality, String)]) -> String {
        list.iter()
            .map(|(c, _, q)| format!("{c}{q}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn choose_of(list: &[(&str, Quality, String)]) -> Coding {
        choose(encoding_weights(q_items(&render(list))))
    }

    fn quality_text(q: Quality) -> String {
        if q == Q_MAX {
            ";q=1".to_owned()
        } else {
            format!(";q=0.{q:03}")
        }
    }

    proptest! {
        #[test]
        fn parsing_any_text_never_panics(text in "\\PC*") {
            for item in q_items(&text) {
                prop_assert!(item.q <= Q_MAX);
                prop_assert!(!item.value.is_empty());
                let _ = params(item.params).count();
            }
            let _ = parse_quality(&text);
        }

        #[test]
        fn parsing_any_header_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
            if let Ok(value) = HeaderValue::from_bytes(&bytes) {
                let mut headers = HeaderMap::new();
                headers.insert(header::ACCEPT_ENCODING, value.clone());
                headers.append(header::ACCEPT, value);
                let _ = choose_encoding(&headers);
                let _ = crate::endpoints::negotiate(&headers).header_value();
                let _ = header_q_items(&headers, header::ACCEPT).count();
            }
        }

        #[test]
        fn a_list_reads_back_as_written(list in list()) {
            let text = render(&list);
            let parsed: Vec<_> = q_items(&text).map(|i| (i.value, i.q)).collect();
            let written: Vec<_> = list.iter().map(|(c, q, _)| (*c, *q)).collect();
            prop_assert_eq!(parsed, written);
        }

        #[test]
        fn media_ranges_read_back_as_written(
            ranges in prop::collection::vec(
                // A parameter named `q` would be the weight: not a media-type parameter.
                ("[a-z]{1,8}/[a-z0-9.+-]{1,12}", "[a-pr-z][a-z]{0,5}", "[a-zA-Z0-9.]{1,6}", quality()),
                1..4,
            )
        ) {
            let text = ranges
                .iter()
                .map(|(range, name, value, (_, q))| format!("{range};{name}={value}{q}"))
                .collect::<Vec<_>>()
                .join(",");
            let parsed: Vec<_> = q_items(&text).collect();
            prop_assert_eq!(parsed.len(), ranges.len());
            for (item, (range, name, value, (q, _))) in parsed.iter().zip(&ranges) {
                prop_assert_eq!(item.value, range.as_str());
                prop_assert_eq!(item.q, *q);
                let p: Vec<_> = params(item.params).collect();
                prop_assert_eq!(p, vec![(name.as_str(), value.as_str())]);
            }
        }

        /// Raising gzip's quality never turns gzip into identity; lowering it never turns
        /// identity into gzip. The same for identity, the other way round.
        #[test]
        fn the_choice_is_monotone_in_q(list in list(), at in any::<prop::sample::Index>(), to in 0..=Q_MAX) {
            prop_assume!(!list.is_empty());
            let i = at.index(list.len());
            let before = choose_of(&list);
            let mut changed = list.clone();
            changed[i].1 = to;
            changed[i].2 = quality_text(to);
            let after = choose_of(&changed);
            let (coding, from) = (list[i].0, list[i].1);
            let is = |c: &str| list.iter().any(|(o, _, _)| o.eq_ignore_ascii_case(c));
            let gzip_like = coding.eq_ignore_ascii_case("gzip") || coding == "x-gzip"
                || (coding == "*" && !is("gzip") && !is("x-gzip") && is("identity"));
            let identity_like = coding == "identity"
                || (coding == "*" && !is("identity") && (is("gzip") || is("x-gzip")));
            if gzip_like {
                if to >= from && before == Coding::Gzip {
                    prop_assert_eq!(after, Coding::Gzip);
                }
                if to <= from && before == Coding::Identity {
                    prop_assert_eq!(after, Coding::Identity);
                }
            }
            if identity_like {
                if to >= from && before == Coding::Identity {
                    prop_assert_eq!(after, Coding::Identity);
                }
                if to <= from && before == Coding::Gzip {
                    prop_assert_eq!(after, Coding::Gzip);
                }
            }
        }
    }
}
