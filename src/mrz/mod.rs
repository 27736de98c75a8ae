//! The MRZ reader: finds the machine-readable zone (ICAO 9303) on a document photo, reads its
//! OCR-B characters and verifies every check digit. Pure and self-contained: an image in, a
//! reading out; the OCR-B font it matches against ships in `assets/fonts`, nothing is
//! downloaded and no OCR engine is needed.
//!
//! 1. `locate`: dark blobs on a local threshold, chained into lines; the MRZ is two or three
//!    long lines of one height and one left end, one above the other.
//! 2. The lines give the layout (3 lines: TD1; 2 lines of about 36 or 44 characters: TD2 or TD3,
//!    visas by their `V`) and a grid of character cells, each snapped to its blob.
//! 3. `glyphs`: every cell is compared with the 37 OCR-B characters (normalised
//!    cross-correlation) and read as the best one that its position may hold (`layout`).
//! 4. A failed check digit is mended only by a runner-up character that makes it agree, and only
//!    where the runner-up scored nearly as well; then the `mrz` crate parses the fields.
//!
//! A reading is `valid` only when every check digit agrees *and* every character that no
//! check digit covers (the names, the document code, the states) was read with a clear margin
//! over its runner-up: a check digit cannot see a wrong letter in a name.
//!
//! Privacy: a reading holds names, numbers and dates. `MrzReading` is not `Debug` or
//! `Serialize`; its `mrz::MrzData` is wiped when dropped (the crate's `zeroize` feature), and so
//! are the recognised lines. The kiosk keeps only `MrzSummary`, which holds none of them.

mod alpha3;
mod countries;
mod glyphs;
mod layout;
mod locate;

use image::{GrayImage, RgbImage};
use zeroize::Zeroize;

pub use countries::{alpha2_for_mrz_state, is_mrz_state};
pub use layout::{Layout, check_digit};

use crate::api::ProcessDocumentType;
use glyphs::{ALPHABET, CELL_HEIGHT, CELL_MARGIN, CELL_WIDTH, Cell};
use layout::{Kind, check_holds};
use locate::{Line, median};

/// Narrowest outline, in the photo's pixels, whose rectified document is read first.
const MIN_OUTLINE_WIDTH: u32 = 400;
/// Lowest correlation for a character to count as read.
const MIN_SCORE: f32 = 0.55;
/// Least lead of a character no check digit covers over its runner-up, for a valid reading.
const MIN_UNCHECKED_MARGIN: f32 = 0.03;
/// How much worse a runner-up may score and still be tried to mend a failed check digit.
const MEND_WINDOW: f32 = 0.08;
/// How close a runner-up must score to make a reading ambiguous.
const AMBIGUITY_WINDOW: f32 = 0.04;
/// The most runner-ups tried per failed check digit.
const MEND_CANDIDATES: usize = 24;

/// What was read on one image. Holds personal data: see the module's privacy note.
pub struct MrzReading {
    /// Two or three MRZ-like lines were found.
    pub found: bool,
    /// Their layout, when the lines had a known length.
    pub layout: Option<Layout>,
    /// Every check digit agrees and every unchecked character was read clearly.
    pub valid: bool,
    /// Each check digit the layout prints, and whether it agrees.
    pub checks: Vec<(&'static str, bool)>,
    /// The parsed fields (wiped on drop).
    pub data: Option<mrz::MrzData>,
    /// The recognised lines (wiped on drop).
    lines: Vec<Vec<u8>>,
    /// The zone was read on the whole photo, and better than on the document rectified from
    /// the outline given (or the outline was too narrow to hold one): the outline is around
    /// something inside the document (its portrait, a panel), so a crop to it would cut the
    /// zone, and most of the document, away.
    pub outside_outline: bool,
}

impl Drop for MrzReading {
    fn drop(&mut self) {
        for line in &mut self.lines {
            line.zeroize();
        }
    }
}

impl MrzReading {
    fn absent() -> Self {
        MrzReading {
            found: false,
            layout: None,
            valid: false,
            checks: Vec::new(),
            data: None,
            lines: Vec::new(),
            outside_outline: false,
        }
    }

    /// Which of two readings of one photo to keep: valid, then read in some layout, then found.
    fn rank(&self) -> u8 {
        u8::from(self.found) + u8::from(self.layout.is_some()) + 2 * u8::from(self.valid)
    }

    /// The recognised lines, for staff debugging (`mrz --show-fields`) and tests only.
    pub fn lines(&self) -> Vec<String> {
        self.lines
            .iter()
            .map(|l| String::from_utf8_lossy(l).into_owned())
            .collect()
    }

