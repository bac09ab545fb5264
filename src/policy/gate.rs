//! The gate: the only code that can make a [`Permitted`] value. A source
//! opens, an event leaves and a supervision starts only with one, and only
//! while a current legal basis allows it (R1, R2, R3, R8.2).

use chrono::Duration;
use serde::Serialize;

use super::records::{BasisType, CaseFile, LegalBasis, Opposition, Party, Time};
use super::room_permit::RoomPermit;
use crate::domain::{Kind, ResidentId};

/// Days before expiry on which case officers are warned.
pub const EXPIRY_WARNING_DAYS: [i64; 2] = [30, 7];

/// Proof that the gate allowed `T` at `decided_at` under basis `basis_id`.
/// Its fields are private and it has no public constructor: outside this
/// module it can only be received, never made.
#[derive(Debug, Clone, PartialEq)]
pub struct Permitted<T> {
    inner: T,
    basis_id: String,
    decided_at: Time,
}

impl<T> Permitted<T> {
    pub fn get(&self) -> &T {
        &self.inner
    }
    pub fn into_inner(self) -> T {
        self.inner
    }
    pub fn basis_id(&self) -> &str {
        &self.basis_id
    }
    pub fn decided_at(&self) -> Time {
        self.decided_at
    }
}

/// Why the gate said no: the requirement id and the reason in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Denial {
    pub rule: &'static str,
    pub reason: String,
}

impl std::fmt::Display for Denial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.rule, self.reason)
    }
}

impl Denial {
    /// A record the gate would rely on does not match the audit chain: the
    /// law can no longer be read, so nothing opens.
    pub fn records_tampered(why: &impl std::fmt::Display) -> Denial {
        deny("records", why.to_string())
    }
}

fn deny(rule: &'static str, reason: impl Into<String>) -> Denial {
    Denial {
        rule,
        reason: reason.into(),
    }
}

/// A camera, microphone or sensor may be opened for this resident.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceOpen {
    pub resident: ResidentId,
    pub kind: Kind,
}

/// A time-bounded look (R3.2).
#[derive(Debug, Clone, PartialEq)]
pub struct Supervision {
    pub resident: ResidentId,
    pub kind: Kind,
    pub until: Time,
}

/// What is allowed for a resident right now, and why not.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    pub resident: ResidentId,
    pub at: Time,
    pub basis_id: Option<String>,
    pub basis_type: Option<&'static str>,
    pub kinds: Vec<Kind>,
    pub reactive_alarm: bool,
    pub supervision_max_minutes: Option<u32>,
    pub ai_disclosed: bool,
    pub expires_at: Option<Time>,
    pub days_left: Option<i64>,
    /// Why something is not allowed.
    pub problems: Vec<Denial>,
    /// For case officers: expiry coming.
    pub warnings: Vec<String>,
}

/// Whether an opposition recorded on the case ends this basis at `now`
/// (R1.4): it ends consent and § 136 e, never a § 128 b decision.
pub(crate) fn opposed(case: &CaseFile, basis: &LegalBasis, now: Time) -> Option<Time> {
    if basis.basis_type.is_decision() {
        return None;
    }
    let informed_from = basis
        .informed
        .iter()
        .map(|i| i.at)
        .chain(basis.consent.as_ref().map(|c| c.at))
        .min()
        .unwrap_or(basis.start);
    let counts = |o: &Opposition| match &o.by {
        Party::Resident => true,
        // Only the resident can withdraw consent; a representative opposes § 136 e.
        Party::Representative(id) => {
            basis.basis_type == BasisType::Sel136e
                && case.resident.personal_representative(id, o.at)
        }
    };
    // Consent is the resident's own word, withdrawn by her opposing after
    // it; a § 136 e basis yields to any standing opposition, however fresh
    // its informing (R1.4: after an opposition only § 128 b may allow it).
    let since = match basis.basis_type {
        BasisType::Sel136e => None,
        _ => Some(informed_from),
    };
    case.oppositions
        .iter()
        .filter(|o| {
            o.resident == basis.resident
                && o.at <= now
                && since.is_none_or(|from| o.at >= from)
                && counts(o)
        })
        .map(|o| o.at)
        .min()
}

