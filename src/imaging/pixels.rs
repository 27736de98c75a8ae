//! Pixels between the decoder and the encoder: RGB, or the Y, Cb and Cr planes of a 4:2:0 JPEG.
//!
//! Nearly every phone photo is a 4:2:0 JPEG, and the upload is one too. Keeping such a photo in
//! its planes skips the colour conversion and chroma up- and down-sampling on both ends, and
//! resizes and turns half as many bytes as RGB would (see `Pixels::Ycbcr420`'s commit for the
//! measurement).

use fast_image_resize::{self as fr, images::Image as FrImage};
use image::metadata::Orientation;
use image::{GrayImage, RgbImage};

use super::ImagingError;

/// An image's pixels in the layout the decoder produced them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pixels {
    /// Interleaved 8-bit RGB.
    Rgb(RgbImage),
    /// Full-range (JFIF) luma and half-size chroma planes.
    Ycbcr420(Ycbcr420),
}

/// Full-range (JFIF) Y, Cb and Cr planes, the chroma at half the width and height. Width and
/// height are even, so that every 2x2 block of luma has exactly one chroma sample, as
/// libjpeg-turbo reads them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ycbcr420 {
    luma: GrayImage,
    blue: GrayImage,
    red: GrayImage,
}

impl Ycbcr420 {
    /// The planes, when their sizes fit together (even luma, chroma exactly half of it).
    pub fn from_planes(luma: GrayImage, blue: GrayImage, red: GrayImage) -> Option<Ycbcr420> {
        let (width, height) = luma.dimensions();
        let half = (width / 2, height / 2);
        let fits = width % 2 == 0
            && height % 2 == 0
            && width > 0
            && height > 0
            && blue.dimensions() == half
            && red.dimensions() == half;
        fits.then_some(Ycbcr420 { luma, blue, red })
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.luma.width()
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.luma.height()
    }

    /// The luma plane.
    pub fn luma(&self) -> &GrayImage {
        &self.luma
    }

    /// The Cb plane.
    pub fn blue(&self) -> &GrayImage {
        &self.blue
    }

    /// The Cr plane.
    pub fn red(&self) -> &GrayImage {
        &self.red
    }

    fn resized(&self, width: u32, height: u32) -> Result<Ycbcr420, ImagingError> {
        self.transformed(width, height, Orientation::NoTransforms)
    }

    /// Resized to `width` x `height` (rounded down to even numbers), then turned by
    /// `orientation`, each plane in one pass through `transform_plane`.
    fn transformed(
        &self,
        width: u32,
        height: u32,
        orientation: Orientation,
    ) -> Result<Ycbcr420, ImagingError> {
        let (width, height) = (even(width), even(height));
        PlaneScratch::with(|scratch| {
            let mut plane = |plane: &GrayImage, width: u32, height: u32| {
                transform_plane(plane, (width, height), orientation, scratch)
            };
            let planes = Ycbcr420 {
                luma: plane(&self.luma, width, height)?,
                blue: plane(&self.blue, width / 2, height / 2)?,
                red: plane(&self.red, width / 2, height / 2)?,
            };
            scratch.wipe();
            Ok(planes)
        })
    }

    fn oriented(self, orientation: Orientation) -> Result<Ycbcr420, ImagingError> {
        if orientation == Orientation::NoTransforms {
            return Ok(self);
        }
        self.transformed(self.width(), self.height(), orientation)
    }

    /// RGB by the JFIF equations, each chroma sample covering its 2x2 block.
    pub fn to_rgb(&self) -> RgbImage {
        let (width, height) = self.luma.dimensions();
        RgbImage::from_fn(width, height, |x, y| {
            let luma = i32::from(self.luma.get_pixel(x, y).0[0]);
            let blue = i32::from(self.blue.get_pixel(x / 2, y / 2).0[0]) - 128;
            let red = i32::from(self.red.get_pixel(x / 2, y / 2).0[0]) - 128;
            // Fixed point, 16 fractional bits: 1.402, 0.344136, 0.714136, 1.772.
            let channel = |value: i32| ((value + (1 << 15)) >> 16).clamp(0, 255) as u8;
            let luma = luma << 16;
            image::Rgb([
                channel(luma + 91_881 * red),
                channel(luma - 22_554 * blue - 46_802 * red),
                channel(luma + 116_130 * blue),
            ])
        })
    }
}

