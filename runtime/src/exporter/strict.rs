//! What the exporter refuses in a request's head before routing it, beyond what hyper
//! checks: message framing that two parsers could read differently (a request-smuggling
//! or desync primitive) and a `Host` that RFC 9112 §3.2 says must be refused.

use hyper::header::{self, HeaderMap};
use hyper::{Method, Version};

/// Why a request is refused with `400 Bad Request` (and its connection closed): the text of
/// the answer.
pub(crate) type Refusal = &'static str;

/// Checks the framing and `Host` of a request with `method`, `version` and `headers`.
pub(crate) fn check_request(
    method: &Method,
    version: Version,
    headers: &HeaderMap,
) -> Result<(), Refusal> {
    check_framing(method, headers)?;
    check_host(version, headers)
}

/// `Transfer-Encoding` may name `chunked` once, last (RFC 9112 §6.1); a `GET` or `HEAD`
/// (the only methods the exporter serves) carries no body: no `Transfer-Encoding` at all
/// (whether the chunked body would turn out empty cannot be known without reading it) and
/// no `Content-Length` other than 0.
fn check_framing(method: &Method, headers: &HeaderMap) -> Result<(), Refusal> {
    let mut codings = 0usize;
    let mut chunked_at = None;
    let mut has_te = false;
    for value in headers.get_all(header::TRANSFER_ENCODING) {
        has_te = true;
        let Ok(value) = value.to_str() else {
            return Err("invalid transfer-encoding\n");
        };
        for coding in value.split(',') {
            let coding = coding.trim_matches([' ', '\t']);
            if coding.is_empty() {
                continue;
            }
            // A coding may have parameters (`gzip;q=…` is not one, but `x;a=b` is allowed).
            let name = coding
                .split(';')
                .next()
                .unwrap_or("")
                .trim_matches([' ', '\t']);
            if name.eq_ignore_ascii_case("chunked") {
                if chunked_at.is_some() {
                    return Err("chunked transfer-encoding given more than once\n");
                }
                chunked_at = Some(codings);
            }
            codings += 1;
        }
    }
    if let Some(at) = chunked_at
        && at + 1 != codings
    {
        return Err("chunked must be the last transfer-encoding\n");
    }
    let bodiless = method == Method::GET || method == Method::HEAD;
    if bodiless && has_te {
        return Err("a GET or HEAD request cannot carry a body\n");
    }
    if bodiless {
        for value in headers.get_all(header::CONTENT_LENGTH) {
            let zero = value
                .to_str()
                .is_ok_and(|v| v.split(',').all(|n| n.trim_matches([' ', '\t']) == "0"));
            if !zero {
                return Err("a GET or HEAD request cannot carry a body\n");
            }
        }
    }
    Ok(())
}

/// RFC 9112 §3.2: 400 for an HTTP/1.1 request without `Host`, for any request with more
/// than one `Host` line, and for an invalid `Host` value.
fn check_host(version: Version, headers: &HeaderMap) -> Result<(), Refusal> {
    let mut hosts = headers.get_all(header::HOST).into_iter();
    match (hosts.next(), hosts.next()) {
        (None, _) if version >= Version::HTTP_11 => Err("missing host header\n"),
        (None, _) => Ok(()),
        (Some(_), Some(_)) => Err("more than one host header\n"),
        (Some(host), None) if valid_host(host.as_bytes()) => Ok(()),
        (Some(_), None) => Err("invalid host header\n"),
    }
}

