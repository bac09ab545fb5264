//! The room in image coordinates: a bed, a door, optional floor and chair
//! areas, and masks to ignore (a television, a mirror). Read from TOML and
//! checked before anything runs; fall and floor detection need none of it.

use serde::Deserialize;

/// A simple polygon in image pixels.
#[derive(Debug, Clone, PartialEq)]
pub struct Polygon {
    points: Vec<(f32, f32)>,
}

impl Polygon {
    /// Checks the points: at least 3, all finite, inside `width`×`height`,
    /// with an area, and no edge crossing another.
    pub fn new(points: Vec<(f32, f32)>, width: u32, height: u32) -> Result<Polygon, String> {
        if points.len() < 3 {
            return Err(format!(
                "a polygon needs at least 3 points, found {}",
                points.len()
            ));
        }
        for (i, (x, y)) in points.iter().enumerate() {
            if !x.is_finite() || !y.is_finite() {
                return Err(format!("point {} is not a number", i + 1));
            }
            if *x < 0.0 || *y < 0.0 || *x > width as f32 || *y > height as f32 {
                return Err(format!(
                    "point {} ({x}, {y}) is outside the {width}x{height} image",
                    i + 1
                ));
            }
        }
        let polygon = Polygon { points };
        if let Some((a, b)) = polygon.crossing_edges() {
            return Err(format!(
                "the polygon crosses itself (edge {a} crosses edge {b})"
            ));
        }
        if polygon.area() < 1.0 {
            return Err("the polygon has no area".to_string());
        }
        Ok(polygon)
    }

    pub fn points(&self) -> &[(f32, f32)] {
        &self.points
    }

    fn edges(&self) -> impl Iterator<Item = ((f32, f32), (f32, f32))> + '_ {
        self.points
            .iter()
            .zip(self.points.iter().cycle().skip(1))
            .map(|(a, b)| (*a, *b))
    }

    pub fn area(&self) -> f32 {
        (self
            .edges()
            .map(|(a, b)| a.0 * b.1 - b.0 * a.1)
            .sum::<f32>()
            / 2.0)
            .abs()
    }

    /// Even-odd rule; points on an edge may fall either way.
    pub fn contains(&self, x: f32, y: f32) -> bool {
        let mut inside = false;
        for (a, b) in self.edges() {
            if (a.1 > y) != (b.1 > y) && x < a.0 + (y - a.1) * (b.0 - a.0) / (b.1 - a.1) {
                inside = !inside;
            }
        }
        inside
    }

    /// Distance from a point to the polygon's outline.
    pub fn distance_to_edge(&self, x: f32, y: f32) -> f32 {
        self.edges()
            .map(|(a, b)| {
                let (dx, dy) = (b.0 - a.0, b.1 - a.1);
                let t = (((x - a.0) * dx + (y - a.1) * dy)
                    / (dx * dx + dy * dy).max(f32::MIN_POSITIVE))
                .clamp(0.0, 1.0);
                ((a.0 + t * dx - x).powi(2) + (a.1 + t * dy - y).powi(2)).sqrt()
            })
            .fold(f32::INFINITY, f32::min)
    }

    /// The first pair of non-neighbouring edges that cross (1-based).
    fn crossing_edges(&self) -> Option<(usize, usize)> {
        let edges: Vec<_> = self.edges().collect();
        let n = edges.len();
        for i in 0..n {
            for j in i + 1..n {
                if j == i + 1 || (i == 0 && j == n - 1) {
                    continue;
                }
                if segments_cross(edges[i], edges[j]) {
                    return Some((i + 1, j + 1));
                }
            }
        }
        None
    }
}

fn segments_cross((p1, p2): ((f32, f32), (f32, f32)), (q1, q2): ((f32, f32), (f32, f32))) -> bool {
    let orient = |a: (f32, f32), b: (f32, f32), c: (f32, f32)| {
        (b.0 - a.0) * (c.1 - a.1) - (b.1 - a.1) * (c.0 - a.0)
    };
    let (d1, d2) = (orient(q1, q2, p1), orient(q1, q2, p2));
    let (d3, d4) = (orient(p1, p2, q1), orient(p1, p2, q2));
    (d1 > 0.0) != (d2 > 0.0)
        && (d3 > 0.0) != (d4 > 0.0)
        && d1 != 0.0
        && d2 != 0.0
        && d3 != 0.0
        && d4 != 0.0
}

/// A room as an installer describes it:
///
/// ```toml
/// [image]
/// width = 640
/// height = 480
/// [zones]
/// bed = [[300, 200], [600, 200], [600, 400], [300, 400]]
/// door = [[0, 50], [60, 50], [60, 300], [0, 300]]
/// chairs = [[[...]]]
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Room {
    pub width: u32,
    pub height: u32,
    pub bed: Option<Polygon>,
    pub door: Option<Polygon>,
    pub floor: Option<Polygon>,
    pub chairs: Vec<Polygon>,
    pub ignore: Vec<Polygon>,
    /// Where the camera hangs, when the installer has measured it.
    pub camera: Option<CameraGeometry>,
}

