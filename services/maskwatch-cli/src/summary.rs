//! The totals an audit prints at the end.

use std::fmt;
use std::path::PathBuf;

use maskwatch_domain::{Condition, FaceFinding};
use serde::Serialize;

/// Running totals of an audit.
#[derive(Debug, Default, Serialize)]
pub struct AuditSummary {
    pub images: u64,
    pub faces: u64,
    pub faces_by_condition: [u64; 3],
    pub super_resolved: u64,
    pub unreadable: Vec<(PathBuf, String)>,
}

impl AuditSummary {
    pub fn add_image(&mut self, faces: &[FaceFinding]) {
        self.images += 1;
        for face in faces {
            self.faces += 1;
            self.faces_by_condition[face.condition.index()] += 1;
            self.super_resolved += u64::from(face.super_resolved);
        }
    }

    pub fn add_unreadable(&mut self, path: PathBuf, reason: String) {
        self.unreadable.push((path, reason));
    }

    fn share(&self, count: u64) -> f64 {
        if self.faces == 0 {
            0.0
        } else {
            100.0 * count as f64 / self.faces as f64
        }
    }

    /// Faces wearing a mask correctly over all faces, in percent.
    pub fn compliance_rate(&self) -> f64 {
        self.share(self.faces_by_condition[Condition::Correct.index()])
    }

    /// Faces wearing any mask over all faces, in percent.
    pub fn mask_wearing_rate(&self) -> f64 {
        self.share(self.faces - self.faces_by_condition[Condition::NoMask.index()])
    }
}

impl fmt::Display for AuditSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{:<22}{:>8}", "images audited", self.images)?;
        writeln!(f, "{:<22}{:>8}", "images unreadable", self.unreadable.len())?;
        writeln!(f, "{:<22}{:>8}", "faces", self.faces)?;
        for condition in Condition::ALL {
            let count = self.faces_by_condition[condition.index()];
            writeln!(
                f,
                "  {:<20}{:>8}  {:>5.1}%",
                condition.as_str(),
                count,
                self.share(count)
            )?;
        }
        writeln!(
            f,
            "{:<22}{:>8}",
            "super-resolved faces", self.super_resolved
        )?;
        writeln!(
            f,
            "{:<22}{:>7.1}%  (correct / all faces)",
            "compliance rate",
            self.compliance_rate()
        )?;
        writeln!(
            f,
            "{:<22}{:>7.1}%  (any mask / all faces)",
            "mask-wearing rate",
            self.mask_wearing_rate()
        )?;
        for (path, reason) in &self.unreadable {
            writeln!(f, "unreadable: {}: {reason}", path.display())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use maskwatch_domain::{BoundingBox, ClassProbabilities};

    fn face(condition: Condition) -> FaceFinding {
        FaceFinding {
            bbox: BoundingBox::new(0.0, 0.0, 1.0, 1.0),
            detection_score: 1.0,
            landmarks: None,
            condition,
            probabilities: ClassProbabilities::from_slice(&[0.0, 0.0, 1.0]),
            super_resolved: true,
        }
    }

    #[test]
    fn rates_by_hand() {
        let mut summary = AuditSummary::default();
        summary.add_image(&[
            face(Condition::Correct),
            face(Condition::Correct),
            face(Condition::NoMask),
        ]);
        summary.add_image(&[face(Condition::Incorrect)]);
        summary.add_image(&[]);
        summary.add_unreadable("bad.jpg".into(), "empty file".into());
        assert_eq!((summary.images, summary.faces), (3, 4));
        assert_eq!(summary.compliance_rate(), 50.0);
        assert_eq!(summary.mask_wearing_rate(), 75.0);
        let table = summary.to_string();
        assert!(
            table.contains("compliance rate") && table.contains("50.0%"),
            "{table}"
        );
        assert!(table.contains("unreadable: bad.jpg: empty file"), "{table}");
    }

    #[test]
    fn no_faces_gives_zero_rates() {
        assert_eq!(AuditSummary::default().compliance_rate(), 0.0);
    }
}
