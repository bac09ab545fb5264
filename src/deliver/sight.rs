//! When a phone may show what the camera made of a resident (her posture
//! word): only inside an alarm about her that the user is shown, or during
//! a look that the user asked for and that still lasts (R3.2). Anything
//! more would be continuous watching, which neither a reactive alarm nor a
//! time-bounded look allows; outside both the card shows the device's and
//! the law's state only.

use serde::Serialize;

use crate::alarm::Alarm;
use crate::domain::ResidentId;
use crate::policy::Time;
use crate::store::{Role, User};

use super::live::Look;

/// Why the posture is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sight {
    /// An open alarm about the resident, shown to this user.
    Alarm,
    /// This user's own look at the resident, still lasting.
    Look,
}

/// Whether `user` is shown `alarm`: staff see the alarms of the rooms they
/// answer for, and every alarm nobody took in time once it is escalated to
/// all staff (R13.1); the other roles that see alarms see every one.
pub fn shown_alarm(user: &User, alarm: &Alarm) -> bool {
    user.role != Role::Staff || user.covers(&alarm.room) || alarm.escalated
}

/// Why `user` may see `resident`'s posture now, if she may. Only care
/// staff ever do: case officers and auditors keep records, they do not
/// watch.
pub fn sight(
    user: &User,
    resident: &ResidentId,
    open_alarms: &[Alarm],
    looks: &[Look],
    now: Time,
) -> Option<Sight> {
    if user.role != Role::Staff {
        return None;
    }
    let own_look = looks
        .iter()
        .any(|l| &l.resident == resident && l.by == user.name && l.until > now);
    let alarm = open_alarms
        .iter()
        .any(|a| a.resident.as_ref() == Some(resident) && shown_alarm(user, a));
    match (own_look, alarm) {
        (true, _) => Some(Sight::Look),
        (false, true) => Some(Sight::Alarm),
        (false, false) => None,
    }
}

/// The kinds of device fault open for `room` (a dark camera, a silent
/// microphone, a failing model): the device state every card shows.
pub fn device_faults(room: &str, open_alarms: &[Alarm]) -> Vec<String> {
    open_alarms
        .iter()
        .filter(|a| a.resident.is_none() && a.room == room)
        .map(|a| a.kind.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alarm::AlarmState;
    use crate::care::levels::Level;

    fn at(minute: i64) -> Time {
        chrono::DateTime::UNIX_EPOCH + chrono::Duration::minutes(minute)
    }

    fn user(name: &str, role: Role, rooms: &[&str]) -> User {
        User {
            name: name.into(),
            role,
            rooms: rooms.iter().map(|r| r.to_string()).collect(),
        }
    }

    fn alarm(room: &str, resident: Option<&str>, escalated: bool) -> Alarm {
        Alarm {
            id: "a1".into(),
            room: room.into(),
            resident: resident.map(|r| ResidentId(r.into())),
            kind: if resident.is_some() {
                "fall"
            } else {
                "camera_silent"
            }
            .into(),
            level: Level::Alarm,
            confidence: 0.9,
            evidence: serde_json::Value::Null,
            raised_at: at(0),
            last_seen_at: at(0),
            occurrences: 1,
            state: AlarmState::Raised,
            repeats: 0,
            escalated,
        }
    }

    fn look(by: &str, resident: &str, until: i64) -> Look {
        Look {
            id: "l1".into(),
            resident: ResidentId(resident.into()),
            by: by.into(),
            reason: "heard a cry".into(),
            until: at(until),
        }
    }

    /// Who asks, the open alarms, the looks, what she is shown, and why.
    type Case<'a> = (&'a User, &'a [Alarm], &'a [Look], Option<Sight>, &'a str);

    #[test]
    fn the_posture_is_shown_only_inside_an_alarm_or_the_users_own_look() {
        let anna = user("anna", Role::Staff, &["A12"]);
        let bo = user("bo", Role::Staff, &["B07"]);
        let karin = user("karin", Role::CaseOfficer, &[]);
        let ole = user("ole", Role::Auditor, &[]);
        let fall = [alarm("A12", Some("r1"), false)];
        let escalated = [alarm("A12", Some("r1"), true)];
        let fault = [alarm("A12", None, false)];
        let elsewhere = [alarm("A12", Some("r2"), false)];
        let annas = [look("anna", "r1", 5)];
        let ended = [look("anna", "r1", 1)];
        let cases: [Case; 12] = [
            (&anna, &[], &[], None, "R3.2: no alarm, no look: nothing"),
            (&anna, &fall, &[], Some(Sight::Alarm), "her room's alarm"),
            (&bo, &fall, &[], None, "another room's alarm, not escalated"),
            (
                &bo,
                &escalated,
                &[],
                Some(Sight::Alarm),
                "escalated to all (R13.1)",
            ),
            (&anna, &fault, &[], None, "a device fault is about no one"),
            (&anna, &elsewhere, &[], None, "an alarm about someone else"),
            (&anna, &[], &annas, Some(Sight::Look), "her own look"),
            (&bo, &[], &annas, None, "someone else's look"),
            (&anna, &[], &ended, None, "a look that has ended"),
            (
                &anna,
                &fall,
                &annas,
                Some(Sight::Look),
                "a look inside an alarm",
            ),
            (&karin, &fall, &annas, None, "case officers keep records"),
            (&ole, &escalated, &[], None, "auditors do not watch"),
        ];
        let r1 = ResidentId("r1".into());
        for (who, alarms, looks, expected, why) in cases {
            assert_eq!(sight(who, &r1, alarms, looks, at(2)), expected, "{why}");
        }
    }

    #[test]
    fn device_faults_are_the_rooms_open_fault_alarms() {
        let alarms = [
            alarm("A12", None, false),
            alarm("A12", Some("r1"), false),
            alarm("B07", None, false),
        ];
        assert_eq!(device_faults("A12", &alarms), ["camera_silent"]);
        assert!(device_faults("C01", &alarms).is_empty());
    }
}
