//! The three-class mask classifier (MobileNetV2, transfer-learned).

use maskwatch_domain::ClassProbabilities;

use crate::PipelineError;
use crate::model_set::{ModelRole, ModelSet, Normalisation};
use crate::onnx_model::OnnxModel;
use crate::precision::Precision;
use crate::runtime::{ActiveProvider, OnnxRuntime};
use crate::tensor::write_chw;

/// The classifier session and its reusable input batch.
///
/// Faces are written into the batch one by one, either from 8-bit pixels or
/// from the super-resolution network's float output, and then classified
/// together.
pub struct Classifier {
    model: OnnxModel,
    side: usize,
    input: Vec<f32>,
    filled: usize,
}

impl Classifier {
    pub fn load(runtime: &OnnxRuntime, set: &ModelSet) -> Result<Self, PipelineError> {
        let side = set.manifest.preprocessing.face_size as usize;
        Ok(Self {
            model: OnnxModel::load(runtime, set, ModelRole::Classifier)?,
            side,
            input: Vec::new(),
            filled: 0,
        })
    }

    pub fn provider(&self) -> ActiveProvider {
        self.model.provider()
    }

    pub fn precision(&self) -> Precision {
        self.model.precision()
    }

    fn per_face(&self) -> usize {
        self.side * self.side * 3
    }

    /// Starts a batch of `count` faces.
    pub fn begin_batch(&mut self, count: usize) {
        self.input.resize(count * self.per_face(), 0.0);
        self.filled = count;
    }

    /// Writes face `index` of the batch from tightly packed 8-bit RGB.
    pub fn set_pixels(&mut self, index: usize, rgb: &[u8]) {
        let per_face = self.per_face();
        let normalisation = self.model.normalisation().clone();
        write_chw(
            rgb,
            &normalisation,
            &mut self.input[index * per_face..(index + 1) * per_face],
        );
    }

    /// Writes face `index` of the batch from CHW planes in 0..=1 (the
    /// super-resolution output), without rounding to 8 bits.
    pub fn set_planes(&mut self, index: usize, planes: &[f32]) {
        let per_face = self.per_face();
        let plane = self.side * self.side;
        let affine = unit_affine(self.model.normalisation());
        let slot = &mut self.input[index * per_face..(index + 1) * per_face];
        for (c, (dst, src)) in slot
            .chunks_exact_mut(plane)
            .zip(planes.chunks_exact(plane))
            .enumerate()
        {
            let (m, o) = affine[c];
            for (d, s) in dst.iter_mut().zip(src) {
                *d = s * m + o;
            }
        }
    }

    /// Classifies the batch written since [`Classifier::begin_batch`].
    pub fn run_batch(&mut self) -> Result<Vec<ClassProbabilities>, PipelineError> {
        if self.filled == 0 {
            return Ok(Vec::new());
        }
        let shape = [self.filled, 3, self.side, self.side];
        self.model.run(shape, &self.input, |out| {
            let (_, probabilities) = out.get(0);
            Ok(probabilities
                .chunks_exact(3)
                .map(ClassProbabilities::from_slice)
                .collect())
        })
    }
}

/// The normalisation for values already divided by 255 (in 0..=1).
fn unit_affine(n: &Normalisation) -> [(f32, f32); 3] {
    n.affine().map(|(m, o)| (m * 255.0, o))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_values_normalise_like_their_pixels() {
        let n = Normalisation {
            input_scale: 255.0,
            mean: [0.485, 0.456, 0.406],
            std: [0.229, 0.224, 0.225],
        };
        let pixel = n.affine()[0];
        let unit = unit_affine(&n)[0];
        let value = 0.6f32;
        assert!(((value * 255.0) * pixel.0 + pixel.1 - (value * unit.0 + unit.1)).abs() < 1e-5);
    }
}
