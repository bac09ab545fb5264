//! The whole product on one device: the room's camera and microphone (or
//! the demo scene and recordings) through vision, sound and the care
//! layer; each care event through the gate to the alarm hub; the staff app
//! on HTTP. Threads for the blocking work (pose model, sound model), tokio
//! for the network and the alarm ticker.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use anyhow::Context;

use super::device_loop::DeviceLoop;
use crate::alarm::device::{DeviceChange, Source};
use crate::audio::analyzer::{SoundAnalyzer, SoundOutput};
use crate::audio::events::EventUpdate;
use crate::audio::wav::WavSource;
use crate::care::zones::Room;
use crate::care::{CareEvent, RoomWatch, SoundCue};
use crate::config::Config;
use crate::deliver::http::{router, AppState};
use crate::deliver::live::{Live, SilhouetteView};
use crate::deliver::sessions::LogInLimit;
use crate::deliver::{Clock, Hub};
use crate::domain::{DeviceFault, Kind, ResidentId};
use crate::inference::Runtime;
use crate::link::device::DeviceLink;
use crate::photo_cases::DemoScene;
use crate::store::Store;
use crate::vision::PoseTracker;

/// Where the room's pictures come from.
pub enum RoomSource {
    /// No camera: a room watched by sound alone (a basis for sound only).
    None,
    /// A live camera (see `tryghed cameras`).
    Camera { index: u32 },
    /// The demo scene, made in memory from the fixture photo; with
    /// `camera_stops_at`, its camera goes dark then (to show a device fault).
    Scene {
        photos: PathBuf,
        fps: f64,
        camera_stops_at: Option<f64>,
    },
}

pub struct ProductOptions {
    pub data_dir: PathBuf,
    pub bind: SocketAddr,
    pub resident: ResidentId,
    pub room: String,
    pub source: RoomSource,
    /// Where the room's sound comes from.
    pub sound: SoundSource,
    /// The room's zones, when the installer has drawn them.
    pub room_file: Option<PathBuf>,
    /// Stop after this long (tests); `None` runs until Ctrl-C.
    pub seconds: Option<f64>,
    /// Serve the staff app over TLS (always for an address off loopback).
    pub tls: bool,
    /// Join this hub: no staff app here, the law from the hub's permit,
    /// events to the hub.
    pub join: Option<crate::link::Bundle>,
}

/// Where the room's sound comes from.
pub enum SoundSource {
    None,
    /// Recordings played into the analysis one after another, looping, at
    /// the pace of real sound (the demo).
    Files(Vec<PathBuf>),
    /// A live microphone, by ALSA name (`None`: the system's default).
    Microphone(Option<String>),
}

/// What the running product says on its terminal, a line at a time.
pub type Say = Box<dyn Fn(String) + Send + Sync>;

/// Refuses an address a phone on the network could reach while the
/// traffic would be plain: sound and alarms must not go out readable (R5.3).
pub fn check_bind(bind: &SocketAddr, tls: bool) -> anyhow::Result<()> {
    if !bind.ip().is_loopback() && !tls {
        anyhow::bail!("{bind}: the staff app serves other machines only over TLS (R5.3); leave TLS on or bind to 127.0.0.1");
    }
    Ok(())
}

pub fn run(
    runtime: &Runtime,
    config: &Config,
    options: ProductOptions,
    say: Say,
) -> anyhow::Result<()> {
    check_bind(&options.bind, options.tls)?;
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the network runtime")?;
    tokio.block_on(serve(runtime, config, options, Arc::new(say)))
}

