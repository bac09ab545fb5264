//! A room device joined to its hub. The gate decides from the hub's signed
//! permit, verified here ([`PermitHolder`]); events wait on the device's
//! disk until the hub says it has stored them; presence (retained, with the
//! broker's last will) and a heartbeat every 5 s tell the hub the room is
//! watched.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rumqttc::{AsyncClient, Event as MqttEvent, LastWill, Packet, QoS};
use tokio::sync::{watch, Notify};

use super::{backoff, options, room_and_message, topic_of, with_causes, Bundle, RECONNECT_FIRST};
use crate::deliver::Hub;
use crate::domain::Kind;
use crate::permit::{PermitError, PermitHolder, SignedPermit};
use crate::policy::{Denial, Permitted, SourceOpen, Time};
use crate::protocol::{Event, Happened, Heartbeat, Presence, PresenceState, SourceState, Stored};
use crate::store::StoreError;

/// How often the device says it is alive.
const HEARTBEAT: Duration = Duration::from_secs(5);
/// An event the hub has not confirmed is sent again after this long.
const RESEND_AFTER: Duration = Duration::from_secs(5);
/// Events sent in one go.
const BATCH: usize = 100;

/// What the heartbeat says of the device.
#[derive(Debug, Clone)]
pub struct DeviceState {
    pub camera: SourceState,
    pub microphone: SourceState,
    pub models: std::collections::BTreeMap<String, String>,
}

/// The device's side of the link, shared by its loop and the link's task.
#[derive(Clone)]
pub struct DeviceLink {
    shared: Arc<Shared>,
}

struct Shared {
    bundle: Bundle,
    hub: Arc<Hub>,
    holder: Mutex<PermitHolder>,
    /// Bumped each time a new permit is taken.
    permits: watch::Sender<u64>,
    wake: Notify,
    state: Mutex<DeviceState>,
    /// Events are `{room}.{started}.{n}`: never reused, restarts included.
    started: i64,
    next: AtomicU64,
    say: Box<dyn Fn(String) + Send + Sync>,
}

impl DeviceLink {
    /// Starts the link's task on the current tokio runtime.
    pub fn start(
        bundle: Bundle,
        hub: Arc<Hub>,
        state: DeviceState,
        say: Box<dyn Fn(String) + Send + Sync>,
    ) -> Result<DeviceLink, String> {
        let tls = bundle.tls()?;
        let started = hub.now().timestamp_millis();
        let link = DeviceLink {
            shared: Arc::new(Shared {
                holder: Mutex::new(PermitHolder::new(&bundle.room, bundle.hub_key.clone())),
                permits: watch::Sender::new(0),
                wake: Notify::new(),
                state: Mutex::new(state),
                started,
                next: AtomicU64::new(0),
                bundle,
                hub,
                say,
            }),
        };
        tokio::spawn(link.clone().run(tls));
        Ok(link)
    }

    pub fn room(&self) -> &str {
        &self.shared.bundle.room
    }

    fn holder(&self) -> MutexGuard<'_, PermitHolder> {
        self.shared.holder.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The gate's answer from the permit held (none: nothing opens).
    pub fn may_open(&self, kind: Kind, now: Time) -> Result<Permitted<SourceOpen>, Denial> {
        self.holder().may_open(kind, now)
    }

    /// A care event through the gate under the permit held.
    pub fn permit_alarm<T>(
        &self,
        signal: &str,
        kind: Kind,
        event: T,
        now: Time,
    ) -> Result<(Permitted<T>, crate::policy::RoomPermit), Denial> {
        let holder = self.holder();
        let Some(permit) = holder.held() else {
            return Err(holder.may_open(kind, now).err().unwrap_or(Denial {
                rule: "R1.2",
                reason: "no permit".into(),
            }));
        };
        let permitted = crate::policy::permit_alarm_by_permit(permit, signal, kind, event, now)?;
        Ok((permitted, permit.clone()))
    }

    /// The resident the permit held names.
    pub fn resident(&self) -> Option<crate::domain::ResidentId> {
        self.holder().held().map(|p| p.resident.clone())
    }

    /// Changes each time a new permit is taken.
    pub fn permits(&self) -> watch::Receiver<u64> {
        self.shared.permits.subscribe()
    }

    pub fn set_sources(&self, camera: SourceState, microphone: SourceState) {
        let mut state = self.shared.state.lock().unwrap_or_else(|p| p.into_inner());
        state.camera = camera;
        state.microphone = microphone;
    }

    /// Keeps the event on disk for the hub and wakes the link. For threads
    /// that may block.
    pub fn send(&self, what: Happened, at: Time) -> Result<String, StoreError> {
        let n = self.shared.next.fetch_add(1, Ordering::Relaxed);
        let id = format!("{}.{}.{n}", self.room(), self.shared.started);
        let event = Event {
            id: id.clone(),
            at,
            what,
        };
        let payload = serde_json::to_string(&event).unwrap_or_default();
        self.shared
            .hub
            .change(|s| s.keep_for_hub(&id, &payload, at))?;
        self.shared.wake.notify_one();
        Ok(id)
    }

