//! Alarms are never lost: `tryghed demo` raises alarms while the MQTT
//! broker is down and the webhook fails, is killed with SIGKILL, and
//! started again on the same data. Afterwards every stored alarm step has
//! reached the staff app's event stream, a real mosquitto subscriber and
//! the webhook receiver (signature checked), exactly once after dropping
//! repeats by id, and nothing else has.

mod common;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const SECRET: &str = "a webhook secret of some length";

/// Starts the demo on the data folder; returns it with its address and the
/// staff password when it printed one (the first start).
fn start_demo(
    data: &Path,
    config: &Path,
) -> (Child, String, Option<String>, Arc<Mutex<Vec<String>>>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tryghed"))
        .args([
            "--config",
            config.to_str().unwrap(),
            "--data-dir",
            data.to_str().unwrap(),
            "demo",
            "--port",
            "0",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut password = None;
    let mut early = Vec::new();
    let url = loop {
        let line = lines.next().expect("the demo printed its address").unwrap();
        early.push(line.clone());
        if let Some(rest) = line.trim().strip_prefix("personale") {
            password = rest.split_whitespace().next().map(str::to_string);
        }
        if let Some(url) = line.strip_prefix("staff app: ") {
            break url.trim().trim_end_matches('/').to_string();
        }
    };
    let printed = Arc::new(Mutex::new(early));
    let sink = printed.clone();
    std::thread::spawn(move || {
        lines
            .map_while(Result::ok)
            .for_each(|l| sink.lock().unwrap().push(l))
    });
    (child, url, password, printed)
}

fn wait_for(what: &str, deadline_s: u64, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(deadline_s);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// An HTTP request's headers (name, value) and body.
type Request = (Vec<(String, String)>, Vec<u8>);

/// What a test webhook receiver shares: its port, the step ids it accepted
/// and how many requests it has had.
type Receiver = (u16, Arc<Mutex<Vec<String>>>, Arc<Mutex<usize>>);

/// Reads one HTTP/1.1 request (headers and a Content-Length body).
fn read_request(reader: &mut impl BufRead) -> Option<Request> {
    let mut headers = Vec::new();
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    loop {
        line.clear();
        reader.read_line(&mut line).ok()?;
        let trimmed = line.trim_end();
        if trimmed.is_empty() {
            break;
        }
        if let Some((k, v)) = trimmed.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let length = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .map_or(0, |(_, v)| v.parse().unwrap_or(0));
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some((headers, body))
}

/// A webhook receiver that fails its first `fail_first` requests, checks
/// each signature, and keeps the step ids it accepted.
fn webhook_receiver(fail_first: usize) -> Receiver {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let ids = Arc::new(Mutex::new(Vec::new()));
    let bad = Arc::new(Mutex::new(0));
    let (ids2, bad2) = (ids.clone(), bad.clone());
    let seen = Arc::new(Mutex::new(0usize));
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (ids, bad, seen) = (ids2.clone(), bad2.clone(), seen.clone());
            std::thread::spawn(move || {
                let mut writer = stream.try_clone().unwrap();
                let mut reader = BufReader::new(stream);
                while let Some((headers, body)) = read_request(&mut reader) {
                    let header = |name: &str| {
                        headers
                            .iter()
                            .find(|(k, _)| k == name)
                            .map(|(_, v)| v.clone())
                            .unwrap_or_default()
                    };
                    let count = {
                        let mut seen = seen.lock().unwrap();
                        *seen += 1;
                        *seen
                    };
                    let status = if count <= fail_first {
                        "500 Internal Server Error"
                    } else if header("x-tryghed-signature")
                        != tryghed::deliver::outlets::signature(SECRET, &body)
                    {
                        *bad.lock().unwrap() += 1;
                        "401 Unauthorized"
                    } else {
                        let payload: serde_json::Value = serde_json::from_slice(&body).unwrap();
                        assert_eq!(
                            payload["id"].as_str(),
                            Some(header("x-tryghed-id").as_str())
                        );
                        ids.lock().unwrap().push(header("x-tryghed-id"));
                        "200 OK"
                    };
                    let _ = writer.write_all(
                        format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\n\r\n").as_bytes(),
                    );
                }
            });
        }
    });
    (port, ids, bad)
}

/// Logs in and follows `/api/events` from place `after`, keeping step ids
/// and places, until the connection ends.
fn follow_events(url: &str, password: &str, after: i64, into: Arc<Mutex<Vec<(i64, String)>>>) {
    let address = url.trim_start_matches("http://").to_string();
    let token = common::log_in(&address, "personale", password);
    let mut stream = TcpStream::connect(&address).unwrap();
    write!(stream, "GET /api/events?after={after} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {token}\r\n\r\n").unwrap();
    std::thread::spawn(move || {
        let mut place = 0;
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            if let Some(id) = line
                .strip_prefix("id: ")
                .or_else(|| line.strip_prefix("id:"))
            {
                place = id.trim().parse().unwrap_or(0);
            }
            if let Some(data) = line
                .strip_prefix("data: ")
                .or_else(|| line.strip_prefix("data:"))
            {
                if let Ok(step) = serde_json::from_str::<serde_json::Value>(data) {
                    into.lock()
                        .unwrap()
                        .push((place, step["id"].as_str().unwrap_or_default().to_string()));
                }
            }
        }
    });
}

