//! WAV files to 16 kHz mono chunks: any PCM width or float, any channel
//! count (mixed down), any rate (resampled).

use std::path::Path;

use zeroize::Zeroize;

use super::{resample, AudioChunk};

/// The longest recording accepted in one piece (memory stays bounded:
/// an hour at 16 kHz is 230 MB of f32 before analysis).
pub const MAX_SECONDS: u32 = 3600;
const MAX_CHANNELS: u16 = 32;

#[derive(Debug, thiserror::Error)]
pub enum WavError {
    #[error("{file}: cannot read the file: {cause}")]
    Read { file: String, cause: std::io::Error },
    #[error("{file}: not a WAV file the device can read: {reason}")]
    Format { file: String, reason: String },
    #[error("{file}: the WAV holds no samples")]
    Empty { file: String },
    #[error("{file}: {seconds} s of audio is more than the {MAX_SECONDS} s the device takes at once")]
    TooLong { file: String, seconds: u64 },
    #[error("{file}: {cause}")]
    Resample { file: String, cause: resample::ResampleError },
}

/// Decodes a WAV file into one 16 kHz mono chunk; also returns the file's
/// own sample rate and channel count.
pub fn read_file(path: &Path) -> Result<(AudioChunk, u32, u16), WavError> {
    let file = path.display().to_string();
    let mut bytes = std::fs::read(path).map_err(|cause| WavError::Read { file: file.clone(), cause })?;
    let result = decode(&file, &bytes);
    // The encoded file is sound too (R5.4).
    bytes.zeroize();
    result
}

/// Decodes a WAV file to mono samples at the file's own rate (for the
/// benchmark, which times resampling separately).
pub fn read_mono(path: &Path) -> Result<(Vec<f32>, u32), WavError> {
    let file = path.display().to_string();
    let mut bytes = std::fs::read(path).map_err(|cause| WavError::Read { file: file.clone(), cause })?;
    let result = decode_mono(&file, &bytes).map(|(mono, rate, _)| (mono, rate));
    bytes.zeroize();
    result
}

pub fn decode(file: &str, bytes: &[u8]) -> Result<(AudioChunk, u32, u16), WavError> {
    let (mono, rate, channels) = decode_mono(file, bytes)?;
    let samples = resample::to_16k(mono, rate).map_err(|e| WavError::Resample { file: file.to_string(), cause: e })?;
    Ok((AudioChunk::from_samples(samples), rate, channels))
}

fn decode_mono(file: &str, bytes: &[u8]) -> Result<(Vec<f32>, u32, u16), WavError> {
    let format = |reason: String| WavError::Format { file: file.to_string(), reason };
    let reader = hound::WavReader::new(std::io::Cursor::new(bytes)).map_err(|e| format(e.to_string()))?;
    let spec = reader.spec();
    if spec.channels == 0 || spec.channels > MAX_CHANNELS {
        return Err(format(format!("{} channels", spec.channels)));
    }
    if spec.sample_rate < 4_000 || spec.sample_rate > 384_000 {
        return Err(format(format!("a sample rate of {} Hz", spec.sample_rate)));
    }
    let frames = u64::from(reader.duration());
    if frames == 0 {
        return Err(WavError::Empty { file: file.to_string() });
    }
    let seconds = frames / u64::from(spec.sample_rate);
    if seconds > u64::from(MAX_SECONDS) {
        return Err(WavError::TooLong { file: file.to_string(), seconds });
    }
    let channels = usize::from(spec.channels);
    let mut mono = Vec::with_capacity(frames as usize);
    let mut frame_sum = 0.0f32;
    let mut in_frame = 0;
    let mut push = |value: f32| {
        frame_sum += value;
        in_frame += 1;
        if in_frame == channels {
            mono.push(frame_sum / channels as f32);
            frame_sum = 0.0;
            in_frame = 0;
        }
    };
    match spec.sample_format {
        hound::SampleFormat::Float => {
            for sample in reader.into_samples::<f32>() {
                push(sample.map_err(|e| format(e.to_string()))?.clamp(-1.0, 1.0));
            }
        }
        hound::SampleFormat::Int => {
            if !(8..=32).contains(&spec.bits_per_sample) {
                return Err(format(format!("{}-bit samples", spec.bits_per_sample)));
            }
            let full_scale = (1u64 << (spec.bits_per_sample - 1)) as f32;
            for sample in reader.into_samples::<i32>() {
                push(sample.map_err(|e| format(e.to_string()))? as f32 / full_scale);
            }
        }
    }
    if mono.is_empty() {
        return Err(WavError::Empty { file: file.to_string() });
    }
    Ok((mono, spec.sample_rate, spec.channels))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wav(spec: hound::WavSpec, frames: usize) -> Vec<u8> {
        let mut out = std::io::Cursor::new(Vec::new());
        let mut writer = hound::WavWriter::new(&mut out, spec).unwrap();
        for i in 0..frames * usize::from(spec.channels) {
            let v = ((i as f32) * 0.01).sin() * 0.5;
            match (spec.sample_format, spec.bits_per_sample) {
                (hound::SampleFormat::Float, _) => writer.write_sample(v).unwrap(),
                (_, 8) => writer.write_sample((v * 127.0) as i8).unwrap(),
                (_, 16) => writer.write_sample((v * 32767.0) as i16).unwrap(),
                (_, bits) => writer.write_sample((v * ((1i64 << (bits - 1)) - 1) as f32) as i32).unwrap(),
            }
        }
        writer.finalize().unwrap();
        out.into_inner()
    }

    fn spec(channels: u16, rate: u32, bits: u16, float: bool) -> hound::WavSpec {
        hound::WavSpec { channels, sample_rate: rate, bits_per_sample: bits, sample_format: if float { hound::SampleFormat::Float } else { hound::SampleFormat::Int } }
    }

    #[test]
    fn every_common_layout_becomes_16k_mono() {
        for (channels, rate, bits, float) in [(1, 16_000, 16, false), (2, 44_100, 16, false), (6, 48_000, 24, false), (1, 96_000, 32, true), (1, 8_000, 8, false)] {
            let bytes = wav(spec(channels, rate, bits, float), rate as usize);
            let (chunk, got_rate, got_channels) = decode("x.wav", &bytes).unwrap();
            assert_eq!((got_rate, got_channels), (rate, channels));
            assert_eq!(chunk.samples().len(), 16_000, "{channels} ch {rate} Hz {bits} bit");
            assert!(chunk.samples().iter().all(|v| v.abs() <= 1.0));
        }
    }

    #[test]
    fn bad_wavs_are_named_errors() {
        let err = decode("notes.wav", b"just some text").unwrap_err().to_string();
        assert!(err.starts_with("notes.wav: not a WAV file"), "{err}");
        let empty = wav(spec(1, 16_000, 16, false), 0);
        assert!(matches!(decode("empty.wav", &empty), Err(WavError::Empty { .. })));
        let whole = wav(spec(1, 16_000, 16, false), 16_000);
        let err = decode("cut.wav", &whole[..30]).unwrap_err().to_string();
        assert!(err.starts_with("cut.wav:"), "{err}");
    }

    #[test]
    fn debug_prints_no_samples() {
        let chunk = AudioChunk::from_samples(vec![0.5; 16_000]);
        assert_eq!(format!("{chunk:?}"), "AudioChunk(1.00 s, samples withheld)");
    }
}