async fn serve(
    runtime: &Runtime,
    config: &Config,
    options: ProductOptions,
    say: Arc<Say>,
) -> anyhow::Result<()> {
    let mut store = Store::open(&options.data_dir)?;
    end_looks_left_open(&mut store, &say);
    let hub = Arc::new(Hub::new(
        store,
        config.alarms.clone(),
        config.outlets.names(),
        Clock::system(),
    )?);
    let live = Arc::new(Live::default());
    let link = match &options.join {
        Some(bundle) => Some(join_hub(bundle, &hub, config, &say)?),
        None => {
            let at = StaffAppAt {
                data_dir: options.data_dir.clone(),
                bind: options.bind,
                tls: options.tls,
            };
            serve_staff(&hub, config, &at, live.clone(), &say).await?;
            None
        }
    };

    let beats = Arc::new(Beats::default());
    let (events_tx, events_rx) = tokio::sync::mpsc::channel::<CareEvent>(256);
    let (faults_tx, faults_rx) = tokio::sync::mpsc::channel::<DeviceChange>(64);
    // One care layer for the room, fed by whichever sources run: sound
    // alarms need no camera, and a source can shut and open again alone.
    let (care_tx, care_rx) = mpsc::sync_channel::<CareInput>(64);
    let room_zones = match &options.room_file {
        Some(file) => Room::load(file).map_err(anyhow::Error::msg)?,
        None => Room::unzoned(640, 480),
    };
    let mut watch = RoomWatch::new(
        room_zones,
        config
            .alerts
            .care_for(&config.care, Some(&options.resident.0)),
    );
    let kept_up = hub.store().camera_up().unwrap_or_else(|e| {
        tracing::warn!("the camera's learnt tilt is not read, it is learnt again: {e}");
        None
    });
    if let Some(kept) = kept_up {
        watch.resume_up(kept.up, kept.frames);
    }
    let room = RoomView {
        live: live.clone(),
        resident: options.resident.clone(),
        hub: hub.clone(),
        beats: beats.clone(),
    };
    let starter = Starter {
        runtime,
        config,
        options: &options,
        room: room.clone(),
        care: care_tx,
        faults: faults_tx,
        started: Instant::now(),
    };
    let care_thread = std::thread::Builder::new()
        .name("care".into())
        .spawn(move || care_for_room(watch, care_rx, room, events_tx))?;
    let deadline = options
        .seconds
        .map(|s| tokio::time::Instant::now() + Duration::from_secs_f64(s));
    let device = DeviceLoop::open(hub, config, &options, say, starter, beats, link)?;
    device.run(events_rx, faults_rx, deadline).await;
    // The sources have ended; the care layer ends with its last sender.
    let _ = care_thread.join();
    Ok(())
}

/// Where the staff app is served, and its folder (for its certificate).
pub(super) struct StaffAppAt {
    pub data_dir: PathBuf,
    pub bind: SocketAddr,
    pub tls: bool,
}

/// The staff app, its alarm ticker and the outlets: on the hub, or on a
/// device that is its own hub.
pub(super) async fn serve_staff(
    hub: &Arc<Hub>,
    config: &Config,
    options: &StaffAppAt,
    live: Arc<Live>,
    say: &Say,
) -> anyhow::Result<()> {
    // The certificate files were checked with the settings; read them
    // again now, so one that went away since is said at start.
    if let Some(mqtt) = &config.outlets.mqtt {
        let tls = mqtt
            .client_tls()
            .map_err(|e| anyhow::anyhow!("outlets.{e}"))?;
        let over = if tls.is_some() {
            "TLS"
        } else {
            "plain text on loopback"
        };
        tokio::spawn(crate::deliver::outlets::run_mqtt(
            hub.clone(),
            mqtt.clone(),
            tls,
        ));
        say(format!(
            "alarms also go to MQTT at {} over {over} ({}/ROOM/KIND)",
            mqtt.broker, mqtt.topic_prefix
        ));
    }
    if let Some(webhook) = &config.outlets.webhook {
        let tls = webhook
            .client_tls()
            .map_err(|e| anyhow::anyhow!("outlets.{e}"))?;
        tokio::spawn(crate::deliver::outlets::run_webhook(
            hub.clone(),
            webhook.clone(),
            tls,
        ));
        say(format!("alarms also go to the webhook {}", webhook.url));
    }
    let listener = tokio::net::TcpListener::bind(options.bind)
        .await
        .with_context(|| format!("{}: cannot listen", options.bind))?;
    let address = listener.local_addr()?;
    let (tls, certificate) = if options.tls {
        let names = crate::deliver::tls::names_for(address.ip());
        let (tls, fingerprint) = crate::deliver::tls::load_or_create(&options.data_dir, &names)?;
        say(format!("staff app: https://{address}/"));
        say(format!("certificate for {}", names.join(", ")));
        say(format!("certificate SHA-256 fingerprint: {fingerprint} (check it on the phone before trusting it)"));
        let certificate = crate::deliver::tls::Certificate { fingerprint, names };
        (Some(tls), Some(Arc::new(certificate)))
    } else {
        say(format!("staff app: http://{address}/"));
        (None, None)
    };
    let state = AppState {
        hub: hub.clone(),
        login_limit: Arc::new(LogInLimit::default()),
        reads: Default::default(),
        live: live.clone(),
        tls: options.tls,
        certificate,
    };
    tokio::spawn(crate::deliver::serve::serve(listener, tls, router(state)));
    tokio::spawn(hub.clone().run_ticker());
    Ok(())
}

