//! The lifecycle with time passed in: repeats every 2 minutes until
//! acknowledged, all staff after 4, one alarm per room and kind while open.

use chrono::{DateTime, Duration};

use super::*;
use crate::policy::permit_device_fault;

fn t0() -> Time {
    DateTime::from_timestamp(1_800_000_000, 0).unwrap()
}

fn at(seconds: i64) -> Time {
    t0() + Duration::seconds(seconds)
}

fn camera_fault(book: &mut AlarmBook, room: &str, now: Time) -> Option<Step> {
    book.raise_fault(
        room,
        permit_device_fault(DeviceFault::CameraSilent, now),
        "nothing from the camera for 10 s",
        now,
    )
}

/// Ticks every second from `from` to `to` (inclusive), as the device does.
fn run(book: &mut AlarmBook, from: i64, to: i64) -> Vec<(i64, Reason, bool)> {
    (from..=to)
        .flat_map(|s| {
            book.tick(at(s))
                .into_iter()
                .map(move |step| (s, step.reason, step.to_all_staff))
        })
        .collect()
}

#[test]
fn an_unacknowledged_alarm_repeats_every_two_minutes_and_escalates_after_four() {
    let mut book = AlarmBook::new(AlarmSettings::default());
    let raised = camera_fault(&mut book, "A12", at(0)).unwrap();
    assert_eq!(
        (
            raised.step_type,
            raised.reason,
            raised.sequence,
            raised.to_all_staff
        ),
        (StepType::New, Reason::Raised, 1, false)
    );
    let steps = run(&mut book, 1, 400);
    assert_eq!(
        steps,
        vec![
            (120, Reason::Repeat, false),
            (240, Reason::Escalated, true),
            (360, Reason::Repeat, true)
        ]
    );
}

/// The wall clock at `wall` seconds, the steady clock at `steady`.
fn read(wall: i64, steady: f64) -> Now {
    Now {
        wall: at(wall),
        steady_s: steady,
    }
}

#[test]
fn a_wall_clock_set_forwards_or_back_neither_escalates_nor_delays() {
    let mut book = AlarmBook::new(AlarmSettings::default());
    let permit = permit_device_fault(DeviceFault::CameraSilent, at(0));
    book.raise_fault("A12", permit, "dark", read(0, 0.0))
        .unwrap();
    // NTP sets the clock an hour forwards ten seconds later: nothing is due.
    assert!(book.tick(read(3_610, 10.0)).is_empty());
    assert!(book.tick(read(3_719, 119.0)).is_empty());
    let repeat = book.tick(read(3_720, 120.0));
    assert_eq!(repeat.len(), 1);
    assert_eq!(repeat[0].reason, Reason::Repeat);
    assert_eq!(repeat[0].at, at(3_720), "stamped with the wall time");
    // Then two hours back: the escalation still comes at four minutes.
    assert!(book.tick(read(-3_561, 239.0)).is_empty());
    let escalated = book.tick(read(-3_560, 240.0));
    assert_eq!(escalated[0].reason, Reason::Escalated);
}

#[test]
fn reopened_alarms_keep_their_age_from_before_the_restart() {
    let mut book = AlarmBook::new(AlarmSettings::default());
    let permit = permit_device_fault(DeviceFault::CameraSilent, at(0));
    let raised = book.raise_fault("A12", permit, "dark", at(0)).unwrap();
    // Restarted at 200 s; the new process's steady clock starts at 0.
    let mut book = AlarmBook::reopen(
        AlarmSettings::default(),
        vec![(raised.alarm, raised.sequence)],
        read(200, 0.0),
    );
    let missed = book.tick(read(201, 1.0));
    assert_eq!(
        missed[0].reason,
        Reason::Repeat,
        "the repeat due at 120 s, once"
    );
    assert!(book.tick(read(239, 39.0)).is_empty());
    assert_eq!(book.tick(read(240, 40.0))[0].reason, Reason::Escalated);
}

#[test]
fn acknowledging_stops_the_repeats_and_resolving_ends_it() {
    let mut book = AlarmBook::new(AlarmSettings::default());
    let id = camera_fault(&mut book, "A12", at(0)).unwrap().alarm.id;
    assert_eq!(run(&mut book, 1, 130).len(), 1, "one repeat at 120 s");
    let ack = book.acknowledge(&id, "nurse Hanne", at(131)).unwrap();
    assert_eq!(
        (ack.step_type, ack.reason, ack.sequence),
        (StepType::Update, Reason::Acknowledged, 3)
    );
    assert!(
        run(&mut book, 132, 1000).is_empty(),
        "acknowledged: no more repeats or escalation"
    );
    assert_eq!(
        book.acknowledge(&id, "nurse Ole", at(1001)),
        Err(AlarmError::AlreadyAcknowledged(
            id.clone(),
            "nurse Hanne".into()
        ))
    );
    let end = book
        .resolve(&id, "nurse Hanne", "camera cable replugged", at(1002))
        .unwrap();
    assert_eq!(
        (end.step_type, end.reason, end.id.clone()),
        (StepType::End, Reason::Resolved, format!("{id}.4"))
    );
    match &end.alarm.state {
        AlarmState::Resolved {
            acknowledged_by,
            by,
            outcome,
            ..
        } => assert_eq!(
            (acknowledged_by.as_str(), by.as_str(), outcome.as_str()),
            ("nurse Hanne", "nurse Hanne", "camera cable replugged")
        ),
        other => panic!("{other:?}"),
    }
    assert!(book.get(&id).is_none() && book.tick(at(2000)).is_empty());
    assert_eq!(
        book.resolve(&id, "x", "y", at(2001)),
        Err(AlarmError::NotOpen(id))
    );
}

