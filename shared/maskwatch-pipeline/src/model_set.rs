//! The model set: the ONNX files a pipeline runs and the manifest that
//! describes them.
//!
//! `models/manifest.json` names every file with its sha256, its tensor
//! interface and its input normalisation, plus the pre-processing the
//! models were trained with. It is checked when the pipeline starts, and
//! its version is stamped on every result.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::PipelineError;
use crate::mtcnn::DetectorConfig;
use crate::precision::Precision;

/// The manifest's file name inside a model directory.
pub const MANIFEST_FILE: &str = "manifest.json";

/// What a model does in the pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelRole {
    /// MTCNN proposal network, fully convolutional over a pyramid level.
    Pnet,
    /// MTCNN refinement network on 24x24 candidates.
    Rnet,
    /// MTCNN output network on 48x48 candidates, with landmarks.
    Onet,
    SuperResolution,
    Classifier,
}

impl ModelRole {
    /// Every role; a model set has one model for each.
    pub const ALL: [ModelRole; 5] = [
        ModelRole::Pnet,
        ModelRole::Rnet,
        ModelRole::Onet,
        ModelRole::SuperResolution,
        ModelRole::Classifier,
    ];

    /// The role's key in the manifest.
    pub fn name(self) -> &'static str {
        match self {
            ModelRole::Pnet => "pnet",
            ModelRole::Rnet => "rnet",
            ModelRole::Onet => "onet",
            ModelRole::SuperResolution => "super_resolution",
            ModelRole::Classifier => "classifier",
        }
    }
}

/// One named tensor and its shape; strings stand for dynamic axes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TensorSpec {
    pub name: String,
    pub shape: Vec<serde_json::Value>,
}

/// `normalised = (pixel / input_scale - mean[c]) / std[c]` for a pixel in 0..=255.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Normalisation {
    pub input_scale: f32,
    pub mean: [f32; 3],
    pub std: [f32; 3],
}

impl Normalisation {
    /// Per-channel `(multiplier, offset)` so that `normalised = pixel * m + o`.
    pub fn affine(&self) -> [(f32, f32); 3] {
        std::array::from_fn(|c| {
            let m = 1.0 / (self.input_scale * self.std[c]);
            (m, -self.mean[c] / self.std[c])
        })
    }
}

/// A model file and its interface.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelEntry {
    pub file: PathBuf,
    pub sha256: String,
    /// Where the weights come from (a package and version, or `training/`).
    pub source: String,
    pub inputs: Vec<TensorSpec>,
    pub outputs: Vec<TensorSpec>,
    /// Axis order of the image input, e.g. `NCHW`, or `NWHC` for MTCNN,
    /// whose networks were trained on transposed images.
    pub layout: String,
    pub normalisation: Normalisation,
    /// An int8 copy of the same model for the CPU, with the same tensor
    /// interface.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub int8: Option<QuantizedFile>,
}

/// A quantized copy of a model file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuantizedFile {
    pub file: PathBuf,
    pub sha256: String,
    /// How it was made from the float32 file.
    pub method: String,
}

/// The pre-processing the classifier was trained with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Preprocessing {
    /// Share of values saturated at each end of each channel.
    pub contrast_saturated_fraction: f64,
    /// Crop side over the box's longer side (see `crop`).
    pub crop_scale: f32,
    /// Side of the square face image the SR network and classifier take.
    pub face_size: u32,
    /// Crops no larger than this (in source pixels) are super-resolved.
    pub super_resolution_max_side: u32,
}

/// Which detector the set carries, what it gives, and the settings it was
/// tuned with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DetectorInfo {
    pub kind: String,
    pub landmarks: bool,
    pub settings: DetectorConfig,
}

/// The manifest as stored on disk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub name: String,
    pub version: String,
    pub detector: DetectorInfo,
    pub preprocessing: Preprocessing,
    pub models: BTreeMap<ModelRole, ModelEntry>,
}

/// A verified model set: every file present with the recorded checksum.
#[derive(Debug, Clone)]
pub struct ModelSet {
    pub directory: PathBuf,
    pub manifest: Manifest,
}