/// Joins the hub of `bundle`: the link starts, and the device's gate waits
/// for its first permit.
fn join_hub(
    bundle: &crate::link::Bundle,
    hub: &Arc<Hub>,
    config: &Config,
    say: &Arc<Say>,
) -> anyhow::Result<DeviceLink> {
    let state = crate::link::device::DeviceState {
        camera: crate::protocol::SourceState::Shut,
        microphone: crate::protocol::SourceState::Shut,
        models: model_hashes(&config.models_dir),
    };
    let said = say.clone();
    let link = DeviceLink::start(
        bundle.clone(),
        hub.clone(),
        state,
        Box::new(move |line| said(line)),
    )
    .map_err(|e| anyhow::anyhow!("{}: {e}", bundle.dir.display()))?;
    say(format!(
        "room {}: joining its hub through {}; nothing opens before the hub's permit",
        bundle.room,
        bundle.brokers.join(", ")
    ));
    Ok(link)
}

/// Each model file's SHA-256, for the installer's view at the hub.
fn model_hashes(dir: &std::path::Path) -> std::collections::BTreeMap<String, String> {
    use sha2::Digest;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Default::default();
    };
    entries
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "onnx"))
        .filter_map(|e| {
            let bytes = std::fs::read(e.path()).ok()?;
            let name = e.file_name().into_string().ok()?;
            Some((name, hex::encode(sha2::Sha256::digest(&bytes))))
        })
        .collect()
}

/// Ctrl-C, or SIGTERM (how systemd stops a service): the device stops its
/// sources and ends cleanly.
pub(super) async fn stop_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// Heartbeats of the running sources, counted by their threads and read by
/// the device's own watch once a second.
#[derive(Default)]
pub struct Beats {
    camera: std::sync::atomic::AtomicU64,
    pipeline: std::sync::atomic::AtomicU64,
    microphone: std::sync::atomic::AtomicU64,
}

