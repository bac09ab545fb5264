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
    #[error(
        "{file}: {seconds} s of audio is more than the {MAX_SECONDS} s the device takes at once"
    )]
    TooLong { file: String, seconds: u64 },
    #[error("{file}: {cause}")]
    Resample {
        file: String,
        cause: resample::ResampleError,
    },
}

/// Decodes a WAV file into one 16 kHz mono chunk; also returns the file's
/// own sample rate and channel count.
pub fn read_file(path: &Path) -> Result<(AudioChunk, u32, u16), WavError> {
    let file = path.display().to_string();
    let mut bytes = std::fs::read(path).map_err(|cause| WavError::Read {
        file: file.clone(),
        cause,
    })?;
    let result = decode(&file, &bytes);
    // The encoded file is sound too (R5.4).
    bytes.zeroize();
    result
}

/// Decodes a WAV file to mono samples at the file's own rate (for the
/// benchmark, which times resampling separately).
pub fn read_mono(path: &Path) -> Result<(Vec<f32>, u32), WavError> {
    let file = path.display().to_string();
    let mut bytes = std::fs::read(path).map_err(|cause| WavError::Read {
        file: file.clone(),
        cause,
    })?;
    let result = decode_mono(&file, &bytes).map(|(mono, rate, _)| (mono, rate));
    bytes.zeroize();
    result
}

pub fn decode(file: &str, bytes: &[u8]) -> Result<(AudioChunk, u32, u16), WavError> {
    let (mono, rate, channels) = decode_mono(file, bytes)?;
    let samples = resample::to_16k(mono, rate).map_err(|e| WavError::Resample {
        file: file.to_string(),
        cause: e,
    })?;
    Ok((AudioChunk::from_samples(samples), rate, channels))
}

fn decode_mono(file: &str, bytes: &[u8]) -> Result<(Vec<f32>, u32, u16), WavError> {
    let format = |reason: String| WavError::Format {
        file: file.to_string(),
        reason,
    };
    let reader =
        hound::WavReader::new(std::io::Cursor::new(bytes)).map_err(|e| format(e.to_string()))?;
    let spec = reader.spec();
    check_spec(file, &spec)?;
    let frames = u64::from(reader.duration());
    if frames == 0 {
        return Err(WavError::Empty {
            file: file.to_string(),
        });
    }
    let seconds = frames / u64::from(spec.sample_rate);
    if seconds > u64::from(MAX_SECONDS) {
        return Err(WavError::TooLong {
            file: file.to_string(),
            seconds,
        });
    }
    let channels = usize::from(spec.channels);
    let mut mono = Vec::with_capacity(frames as usize);
    let mut mixer = MonoMixer::new(channels);
    let mut push = |value: f32| mixer.push(value, &mut mono);
    match spec.sample_format {
        hound::SampleFormat::Float => {
            for sample in reader.into_samples::<f32>() {
                push(sample.map_err(|e| format(e.to_string()))?.clamp(-1.0, 1.0));
            }
        }
        hound::SampleFormat::Int => {
            let full_scale = (1u64 << (spec.bits_per_sample - 1)) as f32;
            for sample in reader.into_samples::<i32>() {
                push(sample.map_err(|e| format(e.to_string()))? as f32 / full_scale);
            }
        }
    }
    if mono.is_empty() {
        return Err(WavError::Empty {
            file: file.to_string(),
        });
    }
    Ok((mono, spec.sample_rate, spec.channels))
}

/// Samples per channel read at a time when streaming: 0.25 s at 48 kHz.
const BLOCK_FRAMES: usize = 12_000;

/// A WAV file read block by block into 16 kHz mono chunks: memory stays
/// bounded however long the file is, and nothing of it is kept.
pub struct WavSource {
    file: String,
    reader: hound::WavReader<WipingReader>,
    spec: hound::WavSpec,
    frames: u64,
    frames_read: u64,
    resampler: resample::StreamResampler,
    finished: bool,
}

impl WavSource {
    pub fn open(path: &Path) -> Result<WavSource, WavError> {
        let file = path.display().to_string();
        let handle = std::fs::File::open(path).map_err(|cause| WavError::Read {
            file: file.clone(),
            cause,
        })?;
        let format = |reason: String| WavError::Format {
            file: file.clone(),
            reason,
        };
        let reader =
            hound::WavReader::new(WipingReader::new(handle)).map_err(|e| format(e.to_string()))?;
        let spec = reader.spec();
        check_spec(&file, &spec)?;
        let frames = u64::from(reader.duration());
        if frames == 0 {
            return Err(WavError::Empty { file });
        }
        let resampler = resample::StreamResampler::new(spec.sample_rate).map_err(|cause| {
            WavError::Resample {
                file: file.clone(),
                cause,
            }
        })?;
        Ok(WavSource {
            file,
            reader,
            spec,
            frames,
            frames_read: 0,
            resampler,
            finished: false,
        })
    }

