//! The staff app's HTTP side: `fn router(state) -> Router`. Every API
//! endpoint but `/health` and the log-in itself needs a session; each
//! checks the role. Errors are one JSON shape that never shows internals;
//! bodies are small, strict JSON (unknown fields refused).

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, SET_COOKIE};
use axum::http::{request::Parts, HeaderMap, HeaderValue, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::stream::{self, Stream};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::hub::{Hub, HubError};
use super::sessions::{Session, Sessions};
use crate::alarm::AlarmError;
use crate::store::Role;

/// The largest request body taken (a log-in or an outcome is far smaller).
pub const MAX_BODY_BYTES: usize = 16 * 1024;
const COOKIE: &str = "tryghed_session";

#[derive(Clone)]
pub struct AppState {
    pub hub: Arc<Hub>,
    pub sessions: Arc<Sessions>,
    pub live: Arc<super::live::Live>,
    /// Cookies carry `Secure` when served over TLS.
    pub tls: bool,
}

/// The one error shape clients see: `{"error": "..."}` with a fitting status.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError { status, message: message.into() }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(json!({ "error": self.message }))).into_response()
    }
}

impl From<HubError> for ApiError {
    fn from(e: HubError) -> ApiError {
        match e {
            HubError::Alarm(AlarmError::NotOpen(_)) => ApiError::new(StatusCode::NOT_FOUND, e.to_string()),
            HubError::Alarm(_) => ApiError::new(StatusCode::CONFLICT, e.to_string()),
            HubError::Store(inner) => ApiError::from(inner),
        }
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> ApiError {
        use crate::store::StoreError;
        match e {
            // A refusal names its rule: the client's to fix.
            StoreError::Refused(_) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()),
            StoreError::UnknownResident(_) | StoreError::UnknownBasis(_) | StoreError::UnknownUser(_) => ApiError::new(StatusCode::NOT_FOUND, e.to_string()),
            StoreError::ResidentExists(_) | StoreError::BasisExists(_) => ApiError::new(StatusCode::CONFLICT, e.to_string()),
            other => {
                // The detail (a file, an SQL error) is for the log, not the client.
                tracing::error!("store: {other}");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "the device could not store that; nothing was changed")
            }
        }
    }
}

/// JSON that refuses what is malformed, too large or of the wrong type
/// with a 4xx in the one error shape.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(match rejection {
                JsonRejection::MissingJsonContentType(_) => ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "send JSON (Content-Type: application/json)"),
                JsonRejection::BytesRejection(_) => ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, format!("the body is larger than {MAX_BODY_BYTES} bytes")),
                other => ApiError::new(StatusCode::BAD_REQUEST, other.body_text()),
            }),
        }
    }
}

/// A logged-in user, from the session cookie (or `Authorization: Bearer`).
pub struct Authed(pub Session);

impl FromRequestParts<AppState> for Authed {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = token(&parts.headers).ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "log in first"))?;
        state.sessions.get(&token, state.hub.now()).map(Authed).ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "the session has ended; log in again"))
    }
}

fn token(headers: &HeaderMap) -> Option<String> {
    if let Some(bearer) = headers.get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer ")) {
        return Some(bearer.trim().to_string());
    }
    headers.get_all("cookie").iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|pair| pair.trim().strip_prefix(&format!("{COOKIE}=")).map(str::to_string))
}

impl Authed {
    fn require(&self, roles: &[Role]) -> Result<&Session, ApiError> {
        if roles.contains(&self.0.user.role) {
            Ok(&self.0)
        } else {
            Err(ApiError::new(StatusCode::FORBIDDEN, format!("a {} may not do this", self.0.user.role.name())))
        }
    }
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/app.js", get(script))
        .route("/style.css", get(style))
        .route("/health", get(health))
        .route("/api/login", post(login))
        .route("/api/logout", post(logout))
        .route("/api/me", get(me))
        .route("/api/openapi.json", get(openapi))
        .route("/api/alarms", get(alarms))
        .route("/api/alarms/{id}/acknowledge", post(acknowledge))
        .route("/api/alarms/{id}/resolve", post(resolve))
        .route("/api/events", get(events))
        .route("/api/residents", get(residents))
        .route("/api/residents/{id}/case", get(case_file))
        .route("/api/residents/{id}/opposition", post(record_opposition))
        .route("/api/residents/{id}/disclosure", post(record_disclosure))
        .route("/api/residents/{id}/bases", post(record_basis))
        .route("/api/bases/{id}/stop", post(stop_basis))
        .route("/api/catalogue", get(catalogue))
        .route("/api/looks", post(start_look))
        .route("/api/looks/{id}/view", get(view_look))
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "no such page") })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