    /// The document code as printed (`P`, `ID`, `IR`, `V`), fillers removed.
    pub fn document_code(&self) -> Option<String> {
        self.lines.first().map(|l| {
            String::from_utf8_lossy(&l[..2])
                .trim_end_matches('<')
                .to_string()
        })
    }

    /// The issuing state's code as printed (`LTU`, `D`, `UTO`), fillers removed.
    pub fn issuing_state(&self) -> Option<String> {
        self.lines.first().map(|l| {
            String::from_utf8_lossy(&l[2..5])
                .trim_end_matches('<')
                .to_string()
        })
    }

    /// Whether the document expired before `today` (None without a readable expiry date).
    pub fn expired(&self, today: chrono::NaiveDate) -> Option<bool> {
        let expiry = self.data.as_ref()?.date_of_expiry.calendar()?;
        let expiry = chrono::NaiveDate::from_ymd_opt(expiry.year, expiry.month, expiry.day)?;
        Some(expiry < today)
    }

    /// What the kiosk keeps of this reading: no name, number or date.
    pub fn summary(&self, today: chrono::NaiveDate) -> MrzSummary {
        let status = if self.valid {
            MrzStatus::Valid
        } else if self.found {
            MrzStatus::Invalid
        } else {
            MrzStatus::Absent
        };
        let valid = self.valid;
        MrzSummary {
            status,
            layout: self.layout,
            document: valid
                .then(|| self.document_code())
                .flatten()
                .and_then(|code| document_type_for_code(&code)),
            country: valid
                .then(|| self.issuing_state())
                .flatten()
                .and_then(|state| alpha2_for_mrz_state(&state))
                .map(str::to_string),
            expired: if valid { self.expired(today) } else { None },
        }
    }
}

/// Today's date (UTC) for the expiry check: a document is valid through its expiry date, so
/// at most the hours between UTC and local midnight are judged a day early or late.
pub fn today() -> chrono::NaiveDate {
    chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now()).date_naive()
}

/// Whether a photo's MRZ could be read, for the journal (`mrz: valid | invalid | absent`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MrzStatus {
    /// Read, with every check digit agreeing.
    Valid,
    /// Found, but not read with every check digit agreeing.
    Invalid,
    /// No MRZ found.
    Absent,
}

impl MrzStatus {
    /// The journal's and the CLI's word for it.
    pub fn code(self) -> &'static str {
        match self {
            MrzStatus::Valid => "valid",
            MrzStatus::Invalid => "invalid",
            MrzStatus::Absent => "absent",
        }
    }
}

/// What the kiosk keeps of a reading: nothing personal (no name, number or date), only what
/// it acts on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MrzSummary {
    /// Read, unreadable, or not there.
    pub status: MrzStatus,
    /// The layout found.
    pub layout: Option<Layout>,
    /// The document type its code names (valid readings only).
    pub document: Option<ProcessDocumentType>,
    /// The issuing state as alpha-2 (valid readings only; None for codes of no country).
    pub country: Option<String>,
    /// Whether the document has expired (valid readings only).
    pub expired: Option<bool>,
}

/// The `/process` document type for an MRZ document code (ICAO 9303 part 4 to 7):
/// - `P...`: a passport;
/// - `I`, `A` or `C` with `R` second (`IR`, `AR`, `CR`): a residence permit, the code the EU's
///   uniform residence permit cards (Regulation 1030/2002) and several issuers use;
/// - any other `I...`, `A...`, `C...`: an identity card;
/// - `V...` (visas) and anything else: none, so the customer chooses.
pub fn document_type_for_code(code: &str) -> Option<ProcessDocumentType> {
    let mut chars = code.chars();
    match (chars.next(), chars.next()) {
        (Some('P'), _) => Some(ProcessDocumentType::Passport),
        (Some('I' | 'A' | 'C'), Some('R')) => Some(ProcessDocumentType::ResidencePermit),
        (Some('I' | 'A' | 'C'), _) => Some(ProcessDocumentType::IdCard),
        _ => None,
    }
}

