//! Labelled cases built from a real photograph, for `tryghed eval`
//! through the real vision path: the beige-coated man cut out of
//! `fixtures/photos/bus.jpg` (the same cut-out as `fixtures/derived/`'s
//! `bus_person1_*`, box x 30–255, y 380–915) standing on a grey floor of a
//! 640×480 frame, then falling (turned about his feet to lying, faster and
//! faster as a body falls), leaning and coming back, walking across, or
//! lying there from the start. Frames are written as JPEG (quality 92).
//! These are not recordings of a fall: a photo turned about its feet has
//! no bending knees or arms thrown out. They test that the pose model
//! follows a body through a fall and that the rules read what it gives.

use std::path::Path;

use image::{ImageBuffer, Rgb, RgbImage};

const WIDTH: u32 = 640;
const HEIGHT: u32 = 480;
const FPS: f64 = 15.0;
/// The cut-out in the photo: x, y, width, height.
const CUT: (u32, u32, u32, u32) = (30, 380, 225, 535);
/// The man's height in the frame, and where his feet stand.
const TALL: f32 = 300.0;
const FEET: (f32, f32) = (320.0, 400.0);
const GREY: [u8; 3] = [128, 128, 128];

/// Where the body is at a moment: the feet's x, and the turn about the
/// feet in degrees (positive: falls to the picture's right).
type Placement = fn(f64) -> (f32, f32);

struct PhotoCase {
    name: &'static str,
    seconds: f64,
    placement: Placement,
    expect: &'static [(&'static str, f64, f64)],
}

fn fall_right(t: f64) -> (f32, f32) {
    (FEET.0 - 140.0, falling(t))
}

fn fall_left(t: f64) -> (f32, f32) {
    (FEET.0 + 140.0, -falling(t))
}

/// Standing for 2 s, then a fall that reaches the floor at 2.6 s.
fn falling(t: f64) -> f32 {
    let u = ((t - 2.0) / 0.6).clamp(0.0, 1.0) as f32;
    90.0 * u * u
}

fn standing(_: f64) -> (f32, f32) {
    (FEET.0, 0.0)
}

fn walking(t: f64) -> (f32, f32) {
    (160.0 + 40.0 * t as f32, 0.0)
}

fn leaning(t: f64) -> (f32, f32) {
    // Leans 25° over 1.5 s and straightens again: reaching for something.
    let u = (((t - 2.0) / 1.5).clamp(0.0, 2.0) as f32 - 1.0).abs();
    (FEET.0, 25.0 * (1.0 - u))
}

fn lying(_: f64) -> (f32, f32) {
    (FEET.0 - 140.0, 90.0)
}

const CASES: [PhotoCase; 6] = [
    PhotoCase {
        name: "photo_fall_right",
        seconds: 10.0,
        placement: fall_right,
        expect: &[("fall", 2.6, 4.6), ("on_floor", 7.5, 9.5)],
    },
    PhotoCase {
        name: "photo_fall_left",
        seconds: 10.0,
        placement: fall_left,
        expect: &[("fall", 2.6, 4.6), ("on_floor", 7.5, 9.5)],
    },
    PhotoCase {
        name: "photo_no_fall_standing",
        seconds: 8.0,
        placement: standing,
        expect: &[],
    },
    PhotoCase {
        name: "photo_no_fall_walking",
        seconds: 8.0,
        placement: walking,
        expect: &[],
    },
    PhotoCase {
        name: "photo_no_fall_leaning",
        seconds: 8.0,
        placement: leaning,
        expect: &[],
    },
    // Found lying when the camera starts: on the floor, but nobody saw a fall.
    PhotoCase {
        name: "photo_lying_from_the_start",
        seconds: 8.0,
        placement: lying,
        expect: &[("on_floor", 5.0, 6.5)],
    },
];

/// One frame: the cut-out scaled to `TALL`, turned `degrees` about its feet
/// standing at (`feet_x`, floor), sampled bilinearly; grey elsewhere.
fn compose(cut: &RgbImage, feet_x: f32, degrees: f32) -> RgbImage {
    let scale = TALL / cut.height() as f32;
    let (sin, cos) = degrees.to_radians().sin_cos();
    // The feet are the middle of the cut-out's bottom edge.
    let pivot = (cut.width() as f32 / 2.0, cut.height() as f32);
    ImageBuffer::from_fn(WIDTH, HEIGHT, |u, v| {
        let (dx, dy) = (u as f32 - feet_x, v as f32 - FEET.1);
        // Turn back, then undo the scale, into the cut-out's pixels.
        let (rx, ry) = (dx * cos + dy * sin, -dx * sin + dy * cos);
        let (x, y) = (pivot.0 + rx / scale, pivot.1 + ry / scale);
        Rgb(sample(cut, x, y).unwrap_or(GREY))
    })
}

