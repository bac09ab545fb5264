//! Settings from TOML, in two steps: parse into raw structs that refuse
//! unknown keys, then validate everything and report every problem at once,
//! before any device or model is opened.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::alarm::AlarmSettings;
use crate::audio::analyzer::SoundSettings;
use crate::care::levels::AlertSettings;
use crate::care::CareSettings;
use crate::deliver::outlets::OutletSettings;
use crate::store::Retention;
use crate::vision::VisionSettings;

/// Where the models are when nothing else is said: the source tree's
/// `models/` folder.
pub const DEFAULT_MODELS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/models");
/// The built-in frames the demo replays.
pub const DEFAULT_DEMO_FRAMES: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/bench-640x480");
/// The built-in sounds the demo plays into the analysis.
pub const DEFAULT_DEMO_SOUNDS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/audio");

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub models_dir: PathBuf,
    pub vision: VisionSettings,
    pub sound: SoundSettings,
    pub care: CareSettings,
    pub alerts: AlertSettings,
    /// Repeats and escalation of unacknowledged alarms.
    pub alarms: AlarmSettings,
    /// MQTT and webhook outlets for alarm steps.
    pub outlets: OutletSettings,
    /// Which room and resident this device watches (`tryghed run`).
    pub device: Option<DeviceSettings>,
    pub server: ServerSettings,
    /// How long alarm history and the audit trail are kept (R8.4).
    pub retention: Retention,
}

/// `[device]`: what this device watches, set by the installer.
#[derive(Debug, Clone, PartialEq, serde::Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceSettings {
    pub room: String,
    /// The resident's id as the case officer recorded it.
    pub resident: String,
    /// Camera index (see `tryghed cameras`).
    #[serde(default)]
    pub camera: u32,
    /// Watch (only if the resident's basis allows video); false for a
    /// room with a microphone only.
    #[serde(default = "yes")]
    pub video: bool,
    /// Listen too (only if the resident's basis allows sound).
    #[serde(default = "yes")]
    pub sound: bool,
    /// ALSA input name (see `tryghed microphones`); default: the system's.
    pub microphone: Option<String>,
    /// The room's zones (relative to the settings file).
    pub room_file: Option<PathBuf>,
    /// The hub's device bundle for this room (`tryghed hub enrol`), relative
    /// to the settings file: the device joins that hub.
    pub join: Option<PathBuf>,
}

fn yes() -> bool {
    true
}

