//! Resizing and JPEG encoding to a size budget.

use fast_image_resize::{self as fr, images::Image as FrImage};
use image::RgbImage;

use super::ImagingError;

/// Characters of Base64 for `bytes` bytes (padded): 4 for every started 3.
pub fn base64_len(bytes: usize) -> usize {
    bytes.div_ceil(3) * 4
}

/// A JPEG and the settings that made it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncodedJpeg {
    /// The JPEG file: a JFIF header and the scan, no EXIF, XMP, IPTC or comments.
    pub bytes: Vec<u8>,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// The quality used.
    pub quality: u8,
}

/// Encodes RGB pixels as a baseline JPEG with 4:2:0 chroma, as cameras do. TurboJPEG writes only
/// the JFIF header, so no metadata of the source can come along.
pub fn encode_jpeg(pixels: &RgbImage, quality: u8) -> Result<EncodedJpeg, ImagingError> {
    let mut compressor =
        turbojpeg::Compressor::new().map_err(|e| ImagingError::Encode(e.to_string()))?;
    compressor
        .set_quality(i32::from(quality))
        .map_err(|e| ImagingError::Encode(e.to_string()))?;
    compressor
        .set_subsamp(turbojpeg::Subsamp::Sub2x2)
        .map_err(|e| ImagingError::Encode(e.to_string()))?;
    let (width, height) = pixels.dimensions();
    let image = turbojpeg::Image {
        pixels: pixels.as_raw().as_slice(),
        width: width as usize,
        pitch: width as usize * 3,
        height: height as usize,
        format: turbojpeg::PixelFormat::RGB,
    };
    let bytes = compressor
        .compress_to_vec(image)
        .map_err(|e| ImagingError::Encode(e.to_string()))?;
    Ok(EncodedJpeg {
        bytes,
        width,
        height,
        quality,
    })
}

/// Scales so the long edge is at most `max_long_edge`, keeping the aspect ratio (Lanczos3, SIMD).
pub fn fit_long_edge(pixels: RgbImage, max_long_edge: u32) -> Result<RgbImage, ImagingError> {
    let (width, height) = pixels.dimensions();
    let long_edge = width.max(height);
    if long_edge <= max_long_edge {
        return Ok(pixels);
    }
    let scale = f64::from(max_long_edge) / f64::from(long_edge);
    let target_width = ((f64::from(width) * scale).round() as u32).max(1);
    let target_height = ((f64::from(height) * scale).round() as u32).max(1);
    resize(&pixels, target_width, target_height)
}

/// Resizes to exactly `width` x `height`.
pub fn resize(pixels: &RgbImage, width: u32, height: u32) -> Result<RgbImage, ImagingError> {
    let resize_error =
        |e: &dyn std::fmt::Display| ImagingError::Encode(format!("resize failed: {e}"));
    let source = fr::images::ImageRef::new(
        pixels.width(),
        pixels.height(),
        pixels.as_raw(),
        fr::PixelType::U8x3,
    )
    .map_err(|e| resize_error(&e))?;
    let mut target = FrImage::new(width, height, fr::PixelType::U8x3);
    let options =
        fr::ResizeOptions::new().resize_alg(fr::ResizeAlg::Convolution(fr::FilterType::Lanczos3));
    fr::Resizer::new()
        .resize(&source, &mut target, &options)
        .map_err(|e| resize_error(&e))?;
    RgbImage::from_raw(width, height, target.into_vec()).ok_or_else(|| resize_error(&"buffer size"))
}

/// The quality search's bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QualityRange {
    /// Tried first.
    pub start: u8,
    /// Lowest before scaling down instead.
    pub floor: u8,
}

/// Smallest long edge we scale down to before giving up: below it a document is unreadable.
const SMALLEST_LONG_EDGE: u32 = 480;

/// The best JPEG of `pixels` whose Base64 fits `budget` characters: the start quality at full
/// size when it fits; else the highest quality down to the floor (bisected); else the image is
/// scaled down step by step and the search repeated. Deterministic: same input, same bytes.
pub fn encode_to_budget(
    pixels: &RgbImage,
    budget: usize,
    quality: QualityRange,
) -> Result<EncodedJpeg, ImagingError> {
    let fits = |jpeg: &EncodedJpeg| base64_len(jpeg.bytes.len()) <= budget;
    let mut current: Option<RgbImage> = None;
    loop {
        let image = current.as_ref().unwrap_or(pixels);
        let first = encode_jpeg(image, quality.start)?;
        if fits(&first) {
            return Ok(first);
        }
        let smallest = encode_jpeg(image, quality.floor)?;
        if fits(&smallest) {
            return highest_quality_that_fits(image, quality.start - 1, smallest, fits);
        }
        let long_edge = image.width().max(image.height());
        if long_edge <= SMALLEST_LONG_EDGE {
            return Err(ImagingError::CannotFit { budget });
        }
        // JPEG size grows roughly with the pixel count: aim a little under the budget.
        let ratio = (budget as f64 / base64_len(smallest.bytes.len()) as f64).sqrt() * 0.95;
        let ratio = ratio.clamp(0.5, 0.9);
        let next_long_edge = ((f64::from(long_edge) * ratio) as u32).max(SMALLEST_LONG_EDGE);
        current = Some(fit_long_edge(pixels.clone(), next_long_edge)?);
    }
}

/// Bisects the qualities between a fitting `floor` result and `ceiling` (inclusive).
fn highest_quality_that_fits(
    image: &RgbImage,
    ceiling: u8,
    floor: EncodedJpeg,
    fits: impl Fn(&EncodedJpeg) -> bool,
) -> Result<EncodedJpeg, ImagingError> {
    // Invariant: `best` fits; qualities above `high` do not.
    let mut best = floor;
    let mut high = ceiling;
    while best.quality < high {
        let middle = best.quality + (high - best.quality).div_ceil(2);
        let candidate = encode_jpeg(image, middle)?;
        if fits(&candidate) {
            best = candidate;
        } else {
            high = middle - 1;
        }
    }
    Ok(best)
}
