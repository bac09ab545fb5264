//! Falls and lying on the floor, with no zones needed. A fall is a descent
//! from being up (standing, walking, sitting, in bed) to lying on the floor
//! within a few seconds, seen frame by frame: the shoulders come down and
//! so do the hips (lying down on a bed from sitting on it, the hips stay
//! where they were). The tracker may lose a fast-falling body for a few
//! frames; a longer gap in the frames during the descent never makes a
//! fall. Lying on the floor is `on_floor`, soon when no fall was seen (a
//! person found on the floor), later after a fall already reported, and
//! repeated while it lasts.
//!
//! Sound joins in where it is heard: an impact (a thud, a crash) around the
//! moment a fall reaches the floor makes the fall more certain, and an
//! impact followed by the person lying on the floor is a fall even when the
//! camera missed the descent (frames lost, the body half out of view).

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

use super::posture::{BodyShape, Posture};
use super::{CareEvent, CareKind, Evidence};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FallSettings {
    /// The descent must happen within this many seconds.
    pub window_s: f64,
    /// ...and bring the shoulders down at least this many body sizes...
    pub min_drop: f32,
    /// ...and the hips at least this many: lying down on a bed from sitting
    /// on it they stay put (a tenth of a body size either way), while a
    /// fall from sitting brings them down about 0.7, and a camera looking
    /// 60° down still shows half of that.
    pub min_hip_drop: f32,
    /// Lying on the floor this long confirms the fall.
    pub confirm_s: f64,
    /// The body lost by the tracker for longer than this breaks the descent...
    pub max_gap_s: f64,
    /// ...while frames that stop coming altogether (the device busy, the
    /// camera stalling) break it only after this long: the body was not
    /// lost, it was not looked at, and a busy device must not turn a fall
    /// into a late `on_floor`.
    pub max_stall_s: f64,
    /// `on_floor` after lying on the floor this long when no fall was seen...
    pub unseen_on_floor_after_s: f64,
    /// ...or this long after a fall was reported...
    pub on_floor_after_s: f64,
    /// ...and again every this many seconds while it lasts.
    pub on_floor_repeat_s: f64,
    /// An impact sound this long before reaching the floor, or
    /// `impact_after_s` after it, belongs to the fall.
    pub impact_before_s: f64,
    pub impact_after_s: f64,
    /// Lying on the floor within this long of an impact, with no descent
    /// seen, is a fall heard rather than seen.
    pub floor_after_impact_s: f64,
}

impl Default for FallSettings {
    fn default() -> Self {
        FallSettings {
            window_s: 3.0,
            min_drop: 0.8,
            min_hip_drop: 0.15,
            confirm_s: 1.0,
            max_gap_s: 1.0,
            max_stall_s: 2.0,
            unseen_on_floor_after_s: 8.0,
            on_floor_after_s: 20.0,
            on_floor_repeat_s: 60.0,
            impact_before_s: 3.0,
            impact_after_s: 2.0,
            floor_after_impact_s: 10.0,
        }
    }
}

/// An impact sound: when it began and how sure the sound model was.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Impact {
    pub start_s: f64,
    pub score: f32,
}

#[derive(Debug, Clone, Copy)]
struct Sample {
    t: f64,
    shoulders_y: f32,
    hips_y: f32,
    scale: f32,
    posture: Posture,
    raw: Posture,
    /// Frames came without the body since the sample before this one.
    lost_before: bool,
}

impl Sample {
    /// Up in this frame: by the filtered posture, or by the frame alone
    /// while the filter has not yet settled on a body it has only just
    /// seen (a person first seen mid-fall).
    fn up(&self) -> bool {
        let posture = match self.posture {
            Posture::NotInView => self.raw,
            filtered => filtered,
        };
        !matches!(posture, Posture::LyingOnFloor | Posture::NotInView)
    }
}

