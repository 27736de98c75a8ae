//! Finds the MRZ's text lines: dark characters on a local threshold, joined left to right into
//! chains of characters of one height on one baseline. An MRZ line is such a chain of 30, 36 or
//! 44 characters with no word gap (its fillers `<` are characters too), which sets it apart
//! from every other line on a document; its two or three lines lie evenly spaced, one above the
//! other, with the same left end.

use image::GrayImage;
use imageproc::region_labelling::{Connectivity, connected_components};

/// One dark blob: a character, or part of one.
#[derive(Clone, Copy, Debug)]
pub struct Blob {
    pub x0: u32,
    pub y0: u32,
    pub x1: u32,
    pub y1: u32,
}

impl Blob {
    pub fn height(&self) -> f32 {
        (self.y1 - self.y0 + 1) as f32
    }
    pub fn width(&self) -> f32 {
        (self.x1 - self.x0 + 1) as f32
    }
    pub fn centre_x(&self) -> f32 {
        (self.x0 + self.x1) as f32 / 2.0
    }
    pub fn centre_y(&self) -> f32 {
        (self.y0 + self.y1) as f32 / 2.0
    }
}

/// One text line: its characters left to right, its cap height and its baseline.
#[derive(Clone, Debug)]
pub struct Line {
    pub blobs: Vec<Blob>,
    /// Height of a capital or digit.
    pub cap: f32,
    /// Baseline `y = intercept + slope * x`.
    pub intercept: f32,
    pub slope: f32,
}

impl Line {
    pub fn baseline_at(&self, x: f32) -> f32 {
        self.intercept + self.slope * x
    }
    pub fn left(&self) -> f32 {
        self.blobs.first().map(Blob::centre_x).unwrap_or(0.0)
    }
    pub fn right(&self) -> f32 {
        self.blobs.last().map(Blob::centre_x).unwrap_or(0.0)
    }
    /// Distance between neighbouring characters: the median gap between centres.
    pub fn pitch(&self) -> f32 {
        let mut steps: Vec<f32> = self
            .blobs
            .windows(2)
            .map(|w| w[1].centre_x() - w[0].centre_x())
            .collect();
        median(&mut steps)
    }
    fn middle_y(&self) -> f32 {
        self.baseline_at((self.left() + self.right()) / 2.0) - self.cap / 2.0
    }
}

/// The fewest characters a chain needs to be taken for an MRZ line (TD1's 30, with a few lost
/// to glare or merged).
const MIN_LINE_CHARS: usize = 22;

/// Dark pixels: darker than their neighbourhood's mean by a margin. Ink is 255.
pub fn binarize(luma: &GrayImage, radius: u32) -> GrayImage {
    let (w, h) = luma.dimensions();
    let stride = w as usize + 1;
    let mut integral = vec![0u64; stride * (h as usize + 1)];
    for y in 0..h as usize {
        let mut row = 0u64;
        for x in 0..w as usize {
            row += u64::from(luma.as_raw()[y * w as usize + x]);
            integral[(y + 1) * stride + x + 1] = integral[y * stride + x + 1] + row;
        }
    }
    let mut out = GrayImage::new(w, h);
    for y in 0..h {
        let ya = y.saturating_sub(radius) as usize;
        let yb = (y + radius + 1).min(h) as usize;
        for x in 0..w {
            let xa = x.saturating_sub(radius) as usize;
            let xb = (x + radius + 1).min(w) as usize;
            let sum = integral[yb * stride + xb] + integral[ya * stride + xa]
                - integral[ya * stride + xb]
                - integral[yb * stride + xa];
            let count = ((yb - ya) * (xb - xa)) as u64;
            let value = u64::from(luma.as_raw()[(y * w + x) as usize]);
            // Ink: 12% under the local mean and at least 12 levels under it (flat areas have
            // noise, not ink).
            if value * 100 * count < sum * 88 && value * count + 12 * count < sum {
                out.put_pixel(x, y, image::Luma([255]));
            }
        }
    }
    out
}

