// A camera frame must never be serialised: not to JSON, not to the database,
// not to the network (R6.2).
fn main() {
    let frame = tryghed::capture::Frame::from_rgb(16, 16, vec![0; 16 * 16 * 3]).unwrap();
    let _ = serde_json::to_string(&frame);
}
