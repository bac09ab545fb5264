//! `tryghed replay`: a folder of frames or a video (and optionally a WAV file) played
//! through vision, sound and the care layer as if live, at a given frame
//! rate. Prints every care and sound event in time order, then a summary.
//! `ModelInputs` is the one way from files to what the care layer takes
//! (poses over time, sound cues at the moment they became known); `eval`
//! uses it too.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::{json, Value};

use crate::audio::analyzer::{SoundAnalyzer, SoundOutput};
use crate::audio::events::EventUpdate;
use crate::audio::logmel::CHUNK_SAMPLES;
use crate::audio::report::analyze_file;
use crate::audio::SAMPLE_RATE;
use crate::capture::augment::{self, Cutout, Variant};
use crate::capture::FramesFrom;
use crate::care::levels::AlertSettings;
use crate::care::zones::Room;
use crate::care::{play, CareEvent, RoomWatch, SoundCue};
use crate::config::Config;
use crate::domain::round3;
use crate::inference::Runtime;
use crate::vision::PoseTracker;

pub struct ReplayOptions {
    /// A folder of frames (with `fps`) or a video file.
    pub frames: PathBuf,
    /// The folder's frame rate; `None` for a video, whose frames carry their times.
    pub fps: Option<f64>,
    pub audio: Option<PathBuf>,
    pub room: Option<PathBuf>,
    /// Whose alert levels and tolerance times apply.
    pub resident: Option<String>,
    /// The local time of the first frame (day or night decides levels).
    pub start: chrono::NaiveTime,
}

