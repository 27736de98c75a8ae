//! Finding the document and judging it.
//!
//! The method, and why: the document is the largest convex, four-sided object whose sides are
//! backed by edges. Edges (Canny) of a reduced frame are closed by one pixel of dilation and
//! traced as contours; each large contour's convex hull is simplified to four corners (the hull
//! keeps a finger on an edge or a shadow from denting the outline); each candidate is scored by
//! how much of its perimeter lies on edges, which a clutter of background contours does not
//! have; the winner's sides are refitted as straight lines through the edge points along them
//! and intersected, so that rounded card corners do not pull the corners inward. Learned
//! detectors do better on extreme clutter, but need a model the size of the app and a runtime;
//! this runs in a few milliseconds, needs nothing, and is measured on the evaluation set
//! (README, "Capture quality").

use image::GrayImage;
use imageproc::point::Point;
use serde::Serialize;

use super::edges::Sobel;
use super::measure::{
    box_reduce, colour_reduced, largest_glare_blob, percentiles, sharpness, stretch_contrast,
};
use super::{Corner, Depth, QualitySettings};

/// Long edge of the reduced frame the outline is searched in (the finer of the two scales).
const WORK_EDGE: u32 = 640;
/// Long edge of the one reduced frame a preview frame's outline is searched in.
const PREVIEW_WORK_EDGE: u32 = 320;
/// Width of the rectified document the sharpness, glare and exposure are measured on: a fixed
/// scale, so that a near and a far document are judged alike.
const MEASURE_WIDTH: u32 = 640;
/// Smallest candidate, as a share of the reduced frame.
const MIN_CANDIDATE_AREA: f64 = 0.02;
/// Largest candidate: a quadrilateral covering more of the frame is the frame's own outline
/// traced through a texture (a document that close would be cut off anyway).
const MAX_CANDIDATE_AREA: f64 = 0.8;
/// Least share of a candidate's perimeter that must lie on edges.
const MIN_EDGE_SUPPORT: f32 = 0.55;
/// The same for a candidate found in the colour plane.
const MIN_COLOUR_EDGE_SUPPORT: f32 = 0.8;
/// Edge support of a luma outline past which the colour plane is not searched.
const CONFIDENT_EDGE_SUPPORT: f32 = 0.9;
/// A cut candidate of a shape no whole document has counts this much of its score against
/// whole ones (see `find_at_scale`).
const CUT_CANDIDATE_WEIGHT: f32 = 0.5;
/// A cut candidate of a document's shape counts this much.
const CUT_PLAUSIBLE_WEIGHT: f32 = 0.7;
/// Long side over short side of plausible documents, with room for perspective: ID-1 cards
/// are 1.586, passport data pages (TD3) about 1.42, TD2 1.41, A4 and letters 1.41.
const ASPECT_RANGE: std::ops::RangeInclusive<f32> = 1.2..=1.9;

/// A problem with a document photo, as a stable code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentProblem {
    /// No document outline was found.
    NoDocument,
    /// A corner is outside the frame or at its edge.
    CutOff,
    /// The document is too far away: too few pixels to read it.
    TooSmall,
    /// The document is out of focus or moved.
    Blurry,
    /// A reflection hides part of the document.
    Glare,
    /// The document is too dark.
    TooDark,
    /// The document is overexposed.
    TooBright,
}

impl DocumentProblem {
    /// The stable code (`no_document`, `cut_off`, ...).
    pub fn code(self) -> &'static str {
        match self {
            DocumentProblem::NoDocument => "no_document",
            DocumentProblem::CutOff => "cut_off",
            DocumentProblem::TooSmall => "too_small",
            DocumentProblem::Blurry => "blurry",
            DocumentProblem::Glare => "glare",
            DocumentProblem::TooDark => "too_dark",
            DocumentProblem::TooBright => "too_bright",
        }
    }
}

/// The numbers behind a document verdict.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct DocumentMetrics {
    /// The document's area as a share of the frame.
    pub fill: f32,
    /// Its long side, in the frame's pixels.
    pub width_px: f32,
    /// Long side over short side.
    pub aspect: f32,
    /// How much of the outline lies on edges (0 to 1).
    pub edge_support: f32,
    /// High-frequency share of the contrast inside the document, at a fixed scale.
    pub sharpness: f32,
    /// The largest clipped highlight, as a share of the document.
    pub glare: f32,
    /// Luma percentiles inside the document: 5th, 50th, 95th.
    pub luma: [u8; 3],
}

