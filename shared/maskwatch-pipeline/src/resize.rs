//! SIMD resizing of RGB images with a reusable scratch state.

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::RgbImage;

use crate::PipelineError;

/// The interpolation to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Filter {
    /// Catmull-Rom convolution: matches Pillow's `BICUBIC`, which training uses.
    Bicubic,
    /// Averages the source pixels under each target pixel, like OpenCV's
    /// `INTER_AREA`, which the MTCNN reference uses for its pyramid.
    Area,
    /// Linear convolution (antialiased when shrinking).
    Bilinear,
}

impl Filter {
    fn options(self) -> ResizeOptions {
        let filter = match self {
            Filter::Bicubic => FilterType::CatmullRom,
            Filter::Area => FilterType::Box,
            Filter::Bilinear => FilterType::Bilinear,
        };
        ResizeOptions::new().resize_alg(ResizeAlg::Convolution(filter))
    }
}

/// A resizer whose internal buffers are kept between calls.
#[derive(Default)]
pub(crate) struct ImageResizer {
    inner: Resizer,
}

impl ImageResizer {
    /// Resizes tightly packed RGB `src` (`width` x `height`) into `dst`,
    /// which must hold `dst_width * dst_height * 3` bytes.
    pub fn resize_into(
        &mut self,
        src: &[u8],
        (width, height): (u32, u32),
        dst: &mut [u8],
        (dst_width, dst_height): (u32, u32),
        filter: Filter,
    ) -> Result<(), PipelineError> {
        let error = |e: &dyn std::fmt::Display| PipelineError::Resize(e.to_string());
        let source = ImageRef::new(width, height, src, PixelType::U8x3).map_err(|e| error(&e))?;
        let mut target = Image::from_slice_u8(dst_width, dst_height, dst, PixelType::U8x3)
            .map_err(|e| error(&e))?;
        self.inner
            .resize(&source, &mut target, &filter.options())
            .map_err(|e| error(&e))
    }

    /// Resizes an image into a new one.
    pub fn resize(
        &mut self,
        src: &RgbImage,
        size: (u32, u32),
        filter: Filter,
    ) -> Result<RgbImage, PipelineError> {
        let mut out = RgbImage::new(size.0, size.1);
        self.resize_into(src.as_raw(), src.dimensions(), &mut out, size, filter)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_images_stay_uniform() {
        let mut resizer = ImageResizer::default();
        let src = RgbImage::from_pixel(37, 23, image::Rgb([200, 100, 50]));
        for filter in [Filter::Bicubic, Filter::Area, Filter::Bilinear] {
            for size in [(224, 224), (12, 9), (37, 23)] {
                let out = resizer.resize(&src, size, filter).unwrap();
                assert_eq!(out.dimensions(), size);
                assert!(
                    out.pixels().all(|p| p.0 == [200, 100, 50]),
                    "{filter:?} {size:?}"
                );
            }
        }
    }

    #[test]
    fn area_shrink_averages_blocks() {
        // A 4x2 image of two 2x2 blocks (0 and 200) shrunk to 2x1 gives each block's mean.
        let src = RgbImage::from_fn(4, 2, |x, _| {
            if x < 2 {
                image::Rgb([0; 3])
            } else {
                image::Rgb([200; 3])
            }
        });
        let out = ImageResizer::default()
            .resize(&src, (2, 1), Filter::Area)
            .unwrap();
        assert_eq!(out.get_pixel(0, 0).0, [0; 3]);
        assert_eq!(out.get_pixel(1, 0).0, [200; 3]);
    }
}