/// Reads the MRZ of a document photo: on the document rectified from `corners` when they are
/// known (the quality engine's outline), and on the whole image when they are not known or when the
/// rectified document gives no valid reading (an outline around the wrong thing, or one that
/// clips the zone).
pub fn read_document(rgb: &RgbImage, corners: Option<&[crate::quality::Corner; 4]>) -> MrzReading {
    // An outline narrower than this holds no readable zone (a passport's 44 characters would
    // be under 8 pixels apart): it is around something else, and the whole photo is read at
    // once rather than after a wasted read.
    let on_crop =
        corners.filter(|corners| crate::quality::crop_size(corners, 0.02).0 >= MIN_OUTLINE_WIDTH);
    let on_crop = on_crop.map(|corners| {
        let mut crop = crate::quality::crop_document(rgb, corners, 0.02);
        let reading = read(&crate::quality::luma_of(&crop));
        crate::imaging::wipe_slice(&mut crop);
        reading
    });
    let mut reading = match on_crop {
        Some(reading) if reading.valid => return reading,
        Some(reading) => {
            let whole = read(&crate::quality::luma_of(rgb));
            if whole.rank() > reading.rank() {
                whole
            } else {
                return reading;
            }
        }
        None => read(&crate::quality::luma_of(rgb)),
    };
    reading.outside_outline = corners.is_some() && reading.found;
    reading
}

/// Reads the MRZ on a luma image: upright first, then turned half round (a page held upside
/// down) when no MRZ was found.
pub fn read(luma: &GrayImage) -> MrzReading {
    let Some(work) = working_scale(luma) else {
        return MrzReading::absent();
    };
    let reading = read_upright(&work);
    if reading.found {
        return reading;
    }
    read_upright(&image::imageops::rotate180(&work))
}

/// The image at 1000 to 1600 pixels wide: a document photo's MRZ characters are then 12 to 40
/// pixels tall, enough to tell them apart and few enough to search fast.
fn working_scale(luma: &GrayImage) -> Option<GrayImage> {
    let (w, h) = luma.dimensions();
    if w < 40 || h < 20 {
        return None;
    }
    let target = w.clamp(1000, 1600);
    if target == w {
        return Some(luma.clone());
    }
    let height = ((h as f64 * target as f64 / w as f64).round() as u32).max(1);
    crate::imaging::resize_luma(luma, target, height).ok()
}

fn read_upright(work: &GrayImage) -> MrzReading {
    let radius = (work.width() / 50).max(8);
    let binary = locate::binarize(work, radius);
    let lines = locate::lines(locate::blobs(&binary));
    let Some(block) = locate::mrz_block(lines) else {
        return MrzReading::absent();
    };
    let mut reading = MrzReading::absent();
    reading.found = true;
    let Some((layout, cells)) = cells_of(work, &block) else {
        return reading;
    };
    let font_scores: Vec<Vec<[f32; 37]>> = cells
        .iter()
        .map(|line| line.iter().map(glyphs::scores).collect())
        .collect();
    let (style, mut font_scores) = in_own_style(layout, &cells, font_scores);
    let mut scores = with_own_print(layout, &cells, font_scores.clone());
    favour_digits(layout, &mut font_scores);
    favour_digits(layout, &mut scores);
    // A visa's first character is V: the same geometry as TD3/TD2, other fields.
    let layout = match (layout, best_in(&scores[0][0], Kind::Alpha).0) {
        (Layout::Td3, b'V') => Layout::MrvA,
        (Layout::Td2, b'V') => Layout::MrvB,
        (layout, _) => layout,
    };
    let opinions = Opinions {
        scores: &scores,
        font_scores: &font_scores,
        cells: &cells,
        style,
    };
    decode(layout, &opinions, reading)
}

/// Picks the layout and samples every character cell of the block.
fn cells_of(work: &GrayImage, block: &[Line]) -> Option<(Layout, Vec<Vec<Cell>>)> {
    let mut pitches: Vec<f32> = block.iter().map(Line::pitch).collect();
    let pitch_estimate = median(&mut pitches);
    if pitch_estimate <= 0.0 {
        return None;
    }
    let mut counts: Vec<f32> = block
        .iter()
        .map(|l| (l.right() - l.left()) / pitch_estimate + 1.0)
        .collect();
    let count = median(&mut counts);
    let layout = match block.len() {
        3 => Layout::Td1,
        _ if (count - 36.0).abs() < (count - 44.0).abs() => Layout::Td2,
        _ => Layout::Td3,
    };
    let width = layout.width();
    // Each line's pitch is its span over the gaps between its first and last character, with
    // up to three characters lost at one end (glare, a finger); the hypothesis whose grid the
    // line's characters sit on best wins. Lines with both ends give the pitch and the left end
    // the others borrow.
    let fitted: Vec<(usize, f32)> = block
        .iter()
        .map(|line| {
            let span = line.right() - line.left();
            (0..4)
                .map(|lost| {
                    let pitch = span / (width - 1 - lost) as f32;
                    (lost, pitch, grid_misfit(line, pitch))
                })
                .min_by(|a, b| a.2.total_cmp(&b.2))
                .map(|(lost, pitch, _)| (lost, pitch))
                .unwrap_or((0, pitch_estimate))
        })
        .collect();
    let whole: Vec<(&Line, f32)> = block
        .iter()
        .zip(&fitted)
        .filter(|(_, (lost, _))| *lost == 0)
        .map(|(line, (_, pitch))| (line, *pitch))
        .collect();
    if whole.is_empty() {
        return None;
    }
    let mut exact: Vec<f32> = whole.iter().map(|(_, pitch)| *pitch).collect();
    let pitch = median(&mut exact);
    let mut lefts: Vec<f32> = whole.iter().map(|(l, _)| l.left()).collect();
    let common_left = median(&mut lefts);
    let cells = block
        .iter()
        .map(|line| {
            let left = if (line.left() - common_left).abs() < 0.5 * pitch {
                line.left()
            } else {
                common_left
            };
            (0..width)
                .map(|k| {
                    let expected = left + k as f32 * pitch;
                    // Snap to the character's own blob: print and crop are not perfectly even.
                    let x = line
                        .blobs
                        .iter()
                        .map(|b| b.centre_x())
                        .min_by(|a, b| (a - expected).abs().total_cmp(&(b - expected).abs()))
                        .filter(|x| (x - expected).abs() < 0.3 * pitch)
                        .unwrap_or(expected);
                    sample_cell(work, x, line.baseline_at(x), line.cap)
                })
                .collect()
        })
        .collect();
    Some((layout, cells))
}

