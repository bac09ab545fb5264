//! Time-bounded looks from the staff app (R3.2): asked for with a reason,
//! allowed by the gate for at most the basis' minutes, watched while they
//! last (an opposition, an early stop or an expiry ends one at once), and
//! every step on record: the start or refusal, each opening of the
//! silhouette stream, and the end, by time, by its owner, by the gate, or
//! after a restart (`Store::end_looks_left_open`).

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::Json;
use futures_util::stream::{self, Stream, StreamExt};
use serde::Deserialize;
use serde_json::json;

use super::http::{audit_by, text, ApiError, ApiJson, AppState, Authed};
use super::live::{Live, Look};
use super::Hub;
use crate::domain::{Kind, ResidentId};
use crate::policy::look_may_go_on;
use crate::store::Role;

/// How often a running look asks the gate whether it may go on.
const LOOK_CHECK: Duration = Duration::from_secs(1);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LookRequest {
    resident: String,
    minutes: u32,
    reason: String,
}

/// A time-bounded look (R3.2): allowed only where the resident's basis
/// allows supervision, for at most its minutes; asked for with a reason;
/// refused or granted, it is audited.
pub(super) async fn start_look(
    State(state): State<AppState>,
    authed: Authed,
    ApiJson(request): ApiJson<LookRequest>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let session = authed.require(&[Role::Staff])?;
    let reason = text(&request.reason, "give a reason for the look", 300)?;
    let now = state.hub.now();
    let resident = ResidentId(request.resident.clone());
    let by = session.user.name.clone();
    let asked = resident.clone();
    let case = state
        .hub
        .read(move |s| s.case_file(&asked))
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                format!("unknown resident {}", request.resident),
            )
        })?;
    let audit = |action: &'static str, detail: serde_json::Value| {
        let (subject, by) = (resident.0.clone(), by.clone());
        state
            .hub
            .write(move |s| s.audit_action(action, &subject, &detail, &by, now))
    };
    if !session.user.covers(&case.resident.room) {
        audit(
            "look.refused",
            json!({ "reason": reason, "minutes": request.minutes, "why": "not one of the rooms this user answers for" }),
        )
        .await?;
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "a look is for the staff of the resident's room",
        ));
    }
    match crate::policy::permit_supervision(&case, Kind::Video, request.minutes, now) {
        Err(denial) => {
            audit(
                "look.refused",
                json!({ "reason": reason, "minutes": request.minutes, "rule": denial.rule, "why": denial.reason }),
            )
            .await?;
            Err(ApiError::new(StatusCode::FORBIDDEN, denial.to_string()))
        }
        Ok(permit) => {
            let until = permit.get().until;
            let mut bytes = [0u8; 12];
            getrandom::fill(&mut bytes).map_err(|_| {
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "no randomness for a look",
                )
            })?;
            let id = hex::encode(bytes);
            audit(
                "look.start",
                json!({ "look": id, "reason": reason, "minutes": request.minutes, "until": until.to_rfc3339(), "basis": permit.basis_id() }),
            )
            .await?;
            state.live.start_look(Look {
                id: id.clone(),
                resident: resident.clone(),
                by: by.clone(),
                reason: reason.to_string(),
                until,
            });
            // The look ends by itself at its end or when the law changes.
            tokio::spawn(watch_look(
                state.live.clone(),
                state.hub.clone(),
                id.clone(),
            ));
            Ok(Json(json!({ "look": id, "until": until.to_rfc3339() })))
        }
    }
}

/// The look `id` while it lasts, for the one who asked for it alone.
fn own_look(live: &Live, id: &str, user: &str, now: crate::policy::Time) -> Result<Look, ApiError> {
    let look = live
        .look(id, now)
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "no such look, or it has ended"))?;
    if look.by != user {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "a look is for the one who asked for it",
        ));
    }
    Ok(look)
}

/// Ends the user's own look before its time: the posture and the
/// silhouette stop at once, and the end is on record.
pub(super) async fn end_look(
    State(state): State<AppState>,
    authed: Authed,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let session = authed.require(&[Role::Staff])?;
    let now = state.hub.now();
    own_look(&state.live, &id, &session.user.name, now)?;
    if let Some(look) = state.live.end_look(&id) {
        let detail = json!({ "look": look.id, "early": true });
        audit_by(
            &state,
            &session.user.name,
            "look.end",
            &look.resident.0,
            detail,
        )
        .await?;
    }
    Ok(Json(json!({ "ended": true })))
}

/// The live silhouette of a look, as server-sent events, until the look
/// ends (by its time or by its owner); then an `end` event and the stream
/// closes.
pub(super) async fn view_look(
    State(state): State<AppState>,
    authed: Authed,
    Path(id): Path<String>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let session = authed.require(&[Role::Staff])?;
    let now = state.hub.now();
    let look = own_look(&state.live, &id, &session.user.name, now)?;
    let detail = json!({ "look": look.id });
    audit_by(
        &state,
        &session.user.name,
        "look.view",
        &look.resident.0,
        detail,
    )
    .await?;
    let silhouettes = state.live.silhouettes(&look.resident);
    let ends = tokio::time::Instant::now() + (look.until - now).to_std().unwrap_or_default();
    // Whether the look still lasts: it may be ended early by its owner.
    let (live, hub) = (state.live.clone(), state.hub.clone());
    let lasts = Arc::new(move || live.look(&id, hub.now()).is_some());
    let end = || Event::default().event("end").data("{}");
    let stream = stream::unfold(
        (silhouettes, false),
        move |(mut silhouettes, ended)| {
            let lasts = lasts.clone();
            async move {
                if ended {
                    return None;
                }
                tokio::select! {
                    changed = silhouettes.changed() => {
                        if changed.is_err() || !lasts() {
                            return Some((Ok(end()), (silhouettes, true)));
                        }
                        let view = silhouettes.borrow_and_update().clone();
                        let data = serde_json::to_string(&view).unwrap_or_default();
                        Some((Ok(Event::default().event("silhouette").data(data)), (silhouettes, false)))
                    }
                    _ = tokio::time::sleep_until(ends) => Some((Ok(end()), (silhouettes, true))),
                }
            }
        },
    )
    .take_until(authed.ended(state.hub.clone()));
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// Watches a look until it ends: at its time, by its owner (nothing more
/// to do), or when the gate no longer allows it; the end is audited.
async fn watch_look(live: Arc<Live>, hub: Arc<Hub>, id: String) {
    let mut every = tokio::time::interval(LOOK_CHECK);
    loop {
        every.tick().await;
        let now = hub.now();
        let Some(look) = live.look(&id, now) else {
            // Ended by its owner (on record already), or its time is up.
            if let Some(look) = live.end_look(&id) {
                end_on_record(&hub, look, json!({ "look": id })).await;
            }
            return;
        };
        let resident = look.resident.clone();
        let why = match hub.read(move |s| s.case_file(&resident)).await {
            Ok(case) => look_may_go_on(&case, Kind::Video, now)
                .err()
                .map(|d| d.to_string()),
            Err(e) => Some(format!("the records cannot be read: {e}")),
        };
        if let Some(why) = why {
            if let Some(look) = live.end_look(&id) {
                end_on_record(&hub, look, json!({ "look": id, "why": why })).await;
            }
            return;
        }
    }
}

async fn end_on_record(hub: &Arc<Hub>, look: Look, detail: serde_json::Value) {
    let now = hub.now();
    let ended =
        hub.write(move |s| s.audit_action("look.end", &look.resident.0, &detail, "device", now));
    if let Err(e) = ended.await {
        tracing::error!("a look's end is not on record: {e}");
    }
}
