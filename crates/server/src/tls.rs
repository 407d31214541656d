//! TLS: a rustls configuration (TLS 1.2 and 1.3 only, rustls's modern AEAD suites, ring
//! provider), a self-signed certificate generated on first start, and its fingerprint.

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Errors setting up TLS.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// Reading or writing certificate files failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The PEM files could not be parsed.
    #[error("{0}: not a PEM certificate chain / private key")]
    Pem(PathBuf),
    /// rustls or rcgen refused.
    #[error("TLS configuration: {0}")]
    Config(String),
}

/// Where the certificate and key live.
#[derive(Debug, Clone)]
pub struct CertPaths {
    /// PEM certificate chain.
    pub cert: PathBuf,
    /// PEM private key.
    pub key: PathBuf,
}

/// Creates a self-signed certificate for localhost in `dir` unless one exists. Returns the
/// paths and whether it was created now.
pub fn ensure_self_signed(dir: &Path) -> Result<(CertPaths, bool), TlsError> {
    let paths = CertPaths {
        cert: dir.join("cert.pem"),
        key: dir.join("key.pem"),
    };
    if paths.cert.exists() && paths.key.exists() {
        return Ok((paths, false));
    }
    let io = |p: &Path| {
        let p = p.to_path_buf();
        move |source| TlsError::Io { path: p, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let cfg = |e: rcgen::Error| TlsError::Config(e.to_string());
    let mut params = rcgen::CertificateParams::new(vec![
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "::1".to_string(),
    ])
    .map_err(cfg)?;
    // Browsers accept at most 398 days; renew by deleting the files.
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + time::Duration::days(397);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Bulwark self-signed");
    let key = rcgen::KeyPair::generate().map_err(cfg)?;
    let cert = params.self_signed(&key).map_err(cfg)?;
    std::fs::write(&paths.cert, cert.pem()).map_err(io(&paths.cert))?;
    write_private(&paths.key, key.serialize_pem().as_bytes()).map_err(io(&paths.key))?;
    Ok((paths, true))
}

fn write_private(path: &Path, data: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)?.write_all(data)
}

fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs: Vec<_> = CertificateDer::pem_file_iter(path)
        .map_err(|_| TlsError::Pem(path.to_path_buf()))?
        .collect::<Result<_, _>>()
        .map_err(|_| TlsError::Pem(path.to_path_buf()))?;
    if certs.is_empty() {
        return Err(TlsError::Pem(path.to_path_buf()));
    }
    Ok(certs)
}

/// SHA-256 fingerprint of the leaf certificate, as colon-separated hex.
pub fn fingerprint(paths: &CertPaths) -> Result<String, TlsError> {
    let certs = load_certs(&paths.cert)?;
    let digest = Sha256::digest(certs[0].as_ref());
    Ok(digest
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":"))
}

/// Builds the rustls server configuration.
pub fn server_config(paths: &CertPaths) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let certs = load_certs(&paths.cert)?;
    let key =
        PrivateKeyDer::from_pem_file(&paths.key).map_err(|_| TlsError::Pem(paths.key.clone()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| TlsError::Config(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| TlsError::Config(e.to_string()))?;
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(cfg))
}
