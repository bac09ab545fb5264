//! SQLite: residents, legal bases, disclosures, oppositions, alarms and
//! their outbox, and the audit trail. Never media, never keypoints: no type that holds either can be
//! stored, because records are only the `policy` types.
//!
//! One writer: a `Store` opened with [`Store::open`] is its process's only
//! writing connection, and every change is one transaction together with
//! its audit row, so nothing is ever half-written. Readers
//! ([`Store::reader`]) are connections of their own that can only read; the
//! journal is a write-ahead log, so they read while the writer writes.

mod alarms;
mod audit;
mod camera;
mod link;
mod looks;
mod migrations;
mod retention;
mod seals;
mod sessions;
mod test_permits;
mod users;

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use crate::domain::ResidentId;
use crate::policy::{
    self, AiDisclosure, CaseFile, Complaint, EarlyStop, LegalBasis, Opposition, Reassessment,
    Refusal, Representative, Resident, Time,
};

pub use alarms::Pending;
pub use audit::{AuditFault, AuditReport};
pub use camera::LearntUp;
pub use looks::LeftOpen;
pub use retention::{Pruned, Retention};
pub use seals::Tampered;
pub use sessions::Session;
pub use test_permits::{TestPermit, MAX_TEST_MINUTES};
pub use users::{Credentials, Role, User, MIN_PASSWORD_CHARS};

pub const DATABASE_FILE: &str = "tryghed.sqlite";

/// Whether a new file can be made in `dir` (the journal needs one).
fn takes_files(dir: &Path) -> std::io::Result<()> {
    let probe = dir.join(".tryghed-probe");
    std::fs::File::create(&probe)?;
    std::fs::remove_file(probe)
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{dir}: cannot use the data directory: {cause}")]
    DataDir { dir: String, cause: std::io::Error },
    #[error("{file}: {cause}")]
    Sqlite {
        file: String,
        cause: rusqlite::Error,
    },
    #[error("{file}: written by a newer tryghed (schema {found}; this build knows up to {known}); nothing was changed")]
    NewerSchema {
        file: String,
        found: i64,
        known: i64,
    },
    #[error("unknown resident {0}")]
    UnknownResident(ResidentId),
    #[error("resident {0} is already recorded")]
    ResidentExists(ResidentId),
    #[error("unknown legal basis {0}")]
    UnknownBasis(String),
    #[error("unknown user {0}")]
    UnknownUser(String),
    #[error("legal basis {0} is already recorded")]
    BasisExists(String),
    #[error("refused: {}", .0.iter().map(|r| r.to_string()).collect::<Vec<_>>().join("; "))]
    Refused(Vec<Refusal>),
    /// A live source refused for a room, or a test permit not granted.
    #[error("{0}")]
    TestPermit(String),
    #[error("{file}: stored record does not parse: {reason}")]
    Corrupt { file: String, reason: String },
    #[error(transparent)]
    Tampered(#[from] Tampered),
}

pub struct Store {
    conn: Connection,
    file: PathBuf,
    access: Access,
}

/// How a connection holds the database file.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Access {
    /// With readers beside it, sharing the write-ahead log's index file.
    Shared,
    /// For this process alone: no index file is needed.
    Alone,
}

/// How long a change waits for another process's lock (a command line's).
pub const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// The write-ahead log is cut back to this after each checkpoint, so one
/// big change (a pruning) does not leave a big file behind.
const WAL_KEPT_BYTES: i64 = 4 << 20;

impl Store {
    /// Opens (creating if needed) the database in `data_dir` as its
    /// writer and brings its schema up to date.
    ///
    /// The journal is a write-ahead log, whose readers share a small index
    /// file beside the database. Where that file cannot be made (a full
    /// disk at start), the store opens for this process alone: it reads,
    /// and names the full disk on the first write, losing nothing. A disk
    /// that takes no file at all (read-only) is named as the fault.
    pub fn open(data_dir: &Path) -> Result<Store, StoreError> {
        let dir_err = |cause| StoreError::DataDir {
            dir: data_dir.display().to_string(),
            cause,
        };
        std::fs::create_dir_all(data_dir).map_err(dir_err)?;
        let file = data_dir.join(DATABASE_FILE);
        let mut fault = None;
        for access in [Access::Shared, Access::Alone] {
            match Store::open_as(&file, access) {
                Ok(store) => {
                    if let Some(fault) = fault {
                        tracing::warn!("{}: opened {access:?}: {fault}", file.display());
                    }
                    return Ok(store);
                }
                Err(StoreError::Sqlite { cause, .. }) => fault = Some(cause),
                Err(e) => return Err(e),
            }
        }
        if let Err(cause) = takes_files(data_dir) {
            return Err(dir_err(cause));
        }
        Err(StoreError::Sqlite {
            file: file.display().to_string(),
            cause: fault.unwrap_or(rusqlite::Error::InvalidQuery),
        })
    }

