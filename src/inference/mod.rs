//! ONNX Runtime: finding and loading the library, and checked models.
//!
//! Models load only from local files. Each is checked against the sha256 and
//! tensor names and shapes this build expects, then warmed up, so a corrupt
//! or swapped file is a clear error at start, never a wrong answer later.

mod model;
mod runtime;

pub use model::{
    hex_sha256, output_f32, output_u8, Element, InputData, Model, ModelError, ModelSpec,
    ModelUsage, TensorSpec,
};
pub use runtime::{Runtime, RuntimeError, ORT_VERSION};
