//! Honest variants of recorded video for evaluation: the same real clip
//! seen mirrored, through a narrower lens, at night, by a camera that
//! manages only 10 frames a second, or with a second person standing by.
//! Everything happens to frames in memory, as they are decoded; nothing is
//! written anywhere (R6.2), and the donor of a bystander is zeroed on drop
//! like a frame.

use std::str::FromStr;

use zeroize::Zeroizing;

use super::{Frame, TimedFrame};
use crate::random::Random;

/// One way to change a clip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// Left and right swapped.
    Mirror,
    /// The middle three quarters of the picture each way: a narrower lens.
    Crop,
    /// Grey, half as bright and grainy, as a camera sees a room at night.
    Night,
    /// At most 10 frames a second, the rest dropped.
    TenFps,
    /// A still person standing where the clip shows least movement.
    Bystander,
}

impl Variant {
    pub const ALL: [Variant; 5] = [
        Variant::Mirror,
        Variant::Crop,
        Variant::Night,
        Variant::TenFps,
        Variant::Bystander,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Variant::Mirror => "mirror",
            Variant::Crop => "crop",
            Variant::Night => "night",
            Variant::TenFps => "10fps",
            Variant::Bystander => "bystander",
        }
    }
}

impl FromStr for Variant {
    type Err = String;

    fn from_str(name: &str) -> Result<Variant, String> {
        Variant::ALL
            .into_iter()
            .find(|v| v.name() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = Variant::ALL.iter().map(|v| v.name()).collect();
                format!("{name}: not a variant; one of {}", names.join(", "))
            })
    }
}

/// A person cut out of another frame (a box around them), to stand in a
/// clip as a bystander. Its pixels are zeroed on drop.
pub struct Cutout {
    width: u32,
    height: u32,
    rgb: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for Cutout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Cutout({}x{})", self.width, self.height)
    }
}

impl Cutout {
    /// The box `[x0, y0, x1, y1]` of `frame` (clipped to it), or `None` when
    /// that leaves too little.
    pub fn of(frame: &Frame, bbox: [f32; 4]) -> Option<Cutout> {
        let (w, h) = (frame.width() as f32, frame.height() as f32);
        let x0 = bbox[0].clamp(0.0, w) as u32;
        let y0 = bbox[1].clamp(0.0, h) as u32;
        let x1 = bbox[2].clamp(0.0, w) as u32;
        let y1 = bbox[3].clamp(0.0, h) as u32;
        if x1 < x0 + 8 || y1 < y0 + 16 {
            return None;
        }
        let stride = frame.width() as usize * 3;
        let mut rgb = Zeroizing::new(Vec::with_capacity(((x1 - x0) * (y1 - y0) * 3) as usize));
        for y in y0..y1 {
            let row = y as usize * stride;
            rgb.extend_from_slice(&frame.rgb()[row + x0 as usize * 3..row + x1 as usize * 3]);
        }
        Some(Cutout {
            width: x1 - x0,
            height: y1 - y0,
            rgb,
        })
    }

    /// The cutout's pixel at `(x, y)` of a copy scaled to `height` rows.
    fn sample(&self, x: u32, y: u32, height: u32) -> [u8; 3] {
        let sx = (x as u64 * self.height as u64 / height as u64).min(self.width as u64 - 1);
        let sy = (y as u64 * self.height as u64 / height as u64).min(self.height as u64 - 1);
        let i = (sy as usize * self.width as usize + sx as usize) * 3;
        [self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]]
    }

    /// Width of a copy scaled to `height` rows.
    fn width_at(&self, height: u32) -> u32 {
        (self.width as u64 * height as u64 / self.height as u64).max(1) as u32
    }
}

/// Where a bystander stands in a clip: left edge in pixels, and height.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placement {
    pub x: u32,
    pub height: u32,
}

/// The stripe of the picture, as wide as the bystander, where successive
/// frames differ least: where the clip's own person does not go.
pub fn quietest_place(frames: impl Iterator<Item = TimedFrame>, cutout: &Cutout) -> Placement {
    const COLUMNS: usize = 64;
    let mut motion = [0u64; COLUMNS];
    let mut previous: Option<Vec<u8>> = None;
    let (mut width, mut height) = (0, 0);
    for (_, frame, _) in frames.flatten() {
        (width, height) = (frame.width(), frame.height());
        let grey = column_grey(&frame, COLUMNS);
        if let Some(previous) = &previous {
            for (i, (a, b)) in grey.iter().zip(previous).enumerate() {
                motion[i % COLUMNS] += u64::from(a.abs_diff(*b));
            }
        }
        previous = Some(grey);
    }
    let placed_height = height * 3 / 5;
    let span = ((cutout.width_at(placed_height) as usize * COLUMNS) / width.max(1) as usize)
        .clamp(1, COLUMNS);
    let start = (0..=COLUMNS - span)
        .min_by_key(|&c| motion[c..c + span].iter().sum::<u64>())
        .unwrap_or(0);
    Placement {
        x: (start as u64 * u64::from(width) / COLUMNS as u64) as u32,
        height: placed_height,
    }
}