#[test]
fn an_alarm_cannot_be_resolved_unacknowledged_nor_by_nobody() {
    let mut book = AlarmBook::new(AlarmSettings::default());
    let id = camera_fault(&mut book, "A12", at(0)).unwrap().alarm.id;
    assert_eq!(
        book.resolve(&id, "nurse Hanne", "ok", at(5)),
        Err(AlarmError::NotAcknowledged(id.clone()))
    );
    assert_eq!(
        book.acknowledge(&id, "  ", at(5)),
        Err(AlarmError::Empty("who acknowledges"))
    );
    book.acknowledge(&id, "nurse Hanne", at(6)).unwrap();
    assert_eq!(
        book.resolve(&id, "nurse Hanne", "", at(7)),
        Err(AlarmError::Empty("the outcome"))
    );
    assert_eq!(
        book.acknowledge("A12-fall-0", "nurse Hanne", at(8)),
        Err(AlarmError::NotOpen("A12-fall-0".into()))
    );
}

#[test]
fn the_same_situation_while_open_updates_the_alarm_instead_of_raising_another() {
    let mut book = AlarmBook::new(AlarmSettings::default());
    let first = camera_fault(&mut book, "A12", at(0)).unwrap();
    let again = camera_fault(&mut book, "A12", at(30)).unwrap();
    assert_eq!(
        (
            again.step_type,
            again.reason,
            again.alarm.id.clone(),
            again.alarm.occurrences
        ),
        (
            StepType::Update,
            Reason::SeenAgain,
            first.alarm.id.clone(),
            2
        )
    );
    assert_eq!(
        again.alarm.raised_at,
        at(0),
        "the repeats still count from the first"
    );
    let other_room = camera_fault(&mut book, "A14", at(31)).unwrap();
    assert_eq!(other_room.step_type, StepType::New);
    assert_eq!(book.open_alarms().count(), 2);
    // Once resolved, the same situation is a new alarm.
    book.acknowledge(&first.alarm.id, "nurse Hanne", at(40))
        .unwrap();
    book.resolve(&first.alarm.id, "nurse Hanne", "fixed", at(50))
        .unwrap();
    let new = camera_fault(&mut book, "A12", at(60)).unwrap();
    assert_eq!(new.step_type, StepType::New);
    assert_ne!(new.alarm.id, first.alarm.id);
}

#[test]
fn times_are_set_per_kind_and_a_late_tick_catches_up_once() {
    let mut settings = AlarmSettings::default();
    settings.kinds.insert(
        "camera_silent".into(),
        KindTimes {
            repeat_s: Some(30.0),
            escalate_s: Some(90.0),
        },
    );
    let mut book = AlarmBook::new(settings.clone());
    camera_fault(&mut book, "A12", at(0));
    assert_eq!(
        run(&mut book, 1, 100),
        vec![
            (30, Reason::Repeat, false),
            (60, Reason::Repeat, false),
            (90, Reason::Escalated, true)
        ]
    );
    // The device was busy: the next tick comes 5 minutes late, and sends one repeat.
    let mut book = AlarmBook::new(settings);
    camera_fault(&mut book, "A12", at(0));
    book.tick(at(95));
    assert_eq!(book.tick(at(400)).len(), 1);
    assert!(book.tick(at(401)).is_empty());
}

#[test]
fn a_book_taken_back_after_a_restart_goes_on_where_it_was() {
    let mut book = AlarmBook::new(AlarmSettings::default());
    let step = camera_fault(&mut book, "A12", at(0)).unwrap();
    run(&mut book, 1, 130);
    let kept: Vec<(Alarm, u32)> = book.open_alarms().map(|a| (a.clone(), 2)).collect();
    let mut again = AlarmBook::reopen(AlarmSettings::default(), kept, at(130));
    assert_eq!(
        run(&mut again, 131, 250),
        vec![(240, Reason::Escalated, true)],
        "no repeat sent twice"
    );
    let ack = again
        .acknowledge(&step.alarm.id, "nurse Hanne", at(251))
        .unwrap();
    assert_eq!(
        ack.id,
        format!("{}.4", step.alarm.id),
        "sequence numbers go on"
    );
}

