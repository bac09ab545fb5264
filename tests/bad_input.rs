//! Bad input gets a clear error that names the file and the cause, a
//! non-zero exit code, and never a panic.

mod common;

use common::{text, tryghed, tryghed_in};
use tryghed::inference::{hex_sha256, Model, ModelError, ModelSpec};
use tryghed::vision::models::{FACE_DETECTION_SHORT_RANGE, POSE_DETECTION};

fn assert_clean_failure(output: &std::process::Output, must_say: &[&str]) {
    let stderr = text(&output.stderr);
    assert!(!output.status.success(), "should fail: {stderr}");
    assert!(!stderr.contains("panicked"), "panicked: {stderr}");
    for words in must_say {
        assert!(
            stderr.contains(words),
            "stderr should say {words:?}: {stderr}"
        );
    }
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in bytes {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A PNG whose header claims `width`×`height` but holds almost no data.
fn png_header_only(width: u32, height: u32) -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |kind: &[u8], data: &[u8]| {
        png.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        png.extend_from_slice(&body);
        png.extend_from_slice(&crc32(&body).to_be_bytes());
    };
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(b"IHDR", &ihdr);
    chunk(b"IDAT", &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
    chunk(b"IEND", &[]);
    png
}

#[test]
fn truncated_png() {
    let dir = tempfile::tempdir().unwrap();
    let whole = std::fs::read(common::fixture("photos/astronaut.png")).unwrap();
    let file = dir.path().join("truncated.png");
    std::fs::write(&file, &whole[..whole.len() / 3]).unwrap();
    let out = tryghed(&["analyze-image", "--json", file.to_str().unwrap()]);
    assert_clean_failure(
        &out,
        &[
            "truncated.png",
            "not a PNG or JPEG image the device can decode",
        ],
    );
    // The JSON still has one entry for the file, with the error.
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(json[0]["error"].as_str().unwrap().contains("truncated.png"));
}

#[test]
fn text_file_named_jpg() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("holiday.jpg");
    std::fs::write(&file, "this is a shopping list, not a photo\n").unwrap();
    let out = tryghed(&["analyze-image", file.to_str().unwrap()]);
    assert_clean_failure(&out, &["holiday.jpg", "not a known image format"]);
}

#[test]
fn one_bad_file_does_not_lose_the_good_ones() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.png");
    std::fs::write(&bad, "nope").unwrap();
    let good = common::fixture("photos/astronaut.png");
    let out = tryghed(&[
        "analyze-image",
        "--json",
        bad.to_str().unwrap(),
        good.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 2);
    assert!(json[0]["error"].is_string());
    assert_eq!(json[1]["persons"].as_array().unwrap().len(), 1);
}

#[test]
fn empty_folder() {
    let dir = tempfile::tempdir().unwrap();
    let out = tryghed(&["bench", "vision", "--frames", dir.path().to_str().unwrap()]);
    assert_clean_failure(
        &out,
        &[dir.path().to_str().unwrap(), "holds no PNG or JPEG frames"],
    );
    let out = tryghed(&["tour", "--frames", dir.path().to_str().unwrap()]);
    assert_clean_failure(&out, &["holds no PNG or JPEG frames"]);
}

#[test]
fn one_pixel_image() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dot.png");
    image::RgbImage::new(1, 1).save(&file).unwrap();
    let out = tryghed(&["analyze-image", file.to_str().unwrap()]);
    assert_clean_failure(&out, &["dot.png", "image is 1x1"]);
}

#[test]
fn huge_header_is_refused_before_decoding() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("huge.png");
    std::fs::write(&file, png_header_only(20_000, 20_000)).unwrap();
    let out = tryghed(&["analyze-image", file.to_str().unwrap()]);
    assert_clean_failure(&out, &["huge.png", "20000x20000"]);
}

#[test]
fn missing_file() {
    let out = tryghed(&["analyze-image", "/no/such/photo.jpg"]);
    assert_clean_failure(&out, &["/no/such/photo.jpg", "cannot read the file"]);
}

/// A copy of the models folder in which `file` is replaced by `bytes`.
fn models_with(file: &str, bytes: &[u8]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(common::models_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) == Some("onnx") {
            std::os::unix::fs::symlink(&path, dir.path().join(path.file_name().unwrap())).unwrap();
        }
    }
    let target = dir.path().join(file);
    let _ = std::fs::remove_file(&target);
    std::fs::write(target, bytes).unwrap();
    dir
}

#[test]
fn corrupt_model() {
    let mut bytes = std::fs::read(common::models_dir().join(POSE_DETECTION.file)).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle..middle + 64].fill(0xff);
    let models = models_with(POSE_DETECTION.file, &bytes);
    let photo = common::fixture("photos/astronaut.png");
    let out = tryghed(&[
        "--models",
        models.path().to_str().unwrap(),
        "analyze-image",
        photo.to_str().unwrap(),
    ]);
    assert_clean_failure(&out, &["pose_detection.onnx", "sha256", "corrupt"]);
}

