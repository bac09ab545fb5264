//! Enrolment under the hub's own authority (issue 16, item 2), against a
//! real mosquitto run with the settings `tryghed hub broker` writes: a
//! device publishes under its own room only, a device without a
//! certificate or with one from another authority is refused, and a room
//! name that could widen the access rules is refused at enrolment.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::text;

fn hub(args: &[&str]) -> std::process::Output {
    common::tryghed(&[&["hub"][..], args].concat())
}

fn publish(flags: &[String], topic: &str, message: &str) -> bool {
    let mut command = Command::new("mosquitto_pub");
    command
        .args(flags)
        .args(["-t", topic, "-m", message, "-q", "1"]);
    common::output_within(&mut command, Duration::from_secs(20))
        .status
        .success()
}

#[test]
fn a_device_speaks_for_its_own_room_only() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("hub");
    let home_s = home.to_str().unwrap();
    let port = common::free_port();
    assert!(hub(&["init", "--dir", home_s]).status.success());
    let again = hub(&["init", "--dir", home_s]);
    assert_eq!(again.status.code(), Some(2), "one hub, one authority");
    for room in ["A12", "B03"] {
        let out = hub(&[
            "enrol",
            "--dir",
            home_s,
            "--room",
            room,
            "--broker",
            &format!("127.0.0.1:{port}"),
        ]);
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    for bad in ["a/b", "+", "#", "hub", "A 12", ""] {
        let out = hub(&["enrol", "--dir", home_s, "--room", bad]);
        assert_eq!(
            out.status.code(),
            Some(2),
            "room `{bad}`: {}",
            text(&out.stderr)
        );
    }
    let bundle = std::fs::read_to_string(home.join("devices/A12/bundle.toml")).unwrap();
    assert!(bundle.contains("room = \"A12\"") && bundle.contains(&format!("127.0.0.1:{port}")));
    let port_s = port.to_string();
    let out = hub(&[
        "broker",
        "--dir",
        home_s,
        "--bind",
        "127.0.0.1",
        "--port",
        &port_s,
        "--user",
        "root",
        "--address",
        "127.0.0.1",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));

    let _broker = common::start_mosquitto(&home, port);
    let ca = home.join("hub-ca.pem");
    let mut subscriber = Command::new("mosquitto_sub")
        .args(common::mqtt_tls(&ca, &home.join("hub-client/hub"), port))
        .args(["-t", "tryghed/#", "-v", "-q", "1"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let heard = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = heard.clone();
    let lines = BufReader::new(subscriber.stdout.take().unwrap()).lines();
    std::thread::spawn(move || {
        lines
            .map_while(Result::ok)
            .for_each(|l| sink.lock().unwrap().push(l))
    });
    std::thread::sleep(Duration::from_millis(800));

    let a12 = common::mqtt_tls(&ca, &home.join("devices/A12/device"), port);
    let b03 = common::mqtt_tls(&ca, &home.join("devices/B03/device"), port);
    assert!(publish(&a12, "tryghed/v1/A12/event", "from A12"));
    // The broker takes it, and drops it: A12 may not speak for B03.
    publish(&a12, "tryghed/v1/B03/event", "A12 posing as B03");
    assert!(publish(&b03, "tryghed/v1/B03/event", "from B03"));
    // No certificate, or one from another authority: no connection.
    let none = [
        "--cafile",
        ca.to_str().unwrap(),
        "-h",
        "127.0.0.1",
        "-p",
        &port_s,
    ]
    .map(str::to_string);
    assert!(!publish(&none, "tryghed/v1/A12/event", "anonymous"));
    let stranger = dir.path().join("stranger");
    assert!(hub(&["init", "--dir", stranger.to_str().unwrap()])
        .status
        .success());
    assert!(hub(&[
        "enrol",
        "--dir",
        stranger.to_str().unwrap(),
        "--room",
        "A12"
    ])
    .status
    .success());
    let foreign = common::mqtt_tls(&ca, &stranger.join("devices/A12/device"), port);
    assert!(!publish(
        &foreign,
        "tryghed/v1/A12/event",
        "another hub's A12"
    ));

    let deadline = Instant::now() + Duration::from_secs(20);
    while heard.lock().unwrap().len() < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(500));
    let _ = subscriber.kill();
    let _ = subscriber.wait();
    assert_eq!(
        *heard.lock().unwrap(),
        [
            "tryghed/v1/A12/event from A12",
            "tryghed/v1/B03/event from B03"
        ]
    );
}
