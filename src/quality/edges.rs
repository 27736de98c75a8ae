//! Edges for the document search: Sobel gradients, Canny's edge detector, square
//! morphology, contours and their convex hulls, in plain row loops.
//!
//! Each computes exactly what its `imageproc` counterpart does (`gradients::horizontal_sobel`
//! and `vertical_sobel`, `edges::canny`, `morphology::dilate`/`erode`/`open` with the LInf
//! norm, `contours::find_contours`, `geometry::convex_hull`); the tests below hold them equal
//! pixel for pixel on real photos. They exist because a preview frame has 8 ms in all, and
//! imageproc's generic per-pixel access spent about 4 ms of it on Canny alone and 2 ms on
//! distance transforms (and its hull sorted every contour's points, 0.5 ms). Equal, not merely
//! similar: the search's constants were measured on the evaluation set with imageproc's edges,
//! and an approximate Canny tried in session 10 moved the set's corners (3% of the diagonal on
//! 87.5% of the documents instead of 93.8%).

use image::GrayImage;
use imageproc::point::Point;

/// Horizontal and vertical Sobel gradients of an image, row by row (borders clamped, as
/// `imageproc::gradients` does).
pub struct Sobel {
    pub x: Vec<i16>,
    pub y: Vec<i16>,
}

impl Sobel {
    pub fn of(image: &GrayImage) -> Sobel {
        let (width, height) = (image.width() as usize, image.height() as usize);
        let pixels = image.as_raw();
        let mut x = vec![0i16; pixels.len()];
        let mut y = vec![0i16; pixels.len()];
        if width == 0 || height == 0 {
            return Sobel { x, y };
        }
        for row in 0..height {
            let above = &pixels[row.saturating_sub(1) * width..][..width];
            let here = &pixels[row * width..][..width];
            let below = &pixels[(row + 1).min(height - 1) * width..][..width];
            let out_x = &mut x[row * width..][..width];
            let out_y = &mut y[row * width..][..width];
            // The first and last columns clamp their neighbours to the image.
            for column in [0, width - 1] {
                let left = column.saturating_sub(1);
                let right = (column + 1).min(width - 1);
                let at = |line: &[u8], i: usize| i16::from(line[i]);
                out_x[column] = (at(above, right) - at(above, left))
                    + 2 * (at(here, right) - at(here, left))
                    + (at(below, right) - at(below, left));
                out_y[column] = (at(below, left) - at(above, left))
                    + 2 * (at(below, column) - at(above, column))
                    + (at(below, right) - at(above, right));
            }
            // The columns between, the same sums without a clamp: slices shifted by one column
            // each way, which the compiler turns into vector arithmetic.
            if width < 3 {
                continue;
            }
            let inner = width - 2;
            let columns = above[..inner]
                .iter()
                .zip(&above[2..])
                .zip(here[..inner].iter().zip(&here[2..]))
                .zip(below[..inner].iter().zip(&below[2..]))
                .zip(&above[1..=inner])
                .zip(&below[1..=inner]);
            for ((out_x, out_y), (((((&al, &ar), (&hl, &hr)), (&bl, &br)), &ac), &bc)) in out_x
                [1..=inner]
                .iter_mut()
                .zip(&mut out_y[1..=inner])
                .zip(columns)
            {
                let at = i16::from;
                *out_x = (at(ar) - at(al)) + 2 * (at(hr) - at(hl)) + (at(br) - at(bl));
                *out_y = (at(bl) - at(al)) + 2 * (at(bc) - at(ac)) + (at(br) - at(ar));
            }
        }
        Sobel { x, y }
    }
}

