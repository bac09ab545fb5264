//! TLS for the staff app (R5.3: nothing the device sends may be read by an
//! outsider). On first start a self-signed certificate is made and kept in
//! the data folder; its SHA-256 fingerprint is shown so staff phones can be
//! told to trust exactly that one. rustls with the ring provider.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::ServerConfig;

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("{file}: {reason}")]
    File { file: String, reason: String },
    #[error("cannot make the certificate: {0}")]
    Make(String),
    #[error("the certificate and key do not make a TLS setup: {0}")]
    Config(String),
}

/// The certificate and key files in `data_dir/tls/`.
pub fn files(data_dir: &Path) -> (PathBuf, PathBuf) {
    let dir = data_dir.join("tls");
    (dir.join("cert.pem"), dir.join("key.pem"))
}

/// The server setup from the data folder's certificate, made first if
/// there is none. Returns it with the certificate's fingerprint.
pub fn load_or_create(
    data_dir: &Path,
    names: &[String],
) -> Result<(Arc<ServerConfig>, String), TlsError> {
    let (cert_file, key_file) = files(data_dir);
    let io = |file: &Path, e: std::io::Error| TlsError::File {
        file: file.display().to_string(),
        reason: e.to_string(),
    };
    if !cert_file.exists() {
        let dir = cert_file.parent().unwrap_or(data_dir);
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        let made = rcgen::generate_simple_self_signed(names.to_vec())
            .map_err(|e| TlsError::Make(e.to_string()))?;
        write_private(&key_file, made.key_pair.serialize_pem().as_bytes())
            .map_err(|e| io(&key_file, e))?;
        std::fs::write(&cert_file, made.cert.pem()).map_err(|e| io(&cert_file, e))?;
    }
    let cert_pem = std::fs::read(&cert_file).map_err(|e| io(&cert_file, e))?;
    let key_pem = std::fs::read(&key_file).map_err(|e| io(&key_file, e))?;
    let certs: Vec<CertificateDer<'static>> = rustls_pemfile::certs(&mut cert_pem.as_slice())
        .collect::<Result<_, _>>()
        .map_err(|e| io(&cert_file, e))?;
    let first = certs.first().ok_or_else(|| TlsError::File {
        file: cert_file.display().to_string(),
        reason: "holds no certificate".into(),
    })?;
    let fingerprint = fingerprint(first);
    let key: PrivateKeyDer<'static> = rustls_pemfile::private_key(&mut key_pem.as_slice())
        .map_err(|e| io(&key_file, e))?
        .ok_or_else(|| TlsError::File {
            file: key_file.display().to_string(),
            reason: "holds no private key".into(),
        })?;
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Config(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| TlsError::Config(e.to_string()))?;
    Ok((Arc::new(config), fingerprint))
}

/// SHA-256 of the certificate, as colon-separated hex (as browsers show it).
pub fn fingerprint(cert: &CertificateDer<'_>) -> String {
    Sha256::digest(cert.as_ref())
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// The private key is readable by the device's user only.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(0o600);
    options.open(path)?.write_all(bytes)
}
