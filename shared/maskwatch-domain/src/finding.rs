use serde::{Deserialize, Serialize};

use crate::{BoundingBox, ClassProbabilities, Condition, Landmarks};

/// Everything the pipeline concluded about one face.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaceFinding {
    /// The detector's box in source image pixels.
    #[serde(rename = "box")]
    pub bbox: BoundingBox,
    /// The detector's confidence that this is a face.
    pub detection_score: f32,
    /// Present when the detector predicts landmarks.
    pub landmarks: Option<Landmarks>,
    pub condition: Condition,
    pub probabilities: ClassProbabilities,
    /// Whether the crop was small enough to go through super-resolution.
    pub super_resolved: bool,
}
