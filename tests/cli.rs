//! The command line as later checks call it.

mod common;

use common::{text, tryghed};
use serde_json::Value;

#[test]
fn analyze_image_prints_one_json_object_per_file() {
    let files = [
        common::fixture("photos/astronaut.png"),
        common::fixture("derived/bus_person1_lying_640x480.png"),
    ];
    let args: Vec<&str> = ["analyze-image", "--json"]
        .into_iter()
        .chain(files.iter().map(|f| f.to_str().unwrap()))
        .collect();
    let out = tryghed(&args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let reports = json.as_array().unwrap();
    assert_eq!(reports.len(), 2);
    for (report, file) in reports.iter().zip(&files) {
        assert_eq!(report["file"], file.to_str().unwrap());
        let (w, h) = (
            report["width"].as_f64().unwrap(),
            report["height"].as_f64().unwrap(),
        );
        let persons = report["persons"].as_array().unwrap();
        assert_eq!(persons.len(), 1);
        let person = &persons[0];
        assert!(person["score"].as_f64().unwrap() > 0.5);
        let bbox: Vec<f64> = person["bbox"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        assert!(
            bbox.len() == 4
                && bbox[0] < bbox[2]
                && bbox[1] < bbox[3]
                && bbox[2] <= w
                && bbox[3] <= h,
            "{bbox:?}"
        );
        let keypoints = person["keypoints"].as_array().unwrap();
        assert_eq!(keypoints.len(), 33);
        for k in keypoints {
            let k: Vec<f64> = k
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect();
            assert_eq!(k.len(), 5);
            assert!((0.0..=1.0).contains(&k[3]) && (0.0..=1.0).contains(&k[4]));
        }
        // Pixels, not normalised: the nose of a person this size is far from 0..1.
        let nose = keypoints[0].as_array().unwrap();
        assert!(nose[0].as_f64().unwrap() > 2.0 && nose[1].as_f64().unwrap() > 2.0);
    }
}

#[test]
fn persons_are_sorted_by_score() {
    let out = tryghed(&[
        "analyze-image",
        "--json",
        common::fixture("photos/bus.jpg").to_str().unwrap(),
    ]);
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let scores: Vec<f64> = json[0]["persons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["score"].as_f64().unwrap())
        .collect();
    assert!(
        scores.len() >= 2,
        "the bus photo shows several people: {scores:?}"
    );
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
}

fn some_bench_frames(n: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..n {
        let name = format!("frame_{:03}.jpg", i * 9);
        std::fs::copy(
            common::fixture(&format!("bench-640x480/{name}")),
            dir.path().join(name),
        )
        .unwrap();
    }
    dir
}

#[test]
fn bench_vision_reports_its_figures_as_json() {
    let frames = some_bench_frames(6);
    let out = tryghed(&[
        "bench",
        "vision",
        "--frames",
        frames.path().to_str().unwrap(),
        "--json",
        "--warmup",
        "2",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    for field in [
        "frames",
        "ms_p50",
        "ms_p95",
        "ms_p99",
        "fps",
        "detector_ms",
        "landmark_ms",
        "overhead_pct",
        "peak_rss_mb",
        "persons_found",
    ] {
        assert!(json[field].is_number(), "{field} missing: {json}");
    }
    assert_eq!(json["frames"], 6);
    assert!(
        json["persons_found"].as_u64().unwrap() >= 6,
        "a person in every frame: {json}"
    );
    assert!(json["landmark_runs"].as_u64().unwrap() >= 6);
    assert!(json["environment"]["onnxruntime"]
        .as_str()
        .unwrap()
        .starts_with("1."));
}

#[test]
fn demo_replays_frames_and_stills_and_ends() {
    let frames = some_bench_frames(4);
    let out = tryghed(&[
        "tour",
        "--frames",
        frames.path().to_str().unwrap(),
        "--fps",
        "240",
    ]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}{}", stdout, text(&out.stderr));
    // Frames the pipeline had no time for are dropped, never queued: every
    // frame is either analysed (with its person found) or counted as dropped.
    let summary = stdout
        .lines()
        .find(|l| l.starts_with("video: "))
        .expect("a summary line");
    let numbers: Vec<usize> = summary
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    let (with_person, analysed, dropped, skipped) =
        (numbers[0], numbers[1], numbers[2], numbers[3]);
    assert_eq!(analysed + dropped, 4, "{summary}");
    assert!(
        analysed >= 1 && with_person == analysed && skipped == 0,
        "{summary}"
    );
    assert!(stdout.contains("bus_person1_lying_640x480.png"), "{stdout}");
}

#[test]
fn check_config_accepts_a_good_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("room.toml");
    std::fs::write(
        &file,
        format!(
            "models_dir = \"{}\"\n[vision]\nmax_persons = 2\n",
            common::models_dir().display()
        ),
    )
    .unwrap();
    let out = tryghed(&["check-config", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn analyze_audio_gives_patches_speech_and_events() {
    let out = tryghed(&[
        "analyze-audio",
        "--json",
        common::fixture("audio/speech_hjaelp_da.wav")
            .to_str()
            .unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["duration_s"], 5.5);
    let patches = json["patches"].as_array().unwrap();
    assert_eq!(patches.len(), 11);
    assert_eq!(patches[1]["start_s"], 0.48);
    let top = patches[2]["top"].as_array().unwrap();
    assert_eq!(top.len(), 5);
    assert_eq!(top[0]["class"], "Speech");
    let scores: Vec<f64> = top.iter().map(|t| t["score"].as_f64().unwrap()).collect();
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]) && scores[0] <= 1.0,
        "{scores:?}"
    );
    let speech = json["speech"].as_array().unwrap();
    assert!(
        !speech.is_empty()
            && speech
                .iter()
                .all(|s| s["start_s"].as_f64() < s["end_s"].as_f64()),
        "{speech:?}"
    );
    let events = json["events"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    let event = &events[0];
    assert_eq!(event["kind"], "calling");
    let keys: Vec<&str> = event
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["classes", "end_s", "kind", "score", "start_s"]);
    assert_eq!(event["classes"][0], "Speech");
}

#[test]
fn bench_audio_reports_stage_times_and_the_real_time_factor() {
    let files = [
        common::fixture("audio/speech_help_en.wav"),
        common::fixture("audio/speech_help_en_44k1_stereo.wav"),
    ];
    let mut args = vec!["bench", "audio", "--json", "--files"];
    args.extend(files.iter().map(|f| f.to_str().unwrap()));
    let out = tryghed(&args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["files"], 2);
    assert!(
        (json["audio_s"].as_f64().unwrap() - 8.5).abs() < 0.01,
        "{json}"
    );
    assert_eq!(json["patches"], 17);
    assert_eq!(json["speech_segments"], 7);
    assert_eq!(json["events"], 2, "one calling event per file");
    for field in [
        "processing_s",
        "real_time_factor",
        "resample_ms",
        "front_end_ms",
        "yamnet_ms",
        "vad_ms",
        "events_ms",
        "peak_rss_mb",
    ] {
        assert!(json[field].as_f64().unwrap() > 0.0, "{field}: {json}");
    }
}
