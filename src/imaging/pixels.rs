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
        let (width, height) = (even(width), even(height));
        Ok(Ycbcr420 {
            luma: resize_plane(&self.luma, width, height)?,
            blue: resize_plane(&self.blue, width / 2, height / 2)?,
            red: resize_plane(&self.red, width / 2, height / 2)?,
        })
    }

    fn oriented(self, orientation: Orientation) -> Ycbcr420 {
        Ycbcr420 {
            luma: orient_plane(self.luma, orientation),
            blue: orient_plane(self.blue, orientation),
            red: orient_plane(self.red, orientation),
        }
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
    pub fn oriented(self, orientation: Orientation) -> Pixels {
        match self {
            Pixels::Rgb(image) => Pixels::Rgb(apply_orientation(image, orientation)),
            Pixels::Ycbcr420(planes) => Pixels::Ycbcr420(planes.oriented(orientation)),
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
    )?;
    RgbImage::from_raw(width, height, resized).ok_or_else(|| resize_error(&"buffer size"))
}

fn resize_plane(plane: &GrayImage, width: u32, height: u32) -> Result<GrayImage, ImagingError> {
    let resized = resize_buffer(
        plane.as_raw(),
        plane.dimensions(),
        (width, height),
        fr::PixelType::U8,
    )?;
    GrayImage::from_raw(width, height, resized).ok_or_else(|| resize_error(&"buffer size"))
}

fn resize_error(error: &dyn std::fmt::Display) -> ImagingError {
    ImagingError::Encode(format!("resize failed: {error}"))
}

fn resize_buffer(
    source: &[u8],
    (source_width, source_height): (u32, u32),
    (width, height): (u32, u32),
    pixel_type: fr::PixelType,
) -> Result<Vec<u8>, ImagingError> {
    let source = fr::images::ImageRef::new(source_width, source_height, source, pixel_type)
        .map_err(|e| resize_error(&e))?;
    let mut target = FrImage::new(width, height, pixel_type);
    let options =
        fr::ResizeOptions::new().resize_alg(fr::ResizeAlg::Convolution(fr::FilterType::CatmullRom));
    fr::Resizer::new()
        .resize(&source, &mut target, &options)
        .map_err(|e| resize_error(&e))?;
    Ok(target.into_vec())
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

fn orient_plane(plane: GrayImage, orientation: Orientation) -> GrayImage {
    if orientation == Orientation::NoTransforms {
        return plane;
    }
    let (width, height) = plane.dimensions();
    let (turned, out_width, out_height) = remap::<1>(plane.as_raw(), width, height, orientation);
    // As above: the size is exact.
    GrayImage::from_raw(out_width, out_height, turned).unwrap_or(plane)
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
                orient_plane(gray.clone(), orientation),
                expected.into_luma8(),
                "plane, EXIF {exif}"
            );
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
            .scaled_to_long_edge(25)
            .unwrap()
            .oriented(Orientation::Rotate90);
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
