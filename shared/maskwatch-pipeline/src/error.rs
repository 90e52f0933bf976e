use std::path::PathBuf;

/// Everything that can stop the pipeline from producing an answer.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(
        "ONNX Runtime library not found at {path}: run `scripts/setup` to install it from the PyPI \
         package onnxruntime, or point MASKWATCH_ORT_LIB at a libonnxruntime.so of version 1.31 or newer"
    )]
    RuntimeLibraryMissing { path: PathBuf },

    #[error(
        "could not load the ONNX Runtime library {path}: {reason}. It must be libonnxruntime.so 1.31 or newer \
         (run `scripts/setup`, or `scripts/setup --gpu` for the CUDA build)"
    )]
    RuntimeLibraryUnusable { path: PathBuf, reason: String },

    #[error("the CUDA execution provider was required but is unavailable: {reason}")]
    CudaUnavailable { reason: String },

    #[error("model manifest {path}: {reason}")]
    Manifest { path: PathBuf, reason: String },

    #[error(
        "model file {path} is missing: the MTCNN networks come from `scripts/setup`, the trained \
         models are committed under models/"
    )]
    ModelFileMissing { path: PathBuf },

    #[error("model file {path} has sha256 {actual}, but the manifest says {expected}")]
    ModelChecksum {
        path: PathBuf,
        expected: String,
        actual: String,
    },

    #[error("model {model}: {reason}")]
    ModelInterface { model: String, reason: String },

    #[error("ONNX Runtime failed in {model}: {source}")]
    Inference {
        model: String,
        #[source]
        source: ort::Error,
    },

    #[error("image resize failed: {0}")]
    Resize(String),

    #[error("I/O on {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}
