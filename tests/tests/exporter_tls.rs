//! HTTPS (feature `tls`): certificates made at test time with rcgen (a CA, a server
//! certificate for 127.0.0.1/localhost, client certificates), a rustls client over real TCP,
//! start-up errors for unusable files, and a real Prometheus scraping over TLS and mTLS.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Empty};
use promforge::exporter::{Access, Password, TlsConfig};
use promforge::{Error, Exporter, ExporterHandle, Registry};
use promforge_tests::check_exposition;
use promforge_tests::prometheus_server::{PrometheusServer, scrape_job};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// A directory removed when dropped, also when the test fails.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "promforge-tls-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        Self(dir)
    }

    fn write(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, contents).expect("write");
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A certificate and its key, as PEM.
struct Pair {
    cert: String,
    key: String,
}

/// A CA, a server certificate it signed for `127.0.0.1` and `localhost`, a client
/// certificate it signed, and a client certificate from another CA.
struct Pki {
    ca: String,
    server: Pair,
    client: Pair,
    rogue_client: Pair,
    dir: TempDir,
}

fn ca(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.distinguished_name.push(DnType::CommonName, name);
    CertifiedIssuer::self_signed(params, KeyPair::generate().expect("key")).expect("CA")
}

fn leaf(
    issuer: &CertifiedIssuer<'static, KeyPair>,
    names: &[&str],
    usage: ExtendedKeyUsagePurpose,
) -> Pair {
    let mut params =
        CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>())
            .expect("params");
    params.distinguished_name.push(
        DnType::CommonName,
        names.first().copied().unwrap_or("client"),
    );
    params.extended_key_usages = vec![usage];
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    let key = KeyPair::generate().expect("key");
    let cert = params.signed_by(&key, issuer).expect("sign");
    Pair {
        cert: cert.pem(),
        key: key.serialize_pem(),
    }
}

fn pki() -> Pki {
    let ca_issuer = ca("promforge test CA");
    let rogue_issuer = ca("some other CA");
    let pki = Pki {
        ca: ca_issuer.pem(),
        server: leaf(
            &ca_issuer,
            &["localhost", "127.0.0.1"],
            ExtendedKeyUsagePurpose::ServerAuth,
        ),
        client: leaf(
            &ca_issuer,
            &["prometheus"],
            ExtendedKeyUsagePurpose::ClientAuth,
        ),
        rogue_client: leaf(
            &rogue_issuer,
            &["prometheus"],
            ExtendedKeyUsagePurpose::ClientAuth,
        ),
        dir: TempDir::new(),
    };
    pki.dir.write("ca.pem", &pki.ca);
    pki.dir.write("server.pem", &pki.server.cert);
    pki.dir.write("server-key.pem", &pki.server.key);
    pki.dir.write("client.pem", &pki.client.cert);
    pki.dir.write("client-key.pem", &pki.client.key);
    pki
}

impl Pki {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.0.join(name)
    }

    fn server_tls(&self) -> TlsConfig {
        TlsConfig::new(self.path("server.pem"), self.path("server-key.pem"))
    }
}

fn registry() -> Registry {
    let r = Registry::new();
    r.counter("tls_demo_requests", "Requests served.")
        .expect("counter")
        .inc_by(9);
    r
}

async fn start(exporter: Exporter) -> ExporterHandle {
    exporter.bind("127.0.0.1:0").start().await.expect("start")
}

struct Response {
    status: u16,
    body: String,
}

