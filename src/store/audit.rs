//! The audit trail: append-only rows, each carrying the hash of the one
//! before, and a head holding the last row's number and hash. Editing,
//! inserting or deleting any row breaks the chain at a place `verify` names.

use rusqlite::{params, Connection, OptionalExtension, Transaction};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::policy::Time;

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// A break in the chain, at row `seq`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditFault {
    pub seq: i64,
    pub problem: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditReport {
    pub rows: u64,
    pub faults: Vec<AuditFault>,
}

impl AuditReport {
    pub fn intact(&self) -> bool {
        self.faults.is_empty()
    }
}

fn row_hash(
    prev: &str,
    seq: i64,
    at: &str,
    actor: &str,
    action: &str,
    subject: &str,
    detail: &str,
) -> String {
    let mut hasher = Sha256::new();
    for part in [prev, &seq.to_string(), at, actor, action, subject, detail] {
        hasher.update(part.as_bytes());
        hasher.update([0u8]);
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Appends one row inside the caller's transaction.
pub fn append(
    tx: &Transaction<'_>,
    actor: &str,
    now: Time,
    action: &str,
    subject: &str,
    detail: &serde_json::Value,
) -> rusqlite::Result<()> {
    let head: Option<(i64, String)> = tx
        .query_row("SELECT seq, hash FROM audit_head WHERE one = 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    let (last, prev) = head.unwrap_or((0, GENESIS.to_string()));
    let seq = last + 1;
    let at = now.to_rfc3339();
    let detail = detail.to_string();
    let hash = row_hash(&prev, seq, &at, actor, action, subject, &detail);
    tx.execute(
        "INSERT INTO audit (seq, at, actor, action, subject, detail, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![seq, at, actor, action, subject, detail, prev, hash],
    )?;
    tx.execute("INSERT INTO audit_head (one, seq, hash) VALUES (1, ?1, ?2) ON CONFLICT(one) DO UPDATE SET seq = ?1, hash = ?2", params![seq, hash])?;
    Ok(())
}

/// The anchor a pruning row names in its detail.
fn named_anchor(detail: &str) -> Option<(i64, String)> {
    let detail: serde_json::Value = serde_json::from_str(detail).ok()?;
    Some((
        detail["anchor_seq"].as_i64()?,
        detail["anchor_hash"].as_str()?.to_string(),
    ))
}

pub fn verify(conn: &Connection) -> rusqlite::Result<AuditReport> {
    let mut statement = conn.prepare(
        "SELECT seq, at, actor, action, subject, detail, prev_hash, hash FROM audit ORDER BY seq",
    )?;
    let mut rows = statement.query([])?;
    let mut faults = Vec::new();
    // After a pruning the chain starts at its anchor, not at the genesis.
    let anchor: Option<(i64, String)> = conn
        .query_row(
            "SELECT seq, hash FROM audit_anchor WHERE one = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let (mut expected, mut prev) = match &anchor {
        Some((seq, hash)) => (seq + 1, hash.clone()),
        None => (1i64, GENESIS.to_string()),
    };
    let mut count = 0u64;
    let mut anchors_named = Vec::new();
    let mut last: Option<(i64, String)> = None;
    let mut sealed = std::collections::BTreeMap::new();
    while let Some(row) = rows.next()? {
        let seq: i64 = row.get(0)?;
        let fields: Vec<String> = (1..8)
            .map(|i| row.get::<_, String>(i))
            .collect::<rusqlite::Result<_>>()?;
        let (at, actor, action, subject, detail, prev_hash, hash) = (
            &fields[0], &fields[1], &fields[2], &fields[3], &fields[4], &fields[5], &fields[6],
        );
        count += 1;
        if action == "retention.prune" {
            anchors_named.push(named_anchor(detail));
        }
        let parsed = serde_json::from_str(detail).unwrap_or_default();
        for (table, key, sha256) in super::seals::carried(&parsed) {
            sealed.insert((table, key), (seq, sha256));
        }
        if seq != expected {
            let problem = if seq > expected {
                format!("rows {expected} to {} are missing (deleted)", seq - 1)
            } else {
                "out of order".into()
            };
            faults.push(AuditFault {
                seq: expected,
                problem,
            });
        }
        if prev_hash != &prev {
            faults.push(AuditFault { seq, problem: "does not follow the row before it (that row was edited or deleted, or this one inserted)".into() });
        }
        if row_hash(prev_hash, seq, at, actor, action, subject, detail) != *hash {
            faults.push(AuditFault {
                seq,
                problem: "edited: its contents no longer match its hash".into(),
            });
        }
        prev = hash.clone();
        expected = seq + 1;
        last = Some((seq, hash.clone()));
    }
    let pruned = anchor.is_some();
    if let Some(anchor) = anchor {
        if !anchors_named.contains(&Some(anchor.clone())) {
            faults.push(AuditFault {
                seq: anchor.0 + 1,
                problem: format!("the chain starts after row {}, but no pruning in it names that start: rows were deleted behind the device's back", anchor.0),
            });
        }
    }
    let head: Option<(i64, String)> = conn
        .query_row("SELECT seq, hash FROM audit_head WHERE one = 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    match (head, last) {
        (None, None) => {}
        (Some(head), last) if Some(&head) != last.as_ref() => {
            let seq = last.as_ref().map_or(0, |l| l.0);
            faults.push(AuditFault { seq: head.0, problem: format!("the chain should end at row {} but ends at row {seq}: rows at the end were deleted or the head was edited", head.0) });
        }
        (None, Some((seq, _))) => faults.push(AuditFault {
            seq,
            problem: "the head record is missing".into(),
        }),
        _ => {}
    }
    // The chain's own faults first: a broken chain explains missing seals.
    faults.extend(super::seals::verify(conn, &sealed, pruned)?);
    Ok(AuditReport {
        rows: count,
        faults,
    })
}
