//! Rectifying a document: the perspective transform from its four corners to an upright
//! rectangle, sampled bilinearly. Written out rather than taken from `imageproc::warp` because
//! the crop of every uploaded 9 MP photo is on the customer's wait: the mapping is stepped
//! along each row (one division per pixel) and rows run in parallel.

use image::{GrayImage, RgbImage};
use rayon::prelude::*;

use super::Corner;

/// The projective map from the unit square to a quadrilateral (Heckbert's square-to-quad):
/// (0,0), (1,0), (1,1), (0,1) go to the corners in order.
#[derive(Clone, Copy, Debug)]
struct SquareToQuad {
    a: f32,
    b: f32,
    c: f32,
    d: f32,
    e: f32,
    f: f32,
    g: f32,
    h: f32,
}

impl SquareToQuad {
    fn new(q: &[Corner; 4]) -> SquareToQuad {
        let [[x0, y0], [x1, y1], [x2, y2], [x3, y3]] = *q;
        let (dx3, dy3) = (x0 - x1 + x2 - x3, y0 - y1 + y2 - y3);
        if dx3.abs() < 1e-6 && dy3.abs() < 1e-6 {
            return SquareToQuad {
                a: x1 - x0,
                b: x3 - x0,
                c: x0,
                d: y1 - y0,
                e: y3 - y0,
                f: y0,
                g: 0.0,
                h: 0.0,
            };
        }
        let (dx1, dy1, dx2, dy2) = (x1 - x2, y1 - y2, x3 - x2, y3 - y2);
        let den = dx1 * dy2 - dx2 * dy1;
        let den = if den.abs() < 1e-9 { 1e-9 } else { den };
        let g = (dx3 * dy2 - dx2 * dy3) / den;
        let h = (dx1 * dy3 - dx3 * dy1) / den;
        SquareToQuad {
            a: x1 - x0 + g * x1,
            b: x3 - x0 + h * x3,
            c: x0,
            d: y1 - y0 + g * y1,
            e: y3 - y0 + h * y3,
            f: y0,
            g,
            h,
        }
    }
}

fn distance(a: Corner, b: Corner) -> f32 {
    (a[0] - b[0]).hypot(a[1] - b[1])
}

/// The rectified size of the document at the source's resolution, with `margin` (a share of
/// each side) around it: its longer top/bottom side across, its longer left/right side down.
pub fn crop_size(corners: &[Corner; 4], margin: f32) -> (u32, u32) {
    let across = distance(corners[0], corners[1]).max(distance(corners[3], corners[2]));
    let down = distance(corners[0], corners[3]).max(distance(corners[1], corners[2]));
    let grow = 1.0 + 2.0 * margin;
    (
        (across * grow).round().max(1.0) as u32,
        (down * grow).round().max(1.0) as u32,
    )
}

/// Where each output pixel of a rectification comes from.
struct SourceMap {
    /// The square-to-quad map's coefficients in f64: the 16 fractional bits of a position
    /// thousands of pixels out need more than f32's 24.
    coefficients: [f64; 8],
    margin: f64,
    /// One output pixel's step in the unit square, across and down.
    du: f64,
    dv: f64,
}

impl SourceMap {
    fn new(corners: &[Corner; 4], margin: f32, width: u32, height: u32) -> SourceMap {
        let m = SquareToQuad::new(corners);
        let margin = f64::from(margin);
        let span = 1.0 + 2.0 * margin;
        SourceMap {
            coefficients: [m.a, m.b, m.c, m.d, m.e, m.f, m.g, m.h].map(f64::from),
            margin,
            du: span / f64::from(width),
            dv: span / f64::from(height),
        }
    }

    /// The exact source position of output pixel (`i`, `row`) in fixed point (unclamped).
    fn exact(&self, i: usize, row: usize) -> Position {
        let [a, b, c, d, e, f, g, h] = self.coefficients;
        let u = -self.margin + (i as f64 + 0.5) * self.du;
        let v = -self.margin + (row as f64 + 0.5) * self.dv;
        let w = g * u + h * v + 1.0;
        let one = f64::from(1u32 << POSITION_BITS);
        // A degenerate map (w near 0) sends points to infinity: the bound keeps the steps
        // below from overflowing, and the sampler clamps to the image anyway.
        let bound = f64::from(1u32 << 30) * one;
        let fixed = |p: f64| (p * one).clamp(-bound, bound) as i64;
        (
            fixed((a * u + b * v + c) / w),
            fixed((d * u + e * v + f) / w),
        )
    }

