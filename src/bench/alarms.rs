//! `bench alarms`: how long a care event takes to reach staff, on
//! loopback. Each of `count` events goes through the gate to the hub (new
//! alarms, one room each), and the bench times its arrival at each of
//! `phones` clients of the staff app's event stream (each with its own
//! session) and, with `--mqtt`, at a subscriber of the broker (over TLS with
//! `--mqtt-ca`), while `--log-ins-per-second` real log-ins (Argon2 and a
//! stored, audited session each) load the device. Reports percentiles per
//! outlet and for the log-ins; the environment travels along.

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

/// The log-ins made meanwhile: how many, how many were let in, how long each took.
#[derive(Debug, Clone, Serialize)]
pub struct LogInLoad {
    pub per_second: f64,
    pub attempted: usize,
    pub ok: usize,
    pub took: Latency,
}

#[derive(Debug, Clone, Serialize)]
pub struct AlarmBench {
    pub events: usize,
    pub interval_ms: u64,
    /// Clients on the event stream; `event_stream.received` counts every
    /// step at every phone (`events` × `phones` when none is lost).
    pub phones: usize,
    pub event_stream: Latency,
    pub log_ins: Option<LogInLoad>,
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

/// What to run: `mqtt` is a broker's `host:port` on loopback, reached
/// over TLS trusting `mqtt_ca` when given.
#[derive(Debug, Clone)]
pub struct AlarmBenchOptions {
    pub count: usize,
    pub interval: Duration,
    pub mqtt: Option<String>,
    pub mqtt_ca: Option<std::path::PathBuf>,
    pub phones: usize,
    pub log_ins_per_second: f64,
}

pub fn run(options: AlarmBenchOptions) -> anyhow::Result<AlarmBench> {
    let tls = options
        .mqtt_ca
        .clone()
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
    let dir = std::env::temp_dir().join(format!("tryghed-bench-alarms-{}", std::process::id()));
    let result = tokio.block_on(measure(&dir, &options, tls));
    let _ = std::fs::remove_dir_all(&dir);
    result
}

type Arrivals = Arc<Mutex<BTreeMap<String, Instant>>>;

/// A phone on the event stream: when each step id first arrived.
async fn spawn_phone(address: std::net::SocketAddr, token: &str) -> anyhow::Result<Arrivals> {
    let mut stream = tokio::net::TcpStream::connect(address).await?;
    let request =
        format!("GET /api/events HTTP/1.1\r\nhost: bench\r\nauthorization: Bearer {token}\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let arrivals: Arrivals = Arc::default();
    let times = arrivals.clone();
    tokio::spawn(async move {
        let mut lines = BufReader::new(stream).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(id) = line.strip_prefix("data:").and_then(step_id) {
                times
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .entry(id)
                    .or_insert_with(Instant::now);
            }
        }
    });
    Ok(arrivals)
}

/// Log-ins at `per_second` until `until`: each one's status and milliseconds.
fn spawn_log_ins(
    address: std::net::SocketAddr,
    per_second: f64,
    until: Instant,
) -> tokio::task::JoinHandle<Vec<(u16, f64)>> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs_f64(1.0 / per_second));
        let mut tries = Vec::new();
        while Instant::now() < until {
            every.tick().await;
            tries.push(tokio::spawn(log_in(address)));
        }
        let mut results = Vec::new();
        for one in tries {
            results.extend(one.await.ok().flatten());
        }
        results
    })
}

