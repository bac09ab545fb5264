//! Wiring: the one place that starts threads and makes channels between
//! stages. Capture runs on its own thread and hands frames to vision through
//! a one-frame mailbox where the newest frame wins.

use std::path::Path;
use std::sync::mpsc;
use std::thread::JoinHandle;

use crate::capture::latest::{latest_frame, FrameReceiver};
use crate::capture::replay::{Replay, ReplayError};

/// A capture thread and what comes out of it.
pub struct CaptureStage {
    pub frames: FrameReceiver,
    /// Frames that could not be read, as messages (file and cause, no pixels).
    pub faults: mpsc::Receiver<String>,
    /// How many frames the source offered.
    pub total: usize,
    pub thread: JoinHandle<()>,
}

/// Replays a folder at `fps` on a capture thread, as a camera would deliver.
pub fn spawn_replay(folder: &Path, fps: f64) -> Result<CaptureStage, ReplayError> {
    let replay = Replay::open(folder, Some(fps))?;
    let total = replay.len();
    let (sender, frames) = latest_frame();
    let (fault_tx, faults) = mpsc::channel();
    let thread = std::thread::Builder::new()
        .name("capture".into())
        .spawn(move || {
            for item in replay {
                match item {
                    Ok(frame) => sender.send(frame),
                    // A bad frame is reported and skipped; the stream goes on.
                    Err(e) => {
                        let _ = fault_tx.send(e.to_string());
                    }
                }
            }
        })
        .map_err(|e| ReplayError::List { folder: folder.display().to_string(), source: e })?;
    Ok(CaptureStage { frames, faults, total, thread })
}