/// The blobs of a binary image that could be characters of a line of text.
pub fn blobs(binary: &GrayImage) -> Vec<Blob> {
    let labels = connected_components(binary, Connectivity::Eight, image::Luma([0u8]));
    let mut boxes: Vec<Option<(Blob, u32)>> = Vec::new();
    for (x, y, label) in labels.enumerate_pixels() {
        let label = label.0[0] as usize;
        if label == 0 {
            continue;
        }
        if boxes.len() <= label {
            boxes.resize(label + 1, None);
        }
        match &mut boxes[label] {
            Some((blob, area)) => {
                blob.x0 = blob.x0.min(x);
                blob.x1 = blob.x1.max(x);
                blob.y0 = blob.y0.min(y);
                blob.y1 = blob.y1.max(y);
                *area += 1;
            }
            slot @ None => {
                *slot = Some((
                    Blob {
                        x0: x,
                        y0: y,
                        x1: x,
                        y1: y,
                    },
                    1,
                ))
            }
        }
    }
    let max_height = (binary.height() / 6).max(8) as f32;
    boxes
        .into_iter()
        .flatten()
        .filter(|(blob, area)| {
            let (w, h) = (blob.width(), blob.height());
            h >= 5.0 && h <= max_height && w <= 2.0 * h && *area >= 8
        })
        .map(|(blob, _)| blob)
        .collect()
}

/// Chains blobs into lines: each blob is joined to the nearest blob to its right on the same
/// baseline, of a similar height, less than about one character away.
pub fn lines(mut blobs: Vec<Blob>) -> Vec<Line> {
    blobs.sort_by_key(|b| b.x0);
    let n = blobs.len();
    let mut next: Vec<Option<(usize, f32)>> = vec![None; n];
    for i in 0..n {
        let a = blobs[i];
        let mut best: Option<(usize, f32)> = None;
        for (j, b) in blobs.iter().enumerate().skip(i + 1) {
            let tall = a.height().max(b.height());
            if b.x0 as f32 > a.x1 as f32 + 1.6 * tall {
                break;
            }
            let gap = b.x0 as f32 - a.x1 as f32;
            if b.centre_x() <= a.centre_x() + 0.3 * a.width().min(b.width())
                || gap < -0.2 * tall
                || (b.centre_y() - a.centre_y()).abs() > 0.45 * tall
                || a.height().min(b.height()) < 0.35 * tall
            {
                continue;
            }
            let distance = b.centre_x() - a.centre_x();
            if best.is_none_or(|(_, d)| distance < d) {
                best = Some((j, distance));
            }
        }
        next[i] = best;
    }
    // A blob keeps only its nearest predecessor, so chains do not fork.
    let mut previous: Vec<Option<(usize, f32)>> = vec![None; n];
    for (i, link) in next.iter().enumerate() {
        if let Some((j, d)) = *link
            && previous[j].is_none_or(|(_, pd)| d < pd)
        {
            previous[j] = Some((i, d));
        }
    }
    let mut lines = Vec::new();
    for start in 0..n {
        if previous[start].is_some() {
            continue;
        }
        let mut chain = vec![blobs[start]];
        let mut at = start;
        while let Some((j, _)) = next[at] {
            if previous[j].map(|(p, _)| p) != Some(at) {
                break;
            }
            chain.push(blobs[j]);
            at = j;
        }
        if chain.len() >= 8 {
            lines.push(chain);
        }
    }
    let lines = join_broken(lines);
    lines
        .into_iter()
        .map(trim_strays)
        .filter(|chain| chain.len() >= MIN_LINE_CHARS)
        .filter_map(fit_line)
        .collect()
}

/// Drops a blob at either end that stands further off than the line's spacing: a mark, a
/// document edge or a guilloche stroke chained onto the zone.
fn trim_strays(mut chain: Vec<Blob>) -> Vec<Blob> {
    let step = |chain: &[Blob], i: usize| chain[i + 1].centre_x() - chain[i].centre_x();
    while chain.len() > MIN_LINE_CHARS {
        let mut steps: Vec<f32> = (0..chain.len() - 1).map(|i| step(&chain, i)).collect();
        let pitch = median(&mut steps);
        if step(&chain, 0) > 1.5 * pitch {
            chain.remove(0);
        } else if step(&chain, chain.len() - 2) > 1.5 * pitch {
            chain.pop();
        } else {
            break;
        }
    }
    chain
}

