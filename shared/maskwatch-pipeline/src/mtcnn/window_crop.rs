//! Cutting candidate windows out of a photo for R-Net and O-Net.

use image::RgbImage;

use super::candidate::Candidate;

/// Copies the pixels of a truncated window (1-based, inclusive) into a new
/// tightly packed RGB buffer; pixels outside the photo are black, as in the
/// reference. Returns `None` for an empty window.
pub fn window_pixels(image: &RgbImage, window: &Candidate) -> Option<(Vec<u8>, (u32, u32))> {
    let width = (window.x2 - window.x1 + 1.0) as i64;
    let height = (window.y2 - window.y1 + 1.0) as i64;
    if width <= 0 || height <= 0 {
        return None;
    }
    let (image_width, image_height) = (image.width() as i64, image.height() as i64);
    let (left, top) = (window.x1 as i64 - 1, window.y1 as i64 - 1);
    let mut pixels = vec![0u8; (width * height * 3) as usize];
    let raw = image.as_raw();
    for row in 0..height {
        let sy = top + row;
        if sy < 0 || sy >= image_height {
            continue;
        }
        // Copy the part of this row that lies inside the photo in one slice.
        let from = left.max(0);
        let to = (left + width).min(image_width);
        if from >= to {
            continue;
        }
        let src = ((sy * image_width + from) * 3) as usize..((sy * image_width + to) * 3) as usize;
        let dst_start = ((row * width + (from - left)) * 3) as usize;
        pixels[dst_start..dst_start + src.len()].copy_from_slice(&raw[src]);
    }
    Some((pixels, (width as u32, height as u32)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(x1: f32, y1: f32, x2: f32, y2: f32) -> Candidate {
        Candidate::new(x1, y1, x2, y2, 1.0)
    }

    #[test]
    fn copies_inside_and_blacks_out_outside() {
        // 3x2 photo, red = 10 * y + x + 1.
        let image = RgbImage::from_fn(3, 2, |x, y| image::Rgb([(10 * y + x + 1) as u8, 0, 0]));
        // Window columns 0..=3, rows 1..=2 (1-based): column 3 is x = 2 ... and one column past the edge.
        let (pixels, size) = window_pixels(&image, &window(2.0, 1.0, 4.0, 2.0)).unwrap();
        assert_eq!(size, (3, 2));
        let red: Vec<u8> = pixels.chunks(3).map(|p| p[0]).collect();
        assert_eq!(red, [2, 3, 0, 12, 13, 0]);
    }

    #[test]
    fn empty_windows_give_none() {
        let image = RgbImage::new(4, 4);
        assert!(window_pixels(&image, &window(3.0, 3.0, 1.0, 5.0)).is_none());
    }
}
