//! Turning untrusted bytes into an RGB image, or into a reason why not.
//!
//! Archives hold truncated uploads, files that are not images and the
//! occasional decompression bomb (a small file declaring an enormous size).
//! The header is read first and the declared size checked before any pixel
//! buffer is allocated.

use std::io::Cursor;

use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits, RgbImage};

/// Bounds on what an image may cost to decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeLimits {
    /// Longest side accepted, in pixels.
    pub max_side: u32,
    /// Most pixels accepted (width times height).
    pub max_pixels: u64,
}

impl Default for DecodeLimits {
    /// Generous for camera photos (a 100-megapixel frame passes) while
    /// keeping one decode under about a gigabyte.
    fn default() -> Self {
        Self {
            max_side: 20_000,
            max_pixels: 100_000_000,
        }
    }
}

/// Why bytes could not become an image.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("empty file")]
    Empty,
    #[error("not a supported image format (JPEG or PNG)")]
    UnsupportedFormat,
    #[error(
        "image declares {width}x{height} pixels, over the limit of {max_side} per side or {max_pixels} pixels"
    )]
    TooLarge {
        width: u32,
        height: u32,
        max_side: u32,
        max_pixels: u64,
    },
    #[error("corrupt or truncated {format} image: {reason}")]
    Corrupt {
        format: &'static str,
        reason: String,
    },
}

/// Decodes JPEG or PNG bytes into 8-bit RGB within `limits`.
pub fn decode_rgb(bytes: &[u8], limits: DecodeLimits) -> Result<RgbImage, DecodeError> {
    if bytes.is_empty() {
        return Err(DecodeError::Empty);
    }
    let format = image::guess_format(bytes).map_err(|_| DecodeError::UnsupportedFormat)?;
    let format_name = match format {
        ImageFormat::Jpeg => "JPEG",
        ImageFormat::Png => "PNG",
        _ => return Err(DecodeError::UnsupportedFormat),
    };
    let corrupt = |e: image::ImageError| DecodeError::Corrupt {
        format: format_name,
        reason: e.to_string(),
    };
    // The JPEG decoder fills a cut-off scan with grey instead of failing.
    if format == ImageFormat::Jpeg && !jpeg_scan_is_complete(bytes) {
        return Err(DecodeError::Corrupt {
            format: format_name,
            reason: "truncated: no end-of-image marker after the last scan".into(),
        });
    }

    let (width, height) = ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(corrupt)?;
    let too_large = DecodeError::TooLarge {
        width,
        height,
        max_side: limits.max_side,
        max_pixels: limits.max_pixels,
    };
    if width.max(height) > limits.max_side
        || u64::from(width) * u64::from(height) > limits.max_pixels
    {
        return Err(too_large);
    }

    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut decoder_limits = Limits::default();
    decoder_limits.max_image_width = Some(limits.max_side);
    decoder_limits.max_image_height = Some(limits.max_side);
    // RGBA at 16 bits per channel is the largest buffer a decoder may ask for.
    decoder_limits.max_alloc = Some(limits.max_pixels.saturating_mul(8));
    reader.limits(decoder_limits);
    let mut decoder = reader.into_decoder().map_err(corrupt)?;
    // Cameras store portrait shots sideways with an EXIF orientation tag;
    // faces must be upright for the detector.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut decoded = DynamicImage::from_decoder(decoder).map_err(corrupt)?;
    decoded.apply_orientation(orientation);
    Ok(decoded.into_rgb8())
}

