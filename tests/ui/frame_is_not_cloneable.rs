// A camera frame must never be copied: one frame, one owner, wiped on drop (R6.2).
fn main() {
    let frame = tryghed::capture::Frame::from_rgb(16, 16, vec![0; 16 * 16 * 3]).unwrap();
    let _copy = frame.clone();
}
