//! Any rate to 16 kHz, with rubato's FFT resampler.

use rubato::{FftFixedIn, Resampler};
use zeroize::Zeroize;

use super::SAMPLE_RATE;

const CHUNK: usize = 1024;

#[derive(Debug, thiserror::Error)]
#[error("cannot resample from {rate} Hz: {reason}")]
pub struct ResampleError {
    pub rate: u32,
    pub reason: String,
}

/// Resamples mono `samples` at `rate` to 16 kHz. The output has
/// `ceil(len * 16000 / rate)` samples, aligned with the input (the
/// resampler's delay is removed).
pub fn to_16k(mut samples: Vec<f32>, rate: u32) -> Result<Vec<f32>, ResampleError> {
    if rate == SAMPLE_RATE || samples.is_empty() {
        return Ok(samples);
    }
    let err = |reason: String| ResampleError { rate, reason };
    let mut resampler = FftFixedIn::<f32>::new(rate as usize, SAMPLE_RATE as usize, CHUNK, 2, 1).map_err(|e| err(e.to_string()))?;
    let wanted = (samples.len() as u64 * u64::from(SAMPLE_RATE)).div_ceil(u64::from(rate)) as usize;
    let delay = resampler.output_delay();
    let mut out = Vec::with_capacity(wanted + delay + CHUNK);
    let mut position = 0;
    while position + resampler.input_frames_next() <= samples.len() {
        let next = resampler.input_frames_next();
        let block = resampler.process(&[&samples[position..position + next]], None).map_err(|e| err(e.to_string()))?;
        out.extend_from_slice(&block[0]);
        position += next;
    }
    // The tail, then silence until the delayed output has come out.
    if position < samples.len() {
        let tail = resampler.process_partial(Some(&[&samples[position..]]), None).map_err(|e| err(e.to_string()))?;
        out.extend_from_slice(&tail[0]);
    }
    while out.len() < wanted + delay {
        let flush = resampler.process_partial::<&[f32]>(None, None).map_err(|e| err(e.to_string()))?;
        if flush[0].is_empty() {
            break;
        }
        out.extend_from_slice(&flush[0]);
    }
    samples.zeroize();
    let mut aligned: Vec<f32> = out.iter().skip(delay).take(wanted).copied().collect();
    aligned.resize(wanted, 0.0);
    out.zeroize();
    Ok(aligned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(rate: u32, hz: f32, seconds: f32) -> Vec<f32> {
        (0..(rate as f32 * seconds) as usize).map(|i| (2.0 * std::f32::consts::PI * hz * i as f32 / rate as f32).sin() * 0.5).collect()
    }

    #[test]
    fn a_tone_keeps_its_pitch_and_length() {
        for rate in [8_000, 22_050, 44_100, 48_000, 96_000] {
            let out = to_16k(tone(rate, 1000.0, 1.0), rate).unwrap();
            assert_eq!(out.len(), 16_000, "{rate}");
            // Zero crossings of a 1 kHz tone over the middle half second: about 1000.
            let middle = &out[4000..12000];
            let crossings = middle.windows(2).filter(|w| (w[0] < 0.0) != (w[1] < 0.0)).count();
            assert!((990..=1010).contains(&crossings), "{rate}: {crossings}");
            let peak = middle.iter().fold(0.0f32, |m, v| m.max(v.abs()));
            assert!((0.45..0.55).contains(&peak), "{rate}: {peak}");
        }
    }

    #[test]
    fn sixteen_k_passes_through_and_tiny_inputs_work() {
        assert_eq!(to_16k(vec![0.25; 10], 16_000).unwrap(), vec![0.25; 10]);
        assert_eq!(to_16k(vec![0.1; 3], 44_100).unwrap().len(), 2);
        assert!(to_16k(vec![], 48_000).unwrap().is_empty());
    }
}
