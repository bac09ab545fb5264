//! The staff app's HTTP side: `fn router(state) -> Router`. Every API
//! endpoint but `/health` and the log-in itself needs a session; each
//! checks the role. Errors are one JSON shape that never shows internals;
//! bodies are small, strict JSON (unknown fields refused).

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::rejection::JsonRejection;
use axum::extract::{
    ConnectInfo, DefaultBodyLimit, FromRequest, FromRequestParts, Path, Query, Request, State,
};
use axum::http::header::{CONTENT_TYPE, SET_COOKIE};
use axum::http::{request::Parts, HeaderMap, HeaderValue, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, MethodRouter};
use axum::{Json, Router};
use futures_util::stream::{self, Stream, StreamExt};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::case_api::{
    case_file, catalogue, record_basis, record_disclosure, record_opposition, stop_basis,
};
use super::hub::{Announced, Hub, HubError};
use super::look_api::{end_look, start_look, view_look};
use super::sessions::LogInLimit;
use super::sight::{device_faults, shown_alarm, sight};
use crate::alarm::AlarmError;
use crate::store::{Role, Session};

/// The largest request body taken (a log-in or an outcome is far smaller).
pub const MAX_BODY_BYTES: usize = 16 * 1024;
pub(super) const COOKIE: &str = "tryghed_session";

#[derive(Clone)]
pub struct AppState {
    pub hub: Arc<Hub>,
    pub login_limit: Arc<LogInLimit>,
    pub live: Arc<super::live::Live>,
    /// Which polled reads of residents' data are on record already.
    pub reads: Arc<super::reads::ReadAudit>,
    /// Cookies carry `Secure` when served over TLS.
    pub tls: bool,
    /// The device's own certificate, when it serves TLS, for the installer.
    pub certificate: Option<Arc<super::tls::Certificate>>,
}

/// The one error shape clients see: `{"error": "..."}` with a fitting status.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
    /// Each rule refusing a record, in English and Danish, so each page
    /// shows them in its own language.
    refusals: Vec<serde_json::Value>,
}

impl ApiError {
    pub(super) fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
            refusals: Vec::new(),
        }
    }

    fn refused(refusals: &[crate::policy::Refusal], message: String) -> ApiError {
        let refusals = refusals
            .iter()
            .map(|r| json!({ "rule": r.rule, "en": r.message, "da": r.danish }))
            .collect();
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            message,
            refusals,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = match self.refusals.is_empty() {
            true => json!({ "error": self.message }),
            false => json!({ "error": self.message, "refusals": self.refusals }),
        };
        (self.status, Json(body)).into_response()
    }
}

impl From<HubError> for ApiError {
    fn from(e: HubError) -> ApiError {
        match e {
            HubError::Alarm(AlarmError::NotOpen(_)) => {
                ApiError::new(StatusCode::NOT_FOUND, e.to_string())
            }
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
            StoreError::Refused(ref refusals) => ApiError::refused(refusals, e.to_string()),
            StoreError::UnknownResident(_)
            | StoreError::UnknownBasis(_)
            | StoreError::UnknownUser(_) => ApiError::new(StatusCode::NOT_FOUND, e.to_string()),
            StoreError::ResidentExists(_) | StoreError::BasisExists(_) => {
                ApiError::new(StatusCode::CONFLICT, e.to_string())
            }
            // Loud, and for the user too: the records need restoring.
            StoreError::Tampered(_) => {
                tracing::error!("store: {e}");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
            }
            other => {
                // The detail (a file, an SQL error) is for the log, not the client.
                tracing::error!("store: {other}");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the device could not store that; nothing was changed",
                )
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
                JsonRejection::MissingJsonContentType(_) => ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "send JSON (Content-Type: application/json)",
                ),
                JsonRejection::BytesRejection(_) => ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("the body is larger than {MAX_BODY_BYTES} bytes"),
                ),
                other => ApiError::new(StatusCode::BAD_REQUEST, other.body_text()),
            }),
        }
    }
}

/// A logged-in user, from the session cookie (or `Authorization: Bearer`).
pub struct Authed {
    pub session: Session,
    token: String,
}

