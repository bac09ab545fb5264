//! Steady tones switched on and off: the raw material of an alarm's
//! pattern. Every 16 ms a 32 ms window of sound is looked at: is most of
//! its energy in one narrow band (a tone and its harmonics), and at what
//! pitch? Runs of such frames at one pitch are pulses. Pure: samples in,
//! pulses out; the samples are wiped once looked at.

use std::sync::Arc;

use realfft::{num_complex::Complex, RealFftPlanner, RealToComplex};
use zeroize::Zeroize;

use super::SAMPLE_RATE;

const WINDOW: usize = 512;
const HOP: usize = 256;
/// Alarm tones lie here: low-frequency sounders (520 Hz) up to piezo horns.
const LOW_HZ: f32 = 400.0;
const HIGH_HZ: f32 = 7_500.0;
/// A Hann window spreads a pure tone over about two bins either side.
const PEAK_HALF_WIDTH: usize = 2;
/// Share of the band's energy that must sit at the tone and its harmonics.
const MIN_TONALITY: f32 = 0.5;
/// Quieter than this (mean square per sample) is silence, however pure.
const MIN_POWER: f32 = 1e-7;
/// A pulse's frames keep their pitch within this share of it.
const PITCH_TOLERANCE: f32 = 0.04;
/// One frame missing from a pulse does not break it.
const MAX_MISSING_FRAMES: usize = 1;
const MIN_PULSE_S: f64 = 0.04;

/// One frame's verdict.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ToneFrame {
    /// The middle of the window, in seconds of sound.
    pub t_s: f64,
    /// The tone's pitch, when the frame is one.
    pub pitch_hz: Option<f32>,
}

/// A tone that sounded from `start_s` to `end_s`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pulse {
    pub start_s: f64,
    pub end_s: f64,
    pub pitch_hz: f32,
}

impl Pulse {
    pub fn duration_s(&self) -> f64 {
        self.end_s - self.start_s
    }

    pub fn same_pitch(&self, other: f32, tolerance: f32) -> bool {
        (self.pitch_hz - other).abs() <= tolerance * self.pitch_hz.max(other)
    }
}

/// Frames from a stream of 16 kHz samples.
pub struct ToneFrames {
    fft: Arc<dyn RealToComplex<f32>>,
    window: Vec<f32>,
    pending: Vec<f32>,
    input: Vec<f32>,
    spectrum: Vec<Complex<f32>>,
    power: Vec<f32>,
    frames_done: u64,
}

impl Default for ToneFrames {
    fn default() -> Self {
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(WINDOW);
        let window = (0..WINDOW)
            .map(|i| 0.5 - 0.5 * (2.0 * std::f32::consts::PI * i as f32 / WINDOW as f32).cos())
            .collect();
        ToneFrames {
            input: fft.make_input_vec(),
            spectrum: fft.make_output_vec(),
            power: vec![0.0; WINDOW / 2 + 1],
            fft,
            window,
            pending: Vec::new(),
            frames_done: 0,
        }
    }
}

impl ToneFrames {
    pub fn push(&mut self, samples: &[f32]) -> Vec<ToneFrame> {
        self.pending.extend_from_slice(samples);
        let mut frames = Vec::new();
        let mut used = 0;
        while self.pending.len() - used >= WINDOW {
            frames.push(self.frame(used));
            used += HOP;
        }
        self.pending[..used].zeroize();
        self.pending.drain(..used);
        frames
    }

    fn frame(&mut self, from: usize) -> ToneFrame {
        let samples = &self.pending[from..from + WINDOW];
        for ((x, s), w) in self.input.iter_mut().zip(samples).zip(&self.window) {
            *x = s * w;
        }
        let t_s =
            (self.frames_done * HOP as u64 + WINDOW as u64 / 2) as f64 / f64::from(SAMPLE_RATE);
        self.frames_done += 1;
        let pitch_hz = self
            .fft
            .process(&mut self.input, &mut self.spectrum)
            .ok()
            .and_then(|()| self.pitch());
        self.input[..].zeroize();
        self.spectrum.fill(Complex::default());
        ToneFrame { t_s, pitch_hz }
    }

    /// The strongest bin's pitch, when it and its harmonics hold most of
    /// the band's energy.
    fn pitch(&mut self) -> Option<f32> {
        for (p, c) in self.power.iter_mut().zip(&self.spectrum) {
            *p = c.norm_sqr();
        }
        let hz_per_bin = SAMPLE_RATE as f32 / WINDOW as f32;
        let low = (LOW_HZ / hz_per_bin).ceil() as usize;
        let high = ((HIGH_HZ / hz_per_bin) as usize).min(self.power.len() - 1);
        let band = &self.power[low..=high];
        let total: f32 = band.iter().sum();
        // Hann's gain squared (0.375 × WINDOW) turns a bin sum into mean square × WINDOW.
        if total / (0.375 * (WINDOW * WINDOW) as f32) < MIN_POWER {
            self.power[..].zeroize();
            return None;
        }
        let peak = low + (0..band.len()).max_by(|&a, &b| band[a].total_cmp(&band[b]))?;
        let around = |bin: usize| -> f32 {
            let from = bin.saturating_sub(PEAK_HALF_WIDTH).max(low);
            let to = (bin + PEAK_HALF_WIDTH).min(high);
            if from > to {
                0.0
            } else {
                self.power[from..=to].iter().sum()
            }
        };
        let tonal: f32 = (1..=3).map(|k| around(peak * k)).sum();
        let pitch = (peak as f32 + self.peak_offset(peak)) * hz_per_bin;
        self.power[..].zeroize();
        (tonal >= MIN_TONALITY * total).then_some(pitch)
    }

