//! MTCNN face detection (Zhang et al., 2016) over ONNX Runtime.
//!
//! Three networks in a cascade: P-Net proposes windows over an image
//! pyramid, R-Net rejects and refines them at 24x24, O-Net gives the final
//! boxes and five landmarks at 48x48. The arithmetic follows the widely used
//! reference implementation that the ONNX weights come with, so that the
//! networks see the inputs they were trained on.

mod candidate;
mod config;
mod nms;
mod proposal;
mod pyramid;
mod window_crop;

pub use candidate::Candidate;
pub use config::DetectorConfig;
pub use nms::{Overlap, non_maximum_suppression};
pub use proposal::windows_from_maps;
pub use pyramid::{pyramid_scales, scaled_size};
pub use window_crop::window_pixels;

use image::RgbImage;
use maskwatch_domain::{BoundingBox, Landmarks};

use crate::PipelineError;
use crate::model_set::{ModelRole, ModelSet};
use crate::onnx_model::OnnxModel;
use crate::precision::Precision;
use crate::resize::{Filter, ImageResizer};
use crate::runtime::{ActiveProvider, OnnxRuntime};
use crate::tensor::write_whc;

/// A detected face.
#[derive(Debug, Clone, PartialEq)]
pub struct FaceDetection {
    pub bbox: BoundingBox,
    pub score: f32,
    pub landmarks: Landmarks,
}

/// Candidates are sent to R-Net and O-Net in chunks of this size, which
/// bounds the input buffer in crowded photos.
const REFINE_CHUNK: usize = 256;

/// The three MTCNN sessions with their reusable buffers.
pub struct Mtcnn {
    pnet: OnnxModel,
    rnet: OnnxModel,
    onet: OnnxModel,
    config: DetectorConfig,
    resizer: ImageResizer,
    level_pixels: Vec<u8>,
    input: Vec<f32>,
}

impl Mtcnn {
    pub fn load(
        runtime: &OnnxRuntime,
        set: &ModelSet,
        config: DetectorConfig,
    ) -> Result<Self, PipelineError> {
        Ok(Self {
            pnet: OnnxModel::load(runtime, set, ModelRole::Pnet)?,
            rnet: OnnxModel::load(runtime, set, ModelRole::Rnet)?,
            onet: OnnxModel::load(runtime, set, ModelRole::Onet)?,
            config,
            resizer: ImageResizer::default(),
            level_pixels: Vec::new(),
            input: Vec::new(),
        })
    }

    pub fn config(&self) -> &DetectorConfig {
        &self.config
    }

    /// The precision of P-Net, R-Net and O-Net, in that order.
    pub fn precisions(&self) -> [Precision; 3] {
        [
            self.pnet.precision(),
            self.rnet.precision(),
            self.onet.precision(),
        ]
    }

    pub fn provider(&self) -> ActiveProvider {
        self.pnet.provider()
    }

    /// Finds the faces in one (contrast-stretched) photo.
    pub fn detect(&mut self, image: &RgbImage) -> Result<Vec<FaceDetection>, PipelineError> {
        let proposals = self.propose(image)?;
        let refined = self.refine(image, proposals)?;
        self.finish(image, refined)
    }

    /// Stage 1: P-Net over every pyramid level.
    fn propose(&mut self, image: &RgbImage) -> Result<Vec<Candidate>, PipelineError> {
        let (width, height) = image.dimensions();
        let mut all = Vec::new();
        for scale in pyramid_scales(
            width,
            height,
            self.config.min_face,
            self.config.scale_factor,
        ) {
            let (w, h) = scaled_size(width, height, scale);
            self.level_pixels.resize((w * h * 3) as usize, 0);
            let filter = if scale < 1.0 {
                Filter::Area
            } else {
                Filter::Bilinear
            };
            self.resizer.resize_into(
                image.as_raw(),
                (width, height),
                &mut self.level_pixels,
                (w, h),
                filter,
            )?;
            self.input.resize(self.level_pixels.len(), 0.0);
            let normalisation = self.pnet.normalisation().clone();
            write_whc(
                &self.level_pixels,
                w as usize,
                h as usize,
                &normalisation,
                &mut self.input,
            );
            let threshold = self.config.thresholds[0];
            let windows = self
                .pnet
                .run([1, w as usize, h as usize, 3], &self.input, |out| {
                    let (shape, regression) = out.get(0);
                    let (_, probabilities) = out.get(1);
                    let map = (shape[1] as usize, shape[2] as usize);
                    Ok(windows_from_maps(
                        probabilities,
                        regression,
                        map,
                        scale,
                        threshold,
                    ))
                })?;
            let keep = non_maximum_suppression(&windows, 0.5, Overlap::Union);
            all.extend(keep.into_iter().map(|i| windows[i]));
        }
        let keep = non_maximum_suppression(&all, 0.7, Overlap::Union);
        Ok(keep
            .into_iter()
            .map(|i| all[i].regressed_exclusive().squared().truncated())
            .collect())
    }

    /// Stage 2: R-Net rejects and refines.
    fn refine(
        &mut self,
        image: &RgbImage,
        windows: Vec<Candidate>,
    ) -> Result<Vec<Candidate>, PipelineError> {
        let threshold = self.config.thresholds[1];
        let mut passed = Vec::new();
        for chunk in windows.chunks(REFINE_CHUNK) {
            let (kept, _) = self.score_windows(Stage::Refine, image, chunk, threshold)?;
            passed.extend(kept);
        }
        let keep = non_maximum_suppression(&passed, 0.7, Overlap::Union);
        Ok(keep
            .into_iter()
            .map(|i| passed[i].regressed_inclusive().squared())
            .collect())
    }

