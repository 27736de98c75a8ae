//! What every camera source offers: its picture modes, a stream in one of them, and raw frames.

use std::borrow::Cow;

/// How a frame's bytes encode its pixels (the FourCC).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PixelLayout {
    /// Motion JPEG: each frame a JPEG (full-range YCbCr, Huffman tables sometimes left out).
    Mjpeg,
    /// Packed 4:2:2, `Y0 U Y1 V` for every two pixels, video range.
    Yuyv,
    /// A luma plane, then one plane of interleaved `U V` at half width and height, video range.
    Nv12,
    /// Packed 8-bit RGB.
    Rgb24,
    /// 8-bit grey (infrared and document cameras).
    Gray8,
}

impl PixelLayout {
    /// Bytes of an uncompressed `width` x `height` frame; `None` for MJPEG.
    pub fn frame_bytes(self, width: u32, height: u32) -> Option<usize> {
        let pixels = width as usize * height as usize;
        match self {
            PixelLayout::Mjpeg => None,
            PixelLayout::Yuyv => Some(pixels * 2),
            PixelLayout::Nv12 => {
                Some(pixels + 2 * (width.div_ceil(2) as usize * height.div_ceil(2) as usize))
            }
            PixelLayout::Rgb24 => Some(pixels * 3),
            PixelLayout::Gray8 => Some(pixels),
        }
    }
}

/// A picture mode a camera offers: size, frame rate and layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Mode {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Frames per second.
    pub fps: u32,
    /// How the bytes encode the pixels.
    pub layout: PixelLayout,
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}x{} at {} fps, {:?}",
            self.width, self.height, self.fps, self.layout
        )
    }
}

/// One frame as the camera delivered it.
#[derive(Clone, Debug)]
pub struct RawFrame<'a> {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// How `bytes` encode the pixels.
    pub layout: PixelLayout,
    /// The frame, borrowed from the source's buffer where it can be.
    pub bytes: Cow<'a, [u8]>,
}

/// Why a camera gives no pictures. The texts are for staff; the capture screen shows the
/// customer a short version and offers a photo file instead.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CameraError {
    /// No camera is connected at all.
    #[error("no camera is connected: connect one, or use a photo file")]
    NoCamera,
    /// The configured camera is not among the connected ones.
    #[error("camera \"{0}\" is not connected: connect it, or choose another in the settings")]
    NotFound(String),
    /// Another program has the camera open.
    #[error("the camera is in use by another program: close that program")]
    Busy,
    /// The operating system does not let this program use the camera.
    #[error(
        "camera access is blocked by the operating system: allow it for this app in the privacy settings (macOS: System Settings > Privacy & Security > Camera; Windows: Settings > Privacy & security > Camera)"
    )]
    PermissionDenied,
    /// The camera went away while streaming (unplugged).
    #[error("the camera was disconnected: plug it in again, the picture comes back by itself")]
    Disconnected,
    /// None of the camera's modes could be started.
    #[error("the camera offers no picture format this app can use")]
    NoUsableFormat,
    /// A frame could not be decoded (a corrupt MJPEG frame; the next one usually works).
    #[error("a camera frame could not be decoded: {0}")]
    BadFrame(String),
    /// Anything else the camera backend reported.
    #[error("camera error: {0}")]
    Other(String),
}

impl CameraError {
    /// Sorts a backend's error text into the cases a person can act on. Backends report these
    /// only as text (errno names, HRESULTs, AVFoundation messages), so the match is on words.
    pub fn classify(text: &str) -> CameraError {
        let lower = text.to_lowercase();
        let any = |words: &[&str]| words.iter().any(|word| lower.contains(word));
        if any(&["busy", "ebusy", "in use", "0xc00d3704", "0x80070020"]) {
            CameraError::Busy
        } else if any(&[
            "permission",
            "denied",
            "eacces",
            "not authorized",
            "not authorised",
            "0x80070005",
            "access is blocked",
        ]) {
            CameraError::PermissionDenied
        } else if any(&[
            "no such device",
            "enodev",
            "disconnected",
            "0xc00d3ea2",
            "device was removed",
            "no such file",
        ]) {
            CameraError::Disconnected
        } else {
            CameraError::Other(text.to_owned())
        }
    }

    /// Whether another attempt later can succeed without anyone changing settings.
    pub fn is_transient(&self) -> bool {
        matches!(self, CameraError::BadFrame(_))
    }
}

/// A camera: a webcam, the synthetic scene, or recorded frames. Not `Send`: a source is opened
/// and used on its capture thread only (webcam handles are tied to the thread that opened them).
pub trait FrameSource {
    /// A name for staff ("Logitech BRIO", "Synthetic camera").
    fn name(&self) -> String;
    /// The modes it offers.
    fn modes(&mut self) -> Result<Vec<Mode>, CameraError>;
    /// Starts streaming in `mode` (one of `modes()`).
    fn start(&mut self, mode: Mode) -> Result<(), CameraError>;
    /// The next frame; blocks for at most about one frame interval.
    fn next_frame(&mut self) -> Result<RawFrame<'_>, CameraError>;
}

/// Opens a source, again after it went away: an unplugged webcam must be found and opened anew.
pub type SourceOpener = Box<dyn FnMut() -> Result<Box<dyn FrameSource>, CameraError> + Send>;
