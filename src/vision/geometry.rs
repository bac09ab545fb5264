//! Rotated square regions of a frame and the crops cut from them.
//!
//! All coordinates are continuous frame pixels: pixel `i` covers `[i, i+1)`,
//! so its centre is `i + 0.5` (MediaPipe's normalised coordinates times the
//! frame size).

use std::f32::consts::PI;

/// A square region of interest, rotated about its centre. `rotation` is in
/// radians, clockwise in image coordinates (y down), as in MediaPipe.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Roi {
    pub center_x: f32,
    pub center_y: f32,
    pub size: f32,
    pub rotation: f32,
}

impl Roi {
    /// The region MediaPipe derives from two alignment points: centred on
    /// `start`, twice the distance to `end` across, rotated so that the line
    /// start→end points to `target_angle`, then scaled by `scale`.
    pub fn from_alignment_points(
        start: (f32, f32),
        end: (f32, f32),
        target_angle: f32,
        scale: f32,
    ) -> Roi {
        let (dx, dy) = (end.0 - start.0, end.1 - start.1);
        let size = 2.0 * (dx * dx + dy * dy).sqrt() * scale;
        let rotation = normalize_radians(target_angle - (-dy).atan2(dx));
        Roi {
            center_x: start.0,
            center_y: start.1,
            size,
            rotation,
        }
    }

    /// Maps a point given in the crop's own normalised space (0..1 across
    /// the crop) to frame pixels.
    pub fn crop_to_frame(&self, u: f32, v: f32) -> (f32, f32) {
        let (sin, cos) = self.rotation.sin_cos();
        let (x, y) = ((u - 0.5) * self.size, (v - 0.5) * self.size);
        (
            cos * x - sin * y + self.center_x,
            sin * x + cos * y + self.center_y,
        )
    }

    /// The inverse of [`Roi::crop_to_frame`].
    pub fn frame_to_crop(&self, x: f32, y: f32) -> (f32, f32) {
        let (sin, cos) = self.rotation.sin_cos();
        let (dx, dy) = (x - self.center_x, y - self.center_y);
        (
            (cos * dx + sin * dy) / self.size + 0.5,
            (-sin * dx + cos * dy) / self.size + 0.5,
        )
    }

    /// Axis-aligned box around the rotated square.
    pub fn bounding_box(&self) -> [f32; 4] {
        crate::domain::bounding_box(
            [(0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (1.0, 1.0)].map(|(u, v)| self.crop_to_frame(u, v)),
        )
    }
}

pub fn normalize_radians(angle: f32) -> f32 {
    angle - 2.0 * PI * ((angle + PI) / (2.0 * PI)).floor()
}

/// Intersection over union of two `[x0, y0, x1, y1]` boxes.
pub fn iou(a: &[f32; 4], b: &[f32; 4]) -> f32 {
    let ix = (a[2].min(b[2]) - a[0].max(b[0])).max(0.0);
    let iy = (a[3].min(b[3]) - a[1].max(b[1])).max(0.0);
    let inter = ix * iy;
    let union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
    if union <= 0.0 {
        0.0
    } else {
        inter / union
    }
}

/// What a crop holds where it reaches past the image.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Border {
    /// This value, already in the output range.
    Constant(f32),
    /// The nearest edge pixel (OpenCV's BORDER_REPLICATE).
    Replicate,
}

