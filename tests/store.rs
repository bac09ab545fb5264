//! The store: records survive, rules are enforced on the way in, nothing is
//! half-written, and the audit chain exposes any edit or deletion made
//! behind the device's back (with the real `sqlite3` tool).

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Months, Utc};
use tryghed::domain::{Kind, ResidentId};
use tryghed::policy::*;
use tryghed::store::{Store, StoreError, DATABASE_FILE};

mod common;
use common::Mounted;

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn resident(id: &str) -> Resident {
    Resident {
        id: ResidentId(id.into()),
        room: "A12".into(),
        display_name: "Ellen".into(),
        representatives: vec![Representative {
            id: "rep-1".into(),
            name: "Guardian G".into(),
            role: RepresentativeRole::Guardian,
            covers_personal_matters: true,
            since: None,
            ended: None,
        }],
    }
}

fn basis_128b(id: &str, resident: &str, start: &str, months: u32) -> LegalBasis {
    let start = t(start);
    let before = start - Duration::days(3);
    LegalBasis {
        id: id.into(),
        resident: ResidentId(resident.into()),
        basis_type: BasisType::Sel128b,
        kinds: [Kind::Video].into_iter().collect::<BTreeSet<_>>(),
        reactive_alarm: true,
        supervision_max_minutes: None,
        start,
        end: start.checked_add_months(Months::new(months)),
        decided_by: "case officer K".into(),
        hearing: Some(Hearing {
            heard: "rep-1".into(),
            at: before,
        }),
        informed: vec![],
        consent: None,
        documents: CaseDocuments {
            diagnosis: Some("d-1".into()),
            earlier_efforts: Some("e-1".into()),
            action_plan: Some("a-1".into()),
            skema_3: Some("s3-1".into()),
        },
        dpia: Some(DpiaAssessment {
            at: before,
            outcome: DpiaOutcome::NotNeeded,
        }),
        signals: ["fall".to_string()].into_iter().collect(),
        stopped: None,
        facts: BasisFacts {
            target_group: Some(TargetGroup {
                ground: TargetGround::ReducedFunction,
                reference: "t-1".into(),
            }),
            purposes: [Purpose::InjuryRisk].into_iter().collect(),
            catalogue: Some(CatalogueGrant::Beyond("assessment 12".into())),
        },
    }
}

fn filled_store(dir: &std::path::Path) -> Store {
    let mut store = Store::open(dir).unwrap();
    let now = t("2026-01-01T09:00:00Z");
    store.add_resident(&resident("r-017"), "K", now).unwrap();
    store
        .record_basis(
            &basis_128b("b1", "r-017", "2026-01-01T08:00:00Z", 12),
            "K",
            now,
        )
        .unwrap();
    let disclosure = AiDisclosure {
        resident: ResidentId("r-017".into()),
        informed: Party::Resident,
        by: "K".into(),
        at: now,
        how: "in person".into(),
    };
    store.record_disclosure(&disclosure, "K", now).unwrap();
    store
        .record_opposition(
            &Opposition {
                resident: ResidentId("r-017".into()),
                by: Party::Resident,
                at: now,
            },
            "K",
            now,
        )
        .unwrap();
    store
}

