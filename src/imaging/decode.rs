//! Decoding by content, with the size limits checked before any pixel is decoded.

use std::io::Cursor;

use image::{
    DynamicImage, GrayImage, ImageDecoder, ImageFormat, ImageReader, RgbImage,
    metadata::Orientation,
};

use super::ImagingError;
use super::pixels::{Pixels, Ycbcr420};

/// The formats recognised from a file's first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SniffedFormat {
    /// JPEG, any flavour.
    Jpeg,
    /// A format the `image` crate decodes.
    Other(ImageFormat),
}

/// Limits checked before decoding.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DecodeLimits {
    /// Largest file, in bytes.
    pub max_file_bytes: u64,
    /// Largest image, in megapixels.
    pub max_megapixels: f64,
}

/// Tells the format from the content, never from the name.
pub fn sniff(bytes: &[u8]) -> Result<SniffedFormat, ImagingError> {
    let starts = |magic: &[u8]| bytes.starts_with(magic);
    if bytes.is_empty() {
        return Err(ImagingError::Empty);
    }
    if starts(&[0xFF, 0xD8, 0xFF]) {
        return Ok(SniffedFormat::Jpeg);
    }
    if starts(b"\x89PNG\r\n\x1a\n") {
        return Ok(SniffedFormat::Other(ImageFormat::Png));
    }
    if starts(b"GIF87a") || starts(b"GIF89a") {
        return Ok(SniffedFormat::Other(ImageFormat::Gif));
    }
    if starts(b"BM") && bytes.len() > 14 {
        return Ok(SniffedFormat::Other(ImageFormat::Bmp));
    }
    if starts(b"II*\0") || starts(b"MM\0*") {
        return Ok(SniffedFormat::Other(ImageFormat::Tiff));
    }
    if starts(b"RIFF") && bytes.get(8..12) == Some(b"WEBP") {
        return Ok(SniffedFormat::Other(ImageFormat::WebP));
    }
    if starts(b"%PDF") {
        return Err(ImagingError::Unsupported("PDF"));
    }
    if bytes.get(4..8) == Some(b"ftyp") {
        let brand = bytes.get(8..12).unwrap_or_default();
        return Err(ImagingError::Unsupported(match brand {
            b"avif" | b"avis" => "AVIF",
            b"heic" | b"heix" | b"hevc" | b"hevx" | b"heim" | b"heis" | b"hevm" | b"hevs"
            | b"mif1" | b"msf1" => "HEIC/HEIF",
            _ => "MP4/QuickTime",
        }));
    }
    if starts(&[0xFF, 0x0A]) || bytes.get(4..12) == Some(b"jP  \r\n\x87\n") {
        return Err(ImagingError::Unsupported("JPEG XL or JPEG 2000"));
    }
    Err(ImagingError::NotAnImage)
}

fn check_pixels(width: u32, height: u32, limits: &DecodeLimits) -> Result<(), ImagingError> {
    let megapixels = f64::from(width) * f64::from(height) / 1_000_000.0;
    if megapixels > limits.max_megapixels {
        return Err(ImagingError::TooManyPixels {
            width,
            height,
            max_megapixels: limits.max_megapixels,
        });
    }
    if width < 16 || height < 16 {
        return Err(ImagingError::TooSmall { width, height });
    }
    Ok(())
}

/// A decoded image, not yet turned upright, and the turn it needs.
pub struct Decoded {
    /// The pixels as stored.
    pub pixels: Pixels,
    /// The EXIF (or container) orientation.
    pub orientation: Orientation,
    /// Long edge of the stored image before any decode-time scaling.
    pub source_long_edge: u32,
}

