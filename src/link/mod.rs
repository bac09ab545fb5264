//! The device–hub link over MQTT (`docs/protocol.md`): a room device joined
//! to its hub (`device`), and the hub's side for every room (`hub`). Both
//! reach the broker with mutual TLS under the hub's own authority
//! (`crate::enrol`); the broker's access rules keep a device to its own
//! room's topics.

pub mod device;
pub mod hub;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rumqttc::{MqttOptions, TlsConfiguration, Transport};
use serde::Deserialize;
use tokio_rustls::rustls::ClientConfig;

use crate::deliver::outlet_tls::OutletTls;
use crate::deliver::outlets::with_causes;
use crate::protocol::{messages, topic, Message};

/// The MQTT keep-alive: the broker says a silent client's last will after
/// one and a half of these.
const KEEP_ALIVE: Duration = Duration::from_secs(5);
/// The first pause after a lost connection, doubled up to the last.
const RECONNECT_FIRST: Duration = Duration::from_millis(250);
const RECONNECT_LAST: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("{file}: {reason}")]
    File { file: String, reason: String },
}

fn file_error(path: &Path, reason: impl ToString) -> LinkError {
    LinkError::File {
        file: path.display().to_string(),
        reason: reason.to_string(),
    }
}

/// A room device's bundle, as `tryghed hub enrol` wrote it.
#[derive(Debug, Clone)]
pub struct Bundle {
    pub dir: PathBuf,
    pub room: String,
    pub brokers: Vec<String>,
    /// The hub's public permit key (Ed25519).
    pub hub_key: Vec<u8>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BundleFile {
    room: String,
    brokers: Vec<String>,
}

impl Bundle {
    /// Reads the bundle in `dir`; says which file is missing or wrong.
    pub fn load(dir: &Path) -> Result<Bundle, LinkError> {
        let settings = dir.join("bundle.toml");
        let text = std::fs::read_to_string(&settings).map_err(|e| file_error(&settings, e))?;
        let file: BundleFile = toml::from_str(&text).map_err(|e| file_error(&settings, e))?;
        crate::enrol::valid_room(&file.room).map_err(|e| file_error(&settings, e))?;
        if file.brokers.is_empty() {
            return Err(file_error(&settings, "names no broker"));
        }
        let key_file = dir.join("hub-signing.pub");
        let key = std::fs::read_to_string(&key_file).map_err(|e| file_error(&key_file, e))?;
        let hub_key = hex::decode(key.trim())
            .ok()
            .filter(|k| k.len() == 32)
            .ok_or_else(|| file_error(&key_file, "not an Ed25519 public key in hex"))?;
        let bundle = Bundle {
            dir: dir.to_path_buf(),
            room: file.room,
            brokers: file.brokers,
            hub_key,
        };
        bundle.tls().map_err(|e| file_error(dir, e))?;
        Ok(bundle)
    }

    pub fn tls(&self) -> Result<Arc<ClientConfig>, String> {
        client_tls(&self.dir, "device")
    }
}

/// TLS with the certificate `{stem}.pem` in `dir`, trusting the hub's
/// authority only.
pub fn client_tls(dir: &Path, stem: &str) -> Result<Arc<ClientConfig>, String> {
    OutletTls {
        ca_file: Some(dir.join("hub-ca.pem")),
        cert_file: Some(dir.join(format!("{stem}.pem"))),
        key_file: Some(dir.join(format!("{stem}.key"))),
    }
    .client_config()
}

/// The client's settings for `broker` (`host:port`, 8883 when none).
fn options(client: &str, broker: &str, tls: Arc<ClientConfig>) -> MqttOptions {
    let (host, port) = broker
        .rsplit_once(':')
        .and_then(|(h, p)| Some((h, p.parse().ok()?)))
        .unwrap_or((broker, 8883));
    let mut options = MqttOptions::new(client, host, port);
    options.set_keep_alive(KEEP_ALIVE);
    options.set_max_packet_size(256 * 1024, 256 * 1024);
    options.set_transport(Transport::tls_with_config(TlsConfiguration::Rustls(tls)));
    options
}

/// The protocol's message called `name`.
fn message(name: &str) -> Message {
    messages()
        .into_iter()
        .find(|m| m.name == name)
        .unwrap_or_else(|| unreachable!("the protocol names {name}"))
}

/// The topic of message `name` for `room`.
fn topic_of(room: &str, name: &str) -> String {
    topic(room, &message(name))
}

/// The room and message of a topic `tryghed/v1/{room}/{message…}`.
fn room_and_message(topic: &str) -> Option<(&str, &str)> {
    let rest = topic.strip_prefix(&format!("tryghed/v{}/", crate::protocol::VERSION))?;
    rest.split_once('/')
}

/// The next pause after a failed connection.
fn backoff(now: Duration) -> Duration {
    (now * 2).min(RECONNECT_LAST)
}
