//! The whole per-image pipeline, batched across images.

use std::path::Path;

use image::RgbImage;
use maskwatch_domain::{BoundingBox, ClassProbabilities, FaceFinding};

use crate::PipelineError;
use crate::classifier::Classifier;
use crate::contrast::stretch_contrast;
use crate::crop::CropWindow;
use crate::model_set::{ModelRole, ModelSet};
use crate::mtcnn::{DetectorConfig, FaceDetection, Mtcnn};
use crate::precision::Precision;
use crate::resize::{Filter, ImageResizer};
use crate::runtime::{ActiveProvider, OnnxRuntime};
use crate::super_resolution::SuperResolver;

/// Settings that are not part of the model set.
#[derive(Debug, Clone, PartialEq)]
pub struct PipelineConfig {
    /// Replaces the detector's minimum face size from the manifest.
    pub min_face: Option<f32>,
    /// Replaces the detector's thresholds from the manifest.
    pub detector_thresholds: Option<[f32; 3]>,
    /// Faces per super-resolution and classifier run.
    pub batch_size: usize,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        Self {
            min_face: None,
            detector_thresholds: None,
            batch_size: 32,
        }
    }
}

impl PipelineConfig {
    /// The manifest's detector settings with this configuration's overrides.
    fn detector_settings(&self, manifest: &DetectorConfig) -> DetectorConfig {
        DetectorConfig {
            min_face: self.min_face.unwrap_or(manifest.min_face),
            thresholds: self.detector_thresholds.unwrap_or(manifest.thresholds),
            ..manifest.clone()
        }
    }
}

/// A decoded photo after the contrast stretch: what detection and cropping see.
pub struct PreparedImage {
    pub stretched: RgbImage,
}

/// A face cut out by the crop rule and scaled to the models' input size.
pub struct FaceCrop {
    /// `face_size` x `face_size` RGB pixels.
    pub pixels: RgbImage,
    /// The crop's side in source pixels, before scaling.
    pub source_side: u32,
}

/// The classifier's answer for one crop.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaceClassification {
    pub probabilities: ClassProbabilities,
    pub super_resolved: bool,
}

/// The loaded model set with one session per model, reused for every image.
pub struct Pipeline {
    models: ModelSet,
    detector: Mtcnn,
    super_resolver: SuperResolver,
    classifier: Classifier,
    resizer: ImageResizer,
    config: PipelineConfig,
}

impl Pipeline {
    /// Verifies the model set in `model_dir` and creates every session.
    pub fn load(
        runtime: &OnnxRuntime,
        model_dir: &Path,
        config: PipelineConfig,
    ) -> Result<Self, PipelineError> {
        Self::with_model_set(runtime, ModelSet::load(model_dir)?, config)
    }

    /// Creates every session for a model set that is already verified, so
    /// that several pipelines over one set check its files once.
    pub fn with_model_set(
        runtime: &OnnxRuntime,
        models: ModelSet,
        config: PipelineConfig,
    ) -> Result<Self, PipelineError> {
        let settings = config.detector_settings(&models.manifest.detector.settings);
        let detector = Mtcnn::load(runtime, &models, settings)?;
        let super_resolver = SuperResolver::load(runtime, &models)?;
        let classifier = Classifier::load(runtime, &models)?;
        tracing::info!(
            model_set = models.version(),
            provider = classifier.provider().as_str(),
            super_resolution = %super_resolver.precision(),
            classifier = %classifier.precision(),
            batch_size = config.batch_size,
            "pipeline ready"
        );
        Ok(Self {
            models,
            detector,
            super_resolver,
            classifier,
            resizer: ImageResizer::default(),
            config,
        })
    }

    pub fn model_set(&self) -> &ModelSet {
        &self.models
    }

    /// The precision each model runs in.
    pub fn precisions(&self) -> Vec<(ModelRole, Precision)> {
        let [pnet, rnet, onet] = self.detector.precisions();
        vec![
            (ModelRole::Pnet, pnet),
            (ModelRole::Rnet, rnet),
            (ModelRole::Onet, onet),
            (ModelRole::SuperResolution, self.super_resolver.precision()),
            (ModelRole::Classifier, self.classifier.precision()),
        ]
    }

    /// The model set's version as stamped on results: `+int8` is appended
    /// when any model runs its int8 copy, so that results of the two
    /// precisions are never mixed up.
    pub fn model_version(&self) -> String {
        let version = self.models.version();
        if self
            .precisions()
            .iter()
            .any(|(_, precision)| *precision == Precision::Int8)
        {
            format!("{version}+int8")
        } else {
            version.to_owned()
        }
    }

