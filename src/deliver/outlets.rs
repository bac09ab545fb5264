//! Nurse-call and home-automation systems take alarm steps from the
//! outbox: MQTT (QoS 1, a topic per room and kind, retained availability
//! with a last will) and webhooks (JSON POSTs signed with HMAC-SHA256).
//! Each step goes out at least once, in order, with its stable id; a
//! receiver drops what it has seen. A failed try waits (`alarm::outbox`)
//! and the step stays due, restarts included.

use std::collections::{BTreeMap, VecDeque};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, Mac};
use hyper_util::client::legacy::{connect::Connect, Client};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use tokio_rustls::rustls::ClientConfig;

use super::hub::Hub;
pub use super::outlet_tls::OutletTls;
use crate::alarm::{AlarmState, Step};

/// How often an outlet looks for due steps.
const POLL: Duration = Duration::from_millis(100);
/// Steps taken per look.
const BATCH: usize = 20;
/// Waits between tries to reach a broker that is down or refuses us.
const RECONNECT_FIRST: Duration = Duration::from_millis(500);
const RECONNECT_LAST: Duration = Duration::from_secs(10);

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
    /// `[outlets.mqtt.tls]`, even empty, turns TLS on; needed off loopback.
    pub tls: Option<OutletTls>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookSettings {
    /// `https://host[:port]/path`, or `http://` on loopback only.
    pub url: String,
    /// Key of the HMAC-SHA256 signature in `X-Tryghed-Signature`.
    pub secret: String,
    /// Which authority to trust, and a client certificate, for `https://`.
    pub tls: Option<OutletTls>,
}

fn default_prefix() -> String {
    "tryghed".into()
}

fn default_device() -> String {
    "tryghed".into()
}

/// Whether `host_port` names this machine; an error when it is not
/// `host:port`.
fn is_loopback(what: &str, host_port: &str) -> Result<bool, String> {
    let Some((host, port)) = host_port.rsplit_once(':') else {
        return Err(format!("{what} {host_port}: give host:port"));
    };
    if host.is_empty() || port.parse::<u16>().is_err() {
        return Err(format!("{what} {host_port}: give host:port"));
    }
    let host = host.trim_matches(['[', ']']);
    Ok(host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback()))
}

/// R5.3: nothing readable leaves the machine, so plain text is for loopback.
fn plain_only_on_loopback(what: &str, host_port: &str) -> Option<String> {
    match is_loopback(what, host_port) {
        Err(problem) => Some(problem),
        Ok(false) => Some(format!(
            "{what} {host_port}: off this machine the outlet needs TLS (R5.3)"
        )),
        Ok(true) => None,
    }
}

impl MqttSettings {
    /// The TLS client setup when TLS is on.
    pub fn client_tls(&self) -> Result<Option<Arc<ClientConfig>>, String> {
        self.tls
            .as_ref()
            .map(|tls| tls.client_config().map_err(|e| format!("mqtt.tls: {e}")))
            .transpose()
    }
}