/// How far a line's characters sit from a grid of `pitch` starting at its first character: the
/// mean distance to the nearest grid point, in pitches.
fn grid_misfit(line: &Line, pitch: f32) -> f32 {
    let left = line.left();
    let total: f32 = line
        .blobs
        .iter()
        .map(|b| {
            let steps = (b.centre_x() - left) / pitch;
            (steps - steps.round()).abs()
        })
        .sum();
    total / line.blobs.len().max(1) as f32
}

/// The character centred at `x` on the baseline `baseline`, as a normalised cell (ink high).
/// The cell has the font's own width for the measured cap height, not the measured pitch, so
/// that a character keeps its proportions (OCR-B's `0` and `O` differ mostly in width) however
/// the line is spaced.
fn sample_cell(work: &GrayImage, x: f32, baseline: f32, cap: f32) -> Cell {
    let mut cell = [0f32; CELL_WIDTH * CELL_HEIGHT];
    let pitch = cap * glyphs::templates().pitch_per_cap;
    let left = x - pitch / 2.0;
    let top = baseline - cap * (1.0 + CELL_MARGIN);
    let step_x = pitch / CELL_WIDTH as f32;
    let step_y = cap * (1.0 + 2.0 * CELL_MARGIN) / CELL_HEIGHT as f32;
    let (w, h) = work.dimensions();
    let at = |px: f32, py: f32| -> f32 {
        let px = px.clamp(0.0, (w - 1) as f32);
        let py = py.clamp(0.0, (h - 1) as f32);
        let (x0, y0) = (px.floor() as u32, py.floor() as u32);
        let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
        let (fx, fy) = (px - x0 as f32, py - y0 as f32);
        let p = |x, y| f32::from(work.get_pixel(x, y).0[0]);
        let top = p(x0, y0) * (1.0 - fx) + p(x1, y0) * fx;
        let bottom = p(x0, y1) * (1.0 - fx) + p(x1, y1) * fx;
        255.0 - (top * (1.0 - fy) + bottom * fy)
    };
    for (i, value) in cell.iter_mut().enumerate() {
        let (cx, cy) = ((i % CELL_WIDTH) as f32, (i / CELL_WIDTH) as f32);
        // Four samples per cell pixel: an area average, like the templates'.
        let mut sum = 0.0;
        for (ox, oy) in [(0.25, 0.25), (0.75, 0.25), (0.25, 0.75), (0.75, 0.75)] {
            sum += at(left + (cx + ox) * step_x, top + (cy + oy) * step_y);
        }
        *value = sum / 4.0;
    }
    glyphs::normalise(&mut cell);
    cell
}

