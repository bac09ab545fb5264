//! Leaving the bed, in two steps: sitting on the bed's edge (an early
//! warning), and being out of bed without coming back within a tolerance
//! (so a visit to the toilet raises nothing). One `bed_exit` per time out
//! of bed: a second needs a return first.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::posture::Posture;
use super::{CareEvent, CareKind, Evidence};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BedSettings {
    /// Sitting on the edge this long is `bed_edge`.
    pub edge_after_s: f64,
    /// Out of bed this long without returning is `bed_exit`.
    pub exit_tolerance_s: f64,
    /// In bed this long before a leaving counts (not someone passing by).
    pub settled_s: f64,
}

impl Default for BedSettings {
    fn default() -> Self {
        BedSettings {
            edge_after_s: 2.0,
            exit_tolerance_s: 600.0,
            settled_s: 10.0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum State {
    /// Not known to be in bed.
    Away,
    InBed {
        since: f64,
        edge_since: Option<f64>,
        edge_reported: bool,
    },
    Out {
        since: f64,
        reported: bool,
    },
}

#[derive(Debug, Clone)]
pub struct BedWatch {
    settings: BedSettings,
    person: usize,
    state: State,
}

impl BedWatch {
    pub fn new(person: usize, settings: BedSettings) -> BedWatch {
        BedWatch {
            settings,
            person,
            state: State::Away,
        }
    }

    fn event(
        &self,
        kind: CareKind,
        t: f64,
        confidence: f32,
        rule: &'static str,
        values: &[(&'static str, f64)],
    ) -> CareEvent {
        CareEvent {
            kind,
            t_s: t,
            confidence,
            person: Some(self.person),
            evidence: Evidence::new(rule, values.iter().copied().collect::<BTreeMap<_, _>>()),
        }
    }

    /// Takes the filtered posture at `t`.
    pub fn push(&mut self, t: f64, posture: Posture) -> Vec<CareEvent> {
        let mut events = Vec::new();
        self.state = match (self.state, posture) {
            (State::Away, p) if p.in_bed() => State::InBed {
                since: t,
                edge_since: None,
                edge_reported: false,
            },
            (State::Away, _) => State::Away,
            (
                State::InBed {
                    since,
                    edge_since,
                    edge_reported,
                },
                p,
            ) if p.in_bed() => {
                let edge_since = if p == Posture::SittingOnBedEdge {
                    Some(edge_since.unwrap_or(t))
                } else {
                    None
                };
                let mut edge_reported = edge_reported && p != Posture::LyingInBed;
                if let Some(edge) = edge_since {
                    if !edge_reported
                        && t - edge >= self.settings.edge_after_s
                        && t - since >= self.settings.settled_s
                    {
                        edge_reported = true;
                        events.push(self.event(
                            CareKind::BedEdge,
                            t,
                            0.8,
                            "sitting on the bed edge longer than edge_after_s",
                            &[("seconds_on_edge", t - edge)],
                        ));
                    }
                }
                State::InBed {
                    since,
                    edge_since,
                    edge_reported,
                }
            }
            // Unseen in bed (under a blanket, a pose the model misses): still in bed.
            (s @ State::InBed { .. }, Posture::NotInView) => s,
            (State::InBed { since, .. }, _) if t - since >= self.settings.settled_s => State::Out {
                since: t,
                reported: false,
            },
            (State::InBed { .. }, _) => State::Away,
            (State::Out { .. }, p) if p.in_bed() => State::InBed {
                since: t,
                edge_since: None,
                edge_reported: false,
            },
            (State::Out { since, reported }, _) => {
                let mut reported = reported;
                if !reported && t - since >= self.settings.exit_tolerance_s {
                    reported = true;
                    events.push(self.event(
                        CareKind::BedExit,
                        t,
                        0.85,
                        "out of bed and not back within exit_tolerance_s",
                        &[("seconds_out_of_bed", t - since)],
                    ));
                }
                State::Out { since, reported }
            }
        };
        events
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(settings: BedSettings, timeline: &[(f64, Posture)], until: f64) -> Vec<(CareKind, f64)> {
        let mut watch = BedWatch::new(0, settings);
        let mut events = Vec::new();
        let mut t = 0.0;
        while t <= until {
            let posture = timeline
                .iter()
                .rev()
                .find(|(from, _)| *from <= t)
                .map_or(Posture::NotInView, |(_, p)| *p);
            events.extend(watch.push(t, posture).into_iter().map(|e| (e.kind, e.t_s)));
            t += 0.5;
        }
        events
    }

    fn quick() -> BedSettings {
        BedSettings {
            edge_after_s: 2.0,
            exit_tolerance_s: 60.0,
            settled_s: 10.0,
        }
    }

    #[test]
    fn a_toilet_visit_raises_nothing_and_staying_out_raises_one_exit() {
        use Posture::*;
        let toilet = [
            (0.0, LyingInBed),
            (30.0, Walking),
            (35.0, NotInView),
            (70.0, Walking),
            (80.0, LyingInBed),
        ];
        assert!(run(quick(), &toilet, 200.0).is_empty(), "back within 60 s");
        let gone = [(0.0, LyingInBed), (30.0, Walking), (35.0, NotInView)];
        assert_eq!(
            run(quick(), &gone, 400.0),
            vec![(CareKind::BedExit, 90.0)],
            "once, 60 s after leaving"
        );
        let twice = [
            (0.0, LyingInBed),
            (30.0, Standing),
            (100.0, LyingInBed),
            (130.0, Standing),
        ];
        let exits: Vec<_> = run(quick(), &twice, 300.0)
            .into_iter()
            .filter(|(k, _)| *k == CareKind::BedExit)
            .collect();
        assert_eq!(
            exits,
            vec![(CareKind::BedExit, 90.0), (CareKind::BedExit, 190.0)],
            "a second exit only after a return"
        );
    }

    #[test]
    fn sitting_on_the_edge_warns_once_per_sitting() {
        use Posture::*;
        let edge = [
            (0.0, LyingInBed),
            (20.0, SittingOnBedEdge),
            (40.0, LyingInBed),
            (60.0, SittingOnBedEdge),
        ];
        let events = run(quick(), &edge, 70.0);
        assert_eq!(
            events,
            vec![(CareKind::BedEdge, 22.0), (CareKind::BedEdge, 62.0)]
        );
        // Someone who sits down on the bed edge and leaves at once has not settled in bed.
        let visitor = [(0.0, Standing), (5.0, SittingOnBedEdge), (9.0, Standing)];
        assert!(run(quick(), &visitor, 200.0).is_empty());
    }
}
