//! Smoke and carbon-monoxide alarms by the pattern the standards give
//! them (ISO 8201, which EN 14604 and EN 50291 alarms follow): one steady
//! tone switched on and off in the temporal three (T3: three 0.5 s pulses
//! 0.5 s apart, then 1.5 s quiet; smoke and fire) or the temporal four
//! (T4: four 0.1 s pulses 0.1 s apart, then 5 s quiet; carbon monoxide).
//! A group is a run of exactly that many pulses on the pattern's beat
//! with quiet before and after it; an alarm repeats its group, a
//! microwave's three beeps or a ringtone's melody does not. Pure: pulses
//! and the time in, groups out.

use serde::Serialize;

use super::tone::{Pulse, PulseTracker, ToneFrames};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlarmPattern {
    /// T3, smoke and fire.
    TemporalThree,
    /// T4, carbon monoxide.
    TemporalFour,
}

impl AlarmPattern {
    pub fn name(self) -> &'static str {
        match self {
            AlarmPattern::TemporalThree => "temporal-three (smoke, fire)",
            AlarmPattern::TemporalFour => "temporal-four (carbon monoxide)",
        }
    }

    /// The longest quiet between two groups.
    pub fn longest_pause_s(self) -> f64 {
        self.timing().cycle_s.1
    }

    /// The standard's rhythm, by onsets: echoes and a recording's level
    /// control lengthen a pulse and shorten the gap after it (a real T3
    /// sounder recorded in a room sounds 0.8 s on, 0.15 s off), but the
    /// beat stays. Widened from the standard's ±10 % for sounders that stray.
    fn timing(self) -> Timing {
        match self {
            AlarmPattern::TemporalThree => Timing {
                pulses: 3,
                pulse_s: (0.25, 1.0),
                beat_s: (0.8, 1.25),
                cycle_s: (1.6, 2.6),
            },
            AlarmPattern::TemporalFour => Timing {
                pulses: 4,
                pulse_s: (0.05, 0.2),
                beat_s: (0.15, 0.3),
                cycle_s: (3.5, 7.0),
            },
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Timing {
    pulses: usize,
    pulse_s: (f64, f64),
    /// From one pulse's onset to the next within a group (T3: 1 s)...
    beat_s: (f64, f64),
    /// ...and from a group's last onset to the next group's first (T3: 2 s);
    /// no other pulse of the pitch may begin between them.
    cycle_s: (f64, f64),
}

fn within(value: f64, (low, high): (f64, f64)) -> bool {
    (low..=high).contains(&value)
}

/// Pulses of one pitch within this share of each other belong together.
const SAME_PITCH: f32 = 0.05;

/// A group of the pattern that was heard whole, with quiet around it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PatternGroup {
    pub pattern: AlarmPattern,
    /// When the first group of this run began, and this group ended.
    pub start_s: f64,
    pub end_s: f64,
    pub pitch_hz: f32,
    /// Groups heard one after the other at the pattern's pace.
    pub groups_in_row: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PatternUpdate {
    /// A whole group, known once the quiet after it was heard, or the
    /// first pulse of the next group at the pattern's pace (counted as a
    /// group in the row, and again when that group is whole).
    Group(PatternGroup),
    /// A pulse of a pitch that made a group lately: the alarm goes on.
    Sounding { pitch_hz: f32, end_s: f64 },
}

/// One pitch's recent pulses.
#[derive(Debug)]
struct Channel {
    pitch_hz: f32,
    /// The current run of pulses on the group's beat.
    run: Vec<Pulse>,
    /// The onset of the pulse before the run.
    onset_before: f64,
    /// The last group heard, and its last onset.
    last_group: Option<(PatternGroup, f64)>,
}

impl Channel {
    fn new(pitch_hz: f32) -> Channel {
        Channel {
            pitch_hz,
            run: Vec::new(),
            onset_before: f64::NEG_INFINITY,
            last_group: None,
        }
    }

    fn last_onset(&self) -> f64 {
        self.run.last().map_or(self.onset_before, |p| p.start_s)
    }

    /// The first pulse of a run, a cycle after the last group's last
    /// onset: the pattern begins again at its pace, which a beeping
    /// appliance does not. Known a whole group sooner than waiting for
    /// the group to end.
    fn begins_again(&self, pulse: Pulse, timing: Timing) -> Option<PatternGroup> {
        let (last, last_onset) = self.last_group?;
        within(pulse.start_s - last_onset, timing.cycle_s).then_some(PatternGroup {
            end_s: pulse.end_s,
            groups_in_row: last.groups_in_row + 1,
            ..last
        })
    }
}

/// Finds one pattern's groups, per pitch.
#[derive(Debug)]
pub struct PatternFinder {
    pattern: AlarmPattern,
    timing: Timing,
    channels: Vec<Channel>,
}

impl PatternFinder {
    pub fn new(pattern: AlarmPattern) -> PatternFinder {
        PatternFinder {
            pattern,
            timing: pattern.timing(),
            channels: Vec::new(),
        }
    }

    /// Takes a pulse that has ended.
    pub fn push_pulse(&mut self, pulse: Pulse) -> Vec<PatternUpdate> {
        let mut updates = self.tick(pulse.start_s);
        let timing = self.timing;
        let position = self
            .channels
            .iter()
            .position(|c| pulse.same_pitch(c.pitch_hz, SAME_PITCH))
            .unwrap_or_else(|| {
                self.channels.push(Channel::new(pulse.pitch_hz));
                self.channels.len() - 1
            });
        let channel = &mut self.channels[position];
        if channel
            .last_group
            .is_some_and(|(_, onset)| pulse.start_s - onset <= timing.cycle_s.1)
        {
            updates.push(PatternUpdate::Sounding {
                pitch_hz: channel.pitch_hz,
                end_s: pulse.end_s,
            });
        }
        let beat = pulse.start_s - channel.last_onset();
        let fits = within(pulse.duration_s(), timing.pulse_s);
        if fits && !channel.run.is_empty() && within(beat, timing.beat_s) {
            channel.run.push(pulse);
            return updates;
        }
        // Whatever ran before was no group: a pulse began too soon after it.
        let quiet_before = beat >= timing.cycle_s.0;
        channel.onset_before = channel.last_onset();
        channel.run.clear();
        if fits && quiet_before {
            channel.run.push(pulse);
            updates.extend(
                channel
                    .begins_again(pulse, timing)
                    .map(PatternUpdate::Group),
            );
        } else {
            channel.onset_before = pulse.start_s;
        }
        updates
    }

    /// No pulse has begun between the last one pushed and `quiet_until_s`:
    /// runs whose quiet after them is long enough are judged.
    pub fn tick(&mut self, quiet_until_s: f64) -> Vec<PatternUpdate> {
        let (pattern, timing) = (self.pattern, self.timing);
        let mut updates = Vec::new();
        for channel in &mut self.channels {
            let (Some(first), Some(last)) = (channel.run.first(), channel.run.last()) else {
                continue;
            };
            let last_onset = last.start_s;
            if quiet_until_s - last_onset < timing.cycle_s.0 {
                continue;
            }
            if channel.run.len() == timing.pulses {
                let follows = channel
                    .last_group
                    .filter(|(_, onset)| within(first.start_s - onset, timing.cycle_s))
                    .map(|(g, _)| g);
                let group = PatternGroup {
                    pattern,
                    start_s: follows.map_or(first.start_s, |g| g.start_s),
                    end_s: last.end_s,
                    pitch_hz: channel.pitch_hz,
                    groups_in_row: follows.map_or(1, |g| g.groups_in_row + 1),
                };
                channel.last_group = Some((group, last_onset));
                updates.push(PatternUpdate::Group(group));
            }
            channel.onset_before = last_onset;
            channel.run.clear();
        }
        // A pitch not heard for longer than two cycles is forgotten.
        self.channels
            .retain(|c| quiet_until_s - c.last_onset() <= 2.0 * timing.cycle_s.1);
        updates
    }
}

/// Alarm patterns from the samples themselves: tones, pulses, groups.
pub struct AlarmListener {
    tones: ToneFrames,
    pulses: PulseTracker,
    finders: [PatternFinder; 2],
}

impl Default for AlarmListener {
    fn default() -> Self {
        AlarmListener {
            tones: ToneFrames::default(),
            pulses: PulseTracker::default(),
            finders: [
                PatternFinder::new(AlarmPattern::TemporalThree),
                PatternFinder::new(AlarmPattern::TemporalFour),
            ],
        }
    }
}

impl AlarmListener {
    pub fn push(&mut self, samples: &[f32]) -> Vec<PatternUpdate> {
        let mut updates = Vec::new();
        for frame in self.tones.push(samples) {
            if let Some(pulse) = self.pulses.push(frame) {
                for finder in &mut self.finders {
                    updates.extend(finder.push_pulse(pulse));
                }
            }
            // Quiet is known only up to a tone still sounding.
            let quiet_until = self.pulses.sounding_since().unwrap_or(frame.t_s);
            for finder in &mut self.finders {
                updates.extend(finder.tick(quiet_until));
            }
        }
        updates
    }

    /// The sound has ended: a pulse still sounding ends, but what follows
    /// it was never heard, so no group is judged by it.
    pub fn finish(&mut self) -> Vec<PatternUpdate> {
        let mut updates = Vec::new();
        if let Some(pulse) = self.pulses.finish() {
            for finder in &mut self.finders {
                updates.extend(finder.push_pulse(pulse));
            }
        }
        *self = AlarmListener::default();
        updates
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pulse(start_s: f64, duration_s: f64, pitch_hz: f32) -> Pulse {
        Pulse {
            start_s,
            end_s: start_s + duration_s,
            pitch_hz,
        }
    }

    /// Pushes the pulses with time ticking every 16 ms until `until_s`; returns the groups.
    fn groups(pattern: AlarmPattern, pulses: &[Pulse], until_s: f64) -> Vec<PatternGroup> {
        let mut finder = PatternFinder::new(pattern);
        let mut pending = pulses.iter().peekable();
        let mut found = Vec::new();
        let mut t = 0.0;
        while t < until_s {
            while let Some(p) = pending.next_if(|p| p.end_s <= t) {
                found.extend(finder.push_pulse(*p));
            }
            found.extend(finder.tick(t));
            t += 0.016;
        }
        found
            .into_iter()
            .filter_map(|u| match u {
                PatternUpdate::Group(g) => Some(g),
                PatternUpdate::Sounding { .. } => None,
            })
            .collect()
    }

    /// `cycles` cycles of `on` s pulses `gap` s apart, `count` to a group, `pause` s between groups.
    fn train(count: usize, on: f64, gap: f64, pause: f64, cycles: usize, pitch: f32) -> Vec<Pulse> {
        let mut pulses = Vec::new();
        let mut t = 0.3;
        for _ in 0..cycles {
            for k in 0..count {
                pulses.push(pulse(t, on, pitch));
                t += on + if k + 1 < count { gap } else { pause };
            }
        }
        pulses
    }

    #[test]
    fn temporal_three_is_found_group_by_group() {
        let t3 = train(3, 0.5, 0.5, 1.5, 3, 3_100.0);
        let found = groups(AlarmPattern::TemporalThree, &t3, 13.0);
        let rows: Vec<usize> = found.iter().map(|g| g.groups_in_row).collect();
        assert_eq!(
            rows,
            vec![1, 2, 2, 3, 3],
            "each next group as it begins and when it ends"
        );
        assert!(found.iter().all(|g| (g.start_s - 0.3).abs() < 1e-9));
        assert_eq!(groups(AlarmPattern::TemporalFour, &t3, 13.0), vec![]);
    }

    #[test]
    fn temporal_four_is_found_and_is_not_three() {
        let t4 = train(4, 0.1, 0.1, 5.0, 2, 3_400.0);
        let found = groups(AlarmPattern::TemporalFour, &t4, 14.0);
        assert_eq!(
            found.iter().map(|g| g.groups_in_row).collect::<Vec<_>>(),
            vec![1, 2, 2]
        );
        assert_eq!(groups(AlarmPattern::TemporalThree, &t4, 14.0), vec![]);
    }

    #[test]
    fn beeping_on_and_on_or_once_or_in_fours_is_no_temporal_three() {
        let steady = train(1, 0.5, 0.5, 0.5, 12, 3_000.0);
        assert_eq!(groups(AlarmPattern::TemporalThree, &steady, 14.0), vec![]);
        // A microwave's three beeps make one group, never two in a row.
        let microwave = train(3, 0.4, 0.4, 9.0, 1, 2_000.0);
        let found = groups(AlarmPattern::TemporalThree, &microwave, 8.0);
        assert_eq!(
            found.iter().map(|g| g.groups_in_row).collect::<Vec<_>>(),
            vec![1]
        );
        let fours = train(4, 0.5, 0.5, 1.5, 3, 3_000.0);
        assert_eq!(groups(AlarmPattern::TemporalThree, &fours, 14.0), vec![]);
    }

    #[test]
    fn another_pitch_between_the_pulses_does_not_break_the_pattern() {
        let mut pulses = train(3, 0.5, 0.5, 1.5, 2, 3_100.0);
        pulses.push(pulse(1.35, 0.2, 700.0));
        pulses.push(pulse(3.0, 0.3, 1_500.0));
        pulses.sort_by(|a, b| a.end_s.total_cmp(&b.end_s));
        let found = groups(AlarmPattern::TemporalThree, &pulses, 9.0);
        assert_eq!(
            found.iter().map(|g| g.groups_in_row).collect::<Vec<_>>(),
            vec![1, 2, 2]
        );
    }

    /// Sound as real sounders and appliances make it, in room noise.
    mod heard {
        use super::super::*;
        use crate::audio::tone::tests::add_tone;
        use crate::random::Random;

        const RATE: f64 = 16_000.0;

        /// Tones one after the other: (pitch in Hz, seconds on, seconds off).
        type Steps = Vec<(f32, f64, f64)>;

        /// Tones of (pitch, on, off) seconds one after the other from 0.2 s
        /// until `seconds`, each on-time and off-time varied by up to 5 %
        /// as real sounders vary, in white noise `noise_db` below the tone.
        fn sound(
            steps: &[(f32, f64, f64)],
            amplitude: f32,
            noise_db: f32,
            seconds: f64,
        ) -> Vec<f32> {
            let mut random = Random(11);
            let mut out = vec![0.0; (seconds * RATE) as usize];
            let mut t = 0.2;
            'outer: while !steps.is_empty() {
                for &(pitch, on, off) in steps {
                    let vary = |r: &mut Random| 1.0 + 0.1 * (f64::from(r.uniform()) - 0.5);
                    let on = on * vary(&mut random);
                    if t + on > seconds {
                        break 'outer;
                    }
                    add_tone(&mut out, pitch, amplitude, t, t + on);
                    t += on + off * vary(&mut random);
                }
            }
            let noise = amplitude / 2f32.sqrt() * 10f32.powf(-noise_db / 20.0);
            for x in &mut out {
                *x += noise * random.normal();
            }
            out
        }

        fn t3(pitch: f32) -> Steps {
            vec![(pitch, 0.5, 0.5), (pitch, 0.5, 0.5), (pitch, 0.5, 1.5)]
        }

        fn t4(pitch: f32) -> Steps {
            vec![
                (pitch, 0.1, 0.1),
                (pitch, 0.1, 0.1),
                (pitch, 0.1, 0.1),
                (pitch, 0.1, 5.0),
            ]
        }

        /// When the listener first hears two groups in a row, in seconds of sound.
        fn alarm_known_at(samples: &[f32]) -> Option<f64> {
            let mut listener = AlarmListener::default();
            let mut heard = 0.0;
            for chunk in samples.chunks(1_600) {
                heard += chunk.len() as f64 / RATE;
                let repeated = listener
                    .push(chunk)
                    .iter()
                    .any(|u| matches!(u, PatternUpdate::Group(g) if g.groups_in_row >= 2));
                if repeated {
                    return Some(heard);
                }
            }
            None
        }

        #[test]
        fn temporal_three_at_any_pitch_and_level_in_noise_is_known_within_five_seconds() {
            for pitch in [520.0, 950.0, 3_100.0, 3_400.0] {
                for amplitude in [0.5, 0.05, 0.005] {
                    for noise_db in [20.0, 6.0] {
                        let at = alarm_known_at(&sound(&t3(pitch), amplitude, noise_db, 12.0));
                        assert!(
                            at.is_some_and(|at| at <= 5.2),
                            "{pitch} Hz, amplitude {amplitude}, noise {noise_db} dB below: {at:?}"
                        );
                    }
                }
            }
        }

        #[test]
        fn temporal_four_is_known_when_it_begins_again() {
            for pitch in [3_000.0, 3_400.0] {
                let at = alarm_known_at(&sound(&t4(pitch), 0.1, 10.0, 12.0));
                assert!(at.is_some_and(|at| at <= 6.5), "{pitch} Hz: {at:?}");
            }
        }

        #[test]
        fn ringtones_alarm_clocks_and_kitchen_beeps_are_no_alarm_pattern() {
            let melody: Steps = [1_319.0, 1_175.0, 740.0, 831.0, 1_109.0, 988.0, 587.0, 659.0]
                .iter()
                .map(|&p| (p, 0.15, 0.03))
                .chain([(880.0, 0.3, 1.2)])
                .collect();
            let cases: [(&str, Steps); 5] = [
                ("a ringtone's melody", melody),
                (
                    "a phone's double ring",
                    vec![(1_000.0, 0.4, 0.2), (1_000.0, 0.4, 2.0)],
                ),
                (
                    "an alarm clock's fours",
                    vec![
                        (2_500.0, 0.1, 0.1),
                        (2_500.0, 0.1, 0.1),
                        (2_500.0, 0.1, 0.1),
                        (2_500.0, 0.1, 0.5),
                    ],
                ),
                ("a timer beeping on and on", vec![(3_000.0, 0.5, 0.5)]),
                (
                    "a microwave's three beeps",
                    vec![
                        (2_000.0, 0.4, 0.4),
                        (2_000.0, 0.4, 0.4),
                        (2_000.0, 0.4, 60.0),
                    ],
                ),
            ];
            for (what, steps) in cases {
                assert_eq!(
                    alarm_known_at(&sound(&steps, 0.2, 20.0, 15.0)),
                    None,
                    "{what}"
                );
            }
        }

        #[test]
        fn silence_and_noise_are_no_alarm() {
            assert_eq!(alarm_known_at(&vec![0.0; 160_000]), None);
            assert_eq!(alarm_known_at(&sound(&[], 0.2, 0.0, 10.0)), None);
        }
    }
}
