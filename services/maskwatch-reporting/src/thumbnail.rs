//! A face cut out of its photo, small enough for a list of violations.

use image::imageops::FilterType;
use image::{ImageFormat, RgbImage};
use maskwatch_pipeline::decode::{DecodeError, DecodeLimits, decode_rgb};

/// Longest side of a thumbnail, in pixels.
const THUMBNAIL_SIDE: u32 = 128;

/// A face box in the photo's pixels, as the worker recorded it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaceBox {
    pub x_min: f32,
    pub y_min: f32,
    pub x_max: f32,
    pub y_max: f32,
}

/// The face with a quarter of its size added on every side (people judge a mask
/// by the nose and chin, which the box cuts close), as a JPEG.
pub fn face_thumbnail(photo: &[u8], face: FaceBox) -> Result<Vec<u8>, DecodeError> {
    let image = decode_rgb(photo, DecodeLimits::default())?;
    let crop = crop_with_margin(&image, face);
    let side = crop.width().max(crop.height());
    let crop = if side > THUMBNAIL_SIDE {
        let scale = THUMBNAIL_SIDE as f32 / side as f32;
        let width = ((crop.width() as f32 * scale).round() as u32).max(1);
        let height = ((crop.height() as f32 * scale).round() as u32).max(1);
        image::imageops::resize(&crop, width, height, FilterType::Triangle)
    } else {
        crop
    };
    let mut jpeg = Vec::new();
    crop.write_to(&mut std::io::Cursor::new(&mut jpeg), ImageFormat::Jpeg)
        .expect("encoding a JPEG into memory cannot fail");
    Ok(jpeg)
}

fn crop_with_margin(image: &RgbImage, face: FaceBox) -> RgbImage {
    let margin_x = (face.x_max - face.x_min) * 0.25;
    let margin_y = (face.y_max - face.y_min) * 0.25;
    let clamp = |value: f32, limit: u32| value.max(0.0).min(limit as f32) as u32;
    let left = clamp(face.x_min - margin_x, image.width());
    let top = clamp(face.y_min - margin_y, image.height());
    let right = clamp(face.x_max + margin_x, image.width())
        .max(left + 1)
        .min(image.width());
    let bottom = clamp(face.y_max + margin_y, image.height())
        .max(top + 1)
        .min(image.height());
    image::imageops::crop_imm(
        image,
        left.min(image.width() - 1),
        top.min(image.height() - 1),
        (right - left).max(1),
        (bottom - top).max(1),
    )
    .to_image()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let image = RgbImage::from_fn(width, height, |x, y| image::Rgb([x as u8, y as u8, 0]));
        let mut bytes = Vec::new();
        image
            .write_to(&mut std::io::Cursor::new(&mut bytes), ImageFormat::Png)
            .unwrap();
        bytes
    }

    fn size_of(jpeg: &[u8]) -> (u32, u32) {
        let image = image::load_from_memory(jpeg).unwrap();
        (image.width(), image.height())
    }

    #[test]
    fn a_small_face_keeps_its_size_with_the_margin() {
        let face = FaceBox {
            x_min: 100.0,
            y_min: 100.0,
            x_max: 120.0,
            y_max: 140.0,
        };
        assert_eq!(
            size_of(&face_thumbnail(&png(400, 300), face).unwrap()),
            (30, 60)
        );
    }

    #[test]
    fn a_large_face_is_shrunk_and_a_box_past_the_edge_is_clamped() {
        let face = FaceBox {
            x_min: -50.0,
            y_min: 10.0,
            x_max: 390.0,
            y_max: 290.0,
        };
        let (width, height) = size_of(&face_thumbnail(&png(400, 300), face).unwrap());
        assert_eq!(width.max(height), THUMBNAIL_SIDE);
    }

    #[test]
    fn a_corrupt_photo_is_an_error() {
        let face = FaceBox {
            x_min: 0.0,
            y_min: 0.0,
            x_max: 1.0,
            y_max: 1.0,
        };
        assert!(face_thumbnail(b"not an image", face).is_err());
    }
}