/// Canny's edge detector, exactly as `imageproc::edges::canny(image, low, high)`: a Gaussian
/// blur (sigma 1.4, f32 taps, each pass clamped to u8 by truncation), Sobel gradients,
/// non-maximum suppression in four directions and hysteresis. Edge pixels are 255. The
/// thresholds are positive (at 0 or below, imageproc's own search steps off the image).
///
/// Where imageproc computes `hypot(gx, gy)` in f32 and the angle with `atan2`, this keeps
/// `gx² + gy²` in integers and sorts the direction by exact tangent comparisons. Both are the
/// same decisions: the squares are exact integers, whose square roots keep their order in f32;
/// and no integer gradient lies near enough to a 22.5° sector boundary for `atan2`'s rounding
/// to place it differently (checked for every gradient in the test below).
pub fn canny(image: &GrayImage, low: f32, high: f32) -> GrayImage {
    let (width, height) = (image.width() as usize, image.height() as usize);
    let mut out = GrayImage::new(image.width(), image.height());
    if width < 3 || height < 3 {
        // No inner pixel: imageproc's loops do not run either.
        return out;
    }
    let blurred = gaussian_blur(image);
    let sobel = Sobel::of(&blurred);
    let magnitude: Vec<i32> = sobel
        .x
        .iter()
        .zip(&sobel.y)
        .map(|(&gx, &gy)| i32::from(gx) * i32::from(gx) + i32::from(gy) * i32::from(gy))
        .collect();
    let (low, high) = (squared_threshold(low), squared_threshold(high));
    // Non-maximum suppression on inner pixels; the border stays 0, as in imageproc. A pixel
    // weaker than both thresholds cannot become an edge whether it is a maximum or not, so its
    // direction is not worked out (flat paper, soft background).
    let weakest_edge = low.min(high);
    let mut thinned = vec![0i32; width * height];
    // By `Direction`: the step to the neighbours across the edge.
    let offsets = [1, width + 1, width, width - 1];
    for y in 1..height - 1 {
        for x in 1..width - 1 {
            let index = y * width + x;
            let here = magnitude[index];
            if here < weakest_edge {
                continue;
            }
            // The neighbours compared are `index ± offset`, without a branch per direction
            // (which way a gradient points is a coin toss to the branch predictor).
            let offset = offsets[direction(sobel.x[index], sobel.y[index]) as usize];
            let maximum = (here >= magnitude[index - offset]) & (here >= magnitude[index + offset]);
            thinned[index] = here * i32::from(maximum);
        }
    }
    // Hysteresis: from every pixel at or above `high`, follow neighbours at or above `low`.
    // imageproc follows six of the eight neighbours (not up, nor up-right), so its result is
    // every pixel reachable from a strong one by those steps; the order of the search does not
    // change that set.
    let edges: &mut [u8] = &mut out;
    let mut stack = Vec::new();
    let steps = [
        1isize,
        width as isize + 1,
        width as isize,
        -(width as isize) - 1,
        -1,
        width as isize - 1,
    ];
    for y in 1..height - 1 {
        for x in 1..width - 1 {
            let index = y * width + x;
            if thinned[index] < high || edges[index] != 0 {
                continue;
            }
            edges[index] = 255;
            stack.push(index);
            while let Some(at) = stack.pop() {
                for step in steps {
                    // Border pixels are 0 in `thinned`, so a search never steps past them.
                    let next = at.wrapping_add_signed(step);
                    if thinned[next] >= low && edges[next] == 0 {
                        edges[next] = 255;
                        stack.push(next);
                    }
                }
            }
        }
    }
    out
}

/// The direction across which non-maximum suppression compares neighbours.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(usize)]
enum Direction {
    /// Gradient within 22.5° of horizontal: compare left and right.
    Across,
    /// Gradient along the falling diagonal (x and y of one sign).
    Falling,
    /// Gradient within 22.5° of vertical: compare above and below.
    Down,
    /// Gradient along the rising diagonal.
    Rising,
}

/// tan(22.5°) and tan(67.5°).
const TAN_22_5: f64 = std::f64::consts::SQRT_2 - 1.0;
const TAN_67_5: f64 = std::f64::consts::SQRT_2 + 1.0;

/// The direction of a gradient, by exact tangent comparisons; within a hair of a boundary
/// (about 800 of the 4 million possible gradients), by imageproc's own f32 angle, whose
/// rounding decides there.
fn direction(gx: i16, gy: i16) -> Direction {
    let (ax, ay) = (f64::from(gx.unsigned_abs()), f64::from(gy.unsigned_abs()));
    let hair = 1e-4 * (ax + ay);
    if (ay - TAN_22_5 * ax).abs() <= hair || (ay - TAN_67_5 * ax).abs() <= hair {
        return direction_as_imageproc(gx, gy);
    }
    direction_by_tangents(gx, gy)
}

/// The direction of a gradient by exact tangent comparisons alone.
fn direction_by_tangents(gx: i16, gy: i16) -> Direction {
    let (ax, ay) = (f64::from(gx.unsigned_abs()), f64::from(gy.unsigned_abs()));
    // Near horizontal first, then near vertical, else the diagonal by the signs: looked up
    // rather than branched on, as a gradient's direction is a coin toss to the branch
    // predictor. (Near horizontal and near vertical at once only for a zero gradient, which
    // `direction` settles before.)
    let across = usize::from(ay < TAN_22_5 * ax);
    let down = usize::from(ay >= TAN_67_5 * ax);
    let falling = usize::from((gx > 0) == (gy > 0));
    const BY_TEST: [Direction; 8] = [
        Direction::Rising,
        Direction::Falling,
        Direction::Down,
        Direction::Down,
        Direction::Across,
        Direction::Across,
        Direction::Across,
        Direction::Across,
    ];
    BY_TEST[4 * across + 2 * down + falling]
}