/// The nearest even number at most `value`, and at least 2.
fn even(value: u32) -> u32 {
    (value & !1).max(2)
}

impl Pixels {
    /// Width in pixels.
    pub fn width(&self) -> u32 {
        match self {
            Pixels::Rgb(image) => image.width(),
            Pixels::Ycbcr420(planes) => planes.width(),
        }
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        match self {
            Pixels::Rgb(image) => image.height(),
            Pixels::Ycbcr420(planes) => planes.height(),
        }
    }

    /// The longer of width and height.
    pub fn long_edge(&self) -> u32 {
        self.width().max(self.height())
    }

    /// Resized to `width` x `height` (planes round both down to even numbers).
    pub fn resized(&self, width: u32, height: u32) -> Result<Pixels, ImagingError> {
        match self {
            Pixels::Rgb(image) => resize(image, width, height).map(Pixels::Rgb),
            Pixels::Ycbcr420(planes) => planes.resized(width, height).map(Pixels::Ycbcr420),
        }
    }

    /// Scaled so that the long edge is `long_edge`, keeping the aspect ratio.
    pub fn scaled_to_long_edge(&self, long_edge: u32) -> Result<Pixels, ImagingError> {
        let (width, height) = scaled_size(self.width(), self.height(), long_edge);
        self.resized(width, height)
    }

    /// Scaled down so that the long edge is at most `max_long_edge`; unchanged when it already is.
    pub fn fit_long_edge(self, max_long_edge: u32) -> Result<Pixels, ImagingError> {
        if self.long_edge() <= max_long_edge {
            return Ok(self);
        }
        self.scaled_to_long_edge(max_long_edge)
    }

    /// Turned upright.
    pub fn oriented(self, orientation: Orientation) -> Result<Pixels, ImagingError> {
        Ok(match self {
            Pixels::Rgb(image) => Pixels::Rgb(apply_orientation(image, orientation)),
            Pixels::Ycbcr420(planes) => Pixels::Ycbcr420(planes.oriented(orientation)?),
        })
    }

    /// Scaled down so that the long edge is at most `max_long_edge` and turned upright: for
    /// planes both in one pass over each plane.
    pub fn upright_within(
        self,
        max_long_edge: u32,
        orientation: Orientation,
    ) -> Result<Pixels, ImagingError> {
        match self {
            Pixels::Ycbcr420(planes) if planes.width().max(planes.height()) > max_long_edge => {
                let (width, height) = scaled_size(planes.width(), planes.height(), max_long_edge);
                planes
                    .transformed(width, height, orientation)
                    .map(Pixels::Ycbcr420)
            }
            pixels => pixels.fit_long_edge(max_long_edge)?.oriented(orientation),
        }
    }

    /// Overwrites every pixel with zeros (see `imaging::wipe`).
    pub fn wipe(&mut self) {
        match self {
            Pixels::Rgb(image) => super::wipe_slice(image),
            Pixels::Ycbcr420(planes) => {
                super::wipe_slice(&mut planes.luma);
                super::wipe_slice(&mut planes.blue);
                super::wipe_slice(&mut planes.red);
            }
        }
    }

    /// As RGB (for display and comparison; the upload is encoded from the pixels as they are).
    pub fn to_rgb(&self) -> RgbImage {
        match self {
            Pixels::Rgb(image) => image.clone(),
            Pixels::Ycbcr420(planes) => planes.to_rgb(),
        }
    }
}

/// `width` x `height` scaled so that the long edge is `long_edge`, each at least 1.
fn scaled_size(width: u32, height: u32, long_edge: u32) -> (u32, u32) {
    let scale = f64::from(long_edge) / f64::from(width.max(height).max(1));
    let scaled = |edge: u32| ((f64::from(edge) * scale).round() as u32).max(1);
    (scaled(width), scaled(height))
}

