//! Resizing and JPEG encoding to a size budget.

use image::RgbImage;

use super::ImagingError;
use super::pixels::{Pixels, Ycbcr420};

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

/// A customer's photo is wiped from memory when its last copy goes (the session's end), so that
/// freed memory holds no trace of it.
impl Drop for EncodedJpeg {
    fn drop(&mut self) {
        super::wipe(&mut self.bytes);
    }
}

impl EncodedJpeg {
    /// The JPEG file, taken out (the caller then owns the duty to wipe it).
    pub fn into_bytes(mut self) -> Vec<u8> {
        std::mem::take(&mut self.bytes)
    }
}

/// Encodes RGB pixels as a baseline JPEG with 4:2:0 chroma, as cameras do. TurboJPEG writes only
/// the JFIF header, so no metadata of the source can come along.
pub fn encode_jpeg(pixels: &RgbImage, quality: u8) -> Result<EncodedJpeg, ImagingError> {
    let (width, height) = pixels.dimensions();
    let image = turbojpeg::Image {
        pixels: pixels.as_raw().as_slice(),
        width: width as usize,
        pitch: width as usize * 3,
        height: height as usize,
        format: turbojpeg::PixelFormat::RGB,
    };
    let bytes = compressor(quality, Some(turbojpeg::Subsamp::Sub2x2))?
        .compress_to_vec(image)
        .map_err(|e| ImagingError::Encode(e.to_string()))?;
    Ok(EncodedJpeg {
        bytes,
        width,
        height,
        quality,
    })
}

/// Encodes Y, Cb and Cr planes as they are: no colour conversion, no chroma resampling.
pub fn encode_planes(planes: &Ycbcr420, quality: u8) -> Result<EncodedJpeg, ImagingError> {
    let (width, height) = (planes.width(), planes.height());
    let image = turbojpeg::YuvPlanesImage {
        y_plane: planes.luma().as_raw().as_slice(),
        u_plane: planes.blue().as_raw().as_slice(),
        v_plane: planes.red().as_raw().as_slice(),
        width: width as usize,
        height: height as usize,
        y_stride: width as usize,
        u_stride: width as usize / 2,
        v_stride: width as usize / 2,
        subsamp: turbojpeg::Subsamp::Sub2x2,
    };
    let bytes = compressor(quality, None)?
        .compress_yuv_planes_to_vec(&image)
        .map_err(|e| ImagingError::Encode(e.to_string()))?;
    Ok(EncodedJpeg {
        bytes,
        width,
        height,
        quality,
    })
}

fn compressor(
    quality: u8,
    subsampling: Option<turbojpeg::Subsamp>,
) -> Result<turbojpeg::Compressor, ImagingError> {
    let encode_error = |e: turbojpeg::Error| ImagingError::Encode(e.to_string());
    let mut compressor = turbojpeg::Compressor::new().map_err(encode_error)?;
    compressor
        .set_quality(i32::from(quality))
        .map_err(encode_error)?;
    if let Some(subsampling) = subsampling {
        compressor.set_subsamp(subsampling).map_err(encode_error)?;
    }
    Ok(compressor)
}

/// Encodes pixels in whichever layout they are.
pub fn encode_pixels(pixels: &Pixels, quality: u8) -> Result<EncodedJpeg, ImagingError> {
    match pixels {
        Pixels::Rgb(image) => encode_jpeg(image, quality),
        Pixels::Ycbcr420(planes) => encode_planes(planes, quality),
    }
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
    pixels: &Pixels,
    budget: usize,
    quality: QualityRange,
) -> Result<EncodedJpeg, ImagingError> {
    let fits = |jpeg: &EncodedJpeg| base64_len(jpeg.bytes.len()) <= budget;
    let mut current: Option<Pixels> = None;
    loop {
        let image = current.as_ref().unwrap_or(pixels);
        let first = encode_pixels(image, quality.start)?;
        if fits(&first) {
            return Ok(first);
        }
        let smallest = encode_pixels(image, quality.floor)?;
        if fits(&smallest) {
            return highest_quality_that_fits(image, quality.start - 1, smallest, fits);
        }
        let long_edge = image.long_edge();
        if long_edge <= SMALLEST_LONG_EDGE {
            return Err(ImagingError::CannotFit { budget });
        }
        // JPEG size grows roughly with the pixel count: aim a little under the budget.
        let ratio = (budget as f64 / base64_len(smallest.bytes.len()) as f64).sqrt() * 0.95;
        let ratio = ratio.clamp(0.5, 0.9);
        let next_long_edge = ((f64::from(long_edge) * ratio) as u32).max(SMALLEST_LONG_EDGE);
        current = Some(pixels.scaled_to_long_edge(next_long_edge)?);
    }
}

/// Bisects the qualities between a fitting `floor` result and `ceiling` (inclusive).
fn highest_quality_that_fits(
    image: &Pixels,
    ceiling: u8,
    floor: EncodedJpeg,
    fits: impl Fn(&EncodedJpeg) -> bool,
) -> Result<EncodedJpeg, ImagingError> {
    // Invariant: `best` fits; qualities above `high` do not.
    let mut best = floor;
    let mut high = ceiling;
    while best.quality < high {
        let middle = best.quality + (high - best.quality).div_ceil(2);
        let candidate = encode_pixels(image, middle)?;
        if fits(&candidate) {
            best = candidate;
        } else {
            high = middle - 1;
        }
    }
    Ok(best)
}
