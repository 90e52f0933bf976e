//! Detector settings.

use serde::{Deserialize, Serialize};

/// How hard MTCNN looks for faces.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DetectorConfig {
    /// Smallest face side to find, in source pixels. Under 12 the photo is
    /// upscaled, which finds the tiny faces of crowd photos at a cost.
    pub min_face: f32,
    /// Ratio between pyramid levels.
    pub scale_factor: f32,
    /// Face-probability thresholds of P-Net, R-Net and O-Net.
    pub thresholds: [f32; 3],
}

impl Default for DetectorConfig {
    /// The reference defaults except the minimum face, lowered from 20 to
    /// 12 px because archive faces are often 10-30 px wide.
    fn default() -> Self {
        Self {
            min_face: 12.0,
            scale_factor: 0.709,
            thresholds: [0.6, 0.7, 0.7],
        }
    }
}
