//! How loudly each event reaches staff: `silent` (kept, not sent),
//! `warning` or `alarm`, per event kind, by day and by night, with
//! per-resident changes. A bed exit may be silent by day and an alarm at
//! night; speech at night is a resident calling. A kind's entry may also
//! set its tolerance time (`tolerance_s`: how long the situation must last
//! before the event), for everyone or for one resident.

use std::collections::BTreeMap;

use chrono::NaiveTime;
use serde::{Deserialize, Serialize};

use super::{CareKind, CareSettings};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Silent,
    Warning,
    Alarm,
}

/// A kind's level by day and by night.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DayNight {
    pub day: Level,
    pub night: Level,
}

const fn both(level: Level) -> DayNight {
    DayNight {
        day: level,
        night: level,
    }
}

/// The `[alerts]` settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlertSettings {
    /// When night begins and ends, local time, `HH:MM`.
    pub night_from: String,
    pub night_to: String,
    /// Changes to the defaults, by event kind (`fall`, `bed_exit`, `scream`, …).
    pub levels: BTreeMap<String, KindAlert>,
    /// Per-resident changes on top, by resident id.
    pub residents: BTreeMap<String, BTreeMap<String, KindAlert>>,
}

/// One kind's entry in `[alerts.levels]` or `[alerts.residents.ID]`: give
/// only what changes.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KindAlert {
    pub day: Option<Level>,
    pub night: Option<Level>,
    /// Seconds the situation must last before the event (kinds with a time only).
    pub tolerance_s: Option<f64>,
}

/// Where a kind's tolerance time lives in `[care]`, for the kinds that have one.
pub fn tolerance_setting(kind: CareKind, care: &mut CareSettings) -> Option<&mut f64> {
    Some(match kind {
        CareKind::OnFloor => &mut care.fall.on_floor_after_s,
        CareKind::BedEdge => &mut care.bed.edge_after_s,
        CareKind::BedExit => &mut care.bed.exit_tolerance_s,
        CareKind::RoomExit => &mut care.exit.after_s,
        CareKind::Inactivity => &mut care.activity.inactivity_after_s,
        CareKind::Seizure => &mut care.activity.seizure_after_s,
        CareKind::SeveralPersons => &mut care.several_persons.after_s,
        _ => return None,
    })
}

impl Default for AlertSettings {
    fn default() -> Self {
        AlertSettings {
            night_from: "22:00".into(),
            night_to: "07:00".into(),
            levels: BTreeMap::new(),
            residents: BTreeMap::new(),
        }
    }
}

/// The device's defaults.
pub fn default_level(kind: &str) -> Option<DayNight> {
    use Level::*;
    Some(match kind {
        "fall" | "on_floor" | "seizure" => both(Alarm),
        "bed_exit" => DayNight {
            day: Warning,
            night: Alarm,
        },
        "bed_edge" => DayNight {
            day: Silent,
            night: Warning,
        },
        "room_exit" => DayNight {
            day: Warning,
            night: Alarm,
        },
        "inactivity" => both(Warning),
        // Staff in the room: worth keeping, not worth a phone buzzing.
        "several_persons" => both(Silent),
        "scream" | "smoke_alarm" => both(Alarm),
        // A thud alone is a door or a dropped bag far more often than a
        // fall: it is kept as a fall's evidence (a fall heard is an alarm),
        // not sent on its own. On 201 real ordinary recordings it was the
        // commonest false event (door knocks and slams).
        "impact" => both(Silent),
        "distress" | "glass_breaking" | "breathing" => both(Warning),
        "coughing" => DayNight {
            day: Silent,
            night: Warning,
        },
        // Speech by day is conversation; at night, a resident calling.
        "calling" => DayNight {
            day: Silent,
            night: Warning,
        },
        _ => return None,
    })
}

/// Whether `kind` reaches a phone at night at the device's default levels
/// (night is when every kind is loudest).
pub fn sent_at_night(kind: &str) -> bool {
    default_level(kind).is_some_and(|l| l.night != Level::Silent)
}

fn parse_time(text: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(text, "%H:%M").ok()
}

