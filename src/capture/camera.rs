//! A live camera through `nokhwa` (V4L2 on Linux).
//!
//! Each captured image is decoded straight into a [`Frame`] and the driver's
//! buffer is released at once. The camera is opened only when asked for:
//! a legal basis that allows no video never reaches this code (R2.1).

use nokhwa::pixel_format::RgbFormat;
use nokhwa::utils::{ApiBackend, CameraIndex, RequestedFormat, RequestedFormatType};

use super::Frame;

#[derive(Debug, thiserror::Error)]
pub enum CameraError {
    #[error("no camera found (V4L2 lists none); replay a folder of frames instead")]
    NoCamera,
    #[error("camera {index}: {reason}")]
    Device { index: u32, reason: String },
}

/// The cameras the system lists, as `index: name`.
pub fn list_cameras() -> Vec<(u32, String)> {
    match nokhwa::query(ApiBackend::Auto) {
        Ok(cameras) => cameras
            .into_iter()
            .filter_map(|c| c.index().as_index().ok().map(|i| (i, c.human_name())))
            .collect(),
        Err(_) => Vec::new(),
    }
}

pub struct Camera {
    index: u32,
    device: nokhwa::Camera,
}

impl Camera {
    /// Opens the camera with the given index at its highest frame rate.
    pub fn open(index: u32) -> Result<Camera, CameraError> {
        if !list_cameras().iter().any(|(i, _)| *i == index) {
            return Err(if list_cameras().is_empty() {
                CameraError::NoCamera
            } else {
                CameraError::Device {
                    index,
                    reason: "no camera with that index".into(),
                }
            });
        }
        let device_err = |e: nokhwa::NokhwaError| CameraError::Device {
            index,
            reason: e.to_string(),
        };
        let format =
            RequestedFormat::new::<RgbFormat>(RequestedFormatType::AbsoluteHighestFrameRate);
        let mut device =
            nokhwa::Camera::new(CameraIndex::Index(index), format).map_err(device_err)?;
        device.open_stream().map_err(device_err)?;
        Ok(Camera { index, device })
    }

    /// Waits for the next image and returns it as a frame.
    pub fn next_frame(&mut self) -> Result<Frame, CameraError> {
        let index = self.index;
        let device_err = |e: nokhwa::NokhwaError| CameraError::Device {
            index,
            reason: e.to_string(),
        };
        let buffer = self.device.frame().map_err(device_err)?;
        let image = buffer.decode_image::<RgbFormat>().map_err(device_err)?;
        drop(buffer);
        let (width, height) = image.dimensions();
        Frame::from_rgb(width, height, image.into_raw()).map_err(|e| CameraError::Device {
            index,
            reason: e.to_string(),
        })
    }
}

impl Drop for Camera {
    fn drop(&mut self) {
        let _ = self.device.stop_stream();
    }
}