/// The first opposition standing at `at` from the resident or an attorney
/// or guardian covering personal matters (R1.4).
pub(crate) fn standing_opposition(case: &CaseFile, at: Time) -> Option<&Opposition> {
    case.oppositions
        .iter()
        .filter(|o| o.at <= at)
        .filter(|o| match &o.by {
            Party::Resident => true,
            Party::Representative(id) => case.resident.personal_representative(id, o.at),
        })
        .min_by_key(|o| o.at)
}

/// The basis in force at `now`, or why there is none.
fn current_basis(case: &CaseFile, now: Time) -> Result<&LegalBasis, Denial> {
    let mut last_reason = deny("R1.2", "no legal basis is recorded");
    let mut bases: Vec<&LegalBasis> = case
        .bases
        .iter()
        .filter(|b| b.resident == case.resident.id)
        .collect();
    bases.sort_by_key(|b| b.start);
    for basis in bases {
        if basis.start > now {
            last_reason = deny(
                "R1.2",
                format!("basis {} starts {}", basis.id, basis.start.to_rfc3339()),
            );
            continue;
        }
        if let Some(end) = basis.end.filter(|end| *end <= now) {
            last_reason = deny(
                "R10.1",
                format!("basis {} expired {}", basis.id, end.to_rfc3339()),
            );
            continue;
        }
        if let Some(stop) = basis.stopped.as_ref().filter(|s| s.at <= now) {
            last_reason = deny(
                "R10.3",
                format!(
                    "basis {} was stopped {}: {}",
                    basis.id,
                    stop.at.to_rfc3339(),
                    stop.reason
                ),
            );
            continue;
        }
        if let Some(at) = opposed(case, basis, now) {
            let rule = if basis.basis_type == BasisType::Consent {
                "R1.2"
            } else {
                "R1.4"
            };
            last_reason = deny(
                rule,
                format!("opposition recorded {} ends basis {} ({}); only a § 128 b decision can allow it now", at.to_rfc3339(), basis.id, basis.basis_type.name()),
            );
            continue;
        }
        return Ok(basis);
    }
    Err(last_reason)
}

fn ai_disclosed(case: &CaseFile, now: Time) -> bool {
    case.disclosures
        .iter()
        .any(|d| d.resident == case.resident.id && d.at <= now)
}

/// A kind is usable when a current basis allows it and, for AI kinds, the
/// AI disclosure is recorded.
fn usable(case: &CaseFile, kind: Kind, now: Time) -> Result<&LegalBasis, Denial> {
    let basis = current_basis(case, now)?;
    if !basis.kinds.contains(&kind) {
        let rule = if kind == Kind::Video || kind == Kind::Sound {
            "R2.1"
        } else {
            "R2"
        };
        return Err(deny(
            rule,
            format!(
                "basis {} does not allow {} (it allows {})",
                basis.id,
                kind.name(),
                kinds_text(basis)
            ),
        ));
    }
    if kind.uses_ai() && !ai_disclosed(case, now) {
        return Err(deny(
            "R8.2",
            "the AI disclosure has not been recorded: no AI model may run for this resident",
        ));
    }
    Ok(basis)
}

fn kinds_text(basis: &LegalBasis) -> String {
    let names: Vec<&str> = basis.kinds.iter().map(|k| k.name()).collect();
    if names.is_empty() {
        "nothing".into()
    } else {
        names.join(", ")
    }
}

/// May a source of this kind open for the resident now?
pub fn may_open(case: &CaseFile, kind: Kind, now: Time) -> Result<Permitted<SourceOpen>, Denial> {
    let basis = usable(case, kind, now)?;
    Ok(Permitted {
        inner: SourceOpen {
            resident: case.resident.id.clone(),
            kind,
        },
        basis_id: basis.id.clone(),
        decided_at: now,
    })
}

/// May an event of this kind leave the room as a reactive alarm (R3.1)?
pub fn permit_event<T>(
    case: &CaseFile,
    kind: Kind,
    event: T,
    now: Time,
) -> Result<Permitted<T>, Denial> {
    let basis = usable(case, kind, now)?;
    if !basis.reactive_alarm {
        return Err(deny(
            "R3.3",
            format!(
                "basis {} allows time-bounded supervision only, not reactive alarms",
                basis.id
            ),
        ));
    }
    Ok(Permitted {
        inner: event,
        basis_id: basis.id.clone(),
        decided_at: now,
    })
}

