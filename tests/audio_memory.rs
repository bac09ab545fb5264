//! Ten minutes of sound are analysed in bounded memory: the file is read
//! block by block, never whole. Alone in its own test binary, so that no
//! other test's process is measured.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

/// Runs the binary and samples its peak resident memory (VmHWM) until it ends.
fn peak_rss_mb(args: &[&str]) -> (f64, std::process::Output) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tryghed"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status = format!("/proc/{}/status", child.id());
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut { stdout }, &mut out).unwrap();
        out
    });
    let mut peak_kb = 0.0f64;
    while child.try_wait().unwrap().is_none() {
        if let Ok(text) = std::fs::read_to_string(&status) {
            if let Some(line) = text.lines().find(|l| l.starts_with("VmHWM:")) {
                peak_kb = peak_kb.max(line.split_whitespace().nth(1).unwrap().parse().unwrap());
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut output = child.wait_with_output().unwrap();
    output.stdout = reader.join().unwrap();
    (peak_kb / 1024.0, output)
}

fn write_noise(path: &std::path::Path, seconds: u32) {
    // 48 kHz stereo: a whole-file read would hold 115 MB of samples for
    // ten minutes, and more after conversion to float.
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 48_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer = hound::WavWriter::create(path, spec).unwrap();
    let mut seed = 1u32;
    for _ in 0..seconds * 48_000 * 2 {
        seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        writer.write_sample(((seed >> 16) as i16) / 64).unwrap();
    }
    writer.finalize().unwrap();
}

#[test]
fn ten_minutes_of_sound_take_no_more_memory_than_ten_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let (short, long) = (dir.path().join("short.wav"), dir.path().join("long.wav"));
    write_noise(&short, 10);
    write_noise(&long, 600);
    let (short_mb, _) = peak_rss_mb(&["analyze-audio", "--json", short.to_str().unwrap()]);
    let (long_mb, out) = peak_rss_mb(&["analyze-audio", "--json", long.to_str().unwrap()]);
    assert!(out.status.success(), "{}", common::text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["duration_s"], 600.0);
    assert_eq!(json["patches"].as_array().unwrap().len(), 1249);
    println!("peak RSS: 10 s {short_mb:.0} MB, 10 min {long_mb:.0} MB");
    // The report itself grows (1249 patches of text); the sound must not.
    assert!(
        long_mb < short_mb + 40.0,
        "10 s took {short_mb:.0} MB, 10 min {long_mb:.0} MB"
    );
}