/// Scales so the long edge is at most `max_long_edge`, keeping the aspect ratio (Catmull-Rom,
/// SIMD: measured 46.8 dB PSNR against Lanczos3 on 9 MP photos, i.e. the same image, and 20%
/// faster).
pub fn fit_long_edge(pixels: RgbImage, max_long_edge: u32) -> Result<RgbImage, ImagingError> {
    let (width, height) = pixels.dimensions();
    if width.max(height) <= max_long_edge {
        return Ok(pixels);
    }
    let (target_width, target_height) = scaled_size(width, height, max_long_edge);
    resize(&pixels, target_width, target_height)
}

/// Resizes RGB pixels to exactly `width` x `height`.
pub fn resize(pixels: &RgbImage, width: u32, height: u32) -> Result<RgbImage, ImagingError> {
    let resized = resize_buffer(
        pixels.as_raw(),
        pixels.dimensions(),
        (width, height),
        fr::PixelType::U8x3,
        &mut fr::Resizer::new(),
    )?;
    RgbImage::from_raw(width, height, resized).ok_or_else(|| resize_error(&"buffer size"))
}

/// Resizes a luma plane to exactly `width` x `height` (the MRZ reader's working scale).
pub fn resize_luma(pixels: &GrayImage, width: u32, height: u32) -> Result<GrayImage, ImagingError> {
    let resized = resize_buffer(
        pixels.as_raw(),
        pixels.dimensions(),
        (width, height),
        fr::PixelType::U8,
        &mut fr::Resizer::new(),
    )?;
    GrayImage::from_raw(width, height, resized).ok_or_else(|| resize_error(&"buffer size"))
}

fn resize_error(error: &dyn std::fmt::Display) -> ImagingError {
    ImagingError::Encode(format!("resize failed: {error}"))
}

fn resize_buffer(
    source: &[u8],
    source_size: (u32, u32),
    (width, height): (u32, u32),
    pixel_type: fr::PixelType,
    resizer: &mut fr::Resizer,
) -> Result<Vec<u8>, ImagingError> {
    let mut target = FrImage::new(width, height, pixel_type);
    resize_into(
        source,
        source_size,
        target.buffer_mut(),
        (width, height),
        pixel_type,
        resizer,
    )?;
    Ok(target.into_vec())
}

/// Resizes into `target`, which holds exactly `width` x `height` pixels.
fn resize_into(
    source: &[u8],
    (source_width, source_height): (u32, u32),
    target: &mut [u8],
    (width, height): (u32, u32),
    pixel_type: fr::PixelType,
    resizer: &mut fr::Resizer,
) -> Result<(), ImagingError> {
    let source = fr::images::ImageRef::new(source_width, source_height, source, pixel_type)
        .map_err(|e| resize_error(&e))?;
    let mut target =
        FrImage::from_slice_u8(width, height, target, pixel_type).map_err(|e| resize_error(&e))?;
    // No channel is alpha: packed planes use all four bytes for pixels.
    let options = fr::ResizeOptions::new()
        .resize_alg(fr::ResizeAlg::Convolution(fr::FilterType::CatmullRom))
        .use_alpha(false);
    resizer
        .resize(&source, &mut target, &options)
        .map_err(|e| resize_error(&e))
}

/// Turns stored RGB pixels upright.
pub fn apply_orientation(pixels: RgbImage, orientation: Orientation) -> RgbImage {
    if orientation == Orientation::NoTransforms {
        return pixels;
    }
    let (width, height) = pixels.dimensions();
    let (turned, out_width, out_height) = remap::<3>(pixels.as_raw(), width, height, orientation);
    // `remap` returns exactly out_width * out_height pixels, so this cannot fail.
    RgbImage::from_raw(out_width, out_height, turned).unwrap_or(pixels)
}

