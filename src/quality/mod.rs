//! The capture quality engine: what the kiosk sees in a picture before it spends a token.
//! Pure: frames in, reports out; no egui, tokio or camera code, so it runs on any thread and is
//! tested on real pictures.
//!
//! - `analyze_document` finds the document's four corners and judges the document itself (its
//!   size in the frame, whether it is cut off, sharp, glary, dark or bright);
//! - `analyze_face` finds faces with SeetaFace's frontal model (shipped in `assets/models`) and
//!   judges the face;
//! - `crop_document` rectifies the document into an upright rectangle with a margin.
//!
//! Every judgement is a stable problem code, so that the capture screen, the journal and the
//! `check` command speak of the same things.

mod crop;
mod document;
mod edges;
mod face;
mod measure;

pub use crop::{crop_document, crop_size};
pub use document::{
    DocumentMetrics, DocumentProblem, DocumentReport, analyze_document, analyze_document_at,
    analyze_document_in_colour,
};
pub use face::{FaceMetrics, FaceProblem, FaceReport, analyze_face, analyze_face_at};
pub use measure::{colour_of, luma_of};

use image::RgbImage;
use serde::{Deserialize, Serialize};

/// A point in the analysed image's pixel coordinates.
pub type Corner = [f32; 2];

/// How thoroughly a picture is searched. A preview frame is judged on every camera frame and
/// only steers the customer and the auto-capture; a still or a file is judged once, and its
/// verdict decides (an auto-captured still is judged again at `Full` before it is used). Both
/// judge with the same thresholds; `Preview` only searches less.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Depth {
    /// The outline at one coarse scale, faces in a frame half as wide (a face under about 9%
    /// of the frame's width is not found, where `Full` finds it too small).
    Preview,
    /// The outline at two scales, for corners exact enough to crop by.
    Full,
}

/// The thresholds behind every verdict (`[quality]` in the config). The defaults come from the
/// evaluation set's measurements (README, "Capture quality").
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QualitySettings {
    /// Rectify every uploaded document photo to its corners (with `crop_margin`).
    pub crop_documents: bool,
    /// Margin kept around a rectified document, as a share of its size (its edges stay visible
    /// for fraud checks).
    pub crop_margin: f32,
    /// Narrowest document, in pixels across its long side: about 150 dpi on an ID-1 card, what an
    /// MRZ reader needs.
    pub min_document_px: u32,
    /// Smallest share of the frame the document must cover.
    pub min_document_fill: f32,
    /// A corner closer than this share of the frame's short side to an edge is cut off.
    pub edge_margin: f32,
    /// Lowest document sharpness (high-frequency share of the contrast, at a fixed scale).
    pub min_document_sharpness: f32,
    /// Largest clipped highlight allowed, as a share of the document's area. 1%: between the
    /// largest highlight measured on a good photo of the evaluation set (0.86%, white form
    /// fields on a bright page) and the smallest glare (1.8%).
    pub max_glare: f32,
    /// Luma at or above which a pixel is clipped.
    pub glare_level: u8,
    /// Median luma below which a document or face is too dark.
    pub dark_median: u8,
    /// Median luma above which it is too bright.
    pub bright_median: u8,
    /// Smallest face width, as a share of the frame's width.
    pub min_face_width: f32,
    /// Furthest the face's centre may be from the frame's, as a share of the frame's width.
    pub max_face_offset: f32,
    /// Lowest face sharpness.
    pub min_face_sharpness: f32,
    /// Take the photo by itself when every check passes on a steady picture ("Take photo"
    /// stays for a manual one).
    pub auto_capture: bool,
    /// After this many photos of one side fail the checks, "Use anyway" is offered.
    pub use_anyway_after: u32,
    /// Whether the side that carries the MRZ (a passport's photo page, an ID card's back) must
    /// have one that reads with valid check digits before Send: `require` (a retake, unless
    /// staff help), `warn` (the review says so, Send stays), `off` (not read; the customer
    /// always chooses the document type).
    pub mrz: MrzPolicy,
}

/// `[quality] mrz`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MrzPolicy {
    /// An unreadable MRZ blocks the photo.
    Require,
    /// An unreadable MRZ is told; the photo may be used.
    #[default]
    Warn,
    /// The MRZ is not read.
    Off,
}

impl Default for QualitySettings {
    fn default() -> Self {
        Self {
            crop_documents: true,
            crop_margin: 0.04,
            min_document_px: 500,
            min_document_fill: 0.12,
            edge_margin: 0.02,
            min_document_sharpness: 2.0,
            max_glare: 0.01,
            glare_level: 250,
            dark_median: 45,
            bright_median: 235,
            min_face_width: 0.08,
            max_face_offset: 0.22,
            min_face_sharpness: 0.25,
            auto_capture: true,
            use_anyway_after: 3,
            mrz: MrzPolicy::Warn,
        }
    }
}

