//! Copies of photos with every face boxed and labelled, in one colour per condition.

use image::{Rgb, RgbImage};
use maskwatch_domain::{Condition, FaceFinding};

use crate::label_font::{draw_text, line_height, put, text_width};

/// Red for no mask, amber for a mask worn incorrectly, green for correct.
pub fn colour_of(condition: Condition) -> Rgb<u8> {
    match condition {
        Condition::NoMask => Rgb([220, 40, 40]),
        Condition::Incorrect => Rgb([245, 165, 0]),
        Condition::Correct => Rgb([40, 180, 60]),
    }
}

/// Draws each face's box and a label with its condition and probability.
pub fn annotate(photo: &mut RgbImage, faces: &[FaceFinding]) {
    // Thicker lines and text on large photos so labels stay readable.
    let scale = (photo.width().max(photo.height()) / 800).clamp(1, 4);
    for face in faces {
        let colour = colour_of(face.condition);
        let (x0, y0) = (
            face.bbox.x_min.floor() as i64,
            face.bbox.y_min.floor() as i64,
        );
        let (x1, y1) = (
            face.bbox.x_max.ceil() as i64 - 1,
            face.bbox.y_max.ceil() as i64 - 1,
        );
        for t in 0..scale as i64 {
            draw_rectangle(photo, x0 - t, y0 - t, x1 + t, y1 + t, colour);
        }
        let label = format!(
            "{} {:.0}%",
            face.condition.as_str(),
            100.0 * face.probabilities.get(face.condition)
        );
        let (width, height) = (
            text_width(&label, scale) as i64 + 2,
            line_height(scale) as i64 + 2,
        );
        // Above the box, or inside its top edge when the box touches the top of the photo.
        let top = if y0 - height >= 0 { y0 - height } else { y0 };
        fill(photo, x0, top, x0 + width - 1, top + height - 1, colour);
        draw_text(photo, x0 + 1, top + 1, &label, Rgb([255, 255, 255]), scale);
    }
}

fn draw_rectangle(photo: &mut RgbImage, x0: i64, y0: i64, x1: i64, y1: i64, colour: Rgb<u8>) {
    for x in x0..=x1 {
        put(photo, x, y0, colour);
        put(photo, x, y1, colour);
    }
    for y in y0..=y1 {
        put(photo, x0, y, colour);
        put(photo, x1, y, colour);
    }
}

fn fill(photo: &mut RgbImage, x0: i64, y0: i64, x1: i64, y1: i64, colour: Rgb<u8>) {
    for y in y0..=y1 {
        for x in x0..=x1 {
            put(photo, x, y, colour);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use maskwatch_domain::{BoundingBox, ClassProbabilities};

    #[test]
    fn boxes_take_the_condition_colour() {
        let mut photo = RgbImage::new(100, 100);
        let face = FaceFinding {
            bbox: BoundingBox::new(30.0, 40.0, 60.0, 80.0),
            detection_score: 0.99,
            landmarks: None,
            condition: Condition::NoMask,
            probabilities: ClassProbabilities::from_slice(&[0.9, 0.05, 0.05]),
            super_resolved: true,
        };
        annotate(&mut photo, &[face]);
        let red = colour_of(Condition::NoMask);
        assert_eq!(*photo.get_pixel(45, 79), red, "bottom edge");
        assert_eq!(*photo.get_pixel(30, 60), red, "left edge");
        assert_eq!(*photo.get_pixel(45, 60), Rgb([0, 0, 0]), "inside untouched");
    }
}