impl Beats {
    pub(super) fn beat(&self, source: Source) {
        self.counter(source).fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn get(&self, source: Source) -> u64 {
        self.counter(source).load(Ordering::Relaxed)
    }

    fn counter(&self, source: Source) -> &std::sync::atomic::AtomicU64 {
        match source {
            Source::Camera => &self.camera,
            Source::Pipeline => &self.pipeline,
            Source::Microphone => &self.microphone,
        }
    }
}

/// What the vision and care threads tell staff of the room: the
/// resident's posture, and the silhouette only while a look is open.
#[derive(Clone)]
struct RoomView {
    live: Arc<Live>,
    resident: ResidentId,
    hub: Arc<Hub>,
    beats: Arc<Beats>,
}

/// A camera or microphone that would not start: exit code 3, as other
/// device faults at start.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct DeviceStartError(pub String);

/// The pictures the vision thread analyses.
enum Frames {
    Scene {
        scene: DemoScene,
        fps: f64,
        stops_at: Option<f64>,
    },
    Camera(super::CaptureStage),
}

impl Frames {
    /// The next frame, or `None` when none came (the camera is dark, or the
    /// demo's camera stopped); waits at most a moment.
    fn next(
        &mut self,
        t: f64,
        next_due: &mut Instant,
        faults: &tokio::sync::mpsc::Sender<DeviceChange>,
    ) -> Option<Result<crate::capture::Frame, String>> {
        match self {
            Frames::Scene {
                scene,
                fps,
                stops_at,
            } => {
                let period = Duration::from_secs_f64(1.0 / fps.clamp(1.0, 60.0));
                let now = Instant::now();
                if *next_due > now {
                    std::thread::sleep(*next_due - now);
                }
                *next_due = (*next_due + period).max(Instant::now());
                // A dark camera: no frame, no beat; the device's watch notices.
                if stops_at.is_some_and(|at| t >= at) {
                    return None;
                }
                Some(scene.frame_at(t).map_err(|e| e.to_string()))
            }
            Frames::Camera(stage) => {
                while let Ok(message) = stage.faults.try_recv() {
                    let _ = faults.blocking_send(DeviceChange::Fault {
                        fault: DeviceFault::CameraSilent,
                        detail: format!("camera: {message}"),
                    });
                }
                match stage.frames.recv_timeout(Duration::from_millis(200)) {
                    Ok(frame) => frame.map(Ok),
                    Err(()) => {
                        std::thread::sleep(Duration::from_millis(200));
                        None
                    }
                }
            }
        }
    }
}

/// What the care thread is given: the poses of a frame from the vision
/// thread, an event that began from the sound thread.
enum CareInput {
    Poses {
        t: f64,
        poses: Vec<crate::domain::Pose>,
    },
    Cue {
        known: f64,
        cue: SoundCue,
    },
}

/// Starts the room's sources, at start and again whenever the gate allows
/// one that was off.
pub(super) struct Starter<'a> {
    runtime: &'a Runtime,
    config: &'a Config,
    options: &'a ProductOptions,
    room: RoomView,
    care: mpsc::SyncSender<CareInput>,
    faults: tokio::sync::mpsc::Sender<DeviceChange>,
    pub(super) started: Instant,
}

impl Starter<'_> {
    /// The vision thread on the camera (or the demo scene).
    pub(super) fn vision(
        &self,
        stop: Arc<AtomicBool>,
    ) -> anyhow::Result<std::thread::JoinHandle<()>> {
        let tracker = PoseTracker::load(
            self.runtime,
            &self.config.models_dir,
            self.config.vision.clone(),
        )?;
        let frames = match &self.options.source {
            RoomSource::Scene {
                photos,
                fps,
                camera_stops_at,
            } => Frames::Scene {
                scene: DemoScene::load(photos).map_err(anyhow::Error::msg)?,
                fps: *fps,
                stops_at: *camera_stops_at,
            },
            RoomSource::Camera { index } => Frames::Camera(
                super::spawn_camera(*index)
                    .map_err(|e| anyhow::Error::new(DeviceStartError(e.to_string())))?,
            ),
            RoomSource::None => anyhow::bail!("this room has no camera"),
        };
        let (room, care, faults, started) = (
            self.room.clone(),
            self.care.clone(),
            self.faults.clone(),
            self.started,
        );
        Ok(std::thread::Builder::new()
            .name("vision".into())
            .spawn(move || see_room(frames, tracker, room, care, faults, started, stop))?)
    }

    /// The sound thread on the microphone (or the demo's recordings); none
    /// when the room has no microphone.
    pub(super) fn sound(
        &self,
        stop: Arc<AtomicBool>,
    ) -> anyhow::Result<Option<std::thread::JoinHandle<()>>> {
        if matches!(self.options.sound, SoundSource::None) {
            return Ok(None);
        }
        let analyzer =
            SoundAnalyzer::load(self.runtime, &self.config.models_dir, &self.config.sound)?;
        let (care, faults, beats, started) = (
            self.care.clone(),
            self.faults.clone(),
            self.room.beats.clone(),
            self.started,
        );
        let thread = std::thread::Builder::new().name("sound".into());
        Ok(Some(match &self.options.sound {
            SoundSource::Files(files) => {
                let files = files.clone();
                thread
                    .spawn(move || listen_to(files, analyzer, care, faults, beats, started, stop))?
            }
            SoundSource::Microphone(name) => {
                let stage = super::spawn_microphone(name.clone())
                    .map_err(|e| anyhow::Error::new(DeviceStartError(e.to_string())))?;
                thread.spawn(move || {
                    listen_live(stage, analyzer, care, faults, beats, started, stop)
                })?
            }
            SoundSource::None => return Ok(None),
        }))
    }
}