impl QualitySettings {
    /// Checks every value's range; names the key that is wrong.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        let share = |key: &'static str, value: f32, max: f32| {
            if value.is_finite() && (0.0..=max).contains(&value) {
                Ok(())
            } else {
                Err((key, format!("must be between 0 and {max}")))
            }
        };
        share("quality.crop_margin", self.crop_margin, 0.25)?;
        share("quality.min_document_fill", self.min_document_fill, 1.0)?;
        share("quality.edge_margin", self.edge_margin, 0.2)?;
        share("quality.max_glare", self.max_glare, 1.0)?;
        share("quality.min_face_width", self.min_face_width, 1.0)?;
        share("quality.max_face_offset", self.max_face_offset, 1.0)?;
        share(
            "quality.min_document_sharpness",
            self.min_document_sharpness,
            1000.0,
        )?;
        share(
            "quality.min_face_sharpness",
            self.min_face_sharpness,
            1000.0,
        )?;
        if !(100..=10_000).contains(&self.min_document_px) {
            return Err((
                "quality.min_document_px",
                "must be 100 to 10000 pixels".into(),
            ));
        }
        if self.use_anyway_after > 20 {
            return Err(("quality.use_anyway_after", "must be 0 to 20 photos".into()));
        }
        if self.dark_median >= self.bright_median {
            return Err((
                "quality.dark_median",
                "must be below quality.bright_median".into(),
            ));
        }
        Ok(())
    }
}

/// A problem the engine found in a photo, of either kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Problem {
    /// A document photo's.
    Document(DocumentProblem),
    /// A face photo's.
    Face(FaceProblem),
}

impl Problem {
    /// The stable code (`glare`, `no_face`, ...), as the `check` command and the journal name it.
    pub fn code(self) -> &'static str {
        match self {
            Problem::Document(problem) => problem.code(),
            Problem::Face(problem) => problem.code(),
        }
    }
}

/// The verdict on one photo taken or chosen, as the review shows it and the journal counts it:
/// its problems, most important first. Nothing of the picture itself.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PhotoCheck {
    /// What is wrong, most important first; empty when the photo passed.
    pub problems: Vec<Problem>,
    /// What the MRZ reader made of a document side (None: not read). Nothing personal.
    pub mrz: Option<crate::mrz::MrzSummary>,
}

impl PhotoCheck {
    /// A photo nothing is checked on (a utility bill: a page, not an ID document; the
    /// thresholds are the ID document's).
    pub fn unchecked() -> Self {
        Self::default()
    }

    /// Whether every check passed.
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
    }

    /// The most important problem, if any.
    pub fn first(&self) -> Option<Problem> {
        self.problems.first().copied()
    }
}

impl From<&DocumentReport> for PhotoCheck {
    fn from(report: &DocumentReport) -> Self {
        Self {
            problems: report
                .problems
                .iter()
                .copied()
                .map(Problem::Document)
                .collect(),
            mrz: None,
        }
    }
}

impl From<&FaceReport> for PhotoCheck {
    fn from(report: &FaceReport) -> Self {
        Self {
            problems: report.problems.iter().copied().map(Problem::Face).collect(),
            mrz: None,
        }
    }
}

/// The corners to rectify by: the outline, when the document is whole in the frame.
pub fn whole_document_corners(report: &DocumentReport) -> Option<&[Corner; 4]> {
    report
        .corners
        .as_ref()
        .filter(|_| !report.problems.contains(&DocumentProblem::CutOff))
}

/// The document photo as uploaded, given the engine's report on it: rectified to its corners
/// with the configured margin when the photo passed every check (and `crop_documents` is on);
/// otherwise as it was. A photo sent despite a problem ("Use anyway", a file) is the one whose
/// outline is least to be trusted: on a tight scan, where the document's edge is the image's,
/// the best outline is the portrait or a panel inside it, and a crop to it would send a part
/// of the document. Sent whole, nothing the customer showed is cut away; the service finds the
/// document itself.
pub fn crop_for_upload(
    rgb: RgbImage,
    report: &DocumentReport,
    settings: &QualitySettings,
) -> RgbImage {
    match whole_document_corners(report) {
        Some(corners) if settings.crop_documents && report.usable() => {
            let cropped = crop_document(&rgb, corners, settings.crop_margin);
            // The full frame is a customer's photo too: wiped before it is freed.
            let mut source = rgb;
            crate::imaging::wipe_slice(&mut source);
            cropped
        }
        _ => rgb,
    }
}

/// A real photo from `tests/fixtures` (`backgrounds/brick.jpg`, ...), for the unit tests.
#[cfg(test)]
pub(crate) fn fixture(name: &str) -> image::DynamicImage {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    image::open(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
}
