//! A one-frame mailbox between capture and vision: the newest frame wins.
//!
//! A camera does not wait for analysis. When vision is slower than the
//! camera, the frame waiting in the slot is replaced (and wiped, being a
//! `Frame`) and counted as dropped, so analysis always sees the present,
//! never a growing backlog.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use super::Frame;

#[derive(Default)]
struct Slot {
    frame: Option<Frame>,
    dropped: u64,
    /// The sender is gone: no more frames will come.
    closed: bool,
    /// The receiver is gone: capture may stop.
    abandoned: bool,
}

/// The capture side: puts frames in.
pub struct FrameSender {
    shared: Arc<(Mutex<Slot>, Condvar)>,
}

/// The vision side: takes the newest frame out.
pub struct FrameReceiver {
    shared: Arc<(Mutex<Slot>, Condvar)>,
}

pub fn latest_frame() -> (FrameSender, FrameReceiver) {
    let shared = Arc::new((Mutex::new(Slot::default()), Condvar::new()));
    (
        FrameSender {
            shared: shared.clone(),
        },
        FrameReceiver { shared },
    )
}

fn lock(shared: &(Mutex<Slot>, Condvar)) -> MutexGuard<'_, Slot> {
    // A panic elsewhere cannot leave a half-written Option: recover the slot.
    shared
        .0
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl FrameSender {
    /// Offers a frame; an unread older frame is dropped.
    pub fn send(&self, frame: Frame) {
        let mut slot = lock(&self.shared);
        if slot.frame.replace(frame).is_some() {
            slot.dropped += 1;
        }
        self.shared.1.notify_one();
    }
}

impl FrameSender {
    /// Whether vision has stopped listening, so capture can stop too.
    pub fn is_abandoned(&self) -> bool {
        lock(&self.shared).abandoned
    }
}

impl Drop for FrameReceiver {
    fn drop(&mut self) {
        let mut slot = lock(&self.shared);
        slot.abandoned = true;
        // Wipe a frame nobody will read now rather than at the sender's end.
        slot.frame = None;
    }
}

impl Drop for FrameSender {
    fn drop(&mut self) {
        lock(&self.shared).closed = true;
        self.shared.1.notify_all();
    }
}

impl FrameReceiver {
    /// Waits for the next frame; `None` once the sender is gone and the
    /// slot is empty.
    pub fn recv(&self) -> Option<Frame> {
        let mut slot = lock(&self.shared);
        loop {
            if let Some(frame) = slot.frame.take() {
                return Some(frame);
            }
            if slot.closed {
                return None;
            }
            slot = self
                .shared
                .1
                .wait(slot)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
    }

    /// Like [`recv`](Self::recv), waiting at most `timeout`: `Ok(None)` when
    /// no frame came in time, `Err(())` once the sender is gone.
    #[allow(clippy::result_unit_err)]
    pub fn recv_timeout(&self, timeout: std::time::Duration) -> Result<Option<Frame>, ()> {
        let deadline = std::time::Instant::now() + timeout;
        let mut slot = lock(&self.shared);
        loop {
            if let Some(frame) = slot.frame.take() {
                return Ok(Some(frame));
            }
            if slot.closed {
                return Err(());
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return Ok(None);
            }
            slot = self
                .shared
                .1
                .wait_timeout(slot, left)
                .map(|(s, _)| s)
                .unwrap_or_else(|poisoned| poisoned.into_inner().0);
        }
    }

    /// Frames replaced before vision took them.
    pub fn dropped(&self) -> u64 {
        lock(&self.shared).dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(shade: u8) -> Frame {
        Frame::from_rgb(16, 16, vec![shade; 16 * 16 * 3]).unwrap()
    }

    #[test]
    fn the_newest_frame_wins_and_the_rest_are_counted() {
        let (tx, rx) = latest_frame();
        for shade in 1..=3 {
            tx.send(frame(shade));
        }
        assert_eq!(rx.recv().unwrap().rgb()[0], 3);
        assert_eq!(rx.dropped(), 2);
        assert!(!tx.is_abandoned());
        drop(tx);
        assert!(rx.recv().is_none());
    }

    #[test]
    fn capture_learns_when_vision_has_gone() {
        let (tx, rx) = latest_frame();
        tx.send(frame(1));
        drop(rx);
        assert!(tx.is_abandoned());
    }

    #[test]
    fn a_waiting_receiver_wakes_for_a_frame_from_another_thread() {
        let (tx, rx) = latest_frame();
        let capture = std::thread::spawn(move || {
            for shade in 0..50 {
                tx.send(frame(shade));
            }
        });
        let mut last = None;
        while let Some(f) = rx.recv() {
            last = Some(f.rgb()[0]);
        }
        capture.join().unwrap();
        assert_eq!(last, Some(49), "the last frame sent is never lost");
    }
}