#[test]
fn settings_are_checked() {
    let mut settings = AlarmSettings {
        repeat_s: 0.0,
        ..AlarmSettings::default()
    };
    settings.kinds.insert("falls".into(), KindTimes::default());
    settings.kinds.insert(
        "fall".into(),
        KindTimes {
            repeat_s: None,
            escalate_s: Some(f64::NAN),
        },
    );
    let problems = settings.problems();
    assert_eq!(problems.len(), 3, "{problems:?}");
    assert!(
        problems.iter().any(|p| p.starts_with("repeat_s: 0")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p == "kinds.falls: not an alarm kind"),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("kinds.fall.escalate_s: NaN")),
        "{problems:?}"
    );
}

mod device_watch {
    use super::*;
    use crate::alarm::device::{DeviceChange, DeviceWatch, OutletBacklog, Source};

    #[test]
    fn a_silent_source_is_a_fault_once_and_its_return_a_recovery() {
        let mut watch = DeviceWatch::new(
            &[Source::Camera, Source::Microphone],
            Duration::seconds(10),
            at(0),
        );
        assert!(watch.tick(at(9)).is_empty());
        watch.beat(Source::Microphone, at(9));
        let faults = watch.tick(at(10));
        assert_eq!(faults.len(), 1, "{faults:?}");
        assert!(
            matches!(&faults[0], DeviceChange::Fault { fault: DeviceFault::CameraSilent, detail } if detail.contains("10 s")),
            "{faults:?}"
        );
        assert!(
            watch.tick(at(30)).iter().all(|c| !matches!(
                c,
                DeviceChange::Fault {
                    fault: DeviceFault::CameraSilent,
                    ..
                }
            )),
            "once per spell"
        );
        assert_eq!(
            watch.beat(Source::Camera, at(31)),
            Some(DeviceChange::Recovered {
                fault: DeviceFault::CameraSilent
            })
        );
        assert_eq!(watch.beat(Source::Camera, at(32)), None);
    }

    #[test]
    fn analysis_that_stops_with_the_camera_is_one_fault() {
        let mut watch = DeviceWatch::new(
            &[Source::Camera, Source::Pipeline],
            Duration::seconds(10),
            at(0),
        );
        let faults = watch.tick(at(12));
        assert_eq!(faults.len(), 1, "{faults:?}");
        assert!(matches!(
            faults[0],
            DeviceChange::Fault {
                fault: DeviceFault::CameraSilent,
                ..
            }
        ));
        // Frames come, analysis does not: that is the pipeline.
        watch.beat(Source::Camera, at(20));
        watch.beat(Source::Camera, at(29));
        let faults = watch.tick(at(30));
        assert!(
            faults.iter().any(|f| matches!(
                f,
                DeviceChange::Fault {
                    fault: DeviceFault::PipelineStalled,
                    ..
                }
            )),
            "{faults:?}"
        );
    }

    #[test]
    fn models_and_the_disk() {
        let mut watch = DeviceWatch::new(&[], Duration::seconds(10), at(0));
        assert!(matches!(
            watch.model_failed("pose landmark model: run failed"),
            Some(DeviceChange::Fault {
                fault: DeviceFault::ModelFailed,
                ..
            })
        ));
        assert_eq!(watch.model_failed("again"), None);
        assert_eq!(
            watch.model_ok(),
            Some(DeviceChange::Recovered {
                fault: DeviceFault::ModelFailed
            })
        );
        let gb = 1_000_000_000u64;
        assert_eq!(watch.disk(40 * gb, 100 * gb), None);
        assert!(matches!(
            watch.disk(3 * gb, 100 * gb),
            Some(DeviceChange::Fault {
                fault: DeviceFault::DiskNearlyFull,
                ..
            })
        ));
        assert_eq!(watch.disk(2 * gb, 100 * gb), None);
        assert!(
            watch.disk(100_000_000, 1_000_000_000).is_none(),
            "still low: 10 % but under 500 MB, already reported"
        );
        assert_eq!(
            watch.disk(50 * gb, 100 * gb),
            Some(DeviceChange::Recovered {
                fault: DeviceFault::DiskNearlyFull
            })
        );
    }

