use maskwatch_domain::Condition;

/// Counts of (true condition, predicted condition) pairs; rows are the
/// truth, columns the prediction, both in [`Condition::ALL`] order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfusionMatrix {
    pub counts: [[u64; 3]; 3],
}

impl ConfusionMatrix {
    pub fn add(&mut self, truth: Condition, predicted: Condition) {
        self.counts[truth.index()][predicted.index()] += 1;
    }

    pub fn total(&self) -> u64 {
        self.counts.iter().flatten().sum()
    }

    fn correct(&self) -> u64 {
        (0..3).map(|i| self.counts[i][i]).sum()
    }

    fn ratio(numerator: u64, denominator: u64) -> f64 {
        if denominator == 0 {
            0.0
        } else {
            numerator as f64 / denominator as f64
        }
    }

    /// Share of faces whose condition was predicted exactly.
    pub fn accuracy(&self) -> f64 {
        Self::ratio(self.correct(), self.total())
    }

    /// Share of faces of `condition` that were predicted as such.
    pub fn recall(&self, condition: Condition) -> f64 {
        let row = &self.counts[condition.index()];
        Self::ratio(row[condition.index()], row.iter().sum())
    }

    /// Cohen's kappa: agreement beyond what the class frequencies alone give.
    pub fn kappa(&self) -> f64 {
        let total = self.total() as f64;
        if total == 0.0 {
            return 0.0;
        }
        let observed = self.correct() as f64 / total;
        let expected: f64 = (0..3)
            .map(|i| {
                let truth: u64 = self.counts[i].iter().sum();
                let predicted: u64 = (0..3).map(|r| self.counts[r][i]).sum();
                truth as f64 * predicted as f64
            })
            .sum::<f64>()
            / (total * total);
        if expected >= 1.0 {
            1.0
        } else {
            (observed - expected) / (1.0 - expected)
        }
    }

    /// Accuracy of the yes/no question `question` asks of each condition.
    fn binary_accuracy(&self, question: impl Fn(Condition) -> bool) -> f64 {
        let mut agree = 0;
        for truth in Condition::ALL {
            for predicted in Condition::ALL {
                if question(truth) == question(predicted) {
                    agree += self.counts[truth.index()][predicted.index()];
                }
            }
        }
        Self::ratio(agree, self.total())
    }

    /// The study's facemask-wearing accuracy: any mask versus none.
    pub fn mask_wearing_accuracy(&self) -> f64 {
        self.binary_accuracy(Condition::wears_mask)
    }

    /// The study's personal-protection accuracy: worn correctly versus the rest.
    pub fn personal_protection_accuracy(&self) -> f64 {
        self.binary_accuracy(|c| c == Condition::Correct)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Condition::*;

    fn matrix(counts: [[u64; 3]; 3]) -> ConfusionMatrix {
        ConfusionMatrix { counts }
    }

    #[test]
    fn accuracy_and_recall_by_hand() {
        let m = matrix([[8, 1, 1], [1, 3, 1], [0, 2, 18]]);
        assert_eq!(m.total(), 35);
        assert!((m.accuracy() - 29.0 / 35.0).abs() < 1e-12);
        assert!((m.recall(NoMask) - 0.8).abs() < 1e-12);
        assert!((m.recall(Incorrect) - 0.6).abs() < 1e-12);
        assert!((m.recall(Correct) - 0.9).abs() < 1e-12);
    }

    #[test]
    fn kappa_by_hand() {
        // Two classes used: [[20, 5], [10, 15]] -> po = 0.7,
        // pe = (25 * 30 + 25 * 20) / 50^2 = 0.5, kappa = 0.4.
        let m = matrix([[20, 0, 5], [0, 0, 0], [10, 0, 15]]);
        assert!((m.kappa() - 0.4).abs() < 1e-12);
    }

    #[test]
    fn perfect_agreement_has_kappa_one() {
        let m = matrix([[5, 0, 0], [0, 2, 0], [0, 0, 9]]);
        assert!((m.kappa() - 1.0).abs() < 1e-12);
        assert_eq!(m.accuracy(), 1.0);
    }

    #[test]
    fn binary_accuracies_by_hand() {
        // Confusing incorrect with correct still wears a mask; confusing
        // no_mask with incorrect does not protect either way.
        let m = matrix([[8, 2, 0], [0, 3, 2], [1, 0, 4]]);
        // Mask wearing: wrong only where no_mask <-> a mask: 2 + 0 + 1 = 3 of 20.
        assert!((m.mask_wearing_accuracy() - 17.0 / 20.0).abs() < 1e-12);
        // Protection: wrong where correct <-> not correct: 0 + 2 + 1 = 3 of 20.
        assert!((m.personal_protection_accuracy() - 17.0 / 20.0).abs() < 1e-12);
    }

    #[test]
    fn empty_matrix_gives_zeroes_not_nan() {
        let m = ConfusionMatrix::default();
        assert_eq!(m.accuracy(), 0.0);
        assert_eq!(m.kappa(), 0.0);
        assert_eq!(m.recall(Correct), 0.0);
    }
}
