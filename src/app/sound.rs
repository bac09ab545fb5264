//! The microphone's thread: blocks from the sound system, resampled to
//! 16 kHz mono chunks for analysis; a device that errors or goes quiet is a
//! fault message, never a crash.

use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use zeroize::Zeroize;

use crate::audio::resample::StreamResampler;
use crate::audio::AudioChunk;
use crate::capture::microphone::{Microphone, MicrophoneError};

/// A microphone that delivers nothing for this long has failed: a working
/// one delivers a block every few tens of milliseconds, even in silence.
pub const MICROPHONE_STALL: Duration = Duration::from_secs(2);

/// A device that has not opened in this long is stuck (a driver waiting on
/// something that never comes): the caller hears so rather than hanging.
pub const MICROPHONE_OPEN_WAIT: Duration = Duration::from_secs(10);

/// A microphone thread and what comes out of it.
pub struct SoundStage {
    pub chunks: mpsc::Receiver<AudioChunk>,
    /// Device faults as messages; after a stall the stage ends.
    pub faults: mpsc::Receiver<String>,
    /// The device's own format, before resampling.
    pub rate: u32,
    pub channels: u16,
    pub thread: JoinHandle<()>,
}

/// Opens a microphone on its own thread. Sound flows until the receiver of
/// `chunks` is dropped or the device fails.
pub fn spawn_microphone(name: Option<String>) -> Result<SoundStage, MicrophoneError> {
    let (chunk_tx, chunks) = mpsc::sync_channel::<AudioChunk>(Microphone::queue_blocks());
    let (fault_tx, faults) = mpsc::channel();
    let (opened_tx, opened) = mpsc::channel();
    let label = name.clone().unwrap_or_else(|| "default".into());
    let thread = std::thread::Builder::new()
        .name("microphone".into())
        .spawn(move || {
            let (block_tx, blocks) = mpsc::sync_channel(Microphone::queue_blocks());
            // The stream is made on the thread that owns it: a device handle
            // need not be shareable between threads.
            let microphone = match Microphone::open(name.as_deref(), block_tx, fault_tx.clone()) {
                Ok(m) => m,
                Err(e) => {
                    let _ = opened_tx.send(Err(e));
                    return;
                }
            };
            let mut resampler = match StreamResampler::new(microphone.rate()) {
                Ok(r) => r,
                Err(e) => {
                    let _ = opened_tx.send(Err(MicrophoneError::Device {
                        name: microphone.name().to_string(),
                        reason: e.to_string(),
                    }));
                    drop(blocks);
                    return;
                }
            };
            let _ = opened_tx.send(Ok((microphone.rate(), microphone.channels())));
            let name = microphone.name().to_string();
            let fault = pump(&blocks, &mut resampler, &chunk_tx, &name);
            // Order matters: analysis learns of the end at once, and the
            // device's callback, which may wait on a full queue, is freed
            // before the stream is stopped (stopping waits for the callback).
            if let Some(fault) = fault {
                let _ = fault_tx.send(fault);
            }
            drop(chunk_tx);
            drop(blocks);
            drop(microphone);
        })
        .map_err(|e| MicrophoneError::Device {
            name: label.clone(),
            reason: e.to_string(),
        })?;
    match opened.recv_timeout(MICROPHONE_OPEN_WAIT) {
        Ok(Ok((rate, channels))) => Ok(SoundStage {
            chunks,
            faults,
            rate,
            channels,
            thread,
        }),
        Ok(Err(e)) => Err(e),
        // The stuck thread is left behind: it ends by itself if the device
        // ever opens, as nothing listens for its sound any more.
        Err(mpsc::RecvTimeoutError::Timeout) => Err(MicrophoneError::Device {
            name: label,
            reason: format!(
                "the device did not open within {} s",
                MICROPHONE_OPEN_WAIT.as_secs()
            ),
        }),
        Err(mpsc::RecvTimeoutError::Disconnected) => Err(MicrophoneError::Device {
            name: label,
            reason: "the microphone thread ended before opening the device".into(),
        }),
    }
}

impl SoundStage {
    /// Stops listening. A device that hangs (a driver stuck in a read) is
    /// left to its thread rather than hanging the caller: waits at most
    /// `MICROPHONE_STALL` for the thread to end. Returns the faults seen.
    pub fn stop(self) -> Vec<String> {
        let SoundStage {
            chunks,
            faults,
            thread,
            ..
        } = self;
        drop(chunks);
        let deadline = std::time::Instant::now() + MICROPHONE_STALL;
        while !thread.is_finished() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        if thread.is_finished() {
            let _ = thread.join();
        }
        faults.try_iter().collect()
    }
}

/// Moves sound from the device to analysis until one side stops; returns
/// the fault that stopped it, if it was the device.
fn pump(
    blocks: &mpsc::Receiver<Vec<f32>>,
    resampler: &mut StreamResampler,
    chunk_tx: &mpsc::SyncSender<AudioChunk>,
    name: &str,
) -> Option<String> {
    loop {
        match blocks.recv_timeout(MICROPHONE_STALL) {
            Ok(mut block) => {
                let resampled = resampler.push(&block);
                block.zeroize();
                match resampled {
                    Ok(samples) if samples.is_empty() => {}
                    Ok(samples) => {
                        if chunk_tx.send(AudioChunk::from_samples(samples)).is_err() {
                            return None; // analysis has stopped listening
                        }
                    }
                    Err(e) => return Some(format!("microphone {name}: {e}")),
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                return Some(format!(
                    "microphone {name}: no sound data for {} s: the device has stopped",
                    MICROPHONE_STALL.as_secs()
                ));
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Some(format!("microphone {name}: the stream has closed"))
            }
        }
    }
}