/// What the engine sees of a document photo.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct DocumentReport {
    /// The corners, clockwise from the top-left as the document reads (assumed upright within
    /// 45°), in the frame's pixel coordinates.
    pub corners: Option<[Corner; 4]>,
    /// The measurements.
    pub metrics: DocumentMetrics,
    /// What is wrong, most important first; empty when usable.
    pub problems: Vec<DocumentProblem>,
}

impl DocumentReport {
    /// Whether the photo can be uploaded.
    pub fn usable(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Finds the document in a frame's luma and judges it.
pub fn analyze_document(luma: &GrayImage, settings: &QualitySettings) -> DocumentReport {
    analyze_document_in_colour(luma, None, settings)
}

/// `analyze_document`, also searching the frame's colour (`colour_of` of `rgb`, made only when
/// luma finds no clear outline) for the outline: a tinted document on a grey or white ground
/// of the same brightness (a pink passport page against a bright sky) has an edge in colour
/// that luma does not show. The judgement is the luma's.
pub fn analyze_document_in_colour(
    luma: &GrayImage,
    rgb: Option<&image::RgbImage>,
    settings: &QualitySettings,
) -> DocumentReport {
    analyze_document_at(luma, rgb, settings, Depth::Full)
}

/// `analyze_document_in_colour` searched as thoroughly as `depth` says.
pub fn analyze_document_at(
    luma: &GrayImage,
    rgb: Option<&image::RgbImage>,
    settings: &QualitySettings,
    depth: Depth,
) -> DocumentReport {
    let Some(corners) = find_document(luma, rgb, depth) else {
        return DocumentReport {
            corners: None,
            metrics: DocumentMetrics::default(),
            problems: vec![DocumentProblem::NoDocument],
        };
    };
    let (metrics, problems) = judge(luma, &corners.points, corners.support, settings);
    DocumentReport {
        corners: Some(corners.points),
        metrics,
        problems,
    }
}

fn judge(
    luma: &GrayImage,
    corners: &[Corner; 4],
    support: f32,
    settings: &QualitySettings,
) -> (DocumentMetrics, Vec<DocumentProblem>) {
    let (frame_w, frame_h) = (luma.width() as f32, luma.height() as f32);
    let side = |a: usize, b: usize| distance(corners[a], corners[b]);
    let (top, right, bottom, left) = (side(0, 1), side(1, 2), side(2, 3), side(3, 0));
    let horizontal = (top + bottom) / 2.0;
    let vertical = (left + right) / 2.0;
    let (long, short) = (horizontal.max(vertical), horizontal.min(vertical).max(1.0));
    let fill = polygon_area(corners) / (frame_w * frame_h);
    // The document's inside, rectified at a fixed scale, without its outer 5% (the edge and
    // whatever lies beyond it).
    let inner = super::crop::rectify_luma(luma, corners, MEASURE_WIDTH, -0.05);
    let mut metrics = DocumentMetrics {
        fill,
        width_px: long,
        aspect: long / short,
        edge_support: support,
        sharpness: sharpness(&inner),
        glare: 0.0,
        luma: percentiles(&inner),
    };
    // A specular reflection is clipped white, brighter than the paper around it; white paper
    // well exposed is not: the level counts only well above the document's median.
    let level = settings
        .glare_level
        .max(metrics.luma[1].saturating_add(20).min(254));
    metrics.glare = largest_glare_blob(&inner, level, metrics.luma[1]);
    metrics.sharpness = (metrics.sharpness * 100.0).round() / 100.0;
    let mut problems = Vec::new();
    let margin = settings.edge_margin * frame_w.min(frame_h);
    let outside = corners.iter().any(|&[x, y]| {
        x < margin || y < margin || x > frame_w - 1.0 - margin || y > frame_h - 1.0 - margin
    });
    if outside {
        problems.push(DocumentProblem::CutOff);
    }
    if long < settings.min_document_px as f32 || fill < settings.min_document_fill {
        problems.push(DocumentProblem::TooSmall);
    }
    let [_, median, _] = metrics.luma;
    if median < settings.dark_median {
        problems.push(DocumentProblem::TooDark);
    } else if median > settings.bright_median {
        problems.push(DocumentProblem::TooBright);
    }
    if metrics.glare > settings.max_glare {
        problems.push(DocumentProblem::Glare);
    }
    // A dark picture's noise and a glare patch's flat white say nothing about focus.
    if metrics.sharpness < settings.min_document_sharpness
        && !problems.contains(&DocumentProblem::TooDark)
    {
        problems.push(DocumentProblem::Blurry);
    }
    (metrics, problems)
}

/// Four corners and how well edges back them.
struct Found {
    points: [Corner; 4],
    support: f32,
}

/// The document's outline in full-frame coordinates, if there is one.
fn find_document(luma: &GrayImage, rgb: Option<&image::RgbImage>, depth: Depth) -> Option<Found> {
    // Two scales: the finer one places the corners best; in the coarser one a background's
    // texture (bricks, gravel, grass) has faded out, so it no longer joins the document's
    // outline. The best-scored candidate of either wins (scores are shares of the frame).
    // The colour plane only at the coarser scale: a camera's colour is coarser than its luma
    // (4:2:0), and its candidates' edges are scored in colour alike.
    // A preview frame is searched at the coarser scale only (a fifth of the work): its outline
    // steers the customer, and the still is searched at both before it is used.
    let long_edge = luma.width().max(luma.height());
    let fine = long_edge.div_ceil(WORK_EDGE).max(1);
    let factors = match depth {
        Depth::Full => vec![fine, fine * 2],
        Depth::Preview => vec![long_edge.div_ceil(PREVIEW_WORK_EDGE).max(1)],
    };
    let coarsest = factors.iter().copied().max().unwrap_or(fine);
    let by_score = |a: &(f32, Found), b: &(f32, Found)| a.0.total_cmp(&b.0);
    let in_luma = factors
        .into_iter()
        .filter_map(|factor| {
            find_at_scale(box_reduce(luma, factor), factor, MIN_EDGE_SUPPORT, depth)
        })
        .max_by(by_score);
    // An outline that edges back nearly all round is the document: the colour search (a
    // colour pass over the whole frame and a third search) is for frames where luma found
    // nothing that clear (a pale document on a ground of its brightness).
    let confident = in_luma
        .as_ref()
        .is_some_and(|(_, found)| found.support >= CONFIDENT_EDGE_SUPPORT);
    // A colour plane also outlines the coloured print inside a document (a tinted panel), so
    // its candidates must be backed by edges along more of their outline than luma's.
    // A preview frame's colour plane is searched at half the luma's scale (long edge 160 px):
    // a busy frame with no document ran both searches in full, 10-11 ms, now 7.3 ms; the
    // evaluation's preview verdicts are the same at 12 and 24 frames a class (README).
    let colour_factor = match depth {
        Depth::Full => coarsest,
        Depth::Preview => coarsest * 2,
    };
    let in_colour = rgb.filter(|_| !confident).and_then(|rgb| {
        let colour = colour_reduced(rgb, colour_factor);
        find_at_scale(colour, colour_factor, MIN_COLOUR_EDGE_SUPPORT, depth)
    });
    in_luma
        .into_iter()
        .chain(in_colour)
        .max_by(by_score)
        .map(|(_, found)| found)
}

/// The best candidate in `work`, the frame reduced by `factor`, with its score, in full-frame
/// coordinates.
fn find_at_scale(
    mut work: GrayImage,
    factor: u32,
    min_support: f32,
    depth: Depth,
) -> Option<(f32, Found)> {
    stretch_contrast(&mut work);
    let edges = super::edges::canny(&work, 10.0, 30.0);
    let gradients = Gradients {
        sobel: Sobel::of(&work),
        edges: &edges,
    };
    let closed = super::edges::dilate(&edges, 1);
    let frame_area = f64::from(work.width()) * f64::from(work.height());
    // Contours of the closed edges (a border broken by print or a finger), and of the raw ones
    // (a border touched by background clutter, which closing would merge with it).
    let mut contours = super::edges::find_contours(&closed);
    contours.extend(super::edges::find_contours(&edges));
    // And the outlines of the light and of the dark regions (Otsu's split, opened so that
    // thin bridges to the background break): paper on a darker desk, or the reverse, is one
    // region even where its edge is too soft or too busy for the edge detector.
    let level = imageproc::contrast::otsu_level(&work);
    for kind in [
        imageproc::contrast::ThresholdType::Binary,
        imageproc::contrast::ThresholdType::BinaryInverted,
    ] {
        let regions = imageproc::contrast::threshold(&work, level, kind);
        let opened = super::edges::open(&regions, 2);
        contours.extend(super::edges::find_contours(&opened));
    }
    let mut best: Option<(f32, Found)> = None;
    for contour in &contours {
        // A contour whose bounding box is smaller than the least candidate cannot hold one:
        // most of a textured frame's hundreds of contours end here, before a hull is made.
        if contour.len() < 20 || bounding_box_area(contour) < MIN_CANDIDATE_AREA * frame_area {
            continue;
        }
        let hull = super::edges::convex_hull(contour);
        if imageproc::geometry::contour_area(&hull) < MIN_CANDIDATE_AREA * frame_area {
            continue;
        }
        // A quadrilateral, its refitted sides (better unless a side's refit went astray),
        // and a refit of those (settling sides its corners had pulled astray): whichever the
        // edges back most, of those that could be a document.
        let best_fit = |quad: [Corner; 4]| {
            let refined = refine(&quad, &gradients);
            let twice = refined.as_ref().and_then(|quad| refine(quad, &gradients));
            [Some(quad), refined, twice]
                .into_iter()
                .flatten()
                .filter(|quad| {
                    near_frame_border(quad, work.width(), work.height(), 0.06) < 3
                        && plausible_angles(quad)
                        && f64::from(polygon_area(quad)) < MAX_CANDIDATE_AREA * frame_area
                })
                .map(|quad| {
                    let support = edge_support(&gradients, &quad, work.width(), work.height());
                    (quad, support)
                })
                .max_by(|a, b| a.1.total_cmp(&b.1))
        };
        let from_hull = quadrilateral(&hull).and_then(best_fit);
        // Background texture touching the page (a stone, a blade of grass, the print of a
        // desk) bulges the outline, and the hull's corners follow the bulge; the page's sides
        // are still the outline's longest straight stretches. Tried when the hull's fit is
        // not backed nearly all round, and on stills only: a preview's outline steers the
        // customer, and the still is searched again before it is used (this search costs a
        // preview frame 0.5-0.9 ms, 10%).
        let from_sides = if depth == Depth::Preview
            || from_hull
                .as_ref()
                .is_some_and(|(_, support)| *support >= CONFIDENT_EDGE_SUPPORT)
        {
            None
        } else {
            // Whole in the frame only: lines that run to the frame's edge come from an outline
            // joined to background that runs off it (a white cup above a page), which the
            // hull's candidates and the weights for cut ones already judge.
            quad_of_longest_sides(contour)
                .and_then(best_fit)
                .filter(|(quad, _)| on_frame_border(quad, work.width(), work.height()) == 0)
        };
        // Each is judged on its own: one better backed by edges but of no document's shape
        // must not hide the other.
        for (quad, support) in from_hull.into_iter().chain(from_sides) {
            let aspect = aspect_of(&quad);
            // A document pushed off the frame shows only part of itself, of any proportion.
            let cut = on_frame_border(&quad, work.width(), work.height()) > 0;
            // Even then, no sliver: half an ID-1 card cut across its height is 3.2 to 1.
            let plausible = if cut {
                aspect <= 3.2
            } else {
                ASPECT_RANGE.contains(&aspect)
            };
            if support < min_support || !plausible {
                continue;
            }
            let area = f64::from(polygon_area(&quad)) / frame_area;
            // Larger wins over better-backed: a passport's photo box or a card's chip is a
            // well-edged quadrilateral inside the document. But a candidate the frame cuts can be
            // a whole document joined to background structure that runs off the frame (a mast
            // beside a passport, brick courses), so it is weighed down against whole ones: by
            // `CUT_PLAUSIBLE_WEIGHT`, and by `CUT_CANDIDATE_WEIGHT` when only the laxer aspect rule
            // for cut documents lets it in (a whole one would be too long): then it must be more
            // than twice the size of a whole one to win. A document really cut off has no whole
            // candidate that large (its photo box and its MRZ are far smaller).
            let cut_penalty = match (cut, ASPECT_RANGE.contains(&aspect)) {
                (false, _) => 1.0,
                (true, true) => CUT_PLAUSIBLE_WEIGHT,
                (true, false) => CUT_CANDIDATE_WEIGHT,
            };
            let score = (area as f32) * support * support * cut_penalty;
            if best.as_ref().is_none_or(|(s, _)| score > *s) {
                best = Some((
                    score,
                    Found {
                        points: quad,
                        support,
                    },
                ));
            }
        }
    }
    let (score, mut found) = best?;
    // Back to the full frame: a reduced pixel's centre is `factor` pixels' centre.
    let scale = factor as f32;
    for corner in &mut found.points {
        *corner = [
            (corner[0] + 0.5) * scale - 0.5,
            (corner[1] + 0.5) * scale - 0.5,
        ];
    }
    Some((score, found))
}

/// Four corners of a convex hull: simplified with Douglas-Peucker until at most a handful of
/// points are left, then the four of those that span the largest area.
fn quadrilateral(hull: &[Point<i32>]) -> Option<[Corner; 4]> {
    if hull.len() < 4 {
        return None;
    }
    let perimeter = imageproc::geometry::arc_length(hull, true);
    let mut simplified = hull.to_vec();
    let mut epsilon = 0.01 * perimeter;
    while simplified.len() > 8 && epsilon < 0.1 * perimeter {
        simplified = imageproc::geometry::approximate_polygon_dp(hull, epsilon, true);
        epsilon *= 1.5;
    }
    if simplified.len() < 4 {
        return None;
    }
    let points: Vec<Corner> = simplified
        .iter()
        .map(|p| [p.x as f32, p.y as f32])
        .collect();
    let n = points.len();
    let mut best = (0.0f32, [0usize; 4]);
    for a in 0..n {
        for b in a + 1..n {
            for c in b + 1..n {
                for d in c + 1..n {
                    let quad = [points[a], points[b], points[c], points[d]];
                    let area = polygon_area(&quad);
                    if area > best.0 {
                        best = (area, [a, b, c, d]);
                    }
                }
            }
        }
    }
    let [a, b, c, d] = best.1;
    Some(order_corners([points[a], points[b], points[c], points[d]]))
}

/// Four corners where the lines through an outline's four longest straight stretches meet
/// (in the order they follow each other round it), if those are a document's four sides.
fn quad_of_longest_sides(contour: &[Point<i32>]) -> Option<[Corner; 4]> {
    let perimeter = imageproc::geometry::arc_length(contour, true);
    let simplified = imageproc::geometry::approximate_polygon_dp(contour, 0.01 * perimeter, true);
    let n = simplified.len();
    if n < 4 {
        return None;
    }
    // Each stretch: where it starts, where it ends, and its length.
    let stretches: Vec<(Corner, Corner, f32)> = (0..n)
        .map(|i| {
            let (a, b) = (simplified[i], simplified[(i + 1) % n]);
            let (a, b) = ([a.x as f32, a.y as f32], [b.x as f32, b.y as f32]);
            (a, b, distance(a, b))
        })
        .collect();
    let mut longest: Vec<usize> = (0..n).collect();
    longest.sort_by(|&a, &b| stretches[b].2.total_cmp(&stretches[a].2));
    longest.truncate(4);
    longest.sort_unstable();
    let lines: Vec<(Corner, Corner)> = longest
        .iter()
        .map(|&i| {
            let (a, b, length) = stretches[i];
            let length = length.max(f32::EPSILON);
            (a, [(b[0] - a[0]) / length, (b[1] - a[1]) / length])
        })
        .collect();
    let mut corners = [[0.0f32; 2]; 4];
    for (k, corner) in corners.iter_mut().enumerate() {
        // Neighbouring sides that are nearly parallel (two stretches of one side) meet
        // nowhere reliable: then these are not four sides.
        *corner = intersect(&lines[k], &lines[(k + 1) % 4])?;
    }
    Some(order_corners(corners))
}

/// Clockwise (in image coordinates, y down) from the corner nearest the frame's top-left.
fn order_corners(mut corners: [Corner; 4]) -> [Corner; 4] {
    let cx = corners.iter().map(|c| c[0]).sum::<f32>() / 4.0;
    let cy = corners.iter().map(|c| c[1]).sum::<f32>() / 4.0;
    corners.sort_by(|a, b| {
        let angle = |c: &Corner| (c[1] - cy).atan2(c[0] - cx);
        angle(a).total_cmp(&angle(b))
    });
    let start = (0..4)
        .min_by(|&i, &j| {
            let key = |c: Corner| c[0] + c[1];
            key(corners[i]).total_cmp(&key(corners[j]))
        })
        .unwrap_or(0);
    corners.rotate_left(start);
    corners
}

/// Refits each side as the least-squares line through the edge pixels along it and intersects
/// neighbouring sides: the corners of the straight edges, not of the rounded or fingered
/// corners of the traced outline. Along each side, at regular steps, one edge pixel facing
/// across it is taken within a band (see below); the fit is trimmed of far points and repeated.
fn refine(quad: &[Corner; 4], gradients: &Gradients) -> Option<[Corner; 4]> {
    let centre = [
        quad.iter().map(|c| c[0]).sum::<f32>() / 4.0,
        quad.iter().map(|c| c[1]).sum::<f32>() / 4.0,
    ];
    let mut lines = Vec::with_capacity(4);
    for side in 0..4 {
        let (a, b) = (quad[side], quad[(side + 1) % 4]);
        let length = distance(a, b);
        if length < 8.0 {
            return None;
        }
        let direction = [(b[0] - a[0]) / length, (b[1] - a[1]) / length];
        let mut normal = [-direction[1], direction[0]];
        // Outward: away from the quad's centre.
        let mid = [(a[0] + b[0]) / 2.0, (a[1] + b[1]) / 2.0];
        if (mid[0] - centre[0]) * normal[0] + (mid[1] - centre[1]) * normal[1] < 0.0 {
            normal = [-normal[0], -normal[1]];
        }
        let band = (0.06 * length).max(4.0) as i32;
        let steps = (length as usize / 2).clamp(10, 200);
        let mut points = Vec::with_capacity(steps);
        let mut aligned: Vec<(f32, Corner)> = Vec::with_capacity(2 * band as usize + 1);
        // The offsets across the side, outermost first, as displacements: the same for every
        // step along it.
        let across: Vec<Corner> = (-band..=band)
            .rev()
            .map(|offset| [offset as f32 * normal[0], offset as f32 * normal[1]])
            .collect();
        for step in 0..steps {
            let t = 0.1 + 0.8 * step as f32 / (steps - 1) as f32;
            let base = [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])];
            // Of the edges facing across the side, the outermost that is at least half as
            // strong as the strongest: print lies inside the border, and a soft drop shadow's
            // edge outside it is much weaker than the document's own.
            aligned.clear();
            for displacement in &across {
                let x = round_to_i32(base[0] + displacement[0]);
                let y = round_to_i32(base[1] + displacement[1]);
                if let Some((_, magnitude)) = gradients.edge_across(x, y, normal) {
                    aligned.push((magnitude, [x as f32, y as f32]));
                }
            }
            let peak = aligned.iter().map(|(m, _)| *m).fold(0.0f32, f32::max);
            // Magnitudes are squared: half the strength is a quarter.
            let strongest = aligned.iter().find(|(m, _)| *m >= 0.25 * peak);
            let outermost = strongest.map(|(_, point)| *point);
            points.extend(outermost);
        }
        if points.len() < steps / 3 {
            return None;
        }
        // Trimmed least squares: fit, keep the points near the line, fit again.
        let mut line = fit_line(&points)?;
        for tolerance in [4.0, 2.5, 1.5] {
            let kept: Vec<Corner> = points
                .iter()
                .copied()
                .filter(|p| line_distance(&line, *p) < tolerance)
                .collect();
            if kept.len() < steps / 4 {
                break;
            }
            line = fit_line(&kept)?;
        }
        lines.push(line);
    }
    let mut corners = [[0.0; 2]; 4];
    for (index, corner) in corners.iter_mut().enumerate() {
        // Corner `index` joins side `index - 1` (into it) and side `index` (out of it).
        let before = &lines[(index + 3) % 4];
        let after = &lines[index];
        let point = intersect(before, after)?;
        // A refit that moves a corner far is a bad fit, not a better corner.
        if distance(point, quad[index]) > 0.25 * distance(quad[0], quad[2]) {
            return None;
        }
        *corner = point;
    }
    Some(corners)
}