/// Rescores every cell with the one template style (stroke weight and blur) that fits this
/// document's clearly read characters best. Letting each character pick its own style favours
/// the characters whose bold or blurred form happens to resemble the cell.
fn in_own_style(
    layout: Layout,
    cells: &[Vec<Cell>],
    scores: Vec<Vec<[f32; 37]>>,
) -> (usize, Vec<Vec<[f32; 37]>>) {
    let mut fit = [0f32; glyphs::VARIANTS];
    let mut clear = 0;
    for (l, line) in cells.iter().enumerate() {
        for (c, cell) in line.iter().enumerate() {
            let kind = layout.kind(l, c);
            let (best, score, margin) = best_in(&scores[l][c], kind);
            if !matches!(kind, Kind::Alpha | Kind::Digit)
                || score < EXEMPLAR_SCORE
                || margin < EXEMPLAR_MARGIN
            {
                continue;
            }
            let Some(index) = ALPHABET.iter().position(|&a| a == best) else {
                continue;
            };
            for (f, v) in fit.iter_mut().zip(glyphs::variant_scores(cell, index)) {
                *f += v;
            }
            clear += 1;
        }
    }
    if clear < 8 {
        return (0, scores);
    }
    let style = (0..glyphs::VARIANTS)
        .max_by(|&a, &b| fit[a].total_cmp(&fit[b]))
        .unwrap_or(0);
    let rescored = cells
        .iter()
        .map(|line| {
            line.iter()
                .map(|cell| glyphs::scores_for_variant(cell, style))
                .collect()
        })
        .collect();
    (style, rescored)
}

/// A clear reading to learn the document's own print from: the position allows only letters or
/// only digits, and the character won by a wide margin.
const EXEMPLAR_SCORE: f32 = 0.7;
const EXEMPLAR_MARGIN: f32 = 0.06;

/// Rescores every cell against the document's own print as well as the font: the characters
/// read clearly where a position allows only digits (dates, check digits) or only letters (names,
/// states) are averaged per character into exemplars, and a cell's score for a character is the
/// better of the font's and the exemplar's. Printers and cameras draw OCR-B a little
/// differently; this settles `0`/`O`, `5`/`S`, `2`/`Z` and `8`/`B` in the document number and
/// optional data, where both kinds may stand, by how this document prints each.
fn with_own_print(
    layout: Layout,
    cells: &[Vec<Cell>],
    mut scores: Vec<Vec<[f32; 37]>>,
) -> Vec<Vec<[f32; 37]>> {
    let mut sums: Vec<Option<Cell>> = vec![None; 37];
    let mut learned: Vec<(usize, usize, usize)> = Vec::new();
    for (l, line) in cells.iter().enumerate() {
        for (c, cell) in line.iter().enumerate() {
            let kind = layout.kind(l, c);
            if !matches!(kind, Kind::Alpha | Kind::Digit) {
                continue;
            }
            let (best, score, margin) = best_in(&scores[l][c], kind);
            if score < EXEMPLAR_SCORE || margin < EXEMPLAR_MARGIN {
                continue;
            }
            let Some(index) = ALPHABET.iter().position(|&a| a == best) else {
                continue;
            };
            let sum = sums[index].get_or_insert([0f32; CELL_WIDTH * CELL_HEIGHT]);
            sum.iter_mut().zip(cell).for_each(|(s, v)| *s += v);
            learned.push((l, c, index));
        }
    }
    let exemplars: Vec<(usize, Cell)> = sums
        .into_iter()
        .enumerate()
        .filter_map(|(i, sum)| {
            sum.map(|mut cell| {
                glyphs::normalise(&mut cell);
                (i, cell)
            })
        })
        .collect();
    let own = |exemplar: &Cell, cell: &Cell| -> f32 {
        exemplar.iter().zip(cell).map(|(a, b)| a * b).sum()
    };
    // An exemplar matches its own print better than the font does, by some gain. Characters
    // that did not occur clearly elsewhere on the document have no exemplar: they get the mean
    // gain, so that `3` is not read as `8` only because the dates held an 8 and no 3.
    let gains: Vec<f32> = learned
        .iter()
        .filter_map(|&(l, c, index)| {
            let exemplar = exemplars.iter().find(|(i, _)| *i == index)?;
            Some(own(&exemplar.1, &cells[l][c]) - scores[l][c][index])
        })
        .collect();
    let gain = if gains.is_empty() {
        0.0
    } else {
        (gains.iter().sum::<f32>() / gains.len() as f32).max(0.0)
    };
    for (line, line_scores) in cells.iter().zip(scores.iter_mut()) {
        for (cell, cell_scores) in line.iter().zip(line_scores.iter_mut()) {
            let font = *cell_scores;
            for (index, score) in cell_scores.iter_mut().enumerate() {
                *score = match exemplars.iter().find(|(i, _)| *i == index) {
                    Some((_, exemplar)) => font[index].max(own(exemplar, cell)),
                    None => font[index] + gain,
                };
            }
        }
    }
    scores
}

/// Head start of a digit over a letter where both may stand.
const DIGIT_PRIOR: f32 = 0.04;

