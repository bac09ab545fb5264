//! `tryghed eval DIR`: the care layer against labelled cases. Each case is
//! a folder with `case.toml` and either `video` (a video file named in it,
//! through vision, times from the file), `frames/` (real images at `fps`,
//! through vision) or `keypoints.jsonl` (generated poses, one line per frame:
//! `{"t": seconds, "poses": [[[x, y, z, visibility, presence], ...33], ...]}`),
//! and optionally `audio.wav` or `audio = "FILE"` (the room's sound over the
//! same time, through the sound path; its events are expected like any
//! other kind). A case with sound and no pictures is heard only.
//!
//! ```toml
//! fps = 15                    # for frames/ and keypoints.jsonl
//! video = "clip.mp4"          # or this, beside case.toml or absolute
//! room = "room.toml"          # optional, beside case.toml
//! view = "high"               # optional labels the report is broken down by
//! activity = "fall backward"
//! [[expect]]
//! kind = "fall"
//! from_s = 3.0                # the event must come in this window
//! to_s = 5.0
//! [[allow]]                   # may fire here without being a false alarm
//! kind = "on_floor"
//! from_s = 3.0
//! to_s = 60.0
//! ```
//! `[care...]` tables may change settings for the case (a short bed-exit
//! tolerance keeps a case short). No `[[expect]]` means nothing may fire.
//! Scoring is strict: each expectation takes the first event of its kind
//! in its window; every other event (a second one in the same window, one
//! after a hit) is a false alarm unless an `[[allow]]` window holds it.
//! `several_persons` is never an alarm and is not scored.

pub mod report;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::capture::FramesFrom;
use crate::care::zones::Room;
use crate::care::{play, CareKind, CareSettings, RoomWatch, SoundCue};
use crate::domain::{bounding_box, Keypoint, Pose, BODY_KEYPOINTS};

/// Poses seen over time: (seconds, everyone in the frame).
pub type PosesOverTime = Vec<(f64, Vec<Pose>)>;

