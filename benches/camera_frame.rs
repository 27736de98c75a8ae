//! The camera's frame path: one 1920x1080 frame from the camera's bytes to the preview
//! texture's data (decode at the preview size, then egui's `ColorImage`), per layout, and the
//! full-resolution still. One core, median of many frames. Goal: <= 8 ms per MJPEG frame.
//! `cargo bench --bench camera_frame` (or `--profile measure` for a quick build).

#![expect(
    clippy::unwrap_used,
    reason = "a benchmark on generated inputs: a failure should stop it"
)]

use std::borrow::Cow;
use std::time::Instant;

use image::{Rgb, RgbImage};
use markid_kiosk::camera::{FrameDecoder, PixelLayout, RawFrame, RgbFrame};
use markid_kiosk::imaging::dct_reduction;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const FRAMES: usize = 60;
/// The preview is shown about this wide (the capture screen at 1280x800 and up).
const PREVIEW_WIDTH: u32 = 960;

/// A webcam-like picture: smooth shading, edges, and sensor noise (noise is what makes MJPEG
/// frames large and slow to decode).
fn picture(width: u32, height: u32) -> RgbImage {
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    RgbImage::from_fn(width, height, |x, y| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let noise = (state % 17) as i32 - 8;
        let base = [
            (x * 200 / width) as i32 + 30,
            if (x / 60 + y / 60) % 2 == 0 { 180 } else { 70 },
            (y * 200 / height) as i32 + 30,
        ];
        Rgb(base.map(|c| (c + noise).clamp(0, 255) as u8))
    })
}

fn video_range(pixel: &Rgb<u8>) -> [u8; 3] {
    let [r, g, b] = pixel.0.map(f64::from);
    [
        (16.0 + 0.257 * r + 0.504 * g + 0.098 * b) as u8,
        (128.0 - 0.148 * r - 0.291 * g + 0.439 * b) as u8,
        (128.0 + 0.439 * r - 0.368 * g - 0.071 * b) as u8,
    ]
}

fn yuyv(picture: &RgbImage) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(picture.len() / 3 * 2);
    for pair in picture.pixels().collect::<Vec<_>>().chunks_exact(2) {
        let (a, b) = (video_range(pair[0]), video_range(pair[1]));
        bytes.extend([a[0], a[1], b[0], a[2]]);
    }
    bytes
}

fn nv12(picture: &RgbImage) -> Vec<u8> {
    let (width, height) = picture.dimensions();
    let mut bytes: Vec<u8> = picture.pixels().map(|p| video_range(p)[0]).collect();
    for y in (0..height).step_by(2) {
        for x in (0..width).step_by(2) {
            let yuv = video_range(picture.get_pixel(x, y));
            bytes.extend([yuv[1], yuv[2]]);
        }
    }
    bytes
}

fn median_ms(mut work: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..FRAMES)
        .map(|_| {
            let started = Instant::now();
            work();
            started.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[FRAMES / 2]
}

fn main() {
    let (width, height) = (1920, 1080);
    let source = picture(width, height);
    let mjpeg = markid_kiosk::imaging::encode_jpeg(&source, 85)
        .unwrap()
        .into_bytes();
    let frames = [
        (PixelLayout::Mjpeg, mjpeg),
        (PixelLayout::Yuyv, yuyv(&source)),
        (PixelLayout::Nv12, nv12(&source)),
    ];
    println!(
        "1920x1080 frame -> preview texture data ({} px wide), median of {FRAMES} frames",
        PREVIEW_WIDTH
    );
    println!(
        "{:<8} {:>10} {:>14} {:>12}",
        "layout", "bytes", "preview ms", "still ms"
    );
    let mut decoder = FrameDecoder::default();
    let mut buffer = RgbFrame::default();
    for (layout, bytes) in frames {
        let frame = RawFrame {
            width,
            height,
            layout,
            bytes: Cow::Borrowed(&bytes),
        };
        let reduction = dct_reduction(width, PREVIEW_WIDTH);
        let preview = median_ms(|| {
            decoder.decode(&frame, reduction, &mut buffer).unwrap();
            let texture_data = egui::ColorImage::from_rgb(
                [buffer.width as usize, buffer.height as usize],
                &buffer.pixels,
            );
            std::hint::black_box(texture_data);
        });
        let still = median_ms(|| {
            decoder.decode(&frame, 1, &mut buffer).unwrap();
            std::hint::black_box(&buffer);
        });
        println!(
            "{:<8} {:>10} {:>14.2} {:>12.2}",
            format!("{layout:?}"),
            bytes.len(),
            preview,
            still
        );
    }
}