impl ModelSet {
    /// Reads `manifest.json` from `directory` and checks every file.
    pub fn load(directory: &Path) -> Result<Self, PipelineError> {
        let path = directory.join(MANIFEST_FILE);
        let manifest_error = |reason: String| PipelineError::Manifest {
            path: path.clone(),
            reason,
        };
        let text = fs::read_to_string(&path).map_err(|e| manifest_error(e.to_string()))?;
        let manifest: Manifest =
            serde_json::from_str(&text).map_err(|e| manifest_error(e.to_string()))?;
        for role in ModelRole::ALL {
            if !manifest.models.contains_key(&role) {
                return Err(manifest_error(format!("no entry for the {role:?} model")));
            }
        }
        let set = ModelSet {
            directory: directory.to_path_buf(),
            manifest,
        };
        for entry in set.manifest.models.values() {
            verify_checksum(&set.directory.join(&entry.file), &entry.sha256)?;
            if let Some(int8) = &entry.int8 {
                verify_checksum(&set.directory.join(&int8.file), &int8.sha256)?;
            }
        }
        Ok(set)
    }

    pub fn version(&self) -> &str {
        &self.manifest.version
    }

    pub fn entry(&self, role: ModelRole) -> &ModelEntry {
        // Presence of every role is checked in `load`.
        &self.manifest.models[&role]
    }

    /// The file of a model in the given precision; [`Precision::Int8`]
    /// falls back to the float32 file where the set has no int8 copy.
    pub fn path(&self, role: ModelRole, precision: Precision) -> PathBuf {
        let entry = self.entry(role);
        let file = match (&entry.int8, precision) {
            (Some(int8), Precision::Int8) => &int8.file,
            _ => &entry.file,
        };
        self.directory.join(file)
    }
}

/// The sha256 of a file as lower-case hex.
pub fn sha256_hex(path: &Path) -> Result<String, PipelineError> {
    let bytes = fs::read(path).map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => PipelineError::ModelFileMissing {
            path: path.to_path_buf(),
        },
        _ => PipelineError::Io {
            path: path.to_path_buf(),
            source,
        },
    })?;
    Ok(sha256_hex_of(&bytes))
}

/// The sha256 of some bytes as lower-case hex.
pub fn sha256_hex_of(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn verify_checksum(path: &Path, expected: &str) -> Result<(), PipelineError> {
    let actual = sha256_hex(path)?;
    if !actual.eq_ignore_ascii_case(expected) {
        return Err(PipelineError::ModelChecksum {
            path: path.to_path_buf(),
            expected: expected.to_owned(),
            actual,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn affine_matches_the_formula() {
        let n = Normalisation {
            input_scale: 255.0,
            mean: [0.485, 0.456, 0.406],
            std: [0.229, 0.224, 0.225],
        };
        let [(m, o), _, _] = n.affine();
        let pixel = 200.0f32;
        assert!((pixel * m + o - (200.0 / 255.0 - 0.485) / 0.229).abs() < 1e-5);
    }

    #[test]
    fn role_names_are_the_manifest_keys() {
        for role in ModelRole::ALL {
            assert_eq!(serde_json::to_value(role).unwrap(), role.name());
        }
    }

    #[test]
    fn mtcnn_normalisation_is_centred_at_127_5() {
        let n = Normalisation {
            input_scale: 1.0,
            mean: [127.5; 3],
            std: [128.0; 3],
        };
        let [(m, o), _, _] = n.affine();
        assert!((127.5 * m + o).abs() < 1e-6);
        assert!((255.0 * m + o - 0.99609375).abs() < 1e-6);
    }

    #[test]
    fn checksum_mismatch_is_reported() {
        let dir = std::env::temp_dir().join(format!("maskwatch-checksum-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let file = dir.join("model.onnx");
        fs::write(&file, b"abc").unwrap();
        // sha256("abc")
        let good = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert!(verify_checksum(&file, good).is_ok());
        let err = verify_checksum(&file, &"0".repeat(64)).unwrap_err();
        assert!(matches!(err, PipelineError::ModelChecksum { .. }), "{err}");
        let err = verify_checksum(&dir.join("absent.onnx"), good).unwrap_err();
        assert!(
            matches!(err, PipelineError::ModelFileMissing { .. }),
            "{err}"
        );
        fs::remove_dir_all(dir).unwrap();
    }
}