/// `[server]`: where the staff app listens.
#[derive(Debug, Clone, PartialEq, serde::Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSettings {
    pub bind: String,
    /// TLS; default on for any address but loopback, and it cannot be off there (R5.3).
    pub tls: Option<bool>,
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings {
            bind: "127.0.0.1:8470".into(),
            tls: None,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            models_dir: PathBuf::from(DEFAULT_MODELS_DIR),
            vision: VisionSettings::default(),
            sound: SoundSettings::default(),
            care: CareSettings::default(),
            alerts: AlertSettings::default(),
            alarms: AlarmSettings::default(),
            outlets: OutletSettings::default(),
            device: None,
            server: ServerSettings::default(),
            retention: Retention::default(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    models_dir: Option<PathBuf>,
    #[serde(default)]
    vision: VisionSettings,
    #[serde(default)]
    sound: SoundSettings,
    #[serde(default)]
    care: CareSettings,
    #[serde(default)]
    alerts: AlertSettings,
    #[serde(default)]
    alarms: AlarmSettings,
    #[serde(default)]
    outlets: OutletSettings,
    device: Option<DeviceSettings>,
    #[serde(default)]
    server: ServerSettings,
    #[serde(default)]
    retention: Retention,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{file}: cannot read: {cause}")]
    Read { file: String, cause: std::io::Error },
    #[error("{file}: {message}")]
    Syntax { file: String, message: String },
    #[error("{file}: {}", problems.join("; "))]
    Invalid { file: String, problems: Vec<String> },
}

impl Config {
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|cause| ConfigError::Read {
            file: file.clone(),
            cause,
        })?;
        Config::parse(&file, &text)
    }

    /// Parses TOML text; `file` names it in errors. Relative paths are
    /// taken from the folder the file is in.
    pub fn parse(file: &str, text: &str) -> Result<Config, ConfigError> {
        let mut raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError::Syntax {
            file: file.to_string(),
            message: e.to_string().trim_end().replace('\n', " "),
        })?;
        let base = Path::new(file).parent().unwrap_or(Path::new("."));
        raw.outlets.resolve(base);
        let models_dir = match raw.models_dir {
            Some(dir) if dir.is_relative() => base.join(dir),
            Some(dir) => dir,
            None => PathBuf::from(DEFAULT_MODELS_DIR),
        };
        let mut problems: Vec<String> = raw
            .vision
            .problems()
            .into_iter()
            .map(|p| format!("vision.{p}"))
            .collect();
        if !models_dir.is_dir() {
            problems.push(format!(
                "models_dir {} is not a folder",
                models_dir.display()
            ));
        }
        // Class names are checked against the model's own list when it is there.
        let classes = crate::audio::yamnet::read_class_names(&models_dir).ok();
        problems.extend(
            raw.sound
                .problems(classes.as_deref())
                .into_iter()
                .map(|p| format!("sound.{p}")),
        );
        problems.extend(raw.care.problems().into_iter().map(|p| format!("care.{p}")));
        problems.extend(
            raw.alerts
                .problems()
                .into_iter()
                .map(|p| format!("alerts.{p}")),
        );
        problems.extend(
            raw.alarms
                .problems()
                .into_iter()
                .map(|p| format!("alarms.{p}")),
        );
        problems.extend(
            raw.outlets
                .problems()
                .into_iter()
                .map(|p| format!("outlets.{p}")),
        );
        problems.extend(
            raw.retention
                .problems()
                .into_iter()
                .map(|p| format!("retention.{p}")),
        );
        match raw.server.bind.parse::<std::net::SocketAddr>() {
            Err(_) => problems.push(format!("server.bind {}: expected IP:PORT", raw.server.bind)),
            Ok(addr) if !addr.ip().is_loopback() && raw.server.tls == Some(false) => problems.push(format!("server.bind {addr}: off loopback the staff app needs TLS (R5.3); leave server.tls on")),
            Ok(_) => {}
        }
        let device = raw.device.map(|mut d| {
            if d.room.trim().is_empty() || d.resident.trim().is_empty() {
                problems.push("device: room and resident must be named".into());
            }
            if !d.video && !d.sound {
                problems.push(
                    "device: video and sound are both off; a room needs a camera or a microphone"
                        .into(),
                );
            }
            if let Some(file) = d.room_file.take() {
                let file = if file.is_relative() {
                    base.join(file)
                } else {
                    file
                };
                if let Err(e) = crate::care::zones::Room::load(&file) {
                    problems.push(format!("device.room_file: {e}"));
                }
                d.room_file = Some(file);
            }
            if let Some(bundle) = d.join.take() {
                let bundle = if bundle.is_relative() {
                    base.join(bundle)
                } else {
                    bundle
                };
                if let Err(e) = crate::link::Bundle::load(&bundle) {
                    problems.push(format!("device.join: {e}"));
                }
                d.join = Some(bundle);
            }
            d
        });
        if !problems.is_empty() {
            return Err(ConfigError::Invalid {
                file: file.to_string(),
                problems,
            });
        }
        Ok(Config {
            models_dir,
            vision: raw.vision,
            sound: raw.sound,
            care: raw.care,
            alerts: raw.alerts,
            alarms: raw.alarms,
            outlets: raw.outlets,
            device,
            server: raw.server,
            retention: raw.retention,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_gives_defaults() {
        let config = Config::parse("room.toml", "").unwrap();
        assert_eq!(config.vision, VisionSettings::default());
    }

    #[test]
    fn unknown_key_is_named() {
        let err = Config::parse("room.toml", "[vision]\nmax_person = 2\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("room.toml:") && err.contains("max_person"),
            "{err}"
        );
    }

    #[test]
    fn only_bed_door_and_stillness_alarms_may_be_quieted_by_company() {
        let err = Config::parse("room.toml", "[care.several_persons]\nquiets = [\"bed_exit\", \"fall\", \"sneeze\"]\nquiet_for_s = -1\n").unwrap_err().to_string();
        assert!(
            err.contains("fall is never quieted")
                && err.contains("sneeze is not a care kind")
                && err.contains("quiet_for_s: -1"),
            "{err}"
        );
        let config = Config::parse(
            "room.toml",
            "[care.several_persons]\nquiets = [\"room_exit\"]\n",
        )
        .unwrap();
        assert_eq!(
            config.care.several_persons.quiets,
            vec!["room_exit".to_string()]
        );
        assert_eq!(config.care.several_persons.quiet_for_s, 30.0);
    }

    #[test]
    fn sound_rules_can_be_changed_and_are_checked() {
        use crate::audio::events::{EventRules, SoundKind};
        let text = "[sound.events.impact]\nclasses = [\"Thump, thud\"]\nthreshold = 0.4\ncooldown_s = 3.0\n";
        let config = Config::parse("room.toml", text).unwrap();
        let impact = &config.sound.events.0[&SoundKind::Impact];
        let default = EventRules::default();
        assert_eq!(
            (impact.threshold, impact.cooldown_s, impact.classes.len()),
            (0.4, 3.0, 1)
        );
        assert_eq!(
            impact.min_duration_s,
            default.0[&SoundKind::Impact].min_duration_s,
            "what is not given keeps its default"
        );
        assert_eq!(
            config.sound.events.0[&SoundKind::Scream],
            default.0[&SoundKind::Scream],
            "other kinds keep theirs"
        );
        let bad = text.replace("Thump, thud", "Thud") + "[sound.speech]\nthreshold = 2.0\n";
        let err = Config::parse("room.toml", &bad).unwrap_err().to_string();
        assert!(
            err.contains("sound.events.impact.classes: \"Thud\" is not a YAMNet class"),
            "{err}"
        );
        assert!(err.contains("sound.speech.threshold 2"), "{err}");
        let err = Config::parse("room.toml", "[sound.events.shriek]\nthreshold = 0.5\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("shriek"), "{err}");
        let err = Config::parse("room.toml", "[sound.events.scream]\nthreshhold = 0.5\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("threshhold"), "{err}");
    }

    #[test]
    fn all_problems_are_reported_together() {
        let err = Config::parse(
            "room.toml",
            "models_dir = \"/nowhere\"\n[vision]\nmax_persons = 0\nmin_pose_score = 2.0\n",
        )
        .unwrap_err();
        match err {
            ConfigError::Invalid { problems, .. } => assert_eq!(problems.len(), 3, "{problems:?}"),
            other => panic!("{other}"),
        }
    }
}
