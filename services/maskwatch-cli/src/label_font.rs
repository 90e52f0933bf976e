//! Text for image labels, drawn with the public-domain 8x8 bitmap font so
//! that no font file has to be shipped or found.

use font8x8::UnicodeFonts;
use image::{Rgb, RgbImage};

/// Pixel height of one line of text at `scale`.
pub fn line_height(scale: u32) -> u32 {
    8 * scale
}

/// Pixel width of `text` at `scale`.
pub fn text_width(text: &str, scale: u32) -> u32 {
    text.chars().count() as u32 * 8 * scale
}

/// Draws `text` with its top-left corner at (`x`, `y`), clipped to the image.
pub fn draw_text(image: &mut RgbImage, x: i64, y: i64, text: &str, colour: Rgb<u8>, scale: u32) {
    let scale = scale.max(1) as i64;
    for (i, ch) in text.chars().enumerate() {
        let Some(glyph) = font8x8::BASIC_FONTS.get(ch) else {
            continue;
        };
        let left = x + i as i64 * 8 * scale;
        for (row, bits) in glyph.iter().enumerate() {
            for col in 0..8 {
                if bits & (1 << col) == 0 {
                    continue;
                }
                for dy in 0..scale {
                    for dx in 0..scale {
                        put(
                            image,
                            left + col * scale + dx,
                            y + row as i64 * scale + dy,
                            colour,
                        );
                    }
                }
            }
        }
    }
}

/// Sets one pixel if it lies inside the image.
pub fn put(image: &mut RgbImage, x: i64, y: i64, colour: Rgb<u8>) {
    if x >= 0 && y >= 0 && (x as u32) < image.width() && (y as u32) < image.height() {
        image.put_pixel(x as u32, y as u32, colour);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_inside_and_clips_outside() {
        let mut image = RgbImage::new(20, 10);
        draw_text(&mut image, -4, 1, "AB", Rgb([255, 255, 255]), 1);
        let lit = image.pixels().filter(|p| p.0 == [255, 255, 255]).count();
        assert!(lit > 10, "some of the text is drawn");
        assert_eq!(text_width("AB", 2), 32);
        assert_eq!(line_height(2), 16);
    }
}