fn line_distance(line: &(Corner, Corner), p: Corner) -> f32 {
    let ([px, py], [dx, dy]) = *line;
    ((p[0] - px) * dy - (p[1] - py) * dx).abs()
}

/// A line through `points`: a point on it and its unit direction (total least squares).
fn fit_line(points: &[Corner]) -> Option<(Corner, Corner)> {
    let n = points.len() as f32;
    let mx = points.iter().map(|p| p[0]).sum::<f32>() / n;
    let my = points.iter().map(|p| p[1]).sum::<f32>() / n;
    let (mut sxx, mut sxy, mut syy) = (0.0f32, 0.0f32, 0.0f32);
    for p in points {
        let (dx, dy) = (p[0] - mx, p[1] - my);
        sxx += dx * dx;
        sxy += dx * dy;
        syy += dy * dy;
    }
    let angle = 0.5 * (2.0 * sxy).atan2(sxx - syy);
    let direction = [angle.cos(), angle.sin()];
    direction[0].is_finite().then_some(([mx, my], direction))
}

fn intersect(first: &(Corner, Corner), second: &(Corner, Corner)) -> Option<Corner> {
    let ((p, r), (q, s)) = (first, second);
    let cross = r[0] * s[1] - r[1] * s[0];
    if cross.abs() < 0.2 {
        // Nearly parallel (under ~11°): no reliable corner.
        return None;
    }
    let t = ((q[0] - p[0]) * s[1] - (q[1] - p[1]) * s[0]) / cross;
    Some([p[0] + t * r[0], p[1] + t * r[1]])
}

