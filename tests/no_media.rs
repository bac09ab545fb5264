//! Nothing the device sees or hears is kept (R5.4, R6.2, R8.4): after the
//! demo pipeline runs for a resident over the fixtures, every file it could
//! have written (data directory, temp, home, working folder) and everything
//! it printed is inspected for images, sound, keypoints and personal data.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::text;

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// What in these bytes looks like media: image or sound signatures.
fn media_in(bytes: &[u8]) -> Option<&'static str> {
    let has = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    if has(b"\x89PNG\r\n\x1a\n") {
        return Some("a PNG image");
    }
    if has(b"\xff\xd8\xff") {
        return Some("a JPEG image");
    }
    if has(b"WAVEfmt ") {
        return Some("WAV sound");
    }
    None
}

#[test]
fn the_pipeline_keeps_no_media_no_keypoints_and_logs_no_names() {
    let [data, tmp, home, work] = [(); 4].map(|_| tempfile::tempdir().unwrap());
    let setup = [
        vec![
            "resident",
            "add",
            "--id",
            "r-017",
            "--room",
            "A12",
            "--name",
            "Ellen Jensen",
            "--representative",
            "guardian:Karen Jensen:personal",
        ],
        [
            vec![
                "basis",
                "record",
                "--id",
                "b1",
                "--resident",
                "r-017",
                "--type",
                "136e",
                "--kinds",
                "video,sound",
                "--alarm",
                "--supervision-minutes",
                "5",
                "--signals",
                "fall,scream",
                "--start",
                "2026-01-01",
                "--decided-by",
                "K",
                "--informed",
                "resident@2025-12-20",
                "--informed",
                "rep-1@2025-12-20",
            ],
            common::FACTS_136E.to_vec(),
        ]
        .concat(),
        vec![
            "disclosure",
            "record",
            "--resident",
            "r-017",
            "--informed",
            "resident",
            "--at",
            "2026-01-01",
            "--how",
            "leaflet",
        ],
    ];
    for args in setup {
        let mut all = vec!["--data-dir", data.path().to_str().unwrap(), "--actor", "K"];
        all.extend(args);
        let out = common::tryghed(&all);
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let out = Command::new(env!("CARGO_BIN_EXE_tryghed"))
        .args([
            "--data-dir",
            data.path().to_str().unwrap(),
            "tour",
            "--resident",
            "r-017",
            "--reason",
            "checking that nothing is kept",
            "--fps",
            "120",
        ])
        .current_dir(work.path())
        .env("TMPDIR", tmp.path())
        .env("HOME", home.path())
        .env("TRYGHED_LOG", "debug")
        .output()
        .unwrap();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stderr}");
    assert!(
        stdout.contains("frames with a person"),
        "the pipeline ran: {stdout}"
    );
    assert!(
        stdout.contains("smoke_alarm") && stdout.contains("sound events"),
        "the sound path ran too: {stdout}"
    );

    // Only the database was written, and only where it was asked to be.
    for dir in [&tmp, &home, &work] {
        assert!(
            files_under(dir.path()).is_empty(),
            "files written to {}: {:?}",
            dir.path().display(),
            files_under(dir.path())
        );
    }
    let written = files_under(data.path());
    assert!(
        written.iter().all(|f| f
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with(tryghed::store::DATABASE_FILE)),
        "{written:?}"
    );
    for file in &written {
        let bytes = std::fs::read(file).unwrap();
        assert_eq!(media_in(&bytes), None, "{} holds media", file.display());
    }

    // Inside the database: no blobs, no keypoints, no coordinates.
    let db = data.path().join(tryghed::store::DATABASE_FILE);
    let dump = text(&common::sqlite3(&db, ".dump").stdout);
    assert!(dump.contains("gate.open"), "the run was audited");
    for forbidden in ["X'", "keypoint", "visibility", "silhouette", "[["] {
        assert!(
            !dump.contains(forbidden),
            "the database holds `{forbidden}`"
        );
    }

    // The output names the resident only by pseudonym.
    for printed in [&stdout, &stderr] {
        for name in ["Ellen", "Jensen", "Karen"] {
            assert!(
                !printed.contains(name),
                "a personal name was printed: {name}"
            );
        }
        assert_eq!(media_in(printed.as_bytes()), None);
    }
}

#[test]
fn the_code_has_no_sound_output_path() {
    // R5.2: the device never plays sound; no code may open an output
    // stream or name a way to. Only `capture/microphone.rs` touches cpal.
    let forbidden = [
        "build_output_stream",
        "default_output_device",
        "default_output_config",
        "supported_output_configs",
        "OutputCallbackInfo",
        "output_devices",
        "rodio",
        "play_raw",
        "aplay",
        "paplay",
    ];
    let mut sources = files_under(&common::repo().join("src"));
    sources.push(common::repo().join("Cargo.toml"));
    for file in sources {
        let content = std::fs::read_to_string(&file).unwrap();
        for word in forbidden {
            assert!(
                !content.contains(word),
                "{} uses {word}: a sound output path",
                file.display()
            );
        }
        if content.contains("cpal::") {
            assert!(
                file.ends_with("src/capture/microphone.rs"),
                "{} uses the sound system; only the microphone may",
                file.display()
            );
        }
    }
}

#[test]
fn the_running_product_keeps_no_media_and_its_alarms_carry_no_keypoints() {
    // `tryghed demo`: vision, sound, care, gate, alarms and the staff app
    // together. What it stores and sends is the alarm steps (in the
    // database, the same JSON the outlets get): rules and values only.
    let [data, tmp, home, work] = [(); 4].map(|_| tempfile::tempdir().unwrap());
    let out = Command::new(env!("CARGO_BIN_EXE_tryghed"))
        .args([
            "--data-dir",
            data.path().join("demo").to_str().unwrap(),
            "demo",
            "--port",
            "0",
            "--seconds",
            "12",
        ])
        .current_dir(work.path())
        .env("TMPDIR", tmp.path())
        .env("HOME", home.path())
        .env("TRYGHED_LOG", "debug")
        .output()
        .unwrap();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stderr}");
    assert!(
        stdout.contains("alarm fall raised"),
        "the product ran to an alarm: {stdout}"
    );
    for dir in [&tmp, &home, &work] {
        assert!(
            files_under(dir.path()).is_empty(),
            "files written to {}: {:?}",
            dir.path().display(),
            files_under(dir.path())
        );
    }
    let written = files_under(data.path());
    assert!(
        written.iter().all(|f| f
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with(tryghed::store::DATABASE_FILE)),
        "{written:?}"
    );
    for file in &written {
        assert_eq!(
            media_in(&std::fs::read(file).unwrap()),
            None,
            "{} holds media",
            file.display()
        );
    }
    let dump = text(
        &common::sqlite3(
            data.path().join("demo").join(tryghed::store::DATABASE_FILE),
            ".dump",
        )
        .stdout,
    );
    assert!(
        dump.contains("alarm.raised") && dump.contains("drop_body_sizes"),
        "the fall and its evidence were stored"
    );
    for forbidden in ["X'", "keypoint", "visibility", "\"cells\"", "[["] {
        assert!(
            !dump.contains(forbidden),
            "the database holds `{forbidden}`"
        );
    }
    assert_eq!(media_in(stdout.as_bytes()), None);
    assert_eq!(media_in(stderr.as_bytes()), None);
}