/// The camera's height and tilt, from the room file's `[camera]` table:
/// enough to put a pixel back on the floor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CameraGeometry {
    pub height_m: f32,
    pub pitch_deg: f32,
    /// Focal length in pixels, from the horizontal field of view.
    pub focal_px: f32,
    pub centre: (f32, f32),
}

impl CameraGeometry {
    /// Where the ray through pixel (u, v) meets the plane `above_m` over
    /// the floor: (across, away) in metres from the camera's foot; `None`
    /// when the ray does not come down to it (at or above the horizon).
    pub fn on_floor(&self, (u, v): (f32, f32), above_m: f32) -> Option<(f32, f32)> {
        let (x, y) = (
            (u - self.centre.0) / self.focal_px,
            (v - self.centre.1) / self.focal_px,
        );
        let (sp, cp) = self.pitch_deg.to_radians().sin_cos();
        // The ray in the room: across, up, away.
        let (dx, dy, dz) = (x, -y * cp - sp, -y * sp + cp);
        let drop = above_m - self.height_m;
        if dy >= -1e-6 || drop >= 0.0 {
            return None;
        }
        let t = drop / dy;
        Some((t * dx, t * dz))
    }
}

impl Room {
    /// A room with no zones: falls and lying on the floor are still found.
    pub fn unzoned(width: u32, height: u32) -> Room {
        Room {
            width,
            height,
            bed: None,
            door: None,
            floor: None,
            chairs: Vec::new(),
            ignore: Vec::new(),
            camera: None,
        }
    }

    /// Reads a room file; every problem is reported at once, naming the file.
    pub fn parse(file: &str, text: &str) -> Result<Room, String> {
        let raw: RawRoom = toml::from_str(text)
            .map_err(|e| format!("{file}: {}", e.to_string().trim_end().replace('\n', " ")))?;
        let mut problems = Vec::new();
        if raw.image.width == 0
            || raw.image.height == 0
            || raw.image.width > 10_000
            || raw.image.height > 10_000
        {
            problems.push(format!(
                "image: {}x{} is not a camera image size",
                raw.image.width, raw.image.height
            ));
        }
        let (w, h) = (raw.image.width, raw.image.height);
        let mut one = |name: &str, points: Option<Vec<[f32; 2]>>| -> Option<Polygon> {
            let points = points?;
            Polygon::new(points.into_iter().map(|[x, y]| (x, y)).collect(), w, h)
                .map_err(|e| problems.push(format!("{name}: {e}")))
                .ok()
        };
        let zones = raw.zones;
        let bed = one("zones.bed", zones.bed);
        let door = one("zones.door", zones.door);
        let floor = one("zones.floor", zones.floor);
        let chairs = zones
            .chairs
            .into_iter()
            .enumerate()
            .filter_map(|(i, c)| one(&format!("zones.chairs[{i}]"), Some(c)))
            .collect();
        let ignore = zones
            .ignore
            .into_iter()
            .enumerate()
            .filter_map(|(i, c)| one(&format!("zones.ignore[{i}]"), Some(c)))
            .collect();
        let camera = raw.camera.map(|c| {
            let mut bad = |what: String| problems.push(format!("camera.{what}"));
            if !(0.5..=6.0).contains(&c.height_m) {
                bad(format!(
                    "height_m: {} m is not a room camera's height (0.5 to 6 m above the floor)",
                    c.height_m
                ));
            }
            if !(0.0..=89.0).contains(&c.pitch_deg) {
                bad(format!(
                    "pitch_deg: {}° must be from 0 (looking level) to 89 (looking down)",
                    c.pitch_deg
                ));
            }
            if !(20.0..=170.0).contains(&c.fov_deg) {
                bad(format!(
                    "fov_deg: {}° is not a camera's horizontal field of view (20 to 170)",
                    c.fov_deg
                ));
            }
            let focal_px = w as f32 / 2.0 / (c.fov_deg.to_radians() / 2.0).tan();
            CameraGeometry {
                height_m: c.height_m,
                pitch_deg: c.pitch_deg,
                focal_px,
                centre: (w as f32 / 2.0, h as f32 / 2.0),
            }
        });
        if !problems.is_empty() {
            return Err(format!("{file}: {}", problems.join("; ")));
        }
        Ok(Room {
            width: w,
            height: h,
            bed,
            door,
            floor,
            chairs,
            ignore,
            camera,
        })
    }

    pub fn load(path: &std::path::Path) -> Result<Room, String> {
        let file = path.display().to_string();
        let text =
            std::fs::read_to_string(path).map_err(|e| format!("{file}: cannot read: {e}"))?;
        Room::parse(&file, &text)
    }

    pub fn in_bed(&self, x: f32, y: f32) -> bool {
        self.bed.as_ref().is_some_and(|b| b.contains(x, y))
    }

    pub fn in_door(&self, x: f32, y: f32) -> bool {
        self.door.as_ref().is_some_and(|d| d.contains(x, y))
    }

    pub fn in_chair(&self, x: f32, y: f32) -> bool {
        self.chairs.iter().any(|c| c.contains(x, y))
    }

