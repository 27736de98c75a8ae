//! Webcams through nokhwa (V4L2 on Linux, Media Foundation on Windows, AVFoundation on macOS).
//! Frames come raw (MJPEG, YUYV, NV12, ...) and are decoded by `convert`, not by nokhwa: its
//! MJPEG decoder is mozjpeg, which cannot be linked beside the libjpeg-turbo the image pipeline
//! uses.

use std::borrow::Cow;

use nokhwa::Camera as NokhwaCamera;
use nokhwa::pixel_format::RgbFormat;
use nokhwa::utils::{
    ApiBackend, CameraFormat, CameraIndex, CameraInfo, FrameFormat, RequestedFormat,
    RequestedFormatType, Resolution,
};

use super::CameraChoice;
use super::source::{CameraError, FrameSource, Mode, PixelLayout, RawFrame, SourceOpener};

/// A connected camera, as staff pick it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceInfo {
    /// Position in the system's list (what `CameraChoice::Index` means).
    pub index: u32,
    /// The device's name.
    pub name: String,
}

fn backend_error(error: &nokhwa::NokhwaError) -> CameraError {
    CameraError::classify(&error.to_string())
}

/// Asks for camera permission where the OS wants that first (macOS shows its prompt once).
fn ensure_permission() -> Result<(), CameraError> {
    #[cfg(target_os = "macos")]
    {
        if !nokhwa::nokhwa_check() {
            let (sender, receiver) = std::sync::mpsc::channel();
            nokhwa::nokhwa_initialize(move |granted| {
                let _ = sender.send(granted);
            });
            // The prompt waits for the person; the capture thread may wait with it.
            let granted = receiver.recv().unwrap_or(false);
            if !granted {
                return Err(CameraError::PermissionDenied);
            }
        }
    }
    Ok(())
}

fn query() -> Result<Vec<CameraInfo>, CameraError> {
    ensure_permission()?;
    nokhwa::query(ApiBackend::Auto).map_err(|error| backend_error(&error))
}

/// The connected cameras (empty when there are none or the backend cannot list them).
pub fn list_devices() -> Result<Vec<DeviceInfo>, CameraError> {
    Ok(query()?
        .iter()
        .enumerate()
        .map(|(position, info)| DeviceInfo {
            index: match info.index() {
                CameraIndex::Index(index) => *index,
                CameraIndex::String(_) => position as u32,
            },
            name: info.human_name(),
        })
        .collect())
}

/// The device a choice names among those connected.
fn find(choice: &CameraChoice, devices: &[CameraInfo]) -> Result<CameraIndex, CameraError> {
    if devices.is_empty() {
        return Err(CameraError::NoCamera);
    }
    let found = match choice {
        CameraChoice::Index(wanted) => {
            devices
                .iter()
                .enumerate()
                .find(|(position, info)| match info.index() {
                    CameraIndex::Index(index) => index == wanted,
                    CameraIndex::String(_) => *position as u32 == *wanted,
                })
        }
        CameraChoice::Name(part) => {
            let part = part.to_lowercase();
            devices
                .iter()
                .enumerate()
                .find(|(_, info)| info.human_name().to_lowercase().contains(&part))
        }
        _ => devices.iter().enumerate().next(),
    };
    match found {
        Some((_, info)) => Ok(info.index().clone()),
        None => Err(CameraError::NotFound(match choice {
            CameraChoice::Index(index) => format!("number {index}"),
            CameraChoice::Name(name) => name.clone(),
            _ => "auto".to_owned(),
        })),
    }
}

/// Opens the webcam `choice` names, looking it up anew each time (after an unplug it may come
/// back under another index).
pub fn opener(choice: CameraChoice) -> SourceOpener {
    Box::new(move || {
        let index = find(&choice, &query()?)?;
        let camera = NokhwaCamera::new(
            index,
            RequestedFormat::new::<RgbFormat>(RequestedFormatType::None),
        )
        .map_err(|error| backend_error(&error))?;
        Ok(Box::new(WebcamSource { camera }) as Box<dyn FrameSource>)
    })
}

fn layout_of(format: FrameFormat) -> Option<PixelLayout> {
    match format {
        FrameFormat::MJPEG => Some(PixelLayout::Mjpeg),
        FrameFormat::YUYV => Some(PixelLayout::Yuyv),
        FrameFormat::NV12 => Some(PixelLayout::Nv12),
        FrameFormat::RAWRGB => Some(PixelLayout::Rgb24),
        FrameFormat::GRAY => Some(PixelLayout::Gray8),
        _ => None,
    }
}

fn format_of(layout: PixelLayout) -> FrameFormat {
    match layout {
        PixelLayout::Mjpeg => FrameFormat::MJPEG,
        PixelLayout::Yuyv => FrameFormat::YUYV,
        PixelLayout::Nv12 => FrameFormat::NV12,
        PixelLayout::Rgb24 => FrameFormat::RAWRGB,
        PixelLayout::Gray8 => FrameFormat::GRAY,
    }
}

/// An open webcam.
struct WebcamSource {
    camera: NokhwaCamera,
}

impl FrameSource for WebcamSource {
    fn name(&self) -> String {
        self.camera.info().human_name()
    }

    fn modes(&mut self) -> Result<Vec<Mode>, CameraError> {
        let formats = self
            .camera
            .compatible_camera_formats()
            .map_err(|error| backend_error(&error))?;
        Ok(formats
            .iter()
            .filter_map(|format| {
                Some(Mode {
                    width: format.resolution().width(),
                    height: format.resolution().height(),
                    fps: format.frame_rate(),
                    layout: layout_of(format.format())?,
                })
            })
            .collect())
    }

    fn start(&mut self, mode: Mode) -> Result<(), CameraError> {
        if self.camera.is_stream_open() {
            // Nothing useful to do if stopping fails: the stream is reopened below anyway.
            let _ = self.camera.stop_stream();
        }
        let format = CameraFormat::new(
            Resolution::new(mode.width, mode.height),
            format_of(mode.layout),
            mode.fps,
        );
        self.camera
            .set_camera_requset(RequestedFormat::new::<RgbFormat>(
                RequestedFormatType::Exact(format),
            ))
            .map_err(|error| backend_error(&error))?;
        self.camera
            .open_stream()
            .map_err(|error| backend_error(&error))
    }

    fn next_frame(&mut self) -> Result<RawFrame<'_>, CameraError> {
        let buffer = self.camera.frame().map_err(|error| {
            match backend_error(&error) {
                // A read that fails without a recognisable reason mid-stream is, in practice,
                // the device going away (V4L2 reports ENODEV, others only "read failed").
                CameraError::Other(_) => CameraError::Disconnected,
                other => other,
            }
        })?;
        let resolution = buffer.resolution();
        let layout = layout_of(buffer.source_frame_format()).ok_or_else(|| {
            CameraError::BadFrame(format!("format {}", buffer.source_frame_format()))
        })?;
        Ok(RawFrame {
            width: resolution.width(),
            height: resolution.height(),
            layout,
            bytes: Cow::Owned(buffer.buffer().to_vec()),
        })
    }
}

impl Drop for WebcamSource {
    fn drop(&mut self) {
        // Release the device for the next opener; an unplugged one cannot be stopped anyway.
        let _ = self.camera.stop_stream();
    }
}