/// Where a position may hold a letter or a digit (document and personal numbers, optional
/// data), digits get a small head start: those fields are mostly digits, and OCR-B's `0`/`O`,
/// `5`/`S`, `8`/`B` differ by a few pixels in a webcam's picture. A letter that is really
/// there still wins clearly, and the field's check digit catches the rest.
fn favour_digits(layout: Layout, scores: &mut [Vec<[f32; 37]>]) {
    for (l, line) in scores.iter_mut().enumerate() {
        for (c, cell) in line.iter_mut().enumerate() {
            if layout.kind(l, c) == Kind::Any {
                cell[..10].iter_mut().for_each(|s| *s += DIGIT_PRIOR);
            }
        }
    }
}

/// Whether a position of `kind` is first read as `c`. Where letters and digits may both stand,
/// `O` is read as `0`: printers draw the two alike (many issuers' zeros are as round as the
/// font's O), and a pair of them swapped cancels out in a check digit. A real `O` there fails
/// the check digit and comes back through `mend`, which may try it.
fn allowed(kind: Kind, c: u8) -> bool {
    match kind {
        Kind::Any => c != b'O',
        _ => may_hold(kind, c),
    }
}

/// Whether a position of `kind` may hold `c` at all.
fn may_hold(kind: Kind, c: u8) -> bool {
    match kind {
        Kind::Alpha => c.is_ascii_uppercase() || c == b'<',
        Kind::Digit => c.is_ascii_digit() || c == b'<',
        Kind::Any => true,
        Kind::Sex => matches!(c, b'F' | b'M' | b'X' | b'<'),
    }
}

/// The best character a position may hold, its score and its lead over the runner-up.
fn best_in(scores: &[f32; 37], kind: Kind) -> (u8, f32, f32) {
    let mut ranked: Vec<(u8, f32)> = ALPHABET
        .iter()
        .zip(scores)
        .filter(|(c, _)| allowed(kind, **c))
        .map(|(c, s)| (*c, *s))
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    let (c, s) = ranked[0];
    (c, s, s - ranked.get(1).map(|r| r.1).unwrap_or(0.0))
}

/// What the recogniser thinks of every cell.
struct Opinions<'a> {
    /// Font and the document's own print: these decide.
    scores: &'a [Vec<[f32; 37]>],
    /// The font alone, in the document's style: a second opinion on characters no check digit
    /// covers, since an exemplar can favour one of two similar characters only because the
    /// other did not occur elsewhere on the document.
    font_scores: &'a [Vec<[f32; 37]>],
    cells: &'a [Vec<Cell>],
    /// The template style (`glyphs::VARIANTS`) chosen for the document.
    style: usize,
}

/// Reads the characters under the layout's rules, mends failed check digits where one
/// close runner-up alone agrees, and parses the fields.
fn decode(layout: Layout, opinions: &Opinions, mut reading: MrzReading) -> MrzReading {
    let (scores, font_scores) = (opinions.scores, opinions.font_scores);
    reading.layout = Some(layout);
    let mut lines: Vec<Vec<u8>> = Vec::new();
    for (l, line) in scores.iter().enumerate() {
        let mut text = Vec::with_capacity(line.len());
        for (c, cell) in line.iter().enumerate() {
            let kind = layout.kind(l, c);
            text.push(best_in(cell, kind).0);
        }
        lines.push(text);
    }
    // The states are codes from a known list: the best-scoring code wins, and they count as
    // checked when no other code scores nearly as well.
    let mut confirmed: Vec<(usize, usize)> = Vec::new();
    for (l, c) in layout.state_fields() {
        if let Some(code) = best_state(&scores[l][c..c + 3]) {
            lines[l][c..c + 3].copy_from_slice(&code);
            confirmed.extend((c..c + 3).map(|column| (l, column)));
        }
    }
    // A character no check digit covers must be read clearly by both opinions, and the same.
    let clear = lines.iter().enumerate().all(|(l, line)| {
        (0..line.len()).all(|c| {
            let kind = layout.kind(l, c);
            let (best, score, margin) = best_in(&scores[l][c], kind);
            let (font_best, _, _) = best_in(&font_scores[l][c], kind);
            score >= MIN_SCORE
                && (layout.checked(l, c)
                    || confirmed.contains(&(l, c))
                    || (best == b'<' && margin >= MIN_UNCHECKED_MARGIN)
                    || (best == font_best && decisive(opinions, l, c, kind)))
        })
    });
    let checks = layout.checks();
    // Field checks first, then the composite over what is left.
    let (composite, fields): (Vec<_>, Vec<_>) = checks.iter().partition(|c| c.name == "composite");
    for check in fields.iter().chain(composite.iter()) {
        if check_holds(check, &lines) {
            continue;
        }
        let mut positions: Vec<(usize, usize)> = check
            .covers
            .iter()
            .flat_map(|(l, range)| range.clone().map(move |c| (*l, c)))
            .collect();
        positions.push(check.digit);
        if check.name == "composite" {
            // Do not undo a field that its own check digit already confirmed.
            positions.retain(|&(l, c)| {
                !fields.iter().any(|f| {
                    f.digit == (l, c) || f.covers.iter().any(|(fl, r)| *fl == l && r.contains(&c))
                })
            });
        }
        mend(layout, scores, &mut lines, check, &positions);
    }
    reading.checks = checks
        .iter()
        .map(|c| (c.name, check_holds(c, &lines)))
        .collect();
    let all_hold = reading.checks.iter().all(|(_, ok)| *ok);
    reading.data = parse(layout, &lines);
    reading.valid = all_hold
        && clear
        && reading.data.is_some()
        && !ambiguous(layout, opinions, &lines, &checks);
    reading.lines = lines;
    reading
}

