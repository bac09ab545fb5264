//! The permit table-tested: granted from a real store's case file, signed,
//! and refused when forged, for another room, replayed, old or run out.

use super::*;
use crate::policy::{CaseFile, Opposition, Party};
use crate::store::Store;
use chrono::Duration;

fn now() -> Time {
    chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap()
}

/// The demo resident's case: consent to video and sound for 30 days.
fn demo_case() -> CaseFile {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let (resident, _, _) = crate::app::product::demo_records(&mut store, now()).unwrap();
    store.case_file(&resident).unwrap()
}

fn hub() -> HubKey {
    HubKey::from_pkcs8(&HubKey::generate().unwrap()).unwrap()
}

#[test]
fn a_permit_carries_what_the_gate_allows_for_at_most_the_lease() {
    let case = demo_case();
    let permit = RoomPermit::grant(&case, 1, now());
    assert_eq!(permit.room, "A12");
    assert_eq!(
        permit.kinds,
        [Kind::Sound, Kind::Video].into_iter().collect()
    );
    assert!(permit.signals.contains("fall") && permit.reactive_alarm);
    assert_eq!(permit.supervision_max_minutes, Some(5));
    assert_eq!(permit.valid_until, now() + LEASE, "the basis lasts 30 days");
    assert_eq!(permit.denial, None);

    let mut ending = case.clone();
    ending.bases[0].end = Some(now() + Duration::minutes(3));
    let permit = RoomPermit::grant(&ending, 2, now());
    assert_eq!(
        permit.valid_until,
        now() + Duration::minutes(3),
        "the basis ends first"
    );
}

#[test]
fn after_an_opposition_the_permit_opens_nothing_and_says_why() {
    let mut case = demo_case();
    case.oppositions.push(Opposition {
        resident: case.resident.id.clone(),
        by: Party::Resident,
        at: now() - Duration::minutes(1),
    });
    let permit = RoomPermit::grant(&case, 7, now());
    assert!(permit.kinds.is_empty() && permit.basis_id.is_none());
    assert!(permit.signals.is_empty() && !permit.reactive_alarm);
    let denial = permit.denial.clone().unwrap_or_default();
    // Consent withdrawn by her opposing (R1.2); the denial is the gate's own.
    assert!(denial.contains("opposition recorded"), "{denial}");

    let key = hub();
    let mut device = PermitHolder::new("A12", key.public());
    device.accept(&key.sign(&permit), now()).unwrap();
    let why = device.may_open(Kind::Video, now()).unwrap_err().to_string();
    assert!(
        why.starts_with("permit: video: R1.2: opposition recorded"),
        "{why}"
    );
}

#[test]
fn a_verified_permit_for_the_room_opens_its_kinds_only() {
    let key = hub();
    let mut device = PermitHolder::new("A12", key.public());
    assert!(device
        .may_open(Kind::Video, now())
        .unwrap_err()
        .reason
        .contains("no permit"));
    let permit = RoomPermit::grant(&demo_case(), 1, now());
    device.accept(&key.sign(&permit), now()).unwrap();
    assert!(device.may_open(Kind::Video, now()).is_ok());
    assert_eq!(device.held().unwrap().sequence, 1);
    assert!(device.may_open(Kind::Location, now()).is_err());
}

#[test]
fn forged_foreign_replayed_old_and_unknown_permits_are_refused() {
    let key = hub();
    let permit = RoomPermit::grant(&demo_case(), 5, now());
    let signed = key.sign(&permit);
    let mut device = PermitHolder::new("A12", key.public());

    let mut widened = signed.clone();
    widened.permit = widened.permit.replace(
        "\"supervision_max_minutes\":5",
        "\"supervision_max_minutes\":60",
    );
    assert_ne!(widened.permit, signed.permit);
    let by_another_hub = hub().sign(&permit);
    let mut bad_hex = signed.clone();
    bad_hex.signature = "zz".into();
    for forged in [&widened, &by_another_hub, &bad_hex] {
        assert_eq!(device.accept(forged, now()), Err(PermitError::Forged));
    }

    let mut elsewhere = PermitHolder::new("B03", key.public());
    assert!(matches!(
        elsewhere.accept(&signed, now()),
        Err(PermitError::OtherRoom { .. })
    ));

    device.accept(&signed, now()).unwrap();
    let older = key.sign(&RoomPermit {
        sequence: 4,
        ..permit.clone()
    });
    for again in [&signed, &older] {
        assert!(matches!(
            device.accept(again, now()),
            Err(PermitError::Replayed { .. })
        ));
    }
    let late = key.sign(&RoomPermit {
        sequence: 6,
        ..permit.clone()
    });
    assert_eq!(
        device.accept(&late, now() + LEASE),
        Err(PermitError::Expired(permit.valid_until))
    );
    let future = key.sign(&RoomPermit {
        version: 2,
        sequence: 9,
        ..permit
    });
    assert_eq!(device.accept(&future, now()), Err(PermitError::Version(2)));
    assert_eq!(device.held().unwrap().sequence, 5, "the held one stays");
}

#[test]
fn a_device_that_cannot_hear_the_hub_shuts_when_the_lease_ends() {
    let key = hub();
    let mut device = PermitHolder::new("A12", key.public());
    device
        .accept(&key.sign(&RoomPermit::grant(&demo_case(), 1, now())), now())
        .unwrap();
    assert!(device
        .may_open(Kind::Sound, now() + LEASE - Duration::seconds(1))
        .is_ok());
    let why = device
        .may_open(Kind::Sound, now() + LEASE)
        .unwrap_err()
        .reason;
    assert!(
        why.contains("ran out") && why.contains("unreachable"),
        "{why}"
    );
}

#[test]
fn an_alarm_leaves_under_a_permit_only_for_a_signal_it_switches_on() {
    let permit = RoomPermit::grant(&demo_case(), 1, now());
    let fall = policy::permit_alarm_by_permit(&permit, "fall", Kind::Video, "fall", now());
    assert_eq!(fall.unwrap().basis_id(), "demo-consent");
    let mut quiet = permit.clone();
    quiet.signals.remove("scream");
    let scream = policy::permit_alarm_by_permit(&quiet, "scream", Kind::Sound, (), now());
    assert_eq!(scream.unwrap_err().rule, "R8.4");
    let looks_only = RoomPermit {
        reactive_alarm: false,
        ..permit.clone()
    };
    let fall = policy::permit_alarm_by_permit(&looks_only, "fall", Kind::Video, (), now());
    assert_eq!(fall.unwrap_err().rule, "R3.3");
    let late = policy::permit_alarm_by_permit(&permit, "fall", Kind::Video, (), now() + LEASE);
    assert_eq!(late.unwrap_err().rule, "R1.2");
}