#[derive(Debug, thiserror::Error)]
pub enum ReplayRunError {
    #[error("--fps {0}: the frame rate must be a number above 0 and at most 240")]
    Fps(f64),
    #[error("{0}")]
    Room(String),
    #[error(transparent)]
    Frames(#[from] crate::capture::replay::ReplayError),
    #[error("{folder}: a folder of frames needs --fps, the rate they were taken at")]
    NoRate { folder: String },
    #[error("a bystander needs --bystander FILE, a video of someone standing whole in view")]
    NoDonor,
    #[error("{file}: nobody stands whole in view in it, so no bystander can be cut from it")]
    NoOneStanding { file: String },
    #[error("{folder}: holds no frames")]
    NoFrames { folder: String },
    #[error("{file}: {width}x{height}, but the frames before it are {first_width}x{first_height}: one camera gives one size")]
    SizeChanged {
        file: String,
        width: u32,
        height: u32,
        first_width: u32,
        first_height: u32,
    },
    #[error("{file}: the room file is for {room_width}x{room_height} images, the frames are {width}x{height}")]
    RoomSize {
        file: String,
        room_width: u32,
        room_height: u32,
        width: u32,
        height: u32,
    },
    #[error(transparent)]
    Frame(#[from] crate::capture::FrameError),
    #[error(transparent)]
    Video(#[from] crate::capture::video::VideoError),
    #[error(transparent)]
    Source(#[from] crate::capture::SourceError),
    #[error(transparent)]
    Vision(#[from] crate::vision::VisionError),
    #[error(transparent)]
    Sound(#[from] crate::audio::report::AudioFileError),
    #[error(transparent)]
    SoundModels(#[from] crate::audio::analyzer::AnalyzerError),
    #[error(transparent)]
    Runtime(#[from] crate::inference::RuntimeError),
}

impl crate::eval::CaseInputs for ModelInputs<'_> {
    fn poses(
        &mut self,
        from: FramesFrom<'_>,
    ) -> Result<(crate::eval::PosesOverTime, (u32, u32)), String> {
        let seen = ModelInputs::poses(self, from).map_err(|e| e.to_string())?;
        Ok((seen.frames, (seen.width, seen.height)))
    }

    fn sounds(&mut self, wav: &Path) -> Result<Vec<(f64, SoundCue)>, String> {
        ModelInputs::sounds(self, wav).map_err(|e| e.to_string())
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ReplaySummary {
    pub frames: usize,
    pub persons: usize,
    /// How many frames each posture was seen in (per person-frame).
    pub postures: BTreeMap<&'static str, usize>,
    pub events: usize,
    /// How far down the camera looks, as learnt from the people seen standing.
    pub camera: crate::care::gravity::GravityReport,
}

/// Poses of every frame of a folder, and the frames' size.
pub struct FramePoses {
    pub width: u32,
    pub height: u32,
    pub frames: crate::eval::PosesOverTime,
}

/// Files to care-layer inputs through the real models. ONNX Runtime and
/// each model load on first use, so keypoint-only work needs none of them.
pub struct ModelInputs<'a> {
    runtime: Option<Runtime>,
    config: &'a Config,
    tracker: Option<PoseTracker>,
    analyzer: Option<SoundAnalyzer>,
    /// Every clip changed so before it is seen (evaluation only).
    variant: Option<Variant>,
    bystander: Option<Cutout>,
}

impl<'a> ModelInputs<'a> {
    pub fn new(runtime: Option<Runtime>, config: &'a Config) -> ModelInputs<'a> {
        ModelInputs {
            runtime,
            config,
            tracker: None,
            analyzer: None,
            variant: None,
            bystander: None,
        }
    }

    /// Every clip from now on is seen as `variant` changes it. A bystander
    /// is cut out of `donor`, a video of someone standing.
    pub fn augment(
        &mut self,
        variant: Variant,
        donor: Option<&Path>,
    ) -> Result<(), ReplayRunError> {
        if variant == Variant::Bystander {
            let donor = donor.ok_or(ReplayRunError::NoDonor)?;
            self.bystander = Some(self.person_standing_in(donor)?);
        }
        self.variant = Some(variant);
        Ok(())
    }

    /// The box around the most clearly standing person in a video, cut out
    /// of its frame with a margin.
    fn person_standing_in(&mut self, video: &Path) -> Result<Cutout, ReplayRunError> {
        let from = FramesFrom::Video(video);
        let seen = self.poses_as_recorded(from)?;
        let standing = |pose: &crate::domain::Pose| {
            crate::care::posture::BodyShape::of(pose).is_some_and(|s| {
                s.torso_tilt_deg < 12.0 && s.leg_extension.is_some_and(|l| l >= 0.85)
            })
        };
        let best = seen
            .frames
            .iter()
            .enumerate()
            .flat_map(|(i, (_, poses))| poses.iter().filter(|p| standing(p)).map(move |p| (i, p)))
            .max_by(|a, b| (a.1.bbox[3] - a.1.bbox[1]).total_cmp(&(b.1.bbox[3] - b.1.bbox[1])));
        let no_one = || ReplayRunError::NoOneStanding {
            file: video.display().to_string(),
        };
        let (index, pose) = best.ok_or_else(no_one)?;
        let [x0, y0, x1, y1] = pose.bbox;
        let (mx, my) = (0.15 * (x1 - x0), 0.08 * (y1 - y0));
        let (_, frame, _) = from.open()?.nth(index).ok_or_else(no_one)??;
        Cutout::of(&frame, [x0 - mx, y0 - my, x1 + mx, y1 + my]).ok_or_else(no_one)
    }

    /// Every frame of a folder or a video through the pose tracker, as a
    /// camera would have delivered them. Frames must all be one size.
    pub fn poses(&mut self, from: FramesFrom<'_>) -> Result<FramePoses, ReplayRunError> {
        let Some(variant) = self.variant else {
            return self.poses_as_recorded(from);
        };
        let tracker = load_tracker(&mut self.tracker, &mut self.runtime, self.config)?;
        let place = match &self.bystander {
            Some(cutout) => Some((cutout, augment::quietest_place(from.open()?, cutout))),
            None => None,
        };
        let frames = augment::apply(variant, from.open()?, place);
        track_all(tracker, frames, &from.name())
    }

    /// As `poses`, with the clip as it was recorded.
    fn poses_as_recorded(&mut self, from: FramesFrom<'_>) -> Result<FramePoses, ReplayRunError> {
        let frames = from.open()?;
        let tracker = load_tracker(&mut self.tracker, &mut self.runtime, self.config)?;
        track_all(tracker, frames, &from.name())
    }

    /// The recording's sound events as the care layer would hear them
    /// live: each at the moment it became known (the end of the patch that
    /// began it), with its end as the recording shows it.
    pub fn sounds(&mut self, wav: &Path) -> Result<Vec<(f64, SoundCue)>, ReplayRunError> {
        let analyzer = match &mut self.analyzer {
            Some(analyzer) => analyzer,
            None => self.analyzer.insert(SoundAnalyzer::load(
                &loaded(&mut self.runtime)?,
                &self.config.models_dir,
                &self.config.sound,
            )?),
        };
        let patch_s = CHUNK_SAMPLES as f64 / f64::from(SAMPLE_RATE);
        let mut heard_until = 0.0f64;
        let mut cues = Vec::new();
        let report = analyze_file(analyzer, wav, |output, _| match output {
            SoundOutput::Patch(patch) => heard_until = heard_until.max(patch.start_s + patch_s),
            SoundOutput::Event(EventUpdate::Began(e)) => cues.push((
                heard_until.max(e.end_s),
                SoundCue {
                    kind: e.kind,
                    start_s: e.start_s,
                    end_s: None,
                    score: e.score,
                    classes: e.classes.clone(),
                },
            )),
            _ => {}
        })?;
        if let Some(error) = &report.error {
            tracing::warn!("{error}");
        }
        for (_, cue) in &mut cues {
            if let Some(ended) = report
                .events
                .iter()
                .find(|e| e.kind == cue.kind && (e.start_s - cue.start_s).abs() < 1e-3)
            {
                cue.end_s = Some(ended.end_s);
                cue.score = cue.score.max(ended.score);
                cue.classes.clone_from(&ended.classes);
            }
        }
        Ok(cues)
    }
}

/// The pose tracker, loaded on first use.
fn load_tracker<'t>(
    slot: &'t mut Option<PoseTracker>,
    runtime: &mut Option<Runtime>,
    config: &Config,
) -> Result<&'t mut PoseTracker, ReplayRunError> {
    let tracker = match slot.take() {
        Some(tracker) => tracker,
        None => PoseTracker::load(&loaded(runtime)?, &config.models_dir, config.vision.clone())?,
    };
    Ok(slot.insert(tracker))
}

/// Every frame through the pose tracker, as a camera would have delivered
/// them. Frames must all be one size.
fn track_all(
    tracker: &mut PoseTracker,
    frames: Box<dyn Iterator<Item = crate::capture::TimedFrame> + '_>,
    source: &str,
) -> Result<FramePoses, ReplayRunError> {
    tracker.forget();
    let mut size = None;
    let mut seen = Vec::new();
    for item in frames {
        let (t, frame, name) = item?;
        let (width, height) = (frame.width(), frame.height());
        match size {
            None => size = Some((width, height)),
            Some((w, h)) if (w, h) != (width, height) => {
                return Err(ReplayRunError::SizeChanged {
                    file: name,
                    width,
                    height,
                    first_width: w,
                    first_height: h,
                });
            }
            Some(_) => {}
        }
        let poses = tracker
            .track(&frame)?
            .iter()
            .map(|p| p.pose.clone())
            .collect();
        drop(frame);
        seen.push((t, poses));
    }
    let Some((width, height)) = size else {
        return Err(ReplayRunError::NoFrames {
            folder: source.to_string(),
        });
    };
    Ok(FramePoses {
        width,
        height,
        frames: seen,
    })
}

impl ReplayOptions {
    fn frames_from(&self) -> Result<FramesFrom<'_>, ReplayRunError> {
        match self.fps {
            _ if self.frames.is_file() => Ok(FramesFrom::Video(&self.frames)),
            Some(fps) if !(fps > 0.0 && fps <= 240.0) => Err(ReplayRunError::Fps(fps)),
            Some(fps) => Ok(FramesFrom::Folder {
                dir: &self.frames,
                fps,
            }),
            None => Err(ReplayRunError::NoRate {
                folder: self.frames.display().to_string(),
            }),
        }
    }
}

/// ONNX Runtime, loaded the first time it is needed.
fn loaded(runtime: &mut Option<Runtime>) -> Result<Runtime, ReplayRunError> {
    match runtime {
        Some(runtime) => Ok(runtime.clone()),
        None => Ok(runtime.insert(Runtime::load()?).clone()),
    }
}

/// The room file, checked against the frames' size; no file means no zones.
pub fn room_for(file: Option<&Path>, width: u32, height: u32) -> Result<Room, ReplayRunError> {
    let Some(file) = file else {
        return Ok(Room::unzoned(width, height));
    };
    let room = Room::load(file).map_err(ReplayRunError::Room)?;
    if (room.width, room.height) != (width, height) {
        return Err(ReplayRunError::RoomSize {
            file: file.display().to_string(),
            room_width: room.width,
            room_height: room.height,
            width,
            height,
        });
    }
    Ok(room)
}

/// One event as a replay line.
pub fn event_json(
    event: &CareEvent,
    alerts: &AlertSettings,
    resident: Option<&str>,
    start: chrono::NaiveTime,
) -> Value {
    let time = start + chrono::Duration::milliseconds((event.t_s * 1000.0) as i64);
    let mut evidence = json!({
        "rule": event.evidence.rule,
        "values": event.evidence.values.iter().map(|(k, v)| (k.to_string(), json!(round3(*v)))).collect::<serde_json::Map<_, _>>(),
    });
    if !event.evidence.classes.is_empty() {
        evidence["classes"] = json!(event.evidence.classes);
    }
    json!({
        "t_s": round3(event.t_s),
        "kind": event.kind,
        "level": alerts.level(event.kind.name(), resident, time),
        "confidence": round3(f64::from(event.confidence)),
        "person": event.person,
        "evidence": evidence,
    })
}

/// Runs the replay; returns the events (as the JSON lines the command
/// prints, in time order) and the summary.
pub fn run(
    runtime: &Runtime,
    config: &Config,
    options: &ReplayOptions,
) -> Result<(Vec<Value>, ReplaySummary), ReplayRunError> {
    // The room file is checked before any model loads: a typo costs nothing
    // (the rate and the frames are checked by `poses`, before its model too).
    if let Some(file) = &options.room {
        Room::load(file).map_err(ReplayRunError::Room)?;
    }
    let mut inputs = ModelInputs::new(Some(runtime.clone()), config);
    let seen = inputs.poses(options.frames_from()?)?;
    let room = room_for(options.room.as_deref(), seen.width, seen.height)?;
    let sounds = match &options.audio {
        Some(audio) => inputs.sounds(audio)?,
        None => Vec::new(),
    };
    let resident = options.resident.as_deref();
    let mut watch = RoomWatch::new(room, config.alerts.care_for(&config.care, resident));
    let played = play(&mut watch, &seen.frames, &sounds);
    let (mut events, postures) = (played.events, played.postures);
    events.sort_by(|a, b| a.t_s.total_cmp(&b.t_s));
    let lines: Vec<Value> = events
        .iter()
        .map(|e| event_json(e, &config.alerts, resident, options.start))
        .collect();
    let summary = ReplaySummary {
        frames: seen.frames.len(),
        persons: watch.persons_seen(),
        postures,
        events: lines.len(),
        camera: watch.gravity(),
    };
    Ok((lines, summary))
}