/// Where a case's frames and sound become poses and sound cues (the real
/// models, given by the caller so this module stays free of them).
pub trait CaseInputs {
    /// A video or a `frames/` folder: poses over time and the frames' size.
    fn poses(&mut self, from: FramesFrom<'_>) -> Result<(PosesOverTime, (u32, u32)), String>;
    /// `audio.wav`: sound cues at the moment each became known.
    fn sounds(&mut self, wav: &Path) -> Result<Vec<(f64, SoundCue)>, String>;
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    fps: Option<f64>,
    video: Option<PathBuf>,
    /// The room's sound, if not `audio.wav` beside case.toml.
    audio: Option<PathBuf>,
    room: Option<PathBuf>,
    #[serde(default)]
    view: String,
    #[serde(default)]
    activity: String,
    /// Settings for this case only (short tolerances keep cases short).
    care: Option<CareSettings>,
    #[serde(default)]
    expect: Vec<Expected>,
    #[serde(default)]
    allow: Vec<Expected>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Expected {
    pub kind: CareKind,
    pub from_s: f64,
    pub to_s: f64,
    /// `false` when the window is not the moment it happened (a source with
    /// no times): a hit counts, its delay does not.
    #[serde(default = "yes")]
    pub timed: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct CaseResult {
    pub case: String,
    pub view: String,
    pub activity: String,
    /// Each expectation met: the kind and the delay from its window's start
    /// (`None` for an untimed window).
    pub hits: Vec<(CareKind, Option<f64>)>,
    pub misses: Vec<CareKind>,
    pub false_alarms: Vec<(CareKind, f64)>,
    /// The tracked persons' postures over time, as runs: (from_s, posture)
    /// for each change, per person. Explains a miss without any picture.
    pub timeline: Vec<(usize, f64, &'static str)>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct KindScore {
    pub expected: usize,
    pub hits: usize,
    pub false_alarms: usize,
    /// `None` (n/a) when the kind never fired.
    pub precision: Option<f64>,
    /// `None` (n/a) when the kind was never expected.
    pub recall: Option<f64>,
    /// Seconds from the start of the expected window to the event.
    pub median_delay_s: Option<f64>,
    pub mean_delay_s: Option<f64>,
    pub max_delay_s: Option<f64>,
}

/// The figures of one group of cases (a camera view, an activity).
#[derive(Debug, Clone, Default, Serialize)]
pub struct GroupScore {
    pub cases: usize,
    pub expected: usize,
    pub hits: usize,
    pub misses: usize,
    /// False alarms by kind.
    pub false_alarms: BTreeMap<CareKind, usize>,
    /// Cases with at least one false alarm.
    pub cases_with_false_alarms: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    pub cases: Vec<CaseResult>,
    /// Every kind, fired or not.
    pub kinds: BTreeMap<CareKind, KindScore>,
    pub by_view: BTreeMap<String, GroupScore>,
    pub by_activity: BTreeMap<String, GroupScore>,
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
        /// The world landmarks of each pose, where a model gave them.
        #[serde(default)]
        world: Vec<Option<Vec<[f32; 3]>>>,
    }
    let mut frames = Vec::new();
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let line: Line = serde_json::from_str(line)
            .map_err(|e| EvalError::Case(name.clone(), format!("line {}: {e}", n + 1)))?;
        let mut poses = Vec::new();
        let mut worlds = line.world.into_iter();
        for points in line.poses {
            let world = match worlds.next().flatten() {
                Some(w) if w.len() == BODY_KEYPOINTS => Some(std::array::from_fn(|i| w[i])),
                Some(w) => {
                    return Err(EvalError::Case(
                        name.clone(),
                        format!(
                            "line {}: a pose has {} world landmarks, expected {BODY_KEYPOINTS}",
                            n + 1,
                            w.len()
                        ),
                    ))
                }
                None => None,
            };
            if points.len() != BODY_KEYPOINTS {
                return Err(EvalError::Case(
                    name.clone(),
                    format!(
                        "line {}: a pose has {} keypoints, expected {BODY_KEYPOINTS}",
                        n + 1,
                        points.len()
                    ),
                ));
            }
            let keypoints: [Keypoint; BODY_KEYPOINTS] = std::array::from_fn(|i| {
                let [x, y, z, visibility, presence] = points[i];
                Keypoint {
                    x,
                    y,
                    z,
                    visibility,
                    presence,
                }
            });
            poses.push(Pose {
                score: 0.9,
                bbox: bounding_box(keypoints.iter().map(|k| (k.x, k.y))),
                keypoints,
                world,
            });
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
        .map(|f| keypoints_line(f.t, &f.poses))
        .collect()
}

/// One frame's poses as a line of `keypoints.jsonl` (world landmarks too, when the model gave them).
pub fn keypoints_line(t: f64, poses: &[Pose]) -> String {
    let keypoints: Vec<Vec<[f32; 5]>> = poses
        .iter()
        .map(|p| {
            p.keypoints
                .iter()
                .map(|k| [k.x, k.y, k.z, k.visibility, k.presence])
                .collect()
        })
        .collect();
    let mut line = serde_json::json!({ "t": crate::domain::round3(t), "poses": keypoints });
    if poses.iter().any(|p| p.world.is_some()) {
        line["world"] = serde_json::json!(poses
            .iter()
            .map(|p| p.world.map(|w| w.to_vec()))
            .collect::<Vec<_>>());
    }
    line.to_string() + "\n"
}

/// Evaluates one case folder.
pub fn eval_case(
    dir: &Path,
    settings: &CareSettings,
    inputs: &mut dyn CaseInputs,
) -> Result<CaseResult, EvalError> {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let case_path = dir.join("case.toml");
    let case_name = case_path.display().to_string();
    let text =
        std::fs::read_to_string(&case_path).map_err(|e| EvalError::Read(case_name.clone(), e))?;
    let case: CaseFile = toml::from_str(&text).map_err(|e| {
        EvalError::Case(
            case_name.clone(),
            e.to_string().trim_end().replace('\n', " "),
        )
    })?;
    if let Some(fps) = case.fps.filter(|fps| !(*fps > 0.0 && *fps <= 240.0)) {
        return Err(EvalError::Case(
            case_name,
            format!("fps {fps} must be above 0 and at most 240"),
        ));
    }
    for e in case.expect.iter().chain(&case.allow) {
        if e.from_s.partial_cmp(&e.to_s).is_none_or(|o| o.is_gt()) {
            return Err(EvalError::Case(
                case_name,
                format!("{}: from_s {} is after to_s {}", e.kind, e.from_s, e.to_s),
            ));
        }
    }
    let room = case
        .room
        .as_ref()
        .map(|file| Room::load(&dir.join(file)).map_err(|e| EvalError::Case(case_name.clone(), e)))
        .transpose()?;
    let wav = dir.join(case.audio.as_deref().unwrap_or(Path::new("audio.wav")));
    if case.audio.is_some() && !wav.is_file() {
        return Err(EvalError::Case(
            case_name,
            format!("audio {} is not a file", wav.display()),
        ));
    }
    let (frames, size) = if has_pictures(dir, &case) || !wav.is_file() {
        case_poses(dir, &case, room.as_ref(), inputs)?
    } else {
        // Sound alone: nobody is seen.
        (Vec::new(), (640, 480))
    };
    let room = match room {
        Some(room) if (room.width, room.height) != size => {
            return Err(EvalError::Case(
                case_name,
                format!(
                    "the room file is for {}x{} images, the frames are {}x{}",
                    room.width, room.height, size.0, size.1
                ),
            ));
        }
        Some(room) => room,
        None => Room::unzoned(size.0, size.1),
    };
    let sounds = if wav.is_file() {
        inputs
            .sounds(&wav)
            .map_err(|e| EvalError::Case(dir.display().to_string(), e))?
    } else {
        Vec::new()
    };
    let mut watch = RoomWatch::new(room, case.care.clone().unwrap_or_else(|| settings.clone()));
    let played = play(&mut watch, &frames, &sounds);
    let events: Vec<(CareKind, f64)> = played
        .events
        .into_iter()
        .filter(|e| e.kind != CareKind::SeveralPersons)
        .map(|e| (e.kind, e.t_s))
        .collect();
    let mut result = score_case(&case.expect, &case.allow, &events);
    result.case = name;
    result.view = case.view;
    result.activity = case.activity;
    result.timeline = played.timeline;
    Ok(result)
}

fn has_pictures(dir: &Path, case: &CaseFile) -> bool {
    case.video.is_some() || dir.join("keypoints.jsonl").is_file() || dir.join("frames").is_dir()
}

/// The case's poses over time and the frames' size, from whichever input it has.
fn case_poses(
    dir: &Path,
    case: &CaseFile,
    room: Option<&Room>,
    inputs: &mut dyn CaseInputs,
) -> Result<(PosesOverTime, (u32, u32)), EvalError> {
    let folder = dir.display().to_string();
    let needs_fps = || {
        case.fps.ok_or_else(|| {
            EvalError::Case(
                dir.join("case.toml").display().to_string(),
                "fps is needed for frames/ and keypoints.jsonl".to_string(),
            )
        })
    };
    if let Some(video) = &case.video {
        return inputs
            .poses(FramesFrom::Video(&dir.join(video)))
            .map_err(|e| EvalError::Case(folder, e));
    }
    if dir.join("keypoints.jsonl").is_file() {
        needs_fps()?;
        let frames = read_keypoints(&dir.join("keypoints.jsonl"))?;
        let size = room.map_or_else(|| frame_extent(&frames), |r| (r.width, r.height));
        return Ok((frames, size));
    }
    if dir.join("frames").is_dir() {
        let fps = needs_fps()?;
        return inputs
            .poses(FramesFrom::Folder {
                dir: &dir.join("frames"),
                fps,
            })
            .map_err(|e| EvalError::Case(folder, e));
    }
    Err(EvalError::Case(
        folder,
        "has neither video, frames/, keypoints.jsonl nor sound".to_string(),
    ))
}

/// Scores one case's events against what was expected and allowed. Each
/// expectation takes the first unused event of its kind in its window;
/// every other event is a false alarm unless an allowed window holds it.
pub fn score_case(
    expect: &[Expected],
    allow: &[Expected],
    events: &[(CareKind, f64)],
) -> CaseResult {
    let within =
        |e: &Expected, kind: CareKind, t: f64| e.kind == kind && t >= e.from_s && t <= e.to_s;
    let mut used = vec![false; events.len()];
    let mut result = CaseResult::default();
    for expected in expect {
        match events
            .iter()
            .enumerate()
            .position(|(i, (kind, t))| !used[i] && within(expected, *kind, *t))
        {
            Some(i) => {
                used[i] = true;
                result.hits.push((
                    expected.kind,
                    expected.timed.then(|| events[i].1 - expected.from_s),
                ));
            }
            None => result.misses.push(expected.kind),
        }
    }
    for (i, &(kind, t)) in events.iter().enumerate() {
        if !used[i] && !allow.iter().any(|a| within(a, kind, t)) {
            result.false_alarms.push((kind, t));
        }
    }
    result
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
pub fn eval_dir(
    dir: &Path,
    settings: &CareSettings,
    inputs: &mut dyn CaseInputs,
) -> Result<EvalReport, EvalError> {
    let mut folders: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| EvalError::Read(dir.display().to_string(), e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    folders.sort();
    if folders.is_empty() {
        return Err(EvalError::Case(
            dir.display().to_string(),
            "holds no case folders".to_string(),
        ));
    }
    let mut cases = Vec::new();
    for folder in folders {
        cases.push(eval_case(&folder, settings, inputs)?);
    }
    let kinds = score_kinds(&cases);
    let by_view = group_scores(&cases, |c| &c.view);
    let by_activity = group_scores(&cases, |c| &c.activity);
    Ok(EvalReport {
        cases,
        kinds,
        by_view,
        by_activity,
    })
}

/// Per kind, over every case: every kind is listed, fired or not.
pub fn score_kinds(cases: &[CaseResult]) -> BTreeMap<CareKind, KindScore> {
    let mut kinds: BTreeMap<CareKind, KindScore> = CareKind::ALL
        .iter()
        .filter(|k| **k != CareKind::SeveralPersons)
        .map(|k| (*k, KindScore::default()))
        .collect();
    let mut delays: BTreeMap<CareKind, Vec<f64>> = BTreeMap::new();
    for case in cases {
        for (kind, delay) in &case.hits {
            let score = kinds.entry(*kind).or_default();
            score.expected += 1;
            score.hits += 1;
            delays.entry(*kind).or_default().extend(*delay);
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
        score.precision = (fired > 0).then(|| score.hits as f64 / fired as f64);
        score.recall = (score.expected > 0).then(|| score.hits as f64 / score.expected as f64);
        let mut d = delays.remove(kind).unwrap_or_default();
        d.sort_by(f64::total_cmp);
        score.median_delay_s = median(&d);
        score.mean_delay_s = (!d.is_empty()).then(|| d.iter().sum::<f64>() / d.len() as f64);
        score.max_delay_s = d.last().copied();
    }
    kinds
}

/// The median of sorted values.
fn median(sorted: &[f64]) -> Option<f64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

/// The cases grouped by a label (unlabelled cases under "").
pub fn group_scores(
    cases: &[CaseResult],
    label: impl Fn(&CaseResult) -> &String,
) -> BTreeMap<String, GroupScore> {
    let mut groups: BTreeMap<String, GroupScore> = BTreeMap::new();
    for case in cases {
        let group = groups.entry(label(case).clone()).or_default();
        group.cases += 1;
        group.expected += case.hits.len() + case.misses.len();
        group.hits += case.hits.len();
        group.misses += case.misses.len();
        for (kind, _) in &case.false_alarms {
            *group.false_alarms.entry(*kind).or_default() += 1;
        }
        group.cases_with_false_alarms += usize::from(!case.false_alarms.is_empty());
    }
    groups
}

/// Writes labelled cases as folders for `tryghed eval`. A case's sound is
/// the recorded fixture from `audio_fixtures` heard at its moment, over the
/// quiet `room_noise.wav` looped for the length of the case.
pub fn write_cases(
    cases: &[crate::care::cases::Case],
    out: &Path,
    audio_fixtures: &Path,
) -> Result<(), String> {
    let io = |path: &Path, e: std::io::Error| format!("{}: {e}", path.display());
    for case in cases {
        let dir = out.join(&case.name);
        std::fs::create_dir_all(&dir).map_err(|e| io(&dir, e))?;
        for (name, text) in [
            ("case.toml", case.case_toml.clone()),
            ("room.toml", case.room_toml.clone()),
            ("keypoints.jsonl", keypoints_jsonl(&case.frames)),
        ] {
            std::fs::write(dir.join(name), text).map_err(|e| io(&dir.join(name), e))?;
        }
        if let Some(sound) = case.sound {
            let duration = case.frames.last().map_or(0.0, |f| f.t) + 1.0;
            let noise = read_mono16k(&audio_fixtures.join("room_noise.wav"))?;
            let event = read_mono16k(&audio_fixtures.join(sound.fixture))?;
            let rate = f64::from(crate::audio::SAMPLE_RATE);
            let mut samples: Vec<f32> = (0..(duration * rate) as usize)
                .map(|i| 0.3 * noise[i % noise.len().max(1)])
                .collect();
            let at = (sound.at_s * rate) as usize;
            for (i, s) in event.iter().enumerate() {
                if let Some(out) = samples.get_mut(at + i) {
                    *out += s;
                }
            }
            let spec = hound::WavSpec {
                channels: 1,
                sample_rate: crate::audio::SAMPLE_RATE,
                bits_per_sample: 16,
                sample_format: hound::SampleFormat::Int,
            };
            let path = dir.join("audio.wav");
            let mut writer = hound::WavWriter::create(&path, spec)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            for s in samples {
                writer
                    .write_sample((s.clamp(-1.0, 1.0) * 32767.0) as i16)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
            }
            writer
                .finalize()
                .map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }
    Ok(())
}

/// A 16 kHz mono 16-bit fixture's samples.
fn read_mono16k(path: &Path) -> Result<Vec<f32>, String> {
    let name = path.display();
    let reader = hound::WavReader::open(path).map_err(|e| format!("{name}: {e}"))?;
    let spec = reader.spec();
    if spec.channels != 1
        || spec.sample_rate != crate::audio::SAMPLE_RATE
        || spec.bits_per_sample != 16
    {
        return Err(format!("{name}: a case's sound must be 16 kHz mono 16-bit"));
    }
    reader
        .into_samples::<i16>()
        .map(|s| {
            s.map(|s| f32::from(s) / 32768.0)
                .map_err(|e| format!("{name}: {e}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(kind: CareKind, from_s: f64, to_s: f64) -> Expected {
        Expected {
            kind,
            from_s,
            to_s,
            timed: true,
        }
    }

    #[test]
    fn a_false_alarm_after_a_hit_is_still_a_false_alarm() {
        let expect = [window(CareKind::Fall, 2.0, 6.0)];
        let events = [
            (CareKind::Fall, 3.0),
            (CareKind::Fall, 4.0),
            (CareKind::Fall, 20.0),
            (CareKind::OnFloor, 25.0),
        ];
        let result = score_case(&expect, &[], &events);
        assert_eq!(result.hits, vec![(CareKind::Fall, Some(1.0))]);
        assert!(result.misses.is_empty());
        // The second fall in the window, the one after it and the floor all count against.
        assert_eq!(
            result.false_alarms,
            vec![
                (CareKind::Fall, 4.0),
                (CareKind::Fall, 20.0),
                (CareKind::OnFloor, 25.0)
            ]
        );
    }

    #[test]
    fn allowed_windows_hold_events_that_are_neither_hits_nor_false() {
        let expect = [window(CareKind::Fall, 2.0, 6.0)];
        let allow = [window(CareKind::OnFloor, 2.0, 60.0)];
        let events = [
            (CareKind::OnFloor, 1.0),
            (CareKind::Fall, 5.0),
            (CareKind::OnFloor, 25.0),
        ];
        let result = score_case(&expect, &allow, &events);
        assert_eq!(result.hits.len(), 1);
        assert_eq!(
            result.false_alarms,
            vec![(CareKind::OnFloor, 1.0)],
            "before the allowed window it is false"
        );
    }

    #[test]
    fn an_event_outside_the_window_is_a_miss_and_a_false_alarm() {
        let expect = [window(CareKind::Fall, 2.0, 6.0)];
        let result = score_case(&expect, &[], &[(CareKind::Fall, 7.0)]);
        assert_eq!(result.misses, vec![CareKind::Fall]);
        assert_eq!(result.false_alarms, vec![(CareKind::Fall, 7.0)]);
    }

    #[test]
    fn an_untimed_hit_counts_without_a_delay() {
        let expect = [Expected {
            timed: false,
            ..window(CareKind::Fall, 0.0, 100.0)
        }];
        let result = score_case(&expect, &[], &[(CareKind::Fall, 7.0)]);
        assert_eq!(result.hits, vec![(CareKind::Fall, None)]);
        let kinds = score_kinds(&[result]);
        assert_eq!(kinds[&CareKind::Fall].recall, Some(1.0));
        assert_eq!(kinds[&CareKind::Fall].median_delay_s, None);
    }

    #[test]
    fn every_kind_is_reported_and_what_never_fired_has_no_precision() {
        let fall = CaseResult {
            hits: vec![(CareKind::Fall, Some(1.0))],
            ..CaseResult::default()
        };
        let missed = CaseResult {
            misses: vec![CareKind::Fall],
            ..CaseResult::default()
        };
        let seizure = CaseResult {
            false_alarms: vec![(CareKind::Seizure, 3.0)],
            ..CaseResult::default()
        };
        let kinds = score_kinds(&[fall, missed, seizure]);
        assert_eq!(
            kinds.len(),
            CareKind::ALL.len() - 1,
            "every kind but several_persons"
        );
        assert_eq!(kinds[&CareKind::Fall].recall, Some(0.5));
        assert_eq!(kinds[&CareKind::Fall].precision, Some(1.0));
        assert_eq!(kinds[&CareKind::Seizure].precision, Some(0.0));
        assert_eq!(
            kinds[&CareKind::Seizure].recall,
            None,
            "never expected: n/a, not 1.00"
        );
        assert_eq!(
            kinds[&CareKind::BedExit].precision,
            None,
            "never fired: n/a, not 1.00"
        );
    }

    #[test]
    fn delays_have_a_median() {
        let cases: Vec<CaseResult> = [1.0, 5.0, 2.0, 9.0]
            .iter()
            .map(|d| CaseResult {
                hits: vec![(CareKind::Fall, Some(*d))],
                ..CaseResult::default()
            })
            .collect();
        let fall = &score_kinds(&cases)[&CareKind::Fall];
        assert_eq!(
            (fall.median_delay_s, fall.max_delay_s, fall.mean_delay_s),
            (Some(3.5), Some(9.0), Some(4.25))
        );
    }

    #[test]
    fn groups_count_cases_with_false_alarms() {
        let a = CaseResult {
            view: "high".into(),
            misses: vec![CareKind::Fall],
            ..CaseResult::default()
        };
        let b = CaseResult {
            view: "high".into(),
            false_alarms: vec![(CareKind::Fall, 1.0), (CareKind::Seizure, 2.0)],
            ..CaseResult::default()
        };
        let c = CaseResult {
            view: "side".into(),
            hits: vec![(CareKind::Fall, Some(0.5))],
            ..CaseResult::default()
        };
        let groups = group_scores(&[a, b, c], |c| &c.view);
        let high = &groups["high"];
        assert_eq!(
            (
                high.cases,
                high.expected,
                high.hits,
                high.misses,
                high.cases_with_false_alarms
            ),
            (2, 1, 0, 1, 1)
        );
        assert_eq!(high.false_alarms[&CareKind::Seizure], 1);
        assert_eq!(groups["side"].hits, 1);
    }
}
