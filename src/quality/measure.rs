//! Measurements on a grey image: downscaling, sharpness, exposure, clipped highlights.

use image::{GrayImage, RgbImage};

/// The luma plane (BT.601, as JPEG stores it) of an RGB frame.
pub fn luma_of(rgb: &RgbImage) -> GrayImage {
    // Fixed-size pixels (`as_chunks`) let the compiler vectorise the loop; collected straight
    // into the plane's buffer rather than into a zeroed image (a frame's worth of memset).
    let (pixels, _) = rgb.as_raw().as_chunks::<3>();
    let luma: Vec<u8> = pixels
        .iter()
        .take(rgb.width() as usize * rgb.height() as usize)
        .map(|pixel| {
            let [r, g, b] = pixel.map(u32::from);
            // 0.299, 0.587, 0.114 in 16.16 fixed point; the weights sum to 65536: no overflow.
            ((19_595 * r + 38_470 * g + 7_471 * b + 32_768) >> 16) as u8
        })
        .collect();
    // One value per pixel of an image whose buffer holds them all, so the size matches.
    GrayImage::from_raw(rgb.width(), rgb.height(), luma)
        .unwrap_or_else(|| GrayImage::new(rgb.width(), rgb.height()))
}

/// How colourful each pixel is: its largest channel less its smallest (0 for greys). A plane
/// in which a tinted document stands out from a grey ground of the same brightness.
pub fn colour_of(rgb: &RgbImage) -> GrayImage {
    let mut colour = GrayImage::new(rgb.width(), rgb.height());
    let buffer: &mut [u8] = &mut colour;
    let (pixels, _) = rgb.as_raw().as_chunks::<3>();
    for (out, &[r, g, b]) in buffer.iter_mut().zip(pixels) {
        *out = spread(r, g, b);
    }
    colour
}

/// The largest of three values less the smallest: a pixel's colourfulness from its channels.
#[inline]
fn spread(a: u8, b: u8, c: u8) -> u8 {
    a.max(b).max(c) - a.min(b).min(c)
}

/// Averages `factor`x`factor` blocks: a fast, alias-free reduction for analysis.
pub fn box_reduce(image: &GrayImage, factor: u32) -> GrayImage {
    if factor <= 1 {
        return image.clone();
    }
    let source = image.as_raw();
    let stride = image.width() as usize;
    box_reduce_rows((image.width(), image.height()), factor, |y, columns| {
        for (sum, &value) in columns.iter_mut().zip(&source[y * stride..][..stride]) {
            *sum += u32::from(value);
        }
    })
}

/// `box_reduce(&colour_of(rgb), factor)` in one pass, without the full-size colour plane (a
/// frame's worth of memory written and read again): each row's colours go straight into the
/// column sums. The same integer sums, so the same image.
pub fn colour_reduced(rgb: &RgbImage, factor: u32) -> GrayImage {
    if factor <= 1 {
        return colour_of(rgb);
    }
    let stride = rgb.width() as usize * 3;
    let raw = rgb.as_raw();
    // Per byte of a row, the spread (largest less smallest) of it and the next two: at every
    // third byte, a pixel's colourfulness. Three times the work of one per pixel, but in
    // whole-row vector operations, where picking each pixel's three bytes apart is a shuffle
    // that x86-64's baseline instructions lack (the per-pixel loop took 9 instructions a pixel).
    let mut spreads = vec![0u8; stride.saturating_sub(2)];
    box_reduce_rows((rgb.width(), rgb.height()), factor, |y, columns| {
        let row = &raw[y * stride..][..stride];
        let triples = row.iter().zip(&row[1..]).zip(&row[2..]);
        for (out, ((&a, &b), &c)) in spreads.iter_mut().zip(triples) {
            *out = spread(a, b, c);
        }
        for (sum, &colour) in columns.iter_mut().zip(spreads.iter().step_by(3)) {
            *sum += u32::from(colour);
        }
    })
}