/// A query by Debian's sqlite3 beside the running device; it waits while
/// the device is writing instead of answering nothing.
fn sqlite(db: &Path, query: &str) -> String {
    let out = common::sqlite3(db, query);
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn every_alarm_reaches_every_outlet_exactly_once_after_kill_9_and_restart() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let db = data.join("tryghed.sqlite");
    let mqtt_port = common::free_port();
    let (hook_port, hook_ids, bad_signatures) = webhook_receiver(3);
    let config = dir.path().join("settings.toml");
    std::fs::write(
        &config,
        format!("[outlets.mqtt]\nbroker = \"127.0.0.1:{mqtt_port}\"\ndevice = \"room-a12\"\n[outlets.webhook]\nurl = \"http://127.0.0.1:{hook_port}/alarms\"\nsecret = \"{SECRET}\"\n"),
    )
    .unwrap();

    // First run: the broker is not up yet and the webhook fails at first.
    let (mut demo, url, password, printed) = start_demo(&data, &config);
    let password = password.expect("the first start prints the log-ins");
    let sse = Arc::new(Mutex::new(Vec::new()));
    follow_events(&url, &password, 0, sse.clone());
    wait_for("the fall alarm", 60, || {
        printed
            .lock()
            .unwrap()
            .iter()
            .any(|l| l.contains("alarm fall raised"))
    });
    demo.kill().unwrap(); // SIGKILL: no chance to tidy up.
    demo.wait().unwrap();
    let stored_before: usize = sqlite(&db, "SELECT count(*) FROM alarm_steps")
        .parse()
        .unwrap();
    let undelivered: usize = sqlite(
        &db,
        "SELECT count(*) FROM outbox WHERE delivered_at IS NULL AND outlet = 'mqtt'",
    )
    .parse()
    .unwrap();
    assert!(
        stored_before >= 2 && undelivered == stored_before,
        "steps waiting for MQTT at the kill: {undelivered} of {stored_before}"
    );

    // The broker comes up, with a subscriber; the device starts again.
    let broker_config = dir.path().join("mosquitto.conf");
    std::fs::write(
        &broker_config,
        format!("listener {mqtt_port} 127.0.0.1\nallow_anonymous true\npersistence false\n"),
    )
    .unwrap();
    let mut broker = Command::new("mosquitto")
        .arg("-c")
        .arg(&broker_config)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("mosquitto (Debian's package) is installed by scripts/setup");
    wait_for("the broker", 20, || {
        TcpStream::connect(("127.0.0.1", mqtt_port)).is_ok()
    });
    let mut subscriber = Command::new("mosquitto_sub")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &mqtt_port.to_string(),
            // Every topic: nothing may go anywhere but the alarms (R8.5).
            "-t",
            "#",
            "-v",
            "-q",
            "1",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mqtt_lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = mqtt_lines.clone();
    let sub_out = subscriber.stdout.take().unwrap();
    std::thread::spawn(move || {
        BufReader::new(sub_out)
            .lines()
            .map_while(Result::ok)
            .for_each(|l| sink.lock().unwrap().push(l))
    });
    std::thread::sleep(Duration::from_millis(500));

    let (mut demo, url, again, _) = start_demo(&data, &config);
    assert!(again.is_none(), "a restart keeps the log-ins");
    let last_place = sse.lock().unwrap().last().map_or(0, |(p, _)| *p);
    follow_events(&url, &password, last_place, sse.clone());
    // Everything stored reaches both outlets.
    wait_for("every step delivered", 90, || {
        sqlite(
            &db,
            "SELECT count(*) FROM outbox WHERE delivered_at IS NULL",
        ) == "0"
            && sqlite(&db, "SELECT count(*) FROM alarm_steps")
                .parse::<usize>()
                .unwrap()
                > stored_before
    });
    std::thread::sleep(Duration::from_millis(800));
    demo.kill().unwrap();
    demo.wait().unwrap();
    let _ = subscriber.kill();
    let _ = subscriber.wait();
    let _ = broker.kill();
    let _ = broker.wait();

    let stored: BTreeSet<String> = sqlite(&db, "SELECT id FROM alarm_steps")
        .lines()
        .map(str::to_string)
        .collect();
    let mqtt: Vec<serde_json::Value> = mqtt_lines
        .lock()
        .unwrap()
        .iter()
        .filter(|l| !l.contains("/availability "))
        .map(|l| serde_json::from_str(l.split_once(' ').unwrap().1).unwrap())
        .collect();
    let mqtt_ids: BTreeSet<String> = mqtt
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_string())
        .collect();
    let hook_ids: BTreeSet<String> = hook_ids.lock().unwrap().iter().cloned().collect();
    let sse_ids: BTreeSet<String> = sse
        .lock()
        .unwrap()
        .iter()
        .map(|(_, id)| id.clone())
        .collect();
    println!(
        "stored {} steps; MQTT got {} messages, the webhook {}, the event stream {}",
        stored.len(),
        mqtt.len(),
        hook_ids.len(),
        sse.lock().unwrap().len()
    );
    assert_eq!(mqtt_ids, stored, "MQTT, after dropping repeats by id");
    assert_eq!(hook_ids, stored, "webhook, after dropping repeats by id");
    assert_eq!(
        sse_ids, stored,
        "the staff app's event stream, after dropping repeats by id"
    );
    assert_eq!(
        *bad_signatures.lock().unwrap(),
        0,
        "every webhook carried a valid signature"
    );
    // Topics are per room and kind; availability is retained with a last will.
    assert!(mqtt
        .iter()
        .all(|p| ["new", "update", "end"].contains(&p["type"].as_str().unwrap())));
    assert!(
        mqtt_lines
            .lock()
            .unwrap()
            .iter()
            .any(|l| l.starts_with("tryghed/A12/fall ")),
        "{:?}",
        mqtt_lines.lock().unwrap()
    );
    assert!(mqtt_lines
        .lock()
        .unwrap()
        .iter()
        .any(|l| l == "tryghed/room-a12/availability online"));
    only_alarm_steps_left(&mqtt_lines.lock().unwrap());
}

