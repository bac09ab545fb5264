//! The law, scenario by scenario (../shared/docs/requirements.md): each row
//! names its requirement, what happens, and the expected allow or refusal
//! with the rule that refuses it. Time is given, never read from a clock.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Months, Utc};
use tryghed::domain::{Kind, ResidentId};
use tryghed::policy::*;

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

const START: &str = "2026-01-01T08:00:00Z";

fn resident() -> Resident {
    Resident {
        id: ResidentId("r-017".into()),
        room: "A12".into(),
        display_name: "Ellen".into(),
        representatives: vec![
            Representative {
                id: "rep-1".into(),
                name: "Guardian G".into(),
                role: RepresentativeRole::Guardian,
                covers_personal_matters: true,
                since: None,
                ended: None,
            },
            Representative {
                id: "rep-2".into(),
                name: "Attorney F".into(),
                role: RepresentativeRole::Attorney,
                covers_personal_matters: false,
                since: None,
                ended: None,
            },
        ],
    }
}

fn kinds(list: &[Kind]) -> BTreeSet<Kind> {
    list.iter().copied().collect()
}

/// A valid basis of each type, starting at START.
fn basis(basis_type: BasisType) -> LegalBasis {
    let start = t(START);
    let before = start - Duration::days(7);
    let mut b = LegalBasis {
        id: "b1".into(),
        resident: ResidentId("r-017".into()),
        basis_type,
        kinds: kinds(&[Kind::Video, Kind::Sound]),
        reactive_alarm: true,
        supervision_max_minutes: Some(5),
        start,
        end: None,
        decided_by: "case officer K".into(),
        hearing: None,
        informed: vec![],
        consent: None,
        documents: CaseDocuments::default(),
        dpia: None,
        signals: ["fall", "scream"].iter().map(|s| s.to_string()).collect(),
        stopped: None,
        facts: BasisFacts::default(),
    };
    if basis_type != BasisType::Consent {
        b.facts = facts();
        b.documents = documents();
        b.dpia = Some(DpiaAssessment {
            at: before,
            outcome: DpiaOutcome::NotNeeded,
        });
    }
    match basis_type {
        BasisType::Consent => {
            b.consent = Some(ConsentGiven {
                by: Party::Resident,
                at: before,
            })
        }
        BasisType::Sel136e => {
            b.informed = vec![
                Informed {
                    party: Party::Resident,
                    at: before,
                },
                Informed {
                    party: Party::Representative("rep-1".into()),
                    at: before,
                },
            ]
        }
        BasisType::Sel128b | BasisType::Sel128bUnlimited => {
            b.hearing = Some(Hearing {
                heard: "rep-1".into(),
                at: before,
            });
            if basis_type == BasisType::Sel128b {
                b.end = Some(start.checked_add_months(Months::new(12)).unwrap());
            }
        }
    }
    b
}

/// The facts of a basis under the order (R1.1, R8.1, R14).
fn facts() -> BasisFacts {
    BasisFacts {
        target_group: Some(TargetGroup {
            ground: TargetGround::ProgressiveDecline,
            reference: "memory clinic 2025-114".into(),
        }),
        purposes: [Purpose::InjuryRisk, Purpose::Safety].into_iter().collect(),
        catalogue: Some(CatalogueGrant::Items(
            [CatalogueItem::SensorAlarm].into_iter().collect(),
        )),
    }
}

/// References to the case documents (R11).
fn documents() -> CaseDocuments {
    CaseDocuments {
        diagnosis: Some("memory clinic 2025-114".into()),
        earlier_efforts: Some("care plan 7".into()),
        action_plan: Some("plan 2026-02".into()),
        skema_3: Some("skema3-7781".into()),
    }
}

fn disclosed() -> AiDisclosure {
    AiDisclosure {
        resident: ResidentId("r-017".into()),
        informed: Party::Resident,
        by: "case officer K".into(),
        at: t(START) - Duration::days(1),
        how: "in person, with a leaflet".into(),
    }
}

fn case(b: LegalBasis) -> CaseFile {
    CaseFile {
        resident: resident(),
        bases: vec![b],
        disclosures: vec![disclosed()],
        oppositions: vec![],
        complaints: vec![],
    }
}

fn oppose(mut c: CaseFile, by: Party, at: &str) -> CaseFile {
    c.oppositions.push(Opposition {
        resident: ResidentId("r-017".into()),
        by,
        at: t(at),
    });
    c
}