/// Decodes `bytes` to RGB. `wanted_long_edge` lets JPEG decoding scale down in the DCT domain
/// (by n/8) to the smallest size that is still at least that long: much faster than decoding
/// at full size and resizing all of it.
pub fn decode(
    bytes: &[u8],
    limits: &DecodeLimits,
    wanted_long_edge: u32,
) -> Result<Decoded, ImagingError> {
    if bytes.len() as u64 > limits.max_file_bytes {
        return Err(ImagingError::FileTooLarge {
            bytes: bytes.len() as u64,
            max: limits.max_file_bytes,
        });
    }
    match sniff(bytes)? {
        SniffedFormat::Jpeg => decode_jpeg(bytes, limits, wanted_long_edge),
        SniffedFormat::Other(format) => decode_with_image_crate(bytes, format, limits),
    }
}

fn decode_jpeg(
    bytes: &[u8],
    limits: &DecodeLimits,
    wanted_long_edge: u32,
) -> Result<Decoded, ImagingError> {
    let corrupt = |detail: String| ImagingError::Corrupt {
        format: "JPEG",
        detail,
    };
    let mut decompressor = turbojpeg::Decompressor::new().map_err(|e| corrupt(e.to_string()))?;
    let header = decompressor
        .read_header(bytes)
        .map_err(|e| corrupt(e.to_string()))?;
    let (width, height) = (to_u32(header.width), to_u32(header.height));
    check_pixels(width, height, limits)?;
    let orientation = jpeg_exif_orientation(bytes);
    let source_long_edge = width.max(height);
    if matches!(
        header.colorspace,
        turbojpeg::Colorspace::CMYK | turbojpeg::Colorspace::YCCK
    ) {
        // TurboJPEG cannot convert CMYK to RGB; the image crate can (Adobe-inverted too).
        let mut decoded = decode_with_image_crate(bytes, ImageFormat::Jpeg, limits)?;
        decoded.orientation = orientation;
        return Ok(decoded);
    }
    let factor = dct_scaling_factor(source_long_edge, wanted_long_edge);
    decompressor
        .set_scaling_factor(factor)
        .map_err(|e| corrupt(e.to_string()))?;
    let scaled = header.scaled(factor);
    let planar = header.subsamp == turbojpeg::Subsamp::Sub2x2
        && header.colorspace == turbojpeg::Colorspace::YCbCr
        && scaled.width >= 2
        && scaled.height >= 2;
    let pixels = if planar {
        Pixels::Ycbcr420(decode_planes(&mut decompressor, bytes, &scaled).map_err(corrupt)?)
    } else {
        Pixels::Rgb(decode_rgb(&mut decompressor, bytes, &scaled).map_err(corrupt)?)
    };
    Ok(Decoded {
        pixels,
        orientation,
        source_long_edge,
    })
}

fn decode_rgb(
    decompressor: &mut turbojpeg::Decompressor,
    bytes: &[u8],
    scaled: &turbojpeg::DecompressHeader,
) -> Result<RgbImage, String> {
    let pitch = scaled.width * 3;
    let mut pixels = vec![0u8; pitch * scaled.height];
    let output = turbojpeg::Image {
        pixels: pixels.as_mut_slice(),
        width: scaled.width,
        pitch,
        height: scaled.height,
        format: turbojpeg::PixelFormat::RGB,
    };
    decompressor
        .decompress(bytes, output)
        .map_err(|e| e.to_string())?;
    RgbImage::from_raw(to_u32(scaled.width), to_u32(scaled.height), pixels)
        .ok_or_else(|| "decoded buffer has the wrong size".to_owned())
}

