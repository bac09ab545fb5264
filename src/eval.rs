//! `tryghed eval DIR`: the care layer against labelled cases. Each case is
//! a folder with `case.toml` and either `frames/` (real images, through
//! vision) or `keypoints.jsonl` (generated poses, one line per frame:
//! `{"t": seconds, "poses": [[[x, y, z, visibility, presence], ...33], ...]}`),
//! and optionally `audio.wav` (the room's sound over the same time, through
//! the sound path; its events are expected like any other kind).
//!
//! ```toml
//! fps = 15
//! room = "room.toml"          # optional, beside case.toml
//! [[expect]]
//! kind = "fall"
//! from_s = 3.0                # the event must come in this window
//! to_s = 5.0
//! ```
//! `[care...]` tables may change settings for the case (a short bed-exit
//! tolerance keeps a case short). No `[[expect]]` means nothing may fire. Every event not expected is a
//! false alarm of its kind, except `several_persons`, which is never an alarm.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::care::zones::Room;
use crate::care::{play, CareKind, CareSettings, RoomWatch, SoundCue};
use crate::domain::{bounding_box, Keypoint, Pose, BODY_KEYPOINTS};

/// Poses seen over time: (seconds, everyone in the frame).
pub type PosesOverTime = Vec<(f64, Vec<Pose>)>;