    /// Visits a row's `width` pixels in runs of up to `SEGMENT`: `visit(first, count, start,
    /// step)`, the run's first pixel at the exact position `start` and each next one `step`
    /// further, so that its last lands just short of the next run's exact start.
    fn walk(
        &self,
        row: usize,
        width: usize,
        mut visit: impl FnMut(usize, usize, Position, Position),
    ) {
        let mut first = 0;
        // A run's end is the next run's start: one exact position per run.
        let mut start = self.exact(0, row);
        while first < width {
            let count = SEGMENT.min(width - first);
            let end = self.exact(first + count, row);
            // Dividing by the constant (every run but a row's last) compiles to shifts, where a
            // 64-bit division by a variable costs tens of cycles a run.
            let step = |d: i64| {
                if count == SEGMENT {
                    d / SEGMENT as i64
                } else {
                    d / count as i64
                }
            };
            visit(
                first,
                count,
                start,
                (step(end.0 - start.0), step(end.1 - start.1)),
            );
            first += count;
            start = end;
        }
    }
}

/// A source position (x, y) in fixed point (`POSITION_BITS`).
type Position = (i64, i64);

/// Output pixels per stretch of a row whose source positions are stepped linearly between
/// exact ones. The perspective map bends so little over 16 pixels that the linear step is off
/// by under 1/32 of a pixel even for a card photographed at a steep angle (test below), far
/// less than bilinear sampling itself smooths, and a row then costs one division per 16
/// pixels and integer additions. With the unclamped runs (`sample_run`), the crop of a 9 MP
/// photo went from 75 to 53 ms on one core (README, "Capture quality").
const SEGMENT: usize = 16;

/// Fractional bits of a source position (`x * 2^16`).
const POSITION_BITS: u32 = 16;

/// Fills `out` (`width` x `height` pixels of `C` channels) from `source` (`source_w` x
/// `source_h`), each output pixel sampled bilinearly where the map puts it (clamped to the
/// source: beyond it, its edge repeats). Rows run in parallel.
fn rectify_into<const C: usize>(
    out: &mut [u8],
    (width, height): (u32, u32),
    source: &[u8],
    (source_w, source_h): (u32, u32),
    corners: &[Corner; 4],
    margin: f32,
) {
    let map = SourceMap::new(corners, margin, width, height);
    out.par_chunks_mut(width as usize * C)
        .enumerate()
        .for_each(|(row, line)| {
            map.walk(row, width as usize, |first, count, start, step| {
                let run = &mut line[first * C..][..count * C];
                sample_run::<C>(source, source_w, source_h, start, step, run);
            });
        });
}

/// Sub-pixel steps of the bilinear weights: 8 bits, so that a tap's weight times a channel fits
/// in 16 bits and the two passes in 32.
const FRACTION_BITS: u32 = 8;
const ONE: u32 = 1 << FRACTION_BITS;

/// Samples a run of output pixels, the first at `start`, each next `step` further. A run
/// wholly inside the source (both ends, so every pixel between) reads the four neighbours
/// without clamping; the others, at the source's edge, clamp pixel by pixel.
fn sample_run<const C: usize>(
    source: &[u8],
    width: u32,
    height: u32,
    start: Position,
    step: Position,
    out: &mut [u8],
) {
    let count = (out.len() / C) as i64;
    let end = (
        start.0 + step.0 * (count - 1),
        start.1 + step.1 * (count - 1),
    );
    // Strictly inside the last column and row: the right and lower neighbours exist.
    let (last_x, last_y) = (
        (i64::from(width) - 1) << POSITION_BITS,
        (i64::from(height) - 1) << POSITION_BITS,
    );
    let inside = |(x, y): Position| x >= 0 && y >= 0 && x < last_x && y < last_y;
    let (mut x, mut y) = start;
    if !(inside(start) && inside(end)) {
        for pixel in out.chunks_exact_mut(C) {
            sample_bilinear::<C>(source, width, height, x, y, pixel);
            x += step.0;
            y += step.1;
        }
        return;
    }
    let stride = width as usize * C;
    let shift = POSITION_BITS - FRACTION_BITS;
    for pixel in out.chunks_exact_mut(C) {
        let (fixed_x, fixed_y) = ((x >> shift) as usize, (y >> shift) as usize);
        let top = ((fixed_y >> FRACTION_BITS) * width as usize + (fixed_x >> FRACTION_BITS)) * C;
        let fractions = (fixed_x as u32 & (ONE - 1), fixed_y as u32 & (ONE - 1));
        // In range: the run is inside the source (a shorter buffer leaves the run as it was).
        // One slice over both rows' neighbours: a single bounds check per pixel, the four
        // reads within it then provably in range.
        let Some(square) = source.get(top..top + stride + 2 * C) else {
            return;
        };
        let (upper, lower) = (&square[..2 * C], &square[stride..]);
        mix::<C>(upper, lower, C, fractions, pixel);
        x += step.0;
        y += step.1;
    }
}

