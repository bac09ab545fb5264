//! Alarm steps in SQLite: stored with their audit row and an outbox row per
//! outlet before any delivery; the open alarms and what is undelivered
//! survive closing the store (a restart); failed deliveries wait longer
//! each time; delivered ones are not offered again.

use chrono::{DateTime, Duration, Utc};
use tryghed::alarm::{AlarmBook, AlarmSettings, Reason, StepType};
use tryghed::domain::DeviceFault;
use tryghed::policy::permit_device_fault;
use tryghed::store::Store;

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).unwrap() + Duration::seconds(seconds)
}

const OUTLETS: [&str; 3] = ["app", "mqtt", "webhook"];

#[test]
fn steps_are_stored_audited_and_queued_for_every_outlet() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let mut book = AlarmBook::new(AlarmSettings::default());
    let raised = book
        .raise_fault(
            "A12",
            permit_device_fault(DeviceFault::CameraSilent, at(0)),
            "nothing from the camera for 10 s",
            at(0),
        )
        .unwrap();
    store.record_step(&raised, &OUTLETS, "device").unwrap();
    for outlet in OUTLETS {
        let due = store.due(outlet, at(0), 10).unwrap();
        assert_eq!(due.len(), 1, "{outlet}");
        assert_eq!(due[0].step, raised, "{outlet}: the step as raised");
    }
    let ack = book
        .acknowledge(&raised.alarm.id, "nurse Hanne", at(30))
        .unwrap();
    store.record_step(&ack, &OUTLETS, "nurse Hanne").unwrap();
    assert_eq!(
        store
            .due("mqtt", at(30), 10)
            .unwrap()
            .iter()
            .map(|p| p.step.reason)
            .collect::<Vec<_>>(),
        vec![Reason::Raised, Reason::Acknowledged],
        "in order"
    );
    let report = store.verify_audit().unwrap();
    assert!(report.intact(), "{report:?}");
    let rows = std::process::Command::new("sqlite3")
        .arg(dir.path().join("tryghed.sqlite"))
        .arg("SELECT action, actor FROM audit ORDER BY seq")
        .output()
        .unwrap();
    let rows = String::from_utf8_lossy(&rows.stdout);
    assert!(
        rows.contains("alarm.raised|device") && rows.contains("alarm.acknowledged|nurse Hanne"),
        "{rows}"
    );
}

#[test]
fn open_alarms_and_undelivered_steps_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let id = {
        let mut store = Store::open(dir.path()).unwrap();
        let mut book = AlarmBook::new(AlarmSettings::default());
        let raised = book
            .raise_fault(
                "A12",
                permit_device_fault(DeviceFault::MicrophoneSilent, at(0)),
                "nothing from the microphone for 10 s",
                at(0),
            )
            .unwrap();
        store.record_step(&raised, &OUTLETS, "device").unwrap();
        for step in (1..=130).flat_map(|s| book.tick(at(s))) {
            store.record_step(&step, &OUTLETS, "device").unwrap();
        }
        store.delivered(&raised.id, "app", at(1)).unwrap();
        raised.alarm.id
        // The store is dropped here as a process ends.
    };
    let mut store = Store::open(dir.path()).unwrap();
    let open = store.open_alarms().unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(
        (open[0].0.id.as_str(), open[0].1),
        (id.as_str(), 2),
        "the alarm and its last sequence number"
    );
    assert_eq!(store.undelivered("app").unwrap(), 1, "the repeat only");
    assert_eq!(store.undelivered("webhook").unwrap(), 2);
    let mut book = AlarmBook::reopen(AlarmSettings::default(), open, at(130));
    let escalated: Vec<_> = (131..=250).flat_map(|s| book.tick(at(s))).collect();
    assert_eq!(escalated.len(), 1);
    assert_eq!(
        (
            escalated[0].reason,
            escalated[0].sequence,
            escalated[0].step_type
        ),
        (Reason::Escalated, 3, StepType::Update)
    );
    store
        .record_step(&escalated[0], &OUTLETS, "device")
        .unwrap();
    let ack = book.acknowledge(&id, "nurse Ole", at(260)).unwrap();
    store.record_step(&ack, &OUTLETS, "nurse Ole").unwrap();
    let end = book
        .resolve(
            &id,
            "nurse Ole",
            "microphone unplugged by a visitor",
            at(300),
        )
        .unwrap();
    store.record_step(&end, &OUTLETS, "nurse Ole").unwrap();
    assert!(
        store.open_alarms().unwrap().is_empty(),
        "resolved is not open"
    );
    assert_eq!(store.alarm(&id).unwrap().unwrap().state.name(), "resolved");
}

#[test]
fn a_failed_delivery_waits_longer_each_time_and_a_delivered_one_is_not_offered_again() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let mut book = AlarmBook::new(AlarmSettings::default());
    let step = book
        .raise_fault(
            "A12",
            permit_device_fault(DeviceFault::ModelFailed, at(0)),
            "pose landmark model: run failed",
            at(0),
        )
        .unwrap();
    store.record_step(&step, &["webhook"], "device").unwrap();
    store
        .delivery_failed(&step.id, "webhook", "connection refused", at(0))
        .unwrap();
    assert!(
        store.due("webhook", at(0), 10).unwrap().is_empty(),
        "waits 0.5 s"
    );
    assert_eq!(store.due("webhook", at(1), 10).unwrap()[0].attempts, 1);
    store
        .delivery_failed(&step.id, "webhook", "connection refused", at(1))
        .unwrap();
    assert!(
        store
            .due("webhook", at(1) + Duration::milliseconds(900), 10)
            .unwrap()
            .is_empty(),
        "then 1 s"
    );
    assert_eq!(store.due("webhook", at(2), 10).unwrap().len(), 1);
    // The wall clock set back an hour (NTP on a board without a clock
    // chip): the step is not held back for an hour.
    assert_eq!(
        store
            .due("webhook", at(1) - Duration::hours(1), 10)
            .unwrap()
            .len(),
        1,
        "a wait longer than any retry's is a clock set back"
    );
    store.delivered(&step.id, "webhook", at(2)).unwrap();
    assert!(store.due("webhook", at(1000), 10).unwrap().is_empty());
    assert_eq!(store.undelivered("webhook").unwrap(), 0);
}