fn sample(image: &RgbImage, x: f32, y: f32) -> Option<[u8; 3]> {
    if x < 0.0 || y < 0.0 || x > (image.width() - 1) as f32 || y > (image.height() - 1) as f32 {
        return None;
    }
    let (x0, y0) = (x.floor() as u32, y.floor() as u32);
    let (x1, y1) = (
        (x0 + 1).min(image.width() - 1),
        (y0 + 1).min(image.height() - 1),
    );
    let (fx, fy) = (x - x0 as f32, y - y0 as f32);
    let p = |x, y| image.get_pixel(x, y).0.map(f32::from);
    let (a, b, c, d) = (p(x0, y0), p(x1, y0), p(x0, y1), p(x1, y1));
    Some(std::array::from_fn(|i| {
        let top = a[i] + (b[i] - a[i]) * fx;
        let bottom = c[i] + (d[i] - c[i]) * fx;
        (top + (bottom - top) * fy).round() as u8
    }))
}

/// The man cut out of `photos/bus.jpg`.
fn cut_out(photos: &Path) -> Result<RgbImage, String> {
    let source = photos.join("bus.jpg");
    let photo = image::open(&source)
        .map_err(|e| format!("{}: {e}", source.display()))?
        .to_rgb8();
    let (x, y, w, h) = CUT;
    if photo.width() < x + w || photo.height() < y + h {
        return Err(format!(
            "{}: {}x{}, too small for the cut-out",
            source.display(),
            photo.width(),
            photo.height()
        ));
    }
    Ok(image::imageops::crop_imm(&photo, x, y, w, h).to_image())
}

/// Writes the photo cases under `out`, reading the photo from `photos`.
/// Test material made from a fixture photo, never from a camera.
pub fn write_photo_cases(out: &Path, photos: &Path) -> Result<(), String> {
    let cut = cut_out(photos)?;
    for case in &CASES {
        let dir = out.join(case.name);
        let frames = dir.join("frames");
        std::fs::create_dir_all(&frames).map_err(|e| format!("{}: {e}", frames.display()))?;
        let mut toml = format!("# built by photo_cases from fixtures/photos/bus.jpg ({})\nfps = {FPS}\n[care.fall]\non_floor_after_s = 5.0\nunseen_on_floor_after_s = 5.0\n", case.name);
        for (kind, from, to) in case.expect {
            toml += &format!("\n[[expect]]\nkind = \"{kind}\"\nfrom_s = {from}\nto_s = {to}\n");
        }
        std::fs::write(dir.join("case.toml"), toml)
            .map_err(|e| format!("{}: {e}", dir.display()))?;
        for i in 0..(case.seconds * FPS) as usize {
            let (feet_x, degrees) = (case.placement)(i as f64 / FPS);
            let frame = compose(&cut, feet_x, degrees);
            let path = frames.join(format!("frame_{i:04}.jpg"));
            let file =
                std::fs::File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            image::codecs::jpeg::JpegEncoder::new_with_quality(std::io::BufWriter::new(file), 92)
                .encode_image(&frame)
                .map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }
    Ok(())
}

/// The demo room: the same man, in memory only, standing, falling at 5 s,
/// lying on the floor until 50 s, then up again (helped), over and over
/// every 60 s. What `tryghed demo` shows staff an alarm from.
pub struct DemoScene {
    cut: RgbImage,
}

/// One turn of the demo scene, in seconds.
pub const DEMO_SCENE_S: f64 = 60.0;

impl DemoScene {
    pub fn load(photos: &Path) -> Result<DemoScene, String> {
        Ok(DemoScene {
            cut: cut_out(photos)?,
        })
    }

    /// The frame at `t` seconds, as a camera would deliver it.
    pub fn frame_at(&self, t: f64) -> Result<crate::capture::Frame, crate::capture::FrameError> {
        let t = t.rem_euclid(DEMO_SCENE_S);
        let degrees = if t < 50.0 {
            90.0 * (((t - 5.0) / 0.6).clamp(0.0, 1.0) as f32).powi(2)
        } else {
            0.0
        };
        let image = compose(&self.cut, FEET.0 - 140.0, degrees);
        let (width, height) = image.dimensions();
        crate::capture::Frame::from_rgb(width, height, image.into_raw())
    }
}
