//! How loudly each event reaches staff: `silent` (kept, not sent),
//! `warning` or `alarm`, per event kind, by day and by night, with
//! per-resident changes. A bed exit may be silent by day and an alarm at
//! night; speech at night is a resident calling.

use std::collections::BTreeMap;

use chrono::NaiveTime;
use serde::{Deserialize, Serialize};

use super::CareKind;
use crate::audio::events::SoundKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
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
    DayNight { day: level, night: level }
}

/// The `[alerts]` settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlertSettings {
    /// When night begins and ends, local time, `HH:MM`.
    pub night_from: String,
    pub night_to: String,
    /// Changes to the defaults, by event kind (`fall`, `bed_exit`, `scream`, …).
    pub levels: BTreeMap<String, DayNight>,
    /// Per-resident changes on top, by resident id.
    pub residents: BTreeMap<String, BTreeMap<String, DayNight>>,
}

impl Default for AlertSettings {
    fn default() -> Self {
        AlertSettings { night_from: "22:00".into(), night_to: "07:00".into(), levels: BTreeMap::new(), residents: BTreeMap::new() }
    }
}

/// The device's defaults.
pub fn default_level(kind: &str) -> Option<DayNight> {
    use Level::*;
    Some(match kind {
        "fall" | "on_floor" | "seizure" => both(Alarm),
        "bed_exit" => DayNight { day: Warning, night: Alarm },
        "bed_edge" => DayNight { day: Silent, night: Warning },
        "room_exit" => DayNight { day: Warning, night: Alarm },
        "inactivity" => both(Warning),
        // Staff in the room: worth keeping, not worth a phone buzzing.
        "several_persons" => both(Silent),
        "scream" | "smoke_alarm" => both(Alarm),
        "distress" | "impact" | "glass_breaking" | "breathing" => both(Warning),
        "coughing" => DayNight { day: Silent, night: Warning },
        // Speech by day is conversation; at night, a resident calling.
        "calling" => DayNight { day: Silent, night: Warning },
        _ => return None,
    })
}

fn parse_time(text: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(text, "%H:%M").ok()
}

impl AlertSettings {
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for (name, text) in [("night_from", &self.night_from), ("night_to", &self.night_to)] {
            if parse_time(text).is_none() {
                problems.push(format!("{name} \"{text}\" is not a time of day (HH:MM)"));
            }
        }
        let tables = std::iter::once(("levels".to_string(), &self.levels)).chain(self.residents.iter().map(|(id, t)| (format!("residents.{id}"), t)));
        for (table, levels) in tables {
            for kind in levels.keys().filter(|k| default_level(k).is_none()) {
                problems.push(format!("{table}.{kind}: not an event kind"));
            }
        }
        problems
    }

    /// Whether `time` (local) is night.
    pub fn is_night(&self, time: NaiveTime) -> bool {
        let (Some(from), Some(to)) = (parse_time(&self.night_from), parse_time(&self.night_to)) else { return false };
        if from <= to {
            time >= from && time < to
        } else {
            time >= from || time < to
        }
    }

    /// The level of an event of `kind` for `resident` at local `time`.
    pub fn level(&self, kind: &str, resident: Option<&str>, time: NaiveTime) -> Level {
        let chosen = resident
            .and_then(|r| self.residents.get(r))
            .and_then(|levels| levels.get(kind))
            .or_else(|| self.levels.get(kind))
            .copied()
            .or_else(|| default_level(kind))
            .unwrap_or(both(Level::Warning));
        if self.is_night(time) {
            chosen.night
        } else {
            chosen.day
        }
    }
}

pub fn care_kind_name(kind: CareKind) -> &'static str {
    match kind {
        CareKind::Fall => "fall",
        CareKind::OnFloor => "on_floor",
        CareKind::BedEdge => "bed_edge",
        CareKind::BedExit => "bed_exit",
        CareKind::RoomExit => "room_exit",
        CareKind::Inactivity => "inactivity",
        CareKind::Seizure => "seizure",
        CareKind::SeveralPersons => "several_persons",
    }
}

pub fn sound_kind_name(kind: SoundKind) -> &'static str {
    kind.name()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    #[test]
    fn day_and_night_and_a_resident_of_their_own() {
        let mut settings = AlertSettings::default();
        assert_eq!(settings.level("calling", None, at(14, 0)), Level::Silent);
        assert_eq!(settings.level("calling", None, at(3, 10)), Level::Warning, "speech at night is a resident calling");
        assert_eq!(settings.level("bed_exit", None, at(23, 0)), Level::Alarm);
        assert_eq!(settings.level("bed_exit", None, at(7, 0)), Level::Warning, "night ends at 07:00");
        settings.residents.insert("r-017".into(), BTreeMap::from([("bed_edge".to_string(), DayNight { day: Level::Alarm, night: Level::Alarm })]));
        assert_eq!(settings.level("bed_edge", Some("r-017"), at(12, 0)), Level::Alarm);
        assert_eq!(settings.level("bed_edge", Some("r-018"), at(12, 0)), Level::Silent);
        assert_eq!(settings.level("fall", Some("r-017"), at(12, 0)), Level::Alarm, "what the resident does not change keeps the default");
    }

    #[test]
    fn every_kind_has_a_default_and_bad_settings_are_named() {
        for kind in CareKindsAndSounds::all() {
            assert!(default_level(kind).is_some(), "{kind}");
        }
        let settings = AlertSettings {
            night_from: "25:00".into(),
            levels: BTreeMap::from([("falls".to_string(), both(Level::Alarm))]),
            ..AlertSettings::default()
        };
        let problems = settings.problems();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems.iter().any(|p| p.contains("levels.falls: not an event kind")), "{problems:?}");
    }

    struct CareKindsAndSounds;
    impl CareKindsAndSounds {
        fn all() -> Vec<&'static str> {
            let care = [CareKind::Fall, CareKind::OnFloor, CareKind::BedEdge, CareKind::BedExit, CareKind::RoomExit, CareKind::Inactivity, CareKind::Seizure, CareKind::SeveralPersons];
            care.iter().map(|k| care_kind_name(*k)).chain(SoundKind::ALL.iter().map(|k| k.name())).collect()
        }
    }
}