impl WebhookSettings {
    /// `host:port` of the URL, the port from the scheme when not given,
    /// and whether it is `https`.
    fn endpoint(&self) -> Result<(String, bool), String> {
        let (rest, https) = match (
            self.url.strip_prefix("https://"),
            self.url.strip_prefix("http://"),
        ) {
            (Some(rest), _) => (rest, true),
            (None, Some(rest)) => (rest, false),
            _ => {
                return Err(format!(
                    "webhook.url {}: https://host[:port]/path",
                    self.url
                ))
            }
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        if authority.contains('@') {
            return Err(format!(
                "webhook.url {}: no user or password in the URL; the signature proves the sender",
                self.url
            ));
        }
        // An IPv6 host is in brackets: `[::1]:9000`, `[::1]`.
        let has_port = match authority.rsplit_once(']') {
            Some((_, after)) => after.starts_with(':'),
            None => authority.contains(':'),
        };
        let host_port = if has_port {
            authority.to_string()
        } else {
            format!("{authority}:{}", if https { 443 } else { 80 })
        };
        is_loopback("webhook.url", &host_port)?;
        Ok((host_port, https))
    }

    /// The TLS client setup for an `https://` URL.
    pub fn client_tls(&self) -> Result<Option<Arc<ClientConfig>>, String> {
        match self.endpoint()? {
            (_, true) => self
                .tls
                .clone()
                .unwrap_or_default()
                .client_config()
                .map(Some)
                .map_err(|e| format!("webhook.tls: {e}")),
            (_, false) => Ok(None),
        }
    }
}

impl OutletSettings {
    /// Relative certificate files are taken from `base`.
    pub fn resolve(&mut self, base: &Path) {
        let tables = [
            self.mqtt.as_mut().and_then(|m| m.tls.as_mut()),
            self.webhook.as_mut().and_then(|w| w.tls.as_mut()),
        ];
        for tls in tables.into_iter().flatten() {
            tls.resolve(base);
        }
    }

    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if let Some(mqtt) = &self.mqtt {
            match &mqtt.tls {
                None => problems.extend(plain_only_on_loopback("mqtt.broker", &mqtt.broker)),
                Some(_) => problems.extend(
                    is_loopback("mqtt.broker", &mqtt.broker)
                        .err()
                        .into_iter()
                        .chain(mqtt.client_tls().err()),
                ),
            }
            for (name, value) in [
                ("topic_prefix", &mqtt.topic_prefix),
                ("device", &mqtt.device),
            ] {
                if value.is_empty()
                    || value.contains(['+', '#', '/'])
                    || value.chars().any(char::is_control)
                {
                    problems.push(format!(
                        "mqtt.{name} \"{value}\": one topic level, without + # or /"
                    ));
                }
            }
        }
        if let Some(webhook) = &self.webhook {
            match webhook.endpoint() {
                Err(problem) => problems.push(problem),
                Ok((host_port, false)) => {
                    problems.extend(plain_only_on_loopback("webhook.url", &host_port));
                    if webhook.tls.is_some() {
                        problems.push("webhook.tls: only for an https:// URL".into());
                    }
                }
                Ok((_, true)) => problems.extend(webhook.client_tls().err()),
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
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
            AlarmState::Resolved {
                acknowledged_by,
                by,
                outcome,
                ..
            } => (
                Some(acknowledged_by.clone()),
                Some(by.clone()),
                Some(outcome.clone()),
            ),
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
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Posts each due step to the webhook, in order, until stopped; `tls`
/// is the client setup for an `https://` URL.
pub async fn run_webhook(hub: Arc<Hub>, settings: WebhookSettings, tls: Option<Arc<ClientConfig>>) {
    let builder = Client::builder(hyper_util::rt::TokioExecutor::new());
    match tls {
        // https only: a redirect or a typo can never fall back to plain text.
        Some(tls) => {
            let connector = hyper_rustls::HttpsConnectorBuilder::new()
                .with_tls_config((*tls).clone())
                .https_only()
                .enable_http1()
                .build();
            post_due_steps(hub, settings, builder.build(connector)).await
        }
        None => post_due_steps(hub, settings, builder.build_http()).await,
    }
}

async fn post_due_steps<C: Connect + Clone + Send + Sync + 'static>(
    hub: Arc<Hub>,
    settings: WebhookSettings,
    client: Client<C, http_body_util::Full<hyper::body::Bytes>>,
) {
    let mut stored = hub.stored_steps();
    loop {
        // A new step wakes it at once; the look every POLL serves retries.
        let _ = tokio::time::timeout(POLL, stored.changed()).await;
        let now = hub.now();
        let due = match hub.read(move |s| s.due("webhook", now, BATCH)).await {
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
                Ok(request) => {
                    match tokio::time::timeout(Duration::from_secs(5), client.request(request))
                        .await
                    {
                        Ok(Ok(response)) if response.status().is_success() => Ok(()),
                        Ok(Ok(response)) => Err(format!("answered {}", response.status())),
                        Ok(Err(e)) => Err(with_causes(&e)),
                        Err(_) => Err("no answer within 5 s".into()),
                    }
                }
                Err(e) => Err(e.to_string()),
            };
            let (now, step) = (hub.now(), pending.step.id);
            let recorded = match outcome {
                Ok(()) => hub.write(move |s| s.delivered(&step, "webhook", now)).await,
                Err(why) => {
                    tracing::warn!("webhook {}: {why}; trying again later", settings.url);
                    let result = hub
                        .write(move |s| s.delivery_failed(&step, "webhook", &why, now))
                        .await;
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
/// as `online`, with `offline` as the last will. `tls` is the client
/// setup when TLS is on.
pub async fn run_mqtt(hub: Arc<Hub>, settings: MqttSettings, tls: Option<Arc<ClientConfig>>) {
    use rumqttc::{
        AsyncClient, Event, LastWill, MqttOptions, Outgoing, Packet, QoS, TlsConfiguration,
        Transport,
    };
    let (host, port) = settings
        .broker
        .rsplit_once(':')
        .map_or((settings.broker.as_str(), 1883), |(h, p)| {
            (h, p.parse().unwrap_or(1883))
        });
    let availability = format!("{}/{}/availability", settings.topic_prefix, settings.device);
    let mut options = MqttOptions::new(settings.device.clone(), host, port);
    options.set_keep_alive(Duration::from_secs(5));
    options.set_last_will(LastWill::new(
        &availability,
        "offline",
        QoS::AtLeastOnce,
        true,
    ));
    if let (Some(user), Some(password)) = (&settings.username, &settings.password) {
        options.set_credentials(user, password);
    }
    if let Some(tls) = tls {
        options.set_transport(Transport::tls_with_config(TlsConfiguration::Rustls(tls)));
    }
    let (client, mut events) = AsyncClient::new(options, 64);
    // Steps published and not yet acknowledged, in publishing order (None:
    // the availability message), then by packet id once the client sent them.
    let mut unsent: VecDeque<Option<String>> = VecDeque::new();
    let mut in_flight: BTreeMap<u16, Option<String>> = BTreeMap::new();
    let mut connected = false;
    let mut last_error: Option<String> = None;
    let mut retry_in = RECONNECT_FIRST;
    let mut poll = tokio::time::interval(POLL);
    let mut stored = hub.stored_steps();
    loop {
        tokio::select! {
            event = events.poll() => match event {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    connected = true;
                    last_error = None;
                    retry_in = RECONNECT_FIRST;
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
                        let now = hub.now();
                        if let Err(e) = hub.write(move |s| s.delivered(&step, "mqtt", now)).await {
                            tracing::error!("mqtt outbox: {e}");
                        }
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    let why = with_causes(&e);
                    if connected || last_error.as_ref() != Some(&why) {
                        tracing::warn!("mqtt {}: {why}; trying again", settings.broker);
                    }
                    connected = false;
                    let now = hub.now();
                    let failed: Vec<String> = unsent.drain(..).chain(std::mem::take(&mut in_flight).into_values()).flatten().collect();
                    let reason = why.clone();
                    let recorded = hub.write(move |s| {
                        for step in &failed {
                            s.delivery_failed(step, "mqtt", &reason, now)?;
                        }
                        // Steps that could not even be sent say why too.
                        s.outlet_unreachable("mqtt", &reason)
                    });
                    if let Err(e) = recorded.await {
                        tracing::error!("mqtt outbox: {e}");
                    }
                    last_error = Some(why);
                    tokio::time::sleep(retry_in).await;
                    retry_in = (retry_in * 2).min(RECONNECT_LAST);
                }
            },
            _ = async { tokio::select! { _ = poll.tick() => {}, _ = stored.changed() => {} } } => {
                if !connected || !unsent.is_empty() || !in_flight.is_empty() {
                    continue;
                }
                let now = hub.now();
                let due = match hub.read(move |s| s.due("mqtt", now, BATCH)).await {
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

/// An error with what caused it: "client error (Connect): invalid peer
/// certificate: UnknownIssuer", not just the first part.
pub(crate) fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        let part = e.to_string();
        if !text.contains(&part) {
            text = format!("{text}: {part}");
        }
        cause = e.source();
    }
    text
}

/// A room name as one topic level.
fn topic_level(name: &str) -> String {
    name.chars()
        .map(|c| {
            if matches!(c, '/' | '+' | '#') || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_hmac_sha256() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    fn mqtt(broker: &str, tls: Option<OutletTls>) -> MqttSettings {
        MqttSettings {
            broker: broker.into(),
            topic_prefix: "tryghed".into(),
            device: "room-a12".into(),
            username: None,
            password: None,
            tls,
        }
    }

    fn webhook(url: &str, tls: Option<OutletTls>) -> WebhookSettings {
        WebhookSettings {
            url: url.into(),
            secret: "0123456789abcdef".into(),
            tls,
        }
    }

    #[test]
    fn plain_text_outlets_stay_on_loopback() {
        let settings = OutletSettings {
            mqtt: Some(MqttSettings {
                topic_prefix: "a/b".into(),
                ..mqtt("10.0.0.5:1883", None)
            }),
            webhook: Some(WebhookSettings {
                secret: "short".into(),
                ..webhook("http://nursecall.local:8080/hook", None)
            }),
        };
        let problems = settings.problems();
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert!(
            problems[0].contains("10.0.0.5:1883: off this machine the outlet needs TLS (R5.3)"),
            "{problems:?}"
        );
        assert!(
            problems[2].contains("nursecall.local:8080: off this machine"),
            "{problems:?}"
        );
        let good = OutletSettings {
            mqtt: Some(mqtt("127.0.0.1:1883", None)),
            webhook: Some(webhook("http://localhost:9000/alarms", None)),
        };
        assert!(good.problems().is_empty(), "{:?}", good.problems());
        assert_eq!(good.names(), vec!["mqtt", "webhook"]);
    }

    #[test]
    fn with_tls_outlets_may_leave_the_machine() {
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("ca.pem");
        std::fs::write(
            &ca,
            rcgen::generate_simple_self_signed(vec!["nursecall.local".into()])
                .unwrap()
                .cert
                .pem(),
        )
        .unwrap();
        let tls = Some(OutletTls {
            ca_file: Some(ca),
            ..OutletTls::default()
        });
        let settings = OutletSettings {
            mqtt: Some(mqtt("nursecall.local:8883", tls.clone())),
            webhook: Some(webhook("https://nursecall.local/alarms?room=a12", tls)),
        };
        assert!(settings.problems().is_empty(), "{:?}", settings.problems());
        assert_eq!(
            settings.webhook.as_ref().unwrap().endpoint().unwrap(),
            ("nursecall.local:443".into(), true)
        );
        assert!(settings.mqtt.unwrap().client_tls().unwrap().is_some());
    }

    #[test]
    fn webhook_urls_are_checked() {
        for (url, problem) in [
            ("ftp://x/y", "https://host[:port]/path"),
            (
                "https://user:pw@nursecall.local/hook",
                "no user or password",
            ),
            ("https://nursecall.local:99999/hook", "give host:port"),
            ("http://[::1]:9000/hook", ""),
            ("http://[::1]/hook", ""),
        ] {
            let settings = OutletSettings {
                mqtt: None,
                webhook: Some(webhook(url, None)),
            };
            let problems = settings.problems().join("; ");
            assert!(
                if problem.is_empty() {
                    problems.is_empty()
                } else {
                    problems.contains(problem)
                },
                "{url}: {problems}"
            );
        }
        let tls_on_plain = OutletSettings {
            mqtt: None,
            webhook: Some(webhook(
                "http://127.0.0.1:9000/hook",
                Some(OutletTls::default()),
            )),
        };
        assert!(tls_on_plain
            .problems()
            .join(";")
            .contains("only for an https:// URL"));
    }
}