    pub fn ignored(&self, x: f32, y: f32) -> bool {
        self.ignore.iter().any(|m| m.contains(x, y))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRoom {
    image: RawImage,
    #[serde(default)]
    zones: RawZones,
    camera: Option<RawCamera>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCamera {
    height_m: f32,
    pitch_deg: f32,
    #[serde(default = "default_fov")]
    fov_deg: f32,
}

fn default_fov() -> f32 {
    90.0
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawZones {
    bed: Option<Vec<[f32; 2]>>,
    door: Option<Vec<[f32; 2]>>,
    floor: Option<Vec<[f32; 2]>>,
    #[serde(default)]
    chairs: Vec<Vec<[f32; 2]>>,
    #[serde(default)]
    ignore: Vec<Vec<[f32; 2]>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawImage {
    width: u32,
    height: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square() -> Polygon {
        Polygon::new(
            vec![(10.0, 10.0), (110.0, 10.0), (110.0, 60.0), (10.0, 60.0)],
            640,
            480,
        )
        .unwrap()
    }

    #[test]
    fn contains_and_distance() {
        let s = square();
        assert!(s.contains(50.0, 30.0));
        assert!(!s.contains(5.0, 30.0) && !s.contains(50.0, 70.0));
        assert!((s.distance_to_edge(50.0, 30.0) - 20.0).abs() < 1e-4);
        assert!((s.distance_to_edge(120.0, 30.0) - 10.0).abs() < 1e-4);
        assert!((s.area() - 5000.0).abs() < 1e-3);
    }

    #[test]
    fn bad_polygons_are_named() {
        let bow_tie = Polygon::new(
            vec![(0.0, 0.0), (100.0, 100.0), (100.0, 0.0), (0.0, 100.0)],
            640,
            480,
        )
        .unwrap_err();
        assert!(bow_tie.contains("crosses itself"), "{bow_tie}");
        let outside =
            Polygon::new(vec![(0.0, 0.0), (700.0, 0.0), (0.0, 100.0)], 640, 480).unwrap_err();
        assert!(outside.contains("outside the 640x480 image"), "{outside}");
        assert!(Polygon::new(vec![(0.0, 0.0), (1.0, 1.0)], 640, 480)
            .unwrap_err()
            .contains("at least 3"));
        assert!(
            Polygon::new(vec![(0.0, 0.0), (10.0, 10.0), (20.0, 20.0)], 640, 480)
                .unwrap_err()
                .contains("no area")
        );
    }

    #[test]
    fn a_room_file_reports_every_problem_with_its_name() {
        let good = "[image]\nwidth = 640\nheight = 480\n[zones]\nbed = [[300, 200], [600, 200], [600, 400], [300, 400]]\ndoor = [[0, 50], [60, 50], [60, 300], [0, 300]]\n";
        let room = Room::parse("room.toml", good).unwrap();
        assert!(
            room.in_bed(400.0, 300.0) && room.in_door(30.0, 100.0) && !room.in_bed(30.0, 100.0)
        );
        let bad = "[image]\nwidth = 640\nheight = 480\n[zones]\nbed = [[0, 0], [100, 100], [100, 0], [0, 100]]\ndoor = [[0, 0], [900, 0], [0, 10]]\n";
        let err = Room::parse("room.toml", bad).unwrap_err();
        assert!(
            err.starts_with("room.toml: zones.bed: the polygon crosses itself")
                && err.contains("zones.door: point 2 (900, 0) is outside"),
            "{err}"
        );
        let err = Room::parse(
            "room.toml",
            "[image]\nwidth = 640\nheight = 480\n[zones]\nsofa = [[0, 0]]\n",
        )
        .unwrap_err();
        assert!(err.contains("sofa"), "{err}");
        assert!(Room::parse("room.toml", "").unwrap_err().contains("image"));
        assert_eq!(
            Room::parse("r", "[image]\nwidth = 320\nheight = 240\n").unwrap(),
            Room::unzoned(320, 240)
        );
        let err = Room::parse(
            "room.toml",
            "[image]\nwidth = 640\nheight = 480\n[camera]\nheight_m = 24\npitch_deg = 95\n",
        )
        .unwrap_err();
        assert!(
            err.contains("camera.height_m: 24 m") && err.contains("camera.pitch_deg: 95°"),
            "{err}"
        );
    }

    #[test]
    fn a_pixel_goes_back_to_the_floor() {
        let room = Room::parse("r", "[image]\nwidth = 640\nheight = 480\n[camera]\nheight_m = 2.0\npitch_deg = 45\nfov_deg = 90\n").unwrap();
        let camera = room.camera.unwrap();
        // The middle of the picture looks down at 45°: the floor 2 m away.
        let (across, away) = camera.on_floor((320.0, 240.0), 0.0).unwrap();
        assert!(
            across.abs() < 1e-4 && (away - 2.0).abs() < 1e-4,
            "{across} {away}"
        );
        // The top row looks level: it never reaches the floor.
        assert!(camera.on_floor((320.0, -80.0), 0.0).is_none());
    }
}
