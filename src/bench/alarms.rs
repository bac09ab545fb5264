//! `bench alarms`: how long a care event takes to reach staff, on
//! loopback. Each of `count` events goes through the gate to the hub (new
//! alarms, one room each), and the bench times its arrival at a client of
//! the staff app's event stream and, with `--mqtt`, at a subscriber of the
//! broker (over TLS with `--mqtt-ca`). Reports percentiles per outlet; the
//! environment travels along.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use serde::Serialize;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::alarm::{AlarmRequest, AlarmSettings};
use crate::care::levels::Level;
use crate::deliver::http::{router, AppState};
use crate::deliver::live::Live;
use crate::deliver::outlets::{run_mqtt, MqttSettings};
use crate::deliver::sessions::LogInLimit;
use crate::deliver::{Clock, Hub};
use crate::domain::Kind;
use crate::store::{Role, Store};

#[derive(Debug, Clone, Serialize)]
pub struct Latency {
    pub received: usize,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct AlarmBench {
    pub events: usize,
    pub interval_ms: u64,
    pub event_stream: Latency,
    pub mqtt: Option<Latency>,
    /// Whether MQTT went over TLS.
    pub mqtt_tls: bool,
    pub cpus: usize,
}

fn latency(mut ms: Vec<f64>) -> Latency {
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| {
        ms.get(((q * ms.len() as f64).ceil() as usize).saturating_sub(1))
            .copied()
            .unwrap_or(f64::NAN)
    };
    Latency {
        received: ms.len(),
        p50_ms: at(0.5),
        p95_ms: at(0.95),
        p99_ms: at(0.99),
        max_ms: ms.last().copied().unwrap_or(f64::NAN),
    }
}

/// Runs the bench; `mqtt` is a broker's `host:port` on loopback, reached
/// over TLS trusting `mqtt_ca` when given.
pub fn run(
    count: usize,
    interval: Duration,
    mqtt: Option<String>,
    mqtt_ca: Option<std::path::PathBuf>,
) -> anyhow::Result<AlarmBench> {
    let tls = mqtt_ca
        .map(|ca_file| {
            crate::deliver::outlets::OutletTls {
                ca_file: Some(ca_file),
                ..Default::default()
            }
            .client_config()
        })
        .transpose()
        .map_err(|e| anyhow::anyhow!("--mqtt-ca {e}"))?;
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    tokio.block_on(bench(count, interval, mqtt, tls))
}

async fn bench(
    count: usize,
    interval: Duration,
    mqtt: Option<String>,
    tls: Option<Arc<tokio_rustls::rustls::ClientConfig>>,
) -> anyhow::Result<AlarmBench> {
    let dir = std::env::temp_dir().join(format!("tryghed-bench-alarms-{}", std::process::id()));
    let result = measure(&dir, count, interval, mqtt, tls).await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn measure(
    dir: &std::path::Path,
    count: usize,
    interval: Duration,
    mqtt: Option<String>,
    tls: Option<Arc<tokio_rustls::rustls::ClientConfig>>,
) -> anyhow::Result<AlarmBench> {
    let mqtt_tls = tls.is_some();
    let mut store = Store::open(dir)?;
    let now = chrono::Utc::now();
    let (resident, _, _) = crate::app::product::demo_records(&mut store, now)?;
    let outlets = if mqtt.is_some() { vec!["mqtt"] } else { vec![] };
    let hub = Arc::new(Hub::new(
        store,
        AlarmSettings::default(),
        outlets,
        Clock::system(),
    )?);
    let token = crate::deliver::sessions::new_token().map_err(anyhow::Error::msg)?;
    {
        let mut store = hub.store();
        store.add_user("bench", Role::Staff, &[], "bench password", "bench", now)?;
        store.start_session(&token, "bench", now + chrono::Duration::hours(1), now)?;
    }
    let state = AppState {
        hub: hub.clone(),
        login_limit: Arc::new(LogInLimit::default()),
        live: Arc::new(Live::default()),
        tls: false,
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, router(state)).await });

