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
    MixedSizes { folder: String, first: String, other: String },
}

/// Frames the detector is timed on by itself.
const DETECTOR_SAMPLE_FRAMES: usize = 10;

/// Runs the tracking pipeline over every frame in `folder` (all decoded to
/// memory first, so decoding is not timed), after `warmup` untimed frames.
pub fn run(runtime: &Runtime, models_dir: &Path, settings: VisionSettings, folder: &Path, warmup: usize) -> Result<VisionBench, BenchError> {
    let files = replay::frame_files(folder)?;
    let frames: Vec<Frame> = files.iter().map(|f| Frame::decode_file(f)).collect::<Result<_, _>>()?;
    let (width, height) = (frames[0].width(), frames[0].height());
    if let Some(other) = frames.iter().find(|f| (f.width(), f.height()) != (width, height)) {
        return Err(BenchError::MixedSizes {
            folder: folder.display().to_string(),
            first: format!("{width}x{height}"),
            other: format!("{}x{}", other.width(), other.height()),
        });
    }
    let threads = settings.threads;
    let mut tracker = PoseTracker::load(runtime, models_dir, settings)?;
    for frame in frames.iter().cycle().take(warmup) {
        tracker.track(frame)?;
    }
    // Timing starts with the tracker still following the people from the
    // warm-up, as a running camera would and as the MediaPipe comparison
    // script does; model time counts from here.
    tracker.estimator_mut().reset_model_time();
    let mut per_frame = Vec::with_capacity(frames.len());
    let (mut persons_found, mut frames_with_person) = (0, 0);
    let started = Instant::now();
    for frame in &frames {
        let t = Instant::now();
        let persons = tracker.track(frame)?.len();
        per_frame.push(t.elapsed());
        persons_found += persons;
        frames_with_person += usize::from(persons > 0);
    }
    let total = started.elapsed();
    let model = tracker.estimator().model_time();
    // Tracking may never need the detector; time it on its own as well.
    tracker.estimator_mut().reset_model_time();
    for frame in frames.iter().take(DETECTOR_SAMPLE_FRAMES) {
        tracker.estimator_mut().detect(frame, &[])?;
    }
    let detector_alone = tracker.estimator().model_time().detector;
    let model_total = model.detector.time + model.landmarks.time;
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    per_frame.sort();
    Ok(VisionBench {
        engine: "tryghed",
        frames: frames.len(),
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
        overhead_pct: if model_total.is_zero() { 0.0 } else { (ms(total) - ms(model_total)) / ms(model_total) * 100.0 },
        peak_rss_mb: peak_rss_mb(),
        persons_found,
        frames_with_person,
        environment: Environment {
            cpu: cpu_model(),
            cores: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
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
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok()))
        .map_or(0.0, |kb| kb / 1024.0)
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("model name")).and_then(|l| l.split(':').nth(1)).map(|m| m.trim().to_string()))
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

    #[test]
    fn percentiles_by_nearest_rank() {
        let d: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&d, 0.5), Duration::from_millis(50));
        assert_eq!(percentile(&d, 0.99), Duration::from_millis(99));
        assert_eq!(percentile(&[], 0.5), Duration::ZERO);
    }
}
