//! A camera that draws a moving scene: a document-like card with text lines and a photo box,
//! and a face-like shape, on a slowly shifting background.

use std::borrow::Cow;
use std::time::{Duration, Instant};

use image::{Rgb, RgbImage};

use super::source::{CameraError, FrameSource, Mode, PixelLayout, RawFrame};

/// The synthetic camera. Stills are 1920x1080, like a common webcam.
#[derive(Clone, Debug, Default)]
pub struct SyntheticCamera;

impl SyntheticCamera {
    /// Draws the scene at `width` x `height` for time `seconds` (the card drifts a little).
    pub fn draw(seconds: f64, width: u32, height: u32) -> RgbImage {
        let (w, h) = (f64::from(width), f64::from(height));
        let drift = (seconds * 0.8).sin() * 0.02;
        let card = (w * (0.12 + drift), h * 0.22, w * 0.45, h * 0.56);
        let face = (w * (0.78 - drift), h * 0.48, w * 0.09, h * 0.22);
        RgbImage::from_fn(width, height, |x, y| {
            let (fx, fy) = (f64::from(x), f64::from(y));
            let background = Rgb([60 + (fy / h * 40.0) as u8, 70, 90 + (fx / w * 50.0) as u8]);
            let (cx, cy, cw, ch) = card;
            if fx >= cx && fx < cx + cw && fy >= cy && fy < cy + ch {
                let (u, v) = ((fx - cx) / cw, (fy - cy) / ch);
                if (0.06..0.32).contains(&u) && (0.15..0.75).contains(&v) {
                    return Rgb([150, 120, 100]); // the holder's photo
                }
                let text_line = (0.4..0.92).contains(&u)
                    && ((v * 10.0).fract() < 0.3)
                    && (0.15..0.85).contains(&v);
                return if text_line {
                    Rgb([40, 40, 60])
                } else {
                    Rgb([225, 230, 240])
                };
            }
            let (ex, ey, rx, ry) = face;
            let d = ((fx - ex) / rx).powi(2) + ((fy - ey) / ry).powi(2);
            if d <= 1.0 {
                let eye = (((fx - ex) / rx).abs() - 0.4).abs() < 0.12
                    && ((fy - ey) / ry + 0.25).abs() < 0.08;
                return if eye {
                    Rgb([30, 30, 30])
                } else {
                    Rgb([224, 172, 140])
                };
            }
            background
        })
    }
}

impl SyntheticCamera {
    /// The camera as a frame source: 1920x1080 at 15 frames a second, like a common webcam.
    pub fn source() -> SyntheticSource {
        SyntheticSource {
            started: Instant::now(),
            next_frame_at: Instant::now(),
            frame: Vec::new(),
            mode: SYNTHETIC_MODE,
        }
    }
}

const SYNTHETIC_MODE: Mode = Mode {
    width: 1920,
    height: 1080,
    fps: 15,
    layout: PixelLayout::Rgb24,
};

/// The synthetic camera as a `FrameSource`.
pub struct SyntheticSource {
    started: Instant,
    next_frame_at: Instant,
    frame: Vec<u8>,
    mode: Mode,
}

impl FrameSource for SyntheticSource {
    fn name(&self) -> String {
        "Synthetic camera".to_owned()
    }

    fn modes(&mut self) -> Result<Vec<Mode>, CameraError> {
        Ok(vec![SYNTHETIC_MODE])
    }

    fn start(&mut self, mode: Mode) -> Result<(), CameraError> {
        self.mode = mode;
        Ok(())
    }

    fn next_frame(&mut self) -> Result<RawFrame<'_>, CameraError> {
        // Paced like a camera: one frame per interval.
        let now = Instant::now();
        if self.next_frame_at > now {
            std::thread::sleep(self.next_frame_at - now);
        }
        self.next_frame_at =
            Instant::now() + Duration::from_secs_f64(1.0 / f64::from(self.mode.fps.max(1)));
        let seconds = self.started.elapsed().as_secs_f64();
        self.frame = SyntheticCamera::draw(seconds, self.mode.width, self.mode.height).into_raw();
        Ok(RawFrame {
            width: self.mode.width,
            height: self.mode.height,
            layout: PixelLayout::Rgb24,
            bytes: Cow::Borrowed(&self.frame),
        })
    }
}
