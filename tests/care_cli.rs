//! `tryghed replay` on real frames, and its clear errors.

mod common;

use common::{text, tryghed};
use serde_json::Value;

fn frames(names: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for name in names {
        std::fs::copy(
            common::fixture(name),
            dir.path()
                .join(std::path::Path::new(name).file_name().unwrap()),
        )
        .unwrap();
    }
    dir
}

#[test]
fn replay_prints_events_in_time_order_and_a_summary() {
    let dir = frames(&[
        "bench-640x480/frame_000.jpg",
        "bench-640x480/frame_001.jpg",
        "bench-640x480/frame_002.jpg",
        "bench-640x480/frame_003.jpg",
    ]);
    let out = tryghed(&[
        "replay",
        "--frames",
        dir.path().to_str().unwrap(),
        "--fps",
        "1",
        "--audio",
        common::fixture("audio/recorded_impact_crate_hit.wav")
            .to_str()
            .unwrap(),
        "--json",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let (summary, events) = lines.split_last().unwrap();
    assert_eq!(summary["summary"]["frames"], 4);
    assert_eq!(
        summary["summary"]["persons"], 2,
        "the two men in the frames"
    );
    let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert!(
        kinds.contains(&"impact") && kinds.contains(&"several_persons"),
        "{kinds:?}"
    );
    let times: Vec<f64> = events.iter().map(|e| e["t_s"].as_f64().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    for event in events {
        for key in ["t_s", "kind", "level", "confidence", "person", "evidence"] {
            assert!(event.get(key).is_some(), "{key} missing: {event}");
        }
        assert!(
            event["evidence"]["rule"].is_string(),
            "no event without its evidence: {event}"
        );
    }
}

#[test]
fn bad_replays_are_clear_errors() {
    let empty = tempfile::tempdir().unwrap();
    let out = tryghed(&[
        "replay",
        "--frames",
        empty.path().to_str().unwrap(),
        "--fps",
        "15",
    ]);
    assert!(
        text(&out.stderr).contains("holds no PNG or JPEG frames") && !out.status.success(),
        "{}",
        text(&out.stderr)
    );

    let good = frames(&["bench-640x480/frame_000.jpg"]);
    let out = tryghed(&[
        "replay",
        "--frames",
        good.path().to_str().unwrap(),
        "--fps",
        "0",
    ]);
    assert!(
        text(&out.stderr).contains("--fps 0: the frame rate must be"),
        "{}",
        text(&out.stderr)
    );

    let mixed = frames(&["bench-640x480/frame_000.jpg", "photos/bus.jpg"]);
    let out = tryghed(&[
        "replay",
        "--frames",
        mixed.path().to_str().unwrap(),
        "--fps",
        "15",
    ]);
    let err = text(&out.stderr);
    // Frames play in name order: bus.jpg (810x1080) first, then a 640x480 frame.
    assert!(
        err.contains("frame_000.jpg: 640x480, but the frames before it are 810x1080"),
        "{err}"
    );

    let room = good.path().join("room.toml");
    std::fs::write(&room, "[image]\nwidth = 640\nheight = 480\n[zones]\nbed = [[0, 0], [100, 100], [100, 0], [0, 100]]\n").unwrap();
    let out = tryghed(&[
        "replay",
        "--frames",
        good.path().to_str().unwrap(),
        "--fps",
        "15",
        "--room",
        room.to_str().unwrap(),
    ]);
    assert!(
        text(&out.stderr).contains("room.toml: zones.bed: the polygon crosses itself"),
        "{}",
        text(&out.stderr)
    );

    std::fs::write(&room, "[image]\nwidth = 1280\nheight = 720\n").unwrap();
    let out = tryghed(&[
        "replay",
        "--frames",
        good.path().to_str().unwrap(),
        "--fps",
        "15",
        "--room",
        room.to_str().unwrap(),
    ]);
    assert!(
        text(&out.stderr).contains("the room file is for 1280x720 images, the frames are 640x480"),
        "{}",
        text(&out.stderr)
    );
    assert!(!text(&out.stderr).contains("panicked"));
}

/// The labelled set through `tryghed eval`: the generated cases
/// (`care::cases`) and those built from a real photo (`photo_cases`, through
/// the pose model). The goals of the care layer on it.
#[test]
fn eval_on_the_labelled_set_meets_the_goals() {
    let dir = tempfile::tempdir().unwrap();
    tryghed::eval::write_cases(
        &tryghed::care::cases::labelled_cases(),
        dir.path(),
        &common::fixture("audio"),
    )
    .unwrap();
    tryghed::photo_cases::write_photo_cases(dir.path(), &common::fixture("photos")).unwrap();
    let out = tryghed(&["eval", dir.path().to_str().unwrap(), "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    for kind in ["fall", "on_floor", "bed_exit", "room_exit"] {
        let score = &report["kinds"][kind];
        println!("{kind}: {score}");
        assert!(score["expected"].as_u64().unwrap() >= 3, "{kind}: {score}");
        assert!(
            score["precision"].as_f64().unwrap() >= 0.95
                && score["recall"].as_f64().unwrap() >= 0.95,
            "{kind}: {score}"
        );
    }
    assert!(
        report["kinds"]["fall"]["max_delay_s"].as_f64().unwrap() <= 2.0,
        "a fall within 2 s of reaching the floor"
    );
    // Every case from the real photo is right: the pose model follows the
    // body down, and nothing else looks like a fall.
    let photo: Vec<&Value> = report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["case"].as_str().unwrap().starts_with("photo_"))
        .collect();
    assert_eq!(photo.len(), 6);
    for case in photo {
        assert!(
            case["misses"].as_array().unwrap().is_empty()
                && case["false_alarms"].as_array().unwrap().is_empty(),
            "{case}"
        );
    }
}

#[test]
fn eval_names_a_case_without_frames() {
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("empty_case");
    std::fs::create_dir_all(&case).unwrap();
    std::fs::write(case.join("case.toml"), "fps = 15\n").unwrap();
    let out = tryghed(&["eval", dir.path().to_str().unwrap()]);
    let err = text(&out.stderr);
    assert!(
        !out.status.success()
            && err.contains("empty_case")
            && err.contains("has neither video, frames/, keypoints.jsonl nor sound"),
        "{err}"
    );
    std::fs::write(case.join("case.toml"), "fps = 0\n").unwrap();
    let out = tryghed(&["eval", dir.path().to_str().unwrap()]);
    assert!(
        text(&out.stderr).contains("fps 0 must be above 0"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn levels_follow_the_hour_and_the_resident() {
    let dir = frames(&["bench-640x480/frame_000.jpg", "bench-640x480/frame_001.jpg"]);
    let speech = common::fixture("audio/speech_help_en.wav");
    let level_of_calling = |extra: &[&str]| -> String {
        let mut args = vec![
            "replay",
            "--frames",
            dir.path().to_str().unwrap(),
            "--fps",
            "1",
            "--audio",
            speech.to_str().unwrap(),
            "--json",
        ];
        args.extend_from_slice(extra);
        let out = tryghed(&args);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let calling = text(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .find(|e| e["kind"] == "calling")
            .expect("speech gives calling");
        calling["level"].as_str().unwrap().to_string()
    };
    assert_eq!(
        level_of_calling(&[]),
        "silent",
        "speech by day is conversation"
    );
    assert_eq!(
        level_of_calling(&["--start", "03:10"]),
        "warning",
        "at night it is a resident calling"
    );
    let settings = dir.path().join("settings.toml");
    std::fs::write(
        &settings,
        "[alerts.residents.r-017.calling]\nday = \"alarm\"\nnight = \"alarm\"\n",
    )
    .unwrap();
    let out = tryghed(&[
        "--config",
        settings.to_str().unwrap(),
        "replay",
        "--frames",
        dir.path().to_str().unwrap(),
        "--fps",
        "1",
        "--audio",
        speech.to_str().unwrap(),
        "--resident",
        "r-017",
        "--json",
    ]);
    assert!(
        text(&out.stdout).contains("\"kind\":\"calling\",\"level\":\"alarm\""),
        "{}",
        text(&out.stdout)
    );
    std::fs::write(&settings, "[alerts]\nnight_from = \"late\"\n[alerts.levels.falls]\nday = \"alarm\"\nnight = \"alarm\"\n").unwrap();
    let out = tryghed(&["check-config", settings.to_str().unwrap()]);
    let err = text(&out.stderr);
    assert!(
        err.contains("alerts.night_from \"late\" is not a time of day")
            && err.contains("alerts.levels.falls: not an event kind"),
        "{err}"
    );
}
