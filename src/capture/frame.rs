use std::fmt;
use std::path::Path;
use std::time::Instant;

use image::ImageDecoder;

use zeroize::Zeroize;

/// The largest frame accepted, in pixels (about 8K by 4K). A larger header is
/// refused before any pixel buffer is allocated.
pub const MAX_FRAME_PIXELS: u64 = 8192 * 4608;
/// The smallest side that can hold a person worth analysing.
const MIN_FRAME_SIDE: u32 = 16;

/// One camera image, RGB, 8 bits per channel, row-major, in memory only.
///
/// Deliberately not `Clone`, not `Serialize`, and its `Debug` prints only the
/// size: the type system keeps pixels from being copied, stored or logged
/// (R6.2). The buffer is zeroed on drop so no pixel outlives analysis.
pub struct Frame {
    width: u32,
    height: u32,
    rgb: Vec<u8>,
    captured_at: Instant,
}

#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    #[error("{file}: cannot read the file: {cause}")]
    Read { file: String, cause: std::io::Error },
    #[error("{file}: not a PNG or JPEG image the device can decode: {reason}")]
    Decode { file: String, reason: String },
    #[error("{file}: image is {width}x{height}; the device needs at least {MIN_FRAME_SIDE}x{MIN_FRAME_SIDE} pixels")]
    TooSmall {
        file: String,
        width: u32,
        height: u32,
    },
    #[error("{file}: image claims {width}x{height} pixels, more than the {MAX_FRAME_PIXELS} the device accepts")]
    TooLarge {
        file: String,
        width: u32,
        height: u32,
    },
    #[error("frame buffer holds {got} bytes, expected {expected} for {width}x{height} RGB")]
    BufferSize {
        width: u32,
        height: u32,
        expected: usize,
        got: usize,
    },
}

impl Frame {
    /// Wraps an RGB buffer. The buffer is taken over, so no copy is left behind.
    pub fn from_rgb(width: u32, height: u32, mut rgb: Vec<u8>) -> Result<Frame, FrameError> {
        let expected = width as usize * height as usize * 3;
        if rgb.len() != expected {
            let got = rgb.len();
            rgb.zeroize();
            return Err(FrameError::BufferSize {
                width,
                height,
                expected,
                got,
            });
        }
        Ok(Frame {
            width,
            height,
            rgb,
            captured_at: Instant::now(),
        })
    }

    /// Decodes a PNG or JPEG file into a frame. The size is checked from the
    /// header before the pixels are decoded, so a hostile header cannot make
    /// the device allocate gigabytes.
    pub fn decode_file(path: &Path) -> Result<Frame, FrameError> {
        let file = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|cause| FrameError::Read {
            file: file.clone(),
            cause,
        })?;
        Self::decode_bytes(&file, bytes)
    }

    /// Decodes an encoded image held in memory; `file` names it in errors.
    pub fn decode_bytes(file: &str, mut bytes: Vec<u8>) -> Result<Frame, FrameError> {
        let result = decode_checked(file, &bytes);
        // The encoded bytes are image material too (R6.2).
        bytes.zeroize();
        result
    }

    pub fn width(&self) -> u32 {
        self.width
    }
    pub fn height(&self) -> u32 {
        self.height
    }
    /// The pixels, for analysis inside the vision stage only.
    pub fn rgb(&self) -> &[u8] {
        &self.rgb
    }
    pub fn captured_at(&self) -> Instant {
        self.captured_at
    }
}

fn decode_checked(file: &str, bytes: &[u8]) -> Result<Frame, FrameError> {
    use image::ImageReader;
    let decode_err = |e: &dyn fmt::Display| FrameError::Decode {
        file: file.to_string(),
        reason: e.to_string(),
    };
    let reader = ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| decode_err(&e))?;
    if reader.format().is_none() {
        return Err(FrameError::Decode {
            file: file.to_string(),
            reason: "the content is not a known image format".into(),
        });
    }
    let (width, height) = reader.into_dimensions().map_err(|e| decode_err(&e))?;
    check_size(file, width, height)?;
    let mut reader = ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| decode_err(&e))?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(width);
    limits.max_image_height = Some(height);
    limits.max_alloc = Some(MAX_FRAME_PIXELS * 4 + (64 << 20));
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|e| decode_err(&e))?;
    // Phones store photos sideways with an EXIF orientation tag; upright is
    // what a person (and MediaPipe's OpenCV loader) sees.
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut image = image::DynamicImage::from_decoder(decoder).map_err(|e| decode_err(&e))?;
    image.apply_orientation(orientation);
    let (width, height) = (image.width(), image.height());
    let rgb = match image {
        image::DynamicImage::ImageRgb8(buffer) => buffer.into_raw(),
        other => {
            let rgb = other.to_rgb8().into_raw();
            other.into_bytes().zeroize();
            rgb
        }
    };
    Frame::from_rgb(width, height, rgb)
}

pub(crate) fn check_size(file: &str, width: u32, height: u32) -> Result<(), FrameError> {
    if u64::from(width) * u64::from(height) > MAX_FRAME_PIXELS {
        return Err(FrameError::TooLarge {
            file: file.to_string(),
            width,
            height,
        });
    }
    if width < MIN_FRAME_SIDE || height < MIN_FRAME_SIDE {
        return Err(FrameError::TooSmall {
            file: file.to_string(),
            width,
            height,
        });
    }
    Ok(())
}

impl Drop for Frame {
    fn drop(&mut self) {
        self.rgb.zeroize();
    }
}

impl fmt::Debug for Frame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Frame({}x{}, pixels withheld)", self.width, self.height)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrong_buffer_size_is_refused() {
        assert!(matches!(
            Frame::from_rgb(4, 4, vec![0; 10]),
            Err(FrameError::BufferSize { .. })
        ));
    }

    #[test]
    fn debug_prints_no_pixels() {
        let frame = Frame::from_rgb(16, 16, vec![201; 16 * 16 * 3]).unwrap();
        let text = format!("{frame:?}");
        assert_eq!(text, "Frame(16x16, pixels withheld)");
    }

    #[test]
    fn a_text_file_is_not_an_image() {
        let err = Frame::decode_bytes("notes.jpg", b"hello, this is text".to_vec()).unwrap_err();
        assert!(
            err.to_string().starts_with("notes.jpg: not a PNG or JPEG"),
            "{err}"
        );
    }
}
