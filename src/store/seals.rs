//! Residents' records bound to the audit chain. Every change of a record
//! seals its stored text with a SHA-256, kept in `record_seals` and in the
//! change's own audit row. Reading a case file checks each record against
//! its seal, so a record edited behind the product's back is refused, and
//! loudly (the gate then opens nothing: the law can no longer be checked);
//! `audit verify` checks the seals against the chain, so editing a record
//! and its seal together is caught too.

use std::collections::BTreeMap;

use rusqlite::{params, Connection, OptionalExtension, Transaction};
use sha2::{Digest, Sha256};

use super::audit::AuditFault;

/// The tables of residents' records, each with the column that keys a row.
pub const SEALED: [(&str, &str); 5] = [
    ("residents", "id"),
    ("bases", "id"),
    ("disclosures", "rowid"),
    ("oppositions", "rowid"),
    ("complaints", "id"),
];

/// A record that does not match its seal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{table} {key}: the record does not match the audit chain ({why}): it was changed outside tryghed; check `tryghed audit verify` and restore it")]
pub struct Tampered {
    pub table: String,
    pub key: String,
    pub why: &'static str,
}

fn digest(table: &str, key: &str, data: &str) -> String {
    let mut hasher = Sha256::new();
    for part in [table, key, data] {
        hasher.update(part.as_bytes());
        hasher.update([0u8]);
    }
    hex::encode(hasher.finalize())
}

/// Seals a record as written, inside the caller's transaction; returns what
/// its audit row carries.
pub fn seal(
    tx: &Transaction<'_>,
    table: &str,
    key: &str,
    data: &str,
) -> rusqlite::Result<serde_json::Value> {
    let sha256 = digest(table, key, data);
    tx.execute(
        "INSERT INTO record_seals (tbl, key, sha256) VALUES (?1, ?2, ?3) ON CONFLICT (tbl, key) DO UPDATE SET sha256 = ?3",
        params![table, key, sha256],
    )?;
    Ok(serde_json::json!({ "table": table, "key": key, "sha256": sha256 }))
}

/// Whether the record as read matches its seal. The outer error is the
/// database failing to answer, which is not tampering: a failing disk must
/// raise its own fault, not blame a case officer's record.
pub fn check(
    conn: &Connection,
    table: &str,
    key: &str,
    data: &str,
) -> rusqlite::Result<Result<(), Tampered>> {
    let sealed: Option<String> = conn
        .query_row(
            "SELECT sha256 FROM record_seals WHERE tbl = ?1 AND key = ?2",
            params![table, key],
            |r| r.get(0),
        )
        .optional()?;
    let why = match sealed {
        None => "it has no seal",
        Some(s) if s != digest(table, key, data) => "its text differs from what was sealed",
        Some(_) => return Ok(Ok(())),
    };
    Ok(Err(Tampered {
        table: table.into(),
        key: key.into(),
        why,
    }))
}

/// Every record there is, as (table, key, data).
fn all_records(conn: &Connection) -> rusqlite::Result<Vec<(String, String, String)>> {
    let mut out = Vec::new();
    for (table, key) in SEALED {
        let query = format!("SELECT CAST({key} AS TEXT), data FROM {table}");
        let mut statement = conn.prepare(&query)?;
        let rows = statement.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        for row in rows {
            let (key, data) = row?;
            out.push((table.to_string(), key, data));
        }
    }
    Ok(out)
}

/// Seals the records written before records were sealed (once, when the
/// schema gains seals); returns their seals for the audit row.
pub fn seal_existing(tx: &Transaction<'_>) -> rusqlite::Result<Vec<serde_json::Value>> {
    all_records(tx)?
        .iter()
        .map(|(table, key, data)| seal(tx, table, key, data))
        .collect()
}

/// Every seal as stored, for an audit row that must carry them again
/// (a pruning that deletes the rows which first carried them).
pub fn carry_all(tx: &Transaction<'_>) -> rusqlite::Result<serde_json::Value> {
    let mut statement =
        tx.prepare("SELECT tbl, key, sha256 FROM record_seals ORDER BY tbl, key")?;
    let seals = statement
        .query_map([], |r| {
            let (table, key, sha256): (String, String, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
            Ok(serde_json::json!({ "table": table, "key": key, "sha256": sha256 }))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(serde_json::Value::Array(seals))
}

/// The seals an audit row carries: one, or all the records sealed at once.
pub fn carried(detail: &serde_json::Value) -> Vec<(String, String, String)> {
    let seals = match detail.get("seal") {
        Some(serde_json::Value::Array(all)) => all.iter().collect(),
        Some(one) => vec![one],
        None => Vec::new(),
    };
    seals
        .into_iter()
        .filter_map(|s| {
            Some((
                s["table"].as_str()?.to_string(),
                s["key"].as_str()?.to_string(),
                s["sha256"].as_str()?.to_string(),
            ))
        })
        .collect()
}

/// Checks every record against its seal, and every seal against the last
/// one the chain holds for it (`on_chain`: (table, key) → (seq, sha256));
/// `pruned` when the chain's oldest rows were deleted, so a seal may have
/// gone with them.
pub fn verify(
    conn: &Connection,
    on_chain: &BTreeMap<(String, String), (i64, String)>,
    pruned: bool,
) -> rusqlite::Result<Vec<AuditFault>> {
    let mut faults = Vec::new();
    for (table, key, data) in all_records(conn)? {
        if let Err(tampered) = check(conn, &table, &key, &data)? {
            faults.push(AuditFault {
                seq: 0,
                problem: tampered.to_string(),
            });
            continue;
        }
        match on_chain.get(&(table.clone(), key.clone())) {
            Some((_, sha)) if *sha == digest(&table, &key, &data) => {}
            Some((seq, _)) => faults.push(AuditFault {
                seq: *seq,
                problem: format!("{table} {key}: the record and its seal were changed together, outside tryghed: they no longer match this row's seal"),
            }),
            None if !pruned => faults.push(AuditFault {
                seq: 0,
                problem: format!("{table} {key}: no row of the chain seals this record: it was written outside tryghed"),
            }),
            None => {}
        }
    }
    Ok(faults)
}