fn sqlite3(dir: &std::path::Path, sql: &str) {
    let out = common::sqlite3(dir.join(DATABASE_FILE), sql);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn records_come_back_as_the_gate_needs_them() {
    let dir = tempfile::tempdir().unwrap();
    drop(filled_store(dir.path()));
    let store = Store::open(dir.path()).unwrap();
    let case = store.case_file(&ResidentId("r-017".into())).unwrap();
    assert_eq!(
        (
            case.bases.len(),
            case.disclosures.len(),
            case.oppositions.len()
        ),
        (1, 1, 1)
    );
    // § 128 b runs despite the opposition (R1.4); video allowed, AI disclosed.
    assert!(may_open(&case, Kind::Video, t("2026-03-01T00:00:00Z")).is_ok());
    assert_eq!(
        may_open(&case, Kind::Sound, t("2026-03-01T00:00:00Z"))
            .unwrap_err()
            .rule,
        "R2.1"
    );
}

#[test]
fn refusals_name_their_rule_and_leave_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = filled_store(dir.path());
    let now = t("2026-01-02T00:00:00Z");
    let rows_before = store.verify_audit().unwrap().rows;
    let too_long = basis_128b("b2", "r-017", "2028-01-01T08:00:00Z", 13);
    match store.record_basis(&too_long, "K", now) {
        Err(StoreError::Refused(r)) => assert_eq!(r[0].rule, "R10.1"),
        other => panic!("{other:?}"),
    }
    let overlapping = basis_128b("b3", "r-017", "2026-06-01T08:00:00Z", 6);
    match store.record_basis(&overlapping, "K", now) {
        Err(StoreError::Refused(r)) => assert!(r[0].message.contains("overlaps basis b1"), "{r:?}"),
        other => panic!("{other:?}"),
    }
    let mut backwards = basis_128b("b4", "r-017", "2028-01-01T08:00:00Z", 6);
    backwards.end = Some(backwards.start - Duration::days(1));
    assert!(matches!(
        store.record_basis(&backwards, "K", now),
        Err(StoreError::Refused(_))
    ));
    let stranger = basis_128b("b5", "r-999", "2028-01-01T08:00:00Z", 6);
    assert!(matches!(
        store.record_basis(&stranger, "K", now),
        Err(StoreError::UnknownResident(_))
    ));
    assert!(matches!(
        store.add_resident(&resident("r-017"), "K", now),
        Err(StoreError::ResidentExists(_))
    ));
    assert!(matches!(
        store.record_basis(
            &basis_128b("b1", "r-017", "2029-01-01T08:00:00Z", 6),
            "K",
            now
        ),
        Err(StoreError::BasisExists(_))
    ));
    assert_eq!(
        store.verify_audit().unwrap().rows,
        rows_before,
        "a refused change writes no audit row"
    );
    assert_eq!(
        store
            .case_file(&ResidentId("r-017".into()))
            .unwrap()
            .bases
            .len(),
        1
    );
}

#[test]
fn an_early_stop_is_recorded_and_audited() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = filled_store(dir.path());
    let stop = EarlyStop {
        at: t("2026-02-01T00:00:00Z"),
        by: "K".into(),
        reason: "need ended".into(),
    };
    store
        .stop_basis("b1", stop.clone(), "K", t("2026-02-01T00:00:00Z"))
        .unwrap();
    let case = store.case_file(&ResidentId("r-017".into())).unwrap();
    assert_eq!(
        may_open(&case, Kind::Video, t("2026-02-02T00:00:00Z"))
            .unwrap_err()
            .rule,
        "R10.3"
    );
    assert!(matches!(
        store.stop_basis("b1", stop, "K", t("2026-02-03T00:00:00Z")),
        Err(StoreError::Refused(_))
    ));
    assert!(store.verify_audit().unwrap().intact());
}

#[test]
fn the_audit_chain_is_intact_when_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let store = filled_store(dir.path());
    let report = store.verify_audit().unwrap();
    assert_eq!(report.rows, 4);
    assert!(report.intact(), "{report:?}");
}

#[test]
fn an_edited_row_is_named() {
    let dir = tempfile::tempdir().unwrap();
    drop(filled_store(dir.path()));
    sqlite3(
        dir.path(),
        "UPDATE audit SET actor = 'someone else' WHERE seq = 2",
    );
    let report = Store::open(dir.path()).unwrap().verify_audit().unwrap();
    assert_eq!(report.faults.first().map(|f| f.seq), Some(2), "{report:?}");
    assert!(report.faults[0].problem.contains("edited"));
}

#[test]
fn a_deleted_row_is_named() {
    let dir = tempfile::tempdir().unwrap();
    drop(filled_store(dir.path()));
    sqlite3(dir.path(), "DELETE FROM audit WHERE seq = 3");
    let report = Store::open(dir.path()).unwrap().verify_audit().unwrap();
    assert_eq!(report.faults.first().map(|f| f.seq), Some(3), "{report:?}");
    assert!(report.faults[0].problem.contains("missing"));
}

