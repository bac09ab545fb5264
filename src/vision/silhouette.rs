//! The silhouette: the only picture of a person that may leave the room
//! (R6.1). It is drawn from the landmark model's segmentation mask and the
//! keypoints on a coarse grid, in a handful of flat colours. It never reads
//! a camera pixel, so it cannot reproduce a face, skin, clothing or a room.

use super::PersonView;
use crate::domain::SKELETON;

/// Cells along the long side of the grid. At 640×480 one cell is almost
/// 7 camera pixels: enough for posture, far too coarse for a face.
pub const GRID_LONG_SIDE: u32 = 96;
/// Keypoints less likely than this to be visible are not drawn.
const MIN_VISIBILITY: f32 = 0.5;
/// Mask probability (0..255) from which a cell counts as body.
const MASK_THRESHOLD: u8 = 128;

/// The flat colours of a silhouette, in cell-value order.
pub const PALETTE: [[u8; 3]; 4] = [
    [24, 30, 40],    // background
    [86, 120, 160],  // body
    [240, 240, 240], // bones
    [255, 196, 60],  // joints
];
const BODY: u8 = 1;
const BONE: u8 = 2;
const JOINT: u8 = 3;

#[derive(Clone, PartialEq, Eq)]
pub struct Silhouette {
    width: u32,
    height: u32,
    /// One palette index per cell, row-major.
    cells: Vec<u8>,
}

impl std::fmt::Debug for Silhouette {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Silhouette({}x{} cells)", self.width, self.height)
    }
}

#[derive(Debug, thiserror::Error)]
#[error("cannot encode the silhouette as PNG: {0}")]
pub struct EncodeError(String);

impl Silhouette {
    /// Draws everyone in a frame of the given size.
    pub fn draw(frame_width: u32, frame_height: u32, persons: &[PersonView]) -> Silhouette {
        let long = frame_width.max(frame_height).max(1) as f32;
        let cell = long / GRID_LONG_SIDE as f32;
        let width = ((frame_width as f32 / cell).round() as u32).max(1);
        let height = ((frame_height as f32 / cell).round() as u32).max(1);
        let mut s = Silhouette {
            width,
            height,
            cells: vec![0; (width * height) as usize],
        };
        for row in 0..height {
            for col in 0..width {
                let (x, y) = ((col as f32 + 0.5) * cell, (row as f32 + 0.5) * cell);
                if persons
                    .iter()
                    .any(|p| p.mask.at_frame_point(x, y) >= MASK_THRESHOLD)
                {
                    s.cells[(row * width + col) as usize] = BODY;
                }
            }
        }
        for person in persons {
            let k = &person.pose.keypoints;
            let to_cell = |i: usize| (k[i].x / cell, k[i].y / cell);
            for &(a, b) in &SKELETON {
                if k[a].visibility >= MIN_VISIBILITY && k[b].visibility >= MIN_VISIBILITY {
                    s.line(to_cell(a), to_cell(b), BONE);
                }
            }
            for &(a, b) in &SKELETON {
                for i in [a, b] {
                    if k[i].visibility >= MIN_VISIBILITY {
                        let (x, y) = to_cell(i);
                        s.set(x.floor() as i64, y.floor() as i64, JOINT);
                    }
                }
            }
        }
        s
    }

    pub fn width(&self) -> u32 {
        self.width
    }
    pub fn height(&self) -> u32 {
        self.height
    }

    /// How many distinct colours the picture uses.
    pub fn colours_used(&self) -> usize {
        let mut seen = [false; PALETTE.len()];
        self.cells.iter().for_each(|&c| seen[c as usize] = true);
        seen.iter().filter(|s| **s).count()
    }

    fn set(&mut self, x: i64, y: i64, value: u8) {
        if x >= 0 && y >= 0 && (x as u32) < self.width && (y as u32) < self.height {
            self.cells[(y as u32 * self.width + x as u32) as usize] = value;
        }
    }

    fn line(&mut self, from: (f32, f32), to: (f32, f32), value: u8) {
        let steps = ((to.0 - from.0).abs().max((to.1 - from.1).abs()).ceil() as usize)
            .clamp(1, 4 * GRID_LONG_SIDE as usize);
        for i in 0..=steps {
            let t = i as f32 / steps as f32;
            let (x, y) = (from.0 + (to.0 - from.0) * t, from.1 + (to.1 - from.1) * t);
            self.set(x.floor() as i64, y.floor() as i64, value);
        }
    }

    /// One palette index per cell, row-major (what the staff app draws).
    pub fn cells(&self) -> &[u8] {
        &self.cells
    }

    /// RGB pixels, each cell `scale`×`scale` pixels.
    pub fn to_rgb(&self, scale: u32) -> (u32, u32, Vec<u8>) {
        let scale = scale.max(1);
        let (w, h) = (self.width * scale, self.height * scale);
        let mut rgb = Vec::with_capacity((w * h * 3) as usize);
        for y in 0..h {
            for x in 0..w {
                rgb.extend_from_slice(
                    &PALETTE[self.cells[((y / scale) * self.width + x / scale) as usize] as usize],
                );
            }
        }
        (w, h, rgb)
    }

    /// A PNG of the silhouette, encoded in memory.
    pub fn to_png(&self, scale: u32) -> Result<Vec<u8>, EncodeError> {
        use image::ImageEncoder;
        let (w, h, rgb) = self.to_rgb(scale);
        let mut out = Vec::new();
        image::codecs::png::PngEncoder::new(&mut out)
            .write_image(&rgb, w, h, image::ExtendedColorType::Rgb8)
            .map_err(|e| EncodeError(e.to_string()))?;
        Ok(out)
    }

    /// Text art for a terminal: two cells per character row.
    pub fn to_text(&self, max_columns: u32) -> String {
        let step = (self.width.div_ceil(max_columns.max(1))).max(1);
        let glyph = |c: u8| match c {
            BODY => '░',
            BONE => '█',
            JOINT => '●',
            _ => ' ',
        };
        let mut out = String::new();
        for y in (0..self.height).step_by((2 * step) as usize) {
            for x in (0..self.width).step_by(step as usize) {
                let mut best = 0u8;
                for dy in 0..(2 * step).min(self.height - y) {
                    for dx in 0..step.min(self.width - x) {
                        best = best.max(self.cells[((y + dy) * self.width + x + dx) as usize]);
                    }
                }
                out.push(glyph(best));
            }
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_room_is_one_flat_colour() {
        let s = Silhouette::draw(640, 480, &[]);
        assert_eq!((s.width(), s.height()), (96, 72));
        assert_eq!(s.colours_used(), 1);
        let png = s.to_png(4).unwrap();
        assert_eq!(&png[1..4], b"PNG");
    }

    #[test]
    fn lines_stay_inside_the_grid() {
        let mut s = Silhouette::draw(100, 100, &[]);
        s.line((-50.0, -50.0), (500.0, 500.0), BONE);
        assert!(s.colours_used() == 2);
    }
}