    /// Stage 3: O-Net gives the final boxes and landmarks.
    fn finish(
        &mut self,
        image: &RgbImage,
        windows: Vec<Candidate>,
    ) -> Result<Vec<FaceDetection>, PipelineError> {
        let threshold = self.config.thresholds[2];
        let windows: Vec<Candidate> = windows.iter().map(Candidate::truncated).collect();
        let (mut passed, mut landmarks) = (Vec::new(), Vec::new());
        for chunk in windows.chunks(REFINE_CHUNK) {
            let (kept, points) = self.score_windows(Stage::Output, image, chunk, threshold)?;
            passed.extend(kept);
            landmarks.extend(points);
        }
        let regressed: Vec<Candidate> = passed.iter().map(Candidate::regressed_inclusive).collect();
        let keep = non_maximum_suppression(&regressed, 0.7, Overlap::Min);
        let (width, height) = image.dimensions();
        Ok(keep
            .into_iter()
            .map(|i| FaceDetection {
                bbox: regressed[i].to_bounding_box().clipped(width, height),
                score: regressed[i].score,
                landmarks: landmarks[i],
            })
            .filter(|d| d.bbox.area() > 0.0)
            .collect())
    }

    /// Runs R-Net or O-Net on a chunk of windows and keeps those scoring at
    /// least `threshold`, with the new regression (and, for O-Net, landmarks).
    fn score_windows(
        &mut self,
        stage: Stage,
        image: &RgbImage,
        windows: &[Candidate],
        threshold: f32,
    ) -> Result<(Vec<Candidate>, Vec<Landmarks>), PipelineError> {
        let side = stage.input_side();
        let per_window = (side * side * 3) as usize;
        let mut usable = Vec::with_capacity(windows.len());
        let mut resized = vec![0u8; per_window];
        self.input.resize(windows.len() * per_window, 0.0);
        let model = match stage {
            Stage::Refine => &mut self.rnet,
            Stage::Output => &mut self.onet,
        };
        let normalisation = model.normalisation().clone();
        for window in windows {
            let Some((pixels, size)) = window_pixels(image, window) else {
                continue;
            };
            self.resizer.resize_into(
                &pixels,
                size,
                &mut resized,
                (side, side),
                Filter::Bilinear,
            )?;
            let slot = usable.len() * per_window;
            write_whc(
                &resized,
                side as usize,
                side as usize,
                &normalisation,
                &mut self.input[slot..slot + per_window],
            );
            usable.push(*window);
        }
        if usable.is_empty() {
            return Ok((Vec::new(), Vec::new()));
        }
        let count = usable.len();
        let input = &self.input[..count * per_window];
        model.run([count, side as usize, side as usize, 3], input, |out| {
            let (_, regression) = out.get(0);
            let (_, probabilities) = out.get(out_index_of_scores(stage));
            let mut kept = Vec::new();
            let mut points = Vec::new();
            for (i, window) in usable.iter().enumerate() {
                let score = probabilities[i * 2 + 1];
                if score < threshold {
                    continue;
                }
                let r = &regression[i * 4..i * 4 + 4];
                let candidate = Candidate {
                    score,
                    regression: [r[0], r[1], r[2], r[3]],
                    ..*window
                };
                if stage == Stage::Output {
                    let (_, raw_points) = out.get(1);
                    points.push(landmarks_in_image(
                        &candidate,
                        &raw_points[i * 10..i * 10 + 10],
                    ));
                }
                kept.push(candidate);
            }
            Ok((kept, points))
        })
    }
}

/// R-Net's outputs are (regression, scores); O-Net's (regression, landmarks, scores).
fn out_index_of_scores(stage: Stage) -> usize {
    match stage {
        Stage::Refine => 1,
        Stage::Output => 2,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Refine,
    Output,
}

impl Stage {
    fn input_side(self) -> u32 {
        match self {
            Stage::Refine => 24,
            Stage::Output => 48,
        }
    }
}

/// O-Net's landmarks are fractions of the window: five x values, then five y values.
pub fn landmarks_in_image(window: &Candidate, raw: &[f32]) -> Landmarks {
    let w = window.x2 - window.x1 + 1.0;
    let h = window.y2 - window.y1 + 1.0;
    Landmarks(std::array::from_fn(|k| {
        [
            w * raw[k] + window.x1 - 1.0,
            h * raw[k + 5] + window.y1 - 1.0,
        ]
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn landmarks_by_hand() {
        let window = Candidate::new(11.0, 21.0, 30.0, 60.0, 1.0);
        let raw = [0.0, 0.5, 1.0, 0.25, 0.75, 0.0, 0.5, 1.0, 0.25, 0.75];
        let l = landmarks_in_image(&window, &raw);
        // w = 20, h = 40; x = 20 * f + 10, y = 40 * f + 20.
        assert_eq!(l.0[0], [10.0, 20.0]);
        assert_eq!(l.0[1], [20.0, 40.0]);
        assert_eq!(l.0[2], [30.0, 60.0]);
    }
}