/// Resizes a plane to `width` x `height` (as stored) and turns it by `orientation`.
///
/// fast_image_resize's horizontal pass over one-byte pixels runs its taps one by one when a
/// filter has fewer than eight (Catmull-Rom at our scales has five), while its four-byte pass
/// does them in SIMD. So after the vertical pass (fast for any pixel size) every four rows are
/// packed into one row of four-byte pixels (byte i of pixel x is row 4q+i's pixel x), resized
/// across as one image with four channels, and unpacked. Every orientation is a vertical flip,
/// a horizontal flip and a transpose, some left out: the flip of rows happens while packing,
/// the rest while unpacking, where a transpose is cheap because a packed pixel is four
/// consecutive pixels of a turned row. (Measured in the commit that added it.)
fn transform_plane(
    plane: &GrayImage,
    (width, height): (u32, u32),
    orientation: Orientation,
    scratch: &mut PlaneScratch,
) -> Result<GrayImage, ImagingError> {
    let (flip_rows, flip_columns, transpose) = orientation_steps(orientation);
    let source_width = plane.width();
    let rows: &[u8] = if plane.height() == height {
        plane.as_raw()
    } else {
        let rows = PlaneScratch::take(&mut scratch.rows, source_width as usize * height as usize);
        resize_into(
            plane.as_raw(),
            plane.dimensions(),
            rows,
            (source_width, height),
            fr::PixelType::U8,
            &mut scratch.resizer,
        )?;
        rows
    };
    let quads = (height as usize).div_ceil(4);
    let packed = PlaneScratch::take(&mut scratch.packed, quads * source_width as usize * 4);
    pack_rows(
        rows,
        packed,
        source_width as usize,
        height as usize,
        flip_rows,
    );
    let packed: &[u8] = if source_width == width {
        packed
    } else {
        let across = PlaneScratch::take(&mut scratch.across, quads * width as usize * 4);
        resize_into(
            packed,
            (source_width, quads as u32),
            across,
            (width, quads as u32),
            fr::PixelType::U8x4,
            &mut scratch.resizer,
        )?;
        across
    };
    let (width, height) = (width as usize, height as usize);
    let (out_width, out_height, turned) = if transpose {
        (
            height,
            width,
            unpack_transposed(packed, width, height, flip_columns),
        )
    } else {
        (
            width,
            height,
            unpack_rows(packed, width, height, flip_columns),
        )
    };
    GrayImage::from_raw(out_width as u32, out_height as u32, turned)
        .ok_or_else(|| resize_error(&"plane size"))
}

/// The intermediate buffers of `transform_plane`, kept per thread from photo to photo: in a
/// profile of `prepare` the kernel zeroing fresh pages (clear_page_erms) took 18-33% of the
/// time, more than the resizing. They are wiped after each image and keep only zeros.
#[derive(Default)]
struct PlaneScratch {
    resizer: fr::Resizer,
    rows: Vec<u8>,
    packed: Vec<u8>,
    across: Vec<u8>,
}

thread_local! {
    static PLANE_SCRATCH: std::cell::RefCell<PlaneScratch> =
        std::cell::RefCell::new(PlaneScratch::default());
}

impl PlaneScratch {
    /// Runs `work` with this thread's buffers (fresh ones if they are somehow in use).
    fn with<T>(work: impl FnOnce(&mut PlaneScratch) -> T) -> T {
        PLANE_SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
            Ok(mut scratch) => work(&mut scratch),
            Err(_) => work(&mut PlaneScratch::default()),
        })
    }

    /// The first `length` bytes of `buffer`, grown when needed. Old content may remain: every
    /// caller overwrites what it reads.
    fn take(buffer: &mut Vec<u8>, length: usize) -> &mut [u8] {
        if buffer.len() < length {
            buffer.resize(length, 0);
        }
        &mut buffer[..length]
    }

    /// Zeroes what the last image left in the buffers, keeping the memory.
    fn wipe(&mut self) {
        for buffer in [&mut self.rows, &mut self.packed, &mut self.across] {
            super::wipe_bytes(buffer);
        }
    }
}

/// An orientation as (flip rows, flip columns, transpose), applied in that order.
fn orientation_steps(orientation: Orientation) -> (bool, bool, bool) {
    match orientation {
        Orientation::NoTransforms => (false, false, false),
        Orientation::FlipHorizontal => (false, true, false),
        Orientation::FlipVertical => (true, false, false),
        Orientation::Rotate180 => (true, true, false),
        Orientation::Rotate90 => (true, false, true),
        Orientation::Rotate270 => (false, true, true),
        Orientation::Rotate90FlipH => (false, false, true),
        Orientation::Rotate270FlipH => (true, true, true),
    }
}