/// imageproc's sector choice, as it computes it (`non_maximum_suppression` in `edges.rs`).
fn direction_as_imageproc(gx: i16, gy: i16) -> Direction {
    let mut angle = f32::from(gy).atan2(f32::from(gx)) * (180f32 / std::f32::consts::PI);
    if angle < 0.0 {
        angle += 180.0
    }
    if !(22.5..157.5).contains(&angle) {
        Direction::Across
    } else if (22.5..67.5).contains(&angle) {
        Direction::Falling
    } else if (67.5..112.5).contains(&angle) {
        Direction::Down
    } else {
        Direction::Rising
    }
}

/// The least `gx² + gy²` whose f32 square root (what `hypot` gives for integers) is at or
/// above `threshold`.
fn squared_threshold(threshold: f32) -> i32 {
    if threshold <= 0.0 {
        // Taken as the least positive magnitude: the zero border must never pass, or the
        // search would step off the image.
        return 1;
    }
    // Gradients of u8 images are at most 1020 on each axis.
    let limit = 2 * 1020 * 1020 + 1;
    let guess = ((f64::from(threshold) * f64::from(threshold)).floor() as i32 - 2).clamp(0, limit);
    (guess..=limit)
        .find(|&squares| (squares as f32).sqrt() >= threshold)
        .unwrap_or(limit)
}

/// imageproc's Gaussian kernel for sigma 1.4 (`filter::gaussian_kernel_f32`, the same
/// expressions in the same order, so the same f32 values).
fn gaussian_kernel() -> [f32; 7] {
    const SIGMA: f32 = 1.4;
    let pdf = |x: f32| {
        (SIGMA * (2.0 * std::f32::consts::PI).sqrt()).recip()
            * (-x.powi(2) / (2.0 * SIGMA.powi(2))).exp()
    };
    let mut kernel = [0.0f32; 7];
    for i in 0..4 {
        let value = pdf(i as f32);
        kernel[3 + i] = value;
        kernel[3 - i] = value;
    }
    let sum: f32 = kernel.iter().sum();
    kernel.iter_mut().for_each(|x| *x /= sum);
    kernel
}

/// imageproc's `gaussian_blur_f32(image, 1.4)`: a horizontal then a vertical pass, each
/// summing its taps left to right in f32 from 0 and truncating into u8 (clamped), borders
/// repeated. The taps run in the outer loop so that each pass is a few vector operations per
/// row; every pixel still adds its taps in imageproc's order.
fn gaussian_blur(image: &GrayImage) -> GrayImage {
    let kernel = gaussian_kernel();
    let (width, height) = (image.width() as usize, image.height() as usize);
    let source = image.as_raw();
    // imageproc clamps each pass to 0..=255 and truncates: what `as` does from f32 (it
    // saturates), for every value these sums of finite taps can take (`as` sends NaN to 0,
    // imageproc's clamp to 255; no sum here is NaN). Branch-free, so the loops vectorise.
    let to_u8 = |value: f32| value as u8;
    // The horizontal pass, each value already truncated to u8, kept as f32 for the vertical
    // pass: each pixel converted once instead of once per vertical tap.
    let mut across = vec![0.0f32; width * height];
    let mut padded = vec![0.0f32; width + 6];
    let mut sums = vec![0.0f32; width];
    for y in 0..height {
        let row = &source[y * width..][..width];
        for (i, value) in padded.iter_mut().enumerate() {
            *value = f32::from(row[(i.saturating_sub(3)).min(width - 1)]);
        }
        sums.fill(0.0);
        for (tap, weight) in kernel.iter().enumerate() {
            for (sum, value) in sums.iter_mut().zip(&padded[tap..]) {
                *sum += value * weight;
            }
        }
        for (out, sum) in across[y * width..][..width].iter_mut().zip(&sums) {
            *out = f32::from(to_u8(*sum));
        }
    }
    let mut blurred = GrayImage::new(image.width(), image.height());
    let out: &mut [u8] = &mut blurred;
    for y in 0..height {
        sums.fill(0.0);
        for (tap, weight) in kernel.iter().enumerate() {
            let from = (y + tap).saturating_sub(3).min(height - 1);
            let row = &across[from * width..][..width];
            for (sum, value) in sums.iter_mut().zip(row) {
                *sum += value * weight;
            }
        }
        for (pixel, sum) in out[y * width..][..width].iter_mut().zip(&sums) {
            *pixel = to_u8(*sum);
        }
    }
    blurred
}

