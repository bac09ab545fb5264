//! The `tryghed` command: parses, calls the library, maps errors to exit
//! codes (1: the work failed, 2: bad usage or configuration).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

/// `println!` that ends the program quietly when stdout is closed (a pipe
/// into `head`), as command-line tools do, instead of panicking.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if writeln!(std::io::stdout(), $($arg)*).is_err() {
            std::process::exit(0);
        }
    }};
}

mod case_commands;
mod hub_commands;
use case_commands::{BasisCommand, ComplaintCommand, ResidentCommand};

use tryghed::app::live_door::{close_live, open_live, LiveFor};
use tryghed::app::look_door::{close_look, open_look, LookAsked, OpenLook};
use tryghed::capture::{camera, Frame};
use tryghed::config::{Config, DEFAULT_DEMO_FRAMES, DEFAULT_DEMO_SOUNDS};
use tryghed::demo::{DemoSound, DemoSource};
use tryghed::domain::{Kind, ResidentId};
use tryghed::inference::Runtime;
use tryghed::report::{ImageReport, PersonReport};
use tryghed::vision::silhouette::Silhouette;
use tryghed::vision::PoseTracker;

#[derive(Parser)]
#[command(
    name = "tryghed",
    version,
    about = "Room safety device for care homes: sees and hears in memory only, alerts staff"
)]
struct Cli {
    /// Settings file (TOML). Without it, built-in defaults.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Folder with the ONNX models (overrides the settings file).
    #[arg(long, global = true, value_name = "DIR")]
    models: Option<PathBuf>,
    /// Where the records and the audit trail live (default: the user's data folder).
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Act as if it were this time (ISO 8601): for tests and what-if checks.
    #[arg(long, global = true, value_name = "TIME")]
    now: Option<String>,
    /// Who is acting, for the audit trail (default: the login name).
    #[arg(long, global = true, value_name = "NAME")]
    actor: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The whole product on built-in fixtures: a demo room (a resident who
    /// falls) through vision, sound and the care layer, alarms to the staff
    /// app on a loopback address it prints, with demo log-ins.
    Demo {
        /// Port of the staff app on 127.0.0.1 (0: any free one).
        #[arg(long, default_value_t = 8470)]
        port: u16,
        /// Stop after this many seconds (default: until Ctrl-C).
        #[arg(long, value_name = "S")]
        seconds: Option<f64>,
        /// Frames per second of the demo room.
        #[arg(long, default_value_t = 10.0)]
        fps: f64,
        /// Listen on this address (off loopback, TLS is always on).
        #[arg(long, value_name = "IP", default_value = "127.0.0.1")]
        bind: std::net::IpAddr,
        /// Serve over TLS with the device's own certificate, on loopback too.
        #[arg(long)]
        tls: bool,
        /// Serve plain HTTP: refused unless the address is loopback (R5.3).
        #[arg(long, conflicts_with = "tls")]
        no_tls: bool,
        /// The demo camera goes dark after this many seconds, to show what
        /// staff get when a camera stops: a device fault alarm 10 s later.
        #[arg(long, value_name = "S")]
        camera_stops_at: Option<f64>,
        /// Join the hub whose device bundle is in DIR (`tryghed hub enrol`):
        /// the room is the bundle's, its records and staff app are the hub's.
        #[arg(long, value_name = "DIR")]
        join: Option<PathBuf>,
    },
    /// The product on this room's camera and microphone, for installation:
    /// the settings file's `[device]` names the room and resident, `[server]`
    /// where the staff app listens.
    Run {
        /// Stop after this many seconds (default: until Ctrl-C).
        #[arg(long, value_name = "S")]
        seconds: Option<f64>,
    },
    /// Replay the built-in frames through the pipeline and show, live, in
    /// the terminal what it sees and hears.
    Tour {
        /// Folder of frames to replay instead of the built-in ones.
        #[arg(long, value_name = "DIR")]
        frames: Option<PathBuf>,
        /// Replay rate, frames per second.
        #[arg(long, default_value_t = 15.0)]
        fps: f64,
        /// Watch this live camera instead (see `tryghed cameras`), for a
        /// resident (`--resident`) or a room without one (`--room`).
        #[arg(long, value_name = "INDEX", conflicts_with = "frames")]
        camera: Option<u32>,
        /// Run for this resident, as a look (R3.2): the source opens only if
        /// her basis allows looks now, with `--reason`, and shuts at the
        /// look's end or the moment the gate no longer allows it.
        #[arg(long, value_name = "ID")]
        resident: Option<String>,
        /// The live camera is in this room, where no resident lives, under
        /// an installer's test permit (`tryghed room test-permit`).
        #[arg(
            long,
            value_name = "ROOM",
            requires = "camera",
            conflicts_with = "resident"
        )]
        room: Option<String>,
        /// With `--resident`: why you look (R3.2: a look is asked for with a
        /// reason, and it is on record).
        #[arg(long, value_name = "TEXT", requires = "resident")]
        reason: Option<String>,
        /// With `--resident`: how long the look lasts (default: the most the
        /// basis allows); the tour ends with it.
        #[arg(long, value_name = "N", requires = "resident")]
        minutes: Option<u32>,
        /// Replay the frames again and again (until the gate shuts them or Ctrl-C).
        #[arg(long = "loop")]
        looping: bool,
        /// WAV files to play into the sound analysis instead of the built-in ones.
        #[arg(long, value_name = "FILE.wav", num_args = 1..)]
        audio: Vec<PathBuf>,
    },
    /// Play a folder of frames (and a recording) through vision, sound and
    /// the care layer as if live; print the care events in time order.
    Replay {
        /// A folder of frames (PNG or JPEG, in name order).
        #[arg(
            long,
            value_name = "DIR",
            required_unless_present = "video",
            conflicts_with = "video"
        )]
        frames: Option<PathBuf>,
        /// The rate the folder's frames were taken at.
        #[arg(long, requires = "frames")]
        fps: Option<f64>,
        /// A video file (MP4/H.264 and what FFmpeg decodes); its frames
        /// carry their own times. Decoded in memory, never written.
        #[arg(long, value_name = "FILE")]
        video: Option<PathBuf>,
        /// A recording of the same time, analysed for sound events.
        #[arg(long, value_name = "FILE.wav")]
        audio: Option<PathBuf>,
        /// The room's zones (bed, door, …); falls need none.
        #[arg(long, value_name = "ROOM.toml")]
        room: Option<PathBuf>,
        /// Whose alert levels apply (`[alerts.residents.ID]` in the settings).
        #[arg(long, value_name = "ID")]
        resident: Option<String>,
        /// Local time of the first frame, HH:MM (night decides some levels).
        #[arg(long, value_name = "HH:MM", default_value = "12:00")]
        start: String,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
    },
    /// Score the care layer on labelled cases: per case hits, misses and
    /// false alarms; per kind precision, recall and delay.
    Eval {
        dir: PathBuf,
        #[arg(long)]
        json: bool,
        /// Also write a report a person reads (Markdown): per view and
        /// activity, hits, misses, false alarms, delays, and for each miss
        /// the postures that explain it. Figures only, no pictures.
        #[arg(long, value_name = "OUT.md")]
        report: Option<PathBuf>,
        /// See every video changed first, in memory: mirror, crop (a
        /// narrower lens), night (grey, dark, grainy), 10fps (frames
        /// dropped) or bystander (a second person standing still).
        #[arg(long, value_name = "VARIANT")]
        augment: Option<tryghed::capture::augment::Variant>,
        /// For `--augment bystander`: a video of someone standing, whole in
        /// view, to cut the bystander from.
        #[arg(long, value_name = "FILE")]
        bystander: Option<PathBuf>,
    },
    /// Find people and their 33 keypoints in still images.
    AnalyzeImage {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Print one JSON array, one object per file.
        #[arg(long)]
        json: bool,
        /// Also write the silhouette of the first file: what staff may see.
        #[arg(long, value_name = "OUT.png")]
        silhouette: Option<PathBuf>,
    },
    /// Classify the sounds in WAV files: YAMNet's classes per 0.48 s, speech
    /// (Silero VAD) and care sound events. Files are read block by block.
    AnalyzeAudio {
        #[arg(required = true, value_name = "FILE.wav")]
        files: Vec<PathBuf>,
        /// Print one JSON object per file (an array when several).
        #[arg(long)]
        json: bool,
    },
    /// Measure the speed of a pipeline.
    Bench {
        #[command(subcommand)]
        what: BenchCommand,
    },
    /// Check a settings file and list every problem in it.
    CheckConfig { file: PathBuf },
    /// Print the staff app's OpenAPI document (as `/api/openapi.json` serves it).
    Openapi,
    /// List the cameras this machine has.
    Cameras,
    /// List the microphones (sound inputs) this machine has.
    Microphones,
    /// Analyse a live microphone: speech and sound events, printed as they
    /// come. The sound is never stored or played.
    Listen {
        /// An ALSA input device (see `tryghed microphones`); default: the system's.
        #[arg(long, value_name = "NAME")]
        microphone: Option<String>,
        /// For this resident: her basis must allow sound now.
        #[arg(long, value_name = "ID", required_unless_present = "room")]
        resident: Option<String>,
        /// In this room, where no resident lives, under an installer's test
        /// permit (`tryghed room test-permit`).
        #[arg(long, value_name = "ROOM", conflicts_with = "resident")]
        room: Option<String>,
        /// Stop after this many seconds of sound.
        #[arg(long)]
        seconds: Option<f64>,
        /// Also show YAMNet's top classes every 0.48 s.
        #[arg(long)]
        patches: bool,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
    },
    /// Log-ins for the staff app: `user add --name NAME --role ROLE
    /// [--rooms A12,A14]` reads the password from standard input (never
    /// from the command line); `user rooms` changes a user's rooms.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Rooms (installers): `room test-permit --room B07 --minutes 30
    /// --reason TEXT` lets a live camera or microphone be tried in a room
    /// where no resident lives.
    Room {
        #[command(subcommand)]
        command: RoomCommand,
    },
    /// The hub's authority, room devices' bundles and the broker's settings.
    Hub {
        #[command(subcommand)]
        command: hub_commands::HubCommand,
    },
    /// Residents (case officers).
    Resident {
        #[command(subcommand)]
        command: ResidentCommand,
    },
    /// Legal bases (case officers).
    Basis {
        #[command(subcommand)]
        command: Box<BasisCommand>,
    },
    /// The AI disclosure (R8.2).
    Disclosure {
        #[command(subcommand)]
        command: DisclosureCommand,
    },
    /// An opposition by the resident, attorney or guardian (R1.4).
    Opposition {
        #[command(subcommand)]
        command: OppositionCommand,
    },
    /// Complaints about decisions, with their deadlines (R12).
    Complaint {
        #[command(subcommand)]
        command: ComplaintCommand,
    },
    /// What is allowed for a resident right now, and why not.
    Status {
        resident: String,
        #[arg(long)]
        json: bool,
    },
    /// The audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Deletes now the alarm history and audit rows older than
    /// `[retention]` keeps (the running device does so every hour).
    Prune {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum RoomCommand {
    /// A test permit for live sources in a room without a resident (audited).
    TestPermit {
        #[arg(long)]
        room: String,
        /// How long it holds, from now.
        #[arg(long, default_value_t = 30)]
        minutes: u32,
        /// Why (for the audit trail).
        #[arg(long)]
        reason: String,
    },
}

#[derive(Subcommand)]
enum DisclosureCommand {
    /// Record that the resident or a representative was told AI is used.
    Record {
        #[arg(long)]
        resident: String,
        /// `resident` or the representative's id (rep-1, …).
        #[arg(long)]
        informed: String,
        /// When (ISO 8601); default now.
        #[arg(long)]
        at: Option<String>,
        /// How they were informed.
        #[arg(long)]
        how: String,
    },
}

#[derive(Subcommand)]
enum OppositionCommand {
    Record {
        #[arg(long)]
        resident: String,
        /// `resident` or the representative's id (rep-1, …).
        #[arg(long)]
        by: String,
        /// When (ISO 8601); default now.
        #[arg(long)]
        at: Option<String>,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the hash chain; names any edited, inserted or deleted row.
    Verify {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    Add {
        #[arg(long)]
        name: String,
        /// staff, case_officer, installer or auditor.
        #[arg(long)]
        role: String,
        /// The rooms a staff member answers for, comma-separated; alarms
        /// elsewhere reach them only once escalated. Left out: every room.
        #[arg(long, value_delimiter = ',')]
        rooms: Vec<String>,
    },
    /// Sets the rooms a user answers for; `--rooms ""` for every room.
    Rooms {
        #[arg(long)]
        name: String,
        #[arg(long, value_delimiter = ',', num_args = 0..)]
        rooms: Vec<String>,
    },
    /// Sets a new password, read from standard input; her sessions end.
    Password {
        #[arg(long)]
        name: String,
    },
    /// Stops a user from logging in; her sessions end at once.
    Disable {
        #[arg(long)]
        name: String,
    },
    /// Lets a disabled user log in again.
    Enable {
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Care event to staff: the time to the staff app's event stream and,
    /// with --mqtt, to a subscriber of the broker, on loopback.
    Alarms {
        #[arg(long, default_value_t = 200)]
        count: usize,
        /// Milliseconds between events.
        #[arg(long, default_value_t = 20)]
        interval_ms: u64,
        /// A broker on loopback, host:port.
        #[arg(long, value_name = "HOST:PORT")]
        mqtt: Option<String>,
        /// Reach the broker over TLS, trusting this authority (PEM).
        #[arg(long, value_name = "CA.pem", requires = "mqtt")]
        mqtt_ca: Option<PathBuf>,
        /// Phones on the event stream, each with its own session.
        #[arg(long, default_value_t = 1)]
        phones: usize,
        /// Real log-ins a second meanwhile (Argon2, a stored session each).
        #[arg(long, default_value_t = 0.0)]
        log_ins_per_second: f64,
        #[arg(long)]
        json: bool,
    },
    /// The whole sound path (resampling, front end, YAMNet, VAD, events) over WAV files.
    Audio {
        #[arg(long, required = true, num_args = 1.., value_name = "FILE.wav")]
        files: Vec<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// The pose pipeline in tracking mode over every frame in a folder.
    Vision {
        /// A folder of frames, or a video file.
        #[arg(long, value_name = "DIR|FILE", alias = "video")]
        frames: PathBuf,
        #[arg(long)]
        json: bool,
        /// Untimed frames first.
        #[arg(long, default_value_t = 10)]
        warmup: usize,
        /// Follow at most this many people (overrides the settings).
        #[arg(long, value_name = "N")]
        max_persons: Option<usize>,
    },
}

/// `--now` is for records and reports: a live camera or microphone opens
/// only at the real time, so a past time cannot revive an ended basis.
fn live_at_real_time(now: &Option<String>) -> Result<(), UsageError> {
    match now {
        Some(_) => Err(UsageError(
            "--now is for records and reports: a live camera or microphone opens only at the real time".into(),
        )),
        None => Ok(()),
    }
}

/// An error that is the user's to fix (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(String);

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("TRYGHED_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            let refused = matches!(
                error.downcast_ref::<tryghed::store::StoreError>(),
                Some(
                    tryghed::store::StoreError::Refused(_)
                        | tryghed::store::StoreError::UnknownResident(_)
                        | tryghed::store::StoreError::UnknownBasis(_)
                        | tryghed::store::StoreError::UnknownUser(_)
                        | tryghed::store::StoreError::ResidentExists(_)
                        | tryghed::store::StoreError::BasisExists(_)
                        | tryghed::store::StoreError::TestPermit(_)
                )
            );
            let gate_refused = matches!(
                error.downcast_ref::<tryghed::app::GateWatchError>(),
                Some(
                    tryghed::app::GateWatchError::Denied { .. }
                        | tryghed::app::GateWatchError::NoTestPermit { .. }
                )
            );
            if refused
                || gate_refused
                || error.downcast_ref::<UsageError>().is_some()
                || error
                    .downcast_ref::<tryghed::config::ConfigError>()
                    .is_some()
            {
                ExitCode::from(2)
            } else if error
                .downcast_ref::<tryghed::app::product::DeviceStartError>()
                .is_some()
            {
                ExitCode::from(3)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

fn load_config(cli: &Cli) -> anyhow::Result<Config> {
    let mut config = match &cli.config {
        Some(path) => Config::load(path)?,
        None => Config::default(),
    };
    if let Some(dir) = &cli.models {
        config.models_dir = dir.clone();
    }
    Ok(config)
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let config = load_config(&cli)?;
    let now = match &cli.now {
        Some(text) => case_commands::parse_time("--now", text)?,
        None => chrono::Utc::now(),
    };
    let actor = cli
        .actor
        .clone()
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "unknown".into());
    let data_dir = cli
        .data_dir
        .clone()
        .unwrap_or_else(case_commands::default_data_dir);
    let open_store = || tryghed::store::Store::open(&data_dir);
    match cli.command {
        Command::User {
            command: UserCommand::Add { name, role, rooms },
        } => {
            let role: tryghed::store::Role = role.parse().map_err(UsageError)?;
            let password = password_from_stdin()?;
            let rooms: Vec<String> = rooms.into_iter().filter(|r| !r.trim().is_empty()).collect();
            open_store()?
                .add_user(&name, role, &rooms, &password, &actor, now)
                .map_err(|e| UsageError(e.to_string()))?;
            out!(
                "user {name} added as {}, {}",
                role.name(),
                rooms_text(&rooms)
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::User {
            command: UserCommand::Rooms { name, rooms },
        } => {
            let rooms: Vec<String> = rooms.into_iter().filter(|r| !r.trim().is_empty()).collect();
            open_store()?.set_user_rooms(&name, &rooms, &actor, now)?;
            out!("user {name}: {}", rooms_text(&rooms));
            Ok(ExitCode::SUCCESS)
        }
        Command::User {
            command: UserCommand::Password { name },
        } => {
            let password = password_from_stdin()?;
            let ended = open_store()?
                .set_password(&name, &password, &actor, now)
                .map_err(|e| UsageError(e.to_string()))?;
            out!("user {name}: new password; {ended} session(s) ended");
            Ok(ExitCode::SUCCESS)
        }
        Command::User {
            command: UserCommand::Disable { name },
        } => {
            let ended = open_store()?.disable_user(&name, &actor, now)?;
            out!("user {name} disabled; {ended} session(s) ended");
            Ok(ExitCode::SUCCESS)
        }
        Command::User {
            command: UserCommand::Enable { name },
        } => {
            open_store()?.enable_user(&name, &actor, now)?;
            out!("user {name} may log in again");
            Ok(ExitCode::SUCCESS)
        }
        Command::Room {
            command:
                RoomCommand::TestPermit {
                    room,
                    minutes,
                    reason,
                },
        } => {
            let permit = open_store()?.grant_test_permit(&room, minutes, &reason, &actor, now)?;
            out!(
                "test permit {} for room {}: live sources may be tried there until {} (by {})",
                permit.id,
                permit.room,
                permit.until.to_rfc3339(),
                permit.by
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Hub { command } => hub_commands::hub(command, &config, cli.data_dir.as_deref()),
        Command::Resident { command } => {
            case_commands::resident(&mut open_store()?, command, &actor, now)
        }
        Command::Basis { command } => {
            case_commands::basis(&mut open_store()?, *command, &actor, now)
        }
        Command::Disclosure {
            command:
                DisclosureCommand::Record {
                    resident,
                    informed,
                    at,
                    how,
                },
        } => {
            case_commands::disclosure(&mut open_store()?, resident, informed, at, how, &actor, now)
        }
        Command::Opposition {
            command: OppositionCommand::Record { resident, by, at },
        } => case_commands::opposition(&mut open_store()?, resident, by, at, &actor, now),
        Command::Complaint { command } => {
            case_commands::complaint(&mut open_store()?, command, &actor, now)
        }
        Command::Status { resident, json } => {
            case_commands::status(&open_store()?, resident, json, now)
        }
        Command::Audit {
            command: AuditCommand::Verify { json },
        } => case_commands::audit_verify(&open_store()?, json),
        Command::Prune { json } => {
            let pruned = open_store()?.prune(&config.retention, &actor, now)?;
            if json {
                out!("{}", serde_json::to_string(&pruned)?);
            } else {
                out!(
                    "deleted {} alarms ({} steps, {} outbox rows) older than {} days and {} audit rows older than {} days",
                    pruned.alarms,
                    pruned.steps,
                    pruned.outbox_rows,
                    config.retention.alarm_days,
                    pruned.audit_rows,
                    config.retention.audit_days
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Openapi => {
            out!(
                "{}",
                serde_json::to_string_pretty(&tryghed::deliver::http::openapi_document())?
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::CheckConfig { file } => {
            Config::load(&file)?;
            out!("{}: ok", file.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Microphones => {
            let microphones = tryghed::capture::microphone::list_microphones();
            if microphones.is_empty() {
                out!("no microphone found (ALSA lists no input device)");
            }
            for (name, description) in microphones {
                out!("{name}\t{description}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Listen {
            microphone,
            resident,
            room,
            seconds,
            patches,
            json,
        } => {
            if seconds.is_some_and(|s| !(s > 0.0 && s.is_finite())) {
                anyhow::bail!("--seconds must be a positive number");
            }
            live_at_real_time(&cli.now)?;
            let live_for = LiveFor::from_args(resident, room)
                .ok_or_else(|| UsageError("listen needs --resident ID or --room ROOM".into()))?;
            let door = open_live(&data_dir, &live_for, Kind::Sound, &actor)?;
            let runtime = Runtime::load()?;
            let options = tryghed::listen::ListenOptions {
                microphone,
                seconds,
                json,
                patches,
                door,
            };
            let summary =
                tryghed::listen::run(&runtime, &config, &options, &mut std::io::stdout().lock())?;
            let how_long = serde_json::json!({ "seconds": summary.seconds });
            close_live(&data_dir, &live_for, Kind::Sound, &how_long, &actor)?;
            // A device fault is its own exit status, for supervisors.
            Ok(if summary.fault.is_some() {
                ExitCode::from(3)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Cameras => {
            let cameras = camera::list_cameras();
            if cameras.is_empty() {
                out!("no camera found");
            }
            for (index, name) in cameras {
                out!("{index}: {name}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo {
            port,
            seconds,
            fps,
            bind,
            tls,
            no_tls,
            camera_stops_at,
            join,
        } => {
            let bind = std::net::SocketAddr::new(bind, port);
            // Off loopback TLS is on unless refused, and then the start is refused (R5.3).
            let tls = tls || (!bind.ip().is_loopback() && !no_tls);
            tryghed::app::product::check_bind(&bind, tls).map_err(|e| UsageError(e.to_string()))?;
            let join = join
                .map(|dir| tryghed::link::Bundle::load(&dir).map_err(|e| UsageError(e.to_string())))
                .transpose()?;
            let demo = DemoRun {
                bind,
                tls,
                seconds,
                fps,
                camera_stops_at,
                join,
            };
            demo_product(&config, cli.data_dir.as_deref(), demo)
        }
        Command::Run { seconds } => {
            live_at_real_time(&cli.now)?;
            let Some(device) = config.device.clone() else {
                return Err(UsageError("run needs a settings file (--config FILE) with a [device] table: room, resident, camera, microphone".into()).into());
            };
            if seconds.is_some_and(|s| !(s > 0.0 && s.is_finite())) {
                return Err(UsageError("--seconds must be a number above 0".into()).into());
            }
            let bind: std::net::SocketAddr = config.server.bind.parse().map_err(|_| {
                UsageError(format!(
                    "server.bind {}: expected IP:PORT",
                    config.server.bind
                ))
            })?;
            let tls = config.server.tls.unwrap_or(!bind.ip().is_loopback());
            tryghed::app::product::check_bind(&bind, tls).map_err(|e| UsageError(e.to_string()))?;
            let runtime = Runtime::load()?;
            let sound = if device.sound {
                tryghed::app::product::SoundSource::Microphone(device.microphone.clone())
            } else {
                tryghed::app::product::SoundSource::None
            };
            let options = tryghed::app::product::ProductOptions {
                data_dir: data_dir.clone(),
                bind,
                tls,
                resident: ResidentId(device.resident.clone()),
                room: device.room.clone(),
                source: if device.video {
                    tryghed::app::product::RoomSource::Camera {
                        index: device.camera,
                    }
                } else {
                    tryghed::app::product::RoomSource::None
                },
                sound,
                room_file: device.room_file.clone(),
                seconds,
                join: device
                    .join
                    .as_deref()
                    .map(tryghed::link::Bundle::load)
                    .transpose()
                    .map_err(|e| UsageError(format!("device.join: {e}")))?,
            };
            tryghed::app::product::run(
                &runtime,
                &config,
                options,
                Box::new(|line| out!("{line}")),
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Tour {
            frames,
            fps,
            camera,
            resident,
            room,
            reason,
            minutes,
            looping,
            audio,
        } => {
            // The gate first: no source opens, not even a replay, without it.
            let door = TourDoor {
                resident: resident.clone(),
                room,
                camera: camera.is_some(),
                look: reason.map(|reason| LookAsked { minutes, reason }),
            };
            let (gate, closing) = door.open(&data_dir, &cli.now, now, &actor)?;
            let sound_files = if audio.is_empty() {
                tryghed::demo::wav_files(Path::new(DEFAULT_DEMO_SOUNDS)).with_context(|| {
                    format!("{DEFAULT_DEMO_SOUNDS}: cannot list the demo sounds")
                })?
            } else {
                audio
            };
            // Sound has its own gate: a basis may allow video and not sound (R2.2).
            let sound = match &resident {
                None => DemoSound::Files {
                    files: sound_files,
                    gate: None,
                },
                Some(id) => match tryghed::app::watch_gate(
                    &data_dir,
                    &ResidentId(id.clone()),
                    Kind::Sound,
                    now,
                    &actor,
                ) {
                    Ok((_permit, watch)) => DemoSound::Files {
                        files: sound_files,
                        gate: Some(watch),
                    },
                    Err(tryghed::app::GateWatchError::Denied { denial, .. }) => DemoSound::Off {
                        reason: format!("the gate allows no sound for {id}: {denial}"),
                    },
                    Err(e) => return Err(e.into()),
                },
            };
            let runtime = Runtime::load()?;
            let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
            let (source, stills) = match camera {
                Some(index) => (DemoSource::Camera { index }, Vec::new()),
                None => (
                    DemoSource::Replay {
                        frames: frames.unwrap_or_else(|| PathBuf::from(DEFAULT_DEMO_FRAMES)),
                        fps,
                        looping,
                    },
                    // Still photos are of no resident: only without one.
                    if resident.is_some() {
                        Vec::new()
                    } else {
                        [root.join("photos"), root.join("derived")]
                            .into_iter()
                            .filter(|d| d.is_dir())
                            .collect()
                    },
                ),
            };
            let options = tryghed::demo::DemoOptions {
                source,
                stills,
                live: std::io::stdout().is_terminal(),
                gate,
                sound,
            };
            let started = std::time::Instant::now();
            let toured =
                tryghed::demo::run(&runtime, &config, &options, &mut std::io::stdout().lock());
            let shut = options.gate.as_ref().is_some_and(|g| g.shut().is_some());
            let ended = now + chrono::Duration::from_std(started.elapsed()).unwrap_or_default();
            closing.record(&data_dir, shut, ended, &actor)?;
            toured?;
            Ok(ExitCode::SUCCESS)
        }
        Command::AnalyzeAudio { files, json } => analyze_audio(&config, &files, json),
        Command::Eval {
            dir,
            json,
            report: report_file,
            augment,
            bystander,
        } => {
            let mut inputs = tryghed::replay::ModelInputs::new(None, &config);
            if let Some(variant) = augment {
                inputs.augment(variant, bystander.as_deref())?;
            }
            let report = tryghed::eval::eval_dir(&dir, &config.care, &mut inputs)?;
            if let Some(file) = report_file {
                std::fs::write(&file, tryghed::eval::report::markdown(&report)).map_err(|e| {
                    anyhow::anyhow!("{}: cannot write the report: {e}", file.display())
                })?;
            }
            if json {
                out!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                out!("{}", tryghed::eval::report::text(&report));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Replay {
            frames,
            fps,
            video,
            audio,
            room,
            resident,
            start,
            json,
        } => {
            let start = chrono::NaiveTime::parse_from_str(&start, "%H:%M").map_err(|_| {
                UsageError(format!("--start {start}: expected a time of day, HH:MM"))
            })?;
            let frames = match (frames, video) {
                (Some(folder), None) if fps.is_none() => {
                    return Err(UsageError(format!(
                        "--frames {}: give --fps, the rate the frames were taken at",
                        folder.display()
                    ))
                    .into())
                }
                (Some(folder), None) => folder,
                (None, Some(video)) if video.is_dir() => {
                    return Err(UsageError(format!(
                        "--video {}: a folder; use --frames DIR --fps N for frames",
                        video.display()
                    ))
                    .into())
                }
                (None, Some(video)) => video,
                _ => {
                    return Err(
                        UsageError("give --frames DIR --fps N or --video FILE".into()).into(),
                    )
                }
            };
            let runtime = Runtime::load()?;
            let options = tryghed::replay::ReplayOptions {
                frames,
                fps,
                audio,
                room,
                resident,
                start,
            };
            let (events, summary) = tryghed::replay::run(&runtime, &config, &options)?;
            for event in &events {
                if json {
                    out!("{event}");
                } else {
                    out!(
                        "{:>8.2} s  {:<16} {:<8} person {}  confidence {}  {}",
                        event["t_s"].as_f64().unwrap_or(0.0),
                        event["kind"].as_str().unwrap_or("?"),
                        event["level"].as_str().unwrap_or("?"),
                        event["person"],
                        event["confidence"],
                        event["evidence"]
                    );
                }
            }
            if json {
                out!("{}", serde_json::json!({ "summary": summary }));
            } else {
                out!(
                    "{} frames, {} persons, postures {:?}, {} events; the camera looks {:.0} degrees down ({})",
                    summary.frames,
                    summary.persons,
                    summary.postures,
                    summary.events,
                    summary.camera.pitch_deg,
                    if summary.camera.fixed { "from the room file".to_string() } else { format!("learnt from {} standing frames", summary.camera.frames) }
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::AnalyzeImage {
            files,
            json,
            silhouette,
        } => analyze_images(&config, &files, json, silhouette.as_deref()),
        Command::Bench {
            what:
                BenchCommand::Alarms {
                    count,
                    interval_ms,
                    mqtt,
                    mqtt_ca,
                    phones,
                    log_ins_per_second,
                    json,
                },
        } => {
            if count == 0 || count > 100_000 {
                return Err(UsageError("--count: 1 to 100000 events".into()).into());
            }
            if !(1..=200).contains(&phones) {
                return Err(UsageError("--phones: 1 to 200".into()).into());
            }
            if !(0.0..=100.0).contains(&log_ins_per_second) {
                return Err(UsageError("--log-ins-per-second: 0 to 100".into()).into());
            }
            let report = tryghed::bench::alarms::run(tryghed::bench::alarms::AlarmBenchOptions {
                count,
                interval: std::time::Duration::from_millis(interval_ms),
                mqtt,
                mqtt_ca,
                phones,
                log_ins_per_second,
            })?;
            if json {
                out!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                let line = |name: &str, l: &tryghed::bench::alarms::Latency| {
                    format!("{name:<14} {:>4} of {count}  p50 {:.2} ms  p95 {:.2} ms  p99 {:.2} ms  max {:.2} ms", l.received, l.p50_ms, l.p95_ms, l.p99_ms, l.max_ms)
                };
                let stream = &report.event_stream;
                out!("event stream   {} of {} at {} phones  p50 {:.2} ms  p95 {:.2} ms  p99 {:.2} ms  max {:.2} ms", stream.received, count * report.phones, report.phones, stream.p50_ms, stream.p95_ms, stream.p99_ms, stream.max_ms);
                if let Some(load) = &report.log_ins {
                    out!("log-ins        {} of {} let in ({}/s)  p50 {:.0} ms  p99 {:.0} ms  max {:.0} ms", load.ok, load.attempted, load.per_second, load.took.p50_ms, load.took.p99_ms, load.took.max_ms);
                }
                if let Some(mqtt) = &report.mqtt {
                    out!(
                        "{}",
                        line(
                            if report.mqtt_tls {
                                "MQTT over TLS"
                            } else {
                                "MQTT"
                            },
                            mqtt
                        )
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench {
            what: BenchCommand::Audio { files, json },
        } => {
            let runtime = Runtime::load()?;
            let result = tryghed::bench::audio::run(&runtime, &config, &files)?;
            if json {
                out!("{}", serde_json::to_string(&result)?);
            } else {
                out!(
                    "{} files, {:.1} s of audio, {} patches ({} with a second look), {} speech segments, {} sound events\nprocessing {:.4} s: real-time factor {:.5}\nresample {:.1} ms, front end {:.1} ms, YAMNet {:.1} ms, VAD {:.1} ms, events {:.1} ms, alarm patterns {:.1} ms\npeak RSS {:.0} MB",
                    result.files,
                    result.audio_s,
                    result.patches,
                    result.second_looks,
                    result.speech_segments,
                    result.events,
                    result.processing_s,
                    result.real_time_factor,
                    result.resample_ms,
                    result.front_end_ms,
                    result.yamnet_ms,
                    result.vad_ms,
                    result.events_ms,
                    result.alarm_patterns_ms,
                    result.peak_rss_mb
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench {
            what:
                BenchCommand::Vision {
                    frames,
                    json,
                    warmup,
                    max_persons,
                },
        } => {
            let mut settings = config.vision.clone();
            if let Some(n) = max_persons {
                settings.max_persons = n;
                if let Some(problem) = settings.problems().into_iter().next() {
                    return Err(UsageError(format!("--max-persons: {problem}")).into());
                }
            }
            let runtime = Runtime::load()?;
            let result = tryghed::bench::vision::run(
                &runtime,
                &config.models_dir,
                settings,
                &frames,
                warmup,
            )?;
            if json {
                out!("{}", serde_json::to_string(&result)?);
            } else {
                out!("{}", result.to_text().trim_end());
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn analyze_images(
    config: &Config,
    files: &[PathBuf],
    json: bool,
    silhouette: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let runtime = Runtime::load()?;
    let mut tracker = PoseTracker::load(&runtime, &config.models_dir, config.vision.clone())?;
    let mut reports = Vec::with_capacity(files.len());
    let mut failed = 0;
    for (index, path) in files.iter().enumerate() {
        let file = path.display().to_string();
        let frame = match Frame::decode_file(path) {
            Ok(frame) => frame,
            Err(e) => {
                eprintln!("error: {e}");
                failed += 1;
                reports.push(ImageReport::Failed {
                    file,
                    error: e.to_string(),
                });
                continue;
            }
        };
        let persons = tracker.analyze_image(&frame)?;
        if index == 0 {
            if let Some(out) = silhouette {
                let picture = Silhouette::draw(frame.width(), frame.height(), &persons);
                let png = picture.to_png(
                    frame
                        .width()
                        .max(frame.height())
                        .div_ceil(picture.width().max(picture.height())),
                )?;
                std::fs::write(out, png)
                    .with_context(|| format!("{}: cannot write the silhouette", out.display()))?;
            }
        }
        let persons = persons
            .iter()
            .map(|p| PersonReport::from_pose(&p.pose))
            .collect::<Vec<_>>();
        if !json {
            out!(
                "{file}: {}x{}, {} person(s)",
                frame.width(),
                frame.height(),
                persons.len()
            );
            for p in &persons {
                out!(
                    "  score {:.2}  box [{:.0}, {:.0}, {:.0}, {:.0}]",
                    p.score,
                    p.bbox[0],
                    p.bbox[1],
                    p.bbox[2],
                    p.bbox[3]
                );
            }
        }
        reports.push(ImageReport::Analysed {
            file,
            width: frame.width(),
            height: frame.height(),
            persons,
        });
    }
    if silhouette.is_some() && matches!(reports.first(), Some(ImageReport::Failed { .. })) {
        eprintln!("error: no silhouette written: the first file could not be read");
    }
    if json {
        out!("{}", serde_json::to_string_pretty(&reports)?);
    }
    Ok(if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn analyze_audio(config: &Config, files: &[PathBuf], json: bool) -> anyhow::Result<ExitCode> {
    use tryghed::audio::analyzer::{SoundAnalyzer, SoundOutput};
    use tryghed::audio::events::EventUpdate;
    use tryghed::audio::report::analyze_file;
    let runtime = Runtime::load()?;
    let mut analyzer = SoundAnalyzer::load(&runtime, &config.models_dir, &config.sound)?;
    let mut reports = Vec::new();
    let mut failed = 0;
    for path in files {
        let file = path.display().to_string();
        let result = analyze_file(&mut analyzer, path, |output, analyzer| {
            if json {
                return;
            }
            match output {
                SoundOutput::Patch(p) => {
                    let top: Vec<String> = p
                        .top
                        .iter()
                        .map(|&(c, s)| format!("{} {s:.3}", analyzer.class_name(c)))
                        .collect();
                    out!("{file} {:>7.2} s  {}", p.start_s, top.join(" | "));
                }
                SoundOutput::Speech(s) => {
                    out!("{file} speech {:.2}-{:.2} s", s.start_s(), s.end_s())
                }
                SoundOutput::Event(EventUpdate::Began(e)) => out!(
                    "{file} EVENT {} from {:.2} s ({})",
                    e.kind,
                    e.start_s,
                    e.classes.join(", ")
                ),
                SoundOutput::Event(EventUpdate::Ended(e)) => {
                    out!(
                        "{file} EVENT {} {:.2}-{:.2} s, score {:.2} ({})",
                        e.kind,
                        e.start_s,
                        e.end_s,
                        e.score,
                        e.classes.join(", ")
                    )
                }
            }
        });
        match result {
            Ok(report) => {
                if let Some(error) = &report.error {
                    eprintln!("error: {error} (analysed up to there)");
                    failed += 1;
                }
                reports.push(serde_json::to_value(&report)?);
            }
            Err(e) => {
                eprintln!("error: {e}");
                failed += 1;
                reports.push(serde_json::json!({ "file": file, "error": e.to_string() }));
            }
        }
    }
    if json {
        let out = if reports.len() == 1 {
            reports.remove(0)
        } else {
            serde_json::Value::Array(reports)
        };
        out!("{}", serde_json::to_string_pretty(&out)?);
    }
    Ok(if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// `tryghed demo`: the product on the demo room. Its records live in a
/// fresh data folder (`--data-dir`, or one under the system's temporary
/// folder that is removed at the end), so a demo never touches real ones.
/// How the demo runs.
struct DemoRun {
    bind: std::net::SocketAddr,
    tls: bool,
    seconds: Option<f64>,
    fps: f64,
    camera_stops_at: Option<f64>,
    /// Joined to a hub: the room is the bundle's, no records here.
    join: Option<tryghed::link::Bundle>,
}

fn demo_product(
    config: &Config,
    data_dir: Option<&Path>,
    demo: DemoRun,
) -> anyhow::Result<ExitCode> {
    let DemoRun {
        bind,
        tls,
        seconds,
        fps,
        camera_stops_at,
        join,
    } = demo;
    if !(fps > 0.0 && fps <= 60.0) {
        return Err(UsageError(format!(
            "--fps {fps}: the demo room runs at 1 to 60 frames per second"
        ))
        .into());
    }
    if seconds.is_some_and(|s| !(s > 0.0 && s.is_finite())) {
        return Err(UsageError("--seconds must be a number above 0".into()).into());
    }
    let temporary = data_dir.is_none();
    let data_dir = data_dir.map(Path::to_path_buf).unwrap_or_else(|| {
        std::env::temp_dir().join(format!("tryghed-demo-{}", std::process::id()))
    });
    let resuming = data_dir.join(tryghed::store::DATABASE_FILE).exists();
    let runtime = Runtime::load()?;
    let now = chrono::Utc::now();
    let (resident, room) = if let Some(bundle) = &join {
        // The hub's permit names the resident; nothing opens before it.
        out!("tryghed demo: room {}, joined to its hub", bundle.room);
        (ResidentId::default(), bundle.room.clone())
    } else {
        let mut store = tryghed::store::Store::open(&data_dir)?;
        if resuming {
            // A demo folder from before (a restart): its records and log-ins stand.
            let resident = ResidentId("demo-1".into());
            let room = store.resident(&resident).map_err(|_| UsageError(format!("{}: holds records that are not the demo's; the demo needs an empty folder or its own", data_dir.display())))?.room;
            out!("tryghed demo: room {room}, resident {resident}, going on from {} (log-ins as before)", data_dir.display());
            (resident, room)
        } else {
            let (resident, room, users) = tryghed::app::product::demo_records(&mut store, now)?;
            out!("tryghed demo: room {room}, resident {resident} (consent to video and sound, AI disclosed)");
            out!("log in as:");
            for (name, role, password) in &users {
                out!("  {name:<12} {password}   ({})", role.name());
            }
            (resident, room)
        }
    };
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let sounds = [
        "recorded_scream.wav",
        "speech_hjaelp_da.wav",
        "recorded_impact_door_slam.wav",
        "room_noise.wav",
    ]
    .iter()
    .map(|f| fixtures.join("audio").join(f))
    .collect();
    let sound = tryghed::app::product::SoundSource::Files(sounds);
    let options = tryghed::app::product::ProductOptions {
        data_dir: data_dir.clone(),
        bind,
        tls,
        resident,
        room,
        source: tryghed::app::product::RoomSource::Scene {
            photos: fixtures.join("photos"),
            fps,
            camera_stops_at,
        },
        sound,
        room_file: None,
        seconds,
        join,
    };
    let result =
        tryghed::app::product::run(&runtime, config, options, Box::new(|line| out!("{line}")));
    if temporary {
        let _ = std::fs::remove_dir_all(&data_dir);
    }
    result?;
    Ok(ExitCode::SUCCESS)
}

/// One line from standard input, without its line ending (never echoed
/// or logged).
fn password_from_stdin() -> anyhow::Result<String> {
    let mut password = String::new();
    std::io::stdin()
        .read_line(&mut password)
        .context("cannot read the password from standard input")?;
    Ok(password.trim_end_matches(['\n', '\r']).to_string())
}

/// "rooms A12, A14" or "every room".
fn rooms_text(rooms: &[String]) -> String {
    if rooms.is_empty() {
        "every room".into()
    } else {
        format!("rooms {}", rooms.join(", "))
    }
}

/// Which door `tour` opens its video through.
struct TourDoor {
    resident: Option<String>,
    room: Option<String>,
    camera: bool,
    look: Option<LookAsked>,
}

/// What is put on record when a tour ends.
enum TourEnd {
    /// A look at a resident, unless its watch ended it (and said so).
    Look(ResidentId, OpenLook),
    /// A live camera in a room without a resident, under a test permit.
    Live(LiveFor),
    /// The built-in frames of nobody.
    Replay,
}

impl TourDoor {
    /// For a resident the tour is a look (R3.2), live or replayed; a live
    /// camera opens at the real time only; the built-in frames need nothing.
    fn open(
        self,
        data_dir: &Path,
        what_if: &Option<String>,
        now: chrono::DateTime<chrono::Utc>,
        actor: &str,
    ) -> anyhow::Result<(Option<tryghed::app::GateWatch>, TourEnd)> {
        if self.camera {
            live_at_real_time(what_if)?;
        }
        let at = if self.camera { chrono::Utc::now() } else { now };
        match (self.resident, self.look, self.room) {
            (Some(id), Some(asked), _) => {
                let resident = ResidentId(id);
                let (look, watch) = open_look(data_dir, &resident, &asked, at, actor)?;
                Ok((Some(watch), TourEnd::Look(resident, look)))
            }
            (Some(_), None, _) => Err(UsageError(
                "tour --resident needs --reason TEXT: a look is asked for with a reason, and it is on record (R3.2)".into(),
            )
            .into()),
            (None, _, Some(room)) => {
                let live_for = LiveFor::EmptyRoom(room);
                let watch = open_live(data_dir, &live_for, Kind::Video, actor)?;
                Ok((Some(watch), TourEnd::Live(live_for)))
            }
            (None, _, None) if self.camera => Err(UsageError(
                "tour --camera needs --resident ID or --room ROOM".into(),
            )
            .into()),
            (None, _, None) => Ok((None, TourEnd::Replay)),
        }
    }
}

impl TourEnd {
    fn record(
        self,
        data_dir: &Path,
        shut: bool,
        ended: chrono::DateTime<chrono::Utc>,
        actor: &str,
    ) -> anyhow::Result<()> {
        match self {
            TourEnd::Look(resident, look) if !shut => {
                close_look(data_dir, &resident, &look, actor, ended)?
            }
            TourEnd::Live(live_for) => {
                let detail = serde_json::json!({ "ended": ended.to_rfc3339() });
                close_live(data_dir, &live_for, Kind::Video, &detail, actor)?
            }
            TourEnd::Look(..) | TourEnd::Replay => {}
        }
        Ok(())
    }
}