impl AlertSettings {
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for (name, text) in [
            ("night_from", &self.night_from),
            ("night_to", &self.night_to),
        ] {
            if parse_time(text).is_none() {
                problems.push(format!("{name} \"{text}\" is not a time of day (HH:MM)"));
            }
        }
        let tables = std::iter::once(("levels".to_string(), &self.levels)).chain(
            self.residents
                .iter()
                .map(|(id, t)| (format!("residents.{id}"), t)),
        );
        for (table, levels) in tables {
            for (name, entry) in levels {
                let Some(kind) = CareKind::from_name(name) else {
                    problems.push(format!("{table}.{name}: not an event kind"));
                    continue;
                };
                if let Some(seconds) = entry.tolerance_s {
                    if tolerance_setting(kind, &mut CareSettings::default()).is_none() {
                        problems.push(format!("{table}.{name}.tolerance_s: a {name} is reported as soon as it is known; it has no tolerance time"));
                    } else if !(seconds.is_finite() && (0.0..=86_400.0).contains(&seconds)) {
                        problems.push(format!("{table}.{name}.tolerance_s: {seconds} must be between 0 and 86400 seconds"));
                    }
                }
            }
        }
        problems
    }

    /// The care settings for one resident: `base` with the tolerance times
    /// of `[alerts.levels]`, then of the resident's own table.
    pub fn care_for(&self, base: &CareSettings, resident: Option<&str>) -> CareSettings {
        let mut care = base.clone();
        let own = resident.and_then(|r| self.residents.get(r));
        for table in std::iter::once(&self.levels).chain(own) {
            for (name, entry) in table {
                let (Some(kind), Some(seconds)) = (CareKind::from_name(name), entry.tolerance_s)
                else {
                    continue;
                };
                if let Some(setting) = tolerance_setting(kind, &mut care) {
                    *setting = seconds;
                }
            }
        }
        care
    }

    /// Whether `time` (local) is night.
    pub fn is_night(&self, time: NaiveTime) -> bool {
        let (Some(from), Some(to)) = (parse_time(&self.night_from), parse_time(&self.night_to))
        else {
            return false;
        };
        if from <= to {
            time >= from && time < to
        } else {
            time >= from || time < to
        }
    }

    /// The level of an event of `kind` for `resident` at local `time`.
    pub fn level(&self, kind: &str, resident: Option<&str>, time: NaiveTime) -> Level {
        let own = resident
            .and_then(|r| self.residents.get(r))
            .and_then(|levels| levels.get(kind));
        let everyone = self.levels.get(kind);
        let default = default_level(kind).unwrap_or(both(Level::Warning));
        let night = self.is_night(time);
        let pick =
            |entry: Option<&KindAlert>| entry.and_then(|e| if night { e.night } else { e.day });
        pick(own).or_else(|| pick(everyone)).unwrap_or(if night {
            default.night
        } else {
            default.day
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::events::SoundKind;
    use crate::care::CareKind;

    fn at(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    #[test]
    fn day_and_night_and_a_resident_of_their_own() {
        let mut settings = AlertSettings::default();
        assert_eq!(settings.level("calling", None, at(14, 0)), Level::Silent);
        assert_eq!(
            settings.level("calling", None, at(3, 10)),
            Level::Warning,
            "speech at night is a resident calling"
        );
        assert_eq!(settings.level("bed_exit", None, at(23, 0)), Level::Alarm);
        assert_eq!(
            settings.level("bed_exit", None, at(7, 0)),
            Level::Warning,
            "night ends at 07:00"
        );
        settings.residents.insert(
            "r-017".into(),
            BTreeMap::from([(
                "bed_edge".to_string(),
                KindAlert {
                    day: Some(Level::Alarm),
                    night: Some(Level::Alarm),
                    tolerance_s: None,
                },
            )]),
        );
        settings.levels.insert(
            "bed_exit".into(),
            KindAlert {
                day: Some(Level::Silent),
                ..KindAlert::default()
            },
        );
        assert_eq!(
            settings.level("bed_exit", Some("r-017"), at(12, 0)),
            Level::Silent,
            "a change for everyone"
        );
        assert_eq!(
            settings.level("bed_exit", Some("r-017"), at(23, 0)),
            Level::Alarm,
            "what it leaves out keeps the default"
        );
        assert_eq!(
            settings.level("bed_edge", Some("r-017"), at(12, 0)),
            Level::Alarm
        );
        assert_eq!(
            settings.level("bed_edge", Some("r-018"), at(12, 0)),
            Level::Silent
        );
        assert_eq!(
            settings.level("fall", Some("r-017"), at(12, 0)),
            Level::Alarm,
            "what the resident does not change keeps the default"
        );
    }

    #[test]
    fn every_kind_has_a_default_and_bad_settings_are_named() {
        for kind in CareKind::ALL {
            assert!(default_level(kind.name()).is_some(), "{kind}");
        }
        for kind in SoundKind::ALL {
            assert_eq!(CareKind::from(kind).name(), kind.name());
        }
        let settings = AlertSettings {
            night_from: "25:00".into(),
            levels: BTreeMap::from([
                ("falls".to_string(), KindAlert::default()),
                (
                    "fall".to_string(),
                    KindAlert {
                        tolerance_s: Some(5.0),
                        ..KindAlert::default()
                    },
                ),
                (
                    "bed_exit".to_string(),
                    KindAlert {
                        tolerance_s: Some(-1.0),
                        ..KindAlert::default()
                    },
                ),
            ]),
            ..AlertSettings::default()
        };
        let problems = settings.problems();
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert!(
            problems
                .iter()
                .any(|p| p.contains("levels.falls: not an event kind")),
            "{problems:?}"
        );
        assert!(
            problems.iter().any(|p| p
                .contains("levels.fall.tolerance_s: a fall is reported as soon as it is known")),
            "{problems:?}"
        );
        assert!(
            problems
                .iter()
                .any(|p| p.contains("levels.bed_exit.tolerance_s: -1 must be between")),
            "{problems:?}"
        );
    }

    #[test]
    fn tolerance_times_for_everyone_and_for_one_resident() {
        let mut settings = AlertSettings::default();
        settings.levels.insert(
            "bed_exit".into(),
            KindAlert {
                tolerance_s: Some(300.0),
                ..KindAlert::default()
            },
        );
        settings.residents.insert(
            "r-017".into(),
            BTreeMap::from([
                (
                    "bed_exit".to_string(),
                    KindAlert {
                        tolerance_s: Some(120.0),
                        ..KindAlert::default()
                    },
                ),
                (
                    "on_floor".to_string(),
                    KindAlert {
                        tolerance_s: Some(5.0),
                        ..KindAlert::default()
                    },
                ),
            ]),
        );
        let base = CareSettings::default();
        assert_eq!(settings.care_for(&base, None).bed.exit_tolerance_s, 300.0);
        assert_eq!(
            settings
                .care_for(&base, Some("r-018"))
                .fall
                .on_floor_after_s,
            base.fall.on_floor_after_s
        );
        let own = settings.care_for(&base, Some("r-017"));
        assert_eq!(
            (own.bed.exit_tolerance_s, own.fall.on_floor_after_s),
            (120.0, 5.0)
        );
    }
}