/// `imageproc::morphology::dilate(image, Norm::LInf, radius)`: 255 where any non-zero pixel
/// lies within `radius` (a square), else 0.
pub fn dilate(image: &GrayImage, radius: u32) -> GrayImage {
    if radius > MAX_RADIUS {
        return imageproc::morphology::dilate(
            image,
            imageproc::distance_transform::Norm::LInf,
            radius.min(255) as u8,
        );
    }
    Bits::of(image).filter(radius, true).image()
}

/// The largest radius the word-wise filter handles (a word's width less one); the search uses
/// 1 and 2.
const MAX_RADIUS: u32 = 63;

/// `imageproc::morphology::open(image, Norm::LInf, radius)`: eroded, then dilated.
pub fn open(image: &GrayImage, radius: u32) -> GrayImage {
    // imageproc's erosion of an image without a single background pixel measures the
    // distance to none as `width + height` (capped at 255); a frame this small is left to it.
    if image.width() + image.height() <= radius || radius > MAX_RADIUS {
        return imageproc::morphology::open(
            image,
            imageproc::distance_transform::Norm::LInf,
            radius.min(255) as u8,
        );
    }
    Bits::of(image)
        .filter(radius, false)
        .filter(radius, true)
        .image()
}

/// A binary image (set: non-zero), 64 pixels to a word, each row starting a new word. Square
/// morphology on it works on 64 pixels at once: a row's window is the OR (or AND) of the row
/// shifted by each offset, a column's the OR (or AND) of the rows above and below. The
/// per-pixel counts it replaced took about 0.5 ms of a preview frame.
struct Bits {
    width: usize,
    height: usize,
    /// Words per row.
    stride: usize,
    words: Vec<u64>,
}

impl Bits {
    fn of(image: &GrayImage) -> Bits {
        let (width, height) = (image.width() as usize, image.height() as usize);
        let stride = width.div_ceil(64);
        let mut words = vec![0u64; stride * height];
        if width > 0 {
            for (row, packed) in image
                .as_raw()
                .chunks_exact(width)
                .zip(words.chunks_exact_mut(stride))
            {
                for (pixels, word) in row.chunks(64).zip(packed.iter_mut()) {
                    *word = pixels.iter().enumerate().fold(0, |word, (bit, &pixel)| {
                        word | (u64::from(pixel != 0) << bit)
                    });
                }
            }
        }
        Bits {
            width,
            height,
            stride,
            words,
        }
    }

    /// 255 where set, 0 elsewhere.
    fn image(&self) -> GrayImage {
        let mut image = GrayImage::new(self.width as u32, self.height as u32);
        if self.width > 0 {
            let out: &mut [u8] = &mut image;
            for (row, packed) in out
                .chunks_exact_mut(self.width)
                .zip(self.words.chunks_exact(self.stride))
            {
                for (pixels, &word) in row.chunks_mut(64).zip(packed) {
                    for (bit, pixel) in pixels.iter_mut().enumerate() {
                        *pixel = ((word >> bit) as u8 & 1).wrapping_neg();
                    }
                }
            }
        }
        image
    }