    async fn run(self, tls: Arc<tokio_rustls::rustls::ClientConfig>) {
        let room = self.room().to_string();
        let mut broker = 0;
        let mut pause = RECONNECT_FIRST;
        loop {
            let address =
                self.shared.bundle.brokers[broker % self.shared.bundle.brokers.len()].clone();
            let mut options = options(&format!("device-{room}"), &address, tls.clone());
            let will = Presence {
                state: PresenceState::Offline,
                since: self.shared.hub.now(),
            };
            options.set_last_will(LastWill::new(
                topic_of(&room, "presence"),
                serde_json::to_vec(&will).unwrap_or_default(),
                QoS::AtLeastOnce,
                true,
            ));
            let (client, events) = AsyncClient::new(options, 256);
            let why = self.connected(client, events).await;
            (self.shared.say)(format!("hub link: broker {address}: {why}; trying again"));
            tokio::time::sleep(pause).await;
            pause = backoff(pause);
            broker += 1;
        }
    }

    /// Serves one connection until it fails; returns why.
    async fn connected(&self, client: AsyncClient, mut events: rumqttc::EventLoop) -> String {
        let room = self.room().to_string();
        let mut beat = tokio::time::interval(HEARTBEAT);
        let mut sequence = 0u64;
        let mut sent: HashMap<String, Instant> = HashMap::new();
        let mut up = false;
        loop {
            tokio::select! {
                event = events.poll() => match event {
                    Ok(MqttEvent::Incoming(Packet::ConnAck(_))) => {
                        up = true;
                        sent.clear();
                        self.came_up(&client, &room).await;
                        self.send_waiting(&client, &mut sent).await;
                    }
                    Ok(MqttEvent::Incoming(Packet::Publish(publish))) => {
                        self.received(&publish.topic, &publish.payload).await;
                    }
                    Ok(_) => {}
                    Err(e) => return with_causes(&e),
                },
                _ = beat.tick(), if up => {
                    sequence += 1;
                    let _ = client.try_publish(topic_of(&room, "heartbeat"), QoS::AtMostOnce, false, self.heartbeat(sequence));
                    self.send_waiting(&client, &mut sent).await;
                }
                _ = self.shared.wake.notified(), if up => self.send_waiting(&client, &mut sent).await,
            }
        }
    }

    async fn came_up(&self, client: &AsyncClient, room: &str) {
        let online = Presence {
            state: PresenceState::Online,
            since: self.shared.hub.now(),
        };
        let _ = client.try_publish(
            topic_of(room, "presence"),
            QoS::AtLeastOnce,
            true,
            serde_json::to_vec(&online).unwrap_or_default(),
        );
        for name in ["permit", "stored", "command"] {
            let _ = client.try_subscribe(topic_of(room, name), QoS::AtLeastOnce);
        }
        (self.shared.say)(format!("hub link: connected as room {room}"));
    }

    fn heartbeat(&self, sequence: u64) -> Vec<u8> {
        let state = self
            .shared
            .state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let beat = Heartbeat {
            at: self.shared.hub.now(),
            sequence,
            camera: state.camera,
            microphone: state.microphone,
            permit_sequence: self.holder().held().map(|p| p.sequence),
            version: env!("CARGO_PKG_VERSION").to_string(),
            models: state.models,
        };
        serde_json::to_vec(&beat).unwrap_or_default()
    }

    /// Publishes the events the hub has not confirmed and were not sent
    /// in the last few seconds.
    async fn send_waiting(&self, client: &AsyncClient, sent: &mut HashMap<String, Instant>) {
        let waiting = match self.shared.hub.read(|s| s.waiting_for_hub(BATCH)).await {
            Ok(waiting) => waiting,
            Err(e) => {
                tracing::error!("hub link: the outbox cannot be read: {e}");
                return;
            }
        };
        let topic = topic_of(self.room(), "event");
        sent.retain(|id, _| waiting.iter().any(|(w, _)| w == id));
        for (id, payload) in waiting {
            if sent.get(&id).is_some_and(|at| at.elapsed() < RESEND_AFTER) {
                continue;
            }
            if client
                .try_publish(&topic, QoS::AtLeastOnce, false, payload)
                .is_err()
            {
                break;
            }
            sent.insert(id, Instant::now());
        }
    }

    async fn received(&self, topic: &str, payload: &[u8]) {
        match room_and_message(topic) {
            Some((_, "permit")) => self.permit(payload),
            Some((_, "stored")) => {
                let Ok(stored) = serde_json::from_slice::<Stored>(payload) else {
                    tracing::warn!("hub link: a stored message that does not parse");
                    return;
                };
                if let Err(e) = self
                    .shared
                    .hub
                    .write(move |s| s.stored_by_hub(&stored.events))
                    .await
                {
                    tracing::error!("hub link: the outbox cannot be written: {e}");
                }
            }
            _ => {}
        }
    }

    /// A permit from the hub: taken if it verifies, else refused and said.
    fn permit(&self, payload: &[u8]) {
        let now = self.shared.hub.now();
        let taken = serde_json::from_slice::<SignedPermit>(payload)
            .map_err(|e| PermitError::Malformed(e.to_string()))
            .and_then(|signed| self.holder().accept(&signed, now));
        match taken {
            // The retained permit again, after a reconnection: nothing new.
            Err(PermitError::Replayed { sequence, held }) if sequence == held => {}
            Ok(()) => {
                let held = self.holder().held().map(|p| (p.sequence, p.kinds.len()));
                if let Some((sequence, kinds)) = held {
                    tracing::info!("hub link: permit {sequence} taken ({kinds} kinds)");
                }
                self.shared.permits.send_modify(|n| *n += 1);
            }
            Err(why) => (self.shared.say)(format!("hub link: a permit was refused: {why}")),
        }
    }
}
