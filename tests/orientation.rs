//! Photos from phones are often stored sideways with an EXIF orientation
//! tag. The device analyses them upright, as a person (and MediaPipe's
//! OpenCV loader) sees them.

mod common;

use tryghed::capture::Frame;

/// A JPEG APP1 segment holding only the EXIF orientation tag.
fn exif_orientation_segment(orientation: u16) -> Vec<u8> {
    let mut tiff = b"MM\x00\x2a\x00\x00\x00\x08".to_vec(); // big-endian, first IFD at 8
    tiff.extend_from_slice(&1u16.to_be_bytes()); // one entry
    tiff.extend_from_slice(&0x0112u16.to_be_bytes()); // Orientation
    tiff.extend_from_slice(&3u16.to_be_bytes()); // SHORT
    tiff.extend_from_slice(&1u32.to_be_bytes()); // count
    tiff.extend_from_slice(&orientation.to_be_bytes());
    tiff.extend_from_slice(&[0, 0]); // value padding
    tiff.extend_from_slice(&0u32.to_be_bytes()); // no next IFD
    let mut payload = b"Exif\x00\x00".to_vec();
    payload.extend_from_slice(&tiff);
    let mut segment = vec![0xff, 0xe1];
    segment.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    segment.extend_from_slice(&payload);
    segment
}

#[test]
fn a_sideways_photo_with_an_orientation_tag_is_analysed_upright() {
    let upright = image::open(common::fixture("photos/astronaut.png"))
        .unwrap()
        .to_rgb8();
    // Stored turned a quarter to the left; tag 6 says "turn right to view".
    let stored = image::imageops::rotate270(&upright);
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 95)
        .encode_image(&stored)
        .unwrap();
    let mut tagged = jpeg[..2].to_vec();
    tagged.extend_from_slice(&exif_orientation_segment(6));
    tagged.extend_from_slice(&jpeg[2..]);

    let frame = Frame::decode_bytes("sideways.jpg", tagged).unwrap();
    assert_eq!((frame.width(), frame.height()), (512, 512));
    let mut tracker = common::tracker();
    let from_tagged = tracker.analyze_image(&frame).unwrap();
    let from_upright = tracker
        .analyze_image(&Frame::decode_file(&common::fixture("photos/astronaut.png")).unwrap())
        .unwrap();
    assert_eq!(from_tagged.len(), 1);
    let (a, b) = (&from_tagged[0].pose, &from_upright[0].pose);
    // The nose is above the hips in the upright photo, and so it must be here.
    assert!(
        a.keypoints[0].y < a.keypoints[23].y,
        "the person was analysed sideways"
    );
    let mean = (0..33)
        .map(|i| (a.keypoints[i].x - b.keypoints[i].x).hypot(a.keypoints[i].y - b.keypoints[i].y))
        .sum::<f32>()
        / 33.0;
    assert!(
        mean < 10.0,
        "keypoints {mean:.1} px away from the upright photo's"
    );
}