/// The care thread: the room's care layer over poses and sound cues as
/// they come, events out, the resident's posture to the staff app.
fn care_for_room(
    mut watch: RoomWatch,
    inputs: mpsc::Receiver<CareInput>,
    room: RoomView,
    events: tokio::sync::mpsc::Sender<CareEvent>,
) {
    let mut kept_frames = watch.learnt_up().map_or(0, |(_, frames)| frames);
    for input in inputs {
        let out = match input {
            CareInput::Cue { known, cue } => watch.push_sound(known, &cue),
            CareInput::Poses { t, poses } => {
                let result = watch.push(t, &poses);
                if let Some((_, posture)) = result.postures.first() {
                    room.live
                        .set_posture(&room.resident, posture.name(), room.hub.now());
                }
                keep_camera_up(&watch, &mut kept_frames, &room);
                result.events
            }
        };
        for event in out {
            if events.blocking_send(event).is_err() {
                return;
            }
        }
    }
}

/// Learnt standing frames between two saves of the camera's tilt.
const KEEP_UP_EVERY_FRAMES: u32 = 300;

/// Keeps the room's up as learnt, now and then, so a restart starts from it.
fn keep_camera_up(watch: &RoomWatch, kept_frames: &mut u32, room: &RoomView) {
    let Some((up, frames)) = watch.learnt_up() else {
        return;
    };
    if frames < kept_frames.saturating_add(KEEP_UP_EVERY_FRAMES) {
        return;
    }
    *kept_frames = frames;
    let learnt = crate::store::LearntUp {
        up,
        frames,
        kept_at: room.hub.now(),
    };
    if let Err(e) = room.hub.change(|s| s.keep_camera_up(&learnt)) {
        tracing::warn!("the camera's learnt tilt is not kept: {e}");
    }
}

/// The vision thread: frames to poses for the care thread, and the
/// silhouette while someone looks.
fn see_room(
    mut frames: Frames,
    mut tracker: PoseTracker,
    room: RoomView,
    care: mpsc::SyncSender<CareInput>,
    faults: tokio::sync::mpsc::Sender<DeviceChange>,
    started: Instant,
    stop: Arc<AtomicBool>,
) {
    let mut next_due = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        let t = started.elapsed().as_secs_f64();
        let Some(frame) = frames.next(t, &mut next_due, &faults) else {
            continue;
        };
        let t = started.elapsed().as_secs_f64();
        let now = room.hub.now();
        let watched = room.live.watched(&room.resident, now);
        let seen = frame.and_then(|frame| {
            room.beats.beat(Source::Camera);
            let persons = tracker.track(&frame).map_err(|e| e.to_string())?;
            room.beats.beat(Source::Pipeline);
            // Drawn only while someone looks (R3.2, R8.4): from masks and keypoints, never pixels (R6.1).
            let silhouette = watched.then(|| {
                crate::vision::silhouette::Silhouette::draw(frame.width(), frame.height(), persons)
            });
            Ok((
                persons.iter().map(|v| v.pose.clone()).collect::<Vec<_>>(),
                silhouette,
            ))
        });
        let poses = match seen {
            Ok((poses, silhouette)) => {
                if let Some(s) = silhouette {
                    let cells = s
                        .cells()
                        .iter()
                        .map(|c| char::from(b'0' + c.min(&3)))
                        .collect();
                    room.live.publish(
                        &room.resident,
                        SilhouetteView {
                            width: s.width(),
                            height: s.height(),
                            cells,
                        },
                    );
                }
                poses
            }
            Err(detail) => {
                let _ = faults.blocking_send(DeviceChange::Fault {
                    fault: DeviceFault::ModelFailed,
                    detail: format!("vision: {detail}"),
                });
                Vec::new()
            }
        };
        if care.send(CareInput::Poses { t, poses }).is_err() {
            return;
        }
    }
}