    /// The file's own rate and channel count.
    pub fn format(&self) -> (u32, u16) {
        (self.spec.sample_rate, self.spec.channels)
    }

    /// The length the header gives.
    pub fn duration_s(&self) -> f64 {
        self.frames as f64 / f64::from(self.spec.sample_rate)
    }

    /// The next piece of 16 kHz mono sound; `None` after the end.
    pub fn next_chunk(&mut self) -> Result<Option<AudioChunk>, WavError> {
        if self.finished {
            return Ok(None);
        }
        let channels = usize::from(self.spec.channels);
        let want = BLOCK_FRAMES.min((self.frames - self.frames_read) as usize);
        let mut mono = Vec::with_capacity(want);
        let (file, rate, duration_s) =
            (self.file.clone(), self.spec.sample_rate, self.duration_s());
        let ends_early = move |read: u64, cause: String| {
            WavError::Format {
            file,
            reason: format!("the sound data ends at {:.2} s of the {duration_s:.2} s the header gives ({cause})", read as f64 / f64::from(rate)),
        }
        };
        let mut mixer = MonoMixer::new(channels);
        let mut push = |value: f32, mono: &mut Vec<f32>| mixer.push(value, mono);
        let result: Result<(), hound::Error> = match self.spec.sample_format {
            hound::SampleFormat::Float => self
                .reader
                .samples::<f32>()
                .take(want * channels)
                .try_for_each(|s| s.map(|v| push(v.clamp(-1.0, 1.0), &mut mono))),
            hound::SampleFormat::Int => {
                let full_scale = (1u64 << (self.spec.bits_per_sample - 1)) as f32;
                self.reader
                    .samples::<i32>()
                    .take(want * channels)
                    .try_for_each(|s| s.map(|v| push(v as f32 / full_scale, &mut mono)))
            }
        };
        self.frames_read += mono.len() as u64;
        if let Err(e) = result {
            mono.zeroize();
            return Err(ends_early(self.frames_read, e.to_string()));
        }
        if mono.len() < want {
            mono.zeroize();
            return Err(ends_early(
                self.frames_read,
                "the file is cut short".to_string(),
            ));
        }
        let resample_err = |cause| WavError::Resample {
            file: self.file.clone(),
            cause,
        };
        let mut samples = self.resampler.push(&mono).map_err(resample_err)?;
        mono.zeroize();
        if self.frames_read == self.frames {
            samples.extend(self.resampler.finish().map_err(resample_err)?);
            self.finished = true;
        }
        Ok(Some(AudioChunk::from_samples(samples)))
    }
}

/// Mixes interleaved samples down to mono, frame by frame (the mean of
/// the channels).
struct MonoMixer {
    channels: usize,
    sum: f32,
    in_frame: usize,
}

impl MonoMixer {
    fn new(channels: usize) -> MonoMixer {
        MonoMixer {
            channels,
            sum: 0.0,
            in_frame: 0,
        }
    }

    fn push(&mut self, value: f32, mono: &mut Vec<f32>) {
        self.sum += value;
        self.in_frame += 1;
        if self.in_frame == self.channels {
            mono.push(self.sum / self.channels as f32);
            self.sum = 0.0;
            self.in_frame = 0;
        }
    }
}

fn check_spec(file: &str, spec: &hound::WavSpec) -> Result<(), WavError> {
    let format = |reason: String| WavError::Format {
        file: file.to_string(),
        reason,
    };
    if spec.channels == 0 || spec.channels > MAX_CHANNELS {
        return Err(format(format!("{} channels", spec.channels)));
    }
    if spec.sample_rate < 4_000 || spec.sample_rate > 384_000 {
        return Err(format(format!("a sample rate of {} Hz", spec.sample_rate)));
    }
    if spec.sample_format == hound::SampleFormat::Int && !(8..=32).contains(&spec.bits_per_sample) {
        return Err(format(format!("{}-bit samples", spec.bits_per_sample)));
    }
    Ok(())
}

/// A buffered reader whose buffer, which holds encoded sound, is wiped
/// when it is refilled and when it is dropped.
struct WipingReader {
    inner: std::fs::File,
    buffer: Vec<u8>,
    at: usize,
    filled: usize,
}