/// Edges of the reduced frame and their gradients.
struct Gradients<'a> {
    sobel: Sobel,
    edges: &'a GrayImage,
}

/// Whether every corner's angle is one a rectangle can show when tilted towards the camera by
/// up to about 30° (60° to 120°), and the quadrilateral is convex.
fn plausible_angles(quad: &[Corner; 4]) -> bool {
    (0..4).all(|i| {
        let (before, at, after) = (quad[(i + 3) % 4], quad[i], quad[(i + 1) % 4]);
        let u = [before[0] - at[0], before[1] - at[1]];
        let v = [after[0] - at[0], after[1] - at[1]];
        let cross = u[0] * v[1] - u[1] * v[0];
        let cosine = (u[0] * v[0] + u[1] * v[1]) / (u[0].hypot(u[1]) * v[0].hypot(v[1])).max(1e-6);
        // Clockwise in image coordinates: every turn has the same sign.
        cross < 0.0 && cosine.abs() <= 0.5
    })
}

impl Gradients<'_> {
    /// At an edge pixel whose gradient runs across a line with unit `normal` (within about
    /// 25°): the gradient's component along the normal (its sign is the contrast's direction)
    /// and its squared magnitude. None off the image, off the edges, or along the line.
    fn edge_across(&self, x: i32, y: i32, normal: Corner) -> Option<(f32, f32)> {
        let (width, height) = self.edges.dimensions();
        if x < 0 || y < 0 || x >= width as i32 || y >= height as i32 {
            return None;
        }
        // Inside: one index for the edge map and the gradients (the same layout).
        let index = y as usize * width as usize + x as usize;
        if self.edges.as_raw()[index] == 0 {
            return None;
        }
        let (gx, gy) = (self.sobel.x[index], self.sobel.y[index]);
        let (gx, gy) = (f32::from(gx), f32::from(gy));
        let across = gx * normal[0] + gy * normal[1];
        let magnitude = gx * gx + gy * gy;
        // cos(25°)^2: the gradient's share along the normal, squared.
        (across * across >= 0.82 * magnitude).then_some((across, magnitude))
    }
}

