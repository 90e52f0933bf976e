//! The evaluation report: a stable JSON interface that scripts read.
//!
//! Keys never change meaning; new keys may be added.

use std::collections::BTreeMap;

use maskwatch_domain::Condition;
use serde::Serialize;

use crate::{ConfusionMatrix, DetectionTally, WidthBand};

#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    /// Ground-truth faces scored.
    pub faces: u64,
    pub images: u64,
    pub model_set: String,
    pub classification: ClassificationReport,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detection: Option<DetectionReport>,
    /// Images that could not be read, with the reason.
    pub unreadable: Vec<Unreadable>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Unreadable {
    pub path: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClassificationReport {
    pub accuracy: f64,
    pub kappa: f64,
    /// Any mask versus none.
    pub mask_wearing_accuracy: f64,
    /// Worn correctly versus the rest.
    pub personal_protection_accuracy: f64,
    pub recall: BTreeMap<&'static str, f64>,
    /// Rows are the truth, columns the prediction, in the order no_mask, incorrect, correct.
    pub confusion: [[u64; 3]; 3],
    /// Accuracy by the width of the ground-truth box.
    pub accuracy_by_width: BTreeMap<&'static str, f64>,
    /// Faces whose crop went through super-resolution.
    pub super_resolved: u64,
}

impl ClassificationReport {
    pub fn new(
        matrix: &ConfusionMatrix,
        by_width: &[ConfusionMatrix; 3],
        super_resolved: u64,
    ) -> Self {
        Self {
            accuracy: matrix.accuracy(),
            kappa: matrix.kappa(),
            mask_wearing_accuracy: matrix.mask_wearing_accuracy(),
            personal_protection_accuracy: matrix.personal_protection_accuracy(),
            recall: Condition::ALL
                .iter()
                .map(|&c| (c.as_str(), matrix.recall(c)))
                .collect(),
            confusion: matrix.counts,
            accuracy_by_width: WidthBand::ALL
                .iter()
                .map(|&b| (b.as_str(), by_width[b as usize].accuracy()))
                .collect(),
            super_resolved,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct DetectionReport {
    pub iou_threshold: f32,
    pub recall: f64,
    pub precision: f64,
    pub recall_by_class: BTreeMap<&'static str, f64>,
    pub recall_by_width: BTreeMap<&'static str, f64>,
    /// Ground-truth faces per width band, so the recalls can be weighed.
    pub faces_by_width: BTreeMap<&'static str, u64>,
    pub detections: u64,
    pub false_positives: u64,
    pub images_per_second: f64,
}

impl DetectionReport {
    pub fn new(tally: &DetectionTally, iou_threshold: f32, images_per_second: f64) -> Self {
        Self {
            iou_threshold,
            recall: tally.recall(),
            precision: tally.precision(),
            recall_by_class: Condition::ALL
                .iter()
                .map(|&c| (c.as_str(), tally.recall_of(c)))
                .collect(),
            recall_by_width: WidthBand::ALL
                .iter()
                .map(|&b| (b.as_str(), tally.recall_in(b)))
                .collect(),
            faces_by_width: WidthBand::ALL
                .iter()
                .map(|&b| (b.as_str(), tally.by_width[b as usize][1]))
                .collect(),
            detections: tally.found() + tally.false_positives,
            false_positives: tally.false_positives,
            images_per_second,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_has_the_documented_keys() {
        let mut matrix = ConfusionMatrix::default();
        matrix.add(Condition::Correct, Condition::Correct);
        let report = EvalReport {
            faces: 1,
            images: 1,
            model_set: "test".into(),
            classification: ClassificationReport::new(&matrix, &Default::default(), 0),
            detection: Some(DetectionReport::new(&DetectionTally::default(), 0.5, 1.0)),
            unreadable: vec![],
        };
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["faces"], 1);
        for key in ["accuracy", "kappa", "recall", "confusion"] {
            assert!(json["classification"].get(key).is_some(), "{key}");
        }
        for class in ["no_mask", "incorrect", "correct"] {
            assert!(json["classification"]["recall"].get(class).is_some());
            assert!(json["detection"]["recall_by_class"].get(class).is_some());
        }
        assert_eq!(json["classification"]["confusion"][2][2], 1);
        assert!(
            json["detection"].get("recall").is_some()
                && json["detection"].get("precision").is_some()
        );
    }
}
