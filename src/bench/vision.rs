use std::path::Path;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::capture::{replay, Frame};
use crate::inference::{Runtime, ORT_VERSION};
use crate::vision::models::{POSE_DETECTION, POSE_LANDMARK_FULL};
use crate::vision::{PoseTracker, VisionSettings};

#[derive(Debug, Serialize)]
pub struct VisionBench {
    pub engine: &'static str,
    pub frames: usize,
    /// Whether all frames were decoded to memory before the timed run.
    pub frames_preloaded: bool,
    pub warmup_frames: usize,
    pub width: u32,
    pub height: u32,
    pub ms_mean: f64,
    pub ms_p50: f64,
    pub ms_p95: f64,
    pub ms_p99: f64,
    pub fps: f64,
    /// Mean time per detector run (timed on its own over the first frames),
    /// and how often the pipeline needed it.
    pub detector_ms: f64,
    pub detector_runs: u32,
    /// Mean time per landmark model run, and how often it ran.
    pub landmark_ms: f64,
    pub landmark_runs: u32,
    /// Time outside the models as a share of time inside them.
    pub overhead_pct: f64,
    pub peak_rss_mb: f64,
    /// People found, summed over frames, and frames with at least one.
    pub persons_found: usize,
    pub frames_with_person: usize,
    pub environment: Environment,
}