/// Where a case's frames and sound become poses and sound cues (the real
/// models, given by the caller so this module stays free of them).
pub trait CaseInputs {
    /// A `frames/` folder at `fps`: poses over time and the frames' size.
    fn poses(&mut self, frames: &Path, fps: f64) -> Result<(PosesOverTime, (u32, u32)), String>;
    /// `audio.wav`: sound cues at the moment each became known.
    fn sounds(&mut self, wav: &Path) -> Result<Vec<(f64, SoundCue)>, String>;
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    fps: f64,
    room: Option<PathBuf>,
    /// Settings for this case only (short tolerances keep cases short).
    care: Option<CareSettings>,
    #[serde(default)]
    expect: Vec<Expected>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Expected {
    pub kind: CareKind,
    pub from_s: f64,
    pub to_s: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct CaseResult {
    pub case: String,
    pub hits: Vec<(CareKind, f64)>,
    pub misses: Vec<CareKind>,
    pub false_alarms: Vec<(CareKind, f64)>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct KindScore {
    pub expected: usize,
    pub hits: usize,
    pub false_alarms: usize,
    pub precision: f64,
    pub recall: f64,
    /// Seconds from the start of the expected window to the event.
    pub mean_delay_s: f64,
    pub max_delay_s: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    pub cases: Vec<CaseResult>,
    pub kinds: BTreeMap<CareKind, KindScore>,
}

#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("{0}: cannot read: {1}")]
    Read(String, std::io::Error),
    #[error("{0}: {1}")]
    Case(String, String),
}

/// A case's frames as poses over time (generated cases).
fn read_keypoints(file: &Path) -> Result<Vec<(f64, Vec<Pose>)>, EvalError> {
    let name = file.display().to_string();
    let text = std::fs::read_to_string(file).map_err(|e| EvalError::Read(name.clone(), e))?;
    #[derive(Deserialize)]
    struct Line {
        t: f64,
        poses: Vec<Vec<[f32; 5]>>,
    }
    let mut frames = Vec::new();
    for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let line: Line = serde_json::from_str(line).map_err(|e| EvalError::Case(name.clone(), format!("line {}: {e}", n + 1)))?;
        let mut poses = Vec::new();
        for points in line.poses {
            if points.len() != BODY_KEYPOINTS {
                return Err(EvalError::Case(name.clone(), format!("line {}: a pose has {} keypoints, expected {BODY_KEYPOINTS}", n + 1, points.len())));
            }
            let keypoints: [Keypoint; BODY_KEYPOINTS] = std::array::from_fn(|i| {
                let [x, y, z, visibility, presence] = points[i];
                Keypoint { x, y, z, visibility, presence }
            });
            poses.push(Pose { score: 0.9, bbox: bounding_box(keypoints.iter().map(|k| (k.x, k.y))), keypoints });
        }
        frames.push((line.t, poses));
    }
    if frames.is_empty() {
        return Err(EvalError::Case(name, "holds no frames".to_string()));
    }
    Ok(frames)
}

/// Writes generated poses as a case's `keypoints.jsonl`.
pub fn keypoints_jsonl(frames: &[crate::care::synth::SynthFrame]) -> String {
    frames
        .iter()
        .map(|f| {
            let poses: Vec<Vec<[f32; 5]>> = f.poses.iter().map(|p| p.keypoints.iter().map(|k| [k.x, k.y, k.z, k.visibility, k.presence]).collect()).collect();
            serde_json::json!({ "t": crate::domain::round3(f.t), "poses": poses }).to_string() + "\n"
        })
        .collect()
}

/// Evaluates one case folder.
pub fn eval_case(dir: &Path, settings: &CareSettings, inputs: &mut dyn CaseInputs) -> Result<CaseResult, EvalError> {
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let case_path = dir.join("case.toml");
    let case_name = case_path.display().to_string();
    let text = std::fs::read_to_string(&case_path).map_err(|e| EvalError::Read(case_name.clone(), e))?;
    let case: CaseFile = toml::from_str(&text).map_err(|e| EvalError::Case(case_name.clone(), e.to_string().trim_end().replace('\n', " ")))?;
    if !(case.fps > 0.0 && case.fps <= 240.0) {
        return Err(EvalError::Case(case_name, format!("fps {} must be above 0 and at most 240", case.fps)));
    }
    for e in &case.expect {
        if !(e.from_s <= e.to_s) {
            return Err(EvalError::Case(case_name, format!("expected {:?}: from_s {} is after to_s {}", e.kind, e.from_s, e.to_s)));
        }
    }
    let room = case.room.as_ref().map(|file| Room::load(&dir.join(file)).map_err(|e| EvalError::Case(case_name.clone(), e))).transpose()?;
    let folder = dir.display().to_string();
    let (frames, size) = if dir.join("keypoints.jsonl").is_file() {
        let frames = read_keypoints(&dir.join("keypoints.jsonl"))?;
        let size = room.as_ref().map_or_else(|| frame_extent(&frames), |r| (r.width, r.height));
        (frames, size)
    } else if dir.join("frames").is_dir() {
        inputs.poses(&dir.join("frames"), case.fps).map_err(|e| EvalError::Case(folder.clone(), e))?
    } else {
        return Err(EvalError::Case(folder, "has neither frames/ nor keypoints.jsonl".to_string()));
    };
    let room = match room {
        Some(room) if (room.width, room.height) != size => {
            return Err(EvalError::Case(case_name, format!("the room file is for {}x{} images, the frames are {}x{}", room.width, room.height, size.0, size.1)));
        }
        Some(room) => room,
        None => Room::unzoned(size.0, size.1),
    };
    let wav = dir.join("audio.wav");
    let sounds = if wav.is_file() { inputs.sounds(&wav).map_err(|e| EvalError::Case(folder, e))? } else { Vec::new() };
    let mut watch = RoomWatch::new(room, case.care.clone().unwrap_or_else(|| settings.clone()));
    let events: Vec<(CareKind, f64)> = play(&mut watch, &frames, &sounds).0.into_iter().filter(|e| e.kind != CareKind::SeveralPersons).map(|e| (e.kind, e.t_s)).collect();
    let mut used = vec![false; events.len()];
    let mut result = CaseResult { case: name, hits: Vec::new(), misses: Vec::new(), false_alarms: Vec::new() };
    for expected in &case.expect {
        let found = events.iter().enumerate().position(|(i, (kind, t))| !used[i] && *kind == expected.kind && *t >= expected.from_s && *t <= expected.to_s);
        match found {
            Some(i) => {
                used[i] = true;
                result.hits.push((expected.kind, events[i].1 - expected.from_s));
            }
            None => result.misses.push(expected.kind),
        }
    }
    // Repeats of an expected kind after its hit (on_floor repeats) are not false alarms.
    for (i, (kind, t)) in events.iter().enumerate() {
        if !used[i] && !(result.hits.iter().any(|(k, _)| k == kind) && case.expect.iter().any(|e| e.kind == *kind && *t >= e.from_s)) {
            result.false_alarms.push((*kind, *t));
        }
    }
    Ok(result)
}

/// The image size the poses live in: the room file's when given; else a
/// box that holds every keypoint.
fn frame_extent(frames: &[(f64, Vec<Pose>)]) -> (u32, u32) {
    let (mut w, mut h) = (1.0f32, 1.0f32);
    for (_, poses) in frames {
        for p in poses {
            w = w.max(p.bbox[2]);
            h = h.max(p.bbox[3]);
        }
    }
    (w.ceil() as u32 + 1, h.ceil() as u32 + 1)
}

/// Evaluates every case folder in `dir` (in name order) and scores each kind.
pub fn eval_dir(dir: &Path, settings: &CareSettings, inputs: &mut dyn CaseInputs) -> Result<EvalReport, EvalError> {
    let mut folders: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| EvalError::Read(dir.display().to_string(), e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    folders.sort();
    if folders.is_empty() {
        return Err(EvalError::Case(dir.display().to_string(), "holds no case folders".to_string()));
    }
    let mut cases = Vec::new();
    for folder in folders {
        cases.push(eval_case(&folder, settings, inputs)?);
    }
    let mut kinds: BTreeMap<CareKind, KindScore> = BTreeMap::new();
    let mut delays: BTreeMap<CareKind, Vec<f64>> = BTreeMap::new();
    for case in &cases {
        for (kind, delay) in &case.hits {
            let score = kinds.entry(*kind).or_default();
            score.expected += 1;
            score.hits += 1;
            delays.entry(*kind).or_default().push(*delay);
        }
        for kind in &case.misses {
            kinds.entry(*kind).or_default().expected += 1;
        }
        for (kind, _) in &case.false_alarms {
            kinds.entry(*kind).or_default().false_alarms += 1;
        }
    }
    for (kind, score) in kinds.iter_mut() {
        let fired = score.hits + score.false_alarms;
        score.precision = if fired == 0 { 1.0 } else { score.hits as f64 / fired as f64 };
        score.recall = if score.expected == 0 { 1.0 } else { score.hits as f64 / score.expected as f64 };
        let d = delays.get(kind).cloned().unwrap_or_default();
        score.mean_delay_s = if d.is_empty() { 0.0 } else { d.iter().sum::<f64>() / d.len() as f64 };
        score.max_delay_s = d.iter().copied().fold(0.0, f64::max);
    }
    Ok(EvalReport { cases, kinds })
}

/// Writes labelled cases as folders for `tryghed eval`. A case's sound is
/// the recorded fixture from `audio_fixtures` heard at its moment, over the
/// quiet `room_noise.wav` looped for the length of the case.
pub fn write_cases(cases: &[crate::care::cases::Case], out: &Path, audio_fixtures: &Path) -> Result<(), String> {
    let io = |path: &Path, e: std::io::Error| format!("{}: {e}", path.display());
    for case in cases {
        let dir = out.join(&case.name);
        std::fs::create_dir_all(&dir).map_err(|e| io(&dir, e))?;
        for (name, text) in [("case.toml", case.case_toml.clone()), ("room.toml", case.room_toml.clone()), ("keypoints.jsonl", keypoints_jsonl(&case.frames))] {
            std::fs::write(dir.join(name), text).map_err(|e| io(&dir.join(name), e))?;
        }
        if let Some(sound) = case.sound {
            let duration = case.frames.last().map_or(0.0, |f| f.t) + 1.0;
            let noise = read_mono16k(&audio_fixtures.join("room_noise.wav"))?;
            let event = read_mono16k(&audio_fixtures.join(sound.fixture))?;
            let rate = f64::from(crate::audio::SAMPLE_RATE);
            let mut samples: Vec<f32> = (0..(duration * rate) as usize).map(|i| 0.3 * noise[i % noise.len().max(1)]).collect();
            let at = (sound.at_s * rate) as usize;
            for (i, s) in event.iter().enumerate() {
                if let Some(out) = samples.get_mut(at + i) {
                    *out += s;
                }
            }
            let spec = hound::WavSpec { channels: 1, sample_rate: crate::audio::SAMPLE_RATE, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
            let path = dir.join("audio.wav");
            let mut writer = hound::WavWriter::create(&path, spec).map_err(|e| format!("{}: {e}", path.display()))?;
            for s in samples {
                writer.write_sample((s.clamp(-1.0, 1.0) * 32767.0) as i16).map_err(|e| format!("{}: {e}", path.display()))?;
            }
            writer.finalize().map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }
    Ok(())
}

/// A 16 kHz mono 16-bit fixture's samples.
fn read_mono16k(path: &Path) -> Result<Vec<f32>, String> {
    let name = path.display();
    let reader = hound::WavReader::open(path).map_err(|e| format!("{name}: {e}"))?;
    let spec = reader.spec();
    if spec.channels != 1 || spec.sample_rate != crate::audio::SAMPLE_RATE || spec.bits_per_sample != 16 {
        return Err(format!("{name}: a case's sound must be 16 kHz mono 16-bit"));
    }
    reader.into_samples::<i16>().map(|s| s.map(|s| f32::from(s) / 32768.0).map_err(|e| format!("{name}: {e}"))).collect()
}