    #[test]
    fn silences_are_timed_on_the_steady_clock() {
        let read = |wall: i64, steady: f64| Now {
            wall: at(wall),
            steady_s: steady,
        };
        let mut watch = DeviceWatch::new(&[Source::Camera], Duration::seconds(10), read(0, 0.0));
        assert_eq!(
            watch.tick(read(3_600, 5.0)),
            vec![],
            "an hour forwards is 5 s"
        );
        assert_eq!(watch.tick(read(-3_600, 9.0)), vec![]);
        assert_eq!(
            watch.tick(read(-3_599, 10.0)).len(),
            1,
            "dark for 10 s, whatever the wall says"
        );
        // An outlet's oldest step waits on the steady clock once first seen.
        let backlog = |oldest: i64| OutletBacklog {
            outlet: "mqtt".into(),
            oldest: Some(at(oldest)),
            last_error: None,
        };
        let late = Duration::seconds(60);
        assert!(watch.outlets(&[backlog(0)], late, read(0, 20.0)).is_empty());
        assert!(watch
            .outlets(&[backlog(0)], late, read(7_200, 79.0))
            .is_empty());
        assert_eq!(
            watch.outlets(&[backlog(0)], late, read(-7_200, 80.0)).len(),
            1
        );
    }

    #[test]
    fn a_failing_store_is_one_fault_until_it_takes_steps_again() {
        let mut watch = DeviceWatch::new(&[], Duration::seconds(10), at(0));
        assert_eq!(watch.storage(None, 0), None);
        let Some(DeviceChange::Fault { fault, detail }) = watch.storage(Some("disk I/O error"), 3)
        else {
            panic!("a failing store is a fault");
        };
        assert_eq!(fault, DeviceFault::StorageFailing);
        assert!(detail.contains("disk I/O error") && detail.contains("3 alarm step(s) wait"));
        assert_eq!(
            watch.storage(Some("disk I/O error"), 9),
            None,
            "once per spell"
        );
        assert_eq!(
            watch.storage(None, 0),
            Some(DeviceChange::Recovered {
                fault: DeviceFault::StorageFailing
            })
        );
        assert!(watch.storage(Some("database or disk is full"), 1).is_some());
    }

    #[test]
    fn a_source_the_gate_shuts_is_no_longer_missed_and_reported_faults_stay() {
        let mut watch = DeviceWatch::new(
            &[Source::Camera, Source::Microphone],
            Duration::seconds(10),
            at(0),
        );
        let gb = 1_000_000_000u64;
        assert!(watch.disk(gb, 100 * gb).is_some());
        watch.set_sources(&[Source::Microphone], at(5));
        watch.beat(Source::Microphone, at(15));
        assert_eq!(watch.tick(at(20)), vec![], "the camera is shut, not silent");
        assert_eq!(
            watch.disk(gb, 100 * gb),
            None,
            "the full disk was said already"
        );
        watch.set_sources(&[Source::Microphone, Source::Camera], at(20));
        watch.beat(Source::Microphone, at(28));
        assert_eq!(
            watch.tick(at(29)),
            vec![],
            "an opened camera starts with a beat"
        );
        assert_eq!(watch.tick(at(30)).len(), 1);
    }

    #[test]
    fn an_outlet_that_takes_nothing_in_time_is_one_fault_until_it_catches_up() {
        let late = Duration::seconds(60);
        let mut watch = DeviceWatch::new(&[], Duration::seconds(10), at(0));
        let backlog = |outlet: &str, oldest: Option<i64>| OutletBacklog {
            outlet: outlet.into(),
            oldest: oldest.map(at),
            last_error: oldest.map(|_| "connection refused".into()),
        };
        assert!(
            watch
                .outlets(
                    &[backlog("mqtt", Some(0)), backlog("webhook", None)],
                    late,
                    at(59)
                )
                .is_empty(),
            "not late yet"
        );
        let changes = watch.outlets(
            &[backlog("mqtt", Some(0)), backlog("webhook", None)],
            late,
            at(61),
        );
        assert_eq!(
            changes,
            vec![DeviceChange::Fault {
                fault: DeviceFault::OutletDown,
                detail: "mqtt has not taken an alarm for 61 s: connection refused".into()
            }]
        );
        assert!(
            watch
                .outlets(&[backlog("mqtt", Some(0))], late, at(120))
                .is_empty(),
            "once per spell"
        );
        let both = watch.outlets(
            &[backlog("mqtt", Some(0)), backlog("webhook", Some(100))],
            late,
            at(170),
        );
        assert_eq!(
            both.len(),
            1,
            "the second outlet late is a fault too: {both:?}"
        );
        assert!(
            watch
                .outlets(
                    &[backlog("mqtt", None), backlog("webhook", Some(100))],
                    late,
                    at(171)
                )
                .is_empty(),
            "over only when every outlet is"
        );
        assert_eq!(
            watch.outlets(
                &[backlog("mqtt", None), backlog("webhook", None)],
                late,
                at(172)
            ),
            vec![DeviceChange::Recovered {
                fault: DeviceFault::OutletDown
            }]
        );
        assert_eq!(
            watch
                .outlets(&[backlog("mqtt", Some(200))], late, at(261))
                .len(),
            1,
            "a new spell raises anew"
        );
    }
}
