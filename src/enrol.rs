//! The hub's own certificate authority, and room devices enrolled by it
//! (issue 16, item 2). `init` makes the authority and the hub's permit
//! signing key; `enrol` issues a room's bundle: a client certificate whose
//! name is the room, the authority's certificate, the hub's public signing
//! key and the broker addresses. `broker` writes mosquitto's settings: mutual
//! TLS only, the certificate's name as the user, and access rules that let
//! a device publish and subscribe under its own room's topics only.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, Certificate, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair,
};

use crate::deliver::tls::write_private;
use crate::permit::HubKey;

const CA_CERT: &str = "hub-ca.pem";
const CA_KEY: &str = "hub-ca.key";
const SIGNING_KEY: &str = "hub-signing.pk8";
const SIGNING_PUBLIC: &str = "hub-signing.pub";
/// The hub's own client name at the broker: no room may be called so.
pub const HUB_CLIENT: &str = "hub";

#[derive(Debug, thiserror::Error)]
pub enum EnrolError {
    #[error("{file}: {reason}")]
    File { file: String, reason: String },
    #[error("room `{0}`: 1 to 32 letters, digits, '-' or '_' (it names the room's topics), and not `hub`")]
    Room(String),
    #[error("{0} already holds a hub authority: one hub, one authority")]
    Exists(String),
    #[error("certificate: {0}")]
    Certificate(String),
}

fn file_error(path: &Path, reason: impl ToString) -> EnrolError {
    EnrolError::File {
        file: path.display().to_string(),
        reason: reason.to_string(),
    }
}

fn cert_error(e: rcgen::Error) -> EnrolError {
    EnrolError::Certificate(e.to_string())
}

/// A room name as it appears in topics and certificates.
pub fn valid_room(room: &str) -> Result<(), EnrolError> {
    let fits = (1..=32).contains(&room.len())
        && room
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    match fits && room != HUB_CLIENT {
        true => Ok(()),
        false => Err(EnrolError::Room(room.to_string())),
    }
}

/// Where and as whom the broker listens.
pub struct Listen {
    pub bind: String,
    pub port: u16,
    /// The account mosquitto runs as.
    pub user: String,
}

/// The hub's authority, kept in its folder.
pub struct HubAuthority {
    dir: PathBuf,
    ca: Certificate,
    ca_key: KeyPair,
}

/// The authority's certificate as made from its key: the same name and key
/// each time, so what it signs verifies under the certificate first written.
fn authority(key: &KeyPair) -> Result<Certificate, EnrolError> {
    let mut params = CertificateParams::new(Vec::new()).map_err(cert_error)?;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(DnType::CommonName, "tryghed hub authority");
    params.self_signed(key).map_err(cert_error)
}

impl HubAuthority {
    /// Makes a new authority and the hub's permit signing key in `dir`.
    pub fn init(dir: &Path) -> Result<HubAuthority, EnrolError> {
        if dir.join(CA_KEY).exists() {
            return Err(EnrolError::Exists(dir.display().to_string()));
        }
        std::fs::create_dir_all(dir).map_err(|e| file_error(dir, e))?;
        let ca_key = KeyPair::generate().map_err(cert_error)?;
        let ca = authority(&ca_key)?;
        let signing = HubKey::generate().map_err(|e| file_error(&dir.join(SIGNING_KEY), e))?;
        let public = HubKey::from_pkcs8(&signing)
            .map_err(|e| file_error(&dir.join(SIGNING_KEY), e))?
            .public();
        write_private(&dir.join(CA_KEY), ca_key.serialize_pem().as_bytes())
            .map_err(|e| file_error(&dir.join(CA_KEY), e))?;
        write_private(&dir.join(SIGNING_KEY), &signing)
            .map_err(|e| file_error(&dir.join(SIGNING_KEY), e))?;
        write(&dir.join(CA_CERT), ca.pem().as_bytes())?;
        write(&dir.join(SIGNING_PUBLIC), hex::encode(public).as_bytes())?;
        HubAuthority::open(dir)
    }

    pub fn open(dir: &Path) -> Result<HubAuthority, EnrolError> {
        // Absolute: mosquitto's settings name these files from anywhere.
        let dir = std::path::absolute(dir).map_err(|e| file_error(dir, e))?;
        let key_file = dir.join(CA_KEY);
        let pem = std::fs::read_to_string(&key_file).map_err(|e| file_error(&key_file, e))?;
        let ca_key = KeyPair::from_pem(&pem).map_err(|e| file_error(&key_file, e))?;
        Ok(HubAuthority {
            ca: authority(&ca_key)?,
            dir,
            ca_key,
        })
    }