/// The documented fields of an alarm step as outlets send it (README).
const STEP_FIELDS: [&str; 16] = [
    "id",
    "alarm",
    "type",
    "reason",
    "at",
    "room",
    "kind",
    "level",
    "state",
    "resident",
    "confidence",
    "to_all_staff",
    "acknowledged_by",
    "resolved_by",
    "outcome",
    "evidence",
];

/// R8.5: what the models made of the resident left the device only as
/// alarm steps for staff's systems, with the documented fields and the
/// evidence of the event (its rule, values and sound classes); nothing
/// else was published on any topic: no posture, keypoints or silhouette.
fn only_alarm_steps_left(mqtt_lines: &[String]) {
    let evidence_fields: BTreeSet<&str> = ["rule", "values", "classes", "fault"].into();
    for line in mqtt_lines {
        let (topic, message) = line.split_once(' ').unwrap();
        if topic.ends_with("/availability") {
            assert!(["online", "offline"].contains(&message), "{line}");
            continue;
        }
        assert!(topic.starts_with("tryghed/A12/"), "{line}");
        let payload: serde_json::Value = serde_json::from_str(message).unwrap();
        let fields: BTreeSet<&str> = payload
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(fields, STEP_FIELDS.into(), "{line}");
        let evidence = payload["evidence"].as_object().unwrap();
        assert!(
            evidence
                .keys()
                .all(|k| evidence_fields.contains(k.as_str())),
            "{line}"
        );
    }
}

