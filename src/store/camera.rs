//! What the device has learnt about its camera: which way is up in the
//! room, as the camera sees it (see `care::gravity`). Kept so a device
//! restarted at night, with nobody standing, does not fall back to
//! taking the camera for level. A direction and a count, nothing of
//! anybody.

use rusqlite::{params, OptionalExtension};
use serde::Serialize;

use super::{Store, StoreError};
use crate::policy::Time;

/// The room's up in the camera's axes, the standing frames it was learnt
/// from, and when it was kept.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LearntUp {
    pub up: [f32; 3],
    pub frames: u32,
    pub kept_at: Time,
}

impl Store {
    pub fn keep_camera_up(&mut self, learnt: &LearntUp) -> Result<(), StoreError> {
        let [x, y, z] = learnt.up.map(f64::from);
        self.sql(|c| {
            c.execute(
                "INSERT INTO camera_up (one, x, y, z, frames, kept_at) VALUES (1, ?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (one) DO UPDATE SET x = ?1, y = ?2, z = ?3, frames = ?4, kept_at = ?5",
                params![x, y, z, learnt.frames, learnt.kept_at.to_rfc3339()],
            )
        })?;
        Ok(())
    }

    /// What was kept, if anything (a row that does not read is nothing:
    /// the device learns again).
    pub fn camera_up(&self) -> Result<Option<LearntUp>, StoreError> {
        let row = self.read(|c| {
            c.query_row(
                "SELECT x, y, z, frames, kept_at FROM camera_up WHERE one = 1",
                [],
                |r| {
                    Ok((
                        [r.get::<_, f64>(0)?, r.get(1)?, r.get(2)?],
                        r.get::<_, u32>(3)?,
                        r.get::<_, String>(4)?,
                    ))
                },
            )
            .optional()
        })?;
        Ok(row.and_then(|(up, frames, kept_at)| {
            let kept_at = chrono::DateTime::parse_from_rfc3339(&kept_at).ok()?;
            let up = up.map(|v| v as f32);
            up.iter().all(|v| v.is_finite()).then_some(LearntUp {
                up,
                frames,
                kept_at: kept_at.with_timezone(&chrono::Utc),
            })
        }))
    }
}
