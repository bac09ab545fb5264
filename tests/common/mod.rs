//! Shared helpers for the integration tests: paths, the real runtime and
//! models, and running the real binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tryghed::config::DEFAULT_MODELS_DIR;
use tryghed::inference::Runtime;
use tryghed::vision::{PoseTracker, VisionSettings};

pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(relative: &str) -> PathBuf {
    repo().join("fixtures").join(relative)
}

pub fn models_dir() -> PathBuf {
    PathBuf::from(DEFAULT_MODELS_DIR)
}

pub fn runtime() -> Runtime {
    Runtime::load().expect("ONNX Runtime: run scripts/setup first")
}

pub fn tracker() -> PoseTracker {
    PoseTracker::load(&runtime(), &models_dir(), VisionSettings::default())
        .expect("pose models load")
}

/// Runs the real `tryghed` binary.
pub fn tryghed(args: &[&str]) -> Output {
    tryghed_in(args, repo(), &[])
}

pub fn tryghed_in(args: &[&str], cwd: &Path, env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tryghed"));
    command
        .args(args)
        .current_dir(cwd)
        .env_remove("TRYGHED_LOG");
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().expect("the tryghed binary runs")
}

/// A real data set under `../shared/datasets/NAME` made into `eval` cases
/// by `scripts/eval/SCRIPT` (as a person would), then `tryghed eval` on
/// them with the Markdown report kept in `target/REPORT`: the JSON result,
/// its headline printed.
pub fn eval_real_set(name: &str, script: &str, report: &str) -> serde_json::Value {
    let dataset = repo().join("../shared/datasets").join(name);
    assert!(
        dataset.join("manifest.tsv").is_file(),
        "{}: the real set is missing",
        dataset.display()
    );
    let cases = tempfile::tempdir().unwrap();
    let made = Command::new("python3")
        .arg(repo().join("scripts/eval").join(script))
        .arg(&dataset)
        .arg(cases.path())
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", text(&made.stderr));
    let report = repo().join("target").join(report);
    let out = tryghed(&[
        "eval",
        cases.path().to_str().unwrap(),
        "--json",
        "--report",
        report.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let markdown = std::fs::read_to_string(&report).unwrap();
    println!("{}", markdown.lines().nth(2).unwrap_or(""));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Cases where nothing was expected.
pub fn expecting_nothing(result: &serde_json::Value) -> Vec<&serde_json::Value> {
    result["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| {
            c["hits"].as_array().unwrap().is_empty() && c["misses"].as_array().unwrap().is_empty()
        })
        .collect()
}

/// How many of `cases` raised a false alarm of a kind `counts` picks.
pub fn with_false_alarm(cases: &[&serde_json::Value], counts: impl Fn(&str) -> bool) -> usize {
    cases
        .iter()
        .filter(|c| {
            c["false_alarms"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| counts(a[0].as_str().unwrap()))
        })
        .count()
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The product's fixed random source, so every run tests the same cases.
#[allow(unused_imports)] // each test binary uses part of common
pub use tryghed::random::Random;
