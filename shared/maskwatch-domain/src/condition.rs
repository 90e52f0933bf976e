use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// How a face wears a mask: the three classes of the SRCNet study.
///
/// The declaration order is the order of the classifier's outputs and of
/// every confusion matrix the project prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// No mask at all.
    NoMask,
    /// A mask that leaves the nose or mouth uncovered.
    Incorrect,
    /// A mask covering nose and mouth.
    Correct,
}

impl Condition {
    /// All conditions in classifier output order.
    pub const ALL: [Condition; 3] = [Condition::NoMask, Condition::Incorrect, Condition::Correct];

    /// Position of this condition in the classifier's output vector.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The condition at a classifier output position.
    pub fn from_index(index: usize) -> Option<Condition> {
        Self::ALL.get(index).copied()
    }

    /// The stable machine name used in JSON, SQL and file names.
    pub fn as_str(self) -> &'static str {
        match self {
            Condition::NoMask => "no_mask",
            Condition::Incorrect => "incorrect",
            Condition::Correct => "correct",
        }
    }

    /// Whether the face wears a mask in any way (the study's "facemask-wearing").
    pub fn wears_mask(self) -> bool {
        self != Condition::NoMask
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A label that names none of the three conditions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownCondition(pub String);

impl fmt::Display for UnknownCondition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown mask condition {:?}: expected no_mask/without_mask, incorrect/mask_weared_incorrect or correct/with_mask",
            self.0
        )
    }
}

impl std::error::Error for UnknownCondition {}

impl FromStr for Condition {
    type Err = UnknownCondition;

    /// Accepts the project's own names and the Pascal VOC class names used by
    /// the public face-mask data sets, so that annotations and class folders
    /// in either naming can be read.
    fn from_str(label: &str) -> Result<Self, Self::Err> {
        match label.trim().to_ascii_lowercase().as_str() {
            "no_mask" | "without_mask" => Ok(Condition::NoMask),
            "incorrect" | "mask_weared_incorrect" | "mask_worn_incorrectly" => {
                Ok(Condition::Incorrect)
            }
            "correct" | "with_mask" => Ok(Condition::Correct),
            _ => Err(UnknownCondition(label.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_round_trips_in_output_order() {
        for (i, condition) in Condition::ALL.iter().enumerate() {
            assert_eq!(condition.index(), i);
            assert_eq!(Condition::from_index(i), Some(*condition));
        }
        assert_eq!(Condition::from_index(3), None);
    }

    #[test]
    fn parses_both_namings() {
        assert_eq!("without_mask".parse(), Ok(Condition::NoMask));
        assert_eq!("mask_weared_incorrect".parse(), Ok(Condition::Incorrect));
        assert_eq!("With_Mask".parse(), Ok(Condition::Correct));
        assert_eq!("correct".parse(), Ok(Condition::Correct));
        assert!("mask".parse::<Condition>().is_err());
    }

    #[test]
    fn serialises_as_snake_case() {
        assert_eq!(
            serde_json::to_string(&Condition::NoMask).unwrap(),
            "\"no_mask\""
        );
    }
}
