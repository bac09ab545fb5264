//! A store that fails under a running device silences no alarm: on a real
//! filesystem filled to the last byte while the hub runs, every step still
//! reaches the phones at once, waits in memory in order, and is stored
//! (audited, in order, once) as soon as the disk takes it again; on a real
//! ext4 disk that fails and turns read-only, the steps reach the phones and
//! wait, and what was stored before stays. The whole device, too: `tryghed
//! demo` keeps watching through a full disk, says the fault, and stores
//! what waited.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tryghed::alarm::{AlarmRequest, AlarmSettings, Step};
use tryghed::care::levels::Level;
use tryghed::deliver::hub::Announced;
use tryghed::deliver::{Clock, Hub};
use tryghed::domain::{Kind, ResidentId};
use tryghed::store::{Store, DATABASE_FILE};

mod common;
use common::Mounted;

fn raise(hub: &Hub, kind: &str) -> Step {
    let request = AlarmRequest {
        room: "A12".into(),
        resident: Some(ResidentId("demo-1".into())),
        kind: kind.into(),
        level: Level::Alarm,
        confidence: 0.9,
        evidence: serde_json::json!({}),
    };
    let case = hub.store().case_file(&ResidentId("demo-1".into())).unwrap();
    let seen_by = if kind == "scream" {
        Kind::Sound
    } else {
        Kind::Video
    };
    let permit = tryghed::policy::permit_alarm(&case, kind, seen_by, request, hub.now()).unwrap();
    hub.raise(permit)
        .unwrap()
        .expect("an alarm level is raised")
}

fn announced(live: &mut tokio::sync::broadcast::Receiver<Announced>) -> Vec<Announced> {
    std::iter::from_fn(|| live.try_recv().ok()).collect()
}

fn hub_on(disk: &Mounted) -> Hub {
    let mut store = Store::open(&disk.data).unwrap();
    tryghed::app::product::demo_records(&mut store, chrono::Utc::now()).unwrap();
    Hub::new(
        store,
        AlarmSettings::default(),
        vec!["mqtt"],
        Clock::system(),
    )
    .unwrap()
}

/// A fall stored, then the disk fails; a scream and the fall's
/// acknowledgement wait, and the phones have both at once, without a place.
fn steps_through_a_fault(hub: &Hub, fail: impl FnOnce(), fault: &str) -> [Step; 3] {
    let mut live = hub.subscribe();
    let fall = raise(hub, "fall");
    assert!(
        matches!(announced(&mut live)[..], [(Some(_), _)]),
        "{fault}: stored at once"
    );
    fail();
    let scream = raise(hub, "scream");
    let ack = hub.acknowledge(&fall.alarm.id, "hanne").unwrap();
    let health = hub.storage_health();
    println!("{fault}: {health:?}");
    assert_eq!(health.waiting, 2, "{fault}");
    assert!(health.failing.is_some(), "{fault}");
    let seen = announced(&mut live);
    let ids: Vec<_> = seen.iter().map(|(p, s)| (*p, s.id.clone())).collect();
    assert_eq!(
        ids,
        [(None, scream.id.clone()), (None, ack.id.clone())],
        "{fault}: the phones have both at once, without a place"
    );
    [fall, scream, ack]
}