/// `Host = uri-host [ ":" port ]` (RFC 9110 §7.2, RFC 3986 §3.2.2): an IP literal in
/// brackets or a registered name (possibly empty), then digits after a colon.
pub(crate) fn valid_host(host: &[u8]) -> bool {
    let (name, port) = if let Some(rest) = host.strip_prefix(b"[") {
        let Some(close) = rest.iter().position(|b| *b == b']') else {
            return false;
        };
        let literal = &rest[..close];
        let after = &rest[close + 1..];
        let ok_literal = !literal.is_empty()
            && literal
                .iter()
                .all(|b| b.is_ascii_hexdigit() || b":.".contains(b))
            || (literal.first().is_some_and(|b| *b == b'v' || *b == b'V')
                && literal
                    .iter()
                    .all(|b| is_unreserved_or_sub_delim(*b) || *b == b':'));
        if !ok_literal {
            return false;
        }
        match after {
            [] => (b"x".as_slice(), None),
            [b':', port @ ..] => (b"x".as_slice(), Some(port)),
            _ => return false,
        }
    } else {
        match host.iter().rposition(|b| *b == b':') {
            Some(colon) => (&host[..colon], Some(&host[colon + 1..])),
            None => (host, None),
        }
    };
    let name_ok = {
        let mut i = 0;
        let mut ok = true;
        while i < name.len() {
            let b = name[i];
            if b == b'%' {
                let hex = |j: usize| name.get(j).is_some_and(u8::is_ascii_hexdigit);
                if !(hex(i + 1) && hex(i + 2)) {
                    ok = false;
                    break;
                }
                i += 3;
                continue;
            }
            if !is_unreserved_or_sub_delim(b) {
                ok = false;
                break;
            }
            i += 1;
        }
        ok
    };
    name_ok && port.is_none_or(|p| p.iter().all(u8::is_ascii_digit))
}

fn is_unreserved_or_sub_delim(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn hosts() {
        for good in [
            "x",
            "localhost:9184",
            "127.0.0.1",
            "127.0.0.1:80",
            "[::1]",
            "[::1]:9184",
            "[v1.fe80::a+en1]",
            "example.com:",
            "",
            "a%20b",
            "xn--bcher-kva.example",
        ] {
            assert!(valid_host(good.as_bytes()), "{good:?}");
        }
        for bad in [
            "a b",
            "user@host",
            "x/y",
            "[::1",
            "[::1]x",
            "[]",
            "[::g]",
            "host:80a",
            "a%2",
            "a%zz",
            "x\"y",
            "h\u{e9}",
        ] {
            assert!(!valid_host(bad.as_bytes()), "{bad:?}");
        }
        let v11 = Version::HTTP_11;
        assert!(check_host(v11, &headers(&[("host", "x")])).is_ok());
        assert!(check_host(v11, &headers(&[])).is_err());
        assert!(check_host(Version::HTTP_10, &headers(&[])).is_ok());
        assert!(check_host(Version::HTTP_10, &headers(&[("host", "x"), ("host", "x")])).is_err());
        assert!(check_host(v11, &headers(&[("host", "x"), ("host", "y")])).is_err());
        assert!(check_host(v11, &headers(&[("host", "a b")])).is_err());
    }

    #[test]
    fn framing() {
        let get = Method::GET;
        let post = Method::POST;
        assert!(check_framing(&get, &headers(&[])).is_ok());
        assert!(check_framing(&get, &headers(&[("content-length", "0")])).is_ok());
        assert!(check_framing(&get, &headers(&[("content-length", "3")])).is_err());
        assert!(check_framing(&Method::HEAD, &headers(&[("content-length", "1")])).is_err());
        assert!(check_framing(&get, &headers(&[("transfer-encoding", "chunked")])).is_err());
        assert!(check_framing(&post, &headers(&[("transfer-encoding", "chunked")])).is_ok());
        assert!(check_framing(&post, &headers(&[("transfer-encoding", "gzip, chunked")])).is_ok());
        for bad in [
            &[("transfer-encoding", "chunked, chunked")][..],
            &[
                ("transfer-encoding", "chunked"),
                ("transfer-encoding", "chunked"),
            ],
            &[("transfer-encoding", "chunked, gzip")],
            &[
                ("transfer-encoding", "Chunked"),
                ("transfer-encoding", "gzip"),
            ],
        ] {
            assert!(check_framing(&post, &headers(bad)).is_err(), "{bad:?}");
        }
    }
}
