//! Writing pixels into model input tensors.
//!
//! The trained models take NCHW planes; the MTCNN networks take NHWC with
//! the two spatial axes swapped (they were trained on transposed images in
//! the original column-major implementation), written here as `NWHC`.

use crate::model_set::Normalisation;

/// Writes a tightly packed RGB image into `out` as three planes (CHW),
/// normalised. `out` must hold `3 * width * height` values.
pub fn write_chw(rgb: &[u8], normalisation: &Normalisation, out: &mut [f32]) {
    let pixels = rgb.len() / 3;
    debug_assert_eq!(out.len(), rgb.len());
    let affine = normalisation.affine();
    let (r, rest) = out.split_at_mut(pixels);
    let (g, b) = rest.split_at_mut(pixels);
    for (i, px) in rgb.chunks_exact(3).enumerate() {
        r[i] = px[0] as f32 * affine[0].0 + affine[0].1;
        g[i] = px[1] as f32 * affine[1].0 + affine[1].1;
        b[i] = px[2] as f32 * affine[2].0 + affine[2].1;
    }
}

/// Writes a tightly packed RGB image of `width` x `height` into `out` in
/// `WHC` order (column-major pixels, channels last), normalised.
pub fn write_whc(
    rgb: &[u8],
    width: usize,
    height: usize,
    normalisation: &Normalisation,
    out: &mut [f32],
) {
    debug_assert_eq!(out.len(), width * height * 3);
    let affine = normalisation.affine();
    for y in 0..height {
        for x in 0..width {
            let src = (y * width + x) * 3;
            let dst = (x * height + y) * 3;
            for c in 0..3 {
                out[dst + c] = rgb[src + c] as f32 * affine[c].0 + affine[c].1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity() -> Normalisation {
        Normalisation {
            input_scale: 1.0,
            mean: [0.0; 3],
            std: [1.0; 3],
        }
    }

    #[test]
    fn chw_splits_channels_into_planes() {
        // 2x1 image: (1,2,3) (4,5,6)
        let mut out = [0.0; 6];
        write_chw(&[1, 2, 3, 4, 5, 6], &identity(), &mut out);
        assert_eq!(out, [1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
    }

    #[test]
    fn whc_swaps_the_spatial_axes() {
        // 2 wide, 3 high; pixel (x, y) has red = 10 * y + x.
        let rgb: Vec<u8> = (0..3)
            .flat_map(|y| (0..2).flat_map(move |x| [10 * y + x, 0, 0]))
            .collect();
        let mut out = [0.0; 18];
        write_whc(&rgb, 2, 3, &identity(), &mut out);
        let red: Vec<f32> = out.chunks(3).map(|c| c[0]).collect();
        // Index (x, y) -> x * 3 + y: the first three are column x = 0.
        assert_eq!(red, [0.0, 10.0, 20.0, 1.0, 11.0, 21.0]);
    }

    #[test]
    fn imagenet_normalisation_by_hand() {
        let n = Normalisation {
            input_scale: 255.0,
            mean: [0.485, 0.456, 0.406],
            std: [0.229, 0.224, 0.225],
        };
        let mut out = [0.0; 3];
        write_chw(&[255, 0, 128], &n, &mut out);
        assert!((out[0] - (1.0 - 0.485) / 0.229).abs() < 1e-5);
        assert!((out[1] - (-0.456 / 0.224)).abs() < 1e-5);
        assert!((out[2] - ((128.0 / 255.0) - 0.406) / 0.225).abs() < 1e-5);
    }
}
