//! Writes the project's labelled care set to a folder, one case folder
//! each, for `tryghed eval`: the generated keypoint cases
//! (`tryghed::care::cases`, sounds mixed from `fixtures/audio/`) and the
//! cases built from a real photo (`tryghed::photo_cases`, frames that go
//! through the pose model):
//!
//!     cargo run --release --example make_care_cases -- target/care-cases
//!     target/release/tryghed eval target/care-cases

fn main() -> Result<(), String> {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "target/care-cases".to_string());
    let out = std::path::Path::new(&out);
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    tryghed::eval::write_cases(
        &tryghed::care::cases::labelled_cases(),
        out,
        &fixtures.join("audio"),
    )?;
    tryghed::photo_cases::write_photo_cases(out, &fixtures.join("photos"))?;
    println!("wrote the labelled care set to {}", out.display());
    Ok(())
}