/// How many corners lie on the frame's border (within 2% of its size).
fn on_frame_border(quad: &[Corner; 4], width: u32, height: u32) -> usize {
    near_frame_border(quad, width, height, 0.02)
}

/// How many corners lie within `share` of the frame's short side of its border.
fn near_frame_border(quad: &[Corner; 4], width: u32, height: u32, share: f32) -> usize {
    let (w, h) = (width as f32, height as f32);
    let margin = share * w.min(h);
    quad.iter()
        .filter(|[x, y]| {
            *x <= margin || *y <= margin || *x >= w - 1.0 - margin || *y >= h - 1.0 - margin
        })
        .count()
}

/// The share of points sampled along the outline that have, within 2 pixels, an edge pixel
/// whose gradient runs across the side (within about 25°). A document's side is one straight
/// edge; a texture has edges everywhere but in every direction, so a line drawn through it
/// finds few that face the right way.
fn edge_support(gradients: &Gradients, quad: &[Corner; 4], frame_w: u32, frame_h: u32) -> f32 {
    // A side along the frame's border is where the frame cuts the document: it has no edge.
    let on_border = |c: &Corner| on_frame_border(&[*c; 4], frame_w, frame_h) > 0;
    let mut on_edge = 0u32;
    let mut samples = 0u32;
    for side in 0..4 {
        let (a, b) = (quad[side], quad[(side + 1) % 4]);
        if on_border(&a) && on_border(&b) {
            continue;
        }
        let length = distance(a, b).max(1.0);
        let normal = [-(b[1] - a[1]) / length, (b[0] - a[0]) / length];
        let steps = (length as u32).clamp(8, 400);
        // Hits whose gradient points out of the quadrilateral, and into it. A document's side
        // is one contrast (paper lighter, or darker, than what lies beyond) along its length;
        // a line through unrelated structures changes sign, so only the larger count counts.
        let (mut outward, mut inward) = (0u32, 0u32);
        for step in 0..steps {
            let t = (step as f32 + 0.5) / steps as f32;
            let (x, y) = (
                round_to_i32(a[0] + t * (b[0] - a[0])),
                round_to_i32(a[1] + t * (b[1] - a[1])),
            );
            samples += 1;
            let mut sign = 0i8;
            'search: for dy in -2..=2 {
                for dx in -2..=2 {
                    if let Some((across, _)) = gradients.edge_across(x + dx, y + dy, normal) {
                        sign = if across > 0.0 { 1 } else { -1 };
                        break 'search;
                    }
                }
            }
            match sign {
                1 => outward += 1,
                -1 => inward += 1,
                _ => {}
            }
        }
        on_edge += outward.max(inward);
    }
    on_edge as f32 / samples.max(1) as f32
}