impl FromRequestParts<AppState> for Authed {
    type Rejection = ApiError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = token(&parts.headers)
            .ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "log in first"))?;
        let now = state.hub.now();
        let asked = token.clone();
        let session = state.hub.read(move |s| s.session(&asked, now)).await?;
        session
            .map(|session| Authed { session, token })
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "the session has ended; log in again",
                )
            })
    }
}

/// How often a stream checks that its session still runs.
const STREAM_SESSION_CHECK: Duration = Duration::from_secs(5);

impl Authed {
    /// Resolves once this session has ended (log-out, expiry, a disabled
    /// user or a new password), so that streams close with it and the
    /// phone learns it receives nothing.
    pub(super) fn ended(
        &self,
        hub: Arc<Hub>,
    ) -> impl std::future::Future<Output = ()> + Send + 'static {
        let token = self.token.clone();
        async move {
            loop {
                tokio::time::sleep(STREAM_SESSION_CHECK).await;
                let (asked, now) = (token.clone(), hub.now());
                let running = hub.read(move |s| s.session(&asked, now)).await;
                // A store that cannot be read leaves the stream open: it
                // still carries alarms, and the fault is raised elsewhere.
                if matches!(running, Ok(None)) {
                    return;
                }
            }
        }
    }
}

/// The session token a request carries: the `Authorization: Bearer`
/// header or the session cookie. Two different ones are none: a request
/// that presents an invalid credential is refused even beside a valid one.
fn token(headers: &HeaderMap) -> Option<String> {
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|v| v.trim().to_string());
    let cookie = headers
        .get_all("cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            pair.trim()
                .strip_prefix(&format!("{COOKIE}="))
                .map(str::to_string)
        });
    match (bearer, cookie) {
        (Some(bearer), Some(cookie)) if bearer != cookie => None,
        (bearer, cookie) => bearer.or(cookie),
    }
}

impl Authed {
    pub(super) fn require(&self, roles: &[Role]) -> Result<&Session, ApiError> {
        if roles.contains(&self.session.user.role) {
            Ok(&self.session)
        } else {
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                format!("a {} may not do this", self.session.user.role.name()),
            ))
        }
    }
}

/// Every route of the staff app, with its method: the router is made from
/// this list, and the API's fuzz test checks every entry against the
/// OpenAPI document, so no route goes undocumented or unfuzzed.
pub fn routes() -> Vec<(&'static str, &'static str, MethodRouter<AppState>)> {
    vec![
        ("/", "get", get(page)),
        ("/app.js", "get", get(script)),
        ("/style.css", "get", get(style)),
        ("/health", "get", get(health)),
        ("/api/login", "post", post(login)),
        ("/api/logout", "post", post(logout)),
        ("/api/me", "get", get(me)),
        ("/api/openapi.json", "get", get(openapi)),
        ("/api/alarms", "get", get(alarms)),
        ("/api/alarms/{id}/acknowledge", "post", post(acknowledge)),
        ("/api/alarms/{id}/resolve", "post", post(resolve)),
        ("/api/events", "get", get(events)),
        ("/api/residents", "get", get(residents)),
        ("/api/residents/{id}/case", "get", get(case_file)),
        (
            "/api/residents/{id}/opposition",
            "post",
            post(record_opposition),
        ),
        (
            "/api/residents/{id}/disclosure",
            "post",
            post(record_disclosure),
        ),
        ("/api/residents/{id}/bases", "post", post(record_basis)),
        (
            "/api/residents/{id}/representatives",
            "post",
            post(super::representative_api::change_representative),
        ),
        ("/api/bases/{id}/stop", "post", post(stop_basis)),
        ("/api/catalogue", "get", get(catalogue)),
        ("/api/camera", "get", get(camera)),
        ("/api/certificate", "get", get(certificate)),
        ("/api/looks", "post", post(start_look)),
        ("/api/looks/{id}/view", "get", get(view_look)),
        ("/api/looks/{id}/end", "post", post(end_look)),
    ]
}

pub fn router(state: AppState) -> Router {
    routes()
        .into_iter()
        .fold(Router::new(), |router, (path, _, handler)| {
            router.route(path, handler)
        })
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "no such page") })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(
            state.tls,
            super::headers::add,
        ))
        .with_state(state)
}