    /// Within a square of `radius` around each pixel, cut at the image's border: with `any`,
    /// set where some pixel is (dilation); otherwise set where all are (erosion). Beyond the
    /// border counts as neither: unset for `any`, set for all.
    fn filter(&self, radius: u32, any: bool) -> Bits {
        let (stride, radius) = (self.stride, radius as usize);
        if self.words.is_empty() {
            // No pixel (a zero-sized image).
            return Bits {
                words: Vec::new(),
                ..*self
            };
        }
        let beyond = if any { 0 } else { u64::MAX };
        let combine = |a: u64, b: u64| if any { a | b } else { a & b };
        // Bits past the row's last pixel read as beyond the border.
        let tail = self.width % 64;
        let tail_mask = if tail == 0 { 0 } else { u64::MAX << tail };
        let mut across = vec![0u64; self.words.len()];
        let mut row = vec![beyond; stride + 2];
        for (packed, out) in self
            .words
            .chunks_exact(stride)
            .zip(across.chunks_exact_mut(stride))
        {
            // The row between a word of `beyond` on each side.
            row[1..=stride].copy_from_slice(packed);
            if any {
                row[stride] &= !tail_mask;
            } else {
                row[stride] |= tail_mask;
            }
            for (i, out) in out.iter_mut().enumerate() {
                let (before, here, after) = (row[i], row[i + 1], row[i + 2]);
                let mut word = here;
                // At most `MAX_RADIUS`: every shift stays within a word's width.
                for offset in 1..=radius {
                    // Pixel x + offset, then x - offset, into bit x.
                    let ahead = (here >> offset) | (after << (64 - offset));
                    let behind = (here << offset) | (before >> (64 - offset));
                    word = combine(word, combine(ahead, behind));
                }
                *out = word;
            }
        }
        let mut words = vec![0u64; self.words.len()];
        for y in 0..self.height {
            let (first, last) = (y.saturating_sub(radius), (y + radius).min(self.height - 1));
            let out = &mut words[y * stride..][..stride];
            out.copy_from_slice(&across[first * stride..][..stride]);
            for source in first + 1..=last {
                for (word, &other) in out.iter_mut().zip(&across[source * stride..][..stride]) {
                    *word = combine(*word, other);
                }
            }
        }
        Bits {
            words,
            width: self.width,
            height: self.height,
            stride,
        }
    }
}

/// The 8 neighbours in the order Suzuki and Abe's border following turns through them:
/// west, north-west, north, north-east, east, south-east, south, south-west.
const STEPS: [(i32, i32); 8] = [
    (-1, 0),
    (-1, -1),
    (0, -1),
    (1, -1),
    (1, 0),
    (1, 1),
    (0, 1),
    (-1, 1),
];
const WEST: usize = 0;
const EAST: usize = 4;

/// The borders of the non-zero regions, exactly as `imageproc::contours::find_contours`
/// traces them (Suzuki and Abe's border following: the same borders, in the same order,
/// each with the same points in the same order; the hierarchy, which the search does not use,
/// is left out). imageproc turns a `VecDeque` of the 8 neighbours at every border pixel; here
/// the turn is an index, and the image is padded with a zero border so that neighbours need
/// no bounds checks, which is what makes it several times faster on a textured frame's
/// thousands of small borders.
pub fn find_contours(image: &GrayImage) -> Vec<Vec<Point<i32>>> {
    let (width, height) = (image.width() as usize, image.height() as usize);
    let stride = width + 2;
    // 1 for a set pixel; tracing marks border pixels with their border's number (negative
    // where the border leaves the region eastwards), as imageproc does.
    let mut values = vec![0i32; stride * (height + 2)];
    for (y, row) in image
        .as_raw()
        .chunks_exact(width.max(1))
        .enumerate()
        .take(height)
    {
        let out = &mut values[(y + 1) * stride + 1..][..width];
        for (value, &pixel) in out.iter_mut().zip(row) {
            *value = i32::from(pixel > 0);
        }
    }
    let offsets = STEPS.map(|(dx, dy)| dy as isize * stride as isize + dx as isize);
    let at = |x: usize, y: usize| (y + 1) * stride + x + 1;
    let mut contours = Vec::new();
    let mut border = 1i32;
    let mut candidates = Vec::with_capacity(width);
    for y in 0..height {
        // Tracing changes set pixels' values but never which pixels are set, so a row's
        // possible border starts can be listed from the image before the row is scanned.
        border_candidates(&image.as_raw()[y * width..][..width], &mut candidates);
        for &x in &candidates {
            let here = at(x, y);
            let value = values[here];
            if value == 0 {
                continue;
            }
            let towards = if value == 1 && x > 0 && values[here - 1] == 0 {
                WEST
            } else if value > 0 && x + 1 < width && values[here + 1] == 0 {
                EAST
            } else {
                continue;
            };
            border += 1;
            let mut points = Vec::new();
            let start = (here, x as i32, y as i32);
            // Clockwise from the background neighbour, the first set one.
            let first = (0..8)
                .map(|i| (towards + i) % 8)
                .find(|&d| values[here.wrapping_add_signed(offsets[d])] != 0);
            let Some(first) = first else {
                // A lone pixel.
                points.push(Point::new(x as i32, y as i32));
                values[here] = -border;
                contours.push(points);
                continue;
            };
            let step = |(index, px, py): (usize, i32, i32), d: usize| {
                (
                    index.wrapping_add_signed(offsets[d]),
                    px + STEPS[d].0,
                    py + STEPS[d].1,
                )
            };
            let second = step(start, first);
            let mut current = start;
            // The direction back to the previous pixel: at the start, the second pixel's;
            // after each step, the step's opposite (`STEPS` lists opposites four apart).
            let mut back = first;
            loop {
                points.push(Point::new(current.1, current.2));
                // Counter-clockwise from the previous pixel, the first set neighbour; passing
                // the east neighbour (unset) on the way means the border leaves eastwards.
                let mut leaves_east = false;
                let mut next = back;
                for i in (0..8).rev() {
                    let d = (back + i) % 8;
                    if values[current.0.wrapping_add_signed(offsets[d])] != 0 {
                        next = d;
                        break;
                    }
                    if d == EAST {
                        leaves_east = true;
                    }
                }
                let following = step(current, next);
                if current.1 as usize + 1 == width || leaves_east {
                    values[current.0] = -border;
                } else if values[current.0] == 1 {
                    values[current.0] = border;
                }
                if following == start && current == second {
                    break;
                }
                back = (next + 4) % 8;
                current = following;
            }
            contours.push(points);
        }
    }
    contours
}

