//! The per-image face-mask pipeline of the SRCNet study, batch-oriented and
//! running on ONNX Runtime.
//!
//! An image goes through [`contrast::stretch_contrast`], the MTCNN cascade in
//! [`mtcnn`], the crop rule in [`crop`], and then [`SuperResolver`] (for
//! crops no larger than the manifest's limit) and [`Classifier`]. The
//! [`Pipeline`] ties them together and batches faces across images.

pub mod contrast;
pub mod crop;
pub mod decode;
#[cfg(any(test, feature = "hostile-inputs"))]
pub mod hostile_inputs;
pub mod model_set;
pub mod mtcnn;
pub mod precision;
pub mod runtime;
pub mod tensor;

mod classifier;
mod error;
mod onnx_model;
mod pipeline;
mod resize;
mod super_resolution;

pub use classifier::Classifier;
pub use error::PipelineError;
pub use model_set::{ModelRole, ModelSet};
pub use pipeline::{FaceClassification, FaceCrop, Pipeline, PipelineConfig, PreparedImage};
pub use precision::{Precision, PrecisionPolicy};
pub use runtime::{ExecutionTarget, OnnxRuntime, RuntimeConfig};
pub use super_resolution::SuperResolver;