impl WipingReader {
    fn new(inner: std::fs::File) -> WipingReader {
        WipingReader {
            inner,
            buffer: vec![0; 64 * 1024],
            at: 0,
            filled: 0,
        }
    }
}

impl std::io::Read for WipingReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.at == self.filled {
            self.buffer[..self.filled].zeroize();
            self.filled = self.inner.read(&mut self.buffer)?;
            self.at = 0;
        }
        let n = out.len().min(self.filled - self.at);
        out[..n].copy_from_slice(&self.buffer[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

impl Drop for WipingReader {
    fn drop(&mut self) {
        self.buffer.zeroize();
    }
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
                (_, bits) => writer
                    .write_sample((v * ((1i64 << (bits - 1)) - 1) as f32) as i32)
                    .unwrap(),
            }
        }
        writer.finalize().unwrap();
        out.into_inner()
    }

    fn spec(channels: u16, rate: u32, bits: u16, float: bool) -> hound::WavSpec {
        hound::WavSpec {
            channels,
            sample_rate: rate,
            bits_per_sample: bits,
            sample_format: if float {
                hound::SampleFormat::Float
            } else {
                hound::SampleFormat::Int
            },
        }
    }

    #[test]
    fn every_common_layout_becomes_16k_mono() {
        for (channels, rate, bits, float) in [
            (1, 16_000, 16, false),
            (2, 44_100, 16, false),
            (6, 48_000, 24, false),
            (1, 96_000, 32, true),
            (1, 8_000, 8, false),
        ] {
            let bytes = wav(spec(channels, rate, bits, float), rate as usize);
            let (chunk, got_rate, got_channels) = decode("x.wav", &bytes).unwrap();
            assert_eq!((got_rate, got_channels), (rate, channels));
            assert_eq!(
                chunk.samples().len(),
                16_000,
                "{channels} ch {rate} Hz {bits} bit"
            );
            assert!(chunk.samples().iter().all(|v| v.abs() <= 1.0));
        }
    }

    #[test]
    fn bad_wavs_are_named_errors() {
        let err = decode("notes.wav", b"just some text")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("notes.wav: not a WAV file"), "{err}");
        let empty = wav(spec(1, 16_000, 16, false), 0);
        assert!(matches!(
            decode("empty.wav", &empty),
            Err(WavError::Empty { .. })
        ));
        let whole = wav(spec(1, 16_000, 16, false), 16_000);
        let err = decode("cut.wav", &whole[..30]).unwrap_err().to_string();
        assert!(err.starts_with("cut.wav:"), "{err}");
    }

    #[test]
    fn streaming_gives_the_whole_file_result() {
        let dir = tempfile::tempdir().unwrap();
        for (channels, rate, bits, float) in [
            (1, 16_000, 16, false),
            (2, 44_100, 16, false),
            (6, 48_000, 24, false),
        ] {
            let path = dir.path().join(format!("{channels}-{rate}.wav"));
            let bytes = wav(spec(channels, rate, bits, float), rate as usize * 3 + 17);
            std::fs::write(&path, &bytes).unwrap();
            let (whole, _, _) = decode("x", &bytes).unwrap();
            let mut source = WavSource::open(&path).unwrap();
            assert_eq!(source.format(), (rate, channels));
            let mut streamed = Vec::new();
            while let Some(chunk) = source.next_chunk().unwrap() {
                streamed.extend_from_slice(chunk.samples());
            }
            assert_eq!(streamed.len(), whole.samples().len());
            let worst = streamed
                .iter()
                .zip(whole.samples())
                .map(|(a, b)| (a - b).abs())
                .fold(0.0f32, f32::max);
            assert!(worst < 1e-5, "{channels} ch {rate} Hz: {worst}");
        }
        // Data cut off after the header: a clear error naming the file.
        let path = dir.path().join("cut.wav");
        let bytes = wav(spec(1, 16_000, 16, false), 32_000);
        std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        let mut source = WavSource::open(&path).unwrap();
        let err = loop {
            match source.next_chunk() {
                Ok(Some(_)) => continue,
                Ok(None) => panic!("a cut file read to the end"),
                Err(e) => break e.to_string(),
            }
        };
        assert!(err.contains("cut.wav") && err.contains("ends at"), "{err}");
    }

    #[test]
    fn debug_prints_no_samples() {
        let chunk = AudioChunk::from_samples(vec![0.5; 16_000]);
        assert_eq!(format!("{chunk:?}"), "AudioChunk(1.00 s, samples withheld)");
    }
}