const PAGE: &str = include_str!("page/index.html");
const SCRIPT: &str = include_str!("page/app.js");
const STYLE: &str = include_str!("page/style.css");

/// Served with `no-store` like every answer (`headers`).
fn asset(content_type: &'static str, body: &'static str) -> Response {
    ([(CONTENT_TYPE, content_type)], body).into_response()
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
    Me {
        name: session.user.name.clone(),
        role: session.user.role,
        rooms: session.user.rooms.clone(),
        expires_at: session.expires_at.to_rfc3339(),
    }
}

/// Whether `session` is shown `alarm` (see [`shown_alarm`]).
fn sees(session: &Session, alarm: &crate::alarm::Alarm) -> bool {
    shown_alarm(&session.user, alarm)
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
        Ok(Peer(
            parts
                .extensions
                .get::<ConnectInfo<std::net::SocketAddr>>()
                .map_or_else(
                    || "unknown".to_string(),
                    |ConnectInfo(a)| a.ip().to_string(),
                ),
        ))
    }
}

async fn login(
    State(state): State<AppState>,
    Peer(address): Peer,
    ApiJson(login): ApiJson<Login>,
) -> Result<Response, ApiError> {
    let now = state.hub.now();
    if !state.login_limit.begin_attempt(&address, now) {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too many failed log-ins; wait five minutes",
        ));
    }
    // Argon2 is slow on purpose: off the async threads, and outside the
    // store's lock so that alarms never wait for a log-in.
    let name = login.name;
    let credentials = state.hub.read(move |s| s.credentials(&name)).await?;
    let known = credentials.known_name();
    let password = login.password;
    let user = state
        .hub
        .blocking(move |_| credentials.check(&password))
        .await;
    let Some(user) = user else {
        let who = known.unwrap_or_else(|| "unknown".into());
        let detail = json!({ "address": address, "why": "wrong name or password" });
        audit_later(&state, &who, "session.refused", &who, detail);
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "wrong name or password",
        ));
    };
    state.login_limit.attempt_succeeded(&address, now);
    let token = super::sessions::new_token()
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e))?;
    let expires_at = now + chrono::Duration::hours(super::sessions::SESSION_HOURS);
    let (started, name) = (token.clone(), user.name.clone());
    state
        .hub
        .write(move |s| s.start_session(&started, &name, expires_at, now))
        .await?;
    let session = Session { user, expires_at };
    let secure = if state.tls { "; Secure" } else { "" };
    let cookie = format!(
        "{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{secure}",
        super::sessions::SESSION_HOURS * 3600
    );
    let mut response = Json(json!({ "user": me_of(&session), "token": token })).into_response();
    response.headers_mut().insert(
        SET_COOKIE,
        HeaderValue::from_str(&cookie)
            .map_err(|_| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "log-in failed"))?,
    );
    Ok(response)
}

async fn logout(State(state): State<AppState>, authed: Authed) -> Result<Response, ApiError> {
    let (token, now) = (authed.token, state.hub.now());
    state.hub.write(move |s| s.end_session(&token, now)).await?;
    let mut response = Json(json!({ "ok": true })).into_response();
    response.headers_mut().insert(
        SET_COOKIE,
        HeaderValue::from_static("tryghed_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"),
    );
    Ok(response)
}

async fn me(authed: Authed) -> Json<Me> {
    Json(me_of(&authed.session))
}

async fn alarms(
    State(state): State<AppState>,
    authed: Authed,
) -> Result<Json<serde_json::Value>, ApiError> {
    let session = authed.require(&[Role::Staff, Role::Auditor])?;
    // The place first: a client that follows /api/events?after=place from
    // here misses no step that comes while it reads the list.
    let place = state.hub.read(|s| s.last_step_place()).await?;
    let alarms: Vec<_> = state
        .hub
        .open_alarms()
        .into_iter()
        .filter(|a| sees(session, a))
        .collect();
    Ok(Json(json!({ "alarms": alarms, "place": place })))
}