async fn log_in(address: std::net::SocketAddr) -> Option<(u16, f64)> {
    let started = Instant::now();
    let body = format!(r#"{{"name":"bench","password":"{BENCH_PASSWORD}"}}"#);
    let request = format!(
        "POST /api/login HTTP/1.1\r\nhost: bench\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = tokio::net::TcpStream::connect(address).await.ok()?;
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut status = String::new();
    BufReader::new(stream).read_line(&mut status).await.ok()?;
    let code = status.split_whitespace().nth(1)?.parse().ok()?;
    Some((code, started.elapsed().as_secs_f64() * 1000.0))
}

const BENCH_PASSWORD: &str = "bench password";

async fn measure(
    dir: &std::path::Path,
    options: &AlarmBenchOptions,
    tls: Option<Arc<tokio_rustls::rustls::ClientConfig>>,
) -> anyhow::Result<AlarmBench> {
    let mqtt_tls = tls.is_some();
    let (hub, resident, address, tokens) = serve(dir, options).await?;
    // When each step id was raised, and when it arrived where (a step can
    // arrive before `raise` returns its id, so the two are joined at the end).
    let sent: Arrivals = Arc::default();
    let mut phones = Vec::new();
    for token in &tokens {
        phones.push(spawn_phone(address, token).await?);
    }
    let mqtt_times = match &options.mqtt {
        Some(broker) => Some(spawn_subscriber(&hub, broker, tls).await?),
        None => None,
    };
    // Let the streams and the subscriber settle, then send.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let until = Instant::now() + options.interval * options.count as u32;
    let log_ins = (options.log_ins_per_second > 0.0)
        .then(|| spawn_log_ins(address, options.log_ins_per_second, until));
    let case = hub.store().case_file(&resident)?;
    for i in 0..options.count {
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
        // Raised off the async workers, as the device loop raises on its own thread.
        if let Some(step) = hub.blocking(move |hub| hub.raise(permit)).await? {
            sent.lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(step.id, started);
        }
        tokio::time::sleep(options.interval).await;
    }
    let arrived = |a: &Arrivals| a.lock().map_or(0, |t| t.len());
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline
        && (phones.iter().any(|p| arrived(p) < options.count)
            || mqtt_times
                .as_ref()
                .is_some_and(|m| arrived(m) < options.count))
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let log_ins = match log_ins {
        Some(task) => Some(log_in_load(task.await?, options.log_ins_per_second)),
        None => None,
    };
    let sent = sent.lock().map(|s| s.clone()).unwrap_or_default();
    Ok(AlarmBench {
        events: options.count,
        interval_ms: options.interval.as_millis() as u64,
        phones: phones.len(),
        event_stream: latency(phones.iter().flat_map(|p| waits(&sent, p)).collect()),
        log_ins,
        mqtt: mqtt_times.map(|m| latency(waits(&sent, &m))),
        mqtt_tls,
        cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
    })
}

/// The staff app over a fresh store with the demo's records, a `bench`
/// user, and a session for each phone.
async fn serve(
    dir: &std::path::Path,
    options: &AlarmBenchOptions,
) -> anyhow::Result<(
    Arc<Hub>,
    crate::domain::ResidentId,
    std::net::SocketAddr,
    Vec<String>,
)> {
    let mut store = Store::open(dir)?;
    let now = chrono::Utc::now();
    let (resident, _, _) = crate::app::product::demo_records(&mut store, now)?;
    let outlets = if options.mqtt.is_some() {
        vec!["mqtt"]
    } else {
        vec![]
    };
    let hub = Arc::new(Hub::new(
        store,
        AlarmSettings::default(),
        outlets,
        Clock::system(),
    )?);
    let mut tokens = Vec::new();
    {
        let mut store = hub.store();
        store.add_user("bench", Role::Staff, &[], BENCH_PASSWORD, "bench", now)?;
        for _ in 0..options.phones {
            let token = crate::deliver::sessions::new_token().map_err(anyhow::Error::msg)?;
            store.start_session(&token, "bench", now + chrono::Duration::days(1), now)?;
            tokens.push(token);
        }
    }
    let state = AppState {
        hub: hub.clone(),
        login_limit: Arc::new(LogInLimit::default()),
        reads: Default::default(),
        live: Arc::new(Live::default()),
        tls: false,
        certificate: None,
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    tokio::spawn(crate::deliver::serve::serve(listener, None, router(state)));
    Ok((hub, resident, address, tokens))
}

/// A subscriber of the broker the hub's MQTT outlet publishes to.
async fn spawn_subscriber(
    hub: &Arc<Hub>,
    broker: &str,
    tls: Option<Arc<tokio_rustls::rustls::ClientConfig>>,
) -> anyhow::Result<Arrivals> {
    let settings = MqttSettings {
        broker: broker.to_string(),
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
    let arrivals: Arrivals = Arc::default();
    let times = arrivals.clone();
    tokio::spawn(async move {
        // The client lives as long as the task, so the subscription does.
        let _client = client;
        while let Ok(event) = events.poll().await {
            if let rumqttc::Event::Incoming(rumqttc::Packet::Publish(publish)) = event {
                let arrived = Instant::now();
                if let Some(id) = serde_json::from_slice::<serde_json::Value>(&publish.payload)
                    .ok()
                    .and_then(|v| v["id"].as_str().map(str::to_string))
                {
                    times
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .entry(id)
                        .or_insert(arrived);
                }
            }
        }
    });
    Ok(arrivals)
}

/// Milliseconds from each raise to its arrival, for the steps that arrived.
fn waits(sent: &BTreeMap<String, Instant>, arrivals: &Arrivals) -> Vec<f64> {
    let arrivals = arrivals.lock().map(|a| a.clone()).unwrap_or_default();
    sent.iter()
        .filter_map(|(id, at)| {
            arrivals
                .get(id)
                .map(|got| got.saturating_duration_since(*at).as_secs_f64() * 1000.0)
        })
        .collect()
}

fn log_in_load(results: Vec<(u16, f64)>, per_second: f64) -> LogInLoad {
    LogInLoad {
        per_second,
        attempted: results.len(),
        ok: results.iter().filter(|(code, _)| *code == 200).count(),
        took: latency(results.into_iter().map(|(_, ms)| ms).collect()),
    }
}

fn step_id(data: &str) -> Option<String> {
    serde_json::from_str::<serde_json::Value>(data.trim()).ok()?["id"]
        .as_str()
        .map(str::to_string)
}