/// Packs every four rows of a `width`-wide plane into one row of four-byte pixels; the rows
/// are taken bottom up when `flip_rows`. A last incomplete group is padded with zeros.
/// `packed` holds exactly the groups.
fn pack_rows(rows: &[u8], packed: &mut [u8], width: usize, height: usize, flip_rows: bool) {
    let row = |index: usize| -> &[u8] {
        let stored = if flip_rows { height - 1 - index } else { index };
        &rows[stored * width..][..width]
    };
    for (quad, target) in packed.chunks_exact_mut(width * 4).enumerate() {
        let first = quad * 4;
        let (pixels, _) = target.as_chunks_mut::<4>();
        if first + 4 <= height {
            // Written as one 32-bit value per pixel, which the compiler turns into SIMD.
            let columns = row(first)
                .iter()
                .zip(row(first + 1))
                .zip(row(first + 2))
                .zip(row(first + 3));
            for (pixel, (((a, b), c), d)) in pixels.iter_mut().zip(columns) {
                let value =
                    u32::from(*a) | u32::from(*b) << 8 | u32::from(*c) << 16 | u32::from(*d) << 24;
                *pixel = value.to_le_bytes();
            }
        } else {
            for (column, pixel) in pixels.iter_mut().enumerate() {
                for (lane, value) in pixel.iter_mut().enumerate() {
                    let index = first + lane;
                    *value = if index < height {
                        row(index)[column]
                    } else {
                        0
                    };
                }
            }
        }
    }
}

/// Unpacks `pack_rows`' layout (`width` pixels a row, for `height` rows) into a plane,
/// mirrored left to right when `flip_columns`.
fn unpack_rows(packed: &[u8], width: usize, height: usize, flip_columns: bool) -> Vec<u8> {
    let mut plane = vec![0u8; width * height];
    for (quad, (source, target)) in packed
        .chunks_exact(width * 4)
        .zip(plane.chunks_mut(width * 4))
        .enumerate()
    {
        let (pixels, _) = source.as_chunks::<4>();
        if quad * 4 + 4 <= height {
            let (first, rest) = target.split_at_mut(width);
            let (second, rest) = rest.split_at_mut(width);
            let (third, fourth) = rest.split_at_mut(width);
            let unpack = |(pixel, (((a, b), c), d)): (&[u8; 4], _)| {
                let (a, b, c, d): (&mut u8, &mut u8, &mut u8, &mut u8) = (a, b, c, d);
                let value = u32::from_le_bytes(*pixel);
                *a = value as u8;
                *b = (value >> 8) as u8;
                *c = (value >> 16) as u8;
                *d = (value >> 24) as u8;
            };
            let rows = first
                .iter_mut()
                .zip(second.iter_mut())
                .zip(third.iter_mut())
                .zip(fourth.iter_mut());
            if flip_columns {
                pixels.iter().rev().zip(rows).for_each(unpack);
            } else {
                pixels.iter().zip(rows).for_each(unpack);
            }
        } else {
            for (lane, row) in target.chunks_exact_mut(width).enumerate() {
                let values = pixels.iter().map(|pixel| pixel[lane]);
                if flip_columns {
                    row.iter_mut().rev().zip(values).for_each(|(t, v)| *t = v);
                } else {
                    row.iter_mut().zip(values).for_each(|(t, v)| *t = v);
                }
            }
        }
    }
    plane
}

