//! A room's permit: what the gate on a room device needs from the
//! resident's case file (kinds, signals, ways of use, the AI disclosure, an
//! end), made by the hub's gate and signed with the hub's key. The device
//! decides from a permit it verified itself, so a compromised hub
//! connection or network cannot switch on what no basis allows: a forged,
//! another room's, a replayed or an expired permit opens nothing.
//!
//! A permit lasts at most [`LEASE`]. The hub issues a new one at every
//! change of the case and well before the lease runs out; a device that
//! cannot hear the hub shuts its sources when the lease ends, and says
//! why. Ten minutes: many broker restarts or hub fail-overs (seconds each)
//! fit inside it, so a blip does not leave a resident unwatched; an
//! opposition recorded while a device is cut off is obeyed within it; and
//! the hub raises `device_offline` within 30 s anyway, so staff know the
//! room is not watched from the first minute of an outage.

use ring::signature::{Ed25519KeyPair, KeyPair, UnparsedPublicKey, ED25519};
use serde::{Deserialize, Serialize};

use crate::domain::Kind;
use crate::policy::{self, Denial, Permitted, SourceOpen, Time};
pub use crate::policy::{RoomPermit, LEASE, PERMIT_VERSION as VERSION};

/// A permit as sent: its exact text and the hub's Ed25519 signature of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignedPermit {
    pub permit: String,
    /// Hex.
    pub signature: String,
}

/// Why a permit was refused; the device keeps what it had and says this.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PermitError {
    #[error("the permit's signature is not the hub's: refused")]
    Forged,
    #[error("the permit does not parse: {0}")]
    Malformed(String),
    #[error("permit version {0}: this device reads version {VERSION}")]
    Version(u32),
    #[error("the permit is for room {permit}, this device is room {device}")]
    OtherRoom { permit: String, device: String },
    #[error("permit {sequence} is older than permit {held}, already held: a replay")]
    Replayed { sequence: u64, held: u64 },
    #[error("the permit ran out at {0}")]
    Expired(Time),
}

/// The hub's signing key (an Ed25519 key pair, PKCS#8).
pub struct HubKey(Ed25519KeyPair);

impl HubKey {
    /// A new key, as PKCS#8 bytes to keep (the hub's key file).
    pub fn generate() -> Result<Vec<u8>, String> {
        let random = ring::rand::SystemRandom::new();
        Ed25519KeyPair::generate_pkcs8(&random)
            .map(|bytes| bytes.as_ref().to_vec())
            .map_err(|_| "no randomness for a new signing key".to_string())
    }

    pub fn from_pkcs8(bytes: &[u8]) -> Result<HubKey, String> {
        Ed25519KeyPair::from_pkcs8(bytes)
            .map(HubKey)
            .map_err(|e| format!("not an Ed25519 key (PKCS#8): {e}"))
    }

    /// The public half, which every enrolled device holds.
    pub fn public(&self) -> Vec<u8> {
        self.0.public_key().as_ref().to_vec()
    }

    pub fn sign(&self, permit: &RoomPermit) -> SignedPermit {
        let text = serde_json::to_string(permit).unwrap_or_default();
        let signature = hex::encode(self.0.sign(text.as_bytes()).as_ref());
        SignedPermit {
            permit: text,
            signature,
        }
    }
}

/// The device's side: the permit it holds for its own room, checked
/// against the hub's public key, and the only answer its gate gives.
pub struct PermitHolder {
    room: String,
    hub_key: Vec<u8>,
    held: Option<RoomPermit>,
}

impl PermitHolder {
    pub fn new(room: &str, hub_key: Vec<u8>) -> PermitHolder {
        PermitHolder {
            room: room.to_string(),
            hub_key,
            held: None,
        }
    }

    /// Takes a newer permit for this room, or refuses it and keeps the old.
    pub fn accept(&mut self, signed: &SignedPermit, now: Time) -> Result<(), PermitError> {
        let permit = self.verified(signed)?;
        if permit.room != self.room {
            return Err(PermitError::OtherRoom {
                permit: permit.room,
                device: self.room.clone(),
            });
        }
        if let Some(held) = self.held.as_ref().filter(|h| h.sequence >= permit.sequence) {
            return Err(PermitError::Replayed {
                sequence: permit.sequence,
                held: held.sequence,
            });
        }
        if permit.valid_until <= now {
            return Err(PermitError::Expired(permit.valid_until));
        }
        self.held = Some(permit);
        Ok(())
    }

    fn verified(&self, signed: &SignedPermit) -> Result<RoomPermit, PermitError> {
        let signature = hex::decode(&signed.signature).map_err(|_| PermitError::Forged)?;
        UnparsedPublicKey::new(&ED25519, &self.hub_key)
            .verify(signed.permit.as_bytes(), &signature)
            .map_err(|_| PermitError::Forged)?;
        let version: serde_json::Value = serde_json::from_str(&signed.permit)
            .map_err(|e| PermitError::Malformed(e.to_string()))?;
        match version["version"].as_u64() {
            Some(v) if v == u64::from(VERSION) => {}
            Some(v) => return Err(PermitError::Version(u32::try_from(v).unwrap_or(u32::MAX))),
            None => return Err(PermitError::Malformed("it names no version".into())),
        }
        serde_json::from_str(&signed.permit).map_err(|e| PermitError::Malformed(e.to_string()))
    }

    /// May a source of `kind` be open at `now`? Only under a verified
    /// permit for this room, before its end; the gate decides from it.
    pub fn may_open(&self, kind: Kind, now: Time) -> Result<Permitted<SourceOpen>, Denial> {
        match &self.held {
            Some(permit) => policy::may_open_by_permit(permit, kind, now),
            None => Err(Denial {
                rule: "R1.2",
                reason: "no permit from the hub yet: nothing opens".into(),
            }),
        }
    }

    /// The permit held, verified, if any.
    pub fn held(&self) -> Option<&RoomPermit> {
        self.held.as_ref()
    }
}

#[cfg(test)]
mod tests;
