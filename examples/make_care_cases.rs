//! Writes the generated labelled care set (`tryghed::care::cases`) to a
//! folder, one case folder each, for `tryghed eval`:
//!
//!     cargo run --release --example make_care_cases -- target/care-cases
//!     target/release/tryghed eval target/care-cases

fn main() -> Result<(), String> {
    let out = std::env::args().nth(1).unwrap_or_else(|| "target/care-cases".to_string());
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/audio");
    tryghed::eval::write_cases(&tryghed::care::cases::labelled_cases(), std::path::Path::new(&out), &fixtures)?;
    println!("wrote the labelled care set to {out}");
    Ok(())
}