/// Samples `source` (`width` x `height` pixels of `C` channels) bilinearly at (`x`, `y`), in
/// fixed point (`POSITION_BITS`), into `pixel`, clamped to the image. Integer weights,
/// measured about twice as fast as the f32 version on the 9 MP crop (README, "Capture
/// quality").
#[inline]
fn sample_bilinear<const C: usize>(
    source: &[u8],
    width: u32,
    height: u32,
    x: i64,
    y: i64,
    pixel: &mut [u8],
) {
    let max_x = i64::from(width - 1) << POSITION_BITS;
    let max_y = i64::from(height - 1) << POSITION_BITS;
    // To 8-bit fractions: whole pixels above them.
    let shift = POSITION_BITS - FRACTION_BITS;
    let fixed_x = (x.clamp(0, max_x) >> shift) as u32;
    let fixed_y = (y.clamp(0, max_y) >> shift) as u32;
    let (x0, y0) = (
        (fixed_x >> FRACTION_BITS) as usize,
        (fixed_y >> FRACTION_BITS) as usize,
    );
    let fractions = (fixed_x & (ONE - 1), fixed_y & (ONE - 1));
    // At the last column or row the neighbour is the pixel itself (its weight is 0 there).
    let right = if x0 + 1 < width as usize { C } else { 0 };
    let below = if y0 + 1 < height as usize {
        width as usize * C
    } else {
        0
    };
    let top = (y0 * width as usize + x0) * C;
    let bottom = top + below;
    // Always in range for a source of `width` x `height` pixels; a shorter buffer leaves the
    // pixel as it was rather than panicking.
    let (Some(upper), Some(lower)) = (
        source.get(top..top + right + C),
        source.get(bottom..bottom + right + C),
    ) else {
        return;
    };
    mix::<C>(upper, lower, right, fractions, pixel);
}

/// The bilinear mix of two rows' pixels (each pixel's right neighbour `right` bytes on) with
/// 8-bit fractions, rounded: `a + (b - a) * f` per axis, which is `a * (1 - f) + b * f` with
/// one multiplication fewer.
#[inline]
fn mix<const C: usize>(
    upper: &[u8],
    lower: &[u8],
    right: usize,
    (fx, fy): (u32, u32),
    pixel: &mut [u8],
) {
    let (fx, fy) = (fx as i32, fy as i32);
    for (channel, value) in pixel.iter_mut().enumerate().take(C) {
        let across = |row: &[u8]| {
            let (a, b) = (i32::from(row[channel]), i32::from(row[right + channel]));
            (a << FRACTION_BITS) + (b - a) * fx
        };
        let (top, bottom) = (across(upper), across(lower));
        let mixed = (top << FRACTION_BITS) + (bottom - top) * fy;
        *value = ((mixed + (1 << (2 * FRACTION_BITS - 1))) >> (2 * FRACTION_BITS)) as u8;
    }
}

/// The document rectified at the source's resolution, with `margin` around it (its edges stay
/// visible for fraud checks). Positions beyond the frame repeat its edge.
pub fn crop_document(rgb: &RgbImage, corners: &[Corner; 4], margin: f32) -> RgbImage {
    let (width, height) = crop_size(corners, margin);
    let mut out = RgbImage::new(width, height);
    let (source_w, source_h) = (rgb.width(), rgb.height());
    if source_w == 0 || source_h == 0 {
        return out;
    }
    rectify_into::<3>(
        &mut out,
        (width, height),
        rgb.as_raw(),
        (source_w, source_h),
        corners,
        margin,
    );
    out
}

