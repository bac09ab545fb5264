//! The pose pipeline agrees with MediaPipe 0.10.14 (Python, static image
//! mode, full model) on every fixture photo and derived frame: the same
//! people found, and keypoints within 2 % of the person's size.
//! References: fixtures/reference/*.json, made by scripts/fixtures/reference.py.

mod common;

use serde_json::Value;
use tryghed::capture::Frame;
use tryghed::vision::PersonView;

/// Most a keypoint may be off on average, as a share of the diagonal of
/// the box around the person's visible keypoints.
const MAX_MEAN_ERROR: f64 = 0.02;
/// Keypoints MediaPipe calls visible are the ones compared.
const VISIBLE: f64 = 0.5;

struct Reference {
    name: String,
    image: String,
    persons: Vec<Vec<[f64; 5]>>,
}

fn references() -> Vec<Reference> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(common::fixture("reference")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let json: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let persons = json["persons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                p["keypoints"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|k| std::array::from_fn(|i| k[i].as_f64().unwrap_or(f64::NAN)))
                    .collect()
            })
            .collect();
        out.push(Reference {
            name: path.file_stem().unwrap().to_string_lossy().into_owned(),
            image: json["file"].as_str().unwrap().to_string(),
            persons,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// Mean distance from a reference person's visible keypoints to ours, as a
/// share of the diagonal of the box around those keypoints.
fn relative_error(reference: &[[f64; 5]], ours: &PersonView) -> f64 {
    let visible: Vec<usize> = (0..33).filter(|&i| reference[i][3] > VISIBLE).collect();
    assert!(
        visible.len() >= 4,
        "reference person with too few visible keypoints"
    );
    let xs = visible.iter().map(|&i| reference[i][0]);
    let ys = visible.iter().map(|&i| reference[i][1]);
    let (x0, x1) = xs.fold((f64::MAX, f64::MIN), |(a, b), x| (a.min(x), b.max(x)));
    let (y0, y1) = ys.fold((f64::MAX, f64::MIN), |(a, b), y| (a.min(y), b.max(y)));
    let diagonal = (x1 - x0).hypot(y1 - y0);
    let mean = visible
        .iter()
        .map(|&i| {
            let k = ours.pose.keypoints[i];
            (k.x as f64 - reference[i][0]).hypot(k.y as f64 - reference[i][1])
        })
        .sum::<f64>()
        / visible.len() as f64;
    mean / diagonal
}

/// Photos with several people. MediaPipe Pose (legacy) finds one person by
/// design, so on these the product must find that one and everyone the
/// per-person-crop reference lists, and may find more.
fn shows_several_people(image: &str) -> bool {
    image.contains("fixtures/photos/bus.jpg") || image.ends_with("bus_mirror.png")
}

#[test]
fn keypoints_agree_with_mediapipe_on_every_fixture() {
    let mut tracker = common::tracker();
    let references = references();
    assert!(
        references.len() >= 10,
        "expected the fixture references, found {}",
        references.len()
    );
    let mut failures = Vec::new();
    let mut worst: f64 = 0.0;
    for reference in &references {
        let frame = Frame::decode_file(&common::repo().join(&reference.image)).unwrap();
        let ours = tracker.analyze_image(&frame).unwrap();
        let several = shows_several_people(&reference.image);
        if !several && ours.len() != reference.persons.len() {
            failures.push(format!(
                "{}: found {} persons, MediaPipe {}",
                reference.name,
                ours.len(),
                reference.persons.len()
            ));
            continue;
        }
        if several && ours.len() < reference.persons.len() {
            failures.push(format!(
                "{}: found {} persons, reference lists {}",
                reference.name,
                ours.len(),
                reference.persons.len()
            ));
            continue;
        }
        for (n, person) in reference.persons.iter().enumerate() {
            let best = ours
                .iter()
                .map(|p| relative_error(person, p))
                .fold(f64::MAX, f64::min);
            worst = worst.max(best);
            println!(
                "{:<32} person {n}: mean keypoint error {:.2} % of its size",
                reference.name,
                best * 100.0
            );
            if best > MAX_MEAN_ERROR {
                failures.push(format!(
                    "{} person {n}: mean keypoint error {:.2} %",
                    reference.name,
                    best * 100.0
                ));
            }
        }
    }
    println!("worst mean keypoint error: {:.2} %", worst * 100.0);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_fixture_image_has_a_reference() {
    let references = references();
    for folder in ["photos", "derived"] {
        for entry in std::fs::read_dir(common::fixture(folder)).unwrap() {
            let path = entry.unwrap().path();
            let relative = path
                .strip_prefix(common::repo())
                .unwrap()
                .to_string_lossy()
                .into_owned();
            assert!(
                references.iter().any(|r| r.image == relative),
                "{relative} has no reference output"
            );
        }
    }
}

/// MediaPipe 0.10.14 itself, tracking without smoothing, differs from its
/// own still-image analysis by up to 2.2 % on these frames (measured with
/// its Python package); the same allowance plus a margin holds here.
const MAX_TRACKING_DIFFERENCE: f64 = 0.03;

/// Tracking (crops from the last frame's landmarks) finds the same poses as
/// analysing each frame afresh, over the whole benchmark sequence.
#[test]
fn tracking_agrees_with_still_analysis_over_a_sequence() {
    let files = tryghed::capture::replay::frame_files(&common::fixture("bench-640x480")).unwrap();
    let mut tracking = common::tracker();
    let mut still = common::tracker();
    let mut worst: f64 = 0.0;
    for (index, file) in files.iter().enumerate() {
        let frame = Frame::decode_file(file).unwrap();
        let tracked: Vec<PersonView> = tracking.track(&frame).unwrap().to_vec();
        assert!(!tracked.is_empty(), "frame {index}: tracking lost everyone");
        if index % 10 != 5 {
            continue;
        }
        for person in still.analyze_image(&frame).unwrap() {
            let reference: Vec<[f64; 5]> = person
                .pose
                .keypoints
                .iter()
                .map(|k| {
                    [
                        k.x as f64,
                        k.y as f64,
                        k.z as f64,
                        k.visibility as f64,
                        k.presence as f64,
                    ]
                })
                .collect();
            let best = tracked
                .iter()
                .map(|p| relative_error(&reference, p))
                .fold(f64::MAX, f64::min);
            worst = worst.max(best);
            assert!(
                best <= MAX_TRACKING_DIFFERENCE,
                "frame {index}: tracked pose is {:.2} % off the still analysis",
                best * 100.0
            );
        }
    }
    println!(
        "tracking vs still analysis, worst mean keypoint error: {:.2} %",
        worst * 100.0
    );
}
