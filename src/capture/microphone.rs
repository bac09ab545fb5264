//! A live microphone through `cpal` (ALSA on Linux), input only.
//!
//! This file is the only place that touches the sound system, and it only
//! ever builds an input stream: the device has no way to play sound (R5.2).
//! Each callback's samples are mixed to mono and handed on; nothing is kept.

use std::sync::mpsc;

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use cpal::{FromSample, Sample, SizedSample};
use zeroize::Zeroize;

/// Microphone blocks waiting for analysis; when full the sound system's own
/// buffer fills and it reports an overrun, which becomes a fault.
const QUEUE_BLOCKS: usize = 64;

#[derive(Debug, thiserror::Error)]
pub enum MicrophoneError {
    #[error("no microphone found (ALSA lists no input device); analyse a WAV file instead")]
    NoMicrophone,
    #[error("no microphone named `{name}`; the inputs are: {known}")]
    Unknown { name: String, known: String },
    #[error("microphone `{name}`: {reason}")]
    Device { name: String, reason: String },
}

/// The input devices the sound system lists, as (name, description).
pub fn list_microphones() -> Vec<(String, String)> {
    let host = cpal::default_host();
    let Ok(devices) = host.input_devices() else {
        return Vec::new();
    };
    devices
        .filter_map(|d| {
            let id = d.id().ok()?.to_string();
            let name = id
                .split_once(':')
                .map_or(id.clone(), |(_, name)| name.to_string());
            let description = d
                .description()
                .map(|desc| desc.to_string())
                .unwrap_or_default();
            Some((name, description.lines().next().unwrap_or("").to_string()))
        })
        .collect()
}

/// An open microphone: mono blocks at its own rate arrive on `blocks`
/// while it lives; stream errors arrive on `faults`.
pub struct Microphone {
    name: String,
    rate: u32,
    channels: u16,
    // Held to keep the stream running; dropping it stops capture.
    _stream: cpal::Stream,
}

impl Microphone {
    /// Opens `name` (an ALSA device such as `default` or `plughw:CARD=0,DEV=0`),
    /// or the system's default input, at the device's default input format.
    pub fn open(
        name: Option<&str>,
        blocks: mpsc::SyncSender<Vec<f32>>,
        faults: mpsc::Sender<String>,
    ) -> Result<Microphone, MicrophoneError> {
        let host = cpal::default_host();
        let device = match name {
            None => host
                .default_input_device()
                .ok_or(MicrophoneError::NoMicrophone)?,
            Some(wanted) => {
                let devices: Vec<cpal::Device> = host
                    .input_devices()
                    .map(|d| d.collect())
                    .unwrap_or_default();
                let id_of = |d: &cpal::Device| d.id().map(|id| id.to_string()).unwrap_or_default();
                match devices
                    .iter()
                    .position(|d| id_of(d) == format!("alsa:{wanted}") || id_of(d) == wanted)
                {
                    Some(i) => devices
                        .into_iter()
                        .nth(i)
                        .ok_or(MicrophoneError::NoMicrophone)?,
                    None if devices.is_empty() => return Err(MicrophoneError::NoMicrophone),
                    None => {
                        let known = list_microphones()
                            .into_iter()
                            .map(|(n, _)| n)
                            .collect::<Vec<_>>()
                            .join(", ");
                        return Err(MicrophoneError::Unknown {
                            name: wanted.to_string(),
                            known,
                        });
                    }
                }
            }
        };
        let name = name.unwrap_or("default").to_string();
        let device_err = |e: cpal::Error| MicrophoneError::Device {
            name: name.clone(),
            reason: e.to_string(),
        };
        let config = preferred_config(&device).map_err(device_err)?;
        let (rate, channels) = (config.sample_rate(), config.channels());
        if rate == 0 || channels == 0 {
            return Err(MicrophoneError::Device {
                name,
                reason: format!("{channels} channels at {rate} Hz"),
            });
        }
        let stream_faults = faults.clone();
        let on_error = move |e: cpal::Error| {
            let _ = stream_faults.send(e.to_string());
        };
        let format = config.sample_format();
        let config: cpal::StreamConfig = config.into();
        let stream = match format {
            cpal::SampleFormat::F32 => build::<f32>(&device, &config, blocks, on_error),
            cpal::SampleFormat::I16 => build::<i16>(&device, &config, blocks, on_error),
            cpal::SampleFormat::I32 => build::<i32>(&device, &config, blocks, on_error),
            cpal::SampleFormat::U16 => build::<u16>(&device, &config, blocks, on_error),
            cpal::SampleFormat::U8 => build::<u8>(&device, &config, blocks, on_error),
            cpal::SampleFormat::I8 => build::<i8>(&device, &config, blocks, on_error),
            other => {
                return Err(MicrophoneError::Device {
                    name,
                    reason: format!("samples in {other} are not supported"),
                })
            }
        }
        .map_err(device_err)?;
        stream.play().map_err(device_err)?;
        Ok(Microphone {
            name,
            rate,
            channels,
            _stream: stream,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The rate of the blocks (the device's own).
    pub fn rate(&self) -> u32 {
        self.rate
    }

    pub fn channels(&self) -> u16 {
        self.channels
    }

    pub fn queue_blocks() -> usize {
        QUEUE_BLOCKS
    }
}

/// 16 kHz mono when the device offers it (nothing to resample or mix),
/// 16-bit before float before other formats; otherwise the device's default.
fn preferred_config(device: &cpal::Device) -> Result<cpal::SupportedStreamConfig, cpal::Error> {
    let rank = |format: cpal::SampleFormat| match format {
        cpal::SampleFormat::I16 => 0,
        cpal::SampleFormat::F32 => 1,
        _ => 2,
    };
    let wanted = crate::audio::SAMPLE_RATE;
    let best = device
        .supported_input_configs()
        .ok()
        .into_iter()
        .flatten()
        .filter(|c| {
            c.min_sample_rate() <= wanted && wanted <= c.max_sample_rate() && c.channels() >= 1
        })
        .min_by_key(|c| (c.channels(), rank(c.sample_format())));
    match best {
        Some(range) => Ok(range.with_sample_rate(wanted)),
        None => device.default_input_config(),
    }
}

fn build<T>(
    device: &cpal::Device,
    config: &cpal::StreamConfig,
    blocks: mpsc::SyncSender<Vec<f32>>,
    on_error: impl FnMut(cpal::Error) + Send + 'static,
) -> Result<cpal::Stream, cpal::Error>
where
    T: SizedSample + Send + 'static,
    f32: FromSample<T>,
{
    let channels = usize::from(config.channels);
    device.build_input_stream::<T, _, _>(
        *config,
        move |data: &[T], _: &cpal::InputCallbackInfo| {
            let mut mono: Vec<f32> = data
                .chunks(channels)
                .map(|frame| {
                    frame.iter().map(|s| f32::from_sample(*s)).sum::<f32>() / channels as f32
                })
                .collect();
            // Waits while analysis is behind; once the analysis side has
            // gone, the block is wiped and dropped.
            if let Err(mpsc::SendError(mut unsent)) = blocks.send(std::mem::take(&mut mono)) {
                unsent.zeroize();
            }
        },
        on_error,
        None,
    )
}
