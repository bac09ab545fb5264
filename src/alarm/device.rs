//! Watching the device itself: a source that sends nothing for a while, a
//! model that fails, a pipeline that stops keeping up, a disk nearly full.
//! Pure: beats and reports with their time in, faults out, each once per
//! spell (a fault is raised again only after the source has recovered).
//! Silences and lateness are measured on the steady clock: a wall clock
//! set forwards hides no dark camera and raises no false one.

use std::collections::BTreeMap;

use chrono::Duration;

use super::Now;
pub use crate::domain::DeviceFault;
use crate::policy::Time;

/// A source whose silence is a fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    Camera,
    Microphone,
    /// Analysis: beats once per analysed frame.
    Pipeline,
}

impl Source {
    fn fault(self) -> DeviceFault {
        match self {
            Source::Camera => DeviceFault::CameraSilent,
            Source::Microphone => DeviceFault::MicrophoneSilent,
            Source::Pipeline => DeviceFault::PipelineStalled,
        }
    }
}

/// A fault found, or one that is over.
#[derive(Debug, Clone, PartialEq)]
pub enum DeviceChange {
    Fault { fault: DeviceFault, detail: String },
    Recovered { fault: DeviceFault },
}

#[derive(Debug, Clone)]
pub struct DeviceWatch {
    silent_after: Duration,
    /// Last beat per watched source (steady seconds), and whether its
    /// silence is reported.
    sources: BTreeMap<Source, (f64, bool)>,
    disk_reported: bool,
    storage_reported: bool,
    model_reported: bool,
    /// Outlets whose lateness is reported.
    outlets_reported: std::collections::BTreeSet<String>,
    /// Per outlet, its oldest waiting step (by the time it was taken) and
    /// when that step began to wait on the steady clock.
    outlets_waiting: BTreeMap<String, (Time, f64)>,
}

/// What an outlet still has to take: the oldest step waiting for it.
#[derive(Debug, Clone, PartialEq)]
pub struct OutletBacklog {
    pub outlet: String,
    /// When the oldest waiting step was taken (None: nothing waits).
    pub oldest: Option<Time>,
    /// Why its last try failed, when one did.
    pub last_error: Option<String>,
}

/// Below this share of the disk free, or this many bytes, it is nearly full.
pub const DISK_FREE_SHARE: f64 = 0.05;
pub const DISK_FREE_BYTES: u64 = 500 * 1024 * 1024;

impl DeviceWatch {
    /// `silent_after`: 10 s by default (issue text); each watched source
    /// starts with a beat at `now`.
    pub fn new(sources: &[Source], silent_after: Duration, now: impl Into<Now>) -> DeviceWatch {
        let now = now.into().steady_s;
        DeviceWatch {
            silent_after,
            sources: sources.iter().map(|s| (*s, (now, false))).collect(),
            disk_reported: false,
            storage_reported: false,
            model_reported: false,
            outlets_reported: Default::default(),
            outlets_waiting: BTreeMap::new(),
        }
    }

    fn silent_after_s(&self) -> f64 {
        self.silent_after.num_milliseconds() as f64 / 1000.0
    }

    /// Watches these sources from now on: one the gate shut is no longer
    /// missed, one it opened starts with a beat at `now`. Faults already
    /// reported stay reported.
    pub fn set_sources(&mut self, sources: &[Source], now: impl Into<Now>) {
        let now = now.into().steady_s;
        self.sources.retain(|s, _| sources.contains(s));
        for source in sources {
            self.sources.entry(*source).or_insert((now, false));
        }
    }

    /// The store failing (`failing`: why) or taking steps again.
    pub fn storage(&mut self, failing: Option<&str>, waiting: usize) -> Option<DeviceChange> {
        match (failing, self.storage_reported) {
            (Some(why), false) => {
                self.storage_reported = true;
                Some(DeviceChange::Fault {
                    fault: DeviceFault::StorageFailing,
                    detail: format!("the database takes nothing ({why}); alarms still reach the phones, {waiting} alarm step(s) wait in memory"),
                })
            }
            (None, true) => {
                self.storage_reported = false;
                Some(DeviceChange::Recovered {
                    fault: DeviceFault::StorageFailing,
                })
            }
            _ => None,
        }
    }

    /// The source delivered something at `now`.
    pub fn beat(&mut self, source: Source, now: impl Into<Now>) -> Option<DeviceChange> {
        let now = now.into().steady_s;
        let entry = self.sources.entry(source).or_insert((now, false));
        let was_reported = entry.1;
        *entry = (now, false);
        was_reported.then_some(DeviceChange::Recovered {
            fault: source.fault(),
        })
    }