/// Writes the RGB crop of `roi` from an RGB image into `out` as an
/// `out_size`×`out_size`×3 float tensor (NHWC), each channel mapped from
/// 0..255 to `low..high`, bilinear.
#[allow(clippy::too_many_arguments)]
pub fn crop_to_tensor(
    rgb: &[u8],
    width: u32,
    height: u32,
    roi: &Roi,
    out_size: usize,
    (low, high): (f32, f32),
    border: Border,
    out: &mut [f32],
) {
    debug_assert_eq!(out.len(), out_size * out_size * 3);
    let (w, h) = (width as i64, height as i64);
    let (sin, cos) = roi.rotation.sin_cos();
    let step = roi.size / out_size as f32;
    // Frame position (in pixel-index space, centres at integers) of output
    // pixel (0, 0) and the change per output column and row.
    let first = roi.crop_to_frame(0.0, 0.0);
    let (col_dx, col_dy) = (cos * step, sin * step);
    let (row_dx, row_dy) = (-sin * step, cos * step);
    let scale = (high - low) / 255.0;
    let stride = width as usize * 3;
    // The fast path walks the image in 16.16 fixed point with 8-bit
    // bilinear weights (OpenCV's warpAffine uses 5 bits), so the inner loop
    // has no float-to-int conversions.
    const ONE: f32 = 65536.0;
    let (col_dx_fixed, col_dy_fixed) =
        ((col_dx * ONE).round() as i64, (col_dy * ONE).round() as i64);
    let fixed_scale = scale / 65536.0;
    for v in 0..out_size {
        let row_x = first.0 + row_dx * v as f32;
        let row_y = first.1 + row_dy * v as f32;
        let (mut fx_fixed, mut fy_fixed) =
            ((row_x * ONE).round() as i64, (row_y * ONE).round() as i64);
        let row_out = &mut out[v * out_size * 3..(v + 1) * out_size * 3];
        for px in row_out.chunks_exact_mut(3) {
            // Arithmetic shifts floor negative positions too.
            let (xi, yi) = (fx_fixed >> 16, fy_fixed >> 16);
            let fx = ((fx_fixed >> 8) & 0xff) as u32;
            let fy = ((fy_fixed >> 8) & 0xff) as u32;
            let weights = [
                (256 - fx) * (256 - fy),
                fx * (256 - fy),
                (256 - fx) * fy,
                fx * fy,
            ];
            if xi >= 0 && yi >= 0 && xi + 1 < w && yi + 1 < h {
                let i = yi as usize * stride + xi as usize * 3;
                let top: &[u8; 6] = rgb[i..i + 6].try_into().unwrap_or(&[0; 6]);
                let bottom: &[u8; 6] = rgb[i + stride..i + stride + 6]
                    .try_into()
                    .unwrap_or(&[0; 6]);
                for ch in 0..3 {
                    let sum = top[ch] as u32 * weights[0]
                        + top[ch + 3] as u32 * weights[1]
                        + bottom[ch] as u32 * weights[2]
                        + bottom[ch + 3] as u32 * weights[3];
                    px[ch] = sum as f32 * fixed_scale + low;
                }
            } else {
                match border {
                    Border::Replicate => {
                        let (x0, x1) = (
                            xi.clamp(0, w - 1) as usize * 3,
                            (xi + 1).clamp(0, w - 1) as usize * 3,
                        );
                        let (y0, y1) = (
                            yi.clamp(0, h - 1) as usize * stride,
                            (yi + 1).clamp(0, h - 1) as usize * stride,
                        );
                        for ch in 0..3 {
                            let sum = rgb[y0 + x0 + ch] as u32 * weights[0]
                                + rgb[y0 + x1 + ch] as u32 * weights[1]
                                + rgb[y1 + x0 + ch] as u32 * weights[2]
                                + rgb[y1 + x1 + ch] as u32 * weights[3];
                            px[ch] = sum as f32 * fixed_scale + low;
                        }
                    }
                    Border::Constant(value) if xi < -1 || yi < -1 || xi >= w || yi >= h => {
                        px.fill(value)
                    }
                    Border::Constant(value) => constant_edge_pixel(
                        rgb,
                        (w, h),
                        (xi, yi),
                        weights,
                        (fixed_scale, low),
                        value,
                        px,
                    ),
                }
            }
            // Wrapping: absurd regions give garbage pixels, never a panic.
            fx_fixed = fx_fixed.wrapping_add(col_dx_fixed);
            fy_fixed = fy_fixed.wrapping_add(col_dy_fixed);
        }
    }
}

