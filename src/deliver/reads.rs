//! Reads of residents' data on the audit chain. A case file is read on
//! purpose and rarely: every read is a row. The residents' list is read by
//! every phone every few seconds: one row per user and hour says who had
//! it before them, without drowning the chain in polls.

use std::collections::BTreeMap;
use std::sync::Mutex;

/// How often a polled read is put on record per user.
pub const POLLED_READ_EVERY_S: f64 = 3600.0;

#[derive(Default)]
pub struct ReadAudit {
    /// When each (user, what) was last put on record, on the steady clock.
    last: Mutex<BTreeMap<(String, &'static str), f64>>,
}

impl ReadAudit {
    /// Whether `user`'s read of `what` at `steady_s` is to be put on
    /// record now (the first, then once per [`POLLED_READ_EVERY_S`]).
    pub fn due(&self, user: &str, what: &'static str, steady_s: f64) -> bool {
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        let key = (user.to_string(), what);
        match last.get(&key) {
            Some(at) if steady_s - at < POLLED_READ_EVERY_S => false,
            _ => {
                last.insert(key, steady_s);
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_polled_read_is_on_record_once_an_hour_per_user() {
        let reads = ReadAudit::default();
        let table: [(&str, f64, bool); 5] = [
            ("hanne", 0.0, true),
            ("hanne", 5.0, false),
            ("ole", 5.0, true),
            ("hanne", 3599.0, false),
            ("hanne", 3600.0, true),
        ];
        for (user, at, due) in table {
            assert_eq!(reads.due(user, "residents", at), due, "{user} at {at}");
        }
    }
}
