//! The sound path on the fixtures: Silero VAD as the `silero-vad` package
//! computes it, and care sound events where the fixtures hold them and
//! nowhere else.

mod common;

use std::collections::BTreeSet;

use serde_json::Value;
use tryghed::audio::analyzer::{SoundAnalyzer, SoundSettings};
use tryghed::audio::report::analyze_file;
use tryghed::audio::vad::{SpeechSegmenter, SpeechSettings, Vad};

fn vad_reference(stem: &str) -> Option<Value> {
    let path = common::fixture(&format!("audio-reference/{stem}.vad.json"));
    path.exists()
        .then(|| serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap())
}

/// Frame by frame, the product's VAD (the sequence model, runs of frames)
/// gives silero's streaming probabilities, and the same speech segments as
/// `get_speech_timestamps`.
#[test]
fn voice_activity_matches_silero_vad() {
    let mut vad = Vad::load(&common::runtime(), &common::models_dir()).unwrap();
    let mut checked = 0;
    for entry in std::fs::read_dir(common::fixture("audio")).unwrap() {
        let path = entry.unwrap().path();
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        let Some(reference) = vad_reference(&stem) else {
            continue;
        };
        let (chunk, _, _) = tryghed::audio::wav::read_file(&path).unwrap();
        let mut samples = chunk.samples().to_vec();
        samples.resize(samples.len().div_ceil(512) * 512, 0.0);
        vad.reset();
        // Runs of 15 frames, as the analyzer feeds it.
        let ours: Vec<f32> = samples
            .chunks(512 * 15)
            .flat_map(|run| vad.probabilities(run).unwrap())
            .collect();
        let theirs: Vec<f64> = reference["probabilities"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        assert_eq!(ours.len(), theirs.len(), "{stem}");
        let worst = ours
            .iter()
            .zip(&theirs)
            .map(|(a, b)| (f64::from(*a) - b).abs())
            .fold(0.0, f64::max);
        assert!(worst < 1e-4, "{stem}: probabilities differ by {worst}");

        let mut cutter = SpeechSegmenter::new(SpeechSettings::default());
        let mut segments: Vec<(u64, u64)> = ours
            .iter()
            .filter_map(|p| cutter.push(*p))
            .map(|s| (s.start, s.end))
            .collect();
        segments.extend(cutter.finish().map(|s| (s.start, s.end)));
        // silero ends the last segment at the end of the sound, not of the padded frame.
        let length = chunk.samples().len() as u64;
        let segments: Vec<(u64, u64)> = segments
            .into_iter()
            .map(|(s, e)| (s, e.min(length)))
            .collect();
        let expected: Vec<(u64, u64)> = reference["speech"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| (s["start"].as_u64().unwrap(), s["end"].as_u64().unwrap()))
            .collect();
        assert_eq!(segments, expected, "{stem}");
        checked += theirs.len();
    }
    assert!(checked > 1500, "only {checked} frames checked");
}

/// Which events each fixture must give; `also` are kinds a fixture may
/// give besides (a scream is often also heard as distress).
const EXPECTED: &[(&str, &[&str], &[&str])] = &[
    ("speech_help_en", &["calling"], &[]),
    ("speech_hjaelp_da", &["calling"], &[]),
    ("speech_help_en_44k1_stereo", &["calling"], &[]),
    ("smoke_alarm_t3", &["smoke_alarm"], &[]),
    ("recorded_fire_alarm_bell", &["smoke_alarm"], &[]),
    ("recorded_impact_crate_hit", &["impact"], &[]),
    ("recorded_impact_door_slam", &["impact"], &[]),
    (
        "recorded_glass_break_brainparty",
        &["glass_breaking"],
        &["impact"],
    ),
    (
        "recorded_glass_break_freedroidrpg",
        &["glass_breaking"],
        &["impact"],
    ),
    ("recorded_scream", &["scream"], &["distress"]),
    ("recorded_crying_baby", &["distress"], &[]),
    ("recorded_sobbing", &["distress"], &[]),
    ("recorded_coughing_fit", &["coughing"], &[]),
    // Quiet rooms and calm breathing are not events.
    ("silence", &[], &[]),
    ("room_noise", &[], &[]),
    ("recorded_breathing", &[], &[]),
];

#[test]
fn event_fixtures_give_their_events_and_quiet_ones_none() {
    let mut analyzer = SoundAnalyzer::load(
        &common::runtime(),
        &common::models_dir(),
        &SoundSettings::default(),
    )
    .unwrap();
    let mut failures = Vec::new();
    for (stem, wanted, also) in EXPECTED {
        let path = common::fixture(&format!("audio/{stem}.wav"));
        let report = analyze_file(&mut analyzer, &path, |_, _| {}).unwrap();
        assert!(report.error.is_none(), "{stem}: {:?}", report.error);
        let kinds: BTreeSet<String> = report
            .events
            .iter()
            .map(|e| e.kind.name().to_string())
            .collect();
        for event in &report.events {
            // Every event says what fired it, and lies within the sound.
            assert!(
                !event.classes.is_empty() && event.score > 0.0,
                "{stem}: {event:?}"
            );
            assert!(
                0.0 <= event.start_s
                    && event.start_s < event.end_s
                    && event.end_s <= report.duration_s,
                "{stem}: {event:?}"
            );
        }
        let missing: Vec<_> = wanted.iter().filter(|k| !kinds.contains(**k)).collect();
        let extra: Vec<_> = kinds
            .iter()
            .filter(|k| !wanted.contains(&k.as_str()) && !also.contains(&k.as_str()))
            .collect();
        if !missing.is_empty() || !extra.is_empty() {
            failures.push(format!("{stem}: missing {missing:?}, unexpected {extra:?}"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// One analyzer for many files (as analyze-audio uses it) gives each file
/// the same report as a fresh one.
#[test]
fn an_analyzer_starts_afresh_for_each_file() {
    let settings = SoundSettings::default();
    let runtime = common::runtime();
    let mut shared = SoundAnalyzer::load(&runtime, &common::models_dir(), &settings).unwrap();
    for stem in ["smoke_alarm_t3", "speech_help_en", "recorded_scream"] {
        let path = common::fixture(&format!("audio/{stem}.wav"));
        let mut fresh = SoundAnalyzer::load(&runtime, &common::models_dir(), &settings).unwrap();
        let a = serde_json::to_value(analyze_file(&mut shared, &path, |_, _| {}).unwrap()).unwrap();
        let b = serde_json::to_value(analyze_file(&mut fresh, &path, |_, _| {}).unwrap()).unwrap();
        assert_eq!(a, b, "{stem}");
    }
}