/// One person's fall and floor watch.
#[derive(Debug, Clone)]
pub struct FallDetector {
    settings: FallSettings,
    person: usize,
    history: VecDeque<Sample>,
    /// A frame came without the body since the last sample.
    body_lost: bool,
    /// When the current stretch on the floor began (first frame of it).
    down_since: Option<f64>,
    /// The stretch has been looked at for a seen descent.
    fall_checked: bool,
    /// A fall was reported for this stretch (seen or heard).
    fall_reported: bool,
    next_on_floor: Option<f64>,
    /// Impacts heard lately, oldest first.
    impacts: VecDeque<Impact>,
}

impl FallDetector {
    pub fn new(person: usize, settings: FallSettings) -> FallDetector {
        FallDetector {
            settings,
            person,
            history: VecDeque::new(),
            body_lost: false,
            down_since: None,
            fall_checked: false,
            fall_reported: false,
            next_on_floor: None,
            impacts: VecDeque::new(),
        }
    }

    /// An impact sound became known at `now`. It may complete a fall the
    /// camera did not see: the person is already lying on the floor.
    pub fn push_impact(&mut self, now: f64, impact: Impact) -> Vec<CareEvent> {
        self.impacts.push_back(impact);
        self.forget_impacts(now);
        self.heard_fall(now).into_iter().collect()
    }

    fn forget_impacts(&mut self, now: f64) {
        let keep = self
            .settings
            .impact_before_s
            .max(self.settings.floor_after_impact_s)
            + self.settings.confirm_s
            + 5.0;
        while self.impacts.front().is_some_and(|i| now - i.start_s > keep) {
            self.impacts.pop_front();
        }
    }

    /// The loudest impact from `before` seconds before `floor_at` to `after` seconds after it.
    fn impact_near(&self, floor_at: f64, before: f64, after: f64) -> Option<Impact> {
        self.impacts
            .iter()
            .filter(|i| i.start_s >= floor_at - before && i.start_s <= floor_at + after)
            .copied()
            .max_by(|a, b| a.score.total_cmp(&b.score))
    }

    /// A fall heard, not seen: the stretch on the floor is confirmed, no
    /// descent was seen, and an impact came shortly before it began.
    fn heard_fall(&mut self, now: f64) -> Option<CareEvent> {
        let down_since = self.down_since?;
        if self.fall_reported || !self.fall_checked {
            return None;
        }
        let impact = self.impact_near(
            down_since,
            self.settings.floor_after_impact_s,
            self.settings.impact_after_s,
        )?;
        self.fall_reported = true;
        // The floor is news again only on_floor_after_s after the fall.
        self.next_on_floor = None;
        let values = BTreeMap::from([
            ("impact_score", f64::from(impact.score)),
            ("impact_s_before_floor", down_since - impact.start_s),
            ("seconds_on_floor", now - down_since),
        ]);
        let confidence = (0.6 + 0.3 * impact.score).min(0.9);
        Some(CareEvent {
            kind: CareKind::Fall,
            t_s: now,
            confidence,
            person: Some(self.person),
            evidence: Evidence::new(
                "impact sound, then lying on the floor (descent not seen)",
                values,
            ),
        })
    }

