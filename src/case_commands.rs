//! The case officer's commands: residents, legal bases, disclosures,
//! oppositions, status and the audit check (issue: the law as the spine).

use std::collections::BTreeSet;
use std::path::Path;
use std::process::ExitCode;

use chrono::{DateTime, NaiveDate, Utc};
use clap::{Args, Subcommand};

use tryghed::domain::{Kind, ResidentId};
use tryghed::policy::*;
use tryghed::store::Store;

use crate::UsageError;

#[derive(Subcommand)]
pub enum ResidentCommand {
    /// Record a resident (pseudonymous id, room, the name staff use).
    Add {
        #[arg(long)]
        id: String,
        #[arg(long)]
        room: String,
        /// The name staff know the resident by.
        #[arg(long)]
        name: String,
        /// A guardian or attorney: `guardian:NAME` or `attorney:NAME`, with
        /// `:personal` when the mandate covers personal matters. Repeatable.
        #[arg(long = "representative", value_name = "ROLE:NAME[:personal]")]
        representatives: Vec<String>,
    },
    /// Record an attorney's or guardian's mandate; prints the id that
    /// oppositions, informing and hearings refer to.
    AddRepresentative {
        #[arg(long)]
        resident: String,
        /// guardian (værge) or attorney (fremtidsfuldmægtig).
        #[arg(long)]
        role: String,
        #[arg(long)]
        name: String,
        /// The mandate covers personal matters.
        #[arg(long)]
        personal: bool,
        /// When the mandate began (ISO 8601); default: before any record.
        #[arg(long)]
        since: Option<String>,
    },
    /// Correct how a representative's name is spelt; the mandate stays.
    RenameRepresentative {
        #[arg(long)]
        resident: String,
        #[arg(long)]
        id: String,
        #[arg(long)]
        name: String,
    },
    /// End a representative's mandate (a guardianship lifted, a power
    /// revoked). A changed mandate is a new one: end this, add that.
    EndRepresentative {
        #[arg(long)]
        resident: String,
        #[arg(long)]
        id: String,
        /// When it ended (ISO 8601); default now.
        #[arg(long)]
        at: Option<String>,
        #[arg(long)]
        reason: String,
    },
}

#[derive(Subcommand)]
pub enum BasisCommand {
    /// Record a legal basis; every rule it breaks is listed with its id.
    Record(Box<BasisArgs>),
    /// Stop a basis early (R10.3).
    Stop {
        #[arg(long)]
        id: String,
        /// When it stops (ISO 8601); default now.
        #[arg(long)]
        at: Option<String>,
        #[arg(long)]
        reason: String,
    },
}

#[derive(Args)]
pub struct BasisArgs {
    #[arg(long)]
    id: String,
    #[arg(long)]
    resident: String,
    /// consent, 136e, 128b or 128b-unlimited (§ 128 b under § 136 e stk. 5).
    #[arg(long = "type", value_name = "TYPE")]
    basis_type: String,
    /// Comma-separated: movement, sound, video, location.
    #[arg(long, value_delimiter = ',')]
    kinds: Vec<String>,
    /// Allows reactive alarms (R3.1).
    #[arg(long)]
    alarm: bool,
    /// Allows time-bounded supervision, at most this many minutes a look (R3.2).
    #[arg(long, value_name = "MINUTES")]
    supervision_minutes: Option<u32>,
    #[arg(long)]
    start: String,
    #[arg(long)]
    end: Option<String>,
    #[arg(long)]
    decided_by: String,
    /// Who was heard, and when (R10.2): `resident` or a representative's id.
    #[arg(long)]
    heard: Option<String>,
    #[arg(long)]
    heard_at: Option<String>,
    /// Who was informed and when: `resident@TIME` or `REP-ID@TIME`. Repeatable (R9.1).
    #[arg(long = "informed", value_name = "WHO@TIME")]
    informed: Vec<String>,
    /// When the resident consented (consent bases).
    #[arg(long)]
    consent_at: Option<String>,
    /// Document references (R11): never the documents.
    #[arg(long)]
    diagnosis: Option<String>,
    #[arg(long)]
    earlier_efforts: Option<String>,
    #[arg(long)]
    action_plan: Option<String>,
    #[arg(long)]
    skema3: Option<String>,
    /// DPIA assessment (R8.3): `not-needed` or the impact assessment's reference.
    #[arg(long)]
    dpia: Option<String>,
    #[arg(long)]
    dpia_at: Option<String>,
    /// Comma-separated signals switched on (R8.4), e.g. fall,on_floor,scream.
    #[arg(long, value_delimiter = ',')]
    signals: Vec<String>,
    /// The target-group assessment (R1.1): reduced-function:REF or
    /// progressive-decline:REF, REF where it is documented.
    #[arg(long)]
    target_group: Option<String>,
    /// Comma-separated purposes (R8.1): injury-risk, safety, dignity, care.
    #[arg(long, value_delimiter = ',')]
    purpose: Vec<String>,
    /// Comma-separated catalogue items granted (R14): sensor-alarm,
    /// door-alarm, seizure-alarm, gps-tracking.
    #[arg(long, value_delimiter = ',', conflicts_with = "beyond_catalogue")]
    catalogue: Vec<String>,
    /// Granted beyond the catalogue: the individual assessment's reference (R14).
    #[arg(long)]
    beyond_catalogue: Option<String>,
}

