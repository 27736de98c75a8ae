//! Finding faces and judging the customer's.
//!
//! SeetaFace's frontal detector (`rustface`, a Funnel-Structured cascade) with its model
//! embedded in the binary: no download, no runtime, a few milliseconds on a reduced frame.
//! A kiosk's face is large (the customer stands at arm's length), so the frame is reduced to
//! `WORK_WIDTH` before the search, which is what makes it fast enough for preview frames.

use std::cell::RefCell;

use image::GrayImage;
use serde::Serialize;

use super::measure::{box_reduce, percentiles, sharpness, stretch_contrast};
use super::{Depth, QualitySettings};

/// The model, as the `rustface` crate ships it (assets/models/README.md).
const MODEL: &[u8] = include_bytes!("../../assets/models/seeta_fd_frontal_v1.0.bin");
/// Width of the reduced frame faces are searched in.
const WORK_WIDTH: u32 = 640;
/// The same for a preview frame: a quarter of the pixels. The smallest face found is then
/// about 9% of the frame's width instead of about 5% (see `MIN_FACE`); a customer at a kiosk is
/// at arm's length, far larger.
const PREVIEW_WORK_WIDTH: u32 = 320;
/// Smallest face asked for in the reduced frame, in pixels (the detector's least). rustface
/// 0.1.7 does not use it: its image pyramid starts at the reduced frame's own scale with a
/// 40 px window, so the smallest faces it reports are about 30 px wide (the evaluation's
/// "too small" faces, 93-108 px in a 1920 px frame, are 31-36 px in the 640 px one). A face
/// too far away is then told "come closer" down to about 5% of the frame's width.
const MIN_FACE: u32 = 20;
/// How far the detector's 40 px window moves between tries, in pixels of the reduced frame
/// (SeetaFace's own default).
const WINDOW_STEP: u32 = 4;
/// The same for a preview frame: half the windows, and face preview analysis from 8.2-10.8 to
/// 6.3-8.4 ms on one core. The evaluation's preview agrees with the full verdict on every face
/// class with it, as with 4 (at 8 it missed one good face of eight; README, "Capture quality").
const PREVIEW_WINDOW_STEP: u32 = 6;
/// Detector scores below this are not faces (measured on the evaluation set: backgrounds stay
/// under it, real faces score well above).
const MIN_SCORE: f64 = 2.0;
/// The face region is measured at this width, so that a near and a far face are judged alike.
const MEASURE_WIDTH: u32 = 160;

/// A problem with a face photo, as a stable code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FaceProblem {
    /// No face was found.
    NoFace,
    /// More than one face is in the picture.
    MultipleFaces,
    /// The face is too far away.
    FaceTooSmall,
    /// The face is not in the middle of the picture.
    FaceOffCentre,
    /// The face is out of focus or moved.
    Blurry,
    /// The face is too dark.
    TooDark,
    /// The face is overexposed.
    TooBright,
}

impl FaceProblem {
    /// The stable code (`no_face`, `multiple_faces`, ...).
    pub fn code(self) -> &'static str {
        match self {
            FaceProblem::NoFace => "no_face",
            FaceProblem::MultipleFaces => "multiple_faces",
            FaceProblem::FaceTooSmall => "face_too_small",
            FaceProblem::FaceOffCentre => "face_off_centre",
            FaceProblem::Blurry => "blurry",
            FaceProblem::TooDark => "too_dark",
            FaceProblem::TooBright => "too_bright",
        }
    }
}

/// The numbers behind a face verdict.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct FaceMetrics {
    /// Faces found.
    pub faces: usize,
    /// The face's width as a share of the frame's width.
    pub width_share: f32,
    /// The distance of the face's centre from the frame's, as a share of the frame's width.
    pub offset: f32,
    /// The detector's score for the face.
    pub score: f32,
    /// High-frequency share of the contrast on the face, at a fixed scale.
    pub sharpness: f32,
    /// Luma percentiles on the face: 5th, 50th, 95th.
    pub luma: [u8; 3],
}

/// What the engine sees of a face photo.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct FaceReport {
    /// The largest face: x, y, width, height in the frame's pixels.
    pub face: Option<[u32; 4]>,
    /// The measurements.
    pub metrics: FaceMetrics,
    /// What is wrong, most important first; empty when usable.
    pub problems: Vec<FaceProblem>,
}

impl FaceReport {
    /// Whether the photo can be uploaded.
    pub fn usable(&self) -> bool {
        self.problems.is_empty()
    }
}

thread_local! {
    /// One detector per analysis thread: reading the model takes longer than a detection.
    static DETECTOR: RefCell<Option<Box<dyn rustface::Detector>>> = const { RefCell::new(None) };
}

