//! The SRCNet super-resolution network: restores detail in small faces
//! that were enlarged to the classifier's input size.

use crate::PipelineError;
use crate::model_set::{ModelRole, ModelSet};
use crate::onnx_model::OnnxModel;
use crate::precision::Precision;
use crate::runtime::OnnxRuntime;
use crate::tensor::write_chw;

/// The super-resolution session and its reusable input buffer.
pub struct SuperResolver {
    model: OnnxModel,
    side: usize,
    input: Vec<f32>,
}

impl SuperResolver {
    pub fn load(runtime: &OnnxRuntime, set: &ModelSet) -> Result<Self, PipelineError> {
        let side = set.manifest.preprocessing.face_size as usize;
        Ok(Self {
            model: OnnxModel::load(runtime, set, ModelRole::SuperResolution)?,
            side,
            input: Vec::new(),
        })
    }

    pub fn precision(&self) -> Precision {
        self.model.precision()
    }

    /// Restores a batch of `side` x `side` RGB faces and hands each result
    /// (CHW planes, values in 0..=1) to `visit` with its position in `faces`.
    pub fn restore(
        &mut self,
        faces: &[&[u8]],
        mut visit: impl FnMut(usize, &[f32]) -> Result<(), PipelineError>,
    ) -> Result<(), PipelineError> {
        if faces.is_empty() {
            return Ok(());
        }
        let per_face = self.side * self.side * 3;
        self.input.resize(faces.len() * per_face, 0.0);
        let normalisation = self.model.normalisation().clone();
        for (face, slot) in faces.iter().zip(self.input.chunks_exact_mut(per_face)) {
            write_chw(face, &normalisation, slot);
        }
        let shape = [faces.len(), 3, self.side, self.side];
        self.model.run(shape, &self.input, |out| {
            let (_, restored) = out.get(0);
            restored
                .chunks_exact(per_face)
                .enumerate()
                .try_for_each(|(i, planes)| visit(i, planes))
        })
    }
}
