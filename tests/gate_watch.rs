//! A running source is shut by the gate within one second of the law
//! changing (R1.4, R10.1), and both the opening and the shutting are audited.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use common::text;

fn cli(data: &Path, args: &[&str]) {
    let mut all = vec!["--data-dir", data.to_str().unwrap(), "--actor", "K"];
    all.extend_from_slice(args);
    let out = common::tryghed(&all);
    assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
}

fn resident_with_basis(data: &Path, end: Option<&str>) {
    let mut extra = vec!["--supervision-minutes", "5"];
    if let Some(end) = end {
        extra.extend_from_slice(&["--end", end]);
    }
    common::resident_under_136e(data, "video", "fall", &extra);
}

/// Starts the demo for the resident and waits until it analyses frames.
fn running_demo(data: &Path, extra: &[&str]) -> (Child, BufReader<std::process::ChildStdout>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tryghed"))
        .args(["--data-dir", data.to_str().unwrap()])
        .args(["tour", "--resident", "r-017", "--loop", "--fps", "30"])
        .args(["--reason", "a test of the gate"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while stdout.read_line(&mut line).unwrap() > 0 {
        if line.starts_with("frame ") {
            return (child, stdout);
        }
        line.clear();
    }
    let _ = child.kill();
    panic!(
        "the demo never ran: {}",
        text(&child.wait_with_output().unwrap().stderr)
    );
}

/// Reads until the gate's line; the child must then end by itself.
fn shut_line(mut child: Child, mut stdout: BufReader<std::process::ChildStdout>) -> String {
    let deadline = Instant::now() + Duration::from_secs(90);
    let mut line = String::new();
    loop {
        line.clear();
        if stdout.read_line(&mut line).unwrap() == 0 || Instant::now() > deadline {
            let _ = child.kill();
            panic!("the gate never shut the source");
        }
        if line.starts_with("gate: ") {
            break;
        }
    }
    let status = child.wait().unwrap();
    assert!(status.success());
    line
}

#[test]
fn an_opposition_shuts_the_running_source_within_a_second() {
    let dir = tempfile::tempdir().unwrap();
    resident_with_basis(dir.path(), None);
    let (child, stdout) = running_demo(dir.path(), &[]);
    cli(
        dir.path(),
        &[
            "opposition",
            "record",
            "--resident",
            "r-017",
            "--by",
            "resident",
        ],
    );
    let recorded = Utc::now();
    let line = shut_line(child, stdout);
    assert!(line.contains("R1.4"), "{line}");
    let shut_at: DateTime<Utc> = line["gate: source shut at ".len()..]
        .split_once(": ")
        .unwrap()
        .0
        .parse()
        .unwrap();
    let delay = (shut_at - recorded).num_milliseconds();
    println!("source shut {delay} ms after the opposition was recorded");
    assert!(
        delay <= 1000,
        "shut {delay} ms after the opposition (R1.4 requires at once)"
    );
    let out = common::tryghed(&[
        "--data-dir",
        dir.path().to_str().unwrap(),
        "audit",
        "verify",
    ]);
    assert!(out.status.success(), "{}", text(&out.stdout));
    let db = dir.path().join(tryghed::store::DATABASE_FILE);
    let actions = common::sqlite3(&db, "SELECT action FROM audit ORDER BY seq");
    let actions = text(&actions.stdout);
    assert!(
        actions.contains("look.start")
            && actions.contains("gate.shut")
            && actions.contains("look.end"),
        "{actions}"
    );
}

#[test]
fn expiry_shuts_the_running_source() {
    let dir = tempfile::tempdir().unwrap();
    resident_with_basis(dir.path(), Some("2026-06-01T00:00:00Z"));
    // Start a moment before the basis ends, as a what-if.
    let (child, stdout) = running_demo(dir.path(), &["--now", "2026-05-31T23:59:58Z"]);
    let line = shut_line(child, stdout);
    assert!(line.contains("R10.1") && line.contains("expired"), "{line}");
}

#[test]
fn no_source_opens_without_the_gate() {
    let dir = tempfile::tempdir().unwrap();
    cli(
        dir.path(),
        &[
            "resident", "add", "--id", "r-017", "--room", "A12", "--name", "Ellen",
        ],
    );
    let out = common::tryghed(&[
        "--data-dir",
        dir.path().to_str().unwrap(),
        "tour",
        "--resident",
        "r-017",
        "--reason",
        "a test of the gate",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("R1.2: no legal basis is recorded"),
        "{}",
        text(&out.stderr)
    );
    assert!(
        !text(&out.stdout).contains("frame "),
        "no frame may be analysed"
    );
}

#[test]
fn a_basis_for_video_only_keeps_the_sound_closed() {
    let dir = tempfile::tempdir().unwrap();
    resident_with_basis(dir.path(), None);
    let sound = common::fixture("audio/smoke_alarm_t3.wav");
    let out = common::tryghed(&[
        "--data-dir",
        dir.path().to_str().unwrap(),
        "--now",
        "2026-03-01T12:00:00Z",
        "tour",
        "--resident",
        "r-017",
        "--reason",
        "a test of the gate",
        "--fps",
        "200",
        "--audio",
        sound.to_str().unwrap(),
    ]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        stdout.contains("frames with a person"),
        "the video the basis allows ran: {stdout}"
    );
    assert!(
        stdout.contains("sound: not analysed: the gate allows no sound for r-017"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("smoke_alarm"),
        "no sound was analysed: {stdout}"
    );
}

/// The tour for a resident is a look (R3.2): with a reason, for at most
/// the minutes her basis allows, refused where it allows none, and shut
/// at its end; each step on record.
#[test]
fn a_tour_for_a_resident_is_a_look_that_ends_by_itself() {
    let dir = tempfile::tempdir().unwrap();
    resident_with_basis(dir.path(), None);
    let data = dir.path().to_str().unwrap();
    let tour = |extra: &[&str]| {
        let args = ["--data-dir", data, "tour", "--resident", "r-017"];
        common::tryghed(&[&args[..], extra].concat())
    };
    let out = tour(&[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--reason"),
        "{}",
        text(&out.stderr)
    );
    let out = tour(&["--reason", "checking", "--minutes", "6"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("R3.2: a look may last 1 to 5 minutes"),
        "{}",
        text(&out.stderr)
    );
    assert!(!text(&out.stdout).contains("frame "), "nothing was shown");

    // Allowed: one minute, then the tour ends by itself.
    let (child, stdout) = running_demo(dir.path(), &["--minutes", "1"]);
    let line = shut_line(child, stdout);
    assert!(line.contains("R3.2: the look ended"), "{line}");
    let actions = common::sqlite3(
        dir.path().join(tryghed::store::DATABASE_FILE),
        "SELECT action || ' ' || detail FROM audit ORDER BY seq",
    );
    let actions = text(&actions.stdout);
    let looks: Vec<_> = actions.lines().filter(|l| l.starts_with("look.")).collect();
    assert_eq!(looks.len(), 3, "{actions}");
    assert!(looks[0].starts_with("look.refused") && looks[0].contains("R3.2"));
    assert!(looks[1].starts_with("look.start") && looks[1].contains("\"minutes\":1"));
    assert!(looks[2].starts_with("look.end") && looks[2].contains("the look ended"));
}

/// Widens the basis' looks to 60 minutes in the database, as someone
/// going round tryghed would.
fn widen_basis_behind_the_products_back(data: &Path, basis: &str) {
    let sql = format!(
        "UPDATE bases SET data = json_set(data, '$.supervision_max_minutes', 60) WHERE id = '{basis}'"
    );
    let out = common::sqlite3(data.join(tryghed::store::DATABASE_FILE), sql);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn a_record_changed_behind_the_products_back_shuts_the_running_source() {
    let dir = tempfile::tempdir().unwrap();
    resident_with_basis(dir.path(), None);
    let (child, stdout) = running_demo(dir.path(), &[]);
    widen_basis_behind_the_products_back(dir.path(), "b1");
    let line = shut_line(child, stdout);
    assert!(
        line.contains("records: bases b1: the record does not match the audit chain"),
        "{line}"
    );
}

/// The device as shipped: a basis edited in its database while it runs is
/// a `records_tampered` alarm and shuts camera and microphone (audited);
/// started again on the edited records, it opens nothing and says why.
#[test]
fn the_device_shuts_its_sources_and_raises_an_alarm_on_an_edited_record() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let first = common::tryghed(&[
        "--data-dir",
        data,
        "demo",
        "--port",
        "0",
        "--seconds",
        "0.5",
    ]);
    assert!(first.status.success(), "{}", text(&first.stderr));
    let mut demo = Command::new(env!("CARGO_BIN_EXE_tryghed"))
        .args(["--data-dir", data, "demo", "--port", "0", "--seconds", "20"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(demo.stdout.take().unwrap());
    let mut said = String::new();
    let mut read_until = |what: &str, said: &mut String| {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut line = String::new();
        while !line.contains(what) {
            line.clear();
            let read = stdout.read_line(&mut line).unwrap();
            said.push_str(&line);
            assert!(
                read > 0 && Instant::now() < deadline,
                "never `{what}`: {said}"
            );
        }
    };
    read_until("video: open", &mut said);
    widen_basis_behind_the_products_back(dir.path(), "demo-consent");
    read_until("video: shut", &mut said);
    read_until("sound: shut", &mut said);
    assert!(
        said.contains(
            "device fault: bases demo-consent: the record does not match the audit chain"
        ),
        "{said}"
    );
    let _ = common::wait_within(demo, common::COMMAND_DEADLINE);
    let db = dir.path().join(tryghed::store::DATABASE_FILE);
    let query = |sql: &str| {
        let out = common::sqlite3(&db, sql);
        text(&out.stdout)
    };
    let alarms = query("SELECT json_extract(data, '$.kind') || ' ' || open FROM alarms");
    assert!(alarms.contains("records_tampered 1"), "{alarms}");
    let shut = query("SELECT detail FROM audit WHERE action = 'gate.shut'");
    assert!(shut.contains("does not match the audit chain"), "{shut}");

    let again = common::tryghed(&["--data-dir", data, "demo", "--port", "0", "--seconds", "2"]);
    let said = text(&again.stdout);
    assert!(
        said.contains("video: stays off: records: bases demo-consent"),
        "{said}"
    );
    assert!(said.contains("sound: stays off"), "{said}");
}
