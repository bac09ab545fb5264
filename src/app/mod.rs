//! Wiring: the one place that starts threads and makes channels between
//! stages. Capture runs on its own thread and hands frames to vision through
//! a one-frame mailbox where the newest frame wins.

use std::path::Path;
use std::sync::mpsc;
use std::thread::JoinHandle;

use crate::capture::camera::{Camera, CameraError};
use crate::capture::latest::{latest_frame, FrameReceiver};
use crate::capture::replay::{Replay, ReplayError};

mod device_loop;
mod gate_watch;
pub mod hub_service;
pub mod live_door;
pub mod look_door;
pub mod product;
mod sound;
pub mod systemd;
pub use gate_watch::{watch_gate, GateWatch, GateWatchError, GATE_POLL};
pub use sound::{spawn_microphone, SoundStage, MICROPHONE_STALL};

/// A capture thread and what comes out of it.
pub struct CaptureStage {
    pub frames: FrameReceiver,
    /// Frames that could not be read, as messages (file and cause, no pixels).
    pub faults: mpsc::Receiver<String>,
    /// How many frames the source will offer; `None` for a camera.
    pub total: Option<usize>,
    pub thread: JoinHandle<()>,
}

/// Replays a folder at `fps` on a capture thread, as a camera would deliver.
pub fn spawn_replay(folder: &Path, fps: f64) -> Result<CaptureStage, ReplayError> {
    spawn_replay_from(folder, Replay::open(folder, Some(fps))?)
}

/// Like [`spawn_replay`], replaying the folder again and again until vision
/// stops listening.
pub fn spawn_replay_looping(folder: &Path, fps: f64) -> Result<CaptureStage, ReplayError> {
    spawn_replay_from(folder, Replay::open(folder, Some(fps))?.looping())
}

fn spawn_replay_from(folder: &Path, replay: Replay) -> Result<CaptureStage, ReplayError> {
    let total = replay.len();
    let (sender, frames) = latest_frame();
    let (fault_tx, faults) = mpsc::channel();
    let thread = std::thread::Builder::new()
        .name("capture".into())
        .spawn(move || {
            for item in replay {
                if sender.is_abandoned() {
                    return;
                }
                match item {
                    Ok(frame) => sender.send(frame),
                    // A bad frame is reported and skipped; the stream goes on.
                    Err(e) => {
                        let _ = fault_tx.send(e.to_string());
                    }
                }
            }
        })
        .map_err(|e| ReplayError::List {
            folder: folder.display().to_string(),
            cause: e,
        })?;
    Ok(CaptureStage {
        frames,
        faults,
        total: Some(total),
        thread,
    })
}

/// Streams a live camera on a capture thread until vision stops listening
/// or the camera fails; a failure arrives as a fault message (a device
/// fault, not a crash).
pub fn spawn_camera(index: u32) -> Result<CaptureStage, CameraError> {
    let (sender, frames) = latest_frame();
    let (fault_tx, faults) = mpsc::channel();
    let (opened_tx, opened) = mpsc::channel();
    let thread = std::thread::Builder::new()
        .name("capture".into())
        .spawn(move || {
            // The camera is opened on the thread that reads it: device
            // handles need not be shareable between threads.
            let mut camera = match Camera::open(index) {
                Ok(camera) => camera,
                Err(e) => {
                    let _ = opened_tx.send(Err(e));
                    return;
                }
            };
            let _ = opened_tx.send(Ok(()));
            while !sender.is_abandoned() {
                match camera.next_frame() {
                    Ok(frame) => sender.send(frame),
                    Err(e) => {
                        let _ = fault_tx.send(e.to_string());
                        return;
                    }
                }
            }
        })
        .map_err(|e| CameraError::Device {
            index,
            reason: e.to_string(),
        })?;
    match opened.recv() {
        Ok(Ok(())) => Ok(CaptureStage {
            frames,
            faults,
            total: None,
            thread,
        }),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(CameraError::Device {
            index,
            reason: "the capture thread ended before opening the camera".into(),
        }),
    }
}
