//! Helpers for promforge's integration tests: a strict exposition parser, `promtool`, and an
//! HTTP/1.1 client over real TCP.

pub mod exposition;
pub mod openmetrics;
pub mod prometheus_server;
pub mod proto;

use std::io::Write as _;
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Empty};
use hyper::Request;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// Runs `promtool check metrics` on `text`. Anything it prints is a problem; a missing
/// `promtool` is an error too (CI installs it: the Debian package `prometheus`).
pub fn promtool_check(text: &str) -> Result<(), String> {
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run promtool (apt-get install prometheus): {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(text.as_bytes())
            .map_err(|e| format!("writing to promtool: {e}"))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("waiting for promtool: {e}"))?;
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.success() && printed.trim().is_empty() {
        Ok(())
    } else {
        Err(format!(
            "promtool check metrics ({}): {printed}\n--- input ---\n{text}",
            out.status
        ))
    }
}

/// Parses `text` strictly and runs `promtool` on it; panics with both reports otherwise.
pub fn check_exposition(text: &str) -> exposition::Exposition {
    let parsed = match exposition::parse(text) {
        Ok(p) => p,
        Err(e) => panic!("exposition does not parse: {e}\n--- text ---\n{text}"),
    };
    if let Err(e) = promtool_check(text) {
        panic!("{e}");
    }
    parsed
}

/// An HTTP response, read whole.
#[derive(Debug)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// The headers.
    pub headers: hyper::HeaderMap,
    /// The body (as sent: still compressed when `Content-Encoding` says so).
    pub body: Bytes,
}

impl HttpResponse {
    /// A header's value as text, or "".
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The body as UTF-8 text.
    pub fn text(&self) -> String {
        String::from_utf8(self.body.to_vec()).unwrap_or_else(|e| panic!("body is not UTF-8: {e}"))
    }

    /// The body parsed as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("body is not JSON: {e}"))
    }
}

/// Sends one request over a new TCP connection (hyper's HTTP/1.1 client), bounded by 10 s.
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> Result<HttpResponse, String> {
    let work = async {
        let stream = TcpStream::connect(addr)
            .await
            .map_err(|e| format!("connect {addr}: {e}"))?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| format!("handshake: {e}"))?;
        tokio::spawn(conn);
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header("host", addr.to_string());
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req
            .body(Empty::<Bytes>::new())
            .map_err(|e| format!("request: {e}"))?;
        let resp = sender
            .send_request(req)
            .await
            .map_err(|e| format!("send: {e}"))?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("body: {e}"))?
            .to_bytes();
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    };
    tokio::time::timeout(Duration::from_secs(10), work)
        .await
        .map_err(|_| format!("{method} {path}: no answer within 10 s"))?
}

/// `GET path`, panicking on a transport error.
pub async fn get(addr: SocketAddr, path: &str) -> HttpResponse {
    request(addr, "GET", path, &[])
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Decompresses a gzip body.
pub fn gunzip(body: &[u8]) -> String {
    use std::io::Read as _;
    let mut out = String::new();
    flate2::read::GzDecoder::new(body)
        .read_to_string(&mut out)
        .unwrap_or_else(|e| panic!("not gzip: {e}"));
    out
}

/// Scrapes `addr`'s `/metrics` until `loaded` holds (at most `within`): for the examples,
/// whose generated load needs a moment. Every scrape must answer 200 in the text format
/// and parse; the last one is checked by [`check_exposition`] (strict parser and promtool)
/// and must be `loaded`.
pub async fn scrape_until(
    addr: SocketAddr,
    within: Duration,
    loaded: impl Fn(&exposition::Exposition) -> bool,
) -> exposition::Exposition {
    let deadline = std::time::Instant::now() + within;
    loop {
        let resp = get(addr, "/metrics").await;
        assert_eq!(resp.status, 200, "{}", resp.text());
        assert_eq!(
            resp.header("content-type"),
            "text/plain; version=0.0.4; charset=utf-8"
        );
        let text = resp.text();
        let parsed = exposition::parse(&text)
            .unwrap_or_else(|e| panic!("exposition does not parse: {e}\n{text}"));
        if loaded(&parsed) || std::time::Instant::now() >= deadline {
            let checked = check_exposition(&text);
            assert!(
                loaded(&checked),
                "the load produced too little in {within:?}:\n{text}"
            );
            return checked;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
