//! A Pushgateway client for batch jobs (feature `push`): push, push-add and delete a
//! registry's metrics under a job and grouping labels.
//!
//! ```no_run
//! # async fn run() -> Result<(), promforge::Error> {
//! let registry = promforge::Registry::new();
//! registry.gauge("backup_last_success_timestamp_seconds", "Last successful backup.")?.set(1_700_000_000);
//! let gateway = promforge::push::PushGateway::new("http://127.0.0.1:9091")?;
//! gateway.push(&registry, "nightly_backup", &[("instance", "db-1")]).await?;
//! # Ok(()) }
//! ```

use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;

use crate::encoding::Format;
use crate::error::Error;
use crate::registry::Registry;

/// The formats the Pushgateway decodes a push in, in the order promforge prefers them: the
/// gateway reads the text format 0.0.4 and the delimited protobuf format, never
/// OpenMetrics (its `_total`-less counter names, `info` and `stateset` types and `# EOF`
/// are not the text format). The first format of this list is what a push sends.
const GATEWAY_FORMATS: &[Format] = &[Format::PrometheusText0_0_4];

/// The format a push is sent in: the first of [`GATEWAY_FORMATS`].
fn push_format() -> Format {
    GATEWAY_FORMATS.first().copied().unwrap_or_default()
}

/// How long one request to the gateway may take by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// A Pushgateway at an `http://host:port[/prefix]` address.
#[derive(Debug, Clone)]
pub struct PushGateway {
    authority: String,
    base_path: String,
    timeout: Duration,
}

impl PushGateway {
    /// A client for the gateway at `url` (`http://` only).
    pub fn new(url: &str) -> Result<Self, Error> {
        let invalid = |reason: &str| Error::InvalidAddress {
            addr: url.to_owned(),
            reason: reason.to_owned(),
        };
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| invalid("the Pushgateway URL must start with http://"))?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], rest[i..].trim_end_matches('/')),
            None => (rest, ""),
        };
        if authority.is_empty() {
            return Err(invalid("no host"));
        }
        Ok(Self {
            authority: authority.to_owned(),
            base_path: path.to_owned(),
            timeout: DEFAULT_TIMEOUT,
        })
    }

    /// How long one request may take (default [`DEFAULT_TIMEOUT`]).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Replaces every metric of the group (`job` + `grouping` labels) with `registry`'s (PUT).
    pub async fn push(
        &self,
        registry: &Registry,
        job: &str,
        grouping: &[(&str, &str)],
    ) -> Result<(), Error> {
        self.send(Method::PUT, job, grouping, Some(registry)).await
    }

    /// Replaces only the families `registry` has, keeping the group's others (POST).
    pub async fn push_add(
        &self,
        registry: &Registry,
        job: &str,
        grouping: &[(&str, &str)],
    ) -> Result<(), Error> {
        self.send(Method::POST, job, grouping, Some(registry)).await
    }

    /// Deletes the group's metrics (DELETE).
    pub async fn delete(&self, job: &str, grouping: &[(&str, &str)]) -> Result<(), Error> {
        self.send(Method::DELETE, job, grouping, None).await
    }

    /// The request path for a group: `/metrics/job/<job>{/<label>/<value>}`, each value
    /// percent-encoded, or base64url-encoded with `@base64` after the label name when it
    /// contains a `/` or is empty (as the Pushgateway's API asks).
    pub fn group_path(&self, job: &str, grouping: &[(&str, &str)]) -> Result<String, Error> {
        if job.is_empty() {
            return Err(Error::Integration {
                what: "push gateway",
                reason: "the job name must not be empty".into(),
            });
        }
        let mut path = format!("{}/metrics", self.base_path);
        push_segment(&mut path, "job", job);
        for (name, value) in grouping {
            crate::name::check_label_name(name)?;
            if *name == "job" {
                return Err(Error::InvalidLabelName {
                    name: (*name).to_owned(),
                    reason: "`job` is the job name; it cannot also be a grouping label",
                });
            }
            push_segment(&mut path, name, value);
        }
        Ok(path)
    }

    async fn send(
        &self,
        method: Method,
        job: &str,
        grouping: &[(&str, &str)],
        registry: Option<&Registry>,
    ) -> Result<(), Error> {
        let path = self.group_path(job, grouping)?;
        let format = push_format();
        let body = registry.map(|r| r.render_as(format)).unwrap_or_default();
        let what = format!("{method} http://{}{path}", self.authority);
        let work = async {
            let stream = tokio::net::TcpStream::connect(&self.authority)
                .await
                .map_err(|e| format!("cannot connect: {e}"))?;
            let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                .await
                .map_err(|e| format!("handshake: {e}"))?;
            let conn = tokio::spawn(conn);
            let request = Request::builder()
                .method(method)
                .uri(&path)
                .header(hyper::header::HOST, &self.authority)
                .header(hyper::header::CONTENT_TYPE, format.content_type())
                .body(Full::new(Bytes::from(body)))
                .map_err(|e| format!("request: {e}"))?;
            let response = sender
                .send_request(request)
                .await
                .map_err(|e| format!("request failed: {e}"))?;
            let status = response.status();
            let text = response
                .into_body()
                .collect()
                .await
                .map(|b| String::from_utf8_lossy(&b.to_bytes()).into_owned())
                .unwrap_or_default();
            conn.abort();
            if status == StatusCode::OK || status == StatusCode::ACCEPTED {
                Ok(())
            } else {
                Err(format!("the gateway answered {status}: {}", text.trim()))
            }
        };
        match tokio::time::timeout(self.timeout, work).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(reason)) => Err(Error::Integration {
                what: "push gateway",
                reason: format!("{what}: {reason}"),
            }),
            Err(_) => Err(Error::Integration {
                what: "push gateway",
                reason: format!("{what}: no answer within {:?}", self.timeout),
            }),
        }
    }
}

fn push_segment(path: &mut String, name: &str, value: &str) {
    path.push('/');
    path.push_str(name);
    if value.is_empty() || value.contains('/') {
        path.push_str("@base64/");
        if value.is_empty() {
            path.push('=');
        } else {
            path.push_str(&base64::engine::general_purpose::URL_SAFE.encode(value));
        }
    } else {
        path.push('/');
        for b in value.bytes() {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                path.push(b as char);
            } else {
                path.push_str(&format!("%{b:02X}"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_the_gateway_api() {
        let g = PushGateway::new("http://localhost:9091/pg/").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            g.group_path(
                "backup",
                &[("instance", "db 1"), ("path", "/var/x"), ("empty", "")]
            )
            .ok()
            .as_deref(),
            Some("/pg/metrics/job/backup/instance/db%201/path@base64/L3Zhci94/empty@base64/=")
        );
        assert_eq!(
            g.group_path("a/b", &[]).ok().as_deref(),
            Some("/pg/metrics/job@base64/YS9i")
        );
        assert!(matches!(
            g.group_path("", &[]),
            Err(Error::Integration { .. })
        ));
        assert!(matches!(
            g.group_path("j", &[("bad-name", "x")]),
            Err(Error::InvalidLabelName { .. })
        ));
        assert!(matches!(
            g.group_path("j", &[("job", "x")]),
            Err(Error::InvalidLabelName { .. })
        ));
        assert!(matches!(
            PushGateway::new("https://x"),
            Err(Error::InvalidAddress { .. })
        ));
        assert!(matches!(
            PushGateway::new("http://"),
            Err(Error::InvalidAddress { .. })
        ));
    }
}
