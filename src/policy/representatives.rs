//! Attorneys and guardians over time: added with the date their mandate
//! began, their name corrected, their mandate ended. Oppositions (R1.4),
//! informing (R9.1) and hearings (R10.2) refer to them by id, so a name
//! spelt differently can neither stop nor allow anything. A change of
//! mandate (its scope, its role) is a new mandate: end one, add the other.

use super::basis::refuse;
use super::records::{MandateEnd, Representative, RepresentativeRole, Resident};
use super::{Refusal, Time};

/// The longest name the product keeps for a representative.
const MAX_NAME: usize = 200;

#[derive(Debug, Clone, PartialEq)]
pub enum RepresentativeChange {
    Add {
        name: String,
        role: RepresentativeRole,
        covers_personal_matters: bool,
        since: Option<Time>,
    },
    /// A spelling corrected; the mandate stays as it was.
    Rename { id: String, name: String },
    End {
        id: String,
        at: Time,
        reason: String,
    },
}

impl RepresentativeChange {
    /// The audit action that records it.
    pub fn action(&self) -> &'static str {
        match self {
            RepresentativeChange::Add { .. } => "representative.add",
            RepresentativeChange::Rename { .. } => "representative.rename",
            RepresentativeChange::End { .. } => "representative.end",
        }
    }
}

/// The resident after `change`, with the representative it touched; or
/// every rule it breaks.
pub fn change_representative(
    resident: &Resident,
    change: RepresentativeChange,
) -> Result<(Resident, Representative), Vec<Refusal>> {
    let mut changed = resident.clone();
    let touched = match change {
        RepresentativeChange::Add {
            name,
            role,
            covers_personal_matters,
            since,
        } => {
            let added = Representative {
                id: next_id(resident),
                name: valid_name(&name)?,
                role,
                covers_personal_matters,
                since,
                ended: None,
            };
            changed.representatives.push(added);
            changed.representatives.len() - 1
        }
        RepresentativeChange::Rename { id, name } => {
            let at = position(resident, &id)?;
            changed.representatives[at].name = valid_name(&name)?;
            at
        }
        RepresentativeChange::End { id, at, reason } => {
            let index = position(resident, &id)?;
            let ended = end(&resident.representatives[index], at, reason)?;
            changed.representatives[index].ended = Some(ended);
            index
        }
    };
    let representative = changed.representatives[touched].clone();
    Ok((changed, representative))
}

/// `rep-N`, the first N not taken: ids are never reused, ended or not.
fn next_id(resident: &Resident) -> String {
    (resident.representatives.len() + 1..)
        .map(|n| format!("rep-{n}"))
        .find(|id| resident.representatives.iter().all(|r| &r.id != id))
        .unwrap_or_default()
}

fn valid_name(name: &str) -> Result<String, Vec<Refusal>> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME {
        return Err(vec![refuse(
            "R1.2",
            format!("a representative's name must be recorded (1 to {MAX_NAME} characters)"),
            format!("repræsentantens navn skal registreres (1 til {MAX_NAME} tegn)"),
        )]);
    }
    Ok(name.to_string())
}

fn position(resident: &Resident, id: &str) -> Result<usize, Vec<Refusal>> {
    resident
        .representatives
        .iter()
        .position(|r| r.id == id)
        .ok_or_else(|| {
            let ids: Vec<String> = resident
                .representatives
                .iter()
                .map(Representative::describe)
                .collect();
            let ids = if ids.is_empty() {
                "-".to_string()
            } else {
                ids.join(", ")
            };
            vec![refuse(
                "R1.2",
                format!(
                    "{} has no representative {id} (recorded: {ids})",
                    resident.id
                ),
                format!(
                    "{} har ingen repræsentant {id} (registreret: {ids})",
                    resident.id
                ),
            )]
        })
}

fn end(
    representative: &Representative,
    at: Time,
    reason: String,
) -> Result<MandateEnd, Vec<Refusal>> {
    let mut out = Vec::new();
    if let Some(ended) = &representative.ended {
        out.push(refuse(
            "R1.2",
            format!(
                "{}'s mandate already ended on {}",
                representative.describe(),
                ended.at.format("%Y-%m-%d")
            ),
            format!(
                "mandatet for {} ophørte allerede den {}",
                representative.describe(),
                ended.at.format("%Y-%m-%d")
            ),
        ));
    }
    if representative.since.is_some_and(|since| at < since) {
        out.push(refuse(
            "R1.2",
            "a mandate cannot end before it began",
            "et mandat kan ikke ophøre, før det begyndte",
        ));
    }
    if reason.trim().is_empty() {
        out.push(refuse(
            "R1.2",
            "why the mandate ended must be recorded",
            "hvorfor mandatet ophørte, skal registreres",
        ));
    }
    match out.is_empty() {
        true => Ok(MandateEnd {
            at,
            reason: reason.trim().to_string(),
        }),
        false => Err(out),
    }
}
