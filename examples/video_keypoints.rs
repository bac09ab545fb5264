//! Writes the poses the pose model finds in a video (or a folder of frames
//! at `--fps`) as `keypoints.jsonl` lines on standard output, world
//! landmarks included: keypoints only, never a pixel. With it a real clip
//! becomes a keypoint case for `tryghed eval`, so rules can be tried on
//! real people in milliseconds instead of minutes. A tool for development
//! sets of consenting volunteers: it reads files, never a camera, and the
//! product itself writes no one's keypoints anywhere.
//!
//!     cargo run --release --example video_keypoints -- CLIP.mp4 > keypoints.jsonl

use std::io::Write;
use std::path::PathBuf;

use tryghed::capture::FramesFrom;
use tryghed::config::Config;
use tryghed::inference::Runtime;
use tryghed::replay::ModelInputs;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (path, fps) = match args.as_slice() {
        [path] => (PathBuf::from(path), None),
        [path, flag, fps] if flag == "--fps" => (PathBuf::from(path), Some(fps.parse::<f64>()?)),
        _ => anyhow::bail!("usage: video_keypoints CLIP.mp4 | video_keypoints DIR --fps N"),
    };
    let config = Config::default();
    let mut inputs = ModelInputs::new(Some(Runtime::load()?), &config);
    let from = match fps {
        Some(fps) => FramesFrom::Folder { dir: &path, fps },
        None => FramesFrom::Video(&path),
    };
    let seen = inputs.poses(from)?;
    let mut out = std::io::stdout().lock();
    for (t, poses) in &seen.frames {
        out.write_all(tryghed::eval::keypoints_line(*t, poses).as_bytes())?;
    }
    eprintln!(
        "{}: {} frames, {}x{}",
        path.display(),
        seen.frames.len(),
        seen.width,
        seen.height
    );
    Ok(())
}
