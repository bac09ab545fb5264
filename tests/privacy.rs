//! Nothing the camera sees reaches disk, logs or the network (R6.2, R6.1).
//! The real binary runs under strace, which lists every file it opens for
//! writing and every socket it makes.

mod common;

use std::path::Path;
use std::process::Command;

use common::text;

/// Files and sockets the traced command touched in ways that could carry data out.
fn writes_and_sockets(args: &[&str], cwd: &Path) -> (Vec<String>, std::process::Output) {
    writes_and_sockets_with(args, cwd, &[])
}

fn writes_and_sockets_with(
    args: &[&str],
    cwd: &Path,
    env: &[(&str, &Path)],
) -> (Vec<String>, std::process::Output) {
    let log = tempfile::NamedTempFile::new().unwrap();
    let out = Command::new("strace")
        .args(["-f", "-qq", "-e", "trace=openat,open,creat,rename,renameat,renameat2,link,symlink,truncate,socket,connect,sendto", "-o"])
        .arg(log.path())
        .arg(env!("CARGO_BIN_EXE_tryghed"))
        .args(args)
        .current_dir(cwd)
        .env("TRYGHED_LOG", "trace")
        .envs(env.iter().map(|(k, v)| (*k, *v)))
        .output()
        .expect("strace runs (scripts/setup installs it)");
    let trace = std::fs::read_to_string(log.path()).unwrap();
    let touched = trace
        .lines()
        .filter(|line| {
            let writes = (line.contains("open") || line.contains("creat"))
                && (line.contains("O_WRONLY")
                    || line.contains("O_RDWR")
                    || line.contains("O_CREAT")
                    || line.contains("creat("));
            let other = [
                "rename", "link(", "symlink", "truncate", "socket(", "connect(", "sendto(",
            ]
            .iter()
            .any(|s| line.contains(s));
            (writes || other) && !line.contains("= -1 ")
        })
        .map(str::to_string)
        .collect();
    (touched, out)
}

fn unexpected<'a>(touched: &'a [String], allowed: &[&str]) -> Vec<&'a String> {
    touched
        .iter()
        .filter(|line| !allowed.iter().any(|a| line.contains(a)))
        .collect()
}

#[test]
fn analysing_photos_writes_nothing_but_the_silhouette_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let silhouette = dir.path().join("what-staff-see.png");
    let photo = common::fixture("photos/grace_hopper.jpg");
    let (touched, out) = writes_and_sockets(
        &[
            "analyze-image",
            "--json",
            photo.to_str().unwrap(),
            "--silhouette",
            silhouette.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let left = unexpected(&touched, &["what-staff-see.png", "/dev/null", "/dev/tty"]);
    assert!(left.is_empty(), "unexpected writes or sockets:\n{left:#?}");
    let entries: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        entries,
        vec![std::ffi::OsString::from("what-staff-see.png")]
    );
}

#[test]
fn the_demo_writes_nothing_and_opens_no_socket() {
    let dir = tempfile::tempdir().unwrap();
    let frames = tempfile::tempdir().unwrap();
    for name in ["frame_000.jpg", "frame_030.jpg", "frame_060.jpg"] {
        std::fs::copy(
            common::fixture(&format!("bench-640x480/{name}")),
            frames.path().join(name),
        )
        .unwrap();
    }
    let (touched, out) = writes_and_sockets(
        &[
            "tour",
            "--frames",
            frames.path().to_str().unwrap(),
            "--fps",
            "240",
        ],
        dir.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let left = unexpected(&touched, &["/dev/null", "/dev/tty"]);
    assert!(left.is_empty(), "unexpected writes or sockets:\n{left:#?}");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "the working folder stays empty"
    );
}

#[test]
fn logs_hold_no_pixels_even_at_trace_level() {
    let photo = common::fixture("photos/astronaut.png");
    let out = common::tryghed_in(
        &["analyze-image", photo.to_str().unwrap()],
        common::repo(),
        &[("TRYGHED_LOG", "trace")],
    );
    assert!(out.status.success());
    for stream in [text(&out.stdout), text(&out.stderr)] {
        // A pixel dump would be a long line of numbers; nothing printed comes close.
        assert!(
            stream.lines().all(|l| l.len() < 400),
            "an overlong line in the output"
        );
        let digits = stream.chars().filter(char::is_ascii_digit).count();
        assert!(digits < 5_000, "{digits} digits printed");
    }
}

#[test]
fn json_output_holds_only_results() {
    let photo = common::fixture("photos/astronaut.png");
    let out = common::tryghed(&["analyze-image", "--json", photo.to_str().unwrap()]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let keys: Vec<&str> = json[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["file", "height", "persons", "width"]);
    let person: Vec<&String> = json[0]["persons"][0].as_object().unwrap().keys().collect();
    assert_eq!(person.len(), 3, "score, bbox, keypoints only: {person:?}");
}

#[test]
fn sound_analysis_writes_nothing_and_opens_no_socket() {
    let dir = tempfile::tempdir().unwrap();
    let speech = common::fixture("audio/speech_help_en.wav");
    let (touched, out) = writes_and_sockets(
        &["analyze-audio", "--json", speech.to_str().unwrap()],
        dir.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let left = unexpected(&touched, &["/dev/null", "/dev/tty"]);
    assert!(left.is_empty(), "unexpected writes or sockets:\n{left:#?}");

    // The live microphone path: ALSA's file plugin feeds a capture device
    // (its own `file` setting writes to /dev/null, which is allowed).
    let raw = dir.path().join("speech.raw");
    let mut reader = hound::WavReader::open(&speech).unwrap();
    let bytes: Vec<u8> = reader
        .samples::<i16>()
        .flat_map(|s| s.unwrap().to_le_bytes())
        .collect();
    std::fs::write(&raw, bytes).unwrap();
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join(".asoundrc"),
        format!("pcm.filein {{\n  type file\n  slave.pcm \"null\"\n  file \"/dev/null\"\n  infile \"{}\"\n  format \"raw\"\n}}\n", raw.display()),
    )
    .unwrap();
    // A live microphone opens only under a test permit (R1.2), kept with
    // the records: the one file listening may write to is the database.
    let records = tempfile::tempdir().unwrap();
    let data_dir = records.path().to_str().unwrap();
    common::grant_test_permit(records.path(), "T1");
    let (touched, out) = writes_and_sockets_with(
        &[
            "--data-dir",
            data_dir,
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
        &[("HOME", home.path())],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("\"calling\""),
        "the microphone was heard: {}",
        text(&out.stdout)
    );
    let database = format!("{data_dir}/tryghed.sqlite");
    let left = unexpected(&touched, &["/dev/null", "/dev/tty", &database]);
    assert!(
        left.is_empty(),
        "unexpected writes or sockets while listening:\n{left:#?}"
    );
    let entries: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        entries,
        vec![std::ffi::OsString::from("speech.raw")],
        "nothing but the test's own input"
    );
    // And the database holds the permit and the opening, nothing heard.
    let actions = common::sqlite3(&database, "SELECT action FROM audit ORDER BY seq");
    assert_eq!(
        text(&actions.stdout),
        "room.test_permit\nlive.open\nlive.close\n"
    );
}