/// A certificate authority, and a certificate it signed for this machine.
struct Authority {
    ca: rcgen::Certificate,
    key: rcgen::KeyPair,
}

impl Authority {
    fn new(name: &str) -> Authority {
        let mut params = rcgen::CertificateParams::new(Vec::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        let key = rcgen::KeyPair::generate().unwrap();
        Authority {
            ca: params.self_signed(&key).unwrap(),
            key,
        }
    }

    /// Writes `{stem}.pem` and `{stem}.key` in `dir`: a certificate for
    /// `names`, signed by this authority.
    fn issue(&self, dir: &Path, stem: &str, names: &[&str]) {
        let params =
            rcgen::CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
                .unwrap();
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.ca, &self.key).unwrap();
        std::fs::write(dir.join(format!("{stem}.pem")), cert.pem()).unwrap();
        std::fs::write(dir.join(format!("{stem}.key")), key.serialize_pem()).unwrap();
    }
}

/// An https webhook receiver with the certificate in `dir/{stem}.pem`;
/// keeps the step ids whose signature holds.
fn https_webhook_receiver(dir: &Path, stem: &str) -> (u16, Arc<Mutex<Vec<String>>>) {
    use tokio_rustls::rustls;
    let certs = rustls_pemfile::certs(
        &mut std::fs::read(dir.join(format!("{stem}.pem")))
            .unwrap()
            .as_slice(),
    )
    .collect::<Result<Vec<_>, _>>()
    .unwrap();
    let key = rustls_pemfile::private_key(
        &mut std::fs::read(dir.join(format!("{stem}.key")))
            .unwrap()
            .as_slice(),
    )
    .unwrap()
    .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = Arc::new(
        rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let ids = Arc::new(Mutex::new(Vec::new()));
    let sink = ids.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (config, ids) = (config.clone(), sink.clone());
            std::thread::spawn(move || {
                let tls = rustls::StreamOwned::new(
                    rustls::ServerConnection::new(config).unwrap(),
                    stream,
                );
                let mut reader = BufReader::new(tls);
                while let Some((headers, body)) = read_request(&mut reader) {
                    let header = |name: &str| {
                        headers
                            .iter()
                            .find(|(k, _)| k == name)
                            .map(|(_, v)| v.clone())
                            .unwrap_or_default()
                    };
                    if header("x-tryghed-signature")
                        == tryghed::deliver::outlets::signature(SECRET, &body)
                    {
                        ids.lock().unwrap().push(header("x-tryghed-id"));
                    }
                    let _ = reader
                        .get_mut()
                        .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n");
                    let _ = reader.get_mut().flush();
                }
            });
        }
    });
    (port, ids)
}