#[test]
fn a_deleted_last_row_is_named() {
    let dir = tempfile::tempdir().unwrap();
    drop(filled_store(dir.path()));
    sqlite3(dir.path(), "DELETE FROM audit WHERE seq = 4");
    let report = Store::open(dir.path()).unwrap().verify_audit().unwrap();
    assert_eq!(report.faults.first().map(|f| f.seq), Some(4), "{report:?}");
}

#[test]
fn an_edited_record_with_a_recomputed_hash_still_breaks_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    drop(filled_store(dir.path()));
    // Whoever edits a row and fixes its own hash still breaks the next link.
    sqlite3(dir.path(), "UPDATE audit SET hash = 'f00d' WHERE seq = 2");
    let report = Store::open(dir.path()).unwrap().verify_audit().unwrap();
    let seqs: Vec<i64> = report.faults.iter().map(|f| f.seq).collect();
    assert!(seqs.contains(&2) && seqs.contains(&3), "{report:?}");
}

#[test]
fn a_database_from_a_newer_version_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    drop(filled_store(dir.path()));
    sqlite3(dir.path(), "PRAGMA user_version = 99");
    let before = std::fs::read(dir.path().join(DATABASE_FILE)).unwrap();
    let err = Store::open(dir.path()).err().expect("refused");
    assert!(
        matches!(err, StoreError::NewerSchema { found: 99, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("newer"));
    assert_eq!(
        std::fs::read(dir.path().join(DATABASE_FILE)).unwrap(),
        before
    );
}

#[test]
fn a_data_directory_that_cannot_be_used_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let not_a_dir = dir.path().join("file");
    std::fs::write(&not_a_dir, "x").unwrap();
    let err = Store::open(&not_a_dir).err().expect("refused");
    assert!(
        err.to_string().contains("cannot use the data directory"),
        "{err}"
    );
}

#[test]
fn an_older_database_is_upgraded_and_keeps_its_records() {
    let dir = tempfile::tempdir().unwrap();
    drop(filled_store(dir.path()));
    // As the first release left it: no complaints or alarm tables, schema 1.
    sqlite3(dir.path(), "DROP TABLE device_events; DROP TABLE hub_outbox; DROP TABLE record_seals; DROP TABLE test_permits; DROP TABLE audit_anchor; DROP TABLE store_probe; DROP TABLE sessions; DROP TABLE camera_up; DROP TABLE users; DROP TABLE outbox; DROP TABLE alarm_steps; DROP TABLE alarms; DROP TABLE complaints; PRAGMA user_version = 1;");
    let mut store = Store::open(dir.path()).unwrap();
    assert_eq!(
        store
            .case_file(&ResidentId("r-017".into()))
            .unwrap()
            .bases
            .len(),
        1
    );
    let complaint = Complaint {
        id: "c1".into(),
        resident: ResidentId("r-017".into()),
        basis_id: "b1".into(),
        by: Complainant::Resident,
        resident_cannot: false,
        decision_received: t("2026-01-02T00:00:00Z"),
        received: t("2026-01-10T00:00:00Z"),
        reassessment: None,
    };
    store
        .record_complaint(&complaint, "K", t("2026-01-10T00:00:00Z"))
        .unwrap();
    assert!(store.verify_audit().unwrap().intact());
}

/// A tmpfs of `size` holding a filled store; `None` (said aloud) without root.
fn small_filesystem(size: &str) -> Option<Mounted> {
    let mounted = Mounted::tmpfs(size)?;
    drop(filled_store(&mounted.data));
    Some(mounted)
}