/// Unpacks `pack_rows`' layout transposed: the result is `height` wide and `width` tall, and
/// its row y is column y of the packed rows (column `width - 1 - y` when `flip_columns`).
/// Done in tiles of 16 result rows by 64 packed rows, so that the packed rows' cache lines are
/// read while they are in the L1 cache (a whole result row at a time touched a page per pixel).
fn unpack_transposed(packed: &[u8], width: usize, height: usize, flip_columns: bool) -> Vec<u8> {
    const BAND: usize = 16;
    const QUADS: usize = 64;
    let (pixels, _) = packed.as_chunks::<4>();
    let whole_quads = height / 4;
    let mut plane = vec![0u8; width * height];
    for (band, target_rows) in plane.chunks_mut(height * BAND).enumerate() {
        let first_row = band * BAND;
        for first_quad in (0..whole_quads).step_by(QUADS) {
            let last_quad = (first_quad + QUADS).min(whole_quads);
            for (row_in_band, target) in target_rows.chunks_exact_mut(height).enumerate() {
                let y = first_row + row_in_band;
                let column = if flip_columns { width - 1 - y } else { y };
                let (whole, _) = target.as_chunks_mut::<4>();
                for (quad, target) in whole[first_quad..last_quad].iter_mut().enumerate() {
                    *target = pixels[(first_quad + quad) * width + column];
                }
            }
        }
        // The last group's padded rows are dropped.
        if !height.is_multiple_of(4) {
            for (row_in_band, target) in target_rows.chunks_exact_mut(height).enumerate() {
                let y = first_row + row_in_band;
                let column = if flip_columns { width - 1 - y } else { y };
                let last = pixels[whole_quads * width + column];
                let rest = &mut target[whole_quads * 4..];
                rest.copy_from_slice(&last[..rest.len()]);
            }
        }
    }
    plane
}