/// Joins chains that continue one another across a gap of a few characters (glare, a finger, a
/// character lost to the threshold).
fn join_broken(mut chains: Vec<Vec<Blob>>) -> Vec<Vec<Blob>> {
    chains.sort_by_key(|chain| chain[0].x0);
    let mut joined = true;
    while joined {
        joined = false;
        'outer: for i in 0..chains.len() {
            for j in 0..chains.len() {
                if i == j {
                    continue;
                }
                let (a, b) = (&chains[i], &chains[j]);
                let (Some(last), Some(first)) = (a.last(), b.first()) else {
                    continue;
                };
                let cap_a = cap_height(a);
                let cap_b = cap_height(b);
                let gap = first.x0 as f32 - last.x1 as f32;
                if gap > 0.0
                    && gap < 6.0 * cap_a
                    && (cap_a / cap_b - 1.0).abs() < 0.25
                    && (first.y1 as f32 - last.y1 as f32).abs() < 0.4 * cap_a
                {
                    let tail = chains.remove(j);
                    let index = if j < i { i - 1 } else { i };
                    chains[index].extend(tail);
                    joined = true;
                    break 'outer;
                }
            }
        }
    }
    chains
}

fn cap_height(chain: &[Blob]) -> f32 {
    let mut heights: Vec<f32> = chain.iter().map(Blob::height).collect();
    heights.sort_by(f32::total_cmp);
    heights[(heights.len() * 3 / 4).min(heights.len() - 1)]
}

fn fit_line(blobs: Vec<Blob>) -> Option<Line> {
    let cap = cap_height(&blobs);
    // The baseline through the bottoms of full-height characters (`<` sits higher).
    let points: Vec<(f32, f32)> = blobs
        .iter()
        .filter(|b| b.height() >= 0.85 * cap)
        .map(|b| (b.centre_x(), b.y1 as f32 + 0.5))
        .collect();
    if points.len() < 4 {
        return None;
    }
    let n = points.len() as f32;
    let mx = points.iter().map(|p| p.0).sum::<f32>() / n;
    let my = points.iter().map(|p| p.1).sum::<f32>() / n;
    let sxx: f32 = points.iter().map(|p| (p.0 - mx) * (p.0 - mx)).sum();
    let sxy: f32 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let slope = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    Some(Line {
        blobs,
        cap,
        intercept: my - slope * mx,
        slope,
    })
}

/// The MRZ: two or three lines one above the other, evenly spaced, of one cap height and one
/// left end. Of several candidates, the one spanning the most length.
pub fn mrz_block(mut lines: Vec<Line>) -> Option<Vec<Line>> {
    lines.sort_by(|a, b| a.middle_y().total_cmp(&b.middle_y()));
    let fits = |upper: &Line, lower: &Line| {
        let spacing = lower.middle_y() - upper.middle_y();
        (upper.cap / lower.cap - 1.0).abs() < 0.25
            && spacing > 1.2 * upper.cap
            && spacing < 3.0 * upper.cap
            && (upper.left() - lower.left()).abs() < 2.0 * upper.cap
    };
    let mut best: Option<(f32, Vec<Line>)> = None;
    for start in 0..lines.len() {
        let mut group = vec![lines[start].clone()];
        for candidate in &lines[start + 1..] {
            if group.len() == 3 {
                break;
            }
            if let Some(last) = group.last()
                && fits(last, candidate)
            {
                group.push(candidate.clone());
            }
        }
        if group.len() < 2 {
            continue;
        }
        // The zone spans most of the document's width in large print: of several candidates,
        // the one that covers the most length (small print packs as many characters into
        // shorter lines).
        let span: f32 = group.iter().map(|l| l.right() - l.left()).sum();
        if best.as_ref().is_none_or(|(s, _)| span > *s) {
            best = Some((span, group));
        }
    }
    best.map(|(_, group)| group)
}

pub fn median(values: &mut [f32]) -> f32 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f32::total_cmp);
    values[values.len() / 2]
}
