//! Another process holds the database's write lock (a case officer's
//! command stalled half-way, say) while the staff app is busy: on two async
//! workers, as on the device, reads still answer, log-ins wait for the
//! lock on blocking threads without holding the workers, and a fall
//! reaches the phone's alarm stream while the lock is held. Once the lock
//! is free, every log-in and the fall are stored and the audit chain is
//! whole. The journal is a write-ahead log.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use futures_util::StreamExt;
use tower::ServiceExt;
use tryghed::alarm::{AlarmRequest, AlarmSettings};
use tryghed::care::levels::Level;
use tryghed::deliver::http::{router, AppState};
use tryghed::deliver::live::Live;
use tryghed::deliver::sessions::LogInLimit;
use tryghed::deliver::{Clock, Hub};
use tryghed::domain::{Kind, ResidentId};
use tryghed::store::{Role, Store, DATABASE_FILE};

const PASSWORD: &str = "correct horse battery";
/// Log-ins at once: more than there are async workers.
const LOG_INS: u8 = 6;
/// How long the other process holds the lock at most: below the store's
/// own wait for a lock (5 s), so the log-ins that wait for it succeed.
const HELD_AT_MOST: Duration = Duration::from_millis(4500);

fn app(dir: &std::path::Path) -> AppState {
    let now = chrono::Utc::now();
    let mut store = Store::open(dir).unwrap();
    tryghed::app::product::demo_records(&mut store, now).unwrap();
    store
        .add_user("hanne", Role::Staff, &[], PASSWORD, "test", now)
        .unwrap();
    let hub = Hub::new(store, AlarmSettings::default(), vec![], Clock::system()).unwrap();
    AppState {
        hub: Arc::new(hub),
        login_limit: Arc::new(LogInLimit::default()),
        reads: Default::default(),
        live: Arc::new(Live::default()),
        tls: false,
        certificate: None,
    }
}

fn request(method: &str, path: &str, token: Option<&str>, body: Option<String>) -> Request<Body> {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(token) = token {
        request = request.header("cookie", format!("tryghed_session={token}"));
    }
    match body {
        Some(body) => request
            .header("content-type", "application/json")
            .body(Body::from(body)),
        None => request.body(Body::empty()),
    }
    .unwrap()
}

/// A log-in from a phone of its own (`phone` is its address's last byte,
/// so that the limit per address plays no part).
async fn log_in(state: AppState, phone: u8) -> (StatusCode, serde_json::Value) {
    let body = format!(r#"{{"name":"hanne","password":"{PASSWORD}"}}"#);
    let mut request = request("POST", "/api/login", None, Some(body));
    let address = std::net::SocketAddr::from(([10, 0, 0, phone], 40000));
    request.extensions_mut().insert(ConnectInfo(address));
    let response = router(state).oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 16)
        .await
        .unwrap();
    (status, serde_json::from_slice(&bytes).unwrap_or_default())
}

async fn get(state: &AppState, path: &str, token: &str) -> StatusCode {
    let response = router(state.clone())
        .oneshot(request("GET", path, Some(token), None))
        .await
        .unwrap();
    response.status()
}

/// Raises a fall as the device loop does: on a thread of its own.
fn raise_fall(hub: Arc<Hub>) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let resident = ResidentId("demo-1".into());
        let case = hub.store().case_file(&resident).unwrap();
        let request = AlarmRequest {
            room: "A12".into(),
            resident: Some(resident),
            kind: "fall".into(),
            level: Level::Alarm,
            confidence: 0.9,
            evidence: serde_json::json!({}),
        };
        let permit =
            tryghed::policy::permit_alarm(&case, "fall", Kind::Video, request, hub.now()).unwrap();
        hub.raise(permit).unwrap().expect("a fall is raised").id
    })
}

/// Reads the alarm stream until a step arrives; its text.
async fn next_step(body: &mut axum::body::BodyDataStream) -> String {
    let mut seen = String::new();
    while let Some(chunk) = body.next().await {
        seen.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
        if seen.contains("event: step") && seen.contains("\n\n") {
            return seen;
        }
    }
    panic!("the alarm stream ended: {seen}");
}

#[test]
fn a_held_write_lock_stalls_no_read_stream_or_alarm_and_loses_nothing() {
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    // On a worker, as every request is: `block_on`'s own thread is not one.
    tokio.block_on(tokio.spawn(held_write_lock())).unwrap();
}

async fn held_write_lock() {
    let dir = tempfile::tempdir().unwrap();
    let state = app(dir.path());
    tokio::spawn(state.hub.clone().run_ticker());
    let (status, body) = log_in(state.clone(), 0).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let token = body["token"].as_str().unwrap().to_string();
    let stream = router(state.clone())
        .oneshot(request("GET", "/api/events", Some(&token), None))
        .await
        .unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    let mut stream = stream.into_body().into_data_stream();

    // The other process: a connection of its own holding the write lock.
    let other = rusqlite::Connection::open(dir.path().join(DATABASE_FILE)).unwrap();
    let journal: String = other
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(journal, "wal");
    other.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let released = Arc::new(AtomicBool::new(false));
    let holder = {
        let released = released.clone();
        std::thread::spawn(move || {
            std::thread::sleep(HELD_AT_MOST);
            released.store(true, Ordering::SeqCst);
            other.execute_batch("COMMIT").unwrap();
        })
    };

    let log_ins: Vec<_> = (0..LOG_INS)
        .map(|phone| tokio::spawn(log_in(state.clone(), phone + 1)))
        .collect();
    let fall = raise_fall(state.hub.clone());
    let step = tokio::time::timeout(Duration::from_secs(30), next_step(&mut stream))
        .await
        .expect("the fall reaches the stream");
    let held_at_step = !released.load(Ordering::SeqCst);
    let residents = get(&state, "/api/residents", &token).await;
    let alarms = get(&state, "/api/alarms", &token).await;
    let held_at_reads = !released.load(Ordering::SeqCst);
    println!("step while held: {held_at_step}, reads while held: {held_at_reads}\n{step}");
    assert!(step.contains("\"fall\""), "{step}");
    assert!(held_at_step, "the fall waited for the other process's lock");
    assert_eq!((residents, alarms), (StatusCode::OK, StatusCode::OK));
    assert!(held_at_reads, "reads waited for the other process's lock");

    holder.join().unwrap();
    for log_in in log_ins {
        let (status, body) = log_in.await.unwrap();
        assert_eq!(status, StatusCode::OK, "a log-in that waited: {body}");
    }
    let fall = fall.join().unwrap();
    // The fall waited in memory and is stored at the next try (1 s).
    let mut stored = false;
    for _ in 0..100 {
        let hub = state.hub.clone();
        stored = hub
            .read(|s| s.steps_after(0, 100))
            .await
            .unwrap()
            .iter()
            .any(|(_, s)| s.id == fall);
        if stored {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(stored, "the fall is stored once the lock is free");
    let sessions: i64 = rusqlite::Connection::open(dir.path().join(DATABASE_FILE))
        .unwrap()
        .query_row(
            "SELECT count(*) FROM audit WHERE action = 'session.start'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        sessions,
        1 + i64::from(LOG_INS),
        "every log-in is on record"
    );
    assert!(state.hub.read(|s| s.verify_audit()).await.unwrap().intact());
}
