//! Keeps the gate's word while a source runs: the resident's case file is
//! read again every [`GATE_POLL`], and the moment the gate says no
//! (opposition, expiry, early stop, a kind withdrawn) the source is shut and
//! the shutting is audited (R1.4, R10.1, R10.3).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::domain::{Kind, ResidentId};
use crate::policy::{may_open, Denial, Permitted, SourceOpen};
use crate::store::{Store, StoreError};

/// How often the gate looks again: well inside the one second in which a
/// source must shut.
pub const GATE_POLL: Duration = Duration::from_millis(200);

#[derive(Debug, thiserror::Error)]
pub enum GateWatchError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot start watching the gate: {0}")]
    Thread(std::io::Error),
    #[error("no randomness for a look's id: {0}")]
    Random(String),
    #[error("the {kind} source in room {room} does not open: {reason}")]
    NoTestPermit {
        room: String,
        kind: &'static str,
        reason: String,
    },
    #[error("the gate does not open the {kind} source for {resident}: {denial}")]
    Denied {
        resident: ResidentId,
        kind: &'static str,
        denial: Denial,
    },
}

/// Why and when the gate shut a source.
type Shut = Option<(Denial, DateTime<Utc>)>;

/// A running watch over one resident's source.
pub struct GateWatch {
    shut: Arc<Mutex<Shut>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl GateWatch {
    /// Why and when the gate shut the source, once it has.
    pub fn shut(&self) -> Shut {
        self.shut.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

impl Drop for GateWatch {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Asks the gate whether `kind` may open for `resident` now; if so, audits
/// the opening and keeps watching. `now` is the time at the start (it may
/// be a what-if time); the watch advances it by the time that passes.
pub fn watch_gate(
    data_dir: &Path,
    resident: &ResidentId,
    kind: Kind,
    now: DateTime<Utc>,
    actor: &str,
) -> Result<(Permitted<SourceOpen>, GateWatch), GateWatchError> {
    let mut store = Store::open(data_dir)?;
    let case = store.case_file(resident)?;
    let permit = may_open(&case, kind, now).map_err(|denial| GateWatchError::Denied {
        resident: resident.clone(),
        kind: kind.name(),
        denial,
    })?;
    store.audit_gate(
        "gate.open",
        resident,
        kind,
        &format!("basis {}", permit.basis_id()),
        actor,
        now,
    )?;
    let (data_dir, resident, actor) =
        (PathBuf::from(data_dir), resident.clone(), actor.to_string());
    let started = Instant::now();
    let watch = watch_while(move || {
        let at = now + chrono::Duration::from_std(started.elapsed()).unwrap_or_default();
        let (denial, store) = case_denial(&data_dir, &resident, kind, at)?;
        if let Some(mut store) = store {
            let _ = store.audit_gate(
                "gate.shut",
                &resident,
                kind,
                &denial.to_string(),
                &actor,
                at,
            );
        }
        tracing::warn!(resident = %resident, rule = denial.rule, "source shut by the gate");
        Some(denial)
    })?;
    Ok((permit, watch))
}

/// Why the gate says no to `kind` for `resident` at `at`, with the store
/// to audit it in (none when the records cannot be read, which is itself
/// a reason to shut: the law can no longer be checked).
pub(super) fn case_denial(
    data_dir: &Path,
    resident: &ResidentId,
    kind: Kind,
    at: DateTime<Utc>,
) -> Option<(Denial, Option<Store>)> {
    let cannot_read = |e: StoreError| Denial {
        rule: "R1.2",
        reason: format!("the records cannot be read: {e}"),
    };
    let store = match Store::open(data_dir) {
        Ok(store) => store,
        Err(e) => return Some((cannot_read(e), None)),
    };
    match store.case_file(resident) {
        Err(StoreError::Tampered(tampered)) => {
            Some((Denial::records_tampered(&tampered), Some(store)))
        }
        Err(e) => Some((cannot_read(e), None)),
        Ok(case) => may_open(&case, kind, at).err().map(|d| (d, Some(store))),
    }
}

/// Watches on a thread of its own: every [`GATE_POLL`] `denied` is asked
/// whether the source must shut, until it says why (and has audited it).
pub fn watch_while(
    mut denied: impl FnMut() -> Option<Denial> + Send + 'static,
) -> Result<GateWatch, GateWatchError> {
    let shut = Arc::new(Mutex::new(None));
    let stop = Arc::new(AtomicBool::new(false));
    let (thread_shut, thread_stop) = (shut.clone(), stop.clone());
    let thread = std::thread::Builder::new()
        .name("gate-watch".into())
        .spawn(move || {
            while !thread_stop.load(Ordering::Relaxed) {
                std::thread::sleep(GATE_POLL);
                if let Some(denial) = denied() {
                    *thread_shut.lock().unwrap_or_else(|p| p.into_inner()) =
                        Some((denial, Utc::now()));
                    return;
                }
            }
        })
        .map_err(GateWatchError::Thread)?;
    Ok(GateWatch {
        shut,
        stop,
        thread: Some(thread),
    })
}
