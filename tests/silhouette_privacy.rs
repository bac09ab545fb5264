//! The silhouette, the only picture that may leave the room, is not
//! identifiable (R6.1): MediaPipe's own face detector finds the face in each
//! fixture portrait, and no face in that portrait's silhouette; and the
//! silhouette is drawn in a handful of flat colours, holding no camera pixel.

mod common;

use tryghed::capture::Frame;
use tryghed::vision::face::FaceDetector;
use tryghed::vision::silhouette::{Silhouette, PALETTE};

const PORTRAITS: [&str; 3] = [
    "photos/astronaut.png",
    "photos/grace_hopper.jpg",
    "photos/camera.png",
];

fn silhouette_of(file: &str) -> (Frame, Silhouette) {
    let mut tracker = common::tracker();
    let frame = Frame::decode_file(&common::fixture(file)).unwrap();
    let persons = tracker.analyze_image(&frame).unwrap();
    assert!(!persons.is_empty(), "{file}: nobody found");
    let silhouette = Silhouette::draw(frame.width(), frame.height(), &persons);
    (frame, silhouette)
}

/// The silhouette as the PNG staff would get, decoded at the photo's size.
fn silhouette_as_image(frame: &Frame, silhouette: &Silhouette) -> Frame {
    let scale = frame
        .width()
        .max(frame.height())
        .div_ceil(silhouette.width().max(silhouette.height()));
    let png = silhouette.to_png(scale).unwrap();
    Frame::decode_bytes("silhouette.png", png).unwrap()
}

#[test]
fn face_detector_finds_the_face_in_each_photo_but_not_in_its_silhouette() {
    let mut faces = FaceDetector::load(&common::runtime(), &common::models_dir()).unwrap();
    for file in PORTRAITS {
        let (frame, silhouette) = silhouette_of(file);
        let in_photo = faces.faces(&frame).unwrap();
        assert!(
            !in_photo.is_empty(),
            "{file}: the face detector must find the face in the photo"
        );
        println!("{file}: face in photo, score {:.2}", in_photo[0].score);
        let picture = silhouette_as_image(&frame, &silhouette);
        let in_silhouette = faces.faces(&picture).unwrap();
        assert!(
            in_silhouette.is_empty(),
            "{file}: a face was found in the silhouette: {in_silhouette:?}"
        );
    }
}

#[test]
fn silhouette_has_only_a_handful_of_colours_and_none_from_the_camera() {
    for file in PORTRAITS {
        let (frame, silhouette) = silhouette_of(file);
        assert!(silhouette.colours_used() <= PALETTE.len());
        let picture = silhouette_as_image(&frame, &silhouette);
        let mut colours: Vec<[u8; 3]> = picture
            .rgb()
            .chunks_exact(3)
            .map(|p| [p[0], p[1], p[2]])
            .collect();
        colours.sort();
        colours.dedup();
        assert!(colours.len() <= 4, "{file}: {} colours", colours.len());
        assert!(
            colours.iter().all(|c| PALETTE.contains(c)),
            "{file}: a colour outside the palette"
        );
        assert!(
            colours.len() >= 3,
            "{file}: expected body, bones and background, got {colours:?}"
        );
    }
}

#[test]
fn silhouette_is_coarse() {
    let (_, silhouette) = silhouette_of("photos/grace_hopper.jpg");
    assert!(
        silhouette.width().max(silhouette.height()) <= tryghed::vision::silhouette::GRID_LONG_SIDE
    );
}