    // When each step id was raised, and when it arrived where (a step can
    // arrive before `raise` returns its id, so the two are joined at the end).
    type Arrivals = Arc<Mutex<BTreeMap<String, Instant>>>;
    let sent: Arrivals = Arc::default();
    let (sse_times, mqtt_times): (Arrivals, Arrivals) = Default::default();
    let mut stream = tokio::net::TcpStream::connect(address).await?;
    stream
        .write_all(
            format!(
                "GET /api/events HTTP/1.1\r\nhost: bench\r\nauthorization: Bearer {token}\r\n\r\n"
            )
            .as_bytes(),
        )
        .await?;
    let reader_times = sse_times.clone();
    tokio::spawn(async move {
        let mut lines = BufReader::new(stream).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(id) = line.strip_prefix("data:").and_then(step_id) {
                reader_times
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .entry(id)
                    .or_insert_with(Instant::now);
            }
        }
    });
    if let Some(broker) = &mqtt {
        let settings = MqttSettings {
            broker: broker.clone(),
            topic_prefix: "tryghed-bench".into(),
            device: format!("bench-{}", std::process::id()),
            username: None,
            password: None,
            tls: None,
        };
        tokio::spawn(run_mqtt(hub.clone(), settings, tls.clone()));
        let (host, port) = broker.rsplit_once(':').context("--mqtt host:port")?;
        let mut options = rumqttc::MqttOptions::new(
            format!("bench-sub-{}", std::process::id()),
            host,
            port.parse()?,
        );
        options.set_keep_alive(Duration::from_secs(5));
        if let Some(tls) = tls {
            options.set_transport(rumqttc::Transport::tls_with_config(
                rumqttc::TlsConfiguration::Rustls(tls),
            ));
        }
        let (client, mut events) = rumqttc::AsyncClient::new(options, 256);
        client
            .subscribe("tryghed-bench/#", rumqttc::QoS::AtLeastOnce)
            .await?;
        let sub_times = mqtt_times.clone();
        tokio::spawn(async move {
            while let Ok(event) = events.poll().await {
                if let rumqttc::Event::Incoming(rumqttc::Packet::Publish(publish)) = event {
                    let arrived = Instant::now();
                    if let Some(id) = serde_json::from_slice::<serde_json::Value>(&publish.payload)
                        .ok()
                        .and_then(|v| v["id"].as_str().map(str::to_string))
                    {
                        sub_times
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .entry(id)
                            .or_insert(arrived);
                    }
                }
            }
        });
    }
    // Let the stream and the subscriber settle, then send.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let case = hub.store().case_file(&resident)?;
    for i in 0..count {
        let started = Instant::now();
        let request = AlarmRequest {
            room: format!("bench-{i}"),
            resident: Some(resident.clone()),
            kind: "fall".into(),
            level: Level::Alarm,
            confidence: 0.9,
            evidence: serde_json::json!({ "rule": "bench" }),
        };
        let permit = crate::policy::permit_alarm(&case, "fall", Kind::Video, request, hub.now())
            .map_err(|d| anyhow::anyhow!("{d}"))?;
        // The id is known only once raised; the clock started before the gate.
        if let Some(step) = hub.raise(permit)? {
            sent.lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(step.id, started);
        }
        tokio::time::sleep(interval).await;
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline
        && (sse_times.lock().map_or(0, |t| t.len()) < count
            || (mqtt.is_some() && mqtt_times.lock().map_or(0, |t| t.len()) < count))
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let sent = sent.lock().map(|s| s.clone()).unwrap_or_default();
    let take = |arrivals: &Arrivals| {
        let arrivals = arrivals.lock().map(|a| a.clone()).unwrap_or_default();
        latency(
            sent.iter()
                .filter_map(|(id, at)| {
                    arrivals
                        .get(id)
                        .map(|got| got.saturating_duration_since(*at).as_secs_f64() * 1000.0)
                })
                .collect(),
        )
    };
    Ok(AlarmBench {
        events: count,
        interval_ms: interval.as_millis() as u64,
        event_stream: take(&sse_times),
        mqtt: mqtt.as_ref().map(|_| take(&mqtt_times)),
        mqtt_tls,
        cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
    })
}

fn step_id(data: &str) -> Option<String> {
    serde_json::from_str::<serde_json::Value>(data.trim()).ok()?["id"]
        .as_str()
        .map(str::to_string)
}