#[test]
fn a_full_data_directory_is_a_clear_error_and_loses_nothing() {
    let Some(mounted) = small_filesystem("512k") else {
        return;
    };
    let data = mounted.data.clone();
    let filler = mounted.fill();
    let mut store = Store::open(&data).unwrap();
    let mut recorded = 0;
    let mut error = None;
    for _ in 0..20_000 {
        let opposition = Opposition {
            resident: ResidentId("r-017".into()),
            by: Party::Resident,
            at: t("2026-02-01T00:00:00Z"),
        };
        match store.record_opposition(&opposition, "K", t("2026-02-01T00:00:00Z")) {
            Ok(()) => recorded += 1,
            Err(e) => {
                error = Some(e);
                break;
            }
        }
    }
    let error = error.expect("the disk filled up");
    println!("disk full after {recorded} more records: {error}");
    assert!(error.to_string().contains("full"), "{error}");
    drop(store);
    std::fs::remove_file(filler).unwrap();
    let store = Store::open(&data).unwrap();
    assert_eq!(
        store
            .case_file(&ResidentId("r-017".into()))
            .unwrap()
            .oppositions
            .len(),
        1 + recorded,
        "every change before the error is kept, none after"
    );
    let report = store.verify_audit().unwrap();
    assert!(report.intact(), "{report:?}");
}

#[test]
fn a_read_only_data_directory_is_a_clear_error_and_loses_nothing() {
    let Some(mounted) = small_filesystem("1m") else {
        return;
    };
    let data = mounted.data.clone();
    mounted.read_only(true);
    let now = t("2026-02-01T00:00:00Z");
    let result = Store::open(&data).and_then(|mut s| {
        s.record_opposition(
            &Opposition {
                resident: ResidentId("r-017".into()),
                by: Party::Resident,
                at: now,
            },
            "K",
            now,
        )
    });
    let error = result.expect_err("nothing can be written");
    println!("read-only: {error}");
    assert!(
        error.to_string().contains("data") && error.to_string().contains("Read-only"),
        "{error}"
    );
    mounted.read_only(false);
    let store = Store::open(&data).unwrap();
    assert_eq!(
        store
            .case_file(&ResidentId("r-017".into()))
            .unwrap()
            .oppositions
            .len(),
        1
    );
    assert!(store.verify_audit().unwrap().intact());
}

#[test]
fn the_cameras_learnt_tilt_survives_a_restart_and_the_newest_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let at = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap();
    {
        let mut store = Store::open(dir.path()).unwrap();
        assert_eq!(store.camera_up().unwrap(), None, "nothing learnt yet");
        for frames in [300, 600] {
            let learnt = tryghed::store::LearntUp {
                up: [0.0, -0.9, -0.1 * (frames / 300) as f32],
                frames,
                kept_at: at,
            };
            store.keep_camera_up(&learnt).unwrap();
        }
    }
    let kept = Store::open(dir.path())
        .unwrap()
        .camera_up()
        .unwrap()
        .unwrap();
    assert_eq!(
        (kept.up, kept.frames, kept.kept_at),
        ([0.0, -0.9, -0.2], 600, at)
    );
}

