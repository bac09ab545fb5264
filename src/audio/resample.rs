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
    if samples.is_empty() {
        return Ok(samples);
    }
    let mut stream = StreamResampler::new(rate)?;
    let mut out = stream.push(&samples)?;
    samples.zeroize();
    out.extend(stream.finish()?);
    Ok(out)
}

/// Resamples a stream that arrives in pieces of any size (a microphone's
/// callbacks, a long file read block by block) with memory bounded by the
/// resampler's own chunk. The whole output equals [`to_16k`]'s.
pub struct StreamResampler {
    rate: u32,
    resampler: Option<FftFixedIn<f32>>,
    pending: Vec<f32>,
    /// Output samples still to drop at the start (the resampler's delay).
    delay_left: usize,
    samples_in: u64,
    samples_out: u64,
}

impl StreamResampler {
    pub fn new(rate: u32) -> Result<StreamResampler, ResampleError> {
        let err = |reason: String| ResampleError { rate, reason };
        if rate == 0 {
            return Err(err("the rate is zero".to_string()));
        }
        let resampler = if rate == SAMPLE_RATE {
            None
        } else {
            Some(
                FftFixedIn::<f32>::new(rate as usize, SAMPLE_RATE as usize, CHUNK, 2, 1)
                    .map_err(|e| err(e.to_string()))?,
            )
        };
        let delay_left = resampler.as_ref().map_or(0, |r| r.output_delay());
        Ok(StreamResampler {
            rate,
            resampler,
            pending: Vec::new(),
            delay_left,
            samples_in: 0,
            samples_out: 0,
        })
    }

    /// The 16 kHz samples that `samples` completes. Values outside -1..1
    /// are clipped and NaN or infinite ones (a broken device or file) become
    /// silence: they would otherwise poison every later sample.
    pub fn push(&mut self, samples: &[f32]) -> Result<Vec<f32>, ResampleError> {
        self.samples_in += samples.len() as u64;
        let clean = |v: &f32| {
            if v.is_finite() {
                v.clamp(-1.0, 1.0)
            } else {
                0.0
            }
        };
        let Some(resampler) = self.resampler.as_mut() else {
            self.samples_out += samples.len() as u64;
            return Ok(samples.iter().map(clean).collect());
        };
        let rate = self.rate;
        let err = |reason: String| ResampleError { rate, reason };
        self.pending.extend(samples.iter().map(clean));
        let mut out = Vec::new();
        let mut position = 0;
        while position + resampler.input_frames_next() <= self.pending.len() {
            let next = resampler.input_frames_next();
            let block = resampler
                .process(&[&self.pending[position..position + next]], None)
                .map_err(|e| err(e.to_string()))?;
            out.extend_from_slice(&block[0]);
            position += next;
        }
        self.pending[..position].zeroize();
        self.pending.drain(..position);
        Ok(self.emit(out))
    }

    /// The end of the stream: the rest, up to `ceil(in * 16000 / rate)` in all.
    pub fn finish(&mut self) -> Result<Vec<f32>, ResampleError> {
        let Some(resampler) = self.resampler.as_mut() else {
            return Ok(Vec::new());
        };
        let rate = self.rate;
        let err = |reason: String| ResampleError { rate, reason };
        let wanted = (self.samples_in * u64::from(SAMPLE_RATE)).div_ceil(u64::from(rate));
        let mut out = Vec::new();
        if !self.pending.is_empty() {
            let tail = resampler
                .process_partial(Some(&[&self.pending[..]]), None)
                .map_err(|e| err(e.to_string()))?;
            out.extend_from_slice(&tail[0]);
            self.pending.zeroize();
            self.pending.clear();
        }
        // Silence until the delayed output has come out.
        while self.samples_out + (out.len().saturating_sub(self.delay_left) as u64) < wanted {
            let flush = resampler
                .process_partial::<&[f32]>(None, None)
                .map_err(|e| err(e.to_string()))?;
            if flush[0].is_empty() {
                break;
            }
            out.extend_from_slice(&flush[0]);
        }
        let mut out = self.emit(out);
        let left = wanted.saturating_sub(self.samples_out - out.len() as u64) as usize;
        out.truncate(left);
        out.resize(left, 0.0);
        self.samples_out = wanted;
        Ok(out)
    }

    fn emit(&mut self, mut out: Vec<f32>) -> Vec<f32> {
        let skip = self.delay_left.min(out.len());
        self.delay_left -= skip;
        out[..skip].zeroize();
        out.drain(..skip);
        self.samples_out += out.len() as u64;
        out
    }
}

impl Drop for StreamResampler {
    fn drop(&mut self) {
        self.pending.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(rate: u32, hz: f32, seconds: f32) -> Vec<f32> {
        (0..(rate as f32 * seconds) as usize)
            .map(|i| (2.0 * std::f32::consts::PI * hz * i as f32 / rate as f32).sin() * 0.5)
            .collect()
    }

    #[test]
    fn a_tone_keeps_its_pitch_and_length() {
        for rate in [8_000, 22_050, 44_100, 48_000, 96_000] {
            let out = to_16k(tone(rate, 1000.0, 1.0), rate).unwrap();
            assert_eq!(out.len(), 16_000, "{rate}");
            // Zero crossings of a 1 kHz tone over the middle half second: about 1000.
            let middle = &out[4000..12000];
            let crossings = middle
                .windows(2)
                .filter(|w| (w[0] < 0.0) != (w[1] < 0.0))
                .count();
            assert!((990..=1010).contains(&crossings), "{rate}: {crossings}");
            let peak = middle.iter().fold(0.0f32, |m, v| m.max(v.abs()));
            assert!((0.45..0.55).contains(&peak), "{rate}: {peak}");
        }
    }

    #[test]
    fn a_stream_in_odd_pieces_gives_the_whole_file_result() {
        for rate in [8_000, 44_100, 48_000] {
            let input = tone(rate, 440.0, 2.3);
            let whole = to_16k(input.clone(), rate).unwrap();
            let mut stream = StreamResampler::new(rate).unwrap();
            let mut pieces = Vec::new();
            for piece in input.chunks(333) {
                pieces.extend(stream.push(piece).unwrap());
            }
            pieces.extend(stream.finish().unwrap());
            assert_eq!(pieces.len(), whole.len(), "{rate}");
            let worst = pieces
                .iter()
                .zip(&whole)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0f32, f32::max);
            assert!(worst < 1e-6, "{rate}: {worst}");
        }
    }

    #[test]
    fn broken_values_become_silence_not_a_panic() {
        for rate in [16_000, 48_000] {
            let mut input = tone(rate, 440.0, 0.5);
            input[100] = f32::NAN;
            input[200] = f32::INFINITY;
            input[300] = 7.0;
            let out = to_16k(input, rate).unwrap();
            assert!(out.iter().all(|v| v.is_finite()), "{rate}");
        }
    }

    #[test]
    fn sixteen_k_passes_through_and_tiny_inputs_work() {
        assert_eq!(to_16k(vec![0.25; 10], 16_000).unwrap(), vec![0.25; 10]);
        assert_eq!(to_16k(vec![0.1; 3], 44_100).unwrap().len(), 2);
        assert!(to_16k(vec![], 48_000).unwrap().is_empty());
    }
}
