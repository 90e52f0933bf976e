//! One ONNX session with the interface its manifest entry promises.

use ort::session::Session;
use ort::value::TensorRef;

use crate::PipelineError;
use crate::model_set::{ModelEntry, ModelRole, ModelSet, Normalisation};
use crate::precision::Precision;
use crate::runtime::{ActiveProvider, ExecutionTarget, OnnxRuntime};

/// A model's session, created once and reused for every batch.
pub(crate) struct OnnxModel {
    name: String,
    session: Session,
    provider: ActiveProvider,
    precision: Precision,
    entry: ModelEntry,
}

/// The outputs of one run, in manifest order.
pub(crate) struct Outputs<'a> {
    tensors: Vec<(&'a [i64], &'a [f32])>,
}

impl Outputs<'_> {
    /// Shape and data of output `index` (manifest order).
    pub fn get(&self, index: usize) -> (&[i64], &[f32]) {
        self.tensors[index]
    }
}

impl OnnxModel {
    /// Creates the session and checks the model's tensor names against the manifest.
    pub fn load(
        runtime: &OnnxRuntime,
        set: &ModelSet,
        role: ModelRole,
    ) -> Result<Self, PipelineError> {
        let name = format!("{role:?}");
        let entry = set.entry(role).clone();
        let config = runtime.config();
        let precision = config
            .precision
            .choose(config.target == ExecutionTarget::Cpu, entry.int8.is_some());
        let (session, provider) = runtime.session(&name, &set.path(role, precision))?;
        let interface_error = |reason: String| PipelineError::ModelInterface {
            model: name.clone(),
            reason,
        };
        let actual_inputs: Vec<&str> = session.inputs().iter().map(|o| o.name()).collect();
        let actual_outputs: Vec<&str> = session.outputs().iter().map(|o| o.name()).collect();
        let expected_inputs: Vec<&str> = entry.inputs.iter().map(|t| t.name.as_str()).collect();
        if actual_inputs != expected_inputs {
            return Err(interface_error(format!(
                "inputs are {actual_inputs:?}, the manifest says {expected_inputs:?}"
            )));
        }
        for output in &entry.outputs {
            if !actual_outputs.contains(&output.name.as_str()) {
                return Err(interface_error(format!(
                    "no output named {:?}; it has {actual_outputs:?}",
                    output.name
                )));
            }
        }
        tracing::info!(model = name, %precision, "model loaded");
        Ok(Self {
            name,
            session,
            provider,
            precision,
            entry,
        })
    }

    pub fn provider(&self) -> ActiveProvider {
        self.provider
    }

    pub fn precision(&self) -> Precision {
        self.precision
    }

    pub fn normalisation(&self) -> &Normalisation {
        &self.entry.normalisation
    }

    /// Runs the model on one `f32` input and hands the outputs to `read`
    /// without copying them out of ONNX Runtime's buffers.
    pub fn run<R>(
        &mut self,
        shape: [usize; 4],
        input: &[f32],
        read: impl FnOnce(&Outputs<'_>) -> Result<R, PipelineError>,
    ) -> Result<R, PipelineError> {
        let failed = |source: ort::Error| PipelineError::Inference {
            model: self.name.clone(),
            source,
        };
        let tensor = TensorRef::from_array_view((shape, input)).map_err(failed)?;
        let outputs = self
            .session
            .run(ort::inputs![self.entry.inputs[0].name.as_str() => tensor])
            .map_err(failed)?;
        let mut tensors = Vec::with_capacity(self.entry.outputs.len());
        for spec in &self.entry.outputs {
            let (shape, data) = outputs[spec.name.as_str()]
                .try_extract_tensor::<f32>()
                .map_err(failed)?;
            tensors.push((&shape[..], data));
        }
        read(&Outputs { tensors })
    }
}
