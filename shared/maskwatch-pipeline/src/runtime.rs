//! Loading ONNX Runtime and creating sessions on the chosen execution provider.
//!
//! The runtime is a shared library loaded at run time (`ort`'s
//! `load-dynamic`), installed by `scripts/setup` from the PyPI wheel
//! `onnxruntime` or `onnxruntime-gpu`. The library can be loaded once per
//! process, so the first [`OnnxRuntime::init`] decides which file is used.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use ort::environment::Environment;
use ort::ep::{self, ExecutionProvider};
use ort::session::Session;
use ort::session::builder::GraphOptimizationLevel;

use crate::PipelineError;
use crate::precision::PrecisionPolicy;

/// Where `scripts/setup` puts the library, relative to the repository root.
pub const BUNDLED_LIBRARY: &str = ".runtime/onnxruntime/libonnxruntime.so";

/// Environment variable naming the library to load instead.
pub const LIBRARY_ENV: &str = "MASKWATCH_ORT_LIB";

/// Where inference runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecutionTarget {
    Cpu,
    /// CUDA on the given device; `required` turns a missing CUDA provider
    /// into an error instead of a fallback to the CPU.
    Cuda {
        device_id: i32,
        required: bool,
    },
}

/// The execution provider a session really got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActiveProvider {
    Cpu,
    Cuda,
}

impl ActiveProvider {
    pub fn as_str(self) -> &'static str {
        match self {
            ActiveProvider::Cpu => "CPUExecutionProvider",
            ActiveProvider::Cuda => "CUDAExecutionProvider",
        }
    }
}

/// How to load the runtime and build sessions.
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    /// The library file; `None` looks at `MASKWATCH_ORT_LIB`, then for
    /// [`BUNDLED_LIBRARY`] in the working directory and its parents.
    pub library: Option<PathBuf>,
    pub target: ExecutionTarget,
    /// Threads per session for one operator; `None` lets ONNX Runtime pick
    /// (one per physical core).
    pub intra_threads: Option<usize>,
    /// Whether the model set's int8 copies are used on the CPU.
    pub precision: PrecisionPolicy,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        Self {
            library: None,
            target: ExecutionTarget::Cpu,
            intra_threads: None,
            precision: PrecisionPolicy::Auto,
        }
    }
}

/// A loaded ONNX Runtime, ready to create sessions.
#[derive(Clone)]
pub struct OnnxRuntime {
    environment: Environment,
    config: RuntimeConfig,
    library: Arc<PathBuf>,
}

/// The library loaded into this process, if any.
static LOADED: Mutex<Option<(PathBuf, Environment)>> = Mutex::new(None);

impl OnnxRuntime {
    /// Loads the library (once per process) and prepares an environment.
    pub fn init(config: RuntimeConfig) -> Result<Self, PipelineError> {
        let library = resolve_library(config.library.as_deref())?;
        let mut loaded = LOADED
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let environment = match loaded.as_ref() {
            Some((path, environment)) if *path == library => environment.clone(),
            Some((path, _)) => {
                return Err(PipelineError::RuntimeLibraryUnusable {
                    path: library,
                    reason: format!("{} is already loaded in this process", path.display()),
                });
            }
            None => {
                let environment = load(&library)?;
                *loaded = Some((library.clone(), environment.clone()));
                environment
            }
        };
        tracing::info!(library = %library.display(), target = ?config.target, "ONNX Runtime loaded");
        Ok(Self {
            environment,
            config,
            library: Arc::new(library),
        })
    }

    /// The library file in use.
    pub fn library(&self) -> &Path {
        &self.library
    }

    pub fn config(&self) -> &RuntimeConfig {
        &self.config
    }

    /// Creates a session for one model on the configured target.
    pub(crate) fn session(
        &self,
        model: &str,
        path: &Path,
    ) -> Result<(Session, ActiveProvider), PipelineError> {
        let failed = |source: ort::Error| PipelineError::Inference {
            model: model.to_owned(),
            source,
        };
        let mut builder = Session::builder(&self.environment)
            .map_err(failed)?
            .with_optimization_level(GraphOptimizationLevel::Level3)
            .map_err(|e| failed(e.into()))?;
        if let Some(threads) = self.config.intra_threads {
            builder = builder
                .with_intra_threads(threads)
                .map_err(|e| failed(e.into()))?;
        }
        let provider = match self.config.target {
            ExecutionTarget::Cpu => ActiveProvider::Cpu,
            ExecutionTarget::Cuda {
                device_id,
                required,
            } => {
                match ep::CUDA::default()
                    .with_device_id(device_id)
                    .register(&mut builder)
                {
                    Ok(()) => ActiveProvider::Cuda,
                    Err(e) if required => {
                        return Err(PipelineError::CudaUnavailable {
                            reason: e.to_string(),
                        });
                    }
                    Err(e) => {
                        tracing::warn!(model, error = %e, "CUDA execution provider unavailable; running on the CPU");
                        ActiveProvider::Cpu
                    }
                }
            }
        };
        let session = builder.commit_from_file(path).map_err(failed)?;
        tracing::info!(model, provider = provider.as_str(), path = %path.display(), "session created");
        Ok((session, provider))
    }
}

fn resolve_library(explicit: Option<&Path>) -> Result<PathBuf, PipelineError> {
    let candidate = match explicit {
        Some(path) => path.to_path_buf(),
        None => match std::env::var_os(LIBRARY_ENV) {
            Some(path) => PathBuf::from(path),
            None => find_upwards(Path::new(BUNDLED_LIBRARY))
                .unwrap_or_else(|| PathBuf::from(BUNDLED_LIBRARY)),
        },
    };
    // `ort` panics on a missing file instead of returning an error.
    if !candidate.is_file() {
        return Err(PipelineError::RuntimeLibraryMissing { path: candidate });
    }
    Ok(candidate)
}

fn load(library: &Path) -> Result<Environment, PipelineError> {
    let unusable = |reason: String| PipelineError::RuntimeLibraryUnusable {
        path: library.to_path_buf(),
        reason,
    };
    // A file that is not a shared library at all can make the loader panic
    // inside `ort`; turn that into the same error as a refused library.
    let builder = std::panic::catch_unwind(|| ort::init_from(library))
        .map_err(|_| unusable("the dynamic loader rejected the file".into()))?
        .map_err(|e| unusable(e.to_string()))?;
    builder
        .with_name("maskwatch")
        .build()
        .map_err(|e| unusable(e.to_string()))
}

/// Looks for `relative` under the working directory and each of its parents,
/// so that commands work from any folder of a checkout.
pub fn find_upwards(relative: &Path) -> Option<PathBuf> {
    let start = std::env::current_dir().ok()?;
    start
        .ancestors()
        .map(|dir| dir.join(relative))
        .find(|path| path.exists())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_library_is_a_clear_error() {
        let config = RuntimeConfig {
            library: Some(PathBuf::from("/nonexistent/libonnxruntime.so")),
            ..Default::default()
        };
        let err = OnnxRuntime::init(config).err().expect("must fail");
        let message = err.to_string();
        assert!(
            message.contains("not found") && message.contains("scripts/setup"),
            "{message}"
        );
    }
}
