//! The real microphone path (cpal's ALSA input stream, callback,
//! resampling, analysis) with no microphone present: ALSA's `file` plugin
//! feeds a capture device from raw samples, set up in the test's own HOME.

mod common;

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use common::{text, tryghed_in};
use serde_json::Value;

/// A HOME whose `.asoundrc` defines capture device `filein` reading `raw`.
fn alsa_home(raw: &Path) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    let config = format!(
        "pcm.filein {{\n  type file\n  slave.pcm \"null\"\n  file \"/dev/null\"\n  infile \"{}\"\n  format \"raw\"\n  hint {{ show on description \"Test microphone from a file\" }}\n}}\n",
        raw.display()
    );
    std::fs::write(home.path().join(".asoundrc"), config).unwrap();
    home
}

/// 16-bit little-endian samples of a 16 kHz mono fixture.
fn raw_samples(fixture: &str) -> Vec<u8> {
    let mut reader = hound::WavReader::open(common::fixture(fixture)).unwrap();
    assert_eq!(
        (reader.spec().sample_rate, reader.spec().channels),
        (16_000, 1)
    );
    reader
        .samples::<i16>()
        .flat_map(|s| s.unwrap().to_le_bytes())
        .collect()
}

/// An installer's test permit for room T1, where no resident lives, in the
/// data folder under `home`: a live microphone opens only with one (R1.2).
fn test_permit(home: &Path) {
    let out = tryghed_in(
        &[
            "room",
            "test-permit",
            "--room",
            "T1",
            "--minutes",
            "10",
            "--reason",
            "microphone test",
        ],
        home,
        &[("HOME", home.to_str().unwrap())],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
}

fn lines(stdout: &[u8]) -> Vec<Value> {
    text(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect()
}

#[test]
fn speech_through_the_microphone_gives_speech_and_a_calling_event() {
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("speech.raw");
    std::fs::write(&raw, raw_samples("audio/speech_help_en.wav")).unwrap();
    let home = alsa_home(&raw);
    test_permit(home.path());
    let home_path = home.path().to_str().unwrap();
    let listed = tryghed_in(&["microphones"], dir.path(), &[("HOME", home_path)]);
    assert!(
        text(&listed.stdout).contains("filein\tTest microphone from a file"),
        "{}",
        text(&listed.stdout)
    );

    let out = tryghed_in(
        &[
            "listen",
            "--room",
            "T1",
            "--microphone",
            "filein",
            "--seconds",
            "6",
            "--json",
        ],
        dir.path(),
        &[("HOME", home_path)],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines = lines(&out.stdout);
    assert_eq!(lines[0]["type"], "open");
    assert_eq!(
        lines[0]["rate"], 16_000,
        "16 kHz mono is chosen when the device offers it"
    );
    let speech: Vec<(f64, f64)> = lines
        .iter()
        .filter(|l| l["type"] == "speech")
        .map(|l| (l["start_s"].as_f64().unwrap(), l["end_s"].as_f64().unwrap()))
        .collect();
    // The same four phrases the file analysis finds (tests/audio_events.rs).
    assert_eq!(speech.len(), 4, "{speech:?}");
    assert!(speech.iter().all(|(s, e)| s < e && *e <= 5.0), "{speech:?}");
    assert!(
        lines
            .iter()
            .any(|l| l["type"] == "event" && l["kind"] == "calling"),
        "{lines:?}"
    );
    let summary = lines.last().unwrap();
    assert_eq!(
        (summary["type"].as_str(), summary["seconds"].as_f64()),
        (Some("summary"), Some(6.0))
    );
}

#[test]
fn a_microphone_that_stops_delivering_is_a_device_fault() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("mic.fifo");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let home = alsa_home(&fifo);
    test_permit(home.path());
    // One second of speech, then the device goes quiet while still open.
    let speech = raw_samples("audio/speech_help_en.wav");
    let writer_path = fifo.clone();
    // The sound system opens the device twice (a probe, then for real): a
    // write that finds the probe gone is written again for the next reader.
    let writer = std::thread::spawn(move || loop {
        let mut pipe = std::fs::OpenOptions::new()
            .write(true)
            .open(&writer_path)
            .unwrap();
        if pipe.write_all(&speech[..32_000]).is_ok() {
            std::thread::sleep(Duration::from_secs(5));
            return;
        }
    });
    let out = tryghed_in(
        &[
            "listen",
            "--room",
            "T1",
            "--microphone",
            "filein",
            "--seconds",
            "60",
            "--json",
        ],
        dir.path(),
        &[("HOME", home.path().to_str().unwrap())],
    );
    assert_eq!(
        out.status.code(),
        Some(3),
        "a device fault has its own exit status: {}",
        text(&out.stderr)
    );
    let lines = lines(&out.stdout);
    // A stall, seen while the device was still open (after it closes, the
    // plugin delivers silence and nothing would stall).
    let fault = lines
        .iter()
        .find(|l| l["type"] == "fault")
        .expect("a fault line");
    assert!(
        fault["message"]
            .as_str()
            .unwrap()
            .contains("filein: no sound data"),
        "{fault}"
    );
    assert!(
        lines.last().unwrap()["seconds"].as_f64().unwrap() >= 0.9,
        "what came before the fault was analysed"
    );
    writer.join().unwrap();
}

#[test]
fn an_unknown_microphone_is_named_with_the_ones_there_are() {
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("x.raw");
    std::fs::write(&raw, [0u8; 64]).unwrap();
    let home = alsa_home(&raw);
    test_permit(home.path());
    let out = tryghed_in(
        &["listen", "--room", "T1", "--microphone", "attic"],
        dir.path(),
        &[("HOME", home.path().to_str().unwrap())],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("no microphone named `attic`") && err.contains("filein"),
        "{err}"
    );
}

#[test]
fn tryghed_run_on_a_real_microphone_in_a_room_without_a_camera_raises_the_scream() {
    // The whole product on the real capture path: cpal's input stream from
    // ALSA, the analysis, the care thread, the gate, the hub; a room watched
    // by sound alone (a basis for sound only, camera off in the settings).
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("scream.raw");
    std::fs::write(&raw, raw_samples("audio/recorded_scream.wav")).unwrap();
    let home = alsa_home(&raw);
    let home_path = home.path().to_str().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    common::resident_under_136e(std::path::Path::new(data), "sound", "scream,distress", &[]);
    let settings = dir.path().join("device.toml");
    std::fs::write(&settings, "[device]\nroom = \"A12\"\nresident = \"r-017\"\nvideo = false\nmicrophone = \"filein\"\n[server]\nbind = \"127.0.0.1:0\"\n").unwrap();
    let out = tryghed_in(
        &[
            "--config",
            settings.to_str().unwrap(),
            "--data-dir",
            data,
            "run",
            "--seconds",
            "8",
        ],
        dir.path(),
        &[("HOME", home_path)],
    );
    let said = text(&out.stdout);
    assert!(out.status.success(), "{said}\n{}", text(&out.stderr));
    assert!(
        said.contains("video: none in this room") && said.contains("sound: open (basis b1)"),
        "{said}"
    );
    assert!(
        said.lines().any(|l| l.contains("alarm scream raised")),
        "{said}"
    );
    // Both on and off in one settings file is refused, and says why.
    std::fs::write(
        &settings,
        "[device]\nroom = \"A12\"\nresident = \"r-017\"\nvideo = false\nsound = false\n",
    )
    .unwrap();
    let out = common::tryghed(&["check-config", settings.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("a room needs a camera or a microphone"),
        "{}",
        text(&out.stderr)
    );
}
