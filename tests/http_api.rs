//! The staff app's API through `router(state)`, request by request: no
//! session → 401 everywhere but /health and the log-in; the wrong role →
//! 403; malformed, unknown-field, wrong-type and huge bodies → 4xx, never
//! 5xx; log-ins are rate-limited; an alarm is acknowledged and resolved;
//! repeats and escalation run on tokio's paused clock; thousands of
//! requests made from the OpenAPI document's own schemas, then spoiled,
//! get no 5xx.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use tower::ServiceExt;
use tryghed::alarm::AlarmSettings;
use tryghed::deliver::http::{router, AppState, MAX_BODY_BYTES};
use tryghed::deliver::live::{Live, SilhouetteView};
use tryghed::deliver::sessions::LogInLimit;
use tryghed::deliver::{Clock, Hub};
use tryghed::domain::DeviceFault;
use tryghed::policy::permit_device_fault;
use tryghed::store::{Role, Store};

mod common;
use common::Random;

const PASSWORD: &str = "correct horse battery";

fn start() -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).unwrap()
}

fn state(dir: &std::path::Path, clock: Clock) -> AppState {
    let mut store = Store::open(dir).unwrap();
    // demo-1: consent to video and sound, reactive alarms and looks of up to 5 minutes.
    tryghed::app::product::demo_records(&mut store, start()).unwrap();
    for (name, role) in [
        ("hanne", Role::Staff),
        ("ole", Role::Staff),
        ("karin", Role::CaseOfficer),
        ("ib", Role::Installer),
        ("aud", Role::Auditor),
    ] {
        store
            .add_user(name, role, &[], PASSWORD, "test", start())
            .unwrap();
    }
    // A resident in B03 with no basis yet.
    let resident = tryghed::policy::Resident {
        id: tryghed::domain::ResidentId("r-2".into()),
        room: "B03".into(),
        display_name: "Ellen".into(),
        representatives: vec![],
    };
    store.add_resident(&resident, "test", start()).unwrap();
    // Bo works in the B wing: room A12's alarms reach him only escalated.
    store
        .add_user(
            "bo",
            Role::Staff,
            &["B03".into(), "B04".into()],
            PASSWORD,
            "test",
            start(),
        )
        .unwrap();
    app(store, clock)
}

/// The staff app over `store`, as the device serves it on loopback.
fn app(store: Store, clock: Clock) -> AppState {
    let hub = Hub::new(
        store,
        AlarmSettings::default(),
        vec!["mqtt", "webhook"],
        clock,
    )
    .unwrap();
    AppState {
        hub: Arc::new(hub),
        login_limit: Arc::new(LogInLimit::default()),
        reads: Default::default(),
        live: Arc::new(Live::default()),
        tls: false,
        certificate: None,
    }
}

