//! The MJPEG splitter and the frame converters (MJPEG, YUYV, NV12, RGB, grey) on any bytes and
//! any claimed size.
#![no_main]

use std::borrow::Cow;

use libfuzzer_sys::fuzz_target;
use markid_kiosk::camera::{FrameDecoder, PixelLayout, RawFrame, RgbFrame, split_mjpeg};

fuzz_target!(|data: &[u8]| {
    let Some((header, bytes)) = data.split_first_chunk::<4>() else {
        return;
    };
    let _ = split_mjpeg(bytes);
    let layout = match header[0] % 5 {
        0 => PixelLayout::Mjpeg,
        1 => PixelLayout::Yuyv,
        2 => PixelLayout::Nv12,
        3 => PixelLayout::Rgb24,
        _ => PixelLayout::Gray8,
    };
    // Claimed sizes up to 255x255, whatever the bytes hold.
    let frame = RawFrame {
        width: u32::from(header[1]),
        height: u32::from(header[2]),
        layout,
        bytes: Cow::Borrowed(bytes),
    };
    let reduction = 1 << (header[3] % 4);
    let mut out = RgbFrame::with_buffer(Vec::new());
    let _ = FrameDecoder::default().decode(&frame, reduction, &mut out);
});