/// `GET path` over TLS, trusting `ca`, presenting `client` when given; any failure
/// (handshake, certificate refused, connection closed) is an `Err`. Bounded by 10 s.
async fn https_get(
    addr: SocketAddr,
    ca: &str,
    client: Option<&Pair>,
    path: &str,
    headers: &[(&str, &str)],
) -> Result<Response, String> {
    let work = async {
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(ca.as_bytes()) {
            roots
                .add(cert.map_err(|e| e.to_string())?)
                .map_err(|e| e.to_string())?;
        }
        let builder = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots);
        let config = match client {
            None => builder.with_no_client_auth(),
            Some(pair) => {
                let certs = CertificateDer::pem_slice_iter(pair.cert.as_bytes())
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| e.to_string())?;
                let key = PrivateKeyDer::from_pem_slice(pair.key.as_bytes())
                    .map_err(|e| e.to_string())?;
                builder
                    .with_client_auth_cert(certs, key)
                    .map_err(|e| e.to_string())?
            }
        };
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        let tcp = TcpStream::connect(addr)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        let name = ServerName::try_from("127.0.0.1").map_err(|e| e.to_string())?;
        let tls = connector
            .connect(name, tcp)
            .await
            .map_err(|e| format!("handshake: {e}"))?;
        let (mut sender, conn) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls))
                .await
                .map_err(|e| format!("http handshake: {e}"))?;
        tokio::spawn(conn);
        let mut req = hyper::Request::builder()
            .uri(path)
            .header("host", addr.to_string());
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req.body(Empty::<Bytes>::new()).map_err(|e| e.to_string())?;
        let resp = sender
            .send_request(req)
            .await
            .map_err(|e| format!("send: {e}"))?;
        let status = resp.status().as_u16();
        let body = resp
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("body: {e}"))?
            .to_bytes();
        Ok(Response {
            status,
            body: String::from_utf8_lossy(&body).into_owned(),
        })
    };
    tokio::time::timeout(Duration::from_secs(10), work)
        .await
        .map_err(|_| "no answer within 10 s".to_owned())?
}

#[tokio::test]
async fn https_scrape() {
    let pki = pki();
    let handle = start(Exporter::new(registry()).tls(pki.server_tls())).await;
    let addr = handle.local_addr();
    assert!(
        handle.base_url().starts_with("https://"),
        "{}",
        handle.base_url()
    );
    let resp = https_get(addr, &pki.ca, None, "/metrics", &[])
        .await
        .expect("https scrape");
    assert_eq!(resp.status, 200);
    let parsed = check_exposition(&resp.body);
    assert_eq!(parsed.value("tls_demo_requests_total", &[]), Some(9.0));
    let health = https_get(addr, &pki.ca, None, "/health", &[])
        .await
        .expect("health");
    assert_eq!(health.status, 200);
    // A client that does not trust the CA refuses the server.
    let other = ca("untrusted").pem();
    assert!(
        https_get(addr, &other, None, "/metrics", &[])
            .await
            .is_err()
    );
    handle.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn plain_http_and_silent_clients_on_the_tls_port() {
    let pki = pki();
    let handle = start(
        Exporter::new(registry())
            .tls(pki.server_tls())
            .header_read_timeout(Duration::from_millis(500)),
    )
    .await;
    let addr = handle.local_addr();
    // Plain HTTP: the handshake fails, the connection is closed, no metrics are sent.
    for _ in 0..20 {
        let mut conn = TcpStream::connect(addr).await.expect("connect");
        conn.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .expect("write");
        let mut buf = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(10), conn.read_to_end(&mut buf))
            .await
            .expect("the server closes the connection");
        let _ = read;
        assert!(!String::from_utf8_lossy(&buf).contains("tls_demo"));
    }
    // A client that connects and never says hello is cut off after the handshake timeout.
    let started = Instant::now();
    let mut silent = TcpStream::connect(addr).await.expect("connect");
    let mut buf = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(10), silent.read_to_end(&mut buf)).await;
    assert!(closed.is_ok(), "the silent client held the connection");
    assert!(started.elapsed() >= Duration::from_millis(400));
    // HTTPS still works.
    let resp = https_get(addr, &pki.ca, None, "/metrics", &[])
        .await
        .expect("https scrape");
    assert_eq!(resp.status, 200);
    handle.shutdown().await.expect("shutdown");
}

