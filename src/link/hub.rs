//! The hub's side of the link, for every room: each device's events
//! through the hub's own gate into the one alarm book (`deliver::Hub`), a
//! `stored` answer once kept; a signed permit for each room from its
//! resident's case file, sent again at every change and well before its
//! lease runs out; and a `device_offline` alarm for a room whose device
//! has gone silent.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rumqttc::{AsyncClient, Event as MqttEvent, Packet, QoS};

use super::{
    backoff, client_tls, options, room_and_message, topic_of, with_causes, RECONNECT_FIRST,
};
use crate::alarm::AlarmRequest;
use crate::care::levels::AlertSettings;
use crate::care::CareKind;
use crate::deliver::Hub;
use crate::domain::{DeviceFault, ResidentId};
use crate::permit::{HubKey, RoomPermit};
use crate::policy::{permit_alarm, permit_device_fault, CaseFile, Time};
use crate::protocol::{Event, Happened, Presence, PresenceState, Stored};
use crate::store::StoreError;

/// How often the case files are read for permits: an opposition reaches
/// the device within this, the link's latency and its loop's next look.
const PERMIT_LOOK: Duration = Duration::from_millis(500);
/// A permit unchanged is sent again this often, well inside its lease.
const PERMIT_RENEW: Duration = Duration::from_secs(150);
/// A device not heard (no heartbeat) this long is offline.
const SILENT_AFTER: Duration = Duration::from_secs(20);
/// A device's last will stands this long before it is an alarm: a broker
/// restart or a device's quick reconnection is not one.
const WILL_GRACE: Duration = Duration::from_secs(10);

/// Where the hub finds its authority and broker.
#[derive(Debug, Clone)]
pub struct HubLinkSettings {
    /// The folder of `tryghed hub init` (signing key, `hub-client/`, `devices/`).
    pub authority: PathBuf,
    pub broker: String,
}

/// What the hub knows of one room's device.
struct RoomDevice {
    last_heard: Instant,
    offline_since: Option<Instant>,
    /// The device_offline alarm was raised for this spell.
    raised: bool,
}

impl RoomDevice {
    fn new(now: Instant) -> RoomDevice {
        RoomDevice {
            last_heard: now,
            offline_since: None,
            raised: false,
        }
    }

    /// Why the device counts as offline now, if it does.
    fn offline(&self) -> Option<String> {
        if let Some(since) = self.offline_since.filter(|s| s.elapsed() >= WILL_GRACE) {
            return Some(format!(
                "the broker says its device went offline {} s ago",
                since.elapsed().as_secs()
            ));
        }
        let silent = self.last_heard.elapsed();
        (silent >= SILENT_AFTER)
            .then(|| format!("no heartbeat from its device for {} s", silent.as_secs()))
    }
}

/// A permit as last sent for a room.
struct Sent {
    permit: RoomPermit,
    at: Instant,
}

/// The same grant, whatever its number and times.
fn same_grant(a: &RoomPermit, b: &RoomPermit) -> bool {
    let plain = |p: &RoomPermit| RoomPermit {
        sequence: 0,
        issued_at: Time::UNIX_EPOCH,
        valid_until: Time::UNIX_EPOCH,
        ..p.clone()
    };
    plain(a) == plain(b)
}

pub struct HubLink {
    hub: Arc<Hub>,
    alerts: AlertSettings,
    settings: HubLinkSettings,
    key: HubKey,
    rooms: BTreeMap<String, RoomDevice>,
    sent: BTreeMap<String, Sent>,
    say: Arc<dyn Fn(String) + Send + Sync>,
}