async fn acknowledge(
    State(state): State<AppState>,
    authed: Authed,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let session = authed.require(&[Role::Staff])?;
    open_alarm_for(&state, session, &id)?;
    let by = session.user.name.clone();
    let step = state
        .hub
        .blocking(move |hub| hub.acknowledge(&id, &by))
        .await?;
    Ok(Json(json!({ "step": step })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Resolution {
    outcome: String,
}

async fn resolve(
    State(state): State<AppState>,
    authed: Authed,
    Path(id): Path<String>,
    ApiJson(resolution): ApiJson<Resolution>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let session = authed.require(&[Role::Staff])?;
    open_alarm_for(&state, session, &id)?;
    let outcome = text(&resolution.outcome, "say what happened", 500)?;
    let (by, outcome) = (session.user.name.clone(), outcome.to_string());
    let step = state
        .hub
        .blocking(move |hub| hub.resolve(&id, &by, &outcome))
        .await?;
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
async fn events(
    State(state): State<AppState>,
    authed: Authed,
    headers: HeaderMap,
    query: Result<Query<EventsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let session = authed.require(&[Role::Staff])?.clone();
    let Query(query) = query.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, e.body_text()))?;
    let last_seen = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i64>().ok());
    let after = query.after.or(last_seen).unwrap_or(i64::MAX);
    // Subscribe before reading the backlog, so nothing falls between them.
    let live = state.hub.subscribe();
    // Where the store stands; unknown while it cannot be read, and then
    // every step from now on is sent, waiting or stored.
    let after = if after == i64::MAX {
        state.hub.read(|s| s.last_step_place()).await.ok()
    } else {
        Some(after)
    };
    let queue = std::collections::VecDeque::<Announced>::new();
    let stream = stream::unfold(
        (state.hub.clone(), session, live, after, queue),
        |(hub, session, mut live, mut after, mut queue)| async move {
            loop {
                if let Some((place, step)) = queue.pop_front() {
                    after = place.or(after);
                    if !sees(&session, &step.alarm) {
                        continue;
                    }
                    let data = serde_json::to_string(&step).unwrap_or_default();
                    let mut event = Event::default().event("step").data(data);
                    // A step still waiting for the store has no place yet.
                    if let Some(place) = place {
                        event = event.id(place.to_string());
                    }
                    return Some((Ok(event), (hub, session, live, after, queue)));
                }
                // Catch up from the store first, then wait for the next step.
                let backlog = match after {
                    Some(after) => hub
                        .read(move |s| s.steps_after(after, 100))
                        .await
                        .unwrap_or_else(|e| {
                            tracing::error!("event stream: {e}");
                            Vec::new()
                        }),
                    None => Vec::new(),
                };
                if !backlog.is_empty() {
                    queue.extend(backlog.into_iter().map(|(place, step)| (Some(place), step)));
                    continue;
                }
                match live.recv().await {
                    Ok((Some(place), step)) if after.is_none_or(|a| place > a) => {
                        queue.push_back((Some(place), step))
                    }
                    Ok((None, step)) => queue.push_back((None, step)),
                    Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
                }
            }
        },
    )
    .take_until(authed.ended(state.hub.clone()));
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// Each resident with the legal status and the device's state; her current
/// posture as a word (the app shows an icon, never an image) only inside an
/// alarm or a look of this user's (R3.2, [`sight`]). Staff see the
/// residents of the rooms they answer for, no others.
async fn residents(
    State(state): State<AppState>,
    authed: Authed,
) -> Result<Json<serde_json::Value>, ApiError> {
    let session = authed.require(&[Role::Staff, Role::CaseOfficer, Role::Auditor])?;
    let now = state.hub.now();
    let user = session.user.clone();
    let cases = state
        .hub
        .read(move |store| {
            store
                .residents()?
                .into_iter()
                .filter(|r| user.role != Role::Staff || user.covers(&r.room))
                .map(|r| case_or_tampered(store, &r).map(|case| (r, case)))
                .collect::<Result<Vec<_>, _>>()
        })
        .await?;
    let (alarms, looks) = (state.hub.open_alarms(), state.live.looks(now));
    let mut out = Vec::new();
    for (resident, case) in cases {
        let assessment = match case {
            Ok(case) => json!(crate::policy::assess(&case, now)),
            Err(tampered) => json!({ "kinds": [], "tampered": tampered.to_string() }),
        };
        let seen = sight(&session.user, &resident.id, &alarms, &looks, now).and_then(|why| {
            state
                .live
                .posture(&resident.id)
                .filter(|(_, at)| now - *at < chrono::Duration::seconds(10))
                .map(|(posture, _)| (posture, why))
        });
        let (posture, seen) = (seen.map(|s| s.0), seen.map(|s| s.1));
        let device = json!({ "faults": device_faults(&resident.room, &alarms) });
        out.push(json!({ "id": resident.id, "room": resident.room, "name": resident.display_name, "posture": posture, "seen_in": seen, "device": device, "legal": assessment }));
    }
    let steady_s = state.hub.read_clock().steady_s;
    if state.reads.due(&session.user.name, "residents", steady_s) {
        let ids: Vec<&serde_json::Value> = out.iter().map(|r| &r["id"]).collect();
        let detail = json!({ "residents": ids, "polled": "on record once an hour per user" });
        let user = &session.user.name;
        audit_later(&state, user, "residents.read", "residents", detail);
    }
    Ok(Json(json!({ "residents": out })))
}

/// A resident's case file, or the record of it that does not match the
/// chain: one edited record marks its own card (loudly, by name) and
/// leaves every other resident's card readable.
fn case_or_tampered(
    store: &crate::store::Store,
    resident: &crate::policy::Resident,
) -> Result<Result<crate::policy::CaseFile, crate::store::Tampered>, crate::store::StoreError> {
    match store.case_file(&resident.id) {
        Ok(case) => Ok(Ok(case)),
        Err(crate::store::StoreError::Tampered(tampered)) => {
            tracing::error!("store: {tampered}");
            Ok(Err(tampered))
        }
        Err(other) => Err(other),
    }
}

/// `audit_by` without waiting for it: a read or a refusal answers at once
/// while another process holds the store's lock, and its row follows. A
/// failing store is an alarm of its own.
fn audit_later(
    state: &AppState,
    actor: &str,
    action: &'static str,
    subject: &str,
    detail: serde_json::Value,
) {
    let (state, actor, subject) = (state.clone(), actor.to_string(), subject.to_string());
    tokio::spawn(async move {
        if let Err(e) = audit_by(&state, &actor, action, &subject, detail).await {
            tracing::warn!("{action} by {actor} is not on record: {}", e.message);
        }
    });
}

/// Puts an action (a read of residents' data, a refused log-in) on the
/// audit chain under `actor`.
pub(super) async fn audit_by(
    state: &AppState,
    actor: &str,
    action: &'static str,
    subject: &str,
    detail: serde_json::Value,
) -> Result<(), ApiError> {
    let (now, actor, subject) = (state.hub.now(), actor.to_string(), subject.to_string());
    state
        .hub
        .write(move |s| s.audit_action(action, &subject, &detail, &actor, now))
        .await?;
    Ok(())
}

/// The device's certificate, for the installer to check a phone's trust
/// against (`null` when the staff app serves plain HTTP on loopback).
async fn certificate(
    State(state): State<AppState>,
    authed: Authed,
) -> Result<Json<serde_json::Value>, ApiError> {
    authed.require(&[Role::Installer, Role::Auditor])?;
    Ok(Json(json!({ "certificate": state.certificate.as_deref() })))
}

/// What the device has learnt of its camera's tilt, for the installer
/// (device health, nothing of anybody).
async fn camera(
    State(state): State<AppState>,
    authed: Authed,
) -> Result<Json<serde_json::Value>, ApiError> {
    authed.require(&[Role::Installer, Role::Auditor])?;
    let kept = state.hub.read(|s| s.camera_up()).await?;
    Ok(Json(match kept {
        Some(kept) => json!({
            "learnt": true,
            "pitch_deg": crate::domain::round3(f64::from(crate::care::gravity::pitch_deg(kept.up))),
            "standing_frames": kept.frames,
            "kept_at": kept.kept_at,
        }),
        None => json!({ "learnt": false }),
    }))
}

/// A free-text field, trimmed: 1 to `max` characters, or a 400 that says `what`.
pub(super) fn text<'a>(value: &'a str, what: &str, max: usize) -> Result<&'a str, ApiError> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > max {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("{what} (1 to {max} characters)"),
        ));
    }
    Ok(value)
}

async fn openapi(_: Authed) -> Json<serde_json::Value> {
    Json(openapi_document())
}

pub use super::openapi::openapi_document;