#[test]
fn over_tls_alarms_reach_a_trusted_broker_and_webhook_and_no_other() {
    // R5.3: off loopback an outlet is encrypted. Here a real mosquitto asks
    // for TLS and a client certificate, and the webhook is https. One
    // device trusts their authority and delivers; one trusts another
    // authority, refuses the handshake, and keeps its steps for later.
    let dir = tempfile::tempdir().unwrap();
    let certs = dir.path();
    let nurse_call = Authority::new("nurse-call authority");
    nurse_call.issue(certs, "broker", &["localhost", "127.0.0.1"]);
    nurse_call.issue(certs, "device", &["room-a12"]);
    std::fs::write(certs.join("nurse-call-ca.pem"), nurse_call.ca.pem()).unwrap();
    std::fs::write(
        certs.join("other-ca.pem"),
        Authority::new("some other authority").ca.pem(),
    )
    .unwrap();

    let mqtt_port = common::free_port();
    let broker_config = certs.join("mosquitto.conf");
    let file = |name: &str| certs.join(name).display().to_string();
    std::fs::write(
        &broker_config,
        format!(
            "listener {mqtt_port} 127.0.0.1\nallow_anonymous true\npersistence false\ncafile {}\ncertfile {}\nkeyfile {}\nrequire_certificate true\n",
            file("nurse-call-ca.pem"),
            file("broker.pem"),
            file("broker.key")
        ),
    )
    .unwrap();
    let mut broker = Command::new("mosquitto")
        .arg("-c")
        .arg(&broker_config)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for("the broker", 20, || {
        TcpStream::connect(("127.0.0.1", mqtt_port)).is_ok()
    });
    let mut subscriber = Command::new("mosquitto_sub")
        .args([
            "-h",
            "localhost",
            "-p",
            &mqtt_port.to_string(),
            "-t",
            "tryghed/#",
            "-v",
            "-q",
            "1",
        ])
        .args([
            "--cafile",
            &file("nurse-call-ca.pem"),
            "--cert",
            &file("device.pem"),
            "--key",
            &file("device.key"),
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mqtt_lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = mqtt_lines.clone();
    let sub_out = subscriber.stdout.take().unwrap();
    std::thread::spawn(move || {
        BufReader::new(sub_out)
            .lines()
            .map_while(Result::ok)
            .for_each(|l| sink.lock().unwrap().push(l))
    });
    let (hook_port, hook_ids) = https_webhook_receiver(certs, "broker");

    // Relative certificate files are read from the settings file's folder.
    let settings = |ca: &str| {
        format!(
            "[outlets.mqtt]\nbroker = \"127.0.0.1:{mqtt_port}\"\ndevice = \"room-a12\"\n[outlets.mqtt.tls]\nca_file = \"{ca}\"\ncert_file = \"device.pem\"\nkey_file = \"device.key\"\n\
             [outlets.webhook]\nurl = \"https://localhost:{hook_port}/alarms\"\nsecret = \"{SECRET}\"\n[outlets.webhook.tls]\nca_file = \"{ca}\"\n"
        )
    };
    std::fs::write(certs.join("trusting.toml"), settings("nurse-call-ca.pem")).unwrap();
    std::fs::write(certs.join("mistrusting.toml"), settings("other-ca.pem")).unwrap();
    let (trusting_data, mistrusting_data) = (certs.join("trusting"), certs.join("mistrusting"));
    let (mut trusting, _, _, said) = start_demo(&trusting_data, &certs.join("trusting.toml"));
    let (mut mistrusting, _, _, _) = start_demo(&mistrusting_data, &certs.join("mistrusting.toml"));
    let db = |data: &Path| data.join("tryghed.sqlite");
    let delivered = |outlet: &str| {
        sqlite(&db(&trusting_data), &format!("SELECT count(*) FROM outbox WHERE outlet = '{outlet}' AND delivered_at IS NOT NULL")).parse::<usize>().unwrap_or(0)
    };
    wait_for("a step delivered over TLS to both outlets", 90, || {
        delivered("mqtt") > 0 && delivered("webhook") > 0
    });
    wait_for("the refused handshakes recorded", 30, || {
        sqlite(
            &db(&mistrusting_data),
            "SELECT count(*) FROM outbox WHERE attempts > 0 AND last_error IS NOT NULL",
        )
        .parse::<usize>()
        .unwrap_or(0)
            >= 2
    });
    std::thread::sleep(Duration::from_millis(800));
    for device in [&mut trusting, &mut mistrusting] {
        device.kill().unwrap();
        device.wait().unwrap();
    }
    let _ = subscriber.kill();
    let _ = subscriber.wait();
    let _ = broker.kill();
    let _ = broker.wait();

    assert!(
        said.lock().unwrap().iter().any(|l| l.contains("over TLS")),
        "{:?}",
        said.lock().unwrap()
    );
    let delivered_ids = |outlet: &str| -> BTreeSet<String> {
        sqlite(
            &db(&trusting_data),
            &format!(
                "SELECT step FROM outbox WHERE outlet = '{outlet}' AND delivered_at IS NOT NULL"
            ),
        )
        .lines()
        .map(str::to_string)
        .collect()
    };
    let mqtt_ids: BTreeSet<String> = mqtt_lines
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.starts_with("tryghed/A12/"))
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l.split_once(' ').unwrap().1).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert!(
        !mqtt_ids.is_empty(),
        "the subscriber got the alarm over TLS"
    );
    assert!(
        delivered_ids("mqtt").is_subset(&mqtt_ids),
        "every step the device counts delivered reached the subscriber"
    );
    let hook_ids: BTreeSet<String> = hook_ids.lock().unwrap().iter().cloned().collect();
    assert!(
        delivered_ids("webhook").is_subset(&hook_ids),
        "every step counted delivered reached the https receiver, signed"
    );
    // The device that trusts another authority sent nothing and keeps it all.
    let mistrusted = db(&mistrusting_data);
    assert_eq!(
        sqlite(
            &mistrusted,
            "SELECT count(*) FROM outbox WHERE delivered_at IS NOT NULL"
        ),
        "0"
    );
    let errors = sqlite(
        &mistrusted,
        "SELECT DISTINCT outlet || ': ' || last_error FROM outbox WHERE last_error IS NOT NULL",
    );
    println!("refused: {errors}");
    assert!(
        errors.lines().any(|l| l.starts_with("mqtt: "))
            && errors.lines().any(|l| l.starts_with("webhook: ")),
        "{errors}"
    );
    assert!(
        errors.to_lowercase().contains("certificate"),
        "the refusal says why: {errors}"
    );
}

