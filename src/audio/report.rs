//! What `analyze-audio` says about one WAV file: YAMNet's top classes per
//! patch, speech segments and care sound events. Only labels, scores and
//! times: nothing of the sound itself.

use std::path::Path;

use serde::Serialize;

use super::analyzer::{AnalyzerError, SoundAnalyzer, SoundOutput};
use super::events::{EventUpdate, SoundEvent};
use super::wav::{WavError, WavSource};
use super::SAMPLE_RATE;
use crate::domain::round3;

#[derive(Debug, Clone, Serialize)]
pub struct AudioReport {
    pub file: String,
    pub duration_s: f64,
    pub patches: Vec<PatchReport>,
    pub speech: Vec<Span>,
    pub events: Vec<SoundEvent>,
    /// Set when the file broke off part-way: what came before is above.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PatchReport {
    pub start_s: f64,
    pub top: Vec<ClassScore>,
    /// What the second look half a hop earlier heard, when an onset called for one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub second_look: Option<Vec<ClassScore>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClassScore {
    pub class: String,
    pub score: f64,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct Span {
    pub start_s: f64,
    pub end_s: f64,
}

#[derive(Debug, thiserror::Error)]
pub enum AudioFileError {
    #[error(transparent)]
    Wav(#[from] WavError),
    #[error(transparent)]
    Analyzer(#[from] AnalyzerError),
}

/// Analyses a WAV file block by block. `live` sees every output as it
/// comes (for a terminal). A file that breaks off part-way is analysed up
/// to the break and the report says where.
pub fn analyze_file(
    analyzer: &mut SoundAnalyzer,
    path: &Path,
    mut live: impl FnMut(&SoundOutput, &SoundAnalyzer),
) -> Result<AudioReport, AudioFileError> {
    let mut source = WavSource::open(path)?;
    let mut report = AudioReport {
        file: path.display().to_string(),
        duration_s: 0.0,
        patches: Vec::new(),
        speech: Vec::new(),
        events: Vec::new(),
        error: None,
    };
    let mut samples = 0u64;
    let mut outputs = Vec::new();
    loop {
        match source.next_chunk() {
            Ok(Some(chunk)) => {
                samples += chunk.samples().len() as u64;
                outputs.extend(analyzer.push(&chunk)?);
            }
            Ok(None) => break,
            Err(e) => {
                report.error = Some(e.to_string());
                break;
            }
        }
        for output in outputs.drain(..) {
            live(&output, analyzer);
            record(&mut report, output, analyzer);
        }
    }
    outputs.extend(analyzer.finish()?);
    for output in outputs {
        live(&output, analyzer);
        record(&mut report, output, analyzer);
    }
    // The last patch is padded past the end; what it found ends with the sound.
    let duration_s = round3(samples as f64 / f64::from(SAMPLE_RATE));
    report.duration_s = duration_s;
    for event in &mut report.events {
        event.end_s = event.end_s.min(duration_s);
    }
    Ok(report)
}

fn named(top: &[(usize, f32)], analyzer: &SoundAnalyzer) -> Vec<ClassScore> {
    top.iter()
        .map(|&(class, score)| ClassScore {
            class: analyzer.class_name(class).to_string(),
            score: round3(f64::from(score)),
        })
        .collect()
}

fn record(report: &mut AudioReport, output: SoundOutput, analyzer: &SoundAnalyzer) {
    match output {
        SoundOutput::Patch(patch) => report.patches.push(PatchReport {
            start_s: round3(patch.start_s),
            top: named(&patch.top, analyzer),
            second_look: patch.second_look.as_deref().map(|top| named(top, analyzer)),
        }),
        SoundOutput::Speech(segment) => report.speech.push(Span {
            start_s: round3(segment.start_s()),
            end_s: round3(segment.end_s()),
        }),
        SoundOutput::Event(EventUpdate::Ended(mut event)) => {
            event.start_s = round3(event.start_s);
            event.end_s = round3(event.end_s);
            report.events.push(event);
        }
        SoundOutput::Event(EventUpdate::Began(_)) => {}
    }
}
