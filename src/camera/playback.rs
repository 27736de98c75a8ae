//! A source that plays recorded pictures in a loop, for reproducible manual tests and demos: a
//! folder of images (each decoded once, shown in name order) or an MJPEG file (JPEG frames one
//! after another, as `ffmpeg -i clip.mp4 -c:v mjpeg -f mjpeg clip.mjpeg` writes them).

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::source::{CameraError, FrameSource, Mode, PixelLayout, RawFrame};

/// Frames, already in memory, played at a fixed rate.
pub struct PlaybackSource {
    name: String,
    frames: Vec<StoredFrame>,
    position: usize,
    fps: u32,
    next_frame_at: Instant,
}

struct StoredFrame {
    width: u32,
    height: u32,
    layout: PixelLayout,
    bytes: Vec<u8>,
}

const IMAGE_EXTENSIONS: [&str; 7] = ["jpg", "jpeg", "png", "bmp", "webp", "tif", "tiff"];

/// The most frames held in memory (a folder of 9 MP photos is 27 MB a frame).
const MAX_FRAMES: usize = 120;

impl PlaybackSource {
    /// Loads a folder of images or an MJPEG file, to play at `fps`.
    pub fn open(path: &Path, fps: u32) -> Result<PlaybackSource, CameraError> {
        let not_found = || CameraError::NotFound(path.display().to_string());
        let frames = if path.is_dir() {
            folder_frames(path).map_err(|_| not_found())?
        } else {
            let bytes = std::fs::read(path).map_err(|_| not_found())?;
            mjpeg_frames(&bytes)?
        };
        if frames.is_empty() {
            return Err(CameraError::Other(format!(
                "{} holds no pictures to play",
                path.display()
            )));
        }
        Ok(PlaybackSource {
            name: format!("Playback of {}", path.display()),
            frames,
            position: 0,
            fps: fps.max(1),
            next_frame_at: Instant::now(),
        })
    }
}

fn folder_frames(folder: &Path) -> std::io::Result<Vec<StoredFrame>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(folder)?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| {
            path.extension()
                .and_then(|extension| extension.to_str())
                .is_some_and(|extension| {
                    IMAGE_EXTENSIONS.contains(&extension.to_ascii_lowercase().as_str())
                })
        })
        .collect();
    paths.sort();
    Ok(paths
        .iter()
        .take(MAX_FRAMES)
        .filter_map(|path| match image::open(path) {
            Ok(picture) => {
                let rgb = picture.into_rgb8();
                Some(StoredFrame {
                    width: rgb.width(),
                    height: rgb.height(),
                    layout: PixelLayout::Rgb24,
                    bytes: rgb.into_raw(),
                })
            }
            Err(error) => {
                tracing::warn!(file = %path.display(), %error, "playback skips a picture");
                None
            }
        })
        .collect())
}

/// Splits an MJPEG stream at its start-of-image and end-of-image markers. Inside a JPEG's
/// entropy-coded data every 0xFF byte is followed by 0x00 or a restart marker, so 0xFF 0xD9
/// only ever ends an image.
pub fn split_mjpeg(bytes: &[u8]) -> Vec<&[u8]> {
    let mut frames = Vec::new();
    let mut position = 0;
    while let Some(start) = find(&bytes[position..], &[0xFF, 0xD8, 0xFF]).map(|at| at + position) {
        let Some(end) = find(&bytes[start + 2..], &[0xFF, 0xD9]).map(|at| at + start + 4) else {
            break;
        };
        frames.push(&bytes[start..end]);
        position = end;
    }
    frames
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

fn mjpeg_frames(bytes: &[u8]) -> Result<Vec<StoredFrame>, CameraError> {
    let mut frames = Vec::new();
    for jpeg in split_mjpeg(bytes).into_iter().take(MAX_FRAMES) {
        match turbojpeg::read_header(jpeg) {
            Ok(header) => frames.push(StoredFrame {
                width: header.width as u32,
                height: header.height as u32,
                layout: PixelLayout::Mjpeg,
                bytes: jpeg.to_vec(),
            }),
            Err(error) => tracing::warn!(%error, "playback skips a damaged MJPEG frame"),
        }
    }
    Ok(frames)
}

impl FrameSource for PlaybackSource {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn modes(&mut self) -> Result<Vec<Mode>, CameraError> {
        let first = &self.frames[0];
        Ok(vec![Mode {
            width: first.width,
            height: first.height,
            fps: self.fps,
            layout: first.layout,
        }])
    }

    fn start(&mut self, mode: Mode) -> Result<(), CameraError> {
        self.fps = mode.fps.max(1);
        self.position = 0;
        Ok(())
    }

    fn next_frame(&mut self) -> Result<RawFrame<'_>, CameraError> {
        let now = Instant::now();
        if self.next_frame_at > now {
            std::thread::sleep(self.next_frame_at - now);
        }
        self.next_frame_at = Instant::now() + Duration::from_secs_f64(1.0 / f64::from(self.fps));
        let frame = &self.frames[self.position % self.frames.len()];
        self.position = self.position.wrapping_add(1);
        Ok(RawFrame {
            width: frame.width,
            height: frame.height,
            layout: frame.layout,
            bytes: Cow::Borrowed(&frame.bytes),
        })
    }
}
