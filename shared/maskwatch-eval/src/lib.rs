//! Measuring the pipeline against labelled data.
//!
//! Ground truth comes as Pascal VOC annotations ([`voc`]) or as folders of
//! single-face images named by class ([`folders`]). Classification is scored
//! with a confusion matrix ([`ConfusionMatrix`]), detection by matching boxes
//! at an IoU threshold ([`DetectionTally`]). [`report`] holds the JSON that
//! scripts read.

pub mod folders;
pub mod report;
pub mod voc;

mod confusion;
mod detection;

pub use confusion::ConfusionMatrix;
pub use detection::{DetectionTally, WidthBand, match_detections};
