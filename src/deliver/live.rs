//! What staff may see of a room while the device runs: each resident's
//! current posture (a word, shown as an icon, and only inside an alarm or
//! a look: see `sight`), and, only during a time-bounded look that the
//! gate allowed (R3.2), the live silhouette.
//! Silhouettes are drawn only while someone looks (data minimisation,
//! R8.4), kept only as the latest one, and never stored.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde::Serialize;
use tokio::sync::watch;

use crate::domain::ResidentId;
use crate::policy::Time;

/// A silhouette as the staff app draws it: one palette index per cell,
/// row-major, as the digits 0–3. Flat colours on a coarse grid, never a
/// camera pixel (R6.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SilhouetteView {
    pub width: u32,
    pub height: u32,
    pub cells: String,
}

/// A look that the gate allowed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Look {
    pub id: String,
    pub resident: ResidentId,
    pub by: String,
    pub reason: String,
    pub until: Time,
}

#[derive(Default)]
pub struct Live {
    postures: Mutex<BTreeMap<ResidentId, (&'static str, Time)>>,
    looks: Mutex<BTreeMap<String, Look>>,
    silhouettes: Mutex<BTreeMap<ResidentId, watch::Sender<Option<SilhouetteView>>>>,
}

impl Live {
    pub fn set_posture(&self, resident: &ResidentId, posture: &'static str, now: Time) {
        self.postures
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(resident.clone(), (posture, now));
    }

    pub fn posture(&self, resident: &ResidentId) -> Option<(&'static str, Time)> {
        self.postures
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(resident)
            .copied()
    }

    pub fn start_look(&self, look: Look) {
        self.looks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(look.id.clone(), look);
    }

    /// The look, while it lasts.
    pub fn look(&self, id: &str, now: Time) -> Option<Look> {
        self.looks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
            .filter(|l| l.until > now)
            .cloned()
    }

    /// The looks that last at `now`.
    pub fn looks(&self, now: Time) -> Vec<Look> {
        self.looks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .filter(|l| l.until > now)
            .cloned()
            .collect()
    }

    /// Ends a look; returns it when it was open.
    pub fn end_look(&self, id: &str) -> Option<Look> {
        let mut looks = self.looks.lock().unwrap_or_else(|p| p.into_inner());
        let look = looks.remove(id)?;
        if !looks.values().any(|l| l.resident == look.resident) {
            // Nobody looks any more: the last silhouette goes too.
            if let Some(sender) = self
                .silhouettes
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get(&look.resident)
            {
                sender.send_replace(None);
            }
        }
        Some(look)
    }

    /// Whether someone is looking at this resident now: only then is a
    /// silhouette drawn.
    pub fn watched(&self, resident: &ResidentId, now: Time) -> bool {
        self.looks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .any(|l| &l.resident == resident && l.until > now)
    }

    pub fn publish(&self, resident: &ResidentId, view: SilhouetteView) {
        self.silhouettes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(resident.clone())
            .or_insert_with(|| watch::channel(None).0)
            .send_replace(Some(view));
    }

    pub fn silhouettes(&self, resident: &ResidentId) -> watch::Receiver<Option<SilhouetteView>> {
        self.silhouettes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(resident.clone())
            .or_insert_with(|| watch::channel(None).0)
            .subscribe()
    }
}
