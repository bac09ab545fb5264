//! `tryghed listen`: the sound path on a live microphone, for installers
//! checking a room. It opens only through the live door (a resident's
//! current basis, or a test permit for a room without a resident). It
//! prints what it recognises (labels and times only) and stops after a
//! given length of sound, on Ctrl-C, when the door shuts, or when the
//! device fails, which it reports as a device fault.

use std::io::Write;

use serde_json::json;

use crate::app::spawn_microphone;
use crate::audio::analyzer::{AnalyzerError, SoundAnalyzer, SoundOutput};
use crate::audio::events::EventUpdate;
use crate::audio::SAMPLE_RATE;
use crate::capture::microphone::MicrophoneError;
use crate::config::Config;
use crate::domain::round3;
use crate::inference::Runtime;

pub struct ListenOptions {
    /// An ALSA device name; the system default when `None`.
    pub microphone: Option<String>,
    /// Stop after this many seconds of sound (counted in samples, not by
    /// the clock); run until interrupted when `None`.
    pub seconds: Option<f64>,
    /// One JSON object per line instead of text.
    pub json: bool,
    /// Also print YAMNet's top classes for every patch.
    pub patches: bool,
    /// The open door: listening stops the moment it shuts.
    pub door: crate::app::GateWatch,
}

#[derive(Debug, thiserror::Error)]
pub enum ListenError {
    #[error(transparent)]
    Microphone(#[from] MicrophoneError),
    #[error(transparent)]
    Analyzer(#[from] AnalyzerError),
    #[error("cannot write the output")]
    Output(#[from] std::io::Error),
}

#[derive(Debug, Default)]
pub struct ListenSummary {
    pub seconds: f64,
    pub events: usize,
    /// The device fault that ended listening, if one did.
    pub fault: Option<String>,
    /// Why the door shut the microphone, if it did.
    pub shut: Option<String>,
}

pub fn run(
    runtime: &Runtime,
    config: &Config,
    options: &ListenOptions,
    out: &mut impl Write,
) -> Result<ListenSummary, ListenError> {
    let mut analyzer = SoundAnalyzer::load(runtime, &config.models_dir, &config.sound)?;
    let stage = spawn_microphone(options.microphone.clone())?;
    let name = options.microphone.as_deref().unwrap_or("default");
    if options.json {
        writeln!(
            out,
            "{}",
            json!({ "type": "open", "microphone": name, "rate": stage.rate, "channels": stage.channels })
        )?;
    } else {
        writeln!(out, "listening to microphone {name} ({} Hz, {} channels); sound stays in memory and is never played or stored", stage.rate, stage.channels)?;
    }
    let limit = options
        .seconds
        .map(|s| (s * f64::from(SAMPLE_RATE)).round() as u64);
    let mut samples = 0u64;
    let mut summary = ListenSummary::default();
    for chunk in stage.chunks.iter() {
        let take = limit.map_or(chunk.samples().len(), |l| {
            chunk.samples().len().min((l - samples) as usize)
        });
        let outputs = if take < chunk.samples().len() {
            let part = crate::audio::AudioChunk::from_samples(chunk.samples()[..take].to_vec());
            analyzer.push(&part)?
        } else {
            analyzer.push(&chunk)?
        };
        samples += take as u64;
        drop(chunk);
        show(&analyzer, outputs, options, out, &mut summary)?;
        if limit.is_some_and(|l| samples >= l) {
            break;
        }
        if let Some((denial, _)) = options.door.shut() {
            summary.shut = Some(denial.to_string());
            break;
        }
    }
    let outputs = analyzer.finish()?;
    show(&analyzer, outputs, options, out, &mut summary)?;
    summary.seconds = samples as f64 / f64::from(SAMPLE_RATE);
    // Stop the device before reading its last word.
    summary.fault = stage.stop().into_iter().next();
    if let Some(shut) = &summary.shut {
        if options.json {
            writeln!(out, "{}", json!({ "type": "shut", "message": shut }))?;
        } else {
            writeln!(out, "the microphone was shut: {shut}")?;
        }
    }
    if let Some(fault) = &summary.fault {
        if options.json {
            writeln!(out, "{}", json!({ "type": "fault", "message": fault }))?;
        } else {
            writeln!(out, "device fault: {fault}")?;
        }
    }
    if options.json {
        writeln!(
            out,
            "{}",
            json!({ "type": "summary", "seconds": round3(summary.seconds), "events": summary.events })
        )?;
    } else {
        writeln!(
            out,
            "{:.1} s of sound analysed, {} sound events",
            summary.seconds, summary.events
        )?;
    }
    Ok(summary)
}

fn show(
    analyzer: &SoundAnalyzer,
    outputs: Vec<SoundOutput>,
    options: &ListenOptions,
    out: &mut impl Write,
    summary: &mut ListenSummary,
) -> std::io::Result<()> {
    for output in outputs {
        let line = match output {
            SoundOutput::Patch(p) if options.patches => {
                let top: Vec<_> = p.top.iter().map(|&(c, s)| json!({ "class": analyzer.class_name(c), "score": round3(f64::from(s)) })).collect();
                json!({ "type": "patch", "start_s": round3(p.start_s), "top": top })
            }
            SoundOutput::Patch(_) => continue,
            SoundOutput::Speech(s) => {
                json!({ "type": "speech", "start_s": round3(s.start_s()), "end_s": round3(s.end_s()) })
            }
            SoundOutput::Event(EventUpdate::Began(e)) => {
                json!({ "type": "event_began", "kind": e.kind, "start_s": round3(e.start_s), "classes": e.classes })
            }
            SoundOutput::Event(EventUpdate::Ended(e)) => {
                summary.events += 1;
                json!({ "type": "event", "kind": e.kind, "start_s": round3(e.start_s), "end_s": round3(e.end_s), "score": round3(f64::from(e.score)), "classes": e.classes })
            }
        };
        if options.json {
            writeln!(out, "{line}")?;
        } else {
            writeln!(out, "{}", text_line(&line))?;
        }
    }
    out.flush()
}

fn text_line(line: &serde_json::Value) -> String {
    let get = |k: &str| line[k].as_f64().unwrap_or(0.0);
    match line["type"].as_str().unwrap_or("") {
        "speech" => format!("{:>8.2}-{:.2} s  speech", get("start_s"), get("end_s")),
        "event_began" => format!(
            "{:>8.2} s       {} begins ({})",
            get("start_s"),
            line["kind"].as_str().unwrap_or("?"),
            join(&line["classes"])
        ),
        "event" => format!(
            "{:>8.2}-{:.2} s  {} (score {:.2}; {})",
            get("start_s"),
            get("end_s"),
            line["kind"].as_str().unwrap_or("?"),
            get("score"),
            join(&line["classes"])
        ),
        _ => line.to_string(),
    }
}

fn join(list: &serde_json::Value) -> String {
    list.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}
