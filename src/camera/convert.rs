//! Raw camera frames to RGB, at full size for stills or scaled down by 2, 4 or 8 for the
//! preview. MJPEG is decoded by libjpeg-turbo, scaling in the DCT domain (a 1080p frame at half
//! size costs a fraction of a full decode); YUYV and NV12 are converted sampling every n-th
//! pixel. Output buffers are reused from frame to frame.

use image::RgbImage;

use super::source::{CameraError, PixelLayout, RawFrame};

/// An RGB picture whose buffer is reused for the next frame.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RgbFrame {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// `width * height * 3` bytes, row by row.
    pub pixels: Vec<u8>,
}

impl RgbFrame {
    /// An empty frame around a buffer to reuse.
    pub fn with_buffer(pixels: Vec<u8>) -> RgbFrame {
        RgbFrame {
            width: 0,
            height: 0,
            pixels,
        }
    }

    fn reset(&mut self, width: u32, height: u32) {
        self.width = width;
        self.height = height;
        self.pixels.clear();
        self.pixels.resize(width as usize * height as usize * 3, 0);
    }

    /// As an `image` buffer (moves the pixels).
    pub fn into_image(self) -> Option<RgbImage> {
        RgbImage::from_raw(self.width, self.height, self.pixels)
    }
}

/// The largest frame decoded: an 8K camera's 7680x4320 is 33 MP.
const MAX_FRAME_PIXELS: u64 = 40_000_000;

/// Decodes frames; keeps libjpeg-turbo's decompressor between frames.
#[derive(Default)]
pub struct FrameDecoder {
    decompressor: Option<turbojpeg::Decompressor>,
}

fn bad_frame(detail: impl std::fmt::Display) -> CameraError {
    CameraError::BadFrame(detail.to_string())
}

impl FrameDecoder {
    /// Decodes `frame` reduced by `reduction` (1, 2, 4 or 8) into `out`.
    pub fn decode(
        &mut self,
        frame: &RawFrame<'_>,
        reduction: u32,
        out: &mut RgbFrame,
    ) -> Result<(), CameraError> {
        let reduction = reduction.clamp(1, 8);
        if frame.layout == PixelLayout::Mjpeg {
            return self.decode_mjpeg(&frame.bytes, reduction, out);
        }
        let (width, height) = (frame.width, frame.height);
        let needed = frame
            .layout
            .frame_bytes(width, height)
            .ok_or_else(|| bad_frame("no size"))?;
        // YUYV pairs pixels: an odd width cannot be laid out.
        let odd_yuyv = frame.layout == PixelLayout::Yuyv && width % 2 == 1;
        if frame.bytes.len() < needed || width == 0 || height == 0 || odd_yuyv {
            return Err(bad_frame(format!(
                "{} bytes for a {}x{} {:?} frame, {} needed",
                frame.bytes.len(),
                width,
                height,
                frame.layout,
                needed
            )));
        }
        out.reset(width.div_ceil(reduction), height.div_ceil(reduction));
        let bytes = &frame.bytes[..];
        match frame.layout {
            PixelLayout::Yuyv => yuyv_to_rgb(bytes, width, reduction, out),
            PixelLayout::Nv12 => nv12_to_rgb(bytes, width, height, reduction, out),
            PixelLayout::Rgb24 => sample_rgb(bytes, width, reduction, out),
            PixelLayout::Gray8 => gray_to_rgb(bytes, width, reduction, out),
            PixelLayout::Mjpeg => {}
        }
        Ok(())
    }

    fn decode_mjpeg(
        &mut self,
        jpeg: &[u8],
        reduction: u32,
        out: &mut RgbFrame,
    ) -> Result<(), CameraError> {
        let decompressor = match &mut self.decompressor {
            Some(decompressor) => decompressor,
            slot => slot.insert(turbojpeg::Decompressor::new().map_err(bad_frame)?),
        };
        let header = decompressor.read_header(jpeg).map_err(bad_frame)?;
        // The header's size is the frame's own word: a damaged frame can claim 65535x65535,
        // and decoding it would ask for 12.8 GB (found by fuzzing `camera_frames`).
        let pixels = header.width as u64 * header.height as u64;
        if pixels > MAX_FRAME_PIXELS {
            return Err(bad_frame(format!(
                "the MJPEG frame claims {}x{} pixels, more than any camera sends",
                header.width, header.height
            )));
        }
        let factor = turbojpeg::ScalingFactor::new(1, reduction as usize);
        decompressor.set_scaling_factor(factor).map_err(bad_frame)?;
        let scaled = header.scaled(factor);
        out.reset(scaled.width as u32, scaled.height as u32);
        let image = turbojpeg::Image {
            pixels: out.pixels.as_mut_slice(),
            width: scaled.width,
            pitch: scaled.width * 3,
            height: scaled.height,
            format: turbojpeg::PixelFormat::RGB,
        };
        decompressor.decompress(jpeg, image).map_err(bad_frame)
    }
}