/// May an alarm for `signal` (`fall`, `scream`, …) leave now? As
/// [`permit_event`], and the basis must have switched that signal on: a
/// basis that names none lets no alarm through (data minimisation, R8.4).
pub fn permit_alarm<T>(
    case: &CaseFile,
    signal: &str,
    kind: Kind,
    event: T,
    now: Time,
) -> Result<Permitted<T>, Denial> {
    let permitted = permit_event(case, kind, event, now)?;
    let basis = usable(case, kind, now)?;
    if !basis.signals.contains(signal) {
        return Err(deny(
            "R8.4",
            format!(
                "basis {} does not switch on the signal `{signal}`",
                basis.id
            ),
        ));
    }
    Ok(permitted)
}

/// May a source of this kind open now, on a room device that decides
/// from the hub's permit (verified by `crate::permit::PermitHolder`)? The
/// permit is the hub gate's own answer, kind by kind, until its end.
pub fn may_open_by_permit(
    permit: &RoomPermit,
    kind: Kind,
    now: Time,
) -> Result<Permitted<SourceOpen>, Denial> {
    if now >= permit.valid_until {
        return Err(deny(
            "R1.2",
            format!(
                "permit {} ran out at {}: the hub has not renewed it (unreachable?), so nothing opens",
                permit.sequence,
                permit.valid_until.to_rfc3339()
            ),
        ));
    }
    let Some(basis_id) = permit
        .basis_id
        .clone()
        .filter(|_| permit.kinds.contains(&kind))
    else {
        let why = permit
            .denial
            .as_deref()
            .unwrap_or("the basis does not allow it");
        return Err(deny("permit", format!("{}: {why}", kind.name())));
    };
    Ok(Permitted {
        inner: SourceOpen {
            resident: permit.resident.clone(),
            kind,
        },
        basis_id,
        decided_at: now,
    })
}

/// As [`permit_alarm`], from the hub's permit: the kind open, reactive
/// alarms allowed (R3.3) and the signal switched on (R8.4).
pub fn permit_alarm_by_permit<T>(
    permit: &RoomPermit,
    signal: &str,
    kind: Kind,
    event: T,
    now: Time,
) -> Result<Permitted<T>, Denial> {
    let open = may_open_by_permit(permit, kind, now)?;
    if !permit.reactive_alarm {
        return Err(deny(
            "R3.3",
            "the permit allows time-bounded supervision only, not reactive alarms",
        ));
    }
    if !permit.signals.contains(signal) {
        return Err(deny(
            "R8.4",
            format!("the permit does not switch on the signal `{signal}`"),
        ));
    }
    Ok(Permitted {
        inner: event,
        basis_id: open.basis_id,
        decided_at: now,
    })
}

/// A device fault always reaches staff: it names a room and a fault, no
/// person and nothing seen or heard, and a monitor that has stopped must
/// never stop quietly (R13). The only permit with no legal basis behind it.
pub fn permit_device_fault(
    fault: crate::domain::DeviceFault,
    now: Time,
) -> Permitted<crate::domain::DeviceFault> {
    Permitted {
        inner: fault,
        basis_id: "device-fault".to_string(),
        decided_at: now,
    }
}

/// May staff look in for `minutes` now (R3.2)?
pub fn permit_supervision(
    case: &CaseFile,
    kind: Kind,
    minutes: u32,
    now: Time,
) -> Result<Permitted<Supervision>, Denial> {
    let (basis, max) = supervising(case, kind, now)?;
    if minutes == 0 || minutes > max {
        return Err(deny(
            "R3.2",
            format!(
                "a look may last 1 to {max} minutes under basis {}, asked for {minutes}",
                basis.id
            ),
        ));
    }
    let mut until = now + Duration::minutes(i64::from(minutes));
    if let Some(end) = basis.end {
        until = until.min(end);
    }
    Ok(Permitted {
        inner: Supervision {
            resident: case.resident.id.clone(),
            kind,
            until,
        },
        basis_id: basis.id.clone(),
        decided_at: now,
    })
}

/// May a look that was allowed go on now? Only while its basis still
/// allows supervision (R3.2): an opposition, an early stop or an expiry
/// ends it at once (R1.4, R10.3).
pub fn look_may_go_on(case: &CaseFile, kind: Kind, now: Time) -> Result<(), Denial> {
    supervising(case, kind, now).map(|_| ())
}