/// `value.round() as i32` (half away from zero, saturating, NaN to 0) without a call to
/// libm's `roundf`, which the baseline x86-64 target has no instruction for: the search rounds
/// tens of thousands of sample positions per frame. Exact: a float less its truncation is
/// exact, so the comparison with one half decides as `round` does.
fn round_to_i32(value: f32) -> i32 {
    let whole = value as i32;
    let fraction = value - whole as f32;
    // Without branches: which way a sample position rounds is a coin toss to the branch
    // predictor (cachegrind: the side refit's mispredictions fell from 78k to 19k a frame).
    whole
        .saturating_add(i32::from(fraction >= 0.5))
        .saturating_sub(i32::from(fraction <= -0.5))
}

/// The area of the axis-aligned box around `points`: at least any polygon's through them.
fn bounding_box_area(points: &[Point<i32>]) -> f64 {
    let (mut low, mut high) = ([i32::MAX; 2], [i32::MIN; 2]);
    for point in points {
        low = [low[0].min(point.x), low[1].min(point.y)];
        high = [high[0].max(point.x), high[1].max(point.y)];
    }
    f64::from(high[0].saturating_sub(low[0])) * f64::from(high[1].saturating_sub(low[1]))
}

fn aspect_of(quad: &[Corner; 4]) -> f32 {
    let side = |a: usize, b: usize| distance(quad[a], quad[b]);
    let horizontal = (side(0, 1) + side(2, 3)) / 2.0;
    let vertical = (side(1, 2) + side(3, 0)) / 2.0;
    horizontal.max(vertical) / horizontal.min(vertical).max(1.0)
}

