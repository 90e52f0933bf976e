//! Candidate face windows and the box arithmetic of the MTCNN cascade.
//!
//! Coordinates follow the reference implementation: whole pixels, 1-based
//! and inclusive, so a window `x1..=x2` covers the 0-based columns
//! `x1 - 1 ..= x2 - 1`. [`Candidate::to_bounding_box`] converts to the
//! continuous 0-based boxes used everywhere else.

use maskwatch_domain::BoundingBox;

/// A window with its score and the regression the last network predicted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    pub x1: f32,
    pub y1: f32,
    pub x2: f32,
    pub y2: f32,
    pub score: f32,
    /// Offsets of the four edges as fractions of the window's size.
    pub regression: [f32; 4],
}

impl Candidate {
    /// A window with a score and no regression yet.
    pub fn new(x1: f32, y1: f32, x2: f32, y2: f32, score: f32) -> Candidate {
        Candidate {
            x1,
            y1,
            x2,
            y2,
            score,
            regression: [0.0; 4],
        }
    }

    /// Area with the reference's inclusive `+1` convention, as NMS uses it.
    pub fn inclusive_area(&self) -> f32 {
        (self.x2 - self.x1 + 1.0) * (self.y2 - self.y1 + 1.0)
    }

    /// Moves the edges by the regression, scaled by the exclusive size
    /// (`x2 - x1`), as the first stage does.
    pub fn regressed_exclusive(&self) -> Candidate {
        self.regressed_by(self.x2 - self.x1, self.y2 - self.y1)
    }

    /// Moves the edges by the regression, scaled by the inclusive size
    /// (`x2 - x1 + 1`), as the second and third stages do.
    pub fn regressed_inclusive(&self) -> Candidate {
        self.regressed_by(self.x2 - self.x1 + 1.0, self.y2 - self.y1 + 1.0)
    }

    fn regressed_by(&self, w: f32, h: f32) -> Candidate {
        let [dx1, dy1, dx2, dy2] = self.regression;
        Candidate {
            x1: self.x1 + dx1 * w,
            y1: self.y1 + dy1 * h,
            x2: self.x2 + dx2 * w,
            y2: self.y2 + dy2 * h,
            ..*self
        }
    }

    /// The square with the same centre and the longer side, so that the next
    /// network sees an undistorted face.
    pub fn squared(&self) -> Candidate {
        let (w, h) = (self.x2 - self.x1, self.y2 - self.y1);
        let side = w.max(h);
        let x1 = self.x1 + w * 0.5 - side * 0.5;
        let y1 = self.y1 + h * 0.5 - side * 0.5;
        Candidate {
            x1,
            y1,
            x2: x1 + side,
            y2: y1 + side,
            ..*self
        }
    }

    /// Coordinates truncated toward zero (`np.fix`), as the crops need.
    pub fn truncated(&self) -> Candidate {
        Candidate {
            x1: self.x1.trunc(),
            y1: self.y1.trunc(),
            x2: self.x2.trunc(),
            y2: self.y2.trunc(),
            ..*self
        }
    }

    /// The continuous 0-based box covering the window's pixels.
    pub fn to_bounding_box(&self) -> BoundingBox {
        BoundingBox::new(self.x1 - 1.0, self.y1 - 1.0, self.x2, self.y2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(x1: f32, y1: f32, x2: f32, y2: f32) -> Candidate {
        Candidate::new(x1, y1, x2, y2, 1.0)
    }

    #[test]
    fn regression_by_hand() {
        let c = Candidate {
            regression: [0.1, -0.2, 0.0, 0.5],
            ..window(10.0, 20.0, 29.0, 59.0)
        };
        // Inclusive size 20 x 40: x1 + 2, y1 - 8, x2 + 0, y2 + 20.
        assert_eq!(
            c.regressed_inclusive(),
            Candidate {
                x1: 12.0,
                y1: 12.0,
                x2: 29.0,
                y2: 79.0,
                ..c
            }
        );
        // Exclusive size 19 x 39.
        let r = c.regressed_exclusive();
        assert!(
            (r.x1 - 11.9).abs() < 1e-5 && (r.y2 - 78.5).abs() < 1e-5,
            "{r:?}"
        );
    }

    #[test]
    fn squaring_keeps_the_centre_and_longer_side() {
        let s = window(10.0, 10.0, 20.0, 40.0).squared();
        assert_eq!((s.x1, s.y1, s.x2, s.y2), (0.0, 10.0, 30.0, 40.0));
    }

    #[test]
    fn truncation_goes_toward_zero() {
        let t = window(1.7, -0.5, 9.9, 3.2).truncated();
        assert_eq!((t.x1, t.y1, t.x2, t.y2), (1.0, 0.0, 9.0, 3.0));
    }

    #[test]
    fn one_based_inclusive_windows_become_continuous_boxes() {
        // Columns 1..=12 (1-based) are 0..12 continuous.
        assert_eq!(
            window(1.0, 1.0, 12.0, 12.0).to_bounding_box(),
            BoundingBox::new(0.0, 0.0, 12.0, 12.0)
        );
    }
}