/// Decodes a 4:2:0 JPEG to its planes. libjpeg-turbo pads odd sizes to whole 2x2 blocks; an
/// odd last row or column is dropped so that luma and chroma line up exactly (one pixel of a
/// photo, where the alternative is resampling all of it).
fn decode_planes(
    decompressor: &mut turbojpeg::Decompressor,
    bytes: &[u8],
    scaled: &turbojpeg::DecompressHeader,
) -> Result<Ycbcr420, String> {
    let subsamp = turbojpeg::Subsamp::Sub2x2;
    let length = turbojpeg::yuv_pixels_len(scaled.width, 1, scaled.height, subsamp)
        .map_err(|e| e.to_string())?;
    // With row alignment 1 the planes follow each other, luma padded to even sizes.
    let (padded_width, padded_height) = (
        scaled.width.next_multiple_of(2),
        scaled.height.next_multiple_of(2),
    );
    let luma_length = padded_width * padded_height;
    let chroma_length = luma_length / 4;
    if length != luma_length + 2 * chroma_length {
        return Err(format!("unexpected YUV layout ({length} bytes)"));
    }
    let mut buffer = vec![0u8; length];
    let output = turbojpeg::YuvImage {
        pixels: buffer.as_mut_slice(),
        width: scaled.width,
        align: 1,
        height: scaled.height,
        subsamp,
    };
    decompressor
        .decompress_to_yuv(bytes, output)
        .map_err(|e| e.to_string())?;
    let (width, height) = (scaled.width & !1, scaled.height & !1);
    // Each chroma plane is copied out once; luma keeps the buffer.
    let red = buffer.split_off(luma_length + chroma_length);
    let blue = buffer.split_off(luma_length);
    let luma = crop_plane(buffer, padded_width, width, height);
    let blue = crop_plane(blue, padded_width / 2, width / 2, height / 2);
    let red = crop_plane(red, padded_width / 2, width / 2, height / 2);
    Ycbcr420::from_planes(luma?, blue?, red?).ok_or_else(|| "planes do not fit together".to_owned())
}

/// The top-left `width` x `height` of a plane stored `stride` bytes a row.
fn crop_plane(
    mut plane: Vec<u8>,
    stride: usize,
    width: usize,
    height: usize,
) -> Result<GrayImage, String> {
    if stride != width {
        plane = plane
            .chunks_exact(stride)
            .take(height)
            .flat_map(|row| &row[..width])
            .copied()
            .collect();
    }
    plane.truncate(width * height);
    GrayImage::from_raw(to_u32(width), to_u32(height), plane)
        .ok_or_else(|| "plane has the wrong size".to_owned())
}

fn to_u32(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

/// The smallest of 1/8, 1/4, 1/2 and 1 that keeps the long edge at least `wanted`. Only powers
/// of two: libjpeg-turbo's 1/2..1/8 IDCTs are SIMD-accelerated and filter cleanly, while the
/// other n/8 factors were measured slower than a full decode and 5 dB worse (see README).
fn dct_scaling_factor(long_edge: u32, wanted: u32) -> turbojpeg::ScalingFactor {
    turbojpeg::ScalingFactor::new(8 / dct_reduction(long_edge, wanted) as usize, 8)
}

/// The largest reduction of 8, 4, 2 and 1 that keeps `edge` at least `wanted` pixels once
/// libjpeg-turbo has scaled it (it rounds scaled sizes up). Used for photos (long edge) and
/// camera previews (width).
pub fn dct_reduction(edge: u32, wanted: u32) -> u32 {
    [8, 4, 2]
        .into_iter()
        .find(|reduction| edge.div_ceil(*reduction) >= wanted.max(1))
        .unwrap_or(1)
}

/// The orientation in a JPEG's APP1 Exif segment; `NoTransforms` when absent or invalid.
pub fn jpeg_exif_orientation(bytes: &[u8]) -> Orientation {
    exif_segment(bytes)
        .and_then(Orientation::from_exif_chunk)
        .unwrap_or(Orientation::NoTransforms)
}

/// The TIFF-structured payload of the first APP1 "Exif" segment, found by walking the markers
/// up to the start of the scan.
fn exif_segment(bytes: &[u8]) -> Option<&[u8]> {
    let mut position = 2;
    while position + 4 <= bytes.len() {
        if bytes[position] != 0xFF {
            return None;
        }
        let marker = bytes[position + 1];
        if marker == 0xFF {
            position += 1;
            continue;
        }
        // Start of scan or end of image: no more metadata segments.
        if marker == 0xDA || marker == 0xD9 {
            return None;
        }
        let length = usize::from(u16::from_be_bytes([
            bytes[position + 2],
            bytes[position + 3],
        ]));
        let segment = bytes.get(position + 4..position + 2 + length)?;
        if marker == 0xE1 && segment.starts_with(b"Exif\0\0") {
            return Some(&segment[6..]);
        }
        position += 2 + length;
    }
    None
}

fn decode_with_image_crate(
    bytes: &[u8],
    format: ImageFormat,
    limits: &DecodeLimits,
) -> Result<Decoded, ImagingError> {
    let name = format_name(format);
    let corrupt = |detail: String| ImagingError::Corrupt {
        format: name,
        detail,
    };
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    // A second guard behind the header check: no allocation beyond what the pixel limit allows
    // (RGBA at 16 bits per channel is 8 bytes a pixel).
    let mut decode_limits = image::Limits::default();
    decode_limits.max_alloc = Some((limits.max_megapixels * 1_000_000.0 * 8.0) as u64 + (64 << 20));
    reader.limits(decode_limits);
    let mut decoder = reader.into_decoder().map_err(|e| classify(e, name))?;
    let (width, height) = decoder.dimensions();
    check_pixels(width, height, limits)?;
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let image = DynamicImage::from_decoder(decoder).map_err(|e| classify(e, name))?;
    let pixels = flatten_onto_white(image);
    if pixels.width() == 0 {
        return Err(corrupt("no pixels".to_owned()));
    }
    Ok(Decoded {
        pixels: Pixels::Rgb(pixels),
        orientation,
        source_long_edge: width.max(height),
    })
}

fn classify(error: image::ImageError, format: &'static str) -> ImagingError {
    match error {
        image::ImageError::Limits(_) => ImagingError::TooLargeToDecode,
        image::ImageError::Unsupported(detail) => ImagingError::Corrupt {
            format,
            detail: format!("unsupported variant: {detail}"),
        },
        other => ImagingError::Corrupt {
            format,
            detail: other.to_string(),
        },
    }
}

fn format_name(format: ImageFormat) -> &'static str {
    match format {
        ImageFormat::Png => "PNG",
        ImageFormat::Gif => "GIF",
        ImageFormat::Bmp => "BMP",
        ImageFormat::Tiff => "TIFF",
        ImageFormat::WebP => "WebP",
        ImageFormat::Jpeg => "JPEG",
        _ => "image",
    }
}

