//! HTTPS for the exporter (feature `tls`): rustls with the `ring` provider.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::RootCertStore;
use rustls::server::{ServerConfig, WebPkiClientVerifier};
use rustls_pki_types::pem::{self, PemObject as _};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::error::Error;

/// The largest PEM file read (certificates and keys are a few kilobytes).
const MAX_PEM_BYTES: u64 = 1024 * 1024;

/// HTTPS settings for the exporter: a certificate chain and its private key, as PEM files,
/// and optionally a CA whose client certificates are required (mutual TLS).
///
/// ```no_run
/// # async fn run() -> Result<(), promforge::Error> {
/// use promforge::exporter::TlsConfig;
///
/// promforge::exporter()
///     .bind("10.0.0.5:9184")
///     .tls(TlsConfig::new("/etc/exporter/cert.pem", "/etc/exporter/key.pem")
///         .client_ca("/etc/exporter/prometheus-ca.pem"))
///     .serve()
///     .await?;
/// # Ok(()) }
/// ```
///
/// The files are read when the exporter starts; a path that cannot be read, a file without
/// a certificate or key, or a key that does not belong to the certificate is an
/// [`Error::Tls`] naming the file. TLS 1.2 and 1.3 are offered; the handshake must complete
/// within the exporter's header-read timeout.
#[derive(Debug, Clone)]
pub struct TlsConfig {
    cert_file: PathBuf,
    key_file: PathBuf,
    client_ca_file: Option<PathBuf>,
}

impl TlsConfig {
    /// Serves HTTPS with the certificate chain in `cert_file` (PEM, the server's certificate
    /// first, then any intermediates) and its private key in `key_file` (PEM: PKCS#8,
    /// PKCS#1 RSA or SEC1 EC).
    pub fn new(cert_file: impl Into<PathBuf>, key_file: impl Into<PathBuf>) -> Self {
        Self {
            cert_file: cert_file.into(),
            key_file: key_file.into(),
            client_ca_file: None,
        }
    }

    /// Requires every client to present a certificate signed by a CA in `ca_file` (PEM):
    /// mutual TLS, as Prometheus' `tls_config: {cert_file, key_file}` sends. A client
    /// without one fails the handshake.
    pub fn client_ca(mut self, ca_file: impl Into<PathBuf>) -> Self {
        self.client_ca_file = Some(ca_file.into());
        self
    }

    /// Reads the files and makes the rustls configuration.
    pub(crate) fn build(&self) -> Result<Arc<ServerConfig>, Error> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let certs = read_certs(&self.cert_file, "certificate")?;
        let key_pem = read_pem(&self.key_file, "private key")?;
        let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| {
            tls_error(
                &self.key_file,
                match e {
                    pem::Error::NoItemsFound => "no private key in the file (expected a PEM \
                                                 `PRIVATE KEY`, `RSA PRIVATE KEY` or `EC PRIVATE \
                                                 KEY` block)"
                        .to_owned(),
                    other => format!("the private key does not parse: {other}"),
                },
            )
        })?;
        let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()
            .map_err(|e| tls_error(&self.cert_file, e.to_string()))?;
        let builder = match &self.client_ca_file {
            None => builder.with_no_client_auth(),
            Some(ca_file) => {
                let mut roots = RootCertStore::empty();
                for cert in read_certs(ca_file, "client CA certificate")? {
                    roots.add(cert).map_err(|e| {
                        tls_error(ca_file, format!("not a usable CA certificate: {e}"))
                    })?;
                }
                let verifier =
                    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                        .build()
                        .map_err(|e| tls_error(ca_file, format!("client CA: {e}")))?;
                builder.with_client_cert_verifier(verifier)
            }
        };
        let config = builder.with_single_cert(certs, key).map_err(|e| {
            tls_error(
                &self.cert_file,
                format!(
                    "the certificate and the private key in `{}` cannot be used together: {e}",
                    self.key_file.display()
                ),
            )
        })?;
        Ok(Arc::new(config))
    }
}

fn tls_error(path: &Path, reason: String) -> Error {
    Error::Tls {
        path: path.display().to_string(),
        reason,
    }
}

/// The file's bytes, bounded in size.
fn read_pem(path: &Path, what: &str) -> Result<Vec<u8>, Error> {
    let file = std::fs::File::open(path)
        .map_err(|e| tls_error(path, format!("cannot open the {what} file: {e}")))?;
    let mut bytes = Vec::new();
    file.take(MAX_PEM_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| tls_error(path, format!("cannot read the {what} file: {e}")))?;
    if bytes.len() as u64 > MAX_PEM_BYTES {
        return Err(tls_error(
            path,
            format!("the {what} file is larger than {MAX_PEM_BYTES} bytes"),
        ));
    }
    Ok(bytes)
}

/// Every certificate of a PEM file (at least one).
fn read_certs(path: &Path, what: &str) -> Result<Vec<CertificateDer<'static>>, Error> {
    let bytes = read_pem(path, what)?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| tls_error(path, format!("the {what} file does not parse as PEM: {e}")))?;
    if certs.is_empty() {
        return Err(tls_error(
            path,
            format!("no {what} in the file (expected a PEM `CERTIFICATE` block)"),
        ));
    }
    Ok(certs)
}
