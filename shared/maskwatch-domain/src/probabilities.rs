use serde::{Deserialize, Serialize};

use crate::Condition;

/// The classifier's softmax output for one face.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClassProbabilities {
    pub no_mask: f32,
    pub incorrect: f32,
    pub correct: f32,
}

impl ClassProbabilities {
    /// Builds from a slice in classifier output order.
    ///
    /// # Panics
    /// When `values` does not hold exactly three numbers: the model set is
    /// verified at load time, so a wrong length is a programming error.
    pub fn from_slice(values: &[f32]) -> Self {
        let [no_mask, incorrect, correct] = values.try_into().expect("three class probabilities");
        Self {
            no_mask,
            incorrect,
            correct,
        }
    }

    pub fn get(&self, condition: Condition) -> f32 {
        match condition {
            Condition::NoMask => self.no_mask,
            Condition::Incorrect => self.incorrect,
            Condition::Correct => self.correct,
        }
    }

    /// The most probable condition; ties go to the earlier class.
    pub fn most_likely(&self) -> Condition {
        Condition::ALL
            .into_iter()
            .fold(Condition::NoMask, |best, c| {
                if self.get(c) > self.get(best) {
                    c
                } else {
                    best
                }
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn most_likely_picks_the_maximum() {
        let p = ClassProbabilities::from_slice(&[0.1, 0.7, 0.2]);
        assert_eq!(p.most_likely(), Condition::Incorrect);
        assert_eq!(
            ClassProbabilities::from_slice(&[0.2, 0.2, 0.6]).most_likely(),
            Condition::Correct
        );
    }
}