impl HubLink {
    pub fn new(
        hub: Arc<Hub>,
        alerts: AlertSettings,
        settings: HubLinkSettings,
        say: Arc<dyn Fn(String) + Send + Sync>,
    ) -> Result<HubLink, String> {
        let key_file = settings.authority.join("hub-signing.pk8");
        let bytes = std::fs::read(&key_file).map_err(|e| format!("{}: {e}", key_file.display()))?;
        let key = HubKey::from_pkcs8(&bytes).map_err(|e| format!("{}: {e}", key_file.display()))?;
        client_tls(&settings.authority.join("hub-client"), "hub")?;
        let now = Instant::now();
        let rooms = enrolled(&settings.authority)
            .into_iter()
            .map(|room| (room, RoomDevice::new(now)))
            .collect();
        Ok(HubLink {
            hub,
            alerts,
            settings,
            key,
            rooms,
            sent: BTreeMap::new(),
            say,
        })
    }

    /// Runs for ever: connects, and connects again after each failure.
    pub async fn run(mut self) {
        let tls = match client_tls(&self.settings.authority.join("hub-client"), "hub") {
            Ok(tls) => tls,
            Err(e) => return (self.say)(format!("hub link: {e}")),
        };
        let mut pause = RECONNECT_FIRST;
        loop {
            let options = options(crate::enrol::HUB_CLIENT, &self.settings.broker, tls.clone());
            let (client, events) = AsyncClient::new(options, 1024);
            let why = self.connected(client, events).await;
            (self.say)(format!(
                "hub link: broker {}: {why}; trying again",
                self.settings.broker
            ));
            tokio::time::sleep(pause).await;
            pause = backoff(pause);
        }
    }

    async fn connected(&mut self, client: AsyncClient, mut events: rumqttc::EventLoop) -> String {
        let mut permits = tokio::time::interval(PERMIT_LOOK);
        let mut presence = tokio::time::interval(Duration::from_secs(1));
        let mut up = false;
        loop {
            tokio::select! {
                event = events.poll() => match event {
                    Ok(MqttEvent::Incoming(Packet::ConnAck(_))) => {
                        up = true;
                        // Every room gets its permit again: the broker may be a new one.
                        self.sent.clear();
                        for name in ["event", "presence", "heartbeat"] {
                            let _ = client.try_subscribe(topic_of("+", name), QoS::AtLeastOnce);
                        }
                        (self.say)(format!("hub link: connected to {}", self.settings.broker));
                    }
                    Ok(MqttEvent::Incoming(Packet::Publish(publish))) => {
                        self.received(&client, &publish.topic, publish.payload.to_vec()).await;
                    }
                    Ok(_) => {}
                    Err(e) => return with_causes(&e),
                },
                _ = permits.tick(), if up => self.send_permits(&client).await,
                _ = presence.tick() => self.watch_presence().await,
            }
        }
    }

    async fn received(&mut self, client: &AsyncClient, topic: &str, payload: Vec<u8>) {
        let Some((room, message)) = room_and_message(topic) else {
            return;
        };
        if crate::enrol::valid_room(room).is_err() {
            return;
        }
        let room = room.to_string();
        let device = self
            .rooms
            .entry(room.clone())
            .or_insert_with(|| RoomDevice::new(Instant::now()));
        match message {
            "heartbeat" => {
                device.last_heard = Instant::now();
                device.offline_since = None;
            }
            "presence" => match serde_json::from_slice::<Presence>(&payload) {
                Ok(p) if p.state == PresenceState::Online => {
                    device.last_heard = Instant::now();
                    device.offline_since = None;
                }
                Ok(_) => device.offline_since = device.offline_since.or(Some(Instant::now())),
                Err(e) => {
                    tracing::warn!("room {room}: a presence message that does not parse: {e}")
                }
            },
            "event" => self.event(client, room, payload).await,
            _ => {}
        }
    }

