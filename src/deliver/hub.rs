//! The hub: one owner for the alarm book and the store while the device
//! runs. Every step is stored (with its audit row and outbox rows) and then
//! announced to the live listeners by its place; a listener that missed
//! steps reads them back from the store by place.
//!
//! A store that fails never silences an alarm: the step goes to the phones
//! at once without a place, waits in memory (in order, bounded, counted),
//! and is stored and announced again by place as soon as the store takes
//! it. Phones know a step by its id, so they show it once.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::broadcast;

use crate::alarm::{AlarmBook, AlarmError, AlarmRequest, Now, Step};
use crate::domain::DeviceFault;
use crate::policy::{Permitted, Time};
use crate::store::{Store, StoreError};

/// Where time comes from: the wall clock, to show and to store, and a
/// clock that never steps, for every duration (repeats, escalation,
/// retries); or a test's own.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> Now + Send + Sync>);

impl Clock {
    pub fn system() -> Clock {
        let start = std::time::Instant::now();
        Clock(Arc::new(move || Now {
            wall: chrono::Utc::now(),
            steady_s: start.elapsed().as_secs_f64(),
        }))
    }

    /// Time that runs with tokio's clock from `start` (paused in tests).
    pub fn tokio_from(start: Time) -> Clock {
        Clock::steppable(start).0
    }

    /// As [`Clock::tokio_from`], with a wall clock the test can step
    /// forwards or backwards (as NTP does to a board without a clock chip)
    /// while the steady clock runs on.
    pub fn steppable(start: Time) -> (Clock, WallStep) {
        let base = tokio::time::Instant::now();
        let step = WallStep::default();
        let offset = step.clone();
        let clock = Clock(Arc::new(move || {
            let elapsed = base.elapsed();
            Now {
                wall: start
                    + chrono::Duration::from_std(elapsed).unwrap_or_default()
                    + offset.get(),
                steady_s: elapsed.as_secs_f64(),
            }
        }));
        (clock, step)
    }

    /// The wall time.
    pub fn now(&self) -> Time {
        (self.0)().wall
    }

    /// Both clocks at once.
    pub fn read(&self) -> Now {
        (self.0)()
    }
}

/// How far a test has stepped its wall clock.
#[derive(Clone, Default)]
pub struct WallStep(Arc<std::sync::atomic::AtomicI64>);

impl WallStep {
    pub fn step(&self, by: chrono::Duration) {
        self.0
            .fetch_add(by.num_milliseconds(), std::sync::atomic::Ordering::SeqCst);
    }

    fn get(&self) -> chrono::Duration {
        chrono::Duration::milliseconds(self.0.load(std::sync::atomic::Ordering::SeqCst))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error(transparent)]
    Alarm(#[from] AlarmError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Steps kept in memory at most while the store fails (about 1 KB each).
pub const MAX_UNSTORED: usize = 10_000;
/// The longest wait between tries of a failing store.
const MAX_RETRY: std::time::Duration = std::time::Duration::from_secs(30);

/// A step as announced: its place in the store, or `None` while it waits
/// in memory for a store that fails.
pub type Announced = (Option<i64>, Step);

/// Steps the store has not taken yet, oldest first, with who made each.
#[derive(Default)]
struct Unstored {
    steps: VecDeque<(Step, String)>,
    /// Steps given up because the queue was full.
    dropped: u64,
    /// Why the store last failed, while it fails.
    failing: Option<String>,
    retry_after: std::time::Duration,
    next_try: Option<std::time::Instant>,
}

fn never_storable(e: &StoreError) -> bool {
    match e {
        StoreError::Corrupt { .. } => true,
        StoreError::Sqlite {
            cause: rusqlite::Error::SqliteFailure(failure, _),
            ..
        } => failure.code == rusqlite::ErrorCode::ConstraintViolation,
        _ => false,
    }
}

/// How storing stands, for the device's own watch and the log.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StorageHealth {
    /// Why the store fails, while it does.
    pub failing: Option<String>,
    /// Steps waiting in memory.
    pub waiting: usize,
    /// Steps given up since start because too many were waiting.
    pub dropped: u64,
}

/// Readers beside the writer: enough that a slow read never queues the
/// others on two cores.
const READERS: usize = 4;

/// How long the writer waits for another process's lock in one try. The
/// writer is let go between tries, so nothing of this process queues
/// behind a lock held elsewhere, and an alarm step waits no longer than
/// this before it goes to the phones unstored.
const LOCK_TRY: std::time::Duration = std::time::Duration::from_millis(50);

pub struct Hub {
    /// The one writing connection, reached only from threads that may
    /// block (the device loop, tools, and `write` and `blocking` below).
    store: Mutex<Store>,
    /// Connections that only read, for the staff app; empty while the
    /// writer cannot share the file, when reads go through the writer.
    readers: Vec<Mutex<Store>>,
    /// Which reader to wait for when all are busy, in turn.
    next_reader: AtomicUsize,
    book: Mutex<AlarmBook>,
    unstored: Mutex<Unstored>,
    live: broadcast::Sender<Announced>,
    /// Counts stored steps, so outlets wake at once rather than at their next look.
    stored: tokio::sync::watch::Sender<u64>,
    clock: Clock,
    outlets: Vec<&'static str>,
}

impl Hub {
    /// Takes the store's open alarms back into the book.
    pub fn new(
        store: Store,
        settings: crate::alarm::AlarmSettings,
        outlets: Vec<&'static str>,
        clock: Clock,
    ) -> Result<Hub, StoreError> {
        let mut store = store;
        store.set_lock_wait(LOCK_TRY)?;
        let book = AlarmBook::reopen(settings, store.open_alarms()?, clock.read());
        let (live, _) = broadcast::channel(1024);
        let (stored, _) = tokio::sync::watch::channel(0);
        let mut readers = Vec::new();
        while readers.len() < READERS {
            match store.reader()? {
                Some(reader) => readers.push(Mutex::new(reader)),
                None => break,
            }
        }
        Ok(Hub {
            store: Mutex::new(store),
            readers,
            next_reader: AtomicUsize::new(0),
            book: Mutex::new(book),
            unstored: Mutex::new(Unstored::default()),
            live,
            stored,
            clock,
            outlets,
        })
    }

