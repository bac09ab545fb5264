//! Leaving the room: last seen in the door zone, then out of view long
//! enough. Once per leaving; seen again re-arms it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{CareEvent, CareKind, Evidence};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExitSettings {
    /// Out of view this long after the door is `room_exit`.
    pub after_s: f64,
}

impl Default for ExitSettings {
    fn default() -> Self {
        ExitSettings { after_s: 10.0 }
    }
}

#[derive(Debug, Clone)]
pub struct ExitWatch {
    settings: ExitSettings,
    person: usize,
    /// When the person was last seen, and whether in the door zone then.
    last_seen: Option<(f64, bool)>,
    reported: bool,
}

impl ExitWatch {
    pub fn new(person: usize, settings: ExitSettings) -> ExitWatch {
        ExitWatch {
            settings,
            person,
            last_seen: None,
            reported: false,
        }
    }

    /// `at_door`: `None` when the person is not seen in this frame.
    pub fn push(&mut self, t: f64, at_door: Option<bool>) -> Vec<CareEvent> {
        if let Some(at_door) = at_door {
            self.last_seen = Some((t, at_door));
            self.reported = false;
            return Vec::new();
        }
        match self.last_seen {
            Some((seen, true)) if !self.reported && t - seen >= self.settings.after_s => {
                self.reported = true;
                let values =
                    BTreeMap::from([("seconds_out_of_view", t - seen), ("last_seen_s", seen)]);
                vec![CareEvent {
                    kind: CareKind::RoomExit,
                    t_s: t,
                    confidence: 0.8,
                    person: Some(self.person),
                    evidence: Evidence::new(
                        "last seen in the door zone, then out of view for after_s",
                        values,
                    ),
                }]
            }
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaving_by_the_door_once_and_not_by_vanishing_elsewhere() {
        let mut watch = ExitWatch::new(0, ExitSettings::default());
        let mut events = Vec::new();
        for i in 0..100 {
            let t = f64::from(i) * 0.5;
            let seen = match t {
                t if t < 10.0 => Some(false),
                t if t < 12.0 => Some(true),
                _ => None,
            };
            events.extend(watch.push(t, seen));
        }
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].t_s, 21.5);
        let mut watch = ExitWatch::new(0, ExitSettings::default());
        let vanished: Vec<_> = (0..100)
            .flat_map(|i| watch.push(f64::from(i) * 0.5, if i < 20 { Some(false) } else { None }))
            .collect();
        assert!(
            vanished.is_empty(),
            "lost from view in the middle of the room is not leaving"
        );
    }
}