const PAGE: &str = include_str!("page/index.html");
const SCRIPT: &str = include_str!("page/app.js");
const STYLE: &str = include_str!("page/style.css");

fn asset(content_type: &'static str, body: &'static str) -> Response {
    ([(CONTENT_TYPE, content_type), (CACHE_CONTROL, "no-store")], body).into_response()
}

async fn page() -> Response {
    asset("text/html; charset=utf-8", PAGE)
}

async fn script() -> Response {
    asset("text/javascript; charset=utf-8", SCRIPT)
}

async fn style() -> Response {
    asset("text/css; charset=utf-8", STYLE)
}

async fn health() -> Json<serde_json::Value> {
    Json(json!({ "ok": true }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Login {
    name: String,
    password: String,
}

#[derive(Serialize)]
struct Me {
    name: String,
    role: Role,
    /// The rooms this user answers for; empty is every room.
    rooms: Vec<String>,
    expires_at: String,
}

fn me_of(session: &Session) -> Me {
    Me { name: session.user.name.clone(), role: session.user.role, rooms: session.user.rooms.clone(), expires_at: session.expires_at.to_rfc3339() }
}

/// Whether `session` is shown `alarm`. Staff see the alarms of the rooms
/// they answer for, and every alarm nobody took in time, once it is
/// escalated to all staff (R13.1); auditors see every alarm.
fn sees(session: &Session, alarm: &crate::alarm::Alarm) -> bool {
    session.user.role != Role::Staff || session.user.covers(&alarm.room) || alarm.escalated
}

/// The open alarm `id` when `session` is shown it; otherwise the same 404
/// as for an alarm that does not exist, so nothing is told about it.
fn open_alarm_for(state: &AppState, session: &Session, id: &str) -> Result<(), ApiError> {
    match state.hub.open_alarms().iter().find(|a| a.id == id) {
        Some(alarm) if sees(session, alarm) => Ok(()),
        _ => Err(HubError::Alarm(AlarmError::NotOpen(id.to_string())).into()),
    }
}

/// The client's address, when the server knows it (tests without a socket do not).
pub struct Peer(String);

impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Peer(parts.extensions.get::<ConnectInfo<std::net::SocketAddr>>().map_or_else(|| "unknown".to_string(), |ConnectInfo(a)| a.ip().to_string())))
    }
}

async fn login(State(state): State<AppState>, Peer(address): Peer, ApiJson(login): ApiJson<Login>) -> Result<Response, ApiError> {
    let now = state.hub.now();
    let keys = [format!("name:{}", login.name), format!("address:{address}")];
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    if !state.sessions.may_try(&keys, now) {
        return Err(ApiError::new(StatusCode::TOO_MANY_REQUESTS, "too many failed log-ins; wait five minutes"));
    }
    // Argon2 is slow on purpose: off the async threads.
    let hub = state.hub.clone();
    let (name, password) = (login.name.clone(), login.password);
    let user = tokio::task::spawn_blocking(move || hub.store().check_password(&name, &password))
        .await
        .map_err(|_| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "log-in failed"))?
        ?;
    let Some(user) = user else {
        state.sessions.failed(&keys, now);
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, "wrong name or password"));
    };
    let token = state.sessions.start(user, now).map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e))?;
    let session = state.sessions.get(&token, now).ok_or_else(|| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "log-in failed"))?;
    let secure = if state.tls { "; Secure" } else { "" };
    let cookie = format!("{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{secure}", super::sessions::SESSION_HOURS * 3600);
    let mut response = Json(json!({ "user": me_of(&session), "token": token })).into_response();
    response.headers_mut().insert(SET_COOKIE, HeaderValue::from_str(&cookie).map_err(|_| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "log-in failed"))?);
    Ok(response)
}

async fn logout(State(state): State<AppState>, headers: HeaderMap, _: Authed) -> Response {
    if let Some(token) = token(&headers) {
        state.sessions.end(&token);
    }
    let mut response = Json(json!({ "ok": true })).into_response();
    response.headers_mut().insert(SET_COOKIE, HeaderValue::from_static("tryghed_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"));
    response
}