fn dump(dir: &std::path::Path) -> String {
    let out = common::sqlite3(dir.join(DATABASE_FILE), ".dump");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_session_outlives_a_restart_is_kept_only_as_a_hash_and_ends_when_it_should() {
    let dir = tempfile::tempdir().unwrap();
    let now = t("2026-06-01T20:00:00Z");
    let shift_end = now + Duration::hours(12);
    let token = "7f".repeat(32);
    {
        let mut store = Store::open(dir.path()).unwrap();
        store
            .add_user(
                "hanne",
                tryghed::store::Role::Staff,
                &[],
                "a long enough password",
                "K",
                now,
            )
            .unwrap();
        store
            .start_session(&token, "hanne", shift_end, now)
            .unwrap();
    }
    assert!(
        !dump(dir.path()).contains(&token),
        "only the token's hash is stored"
    );
    let mut store = Store::open(dir.path()).unwrap();
    let session = store.session(&token, now + Duration::hours(1)).unwrap();
    assert_eq!(
        session.map(|s| s.user.name),
        Some("hanne".to_string()),
        "after a restart"
    );
    assert_eq!(store.session(&token, shift_end).unwrap(), None, "expired");
    assert_eq!(
        store.session(&"00".repeat(32), now).unwrap(),
        None,
        "unknown"
    );
    assert!(store.end_session(&token, now).unwrap());
    assert_eq!(store.session(&token, now).unwrap(), None, "logged out");
    assert!(!store.end_session(&token, now).unwrap(), "ends once");
    assert!(store.verify_audit().unwrap().intact());
}

#[test]
fn a_disabled_user_or_a_new_password_ends_every_session_at_once() {
    use tryghed::store::Role;
    let dir = tempfile::tempdir().unwrap();
    let now = t("2026-06-01T20:00:00Z");
    let later = now + Duration::hours(12);
    let (phone, tablet) = ("1a".repeat(32), "2b".repeat(32));
    let mut store = Store::open(dir.path()).unwrap();
    store
        .add_user(
            "hanne",
            Role::Staff,
            &[],
            "a long enough password",
            "K",
            now,
        )
        .unwrap();
    store.start_session(&phone, "hanne", later, now).unwrap();
    store.start_session(&tablet, "hanne", later, now).unwrap();
    assert_eq!(store.disable_user("hanne", "K", now).unwrap(), 2);
    assert_eq!(store.session(&phone, now).unwrap(), None);
    assert_eq!(store.session(&tablet, now).unwrap(), None);
    assert!(
        store
            .check_password("hanne", "a long enough password")
            .unwrap()
            .is_none(),
        "a disabled user cannot log in"
    );
    store.enable_user("hanne", "K", now).unwrap();
    assert!(store
        .check_password("hanne", "a long enough password")
        .unwrap()
        .is_some());
    assert_eq!(
        store.session(&phone, now).unwrap(),
        None,
        "ended sessions stay ended"
    );

    store
        .start_session(&phone, "hanne", later, now)
        .unwrap_err();
    let phone = "3c".repeat(32);
    store.start_session(&phone, "hanne", later, now).unwrap();
    let short = store.set_password("hanne", "short", "K", now).unwrap_err();
    assert!(
        short.to_string().contains("at least 10 characters"),
        "{short}"
    );
    assert!(
        store.session(&phone, now).unwrap().is_some(),
        "a refused password changes nothing"
    );
    assert_eq!(
        store
            .set_password("hanne", "another long password", "K", now)
            .unwrap(),
        1
    );
    assert_eq!(store.session(&phone, now).unwrap(), None);
    assert!(store
        .check_password("hanne", "a long enough password")
        .unwrap()
        .is_none());
    assert!(store
        .check_password("hanne", "another long password")
        .unwrap()
        .is_some());
    assert!(matches!(
        store.disable_user("nobody", "K", now),
        Err(StoreError::UnknownUser(_))
    ));
    let actions = dump(dir.path());
    for action in [
        "user.disable",
        "user.enable",
        "user.password",
        "session.start",
    ] {
        assert!(actions.contains(action), "{action} is audited");
    }
    assert!(!actions.contains("another long password"));
    assert!(store.verify_audit().unwrap().intact());
}

#[test]
fn old_alarm_history_and_audit_rows_are_deleted_and_the_chain_still_verifies() {
    use tryghed::alarm::{AlarmBook, AlarmSettings};
    use tryghed::domain::DeviceFault;
    use tryghed::store::Retention;
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let day = |d: i64| t("2026-01-01T00:00:00Z") + Duration::days(d);
    let mut book = AlarmBook::new(AlarmSettings::default());
    let mut record = |step: tryghed::alarm::Step| {
        store.record_step(&step, &["mqtt"], "device").unwrap();
        step
    };
    let fault = |d| permit_device_fault(DeviceFault::CameraSilent, day(d));
    // Resolved on day 1: deleted. Never resolved: kept. Resolved on day 95: kept.
    let old = record(book.raise_fault("A12", fault(0), "dark", day(0)).unwrap());
    record(book.acknowledge(&old.alarm.id, "hanne", day(0)).unwrap());
    record(
        book.resolve(&old.alarm.id, "hanne", "cable", day(1))
            .unwrap(),
    );
    let open = record(book.raise_fault("B03", fault(0), "dark", day(0)).unwrap());
    let recent = record(book.raise_fault("A14", fault(95), "dark", day(95)).unwrap());
    record(book.acknowledge(&recent.alarm.id, "ole", day(95)).unwrap());
    record(
        book.resolve(&recent.alarm.id, "ole", "lens", day(95))
            .unwrap(),
    );
    let keep = Retention {
        alarm_days: 90,
        audit_days: 30,
    };
    let pruned = store.prune(&keep, "K", day(100)).unwrap();
    println!("{pruned:?}");
    assert_eq!(
        (
            pruned.alarms,
            pruned.steps,
            pruned.outbox_rows,
            pruned.audit_rows
        ),
        (1, 3, 3, 4),
        "the old alarm's three steps; the four audit rows of day 0 and 1"
    );
    let report = store.verify_audit().unwrap();
    assert!(report.intact(), "{report:?}");
    assert_eq!(report.rows, 4, "day 95's three rows and the pruning's own");
    let kept: Vec<_> = store.steps_after(0, 100).unwrap();
    let alarms: BTreeSet<_> = kept.iter().map(|(_, s)| s.alarm.id.clone()).collect();
    assert_eq!(
        alarms,
        BTreeSet::from([open.alarm.id.clone(), recent.alarm.id.clone()])
    );
    assert_eq!(
        store.open_alarms().unwrap().len(),
        1,
        "an open alarm is never deleted"
    );
    let again = store.prune(&keep, "K", day(100)).unwrap();
    assert!(again.nothing());
    assert_eq!(
        store.verify_audit().unwrap().rows,
        4,
        "nothing deleted, nothing written"
    );
    drop(store);
    // Behind the device's back: the oldest row deleted and the anchor moved on.
    sqlite3(
        dir.path(),
        "UPDATE audit_anchor SET seq = seq + 1, hash = (SELECT hash FROM audit ORDER BY seq LIMIT 1);
         DELETE FROM audit WHERE seq = (SELECT MIN(seq) FROM audit);",
    );
    let report = Store::open(dir.path()).unwrap().verify_audit().unwrap();
    assert!(
        report
            .faults
            .iter()
            .any(|f| f.problem.contains("no pruning in it names that start")),
        "{report:?}"
    );
}

#[test]
fn retention_settings_are_checked() {
    let config = tryghed::config::Config::parse(
        "room.toml",
        "[retention]\nalarm_days = 0\naudit_days = 99999\n",
    );
    let error = config.unwrap_err().to_string();
    assert!(
        error.contains("retention.alarm_days 0") && error.contains("retention.audit_days 99999"),
        "{error}"
    );
    let config =
        tryghed::config::Config::parse("room.toml", "[retention]\nalarm_days = 30\n").unwrap();
    assert_eq!(
        (config.retention.alarm_days, config.retention.audit_days),
        (30, 1825)
    );
}

/// A pruning deletes the rows that first sealed the records; its own row
/// carries their seals again, so a record edited with its seal after it is
/// still caught: the record stays bound to the chain.
#[test]
fn records_stay_bound_to_the_chain_after_its_oldest_rows_are_deleted() {
    use sha2::{Digest, Sha256};
    use tryghed::store::Retention;
    let dir = tempfile::tempdir().unwrap();
    let mut store = filled_store(dir.path());
    let keep = Retention {
        alarm_days: 90,
        audit_days: 30,
    };
    let pruned = store.prune(&keep, "K", t("2026-06-01T00:00:00Z")).unwrap();
    assert!(pruned.audit_rows > 0, "{pruned:?}");
    assert!(store.verify_audit().unwrap().intact());
    drop(store);
    sqlite3(
        dir.path(),
        "UPDATE bases SET data = json_set(data, '$.supervision_max_minutes', 60) WHERE id = 'b1'",
    );
    let data = String::from_utf8(
        common::sqlite3(
            dir.path().join(DATABASE_FILE),
            "SELECT data FROM bases WHERE id = 'b1'",
        )
        .stdout,
    )
    .unwrap();
    let mut hasher = Sha256::new();
    for part in ["bases", "b1", data.trim_end_matches('\n')] {
        hasher.update(part.as_bytes());
        hasher.update([0u8]);
    }
    let resealed = hex::encode(hasher.finalize());
    sqlite3(
        dir.path(),
        &format!("UPDATE record_seals SET sha256 = '{resealed}' WHERE key = 'b1'"),
    );
    let report = Store::open(dir.path()).unwrap().verify_audit().unwrap();
    assert!(
        report.faults.iter().any(|f| f
            .problem
            .contains("bases b1: the record and its seal were changed together")),
        "{report:?}"
    );
}

/// A device stopped during a look (a crash, a power cut) leaves its start
/// on record with no end: the next start ends it there, once; a look from
/// a terminal that may still run in its own process is left alone until
/// its time is past (R3.2: a look is time-bounded, on record too).
#[test]
fn a_look_left_open_by_a_stop_is_ended_on_record_at_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = filled_store(dir.path());
    let now = t("2026-01-02T10:00:00Z");
    let start = |store: &mut Store, look: &str, until: &str, from: Option<&str>| {
        let mut detail = serde_json::json!({ "look": look, "until": until });
        if let Some(from) = from {
            detail["from"] = from.into();
        }
        store
            .audit_action("look.start", "r-017", &detail, "hanne", now)
            .unwrap();
    };
    start(&mut store, "app", "2026-01-02T10:05:00Z", None);
    start(&mut store, "ended", "2026-01-02T10:05:00Z", None);
    store
        .audit_action(
            "look.end",
            "r-017",
            &serde_json::json!({ "look": "ended" }),
            "hanne",
            now,
        )
        .unwrap();
    start(
        &mut store,
        "tour-running",
        "2026-01-02T10:05:00Z",
        Some("terminal"),
    );
    start(
        &mut store,
        "tour-killed",
        "2026-01-02T09:05:00Z",
        Some("terminal"),
    );
    let left: Vec<String> = store
        .end_looks_left_open(now)
        .unwrap()
        .into_iter()
        .map(|l| l.look)
        .collect();
    assert_eq!(left, ["app", "tour-killed"]);
    assert!(store.end_looks_left_open(now).unwrap().is_empty(), "once");
    assert!(store.verify_audit().unwrap().intact());
}

