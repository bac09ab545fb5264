use std::path::{Path, PathBuf};

use ort::session::builder::GraphOptimizationLevel;
use ort::session::{Session, SessionOutputs};
use ort::value::TensorRef;
use sha2::{Digest, Sha256};

use super::Runtime;

/// What a model file must be: its name under the models folder, its sha256
/// and its tensors, in order.
#[derive(Debug, Clone, Copy)]
pub struct ModelSpec {
    pub file: &'static str,
    pub sha256: &'static str,
    /// Computes in 8-bit integers (see `Model::load` for why that matters).
    pub quantised: bool,
    pub inputs: &'static [TensorSpec],
    pub outputs: &'static [TensorSpec],
}

/// One tensor: `shape` is what the device feeds or reads; `declared` is
/// what the file says when it leaves dimensions open (-1), as Silero VAD does.
#[derive(Debug, Clone, Copy)]
pub struct TensorSpec {
    pub name: &'static str,
    pub shape: &'static [i64],
    pub declared: Option<&'static [i64]>,
    pub element: Element,
}

/// The element types the device's models use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Element {
    F32,
    /// Quantised models (YAMNet w8a8).
    U8,
    /// Silero VAD's sample rate.
    I64,
}

/// One input's data for a run, in the order of the spec's inputs.
#[derive(Debug, Clone, Copy)]
pub enum InputData<'a> {
    F32(&'a [f32]),
    U8(&'a [u8]),
    I64(&'a [i64]),
}

impl TensorSpec {
    pub const fn f32(name: &'static str, shape: &'static [i64]) -> TensorSpec {
        TensorSpec {
            name,
            shape,
            declared: None,
            element: Element::F32,
        }
    }

    pub const fn u8(name: &'static str, shape: &'static [i64]) -> TensorSpec {
        TensorSpec {
            name,
            shape,
            declared: None,
            element: Element::U8,
        }
    }

    pub const fn i64(name: &'static str, shape: &'static [i64]) -> TensorSpec {
        TensorSpec {
            name,
            shape,
            declared: None,
            element: Element::I64,
        }
    }

    /// The file declares `declared` (with -1 for open dimensions); the
    /// device uses `shape`.
    pub const fn declared_as(self, declared: &'static [i64]) -> TensorSpec {
        TensorSpec {
            declared: Some(declared),
            ..self
        }
    }

    pub fn len(&self) -> usize {
        self.shape.iter().product::<i64>() as usize
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("{file}: cannot read the model: {cause}")]
    Read { file: String, cause: std::io::Error },
    #[error(
        "{file}: sha256 is {actual}, expected {expected}: the file is corrupt or not the model this build \
         was made for (regenerate with scripts/models/regenerate, or restore it from git)"
    )]
    Checksum {
        file: String,
        actual: String,
        expected: String,
    },
    #[error("{file}: ONNX Runtime cannot load it: {reason}")]
    Load { file: String, reason: String },
    #[error("{file}: tensors do not match: {reason}")]
    Tensors { file: String, reason: String },
    #[error("{file}: inference failed: {reason}")]
    Run { file: String, reason: String },
    #[error("{file}: unexpected output: {reason}")]
    Output { file: String, reason: String },
}

/// A loaded, checked, warmed-up model with one session. Runs take `&mut`:
/// one owner per session, no locking on the hot path.
pub struct Model {
    spec: ModelSpec,
    path: PathBuf,
    session: Session,
    usage: ModelUsage,
}

/// Time spent inside ONNX Runtime and how many runs it took.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct ModelUsage {
    pub runs: u32,
    pub time: std::time::Duration,
}

impl ModelUsage {
    /// Mean milliseconds per run (0 when it never ran).
    pub fn mean_ms(&self) -> f64 {
        if self.runs == 0 {
            0.0
        } else {
            self.time.as_secs_f64() * 1000.0 / self.runs as f64
        }
    }
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model").field("file", &self.path).finish()
    }
}

