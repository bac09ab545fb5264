//! The case officer's part of the staff app's API: the whole case file,
//! oppositions, AI disclosures, new legal bases and early stops, each
//! checked by the same rules as the command line and audited under the
//! officer's name.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use super::http::{audit_by, text, ApiError, ApiJson, AppState, Authed};
use crate::store::Role;

/// A resident's whole case as the gate reads it, with what it allows now
/// (case officer, auditor).
pub(super) async fn case_file(
    State(state): State<AppState>,
    authed: Authed,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let session = authed.require(&[Role::CaseOfficer, Role::Auditor])?;
    let asked = crate::domain::ResidentId(id.clone());
    let case = state.hub.read(move |s| s.case_file(&asked)).await?;
    let detail = json!({ "bases": case.bases.len() });
    audit_by(&state, &session.user.name, "case.read", &id, detail).await?;
    let assessment = crate::policy::assess(&case, state.hub.now());
    Ok(Json(json!({ "case": case, "now": assessment })))
}

fn party(who: &str) -> Result<crate::policy::Party, ApiError> {
    match text(
        who,
        "say who: `resident` or a representative's id (rep-1, …)",
        200,
    )? {
        "resident" => Ok(crate::policy::Party::Resident),
        id => Ok(crate::policy::Party::Representative(id.to_string())),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct OppositionRequest {
    by: String,
}

/// The resident, guardian or attorney opposes (R1.4): a § 136 e or consent
/// basis ends with it, and running sources shut within a second.
pub(super) async fn record_opposition(
    State(state): State<AppState>,
    authed: Authed,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<OppositionRequest>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let session = authed.require(&[Role::CaseOfficer])?;
    let opposition = crate::policy::Opposition {
        resident: crate::domain::ResidentId(id.clone()),
        by: party(&request.by)?,
        at: state.hub.now(),
    };
    let (recorded, by, now) = (
        opposition.clone(),
        session.user.name.clone(),
        state.hub.now(),
    );
    let case = state
        .hub
        .write(move |s| {
            s.record_opposition(&recorded, &by, now)?;
            s.case_file(&recorded.resident)
        })
        .await?;
    Ok(Json(
        json!({ "recorded": opposition, "now": crate::policy::assess(&case, state.hub.now()) }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DisclosureRequest {
    informed: String,
    how: String,
}

/// The AI disclosure (R8.2): who was told, how; by the logged-in case officer, now.
pub(super) async fn record_disclosure(
    State(state): State<AppState>,
    authed: Authed,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<DisclosureRequest>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let session = authed.require(&[Role::CaseOfficer])?;
    let how = text(&request.how, "say how they were told", 300)?;
    let now = state.hub.now();
    let disclosure = crate::policy::AiDisclosure {
        resident: crate::domain::ResidentId(id),
        informed: party(&request.informed)?,
        by: session.user.name.clone(),
        at: now,
        how: how.to_string(),
    };
    let (recorded, by) = (disclosure.clone(), session.user.name.clone());
    state
        .hub
        .write(move |s| s.record_disclosure(&recorded, &by, now))
        .await?;
    Ok(Json(json!({ "recorded": disclosure })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct BasisRequest {
    id: String,
    basis_type: crate::policy::BasisType,
    kinds: std::collections::BTreeSet<crate::domain::Kind>,
    signals: std::collections::BTreeSet<String>,
    reactive_alarm: bool,
    #[serde(default)]
    supervision_max_minutes: Option<u32>,
    start: crate::policy::Time,
    #[serde(default)]
    end: Option<crate::policy::Time>,
    #[serde(default)]
    hearing: Option<HearingRequest>,
    #[serde(default)]
    informed: Vec<InformedRequest>,
    #[serde(default)]
    consent_at: Option<crate::policy::Time>,
    #[serde(default)]
    documents: DocumentsRequest,
    #[serde(default)]
    dpia: Option<DpiaRequest>,
    #[serde(default)]
    target_group: Option<TargetGroupRequest>,
    #[serde(default)]
    purposes: std::collections::BTreeSet<crate::policy::Purpose>,
    #[serde(default)]
    catalogue: std::collections::BTreeSet<crate::policy::CatalogueItem>,
    #[serde(default)]
    beyond_catalogue: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetGroupRequest {
    ground: crate::policy::TargetGround,
    reference: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HearingRequest {
    heard: String,
    at: crate::policy::Time,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InformedRequest {
    /// `resident` or a representative's name.
    who: String,
    at: crate::policy::Time,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct DocumentsRequest {
    diagnosis: Option<String>,
    earlier_efforts: Option<String>,
    action_plan: Option<String>,
    skema_3: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DpiaRequest {
    at: crate::policy::Time,
    /// `not-needed`, or the reference of the impact assessment made.
    outcome: String,
}

/// A short optional reference: trimmed, empty is none, at most `max` characters.
fn reference(value: Option<String>, what: &str, max: usize) -> Result<Option<String>, ApiError> {
    match value.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => text(v, what, max).map(|v| Some(v.to_string())),
    }
}

/// The facts of R1.1, R8.1 and R14 as the request gives them.
fn facts(
    target_group: Option<TargetGroupRequest>,
    purposes: std::collections::BTreeSet<crate::policy::Purpose>,
    catalogue: std::collections::BTreeSet<crate::policy::CatalogueItem>,
    beyond: Option<String>,
) -> Result<crate::policy::BasisFacts, ApiError> {
    use crate::policy::{BasisFacts, CatalogueGrant, TargetGroup};
    let target_group = match target_group {
        Some(t) => Some(TargetGroup {
            ground: t.ground,
            reference: text(&t.reference, "the target-group reference", 200)?.to_string(),
        }),
        None => None,
    };
    let catalogue = match reference(beyond, "the reference beyond the catalogue", 200)? {
        Some(reference) => Some(CatalogueGrant::Beyond(reference)),
        None if catalogue.is_empty() => None,
        None => Some(CatalogueGrant::Items(catalogue)),
    };
    Ok(BasisFacts {
        target_group,
        purposes,
        catalogue,
    })
}

/// A new legal basis for the resident (R1-R3, R8-R11), decided by the
/// logged-in case officer. The same checks as the command line: a basis
/// the law does not allow is refused with its rules (422), nothing stored.
pub(super) async fn record_basis(
    State(state): State<AppState>,
    authed: Authed,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<BasisRequest>,
) -> Result<Json<serde_json::Value>, ApiError> {
    use crate::policy::{
        CaseDocuments, ConsentGiven, DpiaAssessment, DpiaOutcome, Hearing, Informed, LegalBasis,
        Party,
    };
    let session = authed.require(&[Role::CaseOfficer])?;
    let basis_id = text(&request.id, "give the basis an id", 64)?;
    if basis_id.chars().any(|c| c.is_control() || c == '/') {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "a basis id has no / or control characters",
        ));
    }
    let hearing = match request.hearing {
        Some(h) => Some(Hearing {
            heard: text(&h.heard, "say who was heard", 200)?.to_string(),
            at: h.at,
        }),
        None => None,
    };
    let informed = request
        .informed
        .into_iter()
        .map(|i| {
            Ok(Informed {
                party: party(&i.who)?,
                at: i.at,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    let dpia = match request.dpia {
        Some(d) => {
            let outcome = text(
                &d.outcome,
                "the DPIA outcome: not-needed, or the assessment's reference",
                200,
            )?;
            Some(DpiaAssessment {
                at: d.at,
                outcome: if outcome == "not-needed" {
                    DpiaOutcome::NotNeeded
                } else {
                    DpiaOutcome::Made(outcome.to_string())
                },
            })
        }
        None => None,
    };
    let facts = facts(
        request.target_group,
        request.purposes,
        request.catalogue,
        request.beyond_catalogue,
    )?;
    let d = request.documents;
    let documents = CaseDocuments {
        diagnosis: reference(d.diagnosis, "the diagnosis reference", 200)?,
        earlier_efforts: reference(d.earlier_efforts, "the earlier efforts reference", 200)?,
        action_plan: reference(d.action_plan, "the action plan reference", 200)?,
        skema_3: reference(d.skema_3, "the skema 3 reference", 200)?,
    };
    let basis = LegalBasis {
        id: basis_id.to_string(),
        resident: crate::domain::ResidentId(id),
        basis_type: request.basis_type,
        kinds: request.kinds,
        reactive_alarm: request.reactive_alarm,
        supervision_max_minutes: request.supervision_max_minutes.filter(|m| *m > 0),
        start: request.start,
        end: request.end,
        decided_by: session.user.name.clone(),
        hearing,
        informed,
        consent: request.consent_at.map(|at| ConsentGiven {
            by: Party::Resident,
            at,
        }),
        documents,
        dpia,
        signals: request.signals,
        stopped: None,
        facts,
    };
    let now = state.hub.now();
    let (recorded, by) = (basis.clone(), session.user.name.clone());
    let case = state
        .hub
        .write(move |s| {
            s.record_basis(&recorded, &by, now)?;
            s.case_file(&recorded.resident)
        })
        .await?;
    Ok(Json(
        json!({ "recorded": basis, "now": crate::policy::assess(&case, now) }),
    ))
}

/// What a basis can name: the kinds of technology, the basis types and the
/// signals with their kind, for the case officer's form.
pub(super) async fn catalogue(_: Authed) -> Json<serde_json::Value> {
    use crate::policy::BasisType;
    let types = [
        BasisType::Consent,
        BasisType::Sel136e,
        BasisType::Sel128b,
        BasisType::Sel128bUnlimited,
    ];
    Json(json!({
        "kinds": crate::domain::Kind::ALL,
        "basis_types": types.iter().map(|t| json!({ "id": t, "name": t.name() })).collect::<Vec<_>>(),
        "signals": crate::policy::SIGNALS.iter().map(|(name, kind)| json!({ "name": name, "kind": kind })).collect::<Vec<_>>(),
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StopRequest {
    reason: String,
}

/// The need has ended: the basis stops now (R10.3).
pub(super) async fn stop_basis(
    State(state): State<AppState>,
    authed: Authed,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<StopRequest>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let session = authed.require(&[Role::CaseOfficer])?;
    let reason = text(&request.reason, "give the reason", 300)?;
    let now = state.hub.now();
    let stop = crate::policy::EarlyStop {
        at: now,
        by: session.user.name.clone(),
        reason: reason.to_string(),
    };
    let (stopped, by) = (id.clone(), session.user.name.clone());
    state
        .hub
        .write(move |s| s.stop_basis(&stopped, stop.clone(), &by, now))
        .await?;
    Ok(Json(json!({ "stopped": id, "at": now.to_rfc3339() })))
}