    fn open_as(file: &Path, access: Access) -> Result<Store, StoreError> {
        let mut store = Store::connect(file, access)?;
        migrations::migrate(&mut store)?;
        match store.write_ahead() {
            Ok(()) => Ok(store),
            // A full disk keeps the journal the file has.
            Err(_) if access == Access::Alone => Ok(store),
            Err(e) => Err(e),
        }
    }

    fn connect(file: &Path, access: Access) -> Result<Store, StoreError> {
        let conn = Connection::open(file).map_err(|cause| StoreError::Sqlite {
            file: file.display().to_string(),
            cause,
        })?;
        let mut store = Store {
            conn,
            file: file.to_path_buf(),
            access,
        };
        store.sql(|c| c.busy_timeout(LOCK_WAIT))?;
        store.sql(|c| c.pragma_update(None, "foreign_keys", "ON"))?;
        if access == Access::Alone {
            // Set before the first read, so no shared index is ever needed.
            store.sql(|c| c.pragma_update(None, "locking_mode", "EXCLUSIVE"))?;
        }
        Ok(store)
    }

    /// How long a change waits for another process's lock before it fails
    /// as locked (5 s unless set).
    pub fn set_lock_wait(&mut self, wait: std::time::Duration) -> Result<(), StoreError> {
        self.sql(|c| c.busy_timeout(wait))
    }

    /// `e` in words, with what the disk says where SQLite says only
    /// "disk I/O error" (a disk turned read-only, say).
    pub fn explain(&self, e: &StoreError) -> String {
        let io = matches!(
            e,
            StoreError::Sqlite {
                cause: rusqlite::Error::SqliteFailure(failure, _),
                ..
            } if failure.code == rusqlite::ErrorCode::SystemIoFailure
        );
        let dir = self.file.parent().unwrap_or(Path::new("."));
        match takes_files(dir) {
            Err(disk) if io => format!("{e} ({}: {disk})", dir.display()),
            _ => e.to_string(),
        }
    }

    /// Whether `e` says only that another process holds the lock.
    pub fn only_locked(e: &StoreError) -> bool {
        matches!(
            e,
            StoreError::Sqlite {
                cause: rusqlite::Error::SqliteFailure(failure, _),
                ..
            } if matches!(
                failure.code,
                rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
            )
        )
    }

