use maskwatch_domain::{BoundingBox, Condition};

/// Face widths that detectors handle very differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WidthBand {
    Under16,
    From16To31,
    From32,
}

impl WidthBand {
    pub const ALL: [WidthBand; 3] = [WidthBand::Under16, WidthBand::From16To31, WidthBand::From32];

    pub fn of(bbox: &BoundingBox) -> WidthBand {
        match bbox.width() {
            w if w < 16.0 => WidthBand::Under16,
            w if w < 32.0 => WidthBand::From16To31,
            _ => WidthBand::From32,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            WidthBand::Under16 => "under_16",
            WidthBand::From16To31 => "16_to_31",
            WidthBand::From32 => "32_and_up",
        }
    }
}

/// Which ground-truth faces were found and how many detections were wrong.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DetectionTally {
    /// `[found, total]` ground-truth faces per condition.
    pub by_class: [[u64; 2]; 3],
    /// `[found, total]` ground-truth faces per [`WidthBand`].
    pub by_width: [[u64; 2]; 3],
    /// Detections that matched no ground-truth face.
    pub false_positives: u64,
}

impl DetectionTally {
    fn ratio(found: u64, total: u64) -> f64 {
        if total == 0 {
            0.0
        } else {
            found as f64 / total as f64
        }
    }

    pub fn found(&self) -> u64 {
        self.by_class.iter().map(|c| c[0]).sum()
    }

    pub fn ground_truth(&self) -> u64 {
        self.by_class.iter().map(|c| c[1]).sum()
    }

    pub fn recall(&self) -> f64 {
        Self::ratio(self.found(), self.ground_truth())
    }

    pub fn precision(&self) -> f64 {
        Self::ratio(self.found(), self.found() + self.false_positives)
    }

    pub fn recall_of(&self, condition: Condition) -> f64 {
        let [found, total] = self.by_class[condition.index()];
        Self::ratio(found, total)
    }

    pub fn recall_in(&self, band: WidthBand) -> f64 {
        let [found, total] = self.by_width[band as usize];
        Self::ratio(found, total)
    }

    pub fn merge(&mut self, other: &DetectionTally) {
        for i in 0..3 {
            for j in 0..2 {
                self.by_class[i][j] += other.by_class[i][j];
                self.by_width[i][j] += other.by_width[i][j];
            }
        }
        self.false_positives += other.false_positives;
    }
}

/// Matches one image's detections to its ground truth, PASCAL style:
/// detections in descending score each take the unmatched ground-truth face
/// they overlap most, if that overlap reaches `min_iou`.
///
/// Returns the tally and, for each ground-truth face, the index of the
/// detection that found it.
pub fn match_detections(
    truth: &[(Condition, BoundingBox)],
    detections: &[(f32, BoundingBox)],
    min_iou: f32,
) -> (DetectionTally, Vec<Option<usize>>) {
    let mut order: Vec<usize> = (0..detections.len()).collect();
    order.sort_by(|&a, &b| detections[b].0.total_cmp(&detections[a].0));
    let mut matched: Vec<Option<usize>> = vec![None; truth.len()];
    let mut tally = DetectionTally::default();
    for d in order {
        let best = truth
            .iter()
            .enumerate()
            .filter(|(t, _)| matched[*t].is_none())
            .map(|(t, (_, bbox))| (t, bbox.iou(&detections[d].1)))
            .filter(|&(_, iou)| iou >= min_iou)
            .max_by(|a, b| a.1.total_cmp(&b.1));
        match best {
            Some((t, _)) => matched[t] = Some(d),
            None => tally.false_positives += 1,
        }
    }
    for ((condition, bbox), found) in truth.iter().zip(&matched) {
        let hit = u64::from(found.is_some());
        tally.by_class[condition.index()][0] += hit;
        tally.by_class[condition.index()][1] += 1;
        let band = WidthBand::of(bbox) as usize;
        tally.by_width[band][0] += hit;
        tally.by_width[band][1] += 1;
    }
    (tally, matched)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Condition::*;

    fn b(x: f32, y: f32, w: f32) -> BoundingBox {
        BoundingBox::new(x, y, x + w, y + w)
    }

    #[test]
    fn matches_by_hand() {
        let truth = [
            (NoMask, b(0.0, 0.0, 10.0)),
            (Correct, b(100.0, 100.0, 40.0)),
            (Incorrect, b(200.0, 0.0, 20.0)),
        ];
        let detections = [
            (0.9, b(1.0, 0.0, 10.0)),     // IoU 90/110 with the first
            (0.8, b(100.0, 100.0, 40.0)), // exact second
            (0.95, b(400.0, 0.0, 20.0)),  // nothing there
            (0.7, b(2.0, 0.0, 10.0)),     // the first is taken already
        ];
        let (tally, matched) = match_detections(&truth, &detections, 0.5);
        assert_eq!(matched, vec![Some(0), Some(1), None]);
        assert_eq!(tally.false_positives, 2);
        assert_eq!(tally.found(), 2);
        assert!((tally.recall() - 2.0 / 3.0).abs() < 1e-12);
        assert!((tally.precision() - 0.5).abs() < 1e-12);
        assert_eq!(tally.recall_of(Incorrect), 0.0);
        assert_eq!(tally.recall_of(Correct), 1.0);
        assert_eq!(tally.by_width, [[1, 1], [0, 1], [1, 1]]);
    }

    #[test]
    fn higher_scores_choose_first() {
        let truth = [(Correct, b(0.0, 0.0, 10.0))];
        let detections = [(0.6, b(0.0, 0.0, 10.0)), (0.9, b(1.0, 1.0, 10.0))];
        let (tally, matched) = match_detections(&truth, &detections, 0.5);
        assert_eq!(matched, vec![Some(1)]);
        assert_eq!(tally.false_positives, 1);
    }

    #[test]
    fn overlap_below_threshold_is_a_miss() {
        let truth = [(Correct, b(0.0, 0.0, 10.0))];
        let (tally, _) = match_detections(&truth, &[(0.9, b(5.0, 5.0, 10.0))], 0.5);
        assert_eq!((tally.found(), tally.false_positives), (0, 1));
    }

    #[test]
    fn width_bands() {
        assert_eq!(WidthBand::of(&b(0.0, 0.0, 15.9)), WidthBand::Under16);
        assert_eq!(WidthBand::of(&b(0.0, 0.0, 16.0)), WidthBand::From16To31);
        assert_eq!(WidthBand::of(&b(0.0, 0.0, 32.0)), WidthBand::From32);
    }
}