impl Model {
    /// Loads `spec.file` from `models_dir`, checks it and warms it up.
    /// `threads` is ONNX Runtime's intra-op thread count (0 = its default).
    pub fn load(
        runtime: &Runtime,
        models_dir: &Path,
        spec: ModelSpec,
        threads: usize,
    ) -> Result<Model, ModelError> {
        let path = models_dir.join(spec.file);
        let file = path.display().to_string();
        let bytes = std::fs::read(&path).map_err(|cause| ModelError::Read {
            file: file.clone(),
            cause,
        })?;
        let actual = hex_sha256(&bytes);
        if actual != spec.sha256 {
            return Err(ModelError::Checksum {
                file,
                actual,
                expected: spec.sha256.to_string(),
            });
        }
        let load_err = |reason: String| ModelError::Load {
            file: file.clone(),
            reason,
        };
        // Quantised models run with the basic graph rewrites only. With
        // more, ONNX Runtime fuses them into integer kernels whose u8s8
        // products overflow on x86 CPUs without VNNI (AVX2 only): on such a
        // machine YAMNet heard a door slam as a vehicle and a coughing fit
        // as an animal. Unfused, they compute the same on every CPU. Float
        // models keep every rewrite.
        let level = match spec.quantised {
            true => GraphOptimizationLevel::Level1,
            false => GraphOptimizationLevel::All,
        };
        let mut builder = Session::builder(runtime.environment())
            .map_err(|e| load_err(e.to_string()))?
            .with_optimization_level(level)
            .map_err(|e| load_err(e.to_string()))?;
        if threads > 0 {
            builder = builder
                .with_intra_threads(threads)
                .map_err(|e| load_err(e.to_string()))?;
        }
        let session = builder
            .commit_from_memory(&bytes)
            .map_err(|e| load_err(e.to_string()))?;
        check_tensors(&session, &spec).map_err(|reason| ModelError::Tensors {
            file: file.clone(),
            reason,
        })?;
        let mut model = Model {
            spec,
            path,
            session,
            usage: ModelUsage::default(),
        };
        model.warm_up()?;
        model.usage = ModelUsage::default();
        Ok(model)
    }

    fn warm_up(&mut self) -> Result<(), ModelError> {
        let f32s: Vec<Vec<f32>> = self
            .spec
            .inputs
            .iter()
            .map(|t| vec![0.5; t.len()])
            .collect();
        let u8s: Vec<Vec<u8>> = self
            .spec
            .inputs
            .iter()
            .map(|t| vec![128; t.len()])
            .collect();
        // Integer inputs are settings (Silero's sample rate), not data: the
        // first class of value the model takes is 16000.
        let i64s: Vec<Vec<i64>> = self
            .spec
            .inputs
            .iter()
            .map(|t| vec![16_000; t.len()])
            .collect();
        let data: Vec<InputData<'_>> = self
            .spec
            .inputs
            .iter()
            .enumerate()
            .map(|(i, t)| match t.element {
                Element::F32 => InputData::F32(&f32s[i]),
                Element::U8 => InputData::U8(&u8s[i]),
                Element::I64 => InputData::I64(&i64s[i]),
            })
            .collect();
        for _ in 0..2 {
            self.run_inputs_with(&data, |_| Ok(()))?;
        }
        Ok(())
    }

