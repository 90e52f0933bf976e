use serde::{Deserialize, Serialize};

/// An axis-aligned box in continuous pixel coordinates of the source image:
/// the pixel with index `x` covers `[x, x + 1)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BoundingBox {
    pub x_min: f32,
    pub y_min: f32,
    pub x_max: f32,
    pub y_max: f32,
}

impl BoundingBox {
    pub fn new(x_min: f32, y_min: f32, x_max: f32, y_max: f32) -> Self {
        Self {
            x_min,
            y_min,
            x_max,
            y_max,
        }
    }

    pub fn width(&self) -> f32 {
        (self.x_max - self.x_min).max(0.0)
    }

    pub fn height(&self) -> f32 {
        (self.y_max - self.y_min).max(0.0)
    }

    pub fn area(&self) -> f32 {
        self.width() * self.height()
    }

    pub fn center(&self) -> (f32, f32) {
        (
            (self.x_min + self.x_max) / 2.0,
            (self.y_min + self.y_max) / 2.0,
        )
    }

    /// Intersection over union; zero for disjoint or degenerate boxes.
    pub fn iou(&self, other: &BoundingBox) -> f32 {
        let intersection = BoundingBox::new(
            self.x_min.max(other.x_min),
            self.y_min.max(other.y_min),
            self.x_max.min(other.x_max),
            self.y_max.min(other.y_max),
        )
        .area();
        let union = self.area() + other.area() - intersection;
        if union <= 0.0 {
            0.0
        } else {
            intersection / union
        }
    }

    /// The box limited to an image of the given size.
    pub fn clipped(&self, width: u32, height: u32) -> BoundingBox {
        let (w, h) = (width as f32, height as f32);
        BoundingBox::new(
            self.x_min.clamp(0.0, w),
            self.y_min.clamp(0.0, h),
            self.x_max.clamp(0.0, w),
            self.y_max.clamp(0.0, h),
        )
    }
}

/// The five facial landmarks MTCNN predicts, as `[x, y]` in image pixels, in
/// the order left eye, right eye, nose, left mouth corner, right mouth corner.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Landmarks(pub [[f32; 2]; 5]);

impl Landmarks {
    pub const NAMES: [&'static str; 5] =
        ["left_eye", "right_eye", "nose", "mouth_left", "mouth_right"];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iou_of_identical_boxes_is_one() {
        let b = BoundingBox::new(10.0, 10.0, 20.0, 30.0);
        assert!((b.iou(&b) - 1.0).abs() < 1e-6);
    }

    #[test]
    fn iou_by_hand() {
        // Two 10x10 boxes overlapping in a 5x10 strip: 50 / (100 + 100 - 50).
        let a = BoundingBox::new(0.0, 0.0, 10.0, 10.0);
        let b = BoundingBox::new(5.0, 0.0, 15.0, 10.0);
        assert!((a.iou(&b) - 50.0 / 150.0).abs() < 1e-6);
        assert!((b.iou(&a) - a.iou(&b)).abs() < 1e-9);
    }

    #[test]
    fn iou_of_disjoint_or_empty_boxes_is_zero() {
        let a = BoundingBox::new(0.0, 0.0, 10.0, 10.0);
        assert_eq!(a.iou(&BoundingBox::new(20.0, 20.0, 30.0, 30.0)), 0.0);
        let empty = BoundingBox::new(5.0, 5.0, 5.0, 5.0);
        assert_eq!(empty.iou(&empty), 0.0);
    }

    #[test]
    fn clipping_keeps_boxes_inside_the_image() {
        let b = BoundingBox::new(-4.0, 3.0, 120.0, 90.0).clipped(100, 80);
        assert_eq!(b, BoundingBox::new(0.0, 3.0, 100.0, 80.0));
    }
}