/// The document's luma rectified to `width` pixels across (its height from its aspect), with
/// `margin` around it; a negative margin insets it.
pub(super) fn rectify_luma(
    luma: &GrayImage,
    corners: &[Corner; 4],
    width: u32,
    margin: f32,
) -> GrayImage {
    let (natural_w, natural_h) = crop_size(corners, margin);
    let height =
        ((width as f32 * natural_h as f32 / natural_w.max(1) as f32).round() as u32).max(1);
    let mut out = GrayImage::new(width, height);
    let (source_w, source_h) = (luma.width(), luma.height());
    if source_w == 0 || source_h == 0 {
        return out;
    }
    rectify_into::<1>(
        &mut out,
        (width, height),
        luma.as_raw(),
        (source_w, source_h),
        corners,
        margin,
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_known_quad_rectifies_to_the_expected_rectangle() {
        // A 200x100 rectangle, red left half and blue right half, drawn at an affine tilt.
        let corners = [[50.0, 40.0], [250.0, 60.0], [240.0, 160.0], [40.0, 140.0]];
        let map = SquareToQuad::new(&corners);
        let mut frame = RgbImage::from_pixel(320, 220, image::Rgb([0, 255, 0]));
        for v in 0..400 {
            for u in 0..800 {
                let (u, v) = (u as f32 / 800.0, v as f32 / 400.0);
                let w = map.g * u + map.h * v + 1.0;
                let x = (map.a * u + map.b * v + map.c) / w;
                let y = (map.d * u + map.e * v + map.f) / w;
                let colour = if u < 0.5 { [255, 0, 0] } else { [0, 0, 255] };
                frame.put_pixel(x.round() as u32, y.round() as u32, image::Rgb(colour));
            }
        }
        let crop = crop_document(&frame, &corners, 0.0);
        let (width, height) = crop.dimensions();
        assert!(
            (200..=203).contains(&width) && (100..=102).contains(&height),
            "{width}x{height}"
        );
        assert_eq!(crop.get_pixel(width / 4, height / 2).0, [255, 0, 0]);
        assert_eq!(crop.get_pixel(3 * width / 4, height / 2).0, [0, 0, 255]);
        // With a margin the green background shows around it.
        let framed = crop_document(&frame, &corners, 0.1);
        assert_eq!(framed.get_pixel(2, framed.height() / 2).0, [0, 255, 0]);
        assert_eq!(
            framed.get_pixel(framed.width() / 4, framed.height() / 2).0,
            [255, 0, 0]
        );
    }

    #[test]
    fn stepped_positions_stay_within_a_32nd_of_a_pixel_of_the_exact_ones() {
        // A card photographed at a steep angle: one short side 30% shorter than the other,
        // and skewed, in a 9 MP frame's coordinates, with the crop's margin.
        let corners = [
            [400.0, 300.0],
            [3600.0, 700.0],
            [3500.0, 2000.0],
            [500.0, 2300.0],
        ];
        let (width, height) = crop_size(&corners, 0.04);
        let map = SourceMap::new(&corners, 0.04, width, height);
        let tolerance = 1i64 << (POSITION_BITS - 5);
        let mut worst = 0;
        for row in (0..height as usize).step_by(37) {
            map.walk(row, width as usize, |first, count, start, step| {
                for k in 0..count {
                    let (ex, ey) = map.exact(first + k, row);
                    let (x, y) = (start.0 + step.0 * k as i64, start.1 + step.1 * k as i64);
                    worst = worst.max((x - ex).abs()).max((y - ey).abs());
                }
            });
        }
        assert!(worst < tolerance, "off by {worst}/65536 px");
    }

    #[test]
    fn runs_inside_the_source_sample_as_pixel_by_pixel_clamping_does() {
        let rgb = crate::quality::fixture("backgrounds/brick.jpg").to_rgb8();
        let (width, height) = rgb.dimensions();
        // Runs in every direction, some ending on the last column or row, some outside.
        let runs: [(Position, Position); 5] = [
            ((3 << 16, 5 << 16), (70_000, 9_000)),
            ((200 << 16, 7 << 16), (-65_000, 33_000)),
            ((((width - 17) as i64) << 16, 40 << 16), (65_536, 0)),
            ((10 << 16, ((height - 2) as i64) << 16), (40_000, 20_000)),
            ((-(5 << 16), -(3 << 16)), (50_000, 50_000)),
        ];
        for (start, step) in runs {
            let mut run = [0u8; 16 * 3];
            sample_run::<3>(rgb.as_raw(), width, height, start, step, &mut run);
            let mut expected = [0u8; 16 * 3];
            for (k, pixel) in expected.chunks_exact_mut(3).enumerate() {
                let (x, y) = (start.0 + step.0 * k as i64, start.1 + step.1 * k as i64);
                sample_bilinear::<3>(rgb.as_raw(), width, height, x, y, pixel);
            }
            assert_eq!(run, expected, "run from {start:?} by {step:?}");
        }
    }

    #[test]
    fn bilinear_samples_mix_the_four_neighbours_and_stay_inside_the_image() {
        // 2x2 grey: 0 10 / 20 30.
        let source = [0u8, 10, 20, 30];
        let fixed = |v: f32| (v * (1u32 << POSITION_BITS) as f32) as i64;
        let at = |x: f32, y: f32| {
            let mut pixel = [0u8];
            sample_bilinear::<1>(&source, 2, 2, fixed(x), fixed(y), &mut pixel);
            pixel[0]
        };
        assert_eq!(at(0.0, 0.0), 0);
        assert_eq!(at(1.0, 1.0), 30);
        assert_eq!(at(0.5, 0.0), 5);
        assert_eq!(at(0.5, 0.5), 15);
        assert_eq!(at(0.25, 1.0), 23);
        // Beyond the image the edge repeats.
        assert_eq!(at(-3.0, 0.0), 0);
        assert_eq!(at(9.0, 9.0), 30);
        let rgb = [0u8, 100, 200, 50, 150, 250];
        let mut pixel = [0u8; 3];
        sample_bilinear::<3>(&rgb, 2, 1, fixed(0.5), 0, &mut pixel);
        assert_eq!(pixel, [25, 125, 225]);
    }
}
