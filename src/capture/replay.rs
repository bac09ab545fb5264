//! Replay of a folder of PNG/JPEG frames at a chosen rate, as if from a camera.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::{Frame, FrameError};

#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("{folder}: cannot list the folder: {cause}")]
    List {
        folder: String,
        cause: std::io::Error,
    },
    #[error("{folder}: the folder holds no PNG or JPEG frames")]
    Empty { folder: String },
    #[error("replay rate must be above 0 and at most 240 frames per second, got {0}")]
    Rate(f64),
}

/// The image files of a folder, in name order.
pub fn frame_files(folder: &Path) -> Result<Vec<PathBuf>, ReplayError> {
    let name = folder.display().to_string();
    let entries = std::fs::read_dir(folder).map_err(|cause| ReplayError::List {
        folder: name.clone(),
        cause,
    })?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|cause| ReplayError::List {
                folder: name.clone(),
                cause,
            })?
            .path();
        if path.is_file() && is_image_name(&path) {
            files.push(path);
        }
    }
    if files.is_empty() {
        return Err(ReplayError::Empty { folder: name });
    }
    files.sort();
    Ok(files)
}

fn is_image_name(path: &Path) -> bool {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    matches!(ext.as_deref(), Some("png" | "jpg" | "jpeg"))
}

/// Yields the frames of a folder one by one, decoded only when due, paced to
/// `fps` (or as fast as asked when unpaced). A frame that fails to decode is
/// reported as an error item and replay goes on with the next.
pub struct Replay {
    files: Vec<PathBuf>,
    next: usize,
    frame_interval: Option<Duration>,
    next_due: Option<Instant>,
    looped: bool,
}

impl Replay {
    pub fn open(folder: &Path, fps: Option<f64>) -> Result<Replay, ReplayError> {
        let frame_interval = match fps {
            Some(rate) if !(rate > 0.0 && rate <= 240.0) => return Err(ReplayError::Rate(rate)),
            Some(rate) => Some(Duration::from_secs_f64(1.0 / rate)),
            None => None,
        };
        Ok(Replay {
            files: frame_files(folder)?,
            next: 0,
            frame_interval,
            next_due: None,
            looped: false,
        })
    }

    /// Replays the folder again and again instead of ending.
    pub fn looping(mut self) -> Replay {
        self.looped = true;
        self
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

impl Iterator for Replay {
    type Item = Result<Frame, FrameError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.next == self.files.len() {
            if !self.looped {
                return None;
            }
            self.next = 0;
        }
        if let Some(interval) = self.frame_interval {
            let now = Instant::now();
            let due = self.next_due.unwrap_or(now);
            if due > now {
                std::thread::sleep(due - now);
            }
            // Never try to catch up a backlog: a live camera would drop frames.
            self.next_due = Some(due.max(now) + interval);
        }
        let path = &self.files[self.next];
        self.next += 1;
        Some(Frame::decode_file(path))
    }
}