async fn me(authed: Authed) -> Json<Me> {
    Json(me_of(&authed.0))
}

async fn alarms(State(state): State<AppState>, authed: Authed) -> Result<Json<serde_json::Value>, ApiError> {
    let session = authed.require(&[Role::Staff, Role::Auditor])?;
    // The place first: a client that follows /api/events?after=place from
    // here misses no step that comes while it reads the list.
    let place = state.hub.store().last_step_place()?;
    let alarms: Vec<_> = state.hub.open_alarms().into_iter().filter(|a| sees(session, a)).collect();
    Ok(Json(json!({ "alarms": alarms, "place": place })))
}

async fn acknowledge(State(state): State<AppState>, authed: Authed, Path(id): Path<String>) -> Result<Json<serde_json::Value>, ApiError> {
    let session = authed.require(&[Role::Staff])?;
    open_alarm_for(&state, session, &id)?;
    let step = state.hub.acknowledge(&id, &session.user.name)?;
    Ok(Json(json!({ "step": step })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Resolution {
    outcome: String,
}

async fn resolve(State(state): State<AppState>, authed: Authed, Path(id): Path<String>, ApiJson(resolution): ApiJson<Resolution>) -> Result<Json<serde_json::Value>, ApiError> {
    let session = authed.require(&[Role::Staff])?;
    open_alarm_for(&state, session, &id)?;
    let outcome = text(&resolution.outcome, "say what happened", 500)?;
    let step = state.hub.resolve(&id, &session.user.name, outcome)?;
    Ok(Json(json!({ "step": step })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EventsQuery {
    after: Option<i64>,
}

/// Alarm steps as server-sent events, `id` their place in the log: first
/// those after `after` (or `Last-Event-ID`, as a browser sends when it
/// reconnects), then each as it happens. A listener that falls behind
/// reads the missed ones back from the store, so none is lost. Steps of
/// alarms the user is not shown pass by unsent (their place still counts).
async fn events(State(state): State<AppState>, authed: Authed, headers: HeaderMap, query: Result<Query<EventsQuery>, axum::extract::rejection::QueryRejection>) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let session = authed.require(&[Role::Staff])?.clone();
    let Query(query) = query.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, e.body_text()))?;
    let last_seen = headers.get("last-event-id").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<i64>().ok());
    let after = query.after.or(last_seen).unwrap_or(i64::MAX);
    // Subscribe before reading the backlog, so nothing falls between them.
    let live = state.hub.subscribe();
    let after = if after == i64::MAX { state.hub.store().last_step_place()? } else { after };
    let queue = std::collections::VecDeque::<(i64, crate::alarm::Step)>::new();
    let stream = stream::unfold((state.hub.clone(), session, live, after, queue), |(hub, session, mut live, mut after, mut queue)| async move {
        loop {
            if let Some((place, step)) = queue.pop_front() {
                after = place;
                if !sees(&session, &step.alarm) {
                    continue;
                }
                let data = serde_json::to_string(&step).unwrap_or_default();
                let event = Event::default().id(place.to_string()).event("step").data(data);
                return Some((Ok(event), (hub, session, live, after, queue)));
            }
            // Catch up from the store first, then wait for the next step.
            let backlog = hub.store().steps_after(after, 100).unwrap_or_else(|e| {
                tracing::error!("event stream: {e}");
                Vec::new()
            });
            if !backlog.is_empty() {
                queue.extend(backlog);
                continue;
            }
            match live.recv().await {
                Ok((place, step)) if place > after => queue.push_back((place, step)),
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// Each resident with the legal status and, while the device runs, the
/// current posture as a word (the app shows an icon, never an image).
/// Staff see the residents of the rooms they answer for, no others.
async fn residents(State(state): State<AppState>, authed: Authed) -> Result<Json<serde_json::Value>, ApiError> {
    let session = authed.require(&[Role::Staff, Role::CaseOfficer, Role::Auditor])?;
    let now = state.hub.now();
    let store = state.hub.store();
    let mut out = Vec::new();
    for resident in store.residents()?.into_iter().filter(|r| session.user.role != Role::Staff || session.user.covers(&r.room)) {
        let case = store.case_file(&resident.id)?;
        let assessment = crate::policy::assess(&case, now);
        let posture = state.live.posture(&resident.id).filter(|(_, at)| now - *at < chrono::Duration::seconds(10)).map(|(p, _)| p);
        out.push(json!({ "id": resident.id, "room": resident.room, "name": resident.display_name, "posture": posture, "legal": assessment }));
    }
    Ok(Json(json!({ "residents": out })))
}

/// A free-text field, trimmed: 1 to `max` characters, or a 400 that says `what`.
fn text<'a>(value: &'a str, what: &str, max: usize) -> Result<&'a str, ApiError> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > max {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, format!("{what} (1 to {max} characters)")));
    }
    Ok(value)
}

/// A resident's whole case as the gate reads it, with what it allows now
/// (case officer, auditor).
async fn case_file(State(state): State<AppState>, authed: Authed, Path(id): Path<String>) -> Result<Json<serde_json::Value>, ApiError> {
    authed.require(&[Role::CaseOfficer, Role::Auditor])?;
    let case = state.hub.store().case_file(&crate::domain::ResidentId(id))?;
    let assessment = crate::policy::assess(&case, state.hub.now());
    Ok(Json(json!({ "case": case, "now": assessment })))
}

fn party(text: &str) -> Result<crate::policy::Party, ApiError> {
    match text.trim() {
        "" => Err(ApiError::new(StatusCode::BAD_REQUEST, "say who: `resident` or a representative's name")),
        "resident" => Ok(crate::policy::Party::Resident),
        name => Ok(crate::policy::Party::Representative(name.to_string())),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OppositionRequest {
    by: String,
}

/// The resident, guardian or attorney opposes (R1.4): a § 136 e or consent
/// basis ends with it, and running sources shut within a second.
async fn record_opposition(State(state): State<AppState>, authed: Authed, Path(id): Path<String>, ApiJson(request): ApiJson<OppositionRequest>) -> Result<Json<serde_json::Value>, ApiError> {
    let session = authed.require(&[Role::CaseOfficer])?;
    let opposition = crate::policy::Opposition { resident: crate::domain::ResidentId(id.clone()), by: party(&request.by)?, at: state.hub.now() };
    state.hub.store().record_opposition(&opposition, &session.user.name, state.hub.now())?;
    let case = state.hub.store().case_file(&opposition.resident)?;
    Ok(Json(json!({ "recorded": opposition, "now": crate::policy::assess(&case, state.hub.now()) })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DisclosureRequest {
    informed: String,
    how: String,
}

/// The AI disclosure (R8.2): who was told, how; by the logged-in case officer, now.
async fn record_disclosure(State(state): State<AppState>, authed: Authed, Path(id): Path<String>, ApiJson(request): ApiJson<DisclosureRequest>) -> Result<Json<serde_json::Value>, ApiError> {
    let session = authed.require(&[Role::CaseOfficer])?;
    let how = text(&request.how, "say how they were told", 300)?;
    let now = state.hub.now();
    let disclosure = crate::policy::AiDisclosure { resident: crate::domain::ResidentId(id), informed: party(&request.informed)?, by: session.user.name.clone(), at: now, how: how.to_string() };
    state.hub.store().record_disclosure(&disclosure, &session.user.name, now)?;
    Ok(Json(json!({ "recorded": disclosure })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BasisRequest {
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

/// A new legal basis for the resident (R1-R3, R8-R11), decided by the
/// logged-in case officer. The same checks as the command line: a basis
/// the law does not allow is refused with its rules (422), nothing stored.
async fn record_basis(State(state): State<AppState>, authed: Authed, Path(id): Path<String>, ApiJson(request): ApiJson<BasisRequest>) -> Result<Json<serde_json::Value>, ApiError> {
    use crate::policy::{CaseDocuments, ConsentGiven, DpiaAssessment, DpiaOutcome, Hearing, Informed, LegalBasis, Party};
    let session = authed.require(&[Role::CaseOfficer])?;
    let basis_id = text(&request.id, "give the basis an id", 64)?;
    if basis_id.chars().any(|c| c.is_control() || c == '/') {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "a basis id has no / or control characters"));
    }
    let hearing = match request.hearing {
        Some(h) => Some(Hearing { heard: text(&h.heard, "say who was heard", 200)?.to_string(), at: h.at }),
        None => None,
    };
    let informed = request.informed.into_iter().map(|i| Ok(Informed { party: party(&i.who)?, at: i.at })).collect::<Result<Vec<_>, ApiError>>()?;
    let dpia = match request.dpia {
        Some(d) => {
            let outcome = text(&d.outcome, "the DPIA outcome: not-needed, or the assessment's reference", 200)?;
            Some(DpiaAssessment { at: d.at, outcome: if outcome == "not-needed" { DpiaOutcome::NotNeeded } else { DpiaOutcome::Made(outcome.to_string()) } })
        }
        None => None,
    };
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
        consent: request.consent_at.map(|at| ConsentGiven { by: Party::Resident, at }),
        documents,
        dpia,
        signals: request.signals,
        stopped: None,
    };
    let now = state.hub.now();
    state.hub.store().record_basis(&basis, &session.user.name, now)?;
    let case = state.hub.store().case_file(&basis.resident)?;
    Ok(Json(json!({ "recorded": basis, "now": crate::policy::assess(&case, now) })))
}

/// What a basis can name: the kinds of technology, the basis types and the
/// signals with their kind, for the case officer's form.
async fn catalogue(_: Authed) -> Json<serde_json::Value> {
    use crate::policy::BasisType;
    let types = [BasisType::Consent, BasisType::Sel136e, BasisType::Sel128b, BasisType::Sel128bUnlimited];
    Json(json!({
        "kinds": crate::domain::Kind::ALL,
        "basis_types": types.iter().map(|t| json!({ "id": t, "name": t.name() })).collect::<Vec<_>>(),
        "signals": crate::policy::SIGNALS.iter().map(|(name, kind)| json!({ "name": name, "kind": kind })).collect::<Vec<_>>(),
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StopRequest {
    reason: String,
}

/// The need has ended: the basis stops now (R10.3).
async fn stop_basis(State(state): State<AppState>, authed: Authed, Path(id): Path<String>, ApiJson(request): ApiJson<StopRequest>) -> Result<Json<serde_json::Value>, ApiError> {
    let session = authed.require(&[Role::CaseOfficer])?;
    let reason = text(&request.reason, "give the reason", 300)?;
    let now = state.hub.now();
    let stop = crate::policy::EarlyStop { at: now, by: session.user.name.clone(), reason: reason.to_string() };
    state.hub.store().stop_basis(&id, stop, &session.user.name, now)?;
    Ok(Json(json!({ "stopped": id, "at": now.to_rfc3339() })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LookRequest {
    resident: String,
    minutes: u32,
    reason: String,
}

/// A time-bounded look (R3.2): allowed only where the resident's basis
/// allows supervision, for at most its minutes; asked for with a reason;
/// refused or granted, it is audited.
async fn start_look(State(state): State<AppState>, authed: Authed, ApiJson(request): ApiJson<LookRequest>) -> Result<Json<serde_json::Value>, ApiError> {
    let session = authed.require(&[Role::Staff])?;
    let reason = text(&request.reason, "give a reason for the look", 300)?;
    let now = state.hub.now();
    let resident = crate::domain::ResidentId(request.resident.clone());
    let by = session.user.name.clone();
    let case = state.hub.store().case_file(&resident).map_err(|_| ApiError::new(StatusCode::NOT_FOUND, format!("unknown resident {}", request.resident)))?;
    let audit = |action: &str, detail: serde_json::Value| state.hub.store().audit_action(action, &resident.0, &detail, &by, now);
    if !session.user.covers(&case.resident.room) {
        audit("look.refused", json!({ "reason": reason, "minutes": request.minutes, "why": "not one of the rooms this user answers for" }))?;
        return Err(ApiError::new(StatusCode::FORBIDDEN, "a look is for the staff of the resident's room"));
    }
    match crate::policy::permit_supervision(&case, crate::domain::Kind::Video, request.minutes, now) {
        Err(denial) => {
            audit("look.refused", json!({ "reason": reason, "minutes": request.minutes, "rule": denial.rule, "why": denial.reason }))?;
            Err(ApiError::new(StatusCode::FORBIDDEN, denial.to_string()))
        }
        Ok(permit) => {
            let until = permit.get().until;
            let mut bytes = [0u8; 12];
            getrandom::fill(&mut bytes).map_err(|_| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "no randomness for a look"))?;
            let id = hex::encode(bytes);
            audit("look.start", json!({ "look": id, "reason": reason, "minutes": request.minutes, "until": until.to_rfc3339(), "basis": permit.basis_id() }))?;
            state.live.start_look(super::live::Look { id: id.clone(), resident: resident.clone(), by: by.clone(), reason: reason.to_string(), until });
            // The look closes by itself at its end, and that is audited too.
            let (live, hub) = (state.live.clone(), state.hub.clone());
            let look_id = id.clone();
            let wait = (until - now).to_std().unwrap_or_default();
            tokio::spawn(async move {
                tokio::time::sleep(wait).await;
                if let Some(look) = live.end_look(&look_id) {
                    let _ = hub.store().audit_action("look.end", &look.resident.0, &json!({ "look": look.id }), "device", hub.now());
                }
            });
            Ok(Json(json!({ "look": id, "until": until.to_rfc3339() })))
        }
    }
}

/// The live silhouette of a look, as server-sent events, until the look
/// ends; then an `end` event and the stream closes.
async fn view_look(State(state): State<AppState>, authed: Authed, Path(id): Path<String>) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let session = authed.require(&[Role::Staff])?;
    let now = state.hub.now();
    let look = state.live.look(&id, now).ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "no such look, or it has ended"))?;
    if look.by != session.user.name {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "a look is for the one who asked for it"));
    }
    let silhouettes = state.live.silhouettes(&look.resident);
    let ends = tokio::time::Instant::now() + (look.until - now).to_std().unwrap_or_default();
    let stream = stream::unfold((silhouettes, false), move |(mut silhouettes, ended)| async move {
        if ended {
            return None;
        }
        tokio::select! {
            changed = silhouettes.changed() => {
                if changed.is_err() {
                    return Some((Ok(Event::default().event("end").data("{}")), (silhouettes, true)));
                }
                let view = silhouettes.borrow_and_update().clone();
                let data = serde_json::to_string(&view).unwrap_or_default();
                Some((Ok(Event::default().event("silhouette").data(data)), (silhouettes, false)))
            }
            _ = tokio::time::sleep_until(ends) => Some((Ok(Event::default().event("end").data("{}")), (silhouettes, true))),
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

async fn openapi(_: Authed) -> Json<serde_json::Value> {
    Json(openapi_document())
}

/// The API, described for clients and for schema-driven testing.
pub fn openapi_document() -> serde_json::Value {
    let error = json!({ "description": "error", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } });
    let secured = |summary: &str, ok: &str| json!({ "summary": summary, "security": [{ "session": [] }, { "bearer": [] }], "responses": { "200": { "description": ok }, "401": error, "403": error } });
    let mut resolve = secured("Resolve an acknowledged alarm with its outcome (staff)", "the step taken");
    resolve["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": { "type": "object", "additionalProperties": false, "required": ["outcome"], "properties": { "outcome": { "type": "string", "minLength": 1, "maxLength": 500 } } } } } });
    let id = json!([{ "name": "id", "in": "path", "required": true, "schema": { "type": "string" } }]);
    let mut look = secured("Ask for a time-bounded look at a resident's silhouette, with a reason (staff; the basis must allow it, R3.2)", "the look's id and end");
    look["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": { "type": "object", "additionalProperties": false, "required": ["resident", "minutes", "reason"], "properties": { "resident": { "type": "string" }, "minutes": { "type": "integer", "minimum": 1 }, "reason": { "type": "string", "minLength": 1, "maxLength": 300 } } } } } });
    let with_id = |mut op: serde_json::Value| {
        op["parameters"] = json!([{ "name": "id", "in": "path", "required": true, "schema": { "type": "string" } }]);
        op
    };
    let with_body = |mut op: serde_json::Value, properties: serde_json::Value, required: &[&str]| {
        op["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": { "type": "object", "additionalProperties": false, "required": required, "properties": properties } } } });
        op
    };
    let mut view = secured("The look's live silhouette as server-sent events until it ends (the staff member who asked)", "text/event-stream");
    view["parameters"] = id.clone();
    let mut ack = secured("Acknowledge an alarm: someone is on the way (staff)", "the step taken");
    ack["parameters"] = id.clone();
    resolve["parameters"] = id;
    json!({
        "openapi": "3.0.3",
        "info": { "title": "tryghed staff app", "version": env!("CARGO_PKG_VERSION") },
        "paths": {
            "/health": { "get": { "summary": "The device answers", "responses": { "200": { "description": "ok" } } } },
            "/api/login": { "post": {
                "summary": "Log in; sets the session cookie and returns a bearer token",
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "additionalProperties": false, "required": ["name", "password"], "properties": { "name": { "type": "string" }, "password": { "type": "string" } } } } } },
                "responses": { "200": { "description": "logged in" }, "400": error, "401": error, "429": error }
            } },
            "/api/logout": { "post": secured("End the session", "logged out") },
            "/api/me": { "get": secured("Who is logged in", "the user") },
            "/api/openapi.json": { "get": secured("This document", "the document") },
            "/api/alarms": { "get": secured("Open alarms: for staff those of the rooms they answer for and every escalated one; for auditors all", "the alarms") },
            "/api/alarms/{id}/acknowledge": { "post": ack },
            "/api/alarms/{id}/resolve": { "post": resolve },
            "/api/events": { "get": secured("Alarm steps as server-sent events (staff: their rooms' alarms and every escalated one); `after` or Last-Event-ID resumes", "text/event-stream") },
            "/api/residents/{id}/bases": { "post": with_body(with_id(secured("Record a legal basis for the resident, decided by the logged-in case officer; refused with its rules (422) when the law does not allow it", "the basis and what the case allows now")), json!({
                "id": { "type": "string", "minLength": 1, "maxLength": 64 },
                "basis_type": { "type": "string", "enum": ["consent", "sel136e", "sel128b", "sel128b-unlimited"] },
                "kinds": { "type": "array", "items": { "type": "string", "enum": ["movement", "sound", "video", "location"] } },
                "signals": { "type": "array", "items": { "type": "string" } },
                "reactive_alarm": { "type": "boolean" },
                "supervision_max_minutes": { "type": "integer", "minimum": 0, "nullable": true },
                "start": { "type": "string", "format": "date-time" },
                "end": { "type": "string", "format": "date-time", "nullable": true },
                "consent_at": { "type": "string", "format": "date-time", "nullable": true },
                "hearing": { "type": "object", "nullable": true, "additionalProperties": false, "required": ["heard", "at"], "properties": { "heard": { "type": "string" }, "at": { "type": "string", "format": "date-time" } } },
                "informed": { "type": "array", "items": { "type": "object", "additionalProperties": false, "required": ["who", "at"], "properties": { "who": { "type": "string" }, "at": { "type": "string", "format": "date-time" } } } },
                "documents": { "type": "object", "additionalProperties": false, "properties": { "diagnosis": { "type": "string", "nullable": true }, "earlier_efforts": { "type": "string", "nullable": true }, "action_plan": { "type": "string", "nullable": true }, "skema_3": { "type": "string", "nullable": true } } },
                "dpia": { "type": "object", "nullable": true, "additionalProperties": false, "required": ["at", "outcome"], "properties": { "at": { "type": "string", "format": "date-time" }, "outcome": { "type": "string" } } }
            }), &["id", "basis_type", "kinds", "signals", "reactive_alarm", "start"]) },
            "/api/catalogue": { "get": secured("What a basis can name: kinds, basis types, signals with their kind", "the catalogue") },
            "/api/residents": { "get": secured("Residents with their legal status and current posture (staff: of their rooms; case officer, auditor: all)", "the residents") },
            "/api/looks": { "post": look },
            "/api/residents/{id}/case": { "get": with_id(secured("A resident's case file and what it allows now (case officer, auditor)", "the case")) },
            "/api/residents/{id}/opposition": { "post": with_body(with_id(secured("Record an opposition (R1.4) (case officer)", "recorded")), json!({ "by": { "type": "string", "description": "`resident` or a representative's name" } }), &["by"]) },
            "/api/residents/{id}/disclosure": { "post": with_body(with_id(secured("Record the AI disclosure (R8.2) (case officer)", "recorded")), json!({ "informed": { "type": "string" }, "how": { "type": "string", "maxLength": 300 } }), &["informed", "how"]) },
            "/api/bases/{id}/stop": { "post": with_body(with_id(secured("Stop a legal basis now (R10.3) (case officer)", "stopped")), json!({ "reason": { "type": "string", "maxLength": 300 } }), &["reason"]) },
            "/api/looks/{id}/view": { "get": view },
        },
        "components": {
            "schemas": { "Error": { "type": "object", "required": ["error"], "properties": { "error": { "type": "string" } } } },
            "securitySchemes": {
                "session": { "type": "apiKey", "in": "cookie", "name": COOKIE },
                "bearer": { "type": "http", "scheme": "bearer" }
            }
        }
    })
}
