//! Video files (MP4/H.264 and whatever else the system's FFmpeg decodes) as
//! a source of frames, each with its time from the file. Decoded in memory
//! through FFmpeg's libraries; nothing is written anywhere, and FFmpeg's
//! own log is silenced so no stream detail reaches the log either.

use std::path::Path;
use std::sync::Once;

use ffmpeg::format::Pixel;
use ffmpeg::software::scaling::{Context as Scaler, Flags};
use ffmpeg::util::frame::video::Video as DecodedFrame;
use ffmpeg_next as ffmpeg;
use zeroize::Zeroize;

use super::frame::check_size;
use super::{Frame, FrameError};

#[derive(Debug, thiserror::Error)]
pub enum VideoError {
    #[error("{file}: cannot open the video: {reason}")]
    Open { file: String, reason: String },
    #[error("{file}: holds no video stream")]
    NoVideo { file: String },
    #[error("{file}: the video's codec cannot be decoded here: {reason}")]
    Codec { file: String, reason: String },
    #[error("{file}: decoding failed after {frames} frames: {reason}")]
    Decode {
        file: String,
        frames: usize,
        reason: String,
    },
    #[error(transparent)]
    Frame(#[from] FrameError),
}

/// One video stream, frame by frame: `(seconds from the first frame, frame)`.
pub struct VideoFile {
    file: String,
    input: ffmpeg::format::context::Input,
    stream: usize,
    /// Seconds per timestamp unit.
    time_base: f64,
    /// Seconds per frame, for frames without a timestamp.
    frame_s: f64,
    decoder: ffmpeg::decoder::Video,
    scaler: Scaler,
    first_pts: Option<i64>,
    decoded: usize,
    draining: bool,
    finished: bool,
}

fn silence_ffmpeg() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| ffmpeg::util::log::set_level(ffmpeg::util::log::Level::Quiet));
}

impl VideoFile {
    pub fn open(path: &Path) -> Result<VideoFile, VideoError> {
        let file = path.display().to_string();
        silence_ffmpeg();
        ffmpeg::init().map_err(|e| VideoError::Open {
            file: file.clone(),
            reason: e.to_string(),
        })?;
        if !path.is_file() {
            return Err(VideoError::Open {
                file,
                reason: "no such file".to_string(),
            });
        }
        let input = ffmpeg::format::input(&path).map_err(|e| VideoError::Open {
            file: file.clone(),
            reason: e.to_string(),
        })?;
        let stream = input
            .streams()
            .best(ffmpeg::media::Type::Video)
            .ok_or_else(|| VideoError::NoVideo { file: file.clone() })?;
        let index = stream.index();
        let time_base = f64::from(stream.time_base());
        let rate = f64::from(stream.avg_frame_rate());
        let frame_s = if rate.is_finite() && rate > 0.0 {
            1.0 / rate
        } else {
            1.0 / 25.0
        };
        let codec_error = |e: ffmpeg::Error| VideoError::Codec {
            file: file.clone(),
            reason: e.to_string(),
        };
        let context = ffmpeg::codec::context::Context::from_parameters(stream.parameters())
            .map_err(codec_error)?;
        let decoder = context.decoder().video().map_err(codec_error)?;
        check_size(&file, decoder.width(), decoder.height())?;
        if decoder.format() == Pixel::None {
            return Err(VideoError::Codec {
                file,
                reason: "the stream names no pixel format".to_string(),
            });
        }
        let scaler = Scaler::get(
            decoder.format(),
            decoder.width(),
            decoder.height(),
            Pixel::RGB24,
            decoder.width(),
            decoder.height(),
            Flags::BILINEAR,
        )
        .map_err(codec_error)?;
        let time_base = if time_base > 0.0 { time_base } else { frame_s };
        Ok(VideoFile {
            file,
            input,
            stream: index,
            time_base,
            frame_s,
            decoder,
            scaler,
            first_pts: None,
            decoded: 0,
            draining: false,
            finished: false,
        })
    }

    pub fn width(&self) -> u32 {
        self.decoder.width()
    }

    pub fn height(&self) -> u32 {
        self.decoder.height()
    }

    /// The next frame and its time, `None` at the end of the stream.
    fn next_frame(&mut self) -> Result<Option<(f64, Frame)>, VideoError> {
        let mut decoded = DecodedFrame::empty();
        loop {
            if self.decoder.receive_frame(&mut decoded).is_ok() {
                return self.convert(&decoded).map(Some);
            }
            if self.draining {
                return Ok(None);
            }
            self.feed()?;
        }
    }

    /// Sends the decoder the stream's next packet, or the end of the stream.
    fn feed(&mut self) -> Result<(), VideoError> {
        let mut packet = ffmpeg::Packet::empty();
        loop {
            match packet.read(&mut self.input) {
                Ok(()) if packet.stream() == self.stream => break,
                Ok(()) => continue,
                Err(ffmpeg::Error::Eof) => {
                    self.draining = true;
                    return self.decoder.send_eof().map_err(|e| self.decode_error(e));
                }
                Err(e) => return Err(self.decode_error(e)),
            }
        }
        match self.decoder.send_packet(&packet) {
            // A damaged packet costs its frame, not the rest of the video.
            Ok(()) | Err(ffmpeg::Error::InvalidData) => Ok(()),
            Err(e) => Err(self.decode_error(e)),
        }
    }

    fn decode_error(&self, e: ffmpeg::Error) -> VideoError {
        VideoError::Decode {
            file: self.file.clone(),
            frames: self.decoded,
            reason: e.to_string(),
        }
    }

    fn convert(&mut self, decoded: &DecodedFrame) -> Result<(f64, Frame), VideoError> {
        let t = match decoded.timestamp() {
            Some(pts) => (pts - *self.first_pts.get_or_insert(pts)) as f64 * self.time_base,
            None => self.decoded as f64 * self.frame_s,
        };
        let mut rgb = DecodedFrame::empty();
        self.scaler
            .run(decoded, &mut rgb)
            .map_err(|e| self.decode_error(e))?;
        let (width, height) = (rgb.width(), rgb.height());
        let row = width as usize * 3;
        let stride = rgb.stride(0);
        let mut pixels = Vec::with_capacity(row * height as usize);
        for line in rgb.data(0).chunks(stride).take(height as usize) {
            pixels.extend_from_slice(&line[..row]);
        }
        // FFmpeg's buffer is pooled and reused: leave no picture in it.
        rgb.data_mut(0).zeroize();
        self.decoded += 1;
        Ok((t.max(0.0), Frame::from_rgb(width, height, pixels)?))
    }
}

impl Iterator for VideoFile {
    type Item = Result<(f64, Frame), VideoError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        let item = self.next_frame().transpose();
        if !matches!(item, Some(Ok(_))) {
            self.finished = true;
        }
        item
    }
}