    /// Takes one frame's shape and posture at time `t`: `posture` filtered,
    /// `raw` as this frame alone shows it.
    pub fn push(
        &mut self,
        t: f64,
        shape: Option<&BodyShape>,
        posture: Posture,
        raw: Posture,
    ) -> Vec<CareEvent> {
        let mut events = Vec::new();
        match shape {
            Some(shape) => self.history.push_back(Sample {
                t,
                shoulders_y: shape.shoulders.1,
                hips_y: shape.hips.1,
                scale: shape.scale,
                posture,
                raw,
                lost_before: std::mem::take(&mut self.body_lost),
            }),
            None => self.body_lost = true,
        }
        while self
            .history
            .front()
            .is_some_and(|s| t - s.t > self.settings.window_s + self.settings.confirm_s + 1.0)
        {
            self.history.pop_front();
        }
        self.forget_impacts(t);
        if posture != Posture::LyingOnFloor {
            if posture != Posture::NotInView {
                self.down_since = None;
                self.fall_checked = false;
                self.fall_reported = false;
                self.next_on_floor = None;
            }
            return events;
        }
        let down_since = *self.down_since.get_or_insert(t);
        let down_for = t - down_since;
        // A fall is confirmed while the body is still down in this frame
        // (lying, on all fours, or out of view), not while the posture
        // filter merely holds on: a squat rising again is up before the
        // filter lets go.
        let still_down = matches!(
            raw,
            Posture::LyingOnFloor | Posture::KneelingOrCrawling | Posture::NotInView
        );
        if !self.fall_checked && down_for >= self.settings.confirm_s && still_down {
            self.fall_checked = true;
            if let Some(mut event) = self.descent_before(down_since, t) {
                if let Some(impact) = self.impact_near(
                    down_since,
                    self.settings.impact_before_s,
                    self.settings.impact_after_s,
                ) {
                    // Two independent witnesses: the doubt left is the product of both doubts.
                    event.confidence = 1.0 - (1.0 - event.confidence) * (1.0 - 0.8 * impact.score);
                    event
                        .evidence
                        .values
                        .insert("impact_score", f64::from(impact.score));
                    event
                        .evidence
                        .values
                        .insert("impact_s_before_floor", down_since - impact.start_s);
                }
                self.fall_reported = true;
                events.push(event);
            } else {
                events.extend(self.heard_fall(t));
            }
        }
        if !self.fall_checked {
            return events;
        }
        // Staff told of the fall need not hear of the floor at once; a
        // person found on the floor with no fall seen is news already.
        let (first_after, rule) = if self.fall_reported {
            (
                self.settings.on_floor_after_s,
                "lying on the floor longer than on_floor_after_s after the fall",
            )
        } else {
            (
                self.settings.unseen_on_floor_after_s,
                "lying on the floor, no fall seen, longer than unseen_on_floor_after_s",
            )
        };
        let next = *self.next_on_floor.get_or_insert(down_since + first_after);
        if t >= next {
            self.next_on_floor = Some(next + self.settings.on_floor_repeat_s);
            let mut values = BTreeMap::new();
            values.insert("seconds_on_floor", down_for);
            events.push(CareEvent {
                kind: CareKind::OnFloor,
                t_s: t,
                confidence: 0.9,
                person: Some(self.person),
                evidence: Evidence::new(rule, values),
            });
        }
        events
    }

    /// Two successive samples belong to one unbroken run: the body was
    /// lost between them only briefly, or the frames merely stalled.
    fn joined(&self, before: &Sample, after: &Sample) -> bool {
        let gap = after.t - before.t;
        let allowed = if after.lost_before {
            self.settings.max_gap_s
        } else {
            self.settings.max_gap_s.max(self.settings.max_stall_s)
        };
        gap <= allowed
    }