/// A pixel whose taps reach past the image, with a constant border: taps
/// outside take the border value.
fn constant_edge_pixel(
    rgb: &[u8],
    (w, h): (i64, i64),
    (xi, yi): (i64, i64),
    weights: [u32; 4],
    (fixed_scale, low): (f32, f32),
    border: f32,
    px: &mut [f32],
) {
    let stride = w as usize * 3;
    let taps = [(xi, yi), (xi + 1, yi), (xi, yi + 1), (xi + 1, yi + 1)];
    for (ch, value) in px.iter_mut().enumerate() {
        *value = taps
            .iter()
            .zip(weights)
            .map(|(&(x, y), weight)| {
                let tap = if x >= 0 && y >= 0 && x < w && y < h {
                    rgb[y as usize * stride + x as usize * 3 + ch] as f32 * fixed_scale * 65536.0
                        + low
                } else {
                    border
                };
                tap * weight as f32 / 65536.0
            })
            .sum();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crop_and_frame_mappings_are_inverse() {
        let roi = Roi {
            center_x: 120.0,
            center_y: 80.0,
            size: 64.0,
            rotation: 0.7,
        };
        for (u, v) in [(0.0, 0.0), (0.25, 0.9), (1.0, 0.5)] {
            let (x, y) = roi.crop_to_frame(u, v);
            let (u2, v2) = roi.frame_to_crop(x, y);
            assert!((u - u2).abs() < 1e-5 && (v - v2).abs() < 1e-5);
        }
    }

    #[test]
    fn alignment_points_upright_person_needs_no_rotation() {
        // Hip centre below, head point straight above: already at 90 degrees.
        let roi = Roi::from_alignment_points((100.0, 200.0), (100.0, 100.0), PI / 2.0, 1.25);
        assert!(roi.rotation.abs() < 1e-6);
        assert!((roi.size - 250.0).abs() < 1e-3);
    }

    #[test]
    fn alignment_points_lying_person_is_rotated_a_quarter_turn() {
        let roi = Roi::from_alignment_points((100.0, 100.0), (200.0, 100.0), PI / 2.0, 1.0);
        assert!((roi.rotation - PI / 2.0).abs() < 1e-6);
        // The crop's "up" (v = 0) must land on the head side (x > centre).
        let (x, _) = roi.crop_to_frame(0.5, 0.0);
        assert!(x > 150.0, "{x}");
    }

    #[test]
    fn unrotated_crop_of_whole_image_reproduces_it() {
        let (w, h) = (8u32, 8u32);
        let rgb: Vec<u8> = (0..w * h * 3).map(|i| (i % 251) as u8).collect();
        let roi = Roi {
            center_x: 4.0,
            center_y: 4.0,
            size: 8.0,
            rotation: 0.0,
        };
        let mut out = vec![0.0; 8 * 8 * 3];
        crop_to_tensor(
            &rgb,
            w,
            h,
            &roi,
            8,
            (0.0, 255.0),
            Border::Constant(-1.0),
            &mut out,
        );
        for (o, i) in out.iter().zip(&rgb) {
            assert!((o - *i as f32).abs() < 1e-3, "{o} vs {i}");
        }
    }

    #[test]
    fn outside_the_image_is_border() {
        let rgb = vec![255u8; 4 * 4 * 3];
        let roi = Roi {
            center_x: 100.0,
            center_y: 100.0,
            size: 4.0,
            rotation: 0.3,
        };
        let mut out = vec![0.0; 4 * 4 * 3];
        crop_to_tensor(
            &rgb,
            4,
            4,
            &roi,
            4,
            (-1.0, 1.0),
            Border::Constant(-1.0),
            &mut out,
        );
        assert!(out.iter().all(|v| *v == -1.0));
        crop_to_tensor(
            &rgb,
            4,
            4,
            &roi,
            4,
            (-1.0, 1.0),
            Border::Replicate,
            &mut out,
        );
        assert!(out.iter().all(|v| (*v - 1.0).abs() < 1e-6));
    }

    #[test]
    fn any_region_however_absurd_gives_finite_values_and_no_panic() {
        let rgb: Vec<u8> = (0..17 * 9 * 3).map(|i| (i * 37 % 256) as u8).collect();
        let mut out = vec![0.0; 8 * 8 * 3];
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % 20_001) as f32 / 10.0 - 1000.0
        };
        let specials = [f32::NAN, f32::INFINITY, -f32::INFINITY, 1e30, -1e30, 0.0];
        for i in 0..2000 {
            let pick = |n: f32, k: usize| {
                if i % 7 == 0 {
                    specials[k % specials.len()]
                } else {
                    n
                }
            };
            let roi = Roi {
                center_x: pick(next(), i),
                center_y: next(),
                size: pick(next().abs(), i + 1),
                rotation: next(),
            };
            for border in [Border::Replicate, Border::Constant(-1.0)] {
                crop_to_tensor(&rgb, 17, 9, &roi, 8, (0.0, 1.0), border, &mut out);
                assert!(
                    out.iter()
                        .all(|v| v.is_finite() && (-1.0..=1.0).contains(v)),
                    "{roi:?}"
                );
            }
        }
    }

    #[test]
    fn iou_of_identical_and_disjoint_boxes() {
        let a = [0.0, 0.0, 2.0, 2.0];
        assert!((iou(&a, &a) - 1.0).abs() < 1e-6);
        assert_eq!(iou(&a, &[3.0, 3.0, 4.0, 4.0]), 0.0);
    }
}