/// Parses an ISO 8601 time with offset, or a date (midnight UTC).
pub fn parse_time(flag: &str, text: &str) -> Result<DateTime<Utc>, UsageError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Some(midnight) = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
    {
        return Ok(midnight.and_utc());
    }
    Err(UsageError(format!("{flag}: `{text}` is not an ISO 8601 time (e.g. 2026-01-31T08:00:00+01:00, or 2026-01-31 for midnight UTC)")))
}

fn optional_time(flag: &str, text: &Option<String>) -> Result<Option<DateTime<Utc>>, UsageError> {
    text.as_deref().map(|t| parse_time(flag, t)).transpose()
}

fn party(text: &str) -> Party {
    if text.eq_ignore_ascii_case("resident") {
        Party::Resident
    } else {
        Party::Representative(text.to_string())
    }
}

fn role(flag: &str, text: &str) -> Result<RepresentativeRole, UsageError> {
    match text {
        "guardian" => Ok(RepresentativeRole::Guardian),
        "attorney" => Ok(RepresentativeRole::Attorney),
        _ => Err(UsageError(format!("{flag} `{text}`: guardian or attorney"))),
    }
}

/// `ROLE:NAME[:personal]`, the `number`th of `resident add` (ids rep-1, rep-2, …).
fn representative(text: &str, number: usize) -> Result<Representative, UsageError> {
    let parts: Vec<&str> = text.split(':').collect();
    let (name, personal) = match parts.as_slice() {
        [_, name] => (*name, false),
        [_, name, "personal"] => (*name, true),
        _ => {
            return Err(UsageError(format!(
                "--representative `{text}`: expected ROLE:NAME or ROLE:NAME:personal"
            )))
        }
    };
    if name.trim().is_empty() {
        return Err(UsageError(format!(
            "--representative `{text}`: the name is empty"
        )));
    }
    Ok(Representative {
        id: format!("rep-{number}"),
        name: name.trim().to_string(),
        role: role("--representative", parts[0])?,
        covers_personal_matters: personal,
        since: None,
        ended: None,
    })
}

