//! Turning a P-Net output map into candidate windows.

use super::candidate::Candidate;

/// P-Net's output cell `i` covers input pixels from `2 * i` (stride 2) over a 12-pixel window.
const STRIDE: f32 = 2.0;
const CELL: f32 = 12.0;

/// Reads P-Net's outputs for one pyramid level and returns the windows
/// whose face probability reaches `threshold`, in source image coordinates.
///
/// The network runs on the transposed image, so both maps are indexed
/// `[x][y]`: `probabilities` is `columns x rows x 2` (the face probability
/// second) and `regression` is `columns x rows x 4`.
pub fn windows_from_maps(
    probabilities: &[f32],
    regression: &[f32],
    (columns, rows): (usize, usize),
    scale: f32,
    threshold: f32,
) -> Vec<Candidate> {
    let mut windows = Vec::new();
    for x in 0..columns {
        for y in 0..rows {
            let cell = x * rows + y;
            let score = probabilities[cell * 2 + 1];
            if score < threshold {
                continue;
            }
            let (fx, fy) = (x as f32, y as f32);
            let r = &regression[cell * 4..cell * 4 + 4];
            windows.push(Candidate {
                x1: ((STRIDE * fx + 1.0) / scale).trunc(),
                y1: ((STRIDE * fy + 1.0) / scale).trunc(),
                x2: ((STRIDE * fx + CELL) / scale).trunc(),
                y2: ((STRIDE * fy + CELL) / scale).trunc(),
                score,
                regression: [r[0], r[1], r[2], r[3]],
            });
        }
    }
    windows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_cells_to_windows_by_hand() {
        // A 2 x 3 map (columns x rows); only cell x = 1, y = 2 passes.
        let mut probabilities = vec![0.0; 2 * 3 * 2];
        let cell = 3 + 2;
        probabilities[cell * 2 + 1] = 0.9;
        let mut regression = vec![0.0; 2 * 3 * 4];
        regression[cell * 4..cell * 4 + 4].copy_from_slice(&[0.1, 0.2, 0.3, 0.4]);
        let windows = windows_from_maps(&probabilities, &regression, (2, 3), 0.5, 0.6);
        assert_eq!(windows.len(), 1);
        let w = windows[0];
        // x: (2 * 1 + 1) / 0.5 = 6, (2 + 12) / 0.5 = 28; y: (4 + 1) / 0.5 = 10, (4 + 12) / 0.5 = 32.
        assert_eq!((w.x1, w.y1, w.x2, w.y2), (6.0, 10.0, 28.0, 32.0));
        assert_eq!(w.regression, [0.1, 0.2, 0.3, 0.4]);
        assert_eq!(w.score, 0.9);
    }
}
