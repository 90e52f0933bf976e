//! The image pyramid P-Net scans.
//!
//! P-Net sees 12x12 windows. Scaling the photo by `12 / min_face` makes the
//! smallest wanted face 12 px; each further level shrinks by `factor` until
//! the shorter side drops under 12 px. A `min_face` under 12 upscales the
//! photo, which finds tinier faces at a higher cost.

/// The scales of every pyramid level for an image of the given size.
pub fn pyramid_scales(width: u32, height: u32, min_face: f32, factor: f32) -> Vec<f32> {
    let first = 12.0 / min_face;
    let mut shorter = width.min(height) as f32 * first;
    let mut scale = first;
    let mut scales = Vec::new();
    while shorter >= 12.0 {
        scales.push(scale);
        scale *= factor;
        shorter *= factor;
    }
    scales
}

/// The size of an image scaled by `scale`, rounded up as the reference does.
pub fn scaled_size(width: u32, height: u32, scale: f32) -> (u32, u32) {
    (
        (width as f32 * scale).ceil() as u32,
        (height as f32 * scale).ceil() as u32,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_by_hand() {
        // Shorter side 48, min face 24: start at 0.5 (24 px), then 24 * 0.5 = 12 px: two levels.
        assert_eq!(pyramid_scales(100, 48, 24.0, 0.5), vec![0.5, 0.25]);
    }

    #[test]
    fn small_min_face_upscales() {
        let scales = pyramid_scales(100, 100, 6.0, 0.709);
        assert_eq!(scales[0], 2.0);
        assert!(scales.windows(2).all(|w| w[1] < w[0]));
        assert!(100.0 * scales.last().unwrap() >= 12.0);
    }

    #[test]
    fn images_smaller_than_a_window_have_no_levels() {
        assert!(pyramid_scales(10, 300, 12.0, 0.709).is_empty());
    }

    #[test]
    fn scaled_size_rounds_up() {
        assert_eq!(scaled_size(101, 50, 0.5), (51, 25));
    }
}
