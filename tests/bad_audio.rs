//! Bad or unusual WAV files: a clear error naming the file, or a correct
//! result; never a panic, and what could be analysed is not lost.

mod common;

use common::{text, tryghed};
use serde_json::Value;

fn wav(spec: hound::WavSpec, seconds: f64, tone_hz: f64) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    let mut writer = hound::WavWriter::new(&mut out, spec).unwrap();
    let frames = (seconds * f64::from(spec.sample_rate)) as usize;
    for i in 0..frames {
        let v = (2.0 * std::f64::consts::PI * tone_hz * i as f64 / f64::from(spec.sample_rate))
            .sin()
            * 0.5;
        for _ in 0..spec.channels {
            match spec.bits_per_sample {
                8 => writer.write_sample((v * 127.0) as i8).unwrap(),
                16 => writer.write_sample((v * 32767.0) as i16).unwrap(),
                _ => writer.write_sample((v * 8_388_607.0) as i32).unwrap(),
            }
        }
    }
    writer.finalize().unwrap();
    out.into_inner()
}

fn spec(channels: u16, sample_rate: u32, bits_per_sample: u16) -> hound::WavSpec {
    hound::WavSpec {
        channels,
        sample_rate,
        bits_per_sample,
        sample_format: hound::SampleFormat::Int,
    }
}

fn analyse(
    dir: &std::path::Path,
    name: &str,
    bytes: &[u8],
) -> (std::process::Output, Option<Value>) {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    let out = tryghed(&["analyze-audio", "--json", path.to_str().unwrap()]);
    let stderr = text(&out.stderr);
    assert!(!stderr.contains("panicked"), "{name}: {stderr}");
    let json = serde_json::from_slice(&out.stdout).ok();
    (out, json)
}

#[test]
fn unusual_but_valid_formats_give_correct_results() {
    let dir = tempfile::tempdir().unwrap();
    // A 3 kHz tone is heard the same whatever the file's layout: same
    // length, same loudest class on every patch.
    let mut tops = Vec::new();
    for (name, s) in [
        ("16k.wav", spec(1, 16_000, 16)),
        ("8bit.wav", spec(1, 16_000, 8)),
        ("96k.wav", spec(1, 96_000, 24)),
        ("6ch.wav", spec(6, 48_000, 16)),
    ] {
        let (out, json) = analyse(dir.path(), name, &wav(s, 3.0, 3000.0));
        assert!(out.status.success(), "{name}: {}", text(&out.stderr));
        let json = json.unwrap();
        assert_eq!(json["duration_s"], 3.0, "{name}");
        let patches = json["patches"].as_array().unwrap();
        assert_eq!(patches.len(), 6, "{name}");
        tops.push(patches[2]["top"][0]["class"].as_str().unwrap().to_string());
    }
    assert!(tops.windows(2).all(|w| w[0] == w[1]), "{tops:?}");
}

#[test]
fn broken_files_are_named_errors() {
    let dir = tempfile::tempdir().unwrap();
    let whole = wav(spec(1, 16_000, 16), 2.0, 440.0);
    let cases: [(&str, Vec<u8>, &str); 4] = [
        (
            "notes.wav",
            b"these are my notes, not sound".to_vec(),
            "not a WAV file",
        ),
        (
            "empty.wav",
            wav(spec(1, 16_000, 16), 0.0, 440.0),
            "holds no samples",
        ),
        ("header.wav", whole[..30].to_vec(), "not a WAV file"),
        ("zero.wav", Vec::new(), "not a WAV file"),
    ];
    for (name, bytes, says) in cases {
        let (out, json) = analyse(dir.path(), name, &bytes);
        assert_eq!(out.status.code(), Some(1), "{name}");
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains(name) && stderr.contains(says),
            "{name}: {stderr}"
        );
        assert!(
            json.unwrap()["error"].as_str().unwrap().contains(says),
            "{name}: the JSON says it too"
        );
    }
}

#[test]
fn a_file_cut_short_keeps_what_came_before() {
    let dir = tempfile::tempdir().unwrap();
    let whole = wav(spec(1, 16_000, 16), 4.0, 3000.0);
    let (out, json) = analyse(dir.path(), "cut.wav", &whole[..whole.len() / 2]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr)
            .contains("cut.wav: not a WAV file the device can read: the sound data ends at"),
        "{}",
        text(&out.stderr)
    );
    let json = json.unwrap();
    assert!(json["error"].as_str().unwrap().contains("ends at"));
    assert!(
        json["duration_s"].as_f64().unwrap() >= 1.5,
        "the first half was analysed: {}",
        json["duration_s"]
    );
    assert!(json["patches"].as_array().unwrap().len() >= 3);
}

#[test]
fn one_bad_file_does_not_lose_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.wav");
    std::fs::write(&bad, b"RIFF....WAVEjunk").unwrap();
    let good = common::fixture("audio/smoke_alarm_t3.wav");
    let out = tryghed(&[
        "analyze-audio",
        "--json",
        bad.to_str().unwrap(),
        good.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(json[0]["error"].is_string());
    assert_eq!(json[1]["events"][0]["kind"], "smoke_alarm");
}
