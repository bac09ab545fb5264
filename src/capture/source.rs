//! Where recorded frames come from, with their times: a folder of images
//! taken at a known rate, or a video file whose frames carry their own.

use std::path::Path;

use super::replay::{frame_files, ReplayError};
use super::video::{VideoError, VideoFile};
use super::{Frame, FrameError};

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error(transparent)]
    Folder(#[from] ReplayError),
    #[error(transparent)]
    Frame(#[from] FrameError),
    #[error(transparent)]
    Video(#[from] VideoError),
}

/// A folder of frames at `fps`, or a video file.
#[derive(Debug, Clone, Copy)]
pub enum FramesFrom<'p> {
    Folder { dir: &'p Path, fps: f64 },
    Video(&'p Path),
}

/// One frame, its time in seconds from the first, and what to call it in an error.
pub type TimedFrame = Result<(f64, Frame, String), SourceError>;

impl FramesFrom<'_> {
    pub fn name(&self) -> String {
        match self {
            FramesFrom::Folder { dir, .. } => dir.display().to_string(),
            FramesFrom::Video(file) => file.display().to_string(),
        }
    }

    /// The frames in order, each decoded only when asked for.
    pub fn open(&self) -> Result<Box<dyn Iterator<Item = TimedFrame>>, SourceError> {
        match *self {
            FramesFrom::Folder { dir, fps } => {
                if !(fps > 0.0 && fps <= 240.0) {
                    return Err(ReplayError::Rate(fps).into());
                }
                let files = frame_files(dir)?;
                Ok(Box::new(files.into_iter().enumerate().map(
                    move |(index, file)| {
                        let frame = Frame::decode_file(&file)?;
                        Ok((index as f64 / fps, frame, file.display().to_string()))
                    },
                )))
            }
            FramesFrom::Video(file) => {
                let name = file.display().to_string();
                let video = VideoFile::open(file)?;
                Ok(Box::new(video.map(move |item| {
                    item.map(|(t, frame)| (t, frame, name.clone()))
                        .map_err(SourceError::from)
                })))
            }
        }
    }
}
