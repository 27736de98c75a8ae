//! Choosing a camera mode: the highest resolution at or above the target at a frame rate good
//! for a live preview, MJPEG first (it needs a fraction of the USB bandwidth, so cameras offer
//! their high resolutions at full frame rate only in MJPEG), and a ranked list to fall back on
//! when a mode fails to start.

use std::cmp::Reverse;

use super::source::{Mode, PixelLayout};

/// What a good mode is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FormatTarget {
    /// Smallest width wanted for stills.
    pub min_width: u32,
    /// Smallest height wanted for stills.
    pub min_height: u32,
    /// Lowest frame rate for a fluid preview.
    pub min_fps: u32,
}

impl Default for FormatTarget {
    fn default() -> Self {
        Self {
            min_width: 1920,
            min_height: 1080,
            min_fps: 15,
        }
    }
}

fn layout_rank(layout: PixelLayout) -> u8 {
    match layout {
        PixelLayout::Mjpeg => 0,
        PixelLayout::Nv12 => 1,
        PixelLayout::Yuyv => 2,
        PixelLayout::Rgb24 => 3,
        PixelLayout::Gray8 => 4,
    }
}

/// All modes, best first: those that meet the whole target (highest resolution first, then
/// MJPEG, then frame rate); then those fluid enough for a preview, largest first; then the
/// rest, largest first. Duplicates are dropped.
pub fn rank_modes(modes: &[Mode], target: &FormatTarget) -> Vec<Mode> {
    let mut ranked: Vec<Mode> = Vec::with_capacity(modes.len());
    for mode in modes {
        if mode.width > 0 && mode.height > 0 && !ranked.contains(mode) {
            ranked.push(*mode);
        }
    }
    ranked.sort_by_key(|mode| {
        let large_enough = mode.width >= target.min_width && mode.height >= target.min_height;
        let fluid = mode.fps >= target.min_fps;
        let tier = match (large_enough, fluid) {
            (true, true) => 0,
            (false, true) => 1,
            _ => 2,
        };
        (
            tier,
            Reverse(u64::from(mode.width) * u64::from(mode.height)),
            layout_rank(mode.layout),
            Reverse(mode.fps),
        )
    });
    ranked
}
