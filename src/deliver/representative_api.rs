//! A resident's attorneys and guardians, changed by a case officer:
//! added with the day their mandate began, a name's spelling corrected, a
//! mandate ended. Each change on the chain; every other record refers to
//! them by the id this answers with (R1.4, R9.1, R10.2).

use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use super::http::{text, ApiError, ApiJson, AppState, Authed};
use crate::policy::{RepresentativeChange, RepresentativeRole, Time};
use crate::store::Role;

#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum ChangeKind {
    Add,
    Rename,
    End,
}

/// One change; which fields it needs depends on `change`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RepresentativeRequest {
    change: ChangeKind,
    /// The representative changed (rename, end).
    representative: Option<String>,
    name: Option<String>,
    role: Option<RepresentativeRole>,
    #[serde(default)]
    covers_personal_matters: bool,
    since: Option<Time>,
    /// When a mandate ended; default now.
    at: Option<Time>,
    reason: Option<String>,
}

fn needed<'a>(value: &'a Option<String>, what: &str) -> Result<&'a str, ApiError> {
    text(value.as_deref().unwrap_or_default(), what, 200)
}

impl RepresentativeRequest {
    fn change(self, now: Time) -> Result<RepresentativeChange, ApiError> {
        let id = || needed(&self.representative, "say which representative (its id)");
        Ok(match self.change {
            ChangeKind::Add => RepresentativeChange::Add {
                name: needed(&self.name, "give the name")?.to_string(),
                role: self.role.ok_or_else(|| {
                    ApiError::new(
                        axum::http::StatusCode::BAD_REQUEST,
                        "give the role: guardian or attorney",
                    )
                })?,
                covers_personal_matters: self.covers_personal_matters,
                since: self.since,
            },
            ChangeKind::Rename => RepresentativeChange::Rename {
                id: id()?.to_string(),
                name: needed(&self.name, "give the name")?.to_string(),
            },
            ChangeKind::End => RepresentativeChange::End {
                id: id()?.to_string(),
                at: self.at.unwrap_or(now),
                reason: needed(&self.reason, "give the reason")?.to_string(),
            },
        })
    }
}

/// Adds, renames or ends a representative; answers with the
/// representative as now recorded.
pub(super) async fn change_representative(
    State(state): State<AppState>,
    authed: Authed,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<RepresentativeRequest>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let session = authed.require(&[Role::CaseOfficer])?;
    let now = state.hub.now();
    let change = request.change(now)?;
    let (resident, by) = (crate::domain::ResidentId(id), session.user.name.clone());
    let representative = state
        .hub
        .write(move |s| s.change_representative(&resident, change.clone(), &by, now))
        .await?;
    Ok(Json(json!({ "representative": representative })))
}