#[derive(Debug, PartialEq)]
enum Expect {
    Allow,
    Refuse(&'static str),
}
use Expect::*;

fn validation(b: LegalBasis) -> Expect {
    match validate(&b, &resident()).first() {
        None => Allow,
        Some(refusal) => Refuse(refusal.rule),
    }
}

fn open(c: &CaseFile, kind: Kind, at: &str) -> Expect {
    match may_open(c, kind, t(at)) {
        Ok(permit) => {
            assert_eq!(permit.get().kind, kind);
            Allow
        }
        Err(denial) => Refuse(denial.rule),
    }
}

fn event(c: &CaseFile, kind: Kind, at: &str) -> Expect {
    permit_event(c, kind, "fall", t(at)).map_or_else(|d| Refuse(d.rule), |_| Allow)
}

fn look(c: &CaseFile, minutes: u32, at: &str) -> Expect {
    permit_supervision(c, Kind::Video, minutes, t(at)).map_or_else(|d| Refuse(d.rule), |_| Allow)
}

const DURING: &str = "2026-03-01T12:00:00Z";

fn complaint(by: Complainant, resident_cannot: bool, received: &str) -> Complaint {
    Complaint {
        id: "c1".into(),
        resident: ResidentId("r-017".into()),
        basis_id: "b1".into(),
        by,
        resident_cannot,
        decision_received: t("2026-01-02T10:00:00Z"),
        received: t(received),
        reassessment: None,
    }
}

fn complaining(c: Complaint) -> Expect {
    match validate_complaint(&c, &resident(), Some(&basis(BasisType::Sel128b))).first() {
        None => Allow,
        Some(r) => Refuse(r.rule),
    }
}

#[test]
fn the_law_scenario_by_scenario() {
    let with = |f: &dyn Fn(&mut LegalBasis), base: BasisType| {
        let mut b = basis(base);
        f(&mut b);
        b
    };
    let scenarios: Vec<(&str, &str, Expect, Expect)> = vec![
        // --- Recording a basis: validation ---
        (
            "R1.2",
            "valid consent basis",
            validation(basis(BasisType::Consent)),
            Allow,
        ),
        (
            "R1.2",
            "valid § 136 e basis",
            validation(basis(BasisType::Sel136e)),
            Allow,
        ),
        (
            "R1.2",
            "valid § 128 b basis of 12 months",
            validation(basis(BasisType::Sel128b)),
            Allow,
        ),
        (
            "R1.2",
            "valid § 128 b without time limit, heard",
            validation(basis(BasisType::Sel128bUnlimited)),
            Allow,
        ),
        (
            "R1.2",
            "consent not recorded",
            validation(with(&|b| b.consent = None, BasisType::Consent)),
            Refuse("R1.2"),
        ),
        (
            "R1.2",
            "consent given after the start",
            validation(with(
                &|b| b.consent.as_mut().unwrap().at = b.start + Duration::days(1),
                BasisType::Consent,
            )),
            Refuse("R1.2"),
        ),
        (
            "R1.2",
            "consent by a representative is not the resident's consent",
            validation(with(
                &|b| b.consent.as_mut().unwrap().by = Party::Representative("rep-1".into()),
                BasisType::Consent,
            )),
            Refuse("R1.2"),
        ),
        (
            "R9.1",
            "§ 136 e without informing the resident",
            validation(with(
                &|b| b.informed.retain(|i| i.party != Party::Resident),
                BasisType::Sel136e,
            )),
            Refuse("R9.1"),
        ),
        (
            "R9.1",
            "§ 136 e without informing the guardian covering personal matters",
            validation(with(
                &|b| b.informed.retain(|i| i.party == Party::Resident),
                BasisType::Sel136e,
            )),
            Refuse("R9.1"),
        ),
        (
            "R9.1",
            "§ 136 e: the attorney not covering personal matters need not be informed",
            validation(basis(BasisType::Sel136e)),
            Allow,
        ),
        (
            "R9.1",
            "§ 136 e: informed only after the start",
            validation(with(
                &|b| {
                    b.informed
                        .iter_mut()
                        .for_each(|i| i.at = b.start + Duration::hours(1))
                },
                BasisType::Sel136e,
            )),
            Refuse("R9.1"),
        ),
        (
            "R10.1",
            "§ 128 b of 13 months",
            validation(with(
                &|b| b.end = Some(b.start.checked_add_months(Months::new(13)).unwrap()),
                BasisType::Sel128b,
            )),
            Refuse("R10.1"),
        ),
        (
            "R10.1",
            "§ 128 b of 12 months and a day",
            validation(with(
                &|b| {
                    b.end = Some(
                        b.start.checked_add_months(Months::new(12)).unwrap() + Duration::days(1),
                    )
                },
                BasisType::Sel128b,
            )),
            Refuse("R10.1"),
        ),
        (
            "R10.1",
            "§ 128 b without an end",
            validation(with(&|b| b.end = None, BasisType::Sel128b)),
            Refuse("R10.1"),
        ),
        (
            "R10.1",
            "§ 128 b under § 136 e stk. 5 may run for years",
            validation(with(
                &|b| b.end = Some(b.start.checked_add_months(Months::new(60)).unwrap()),
                BasisType::Sel128bUnlimited,
            )),
            Allow,
        ),
        (
            "R10.2",
            "§ 128 b under § 136 e stk. 5 without a hearing",
            validation(with(&|b| b.hearing = None, BasisType::Sel128bUnlimited)),
            Refuse("R10.2"),
        ),
        (
            "R10.2",
            "§ 128 b with the hearing after the decision",
            validation(with(
                &|b| b.hearing.as_mut().unwrap().at = b.start + Duration::days(2),
                BasisType::Sel128b,
            )),
            Refuse("R10.2"),
        ),
        (
            "R11",
            "§ 128 b without a diagnosis reference",
            validation(with(&|b| b.documents.diagnosis = None, BasisType::Sel128b)),
            Refuse("R11"),
        ),
        (
            "R11",
            "§ 128 b without Skema 3",
            validation(with(
                &|b| b.documents.skema_3 = Some("  ".into()),
                BasisType::Sel128b,
            )),
            Refuse("R11"),
        ),
        (
            "R8.3",
            "§ 128 b with video and no DPIA assessment",
            validation(with(&|b| b.dpia = None, BasisType::Sel128b)),
            Refuse("R8.3"),
        ),
        (
            "R8.3",
            "§ 128 b for movement only needs no DPIA assessment",
            validation(with(
                &|b| {
                    b.dpia = None;
                    b.kinds = kinds(&[Kind::Movement]);
                    b.signals = ["bed_mat".to_string()].into();
                },
                BasisType::Sel128b,
            )),
            Allow,
        ),
        (
            "R2",
            "a basis with no kinds",
            validation(with(
                &|b| {
                    b.kinds.clear();
                    b.signals.clear();
                },
                BasisType::Sel136e,
            )),
            Refuse("R2"),
        ),
        (
            "R3.3",
            "a basis with no way of use",
            validation(with(
                &|b| {
                    b.reactive_alarm = false;
                    b.supervision_max_minutes = None;
                },
                BasisType::Sel136e,
            )),
            Refuse("R3.3"),
        ),
        (
            "R3.2",
            "supervision without a time bound (0 minutes)",
            validation(with(
                &|b| b.supervision_max_minutes = Some(0),
                BasisType::Sel136e,
            )),
            Refuse("R3.2"),
        ),
        (
            "R3.2",
            "supervision of 2 hours per look",
            validation(with(
                &|b| b.supervision_max_minutes = Some(120),
                BasisType::Sel136e,
            )),
            Refuse("R3.2"),
        ),
        (
            "R1.2",
            "end before start",
            validation(with(
                &|b| b.end = Some(b.start - Duration::days(1)),
                BasisType::Sel136e,
            )),
            Refuse("R1.2"),
        ),
        (
            "R8.4",
            "a sound signal under a video-only basis",
            validation(with(
                &|b| b.kinds = kinds(&[Kind::Video]),
                BasisType::Sel136e,
            )),
            Refuse("R8.4"),
        ),
        (
            "R8.4",
            "an unknown signal",
            validation(with(
                &|b| {
                    b.signals.insert("face_id".into());
                },
                BasisType::Sel136e,
            )),
            Refuse("R8.4"),
        ),
        // --- The gate: opening sources ---
        (
            "R2.3",
            "camera under a current video basis, AI disclosed",
            open(&case(basis(BasisType::Sel136e)), Kind::Video, DURING),
            Allow,
        ),
        (
            "R2.2",
            "microphone under a current sound basis, AI disclosed",
            open(&case(basis(BasisType::Sel136e)), Kind::Sound, DURING),
            Allow,
        ),
        (
            "R2.1",
            "movement-only basis never opens the camera",
            open(
                &case(with(
                    &|b| {
                        b.kinds = kinds(&[Kind::Movement]);
                        b.signals.clear();
                    },
                    BasisType::Sel136e,
                )),
                Kind::Video,
                DURING,
            ),
            Refuse("R2.1"),
        ),
        (
            "R2.1",
            "movement-only basis never opens the microphone",
            open(
                &case(with(
                    &|b| {
                        b.kinds = kinds(&[Kind::Movement]);
                        b.signals.clear();
                    },
                    BasisType::Sel136e,
                )),
                Kind::Sound,
                DURING,
            ),
            Refuse("R2.1"),
        ),
        (
            "R2.1",
            "movement-only basis opens a bed mat",
            open(
                &case(with(
                    &|b| {
                        b.kinds = kinds(&[Kind::Movement]);
                        b.signals.clear();
                    },
                    BasisType::Sel136e,
                )),
                Kind::Movement,
                DURING,
            ),
            Allow,
        ),
        (
            "R8.2",
            "camera before the AI disclosure is recorded",
            open(
                &CaseFile {
                    disclosures: vec![],
                    ..case(basis(BasisType::Sel136e))
                },
                Kind::Video,
                DURING,
            ),
            Refuse("R8.2"),
        ),
        (
            "R8.2",
            "bed mat needs no AI disclosure",
            open(
                &CaseFile {
                    disclosures: vec![],
                    ..case(with(
                        &|b| {
                            b.kinds = kinds(&[Kind::Movement]);
                            b.signals.clear();
                        },
                        BasisType::Sel136e,
                    ))
                },
                Kind::Movement,
                DURING,
            ),
            Allow,
        ),
        (
            "R1.2",
            "no basis recorded",
            open(
                &CaseFile {
                    bases: vec![],
                    ..case(basis(BasisType::Sel136e))
                },
                Kind::Video,
                DURING,
            ),
            Refuse("R1.2"),
        ),
        (
            "R1.2",
            "before the basis starts",
            open(
                &case(basis(BasisType::Sel136e)),
                Kind::Video,
                "2025-12-31T23:59:59Z",
            ),
            Refuse("R1.2"),
        ),
        (
            "R10.1",
            "§ 128 b, last second of its 12 months",
            open(
                &case(basis(BasisType::Sel128b)),
                Kind::Video,
                "2027-01-01T07:59:59Z",
            ),
            Allow,
        ),
        (
            "R10.1",
            "§ 128 b, the moment it expires",
            open(
                &case(basis(BasisType::Sel128b)),
                Kind::Video,
                "2027-01-01T08:00:00Z",
            ),
            Refuse("R10.1"),
        ),
        (
            "R10.1",
            "§ 128 b under § 136 e stk. 5, three years on",
            open(
                &case(basis(BasisType::Sel128bUnlimited)),
                Kind::Video,
                "2029-01-01T08:00:00Z",
            ),
            Allow,
        ),
        (
            "R10.3",
            "after an early stop",
            open(
                &case(with(
                    &|b| {
                        b.stopped = Some(EarlyStop {
                            at: t("2026-02-01T00:00:00Z"),
                            by: "K".into(),
                            reason: "no longer needed".into(),
                        })
                    },
                    BasisType::Sel128b,
                )),
                Kind::Video,
                DURING,
            ),
            Refuse("R10.3"),
        ),
        (
            "R10.3",
            "an early stop dated later does not stop it yet",
            open(
                &case(with(
                    &|b| {
                        b.stopped = Some(EarlyStop {
                            at: t("2026-06-01T00:00:00Z"),
                            by: "K".into(),
                            reason: "planned".into(),
                        })
                    },
                    BasisType::Sel128b,
                )),
                Kind::Video,
                DURING,
            ),
            Allow,
        ),
        (
            "R1.4",
            "§ 136 e: the resident opposes",
            open(
                &oppose(
                    case(basis(BasisType::Sel136e)),
                    Party::Resident,
                    "2026-02-01T00:00:00Z",
                ),
                Kind::Video,
                DURING,
            ),
            Refuse("R1.4"),
        ),
        (
            "R1.4",
            "§ 136 e: the guardian covering personal matters opposes",
            open(
                &oppose(
                    case(basis(BasisType::Sel136e)),
                    Party::Representative("rep-1".into()),
                    "2026-02-01T00:00:00Z",
                ),
                Kind::Video,
                DURING,
            ),
            Refuse("R1.4"),
        ),
        (
            "R1.4",
            "§ 136 e: an attorney not covering personal matters cannot oppose",
            open(
                &oppose(
                    case(basis(BasisType::Sel136e)),
                    Party::Representative("rep-2".into()),
                    "2026-02-01T00:00:00Z",
                ),
                Kind::Video,
                DURING,
            ),
            Allow,
        ),
        (
            "R1.4",
            "§ 136 e: an opposition dated after now does not stop it yet",
            open(
                &oppose(
                    case(basis(BasisType::Sel136e)),
                    Party::Resident,
                    "2026-04-01T00:00:00Z",
                ),
                Kind::Video,
                DURING,
            ),
            Allow,
        ),
        (
            "R1.2",
            "consent withdrawn by the resident",
            open(
                &oppose(
                    case(basis(BasisType::Consent)),
                    Party::Resident,
                    "2026-02-01T00:00:00Z",
                ),
                Kind::Video,
                DURING,
            ),
            Refuse("R1.2"),
        ),
        (
            "R1.4",
            "§ 128 b runs despite opposition",
            open(
                &oppose(
                    case(basis(BasisType::Sel128b)),
                    Party::Resident,
                    "2026-02-01T00:00:00Z",
                ),
                Kind::Video,
                DURING,
            ),
            Allow,
        ),
        (
            "R1.4",
            "§ 128 b under § 136 e stk. 5 runs despite the guardian's opposition",
            open(
                &oppose(
                    case(basis(BasisType::Sel128bUnlimited)),
                    Party::Representative("rep-1".into()),
                    "2026-02-01T00:00:00Z",
                ),
                Kind::Video,
                DURING,
            ),
            Allow,
        ),
        (
            "R2.4",
            "location is not allowed by a video and sound basis",
            open(&case(basis(BasisType::Sel136e)), Kind::Location, DURING),
            Refuse("R2"),
        ),
        // --- Events and supervision ---
        (
            "R3.1",
            "a fall alarm under a reactive-alarm basis",
            event(&case(basis(BasisType::Sel136e)), Kind::Video, DURING),
            Allow,
        ),
        (
            "R3.3",
            "an alarm under a supervision-only basis",
            event(
                &case(with(&|b| b.reactive_alarm = false, BasisType::Sel136e)),
                Kind::Video,
                DURING,
            ),
            Refuse("R3.3"),
        ),
        (
            "R2",
            "a sound event under a video-only basis is dropped",
            event(
                &case(with(
                    &|b| {
                        b.kinds = kinds(&[Kind::Video]);
                        b.signals = ["fall".to_string()].into();
                    },
                    BasisType::Sel136e,
                )),
                Kind::Sound,
                DURING,
            ),
            Refuse("R2.1"),
        ),
        (
            "R3.2",
            "a 5-minute look where 5 are allowed",
            look(&case(basis(BasisType::Sel136e)), 5, DURING),
            Allow,
        ),
        (
            "R3.2",
            "a 6-minute look where 5 are allowed",
            look(&case(basis(BasisType::Sel136e)), 6, DURING),
            Refuse("R3.2"),
        ),
        (
            "R3.3",
            "a look under an alarm-only basis",
            look(
                &case(with(
                    &|b| b.supervision_max_minutes = None,
                    BasisType::Sel136e,
                )),
                1,
                DURING,
            ),
            Refuse("R3.3"),
        ),
        (
            "R10.1",
            "a look after expiry",
            look(&case(basis(BasisType::Sel128b)), 1, "2027-02-01T00:00:00Z"),
            Refuse("R10.1"),
        ),
        // --- Complaints ---
        (
            "R12.1",
            "the resident complains",
            complaining(complaint(
                Complainant::Resident,
                false,
                "2026-01-20T00:00:00Z",
            )),
            Allow,
        ),
        (
            "R12.1",
            "the guardian complains",
            complaining(complaint(
                Complainant::Representative("rep-1".into()),
                false,
                "2026-01-20T00:00:00Z",
            )),
            Allow,
        ),
        (
            "R12.1",
            "someone not recorded as guardian or attorney",
            complaining(complaint(
                Complainant::Representative("Neighbour N".into()),
                false,
                "2026-01-20T00:00:00Z",
            )),
            Refuse("R12.1"),
        ),
        (
            "R12.1",
            "a relative while the resident can complain",
            complaining(complaint(
                Complainant::Relative("Son S".into()),
                false,
                "2026-01-20T00:00:00Z",
            )),
            Refuse("R12.1"),
        ),
        (
            "R12.1",
            "a relative when the resident cannot",
            complaining(complaint(
                Complainant::Relative("Son S".into()),
                true,
                "2026-01-20T00:00:00Z",
            )),
            Allow,
        ),
        (
            "R12.2",
            "on the last day of the 4 weeks",
            complaining(complaint(
                Complainant::Resident,
                false,
                "2026-01-30T10:00:00Z",
            )),
            Allow,
        ),
        (
            "R12.2",
            "a day after the 4 weeks",
            complaining(complaint(
                Complainant::Resident,
                false,
                "2026-01-31T10:00:01Z",
            )),
            Refuse("R12.2"),
        ),
    ];
    let mut failures = Vec::new();
    for (rule, what, got, expected) in &scenarios {
        if got != expected {
            failures.push(format!("{rule} {what}: expected {expected:?}, got {got:?}"));
        }
    }
    println!("{} scenarios", scenarios.len());
    assert!(scenarios.len() >= 40);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn overlapping_bases_are_refused() {
    let first = basis(BasisType::Sel128b);
    let mut second = basis(BasisType::Sel136e);
    second.id = "b2".into();
    second.start = t("2026-06-01T00:00:00Z");
    let now = t("2026-05-01T00:00:00Z");
    assert_eq!(
        check_overlap(&second, &case(first.clone()), now).map(|r| r.rule),
        Some("R1.2")
    );
    second.start = first.end.unwrap();
    assert_eq!(
        check_overlap(&second, &case(first.clone()), now),
        None,
        "back to back is fine"
    );
    let mut stopped = first.clone();
    stopped.stopped = Some(EarlyStop {
        at: t("2026-03-01T00:00:00Z"),
        by: "K".into(),
        reason: "need ended".into(),
    });
    second.start = t("2026-06-01T00:00:00Z");
    assert_eq!(
        check_overlap(&second, &case(stopped.clone()), now),
        None,
        "a stopped basis frees the time after its stop"
    );
    // A § 136 e basis the resident opposed is over from the opposition (R1.4);
    // a § 128 b decision is not ended by one.
    let mut care = basis(BasisType::Sel136e);
    care.end = None;
    let opposed = oppose(case(care.clone()), Party::Resident, "2026-04-01T00:00:00Z");
    let mut decision = basis(BasisType::Sel128b);
    decision.id = "b3".into();
    decision.start = t("2026-06-01T00:00:00Z");
    assert_eq!(
        check_overlap(&decision, &opposed, now),
        None,
        "the opposed basis no longer holds the time"
    );
    assert_eq!(
        check_overlap(&decision, &opposed, t("2026-03-01T00:00:00Z")).map(|r| r.rule),
        Some("R1.2"),
        "before the opposition it still did"
    );
    let opposed_decision = oppose(case(first.clone()), Party::Resident, "2026-04-01T00:00:00Z");
    assert_eq!(
        check_overlap(&second, &opposed_decision, now).map(|r| r.rule),
        Some("R1.2")
    );
}

#[test]
fn status_warns_30_and_7_days_before_expiry() {
    let c = case(basis(BasisType::Sel128b));
    let far = assess(&c, t("2026-06-01T00:00:00Z"));
    assert!(far.warnings.is_empty() && far.problems.is_empty());
    let month = assess(&c, t("2026-12-10T08:00:00Z"));
    assert_eq!(month.days_left, Some(22));
    assert!(
        month.warnings[0].contains("within 30"),
        "{:?}",
        month.warnings
    );
    let week = assess(&c, t("2026-12-28T08:00:00Z"));
    assert!(week.warnings[0].contains("within 7"), "{:?}", week.warnings);
    let gone = assess(&c, t("2027-01-02T00:00:00Z"));
    assert_eq!(gone.problems[0].rule, "R10.1");
}

#[test]
fn an_unanswered_complaint_is_due_in_4_weeks_then_overdue() {
    let mut c = case(basis(BasisType::Sel128b));
    c.complaints.push(complaint(
        Complainant::Resident,
        false,
        "2026-01-20T00:00:00Z",
    ));
    let pending = assess(&c, t("2026-02-01T00:00:00Z"));
    assert!(
        pending
            .warnings
            .iter()
            .any(|w| w.contains("complaint c1: re-assess by 2026-02-17")),
        "{:?}",
        pending.warnings
    );
    let overdue = assess(&c, t("2026-02-18T00:00:00Z"));
    assert!(
        overdue.problems.iter().any(|p| p.rule == "R12.3"),
        "{:?}",
        overdue.problems
    );
    c.complaints[0].reassessment = Some(Reassessment {
        at: t("2026-02-10T00:00:00Z"),
        upheld: false,
    });
    assert!(assess(&c, t("2026-02-18T00:00:00Z")).problems.is_empty());
}

#[test]
fn a_look_ends_with_the_basis() {
    let c = case(basis(BasisType::Sel128b));
    let permit = permit_supervision(&c, Kind::Video, 5, t("2027-01-01T07:58:00Z")).unwrap();
    assert_eq!(permit.get().until, t("2027-01-01T08:00:00Z"));
}

#[test]
fn events_of_a_kind_not_allowed_are_dropped_and_counted() {
    let c = case(with_kinds(&[Kind::Video]));
    let mut gate = EventGate::default();
    assert!(gate.pass(&c, Kind::Video, "fall", t(DURING)).is_some());
    assert!(gate.pass(&c, Kind::Sound, "scream", t(DURING)).is_none());
    assert!(gate.pass(&c, Kind::Sound, "scream", t(DURING)).is_none());
    assert!(gate
        .pass(&c, Kind::Video, "fall", t("2025-01-01T00:00:00Z"))
        .is_none());
    assert_eq!(gate.dropped().get("R2.1"), Some(&2));
    assert_eq!(gate.dropped().get("R1.2"), Some(&1));
}

fn with_kinds(list: &[Kind]) -> LegalBasis {
    let mut b = basis(BasisType::Sel136e);
    b.kinds = kinds(list);
    b.signals = ["fall".to_string()].into_iter().collect();
    b
}

#[test]
fn an_alarm_leaves_only_for_a_signal_the_basis_switched_on() {
    // R8.4: the basis above switches on `fall` and `scream` only.
    let c = case(basis(BasisType::Consent));
    let at = t("2026-02-01T12:00:00Z");
    assert!(permit_alarm(&c, "fall", Kind::Video, (), at).is_ok());
    assert!(permit_alarm(&c, "scream", Kind::Sound, (), at).is_ok());
    assert_eq!(
        permit_alarm(&c, "bed_exit", Kind::Video, (), at)
            .unwrap_err()
            .rule,
        "R8.4"
    );
    assert_eq!(
        permit_alarm(&c, "calling", Kind::Sound, (), at)
            .unwrap_err()
            .rule,
        "R8.4"
    );
    // R8.4: a basis that names no signal (an old record) lets no alarm
    // through, and the case officer is told.
    let mut none = basis(BasisType::Consent);
    none.signals.clear();
    let c = case(none);
    assert_eq!(
        permit_alarm(&c, "fall", Kind::Video, (), at)
            .unwrap_err()
            .rule,
        "R8.4"
    );
    assert!(assess(&c, at).problems.iter().any(|p| p.rule == "R8.4"));
    // The kind still rules first: a sound alarm under a video-only basis is refused by R2.
    let mut video_only = basis(BasisType::Consent);
    video_only.kinds = kinds(&[Kind::Video]);
    video_only.signals = ["fall".to_string()].into_iter().collect();
    assert!(
        permit_alarm(&case(video_only), "scream", Kind::Sound, (), at)
            .unwrap_err()
            .rule
            .starts_with("R2")
    );
}

/// Recording `b` into `c`: the basis' own rules, then those against what
/// the case file already holds.
fn recording(b: LegalBasis, c: &CaseFile) -> Expect {
    let mut refusals = validate(&b, &c.resident);
    refusals.extend(check_against_case(&b, c, b.start));
    refusals.first().map_or(Allow, |r| Refuse(r.rule))
}

fn no_bases() -> CaseFile {
    let mut c = case(basis(BasisType::Consent));
    c.bases.clear();
    c
}

const BEFORE_START: &str = "2025-12-28T08:00:00Z";

#[test]
fn the_rules_that_could_be_walked_around_are_closed() {
    let with = |f: &dyn Fn(&mut LegalBasis), base: BasisType| {
        let mut b = basis(base);
        f(&mut b);
        b
    };
    let guardian = || Party::Representative("rep-1".into());
    let opposed = || oppose(no_bases(), guardian(), BEFORE_START);
    let heard = |who: &str| {
        let who = who.to_string();
        move |b: &mut LegalBasis| b.hearing.as_mut().unwrap().heard = who.clone()
    };
    let scenarios: Vec<(&str, &str, Expect, Expect)> = vec![
        (
            "R8.4",
            "a basis that switches on no signal",
            validation(with(&|b| b.signals.clear(), BasisType::Sel136e)),
            Refuse("R8.4"),
        ),
        (
            "R1.4",
            "§ 136 e with fresh informing after the guardian opposed",
            recording(
                with(
                    &|b| b.informed.iter_mut().for_each(|i| i.at = b.start),
                    BasisType::Sel136e,
                ),
                &opposed(),
            ),
            Refuse("R1.4"),
        ),
        (
            "R1.4",
            "§ 136 e after the resident herself opposed",
            recording(
                basis(BasisType::Sel136e),
                &oppose(no_bases(), Party::Resident, BEFORE_START),
            ),
            Refuse("R1.4"),
        ),
        (
            "R1.4",
            "a § 128 b decision after the opposition",
            recording(basis(BasisType::Sel128b), &opposed()),
            Allow,
        ),
        (
            "R10.1",
            "§ 128 b without time limit, never opposed",
            recording(basis(BasisType::Sel128bUnlimited), &no_bases()),
            Refuse("R10.1"),
        ),
        (
            "R10.1",
            "§ 128 b without time limit after the guardian opposed",
            recording(basis(BasisType::Sel128bUnlimited), &opposed()),
            Allow,
        ),
        (
            "R10.1",
            "an opposition by a representative whose mandate does not cover personal matters opens no way to § 136 e stk. 5",
            recording(
                basis(BasisType::Sel128bUnlimited),
                &oppose(
                    no_bases(),
                    Party::Representative("rep-2".into()),
                    BEFORE_START,
                ),
            ),
            Refuse("R10.1"),
        ),
        (
            "R10.2",
            "§ 128 b: a hearing of someone not on record",
            validation(with(&heard("a neighbour"), BasisType::Sel128b)),
            Refuse("R10.2"),
        ),
        (
            "R10.2",
            "§ 128 b: the resident heard",
            validation(with(&heard("resident"), BasisType::Sel128b)),
            Allow,
        ),
        (
            "R10.2",
            "§ 128 b without time limit: only the resident heard, not her guardian",
            validation(with(&heard("resident"), BasisType::Sel128bUnlimited)),
            Refuse("R10.2"),
        ),
        (
            "R1.4",
            "a § 136 e basis already running is closed by a later opposition",
            open(
                &oppose(
                    case(basis(BasisType::Sel136e)),
                    guardian(),
                    "2026-02-01T12:00:00Z",
                ),
                Kind::Video,
                DURING,
            ),
            Refuse("R1.4"),
        ),
        (
            "R1.4",
            "a § 136 e basis written in after an opposition still yields to it",
            open(
                &oppose(
                    case(with(
                        &|b| b.informed.iter_mut().for_each(|i| i.at = b.start),
                        BasisType::Sel136e,
                    )),
                    guardian(),
                    BEFORE_START,
                ),
                Kind::Video,
                DURING,
            ),
            Refuse("R1.4"),
        ),
    ];
    let mut wrong = Vec::new();
    for (rule, what, got, expected) in &scenarios {
        println!("{rule:6} {what}: {got:?}");
        if got != expected {
            wrong.push(format!("{rule} {what}: expected {expected:?}, got {got:?}"));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// R1.4: an opposition comes from the resident or from an attorney or
/// guardian on record whose mandate covers personal matters, named exactly
/// as recorded; a name spelt otherwise is refused, not stored to stop nothing.
#[test]
fn an_opposition_names_someone_on_record_who_may_oppose() {
    let by = |party: Party| {
        let o = Opposition {
            resident: ResidentId("r-017".into()),
            by: party,
            at: t(DURING),
        };
        validate_opposition(&o, &resident())
            .first()
            .map_or(Allow, |r| Refuse(r.rule))
    };
    assert_eq!(by(Party::Resident), Allow);
    assert_eq!(by(Party::Representative("rep-1".into())), Allow);
    // By id only: a name, however spelt, refers to nobody.
    assert_eq!(
        by(Party::Representative("Guardian G".into())),
        Refuse("R1.4")
    );
    assert_eq!(
        by(Party::Representative("Guardian  G".into())),
        Refuse("R1.4")
    );
    assert_eq!(by(Party::Representative("rep-2".into())), Refuse("R1.4"));
}

/// Mandates over time (R1.4, R9.1, R10.2): a guardian whose mandate has
/// ended may no longer oppose or be heard, nor need be informed; one added
/// later counts from the day the mandate began. Ids are never reused.
#[test]
fn representatives_count_only_while_their_mandate_holds() {
    let during = t(DURING);
    let ended = change_representative(
        &resident(),
        RepresentativeChange::End {
            id: "rep-1".into(),
            at: during - Duration::days(1),
            reason: "guardianship lifted".into(),
        },
    )
    .unwrap()
    .0;
    let opposes = |resident: &Resident, id: &str| {
        let o = Opposition {
            resident: ResidentId("r-017".into()),
            by: Party::Representative(id.into()),
            at: during,
        };
        validate_opposition(&o, resident)
            .first()
            .map_or(Allow, |r| Refuse(r.rule))
    };
    assert_eq!(opposes(&ended, "rep-1"), Refuse("R1.4"));
    let (added, new) = change_representative(
        &ended,
        RepresentativeChange::Add {
            name: "Guardian H".into(),
            role: RepresentativeRole::Guardian,
            covers_personal_matters: true,
            since: Some(during),
        },
    )
    .unwrap();
    assert_eq!(new.id, "rep-3", "a new id, never an ended one's");
    assert_eq!(opposes(&added, "rep-3"), Allow);
    let before = Opposition {
        resident: ResidentId("r-017".into()),
        by: Party::Representative("rep-3".into()),
        at: during - Duration::days(2),
    };
    assert!(
        !validate_opposition(&before, &added).is_empty(),
        "not before the mandate began"
    );
    // Ending twice, or before the mandate began, is refused.
    for (id, at) in [("rep-1", during), ("rep-3", during - Duration::days(1))] {
        let end = RepresentativeChange::End {
            id: id.into(),
            at,
            reason: "x".into(),
        };
        assert!(change_representative(&added, end).is_err(), "{id}");
    }
    let rename = RepresentativeChange::Rename {
        id: "rep-9".into(),
        name: "X".into(),
    };
    assert!(change_representative(&added, rename).is_err());
    // § 136 e from a day the old guardian had ended: only the new one, by id,
    // must be informed (R9.1).
    let mut b = basis(BasisType::Sel136e);
    b.start = during + Duration::days(1);
    let informed: Vec<String> = validate(&b, &added)
        .into_iter()
        .filter(|r| r.rule == "R9.1")
        .map(|r| r.message)
        .collect();
    assert!(
        informed.iter().any(|m| m.contains("rep-3 (Guardian H)")),
        "{informed:?}"
    );
    assert!(
        !informed.iter().any(|m| m.contains("rep-1")),
        "{informed:?}"
    );
}

/// The facts a basis under the order records (R1.1 the target group, R8.1
/// the purpose, R8.6 the AI rules for § 136 e, R11 its case documents, R14
/// the catalogue), each row refused by the rule it breaks; a consent basis
/// needs none of them (the order does not apply, § 1 stk. 2).
#[test]
fn the_facts_of_a_basis_under_the_order_are_recorded_and_checked() {
    type Change = fn(&mut LegalBasis);
    let rows: [(&str, BasisType, Change, Option<&str>); 11] = [
        ("whole § 136 e", BasisType::Sel136e, |_| {}, None),
        (
            "no target group",
            BasisType::Sel136e,
            |b| b.facts.target_group = None,
            Some("R1.1"),
        ),
        (
            "target group without its reference",
            BasisType::Sel128b,
            |b| b.facts.target_group.as_mut().unwrap().reference = " ".into(),
            Some("R1.1"),
        ),
        (
            "§ 136 e without a purpose",
            BasisType::Sel136e,
            |b| b.facts.purposes.clear(),
            Some("R8.6"),
        ),
        (
            "§ 128 b for dignity alone",
            BasisType::Sel128b,
            |b| b.facts.purposes = [Purpose::Dignity].into_iter().collect(),
            Some("R8.1"),
        ),
        (
            "§ 136 e with video and no DPIA assessment",
            BasisType::Sel136e,
            |b| b.dpia = None,
            Some("R8.6"),
        ),
        (
            "§ 136 e without case documents",
            BasisType::Sel136e,
            |b| b.documents = CaseDocuments::default(),
            Some("R11"),
        ),
        (
            "not related to the catalogue",
            BasisType::Sel128b,
            |b| b.facts.catalogue = None,
            Some("R14"),
        ),
        (
            "a fall under a door alarm",
            BasisType::Sel136e,
            |b| {
                b.facts.catalogue = Some(CatalogueGrant::Items(
                    [CatalogueItem::DoorAlarm].into_iter().collect(),
                ))
            },
            Some("R14"),
        ),
        (
            "beyond the catalogue with no assessment",
            BasisType::Sel136e,
            |b| b.facts.catalogue = Some(CatalogueGrant::Beyond("".into())),
            Some("R14"),
        ),
        (
            "consent records none",
            BasisType::Consent,
            |b| b.facts = BasisFacts::default(),
            None,
        ),
    ];
    for (what, basis_type, change, rule) in rows {
        let mut b = basis(basis_type);
        change(&mut b);
        let refusals = validate(&b, &resident());
        let mut rules: Vec<&str> = refusals.iter().map(|r| r.rule).collect();
        rules.dedup();
        match rule {
            None => assert!(refusals.is_empty(), "{what}: {refusals:?}"),
            Some(rule) => assert_eq!(rules, [rule], "{what}: {refusals:?}"),
        }
    }
    let parsed = BasisFacts::parse(
        Some("progressive-decline:memory clinic"),
        &["care".into()],
        &["seizure-alarm".into()],
        None,
    )
    .unwrap();
    assert_eq!(parsed.purposes, [Purpose::Care].into_iter().collect());
    for (group, purpose, item, says) in [
        (
            Some("dementia:x"),
            "care",
            "sensor-alarm",
            "--target-group `dementia`",
        ),
        (
            Some("no reference"),
            "care",
            "sensor-alarm",
            "expected reduced-function:REF",
        ),
        (
            None,
            "comfort",
            "sensor-alarm",
            "--purpose `comfort`: one of injury-risk",
        ),
        (
            None,
            "care",
            "camera",
            "--catalogue `camera`: one of sensor-alarm",
        ),
    ] {
        let err = BasisFacts::parse(group, &[purpose.into()], &[item.into()], None).unwrap_err();
        assert!(err.contains(says), "{err}");
    }
}
