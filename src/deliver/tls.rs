//! TLS for the staff app (R5.3: nothing the device sends may be read by an
//! outsider). On first start a self-signed certificate is made and kept in
//! the data folder; its SHA-256 fingerprint is shown so staff phones can be
//! told to trust exactly that one. rustls with the ring provider.
//!
//! The certificate names what phones use to reach the device: its host
//! name (and `NAME.local`), and each of its addresses when it listens on
//! all of them, never `0.0.0.0`. When these change (a new address from the
//! network, a new host name) it is made anew, and the new fingerprint said.

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

/// What staff and installers check a phone's trust against.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Certificate {
    /// SHA-256, colon-separated hex, as browsers show it.
    pub fingerprint: String,
    pub names: Vec<String>,
}

/// The certificate and key files in `data_dir/tls/`.
pub fn files(data_dir: &Path) -> (PathBuf, PathBuf) {
    let dir = data_dir.join("tls");
    (dir.join("cert.pem"), dir.join("key.pem"))
}

/// The names the certificate was made for, one a line, beside it.
fn names_file(data_dir: &Path) -> PathBuf {
    data_dir.join("tls").join("names.txt")
}

/// What phones may use to reach a device listening on `bind`: localhost,
/// the host name and `NAME.local`, and the address itself, or every
/// address of the machine when `bind` is all of them.
pub fn names_for(bind: std::net::IpAddr) -> Vec<String> {
    let mut names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
    if let Some(host) = host_name() {
        names.push(format!("{host}.local"));
        names.push(host);
    }
    if bind.is_unspecified() {
        let addresses = if_addrs::get_if_addrs().unwrap_or_default();
        names.extend(
            addresses
                .iter()
                .map(|a| a.ip())
                .filter(|ip| !ip.is_loopback() && !ip.is_unspecified())
                .map(|ip| ip.to_string()),
        );
    } else {
        names.push(bind.to_string());
    }
    let mut seen = std::collections::BTreeSet::new();
    names.retain(|n| seen.insert(n.clone()));
    names
}

fn host_name() -> Option<String> {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").ok()?;
    let name = name.trim();
    let valid = !name.is_empty()
        && name != "localhost"
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
    valid.then(|| name.to_string())
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
    let names_file = names_file(data_dir);
    let wanted = names.join("\n");
    let made_for = std::fs::read_to_string(&names_file).ok();
    // A certificate without its names beside it is from before they were
    // kept (it named the listening address, 0.0.0.0 too): made anew.
    if !cert_file.exists() || made_for.as_deref().map(str::trim) != Some(wanted.as_str()) {
        let dir = cert_file.parent().unwrap_or(data_dir);
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        let made = rcgen::generate_simple_self_signed(names.to_vec())
            .map_err(|e| TlsError::Make(e.to_string()))?;
        for old in [&key_file, &cert_file] {
            match std::fs::remove_file(old) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(old, e)),
                _ => {}
            }
        }
        write_private(&key_file, made.key_pair.serialize_pem().as_bytes())
            .map_err(|e| io(&key_file, e))?;
        std::fs::write(&cert_file, made.cert.pem()).map_err(|e| io(&cert_file, e))?;
        std::fs::write(&names_file, &wanted).map_err(|e| io(&names_file, e))?;
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
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(0o600);
    options.open(path)?.write_all(bytes)
}