#[derive(Debug, Serialize)]
pub struct Environment {
    pub cpu: String,
    pub cores: usize,
    pub onnxruntime: &'static str,
    pub onnxruntime_library: String,
    pub threads: usize,
    pub detector_sha256: &'static str,
    pub landmark_sha256: &'static str,
}

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error(transparent)]
    Replay(#[from] replay::ReplayError),
    #[error(transparent)]
    Frame(#[from] crate::capture::FrameError),
    #[error(transparent)]
    Vision(#[from] crate::vision::VisionError),
    #[error("{folder}: frames differ in size ({first} and {other}); benchmark frames must all be one size")]
    MixedSizes {
        folder: String,
        first: String,
        other: String,
    },
    #[error(transparent)]
    Video(#[from] crate::capture::video::VideoError),
    #[error("{file}: too long to benchmark: its frames must fit in {} MiB decoded", PRELOAD_LIMIT_BYTES >> 20)]
    VideoTooLong { file: String },
    #[error("{file}: holds no frames")]
    NoFrames { file: String },
}

/// Frames the detector is timed on by itself.
const DETECTOR_SAMPLE_FRAMES: usize = 10;

/// Frames are decoded to memory before timing while they fit in this many
/// bytes; a longer recording is decoded as it goes, outside the timing.
const PRELOAD_LIMIT_BYTES: u64 = 1 << 30;

/// The frames of a folder, all in memory or read one at a time.
struct BenchFrames {
    files: Vec<std::path::PathBuf>,
    preloaded: Vec<Frame>,
    size: (u32, u32),
    folder: String,
}

impl BenchFrames {
    fn open(folder: &Path) -> Result<BenchFrames, BenchError> {
        let files = replay::frame_files(folder)?;
        let first = Frame::decode_file(&files[0])?;
        let size = (first.width(), first.height());
        let mut frames = BenchFrames {
            files,
            preloaded: Vec::new(),
            size,
            folder: folder.display().to_string(),
        };
        let bytes = u64::from(size.0) * u64::from(size.1) * 3 * frames.files.len() as u64;
        if bytes <= PRELOAD_LIMIT_BYTES {
            frames.preloaded.push(first);
            for index in 1..frames.files.len() {
                let frame = frames.read(index)?;
                frames.preloaded.push(frame);
            }
        }
        Ok(frames)
    }

    /// A video's frames, all decoded to memory before timing (a video cannot
    /// be read from the middle as cheaply as a folder).
    fn open_video(file: &Path) -> Result<BenchFrames, BenchError> {
        let name = file.display().to_string();
        let mut preloaded: Vec<Frame> = Vec::new();
        let mut bytes = 0u64;
        for item in crate::capture::video::VideoFile::open(file)? {
            let (_, frame) = item?;
            bytes += frame.rgb().len() as u64;
            if bytes > PRELOAD_LIMIT_BYTES {
                return Err(BenchError::VideoTooLong { file: name });
            }
            preloaded.push(frame);
        }
        let size = preloaded
            .first()
            .map(|f| (f.width(), f.height()))
            .ok_or_else(|| BenchError::NoFrames { file: name.clone() })?;
        Ok(BenchFrames {
            files: Vec::new(),
            preloaded,
            size,
            folder: name,
        })
    }

    fn len(&self) -> usize {
        self.files.len().max(self.preloaded.len())
    }

    fn read(&self, index: usize) -> Result<Frame, BenchError> {
        let frame = Frame::decode_file(&self.files[index])?;
        if (frame.width(), frame.height()) != self.size {
            return Err(BenchError::MixedSizes {
                folder: self.folder.clone(),
                first: format!("{}x{}", self.size.0, self.size.1),
                other: format!("{}x{}", frame.width(), frame.height()),
            });
        }
        Ok(frame)
    }

    /// Calls `visit` with each frame in turn; only `visit` is timed by callers.
    fn for_each(
        &self,
        count: usize,
        mut visit: impl FnMut(&Frame) -> Result<(), BenchError>,
    ) -> Result<(), BenchError> {
        for index in (0..self.len()).cycle().take(count) {
            match self.preloaded.get(index) {
                Some(frame) => visit(frame)?,
                None => visit(&self.read(index)?)?,
            }
        }
        Ok(())
    }
}

/// Runs the tracking pipeline over every frame in `folder` (or of a video
/// file) after `warmup` untimed frames. Decoding is never timed.
pub fn run(
    runtime: &Runtime,
    models_dir: &Path,
    settings: VisionSettings,
    folder: &Path,
    warmup: usize,
) -> Result<VisionBench, BenchError> {
    let frames = if folder.is_file() {
        BenchFrames::open_video(folder)?
    } else {
        BenchFrames::open(folder)?
    };
    let (width, height) = frames.size;
    let threads = settings.threads;
    let mut tracker = PoseTracker::load(runtime, models_dir, settings)?;
    frames.for_each(warmup, |frame| Ok(tracker.track(frame).map(|_| ())?))?;
    // Timing starts with the tracker still following the people from the
    // warm-up, as a running camera would and as the MediaPipe comparison
    // script does; model time counts from here.
    tracker.estimator_mut().reset_model_time();
    let mut per_frame = Vec::with_capacity(frames.len());
    let (mut persons_found, mut frames_with_person) = (0, 0);
    frames.for_each(frames.len(), |frame| {
        let t = Instant::now();
        let persons = tracker.track(frame)?.len();
        per_frame.push(t.elapsed());
        persons_found += persons;
        frames_with_person += usize::from(persons > 0);
        Ok(())
    })?;
    let total: Duration = per_frame.iter().sum();
    let model = tracker.estimator().model_time();
    // Tracking may never need the detector; time it on its own as well.
    tracker.estimator_mut().reset_model_time();
    frames.for_each(DETECTOR_SAMPLE_FRAMES.min(frames.len()), |frame| {
        Ok(tracker.estimator_mut().detect(frame, &[]).map(|_| ())?)
    })?;
    let detector_alone = tracker.estimator().model_time().detector;
    let model_total = model.detector.time + model.landmarks.time;
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    per_frame.sort();
    Ok(VisionBench {
        engine: "tryghed",
        frames: frames.len(),
        frames_preloaded: !frames.preloaded.is_empty(),
        warmup_frames: warmup,
        width,
        height,
        ms_mean: ms(total) / frames.len() as f64,
        ms_p50: ms(percentile(&per_frame, 0.50)),
        ms_p95: ms(percentile(&per_frame, 0.95)),
        ms_p99: ms(percentile(&per_frame, 0.99)),
        fps: frames.len() as f64 / total.as_secs_f64(),
        detector_ms: detector_alone.mean_ms(),
        detector_runs: model.detector.runs,
        landmark_ms: model.landmarks.mean_ms(),
        landmark_runs: model.landmarks.runs,
        overhead_pct: if model_total.is_zero() {
            0.0
        } else {
            (ms(total) - ms(model_total)) / ms(model_total) * 100.0
        },
        peak_rss_mb: peak_rss_mb(),
        persons_found,
        frames_with_person,
        environment: Environment {
            cpu: cpu_model(),
            cores: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
            onnxruntime: ORT_VERSION,
            onnxruntime_library: runtime.library().display().to_string(),
            threads,
            detector_sha256: POSE_DETECTION.sha256,
            landmark_sha256: POSE_LANDMARK_FULL.sha256,
        },
    })
}

/// Nearest-rank percentile of sorted durations.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// Peak resident memory of this process (Linux `VmHWM`), in MB.
pub fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}

impl VisionBench {
    /// The figures as a few lines for people.
    pub fn to_text(&self) -> String {
        format!(
            "frames            {} ({}x{}, after {} warm-up frames)\n\
             ms per frame      p50 {:.2}  p95 {:.2}  p99 {:.2}  mean {:.2}\n\
             frames per second {:.1}\n\
             detector          {:.2} ms per run, {} runs in the pipeline\n\
             landmark model    {:.2} ms per run, {} runs\n\
             overhead          {:.1} % of model time\n\
             peak RSS          {:.0} MB\n\
             persons found     {} ({} of {} frames with a person)\n\
             environment       {} ({} cores), ONNX Runtime {}\n",
            self.frames,
            self.width,
            self.height,
            self.warmup_frames,
            self.ms_p50,
            self.ms_p95,
            self.ms_p99,
            self.ms_mean,
            self.fps,
            self.detector_ms,
            self.detector_runs,
            self.landmark_ms,
            self.landmark_runs,
            self.overhead_pct,
            self.peak_rss_mb,
            self.persons_found,
            self.frames_with_person,
            self.frames,
            self.environment.cpu,
            self.environment.cores,
            self.environment.onnxruntime,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(name)
    }

    #[test]
    fn a_long_recording_is_read_frame_by_frame_and_sizes_are_checked() {
        let files = vec![
            fixture("bench-640x480/frame_000.jpg"),
            fixture("bench-640x480/frame_001.jpg"),
            fixture("photos/astronaut.png"),
        ];
        let frames = BenchFrames {
            files,
            preloaded: Vec::new(),
            size: (640, 480),
            folder: "recording".into(),
        };
        let mut seen = 0;
        frames
            .for_each(2, |f| {
                assert_eq!((f.width(), f.height()), (640, 480));
                seen += 1;
                Ok(())
            })
            .unwrap();
        assert_eq!(seen, 2);
        let err = frames.for_each(3, |_| Ok(())).unwrap_err().to_string();
        assert!(
            err.contains("recording") && err.contains("512x512"),
            "{err}"
        );
    }

    #[test]
    fn a_short_folder_is_preloaded() {
        let frames = BenchFrames::open(&fixture("bench-640x480")).unwrap();
        assert_eq!(frames.preloaded.len(), frames.len());
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        let d: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&d, 0.5), Duration::from_millis(50));
        assert_eq!(percentile(&d, 0.99), Duration::from_millis(99));
        assert_eq!(percentile(&[], 0.5), Duration::ZERO);
    }
}