#[test]
fn truncated_model() {
    let bytes = std::fs::read(common::models_dir().join(POSE_DETECTION.file)).unwrap();
    let models = models_with(POSE_DETECTION.file, &bytes[..1000]);
    let photo = common::fixture("photos/astronaut.png");
    let out = tryghed(&[
        "--models",
        models.path().to_str().unwrap(),
        "analyze-image",
        photo.to_str().unwrap(),
    ]);
    assert_clean_failure(&out, &["pose_detection.onnx"]);
}

#[test]
fn missing_model() {
    let dir = tempfile::tempdir().unwrap();
    let photo = common::fixture("photos/astronaut.png");
    let out = tryghed(&[
        "--models",
        dir.path().to_str().unwrap(),
        "analyze-image",
        photo.to_str().unwrap(),
    ]);
    assert_clean_failure(&out, &["pose_detection.onnx", "cannot read the model"]);
}

#[test]
fn mismatched_model_tensors_are_named() {
    // The face detector's file where the pose detector is expected, with a
    // spec that accepts its checksum: the tensor check must still refuse it.
    let spec = ModelSpec {
        sha256: FACE_DETECTION_SHORT_RANGE.sha256,
        ..POSE_DETECTION
    };
    let models = models_with(
        POSE_DETECTION.file,
        &std::fs::read(common::models_dir().join(FACE_DETECTION_SHORT_RANGE.file)).unwrap(),
    );
    let bytes = std::fs::read(models.path().join(POSE_DETECTION.file)).unwrap();
    assert_eq!(hex_sha256(&bytes), FACE_DETECTION_SHORT_RANGE.sha256);
    let err = Model::load(&common::runtime(), models.path(), spec, 1).unwrap_err();
    assert!(matches!(err, ModelError::Tensors { .. }), "{err}");
    let message = err.to_string();
    assert!(
        message.contains("pose_detection.onnx") && message.contains("shape"),
        "{message}"
    );
}

#[test]
fn missing_onnx_runtime_library() {
    let photo = common::fixture("photos/astronaut.png");
    let out = tryghed_in(
        &["analyze-image", photo.to_str().unwrap()],
        common::repo(),
        &[("ORT_DYLIB_PATH", "/no/such/libonnxruntime.so")],
    );
    assert_clean_failure(
        &out,
        &["ORT_DYLIB_PATH=/no/such/libonnxruntime.so does not exist"],
    );
}

#[test]
fn wrong_file_as_onnx_runtime_library() {
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("libonnxruntime.so");
    std::fs::write(&fake, "not a shared library").unwrap();
    let photo = common::fixture("photos/astronaut.png");
    let out = tryghed_in(
        &["analyze-image", photo.to_str().unwrap()],
        common::repo(),
        &[("ORT_DYLIB_PATH", fake.to_str().unwrap())],
    );
    assert_clean_failure(
        &out,
        &["not a usable ONNX Runtime library", "scripts/setup"],
    );
}

#[test]
fn malformed_config() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("room.toml");
    std::fs::write(&file, "[vision]\nmax_persons = \"many\"\nunknown = 1\n").unwrap();
    let out = tryghed(&["check-config", file.to_str().unwrap()]);
    assert_clean_failure(&out, &["room.toml"]);
    assert_eq!(out.status.code(), Some(2));
    let out = tryghed(&["--config", file.to_str().unwrap(), "demo"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a bad config stops the demo before anything opens"
    );
}

#[test]
fn bad_replay_rate() {
    let out = tryghed(&["tour", "--fps", "0"]);
    assert_clean_failure(&out, &["replay rate"]);
}

#[test]
fn a_broken_video_is_named_and_nothing_panics() {
    let dir = tempfile::tempdir().unwrap();
    let not_video = dir.path().join("notes.mp4");
    std::fs::write(&not_video, "this is not a video").unwrap();
    let out = tryghed(&["replay", "--video", not_video.to_str().unwrap()]);
    assert_clean_failure(&out, &["notes.mp4", "cannot open the video"]);

    // The start of a real clip: its index at the end is cut off.
    let clip = common::repo()
        .join("../shared/datasets/falls-dev/clips/adl_assistiot_19_raising_hands.mp4");
    let bytes = std::fs::read(&clip).unwrap();
    let cut = dir.path().join("cut.mp4");
    std::fs::write(&cut, &bytes[..bytes.len() / 3]).unwrap();
    let out = tryghed(&["replay", "--video", cut.to_str().unwrap()]);
    assert!(
        !text(&out.stderr).contains("panicked"),
        "{}",
        text(&out.stderr)
    );
    if !out.status.success() {
        assert!(
            text(&out.stderr).contains("cut.mp4"),
            "{}",
            text(&out.stderr)
        );
    }

    let out = tryghed(&["replay", "--video", dir.path().to_str().unwrap()]);
    assert_clean_failure(&out, &["a folder; use --frames DIR --fps N"]);
    let out = tryghed(&["replay", "--frames", dir.path().to_str().unwrap()]);
    assert_clean_failure(&out, &["give --fps"]);
}
