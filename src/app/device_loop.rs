//! The device's own loop once it runs: each care event through the gate to
//! the hub, faults from the sources, and once a second the law (a source
//! the gate no longer allows shuts, one it allows again opens), the
//! sources' heartbeats, the outlets, the disk and the store.
//!
//! No storage error ends it. The gate falls back on the last case file
//! read, whose basis still ends on time; gate audit rows wait in memory
//! until the store takes them; alarm steps wait in the hub; and the
//! failing store is itself a device fault alarm. A record that does not
//! match its seal on the audit chain is different: the law can no longer
//! be read, so the gate opens nothing until it is restored, and says so
//! as a device fault alarm.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use tokio::sync::mpsc::Receiver;

use super::product::{Beats, ProductOptions, Say, Starter};
use super::systemd;
use crate::alarm::device::{DeviceChange, DeviceWatch, Source};
use crate::alarm::{AlarmRequest, Now};
use crate::care::CareEvent;
use crate::config::Config;
use crate::deliver::Hub;
use crate::domain::{DeviceFault, Kind};
use crate::link::device::DeviceLink;
use crate::policy::{
    may_open, permit_alarm, permit_device_fault, CaseFile, Denial, Permitted, Resident, SourceOpen,
    Time,
};
use crate::protocol::{Evidence, Happened, SourceState};
use crate::store::{StoreError, Tampered};

/// Gate audit rows kept in memory at most while the store fails.
const MAX_WAITING_AUDITS: usize = 1_000;
/// A source stays missed this long before it is a fault.
const SILENT_AFTER_S: i64 = 10;
/// How often what the retention settings no longer allow is deleted.
const PRUNE_EVERY_S: u64 = 3600;
/// How often the store is written to, so that a disk that takes nothing
/// is an alarm within seconds, not when the next alarm needs it.
const PROBE_EVERY_S: u64 = 10;

/// One source under the gate: it shuts and opens again alone (R2.2).
struct Gated {
    present: bool,
    running: bool,
    stop: Arc<AtomicBool>,
    watched: &'static [Source],
}

impl Gated {
    /// What the hub is told of this source.
    fn state(&self) -> SourceState {
        match (self.present, self.running) {
            (false, _) => SourceState::Absent,
            (true, true) => SourceState::Open,
            (true, false) => SourceState::Shut,
        }
    }
}

/// A care event through the gate under the hub's permit, then kept for
/// the hub (which checks it against the case file again).
fn to_hub(link: &DeviceLink, event: &CareEvent, now: Time) -> Option<String> {
    let permitted = link.permit_alarm(event.kind.name(), event.kind.signal(), (), now);
    let (_, permit) = match permitted {
        Ok(permitted) => permitted,
        Err(denial) => {
            tracing::debug!("{}: kept back by the gate: {denial}", event.kind);
            return None;
        }
    };
    let what = Happened::Care {
        kind: event.kind.name().to_string(),
        resident: permit.resident,
        permit_sequence: permit.sequence,
        confidence: event.confidence,
        evidence: Evidence::of(&event.evidence),
    };
    link.send(what, now)
        .map_err(|e| tracing::error!("{}: not kept for the hub: {e}", event.kind))
        .ok()
}

/// Until the next new permit; never when the device is its own hub (or
/// its link has ended).
async fn next_permit(permits: &mut Option<tokio::sync::watch::Receiver<u64>>) {
    let changed = match permits {
        Some(p) => p.changed().await.is_ok(),
        None => false,
    };
    if !changed {
        std::future::pending::<()>().await;
    }
}

/// A gate decision the store has not taken yet.
struct GateAudit {
    action: &'static str,
    kind: Kind,
    why: String,
    at: Time,
}

pub(super) struct DeviceLoop<'a> {
    hub: Arc<Hub>,
    config: &'a Config,
    options: &'a ProductOptions,
    say: Arc<Say>,
    starter: Starter<'a>,
    beats: Arc<Beats>,
    /// The case file as last read.
    case: CaseFile,
    /// Why the store could not be read or written, while it cannot.
    read_failure: Option<String>,
    /// A record that does not match the chain, while it does not.
    tampered: Option<Tampered>,
    audit_failure: Option<String>,
    probe_failure: Option<String>,
    video: Gated,
    sound: Gated,
    watch: DeviceWatch,
    seen_beats: [u64; 3],
    seconds: u64,
    /// When each fault was last raised, on the steady clock.
    last_reported: BTreeMap<DeviceFault, f64>,
    threads: Vec<JoinHandle<()>>,
    audits: VecDeque<GateAudit>,
    /// Whether systemd watches this process (`WatchdogSec`).
    watchdog: bool,
    /// The hub this device has joined: the law comes from its permit, and
    /// events go to it. `None`: the device is its own hub.
    link: Option<DeviceLink>,
}