/// BT.601 video range (16-235 luma, 16-240 chroma) to RGB, in 16-bit fixed point: webcams send
/// YUYV and NV12 in video range.
#[inline]
fn video_range_rgb(y: u8, u: u8, v: u8) -> [u8; 3] {
    let c = (i32::from(y) - 16) * 76_309; // 1.164
    let d = i32::from(u) - 128;
    let e = i32::from(v) - 128;
    let clamp = |value: i32| ((value + 32_768) >> 16).clamp(0, 255) as u8;
    [
        clamp(c + 104_597 * e),             // 1.596
        clamp(c - 25_675 * d - 53_279 * e), // 0.392, 0.813
        clamp(c + 132_201 * d),             // 2.017
    ]
}

fn yuyv_to_rgb(bytes: &[u8], width: u32, reduction: u32, out: &mut RgbFrame) {
    let stride = width as usize * 2;
    let step = reduction as usize;
    let out_width = out.width as usize;
    for (row, line) in out.pixels.chunks_exact_mut(out_width * 3).enumerate() {
        let source = &bytes[row * step * stride..][..stride];
        for (column, pixel) in line.chunks_exact_mut(3).enumerate() {
            let x = column * step;
            // Each 4-byte group holds two pixels' luma and their shared chroma.
            let group = &source[(x / 2) * 4..(x / 2) * 4 + 4];
            let y = if x.is_multiple_of(2) {
                group[0]
            } else {
                group[2]
            };
            pixel.copy_from_slice(&video_range_rgb(y, group[1], group[3]));
        }
    }
}

fn nv12_to_rgb(bytes: &[u8], width: u32, height: u32, reduction: u32, out: &mut RgbFrame) {
    let (width, height) = (width as usize, height as usize);
    let chroma_stride = width.div_ceil(2) * 2;
    let (luma, chroma) = bytes.split_at(width * height);
    let step = reduction as usize;
    let out_width = out.width as usize;
    for (row, line) in out.pixels.chunks_exact_mut(out_width * 3).enumerate() {
        let y_row = row * step;
        let luma_row = &luma[y_row * width..][..width];
        let chroma_row = &chroma[(y_row / 2) * chroma_stride..][..chroma_stride];
        for (column, pixel) in line.chunks_exact_mut(3).enumerate() {
            let x = column * step;
            let pair = (x / 2) * 2;
            pixel.copy_from_slice(&video_range_rgb(
                luma_row[x],
                chroma_row[pair],
                chroma_row[pair + 1],
            ));
        }
    }
}

fn sample_rgb(bytes: &[u8], width: u32, reduction: u32, out: &mut RgbFrame) {
    let stride = width as usize * 3;
    let step = reduction as usize;
    let out_width = out.width as usize;
    for (row, line) in out.pixels.chunks_exact_mut(out_width * 3).enumerate() {
        let source = &bytes[row * step * stride..][..stride];
        if step == 1 {
            line.copy_from_slice(source);
            continue;
        }
        for (column, pixel) in line.chunks_exact_mut(3).enumerate() {
            let x = column * step * 3;
            pixel.copy_from_slice(&source[x..x + 3]);
        }
    }
}

fn gray_to_rgb(bytes: &[u8], width: u32, reduction: u32, out: &mut RgbFrame) {
    let step = reduction as usize;
    let out_width = out.width as usize;
    for (row, line) in out.pixels.chunks_exact_mut(out_width * 3).enumerate() {
        let source = &bytes[row * step * width as usize..][..width as usize];
        for (column, pixel) in line.chunks_exact_mut(3).enumerate() {
            pixel.fill(source[column * step]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reduction_keeps_at_least_the_wanted_width() {
        use crate::imaging::dct_reduction;
        assert_eq!(dct_reduction(1920, 900), 2);
        assert_eq!(dct_reduction(1920, 960), 2);
        assert_eq!(dct_reduction(1920, 961), 1);
        assert_eq!(dct_reduction(3840, 400), 8);
        assert_eq!(dct_reduction(640, 900), 1);
        // Scaled sizes round up, as libjpeg-turbo's do.
        assert_eq!(dct_reduction(1081, 541), 2);
    }

    #[test]
    fn video_range_extremes_map_to_black_and_white() {
        assert_eq!(video_range_rgb(16, 128, 128), [0, 0, 0]);
        assert_eq!(video_range_rgb(235, 128, 128), [255, 255, 255]);
    }
}
