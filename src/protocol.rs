//! The device–hub protocol over MQTT, version 1 (`docs/protocol.md`): the
//! topic of every message, its direction, QoS and retention, and the type
//! of its payload, from which `docs/protocol/*.schema.json` are made (and
//! checked by a test, so the document and the code cannot drift apart).
//!
//! Nothing here carries a frame or a sound: a silhouette's coarse cells
//! during a look are the only visual thing, and only to the hub that asked.

use std::collections::BTreeMap;

use schemars::{JsonSchema, Schema};
use serde::{Deserialize, Serialize};

use crate::domain::ResidentId;
use crate::policy::Time;

/// The protocol version in every topic: `tryghed/v1/…`.
pub const VERSION: u32 = 1;

/// Whether a device is connected: retained, and set to `offline` by the
/// broker from the device's last will when it goes silent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Presence {
    pub state: PresenceState,
    /// When the device connected (the will is made then).
    pub since: Time,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PresenceState {
    Online,
    Offline,
}

/// Every 5 s: the device and its sources are alive, and which permit and
/// software they run under (the installer's view).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Heartbeat {
    pub at: Time,
    /// Grows by one each beat: a gap is a lost beat.
    pub sequence: u64,
    pub camera: SourceState,
    pub microphone: SourceState,
    /// The permit the gate decides from; none before the first.
    pub permit_sequence: Option<u64>,
    pub version: String,
    /// Each model file's SHA-256, by name.
    pub models: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SourceState {
    /// Open, and delivering.
    Open,
    /// Shut by the gate: no permit allows it.
    Shut,
    /// Allowed, but silent or failing: a device fault.
    Failing,
    /// Not fitted in this room.
    Absent,
}

/// A resident's posture word, at most once a second while it changes;
/// the hub shows it only inside an alarm or a look (R3.2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Posture {
    pub resident: ResidentId,
    pub posture: String,
    pub at: Time,
}

/// One row of the device's audit chain, for the hub's chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuditRow {
    pub seq: i64,
    pub at: Time,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub detail: serde_json::Value,
    /// The row's hash on the device's chain.
    pub hash: String,
}

/// The silhouette of a look: palette indices 0–3 on a coarse grid, never a
/// camera pixel (R6.1); sent only while the look lasts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Silhouette {
    pub look: String,
    pub width: u32,
    pub height: u32,
    pub cells: String,
    pub at: Time,
}

/// What a room device tells its hub happened: a care event its own gate
/// let out under its permit, or a device fault. The hub's gate checks a
/// care event again against the case file and raises the alarm; the hub
/// runs every alarm's repeats and escalation. At least once: the device
/// keeps the event until a [`Stored`] names it; the hub drops one it has.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Event {
    /// Never reused by the device: `{room}.{started}.{n}`.
    pub id: String,
    pub at: Time,
    pub what: Happened,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Happened {
    /// A care event (`fall`, `scream`, …) about the permit's resident.
    Care {
        kind: String,
        resident: ResidentId,
        /// The permit it left under.
        permit_sequence: u64,
        confidence: f32,
        evidence: Evidence,
    },
    /// The device or one of its sources is failing (`camera_silent`, …).
    Fault { fault: String, detail: String },
}

/// Why the device saw it: the rule that fired and its measures, and for a
/// sound the classes heard. Nothing seen or heard itself (R8.5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    pub rule: String,
    pub values: BTreeMap<String, f64>,
    #[serde(default)]
    pub classes: Vec<String>,
}

impl Evidence {
    /// A care event's evidence; a measure that is not a number is left out.
    pub fn of(evidence: &crate::care::Evidence) -> Evidence {
        Evidence {
            rule: evidence.rule.to_string(),
            values: evidence
                .values
                .iter()
                .filter(|(_, v)| v.is_finite())
                .map(|(k, v)| (k.to_string(), *v))
                .collect(),
            classes: evidence.classes.clone(),
        }
    }
}

/// The hub has stored these events: only now may the device drop them
/// from its outbox (the broker having them is not enough).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Stored {
    pub events: Vec<String>,
}

/// What the hub asks of a device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "command", rename_all = "snake_case", deny_unknown_fields)]
pub enum Command {
    /// Someone on a phone took the alarm.
    Acknowledge {
        alarm: String,
        by: String,
    },
    Resolve {
        alarm: String,
        by: String,
        outcome: String,
    },
    /// A look a staff member asked for, allowed by the hub's gate; the
    /// device's own gate checks it against its permit again.
    StartLook {
        look: String,
        resident: ResidentId,
        by: String,
        until: Time,
    },
    EndLook {
        look: String,
    },
}

/// Who sends a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    DeviceToHub,
    HubToDevice,
}

/// One message of the protocol: where it goes and what it carries.
pub struct Message {
    pub name: &'static str,
    /// Under `tryghed/v1/{room}/`.
    pub topic: &'static str,
    pub direction: Direction,
    pub qos: u8,
    pub retained: bool,
    pub schema: fn() -> Schema,
}

/// Every message of version 1.
pub fn messages() -> Vec<Message> {
    use Direction::*;
    let m = |name, topic, direction, qos, retained, schema: fn() -> Schema| Message {
        name,
        topic,
        direction,
        qos,
        retained,
        schema,
    };
    vec![
        m("presence", "presence", DeviceToHub, 1, true, || {
            schemars::schema_for!(Presence)
        }),
        m("heartbeat", "heartbeat", DeviceToHub, 0, false, || {
            schemars::schema_for!(Heartbeat)
        }),
        m("event", "event", DeviceToHub, 1, false, || {
            schemars::schema_for!(Event)
        }),
        m("posture", "posture", DeviceToHub, 0, false, || {
            schemars::schema_for!(Posture)
        }),
        m("audit", "audit", DeviceToHub, 1, false, || {
            schemars::schema_for!(AuditRow)
        }),
        m("silhouette", "look/{look}", DeviceToHub, 0, false, || {
            schemars::schema_for!(Silhouette)
        }),
        m("permit", "permit", HubToDevice, 1, true, permit_schema),
        m("stored", "stored", HubToDevice, 1, false, || {
            schemars::schema_for!(Stored)
        }),
        m("command", "command", HubToDevice, 1, false, || {
            schemars::schema_for!(Command)
        }),
    ]
}

/// The signed envelope, with the permit its text holds as its content.
fn permit_schema() -> Schema {
    let mut schema = schemars::schema_for!(crate::permit::SignedPermit);
    let mut permit = schemars::schema_for!(crate::permit::RoomPermit).to_value();
    if let Some(fields) = permit.as_object_mut() {
        fields.remove("$schema");
    }
    schema.insert("$defs".into(), serde_json::json!({ "RoomPermit": permit }));
    if let Some(text) = schema
        .get_mut("properties")
        .and_then(|p| p.get_mut("permit"))
        .and_then(|p| p.as_object_mut())
    {
        text.insert("contentMediaType".into(), "application/json".into());
        text.insert(
            "contentSchema".into(),
            serde_json::json!({ "$ref": "#/$defs/RoomPermit" }),
        );
    }
    schema
}

/// The whole topic of `message` for `room`.
pub fn topic(room: &str, message: &Message) -> String {
    format!("tryghed/v{VERSION}/{room}/{}", message.topic)
}