/// Least lead of the chosen character over each rival that scores nearly as well, measured
/// only where the two templates differ (the bottom bar that tells E from F), for characters no
/// check digit covers.
const MIN_PAIR_LEAD: f32 = 0.05;

/// Whether the cell's character beats every close rival where their templates differ: the
/// cell's projection on the difference of the two templates, over the difference's length.
/// A whole-cell correlation barely moves for a missing bar; this measure moves fully.
fn decisive(opinions: &Opinions, l: usize, c: usize, kind: Kind) -> bool {
    let scores = &opinions.scores[l][c];
    let (best, top, _) = best_in(scores, kind);
    let Some(a) = ALPHABET.iter().position(|&x| x == best) else {
        return false;
    };
    ALPHABET.iter().enumerate().all(|(b, &rival)| {
        b == a
            || !allowed(kind, rival)
            || top - scores[b] > 0.15
            || pair_lead(opinions, l, c, a, b) >= MIN_PAIR_LEAD
    })
}

/// How much more the cell looks like character `a` than `b` where their templates differ: the
/// cell's projection on the difference of the two, over the difference's length.
fn pair_lead(opinions: &Opinions, l: usize, c: usize, a: usize, b: usize) -> f32 {
    let templates = &glyphs::templates().glyphs;
    let (ta, tb) = (&templates[a][opinions.style], &templates[b][opinions.style]);
    let mut along = 0.0;
    let mut length = 0.0;
    for ((x, y), v) in ta.iter().zip(tb).zip(&opinions.cells[l][c]) {
        along += (x - y) * v;
        length += (x - y) * (x - y);
    }
    if length > 0.0 {
        along / length.sqrt()
    } else {
        0.0
    }
}

/// The state code as read, when it is a code an MRZ may hold and no other such code scores
/// within `AMBIGUITY_WINDOW` of it.
fn best_state(cells: &[[f32; 37]]) -> Option<[u8; 3]> {
    let options: Vec<Vec<(u8, f32)>> = cells
        .iter()
        .map(|scores| {
            let mut ranked: Vec<(u8, f32)> = ALPHABET
                .iter()
                .zip(scores)
                .filter(|(c, _)| allowed(Kind::Alpha, **c))
                .map(|(c, s)| (*c, *s))
                .collect();
            ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
            ranked.truncate(4);
            ranked
        })
        .collect();
    let mut codes: Vec<([u8; 3], f32)> = Vec::new();
    for a in &options[0] {
        for b in &options[1] {
            for c in &options[2] {
                let code = [a.0, b.0, c.0];
                if is_mrz_state(std::str::from_utf8(&code).unwrap_or("")) {
                    codes.push((code, a.1 + b.1 + c.1));
                }
            }
        }
    }
    codes.sort_by(|x, y| y.1.total_cmp(&x.1));
    // Only the code read character by character is confirmed: a misread is no code, but
    // neither is every code an issuer prints (old specimens carry BDR), so nothing is replaced.
    let read: Vec<u8> = options.iter().map(|o| o[0].0).collect();
    match codes.as_slice() {
        [(best, _)] if best[..] == read[..] => Some(*best),
        [(best, s), (_, t), ..] if best[..] == read[..] && s - t >= AMBIGUITY_WINDOW => Some(*best),
        _ => None,
    }
}