/// One piece of sound through the analyzer (the chunk is wiped as it
/// drops here): the events that began in it, as cues timed from
/// `offset`. A failing model is a device fault, not a silent skip.
fn began(
    analyzer: &mut SoundAnalyzer,
    chunk: crate::audio::AudioChunk,
    offset: f64,
    faults: &tokio::sync::mpsc::Sender<DeviceChange>,
) -> Vec<SoundCue> {
    let outputs = match analyzer.push(&chunk) {
        Ok(outputs) => outputs,
        Err(e) => {
            let _ = faults.blocking_send(DeviceChange::Fault {
                fault: DeviceFault::ModelFailed,
                detail: format!("sound: {e}"),
            });
            Vec::new()
        }
    };
    drop(chunk);
    outputs
        .into_iter()
        .filter_map(|output| match output {
            SoundOutput::Event(EventUpdate::Began(e)) => Some(SoundCue {
                kind: e.kind,
                start_s: offset + e.start_s,
                end_s: None,
                score: e.score,
                classes: e.classes,
            }),
            _ => None,
        })
        .collect()
}

/// The sound thread on a live microphone: each event that begins is a cue.
fn listen_live(
    stage: super::SoundStage,
    mut analyzer: SoundAnalyzer,
    care: mpsc::SyncSender<CareInput>,
    faults: tokio::sync::mpsc::Sender<DeviceChange>,
    beats: Arc<Beats>,
    started: Instant,
    stop: Arc<AtomicBool>,
) {
    let offset = started.elapsed().as_secs_f64();
    while !stop.load(Ordering::Relaxed) {
        while let Ok(message) = stage.faults.try_recv() {
            let _ = faults.blocking_send(DeviceChange::Fault {
                fault: DeviceFault::MicrophoneSilent,
                detail: format!("microphone: {message}"),
            });
        }
        let chunk = match stage.chunks.recv_timeout(Duration::from_millis(200)) {
            Ok(chunk) => chunk,
            Err(mpsc::RecvTimeoutError::Timeout) => continue,
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                // The microphone has gone: its silence becomes a device fault.
                std::thread::sleep(Duration::from_millis(200));
                continue;
            }
        };
        beats.beat(Source::Microphone);
        for cue in began(&mut analyzer, chunk, offset, &faults) {
            if care
                .send(CareInput::Cue {
                    known: started.elapsed().as_secs_f64(),
                    cue,
                })
                .is_err()
            {
                return;
            }
        }
    }
    let _ = stage.stop();
}

/// The sound thread: recordings one after another at the pace of real
/// sound, through the analyzer; each event that begins is a cue.
fn listen_to(
    files: Vec<PathBuf>,
    mut analyzer: SoundAnalyzer,
    care: mpsc::SyncSender<CareInput>,
    faults: tokio::sync::mpsc::Sender<DeviceChange>,
    beats: Arc<Beats>,
    started: Instant,
    stop: Arc<AtomicBool>,
) {
    let offset = started.elapsed().as_secs_f64();
    let mut heard = 0.0f64;
    for file in files.iter().cycle() {
        let mut source = match WavSource::open(file) {
            Ok(source) => source,
            Err(e) => {
                let _ = faults.blocking_send(DeviceChange::Fault {
                    fault: DeviceFault::MicrophoneSilent,
                    detail: e.to_string(),
                });
                return;
            }
        };
        let file_start = heard;
        loop {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            let chunk = match source.next_chunk() {
                Ok(Some(chunk)) => chunk,
                Ok(None) | Err(_) => break,
            };
            heard += chunk.samples().len() as f64 / f64::from(crate::audio::SAMPLE_RATE);
            beats.beat(Source::Microphone);
            for cue in began(&mut analyzer, chunk, offset + file_start, &faults) {
                if care
                    .send(CareInput::Cue {
                        known: offset + heard,
                        cue,
                    })
                    .is_err()
                {
                    return;
                }
            }
            // Real time: a recording is heard as fast as it was made.
            let ahead = offset + heard - started.elapsed().as_secs_f64();
            if ahead > 0.0 {
                std::thread::sleep(Duration::from_secs_f64(ahead));
            }
        }
        let _ = analyzer.finish();
        // A moment of quiet between recordings.
        std::thread::sleep(Duration::from_secs(2));
        heard = started.elapsed().as_secs_f64() - offset;
    }
}

