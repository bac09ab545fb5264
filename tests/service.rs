//! The device as a systemd service: the unit file shipped in `deploy/` is
//! valid and tightly confined (Debian's `systemd-analyze`), and the device
//! speaks systemd's notify protocol on a real socket: ready once it runs, a
//! watchdog fed every second by the device loop, stopping on SIGTERM, after
//! which it ends cleanly.

use std::os::unix::net::UnixDatagram;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;

fn systemd_analyze(args: &[&str]) -> std::process::Output {
    Command::new("systemd-analyze")
        .args(args)
        .output()
        .expect("systemd-analyze (Debian's systemd; scripts/setup installs it)")
}

#[test]
fn the_unit_file_is_valid_and_tightly_confined() {
    let dir = tempfile::tempdir().unwrap();
    let unit = std::fs::read_to_string(common::repo().join("deploy/tryghed.service")).unwrap();
    // Verified against the binary just built, as it would be installed.
    let unit = unit.replace("/opt/tryghed/tryghed", env!("CARGO_BIN_EXE_tryghed"));
    let file = dir.path().join("tryghed.service");
    std::fs::write(&file, unit).unwrap();
    let file = file.to_str().unwrap();
    let verify = systemd_analyze(&["verify", file]);
    let said = common::text(&verify.stderr);
    assert!(verify.status.success(), "{said}");
    assert!(
        !said.contains("ignoring") && !said.contains("Unknown"),
        "every setting is understood: {said}"
    );
    let security = systemd_analyze(&["security", "--offline=yes", file]);
    let said = common::text(&security.stdout) + &common::text(&security.stderr);
    let exposure: f64 = said
        .split("Overall exposure level for tryghed.service: ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|level| level.parse().ok())
        .unwrap_or_else(|| panic!("no exposure level in: {said}"));
    println!("systemd-analyze security: exposure {exposure} of 10");
    assert!(exposure <= 2.5, "confined (OK is below 2.5 here): {said}");
}

/// Reads what the device tells systemd until `wanted` arrives.
fn hear(socket: &UnixDatagram, wanted: &str, within: Duration) -> Vec<String> {
    let deadline = Instant::now() + within;
    let mut heard = Vec::new();
    let mut buffer = [0u8; 512];
    while Instant::now() < deadline {
        socket
            .set_read_timeout(Some(
                deadline
                    .saturating_duration_since(Instant::now())
                    .max(Duration::from_millis(1)),
            ))
            .unwrap();
        let Ok(n) = socket.recv(&mut buffer) else {
            break;
        };
        let message = String::from_utf8_lossy(&buffer[..n]).into_owned();
        let done = message == wanted;
        heard.push(message);
        if done {
            return heard;
        }
    }
    panic!("systemd never heard {wanted}: {heard:?}");
}

#[test]
fn systemd_hears_ready_a_fed_watchdog_and_stopping_and_sigterm_ends_the_device_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notify");
    let socket = UnixDatagram::bind(&path).unwrap();
    let mut device = Command::new(env!("CARGO_BIN_EXE_tryghed"))
        .args(["--data-dir", dir.path().join("data").to_str().unwrap()])
        .args(["demo", "--port", "0", "--seconds", "120"])
        .env("NOTIFY_SOCKET", &path)
        .env("WATCHDOG_USEC", "5000000")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let before = hear(&socket, "READY=1", Duration::from_secs(90));
    assert!(
        !before.iter().any(|m| m == "WATCHDOG=1"),
        "fed only once running: {before:?}"
    );
    let started = Instant::now();
    let mut fed = 0;
    while started.elapsed() < Duration::from_secs(4) {
        fed += hear(&socket, "WATCHDOG=1", Duration::from_secs(3)).len();
    }
    assert!(fed >= 3, "fed about every second: {fed} in 4 s");
    let term = Command::new("kill")
        .args(["-TERM", &device.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    hear(&socket, "STOPPING=1", Duration::from_secs(10));
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = device.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "SIGTERM ends the device within 20 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "a clean end, not a kill: {status:?}");
}
