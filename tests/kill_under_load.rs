//! `kill -9` under load: `tryghed demo` runs its room while phones log in
//! as fast as they can; the device is killed mid-stride. Every log-in it
//! answered 200 is in the database (a session is answered only once it is
//! stored), the audit chain is intact, and the device starts again on the
//! same records with those phones still logged in.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Starts the demo on `data` and returns it, its address and the staff password.
fn start(data: &std::path::Path, port: u16) -> (Child, String, Option<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tryghed"))
        .args(["--data-dir", data.to_str().unwrap(), "demo"])
        .args(["--port", &port.to_string(), "--seconds", "120"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut address, mut password) = (None, None);
    for line in lines.by_ref().map_while(Result::ok) {
        if let Some(rest) = line.trim().strip_prefix("personale") {
            password = rest.split_whitespace().next().map(str::to_string);
        }
        if let Some(rest) = line.strip_prefix("staff app: http://") {
            address = Some(rest.trim_end_matches('/').to_string());
            break;
        }
    }
    // Keep reading what the demo prints, or it would stop.
    std::thread::spawn(move || lines.map_while(Result::ok).count());
    (
        child,
        address.expect("the demo prints its address"),
        password,
    )
}

/// One raw HTTP request; the status and the body.
fn request(address: &str, head: &str, body: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(address).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    write!(
        stream,
        "{head}content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    let status = answer.split_whitespace().nth(1)?.parse().ok()?;
    Some((
        status,
        answer
            .split("\r\n\r\n")
            .nth(1)
            .unwrap_or_default()
            .to_string(),
    ))
}

#[test]
fn a_device_killed_under_log_in_load_keeps_every_session_it_answered() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (mut demo, address, password) = start(&data, 0);
    let password = password.expect("the demo prints the staff log-in");
    let body = format!(r#"{{"name":"personale","password":"{password}"}}"#);
    let head = "POST /api/login HTTP/1.1\r\nhost: test\r\ncontent-type: application/json\r\n";
    let answered: Arc<Mutex<Vec<String>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let phones: Vec<_> = (0..4)
        .map(|_| {
            let (address, body, answered, stop) = (
                address.clone(),
                body.clone(),
                answered.clone(),
                stop.clone(),
            );
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    if let Some((200, json)) = request(&address, head, &body) {
                        let json: serde_json::Value = serde_json::from_str(&json).unwrap();
                        let token = json["token"].as_str().unwrap().to_string();
                        answered.lock().unwrap().push(token);
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(4));
    demo.kill().unwrap();
    let _ = demo.wait();
    stop.store(true, Ordering::Relaxed);
    for phone in phones {
        phone.join().unwrap();
    }
    let answered = answered.lock().unwrap().clone();
    println!("{} log-ins answered before the kill", answered.len());
    assert!(answered.len() >= 10, "the load ran: {}", answered.len());

    let store = tryghed::store::Store::open(&data).unwrap();
    let report = store.verify_audit().unwrap();
    assert!(report.intact(), "{report:?}");
    let now = chrono::Utc::now();
    for token in &answered {
        assert!(
            store.session(token, now).unwrap().is_some(),
            "a session answered 200 is stored"
        );
    }
    drop(store);

    // Started again on the same records: the last phone is still logged in.
    let port: u16 = address.rsplit(':').next().unwrap().parse().unwrap();
    let (mut again, address, _) = start(&data, port);
    let token = answered.last().unwrap();
    let me = format!("GET /api/me HTTP/1.1\r\nhost: test\r\nauthorization: Bearer {token}\r\n");
    let answer = request(&address, &me, "");
    let _ = again.kill();
    let _ = again.wait();
    let (status, json) = answer.expect("the device answers after the restart");
    assert_eq!(status, 200, "{json}");
}
