//! Prints the steady-tone pulses and alarm-pattern groups heard in a WAV
//! file, to see why an alarm was or was not recognised.
//!
//!     cargo run --release --example alarm_pulses -- FILE.wav

use tryghed::audio::alarm_pattern::AlarmListener;
use tryghed::audio::tone::{PulseTracker, ToneFrames};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: alarm_pulses FILE.wav")?;
    let (samples, rate) = tryghed::audio::wav::read_mono(std::path::Path::new(&path))?;
    if rate != tryghed::audio::SAMPLE_RATE {
        return Err(format!("{path}: {rate} Hz, expected 16000 Hz").into());
    }
    let (mut frames, mut pulses) = (ToneFrames::default(), PulseTracker::default());
    for frame in frames.push(&samples) {
        if let Some(p) = pulses.push(frame) {
            println!(
                "pulse {:6.2}–{:6.2} s  {:4.2} s  {:5.0} Hz",
                p.start_s,
                p.end_s,
                p.duration_s(),
                p.pitch_hz
            );
        }
    }
    let mut listener = AlarmListener::default();
    for update in listener.push(&samples) {
        println!("{update:?}");
    }
    Ok(())
}