    /// Looks back from the first frame on the floor for an unbroken run of
    /// frames from an up posture down to the floor within the window.
    fn descent_before(&self, floor_at: f64, now: f64) -> Option<CareEvent> {
        let frames: Vec<&Sample> = self
            .history
            .iter()
            .filter(|s| s.t <= floor_at && floor_at - s.t <= self.settings.window_s)
            .collect();
        // Only frames seen without a break up to the floor count.
        let mut first = frames.len().checked_sub(1)?;
        while first > 0 && self.joined(frames[first - 1], frames[first]) {
            first -= 1;
        }
        let tail = &frames[first..];
        // The last frame where the person was still up, then the highest point before it.
        let up = tail.iter().rposition(|s| s.up())?;
        let top = (0..=up).min_by(|&a, &b| tail[a].shoulders_y.total_cmp(&tail[b].shoulders_y))?;
        let (up_frame, start, last) = (tail[up], tail[top], *tail.last()?);
        let hips_top = tail[..=up]
            .iter()
            .map(|s| s.hips_y)
            .fold(f32::INFINITY, f32::min);
        let scale = up_frame.scale.max(last.scale);
        let drop = (last.shoulders_y - start.shoulders_y) / scale;
        // Where the hips came to rest while the fall was confirmed: in the
        // middle of lying down they may dip for a moment.
        let resting: Vec<f32> = self
            .history
            .iter()
            .filter(|s| s.t >= floor_at)
            .map(|s| s.hips_y)
            .collect();
        let hips_rest = resting.iter().sum::<f32>() / resting.len().max(1) as f32;
        let hip_drop = (hips_rest - hips_top) / scale;
        if drop < self.settings.min_drop || hip_drop < self.settings.min_hip_drop {
            return None;
        }
        let run = &tail[top..];
        let seconds = (last.t - start.t).max(1e-3);
        let peak_speed = run
            .windows(2)
            .map(|w| {
                (w[1].shoulders_y - w[0].shoulders_y) / scale / (w[1].t - w[0].t).max(1e-3) as f32
            })
            .fold(0.0f32, f32::max);
        let longest_gap = run
            .windows(2)
            .map(|w| w[1].t - w[0].t)
            .fold(0.0f64, f64::max);
        // Fast descents are falls beyond doubt; slow ones (a collapse) less so.
        let confidence =
            (0.55 + 0.2 * (peak_speed / 2.0).min(1.0) + 0.2 * (drop / 2.0).min(1.0)).min(0.95);
        let mut values = BTreeMap::new();
        values.insert("drop_body_sizes", f64::from(drop));
        values.insert("hip_drop_body_sizes", f64::from(hip_drop));
        values.insert("longest_gap_s", longest_gap);
        values.insert("peak_speed_body_sizes_per_s", f64::from(peak_speed));
        values.insert("seconds_to_floor", seconds);
        values.insert("seconds_confirmed", now - floor_at);
        let rule = match up_frame.posture {
            p if p.in_bed() => "from bed to lying on the floor within window_s",
            _ => "from up to lying on the floor within window_s",
        };
        Some(CareEvent {
            kind: CareKind::Fall,
            t_s: now,
            confidence,
            person: Some(self.person),
            evidence: Evidence::new(rule, values),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(shoulders_y: f32, hips_y: f32) -> BodyShape {
        BodyShape {
            hips: (300.0, hips_y),
            shoulders: (300.0, shoulders_y),
            feet: None,
            scale: 100.0,
            shoulder_width_px: 40.0,
            torso_tilt_deg: 0.0,
            leg_extension: None,
            aspect: 1.0,
            world: None,
        }
    }

    /// Up for two seconds, down to the floor in half a second, then lying
    /// (as the filter holds it) while each frame alone reads `after` from
    /// one second on the floor.
    fn falls_with(after: Posture) -> Vec<CareEvent> {
        let mut fall = FallDetector::new(0, FallSettings::default());
        let mut events = Vec::new();
        for i in 0..=100 {
            let t = f64::from(i) * 0.04;
            let (frame, filtered, raw) = match t {
                t if t < 2.0 => (shape(100.0, 200.0), Posture::Standing, Posture::Standing),
                t if t < 2.5 => (shape(200.0, 240.0), Posture::Standing, Posture::Standing),
                t if t < 3.5 => (
                    shape(250.0, 260.0),
                    Posture::LyingOnFloor,
                    Posture::LyingOnFloor,
                ),
                _ => (shape(250.0, 260.0), Posture::LyingOnFloor, after),
            };
            events.extend(fall.push(t, Some(&frame), filtered, raw));
        }
        events
    }

    #[test]
    fn a_fall_is_confirmed_only_while_the_body_is_still_down() {
        let kinds = |after| -> Vec<CareKind> { falls_with(after).iter().map(|e| e.kind).collect() };
        assert_eq!(kinds(Posture::LyingOnFloor), vec![CareKind::Fall]);
        assert_eq!(kinds(Posture::KneelingOrCrawling), vec![CareKind::Fall]);
        assert_eq!(
            kinds(Posture::Standing),
            vec![],
            "up again before the filter let go"
        );
    }

    /// First seen at `first_t` seconds, while the filter has not settled
    /// (it reads not in view), then lying; the frames alone read `early`
    /// before the floor.
    fn first_seen(early: Posture) -> Vec<CareKind> {
        let mut fall = FallDetector::new(0, FallSettings::default());
        let mut kinds = Vec::new();
        for i in 0..=75 {
            let t = f64::from(i) * 0.04;
            let (frame, filtered, raw) = match t {
                t if t < 0.6 => (
                    shape(100.0 + 200.0 * t as f32, 200.0 + 80.0 * t as f32),
                    Posture::NotInView,
                    early,
                ),
                _ => (
                    shape(250.0, 260.0),
                    Posture::LyingOnFloor,
                    Posture::LyingOnFloor,
                ),
            };
            kinds.extend(
                fall.push(t, Some(&frame), filtered, raw)
                    .iter()
                    .map(|e| e.kind),
            );
        }
        kinds
    }

    #[test]
    fn a_person_first_seen_mid_fall_is_a_fall_by_the_frames_alone() {
        assert_eq!(first_seen(Posture::Standing), vec![CareKind::Fall]);
        assert_eq!(
            first_seen(Posture::KneelingOrCrawling),
            vec![CareKind::Fall]
        );
        assert_eq!(
            first_seen(Posture::LyingOnFloor),
            vec![],
            "already lying when first seen"
        );
    }

    /// Standing, then `gap` seconds from 2 s on with no frames (`lost`
    /// false) or with frames that show nobody (`lost` true), then lying on
    /// the floor until `until` seconds: the events and when they came.
    fn across_a_gap(gap: f64, lost: bool, until: f64) -> Vec<(CareKind, f64)> {
        let mut fall = FallDetector::new(0, FallSettings::default());
        let mut events = Vec::new();
        for i in 0..=(until / 0.04) as u32 {
            let t = f64::from(i) * 0.04;
            let (frame, posture) = match t {
                t if t < 2.0 => (Some(shape(100.0, 200.0)), Posture::Standing),
                t if t < 2.0 + gap && !lost => continue,
                t if t < 2.0 + gap => (None, Posture::NotInView),
                _ => (Some(shape(250.0, 260.0)), Posture::LyingOnFloor),
            };
            let pushed = fall.push(t, frame.as_ref(), posture, posture);
            events.extend(pushed.iter().map(|e| (e.kind, e.t_s)));
        }
        events
    }

    #[test]
    fn a_busy_device_does_not_hide_a_fall_but_a_lost_body_does() {
        let kinds = |gap, lost| -> Vec<CareKind> {
            across_a_gap(gap, lost, 6.0).iter().map(|e| e.0).collect()
        };
        assert_eq!(kinds(0.8, true), vec![CareKind::Fall], "a short loss");
        assert_eq!(kinds(1.5, true), vec![], "the body lost while it went down");
        assert_eq!(
            kinds(1.5, false),
            vec![CareKind::Fall],
            "no frames for 1.5 s"
        );
        assert_eq!(
            kinds(2.5, false),
            vec![],
            "no frames for longer than max_stall_s"
        );
    }

    #[test]
    fn the_floor_is_reported_sooner_when_no_fall_was_seen() {
        let settings = FallSettings::default();
        let unseen = across_a_gap(1.5, true, 40.0);
        let floor_at = 3.5;
        assert_eq!(unseen[0].0, CareKind::OnFloor, "{unseen:?}");
        assert!((unseen[0].1 - floor_at - settings.unseen_on_floor_after_s).abs() < 0.05);
        assert!(
            unseen[0].1 - floor_at <= 10.0,
            "within the 10 s the issue asks"
        );
        let seen = across_a_gap(0.5, true, 40.0);
        assert_eq!(seen[0].0, CareKind::Fall);
        assert_eq!(seen[1].0, CareKind::OnFloor);
        assert!(
            (seen[1].1 - 2.5 - settings.on_floor_after_s).abs() < 0.05,
            "{seen:?}"
        );
    }
}
