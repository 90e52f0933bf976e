//! Greedy non-maximum suppression over candidate windows.

use super::candidate::Candidate;

/// How overlap is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overlap {
    /// Intersection over union.
    Union,
    /// Intersection over the smaller area: suppresses a box nested inside a
    /// better one, which the last stage uses to drop face parts.
    Min,
}

/// Indices of the windows to keep, best score first: repeatedly keeps the
/// highest-scoring window and drops every other whose overlap with it is
/// above `threshold`. Areas use the inclusive `+1` convention.
pub fn non_maximum_suppression(
    candidates: &[Candidate],
    threshold: f32,
    overlap: Overlap,
) -> Vec<usize> {
    let mut order: Vec<usize> = (0..candidates.len()).collect();
    order.sort_by(|&a, &b| candidates[b].score.total_cmp(&candidates[a].score));
    let mut suppressed = vec![false; candidates.len()];
    let mut keep = Vec::new();
    for (rank, &i) in order.iter().enumerate() {
        if suppressed[i] {
            continue;
        }
        keep.push(i);
        let best = &candidates[i];
        for &j in &order[rank + 1..] {
            if suppressed[j] {
                continue;
            }
            let other = &candidates[j];
            let w = (best.x2.min(other.x2) - best.x1.max(other.x1) + 1.0).max(0.0);
            let h = (best.y2.min(other.y2) - best.y1.max(other.y1) + 1.0).max(0.0);
            let intersection = w * h;
            let ratio = match overlap {
                Overlap::Union => {
                    intersection / (best.inclusive_area() + other.inclusive_area() - intersection)
                }
                Overlap::Min => intersection / best.inclusive_area().min(other.inclusive_area()),
            };
            if ratio > threshold {
                suppressed[j] = true;
            }
        }
    }
    keep
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scored(x1: f32, y1: f32, x2: f32, y2: f32, score: f32) -> Candidate {
        Candidate::new(x1, y1, x2, y2, score)
    }

    #[test]
    fn keeps_the_best_of_overlapping_windows() {
        let boxes = [
            scored(0.0, 0.0, 9.0, 9.0, 0.8),
            scored(1.0, 1.0, 10.0, 10.0, 0.9), // overlaps the first: 81 / (100 + 100 - 81) = 0.68
            scored(50.0, 50.0, 59.0, 59.0, 0.7),
        ];
        assert_eq!(
            non_maximum_suppression(&boxes, 0.5, Overlap::Union),
            vec![1, 2]
        );
        // 0.68 is not above 0.7, so both stay.
        assert_eq!(
            non_maximum_suppression(&boxes, 0.7, Overlap::Union),
            vec![1, 0, 2]
        );
    }

    #[test]
    fn min_overlap_drops_nested_windows() {
        let outer = scored(0.0, 0.0, 19.0, 19.0, 0.9);
        let inner = scored(5.0, 5.0, 9.0, 9.0, 0.8); // IoU 25/400, but fully inside
        assert_eq!(
            non_maximum_suppression(&[outer, inner], 0.7, Overlap::Union),
            vec![0, 1]
        );
        assert_eq!(
            non_maximum_suppression(&[outer, inner], 0.7, Overlap::Min),
            vec![0]
        );
    }

    #[test]
    fn empty_input_gives_nothing() {
        assert!(non_maximum_suppression(&[], 0.5, Overlap::Union).is_empty());
    }
}
