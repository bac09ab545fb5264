//! The headline quality figure: falls in real video. The 47 real clips of
//! `../shared/datasets/falls-dev` (20 falls, 27 everyday activities, side,
//! corner and high views) become `eval` cases by the same script a person
//! would run, and go through the whole pipeline, video decoding and the
//! pose model included, with no room file. The figures are printed and
//! kept in `target/real-falls.md`; the floors below catch a regression,
//! they are not the goal (the README gives the measured figures).

mod common;

use common::{text, tryghed};
use serde_json::Value;

#[test]
fn falls_in_real_video_with_no_room_file() {
    let result = common::eval_real_set("falls-dev", "falls_dev_cases.py", "real-falls.md");
    let fall = &result["kinds"]["fall"];
    assert_eq!(fall["expected"], 20, "{fall}");
    assert!(
        fall["recall"].as_f64().unwrap() >= 0.8,
        "fall recall fell: {fall}"
    );
    let everyday = common::expecting_nothing(&result);
    assert_eq!(everyday.len(), 27);
    let false_falls = common::with_false_alarm(&everyday, |kind| kind == "fall");
    assert!(
        false_falls <= 1,
        "{false_falls} of 27 everyday activities raised a fall"
    );
    let seizures = result["kinds"]["seizure"]["false_alarms"].as_u64().unwrap();
    assert_eq!(
        seizures, 0,
        "no seizure from a real person's keypoint jitter"
    );
    for view in ["side", "corner", "high"] {
        assert!(
            result["by_view"][view]["cases"].as_u64().unwrap() > 0,
            "{view}"
        );
    }
}

/// A real clip through `replay --video`: frame times from the file, the
/// camera's tilt learnt from the person walking in, the fall with its evidence.
#[test]
fn replay_reads_a_real_video() {
    let clip = common::repo().join("../shared/datasets/falls-dev/clips/fall_le2i_ku_cam2.mp4");
    let out = tryghed(&["replay", "--video", clip.to_str().unwrap(), "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let summary = &lines.last().unwrap()["summary"];
    assert!(summary["frames"].as_u64().unwrap() > 150, "{summary}");
    assert!(
        summary["camera"]["frames"].as_u64().unwrap() > 0,
        "learnt from standing frames: {summary}"
    );
    let fall = lines
        .iter()
        .find(|e| e["kind"] == "fall")
        .expect("the fall is found");
    let values = &fall["evidence"]["values"];
    assert!(
        values["drop_body_sizes"].as_f64().unwrap() >= 0.8
            && values["hip_drop_body_sizes"].as_f64().unwrap() >= 0.3,
        "{fall}"
    );
}
