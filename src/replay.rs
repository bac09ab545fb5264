//! `tryghed replay`: a folder of frames (and optionally a WAV file) played
//! through vision, sound and the care layer as if live, at a given frame
//! rate. Prints every care and sound event in time order, then a summary.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::{json, Value};

use crate::audio::analyzer::SoundAnalyzer;
use crate::audio::report::analyze_file;
use crate::capture::replay::frame_files;
use crate::capture::Frame;
use crate::care::levels::{care_kind_name, AlertSettings};
use crate::care::zones::Room;
use crate::care::RoomWatch;
use crate::config::Config;
use crate::domain::round3;
use crate::inference::Runtime;
use crate::vision::PoseTracker;

pub struct ReplayOptions {
    pub frames: PathBuf,
    pub fps: f64,
    pub audio: Option<PathBuf>,
    pub room: Option<PathBuf>,
    /// Whose alert levels apply.
    pub resident: Option<String>,
    /// The local time of the first frame (day or night decides levels).
    pub start: chrono::NaiveTime,
}

fn level(alerts: &AlertSettings, kind: &str, options: &ReplayOptions, t: f64) -> crate::care::levels::Level {
    let time = options.start + chrono::Duration::milliseconds((t * 1000.0) as i64);
    alerts.level(kind, options.resident.as_deref(), time)
}

#[derive(Debug, thiserror::Error)]
pub enum ReplayRunError {
    #[error("--fps {0}: the frame rate must be a number above 0 and at most 240")]
    Fps(f64),
    #[error("{0}")]
    Room(String),
    #[error(transparent)]
    Frames(#[from] crate::capture::replay::ReplayError),
    #[error("{folder}: holds no frames (PNG or JPEG files)")]
    NoFrames { folder: String },
    #[error("{file}: {width}x{height}, but the frames before it are {first_width}x{first_height}: one camera gives one size")]
    SizeChanged { file: String, width: u32, height: u32, first_width: u32, first_height: u32 },
    #[error("{file}: the room file is for {room_width}x{room_height} images, the frames are {width}x{height}")]
    RoomSize { file: String, room_width: u32, room_height: u32, width: u32, height: u32 },
    #[error(transparent)]
    Frame(#[from] crate::capture::FrameError),
    #[error(transparent)]
    Vision(#[from] crate::vision::VisionError),
    #[error(transparent)]
    Sound(#[from] crate::audio::report::AudioFileError),
    #[error(transparent)]
    SoundModels(#[from] crate::audio::analyzer::AnalyzerError),
}

#[derive(Debug, Clone, Serialize)]
pub struct ReplaySummary {
    pub frames: usize,
    pub persons: usize,
    /// How many frames each posture was seen in (per person-frame).
    pub postures: BTreeMap<&'static str, usize>,
    pub events: usize,
}

/// Runs the replay; returns the events (as the JSON lines the command
/// prints, in time order) and the summary.
pub fn run(runtime: &Runtime, config: &Config, options: &ReplayOptions) -> Result<(Vec<Value>, ReplaySummary), ReplayRunError> {
    if !(options.fps > 0.0 && options.fps <= 240.0) {
        return Err(ReplayRunError::Fps(options.fps));
    }
    let files = frame_files(&options.frames)?;
    if files.is_empty() {
        return Err(ReplayRunError::NoFrames { folder: options.frames.display().to_string() });
    }
    let room_file = options.room.as_ref().map(|p| Room::load(p).map_err(ReplayRunError::Room)).transpose()?;
    let mut tracker = PoseTracker::load(runtime, &config.models_dir, config.vision.clone())?;
    let mut watch: Option<RoomWatch> = None;
    let mut size: Option<(u32, u32)> = None;
    let mut events: Vec<Value> = Vec::new();
    let mut summary = ReplaySummary { frames: 0, persons: 0, postures: BTreeMap::new(), events: 0 };
    for (index, file) in files.iter().enumerate() {
        let frame = Frame::decode_file(file)?;
        let (width, height) = (frame.width(), frame.height());
        match size {
            None => {
                size = Some((width, height));
                let room = match &room_file {
                    Some(room) if (room.width, room.height) != (width, height) => {
                        return Err(ReplayRunError::RoomSize {
                            file: options.room.as_ref().map(|p| p.display().to_string()).unwrap_or_default(),
                            room_width: room.width,
                            room_height: room.height,
                            width,
                            height,
                        })
                    }
                    Some(room) => room.clone(),
                    None => Room::unzoned(width, height),
                };
                watch = Some(RoomWatch::new(room, config.care.clone()));
            }
            Some((w, h)) if (w, h) != (width, height) => {
                return Err(ReplayRunError::SizeChanged { file: file.display().to_string(), width, height, first_width: w, first_height: h });
            }
            Some(_) => {}
        }
        let t = index as f64 / options.fps;
        let poses: Vec<_> = tracker.track(&frame)?.iter().map(|p| p.pose.clone()).collect();
        drop(frame);
        let Some(watch) = watch.as_mut() else { continue };
        let result = watch.push(t, &poses);
        summary.frames += 1;
        for (_, posture) in &result.postures {
            *summary.postures.entry(posture.name()).or_default() += 1;
        }
        for event in result.events {
            events.push(json!({
                "t_s": round3(event.t_s),
                "kind": event.kind,
                "level": level(&config.alerts, care_kind_name(event.kind), options, event.t_s),
                "confidence": round3(f64::from(event.confidence)),
                "person": event.person,
                "evidence": { "rule": event.evidence.rule, "values": event.evidence.values.iter().map(|(k, v)| (k.to_string(), json!(round3(*v)))).collect::<serde_json::Map<_, _>>() },
            }));
        }
    }
    summary.persons = watch.as_ref().map_or(0, RoomWatch::persons_seen);
    if let Some(audio) = &options.audio {
        events.extend(sound_events(runtime, config, audio, options)?);
    }
    events.sort_by(|a, b| a["t_s"].as_f64().unwrap_or(0.0).total_cmp(&b["t_s"].as_f64().unwrap_or(0.0)));
    summary.events = events.len();
    Ok((events, summary))
}

/// Sound events of the recording, as replay lines (timed from the start of
/// the sound, which starts with the first frame).
fn sound_events(runtime: &Runtime, config: &Config, audio: &Path, options: &ReplayOptions) -> Result<Vec<Value>, ReplayRunError> {
    let mut analyzer = SoundAnalyzer::load(runtime, &config.models_dir, &config.sound)?;
    let report = analyze_file(&mut analyzer, audio, |_, _| {})?;
    if let Some(error) = report.error {
        tracing::warn!("{error}");
    }
    Ok(report
        .events
        .iter()
        .map(|e| {
            json!({
                "t_s": round3(e.start_s),
                "kind": e.kind,
                "level": level(&config.alerts, e.kind.name(), options, e.start_s),
                "confidence": round3(f64::from(e.score)),
                "person": Value::Null,
                "evidence": { "rule": "sound classes over the kind's threshold", "values": { "end_s": round3(e.end_s) }, "classes": e.classes },
            })
        })
        .collect())
}
