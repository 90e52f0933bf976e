//! The one crop rule shared by the pipeline and by model training.
//!
//! A face is cut out as a square centred on its box, `CROP_SCALE` times the
//! box's longer side, so that the classifier sees the whole head and some
//! context whatever the detector's framing. Pixels outside the photo repeat
//! the nearest edge pixel. `training/` implements the same arithmetic; the
//! model card states it.

use image::RgbImage;
use maskwatch_domain::BoundingBox;

/// The crop's side over the box's longer side.
pub const CROP_SCALE: f32 = 1.2;

/// A square region of a photo in whole pixels; it may extend past the edges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CropWindow {
    pub x0: i64,
    pub y0: i64,
    pub side: u32,
}

impl CropWindow {
    /// Applies the crop rule to a box.
    pub fn around(bbox: &BoundingBox) -> CropWindow {
        let (cx, cy) = bbox.center();
        let longer = bbox.width().max(bbox.height());
        let side = round_half_up(longer * CROP_SCALE).max(1.0);
        CropWindow {
            x0: round_half_up(cx - side / 2.0) as i64,
            y0: round_half_up(cy - side / 2.0) as i64,
            side: side as u32,
        }
    }

    /// The centred square of side `max(width, height)` over a whole image.
    pub fn centred_square(width: u32, height: u32) -> CropWindow {
        let side = width.max(height);
        let offset = |len: u32| (len as i64 - side as i64).div_euclid(2);
        CropWindow {
            x0: offset(width),
            y0: offset(height),
            side,
        }
    }

    /// Copies the window out of `image`, repeating edge pixels outside it.
    pub fn extract(&self, image: &RgbImage) -> RgbImage {
        let (width, height) = image.dimensions();
        let clamp = |v: i64, len: u32| v.clamp(0, len as i64 - 1) as u32;
        RgbImage::from_fn(self.side, self.side, |x, y| {
            let sx = clamp(self.x0 + x as i64, width);
            let sy = clamp(self.y0 + y as i64, height);
            *image.get_pixel(sx, sy)
        })
    }
}

/// `floor(v + 0.5)`: the rounding training uses too (Python's `round` rounds
/// half to even, so it is not used there).
fn round_half_up(v: f32) -> f32 {
    (v + 0.5).floor()
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    fn px(v: u8) -> Rgb<u8> {
        Rgb([v, v, v])
    }

    #[test]
    fn window_by_hand() {
        // Box 79..109 x 105..142: 30 x 37, centre (94, 123.5).
        // side = round(37 * 1.2 = 44.4) = 44; x0 = round(94 - 22) = 72; y0 = round(101.5) = 102.
        let w = CropWindow::around(&BoundingBox::new(79.0, 105.0, 109.0, 142.0));
        assert_eq!(
            w,
            CropWindow {
                x0: 72,
                y0: 102,
                side: 44
            }
        );
    }

    #[test]
    fn centred_square_floors_like_training() {
        // Python's (101 - 150) // 2 is -25: floor, not truncation.
        assert_eq!(
            CropWindow::centred_square(101, 150),
            CropWindow {
                x0: -25,
                y0: 0,
                side: 150
            }
        );
        assert_eq!(
            CropWindow::centred_square(80, 60),
            CropWindow {
                x0: 0,
                y0: -10,
                side: 80
            }
        );
    }

    #[test]
    fn tiny_boxes_still_give_a_pixel() {
        let w = CropWindow::around(&BoundingBox::new(5.0, 5.0, 5.2, 5.2));
        assert_eq!(w.side, 1);
    }

    #[test]
    fn outside_pixels_repeat_the_edge() {
        let image = RgbImage::from_fn(4, 4, |x, y| px((y * 4 + x) as u8));
        let crop = CropWindow {
            x0: -1,
            y0: -1,
            side: 3,
        }
        .extract(&image);
        assert_eq!(*crop.get_pixel(0, 0), px(0), "corner clamps to (0,0)");
        assert_eq!(*crop.get_pixel(2, 0), px(1), "top row clamps to y = 0");
        assert_eq!(*crop.get_pixel(2, 2), px(5), "inside pixel (1,1)");
    }
}
