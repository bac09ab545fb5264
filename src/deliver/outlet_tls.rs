//! TLS for the outlets (R5.3): an MQTT broker or a webhook off this
//! machine is reached only over TLS, its certificate checked against the
//! system's trusted roots or a nurse-call system's own authority, with a
//! client certificate for brokers that ask for one.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutletTls {
    /// PEM file of the certificate authorities to trust; without it, the
    /// system's trusted roots.
    pub ca_file: Option<PathBuf>,
    /// A client certificate (PEM) and its private key, both or neither.
    pub cert_file: Option<PathBuf>,
    pub key_file: Option<PathBuf>,
}

impl OutletTls {
    /// Relative files are taken from `base` (the settings file's folder).
    pub fn resolve(&mut self, base: &Path) {
        for file in [&mut self.ca_file, &mut self.cert_file, &mut self.key_file]
            .into_iter()
            .flatten()
        {
            if file.is_relative() {
                *file = base.join(&*file);
            }
        }
    }

    /// The client setup, or what is wrong with which file.
    pub fn client_config(&self) -> Result<Arc<ClientConfig>, String> {
        let mut roots = RootCertStore::empty();
        match &self.ca_file {
            Some(file) => {
                let (added, _) = roots.add_parsable_certificates(read_certs(file)?);
                if added == 0 {
                    return Err(format!(
                        "{}: no usable certificate authority in it",
                        file.display()
                    ));
                }
            }
            None => {
                let found = rustls_native_certs::load_native_certs();
                roots.add_parsable_certificates(found.certs);
                if roots.is_empty() {
                    return Err(
                        "this system trusts no certificate authority; give tls.ca_file".into(),
                    );
                }
            }
        }
        let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(roots);
        let config = match (&self.cert_file, &self.key_file) {
            (None, None) => builder.with_no_client_auth(),
            (Some(cert_file), Some(key_file)) => {
                let certs = read_certs(cert_file)?;
                if certs.is_empty() {
                    return Err(format!("{}: holds no certificate", cert_file.display()));
                }
                builder
                    .with_client_auth_cert(certs, read_key(key_file)?)
                    .map_err(|e| {
                        format!("{} and {}: {e}", cert_file.display(), key_file.display())
                    })?
            }
            _ => return Err("tls: give cert_file and key_file together".into()),
        };
        Ok(Arc::new(config))
    }
}

fn read(file: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(file).map_err(|e| format!("{}: cannot read: {e}", file.display()))
}

fn read_certs(file: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let pem = read(file)?;
    rustls_pemfile::certs(&mut pem.as_slice())
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{}: not PEM certificates: {e}", file.display()))
}

fn read_key(file: &Path) -> Result<PrivateKeyDer<'static>, String> {
    let pem = read(file)?;
    rustls_pemfile::private_key(&mut pem.as_slice())
        .map_err(|e| format!("{}: not a PEM private key: {e}", file.display()))?
        .ok_or_else(|| format!("{}: holds no private key", file.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_that_are_missing_or_wrong_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let not_pem = dir.path().join("ca.pem");
        std::fs::write(&not_pem, "this is not a certificate\n").unwrap();
        let missing = OutletTls {
            ca_file: Some(dir.path().join("nowhere.pem")),
            ..OutletTls::default()
        };
        assert!(missing
            .client_config()
            .unwrap_err()
            .contains("nowhere.pem: cannot read"));
        let empty = OutletTls {
            ca_file: Some(not_pem.clone()),
            ..OutletTls::default()
        };
        assert!(empty
            .client_config()
            .unwrap_err()
            .contains("ca.pem: no usable certificate authority"));
        let made = rcgen::generate_simple_self_signed(vec!["broker.local".into()]).unwrap();
        let ca = dir.path().join("real-ca.pem");
        std::fs::write(&ca, made.cert.pem()).unwrap();
        let half = OutletTls {
            ca_file: Some(ca.clone()),
            cert_file: Some(ca.clone()),
            key_file: None,
        };
        assert!(half.client_config().unwrap_err().contains("together"));
        let key_is_cert = OutletTls {
            ca_file: Some(ca.clone()),
            cert_file: Some(ca.clone()),
            key_file: Some(ca.clone()),
        };
        assert!(key_is_cert
            .client_config()
            .unwrap_err()
            .contains("holds no private key"));
        let key = dir.path().join("key.pem");
        std::fs::write(&key, made.key_pair.serialize_pem()).unwrap();
        let whole = OutletTls {
            ca_file: Some(ca.clone()),
            cert_file: Some(ca),
            key_file: Some(key),
        };
        assert!(whole.client_config().is_ok());
    }

    #[test]
    fn relative_files_are_taken_from_the_settings_folder() {
        let mut tls = OutletTls {
            ca_file: Some("ca.pem".into()),
            cert_file: Some("/etc/c.pem".into()),
            key_file: None,
        };
        tls.resolve(Path::new("/srv/room"));
        assert_eq!(tls.ca_file, Some(PathBuf::from("/srv/room/ca.pem")));
        assert_eq!(tls.cert_file, Some(PathBuf::from("/etc/c.pem")));
    }
}
