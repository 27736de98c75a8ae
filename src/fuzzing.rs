//! The fuzz targets' bodies (`fuzz/fuzz_targets/`), here so that the regression tests run the
//! very same code on every input a fuzzer ever found (`fuzz/regressions/<target>/`). Each takes
//! any bytes and must return: an error is fine, a panic, a hang or an allocation past the
//! limits is the bug.

use std::borrow::Cow;

use crate::api::client::{parse_process_answer, parse_token_answer};
use crate::camera::{FrameDecoder, PixelLayout, RawFrame, RgbFrame, split_mjpeg};
use crate::config::Config;
use crate::imaging::{ImagePolicy, ImageRole};

/// The `prepare` path on any bytes, within the configured limits.
pub fn image_decode(data: &[u8]) {
    let mut policy = ImagePolicy::default();
    // Small limits keep each run quick; the checks are the same at any size.
    policy.decode.max_megapixels = 4.0;
    let _ = crate::imaging::prepare_bytes(data, ImageRole::Document, &policy);
}

/// The token and /process answer parsers and the error-body mapping: two bytes of status, then
/// the body.
pub fn api_answers(data: &[u8]) {
    let Some((status, body)) = data.split_first_chunk::<2>() else {
        return;
    };
    let status = 100 + u16::from_be_bytes(*status) % 500;
    for error in [
        parse_token_answer(status, None, body).err(),
        parse_process_answer(status, None, body).err(),
    ]
    .into_iter()
    .flatten()
    {
        // Everything staff and customers are shown is made from the answer.
        let _ = (error.to_string(), error.staff_text(), error.code());
        let _ = error.customer_advice().key();
    }
}

/// The config parser and its validation on any text.
pub fn config_parse(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(config) = Config::from_toml(text) {
        let _ = config.validate();
        let _ = config.to_redacted_toml();
    }
}

/// The MJPEG splitter and the frame converters (MJPEG, YUYV, NV12, RGB, grey): four bytes of
/// layout, width, height and reduction, then the frame, whatever size it claims.
pub fn camera_frames(data: &[u8]) {
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
    let frame = RawFrame {
        width: u32::from(header[1]),
        height: u32::from(header[2]),
        layout,
        bytes: Cow::Borrowed(bytes),
    };
    let reduction = 1 << (header[3] % 4);
    let mut out = RgbFrame::with_buffer(Vec::new());
    let _ = FrameDecoder::default().decode(&frame, reduction, &mut out);
}

/// Every input under `fuzz/regressions/<target>/` and `fuzz/seeds/<target>/`, for the tests.
pub fn saved_inputs(target: &str) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let fuzz = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut inputs = Vec::new();
    for kind in ["regressions", "seeds"] {
        let Ok(entries) = std::fs::read_dir(fuzz.join(kind).join(target)) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if let Ok(bytes) = std::fs::read(&path) {
                inputs.push((path, bytes));
            }
        }
    }
    inputs.sort();
    inputs
}
