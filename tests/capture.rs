//! Frame sources: replay of a folder and the live camera, both giving the
//! same in-memory `Frame`.

mod common;

use tryghed::capture::camera::{list_cameras, Camera, CameraError};
use tryghed::capture::replay::{Replay, ReplayError};

fn folder_with(frames: &[&str], broken: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for name in frames {
        std::fs::copy(
            common::fixture("bench-640x480/frame_000.jpg"),
            dir.path().join(name),
        )
        .unwrap();
    }
    for name in broken {
        std::fs::write(dir.path().join(name), b"\xff\xd8 broken").unwrap();
    }
    std::fs::write(dir.path().join("notes.txt"), "not a frame").unwrap();
    dir
}

#[test]
fn replay_gives_every_frame_in_name_order_and_skips_other_files() {
    let dir = folder_with(&["b.jpg", "a.JPG", "c.jpeg"], &[]);
    let replay = Replay::open(dir.path(), None).unwrap();
    assert_eq!(replay.len(), 3);
    let frames: Vec<_> = replay.map(|f| f.unwrap()).collect();
    assert_eq!(frames.len(), 3);
    assert!(frames.iter().all(|f| (f.width(), f.height()) == (640, 480)));
}

#[test]
fn a_broken_frame_is_reported_and_replay_goes_on() {
    let dir = folder_with(&["a.jpg", "c.jpg"], &["b.jpg"]);
    let results: Vec<_> = Replay::open(dir.path(), Some(240.0)).unwrap().collect();
    assert_eq!(results.len(), 3);
    assert!(results[0].is_ok() && results[2].is_ok());
    let error = results[1].as_ref().unwrap_err().to_string();
    assert!(error.contains("b.jpg"), "{error}");
}

#[test]
fn looping_replay_starts_again() {
    let dir = folder_with(&["a.jpg", "b.jpg"], &[]);
    let frames = Replay::open(dir.path(), None)
        .unwrap()
        .looping()
        .take(5)
        .filter(|f| f.is_ok())
        .count();
    assert_eq!(frames, 5);
}

#[test]
fn replay_refuses_an_empty_folder_and_a_bad_rate() {
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(
        Replay::open(dir.path(), None),
        Err(ReplayError::Empty { .. })
    ));
    let dir = folder_with(&["a.jpg"], &[]);
    for rate in [0.0, -1.0, f64::NAN, 1000.0] {
        assert!(
            matches!(
                Replay::open(dir.path(), Some(rate)),
                Err(ReplayError::Rate(_))
            ),
            "{rate}"
        );
    }
}

#[test]
fn camera_absence_is_a_clear_error() {
    // These machines have no V4L2 device; with one present, open must work.
    if list_cameras().is_empty() {
        let error = Camera::open(0).err().expect("no camera to open");
        assert!(matches!(error, CameraError::NoCamera));
        assert!(error.to_string().contains("no camera found"));
        let out = common::tryghed(&["cameras"]);
        assert!(out.status.success());
        assert_eq!(common::text(&out.stdout).trim(), "no camera found");
        // The door opens (a test permit for an empty room), then no camera.
        let records = tempfile::tempdir().unwrap();
        common::grant_test_permit(records.path(), "T1");
        let data_dir = records.path().to_str().unwrap();
        let out = common::tryghed(&[
            "--data-dir",
            data_dir,
            "tour",
            "--camera",
            "0",
            "--room",
            "T1",
        ]);
        assert!(!out.status.success());
        let stderr = common::text(&out.stderr);
        assert!(
            stderr.contains("no camera found") && !stderr.contains("panicked"),
            "{stderr}"
        );
        let error = tryghed::app::spawn_camera(0)
            .err()
            .expect("no camera to stream");
        assert!(matches!(error, CameraError::NoCamera));
    } else {
        let mut camera = Camera::open(list_cameras()[0].0).unwrap();
        let frame = camera.next_frame().unwrap();
        assert!(frame.width() > 0);
    }
}

#[test]
fn tryghed_run_needs_its_device_settings_and_says_when_the_camera_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    let out = common::tryghed(&["--data-dir", data, "run", "--seconds", "1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        common::text(&out.stderr).contains("[device]"),
        "{}",
        common::text(&out.stderr)
    );
    common::resident_under_136e(std::path::Path::new(data), "video", "fall", &[]);
    let settings = dir.path().join("device.toml");
    std::fs::write(&settings, "[device]\nroom = \"A12\"\nresident = \"r-017\"\ncamera = 0\nsound = false\n[server]\nbind = \"127.0.0.1:0\"\n").unwrap();
    let out = common::tryghed(&[
        "--config",
        settings.to_str().unwrap(),
        "--data-dir",
        data,
        "run",
        "--seconds",
        "2",
    ]);
    // This machine has no camera: a device fault at start, said plainly.
    assert_eq!(out.status.code(), Some(3), "{}", common::text(&out.stderr));
    assert!(
        common::text(&out.stderr).contains("no camera found"),
        "{}",
        common::text(&out.stderr)
    );
    std::fs::write(&settings, "[device]\nroom = \"A12\"\nresident = \"r-017\"\n[server]\nbind = \"0.0.0.0:8443\"\ntls = false\n").unwrap();
    let out = common::tryghed(&["check-config", settings.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        common::text(&out.stderr).contains("needs TLS (R5.3)"),
        "{}",
        common::text(&out.stderr)
    );
}