/// Builds the oriented image of `C`-byte pixels. The source pixel of output pixel (x, y) is at
/// index `start + x * step_x + y * step_y`, so each output row is a walk with one stride: no
/// per-pixel coordinate arithmetic. Quarter turns read the source down its columns, so bands of
/// output rows go to rayon's threads and within a band cache-sized tiles are done one by one.
fn remap<const C: usize>(
    source: &[u8],
    width: u32,
    height: u32,
    orientation: Orientation,
) -> (Vec<u8>, u32, u32) {
    use rayon::prelude::*;
    const TILE: usize = 32;
    let (w, h) = (width as isize, height as isize);
    // (first source index, step along an output row, step down an output column, turned?)
    let (start, step_x, step_y, turned) = match orientation {
        Orientation::NoTransforms => (0, 1, w, false),
        Orientation::FlipHorizontal => (w - 1, -1, w, false),
        Orientation::FlipVertical => (w * (h - 1), 1, -w, false),
        Orientation::Rotate180 => (w * h - 1, -1, -w, false),
        Orientation::Rotate90 => (w * (h - 1), -w, 1, true),
        Orientation::Rotate270 => (w - 1, w, -1, true),
        Orientation::Rotate90FlipH => (0, w, 1, true),
        Orientation::Rotate270FlipH => (w * h - 1, -w, -1, true),
    };
    let (out_width, out_height) = if turned {
        (height, width)
    } else {
        (width, height)
    };
    let row_bytes = out_width as usize * C;
    let mut target = vec![0u8; source.len()];
    if row_bytes == 0 {
        return (target, out_width, out_height);
    }
    target
        .par_chunks_mut(row_bytes * TILE)
        .enumerate()
        .for_each(|(band, rows)| {
            let first_row = (band * TILE) as isize;
            let band_rows = rows.len() / row_bytes;
            for tile_x in (0..out_width as usize).step_by(TILE) {
                let tile_end = (tile_x + TILE).min(out_width as usize);
                for row in 0..band_rows {
                    let y = first_row + row as isize;
                    let mut index = start + tile_x as isize * step_x + y * step_y;
                    let line = &mut rows[row * row_bytes..][tile_x * C..tile_end * C];
                    for pixel in line.chunks_exact_mut(C) {
                        // Every index is inside the source: x < out_width, y < out_height.
                        let from = index as usize * C;
                        pixel.copy_from_slice(&source[from..from + C]);
                        index += step_x;
                    }
                }
            }
        });
    (target, out_width, out_height)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{DynamicImage, Luma};

    #[test]
    fn orientation_matches_the_image_crate_for_rgb_and_planes() {
        let rgb = RgbImage::from_fn(131, 70, |x, y| {
            image::Rgb([x as u8, y as u8, (x * y) as u8])
        });
        let gray = GrayImage::from_fn(67, 34, |x, y| Luma([(x * 3 + y * 7) as u8]));
        for exif in 1..=8 {
            let orientation = Orientation::from_exif(exif).unwrap();
            let mut expected = DynamicImage::ImageRgb8(rgb.clone());
            expected.apply_orientation(orientation);
            assert_eq!(
                apply_orientation(rgb.clone(), orientation),
                expected.into_rgb8(),
                "RGB, EXIF {exif}"
            );
            let mut expected = DynamicImage::ImageLuma8(gray.clone());
            expected.apply_orientation(orientation);
            assert_eq!(
                transform_plane(&gray, (67, 34), orientation, &mut PlaneScratch::default())
                    .unwrap(),
                expected.into_luma8(),
                "plane, EXIF {exif}"
            );
        }
    }

    /// The packed resize must give the pixels a plain one-channel resize gives, turned.
    #[test]
    fn packed_plane_resize_matches_a_plain_resize_in_every_orientation() {
        // Odd sizes and a height that is no multiple of four, to reach the padding.
        let plane =
            GrayImage::from_fn(203, 143, |x, y| Luma([((x * 37 + y * 11) ^ (x * y)) as u8]));
        for (width, height) in [(150, 101), (203, 90), (120, 143), (203, 143)] {
            let plain = GrayImage::from_raw(
                width,
                height,
                resize_buffer(
                    plane.as_raw(),
                    plane.dimensions(),
                    (width, height),
                    fr::PixelType::U8,
                    &mut fr::Resizer::new(),
                )
                .unwrap(),
            )
            .unwrap();
            for exif in 1..=8 {
                let orientation = Orientation::from_exif(exif).unwrap();
                let mut expected = DynamicImage::ImageLuma8(plain.clone());
                expected.apply_orientation(orientation);
                let expected = expected.into_luma8();
                let packed = transform_plane(
                    &plane,
                    (width, height),
                    orientation,
                    &mut PlaneScratch::default(),
                )
                .unwrap();
                assert_eq!(packed.dimensions(), expected.dimensions(), "EXIF {exif}");
                // Mirroring before or after the horizontal pass may round a pixel differently.
                let worst = packed
                    .as_raw()
                    .iter()
                    .zip(expected.as_raw())
                    .map(|(a, b)| a.abs_diff(*b))
                    .max();
                assert!(
                    worst <= Some(1),
                    "{width}x{height}, EXIF {exif}: off by {worst:?}"
                );
            }
        }
    }

    #[test]
    fn planes_must_fit_together() {
        let plane = |w, h| GrayImage::new(w, h);
        assert!(Ycbcr420::from_planes(plane(8, 6), plane(4, 3), plane(4, 3)).is_some());
        assert!(Ycbcr420::from_planes(plane(7, 6), plane(3, 3), plane(3, 3)).is_none());
        assert!(Ycbcr420::from_planes(plane(8, 6), plane(4, 3), plane(3, 3)).is_none());
    }

    #[test]
    fn planes_stay_even_and_aligned_when_resized_and_turned() {
        let planes = Ycbcr420::from_planes(
            GrayImage::from_pixel(40, 20, Luma([100])),
            GrayImage::from_pixel(20, 10, Luma([90])),
            GrayImage::from_pixel(20, 10, Luma([200])),
        )
        .unwrap();
        let pixels = Pixels::Ycbcr420(planes)
            .upright_within(25, Orientation::Rotate90)
            .unwrap();
        let Pixels::Ycbcr420(planes) = &pixels else {
            panic!("planes became RGB");
        };
        assert_eq!(planes.luma().dimensions(), (12, 24));
        assert_eq!(planes.blue().dimensions(), (6, 12));
        assert_eq!(planes.red().dimensions(), (6, 12));
        // Y 100, Cb 90, Cr 200 is a saturated red: R = 100 + 1.402 * 72.
        let rgb = pixels.to_rgb();
        assert_eq!(rgb.get_pixel(5, 5).0, [201, 62, 33]);
    }
}
