//! The push client against a real `prometheus-pushgateway` on a loopback port.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use promforge::Registry;
use promforge::push::PushGateway;
use promforge_tests::exposition::{self, Exposition};
use promforge_tests::prometheus_server::free_port;
use promforge_tests::{check_exposition, request};

/// The gateway process, killed (and its directory removed) when dropped.
struct Gateway {
    child: Child,
    dir: std::path::PathBuf,
    addr: std::net::SocketAddr,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn start_gateway() -> Gateway {
    let addr: std::net::SocketAddr = ([127, 0, 0, 1], free_port()).into();
    let dir = std::env::temp_dir().join(format!(
        "promforge-pushgateway-{}-{}",
        std::process::id(),
        addr.port()
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let child = Command::new("prometheus-pushgateway")
        .arg(format!("--web.listen-address={addr}"))
        .arg(format!(
            "--persistence.file={}",
            dir.join("pg.data").display()
        ))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("cannot start prometheus-pushgateway (apt-get install prometheus-pushgateway)");
    let gateway = Gateway { child, dir, addr };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(resp) = request(addr, "GET", "/-/ready", &[]).await
            && resp.status == 200
        {
            return gateway;
        }
        assert!(
            Instant::now() < deadline,
            "the pushgateway did not become ready"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn gateway_metrics(addr: std::net::SocketAddr) -> Exposition {
    let text = request(addr, "GET", "/metrics", &[])
        .await
        .expect("gateway /metrics")
        .text();
    exposition::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

#[tokio::test]
async fn push_push_add_and_delete() {
    let gateway = start_gateway().await;
    let client = PushGateway::new(&format!("http://{}", gateway.addr)).expect("client");

    let registry = Registry::new();
    let duration = registry
        .float_gauge("backup_duration_seconds", "How long the backup took.")
        .expect("gauge");
    duration.set(12.5);
    let rows = registry
        .counter("backup_rows", "Rows backed up.")
        .expect("counter");
    rows.inc_by(1000);
    check_exposition(&registry.render());

    let grouping = [("instance", "db 1"), ("path", "/var/lib/db")];
    client
        .push(&registry, "nightly backup", &grouping)
        .await
        .expect("push");
    let labels = [
        ("job", "nightly backup"),
        ("instance", "db 1"),
        ("path", "/var/lib/db"),
    ];
    let e = gateway_metrics(gateway.addr).await;
    assert_eq!(e.value("backup_duration_seconds", &labels), Some(12.5));
    assert_eq!(e.value("backup_rows_total", &labels), Some(1000.0));

    // push-add replaces only the families it carries.
    let extra = Registry::new();
    extra
        .gauge("backup_files", "Files backed up.")
        .expect("gauge")
        .set(7);
    client
        .push_add(&extra, "nightly backup", &grouping)
        .await
        .expect("push_add");
    let e = gateway_metrics(gateway.addr).await;
    assert_eq!(e.value("backup_files", &labels), Some(7.0));
    assert_eq!(e.value("backup_rows_total", &labels), Some(1000.0));

    // push replaces the whole group.
    client
        .push(&extra, "nightly backup", &grouping)
        .await
        .expect("push");
    let e = gateway_metrics(gateway.addr).await;
    assert_eq!(e.value("backup_rows_total", &labels), None);
    assert_eq!(e.value("backup_files", &labels), Some(7.0));

    client
        .delete("nightly backup", &grouping)
        .await
        .expect("delete");
    let e = gateway_metrics(gateway.addr).await;
    assert_eq!(e.value("backup_files", &labels), None);
}

#[tokio::test]
async fn errors_are_clear() {
    let port = free_port(); // nothing listens here
    let client = PushGateway::new(&format!("http://127.0.0.1:{port}"))
        .expect("client")
        .timeout(Duration::from_secs(5));
    let err = client
        .push(&Registry::new(), "job", &[])
        .await
        .expect_err("nobody listens");
    let msg = err.to_string();
    assert!(
        msg.contains("push gateway") && msg.contains("connect"),
        "{msg}"
    );

    let gateway = start_gateway().await;
    let client = PushGateway::new(&format!("http://{}", gateway.addr)).expect("client");
    // One family name with two types across groups: the gateway refuses the second push.
    let as_counter = Registry::new();
    as_counter
        .counter("conflict", "A counter.")
        .expect("counter")
        .inc();
    client.push(&as_counter, "first", &[]).await.expect("push");
    let as_gauge = Registry::new();
    as_gauge
        .gauge("conflict_total", "A gauge.")
        .expect("gauge")
        .set(1);
    let err = client
        .push(&as_gauge, "second", &[])
        .await
        .expect_err("inconsistent types are refused");
    let msg = err.to_string();
    assert!(
        msg.contains("400") && msg.contains("/metrics/job/second"),
        "{msg}"
    );
}
