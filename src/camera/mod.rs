//! Where capture screens get pictures from. The real webcam source (nokhwa) comes with its own
//! issue; until then, and always for demo mode and tests, a synthetic camera draws a scene.

mod synthetic;

pub use synthetic::SyntheticCamera;

use image::RgbImage;

/// A source of frames: a small one for the live preview, a full-resolution one for the still.
pub trait FrameSource: Send {
    /// A preview frame of about `width` pixels wide, for time `seconds`.
    fn preview(&mut self, seconds: f64, width: u32) -> RgbImage;
    /// A full-resolution still, for time `seconds`.
    fn still(&mut self, seconds: f64) -> RgbImage;
    /// A name for staff ("Synthetic camera", a device name).
    fn name(&self) -> &str;
}