/// A small grey image: 8 rows by `columns`, each cell the mean of its block.
fn column_grey(frame: &Frame, columns: usize) -> Vec<u8> {
    const ROWS: usize = 8;
    let (w, h) = (frame.width() as usize, frame.height() as usize);
    let mut sums = vec![0u64; ROWS * columns];
    let mut counts = vec![0u64; ROWS * columns];
    // Every fourth pixel each way, or every one where cells are narrower.
    let (x_step, y_step) = ((w / columns).clamp(1, 4), (h / ROWS).clamp(1, 4));
    for y in (0..h).step_by(y_step) {
        for x in (0..w).step_by(x_step) {
            let i = (y * w + x) * 3;
            let p = &frame.rgb()[i..i + 3];
            let cell = (y * ROWS / h) * columns + x * columns / w;
            sums[cell] += (u64::from(p[0]) + u64::from(p[1]) + u64::from(p[2])) / 3;
            counts[cell] += 1;
        }
    }
    sums.iter()
        .zip(&counts)
        .map(|(s, c)| (s / (*c).max(1)) as u8)
        .collect()
}

/// The frames of a clip changed as `variant` says. A bystander needs its
/// cutout and placement; without them the frames pass unchanged.
pub fn apply<'a>(
    variant: Variant,
    frames: Box<dyn Iterator<Item = TimedFrame> + 'a>,
    bystander: Option<(&'a Cutout, Placement)>,
) -> Box<dyn Iterator<Item = TimedFrame> + 'a> {
    match variant {
        Variant::TenFps => {
            let mut last_tenth = None;
            Box::new(frames.filter(move |item| {
                let Ok((t, _, _)) = item else { return true };
                let tenth = (t * 10.0 + 1e-6).floor() as i64;
                let keep = last_tenth != Some(tenth);
                last_tenth = Some(tenth);
                keep
            }))
        }
        _ => {
            let mut noise = Random(0x2545_F491_4F6C_DD1D);
            Box::new(frames.map(move |item| {
                let (t, frame, name) = item?;
                let changed = match variant {
                    Variant::Mirror => mirror(&frame),
                    Variant::Crop => crop(&frame),
                    Variant::Night => night(&frame, &mut noise),
                    Variant::Bystander => match bystander {
                        Some((cutout, place)) => stand_in(&frame, cutout, place),
                        None => return Ok((t, frame, name)),
                    },
                    Variant::TenFps => unreachable!("filtered above"),
                };
                Ok((t, changed?, name))
            }))
        }
    }
}

fn mirror(frame: &Frame) -> Result<Frame, super::FrameError> {
    let w = frame.width() as usize;
    let mut rgb = Vec::with_capacity(frame.rgb().len());
    for row in frame.rgb().chunks_exact(w * 3) {
        for pixel in row.chunks_exact(3).rev() {
            rgb.extend_from_slice(pixel);
        }
    }
    Frame::from_rgb(frame.width(), frame.height(), rgb)
}

fn crop(frame: &Frame) -> Result<Frame, super::FrameError> {
    let (w, h) = (frame.width(), frame.height());
    let (cw, ch) = (w * 3 / 4, h * 3 / 4);
    let (x0, y0) = ((w - cw) / 2, (h - ch) / 2);
    let stride = w as usize * 3;
    let mut rgb = Vec::with_capacity((cw * ch * 3) as usize);
    for y in y0..y0 + ch {
        let row = y as usize * stride + x0 as usize * 3;
        rgb.extend_from_slice(&frame.rgb()[row..row + cw as usize * 3]);
    }
    Frame::from_rgb(cw, ch, rgb)
}

/// Luma at half its brightness with sensor grain, the same in every
/// channel: an infrared night picture at a low light level.
fn night(frame: &Frame, noise: &mut Random) -> Result<Frame, super::FrameError> {
    let mut rgb = Vec::with_capacity(frame.rgb().len());
    for p in frame.rgb().chunks_exact(3) {
        let luma = (299 * u32::from(p[0]) + 587 * u32::from(p[1]) + 114 * u32::from(p[2])) / 1000;
        let grain = (3.0 * noise.normal()).round() as i32;
        let v = (luma as i32 / 2 + grain).clamp(0, 255) as u8;
        rgb.extend_from_slice(&[v, v, v]);
    }
    Frame::from_rgb(frame.width(), frame.height(), rgb)
}