#[test]
fn a_full_disk_under_the_hub_loses_no_alarm_step() {
    let Some(disk) = Mounted::tmpfs("2m") else {
        return;
    };
    let fault = "full";
    let hub = hub_on(&disk);
    let mut live = hub.subscribe();
    let mut filler = None;
    let [fall, scream, ack] = steps_through_a_fault(&hub, || filler = Some(disk.fill()), fault);
    announced(&mut live);
    std::fs::remove_file(filler.unwrap()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while hub.storage_health().waiting > 0 && Instant::now() < deadline {
        hub.tick().unwrap();
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(
        hub.storage_health().waiting,
        0,
        "{fault}: stored once the disk takes them"
    );
    assert_eq!(hub.storage_health().failing, None);
    let seen = announced(&mut live);
    let places: Vec<_> = seen
        .iter()
        .map(|(p, s)| (p.is_some(), s.id.clone()))
        .collect();
    assert_eq!(
        places,
        [(true, scream.id.clone()), (true, ack.id.clone())],
        "{fault}: in order"
    );
    let store = hub.store();
    let steps = store.steps_after(0, 100).unwrap();
    let ids: Vec<_> = steps.iter().map(|(_, s)| s.id.clone()).collect();
    assert_eq!(
        ids,
        [fall.id.clone(), scream.id.clone(), ack.id.clone()],
        "{fault}"
    );
    assert!(store.verify_audit().unwrap().intact(), "{fault}");
}

/// A worn disk fails and the kernel turns it read-only, for the open
/// database too: alarms still reach the phones and wait in memory, the
/// fault is said, and everything stored before the failure is on the disk.
#[test]
fn a_disk_that_turns_read_only_under_the_hub_silences_no_alarm() {
    let Some(disk) = Mounted::ext4("16M") else {
        return;
    };
    let hub = hub_on(&disk);
    let [fall, scream, _] = steps_through_a_fault(&hub, || disk.fail_to_read_only(), "read-only");
    // Tried again and again, it still waits, and nothing is given up.
    for _ in 0..3 {
        hub.tick().unwrap();
    }
    let health = hub.storage_health();
    assert!(health.waiting >= 2 && health.dropped == 0, "{health:?}");
    assert!(health.failing.is_some_and(|why| why.contains("Read-only")));
    drop(hub);
    // What was stored before the failure is there, read without writing.
    let file = disk.data.join(DATABASE_FILE);
    let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY;
    let db = rusqlite::Connection::open_with_flags(&file, flags).unwrap();
    let stored: Vec<String> = db
        .prepare("SELECT id FROM alarm_steps ORDER BY rowid")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(stored, [fall.id], "{scream:?} waited in memory");
}

/// The device as shipped: its data disk is full for a while under `tryghed
/// demo`; it goes on, raises `storage_failing`, and everything it raised
/// meanwhile is in the database afterwards.
#[test]
fn the_device_keeps_watching_through_a_full_disk_and_stores_what_waited() {
    let Some(disk) = Mounted::tmpfs("8m") else {
        return;
    };
    let mut demo = Command::new(env!("CARGO_BIN_EXE_tryghed"))
        .args(["--data-dir", disk.data.to_str().unwrap(), "demo"])
        .args(["--port", "0", "--seconds", "45"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let lines = BufReader::new(demo.stdout.take().unwrap()).lines();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            println!("demo: {line}");
            let _ = tx.send(line);
        }
    });
    let wait_for = |what: &str, seconds: u64| -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(seconds);
        let mut seen = Vec::new();
        while let Ok(line) = rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            let found = line.contains(what);
            seen.push(line);
            if found {
                return seen;
            }
        }
        panic!("the demo never said `{what}`: {seen:?}");
    };
    wait_for("staff app:", 60);
    let filler = disk.fill();
    let full_from = chrono::Utc::now();
    let during = wait_for("device fault: the database takes nothing", 15);
    let during_more = wait_for(" s  alarm ", 30);
    let full_until = chrono::Utc::now();
    std::fs::remove_file(filler).unwrap();
    let status = demo.wait().unwrap();
    reader.join().unwrap();
    assert!(
        status.success(),
        "the device went on: {during:?} {during_more:?}"
    );
    let store = Store::open(&disk.data).unwrap();
    assert!(store.verify_audit().unwrap().intact());
    let audit = common::sqlite3(
        disk.data.join(DATABASE_FILE),
        "SELECT at || ' ' || detail FROM audit WHERE action LIKE 'alarm.%'",
    );
    let audit = String::from_utf8_lossy(&audit.stdout);
    // A step is audited at its own time, so these were raised while the
    // disk was full and stored after.
    let raised_meanwhile: Vec<&str> = audit
        .lines()
        .filter(|line| {
            let at = line.split(' ').next().unwrap_or_default();
            chrono::DateTime::parse_from_rfc3339(at)
                .is_ok_and(|at| at >= full_from && at <= full_until)
        })
        .collect();
    println!("raised while full, stored after: {raised_meanwhile:#?}");
    assert!(
        raised_meanwhile
            .iter()
            .any(|l| l.contains("storage_failing")),
        "the fault is on record: {audit}"
    );
    let alarm_line = during_more.last().unwrap();
    let kind = alarm_line.split_whitespace().nth(3).unwrap();
    assert!(
        raised_meanwhile
            .iter()
            .any(|l| l.contains(&format!("\"kind\":\"{kind}\""))),
        "the alarm raised while full ({alarm_line}) was stored: {audit}"
    );
}