/// The first request head is due within the header timeout counted from accept, TLS
/// handshake included: a client that spends most of it before its hello, then trickles its
/// head, does not get a second full timeout after the handshake.
#[tokio::test]
async fn the_header_deadline_counts_from_accept_over_tls() {
    let pki = pki();
    let timeout = Duration::from_secs(2);
    let handle = start(
        Exporter::new(registry())
            .tls(pki.server_tls())
            .header_read_timeout(timeout),
    )
    .await;
    let addr = handle.local_addr();
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(pki.ca.as_bytes()) {
        roots.add(cert.expect("ca")).expect("root");
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let started = Instant::now();
    let tcp = TcpStream::connect(addr).await.expect("connect");
    // Three quarters of the timeout before the hello.
    tokio::time::sleep(timeout * 3 / 4).await;
    let name = ServerName::try_from("127.0.0.1").expect("name");
    let mut tls = connector.connect(name, tcp).await.expect("handshake");
    // Then a head a byte every 100 ms (6 s to send it all): cut before.
    let head = b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow-after-hello\r\n\r\n";
    let mut cut_after = None;
    let mut buf = [0u8; 256];
    for byte in head {
        tokio::select! {
            _ = tls.read(&mut buf) => {
                cut_after = Some(started.elapsed());
                break;
            }
            () = tokio::time::sleep(Duration::from_millis(100)) => {}
        }
        if tls.write_all(&[*byte]).await.is_err() {
            cut_after = Some(started.elapsed());
            break;
        }
    }
    let cut_after = cut_after.expect("the client sent its whole head: never cut off");
    // Before, the header timer started anew after the handshake: a cut at 1.5 + 2 = 3.5 s.
    assert!(
        cut_after >= timeout * 3 / 4 && cut_after < timeout * 3 / 2,
        "cut after {cut_after:?}, the deadline was {timeout:?} after accept"
    );
    handle.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn mutual_tls_requires_a_client_certificate_from_the_ca() {
    let pki = pki();
    let handle =
        start(Exporter::new(registry()).tls(pki.server_tls().client_ca(pki.path("ca.pem")))).await;
    let addr = handle.local_addr();
    let resp = https_get(addr, &pki.ca, Some(&pki.client), "/metrics", &[])
        .await
        .expect("scrape with a client certificate");
    assert_eq!(resp.status, 200);
    assert!(resp.body.contains("tls_demo_requests_total 9"));
    let without = https_get(addr, &pki.ca, None, "/metrics", &[]).await;
    assert!(without.is_err(), "served without a client certificate");
    let rogue = https_get(addr, &pki.ca, Some(&pki.rogue_client), "/metrics", &[]).await;
    assert!(
        rogue.is_err(),
        "served a client certificate from another CA"
    );
    // Refused clients do not disturb the server.
    let again = https_get(addr, &pki.ca, Some(&pki.client), "/health", &[])
        .await
        .expect("health");
    assert_eq!(again.status, 200);
    handle.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn tls_with_basic_auth() {
    let pki = pki();
    let handle = start(
        Exporter::new(registry())
            .tls(pki.server_tls())
            .access(Access::open().basic_auth("prometheus", Password::plain("s3cret"))),
    )
    .await;
    let addr = handle.local_addr();
    let refused = https_get(addr, &pki.ca, None, "/metrics", &[])
        .await
        .expect("answer");
    assert_eq!(refused.status, 401);
    // "prometheus:s3cret"
    let ok = https_get(
        addr,
        &pki.ca,
        None,
        "/metrics",
        &[("authorization", "Basic cHJvbWV0aGV1czpzM2NyZXQ=")],
    )
    .await
    .expect("answer");
    assert_eq!(ok.status, 200);
    handle.shutdown().await.expect("shutdown");
}

fn assert_tls_error(err: &Error, path: &Path, needle: &str) {
    assert!(matches!(err, Error::Tls { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains(&path.display().to_string()), "{msg}");
    assert!(msg.contains(needle), "`{needle}` not in: {msg}");
}

#[tokio::test]
async fn unusable_certificate_files_are_clear_start_up_errors() {
    let pki = pki();
    let try_start = |tls: TlsConfig| async move {
        Exporter::new(registry())
            .bind("127.0.0.1:0")
            .tls(tls)
            .start()
            .await
            .expect_err("refused")
    };
    let key = pki.path("server-key.pem");
    let cert = pki.path("server.pem");

    let missing = pki.path("missing.pem");
    let err = try_start(TlsConfig::new(&missing, &key)).await;
    assert_tls_error(&err, &missing, "cannot open the certificate file");
    let err = try_start(TlsConfig::new(&cert, &missing)).await;
    assert_tls_error(&err, &missing, "cannot open the private key file");

    let garbage = pki.dir.write("garbage.pem", "this is not a certificate\n");
    let err = try_start(TlsConfig::new(&garbage, &key)).await;
    assert_tls_error(&err, &garbage, "no certificate in the file");

    let truncated = pki.dir.write(
        "truncated.pem",
        &pki.server.cert[..pki.server.cert.len() / 2],
    );
    let err = try_start(TlsConfig::new(&truncated, &key)).await;
    assert_tls_error(&err, &truncated, "does not parse");

    // The key file holds a certificate, not a key.
    let err = try_start(TlsConfig::new(&cert, &cert)).await;
    assert_tls_error(&err, &cert, "no private key in the file");

    // A key of another certificate.
    let other_key = pki.dir.write("other-key.pem", &pki.client.key);
    let err = try_start(TlsConfig::new(&cert, &other_key)).await;
    assert_tls_error(&err, &cert, "cannot be used together");

    // A directory.
    let err = try_start(TlsConfig::new(&pki.dir.0, &key)).await;
    assert_tls_error(&err, &pki.dir.0, "certificate file");

    // A client CA file that is missing or holds no certificate.
    let err = try_start(pki.server_tls().client_ca(&missing)).await;
    assert_tls_error(&err, &missing, "client CA certificate");
    let err = try_start(pki.server_tls().client_ca(&key)).await;
    assert_tls_error(&err, &key, "no client CA certificate in the file");

    // The same errors without a runtime.
    let err = Exporter::new(registry())
        .bind("127.0.0.1:0")
        .tls(TlsConfig::new(&missing, &key))
        .start_background()
        .expect_err("refused");
    assert_tls_error(&err, &missing, "cannot open");
}

#[tokio::test]
async fn real_prometheus_scrapes_over_tls_and_mtls() {
    let pki = pki();
    let tls = start(Exporter::new(registry()).tls(pki.server_tls())).await;
    let mtls =
        start(Exporter::new(registry()).tls(pki.server_tls().client_ca(pki.path("ca.pem")))).await;
    let tls_auth = start(
        Exporter::new(registry())
            .tls(pki.server_tls())
            .access(Access::open().basic_auth("prometheus", Password::plain("s3cret"))),
    )
    .await;
    let ca_file = pki.path("ca.pem").display().to_string();
    let cert_file = pki.path("client.pem").display().to_string();
    let key_file = pki.path("client-key.pem").display().to_string();
    let extra = [
        format!("    scheme: https\n    tls_config: {{ca_file: \"{ca_file}\"}}\n"),
        scrape_job(
            "mtls",
            mtls.local_addr(),
            &format!(
                "    scheme: https\n    tls_config: {{ca_file: \"{ca_file}\", cert_file: \"{cert_file}\", key_file: \"{key_file}\"}}\n"
            ),
        ),
        scrape_job(
            "mtls_without_certificate",
            mtls.local_addr(),
            &format!("    scheme: https\n    tls_config: {{ca_file: \"{ca_file}\"}}\n"),
        ),
        scrape_job(
            "tls_basic_auth",
            tls_auth.local_addr(),
            &format!(
                "    scheme: https\n    tls_config: {{ca_file: \"{ca_file}\"}}\n    basic_auth: {{username: prometheus, password: s3cret}}\n"
            ),
        ),
    ]
    .concat();
    let prometheus = PrometheusServer::start("tls", &[tls.local_addr()], &extra).await;
    prometheus
        .wait_until_scraped(
            &["tls", "mtls", "tls_basic_auth"],
            "tls_demo_requests_total",
            9.0,
        )
        .await;
    // Without a client certificate the mTLS exporter refuses Prometheus.
    prometheus
        .wait_for(
            "up{job=\"mtls_without_certificate\"}",
            Duration::from_secs(60),
            |v| v == 0.0,
        )
        .await;
    drop(prometheus);
    // Plain HTTP clients get nothing from the TLS exporters.
    assert!(
        promforge_tests::request(tls.local_addr(), "GET", "/metrics", &[])
            .await
            .is_err()
    );
    for handle in [tls, mtls, tls_auth] {
        handle.shutdown().await.expect("shutdown");
    }
}

#[tokio::test]
async fn background_thread_serves_https_even_when_started_inside_a_runtime() {
    let pki = pki();
    let handle = Exporter::new(registry())
        .bind("127.0.0.1:0")
        .tls(pki.server_tls())
        .start_background()
        .expect("start");
    assert!(handle.base_url().starts_with("https://"));
    let resp = https_get(handle.local_addr(), &pki.ca, None, "/metrics", &[])
        .await
        .expect("https scrape");
    assert_eq!(resp.status, 200);
    assert!(resp.body.contains("tls_demo_requests_total 9"));
    let addr = handle.local_addr();
    handle.shutdown().await.expect("shutdown");
    assert!(TcpStream::connect(addr).await.is_err());
}