/// The cutout pasted with its feet a tenth of the picture above the bottom.
fn stand_in(frame: &Frame, cutout: &Cutout, place: Placement) -> Result<Frame, super::FrameError> {
    let (w, h) = (frame.width(), frame.height());
    let mut rgb = frame.rgb().to_vec();
    let top = (h - h / 10).saturating_sub(place.height);
    let width = cutout.width_at(place.height);
    for y in 0..place.height.min(h - top) {
        for x in 0..width.min(w.saturating_sub(place.x)) {
            let i = (((top + y) * w + place.x + x) * 3) as usize;
            rgb[i..i + 3].copy_from_slice(&cutout.sample(x, y, place.height));
        }
    }
    Frame::from_rgb(w, h, rgb)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A frame whose red channel is the column and green the row.
    fn gradient(width: u32, height: u32) -> Frame {
        let mut rgb = Vec::new();
        for y in 0..height {
            for x in 0..width {
                rgb.extend_from_slice(&[x as u8, y as u8, 200]);
            }
        }
        Frame::from_rgb(width, height, rgb).unwrap()
    }

    fn timed(frames: Vec<(f64, Frame)>) -> Box<dyn Iterator<Item = TimedFrame>> {
        Box::new(
            frames
                .into_iter()
                .map(|(t, f)| Ok((t, f, "test".to_string()))),
        )
    }

    fn one(variant: Variant, frame: Frame) -> Frame {
        apply(variant, timed(vec![(0.0, frame)]), None)
            .next()
            .unwrap()
            .unwrap()
            .1
    }

    #[test]
    fn variants_change_the_picture_as_named() {
        let mirrored = one(Variant::Mirror, gradient(40, 30));
        assert_eq!(&mirrored.rgb()[..3], &[39, 0, 200]);
        let cropped = one(Variant::Crop, gradient(40, 32));
        assert_eq!((cropped.width(), cropped.height()), (30, 24));
        assert_eq!(&cropped.rgb()[..3], &[5, 4, 200]);
        let night = one(Variant::Night, gradient(40, 30));
        let p = &night.rgb()[3 * 35..3 * 36];
        assert!(p[0] == p[1] && p[1] == p[2], "grey");
        assert!(p[0] < 40, "dark: {}", p[0]);
    }

    #[test]
    fn ten_fps_keeps_one_frame_in_each_tenth_of_a_second() {
        let frames = (0..30)
            .map(|i| (f64::from(i) / 30.0, gradient(16, 16)))
            .collect();
        let kept: Vec<f64> = apply(Variant::TenFps, timed(frames), None)
            .map(|item| item.unwrap().0)
            .collect();
        assert_eq!(kept.len(), 10, "{kept:?}");
    }

    #[test]
    fn a_bystander_stands_where_the_clip_is_still() {
        // Something moves on the left; the bystander goes right.
        let frames: Vec<(f64, Frame)> = (0..5)
            .map(|i| {
                let mut rgb = vec![50u8; 64 * 48 * 3];
                for y in 0..48 {
                    for x in 0..16 {
                        rgb[(y * 64 + x) * 3] = (i * 40) as u8;
                    }
                }
                (f64::from(i), Frame::from_rgb(64, 48, rgb).unwrap())
            })
            .collect();
        let donor = Frame::from_rgb(20, 40, vec![255u8; 20 * 40 * 3]).unwrap();
        let cutout = Cutout::of(&donor, [0.0, 0.0, 20.0, 40.0]).unwrap();
        let place = quietest_place(timed(frames), &cutout);
        assert!(place.x >= 16, "{place:?}");
        let changed = apply(
            Variant::Bystander,
            timed(vec![(0.0, gradient(64, 48))]),
            Some((&cutout, place)),
        )
        .next()
        .unwrap()
        .unwrap()
        .1;
        let feet = ((48 - 48 / 10 - 1) * 64 + place.x + 1) as usize * 3;
        assert_eq!(&changed.rgb()[feet..feet + 3], &[255, 255, 255]);
    }

    #[test]
    fn variant_names_read_back() {
        for v in Variant::ALL {
            assert_eq!(v.name().parse::<Variant>(), Ok(v));
        }
        assert!("sepia".parse::<Variant>().unwrap_err().contains("mirror"));
    }
}
