//! Nurse-call and home-automation systems take alarm steps from the
//! outbox: MQTT (QoS 1, a topic per room and kind, retained availability
//! with a last will) and webhooks (JSON POSTs signed with HMAC-SHA256).
//! Each step goes out at least once, in order, with its stable id; a
//! receiver drops what it has seen. A failed try waits (`alarm::outbox`)
//! and the step stays due, restarts included.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::hub::Hub;
use crate::alarm::{AlarmState, Step};

/// How often an outlet looks for due steps.
const POLL: Duration = Duration::from_millis(100);
/// Steps taken per look.
const BATCH: usize = 20;

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutletSettings {
    pub mqtt: Option<MqttSettings>,
    pub webhook: Option<WebhookSettings>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MqttSettings {
    /// `host:port` of the broker.
    pub broker: String,
    /// Topics are `{topic_prefix}/{room}/{kind}`; availability is
    /// `{topic_prefix}/{device}/availability`.
    #[serde(default = "default_prefix")]
    pub topic_prefix: String,
    /// This device's name (MQTT client id and availability topic).
    #[serde(default = "default_device")]
    pub device: String,
    pub username: Option<String>,
    pub password: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookSettings {
    /// `http://host:port/path` on loopback (TLS for other hosts comes with the TLS work).
    pub url: String,
    /// Key of the HMAC-SHA256 signature in `X-Tryghed-Signature`.
    pub secret: String,
}

fn default_prefix() -> String {
    "tryghed".into()
}

fn default_device() -> String {
    "tryghed".into()
}

/// A loopback `host:port`, or why not (R5.3: nothing readable leaves the
/// machine until the transport is encrypted).
fn loopback(what: &str, host_port: &str) -> Result<(), String> {
    let host = host_port.rsplit_once(':').map_or(host_port, |(h, _)| h).trim_matches(['[', ']']);
    let port_ok = host_port.rsplit_once(':').is_some_and(|(_, p)| p.parse::<u16>().is_ok());
    if !port_ok {
        return Err(format!("{what} {host_port}: give host:port"));
    }
    let is_loopback = host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if !is_loopback {
        return Err(format!("{what} {host_port}: only a loopback address until the outlet is encrypted (R5.3)"));
    }
    Ok(())
}

impl OutletSettings {
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if let Some(mqtt) = &self.mqtt {
            problems.extend(loopback("mqtt.broker", &mqtt.broker).err());
            for (name, value) in [("topic_prefix", &mqtt.topic_prefix), ("device", &mqtt.device)] {
                if value.is_empty() || value.contains(['+', '#', '/']) || value.chars().any(char::is_control) {
                    problems.push(format!("mqtt.{name} \"{value}\": one topic level, without + # or /"));
                }
            }
        }
        if let Some(webhook) = &self.webhook {
            match webhook.url.strip_prefix("http://").map(|rest| rest.split('/').next().unwrap_or_default()) {
                Some(host_port) => problems.extend(loopback("webhook.url", host_port).err()),
                None => problems.push(format!("webhook.url {}: http://host:port/path", webhook.url)),
            }
            if webhook.secret.len() < 16 {
                problems.push("webhook.secret: at least 16 characters".into());
            }
        }
        problems
    }

    /// The outbox outlets these settings turn on.
    pub fn names(&self) -> Vec<&'static str> {
        let mut names = Vec::new();
        if self.mqtt.is_some() {
            names.push("mqtt");
        }
        if self.webhook.is_some() {
            names.push("webhook");
        }
        names
    }
}

/// What an outlet sends for a step: documented in the README, stable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Payload {
    /// The step's id: the same step always has the same id.
    pub id: String,
    pub alarm: String,
    #[serde(rename = "type")]
    pub step_type: crate::alarm::StepType,
    pub reason: crate::alarm::Reason,
    pub at: String,
    pub room: String,
    pub kind: String,
    pub level: crate::care::levels::Level,
    pub state: String,
    pub resident: Option<String>,
    pub confidence: f32,
    pub to_all_staff: bool,
    pub acknowledged_by: Option<String>,
    pub resolved_by: Option<String>,
    pub outcome: Option<String>,
    pub evidence: serde_json::Value,
}