/// The reduction behind `box_reduce` and `colour_reduced`: of an image `source_w` x `source_h`
/// pixels whose row `y` `add_row(y, columns)` adds into per-column sums.
fn box_reduce_rows(
    (source_w, source_h): (u32, u32),
    factor: u32,
    mut add_row: impl FnMut(usize, &mut [u32]),
) -> GrayImage {
    let (width, height) = (source_w / factor, source_h / factor);
    let mut out = GrayImage::new(width.max(1), height.max(1));
    let factor = factor as usize;
    let area = (factor * factor) as u32;
    // Column sums of a band of `factor` rows (whole rows at a time, which the compiler turns
    // into vector additions), then the sums of `factor` columns: the same integer sums as
    // adding each block's pixels, in a third of the time.
    let mut columns = vec![0u32; source_w as usize];
    let buffer: &mut [u8] = &mut out;
    for y in 0..height as usize {
        columns.fill(0);
        for row in 0..factor {
            add_row(y * factor + row, &mut columns);
        }
        let out_row = &mut buffer[y * width as usize..][..width as usize];
        for (pixel, block) in out_row.iter_mut().zip(columns.chunks_exact(factor)) {
            let sum: u32 = block.iter().sum();
            *pixel = ((sum + area / 2) / area) as u8;
        }
    }
    out
}

/// Sharpness: the variance of the second derivative, across and down, each as a share (in %)
/// of the luma variance, the smaller of the two. Blur takes away the high frequencies and leaves
/// the contrast, so the ratio falls; a hand moving blurs one direction only, which the smaller
/// of the two directions catches where a plain Laplacian averages it away; dimming a picture
/// scales numerator and denominator alike. Measured at a fixed scale by the callers (a
/// rectified document, a resized face), so that it does not depend on distance.
pub fn sharpness(image: &GrayImage) -> f32 {
    let (width, height) = (image.width() as usize, image.height() as usize);
    if width < 3 || height < 3 {
        return 0.0;
    }
    let pixels = image.as_raw();
    let mut across = Moments::default();
    let mut down = Moments::default();
    let mut luma = Moments::default();
    for y in 1..height - 1 {
        let row = &pixels[y * width..][..width];
        let up = &pixels[(y - 1) * width..][..width];
        let below = &pixels[(y + 1) * width..][..width];
        // Sums over stretches of a row in i32 (4096 squares of at most 510^2 fit), added into
        // the i64 totals once per stretch: the loop then runs on vector registers.
        let mut start = 1;
        while start < width - 1 {
            let end = (start + 4096).min(width - 1);
            let (mut sums, mut squares) = ([0i32; 3], [0i32; 3]);
            for x in start..end {
                let centre = i32::from(row[x]);
                let second_across = i32::from(row[x - 1]) + i32::from(row[x + 1]) - 2 * centre;
                let second_down = i32::from(up[x]) + i32::from(below[x]) - 2 * centre;
                for (i, value) in [second_across, second_down, centre].into_iter().enumerate() {
                    sums[i] += value;
                    squares[i] += value * value;
                }
            }
            for (i, moments) in [&mut across, &mut down, &mut luma].into_iter().enumerate() {
                moments.add_stretch(sums[i], squares[i], (end - start) as i64);
            }
            start = end;
        }
    }
    let variance = luma.variance();
    if variance < 1.0 {
        return 0.0;
    }
    (100.0 * across.variance().min(down.variance()) / variance) as f32
}

/// Running sums for a variance, in integers: exact, and several times faster per pixel than
/// floating point (this runs on every pixel of every preview frame's document). Values are
/// second derivatives or luma, at most 510 in size, so a square is under 2^18 and the sums
/// stay far inside i64 for any image that fits in memory.
#[derive(Default)]
struct Moments {
    sum: i64,
    squares: i64,
    count: i64,
}