/// The pixels of a row at which `find_contours`' scan can meet a border, in order: every set
/// pixel with an unset neighbour to its left or right. Eight pixels at a time where they are
/// all unset (none can) or all set (only the two ends can); pixel by pixel elsewhere (the
/// scan's own tests then decide). A textured frame's edges leave most of a row unset.
fn border_candidates(row: &[u8], candidates: &mut Vec<usize>) {
    const LOW: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    candidates.clear();
    let (words, _) = row.as_chunks::<8>();
    for (index, word) in words.iter().enumerate() {
        let x = index * 8;
        let bytes = u64::from_le_bytes(*word);
        let has_unset = bytes.wrapping_sub(LOW) & !bytes & HIGH != 0;
        if bytes == 0 {
            continue;
        } else if !has_unset {
            candidates.extend([x, x + 7]);
        } else {
            candidates.extend(x..x + 8);
        }
    }
    candidates.extend(words.len() * 8..row.len());
}

/// The convex hull of `points` as imageproc's `geometry::convex_hull` gives it: its corners
/// only (no point along a side), from the topmost (then leftmost) point, in the same turning
/// direction. imageproc sorts every point of a contour by angle (a Graham scan), about 6% of a
/// preview frame; a hull corner is the top or bottom point of its column, so this keeps those
/// two per column, already in column order, and runs Andrew's monotone chain over them.
pub fn convex_hull(points: &[Point<i32>]) -> Vec<Point<i32>> {
    let Some(first) = points.first() else {
        return Vec::new();
    };
    let (min_x, max_x) = points.iter().fold((first.x, first.x), |(low, high), p| {
        (low.min(p.x), high.max(p.x))
    });
    let columns = (i64::from(max_x) - i64::from(min_x) + 1) as usize;
    // Column order: by buckets for a contour (its columns are few), by sorting for points
    // spread thinly over a wide range.
    let mut ordered: Vec<Point<i32>> = Vec::with_capacity(2 * columns.min(points.len()));
    if columns <= 4 * points.len() {
        let mut extremes = vec![(i32::MAX, i32::MIN); columns];
        for p in points {
            let (top, bottom) = &mut extremes[(p.x - min_x) as usize];
            *top = (*top).min(p.y);
            *bottom = (*bottom).max(p.y);
        }
        for (x, &(top, bottom)) in (min_x..).zip(&extremes) {
            if top <= bottom {
                ordered.push(Point::new(x, top));
                if bottom != top {
                    ordered.push(Point::new(x, bottom));
                }
            }
        }
    } else {
        ordered.extend_from_slice(points);
        ordered.sort_unstable_by_key(|p| (p.x, p.y));
        ordered.dedup();
    }
    // Turn of o -> a -> b: positive when it bends one way, negative the other, 0 straight
    // (i64: coordinates of any i32 image).
    let turn = |o: Point<i32>, a: Point<i32>, b: Point<i32>| {
        (i64::from(a.x) - i64::from(o.x)) * (i64::from(b.y) - i64::from(o.y))
            - (i64::from(a.y) - i64::from(o.y)) * (i64::from(b.x) - i64::from(o.x))
    };
    let mut hull: Vec<Point<i32>> = Vec::with_capacity(ordered.len() + 1);
    // One chain left to right, the other back: each keeps only strict turns.
    for &p in &ordered {
        while hull.len() >= 2 && turn(hull[hull.len() - 2], hull[hull.len() - 1], p) <= 0 {
            hull.pop();
        }
        hull.push(p);
    }
    let lower = hull.len() + 1;
    for &p in ordered.iter().rev().skip(1) {
        while hull.len() >= lower && turn(hull[hull.len() - 2], hull[hull.len() - 1], p) <= 0 {
            hull.pop();
        }
        hull.push(p);
    }
    // The last point is the first again (for one point, the only one).
    if hull.len() > 1 {
        hull.pop();
    }
    // imageproc starts at the topmost point (the leftmost of those).
    if let Some(start) = (0..hull.len()).min_by_key(|&i| (hull[i].y, hull[i].x)) {
        hull.rotate_left(start);
    }
    hull
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A real photo's texture: the eval's brick background, reduced as the search reduces.
    fn photo() -> GrayImage {
        let image = crate::quality::fixture("backgrounds/brick.jpg").to_luma8();
        image::imageops::resize(&image, 320, 240, image::imageops::FilterType::Triangle)
    }

    #[test]
    fn sobel_matches_imageproc() {
        let mut images = photos();
        images.push(photo());
        // One to three columns or rows: the clamped border columns and no inner ones.
        for (w, h) in [(1, 4), (2, 3), (3, 1), (3, 3)] {
            images.push(image::imageops::resize(
                &photo(),
                w,
                h,
                image::imageops::FilterType::Triangle,
            ));
        }
        for image in &images {
            let ours = Sobel::of(image);
            let x = imageproc::gradients::horizontal_sobel(image);
            let y = imageproc::gradients::vertical_sobel(image);
            assert_eq!(ours.x, x.into_raw(), "{:?}", image.dimensions());
            assert_eq!(ours.y, y.into_raw(), "{:?}", image.dimensions());
        }
    }

    /// Real photos at the sizes the search reduces frames to, and their contrast-stretched
    /// versions (what the search runs on).
    fn photos() -> Vec<GrayImage> {
        let mut photos = Vec::new();
        for name in [
            "backgrounds/brick.jpg",
            "backgrounds/coffee.jpg",
            "backgrounds/hubble.jpg",
            "documents/pass-isl.jpg",
            "faces/astronaut.jpg",
        ] {
            let image = crate::quality::fixture(name).to_luma8();
            for (w, h) in [(320, 180), (640, 360), (321, 97), (7, 5)] {
                let mut reduced =
                    image::imageops::resize(&image, w, h, image::imageops::FilterType::Triangle);
                photos.push(reduced.clone());
                crate::quality::measure::stretch_contrast(&mut reduced);
                photos.push(reduced);
            }
        }
        photos
    }

    #[test]
    fn canny_matches_imageproc_on_real_photos() {
        for (n, image) in photos().iter().enumerate() {
            for (low, high) in [(10.0, 30.0), (20.0, 60.0), (0.5, 1000.0)] {
                let ours = canny(image, low, high);
                let theirs = imageproc::edges::canny(image, low, high);
                let differ = ours
                    .pixels()
                    .zip(theirs.pixels())
                    .filter(|(a, b)| a != b)
                    .count();
                assert_eq!(
                    differ,
                    0,
                    "photo {n} ({}x{}), {low}/{high}",
                    image.width(),
                    image.height()
                );
            }
        }
    }

    #[test]
    fn the_blur_matches_imageproc() {
        for image in photos() {
            assert_eq!(
                gaussian_blur(&image).into_raw(),
                imageproc::filter::gaussian_blur_f32(&image, 1.4).into_raw()
            );
        }
    }

    #[test]
    fn every_gradient_direction_matches_imageprocs_angle() {
        let mut by_angle = 0;
        for gx in -1020i16..=1020 {
            for gy in -1020i16..=1020 {
                let theirs = direction_as_imageproc(gx, gy);
                assert_eq!(direction(gx, gy), theirs, "gradient ({gx}, {gy})");
                by_angle += usize::from(direction_by_tangents(gx, gy) != theirs);
            }
        }
        // The fallback is needed: without it the exact rule disagrees on a few gradients.
        assert!(by_angle > 0);
    }

    #[test]
    fn thresholds_on_squares_match_hypot() {
        for threshold in [0.5f32, 1.0, 10.0, 30.0, 33.3, 1000.0] {
            let squared = squared_threshold(threshold);
            for gx in 0i32..=1020 {
                for gy in [0i32, 1, 7, 100, 1020] {
                    let squares = gx * gx + gy * gy;
                    assert_eq!(
                        (gx as f32).hypot(gy as f32) >= threshold,
                        squares >= squared,
                        "{threshold}: ({gx}, {gy})"
                    );
                }
            }
        }
    }

    #[test]
    fn contours_match_imageproc() {
        use imageproc::distance_transform::Norm;
        let mut images = Vec::new();
        for image in photos() {
            let edges = imageproc::edges::canny(&image, 10.0, 30.0);
            images.push(imageproc::morphology::dilate(&edges, Norm::LInf, 1));
            images.push(edges);
            let level = imageproc::contrast::otsu_level(&image);
            for kind in [
                imageproc::contrast::ThresholdType::Binary,
                imageproc::contrast::ThresholdType::BinaryInverted,
            ] {
                let regions = imageproc::contrast::threshold(&image, level, kind);
                images.push(imageproc::morphology::open(&regions, Norm::LInf, 2));
                images.push(regions);
            }
        }
        // Lone pixels, touching every border, and an all-set image.
        let mut dots = GrayImage::new(9, 7);
        for (x, y) in [(0, 0), (8, 0), (4, 3), (0, 6), (8, 6), (2, 5), (3, 5)] {
            dots.put_pixel(x, y, image::Luma([255]));
        }
        images.push(dots);
        images.push(GrayImage::from_pixel(5, 4, image::Luma([1])));
        // Whole words of set pixels (the scan's word-wise skip), with a tail, and a gap at a
        // word's end and at the next word's start.
        let mut wide = GrayImage::from_pixel(21, 3, image::Luma([9]));
        wide.put_pixel(7, 1, image::Luma([0]));
        wide.put_pixel(16, 2, image::Luma([0]));
        images.push(wide);
        for (n, image) in images.iter().enumerate() {
            let theirs: Vec<Vec<Point<i32>>> = imageproc::contours::find_contours::<i32>(image)
                .into_iter()
                .map(|contour| contour.points)
                .collect();
            assert!(find_contours(image) == theirs, "image {n}");
        }
    }

    #[test]
    fn hulls_match_imageproc() {
        use imageproc::distance_transform::Norm;
        let mut sets: Vec<Vec<Point<i32>>> = Vec::new();
        for image in photos() {
            let edges = imageproc::edges::canny(&image, 10.0, 30.0);
            let closed = imageproc::morphology::dilate(&edges, Norm::LInf, 1);
            for contour in find_contours(&closed)
                .into_iter()
                .chain(find_contours(&edges))
            {
                sets.push(contour);
            }
        }
        // Few points over a wide range (the sorted path), a straight line, one point, none.
        sets.push(
            [(0, 0), (5000, 3), (2500, -7), (100, 100), (4000, 90)]
                .map(|(x, y)| Point::new(x, y))
                .to_vec(),
        );
        sets.push((0..20).map(|i| Point::new(3 * i, 2 * i)).collect());
        sets.push(vec![Point::new(4, 4)]);
        sets.push(vec![Point::new(0, 5), Point::new(3, 0)]);
        sets.push(Vec::new());
        let mut large = 0;
        for (n, points) in sets.iter().enumerate() {
            let theirs = imageproc::geometry::convex_hull(points.clone());
            let ours = convex_hull(points);
            assert!(ours == theirs, "set {n}: ours {ours:?} theirs {theirs:?}");
            large += usize::from(theirs.len() >= 8);
        }
        assert!(large > 100, "real outlines: {large}");
    }

    #[test]
    fn morphology_matches_imageproc() {
        use imageproc::distance_transform::Norm;
        for image in photos() {
            let edges = imageproc::edges::canny(&image, 10.0, 30.0);
            assert_eq!(
                dilate(&edges, 1),
                imageproc::morphology::dilate(&edges, Norm::LInf, 1)
            );
            let level = imageproc::contrast::otsu_level(&image);
            let regions = imageproc::contrast::threshold(
                &image,
                level,
                imageproc::contrast::ThresholdType::Binary,
            );
            for radius in 1..=3u8 {
                for image in [
                    &edges,
                    &regions,
                    &GrayImage::new(0, 3),
                    &GrayImage::new(4, 0),
                ] {
                    assert_eq!(
                        dilate(image, u32::from(radius)),
                        imageproc::morphology::dilate(image, Norm::LInf, radius)
                    );
                    assert_eq!(
                        open(image, u32::from(radius)),
                        imageproc::morphology::open(image, Norm::LInf, radius)
                    );
                }
            }
        }
    }
}