#[test]
fn bench_alarms_times_the_event_stream_and_mqtt_plain_and_over_tls() {
    let dir = tempfile::tempdir().unwrap();
    let (port, tls_port) = (common::free_port(), common::free_port());
    let authority = Authority::new("bench authority");
    authority.issue(dir.path(), "broker", &["localhost", "127.0.0.1"]);
    std::fs::write(dir.path().join("ca.pem"), authority.ca.pem()).unwrap();
    let file = |name: &str| dir.path().join(name).display().to_string();
    let conf = dir.path().join("mosquitto.conf");
    std::fs::write(
        &conf,
        format!("allow_anonymous true\npersistence false\nlistener {port} 127.0.0.1\nlistener {tls_port} 127.0.0.1\ncertfile {}\nkeyfile {}\n", file("broker.pem"), file("broker.key")),
    )
    .unwrap();
    let mut broker = Command::new("mosquitto")
        .arg("-c")
        .arg(&conf)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for("the broker", 20, || {
        TcpStream::connect(("127.0.0.1", port)).is_ok()
            && TcpStream::connect(("127.0.0.1", tls_port)).is_ok()
    });
    let plain = common::tryghed(&[
        "bench",
        "alarms",
        "--count",
        "40",
        "--mqtt",
        &format!("127.0.0.1:{port}"),
        "--json",
    ]);
    let tls = common::tryghed(&[
        "bench",
        "alarms",
        "--count",
        "40",
        "--mqtt",
        &format!("127.0.0.1:{tls_port}"),
        "--mqtt-ca",
        &file("ca.pem"),
        "--json",
    ]);
    let _ = broker.kill();
    let _ = broker.wait();
    for (out, over_tls) in [(plain, false), (tls, true)] {
        assert!(out.status.success(), "{}", common::text(&out.stderr));
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        println!("{report}");
        assert_eq!(report["mqtt_tls"], over_tls);
        for outlet in ["event_stream", "mqtt"] {
            assert_eq!(
                report[outlet]["received"], 40,
                "{outlet}: every event arrived"
            );
            assert!(
                report[outlet]["p99_ms"].as_f64().unwrap()
                    >= report[outlet]["p50_ms"].as_f64().unwrap()
            );
        }
    }
}

