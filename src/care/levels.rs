//! How loudly each event reaches staff: `silent` (kept, not sent),
//! `warning` or `alarm`. These are the device's defaults; per-resident
//! levels with day and night schedules come with the alert settings.

use serde::Serialize;

use super::CareKind;
use crate::audio::events::SoundKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Silent,
    Warning,
    Alarm,
}

/// The default level of a care event.
pub fn care_level(kind: CareKind) -> Level {
    match kind {
        CareKind::Fall | CareKind::OnFloor | CareKind::Seizure | CareKind::BedExit => Level::Alarm,
        CareKind::BedEdge | CareKind::RoomExit | CareKind::Inactivity => Level::Warning,
        // Staff in the room: worth keeping, not worth a phone buzzing.
        CareKind::SeveralPersons => Level::Silent,
    }
}

/// The default level of a sound event.
pub fn sound_level(kind: SoundKind) -> Level {
    match kind {
        SoundKind::Scream | SoundKind::SmokeAlarm => Level::Alarm,
        _ => Level::Warning,
    }
}