    /// Issues `{stem}.pem` and `{stem}.key` in `into`: named `name` (the
    /// broker's user), for `addresses` when it serves.
    fn issue(
        &self,
        into: &Path,
        stem: &str,
        name: &str,
        addresses: &[String],
        usage: ExtendedKeyUsagePurpose,
    ) -> Result<(), EnrolError> {
        std::fs::create_dir_all(into).map_err(|e| file_error(into, e))?;
        let mut params = CertificateParams::new(addresses.to_vec()).map_err(cert_error)?;
        params.distinguished_name.push(DnType::CommonName, name);
        params.extended_key_usages = vec![usage];
        let key = KeyPair::generate().map_err(cert_error)?;
        let cert = params
            .signed_by(&key, &self.ca, &self.ca_key)
            .map_err(cert_error)?;
        let key_file = into.join(format!("{stem}.key"));
        let _ = std::fs::remove_file(&key_file);
        write_private(&key_file, key.serialize_pem().as_bytes())
            .map_err(|e| file_error(&key_file, e))?;
        write(&into.join(format!("{stem}.pem")), cert.pem().as_bytes())
    }

    /// A room's bundle in `devices/{room}/`; returns the folder.
    pub fn enrol(&self, room: &str, brokers: &[String]) -> Result<PathBuf, EnrolError> {
        valid_room(room)?;
        let into = self.dir.join("devices").join(room);
        self.issue(
            &into,
            "device",
            room,
            &[],
            ExtendedKeyUsagePurpose::ClientAuth,
        )?;
        self.copy_public(&into)?;
        let brokers: Vec<String> = brokers.iter().map(|b| format!("{b:?}")).collect();
        let settings = format!(
            "# The room's device joins its hub with this bundle.\nroom = {room:?}\nbrokers = [{}]\n",
            brokers.join(", ")
        );
        write(&into.join("bundle.toml"), settings.as_bytes())?;
        Ok(into)
    }

    /// The hub's own client certificate, in `hub-client/`.
    pub fn hub_client(&self) -> Result<PathBuf, EnrolError> {
        let into = self.dir.join("hub-client");
        self.issue(
            &into,
            "hub",
            HUB_CLIENT,
            &[],
            ExtendedKeyUsagePurpose::ClientAuth,
        )?;
        self.copy_public(&into)?;
        Ok(into)
    }

    fn copy_public(&self, into: &Path) -> Result<(), EnrolError> {
        for name in [CA_CERT, SIGNING_PUBLIC] {
            let from = self.dir.join(name);
            std::fs::copy(&from, into.join(name)).map_err(|e| file_error(&from, e))?;
        }
        Ok(())
    }

    /// mosquitto's settings for a broker serving `addresses`, in `broker/`,
    /// run as `listen.user` (who must own `broker.key`, readable by nobody
    /// else); returns the settings file (`mosquitto -c`).
    pub fn broker(&self, listen: &Listen, addresses: &[String]) -> Result<PathBuf, EnrolError> {
        let into = self.dir.join("broker");
        self.issue(
            &into,
            "broker",
            "broker",
            addresses,
            ExtendedKeyUsagePurpose::ServerAuth,
        )?;
        let acl = into.join("acl");
        // The hub reads and writes every room; a device only its own
        // (%u is the name in its certificate: its room).
        let rules = format!(
            "user {HUB_CLIENT}\ntopic readwrite tryghed/#\n\npattern readwrite tryghed/v1/%u/#\n"
        );
        write(&acl, rules.as_bytes())?;
        let path = |name: &str| into.join(name).display().to_string();
        let settings = format!(
            "# Written by `tryghed hub broker`: mutual TLS only; a device's room is its user.\nuser {}\nper_listener_settings false\nallow_anonymous false\nlistener {} {}\ncafile {}\ncertfile {}\nkeyfile {}\nrequire_certificate true\nuse_identity_as_username true\nacl_file {}\n",
            listen.user,
            listen.port,
            listen.bind,
            self.dir.join(CA_CERT).display(),
            path("broker.pem"),
            path("broker.key"),
            acl.display()
        );
        let file = into.join("mosquitto.conf");
        write(&file, settings.as_bytes())?;
        Ok(file)
    }
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), EnrolError> {
    std::fs::write(path, bytes).map_err(|e| file_error(path, e))
}