    /// Where between its neighbours the peak really lies (a parabola
    /// through the log powers), so a low tone keeps one pitch from frame
    /// to frame although its bins are 31 Hz wide.
    fn peak_offset(&self, peak: usize) -> f32 {
        let (Some(&a), Some(&b), Some(&c)) = (
            self.power.get(peak.wrapping_sub(1)),
            self.power.get(peak),
            self.power.get(peak + 1),
        ) else {
            return 0.0;
        };
        let (a, b, c) = (a.max(1e-20).ln(), b.max(1e-20).ln(), c.max(1e-20).ln());
        let curve = a - 2.0 * b + c;
        if curve >= 0.0 {
            0.0
        } else {
            (0.5 * (a - c) / curve).clamp(-0.5, 0.5)
        }
    }
}

/// Pulses from frames: a run of frames at one pitch.
#[derive(Debug, Default)]
pub struct PulseTracker {
    open: Option<OpenPulse>,
}

#[derive(Debug)]
struct OpenPulse {
    pulse: Pulse,
    missing: usize,
}

impl PulseTracker {
    /// Takes the next frame; returns a pulse that has just ended.
    pub fn push(&mut self, frame: ToneFrame) -> Option<Pulse> {
        let half_hop = HOP as f64 / f64::from(SAMPLE_RATE) / 2.0;
        if let Some(open) = self.open.as_mut() {
            match frame.pitch_hz {
                Some(pitch) if open.pulse.same_pitch(pitch, PITCH_TOLERANCE) => {
                    open.pulse.end_s = frame.t_s + half_hop;
                    open.missing = 0;
                    return None;
                }
                None if open.missing < MAX_MISSING_FRAMES => {
                    open.missing += 1;
                    return None;
                }
                _ => {}
            }
        }
        let ended = self.open.take().map(|open| open.pulse);
        self.open = frame.pitch_hz.map(|pitch_hz| OpenPulse {
            pulse: Pulse {
                start_s: frame.t_s - half_hop,
                end_s: frame.t_s + half_hop,
                pitch_hz,
            },
            missing: 0,
        });
        ended.filter(|p| p.duration_s() >= MIN_PULSE_S)
    }

    /// When the tone sounding now began, if one is.
    pub fn sounding_since(&self) -> Option<f64> {
        self.open.as_ref().map(|open| open.pulse.start_s)
    }

    /// The sound has ended: a pulse still sounding ends with it.
    pub fn finish(&mut self) -> Option<Pulse> {
        self.open
            .take()
            .map(|open| open.pulse)
            .filter(|p| p.duration_s() >= MIN_PULSE_S)
    }
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// A sine of `hz` at `amplitude` from `on_s` to `off_s`, added to `out`.
    pub fn add_tone(out: &mut [f32], hz: f32, amplitude: f32, on_s: f64, off_s: f64) {
        let rate = f64::from(SAMPLE_RATE);
        let (from, to) = (
            (on_s * rate) as usize,
            ((off_s * rate) as usize).min(out.len()),
        );
        for (i, x) in out.iter_mut().enumerate().take(to).skip(from) {
            let phase = 2.0 * std::f64::consts::PI * f64::from(hz) * i as f64 / rate;
            *x += amplitude * phase.sin() as f32;
        }
    }

    fn pulses(samples: &[f32]) -> Vec<Pulse> {
        let mut frames = ToneFrames::default();
        let mut tracker = PulseTracker::default();
        let mut out: Vec<Pulse> = samples
            .chunks(1000)
            .flat_map(|c| frames.push(c))
            .filter_map(|f| tracker.push(f))
            .collect();
        out.extend(tracker.finish());
        out
    }

    #[test]
    fn a_tone_switched_on_and_off_is_pulses_at_its_pitch() {
        let mut sound = vec![0.0; 48_000];
        add_tone(&mut sound, 3_100.0, 0.3, 0.5, 1.0);
        add_tone(&mut sound, 3_100.0, 0.3, 1.5, 2.0);
        let found = pulses(&sound);
        assert_eq!(found.len(), 2, "{found:?}");
        for (pulse, on) in found.iter().zip([0.5, 1.5]) {
            assert!((pulse.start_s - on).abs() < 0.04, "{pulse:?}");
            assert!((pulse.duration_s() - 0.5).abs() < 0.06, "{pulse:?}");
            assert!((pulse.pitch_hz - 3_100.0).abs() < 40.0, "{pulse:?}");
        }
    }

    #[test]
    fn noise_and_silence_are_no_tone() {
        let mut random = crate::random::Random(7);
        let noise: Vec<f32> = (0..32_000).map(|_| 0.3 * random.normal()).collect();
        assert_eq!(pulses(&noise), vec![]);
        assert_eq!(pulses(&vec![0.0; 32_000]), vec![]);
    }

    #[test]
    fn a_change_of_pitch_starts_a_new_pulse() {
        let mut sound = vec![0.0; 32_000];
        add_tone(&mut sound, 800.0, 0.3, 0.2, 0.6);
        add_tone(&mut sound, 1_200.0, 0.3, 0.6, 1.0);
        let found = pulses(&sound);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].pitch_hz < 900.0 && found[1].pitch_hz > 1_100.0);
    }
}