    /// The execution provider the models run on.
    pub fn provider(&self) -> ActiveProvider {
        self.classifier.provider()
    }

    pub fn config(&self) -> &PipelineConfig {
        &self.config
    }

    pub fn set_batch_size(&mut self, batch_size: usize) {
        self.config.batch_size = batch_size.max(1);
    }

    /// Applies the contrast stretch the models were trained with.
    pub fn prepare(&self, mut image: RgbImage) -> PreparedImage {
        stretch_contrast(
            &mut image,
            self.models
                .manifest
                .preprocessing
                .contrast_saturated_fraction,
        );
        PreparedImage { stretched: image }
    }

    pub fn detect(&mut self, image: &PreparedImage) -> Result<Vec<FaceDetection>, PipelineError> {
        self.detector.detect(&image.stretched)
    }

    /// Cuts a face out of a prepared photo by the crop rule.
    pub fn crop(
        &mut self,
        image: &PreparedImage,
        bbox: &BoundingBox,
    ) -> Result<FaceCrop, PipelineError> {
        self.cut(image, CropWindow::around(bbox))
    }

    /// Treats the whole photo as one face crop, for data sets of single-face
    /// images: the centred square of the longer side, edge pixels repeated
    /// to fill it, as training prepares such images.
    pub fn whole_face(&mut self, image: &PreparedImage) -> Result<FaceCrop, PipelineError> {
        let window = CropWindow::centred_square(image.stretched.width(), image.stretched.height());
        self.cut(image, window)
    }

    fn cut(
        &mut self,
        image: &PreparedImage,
        window: CropWindow,
    ) -> Result<FaceCrop, PipelineError> {
        let side = self.models.manifest.preprocessing.face_size;
        let pixels = self.resizer.resize(
            &window.extract(&image.stretched),
            (side, side),
            Filter::Bicubic,
        )?;
        Ok(FaceCrop {
            pixels,
            source_side: window.side,
        })
    }

    /// Super-resolves the small crops and classifies all of them, in batches.
    pub fn classify(
        &mut self,
        crops: &[FaceCrop],
    ) -> Result<Vec<FaceClassification>, PipelineError> {
        let limit = self.models.manifest.preprocessing.super_resolution_max_side;
        let mut results = Vec::with_capacity(crops.len());
        for batch in crops.chunks(self.config.batch_size.max(1)) {
            self.classifier.begin_batch(batch.len());
            let mut small = Vec::new();
            for (i, crop) in batch.iter().enumerate() {
                if crop.source_side <= limit {
                    small.push(i);
                } else {
                    self.classifier.set_pixels(i, crop.pixels.as_raw());
                }
            }
            let small_pixels: Vec<&[u8]> = small
                .iter()
                .map(|&i| batch[i].pixels.as_raw().as_slice())
                .collect();
            let classifier = &mut self.classifier;
            self.super_resolver.restore(&small_pixels, |k, planes| {
                classifier.set_planes(small[k], planes);
                Ok(())
            })?;
            let probabilities = self.classifier.run_batch()?;
            results.extend(
                batch
                    .iter()
                    .zip(probabilities)
                    .map(|(crop, probabilities)| FaceClassification {
                        probabilities,
                        super_resolved: crop.source_side <= limit,
                    }),
            );
        }
        Ok(results)
    }

    /// Detects and classifies every face of several photos; the faces of all
    /// photos share super-resolution and classifier batches.
    pub fn audit(
        &mut self,
        images: &[PreparedImage],
    ) -> Result<Vec<Vec<FaceFinding>>, PipelineError> {
        let mut detections = Vec::with_capacity(images.len());
        let mut crops = Vec::new();
        for image in images {
            let faces = self.detect(image)?;
            for face in &faces {
                crops.push(self.crop(image, &face.bbox)?);
            }
            detections.push(faces);
        }
        let mut classifications = self.classify(&crops)?.into_iter();
        Ok(detections
            .into_iter()
            .map(|faces| {
                faces
                    .into_iter()
                    .zip(classifications.by_ref())
                    .map(|(face, class)| FaceFinding {
                        bbox: face.bbox,
                        detection_score: face.score,
                        landmarks: Some(face.landmarks),
                        condition: class.probabilities.most_likely(),
                        probabilities: class.probabilities,
                        super_resolved: class.super_resolved,
                    })
                    .collect()
            })
            .collect())
    }
}