    /// A device's event: taken once, answered `stored` every time it comes.
    async fn event(&self, client: &AsyncClient, room: String, payload: Vec<u8>) {
        let event = match serde_json::from_slice::<Event>(&payload) {
            Ok(event) => event,
            Err(e) => return tracing::warn!("room {room}: an event that does not parse: {e}"),
        };
        let alerts = self.alerts.clone();
        let id = event.id.clone();
        let from = room.clone();
        let taken = self
            .hub
            .blocking(move |hub| take(hub, &alerts, &from, event))
            .await;
        match taken {
            Ok(outcome) => {
                (self.say)(format!("room {room}: event {id}: {outcome}"));
                let stored = Stored { events: vec![id] };
                let _ = client.try_publish(
                    topic_of(&room, "stored"),
                    QoS::AtLeastOnce,
                    false,
                    serde_json::to_vec(&stored).unwrap_or_default(),
                );
            }
            // Not confirmed: the device sends it again.
            Err(e) => tracing::error!("room {room}: event {id} not stored: {e}"),
        }
    }

    /// Each room's permit from its resident's case file, sent when it
    /// changed or is due for renewal.
    async fn send_permits(&mut self, client: &AsyncClient) {
        let rooms: Vec<String> = self.rooms.keys().cloned().collect();
        let grants = match self.hub.blocking(move |hub| grants(hub, &rooms)).await {
            Ok(grants) => grants,
            Err(e) => return tracing::error!("permits: the case files cannot be read: {e}"),
        };
        let now = self.hub.now();
        for mut permit in grants {
            let due = match self.sent.get(&permit.room) {
                Some(sent) => {
                    !same_grant(&sent.permit, &permit) || sent.at.elapsed() >= PERMIT_RENEW
                }
                None => true,
            };
            if !due {
                continue;
            }
            let last = self.sent.get(&permit.room).map_or(0, |s| s.permit.sequence);
            permit.sequence = (last + 1).max(now.timestamp_millis().max(0) as u64);
            let signed = self.key.sign(&permit);
            let text = serde_json::to_vec(&signed).unwrap_or_default();
            if client
                .try_publish(
                    topic_of(&permit.room, "permit"),
                    QoS::AtLeastOnce,
                    true,
                    text,
                )
                .is_ok()
            {
                let room = permit.room.clone();
                self.sent.insert(
                    room,
                    Sent {
                        permit,
                        at: Instant::now(),
                    },
                );
            }
        }
    }

    /// A room whose device went silent is a `device_offline` alarm, once
    /// per spell; it stays until a person deals with it (R13).
    async fn watch_presence(&mut self) {
        let mut newly = Vec::new();
        for (room, device) in &mut self.rooms {
            match device.offline() {
                Some(why) if !device.raised => {
                    device.raised = true;
                    newly.push((room.clone(), why));
                }
                None if device.raised => {
                    device.raised = false;
                    (self.say)(format!("room {room}: its device is heard again"));
                }
                _ => {}
            }
        }
        for (room, why) in newly {
            (self.say)(format!("room {room}: {why}"));
            let detail = format!("room {room}: {why}");
            let raised = self
                .hub
                .blocking(move |hub| {
                    let fault = permit_device_fault(DeviceFault::DeviceOffline, hub.now());
                    hub.raise_fault(&room, fault, &detail)
                })
                .await;
            if let Err(e) = raised {
                tracing::error!("device_offline: {e}");
            }
        }
    }
}

/// The rooms enrolled under the authority (`devices/{room}/`).
fn enrolled(authority: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(authority.join("devices")) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|room| crate::enrol::valid_room(room).is_ok())
        .collect()
}

