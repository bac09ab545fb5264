//! Writes the generated labelled care set (`tryghed::care::cases`) to a
//! folder, one case folder each, for `tryghed eval`:
//!
//!     cargo run --release --example make_care_cases -- target/care-cases
//!     target/release/tryghed eval target/care-cases

fn main() -> std::io::Result<()> {
    let out = std::env::args().nth(1).unwrap_or_else(|| "target/care-cases".to_string());
    let out = std::path::Path::new(&out);
    for case in tryghed::care::cases::labelled_cases() {
        let dir = out.join(&case.name);
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join("case.toml"), &case.case_toml)?;
        std::fs::write(dir.join("room.toml"), &case.room_toml)?;
        std::fs::write(dir.join("keypoints.jsonl"), tryghed::eval::keypoints_jsonl(&case.frames))?;
    }
    println!("wrote the labelled care set to {}", out.display());
    Ok(())
}