    /// Runs the model on one input laid out as the spec's input shape and
    /// hands the outputs (in the spec's order) to `read`.
    pub fn run_with<T>(
        &mut self,
        input: &[f32],
        read: impl FnOnce(&SessionOutputs<'_>) -> Result<T, String>,
    ) -> Result<T, ModelError> {
        self.run_inputs_with(&[InputData::F32(input)], read)
    }

    /// Like [`Model::run_with`], for a model whose input is uint8.
    pub fn run_u8_with<T>(
        &mut self,
        input: &[u8],
        read: impl FnOnce(&SessionOutputs<'_>) -> Result<T, String>,
    ) -> Result<T, ModelError> {
        self.run_inputs_with(&[InputData::U8(input)], read)
    }

    /// Runs the model on all its inputs, in the spec's order, each laid out
    /// as its spec's shape.
    pub fn run_inputs_with<T>(
        &mut self,
        inputs: &[InputData<'_>],
        read: impl FnOnce(&SessionOutputs<'_>) -> Result<T, String>,
    ) -> Result<T, ModelError> {
        let shaped: Vec<(InputData<'_>, &[i64])> = inputs
            .iter()
            .zip(self.spec.inputs)
            .map(|(data, spec)| (*data, spec.shape))
            .collect();
        self.run_shaped_with(&shaped, read)
    }

    /// Like [`Model::run_inputs_with`], each input with its own shape (for
    /// dimensions the file leaves open, such as Silero's run of frames).
    pub fn run_shaped_with<T>(
        &mut self,
        inputs: &[(InputData<'_>, &[i64])],
        read: impl FnOnce(&SessionOutputs<'_>) -> Result<T, String>,
    ) -> Result<T, ModelError> {
        let file = self.path.display().to_string();
        let run_err = |reason: String| ModelError::Run {
            file: file.clone(),
            reason,
        };
        if inputs.len() != self.spec.inputs.len() {
            return Err(run_err(format!(
                "{} inputs given, the model takes {}",
                inputs.len(),
                self.spec.inputs.len()
            )));
        }
        let mut values: Vec<(&str, ort::session::SessionInputValue<'_>)> =
            Vec::with_capacity(inputs.len());
        for (spec, (data, shape)) in self.spec.inputs.iter().zip(inputs) {
            let declared = spec.declared.unwrap_or(spec.shape);
            let fits = shape.len() == declared.len()
                && shape.iter().zip(declared).all(|(s, d)| *d == -1 || s == d);
            if !fits {
                return Err(run_err(format!(
                    "input `{}` given as {shape:?}, the model takes {declared:?}",
                    spec.name
                )));
            }
            let shape = shape.to_vec();
            let value = match (spec.element, *data) {
                (Element::F32, InputData::F32(d)) => {
                    TensorRef::from_array_view((shape, d)).map(|t| t.into_dyn())
                }
                (Element::U8, InputData::U8(d)) => {
                    TensorRef::from_array_view((shape, d)).map(|t| t.into_dyn())
                }
                (Element::I64, InputData::I64(d)) => {
                    TensorRef::from_array_view((shape, d)).map(|t| t.into_dyn())
                }
                (element, _) => {
                    return Err(run_err(format!(
                        "input `{}` takes {element:?} data",
                        spec.name
                    )))
                }
            }
            .map_err(|e| run_err(e.to_string()))?;
            values.push((spec.name, value.into()));
        }
        let started = std::time::Instant::now();
        let outputs = self.session.run(values);
        self.usage.time += started.elapsed();
        self.usage.runs += 1;
        let outputs = outputs.map_err(|e| run_err(e.to_string()))?;
        read(&outputs).map_err(|reason| ModelError::Output { file, reason })
    }

    /// Time spent in ONNX Runtime since loading or the last reset.
    pub fn usage(&self) -> ModelUsage {
        self.usage
    }

    pub fn reset_usage(&mut self) {
        self.usage = ModelUsage::default();
    }

    pub fn spec(&self) -> &ModelSpec {
        &self.spec
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Reads output `index` of a run as a flat u8 slice.
pub fn output_u8<'a>(outputs: &'a SessionOutputs<'_>, index: usize) -> Result<&'a [u8], String> {
    outputs[index]
        .try_extract_tensor::<u8>()
        .map(|(_, data)| data)
        .map_err(|e| e.to_string())
}

/// Reads output `index` of a run as a flat f32 slice.
pub fn output_f32<'a>(outputs: &'a SessionOutputs<'_>, index: usize) -> Result<&'a [f32], String> {
    outputs[index]
        .try_extract_tensor::<f32>()
        .map(|(_, data)| data)
        .map_err(|e| e.to_string())
}

fn check_tensors(session: &Session, spec: &ModelSpec) -> Result<(), String> {
    let inputs = session.inputs();
    if inputs.len() != spec.inputs.len() {
        return Err(format!(
            "expected {} inputs, found {}",
            spec.inputs.len(),
            inputs.len()
        ));
    }
    for (inlet, expected) in inputs.iter().zip(spec.inputs) {
        check_one("input", inlet, expected)?;
    }
    let outputs = session.outputs();
    if outputs.len() != spec.outputs.len() {
        return Err(format!(
            "expected {} outputs, found {}",
            spec.outputs.len(),
            outputs.len()
        ));
    }
    for (outlet, expected) in outputs.iter().zip(spec.outputs) {
        check_one("output", outlet, expected)?;
    }
    Ok(())
}

fn check_one(role: &str, outlet: &ort::value::Outlet, expected: &TensorSpec) -> Result<(), String> {
    if outlet.name() != expected.name {
        return Err(format!(
            "{role} is named `{}`, expected `{}`",
            outlet.name(),
            expected.name
        ));
    }
    let dtype = outlet.dtype();
    let wanted = match expected.element {
        Element::F32 => ort::value::TensorElementType::Float32,
        Element::U8 => ort::value::TensorElementType::Uint8,
        Element::I64 => ort::value::TensorElementType::Int64,
    };
    if dtype.tensor_type() != Some(wanted) {
        return Err(format!(
            "{role} `{}` is not a {wanted:?} tensor",
            expected.name
        ));
    }
    let shape: Vec<i64> = dtype
        .tensor_shape()
        .map(|s| s.iter().copied().collect())
        .unwrap_or_default();
    let declared = expected.declared.unwrap_or(expected.shape);
    if shape != declared {
        return Err(format!(
            "{role} `{}` has shape {:?}, expected {:?}",
            expected.name, shape, declared
        ));
    }
    Ok(())
}

pub fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
