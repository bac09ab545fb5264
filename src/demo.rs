//! `tryghed demo`: the pipeline on the built-in frames and sounds, shown
//! live in the terminal as staff would be allowed to see it: a silhouette,
//! figures and sound-event labels, never a camera image or a sound.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::audio::analyzer::SoundAnalyzer;
use crate::audio::report::analyze_file;
use crate::capture::replay;
use crate::capture::Frame;
use crate::config::Config;
use crate::inference::Runtime;
use crate::vision::silhouette::Silhouette;
use crate::vision::PoseTracker;

pub struct DemoOptions {
    pub source: DemoSource,
    /// Folders of still photos analysed one by one after the video.
    pub stills: Vec<PathBuf>,
    /// Redraw in place (a terminal) rather than print line after line.
    pub live: bool,
    /// For a resident: the gate's watch, which may shut the source.
    pub gate: Option<crate::app::GateWatch>,
    /// Sound to play through the analysis (never to a speaker).
    pub sound: DemoSound,
}

/// The demo's sound: WAV files replayed into the analysis, or nothing
/// (and why).
pub enum DemoSound {
    Files {
        files: Vec<PathBuf>,
        gate: Option<crate::app::GateWatch>,
    },
    Off {
        reason: String,
    },
}

/// Where the demo's video comes from.
pub enum DemoSource {
    /// A folder of frames replayed at a rate, as a camera would deliver them.
    Replay {
        frames: PathBuf,
        fps: f64,
        looping: bool,
    },
    /// A live camera, until interrupted.
    Camera { index: u32 },
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Replay(#[from] replay::ReplayError),
    #[error(transparent)]
    Camera(#[from] crate::capture::camera::CameraError),
    #[error(transparent)]
    Vision(#[from] crate::vision::VisionError),
    #[error(transparent)]
    Sound(#[from] crate::audio::analyzer::AnalyzerError),
    #[error("cannot write to the terminal")]
    Output(#[from] std::io::Error),
}

#[derive(Debug, Default)]
pub struct DemoSummary {
    pub frames: usize,
    pub frames_with_person: usize,
    /// Frames that could not be read, or the camera failing.
    pub skipped_frames: usize,
    /// Frames replaced by newer ones before vision was free.
    pub dropped_frames: usize,
    pub stills: usize,
    pub stills_with_person: usize,
    pub sound_files: usize,
    pub sound_seconds: f64,
    pub sound_events: usize,
    /// The gate shut the source while it ran.
    pub shut_by_gate: bool,
}

pub fn run(
    runtime: &Runtime,
    config: &Config,
    options: &DemoOptions,
    out: &mut impl Write,
) -> Result<DemoSummary, DemoError> {
    let mut tracker = PoseTracker::load(runtime, &config.models_dir, config.vision.clone())?;
    let capture = match &options.source {
        DemoSource::Replay {
            frames,
            fps,
            looping,
        } => {
            let capture = if *looping {
                crate::app::spawn_replay_looping(frames, *fps)?
            } else {
                crate::app::spawn_replay(frames, *fps)?
            };
            writeln!(
                out,
                "tryghed demo: no camera needed; replaying {} frames from {} at {fps} fps.",
                capture.total.unwrap_or(0),
                frames.display()
            )?;
            capture
        }
        DemoSource::Camera { index } => {
            let capture = crate::app::spawn_camera(*index)?;
            writeln!(
                out,
                "tryghed demo: live from camera {index}; stop with Ctrl-C."
            )?;
            capture
        }
    };
    let total = capture
        .total
        .map_or_else(|| "-".to_string(), |n| n.to_string());
    writeln!(out, "Frames stay in memory and are wiped after analysis; below is all that may leave the room.\n")?;
    let mut summary = DemoSummary::default();
    let started = Instant::now();
    while let Some(frame) = capture.frames.recv() {
        if let Some((denial, at)) = options.gate.as_ref().and_then(|g| g.shut()) {
            // Dropping the receiver stops capture; the frame in hand is wiped.
            drop(frame);
            writeln!(
                out,
                "gate: source shut at {}: {denial}",
                at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
            )?;
            summary.shut_by_gate = true;
            break;
        }
        for fault in capture.faults.try_iter() {
            summary.skipped_frames += 1;
            writeln!(out, "capture fault: {fault}")?;
        }
        let t = Instant::now();
        let persons = tracker.track(&frame)?;
        let pipeline_ms = t.elapsed().as_secs_f64() * 1000.0;
        summary.frames += 1;
        summary.frames_with_person += usize::from(!persons.is_empty());
        let scores: Vec<String> = persons
            .iter()
            .map(|p| format!("{:.2}", p.pose.score))
            .collect();
        let fps = summary.frames as f64 / started.elapsed().as_secs_f64();
        let status = format!(
            "frame {:>3}/{total}  persons {}  pose score [{}]  pipeline {:>5.1} ms  analysed {:>4.1} fps  dropped {}",
            summary.frames + summary.skipped_frames + capture.frames.dropped() as usize,
            persons.len(),
            scores.join(", "),
            pipeline_ms,
            fps,
            capture.frames.dropped()
        );
        if options.live {
            let picture = Silhouette::draw(frame.width(), frame.height(), persons).to_text(64);
            // Home the cursor and redraw: a live view without scrolling.
            write!(out, "\x1b[H\x1b[Jtryghed demo: the silhouette is all that may leave the room\n\n{picture}{status}\n")?;
        } else {
            writeln!(out, "{status}")?;
        }
        out.flush()?;
    }
    for fault in capture.faults.try_iter() {
        summary.skipped_frames += 1;
        writeln!(out, "capture fault: {fault}")?;
    }
    summary.dropped_frames = capture.frames.dropped() as usize;
    let crate::app::CaptureStage { frames, thread, .. } = capture;
    // Vision stops listening, so capture stops too.
    drop(frames);
    let _ = thread.join();
    writeln!(
        out,
        "\nvideo: {} of {} frames with a person, {} dropped while busy, {} capture faults\n",
        summary.frames_with_person, summary.frames, summary.dropped_frames, summary.skipped_frames
    )?;
    for folder in &options.stills {
        analyse_stills(&mut tracker, folder, out, &mut summary)?;
    }
    if !options.stills.is_empty() {
        writeln!(out)?;
    }
    play_sound(runtime, config, &options.sound, out, &mut summary)?;
    Ok(summary)
}

/// Plays the sound files through the analysis as fast as it goes and
/// shows what it recognises: speech and care sound events, labels and
/// times only.
fn play_sound(
    runtime: &Runtime,
    config: &Config,
    sound: &DemoSound,
    out: &mut impl Write,
    summary: &mut DemoSummary,
) -> Result<(), DemoError> {
    let (files, gate) = match sound {
        DemoSound::Off { reason } => {
            writeln!(out, "sound: not analysed: {reason}\n")?;
            return Ok(());
        }
        DemoSound::Files { files, gate } => (files, gate),
    };
    let mut analyzer = SoundAnalyzer::load(runtime, &config.models_dir, &config.sound)?;
    writeln!(out, "sound: {} recordings played into the analysis, never to a speaker; nothing of them is kept:", files.len())?;
    for file in files {
        if let Some((denial, at)) = gate.as_ref().and_then(|g| g.shut()) {
            writeln!(
                out,
                "gate: sound shut at {}: {denial}",
                at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
            )?;
            summary.shut_by_gate = true;
            break;
        }
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        match analyze_file(&mut analyzer, file, |_, _| {}) {
            Err(e) => writeln!(out, "  {name:<40} skipped: {e}")?,
            Ok(report) => {
                summary.sound_files += 1;
                summary.sound_seconds += report.duration_s;
                summary.sound_events += report.events.len();
                let events: Vec<String> = report
                    .events
                    .iter()
                    .map(|e| {
                        format!(
                            "{} {:.1}-{:.1} s ({:.2})",
                            e.kind, e.start_s, e.end_s, e.score
                        )
                    })
                    .collect();
                let events = if events.is_empty() {
                    "no event".to_string()
                } else {
                    events.join(", ")
                };
                writeln!(
                    out,
                    "  {name:<40} {:>5.1} s  speech {}  {events}",
                    report.duration_s,
                    report.speech.len()
                )?;
                if let Some(error) = report.error {
                    writeln!(out, "  {name:<40} cut short: {error}")?;
                }
            }
        }
    }
    writeln!(
        out,
        "sound: {:.1} s analysed, {} sound events\n",
        summary.sound_seconds, summary.sound_events
    )?;
    Ok(())
}

fn analyse_stills(
    tracker: &mut PoseTracker,
    folder: &Path,
    out: &mut impl Write,
    summary: &mut DemoSummary,
) -> Result<(), DemoError> {
    writeln!(out, "still photos in {}:", folder.display())?;
    for file in replay::frame_files(folder)? {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        match Frame::decode_file(&file) {
            Err(e) => writeln!(out, "  {name:<32} skipped: {e}")?,
            Ok(frame) => {
                let persons = tracker.analyze_image(&frame)?;
                summary.stills += 1;
                summary.stills_with_person += usize::from(!persons.is_empty());
                let best = persons
                    .first()
                    .map_or("-".to_string(), |p| format!("{:.2}", p.pose.score));
                writeln!(
                    out,
                    "  {name:<32} {}x{}  persons {}  best pose score {best}",
                    frame.width(),
                    frame.height(),
                    persons.len()
                )?;
            }
        }
    }
    Ok(())
}

/// The WAV files in a folder, in name order.
pub fn wav_files(folder: &Path) -> Result<Vec<PathBuf>, std::io::Error> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x.eq_ignore_ascii_case("wav")))
        .collect();
    files.sort();
    Ok(files)
}