fn distance(a: Corner, b: Corner) -> f32 {
    (a[0] - b[0]).hypot(a[1] - b[1])
}

/// The area of a simple polygon (shoelace formula).
fn polygon_area(points: &[Corner]) -> f32 {
    let n = points.len();
    let twice: f32 = (0..n)
        .map(|i| {
            let (a, b) = (points[i], points[(i + 1) % n]);
            a[0] * b[1] - b[0] * a[1]
        })
        .sum();
    twice.abs() / 2.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_without_libm_rounds_as_round_does() {
        let mut values = vec![
            0.0f32,
            -0.0,
            0.5,
            -0.5,
            1.5,
            2.5,
            -2.5,
            0.49999997,
            -0.49999997,
            8_388_607.5,
            8_388_609.0,
            3.0e9,
            -3.0e9,
            f32::NAN,
            f32::INFINITY,
            f32::NEG_INFINITY,
        ];
        // Every quarter-pixel step, and its neighbouring floats, across a frame.
        for step in -8_000..8_000 {
            let value = step as f32 * 0.25;
            values.extend([value, value.next_up(), value.next_down()]);
        }
        for value in values {
            assert_eq!(round_to_i32(value), value.round() as i32, "{value}");
        }
    }

    #[test]
    fn corners_are_ordered_clockwise_from_the_top_left() {
        let ordered = order_corners([[100.0, 90.0], [10.0, 5.0], [0.0, 80.0], [110.0, 12.0]]);
        assert_eq!(
            ordered,
            [[10.0, 5.0], [110.0, 12.0], [100.0, 90.0], [0.0, 80.0]]
        );
    }

    #[test]
    fn a_card_on_a_plain_background_is_found_with_its_corners() {
        let mut frame = GrayImage::from_pixel(1280, 720, image::Luma([60]));
        let corners = [
            [300.0, 150.0],
            [1000.0, 170.0],
            [985.0, 600.0],
            [290.0, 580.0],
        ];
        for y in 0..720 {
            for x in 0..1280 {
                if inside(&corners, [x as f32, y as f32]) {
                    // Print on the card, so that it is sharp inside.
                    let ink = (x / 7 + y / 11) % 5 == 0;
                    frame.put_pixel(x, y, image::Luma([if ink { 40 } else { 200 }]));
                }
            }
        }
        let report = analyze_document(&frame, &QualitySettings::default());
        let found = report.corners.expect("found");
        for (got, want) in found.iter().zip(&corners) {
            assert!(distance(*got, *want) < 6.0, "{found:?} vs {corners:?}");
        }
        assert!(report.usable(), "{report:?}");
    }

    fn inside(quad: &[Corner; 4], p: Corner) -> bool {
        (0..4).all(|i| {
            let (a, b) = (quad[i], quad[(i + 1) % 4]);
            (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]) >= 0.0
        })
    }
}