/// The permit each resident's room gets now, and every other known room
/// one that opens nothing (a resident moved out is not watched for the
/// rest of a lease); numbered when sent.
fn grants(hub: &Hub, rooms: &[String]) -> Result<Vec<RoomPermit>, StoreError> {
    let now = hub.now();
    let store = hub.store();
    let mut permits: Vec<RoomPermit> = Vec::new();
    for resident in store.residents()? {
        if permits.iter().any(|p| p.room == resident.room) {
            tracing::warn!(
                "room {}: two residents; the first one's permit stands",
                resident.room
            );
            continue;
        }
        let permit = match store.case_file(&resident.id) {
            Ok(case) => RoomPermit::grant(&case, 0, now),
            Err(StoreError::Tampered(tampered)) => RoomPermit {
                denial: Some(tampered.to_string()),
                ..RoomPermit::grant(&CaseFile::closed(resident), 0, now)
            },
            Err(e) => return Err(e),
        };
        permits.push(permit);
    }
    for room in rooms {
        if !permits.iter().any(|p| &p.room == room) {
            let nobody = crate::policy::Resident {
                id: ResidentId::default(),
                room: room.clone(),
                display_name: String::new(),
                representatives: Vec::new(),
            };
            permits.push(RoomPermit {
                denial: Some(format!("no resident lives in room {room}")),
                ..RoomPermit::grant(&CaseFile::closed(nobody), 0, now)
            });
        }
    }
    Ok(permits)
}

/// What the hub does with a device's event: an alarm through its own gate,
/// or kept back, and the event marked taken. Returns what was done.
fn take(hub: &Hub, alerts: &AlertSettings, room: &str, event: Event) -> Result<String, StoreError> {
    if let Some(outcome) = hub.store().event_taken(&event.id)? {
        return Ok(outcome);
    }
    let outcome = match event.what {
        Happened::Care {
            kind,
            resident,
            confidence,
            evidence,
            ..
        } => {
            let evidence = serde_json::json!({ "rule": evidence.rule, "values": evidence.values, "classes": evidence.classes });
            care(hub, alerts, room, &kind, resident, confidence, evidence)?
        }
        Happened::Fault { fault, detail } => match DeviceFault::from_name(&fault) {
            Some(fault) => {
                let permit = permit_device_fault(fault, hub.now());
                raised(hub.raise_fault(room, permit, &detail))
            }
            None => format!("kept back: no device fault is called `{fault}`"),
        },
    };
    let now = hub.now();
    hub.change(|s| s.take_event(&event.id, room, &outcome, now))?;
    Ok(outcome)
}

fn raised(result: Result<Option<crate::alarm::Step>, crate::deliver::hub::HubError>) -> String {
    match result {
        Ok(Some(step)) => format!("alarm step {}", step.id),
        Ok(None) => "no alarm: silent, or already open".into(),
        Err(e) => format!("not raised: {e}"),
    }
}

/// A care event from `room` through the hub's gate: the room's resident,
/// her basis now, the signal switched on.
fn care(
    hub: &Hub,
    alerts: &AlertSettings,
    room: &str,
    kind: &str,
    resident: ResidentId,
    confidence: f32,
    evidence: serde_json::Value,
) -> Result<String, StoreError> {
    let Some(kind) = CareKind::from_name(kind) else {
        return Ok(format!("kept back: no care event is called `{kind}`"));
    };
    let lives_here = hub
        .store()
        .residents()?
        .into_iter()
        .any(|r| r.id == resident && r.room == room);
    if !lives_here {
        return Ok(format!(
            "kept back: {resident} does not live in room {room}"
        ));
    }
    let case = match hub.store().case_file(&resident) {
        Ok(case) => case,
        Err(StoreError::Tampered(t)) => return Ok(format!("kept back: {t}")),
        Err(e) => return Err(e),
    };
    let local = chrono::Local::now().time();
    let request = AlarmRequest {
        room: room.to_string(),
        resident: Some(resident.clone()),
        kind: kind.name().to_string(),
        level: alerts.level(kind.name(), Some(&resident.0), local),
        confidence,
        evidence,
    };
    Ok(
        match permit_alarm(&case, kind.name(), kind.signal(), request, hub.now()) {
            Ok(permitted) => raised(hub.raise(permitted)),
            Err(denial) => format!("kept back by the hub's gate: {denial}"),
        },
    )
}
