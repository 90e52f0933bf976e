//! The study's pre-processing: MATLAB's `imadjust(I, stretchlim(I))`.
//!
//! Each channel is stretched linearly so that the darkest 1% and the
//! brightest 1% of its values saturate. MTCNN misses faces in under-exposed
//! photos without it, and the classifier was trained on stretched crops.

use image::RgbImage;

/// Share of values saturated at each end, as in `stretchlim`'s default.
pub const DEFAULT_SATURATED_FRACTION: f64 = 0.01;

/// The input range `[low, high]` of one channel that maps to `[0, 255]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelLimits {
    pub low: u8,
    pub high: u8,
}

/// `stretchlim` for one channel's histogram: `low` is the first value whose
/// cumulative share exceeds `fraction`, `high` the first whose cumulative
/// share reaches `1 - fraction`. `None` for a flat channel, which MATLAB
/// leaves unchanged.
pub fn channel_limits(histogram: &[u64; 256], fraction: f64) -> Option<ChannelLimits> {
    let total: u64 = histogram.iter().sum();
    if total == 0 {
        return None;
    }
    let total = total as f64;
    let mut cumulative = 0u64;
    let (mut low, mut high) = (None, None);
    for (value, &count) in histogram.iter().enumerate() {
        cumulative += count;
        let share = cumulative as f64 / total;
        if low.is_none() && share > fraction {
            low = Some(value as u8);
        }
        if share >= 1.0 - fraction {
            high = Some(value as u8);
            break;
        }
    }
    match (low, high) {
        (Some(low), Some(high)) if low < high => Some(ChannelLimits { low, high }),
        _ => None,
    }
}

/// The lookup table that `imadjust` applies for the given limits.
pub fn stretch_table(limits: ChannelLimits) -> [u8; 256] {
    let (low, high) = (limits.low as f32, limits.high as f32);
    std::array::from_fn(|value| {
        let normalised = ((value as f32 - low) / (high - low)).clamp(0.0, 1.0);
        (normalised * 255.0 + 0.5).floor() as u8
    })
}

/// Stretches every channel of `image` in place: one pass to count, one to map.
pub fn stretch_contrast(image: &mut RgbImage, fraction: f64) {
    let mut histograms = [[0u64; 256]; 3];
    for pixel in image.pixels() {
        for (channel, &value) in pixel.0.iter().enumerate() {
            histograms[channel][value as usize] += 1;
        }
    }
    let identity: [u8; 256] = std::array::from_fn(|v| v as u8);
    let tables = histograms.map(|h| channel_limits(&h, fraction).map_or(identity, stretch_table));
    for pixel in image.pixels_mut() {
        for (channel, value) in pixel.0.iter_mut().enumerate() {
            *value = tables[channel][*value as usize];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    fn histogram_of(values: &[u8]) -> [u64; 256] {
        let mut h = [0u64; 256];
        for &v in values {
            h[v as usize] += 1;
        }
        h
    }

    #[test]
    fn limits_by_hand() {
        // 100 values: one 0, then 98 spread over 50..=147, then one 255.
        // cdf(0) = 0.01 is not > 0.01, so low is the next value, 50.
        // cdf(146) = 0.98, cdf(147) = 0.99 >= 0.99, so high is 147.
        let mut values = vec![0u8];
        values.extend(50u8..=147);
        values.push(255);
        let limits = channel_limits(&histogram_of(&values), 0.01).unwrap();
        assert_eq!(limits, ChannelLimits { low: 50, high: 147 });
    }

    #[test]
    fn flat_channel_has_no_limits() {
        assert_eq!(channel_limits(&histogram_of(&[7; 50]), 0.01), None);
        assert_eq!(channel_limits(&[0; 256], 0.01), None);
    }

    #[test]
    fn table_by_hand() {
        let table = stretch_table(ChannelLimits { low: 50, high: 150 });
        assert_eq!(table[0], 0);
        assert_eq!(table[50], 0);
        // (100 - 50) / 100 * 255 = 127.5, rounded half up.
        assert_eq!(table[100], 128);
        // (60 - 50) / 100 * 255 = 25.5 -> 26
        assert_eq!(table[60], 26);
        assert_eq!(table[150], 255);
        assert_eq!(table[200], 255);
    }

    #[test]
    fn stretches_each_channel_independently() {
        // Red spans 100..=199, green is flat, blue spans 0..=99.
        let mut image = RgbImage::from_fn(100, 1, |x, _| Rgb([100 + x as u8, 42, x as u8]));
        stretch_contrast(&mut image, 0.01);
        // Red: cdf(100) = 0.01 not > 0.01 -> low 101; cdf(198) = 0.99 -> high 198.
        assert_eq!(image.get_pixel(0, 0).0[0], 0);
        assert_eq!(image.get_pixel(1, 0).0[0], 0);
        assert_eq!(image.get_pixel(98, 0).0[0], 255);
        // (150 - 101) / 97 * 255 = 128.81 -> 129
        assert_eq!(image.get_pixel(50, 0).0[0], 129);
        assert!(
            image.pixels().all(|p| p.0[1] == 42),
            "flat channel unchanged"
        );
        assert_eq!(
            image.get_pixel(50, 0).0[2],
            129,
            "blue stretched like red, shifted by 100"
        );
    }
}
