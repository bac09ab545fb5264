//! One door to live sources (R1.2): every command that opens a live camera
//! or microphone (`listen`, `tour --camera`, `run`) opens it only at the
//! real time, for a resident's current basis or under an installer's test
//! permit for a room where nobody lives; `--now` never opens one. Each
//! opening and shutting is audited, and a resident moving into a room
//! under test shuts the test's microphone at once.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::{output_within, text, wait_within, PipeFeeder};
use tryghed::domain::ResidentId;
use tryghed::policy::{Opposition, Party, Resident};
use tryghed::store::Store;

/// A data folder with the demo's resident (demo-1 in room A12, a basis
/// that allows video and sound now) and a HOME whose `.asoundrc` feeds
/// capture device `filein` from `raw`.
struct Room {
    data: tempfile::TempDir,
    home: tempfile::TempDir,
}

impl Room {
    fn new(raw: &Path) -> Room {
        let data = tempfile::tempdir().unwrap();
        let mut store = Store::open(data.path()).unwrap();
        tryghed::app::product::demo_records(&mut store, chrono::Utc::now()).unwrap();
        let home = tempfile::tempdir().unwrap();
        let config = format!(
            "pcm.filein {{\n  type file\n  slave.pcm \"null\"\n  file \"/dev/null\"\n  infile \"{}\"\n  format \"raw\"\n}}\n",
            raw.display()
        );
        std::fs::write(home.path().join(".asoundrc"), config).unwrap();
        Room { data, home }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_tryghed"));
        command
            .arg("--data-dir")
            .arg(self.data.path())
            .args(args)
            .env("HOME", self.home.path())
            .env_remove("TRYGHED_LOG");
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        output_within(&mut self.command(args), Duration::from_secs(120))
    }

    fn audit(&self) -> Vec<String> {
        let out = common::sqlite3(
            self.data.path().join(tryghed::store::DATABASE_FILE),
            "SELECT action || ' ' || subject || ' ' || detail FROM audit ORDER BY seq",
        );
        text(&out.stdout).lines().map(str::to_string).collect()
    }
}

/// Refused as the user's to fix (exit 2), the error saying `why`.
fn refused(out: &Output, why: &str) {
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{why}: {stderr}");
    assert!(stderr.contains(why), "expected `{why}` in: {stderr}");
}

fn silence(dir: &Path, seconds: usize) -> std::path::PathBuf {
    let raw = dir.join("silence.raw");
    std::fs::write(&raw, vec![0u8; 32_000 * seconds]).unwrap();
    raw
}

const PAST: &str = "2026-01-01T00:00:00Z";

#[test]
fn every_live_command_opens_only_for_a_basis_or_a_test_permit_at_the_real_time() {
    let dir = tempfile::tempdir().unwrap();
    let room = Room::new(&silence(dir.path(), 3));
    let listen = ["listen", "--microphone", "filein", "--seconds", "1"];

    // R1.2: no door named, no source.
    refused(&room.run(&listen), "--resident");
    refused(
        &room.run(&["tour", "--camera", "0"]),
        "tour --camera needs --resident ID or --room ROOM",
    );
    // `--now` is for records and reports, never for a live source.
    let what_if = "--now is for records and reports";
    refused(
        &room.run(&["--now", PAST, "listen", "--resident", "demo-1"]),
        what_if,
    );
    refused(
        &room.run(&[
            "--now",
            PAST,
            "tour",
            "--camera",
            "0",
            "--resident",
            "demo-1",
        ]),
        what_if,
    );
    refused(&room.run(&["--now", PAST, "run"]), what_if);

    // Where a resident lives, only her basis opens a source.
    let lives = "resident demo-1 lives in room A12";
    let grant = |room_name: &str| {
        room.run(&[
            "room",
            "test-permit",
            "--room",
            room_name,
            "--reason",
            "mounting the camera",
        ])
    };
    refused(&grant("A12"), lives);
    refused(
        &room.run(&[&listen[..], &["--room", "A12"]].concat()),
        lives,
    );
    // An empty room needs a permit that holds now: one recorded for a
    // past time (records may be) has ended by the real clock.
    refused(
        &room.run(&[&listen[..], &["--room", "B07"]].concat()),
        "no test permit now",
    );
    let past = room.run(&[
        "--now",
        PAST,
        "room",
        "test-permit",
        "--room",
        "B08",
        "--minutes",
        "5",
        "--reason",
        "old",
    ]);
    assert!(past.status.success(), "{}", text(&past.stderr));
    refused(
        &room.run(&[&listen[..], &["--room", "B08"]].concat()),
        "no test permit now",
    );

    // A permit that holds now, and the resident's own basis, open the door.
    assert!(grant("B07").status.success());
    let out = room.run(&[&listen[..], &["--room", "B07"]].concat());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = room.run(&[&listen[..], &["--resident", "demo-1"]].concat());
    assert!(out.status.success(), "{}", text(&out.stderr));

    // An opposition shuts every door for her (R1.4).
    let mut store = Store::open(room.data.path()).unwrap();
    let now = chrono::Utc::now();
    let opposition = Opposition {
        resident: ResidentId("demo-1".into()),
        by: Party::Resident,
        at: now,
    };
    store.record_opposition(&opposition, "test", now).unwrap();
    drop(store);
    refused(
        &room.run(&[&listen[..], &["--resident", "demo-1"]].concat()),
        "does not open the sound source for demo-1",
    );

    let audit = room.audit();
    let opened: Vec<_> = audit
        .iter()
        .filter(|row| row.starts_with("live.open") || row.starts_with("gate.open"))
        .collect();
    println!("{audit:#?}");
    assert_eq!(opened.len(), 2, "each opening is on record: {audit:#?}");
    assert!(opened[0].starts_with("live.open B07 ") && opened[0].contains("\"kind\":\"sound\""));
    assert!(opened[1].starts_with("gate.open demo-1 "));
    assert!(audit
        .iter()
        .any(|row| row.starts_with("room.test_permit B07 ")));
    let closed = audit
        .iter()
        .filter(|row| row.starts_with("live.close "))
        .count();
    assert_eq!(closed, 2, "and each end: {audit:#?}");
}

#[test]
fn a_resident_moving_into_a_room_under_test_shuts_its_microphone_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("mic.fifo");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let room = Room::new(&fifo);
    let granted = room.run(&[
        "room",
        "test-permit",
        "--room",
        "B07",
        "--reason",
        "microphone test",
    ]);
    assert!(granted.status.success(), "{}", text(&granted.stderr));
    let feeder = PipeFeeder::start(&fifo);
    let listening = room
        .command(&[
            "listen",
            "--room",
            "B07",
            "--microphone",
            "filein",
            "--json",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(2));
    let mut store = Store::open(room.data.path()).unwrap();
    let resident = Resident {
        id: ResidentId("r-new".into()),
        room: "B07".into(),
        display_name: "Ny beboer".into(),
        representatives: vec![],
    };
    store
        .add_resident(&resident, "test", chrono::Utc::now())
        .unwrap();
    drop(store);
    let out = wait_within(listening, Duration::from_secs(120));
    drop(feeder);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    let shut = stdout
        .lines()
        .find(|l| l.contains("\"type\":\"shut\""))
        .unwrap_or_else(|| panic!("no shut line: {stdout}"));
    assert!(shut.contains("resident r-new lives in room B07"), "{shut}");
    let audit = room.audit();
    assert!(
        audit.iter().any(|row| row.starts_with("live.shut B07 ")),
        "{audit:#?}"
    );
}