/// The usable basis that allows supervision (R3.3), with its longest look.
fn supervising(case: &CaseFile, kind: Kind, now: Time) -> Result<(&LegalBasis, u32), Denial> {
    let basis = usable(case, kind, now)?;
    match basis.supervision_max_minutes {
        Some(max) => Ok((basis, max)),
        None => Err(deny(
            "R3.3",
            format!(
                "basis {} allows reactive alarms only, not supervision",
                basis.id
            ),
        )),
    }
}

/// What is allowed now, why not, and what is coming (for `tryghed status`).
pub fn assess(case: &CaseFile, now: Time) -> Assessment {
    let disclosed = ai_disclosed(case, now);
    let mut assessment = Assessment {
        resident: case.resident.id.clone(),
        at: now,
        basis_id: None,
        basis_type: None,
        kinds: Vec::new(),
        reactive_alarm: false,
        supervision_max_minutes: None,
        ai_disclosed: disclosed,
        expires_at: None,
        days_left: None,
        problems: Vec::new(),
        warnings: Vec::new(),
    };
    match current_basis(case, now) {
        Err(denial) => assessment.problems.push(denial),
        Ok(basis) => {
            assessment.basis_id = Some(basis.id.clone());
            assessment.basis_type = Some(basis.basis_type.name());
            assessment.kinds = basis.kinds.iter().copied().collect();
            assessment.reactive_alarm = basis.reactive_alarm;
            assessment.supervision_max_minutes = basis.supervision_max_minutes;
            let end = match (basis.end, basis.stopped.as_ref().map(|s| s.at)) {
                (Some(end), Some(stop)) => Some(end.min(stop)),
                (end, stop) => end.or(stop),
            };
            assessment.expires_at = end;
            if let Some(end) = end {
                let days = (end - now).num_days();
                assessment.days_left = Some(days);
                if let Some(limit) = EXPIRY_WARNING_DAYS.iter().rev().find(|&&d| days < d) {
                    assessment.warnings.push(format!(
                        "basis {} ends in {days} days (within {limit}): decide on renewal",
                        basis.id
                    ));
                }
            }
            if basis.signals.is_empty() {
                assessment.problems.push(deny(
                    "R8.4",
                    format!(
                        "basis {} switches on no signal: no alarm can leave",
                        basis.id
                    ),
                ));
            }
            if basis.kinds.iter().any(|k| k.uses_ai()) && !disclosed {
                assessment.problems.push(deny(
                    "R8.2",
                    "the AI disclosure has not been recorded: camera and microphone stay shut",
                ));
            }
        }
    }
    for complaint in case
        .complaints
        .iter()
        .filter(|c| c.reassessment.is_none() && c.received <= now)
    {
        let due = complaint.received + Duration::weeks(super::COMPLAINT_WEEKS);
        if now > due {
            assessment.problems.push(deny(
                "R12.3",
                format!(
                    "complaint {} was due for re-assessment {}",
                    complaint.id,
                    due.to_rfc3339()
                ),
            ));
        } else {
            assessment.warnings.push(format!(
                "complaint {}: re-assess by {} ({} days)",
                complaint.id,
                due.to_rfc3339(),
                (due - now).num_days()
            ));
        }
    }
    assessment
}

/// The gate on the way out for a stream of events: passes what the law
/// allows and counts, by rule, what it drops (R2, R3.1).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct EventGate {
    dropped: std::collections::BTreeMap<&'static str, u64>,
}

impl EventGate {
    /// The event as a permitted alarm, or `None` (dropped and counted).
    pub fn pass<T>(
        &mut self,
        case: &CaseFile,
        kind: Kind,
        event: T,
        now: Time,
    ) -> Option<Permitted<T>> {
        match permit_event(case, kind, event, now) {
            Ok(permitted) => Some(permitted),
            Err(denial) => {
                *self.dropped.entry(denial.rule).or_default() += 1;
                None
            }
        }
    }

    /// Events dropped so far, by the rule that dropped them.
    pub fn dropped(&self) -> &std::collections::BTreeMap<&'static str, u64> {
        &self.dropped
    }
}