async fn call(
    state: &AppState,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<(&str, &str)>,
) -> (StatusCode, Value) {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(token) = token {
        request = request.header("cookie", format!("tryghed_session={token}"));
    }
    let request = match body {
        Some((content_type, body)) => request
            .header("content-type", content_type)
            .body(Body::from(body.to_string())),
        None => request.body(Body::empty()),
    }
    .unwrap();
    let response = router(state.clone()).oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// A POST of a JSON body under `token`'s session.
async fn post_json(state: &AppState, path: &str, token: &str, body: &str) -> (StatusCode, Value) {
    call(
        state,
        "POST",
        path,
        Some(token),
        Some(("application/json", body)),
    )
    .await
}

async fn login(state: &AppState, name: &str) -> String {
    let (status, body) = call(
        state,
        "POST",
        "/api/login",
        None,
        Some((
            "application/json",
            &format!(r#"{{"name":"{name}","password":"{PASSWORD}"}}"#),
        )),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["token"].as_str().unwrap().to_string()
}

/// Every route the router has but the page, its assets, /health and the
/// log-in, as (METHOD, path) with `x` for an id; and a query on the stream.
/// A log-out comes before the event stream, which then answers 401 rather
/// than stream for ever.
fn protected() -> Vec<(String, String)> {
    const PUBLIC: [&str; 5] = ["/", "/app.js", "/style.css", "/health", "/api/login"];
    let mut routes: Vec<(String, String)> = tryghed::deliver::http::routes()
        .into_iter()
        .filter(|(path, _, _)| !PUBLIC.contains(path))
        .map(|(path, method, _)| (method.to_uppercase(), path.replace("{id}", "x")))
        .collect();
    routes.push(("GET".into(), "/api/events?after=3".into()));
    routes
}

#[tokio::test]
async fn the_installer_sees_the_camera_tilt_the_device_learnt_and_staff_do_not() {
    let dir = tempfile::tempdir().unwrap();
    let state = state(dir.path(), Clock::system());
    let installer = login(&state, "ib").await;
    let (status, body) = call(&state, "GET", "/api/camera", Some(&installer), None).await;
    assert_eq!(
        (status, &body["learnt"]),
        (StatusCode::OK, &Value::Bool(false))
    );
    // Learnt: looking 30° down, from 900 standing frames.
    let (sin, cos) = 30f32.to_radians().sin_cos();
    let learnt = tryghed::store::LearntUp {
        up: [0.0, -cos, -sin],
        frames: 900,
        kept_at: start(),
    };
    state.hub.store().keep_camera_up(&learnt).unwrap();
    let (status, body) = call(&state, "GET", "/api/camera", Some(&installer), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        (body["pitch_deg"].as_f64().unwrap() - 30.0).abs() < 0.01,
        "{body}"
    );
    assert_eq!(body["standing_frames"], 900);
    let staff = login(&state, "hanne").await;
    let (status, _) = call(&state, "GET", "/api/camera", Some(&staff), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_installer_sees_the_certificate_phones_must_trust() {
    let dir = tempfile::tempdir().unwrap();
    let mut state = state(dir.path(), Clock::system());
    let installer = login(&state, "ib").await;
    let (status, body) = call(&state, "GET", "/api/certificate", Some(&installer), None).await;
    assert_eq!(
        (status, &body["certificate"]),
        (StatusCode::OK, &Value::Null),
        "plain loopback"
    );
    state.certificate = Some(Arc::new(tryghed::deliver::tls::Certificate {
        fingerprint: "AB:CD".into(),
        names: vec!["localhost".into(), "room-a12".into()],
    }));
    let (_, body) = call(&state, "GET", "/api/certificate", Some(&installer), None).await;
    assert_eq!(body["certificate"]["fingerprint"], "AB:CD");
    assert_eq!(body["certificate"]["names"][1], "room-a12");
    let staff = login(&state, "hanne").await;
    let (status, _) = call(&state, "GET", "/api/certificate", Some(&staff), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn every_endpoint_but_health_and_login_needs_a_session() {
    let dir = tempfile::tempdir().unwrap();
    let state = state(dir.path(), Clock::system());
    for (method, path) in protected() {
        let (method, path) = (method.as_str(), path.as_str());
        let (status, body) = call(&state, method, path, None, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}: {body}");
        assert!(
            body["error"].is_string(),
            "{method} {path}: one error shape"
        );
        let (status, _) = call(&state, method, path, Some("not-a-session"), None).await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "{method} {path} with a made-up token"
        );
    }
    assert_eq!(
        call(&state, "GET", "/health", None, None).await.0,
        StatusCode::OK
    );
    let (status, _) = call(&state, "GET", "/", None, None).await;
    assert_eq!(status, StatusCode::OK, "the log-in page itself");
    // Its document lists every protected path.
    let token = login(&state, "hanne").await;
    let (_, document) = call(&state, "GET", "/api/openapi.json", Some(&token), None).await;
    for (_, path) in protected() {
        let path = path.split('?').next().unwrap().replace("/x/", "/{id}/");
        assert!(document["paths"][&path].is_object(), "{path} is documented");
    }
}

#[tokio::test]
async fn the_wrong_role_is_forbidden() {
    let dir = tempfile::tempdir().unwrap();
    let state = state(dir.path(), Clock::system());
    let installer = login(&state, "ib").await;
    let auditor = login(&state, "aud").await;
    let officer = login(&state, "karin").await;
    for (who, token, method, path) in [
        ("installer", &installer, "GET", "/api/alarms"),
        ("installer", &installer, "GET", "/api/events"),
        (
            "case officer",
            &officer,
            "POST",
            "/api/alarms/x/acknowledge",
        ),
        ("auditor", &auditor, "POST", "/api/alarms/x/acknowledge"),
        ("auditor", &auditor, "GET", "/api/events"),
    ] {
        let (status, body) = call(&state, method, path, Some(token), None).await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "{who}: {method} {path}: {body}"
        );
    }
    assert_eq!(
        call(&state, "GET", "/api/alarms", Some(&auditor), None)
            .await
            .0,
        StatusCode::OK,
        "an auditor reads"
    );
    assert_eq!(
        call(&state, "GET", "/api/me", Some(&installer), None)
            .await
            .1["role"],
        "installer"
    );
}

#[tokio::test]
async fn bad_bodies_are_4xx_never_5xx() {
    let dir = tempfile::tempdir().unwrap();
    let state = state(dir.path(), Clock::system());
    let huge = format!(
        r#"{{"name":"hanne","password":"{}"}}"#,
        "x".repeat(MAX_BODY_BYTES + 1)
    );
    for (label, content_type, body, expected) in [
        (
            "malformed",
            "application/json",
            "{\"name\": ",
            StatusCode::BAD_REQUEST,
        ),
        (
            "unknown field",
            "application/json",
            r#"{"name":"hanne","password":"x","admin":true}"#,
            StatusCode::BAD_REQUEST,
        ),
        (
            "wrong type",
            "application/json",
            r#"{"name":7,"password":"x"}"#,
            StatusCode::BAD_REQUEST,
        ),
        (
            "not JSON",
            "text/plain",
            "name=hanne",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            "huge",
            "application/json",
            huge.as_str(),
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
        (
            "raw control bytes",
            "application/json",
            "{\"name\":\"\u{0}\",\"password\":\"\u{0}\"}",
            StatusCode::BAD_REQUEST,
        ),
        (
            "escaped nul",
            "application/json",
            r#"{"name":"\u0000","password":"\u0000"}"#,
            StatusCode::UNAUTHORIZED,
        ),
    ] {
        let (status, response) = call(
            &state,
            "POST",
            "/api/login",
            None,
            Some((content_type, body)),
        )
        .await;
        assert_eq!(status, expected, "{label}: {response}");
        assert!(response["error"].is_string(), "{label}: {response}");
    }
    let token = login(&state, "hanne").await;
    let (status, _) = call(
        &state,
        "POST",
        "/api/alarms/x/resolve",
        Some(&token),
        Some(("application/json", r#"{"outcome":"ok","extra":1}"#)),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = call(
        &state,
        "GET",
        "/api/events?after=notanumber",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = call(&state, "GET", "/../../etc/passwd", None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn failed_log_ins_are_limited() {
    let dir = tempfile::tempdir().unwrap();
    let state = state(dir.path(), Clock::system());
    for _ in 0..5 {
        let (status, _) = call(
            &state,
            "POST",
            "/api/login",
            None,
            Some(("application/json", r#"{"name":"hanne","password":"guess"}"#)),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, body) = call(
        &state,
        "POST",
        "/api/login",
        None,
        Some((
            "application/json",
            &format!(r#"{{"name":"hanne","password":"{PASSWORD}"}}"#),
        )),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits: {body}"
    );
    let (status, _) = call(
        &state,
        "POST",
        "/api/login",
        None,
        Some((
            "application/json",
            r#"{"name":"nobody","password":"guess"}"#,
        )),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "and the same address for other names"
    );
    // Her own phone, from another address, is not locked out by the guesser.
    let from_elsewhere = Request::builder()
        .method("POST")
        .uri("/api/login")
        .header("content-type", "application/json")
        .extension(ConnectInfo(SocketAddr::from(([10, 0, 0, 7], 40000))))
        .body(Body::from(format!(
            r#"{{"name":"hanne","password":"{PASSWORD}"}}"#
        )))
        .unwrap();
    let response = router(state.clone()).oneshot(from_elsewhere).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "a name is never locked");
}

/// Twenty guesses sent at once from one address: five are tried, the rest
/// wait, however the checks of the password interleave.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_log_ins_cannot_slip_past_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let state = state(dir.path(), Clock::system());
    let body = r#"{"name":"hanne","password":"guess"}"#;
    let guesses = (0..20).map(|_| {
        call(
            &state,
            "POST",
            "/api/login",
            None,
            Some(("application/json", body)),
        )
    });
    let statuses: Vec<StatusCode> = futures_util::future::join_all(guesses)
        .await
        .into_iter()
        .map(|(status, _)| status)
        .collect();
    let tried = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let waited = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!((tried, waited), (5, 15), "{statuses:?}");
}

/// R13.1: a person handles an alarm: acknowledged, then resolved.
#[tokio::test]
async fn an_alarm_is_acknowledged_then_resolved_and_each_step_audited() {
    let dir = tempfile::tempdir().unwrap();
    let state = state(dir.path(), Clock::system());
    let now = state.hub.now();
    let raised = state
        .hub
        .raise_fault(
            "A12",
            permit_device_fault(DeviceFault::CameraSilent, now),
            "nothing from the camera for 10 s",
        )
        .unwrap()
        .unwrap();
    let id = raised.alarm.id.clone();
    let hanne = login(&state, "hanne").await;
    let ole = login(&state, "ole").await;
    let (_, open) = call(&state, "GET", "/api/alarms", Some(&hanne), None).await;
    assert_eq!(open["alarms"][0]["id"], id.as_str());
    let resolve_body = Some(("application/json", r#"{"outcome":"camera cable back in"}"#));
    let (status, body) = call(
        &state,
        "POST",
        &format!("/api/alarms/{id}/resolve"),
        Some(&hanne),
        resolve_body,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "acknowledge first: {body}");
    let (status, body) = call(
        &state,
        "POST",
        &format!("/api/alarms/{id}/acknowledge"),
        Some(&hanne),
        None,
    )
    .await;
    assert_eq!(
        (status, body["step"]["alarm"]["state"]["by"].as_str()),
        (StatusCode::OK, Some("hanne"))
    );
    let (status, body) = call(
        &state,
        "POST",
        &format!("/api/alarms/{id}/acknowledge"),
        Some(&ole),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["error"]
        .as_str()
        .unwrap()
        .contains("already acknowledged by hanne"));
    let (status, body) = call(
        &state,
        "POST",
        &format!("/api/alarms/{id}/resolve"),
        Some(&ole),
        resolve_body,
    )
    .await;
    assert_eq!(
        (status, body["step"]["type"].as_str()),
        (StatusCode::OK, Some("end"))
    );
    assert_eq!(
        call(
            &state,
            "POST",
            &format!("/api/alarms/{id}/resolve"),
            Some(&ole),
            resolve_body
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        call(&state, "GET", "/api/alarms", Some(&hanne), None)
            .await
            .1["alarms"],
        json!([])
    );
    let store = state.hub.store();
    assert!(store.verify_audit().unwrap().intact());
    assert_eq!(
        store.undelivered("mqtt").unwrap(),
        3,
        "raised, acknowledged, resolved: each queued for MQTT"
    );
}

/// R13.1: an alarm nobody acknowledges repeats, then goes to all staff.
#[tokio::test(start_paused = true)]
async fn repeats_every_two_minutes_and_all_staff_after_four_on_paused_time() {
    let dir = tempfile::tempdir().unwrap();
    let state = state(dir.path(), Clock::tokio_from(start()));
    let mut live = state.hub.subscribe();
    tokio::spawn(state.hub.clone().run_ticker());
    let raised = state
        .hub
        .raise_fault(
            "A12",
            permit_device_fault(DeviceFault::MicrophoneSilent, start()),
            "nothing from the microphone for 10 s",
        )
        .unwrap()
        .unwrap();
    let mut seen = Vec::new();
    while seen.len() < 4 {
        let (_, step) = live.recv().await.unwrap();
        seen.push((
            (step.at - start()).num_seconds(),
            serde_json::to_value(step.reason).unwrap(),
            step.to_all_staff,
        ));
    }
    assert_eq!(seen[0], (0, "raised".into(), false));
    assert_eq!(
        seen[1..],
        [
            (120, "repeat".into(), false),
            (240, "escalated".into(), true),
            (360, "repeat".into(), true)
        ]
    );
    state.hub.acknowledge(&raised.alarm.id, "hanne").unwrap();
    live.recv().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_secs(1000)).await;
    assert!(
        live.try_recv().is_err(),
        "no more repeats once acknowledged"
    );
}

/// NTP steps the wall clock of a board without a clock chip: an hour
/// forwards ten seconds after an alarm, then three hours back. Repeats and
/// escalation still come at two and four minutes by the steady clock.
#[tokio::test(start_paused = true)]
async fn a_wall_clock_stepped_forwards_and_back_moves_no_repeat_or_escalation() {
    let dir = tempfile::tempdir().unwrap();
    let (clock, wall) = Clock::steppable(start());
    let state = state(dir.path(), clock);
    let mut live = state.hub.subscribe();
    tokio::spawn(state.hub.clone().run_ticker());
    let began = tokio::time::Instant::now();
    state
        .hub
        .raise_fault(
            "A12",
            permit_device_fault(DeviceFault::MicrophoneSilent, start()),
            "nothing from the microphone for 10 s",
        )
        .unwrap();
    live.recv().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_secs(10)).await;
    wall.step(chrono::Duration::hours(1));
    tokio::time::sleep(std::time::Duration::from_secs(60)).await;
    assert!(
        live.try_recv().is_err(),
        "an hour forwards escalates nothing"
    );
    wall.step(chrono::Duration::hours(-3));
    let mut seen = Vec::new();
    for _ in 0..2 {
        let (_, step) = live.recv().await.unwrap();
        let after = began.elapsed().as_secs();
        seen.push((after, serde_json::to_value(step.reason).unwrap()));
    }
    assert_eq!(seen, [(120, "repeat".into()), (240, "escalated".into())]);
}

#[tokio::test(start_paused = true)]
async fn staff_see_their_own_rooms_and_every_alarm_once_it_is_escalated() {
    let dir = tempfile::tempdir().unwrap();
    let state = state(
        dir.path(),
        Clock::tokio_from(start() + chrono::Duration::hours(1)),
    );
    tokio::spawn(state.hub.clone().run_ticker());
    let (bo, hanne) = (login(&state, "bo").await, login(&state, "hanne").await);
    assert_eq!(
        call(&state, "GET", "/api/me", Some(&bo), None).await.1["rooms"],
        json!(["B03", "B04"])
    );
    assert_eq!(
        call(&state, "GET", "/api/me", Some(&hanne), None).await.1["rooms"],
        json!([]),
        "every room"
    );
    // Data minimisation: staff see the residents of their own rooms only.
    let ids = |body: Value| {
        body["residents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ids(call(&state, "GET", "/api/residents", Some(&bo), None)
            .await
            .1),
        ["r-2"],
        "B03's resident only"
    );
    assert_eq!(
        ids(call(&state, "GET", "/api/residents", Some(&hanne), None)
            .await
            .1),
        ["demo-1", "r-2"]
    );
    let ask = r#"{"resident":"demo-1","minutes":1,"reason":"checking"}"#;
    assert_eq!(
        post_json(&state, "/api/looks", &bo, ask).await.0,
        StatusCode::FORBIDDEN
    );
    assert!(audit_actions(&state)
        .iter()
        .any(|a| a.starts_with("look.refused bo") && a.contains("not one of the rooms")));

    // Bo follows the event stream from before the alarm.
    let request = Request::builder()
        .uri("/api/events?after=0")
        .header("cookie", format!("tryghed_session={bo}"))
        .body(Body::empty())
        .unwrap();
    let mut stream = router(state.clone())
        .oneshot(request)
        .await
        .unwrap()
        .into_body()
        .into_data_stream();
    let raised = state
        .hub
        .raise_fault(
            "A12",
            permit_device_fault(DeviceFault::CameraSilent, state.hub.now()),
            "nothing from the camera for 10 s",
        )
        .unwrap()
        .unwrap();
    let id = raised.alarm.id.clone();
    assert_eq!(
        call(&state, "GET", "/api/alarms", Some(&hanne), None)
            .await
            .1["alarms"][0]["id"],
        id.as_str()
    );
    assert_eq!(
        call(&state, "GET", "/api/alarms", Some(&bo), None).await.1["alarms"],
        json!([]),
        "not Bo's room"
    );
    let (status, _) = call(
        &state,
        "POST",
        &format!("/api/alarms/{id}/acknowledge"),
        Some(&bo),
        None,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "told nothing about an alarm he is not shown"
    );

    // Nobody takes it: at four minutes it goes to all staff, Bo included.
    use futures_util::StreamExt;
    let mut seen = String::new();
    while !seen.contains("\n\n") || !seen.contains("event: step") {
        seen.push_str(&String::from_utf8_lossy(
            &stream.next().await.unwrap().unwrap(),
        ));
    }
    let data: Value =
        serde_json::from_str(seen.lines().find_map(|l| l.strip_prefix("data: ")).unwrap()).unwrap();
    assert_eq!(
        (data["reason"].as_str(), data["to_all_staff"].as_bool()),
        (Some("escalated"), Some(true)),
        "his first step is the escalation: {seen}"
    );
    assert_eq!(
        (data["at"]
            .as_str()
            .map(|t| t.parse::<DateTime<Utc>>().unwrap())
            .unwrap()
            - raised.at)
            .num_seconds(),
        240
    );
    assert_eq!(
        call(&state, "GET", "/api/alarms", Some(&bo), None).await.1["alarms"][0]["id"],
        id.as_str()
    );
    let (status, body) = call(
        &state,
        "POST",
        &format!("/api/alarms/{id}/acknowledge"),
        Some(&bo),
        None,
    )
    .await;
    assert_eq!(
        (status, body["step"]["alarm"]["state"]["by"].as_str()),
        (StatusCode::OK, Some("bo")),
        "{body}"
    );
    // An auditor reads every alarm.
    let auditor = login(&state, "aud").await;
    assert_eq!(
        call(&state, "GET", "/api/alarms", Some(&auditor), None)
            .await
            .1["alarms"][0]["id"],
        id.as_str()
    );
}

#[tokio::test]
async fn case_officers_record_a_whole_legal_basis_and_the_law_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    let state = state(
        dir.path(),
        Clock::tokio_from(start() + chrono::Duration::hours(1)),
    );
    let officer = login(&state, "karin").await;
    let (status, catalogue) = call(&state, "GET", "/api/catalogue", Some(&officer), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        catalogue["signals"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["name"] == "fall" && s["kind"] == "video"),
        "{catalogue}"
    );
    assert!(
        catalogue["basis_types"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == "sel136e"),
        "{catalogue}"
    );
    let at = (start() + chrono::Duration::minutes(30)).to_rfc3339();
    let basis = |id: &str, signals: &str| {
        format!(
            r#"{{"id":"{id}","basis_type":"consent","kinds":["video"],"signals":[{signals}],"reactive_alarm":true,"supervision_max_minutes":3,
               "start":"{at}","end":null,"consent_at":"{at}","informed":[{{"who":"resident","at":"{at}"}}],
               "documents":{{"action_plan":"handleplan 2026-14"}},"dpia":{{"at":"{at}","outcome":"not-needed"}}}}"#
        )
    };
    let post = |path: String, token: String, body: String| {
        let state = state.clone();
        async move { post_json(&state, &path, &token, &body).await }
    };
    // A sound signal under a video-only basis: refused with its rule, nothing stored.
    let (status, body) = post(
        "/api/residents/r-2/bases".into(),
        officer.clone(),
        basis("b-1", r#""fall","scream""#),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"].as_str().unwrap().contains("scream"), "{body}");
    // Each refusal by its rule, in English and in Danish for the Danish page.
    let refusal = &body["refusals"][0];
    assert_eq!(refusal["rule"], "R8.4", "{body}");
    assert!(
        refusal["en"]
            .as_str()
            .unwrap()
            .contains("signal `scream` is of kind sound"),
        "{body}"
    );
    assert!(
        refusal["da"]
            .as_str()
            .unwrap()
            .contains("signalet `scream` er af slagsen `sound`"),
        "{body}"
    );
    assert!(!audit_actions(&state)
        .iter()
        .any(|a| a.starts_with("basis.record karin")));
    // Staff may not; unknown fields are refused.
    let staff = login(&state, "hanne").await;
    assert_eq!(
        post(
            "/api/residents/r-2/bases".into(),
            staff,
            basis("b-1", r#""fall""#)
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    let extra = basis("b-1", r#""fall""#).replacen('{', r#"{"stopped":null,"#, 1);
    assert_eq!(
        post("/api/residents/r-2/bases".into(), officer.clone(), extra)
            .await
            .0,
        StatusCode::BAD_REQUEST,
        "unknown fields"
    );
    assert_eq!(
        post(
            "/api/residents/nobody/bases".into(),
            officer.clone(),
            basis("b-9", r#""fall""#)
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );

    let (status, body) = post(
        "/api/residents/r-2/bases".into(),
        officer.clone(),
        basis("b-1", r#""fall","on_floor""#),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (
            body["recorded"]["decided_by"].as_str(),
            body["recorded"]["supervision_max_minutes"].as_u64()
        ),
        (Some("karin"), Some(3))
    );
    assert_eq!(body["now"]["basis_id"], "b-1", "{body}");
    assert!(audit_actions(&state)
        .iter()
        .any(|a| a.starts_with("basis.record karin")));
    let (status, body) = post(
        "/api/residents/r-2/bases".into(),
        officer.clone(),
        basis("b-1", r#""fall""#),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "the same id twice: {body}");
    let (_, case) = call(
        &state,
        "GET",
        "/api/residents/r-2/case",
        Some(&officer),
        None,
    )
    .await;
    assert_eq!(
        case["case"]["bases"].as_array().map(Vec::len),
        Some(1),
        "{case}"
    );
}

/// R1.3: a situational camera look-in is not a feature. No basis type
/// records one, whatever a case officer calls it, and no look opens
/// without a basis that allows time-bounded looks (R3.2).
#[tokio::test(start_paused = true)]
async fn a_situational_look_in_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let state = state(
        dir.path(),
        Clock::tokio_from(start() + chrono::Duration::hours(1)),
    );
    let officer = login(&state, "karin").await;
    let at = (start() + chrono::Duration::minutes(30)).to_rfc3339();
    for asked in ["sel128b-situational", "situational-look-in", "kameraindkig"] {
        let body = format!(
            r#"{{"id":"b-s","basis_type":"{asked}","kinds":["video"],"signals":["fall"],"reactive_alarm":false,"supervision_max_minutes":5,"start":"{at}","end":null}}"#
        );
        let (status, answer) = post_json(&state, "/api/residents/r-2/bases", &officer, &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{asked}: {answer}");
        let error = answer["error"].as_str().unwrap_or_default();
        assert!(
            error.contains("R1.3: a situational camera look-in"),
            "{asked}: {error}"
        );
    }
    let (_, catalogue) = call(&state, "GET", "/api/catalogue", Some(&officer), None).await;
    let types: Vec<&str> = catalogue["basis_types"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["id"].as_str())
        .collect();
    assert_eq!(
        types,
        ["consent", "sel136e", "sel128b", "sel128b-unlimited"]
    );
    // Ellen (r-2) has no basis: a look at her is refused, and on record.
    let hanne = login(&state, "hanne").await;
    let ask = r#"{"resident":"r-2","minutes":1,"reason":"just to see her"}"#;
    let (status, answer) = post_json(&state, "/api/looks", &hanne, ask).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
    assert!(audit_actions(&state)
        .iter()
        .any(|a| a.starts_with("look.refused hanne")));
}

/// A case officer adds, corrects and ends a representative from the app,
/// each on the chain; an opposition refers to them by id (R1.4).
#[tokio::test(start_paused = true)]
async fn representatives_are_changed_from_the_app_and_referred_to_by_id() {
    let dir = tempfile::tempdir().unwrap();
    let state = state(dir.path(), Clock::tokio_from(start()));
    let officer = login(&state, "karin").await;
    let path = "/api/residents/r-2/representatives";
    let add = r#"{"change":"add","name":"Gitte Hansen","role":"guardian","covers_personal_matters":true}"#;
    let (status, body) = post_json(&state, path, &officer, add).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["representative"]["id"], "rep-1", "{body}");
    let staff = login(&state, "hanne").await;
    assert_eq!(
        post_json(&state, path, &staff, add).await.0,
        StatusCode::FORBIDDEN
    );
    let (status, body) = post_json(&state, path, &officer, r#"{"change":"add","name":"X"}"#).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "no role: {body}");
    let extra = r#"{"change":"rename","representative":"rep-1","name":"G","role":"guardian"}"#;
    let (status, body) = post_json(&state, path, &officer, extra).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "a rename changes no role: {body}"
    );
    let rename = r#"{"change":"rename","representative":"rep-1","name":"Gitte Hansen-Holm"}"#;
    assert_eq!(
        post_json(&state, path, &officer, rename).await.0,
        StatusCode::OK
    );

    let oppose = "/api/residents/r-2/opposition";
    let (status, body) = post_json(&state, oppose, &officer, r#"{"by":"Gitte Hansen-Holm"}"#).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a name opposes nothing: {body}"
    );
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("rep-1 (Gitte Hansen-Holm)"),
        "{body}"
    );
    let end = r#"{"change":"end","representative":"rep-1","reason":"guardianship lifted"}"#;
    let (status, body) = post_json(&state, path, &officer, end).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["representative"]["ended"]["reason"],
        "guardianship lifted"
    );
    let (status, _) = post_json(&state, path, &officer, end).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "ended once");
    let (status, _) = post_json(&state, oppose, &officer, r#"{"by":"rep-1"}"#).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "an ended mandate opposes nothing"
    );
    let actions = audit_actions(&state);
    let changes: Vec<&str> = actions
        .iter()
        .filter(|a| a.starts_with("representative."))
        .map(|a| a.split(' ').next().unwrap())
        .collect();
    assert_eq!(
        changes,
        [
            "representative.add",
            "representative.rename",
            "representative.end"
        ]
    );
}

fn audit_actions(state: &AppState) -> Vec<String> {
    let db = state.hub.store().file().to_path_buf();
    let out = common::sqlite3(
        db,
        "SELECT action || ' ' || actor || ' ' || detail FROM audit ORDER BY seq",
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

#[tokio::test(start_paused = true)]
async fn a_look_needs_a_basis_that_allows_it_and_closes_by_itself() {
    let dir = tempfile::tempdir().unwrap();
    let state = state(
        dir.path(),
        Clock::tokio_from(start() + chrono::Duration::hours(1)),
    );
    let hanne = login(&state, "hanne").await;
    let ole = login(&state, "ole").await;
    let ask = |resident: &str, minutes: u32| {
        format!(
            r#"{{"resident":"{resident}","minutes":{minutes},"reason":"heard a call, checking before going in"}}"#
        )
    };
    // Longer than the basis allows: refused with its rule, and audited.
    let (status, body) = call(
        &state,
        "POST",
        "/api/looks",
        Some(&hanne),
        Some(("application/json", &ask("demo-1", 10))),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(
        body["error"].as_str().unwrap().starts_with("R3.2"),
        "{body}"
    );
    assert!(
        audit_actions(&state)
            .iter()
            .any(|a| a.starts_with("look.refused hanne") && a.contains("R3.2")),
        "{:?}",
        audit_actions(&state)
    );
    let (status, _) = call(
        &state,
        "POST",
        "/api/looks",
        Some(&hanne),
        Some(("application/json", &ask("nobody", 1))),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call(
        &state,
        "POST",
        "/api/looks",
        Some(&hanne),
        Some((
            "application/json",
            r#"{"resident":"demo-1","minutes":1,"reason":"  "}"#,
        )),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a reason is needed");
    let auditor = login(&state, "aud").await;
    assert_eq!(
        call(
            &state,
            "POST",
            "/api/looks",
            Some(&auditor),
            Some(("application/json", &ask("demo-1", 1)))
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );

    // Allowed: one minute of the live silhouette, for the one who asked.
    let (status, body) = call(
        &state,
        "POST",
        "/api/looks",
        Some(&hanne),
        Some(("application/json", &ask("demo-1", 1))),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let look = body["look"].as_str().unwrap().to_string();
    assert!(
        state.live.watched(
            &tryghed::domain::ResidentId("demo-1".into()),
            state.hub.now()
        ),
        "silhouettes are drawn only now"
    );
    assert_eq!(
        call(
            &state,
            "GET",
            &format!("/api/looks/{look}/view"),
            Some(&ole),
            None
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    let request = Request::builder()
        .uri(format!("/api/looks/{look}/view"))
        .header("cookie", format!("tryghed_session={hanne}"))
        .body(Body::empty())
        .unwrap();
    let response = router(state.clone()).oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let mut body = response.into_body().into_data_stream();
    state.live.publish(
        &tryghed::domain::ResidentId("demo-1".into()),
        SilhouetteView {
            width: 4,
            height: 3,
            cells: "000001110020".into(),
        },
    );
    let mut seen = String::new();
    use futures_util::StreamExt;
    while let Some(chunk) = body.next().await {
        seen.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
        if seen.contains("event: end") {
            break;
        }
    }
    assert!(
        seen.contains("event: silhouette") && seen.contains("000001110020"),
        "{seen}"
    );
    assert!(
        seen.contains("event: end"),
        "the look ends by itself after its minute"
    );
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    assert!(
        !state.live.watched(
            &tryghed::domain::ResidentId("demo-1".into()),
            state.hub.now()
        ),
        "and then no silhouette is drawn"
    );
    let actions = audit_actions(&state);
    assert!(
        actions.iter().any(|a| a.starts_with("look.start hanne"))
            && actions.iter().any(|a| a.starts_with("look.view hanne"))
            && actions.iter().any(|a| a.starts_with("look.end device")),
        "{actions:?}"
    );
    assert_eq!(
        call(
            &state,
            "GET",
            &format!("/api/looks/{look}/view"),
            Some(&hanne),
            None
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
}

/// R5.1, real time only: a look shows what the camera sees while it lasts
/// and nothing from before; when it ends, by its owner or by its time,
/// the last silhouette goes too, so the next look cannot see the past.
#[tokio::test(start_paused = true)]
async fn a_look_shows_only_the_present_and_keeps_nothing_after_it() {
    use futures_util::StreamExt;
    let dir = tempfile::tempdir().unwrap();
    let state = state(
        dir.path(),
        Clock::tokio_from(start() + chrono::Duration::hours(1)),
    );
    let resident = tryghed::domain::ResidentId("demo-1".into());
    let view = |cells: &str| SilhouetteView {
        width: 4,
        height: 3,
        cells: cells.into(),
    };
    let hanne = login(&state, "hanne").await;
    let start_look = || {
        let (state, hanne) = (state.clone(), hanne.clone());
        async move {
            let ask = r#"{"resident":"demo-1","minutes":1,"reason":"heard a call"}"#;
            let (status, body) = post_json(&state, "/api/looks", &hanne, ask).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            body["look"].as_str().unwrap().to_string()
        }
    };
    // A look ended by its owner.
    let first = start_look().await;
    state.live.publish(&resident, view("111111111111"));
    let path = format!("/api/looks/{first}/end");
    assert_eq!(
        call(&state, "POST", &path, Some(&hanne), None).await.0,
        StatusCode::OK
    );
    assert_eq!(
        *state.live.silhouettes(&resident).borrow(),
        None,
        "nothing kept"
    );
    // A look that runs out.
    start_look().await;
    state.live.publish(&resident, view("222222222222"));
    tokio::time::sleep(std::time::Duration::from_secs(62)).await;
    assert_eq!(
        *state.live.silhouettes(&resident).borrow(),
        None,
        "nothing kept"
    );

    // The next look sees the first frame drawn after it began, no older one.
    let third = start_look().await;
    let request = Request::builder()
        .uri(format!("/api/looks/{third}/view"))
        .header("cookie", format!("tryghed_session={hanne}"))
        .body(Body::empty())
        .unwrap();
    let response = router(state.clone()).oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let mut body = response.into_body().into_data_stream();
    state.live.publish(&resident, view("000001110020"));
    let mut seen = String::new();
    while !seen.contains("event: silhouette") {
        let chunk = body.next().await.expect("a silhouette").unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(seen.contains("000001110020"), "{seen}");
    assert!(
        !seen.contains("111111111111") && !seen.contains("222222222222"),
        "{seen}"
    );
}

/// The posture of every resident the user sees: `(id, posture, seen_in)`.
async fn postures(state: &AppState, token: &str) -> Vec<(String, Value, Value)> {
    let (status, body) = call(state, "GET", "/api/residents", Some(token), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["residents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_string(),
                r["posture"].clone(),
                r["seen_in"].clone(),
            )
        })
        .collect()
}

#[tokio::test]
async fn residents_come_with_their_legal_status_and_device_state() {
    let dir = tempfile::tempdir().unwrap();
    let state = state(
        dir.path(),
        Clock::tokio_from(start() + chrono::Duration::hours(1)),
    );
    let officer = login(&state, "karin").await;
    let (status, body) = call(&state, "GET", "/api/residents", Some(&officer), None).await;
    assert_eq!(status, StatusCode::OK);
    let resident = &body["residents"][0];
    assert_eq!(
        (resident["id"].as_str(), resident["room"].as_str()),
        (Some("demo-1"), Some("A12"))
    );
    assert_eq!(resident["legal"]["supervision_max_minutes"], 5);
    assert_eq!(resident["legal"]["ai_disclosed"], true);
    assert_eq!(resident["device"]["faults"], json!([]));
    state
        .hub
        .raise_fault(
            "A12",
            permit_device_fault(DeviceFault::CameraSilent, state.hub.now()),
            "no frame for 10 s",
        )
        .unwrap();
    let (_, body) = call(&state, "GET", "/api/residents", Some(&officer), None).await;
    assert_eq!(
        body["residents"][0]["device"]["faults"],
        json!(["camera_silent"])
    );
    let installer = login(&state, "ib").await;
    assert_eq!(
        call(&state, "GET", "/api/residents", Some(&installer), None)
            .await
            .0,
        StatusCode::FORBIDDEN,
        "an installer sees no resident's data"
    );
}

/// A record edited behind the product's back marks its own resident's
/// card, by name; every other card stays readable (the list is not lost).
#[tokio::test(start_paused = true)]
async fn an_edited_record_marks_its_own_card_and_leaves_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let state = state(dir.path(), Clock::tokio_from(start()));
    let edit = common::sqlite3(
        dir.path().join(tryghed::store::DATABASE_FILE),
        "UPDATE residents SET data = json_set(data, '$.display_name', 'Else') WHERE id = 'r-2'",
    );
    assert!(edit.status.success(), "{}", common::text(&edit.stderr));
    let officer = login(&state, "karin").await;
    let (status, body) = call(&state, "GET", "/api/residents", Some(&officer), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let card = |id: &str| {
        body["residents"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .cloned()
            .unwrap()
    };
    let (edited, untouched) = (card("r-2"), card("demo-1"));
    let why = edited["legal"]["tampered"].as_str().unwrap_or_default();
    assert!(
        why.contains("residents r-2: the record does not match the audit chain"),
        "{edited}"
    );
    assert_eq!(edited["legal"]["kinds"], json!([]), "nothing runs for her");
    assert!(untouched["legal"]["tampered"].is_null(), "{untouched}");
    assert_eq!(untouched["legal"]["supervision_max_minutes"], 5);
}

/// R3.2: what the camera made of a resident reaches a phone only inside an
/// alarm about her or a look of that user's own; never as a standing view.
#[tokio::test(start_paused = true)]
async fn the_posture_shows_only_inside_an_alarm_or_the_users_own_look() {
    let dir = tempfile::tempdir().unwrap();
    let state = state(
        dir.path(),
        Clock::tokio_from(start() + chrono::Duration::hours(1)),
    );
    let demo = tryghed::domain::ResidentId("demo-1".into());
    state
        .live
        .set_posture(&demo, "lying_on_floor", state.hub.now());
    let (hanne, ole, bo, karin) = (
        login(&state, "hanne").await,
        login(&state, "ole").await,
        login(&state, "bo").await,
        login(&state, "karin").await,
    );
    let hidden = (Value::Null, Value::Null);
    let of_demo = |rows: Vec<(String, Value, Value)>| {
        rows.into_iter()
            .find(|(id, _, _)| id == "demo-1")
            .map(|(_, posture, seen)| (posture, seen))
    };
    for token in [&hanne, &karin] {
        assert_eq!(of_demo(postures(&state, token).await), Some(hidden.clone()));
    }

    // Hanne's own look: she sees it, Ole (same rooms) does not.
    let (status, body) = call(
        &state,
        "POST",
        "/api/looks",
        Some(&hanne),
        Some((
            "application/json",
            r#"{"resident":"demo-1","minutes":1,"reason":"heard a call, checking before going in"}"#,
        )),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let on_floor = (json!("lying_on_floor"), json!("look"));
    assert_eq!(of_demo(postures(&state, &hanne).await), Some(on_floor));
    assert_eq!(of_demo(postures(&state, &ole).await), Some(hidden.clone()));
    // Ended early by her, and only by her: so is the posture.
    let look = body["look"].as_str().unwrap();
    let end = format!("/api/looks/{look}/end");
    assert_eq!(
        call(&state, "POST", &end, Some(&ole), None).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        call(&state, "POST", &end, Some(&hanne), None).await.0,
        StatusCode::OK
    );
    assert_eq!(
        of_demo(postures(&state, &hanne).await),
        Some(hidden.clone())
    );
    assert!(audit_actions(&state)
        .iter()
        .any(|a| a.starts_with("look.end hanne") && a.contains("\"early\":true")));
    assert_eq!(
        call(&state, "POST", &end, Some(&hanne), None).await.0,
        StatusCode::NOT_FOUND
    );
    // Another look ends by itself after its minute: so does the posture.
    let (status, _) = call(
        &state,
        "POST",
        "/api/looks",
        Some(&hanne),
        Some((
            "application/json",
            r#"{"resident":"demo-1","minutes":1,"reason":"checking once more"}"#,
        )),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    tokio::time::sleep(std::time::Duration::from_secs(61)).await;
    state
        .live
        .set_posture(&demo, "lying_on_floor", state.hub.now());
    assert_eq!(
        of_demo(postures(&state, &hanne).await),
        Some(hidden.clone())
    );

    // A fall alarm about her: the staff shown it see the posture with it,
    // Bo of the B wing only once it is escalated; the case officer never.
    let case = state.hub.store().case_file(&demo).unwrap();
    let request = tryghed::alarm::AlarmRequest {
        room: "A12".into(),
        resident: Some(demo.clone()),
        kind: "fall".into(),
        level: tryghed::care::levels::Level::Alarm,
        confidence: 0.9,
        evidence: json!({}),
    };
    let permit = tryghed::policy::permit_alarm(
        &case,
        "fall",
        tryghed::domain::Kind::Video,
        request,
        state.hub.now(),
    )
    .unwrap();
    let raised = state.hub.raise(permit).unwrap().unwrap();
    let in_alarm = Some((json!("lying_on_floor"), json!("alarm")));
    assert_eq!(of_demo(postures(&state, &ole).await), in_alarm);
    assert_eq!(
        of_demo(postures(&state, &karin).await),
        Some(hidden.clone())
    );
    assert_eq!(of_demo(postures(&state, &bo).await), None, "not his room");
    // A posture older than 10 s is no posture: the device has stopped saying.
    tokio::time::sleep(std::time::Duration::from_secs(11)).await;
    assert_eq!(of_demo(postures(&state, &ole).await), Some(hidden.clone()));

    // Resolved, the alarm shows nothing more.
    state.live.set_posture(&demo, "standing", state.hub.now());
    state.hub.acknowledge(&raised.alarm.id, "ole").unwrap();
    state
        .hub
        .resolve(&raised.alarm.id, "ole", "helped up")
        .unwrap();
    assert_eq!(of_demo(postures(&state, &ole).await), Some(hidden));
}

#[tokio::test]
async fn case_officers_record_oppositions_disclosures_and_stops_and_each_is_audited() {
    let dir = tempfile::tempdir().unwrap();
    let state = state(
        dir.path(),
        Clock::tokio_from(start() + chrono::Duration::hours(1)),
    );
    let karin = login(&state, "karin").await;
    let hanne = login(&state, "hanne").await;
    let auditor = login(&state, "aud").await;
    let (status, body) = call(
        &state,
        "GET",
        "/api/residents/demo-1/case",
        Some(&auditor),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["case"]["bases"][0]["id"], "demo-consent");
    assert_eq!(body["now"]["kinds"], json!(["sound", "video"]));
    assert_eq!(
        call(
            &state,
            "GET",
            "/api/residents/demo-1/case",
            Some(&hanne),
            None
        )
        .await
        .0,
        StatusCode::FORBIDDEN,
        "staff see the status on the card, not the case file"
    );
    assert_eq!(
        call(
            &state,
            "GET",
            "/api/residents/nobody/case",
            Some(&karin),
            None
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    let json = "application/json";
    assert_eq!(
        call(
            &state,
            "POST",
            "/api/residents/demo-1/opposition",
            Some(&hanne),
            Some((json, r#"{"by":"resident"}"#))
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        call(
            &state,
            "POST",
            "/api/residents/demo-1/disclosure",
            Some(&karin),
            Some((json, r#"{"informed":"resident","how":""}"#))
        )
        .await
        .0,
        StatusCode::BAD_REQUEST
    );
    let (status, _) = call(
        &state,
        "POST",
        "/api/residents/demo-1/disclosure",
        Some(&karin),
        Some((
            json,
            r#"{"informed":"resident","how":"told again, with the leaflet"}"#,
        )),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    // The resident opposes: a consent basis ends with it (R1.4), nothing may run now.
    let (status, body) = call(
        &state,
        "POST",
        "/api/residents/demo-1/opposition",
        Some(&karin),
        Some((json, r#"{"by":"resident"}"#)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["now"]["kinds"], json!([]), "{body}");
    let (status, body) = call(
        &state,
        "POST",
        "/api/bases/demo-consent/stop",
        Some(&karin),
        Some((json, r#"{"reason":"the need has ended"}"#)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = call(
        &state,
        "POST",
        "/api/bases/demo-consent/stop",
        Some(&karin),
        Some((json, r#"{"reason":"again"}"#)),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a refusal names its rule: {body}"
    );
    assert!(body["error"].as_str().unwrap().contains("R10.3"), "{body}");
    assert_eq!(
        call(
            &state,
            "POST",
            "/api/bases/nothing/stop",
            Some(&karin),
            Some((json, r#"{"reason":"x"}"#))
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    let actions = audit_actions(&state);
    for action in [
        "disclosure.record karin",
        "opposition.record karin",
        "basis.stop karin",
    ] {
        assert!(
            actions.iter().any(|a| a.starts_with(action)),
            "{action}: {actions:?}"
        );
    }
    // A look is now refused, with the rule.
    let (status, body) = call(
        &state,
        "POST",
        "/api/looks",
        Some(&hanne),
        Some((
            json,
            r#"{"resident":"demo-1","minutes":1,"reason":"checking"}"#,
        )),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
}

/// Strings a hostile or careless client sends.
const NASTY: [&str; 12] = [
    "",
    " ",
    "resident",
    "demo-1",
    "ÆØÅ æøå",
    "😀\u{202e}",
    "'; DROP TABLE users; --",
    "<script>alert(1)</script>",
    "\u{0}\u{7}",
    "../../etc/passwd",
    "9999999999999999999999",
    "null",
];

/// Any JSON value, up to `depth` deep.
fn any_json(rng: &mut Random, depth: u32) -> Value {
    match rng.below(if depth == 0 { 5 } else { 7 }) {
        0 => Value::Null,
        1 => Value::Bool(rng.below(2) == 0),
        2 => json!(rng.bits() as i64 >> rng.below(64)),
        3 => json!(-1.5e300),
        4 => Value::String(rng.pick(&NASTY).to_string()),
        5 => Value::Array(
            (0..rng.below(4))
                .map(|_| any_json(rng, depth - 1))
                .collect(),
        ),
        _ => Value::Object(
            (0..rng.below(4))
                .map(|i| (format!("{}{i}", rng.pick(&NASTY)), any_json(rng, depth - 1)))
                .collect(),
        ),
    }
}

/// A value after `schema` (the OpenAPI document's own), often right and
/// sometimes wrong in one place: a wrong type, a field missing or unknown,
/// a string far too long.
fn after_schema(schema: &Value, rng: &mut Random) -> Value {
    if rng.below(12) == 0 {
        return any_json(rng, 2);
    }
    match schema["type"].as_str() {
        Some("object") => {
            let required: Vec<&str> = schema["required"]
                .as_array()
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let mut object = serde_json::Map::new();
            for (name, property) in schema["properties"].as_object().into_iter().flatten() {
                if required.contains(&name.as_str()) || rng.below(2) == 0 {
                    object.insert(name.clone(), after_schema(property, rng));
                }
            }
            match rng.below(8) {
                0 if !required.is_empty() => {
                    object.remove(*rng.pick(&required));
                }
                1 => {
                    object.insert("unknown_field".into(), any_json(rng, 1));
                }
                _ => {}
            }
            Value::Object(object)
        }
        Some("array") => Value::Array(
            (0..rng.below(4))
                .map(|_| after_schema(&schema["items"], rng))
                .collect(),
        ),
        Some("integer") => {
            json!(*rng.pick(&[0i64, 1, 3, 5, 60, 61, -1, i64::MAX, u32::MAX as i64 + 1]))
        }
        Some("boolean") => Value::Bool(rng.below(2) == 0),
        _ => {
            if let Some(choices) = schema["enum"].as_array() {
                return rng.pick(choices).clone();
            }
            match (schema["format"].as_str(), rng.below(6)) {
                (Some("date-time"), 0) => Value::String("2026-13-45T25:61:00Z".into()),
                (Some("date-time"), _) => Value::String(
                    (start() + chrono::Duration::days(rng.below(800) as i64 - 400)).to_rfc3339(),
                ),
                (_, 0) => Value::String("x".repeat(100_000)),
                _ => Value::String(rng.pick(&NASTY).to_string()),
            }
        }
    }
}

#[tokio::test]
async fn thousands_of_hostile_requests_after_the_openapi_document_get_no_5xx() {
    // Every documented operation, as every role and as nobody, with ids,
    // queries and bodies made from the document's own schemas and then
    // spoiled: the answer is 2xx or 4xx, never 5xx, never a panic, and the
    // audit trail stays intact.
    let dir = tempfile::tempdir().unwrap();
    let state = state(dir.path(), Clock::system());
    let raised = state
        .hub
        .raise_fault(
            "A12",
            permit_device_fault(DeviceFault::CameraSilent, state.hub.now()),
            "nothing from the camera for 10 s",
        )
        .unwrap()
        .unwrap();
    let mut tokens = vec![None, Some("not-a-token".to_string())];
    for name in ["hanne", "bo", "karin", "ib", "aud"] {
        tokens.push(Some(login(&state, name).await));
    }
    let long = "a".repeat(3000);
    let ids: [&str; 10] = [
        raised.alarm.id.as_str(),
        "demo-1",
        "r-2",
        "demo-consent",
        "x",
        "..%2F..%2Fetc",
        "%00",
        "%E2%80%AE%F0%9F%98%80",
        "a%20b",
        &long,
    ];
    let queries = [
        "",
        "?after=0",
        "?after=-1",
        "?after=abc",
        "?after=99999999999999999999999",
        "?after=1&after=2",
        "?x=%FF",
    ];
    let document = tryghed::deliver::http::openapi_document();
    let mut rng = Random(0x5eed_1234_abcd_9876);
    let mut counts = std::collections::BTreeMap::<u16, usize>::new();
    let routes = tryghed::deliver::http::routes();
    let documented: usize = document["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|ops| ops.as_object().unwrap().len())
        .sum();
    assert_eq!(
        documented,
        routes.len(),
        "the document has every route and no other"
    );
    for (path, method, _) in routes {
        {
            let operation = &document["paths"][path][method];
            assert!(operation.is_object(), "{method} {path} is not documented");
            let schema = &operation["requestBody"]["content"]["application/json"]["schema"];
            for _ in 0..400 {
                let id = *rng.pick(&ids);
                let uri = format!(
                    "{}{}",
                    path.replace("{id}", id),
                    if method == "get" {
                        *rng.pick(&queries)
                    } else {
                        ""
                    }
                );
                let (content_type, body): (&str, Vec<u8>) = match rng.below(10) {
                    0 => ("application/json", b"{\"outcome\": ".to_vec()),
                    1 => ("text/plain", b"hello".to_vec()),
                    2 => ("application/json", vec![b' '; MAX_BODY_BYTES + 1]),
                    3 => (
                        "application/json",
                        (0..rng.below(64)).map(|_| rng.bits() as u8).collect(),
                    ),
                    4 => ("application/json", Vec::new()),
                    _ if !schema.is_null() => (
                        "application/json",
                        serde_json::to_vec(&after_schema(schema, &mut rng)).unwrap(),
                    ),
                    _ => (
                        "application/json",
                        serde_json::to_vec(&any_json(&mut rng, 2)).unwrap(),
                    ),
                };
                let mut request = Request::builder()
                    .method(method.to_uppercase().as_str())
                    .uri(&uri)
                    .header("content-type", content_type);
                // A log-out would end the session the rest of the run uses.
                let token = if path == "/api/logout" {
                    &tokens[1]
                } else {
                    rng.pick(&tokens)
                };
                if let Some(token) = token {
                    request = request.header("authorization", format!("Bearer {token}"));
                }
                let response = router(state.clone())
                    .oneshot(request.body(Body::from(body.clone())).unwrap())
                    .await
                    .unwrap();
                let status = response.status();
                *counts.entry(status.as_u16()).or_default() += 1;
                assert!(
                    !status.is_server_error(),
                    "{method} {uri}: {status} for {}",
                    String::from_utf8_lossy(&body[..body.len().min(300)])
                );
                if status.is_client_error() {
                    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
                        .await
                        .unwrap();
                    let error: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
                    assert!(
                        error["error"].is_string(),
                        "{method} {uri}: a {status} says why in JSON: {}",
                        String::from_utf8_lossy(&bytes)
                    );
                }
            }
        }
    }
    println!("answers by status: {counts:?}");
    assert!(
        counts.keys().any(|s| *s < 300) && counts.keys().filter(|s| **s >= 400).count() >= 5,
        "the requests reached both answers and refusals: {counts:?}"
    );
    assert!(state.hub.store().verify_audit().unwrap().intact());
}

/// Every response the router gives, whatever the path, the method or the
/// session: the page's own script and style only, never framed, never
/// cached, no referrer; HSTS only under TLS.
#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let dir = tempfile::tempdir().unwrap();
    let mut state = state(dir.path(), Clock::system());
    let token = login(&state, "hanne").await;
    let protected = protected();
    let mut requests: Vec<(&str, &str, Option<&str>)> = protected
        .iter()
        .flat_map(|(method, path)| {
            let (method, path) = (method.as_str(), path.as_str());
            [(method, path, None), (method, path, Some(token.as_str()))]
        })
        .collect();
    requests.extend([
        ("GET", "/", None),
        ("GET", "/app.js", None),
        ("GET", "/style.css", None),
        ("GET", "/health", None),
        ("GET", "/no/such/page", None),
        ("POST", "/api/login", None),
    ]);
    for tls in [false, true] {
        state.tls = tls;
        for &(method, path, session) in &requests {
            let mut request = Request::builder().method(method).uri(path);
            if let Some(token) = session {
                request = request.header("cookie", format!("tryghed_session={token}"));
            }
            let response = router(state.clone())
                .oneshot(request.body(Body::empty()).unwrap())
                .await
                .unwrap();
            let headers = response.headers();
            let header = |name: &str| {
                headers
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_string()
            };
            let what = format!("{method} {path} (session {}, tls {tls})", session.is_some());
            let policy = header("content-security-policy");
            for directive in [
                "default-src 'none'",
                "script-src 'self'",
                "frame-ancestors 'none'",
            ] {
                assert!(policy.contains(directive), "{what}: {policy}");
            }
            assert_eq!(header("x-content-type-options"), "nosniff", "{what}");
            assert_eq!(header("x-frame-options"), "DENY", "{what}");
            assert_eq!(header("referrer-policy"), "no-referrer", "{what}");
            assert_eq!(header("cache-control"), "no-store", "{what}");
            assert!(header("permissions-policy").contains("camera=()"), "{what}");
            assert_eq!(
                headers.contains_key("strict-transport-security"),
                tls,
                "{what}"
            );
        }
    }
}

/// The device after a restart: a new hub over the same data directory.
fn restarted(dir: &std::path::Path, clock: Clock) -> AppState {
    app(Store::open(dir).unwrap(), clock)
}

#[tokio::test]
async fn a_phone_stays_logged_in_across_a_restart_until_it_logs_out() {
    let dir = tempfile::tempdir().unwrap();
    let token = login(&state(dir.path(), Clock::system()), "hanne").await;
    let after = restarted(dir.path(), Clock::system());
    let (status, me) = call(&after, "GET", "/api/me", Some(&token), None).await;
    assert_eq!(
        (status, me["name"].as_str()),
        (StatusCode::OK, Some("hanne"))
    );
    let (status, _) = call(&after, "POST", "/api/logout", Some(&token), None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = call(&after, "GET", "/api/me", Some(&token), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let actions = audit_actions(&after);
    for action in ["session.start hanne", "session.end hanne"] {
        assert!(
            actions.iter().any(|a| a.starts_with(action)),
            "{action}: {actions:?}"
        );
    }
}

/// However a session ends — log-out, the user disabled or given a new
/// password from the command line, or the shift's twelve hours run out —
/// the phone's alarm stream closes with it, so the page learns it is deaf
/// instead of waiting on a stream that will never carry an alarm.
#[tokio::test(start_paused = true)]
async fn an_alarm_stream_closes_when_its_session_ends() {
    for how in ["log-out", "disabled", "new password", "expired"] {
        let dir = tempfile::tempdir().unwrap();
        let state = state(dir.path(), Clock::tokio_from(start()));
        let token = login(&state, "hanne").await;
        let request = Request::builder()
            .uri("/api/events")
            .header("cookie", format!("tryghed_session={token}"))
            .body(Body::empty())
            .unwrap();
        let response = router(state.clone()).oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{how}");
        let now = state.hub.now();
        // The command line is another process with its own connection.
        let mut other = Store::open(dir.path()).unwrap();
        match how {
            "log-out" => {
                let (status, _) = call(&state, "POST", "/api/logout", Some(&token), None).await;
                assert_eq!(status, StatusCode::OK);
            }
            "disabled" => assert_eq!(other.disable_user("hanne", "K", now).unwrap(), 1),
            "new password" => {
                let ended = other.set_password("hanne", "a new long password", "K", now);
                assert_eq!(ended.unwrap(), 1);
            }
            _ => {}
        }
        let wait = if how == "expired" { 13 * 3600 } else { 60 };
        let body = axum::body::to_bytes(response.into_body(), 1 << 20);
        let closed = tokio::time::timeout(std::time::Duration::from_secs(wait), body).await;
        assert!(closed.is_ok(), "{how}: the stream is still open");
        let (status, _) = call(&state, "GET", "/api/events", Some(&token), None).await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "{how}: and cannot be opened again"
        );
    }
}

/// A look lasts only while the gate allows it: an opposition recorded
/// during it ends it at once, on record with its rule (R1.4, R3.2), and
/// its silhouette stream ends.
#[tokio::test]
async fn a_look_ends_on_record_when_the_law_changes_during_it() {
    let dir = tempfile::tempdir().unwrap();
    // Tokio's clock, not paused: the look's watch runs in real time.
    let state = state(
        dir.path(),
        Clock::tokio_from(start() + chrono::Duration::hours(1)),
    );
    let hanne = login(&state, "hanne").await;
    let karin = login(&state, "karin").await;
    let (status, body) = call(
        &state,
        "POST",
        "/api/looks",
        Some(&hanne),
        Some((
            "application/json",
            r#"{"resident":"demo-1","minutes":5,"reason":"a call from the room"}"#,
        )),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let look = body["look"].as_str().unwrap().to_string();
    let (status, body) = call(
        &state,
        "POST",
        "/api/residents/demo-1/opposition",
        Some(&karin),
        Some(("application/json", r#"{"by":"resident"}"#)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let resident = tryghed::domain::ResidentId("demo-1".into());
    for _ in 0..50 {
        if !state.live.watched(&resident, state.hub.now()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        !state.live.watched(&resident, state.hub.now()),
        "the look still lasts 5 s after the opposition"
    );
    let view = format!("/api/looks/{look}/view");
    assert_eq!(
        call(&state, "GET", &view, Some(&hanne), None).await.0,
        StatusCode::NOT_FOUND
    );
    let ended: Vec<String> = audit_actions(&state)
        .into_iter()
        .filter(|a| a.starts_with("look.end device") && a.contains(&look))
        .collect();
    assert_eq!(ended.len(), 1, "{ended:?}");
    assert!(ended[0].contains("opposition recorded"), "{ended:?}");
}

/// Every read of a resident's case file is on record under the reader;
/// the residents' list, which phones poll, once an hour per user; a
/// refused log-in under the name when it is a user's, never the text
/// typed when it is not (it may be a password).
#[tokio::test(start_paused = true)]
async fn reads_of_residents_data_and_refused_log_ins_are_on_record() {
    let dir = tempfile::tempdir().unwrap();
    let state = state(
        dir.path(),
        Clock::tokio_from(start() + chrono::Duration::hours(1)),
    );
    let karin = login(&state, "karin").await;
    let hanne = login(&state, "hanne").await;
    for _ in 0..2 {
        let (status, _) = call(
            &state,
            "GET",
            "/api/residents/demo-1/case",
            Some(&karin),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK);
    }
    for _ in 0..3 {
        assert_eq!(
            call(&state, "GET", "/api/residents", Some(&hanne), None)
                .await
                .0,
            StatusCode::OK
        );
    }
    tokio::time::advance(std::time::Duration::from_secs(3600)).await;
    assert_eq!(
        call(&state, "GET", "/api/residents", Some(&hanne), None)
            .await
            .0,
        StatusCode::OK
    );
    for (name, password) in [("hanne", "not her password"), ("Tr0ub4dor&3", "x")] {
        let body = format!(r#"{{"name":"{name}","password":"{password}"}}"#);
        let (status, _) = call(
            &state,
            "POST",
            "/api/login",
            None,
            Some(("application/json", &body)),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    // Polled reads and refusals answer first; their rows follow.
    let mut actions = audit_actions(&state);
    for _ in 0..100 {
        if actions
            .iter()
            .filter(|a| a.starts_with("session.refused"))
            .count()
            == 2
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        std::thread::sleep(std::time::Duration::from_millis(10));
        actions = audit_actions(&state);
    }
    let count = |prefix: &str| actions.iter().filter(|a| a.starts_with(prefix)).count();
    assert_eq!(count("case.read karin"), 2, "{actions:?}");
    assert_eq!(count("residents.read hanne"), 2, "{actions:?}");
    assert_eq!(count("session.refused hanne"), 1, "{actions:?}");
    assert_eq!(count("session.refused unknown"), 1, "{actions:?}");
    assert!(
        !actions.iter().any(|a| a.contains("Tr0ub4dor")),
        "a name nobody has is not kept: {actions:?}"
    );
    assert!(state.hub.store().verify_audit().unwrap().intact());
}