/// The load bench in small: many phones on the stream while real log-ins
/// (Argon2, a stored and audited session each) come in. Every step reaches
/// every phone and every log-in is let in; the times are the bench's to
/// report (`bench alarms --phones 50 --log-ins-per-second 20`, README).
#[test]
fn under_log_in_load_every_alarm_reaches_every_phone() {
    let out = common::tryghed(&[
        "bench",
        "alarms",
        "--count",
        "20",
        "--interval-ms",
        "100",
        "--phones",
        "10",
        "--log-ins-per-second",
        "10",
        "--json",
    ]);
    assert!(out.status.success(), "{}", common::text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    println!("{report}");
    assert_eq!(report["phones"], 10);
    assert_eq!(
        report["event_stream"]["received"], 200,
        "20 steps at 10 phones"
    );
    let log_ins = &report["log_ins"];
    assert!(log_ins["attempted"].as_u64().unwrap() >= 10, "{log_ins}");
    assert_eq!(log_ins["ok"], log_ins["attempted"], "every log-in let in");
}

#[test]
fn a_nurse_call_link_that_takes_nothing_is_an_alarm_in_the_staff_app() {
    // The broker never comes up: after outlet_late_s the device raises a
    // device fault, which reaches staff through the app (R13).
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("demo");
    let config = dir.path().join("settings.toml");
    std::fs::write(
        &config,
        format!(
            "[alarms]\noutlet_late_s = 5\n[outlets.mqtt]\nbroker = \"127.0.0.1:{}\"\n",
            common::free_port()
        ),
    )
    .unwrap();
    let out = common::tryghed(&[
        "--config",
        config.to_str().unwrap(),
        "--data-dir",
        data.to_str().unwrap(),
        "demo",
        "--port",
        "0",
        "--seconds",
        "16",
    ]);
    assert!(out.status.success(), "{}", common::text(&out.stderr));
    let stdout = common::text(&out.stdout);
    let faults: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains("device fault: mqtt has not taken an alarm for"))
        .collect();
    assert_eq!(faults.len(), 1, "{stdout}");
    assert!(
        faults[0].to_lowercase().contains("refused"),
        "the fault says why: {}",
        faults[0]
    );
    let alarms = sqlite(
        &data.join("tryghed.sqlite"),
        "SELECT json_extract(data, '$.kind') || ' ' || open FROM alarms",
    );
    assert!(alarms.lines().any(|l| l == "outlet_down 1"), "{alarms}");
}

#[test]
fn a_sound_only_basis_raises_sound_alarms_with_the_camera_off() {
    // A basis for sound alone (R2.2): the camera stays off, and a scream
    // still reaches staff, since the care layer does not wait for frames.
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("demo");
    let run = |args: &[&str]| {
        let out = common::tryghed(&[&["--data-dir", data.to_str().unwrap()], args].concat());
        assert!(
            out.status.success(),
            "{args:?}: {}",
            common::text(&out.stderr)
        );
        common::text(&out.stdout)
    };
    run(&["demo", "--port", "0", "--seconds", "0.5"]);
    run(&[
        "basis",
        "stop",
        "--id",
        "demo-consent",
        "--reason",
        "replaced by a basis for sound alone",
    ]);
    let now = chrono::Utc::now().to_rfc3339();
    run(&[
        "basis",
        "record",
        "--id",
        "sound-only",
        "--resident",
        "demo-1",
        "--type",
        "consent",
        "--kinds",
        "sound",
        "--alarm",
        "--start",
        &now,
        "--consent-at",
        &now,
        "--decided-by",
        "K",
        "--signals",
        "scream,distress,calling,impact,smoke_alarm",
    ]);
    let said = run(&["demo", "--port", "0", "--seconds", "12"]);
    assert!(said.contains("video: stays off"), "{said}");
    assert!(said.contains("sound: open (basis sound-only)"), "{said}");
    assert!(
        said.lines().any(|l| l.contains("alarm scream raised")),
        "{said}"
    );
    assert!(
        !said.contains("device fault"),
        "no fault for a camera that is off by law: {said}"
    );
}

#[test]
fn a_camera_that_goes_dark_is_an_alarm() {
    // A silent monitor is the most dangerous failure (R13): ten seconds
    // without frames and staff get a device fault alarm, once.
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("demo");
    let out = common::tryghed(&[
        "--data-dir",
        data.to_str().unwrap(),
        "demo",
        "--port",
        "0",
        "--seconds",
        "20",
        "--camera-stops-at",
        "2",
    ]);
    assert!(out.status.success(), "{}", common::text(&out.stderr));
    let stdout = common::text(&out.stdout);
    assert_eq!(
        stdout
            .matches("device fault: nothing from the camera")
            .count(),
        1,
        "{stdout}"
    );
    assert!(
        !stdout.contains("from the pipeline"),
        "no second fault for the same cause: {stdout}"
    );
    let alarms = sqlite(&data.join("tryghed.sqlite"), "SELECT json_extract(data, '$.kind') || ' ' || json_extract(data, '$.level') || ' ' || open FROM alarms");
    assert!(
        alarms.lines().any(|l| l == "camera_silent alarm 1"),
        "{alarms}"
    );
}