impl Moments {
    /// Adds the sum and the sum of squares of `count` values.
    fn add_stretch(&mut self, sum: i32, squares: i32, count: i64) {
        self.sum += i64::from(sum);
        self.squares += i64::from(squares);
        self.count += count;
    }

    fn variance(&self) -> f64 {
        if self.count == 0 {
            return 0.0;
        }
        let count = self.count as f64;
        self.squares as f64 / count - (self.sum as f64 / count).powi(2)
    }
}

/// A luma histogram, for percentiles.
struct Histogram {
    counts: [u64; 256],
    total: u64,
}

impl Histogram {
    fn of(image: &GrayImage) -> Histogram {
        let mut counts = [0u64; 256];
        for &value in image.as_raw() {
            counts[usize::from(value)] += 1;
        }
        Histogram {
            counts,
            total: image.as_raw().len() as u64,
        }
    }

    /// The lowest level at or below which `share` of the pixels lie.
    fn percentile(&self, share: f64) -> u8 {
        let wanted = (self.total as f64 * share).ceil().max(1.0) as u64;
        let mut seen = 0;
        self.counts
            .iter()
            .position(|&count| {
                seen += count;
                seen >= wanted
            })
            .unwrap_or(255) as u8
    }
}

/// Stretches the luma so that its 1st and 99th percentiles become 0 and 255: edges and faces in
/// a dim frame are then found as in a bright one (the exposure is judged separately).
pub fn stretch_contrast(image: &mut GrayImage) {
    let histogram = Histogram::of(image);
    let low = i32::from(histogram.percentile(0.01));
    let high = i32::from(histogram.percentile(0.99));
    if high - low < 8 {
        return;
    }
    // At most three times the contrast: more would lift the noise of a dark frame into edges.
    let high = high.max(low + 85);
    let table: Vec<u8> = (0..256)
        .map(|v| ((v - low) * 255 / (high - low)).clamp(0, 255) as u8)
        .collect();
    let buffer: &mut [u8] = image;
    for value in buffer.iter_mut() {
        *value = table[usize::from(*value)];
    }
}

/// The 5th, 50th and 95th luma percentiles.
pub fn percentiles(image: &GrayImage) -> [u8; 3] {
    let histogram = Histogram::of(image);
    [0.05, 0.5, 0.95].map(|share| histogram.percentile(share))
}

/// How far outside a clipped blob its halo is looked for, in pixels of the measured image
/// (a document rectified 640 px wide: 2 px is about 0.1 mm on a passport page).
const HALO_STEP: i64 = 2;