/// Whether an end-of-image marker (`FF D9`) follows the start of the last
/// scan (`FF DA`). Entropy-coded data escapes `FF` bytes, so neither marker
/// can appear by accident inside a scan; data that cameras append after the
/// end of the image is allowed.
fn jpeg_scan_is_complete(bytes: &[u8]) -> bool {
    let last_scan = bytes.windows(2).rposition(|w| w == [0xFF, 0xDA]);
    last_scan.is_some_and(|start| bytes[start..].windows(2).any(|w| w == [0xFF, 0xD9]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hostile_inputs::png_declaring;

    fn encoded(image: &RgbImage, format: ImageFormat) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        image.write_to(&mut out, format).unwrap();
        out.into_inner()
    }

    fn png_bytes(width: u32, height: u32) -> Vec<u8> {
        encoded(
            &RgbImage::from_pixel(width, height, image::Rgb([10, 20, 30])),
            ImageFormat::Png,
        )
    }

    fn jpeg_bytes(width: u32, height: u32) -> Vec<u8> {
        let image = RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([(x * 7) as u8, (y * 5) as u8, 90])
        });
        encoded(&image, ImageFormat::Jpeg)
    }

    #[test]
    fn decodes_a_valid_png() {
        let image = decode_rgb(&png_bytes(5, 3), DecodeLimits::default()).unwrap();
        assert_eq!(image.dimensions(), (5, 3));
        assert_eq!(image.get_pixel(4, 2).0, [10, 20, 30]);
    }

    #[test]
    fn rejects_empty_and_foreign_bytes() {
        assert_eq!(
            decode_rgb(&[], DecodeLimits::default()),
            Err(DecodeError::Empty)
        );
        assert_eq!(
            decode_rgb(b"hello, not an image", DecodeLimits::default()),
            Err(DecodeError::UnsupportedFormat)
        );
    }

    #[test]
    fn rejects_a_truncated_png() {
        let bytes = png_bytes(64, 64);
        let err = decode_rgb(&bytes[..bytes.len() / 2], DecodeLimits::default()).unwrap_err();
        assert!(
            matches!(err, DecodeError::Corrupt { format: "PNG", .. }),
            "{err:?}"
        );
    }

    #[test]
    fn decodes_a_valid_jpeg_even_with_data_after_its_end() {
        let mut bytes = jpeg_bytes(32, 24);
        bytes.extend_from_slice(b"camera trailer");
        assert_eq!(
            decode_rgb(&bytes, DecodeLimits::default())
                .unwrap()
                .dimensions(),
            (32, 24)
        );
    }

    #[test]
    fn rejects_a_truncated_jpeg() {
        let bytes = jpeg_bytes(64, 64);
        let err = decode_rgb(&bytes[..bytes.len() * 2 / 3], DecodeLimits::default()).unwrap_err();
        assert!(
            matches!(err, DecodeError::Corrupt { format: "JPEG", .. }),
            "{err:?}"
        );
    }

    #[test]
    fn refuses_a_decompression_bomb_from_its_header() {
        let bomb = png_declaring(100_000, 100_000);
        assert!(bomb.len() < 100);
        let err = decode_rgb(&bomb, DecodeLimits::default()).unwrap_err();
        assert!(
            matches!(
                err,
                DecodeError::TooLarge {
                    width: 100_000,
                    height: 100_000,
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn applies_the_exif_orientation() {
        // A 4x2 JPEG tagged "rotate 90 degrees clockwise" must come out 2x4.
        let jpeg = jpeg_bytes(4, 2);
        let exif: &[u8] = &[
            b'E', b'x', b'i', b'f', 0, 0, // APP1 identifier
            b'M', b'M', 0, 42, 0, 0, 0, 8, // big-endian TIFF header, IFD at 8
            0, 1, // one entry
            0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, // Orientation (SHORT) = 6
            0, 0, 0, 0, // no next IFD
        ];
        let mut tagged = vec![0xFF, 0xD8, 0xFF, 0xE1];
        tagged.extend_from_slice(&((exif.len() + 2) as u16).to_be_bytes());
        tagged.extend_from_slice(exif);
        tagged.extend_from_slice(&jpeg[2..]);
        let image = decode_rgb(&tagged, DecodeLimits::default()).unwrap();
        assert_eq!(image.dimensions(), (2, 4));
    }

    #[test]
    fn rejects_declared_sizes_over_the_limit_before_decoding() {
        let limits = DecodeLimits {
            max_side: 100,
            max_pixels: 1_000,
        };
        let err = decode_rgb(&png_bytes(40, 40), limits).unwrap_err();
        assert!(
            matches!(
                err,
                DecodeError::TooLarge {
                    width: 40,
                    height: 40,
                    ..
                }
            ),
            "{err:?}"
        );
    }
}