#[test]
fn a_joined_device_keeps_its_events_until_the_hub_has_stored_them() {
    let dir = tempfile::tempdir().unwrap();
    let mut device = Store::open(dir.path()).unwrap();
    let at = t("2026-12-01T10:00:00Z");
    device.keep_for_hub("A12.1.0", r#"{"a":0}"#, at).unwrap();
    device
        .keep_for_hub("A12.1.1", r#"{"a":1}"#, at + Duration::seconds(1))
        .unwrap();
    // The same event kept twice (a retry after a crash) is one row.
    device.keep_for_hub("A12.1.0", r#"{"a":0}"#, at).unwrap();
    drop(device);
    // A restart loses none.
    let mut device = Store::open(dir.path()).unwrap();
    let waiting = device.waiting_for_hub(10).unwrap();
    let ids: Vec<&str> = waiting.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["A12.1.0", "A12.1.1"], "oldest first");
    device
        .stored_by_hub(&["A12.1.0".to_string(), "unknown".to_string()])
        .unwrap();
    assert_eq!(device.waiting_for_hub(10).unwrap().len(), 1);

    let hub_dir = tempfile::tempdir().unwrap();
    let mut hub = Store::open(hub_dir.path()).unwrap();
    assert_eq!(hub.event_taken("A12.1.0").unwrap(), None);
    hub.take_event("A12.1.0", "A12", "alarm step x.1", at)
        .unwrap();
    hub.take_event("A12.1.0", "A12", "a second outcome", at)
        .unwrap();
    assert_eq!(
        hub.event_taken("A12.1.0").unwrap().as_deref(),
        Some("alarm step x.1"),
        "taken once: the first outcome stands"
    );
    let retention = tryghed::store::Retention {
        alarm_days: 30,
        audit_days: 3650,
    };
    let pruned = hub
        .prune(&retention, "hub", at + Duration::days(29))
        .unwrap();
    assert_eq!(pruned.device_events, 0);
    let pruned = hub
        .prune(&retention, "hub", at + Duration::days(31))
        .unwrap();
    assert_eq!(pruned.device_events, 1, "kept as long as the alarms");
    assert_eq!(hub.event_taken("A12.1.0").unwrap(), None);
}
