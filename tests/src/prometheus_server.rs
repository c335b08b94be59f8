//! A throwaway real Prometheus server on loopback, for tests. It is killed and its data
//! directory removed when the guard is dropped, also when the test fails.

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::request;

/// A running `prometheus` process scraping the given targets every second.
pub struct PrometheusServer {
    child: Child,
    dir: PathBuf,
    addr: SocketAddr,
}

/// A loopback port that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free port: {e}"))
}

/// One more scrape job for [`PrometheusServer::start`]'s `extra_scrape_config`: `name`
/// scraping `target` every second, with `settings` (YAML lines indented by 4 spaces, such as
/// `    scheme: https\n`) added to it.
pub fn scrape_job(name: &str, target: SocketAddr, settings: &str) -> String {
    format!(
        "  - job_name: {name}\n    scrape_interval: 1s\n    static_configs: [{{targets: [\"{target}\"]}}]\n{settings}"
    )
}

impl PrometheusServer {
    /// Starts Prometheus scraping `targets` (`host:port`) every second under job `job`, and
    /// waits (up to 60 s) until it is ready. `extra_scrape_config` is YAML added to the scrape
    /// job (indented by the caller with 4 spaces), such as `metrics_path: /prom`.
    pub async fn start(job: &str, targets: &[SocketAddr], extra_scrape_config: &str) -> Self {
        Self::start_with_features(job, targets, extra_scrape_config, &[]).await
    }

    /// [`start`](Self::start) with `--enable-feature=` each of `features` (such as
    /// `exemplar-storage`).
    pub async fn start_with_features(
        job: &str,
        targets: &[SocketAddr],
        extra_scrape_config: &str,
        features: &[&str],
    ) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "promforge-prometheus-{}-{}",
            std::process::id(),
            free_port()
        ));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("temp dir: {e}"));
        let targets: Vec<String> = targets.iter().map(|t| format!("\"{t}\"")).collect();
        let config = format!(
            "global: {{scrape_interval: 1s, evaluation_interval: 1s, scrape_timeout: 900ms}}\n\
             scrape_configs:\n  - job_name: {job}\n    static_configs: [{{targets: [{}]}}]\n{extra_scrape_config}",
            targets.join(", ")
        );
        std::fs::write(dir.join("prometheus.yml"), config)
            .unwrap_or_else(|e| panic!("config: {e}"));
        let addr: SocketAddr = ([127, 0, 0, 1], free_port()).into();
        let log = std::fs::File::create(dir.join("prometheus.log"))
            .unwrap_or_else(|e| panic!("log file: {e}"));
        let child = Command::new("prometheus")
            .arg(format!(
                "--config.file={}",
                dir.join("prometheus.yml").display()
            ))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("data").display()
            ))
            .arg(format!("--web.listen-address={addr}"))
            .args(features.iter().map(|f| format!("--enable-feature={f}")))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start prometheus (apt-get install prometheus): {e}")
            });
        let server = Self { child, dir, addr };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(resp) = request(addr, "GET", "/-/ready", &[]).await
                && resp.status == 200
            {
                break;
            }
            if Instant::now() > deadline {
                panic!("prometheus did not become ready:\n{}", server.log());
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        server
    }

    /// Prometheus' own log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("prometheus.log")).unwrap_or_default()
    }

    /// Runs an instant query and returns `data.result`.
    pub async fn query(&self, expr: &str) -> Vec<Value> {
        let path = format!("/api/v1/query?query={}", url_encode(expr));
        let resp = request(self.addr, "GET", &path, &[])
            .await
            .unwrap_or_else(|e| panic!("query {expr}: {e}"));
        let json = resp.json();
        assert_eq!(json["status"], "success", "query {expr}: {json}");
        json["data"]["result"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// The scalar value of the first result of `expr`, if any.
    pub async fn query_value(&self, expr: &str) -> Option<f64> {
        self.query(expr)
            .await
            .first()
            .and_then(|r| r["value"][1].as_str().map(str::to_owned))
            .and_then(|v| v.parse().ok())
    }

    /// `GET /api/v1/query_exemplars?query=EXPR` over the last hour → `data` (one entry per
    /// series: `seriesLabels` and `exemplars`, each with `labels`, `value`, `timestamp`).
    pub async fn query_exemplars(&self, expr: &str) -> Vec<Value> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        let path = format!(
            "/api/v1/query_exemplars?query={}&start={}&end={}",
            url_encode(expr),
            now.saturating_sub(3600),
            now + 60
        );
        let resp = request(self.addr, "GET", &path, &[])
            .await
            .unwrap_or_else(|e| panic!("query_exemplars {expr}: {e}"));
        let json = resp.json();
        assert_eq!(json["status"], "success", "query_exemplars {expr}: {json}");
        json["data"].as_array().cloned().unwrap_or_default()
    }

    /// `GET /api/v1/targets` → `data.activeTargets`.
    pub async fn targets(&self) -> Vec<Value> {
        let resp = request(self.addr, "GET", "/api/v1/targets", &[])
            .await
            .unwrap_or_else(|e| panic!("targets: {e}"));
        resp.json()["data"]["activeTargets"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Polls `expr` until `accept` holds for its first value, up to `within`; panics with the
    /// targets' state and the log otherwise.
    pub async fn wait_for(
        &self,
        expr: &str,
        within: Duration,
        accept: impl Fn(f64) -> bool,
    ) -> f64 {
        let deadline = Instant::now() + within;
        loop {
            if let Some(v) = self.query_value(expr).await
                && accept(v)
            {
                return v;
            }
            if Instant::now() > deadline {
                panic!(
                    "`{expr}` never satisfied the condition (last: {:?})\ntargets: {:#?}\nlog:\n{}",
                    self.query_value(expr).await,
                    self.targets().await,
                    self.log()
                );
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Waits until each job in `jobs` is up and its `metric` reads `value` (a scrape went
    /// through end to end).
    pub async fn wait_until_scraped(&self, jobs: &[&str], metric: &str, value: f64) {
        for job in jobs {
            self.wait_for(
                &format!("up{{job=\"{job}\"}}"),
                Duration::from_secs(60),
                |v| v == 1.0,
            )
            .await;
            self.wait_for(
                &format!("{metric}{{job=\"{job}\"}}"),
                Duration::from_secs(30),
                |v| v == value,
            )
            .await;
        }
    }
}

impl Drop for PrometheusServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
