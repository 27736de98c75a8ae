//! A camera that draws a moving scene: a document-like card with text lines and a photo box,
//! and a face-like shape, on a slowly shifting background.

use image::{Rgb, RgbImage};

use super::FrameSource;

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

impl FrameSource for SyntheticCamera {
    fn preview(&mut self, seconds: f64, width: u32) -> RgbImage {
        Self::draw(seconds, width, width * 9 / 16)
    }

    fn still(&mut self, seconds: f64) -> RgbImage {
        Self::draw(seconds, 1920, 1080)
    }

    fn name(&self) -> &str {
        "Synthetic camera"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_a_card_a_face_and_moves() {
        let frame = SyntheticCamera::draw(0.0, 320, 180);
        let colours: std::collections::HashSet<[u8; 3]> = frame.pixels().map(|p| p.0).collect();
        assert!(colours.contains(&[225, 230, 240]), "card");
        assert!(colours.contains(&[224, 172, 140]), "face");
        assert_ne!(
            frame,
            SyntheticCamera::draw(2.0, 320, 180),
            "the scene moves"
        );
        assert_eq!(SyntheticCamera.still(0.0).dimensions(), (1920, 1080));
    }
}