    /// The wall time.
    pub fn now(&self) -> Time {
        self.clock.now()
    }

    /// The wall time and the steady clock, for what measures durations.
    pub fn read_clock(&self) -> Now {
        self.clock.read()
    }

    /// The writing store, for threads that may block: never an async
    /// task, which uses `read`, `write` or `blocking`. It waits only a
    /// moment for another process's lock: changes go through `change`. A
    /// poisoned lock (a panic elsewhere) is taken over: the store itself is
    /// transactional and stays whole.
    pub fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A free reader, or the next one to come free.
    fn reader(&self) -> MutexGuard<'_, Store> {
        if self.readers.is_empty() {
            return self.store();
        }
        self.readers
            .iter()
            .find_map(|r| r.try_lock().ok())
            .unwrap_or_else(|| {
                let next = self.next_reader.fetch_add(1, Ordering::Relaxed) % self.readers.len();
                self.readers[next].lock().unwrap_or_else(|p| p.into_inner())
            })
    }

    /// Reads from the store on a thread that may block, so the async
    /// workers carrying streams never wait for the disk.
    pub async fn read<T: Send + 'static>(
        self: &Arc<Self>,
        read: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.blocking(move |hub| read(&hub.reader())).await
    }

    /// Changes the store, tried again while another process holds the
    /// lock (for up to the store's usual wait), letting go of the writer
    /// between tries. For threads that may block.
    pub fn change<T>(
        &self,
        mut change: impl FnMut(&mut Store) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let started = std::time::Instant::now();
        loop {
            let out = change(&mut self.store());
            match out {
                Err(e) if Store::only_locked(&e) && started.elapsed() < crate::store::LOCK_WAIT => {
                    std::thread::sleep(LOCK_TRY);
                }
                out => return out,
            }
        }
    }

    /// `change`, on a thread that may block (see `read`).
    pub async fn write<T: Send + 'static>(
        self: &Arc<Self>,
        change: impl FnMut(&mut Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.blocking(move |hub| hub.change(change)).await
    }

    /// Runs `work` (which may wait for the store) on a thread that may block.
    pub async fn blocking<T: Send + 'static>(
        self: &Arc<Self>,
        work: impl FnOnce(&Hub) -> T + Send + 'static,
    ) -> T {
        let hub = Arc::clone(self);
        match tokio::task::spawn_blocking(move || work(&hub)).await {
            Ok(out) => out,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            // The runtime is shutting down: nothing waits for this answer.
            Err(_) => std::future::pending().await,
        }
    }

    fn book(&self) -> MutexGuard<'_, AlarmBook> {
        self.book.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Announced> {
        self.live.subscribe()
    }

    /// Changes each time a step is stored (for outlets to wake on).
    pub fn stored_steps(&self) -> tokio::sync::watch::Receiver<u64> {
        self.stored.subscribe()
    }

    fn unstored(&self) -> MutexGuard<'_, Unstored> {
        self.unstored.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues the step behind any that wait, stores what the store takes,
    /// and announces the step at once even if it must wait.
    fn commit(&self, step: Step, actor: &str) -> Step {
        let mut unstored = self.unstored();
        if unstored.steps.len() >= MAX_UNSTORED {
            unstored.steps.pop_front();
            unstored.dropped += 1;
        }
        unstored.steps.push_back((step.clone(), actor.to_string()));
        self.store_waiting(&mut unstored);
        // The queue is stored in order: if any step still waits, the
        // newest, this one, does.
        if !unstored.steps.is_empty() {
            // Nobody listening is fine: the step waits for the store.
            let _ = self.live.send((None, step.clone()));
        }
        step
    }

    /// Stores waiting steps in order until the store refuses one.
    fn store_waiting(&self, unstored: &mut Unstored) {
        while let Some((step, actor)) = unstored.steps.front() {
            let mut store = self.store();
            match store.record_step(step, &self.outlets, actor) {
                Ok(place) => {
                    let _ = self.live.send((Some(place), step.clone()));
                    self.stored.send_modify(|n| *n += 1);
                    unstored.steps.pop_front();
                    unstored.failing = None;
                    unstored.retry_after = std::time::Duration::ZERO;
                }
                // A step the store can never take (it breaks a rule of the
                // schema) must not hold back the ones behind it.
                Err(e) if never_storable(&e) => {
                    tracing::error!("alarm step {} given up: {e}", step.id);
                    unstored.steps.pop_front();
                    unstored.dropped += 1;
                }
                Err(e) => {
                    // Another process holds the lock for a moment: the step
                    // waits, but the store is not failing (the device's
                    // probe says so if the lock is never let go).
                    if Store::only_locked(&e) {
                        tracing::warn!("alarm steps wait in memory for a moment: {e}");
                    } else {
                        if unstored.failing.is_none() {
                            tracing::error!("alarm steps wait in memory: {e}");
                        }
                        unstored.failing = Some(store.explain(&e));
                    }
                    unstored.retry_after = (unstored.retry_after * 2)
                        .clamp(std::time::Duration::from_secs(1), MAX_RETRY);
                    unstored.next_try = Some(std::time::Instant::now() + unstored.retry_after);
                    return;
                }
            }
        }
    }

    /// Tries the waiting steps again once their wait is over (1 s, doubling
    /// to 30 s while the store keeps failing).
    pub fn retry_waiting(&self) {
        let mut unstored = self.unstored();
        let due = unstored
            .next_try
            .is_none_or(|at| std::time::Instant::now() >= at);
        if !unstored.steps.is_empty() && due {
            self.store_waiting(&mut unstored);
        }
    }

    pub fn storage_health(&self) -> StorageHealth {
        let unstored = self.unstored();
        StorageHealth {
            failing: unstored.failing.clone(),
            waiting: unstored.steps.len(),
            dropped: unstored.dropped,
        }
    }

    /// Raises what the gate let out; `None` when its level is silent.
    pub fn raise(&self, request: Permitted<AlarmRequest>) -> Result<Option<Step>, HubError> {
        let now = self.clock.read();
        let step = self.book().raise(request, now);
        Ok(step.map(|s| self.commit(s, "device")))
    }

    pub fn raise_fault(
        &self,
        room: &str,
        fault: Permitted<DeviceFault>,
        detail: &str,
    ) -> Result<Option<Step>, HubError> {
        let now = self.clock.read();
        let step = self.book().raise_fault(room, fault, detail, now);
        Ok(step.map(|s| self.commit(s, "device")))
    }

    pub fn acknowledge(&self, id: &str, by: &str) -> Result<Step, HubError> {
        let now = self.now();
        let step = self.book().acknowledge(id, by, now)?;
        Ok(self.commit(step, by))
    }

    pub fn resolve(&self, id: &str, by: &str, outcome: &str) -> Result<Step, HubError> {
        let now = self.now();
        let step = self.book().resolve(id, by, outcome, now)?;
        Ok(self.commit(step, by))
    }

    /// Repeats and escalations due now.
    pub fn tick(&self) -> Result<Vec<Step>, HubError> {
        let now = self.clock.read();
        self.retry_waiting();
        let steps = self.book().tick(now);
        Ok(steps
            .into_iter()
            .map(|s| self.commit(s, "device"))
            .collect())
    }

    pub fn open_alarms(&self) -> Vec<crate::alarm::Alarm> {
        self.book().open_alarms().cloned().collect()
    }

    /// Ticks every second until the hub is dropped elsewhere.
    pub async fn run_ticker(self: Arc<Hub>) {
        let mut interval = tokio::time::interval(std::time::Duration::from_secs(1));
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            interval.tick().await;
            if let Err(e) = self.blocking(|hub| hub.tick()).await {
                tracing::error!("alarm repeats: {e}");
            }
        }
    }
}
