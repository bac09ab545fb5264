//! The hub: one owner for the alarm book and the store while the device
//! runs. Every step is stored (with its audit row and outbox rows) before
//! it is announced to the live listeners; a listener that missed steps
//! reads them back from the store by place.

use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::broadcast;

use crate::alarm::{AlarmBook, AlarmError, AlarmRequest, Step};
use crate::domain::DeviceFault;
use crate::policy::{Permitted, Time};
use crate::store::{Store, StoreError};

/// Where "now" comes from: the wall clock, or a test's own.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> Time + Send + Sync>);

impl Clock {
    pub fn system() -> Clock {
        Clock(Arc::new(chrono::Utc::now))
    }

    /// Time that runs with tokio's clock from `start` (paused in tests).
    pub fn tokio_from(start: Time) -> Clock {
        let base = tokio::time::Instant::now();
        Clock(Arc::new(move || {
            start + chrono::Duration::from_std(base.elapsed()).unwrap_or_default()
        }))
    }

    pub fn now(&self) -> Time {
        (self.0)()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error(transparent)]
    Alarm(#[from] AlarmError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub struct Hub {
    store: Mutex<Store>,
    book: Mutex<AlarmBook>,
    live: broadcast::Sender<(i64, Step)>,
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
        let book = AlarmBook::reopen(settings, store.open_alarms()?);
        let (live, _) = broadcast::channel(1024);
        let (stored, _) = tokio::sync::watch::channel(0);
        Ok(Hub {
            store: Mutex::new(store),
            book: Mutex::new(book),
            live,
            stored,
            clock,
            outlets,
        })
    }

    pub fn now(&self) -> Time {
        self.clock.now()
    }

    /// The store, for reading. A poisoned lock (a panic elsewhere) is taken
    /// over: the store itself is transactional and stays whole.
    pub fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn book(&self) -> MutexGuard<'_, AlarmBook> {
        self.book.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn subscribe(&self) -> broadcast::Receiver<(i64, Step)> {
        self.live.subscribe()
    }

    /// Changes each time a step is stored (for outlets to wake on).
    pub fn stored_steps(&self) -> tokio::sync::watch::Receiver<u64> {
        self.stored.subscribe()
    }

    fn commit(&self, step: Step, actor: &str) -> Result<Step, HubError> {
        let place = self.store().record_step(&step, &self.outlets, actor)?;
        // Nobody listening is fine: the step is in the store.
        let _ = self.live.send((place, step.clone()));
        self.stored.send_modify(|n| *n += 1);
        Ok(step)
    }

    /// Raises what the gate let out; `None` when its level is silent.
    pub fn raise(&self, request: Permitted<AlarmRequest>) -> Result<Option<Step>, HubError> {
        let now = self.now();
        let step = self.book().raise(request, now);
        step.map(|s| self.commit(s, "device")).transpose()
    }

    pub fn raise_fault(
        &self,
        room: &str,
        fault: Permitted<DeviceFault>,
        detail: &str,
    ) -> Result<Option<Step>, HubError> {
        let now = self.now();
        let step = self.book().raise_fault(room, fault, detail, now);
        step.map(|s| self.commit(s, "device")).transpose()
    }

    pub fn acknowledge(&self, id: &str, by: &str) -> Result<Step, HubError> {
        let now = self.now();
        let step = self.book().acknowledge(id, by, now)?;
        self.commit(step, by)
    }

    pub fn resolve(&self, id: &str, by: &str, outcome: &str) -> Result<Step, HubError> {
        let now = self.now();
        let step = self.book().resolve(id, by, outcome, now)?;
        self.commit(step, by)
    }

    /// Repeats and escalations due now.
    pub fn tick(&self) -> Result<Vec<Step>, HubError> {
        let now = self.now();
        let steps = self.book().tick(now);
        steps
            .into_iter()
            .map(|s| self.commit(s, "device"))
            .collect()
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
            if let Err(e) = self.tick() {
                tracing::error!("alarm repeats: {e}");
            }
        }
    }
}