/// RGB, with any transparency composited onto white (a transparent PNG scan must not turn
/// black) and 16-bit channels reduced to 8.
fn flatten_onto_white(image: DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.into_rgb8();
    }
    let rgba = image.into_rgba8();
    let (width, height) = rgba.dimensions();
    let mut rgb = RgbImage::new(width, height);
    for (source, target) in rgba.pixels().zip(rgb.pixels_mut()) {
        let alpha = u32::from(source[3]);
        for channel in 0..3 {
            let blended = (u32::from(source[channel]) * alpha + 255 * (255 - alpha) + 127) / 255;
            target[channel] = blended as u8;
        }
    }
    rgb
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dct_factor_keeps_at_least_the_wanted_edge() {
        let scaled = |edge: u32, wanted: u32| dct_scaling_factor(edge, wanted).scale(edge as usize);
        assert_eq!(scaled(4000, 3000), 4000);
        assert_eq!(scaled(3464, 3000), 3464);
        assert_eq!(scaled(8000, 3000), 4000);
        assert_eq!(scaled(3464, 1600), 1732);
        assert_eq!(scaled(8000, 900), 1000);
        assert_eq!(scaled(2000, 3000), 2000);
    }

    #[test]
    fn sniffs_by_content() {
        assert_eq!(
            sniff(b"%PDF-1.7 ..."),
            Err(ImagingError::Unsupported("PDF"))
        );
        assert_eq!(
            sniff(b"\0\0\0\x18ftypheic\0\0"),
            Err(ImagingError::Unsupported("HEIC/HEIF"))
        );
        assert_eq!(
            sniff(b"\0\0\0\x1cftypavif\0\0"),
            Err(ImagingError::Unsupported("AVIF"))
        );
        assert_eq!(sniff(b"hello, world"), Err(ImagingError::NotAnImage));
        assert_eq!(sniff(b""), Err(ImagingError::Empty));
    }
}