pub fn resident(
    store: &mut Store,
    command: ResidentCommand,
    actor: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<ExitCode> {
    let (resident, change) = match command {
        ResidentCommand::Add {
            id,
            room,
            name,
            representatives,
        } => return add_resident(store, id, room, name, &representatives, actor, now),
        ResidentCommand::AddRepresentative {
            resident,
            role: asked,
            name,
            personal,
            since,
        } => (
            resident,
            RepresentativeChange::Add {
                name,
                role: role("--role", &asked)?,
                covers_personal_matters: personal,
                since: optional_time("--since", &since)?,
            },
        ),
        ResidentCommand::RenameRepresentative { resident, id, name } => {
            (resident, RepresentativeChange::Rename { id, name })
        }
        ResidentCommand::EndRepresentative {
            resident,
            id,
            at,
            reason,
        } => {
            let at = optional_time("--at", &at)?.unwrap_or(now);
            (resident, RepresentativeChange::End { id, at, reason })
        }
    };
    let rep = store.change_representative(&ResidentId(resident), change, actor, now)?;
    out!("{}", describe_representative(&rep));
    Ok(ExitCode::SUCCESS)
}

fn add_resident(
    store: &mut Store,
    id: String,
    room: String,
    name: String,
    representatives: &[String],
    actor: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<ExitCode> {
    let representatives = representatives
        .iter()
        .enumerate()
        .map(|(i, r)| representative(r, i + 1))
        .collect::<Result<Vec<_>, _>>()?;
    let resident = Resident {
        id: ResidentId(id),
        room,
        display_name: name,
        representatives,
    };
    store.add_resident(&resident, actor, now)?;
    out!("resident {} recorded", resident.id);
    for rep in &resident.representatives {
        out!("  {}", describe_representative(rep));
    }
    Ok(ExitCode::SUCCESS)
}

/// One line a case officer reads: the id to refer to, and the mandate.
fn describe_representative(rep: &Representative) -> String {
    let role = match rep.role {
        RepresentativeRole::Guardian => "guardian",
        RepresentativeRole::Attorney => "attorney",
    };
    let scope = if rep.covers_personal_matters {
        ", personal matters"
    } else {
        ""
    };
    let since = rep
        .since
        .map(|s| format!(", since {}", s.format("%Y-%m-%d")))
        .unwrap_or_default();
    let ended = rep
        .ended
        .as_ref()
        .map(|e| format!(", ended {}: {}", e.at.format("%Y-%m-%d"), e.reason))
        .unwrap_or_default();
    format!(
        "representative {}: {} ({role}{scope}{since}{ended})",
        rep.id, rep.name
    )
}

pub fn basis(
    store: &mut Store,
    command: BasisCommand,
    actor: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<ExitCode> {
    match command {
        BasisCommand::Stop { id, at, reason } => {
            let at = optional_time("--at", &at)?.unwrap_or(now);
            store.stop_basis(
                &id,
                EarlyStop {
                    at,
                    by: actor.to_string(),
                    reason,
                },
                actor,
                now,
            )?;
            out!("basis {id} stops {}", at.to_rfc3339());
        }
        BasisCommand::Record(args) => {
            let basis = basis_from(*args)?;
            store.record_basis(&basis, actor, now)?;
            out!("basis {} recorded for {}", basis.id, basis.resident);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn basis_from(a: BasisArgs) -> Result<LegalBasis, UsageError> {
    let basis_type = match a.basis_type.as_str() {
        "consent" => BasisType::Consent,
        "136e" => BasisType::Sel136e,
        "128b" => BasisType::Sel128b,
        "128b-unlimited" => BasisType::Sel128bUnlimited,
        other if tryghed::policy::is_situational_look_in(other) => {
            return Err(UsageError(tryghed::policy::NO_SITUATIONAL_LOOK_IN.into()))
        }
        other => {
            return Err(UsageError(format!(
                "--type `{other}`: one of consent, 136e, 128b, 128b-unlimited"
            )))
        }
    };
    let kinds: BTreeSet<Kind> = a
        .kinds
        .iter()
        .map(|k| {
            k.parse::<Kind>()
                .map_err(|e| UsageError(format!("--kinds: {e}")))
        })
        .collect::<Result<_, _>>()?;
    let start = parse_time("--start", &a.start)?;
    let hearing = match (a.heard, optional_time("--heard-at", &a.heard_at)?) {
        (Some(heard), Some(at)) => Some(Hearing { heard, at }),
        (None, None) => None,
        _ => return Err(UsageError("--heard and --heard-at go together".into())),
    };
    let mut informed = Vec::new();
    for entry in &a.informed {
        let (who, at) = entry
            .rsplit_once('@')
            .ok_or_else(|| UsageError(format!("--informed `{entry}`: expected WHO@TIME")))?;
        informed.push(Informed {
            party: party(who),
            at: parse_time("--informed", at)?,
        });
    }
    let consent = optional_time("--consent-at", &a.consent_at)?.map(|at| ConsentGiven {
        by: Party::Resident,
        at,
    });
    let dpia = match (a.dpia, optional_time("--dpia-at", &a.dpia_at)?) {
        (Some(outcome), Some(at)) => Some(DpiaAssessment {
            at,
            outcome: if outcome == "not-needed" {
                DpiaOutcome::NotNeeded
            } else {
                DpiaOutcome::Made(outcome)
            },
        }),
        (None, None) => None,
        _ => return Err(UsageError("--dpia and --dpia-at go together".into())),
    };
    Ok(LegalBasis {
        id: a.id,
        resident: ResidentId(a.resident),
        basis_type,
        kinds,
        reactive_alarm: a.alarm,
        supervision_max_minutes: a.supervision_minutes,
        start,
        end: optional_time("--end", &a.end)?,
        decided_by: a.decided_by,
        hearing,
        informed,
        consent,
        documents: CaseDocuments {
            diagnosis: a.diagnosis,
            earlier_efforts: a.earlier_efforts,
            action_plan: a.action_plan,
            skema_3: a.skema3,
        },
        dpia,
        signals: a.signals.into_iter().collect(),
        stopped: None,
        facts: BasisFacts::parse(
            a.target_group.as_deref(),
            &a.purpose,
            &a.catalogue,
            a.beyond_catalogue,
        )
        .map_err(UsageError)?,
    })
}

pub fn disclosure(
    store: &mut Store,
    resident: String,
    informed: String,
    at: Option<String>,
    how: String,
    actor: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<ExitCode> {
    let at = optional_time("--at", &at)?.unwrap_or(now);
    let record = AiDisclosure {
        resident: ResidentId(resident),
        informed: party(&informed),
        by: actor.to_string(),
        at,
        how,
    };
    store.record_disclosure(&record, actor, now)?;
    out!("AI disclosure recorded for {}", record.resident);
    Ok(ExitCode::SUCCESS)
}

pub fn opposition(
    store: &mut Store,
    resident: String,
    by: String,
    at: Option<String>,
    actor: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<ExitCode> {
    let at = optional_time("--at", &at)?.unwrap_or(now);
    let record = Opposition {
        resident: ResidentId(resident),
        by: party(&by),
        at,
    };
    store.record_opposition(&record, actor, now)?;
    let assessment = assess(&store.case_file(&record.resident)?, now);
    out!("opposition recorded for {}", record.resident);
    for problem in &assessment.problems {
        out!("  now: {problem}");
    }
    Ok(ExitCode::SUCCESS)
}

pub fn status(
    store: &Store,
    resident: String,
    json: bool,
    now: DateTime<Utc>,
) -> anyhow::Result<ExitCode> {
    let assessment = assess(&store.case_file(&ResidentId(resident))?, now);
    if json {
        out!("{}", serde_json::to_string_pretty(&assessment)?);
        return Ok(ExitCode::SUCCESS);
    }
    out!(
        "resident {} at {}",
        assessment.resident,
        assessment.at.to_rfc3339()
    );
    match &assessment.basis_id {
        None => out!("  no basis in force"),
        Some(id) => {
            let kinds: Vec<&str> = assessment.kinds.iter().map(|k| k.name()).collect();
            out!("  basis {id} ({})", assessment.basis_type.unwrap_or("-"));
            out!("  kinds allowed: {}", kinds.join(", "));
            out!(
                "  reactive alarm: {}",
                if assessment.reactive_alarm {
                    "yes"
                } else {
                    "no"
                }
            );
            match assessment.supervision_max_minutes {
                Some(m) => out!("  supervision: up to {m} minutes a look"),
                None => out!("  supervision: no"),
            }
            match (assessment.expires_at, assessment.days_left) {
                (Some(end), Some(days)) => out!("  ends {} ({days} days left)", end.to_rfc3339()),
                _ => out!("  ends: when stopped"),
            }
        }
    }
    out!(
        "  AI disclosed: {}",
        if assessment.ai_disclosed { "yes" } else { "no" }
    );
    for problem in &assessment.problems {
        out!("  problem: {problem}");
    }
    for warning in &assessment.warnings {
        out!("  warning: {warning}");
    }
    Ok(ExitCode::SUCCESS)
}

pub fn audit_verify(store: &Store, json: bool) -> anyhow::Result<ExitCode> {
    let report = store.verify_audit()?;
    if json {
        out!("{}", serde_json::to_string_pretty(&report)?);
    } else if report.intact() {
        out!("audit trail intact: {} rows", report.rows);
    } else {
        for fault in &report.faults {
            out!("row {}: {}", fault.seq, fault.problem);
        }
    }
    Ok(if report.intact() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The default data directory: the user's data folder.
pub fn default_data_dir() -> std::path::PathBuf {
    directories::ProjectDirs::from("dk", "tryghed", "tryghed")
        .map(|d| d.data_dir().to_path_buf())
        .unwrap_or_else(|| Path::new(".tryghed").to_path_buf())
}

#[derive(Subcommand)]
pub enum ComplaintCommand {
    /// Record a complaint about a decision (R12).
    Record {
        #[arg(long)]
        id: String,
        #[arg(long)]
        resident: String,
        /// The basis (decision) complained about.
        #[arg(long)]
        basis: String,
        /// `resident`, `representative:NAME` (a recorded guardian or attorney) or `relative:NAME`.
        #[arg(long)]
        by: String,
        /// The resident cannot complain themselves (lets a relative complain).
        #[arg(long)]
        resident_cannot: bool,
        /// When the resident received the decision (ISO 8601).
        #[arg(long)]
        decision_received: String,
        /// When the municipality received the complaint (ISO 8601); default now.
        #[arg(long)]
        received: Option<String>,
    },
    /// Record the municipality's re-assessment (R12.3).
    Reassess {
        #[arg(long)]
        id: String,
        #[arg(long)]
        at: Option<String>,
        /// The complaint is upheld; without it, the case goes to the National Social Appeals Board.
        #[arg(long)]
        upheld: bool,
    },
}

pub fn complaint(
    store: &mut Store,
    command: ComplaintCommand,
    actor: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<ExitCode> {
    match command {
        ComplaintCommand::Record {
            id,
            resident,
            basis,
            by,
            resident_cannot,
            decision_received,
            received,
        } => {
            let by = match by.split_once(':') {
                None if by == "resident" => Complainant::Resident,
                Some(("representative", name)) => Complainant::Representative(name.to_string()),
                Some(("relative", name)) => Complainant::Relative(name.to_string()),
                _ => {
                    return Err(UsageError(format!(
                        "--by `{by}`: resident, representative:NAME or relative:NAME"
                    ))
                    .into())
                }
            };
            let record = Complaint {
                id,
                resident: ResidentId(resident),
                basis_id: basis,
                by,
                resident_cannot,
                decision_received: parse_time("--decision-received", &decision_received)?,
                received: optional_time("--received", &received)?.unwrap_or(now),
                reassessment: None,
            };
            store.record_complaint(&record, actor, now)?;
            let due = record.received + chrono::Duration::weeks(COMPLAINT_WEEKS);
            out!(
                "complaint {} recorded; re-assess by {}",
                record.id,
                due.to_rfc3339()
            );
        }
        ComplaintCommand::Reassess { id, at, upheld } => {
            let at = optional_time("--at", &at)?.unwrap_or(now);
            store.reassess_complaint(&id, Reassessment { at, upheld }, actor, now)?;
            if upheld {
                out!("complaint {id} upheld");
            } else {
                out!("complaint {id} not upheld: send the case to the National Social Appeals Board (Ankestyrelsen)");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
