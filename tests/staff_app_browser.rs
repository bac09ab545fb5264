//! The staff app end to end in a real browser (Debian's chromium, headless,
//! driven by playwright-core): `tryghed demo` replays its room, a staff
//! member logs in, sees the resident's card, takes a one-minute look at the
//! live silhouette, and the fall alarm arrives, is acknowledged and resolved;
//! a session ended behind the phone's back is a loud "no alarms" warning;
//! then the case officer records the resident's opposition and the device
//! shuts its camera and microphone (R1.4).
//! Screenshots are kept in target/e2e-screenshots/.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[test]
fn a_fall_reaches_the_staff_app_and_is_acknowledged_and_resolved() {
    let e2e = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e");
    assert!(
        e2e.join("node_modules/playwright-core").is_dir(),
        "scripts/setup installs playwright-core into tests/e2e (npm ci)"
    );
    let data = tempfile::tempdir().unwrap();
    let mut demo = Command::new(env!("CARGO_BIN_EXE_tryghed"))
        .args([
            "--data-dir",
            data.path().join("demo").to_str().unwrap(),
            "demo",
            "--port",
            "0",
            "--seconds",
            "150",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(demo.stdout.take().unwrap()).lines();
    let (mut url, mut password, mut officer, mut installer) = (None, None, None, None);
    for line in lines.by_ref() {
        let line = line.unwrap();
        println!("demo: {line}");
        if let Some(rest) = line.trim().strip_prefix("personale") {
            password = rest.split_whitespace().next().map(str::to_string);
        }
        if let Some(rest) = line.trim().strip_prefix("visitator") {
            officer = rest.split_whitespace().next().map(str::to_string);
        }
        if let Some(rest) = line.trim().strip_prefix("installator") {
            installer = rest.split_whitespace().next().map(str::to_string);
        }
        if let Some(rest) = line.strip_prefix("staff app: ") {
            url = Some(rest.trim().to_string());
            break;
        }
    }
    let (url, password, officer, installer) = (
        url.expect("the demo prints its address"),
        password.expect("and the staff log-in"),
        officer.expect("and the case officer's"),
        installer.expect("and the installer's"),
    );
    // The demo goes on printing its alarms while the browser works.
    let printer = std::thread::spawn(move || lines.map_while(Result::ok).collect::<Vec<_>>());
    let shots = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/e2e-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let browser = Command::new("node")
        .arg(e2e.join("staff_app.mjs"))
        .args([
            &url,
            "personale",
            &password,
            shots.to_str().unwrap(),
            "visitator",
            &officer,
            "installator",
            &installer,
        ])
        .output()
        .unwrap();
    // The demo notices the opposition within a second and shuts its sources.
    std::thread::sleep(std::time::Duration::from_millis(2500));
    let _ = demo.kill();
    let _ = demo.wait();
    let printed = printer.join().unwrap();
    println!("{}", String::from_utf8_lossy(&browser.stdout));
    eprintln!("{}", String::from_utf8_lossy(&browser.stderr));
    println!("demo then printed: {printed:?}");
    println!("screenshots: {}", shots.display());
    assert!(browser.status.success(), "the browser run failed");
    for step in [
        "a wrong password is refused",
        "the resident's card shows the legal basis",
        "a look shows the live silhouette",
        "the fall alarm arrived",
        "acknowledged",
        "resolved: the card is gone",
        "a device that stops answering is a warning on the phone",
        "English on request",
        "the case officer recorded the opposition",
        "refused, naming R11",
        "the § 128 b decision is recorded",
        "the installer sees the camera's tilt and no resident",
    ] {
        assert!(
            String::from_utf8_lossy(&browser.stdout).contains(step),
            "{step}"
        );
    }
    // The store holds each step, by whom, in an intact audit chain.
    let store = tryghed::store::Store::open(&data.path().join("demo")).unwrap();
    assert!(store.verify_audit().unwrap().intact());
    let audit = Command::new("sqlite3")
        .arg(data.path().join("demo/tryghed.sqlite"))
        .arg("SELECT action || ' ' || actor FROM audit")
        .output()
        .unwrap();
    let audit = String::from_utf8_lossy(&audit.stdout);
    assert!(
        audit.contains("alarm.acknowledged personale")
            && audit.contains("alarm.resolved personale"),
        "{audit}"
    );
    assert!(
        audit.contains("look.start personale"),
        "the look is audited: {audit}"
    );
    assert!(
        audit.contains("opposition.record visitator") && audit.contains("gate.shut device"),
        "the opposition shut the sources (R1.4): {audit}"
    );
    assert!(
        printed.iter().any(|l| l.starts_with("video: shut")),
        "{printed:?}"
    );
    // The decision recorded in the app opens the camera again, audited.
    let shut = printed
        .iter()
        .position(|l| l.starts_with("video: shut"))
        .unwrap();
    assert!(
        printed[shut..]
            .iter()
            .any(|l| l.starts_with("video: open (basis demo-1-")),
        "{printed:?}"
    );
    assert!(
        audit.matches("gate.open device").count() >= 3,
        "opened at start (video, sound) and again: {audit}"
    );
}
