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

/// One change, as the OpenAPI document's `oneOf` describes it: the fields
/// each change takes, and no others.
#[derive(Deserialize)]
#[serde(tag = "change", rename_all = "lowercase", deny_unknown_fields)]
pub(super) enum RepresentativeRequest {
    Add {
        name: String,
        role: RepresentativeRole,
        #[serde(default)]
        covers_personal_matters: bool,
        since: Option<Time>,
    },
    Rename {
        representative: String,
        name: String,
    },
    End {
        representative: String,
        reason: String,
        /// When the mandate ended; default now.
        at: Option<Time>,
    },
}

impl RepresentativeRequest {
    fn change(self, now: Time) -> Result<RepresentativeChange, ApiError> {
        let named = |value: &str| text(value, "give the name", 200).map(str::to_string);
        let id =
            |value: &str| text(value, "say which representative (its id)", 200).map(str::to_string);
        Ok(match self {
            RepresentativeRequest::Add {
                name,
                role,
                covers_personal_matters,
                since,
            } => RepresentativeChange::Add {
                name: named(&name)?,
                role,
                covers_personal_matters,
                since,
            },
            RepresentativeRequest::Rename {
                representative,
                name,
            } => RepresentativeChange::Rename {
                id: id(&representative)?,
                name: named(&name)?,
            },
            RepresentativeRequest::End {
                representative,
                reason,
                at,
            } => RepresentativeChange::End {
                id: id(&representative)?,
                at: at.unwrap_or(now),
                reason: text(&reason, "give the reason", 200)?.to_string(),
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
