//! Versioned schema: `PRAGMA user_version` counts the migrations applied.
//! A database from a newer build is refused untouched.

use super::{Store, StoreError};

const MIGRATIONS: [&str; 10] = [
    r#"
CREATE TABLE residents (id TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE bases (id TEXT PRIMARY KEY, resident TEXT NOT NULL REFERENCES residents(id), data TEXT NOT NULL);
CREATE TABLE disclosures (resident TEXT NOT NULL REFERENCES residents(id), data TEXT NOT NULL);
CREATE TABLE oppositions (resident TEXT NOT NULL REFERENCES residents(id), data TEXT NOT NULL);
CREATE TABLE audit (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
-- The last row's number and hash: a deleted last row shows as a mismatch.
CREATE TABLE audit_head (one INTEGER PRIMARY KEY CHECK (one = 1), seq INTEGER NOT NULL, hash TEXT NOT NULL);
"#,
    r#"
CREATE TABLE complaints (id TEXT PRIMARY KEY, resident TEXT NOT NULL REFERENCES residents(id), data TEXT NOT NULL);
"#,
    r#"
-- Alarms as last stored, every step of each, and what each outlet still has to take.
CREATE TABLE alarms (id TEXT PRIMARY KEY, data TEXT NOT NULL, sequence INTEGER NOT NULL, open INTEGER NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX alarms_open ON alarms (open);
CREATE TABLE alarm_steps (id TEXT PRIMARY KEY, alarm TEXT NOT NULL REFERENCES alarms(id), sequence INTEGER NOT NULL, data TEXT NOT NULL);
CREATE TABLE outbox (
    step TEXT NOT NULL REFERENCES alarm_steps(id),
    outlet TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_at TEXT NOT NULL,
    delivered_at TEXT,
    last_error TEXT,
    PRIMARY KEY (step, outlet)
);
CREATE INDEX outbox_due ON outbox (outlet, delivered_at, next_at);
"#,
    r#"
CREATE TABLE users (name TEXT PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT NOT NULL);
"#,
    r#"
-- The rooms a staff member answers for, as a JSON list; [] is every room.
ALTER TABLE users ADD COLUMN rooms TEXT NOT NULL DEFAULT '[]';
"#,
    r#"
-- The room's up as the camera sees it, learnt from people standing.
CREATE TABLE camera_up (one INTEGER PRIMARY KEY CHECK (one = 1), x REAL NOT NULL, y REAL NOT NULL, z REAL NOT NULL, frames INTEGER NOT NULL, kept_at TEXT NOT NULL);
"#,
    r#"
-- Log-in sessions by the SHA-256 of their token (times in Unix seconds);
-- a user can be disabled, which ends her sessions.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user TEXT NOT NULL REFERENCES users(name),
    started_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    ended_at INTEGER
);
CREATE INDEX sessions_user ON sessions (user, ended_at);
ALTER TABLE users ADD COLUMN disabled_at TEXT;
-- Written every few seconds, so a disk that takes nothing is noticed
-- before an alarm needs it.
CREATE TABLE store_probe (one INTEGER PRIMARY KEY CHECK (one = 1), at INTEGER NOT NULL);
-- Where the audit chain starts once its oldest rows have been deleted.
CREATE TABLE audit_anchor (one INTEGER PRIMARY KEY CHECK (one = 1), seq INTEGER NOT NULL, hash TEXT NOT NULL);
"#,
    r#"
-- Installers' test permits for a live source in a room without a
-- resident (times in Unix seconds).
CREATE TABLE test_permits (
    id INTEGER PRIMARY KEY,
    room TEXT NOT NULL,
    by TEXT NOT NULL,
    from_at INTEGER NOT NULL,
    until_at INTEGER NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX test_permits_room ON test_permits (room, until_at);
"#,
    r#"
-- Each resident's record sealed with the SHA-256 of its stored text; the
-- same seal is in the audit row of the change that wrote it.
CREATE TABLE record_seals (tbl TEXT NOT NULL, key TEXT NOT NULL, sha256 TEXT NOT NULL, PRIMARY KEY (tbl, key));
"#,
    r#"
-- A room device joined to a hub: each event kept until the hub says it
-- has stored it (times in Unix milliseconds).
CREATE TABLE hub_outbox (id TEXT PRIMARY KEY, payload TEXT NOT NULL, made_at INTEGER NOT NULL);
-- The hub: each device event taken, by id, so one sent again is dropped.
CREATE TABLE device_events (id TEXT PRIMARY KEY, room TEXT NOT NULL, taken_at INTEGER NOT NULL, outcome TEXT NOT NULL);
"#,
];

/// The migration that brought seals: the records written before it are
/// sealed as they stand, once, on the chain.
const SEALS_SINCE: i64 = 9;

pub fn migrate(store: &mut Store) -> Result<(), StoreError> {
    let known = MIGRATIONS.len() as i64;
    let found: i64 = store.sql(|c| c.query_row("PRAGMA user_version", [], |r| r.get(0)))?;
    if found > known {
        return Err(StoreError::NewerSchema {
            file: store.file_name(),
            found,
            known,
        });
    }
    for (index, migration) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let version = index as i64 + 1;
        store.sql(|c| {
            let tx = c.transaction()?;
            tx.execute_batch(migration)?;
            tx.pragma_update(None, "user_version", version)?;
            tx.commit()
        })?;
        if version == SEALS_SINCE {
            store.seal_existing_records()?;
        }
    }
    Ok(())
}