    fn write_ahead(&mut self) -> Result<(), StoreError> {
        let mode: String =
            self.sql(|c| c.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0)))?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!("{}: the journal stays {mode}", self.file_name());
        }
        self.sql(|c| c.pragma_update(None, "journal_size_limit", WAL_KEPT_BYTES))
    }

    /// A connection of its own that can only read, for readers that must
    /// not wait for the writer; `None` while the writer could not share
    /// the file, when every read goes through the writer.
    pub fn reader(&self) -> Result<Option<Store>, StoreError> {
        if self.access != Access::Shared {
            return Ok(None);
        }
        let mut reader = Store::connect(&self.file, Access::Shared)?;
        reader.sql(|c| c.pragma_update(None, "query_only", true))?;
        Ok(Some(reader))
    }

    pub fn file(&self) -> &Path {
        &self.file
    }

    fn file_name(&self) -> String {
        self.file.display().to_string()
    }

    /// Runs a read on the connection, naming the file in any error.
    fn read<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T, StoreError> {
        f(&self.conn).map_err(|cause| StoreError::Sqlite {
            file: self.file_name(),
            cause,
        })
    }

    fn sql<T>(
        &mut self,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        let file = self.file_name();
        f(&mut self.conn).map_err(|cause| StoreError::Sqlite { file, cause })
    }

    /// Runs `change` and appends its audit row in one transaction.
    fn change<T>(
        &mut self,
        actor: &str,
        now: Time,
        action: &str,
        subject: &str,
        detail: &serde_json::Value,
        change: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.change_with(actor, now, action, subject, detail, |tx| {
            change(tx).map(|out| (out, None))
        })
    }

    /// A change of a resident's record: `write` returns the record as
    /// written (table, key, text), which is sealed, and the seal goes into
    /// the change's audit row, binding the record to the chain.
    fn change_record(
        &mut self,
        actor: &str,
        now: Time,
        action: &str,
        subject: &str,
        detail: &serde_json::Value,
        write: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<Written, StoreError>,
    ) -> Result<(), StoreError> {
        self.change_with(actor, now, action, subject, detail, |tx| {
            let (table, key, data) = write(tx)?;
            let seal = seals::seal(tx, table, &key, &data).map_err(|cause| StoreError::Sqlite {
                file: tx.path().unwrap_or("database").to_string(),
                cause,
            })?;
            Ok(((), Some(seal)))
        })
    }

    fn change_with<T>(
        &mut self,
        actor: &str,
        now: Time,
        action: &str,
        subject: &str,
        detail: &serde_json::Value,
        change: impl FnOnce(
            &rusqlite::Transaction<'_>,
        ) -> Result<(T, Option<serde_json::Value>), StoreError>,
    ) -> Result<T, StoreError> {
        let file = self.file_name();
        let sqlite = |cause| StoreError::Sqlite {
            file: file.clone(),
            cause,
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sqlite)?;
        let (out, seal) = change(&tx)?;
        let detail = match (seal, detail) {
            (None, detail) => detail.clone(),
            (Some(seal), serde_json::Value::Object(fields)) => {
                let mut fields = fields.clone();
                fields.insert("seal".into(), seal);
                serde_json::Value::Object(fields)
            }
            (Some(seal), detail) => serde_json::json!({ "detail": detail, "seal": seal }),
        };
        audit::append(&tx, actor, now, action, subject, &detail).map_err(sqlite)?;
        tx.commit().map_err(sqlite)?;
        Ok(out)
    }

    pub fn add_resident(
        &mut self,
        resident: &Resident,
        actor: &str,
        now: Time,
    ) -> Result<(), StoreError> {
        if self.resident(&resident.id).is_ok() {
            return Err(StoreError::ResidentExists(resident.id.clone()));
        }
        let json = to_json(resident);
        self.change_record(actor, now, "resident.add", &resident.id.0, &json, |tx| {
            write(
                tx,
                "INSERT INTO residents (id, data) VALUES (?1, ?2)",
                params![resident.id.0, json.to_string()],
            )?;
            Ok(("residents", resident.id.0.clone(), json.to_string()))
        })
    }

    /// Adds, renames or ends a resident's representative, on the chain;
    /// returns the representative as now recorded.
    pub fn change_representative(
        &mut self,
        resident: &ResidentId,
        change: policy::RepresentativeChange,
        actor: &str,
        now: Time,
    ) -> Result<Representative, StoreError> {
        let action = change.action();
        let (changed, representative) =
            policy::change_representative(&self.resident(resident)?, change)
                .map_err(StoreError::Refused)?;
        let json = to_json(&changed);
        let detail = serde_json::json!({ "representative": representative });
        self.change_record(actor, now, action, &resident.0, &detail, |tx| {
            write(
                tx,
                "UPDATE residents SET data = ?2 WHERE id = ?1",
                params![resident.0, json.to_string()],
            )?;
            Ok(("residents", resident.0.clone(), json.to_string()))
        })?;
        Ok(representative)
    }

    pub fn resident(&self, id: &ResidentId) -> Result<Resident, StoreError> {
        self.record_by_id("residents", &id.0)?
            .ok_or_else(|| StoreError::UnknownResident(id.clone()))
    }

    /// The record with this id in `table` (one of the store's own tables).
    fn record_by_id<T: serde::de::DeserializeOwned>(
        &self,
        table: &str,
        id: &str,
    ) -> Result<Option<T>, StoreError> {
        let data: Option<String> = self.read(|c| {
            c.query_row(
                &format!("SELECT data FROM {table} WHERE id = ?1"),
                params![id],
                |r| r.get(0),
            )
            .optional()
        })?;
        let sealed = seals::SEALED.iter().any(|(t, _)| *t == table);
        if let (true, Some(data)) = (sealed, &data) {
            self.check_seal(table, id, data)?;
        }
        data.map(|d| self.parse(&d)).transpose()
    }

    /// Records a legal basis after checking every rule (R1–R3, R8–R11) and
    /// that it overlaps no other basis of the resident.
    pub fn record_basis(
        &mut self,
        basis: &LegalBasis,
        actor: &str,
        now: Time,
    ) -> Result<(), StoreError> {
        let resident = self.resident(&basis.resident)?;
        let case = self.case_file(&basis.resident)?;
        if case.bases.iter().any(|b| b.id == basis.id) || self.basis(&basis.id).is_ok() {
            return Err(StoreError::BasisExists(basis.id.clone()));
        }
        let mut refusals = policy::validate(basis, &resident);
        refusals.extend(policy::check_against_case(basis, &case, now));
        if !refusals.is_empty() {
            return Err(StoreError::Refused(refusals));
        }
        let json = to_json(basis);
        self.change_record(actor, now, "basis.record", &basis.id, &json, |tx| {
            write(
                tx,
                "INSERT INTO bases (id, resident, data) VALUES (?1, ?2, ?3)",
                params![basis.id, basis.resident.0, json.to_string()],
            )?;
            Ok(("bases", basis.id.clone(), json.to_string()))
        })
    }

    pub fn basis(&self, id: &str) -> Result<LegalBasis, StoreError> {
        self.record_by_id("bases", id)?
            .ok_or_else(|| StoreError::UnknownBasis(id.to_string()))
    }

    /// Stops a basis early (R10.3): from `stop.at` nothing runs under it.
    pub fn stop_basis(
        &mut self,
        id: &str,
        stop: EarlyStop,
        actor: &str,
        now: Time,
    ) -> Result<(), StoreError> {
        let mut basis = self.basis(id)?;
        if let Some(earlier) = &basis.stopped {
            return Err(StoreError::Refused(vec![Refusal::new(
                "R10.3",
                format!("basis {id} was already stopped {}", earlier.at.to_rfc3339()),
                format!(
                    "grundlag {id} blev allerede stoppet {}",
                    earlier.at.to_rfc3339()
                ),
            )]));
        }
        if stop.at < basis.start {
            return Err(StoreError::Refused(vec![Refusal::new(
                "R10.3",
                "a basis cannot stop before it starts",
                "et grundlag kan ikke stoppe, før det begynder",
            )]));
        }
        basis.stopped = Some(stop);
        let json = to_json(&basis);
        self.change_record(
            actor,
            now,
            "basis.stop",
            id,
            &to_json(&basis.stopped),
            |tx| {
                write(
                    tx,
                    "UPDATE bases SET data = ?2 WHERE id = ?1",
                    params![id, json.to_string()],
                )?;
                Ok(("bases", id.to_string(), json.to_string()))
            },
        )
    }

    pub fn record_disclosure(
        &mut self,
        disclosure: &AiDisclosure,
        actor: &str,
        now: Time,
    ) -> Result<(), StoreError> {
        self.resident(&disclosure.resident)?;
        let json = to_json(disclosure);
        self.change_record(
            actor,
            now,
            "disclosure.record",
            &disclosure.resident.0,
            &json,
            |tx| {
                write(
                    tx,
                    "INSERT INTO disclosures (resident, data) VALUES (?1, ?2)",
                    params![disclosure.resident.0, json.to_string()],
                )?;
                let key = tx.last_insert_rowid().to_string();
                Ok(("disclosures", key, json.to_string()))
            },
        )
    }

    pub fn record_opposition(
        &mut self,
        opposition: &Opposition,
        actor: &str,
        now: Time,
    ) -> Result<(), StoreError> {
        let resident = self.resident(&opposition.resident)?;
        let refusals = policy::validate_opposition(opposition, &resident);
        if !refusals.is_empty() {
            return Err(StoreError::Refused(refusals));
        }
        let json = to_json(opposition);
        self.change_record(
            actor,
            now,
            "opposition.record",
            &opposition.resident.0,
            &json,
            |tx| {
                write(
                    tx,
                    "INSERT INTO oppositions (resident, data) VALUES (?1, ?2)",
                    params![opposition.resident.0, json.to_string()],
                )?;
                let key = tx.last_insert_rowid().to_string();
                Ok(("oppositions", key, json.to_string()))
            },
        )
    }

    /// Records a complaint after checking who may complain and the deadline (R12).
    pub fn record_complaint(
        &mut self,
        complaint: &Complaint,
        actor: &str,
        now: Time,
    ) -> Result<(), StoreError> {
        let resident = self.resident(&complaint.resident)?;
        if self.complaint(&complaint.id)?.is_some() {
            return Err(StoreError::Refused(vec![Refusal::new(
                "R12",
                format!("complaint {} is already recorded", complaint.id),
                format!("klage {} er allerede registreret", complaint.id),
            )]));
        }
        let basis = self.basis(&complaint.basis_id).ok();
        let refusals = policy::validate_complaint(complaint, &resident, basis.as_ref());
        if !refusals.is_empty() {
            return Err(StoreError::Refused(refusals));
        }
        let json = to_json(complaint);
        self.change_record(actor, now, "complaint.record", &complaint.id, &json, |tx| {
            write(
                tx,
                "INSERT INTO complaints (id, resident, data) VALUES (?1, ?2, ?3)",
                params![complaint.id, complaint.resident.0, json.to_string()],
            )?;
            Ok(("complaints", complaint.id.clone(), json.to_string()))
        })
    }

    /// Records the municipality's re-assessment of a complaint (R12.3).
    pub fn reassess_complaint(
        &mut self,
        id: &str,
        reassessment: Reassessment,
        actor: &str,
        now: Time,
    ) -> Result<(), StoreError> {
        let refused = |message: String, danish: String| {
            StoreError::Refused(vec![Refusal::new("R12.3", message, danish)])
        };
        let mut complaint = self.complaint(id)?.ok_or_else(|| {
            refused(
                format!("unknown complaint {id}"),
                format!("ukendt klage {id}"),
            )
        })?;
        if complaint.reassessment.is_some() {
            return Err(refused(
                format!("complaint {id} was already re-assessed"),
                format!("klage {id} er allerede genvurderet"),
            ));
        }
        if reassessment.at < complaint.received {
            return Err(refused(
                "a re-assessment cannot come before the complaint".into(),
                "en genvurdering kan ikke komme før klagen".into(),
            ));
        }
        complaint.reassessment = Some(reassessment);
        let json = to_json(&complaint);
        self.change_record(
            actor,
            now,
            "complaint.reassess",
            id,
            &to_json(&complaint.reassessment),
            |tx| {
                write(
                    tx,
                    "UPDATE complaints SET data = ?2 WHERE id = ?1",
                    params![id, json.to_string()],
                )?;
                Ok(("complaints", id.to_string(), json.to_string()))
            },
        )
    }

    fn complaint(&self, id: &str) -> Result<Option<Complaint>, StoreError> {
        self.record_by_id("complaints", id)
    }

    /// Everything the gate needs about one resident.
    pub fn case_file(&self, id: &ResidentId) -> Result<CaseFile, StoreError> {
        let resident = self.resident(id)?;
        Ok(CaseFile {
            resident,
            bases: self.records("bases", "id", id)?,
            disclosures: self.records("disclosures", "rowid", id)?,
            oppositions: self.records("oppositions", "rowid", id)?,
            complaints: self.records("complaints", "id", id)?,
        })
    }

    /// A resident's records in `table` (keyed by `key`), each checked
    /// against its seal.
    fn records<T: serde::de::DeserializeOwned>(
        &self,
        table: &str,
        key: &str,
        id: &ResidentId,
    ) -> Result<Vec<T>, StoreError> {
        let sqlite = |cause| StoreError::Sqlite {
            file: self.file_name(),
            cause,
        };
        let query = format!(
            "SELECT CAST({key} AS TEXT), data FROM {table} WHERE resident = ?1 ORDER BY rowid"
        );
        let mut statement = self.conn.prepare(&query).map_err(sqlite)?;
        let rows = statement
            .query_map(params![id.0], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })
            .map_err(sqlite)?;
        let mut out = Vec::new();
        for row in rows {
            let (key, data) = row.map_err(sqlite)?;
            self.check_seal(table, &key, &data)?;
            out.push(self.parse(&data)?);
        }
        Ok(out)
    }

    fn check_seal(&self, table: &str, key: &str, data: &str) -> Result<(), StoreError> {
        let checked =
            seals::check(&self.conn, table, key, data).map_err(|cause| StoreError::Sqlite {
                file: self.file_name(),
                cause,
            })?;
        Ok(checked?)
    }

    fn parse<T: serde::de::DeserializeOwned>(&self, data: &str) -> Result<T, StoreError> {
        serde_json::from_str(data).map_err(|e| StoreError::Corrupt {
            file: self.file_name(),
            reason: e.to_string(),
        })
    }

    /// Audits a gate decision that changes what runs: a source opened or shut.
    pub fn audit_gate(
        &mut self,
        action: &str,
        resident: &ResidentId,
        kind: crate::domain::Kind,
        why: &str,
        actor: &str,
        now: Time,
    ) -> Result<(), StoreError> {
        let detail = serde_json::json!({ "kind": kind.name(), "why": why });
        self.change(actor, now, action, &resident.0, &detail, |_| Ok(()))
    }

    /// Audits a step that changes no record: a look asked for, refused,
    /// begun or ended.
    pub fn audit_action(
        &mut self,
        action: &str,
        subject: &str,
        detail: &serde_json::Value,
        actor: &str,
        now: Time,
    ) -> Result<(), StoreError> {
        self.change(actor, now, action, subject, detail, |_| Ok(()))
    }

    /// A small write, to learn whether the disk still takes them.
    pub fn probe(&mut self, now: Time) -> Result<(), StoreError> {
        self.sql(|c| {
            c.execute(
                "INSERT INTO store_probe (one, at) VALUES (1, ?1) ON CONFLICT(one) DO UPDATE SET at = ?1",
                params![now.timestamp()],
            )
        })
        .map(|_| ())
    }

    /// Every resident, by id.
    pub fn residents(&self) -> Result<Vec<Resident>, StoreError> {
        let sqlite = |cause| StoreError::Sqlite {
            file: self.file_name(),
            cause,
        };
        let mut statement = self
            .conn
            .prepare("SELECT data FROM residents ORDER BY id")
            .map_err(sqlite)?;
        let rows = statement
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(sqlite)?;
        let mut out = Vec::new();
        for row in rows {
            out.push(self.parse(&row.map_err(sqlite)?)?);
        }
        Ok(out)
    }

    /// Checks the audit chain from the first row to the head.
    /// Seals the records written before records were sealed, in one
    /// audited change (none on a new database).
    fn seal_existing_records(&mut self) -> Result<(), StoreError> {
        // Every other record belongs to a resident.
        let any: bool =
            self.sql(|c| c.query_row("SELECT EXISTS (SELECT 1 FROM residents)", [], |r| r.get(0)))?;
        if !any {
            return Ok(());
        }
        let now = chrono::Utc::now();
        let detail = serde_json::json!({ "why": "records written before they were sealed" });
        let file = self.file_name();
        self.change_with("tryghed", now, "records.sealed", "records", &detail, |tx| {
            let seals = seals::seal_existing(tx).map_err(|cause| StoreError::Sqlite {
                file: file.clone(),
                cause,
            })?;
            Ok(((), Some(serde_json::Value::Array(seals))))
        })
    }

    pub fn verify_audit(&self) -> Result<AuditReport, StoreError> {
        audit::verify(&self.conn).map_err(|cause| StoreError::Sqlite {
            file: self.file_name(),
            cause,
        })
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}

/// One statement inside a change's transaction.
fn write(
    tx: &rusqlite::Transaction<'_>,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<(), StoreError> {
    tx.execute(sql, params)
        .map(|_| ())
        .map_err(|cause| StoreError::Sqlite {
            file: tx.path().unwrap_or("database").to_string(),
            cause,
        })
}

/// A record as written: its table, key and stored text.
type Written = (&'static str, String, String);