/// The largest specular highlight: the largest 8-connected blob of pixels at or above `level`
/// that has a halo, as a share of the image. Specks (print, holograms) make no blob. And a
/// white area printed on the document (a form's white field, a white photo background) is
/// clipped too but ends at its edge: just outside it lies the paper, at `ground` (the
/// document's median). A reflection of a lamp does not end there: the light falls off over a
/// distance, so just outside the clipped core the picture is still far brighter than the
/// paper. Each blob counts by the share of its boundary that has a halo (luma `HALO_STEP`
/// pixels outside it at least three quarters of the way from `ground` to `level`): a reflection that runs into
/// a white field counts by its own part of the boundary.
pub fn largest_glare_blob(image: &GrayImage, level: u8, ground: u8) -> f32 {
    let (width, height) = (image.width() as i64, image.height() as i64);
    let pixels = image.as_raw();
    let at = |x: i64, y: i64| {
        (x >= 0 && y >= 0 && x < width && y < height).then(|| pixels[(y * width + x) as usize])
    };
    let halo_level = (u32::from(ground) + 3 * u32::from(level)).div_ceil(4);
    let mut seen = vec![false; pixels.len()];
    let mut stack = Vec::new();
    let mut largest = 0usize;
    for start in 0..pixels.len() {
        if seen[start] || pixels[start] < level {
            continue;
        }
        seen[start] = true;
        stack.push(start);
        let mut size = 0usize;
        // Samples outside the blob's boundary: those that are bright (a halo), and all.
        let (mut haloed, mut samples) = (0usize, 0usize);
        while let Some(index) = stack.pop() {
            size += 1;
            let (x, y) = ((index as i64) % width, (index as i64) / width);
            for (dx, dy) in [(1, 0), (-1, 0), (0, 1), (0, -1)] {
                if at(x + dx, y + dy).is_some_and(|value| value < level)
                    && let Some(value) = at(x + dx * HALO_STEP, y + dy * HALO_STEP)
                {
                    haloed += usize::from(u32::from(value) >= halo_level);
                    samples += 1;
                }
            }
            for dy in -1i64..=1 {
                for dx in -1i64..=1 {
                    let (nx, ny) = (x + dx, y + dy);
                    if at(nx, ny).is_none() {
                        continue;
                    }
                    let next = (ny * width + nx) as usize;
                    if !seen[next] && pixels[next] >= level {
                        seen[next] = true;
                        stack.push(next);
                    }
                }
            }
        }
        // A blob with no boundary inside the image (the whole image clipped) is all glare.
        let glare = (size * haloed).checked_div(samples).unwrap_or(size);
        largest = largest.max(glare);
    }
    largest as f32 / pixels.len().max(1) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn box_reduce_averages_blocks() {
        let image = GrayImage::from_fn(4, 2, |x, _| image::Luma([if x < 2 { 10 } else { 30 }]));
        let reduced = box_reduce(&image, 2);
        assert_eq!(reduced.as_raw(), &[10, 30]);
        // On a real photo whose sides are not multiples of the factor: each block's rounded
        // mean, the remainder dropped.
        let photo = crate::quality::fixture("backgrounds/brick.jpg").to_luma8();
        let photo = image::imageops::crop_imm(&photo, 0, 0, 203, 101).to_image();
        for factor in [2u32, 3, 4] {
            let reduced = box_reduce(&photo, factor);
            assert_eq!(reduced.dimensions(), (203 / factor, 101 / factor));
            for (x, y, pixel) in reduced.enumerate_pixels() {
                let mut sum = 0u32;
                for dy in 0..factor {
                    for dx in 0..factor {
                        sum += u32::from(photo.get_pixel(x * factor + dx, y * factor + dy)[0]);
                    }
                }
                let area = factor * factor;
                assert_eq!(
                    u32::from(pixel[0]),
                    (sum + area / 2) / area,
                    "({x}, {y}) / {factor}"
                );
            }
        }
    }

    #[test]
    fn luma_is_bt601_of_each_pixel() {
        let photo = crate::quality::fixture("backgrounds/coffee.jpg").to_rgb8();
        let photo = image::imageops::crop_imm(&photo, 0, 0, 101, 37).to_image();
        let luma = luma_of(&photo);
        assert_eq!(luma.dimensions(), (101, 37));
        for (x, y, pixel) in photo.enumerate_pixels() {
            let [r, g, b] = pixel.0.map(f64::from);
            let expected = (0.299 * r + 0.587 * g + 0.114 * b).round();
            let got = f64::from(luma.get_pixel(x, y)[0]);
            // The 16.16 weights round 0.299/0.587/0.114 to 1/65536: at most one level off.
            assert!(
                (got - expected).abs() <= 1.0,
                "({x}, {y}): {got} vs {expected}"
            );
        }
        assert_eq!(luma_of(&RgbImage::new(0, 5)).dimensions(), (0, 5));
    }

    #[test]
    fn colour_reduced_is_the_reduced_colour_plane() {
        // A real colour photo whose sides are not multiples of the factors.
        let photo = crate::quality::fixture("backgrounds/coffee.jpg").to_rgb8();
        let photo = image::imageops::crop_imm(&photo, 0, 0, 331, 203).to_image();
        for factor in [1u32, 2, 3, 8] {
            assert_eq!(
                colour_reduced(&photo, factor),
                box_reduce(&colour_of(&photo), factor),
                "/ {factor}"
            );
        }
    }

    #[test]
    fn sharpness_sums_every_inner_pixel_even_on_rows_past_a_stretch() {
        // The per-pixel definition, in i64, against the stretch-wise sums, on a real photo
        // wider than one stretch.
        let photo = crate::quality::fixture("backgrounds/brick.jpg").to_luma8();
        let wide = image::imageops::resize(&photo, 5000, 40, image::imageops::FilterType::Triangle);
        for image in [photo, wide] {
            let (w, h) = image.dimensions();
            let p = |x: u32, y: u32| i64::from(image.get_pixel(x, y)[0]);
            let mut moments = [[0i64; 3]; 3];
            for y in 1..h - 1 {
                for x in 1..w - 1 {
                    let values = [
                        p(x - 1, y) + p(x + 1, y) - 2 * p(x, y),
                        p(x, y - 1) + p(x, y + 1) - 2 * p(x, y),
                        p(x, y),
                    ];
                    for (m, v) in moments.iter_mut().zip(values) {
                        *m = [m[0] + v, m[1] + v * v, m[2] + 1];
                    }
                }
            }
            let variance = |[sum, squares, count]: [i64; 3]| {
                squares as f64 / count as f64 - (sum as f64 / count as f64).powi(2)
            };
            let expected =
                100.0 * variance(moments[0]).min(variance(moments[1])) / variance(moments[2]);
            assert_eq!(sharpness(&image), expected as f32);
        }
    }

    #[test]
    fn blur_lowers_sharpness_and_dimming_does_not() {
        let checker = GrayImage::from_fn(64, 64, |x, y| {
            image::Luma([if (x / 4 + y / 4) % 2 == 0 { 40 } else { 200 }])
        });
        let sharp = sharpness(&checker);
        let blurred = sharpness(&image::imageops::blur(&checker, 2.0));
        let dim = GrayImage::from_fn(64, 64, |x, y| image::Luma([checker.get_pixel(x, y)[0] / 2]));
        assert!(blurred < sharp / 4.0, "{blurred} vs {sharp}");
        assert!((sharpness(&dim) - sharp).abs() < sharp * 0.1);
    }

    #[test]
    fn a_clipped_patch_with_a_halo_is_glare_and_specks_and_printed_white_are_not() {
        let mut image = GrayImage::from_pixel(100, 100, image::Luma([120]));
        for index in (0..10_000).step_by(97) {
            let buffer: &mut [u8] = &mut image;
            buffer[index] = 255;
        }
        assert!(largest_glare_blob(&image, 250, 120) < 0.001);
        // A clipped patch with a soft halo (a lamp's reflection) is glare.
        for y in 4..36 {
            for x in 4..36 {
                let from_core = (10i32 - x as i32)
                    .max(x as i32 - 29)
                    .max(10 - y as i32)
                    .max(y as i32 - 29);
                let value = if from_core <= 0 {
                    255
                } else {
                    255 - 10 * from_core
                };
                image.put_pixel(x, y, image::Luma([value.max(120) as u8]));
            }
        }
        assert!((largest_glare_blob(&image, 250, 120) - 0.04).abs() < 0.002);
        // The same patch printed white on the paper, with a sharp edge, is not.
        let mut printed = GrayImage::from_pixel(100, 100, image::Luma([120]));
        for y in 10..30 {
            for x in 10..30 {
                printed.put_pixel(x, y, image::Luma([255]));
            }
        }
        assert_eq!(largest_glare_blob(&printed, 250, 120), 0.0);
        assert_eq!(
            percentiles(&GrayImage::from_pixel(4, 4, image::Luma([7]))),
            [7, 7, 7]
        );
    }
}
