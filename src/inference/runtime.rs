use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The ONNX Runtime release this build is pinned to (PyPI's `onnxruntime`
/// wheel; see `scripts/setup`).
pub const ORT_VERSION: &str = "1.32.0";
const LIBRARY_NAME: &str = "libonnxruntime.so.1.32.0";
/// Where `scripts/setup` puts the library inside the source tree.
const PROJECT_CACHE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/.cache/onnxruntime");

#[derive(Debug, Clone, thiserror::Error)]
pub enum RuntimeError {
    #[error(
        "ONNX Runtime library not found (looked in: {looked}). Fetch it with `scripts/setup`, \
         or point ORT_DYLIB_PATH at a libonnxruntime.so of version {ORT_VERSION}"
    )]
    NotFound { looked: String },
    #[error("ORT_DYLIB_PATH={0} does not exist; unset it or point it at libonnxruntime.so {ORT_VERSION}")]
    EnvPathMissing(String),
    #[error(
        "{path}: not a usable ONNX Runtime library ({reason}). Fetch the pinned one with `scripts/setup`, \
         or point ORT_DYLIB_PATH at libonnxruntime.so {ORT_VERSION}"
    )]
    Unusable { path: String, reason: String },
}

/// A loaded ONNX Runtime. Loading happens once per process; later calls
/// share the first result.
#[derive(Clone)]
pub struct Runtime {
    environment: ort::environment::Environment,
    library: PathBuf,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("library", &self.library)
            .finish()
    }
}

static RUNTIME: OnceLock<Result<Runtime, RuntimeError>> = OnceLock::new();

impl Runtime {
    /// Finds and loads the library: `ORT_DYLIB_PATH`, then beside the
    /// executable, then the project cache.
    pub fn load() -> Result<Runtime, RuntimeError> {
        RUNTIME
            .get_or_init(|| locate_library().and_then(|path| Runtime::load_from(&path)))
            .clone()
    }

    fn load_from(path: &Path) -> Result<Runtime, RuntimeError> {
        // PyPI's ONNX Runtime for Linux carries Microsoft's telemetry client:
        // unless told not to, it keeps an event database under
        // ~/.cache/Microsoft and would upload it. A care-home device sends
        // nothing anywhere (R8.5), so it is switched off before the library
        // loads; tests/privacy.rs traces the process to prove it.
        if std::env::var_os("ORT_DISABLE_TELEMETRY").is_none() {
            // Once per process, before ONNX Runtime exists to read it.
            std::env::set_var("ORT_DISABLE_TELEMETRY", "1");
        }
        let unusable = |reason: String| RuntimeError::Unusable {
            path: path.display().to_string(),
            reason,
        };
        let builder = ort::init_from(path).map_err(|e| unusable(e.to_string()))?;
        let environment = builder
            .with_name("tryghed")
            .with_telemetry(false)
            .build()
            .map_err(|e| unusable(e.to_string()))?;
        Ok(Runtime {
            environment,
            library: path.to_path_buf(),
        })
    }

    pub fn environment(&self) -> &ort::environment::Environment {
        &self.environment
    }

    /// The library file in use.
    pub fn library(&self) -> &Path {
        &self.library
    }
}

fn locate_library() -> Result<PathBuf, RuntimeError> {
    if let Some(path) = std::env::var_os("ORT_DYLIB_PATH") {
        let path = PathBuf::from(path);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(RuntimeError::EnvPathMissing(path.display().to_string()))
        };
    }
    let mut candidates = Vec::new();
    if let Some(dir) = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf))
    {
        candidates.push(dir.join(LIBRARY_NAME));
        candidates.push(dir.join("libonnxruntime.so"));
    }
    candidates.push(Path::new(PROJECT_CACHE).join(LIBRARY_NAME));
    match candidates.iter().find(|p| p.is_file()) {
        Some(found) => Ok(found.clone()),
        None => Err(RuntimeError::NotFound {
            looked: candidates
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}