/// Faces in a grey image, the window moved `step` pixels between tries: (x, y, width,
/// height, score), in its pixels.
fn detect(image: &GrayImage, step: u32) -> Vec<([u32; 4], f64)> {
    if image.width() < MIN_FACE || image.height() < MIN_FACE {
        return Vec::new();
    }
    DETECTOR.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            // The model is compiled in and is read by the tests: it cannot fail to parse.
            let Ok(model) = rustface::read_model(MODEL) else {
                return Vec::new();
            };
            let mut detector = rustface::create_detector_with_model(model);
            detector.set_min_face_size(MIN_FACE);
            detector.set_score_thresh(MIN_SCORE);
            detector.set_pyramid_scale_factor(0.8);
            *slot = Some(detector);
        }
        let Some(detector) = slot.as_mut() else {
            return Vec::new();
        };
        detector.set_slide_window_step(step, step);
        let data = rustface::ImageData::new(image.as_raw(), image.width(), image.height());
        detector
            .detect(&data)
            .into_iter()
            .map(|face| {
                let bbox = face.bbox();
                let x = bbox.x().max(0) as u32;
                let y = bbox.y().max(0) as u32;
                let width = bbox.width().min(image.width().saturating_sub(x));
                let height = bbox.height().min(image.height().saturating_sub(y));
                ([x, y, width, height], face.score())
            })
            .collect()
    })
}

/// Finds the faces in a frame's luma and judges the largest.
pub fn analyze_face(luma: &GrayImage, settings: &QualitySettings) -> FaceReport {
    analyze_face_at(luma, settings, Depth::Full)
}

/// `analyze_face` searched as thoroughly as `depth` says.
pub fn analyze_face_at(luma: &GrayImage, settings: &QualitySettings, depth: Depth) -> FaceReport {
    let work_width = match depth {
        Depth::Full => WORK_WIDTH,
        Depth::Preview => PREVIEW_WORK_WIDTH,
    };
    let factor = luma.width().div_ceil(work_width).max(1);
    let mut work = box_reduce(luma, factor);
    stretch_contrast(&mut work);
    let step = match depth {
        Depth::Full => WINDOW_STEP,
        Depth::Preview => PREVIEW_WINDOW_STEP,
    };
    let mut faces = detect(&work, step);
    faces.sort_by(|a, b| (b.0[2] * b.0[3]).cmp(&(a.0[2] * a.0[3])));
    let Some(&([x, y, w, h], score)) = faces.first() else {
        return FaceReport {
            face: None,
            metrics: FaceMetrics::default(),
            problems: vec![FaceProblem::NoFace],
        };
    };
    let face = [x * factor, y * factor, w * factor, h * factor];
    let (frame_w, frame_h) = (luma.width() as f32, luma.height() as f32);
    let centre = [
        face[0] as f32 + face[2] as f32 / 2.0,
        face[1] as f32 + face[3] as f32 / 2.0,
    ];
    let region = image::imageops::crop_imm(
        luma,
        face[0],
        face[1],
        face[2].min(luma.width() - face[0]).max(1),
        face[3].min(luma.height() - face[1]).max(1),
    )
    .to_image();
    let reduce = (region.width() / MEASURE_WIDTH).max(1);
    let region = box_reduce(&region, reduce);
    let mut metrics = FaceMetrics {
        faces: faces.len(),
        width_share: face[2] as f32 / frame_w,
        offset: (centre[0] - frame_w / 2.0).hypot(centre[1] - frame_h / 2.0) / frame_w,
        score: score as f32,
        sharpness: sharpness(&region),
        luma: percentiles(&region),
    };
    metrics.sharpness = (metrics.sharpness * 100.0).round() / 100.0;
    // A second face counts when it is a real one (not a face in a poster far behind): at
    // least a third of the main face's width.
    let others = faces[1..]
        .iter()
        .filter(|(other, _)| other[2] * 3 >= w)
        .count();
    let mut problems = Vec::new();
    if others > 0 {
        problems.push(FaceProblem::MultipleFaces);
    }
    if metrics.width_share < settings.min_face_width {
        problems.push(FaceProblem::FaceTooSmall);
    }
    if metrics.offset > settings.max_face_offset {
        problems.push(FaceProblem::FaceOffCentre);
    }
    let [_, median, _] = metrics.luma;
    if median < settings.dark_median {
        problems.push(FaceProblem::TooDark);
    } else if median > settings.bright_median {
        problems.push(FaceProblem::TooBright);
    }
    if metrics.sharpness < settings.min_face_sharpness && !problems.contains(&FaceProblem::TooDark)
    {
        problems.push(FaceProblem::Blurry);
    }
    FaceReport {
        face: Some(face),
        metrics,
        problems,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_model_reads_and_finds_no_face_in_a_flat_frame() {
        assert!(rustface::read_model(MODEL).is_ok());
        let report = analyze_face(
            &GrayImage::from_pixel(640, 480, image::Luma([128])),
            &QualitySettings::default(),
        );
        assert_eq!(report.problems, vec![FaceProblem::NoFace]);
    }
}