/// Puts on record the end of every look the device stopped during; a
/// store that cannot take it now is tried again at the next start.
pub(super) fn end_looks_left_open(store: &mut Store, say: &Say) {
    match store.end_looks_left_open(chrono::Utc::now()) {
        Ok(left) => {
            for open in left {
                say(format!(
                    "look {} ended on record: the device stopped while it lasted",
                    open.look
                ));
            }
        }
        Err(e) => tracing::warn!("looks left open by a stop are not ended on record yet: {e}"),
    }
}

/// A demo log-in: name, role, password.
pub type DemoLogin = (String, crate::store::Role, String);

/// The demo's own records in a fresh data folder: a resident in room A12
/// who consented to video and sound with reactive alarms and 5-minute
/// looks, told that AI is used; and a log-in of each role with a fresh
/// password. Returns (resident, room, [(name, role, password)]).
pub fn demo_records(
    store: &mut Store,
    now: crate::policy::Time,
) -> anyhow::Result<(ResidentId, String, Vec<DemoLogin>)> {
    use crate::policy::{
        AiDisclosure, BasisType, CaseDocuments, ConsentGiven, LegalBasis, Party, Resident,
    };
    let resident = ResidentId("demo-1".into());
    let room = "A12".to_string();
    store.add_resident(
        &Resident {
            id: resident.clone(),
            room: room.clone(),
            display_name: "Demo".into(),
            representatives: vec![],
        },
        "demo",
        now,
    )?;
    let before = now - chrono::Duration::days(1);
    let basis = LegalBasis {
        id: "demo-consent".into(),
        resident: resident.clone(),
        basis_type: BasisType::Consent,
        kinds: [Kind::Video, Kind::Sound].into_iter().collect(),
        reactive_alarm: true,
        supervision_max_minutes: Some(5),
        start: before,
        end: Some(now + chrono::Duration::days(30)),
        decided_by: "demo case officer".into(),
        hearing: None,
        informed: vec![],
        consent: Some(ConsentGiven {
            by: Party::Resident,
            at: before,
        }),
        documents: CaseDocuments::default(),
        dpia: None,
        signals: crate::policy::SIGNALS
            .iter()
            .filter(|(_, k)| matches!(k, Kind::Video | Kind::Sound))
            .map(|(s, _)| s.to_string())
            .collect(),
        stopped: None,
        // Consent: the order, and so its facts, do not apply (§ 1 stk. 2).
        facts: Default::default(),
    };
    store.record_basis(&basis, "demo", now)?;
    store.record_disclosure(
        &AiDisclosure {
            resident: resident.clone(),
            informed: Party::Resident,
            by: "demo case officer".into(),
            at: before,
            how: "told in person, with the leaflet".into(),
        },
        "demo",
        now,
    )?;
    let mut users = Vec::new();
    for (name, role) in [
        ("personale", crate::store::Role::Staff),
        ("visitator", crate::store::Role::CaseOfficer),
        ("installator", crate::store::Role::Installer),
        ("revisor", crate::store::Role::Auditor),
    ] {
        let mut bytes = [0u8; 9];
        getrandom::fill(&mut bytes)
            .map_err(|e| anyhow::anyhow!("no randomness for a password: {e}"))?;
        let password = hex::encode(bytes);
        store.add_user(name, role, &[], &password, "demo", now)?;
        users.push((name.to_string(), role, password));
    }
    Ok((resident, room, users))
}