impl<'a> DeviceLoop<'a> {
    /// Reads the case file and opens what the gate allows (R1, R2, R8.2),
    /// each decision audited. A source that will not start is an error here.
    pub(super) fn open(
        hub: Arc<Hub>,
        config: &'a Config,
        options: &'a ProductOptions,
        say: Arc<Say>,
        starter: Starter<'a>,
        beats: Arc<Beats>,
        link: Option<DeviceLink>,
    ) -> anyhow::Result<DeviceLoop<'a>> {
        let read = match link {
            // Joined to a hub: no records here, the permit is the law.
            Some(_) => Ok(closed_case(options)),
            None => hub.store().case_file(&options.resident),
        };
        let (case, tampered) = match read {
            Ok(case) => (case, None),
            Err(StoreError::Tampered(tampered)) => (closed_case(options), Some(tampered)),
            Err(e) => return Err(e.into()),
        };
        let now = hub.read_clock();
        let gated = |present, watched| Gated {
            present,
            running: false,
            stop: Arc::new(AtomicBool::new(false)),
            watched,
        };
        let mut device = DeviceLoop {
            video: gated(
                !matches!(options.source, super::product::RoomSource::None),
                &[Source::Camera, Source::Pipeline],
            ),
            sound: gated(
                !matches!(options.sound, super::product::SoundSource::None),
                &[Source::Microphone],
            ),
            watch: DeviceWatch::new(&[], chrono::Duration::seconds(SILENT_AFTER_S), now),
            hub,
            config,
            options,
            say,
            starter,
            beats,
            case,
            read_failure: None,
            tampered: None,
            audit_failure: None,
            probe_failure: None,
            seen_beats: [0; 3],
            seconds: 0,
            last_reported: BTreeMap::new(),
            threads: Vec::new(),
            audits: VecDeque::new(),
            watchdog: systemd::watchdog().is_some(),
            link,
        };
        if let Some(tampered) = tampered {
            device.records_tampered(tampered, now.wall);
        }
        for kind in [Kind::Video, Kind::Sound] {
            device.open_at_start(kind, now)?;
        }
        systemd::notify("READY=1");
        Ok(device)
    }

    fn open_at_start(&mut self, kind: Kind, now: Now) -> anyhow::Result<()> {
        if !self.gated(kind).present {
            (self.say)(format!("{}: none in this room", kind.name()));
            return Ok(());
        }
        match self.may_open(kind, now.wall) {
            Ok(permit) => {
                let why = format!("basis {}", permit.basis_id());
                self.audit("gate.open", kind, &why, now.wall);
                let stop = self.gated(kind).stop.clone();
                let thread = self.start(kind, stop)?;
                self.running(kind, thread, now);
                (self.say)(format!("{}: open ({why})", kind.name()));
            }
            Err(denial) => {
                self.audit("gate.refused", kind, &denial.to_string(), now.wall);
                (self.say)(format!("{}: stays off: {denial}", kind.name()));
            }
        }
        Ok(())
    }

    fn gated(&mut self, kind: Kind) -> &mut Gated {
        if kind == Kind::Video {
            &mut self.video
        } else {
            &mut self.sound
        }
    }

    fn start(&self, kind: Kind, stop: Arc<AtomicBool>) -> anyhow::Result<Option<JoinHandle<()>>> {
        if kind == Kind::Video {
            self.starter.vision(stop).map(Some)
        } else {
            self.starter.sound(stop)
        }
    }

    fn running(&mut self, kind: Kind, thread: Option<JoinHandle<()>>, now: Now) {
        self.threads.extend(thread);
        self.gated(kind).running = true;
        self.watch_running(now);
    }

    /// The device watches the sources that run, and no others.
    fn watch_running(&mut self, now: Now) {
        let sources: Vec<Source> = [&self.video, &self.sound]
            .into_iter()
            .filter(|g| g.running)
            .flat_map(|g| g.watched.iter().copied())
            .collect();
        self.watch.set_sources(&sources, now);
    }

    /// Runs until `deadline` (if any), Ctrl-C or SIGTERM, then stops the
    /// sources and waits for their threads.
    pub(super) async fn run(
        mut self,
        mut events: Receiver<CareEvent>,
        mut faults: Receiver<DeviceChange>,
        deadline: Option<tokio::time::Instant>,
    ) {
        let mut health = tokio::time::interval(std::time::Duration::from_secs(1));
        let until_deadline = async {
            match deadline {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::pin!(until_deadline);
        let stop = super::product::stop_signal();
        tokio::pin!(stop);
        let mut permits = self.link.as_ref().map(DeviceLink::permits);
        loop {
            tokio::select! {
                // A new permit is obeyed at once (an opposition within 2 s).
                _ = next_permit(&mut permits) => {
                    let now = self.hub.read_clock();
                    for kind in [Kind::Video, Kind::Sound] {
                        self.follow_the_law(kind, now);
                    }
                }
                Some(event) = events.recv() => self.on_event(event),
                Some(DeviceChange::Fault { fault, detail }) = faults.recv() => {
                    self.on_source_fault(fault, &detail, self.hub.read_clock());
                }
                _ = health.tick() => self.every_second(),
                _ = &mut until_deadline => break,
                _ = &mut stop => break,
            }
        }
        systemd::notify("STOPPING=1");
        self.finish();
    }

    fn finish(self) {
        self.video.stop.store(true, Ordering::Relaxed);
        self.sound.stop.store(true, Ordering::Relaxed);
        for thread in self.threads {
            let _ = thread.join();
        }
    }

    /// A care event through the gate to the hub. The case is read again
    /// for every event: an opposition recorded a second ago counts.
    fn on_event(&mut self, event: CareEvent) {
        if let Some(link) = &self.link {
            if let Some(id) = to_hub(link, &event, self.hub.now()) {
                (self.say)(format!(
                    "{:>7.1} s  {} to the hub (event {id})",
                    self.starter.started.elapsed().as_secs_f64(),
                    event.kind
                ));
            }
            return;
        }
        let resident = &self.options.resident;
        let local = chrono::Local::now().time();
        let level = self
            .config
            .alerts
            .level(event.kind.name(), Some(&resident.0), local);
        let request = AlarmRequest {
            room: self.options.room.clone(),
            resident: Some(resident.clone()),
            kind: event.kind.name().to_string(),
            level,
            confidence: event.confidence,
            evidence: serde_json::json!({ "rule": event.evidence.rule, "values": event.evidence.values, "classes": event.evidence.classes }),
        };
        self.read_case();
        let now = self.hub.now();
        match permit_alarm(
            &self.case,
            event.kind.name(),
            event.kind.signal(),
            request,
            now,
        ) {
            Ok(permit) => match self.hub.raise(permit) {
                Ok(Some(step)) => (self.say)(format!(
                    "{:>7.1} s  alarm {} {} ({:?})",
                    self.starter.started.elapsed().as_secs_f64(),
                    step.alarm.kind,
                    serde_json::to_value(step.reason)
                        .ok()
                        .and_then(|r| r.as_str().map(str::to_string))
                        .unwrap_or_default(),
                    step.alarm.level
                )),
                Ok(None) => {}
                Err(e) => tracing::error!("alarm {}: {e}", event.kind),
            },
            Err(denial) => tracing::debug!("{}: kept back by the gate: {denial}", event.kind),
        }
    }

    /// The case file as the store has it; while it cannot be read, the last
    /// one read stands (its basis still ends on time, the gate reads its dates).
    fn read_case(&mut self) {
        if self.link.is_some() {
            return;
        }
        let read = self.hub.store().case_file(&self.options.resident);
        match read {
            Ok(case) => {
                self.case = case;
                self.read_failure = None;
                if let Some(was) = self.tampered.take() {
                    (self.say)(format!(
                        "device: the records match the chain again ({})",
                        was.table
                    ));
                }
            }
            Err(StoreError::Tampered(tampered)) => {
                self.read_failure = None;
                let now = self.hub.now();
                self.records_tampered(tampered, now);
            }
            Err(e) => {
                if self.read_failure.is_none() {
                    tracing::error!("the case file cannot be read, the last one read stands: {e}");
                }
                self.read_failure = Some(e.to_string());
            }
        }
    }

    /// The gate's answer for a source now: nothing opens while a record
    /// does not match the chain.
    fn may_open(&self, kind: Kind, now: Time) -> Result<Permitted<SourceOpen>, Denial> {
        match (&self.tampered, &self.link) {
            (Some(tampered), _) => Err(Denial::records_tampered(tampered)),
            (None, Some(link)) => link.may_open(kind, now),
            (None, None) => may_open(&self.case, kind, now),
        }
    }

    /// A record changed outside tryghed: no record of this resident is
    /// relied on any more (no alarm, no source), and staff are told once
    /// per spell.
    fn records_tampered(&mut self, tampered: Tampered, now: Time) {
        self.case = CaseFile::closed(self.case.resident.clone());
        if self.tampered.as_ref() != Some(&tampered) {
            tracing::error!("{tampered}");
            self.raise_fault(DeviceFault::RecordsTampered, &tampered.to_string(), now);
        }
        self.tampered = Some(tampered);
    }

    /// A fault a source reported: a model failing on every frame is one
    /// report a minute, not fifteen a second.
    fn on_source_fault(&mut self, fault: DeviceFault, detail: &str, now: Now) {
        let recent = self
            .last_reported
            .get(&fault)
            .is_some_and(|at| now.steady_s - *at < 60.0);
        if !recent {
            self.last_reported.insert(fault, now.steady_s);
            self.raise_fault(fault, detail, now.wall);
        }
    }

    fn raise_fault(&self, fault: DeviceFault, detail: &str, now: Time) {
        let permit = permit_device_fault(fault, now);
        let raised = match &self.link {
            Some(link) => link
                .send(
                    Happened::Fault {
                        fault: permit.get().name().to_string(),
                        detail: detail.to_string(),
                    },
                    now,
                )
                .map(drop)
                .map_err(|e| e.to_string()),
            None => self
                .hub
                .raise_fault(&self.options.room, permit, detail)
                .map(drop)
                .map_err(|e| e.to_string()),
        };
        if let Err(e) = raised {
            tracing::error!("device fault {}: {e}", fault.name());
        }
        (self.say)(format!("device fault: {detail}"));
        systemd::notify(&format!("STATUS=device fault: {detail}"));
    }

    fn every_second(&mut self) {
        // The loop that raises every alarm is alive: systemd restarts the
        // device if this stops (a hang, not only a crash).
        if self.watchdog {
            systemd::notify("WATCHDOG=1");
        }
        let now = self.hub.read_clock();
        self.seconds += 1;
        self.read_case();
        for kind in [Kind::Video, Kind::Sound] {
            self.follow_the_law(kind, now);
        }
        if let Some(link) = &self.link {
            link.set_sources(self.video.state(), self.sound.state());
        }
        self.write_waiting_audits();
        let mut changes = self.beats_seen(now);
        changes.extend(self.watch.tick(now));
        if self.seconds.is_multiple_of(5) {
            changes.extend(self.outlets_late(now));
        }
        if self.seconds % 30 == 1 {
            changes.extend(self.disk());
        }
        if self.seconds % PRUNE_EVERY_S == 2 {
            self.prune(now.wall);
        }
        if self.seconds % PROBE_EVERY_S == 1 {
            self.probe_failure = self
                .hub
                .change(|s| s.probe(now.wall))
                .err()
                .map(|e| self.hub.store().explain(&e));
        }
        let storage = self.hub.storage_health();
        let failing = [
            &storage.failing,
            &self.audit_failure,
            &self.probe_failure,
            &self.read_failure,
        ]
        .into_iter()
        .find_map(|f| f.clone());
        changes.extend(self.watch.storage(failing.as_deref(), storage.waiting));
        for change in changes {
            match change {
                DeviceChange::Fault { fault, detail } => self.raise_fault(fault, &detail, now.wall),
                // The alarm stays until a person has dealt with it (R13).
                DeviceChange::Recovered { fault } => {
                    (self.say)(format!("device: {} is over", fault.name()))
                }
            }
        }
    }

    /// The law can change while running: an opposition, an early stop, an
    /// expiry shuts the source within a second (R1.4, R10.3), and its
    /// silence is then no fault; a new basis opens what was off. Audited.
    fn follow_the_law(&mut self, kind: Kind, now: Now) {
        let gated = self.gated(kind);
        let (running, present) = (gated.running, gated.present);
        match self.may_open(kind, now.wall) {
            Err(denial) if running => {
                let gated = self.gated(kind);
                gated.stop.store(true, Ordering::Relaxed);
                gated.running = false;
                self.watch_running(now);
                self.audit("gate.shut", kind, &denial.to_string(), now.wall);
                (self.say)(format!("{}: shut: {denial}", kind.name()));
            }
            Ok(permit) if !running && present => {
                self.reopen(kind, format!("basis {}", permit.basis_id()), now)
            }
            _ => {}
        }
    }

    fn reopen(&mut self, kind: Kind, why: String, now: Now) {
        let stop = Arc::new(AtomicBool::new(false));
        // Loading a model blocks: let the runtime's other work go on meanwhile.
        match tokio::task::block_in_place(|| self.start(kind, stop.clone())) {
            Ok(thread) => {
                self.gated(kind).stop = stop;
                self.running(kind, thread, now);
                self.audit("gate.open", kind, &why, now.wall);
                (self.say)(format!("{}: open ({why})", kind.name()));
            }
            // Allowed but the device will not start: staff must know (R13).
            Err(e) => {
                let fault = if kind == Kind::Video {
                    DeviceFault::CameraSilent
                } else {
                    DeviceFault::MicrophoneSilent
                };
                let detail = format!("{}: cannot open: {e}", kind.name());
                self.on_source_fault(fault, &detail, now);
            }
        }
    }

    /// Beats that came since the last look, per watched source.
    fn beats_seen(&mut self, now: Now) -> Vec<DeviceChange> {
        let mut changes = Vec::new();
        let sources = [Source::Camera, Source::Pipeline, Source::Microphone];
        for (seen, source) in self.seen_beats.iter_mut().zip(sources) {
            let beat = self.beats.get(source);
            if beat != *seen {
                *seen = beat;
                changes.extend(self.watch.beat(source, now));
            }
        }
        changes
    }

    /// An outlet that has not taken a step in time: the nurse-call link is
    /// down, and staff must know it (R13).
    fn outlets_late(&mut self, now: Now) -> Vec<DeviceChange> {
        let late =
            chrono::Duration::milliseconds((self.config.alarms.outlet_late_s * 1000.0) as i64);
        let backlogs: Result<Vec<_>, _> = self
            .config
            .outlets
            .names()
            .into_iter()
            .map(|outlet| self.hub.store().backlog(outlet))
            .collect();
        match backlogs {
            Ok(backlogs) => self.watch.outlets(&backlogs, late, now),
            Err(e) => {
                self.read_failure = Some(e.to_string());
                Vec::new()
            }
        }
    }

    fn disk(&mut self) -> Option<DeviceChange> {
        let dir = &self.options.data_dir;
        let (free, total) = (fs2::available_space(dir).ok()?, fs2::total_space(dir).ok()?);
        self.watch.disk(free, total)
    }

    /// Deletes the alarm history and audit rows older than the settings
    /// keep (R8.4); audited. A failure waits for the next hour.
    fn prune(&mut self, now: Time) {
        let retention = self.config.retention;
        match self.hub.change(|s| s.prune(&retention, "device", now)) {
            Ok(pruned) if !pruned.nothing() => (self.say)(format!(
                "retention: deleted {} alarms older than {} days ({} steps) and {} audit rows older than {} days",
                pruned.alarms, retention.alarm_days, pruned.steps, pruned.audit_rows, retention.audit_days
            )),
            Ok(_) => {}
            Err(e) => tracing::error!("retention: {e}"),
        }
    }

    /// Audits a gate decision now, or as soon as the store takes it.
    fn audit(&mut self, action: &'static str, kind: Kind, why: &str, at: Time) {
        if self.audits.len() >= MAX_WAITING_AUDITS {
            self.audits.pop_front();
            tracing::error!("a gate audit row was given up: too many wait for the store");
        }
        self.audits.push_back(GateAudit {
            action,
            kind,
            why: why.to_string(),
            at,
        });
        self.write_waiting_audits();
    }

    fn write_waiting_audits(&mut self) {
        // Joined to a hub, the resident is the one the permit names.
        let resident = self
            .link
            .as_ref()
            .and_then(DeviceLink::resident)
            .unwrap_or_else(|| self.options.resident.clone());
        while let Some(audit) = self.audits.front() {
            let resident = &resident;
            let written = self.hub.change(|s| {
                s.audit_gate(
                    audit.action,
                    resident,
                    audit.kind,
                    &audit.why,
                    "device",
                    audit.at,
                )
            });
            if let Err(e) = written {
                self.audit_failure = Some(e.to_string());
                return;
            }
            self.audits.pop_front();
        }
        self.audit_failure = None;
    }
}

/// A case file with no records: what the gate may rely on for a resident
/// whose records do not match the chain.
fn closed_case(options: &ProductOptions) -> CaseFile {
    CaseFile::closed(Resident {
        id: options.resident.clone(),
        room: options.room.clone(),
        display_name: String::new(),
        representatives: Vec::new(),
    })
}