    /// Sources silent for longer than allowed, once each. Analysis that
    /// stops because the camera did is the camera's fault, not a second one.
    pub fn tick(&mut self, now: impl Into<Now>) -> Vec<DeviceChange> {
        let now = now.into().steady_s;
        let silent_after = self.silent_after_s();
        let mut changes = Vec::new();
        let camera_silent = self
            .sources
            .get(&Source::Camera)
            .is_some_and(|(last, reported)| *reported || now - *last >= silent_after);
        for (source, (last, reported)) in self.sources.iter_mut() {
            if *source == Source::Pipeline && camera_silent {
                continue;
            }
            if !*reported && now - *last >= silent_after {
                *reported = true;
                let seconds = now - *last;
                changes.push(DeviceChange::Fault {
                    fault: source.fault(),
                    detail: format!(
                        "nothing from the {} for {seconds:.0} s",
                        format!("{source:?}").to_lowercase()
                    ),
                });
            }
        }
        changes
    }

    /// A model call failed (`detail` says which and why, never any input).
    pub fn model_failed(&mut self, detail: &str) -> Option<DeviceChange> {
        (!std::mem::replace(&mut self.model_reported, true)).then(|| DeviceChange::Fault {
            fault: DeviceFault::ModelFailed,
            detail: detail.to_string(),
        })
    }

    /// A model call succeeded again.
    pub fn model_ok(&mut self) -> Option<DeviceChange> {
        std::mem::replace(&mut self.model_reported, false).then_some(DeviceChange::Recovered {
            fault: DeviceFault::ModelFailed,
        })
    }

    /// Outlets with a step waiting longer than `late`: a fault each, once
    /// per spell; an outlet with nothing waiting is over it. One fault
    /// kind for all outlets: the first late one raises it, another late one
    /// is seen again on the same alarm.
    pub fn outlets(
        &mut self,
        backlogs: &[OutletBacklog],
        late: Duration,
        now: impl Into<Now>,
    ) -> Vec<DeviceChange> {
        let now = now.into();
        let late_s = late.num_milliseconds() as f64 / 1000.0;
        let mut changes = Vec::new();
        for backlog in backlogs {
            let reported = self.outlets_reported.contains(&backlog.outlet);
            let waited_s = self.waited_s(backlog, now);
            match backlog.oldest {
                Some(_) if waited_s >= late_s && !reported => {
                    self.outlets_reported.insert(backlog.outlet.clone());
                    let waited = waited_s.round() as i64;
                    let why = backlog
                        .last_error
                        .as_deref()
                        .map(|e| format!(": {e}"))
                        .unwrap_or_default();
                    changes.push(DeviceChange::Fault {
                        fault: DeviceFault::OutletDown,
                        detail: format!(
                            "{} has not taken an alarm for {waited} s{why}",
                            backlog.outlet
                        ),
                    });
                }
                None if reported => {
                    self.outlets_reported.remove(&backlog.outlet);
                    if self.outlets_reported.is_empty() {
                        changes.push(DeviceChange::Recovered {
                            fault: DeviceFault::OutletDown,
                        });
                    }
                }
                _ => {}
            }
        }
        changes
    }

    /// How long the outlet's oldest step has waited, on the steady clock.
    /// A step first seen waiting is taken as waiting since it was taken
    /// (the wall clock read once, so a restart does not forget its wait).
    fn waited_s(&mut self, backlog: &OutletBacklog, now: Now) -> f64 {
        let Some(oldest) = backlog.oldest else {
            self.outlets_waiting.remove(&backlog.outlet);
            return 0.0;
        };
        let seen = self.outlets_waiting.get(&backlog.outlet);
        let since = match seen {
            Some((step, since)) if *step == oldest => *since,
            _ => {
                let age_s = (now.wall - oldest).num_milliseconds() as f64 / 1000.0;
                let since = now.steady_s - age_s.max(0.0);
                self.outlets_waiting
                    .insert(backlog.outlet.clone(), (oldest, since));
                since
            }
        };
        now.steady_s - since
    }

    /// The data disk's free and total bytes.
    pub fn disk(&mut self, free: u64, total: u64) -> Option<DeviceChange> {
        let low =
            total > 0 && ((free as f64) < DISK_FREE_SHARE * total as f64 || free < DISK_FREE_BYTES);
        if low && !self.disk_reported {
            self.disk_reported = true;
            return Some(DeviceChange::Fault {
                fault: DeviceFault::DiskNearlyFull,
                detail: format!("{} MB free of {} MB", free / 1_000_000, total / 1_000_000),
            });
        }
        if !low && std::mem::replace(&mut self.disk_reported, false) {
            return Some(DeviceChange::Recovered {
                fault: DeviceFault::DiskNearlyFull,
            });
        }
        None
    }
}