/// Whether another reading, one or two characters away and nearly as likely, would pass every
/// check digit too. Check digits cannot tell such readings apart (`3`/`8` twice in one field can
/// cancel out, as can `O`/`0` with a digit beside it), so neither is valid: the kiosk asks for
/// a better photo rather than trust a coin toss.
fn ambiguous(
    layout: Layout,
    opinions: &Opinions,
    lines: &[Vec<u8>],
    checks: &[layout::Check],
) -> bool {
    let scores = opinions.scores;
    let mut near: Vec<(usize, usize, u8)> = Vec::new();
    for (l, line) in lines.iter().enumerate() {
        for (c, &current) in line.iter().enumerate() {
            if !layout.checked(l, c) {
                continue;
            }
            let kind = layout.kind(l, c);
            let Some(at) = ALPHABET.iter().position(|&a| a == current) else {
                continue;
            };
            let own = scores[l][c][at];
            for (rival, (ch, s)) in ALPHABET.iter().zip(&scores[l][c]).enumerate() {
                if *ch != current
                    && allowed(kind, *ch)
                    && own - s < AMBIGUITY_WINDOW
                    && pair_lead(opinions, l, c, at, rival) < MIN_PAIR_LEAD
                {
                    near.push((l, c, *ch));
                }
            }
        }
    }
    let mut trial = lines.to_vec();
    let holds = |trial: &[Vec<u8>]| checks.iter().all(|check| check_holds(check, trial));
    for (i, &(l, c, ch)) in near.iter().enumerate() {
        trial[l][c] = ch;
        if holds(&trial) {
            return true;
        }
        for &(l2, c2, ch2) in &near[i + 1..] {
            if (l2, c2) == (l, c) {
                continue;
            }
            trial[l2][c2] = ch2;
            let both = holds(&trial);
            trial[l2][c2] = lines[l2][c2];
            if both {
                return true;
            }
        }
        trial[l][c] = lines[l][c];
    }
    false
}

/// Tries each single runner-up within `MEND_WINDOW` of the best, and keeps it when it is the
/// only one that makes `check` agree.
fn mend(
    layout: Layout,
    scores: &[Vec<[f32; 37]>],
    lines: &mut [Vec<u8>],
    check: &layout::Check,
    positions: &[(usize, usize)],
) {
    let mut candidates: Vec<(f32, usize, usize, u8)> = Vec::new();
    for &(l, c) in positions {
        let kind = layout.kind(l, c);
        let (_, best, _) = best_in(&scores[l][c], kind);
        for (ch, s) in ALPHABET.iter().zip(&scores[l][c]) {
            if may_hold(kind, *ch) && *ch != lines[l][c] && best - s < MEND_WINDOW {
                candidates.push((best - s, l, c, *ch));
            }
        }
    }
    candidates.sort_by(|a, b| a.0.total_cmp(&b.0));
    candidates.truncate(MEND_CANDIDATES);
    // Only a mend that is the one way to make the digit agree: with two dozen runner-ups, some
    // wrong one agrees by chance about as often as not.
    let mut trial: Vec<Vec<u8>> = lines.to_vec();
    let mut fixes = Vec::new();
    for &(_, l, c, ch) in &candidates {
        trial[l][c] = ch;
        if check_holds(check, &trial) {
            fixes.push((l, c, ch));
        }
        trial[l][c] = lines[l][c];
    }
    if let [(l, c, ch)] = fixes[..] {
        lines[l][c] = ch;
    }
}

fn parse(layout: Layout, lines: &[Vec<u8>]) -> Option<mrz::MrzData> {
    let text: Vec<&str> = lines
        .iter()
        .map(|l| std::str::from_utf8(l).unwrap_or(""))
        .collect();
    match (layout, text.as_slice()) {
        (Layout::Td1, [a, b, c]) => mrz::parse_td1(a, b, c).ok(),
        (Layout::Td2, [a, b]) => mrz::parse_td2(a, b).ok(),
        (Layout::Td3, [a, b]) => mrz::parse_td3(a, b).ok(),
        (Layout::MrvA, [a, b]) => mrz::parse_mrv_a(a, b).ok(),
        (Layout::MrvB, [a, b]) => mrz::parse_mrv_b(a, b).ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_codes_map_to_the_process_types() {
        assert_eq!(
            document_type_for_code("P"),
            Some(ProcessDocumentType::Passport)
        );
        assert_eq!(
            document_type_for_code("PD"),
            Some(ProcessDocumentType::Passport)
        );
        assert_eq!(
            document_type_for_code("I"),
            Some(ProcessDocumentType::IdCard)
        );
        assert_eq!(
            document_type_for_code("ID"),
            Some(ProcessDocumentType::IdCard)
        );
        assert_eq!(
            document_type_for_code("C"),
            Some(ProcessDocumentType::IdCard)
        );
        assert_eq!(
            document_type_for_code("IR"),
            Some(ProcessDocumentType::ResidencePermit)
        );
        assert_eq!(
            document_type_for_code("AR"),
            Some(ProcessDocumentType::ResidencePermit)
        );
        assert_eq!(document_type_for_code("V"), None);
        assert_eq!(document_type_for_code(""), None);
    }
}