impl Payload {
    pub fn of(step: &Step) -> Payload {
        let alarm = &step.alarm;
        let (acknowledged_by, resolved_by, outcome) = match &alarm.state {
            AlarmState::Raised => (None, None, None),
            AlarmState::Acknowledged { by, .. } => (Some(by.clone()), None, None),
            AlarmState::Resolved { acknowledged_by, by, outcome, .. } => (Some(acknowledged_by.clone()), Some(by.clone()), Some(outcome.clone())),
        };
        Payload {
            id: step.id.clone(),
            alarm: alarm.id.clone(),
            step_type: step.step_type,
            reason: step.reason,
            at: step.at.to_rfc3339(),
            room: alarm.room.clone(),
            kind: alarm.kind.clone(),
            level: alarm.level,
            state: alarm.state.name().to_string(),
            resident: alarm.resident.as_ref().map(|r| r.0.clone()),
            confidence: alarm.confidence,
            to_all_staff: step.to_all_staff,
            acknowledged_by,
            resolved_by,
            outcome,
            evidence: alarm.evidence.clone(),
        }
    }
}

/// `sha256=` and the hex HMAC-SHA256 of `body` under `secret`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    // HMAC takes keys of any length, so this always succeeds; were it not
    // to, an empty signature is refused by the receiver, never trusted.
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()) else { return String::new() };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Posts each due step to the webhook, in order, until stopped.
pub async fn run_webhook(hub: Arc<Hub>, settings: WebhookSettings) {
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build_http::<http_body_util::Full<hyper::body::Bytes>>();
    let mut stored = hub.stored_steps();
    loop {
        // A new step wakes it at once; the look every POLL serves retries.
        let _ = tokio::time::timeout(POLL, stored.changed()).await;
        let due = match hub.store().due("webhook", hub.now(), BATCH) {
            Ok(due) => due,
            Err(e) => {
                tracing::error!("webhook outbox: {e}");
                continue;
            }
        };
        for pending in due {
            let body = serde_json::to_vec(&Payload::of(&pending.step)).unwrap_or_default();
            let request = hyper::Request::post(&settings.url)
                .header("content-type", "application/json")
                .header("x-tryghed-id", &pending.step.id)
                .header("x-tryghed-signature", signature(&settings.secret, &body))
                .body(http_body_util::Full::new(hyper::body::Bytes::from(body)));
            let outcome = match request {
                Ok(request) => match tokio::time::timeout(Duration::from_secs(5), client.request(request)).await {
                    Ok(Ok(response)) if response.status().is_success() => Ok(()),
                    Ok(Ok(response)) => Err(format!("answered {}", response.status())),
                    Ok(Err(e)) => Err(e.to_string()),
                    Err(_) => Err("no answer within 5 s".into()),
                },
                Err(e) => Err(e.to_string()),
            };
            let now = hub.now();
            let recorded = match outcome {
                Ok(()) => hub.store().delivered(&pending.step.id, "webhook", now),
                Err(why) => {
                    tracing::warn!("webhook {}: {why}; trying again later", settings.url);
                    let result = hub.store().delivery_failed(&pending.step.id, "webhook", &why, now);
                    // Keep the order: nothing after a step that did not go out.
                    if let Err(e) = result {
                        tracing::error!("webhook outbox: {e}");
                    }
                    break;
                }
            };
            if let Err(e) = recorded {
                tracing::error!("webhook outbox: {e}");
            }
        }
    }
}

/// Publishes each due step with QoS 1 and counts it delivered when the
/// broker acknowledges it; keeps `{prefix}/{device}/availability` retained
/// as `online`, with `offline` as the last will.
pub async fn run_mqtt(hub: Arc<Hub>, settings: MqttSettings) {
    use rumqttc::{AsyncClient, Event, LastWill, MqttOptions, Outgoing, Packet, QoS};
    let (host, port) = settings.broker.rsplit_once(':').map_or((settings.broker.as_str(), 1883), |(h, p)| (h, p.parse().unwrap_or(1883)));
    let availability = format!("{}/{}/availability", settings.topic_prefix, settings.device);
    let mut options = MqttOptions::new(settings.device.clone(), host, port);
    options.set_keep_alive(Duration::from_secs(5));
    options.set_last_will(LastWill::new(&availability, "offline", QoS::AtLeastOnce, true));
    if let (Some(user), Some(password)) = (&settings.username, &settings.password) {
        options.set_credentials(user, password);
    }
    let (client, mut events) = AsyncClient::new(options, 64);
    // Steps published and not yet acknowledged, in publishing order (None:
    // the availability message), then by packet id once the client sent them.
    let mut unsent: VecDeque<Option<String>> = VecDeque::new();
    let mut in_flight: BTreeMap<u16, Option<String>> = BTreeMap::new();
    let mut connected = false;
    let mut poll = tokio::time::interval(POLL);
    let mut stored = hub.stored_steps();
    loop {
        tokio::select! {
            event = events.poll() => match event {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    connected = true;
                    unsent.clear();
                    in_flight.clear();
                    if client.publish(&availability, QoS::AtLeastOnce, true, "online").await.is_ok() {
                        unsent.push_back(None);
                    }
                }
                Ok(Event::Outgoing(Outgoing::Publish(pkid))) => {
                    if let Some(step) = unsent.pop_front() {
                        in_flight.insert(pkid, step);
                    }
                }
                Ok(Event::Incoming(Packet::PubAck(ack))) => {
                    if let Some(Some(step)) = in_flight.remove(&ack.pkid) {
                        if let Err(e) = hub.store().delivered(&step, "mqtt", hub.now()) {
                            tracing::error!("mqtt outbox: {e}");
                        }
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    if connected {
                        tracing::warn!("mqtt {}: {e}; reconnecting", settings.broker);
                    }
                    connected = false;
                    let now = hub.now();
                    for step in unsent.drain(..).chain(std::mem::take(&mut in_flight).into_values()).flatten() {
                        let _ = hub.store().delivery_failed(&step, "mqtt", &e.to_string(), now);
                    }
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            },
            _ = async { tokio::select! { _ = poll.tick() => {}, _ = stored.changed() => {} } } => {
                if !connected || !unsent.is_empty() || !in_flight.is_empty() {
                    continue;
                }
                let due = match hub.store().due("mqtt", hub.now(), BATCH) {
                    Ok(due) => due,
                    Err(e) => {
                        tracing::error!("mqtt outbox: {e}");
                        continue;
                    }
                };
                for pending in due {
                    let payload = serde_json::to_vec(&Payload::of(&pending.step)).unwrap_or_default();
                    let topic = format!("{}/{}/{}", settings.topic_prefix, topic_level(&pending.step.alarm.room), pending.step.alarm.kind);
                    match client.try_publish(topic, QoS::AtLeastOnce, false, payload) {
                        Ok(()) => unsent.push_back(Some(pending.step.id.clone())),
                        Err(_) => break,
                    }
                }
            }
        }
    }
}

/// A room name as one topic level.
fn topic_level(name: &str) -> String {
    name.chars().map(|c| if matches!(c, '/' | '+' | '#') || c.is_control() { '_' } else { c }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_hmac_sha256() {
        // RFC 4231 test case 2.
        assert_eq!(signature("Jefe", b"what do ya want for nothing?"), "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }

    #[test]
    fn outlets_must_stay_on_loopback_until_encrypted() {
        let settings = OutletSettings {
            mqtt: Some(MqttSettings { broker: "10.0.0.5:1883".into(), topic_prefix: "a/b".into(), device: "d".into(), username: None, password: None }),
            webhook: Some(WebhookSettings { url: "https://example.org/hook".into(), secret: "short".into() }),
        };
        let problems = settings.problems();
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert!(problems[0].contains("only a loopback address") && problems[0].contains("R5.3"), "{problems:?}");
        let good = OutletSettings {
            mqtt: Some(MqttSettings { broker: "127.0.0.1:1883".into(), topic_prefix: "tryghed".into(), device: "room-a12".into(), username: None, password: None }),
            webhook: Some(WebhookSettings { url: "http://localhost:9000/alarms".into(), secret: "0123456789abcdef".into() }),
        };
        assert!(good.problems().is_empty(), "{:?}", good.problems());
        assert_eq!(good.names(), vec!["mqtt", "webhook"]);
    }
}
