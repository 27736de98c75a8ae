//! The 37 MRZ characters as templates rendered from OCR-B (`assets/fonts/OCRB.otf`, the font
//! ICAO 9303 prescribes), and the matching of a printed character's cell against them.
//!
//! Why templates and not a trained classifier: the MRZ is printed in one standard font at one
//! standard size, so the font itself is the ground truth; nothing has to be trained, no weights
//! have to be kept in step with a training script, and every template can be looked at. Print and
//! camera differences (stroke weight, blur, a slight offset) are met by rendering each character
//! at three stroke weights and by comparing smoothed, contrast-normalised cells (normalised
//! cross-correlation), which ignores brightness and contrast.

use std::sync::OnceLock;

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};

/// The characters an MRZ may hold, in this order in every score table.
pub const ALPHABET: &[u8; 37] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ<";

/// Columns of a normalised cell.
pub const CELL_WIDTH: usize = 18;
/// Rows of a normalised cell.
pub const CELL_HEIGHT: usize = 26;
/// Cell rows above the cap height and below the baseline, as a share of the cap height.
pub const CELL_MARGIN: f32 = 0.15;

const FONT: &[u8] = include_bytes!("../../assets/fonts/OCRB.otf");
/// Cap height of the high-resolution rendering the templates are reduced from.
const RENDER_CAP: f32 = 104.0;

/// A cell's pixels, ink high, with zero mean and unit length (so a dot product is the
/// normalised cross-correlation). All zeros for a blank cell.
pub type Cell = [f32; CELL_WIDTH * CELL_HEIGHT];

/// The rendered alphabet.
pub struct Templates {
    /// Per character, its templates (one per stroke weight).
    pub glyphs: Vec<Vec<Cell>>,
    /// The font's character pitch over its cap height: a cell's width for a given cap height.
    pub pitch_per_cap: f32,
}

/// The templates, rendered once on first use (about a millisecond).
pub fn templates() -> &'static Templates {
    static TEMPLATES: OnceLock<Templates> = OnceLock::new();
    TEMPLATES.get_or_init(render_templates)
}

fn render_templates() -> Templates {
    // The font is embedded and parsed by a test (`templates_render_every_character`): a broken
    // font is a build defect, not a runtime condition.
    #[expect(
        clippy::expect_used,
        reason = "the embedded font is checked by a unit test"
    )]
    let font = FontRef::try_from_slice(FONT).expect("assets/fonts/OCRB.otf parses");
    // The scale at which a capital (H) is RENDER_CAP pixels tall.
    let cap_scale = {
        let h = font.glyph_id('H').with_scale(PxScale::from(1000.0));
        let cap = font
            .outline_glyph(h)
            .map(|g| g.px_bounds().height())
            .unwrap_or(700.0);
        RENDER_CAP * 1000.0 / cap
    };
    let scale = PxScale::from(cap_scale);
    let advance = font.as_scaled(scale).h_advance(font.glyph_id('0'));
    let pitch_per_cap = advance / RENDER_CAP;

    let width = advance.round() as usize;
    let margin = (RENDER_CAP * CELL_MARGIN).round() as usize;
    let height = RENDER_CAP as usize + 2 * margin;
    let baseline = (RENDER_CAP as usize + margin) as f32;

    let glyphs = ALPHABET
        .iter()
        .map(|&c| {
            let mut canvas = vec![0f32; width * height];
            let glyph = font
                .glyph_id(c as char)
                .with_scale_and_position(scale, point(0.0, baseline));
            if let Some(outline) = font.outline_glyph(glyph) {
                let bounds = outline.px_bounds();
                // The printed cell is centred on the ink, so the template is too.
                let shift = (width as f32 / 2.0 - (bounds.min.x + bounds.max.x) / 2.0).round();
                outline.draw(|x, y, coverage| {
                    let px = x as f32 + bounds.min.x + shift;
                    let py = y as f32 + bounds.min.y;
                    if px >= 0.0 && py >= 0.0 && (px as usize) < width && (py as usize) < height {
                        canvas[py as usize * width + px as usize] = coverage;
                    }
                });
            }
            // Print ranges from thin laser to bleeding inkjet: three stroke weights.
            let stroke = (RENDER_CAP * 0.035).round() as usize;
            let weights = [
                reduce(&canvas, width, height),
                reduce(&spread(&canvas, width, height, stroke, true), width, height),
                reduce(
                    &spread(&canvas, width, height, stroke, false),
                    width,
                    height,
                ),
            ];
            // A webcam or a small scan blurs: each weight also soft and softer.
            weights
                .iter()
                .flat_map(|cell| BLURS.iter().map(move |&sigma| blurred(cell, sigma)))
                .collect()
        })
        .collect();
    Templates {
        glyphs,
        pitch_per_cap,
    }
}

/// Grows (`bolder`) or shrinks the ink by `radius` pixels: a square max or min filter.
fn spread(canvas: &[f32], width: usize, height: usize, radius: usize, bolder: bool) -> Vec<f32> {
    let pick = |a: f32, b: f32| if bolder { a.max(b) } else { a.min(b) };
    let mut rows = canvas.to_vec();
    for y in 0..height {
        for x in 0..width {
            let lo = x.saturating_sub(radius);
            let hi = (x + radius).min(width - 1);
            let line = &canvas[y * width..(y + 1) * width];
            rows[y * width + x] = line[lo..=hi].iter().copied().reduce(pick).unwrap_or(0.0);
        }
    }
    let mut out = rows.clone();
    for y in 0..height {
        let lo = y.saturating_sub(radius);
        let hi = (y + radius).min(height - 1);
        for x in 0..width {
            out[y * width + x] = (lo..=hi)
                .map(|yy| rows[yy * width + x])
                .reduce(pick)
                .unwrap_or(0.0);
        }
    }
    out
}

/// Area-averages a high-resolution canvas into a normalised cell.
fn reduce(canvas: &[f32], width: usize, height: usize) -> Cell {
    let mut cell = [0f32; CELL_WIDTH * CELL_HEIGHT];
    for (i, value) in cell.iter_mut().enumerate() {
        let (cx, cy) = (i % CELL_WIDTH, i / CELL_WIDTH);
        let x0 = cx * width / CELL_WIDTH;
        let x1 = ((cx + 1) * width / CELL_WIDTH).max(x0 + 1);
        let y0 = cy * height / CELL_HEIGHT;
        let y1 = ((cy + 1) * height / CELL_HEIGHT).max(y0 + 1);
        let mut sum = 0.0;
        for y in y0..y1 {
            sum += canvas[y * width + x0..y * width + x1].iter().sum::<f32>();
        }
        *value = sum / ((x1 - x0) * (y1 - y0)) as f32;
    }
    normalise(&mut cell);
    cell
}

/// Gaussian blurs (in cell pixels) each template is also drawn with; 0 is sharp.
const BLURS: [f32; 3] = [0.0, 0.9, 1.6];

/// The cell blurred with a Gaussian of `sigma` cell pixels, normalised again.
fn blurred(cell: &Cell, sigma: f32) -> Cell {
    let mut out = *cell;
    if sigma <= 0.0 {
        return out;
    }
    let radius = (sigma * 2.5).ceil() as i32;
    let kernel: Vec<f32> = (-radius..=radius)
        .map(|i| (-(i * i) as f32 / (2.0 * sigma * sigma)).exp())
        .collect();
    let total: f32 = kernel.iter().sum();
    let pass = |source: &Cell, horizontal: bool| -> Cell {
        let mut target = [0f32; CELL_WIDTH * CELL_HEIGHT];
        for y in 0..CELL_HEIGHT as i32 {
            for x in 0..CELL_WIDTH as i32 {
                let mut sum = 0.0;
                for (k, weight) in kernel.iter().enumerate() {
                    let offset = k as i32 - radius;
                    let (sx, sy) = if horizontal {
                        ((x + offset).clamp(0, CELL_WIDTH as i32 - 1), y)
                    } else {
                        (x, (y + offset).clamp(0, CELL_HEIGHT as i32 - 1))
                    };
                    sum += weight * source[(sy * CELL_WIDTH as i32 + sx) as usize];
                }
                target[(y * CELL_WIDTH as i32 + x) as usize] = sum / total;
            }
        }
        target
    };
    out = pass(&pass(&out, true), false);
    normalise(&mut out);
    out
}

/// Zero mean, unit length; a flat cell stays all zeros.
pub fn normalise(cell: &mut Cell) {
    let mean = cell.iter().sum::<f32>() / cell.len() as f32;
    let mut energy = 0.0;
    for v in cell.iter_mut() {
        *v -= mean;
        energy += *v * *v;
    }
    if energy > 1e-6 {
        let scale = energy.sqrt().recip();
        cell.iter_mut().for_each(|v| *v *= scale);
    } else {
        cell.fill(0.0);
    }
}

/// Each character's best correlation with the cell (over its stroke weights), in `ALPHABET`
/// order: 1.0 is a perfect match.
pub fn scores(cell: &Cell) -> [f32; 37] {
    let mut out = [0f32; 37];
    for (score, variants) in out.iter_mut().zip(&templates().glyphs) {
        *score = variants
            .iter()
            .map(|t| t.iter().zip(cell).map(|(a, b)| a * b).sum::<f32>())
            .fold(f32::MIN, f32::max);
    }
    out
}

/// How many templates each character has (stroke weights times blurs).
pub const VARIANTS: usize = 9;

/// Each character's correlation with the cell under one template variant only.
pub fn scores_for_variant(cell: &Cell, variant: usize) -> [f32; 37] {
    let mut out = [0f32; 37];
    for (score, variants) in out.iter_mut().zip(&templates().glyphs) {
        *score = variants[variant]
            .iter()
            .zip(cell)
            .map(|(a, b)| a * b)
            .sum::<f32>();
    }
    out
}

/// The cell's correlation with every variant of one character.
pub fn variant_scores(cell: &Cell, character: usize) -> [f32; VARIANTS] {
    let mut out = [0f32; VARIANTS];
    for (score, template) in out.iter_mut().zip(&templates().glyphs[character]) {
        *score = template.iter().zip(cell).map(|(a, b)| a * b).sum::<f32>();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_render_every_character_and_each_matches_itself_best() {
        let templates = templates();
        assert_eq!(templates.glyphs.len(), 37);
        assert!(
            (0.8..1.6).contains(&templates.pitch_per_cap),
            "{}",
            templates.pitch_per_cap
        );
        for (i, variants) in templates.glyphs.iter().enumerate() {
            let energy: f32 = variants[0].iter().map(|v| v * v).sum();
            assert!(
                (energy - 1.0).abs() < 1e-3,
                "{} is blank",
                ALPHABET[i] as char
            );
            let scores = scores(&variants[0]);
            let best = (0..37)
                .max_by(|&a, &b| scores[a].total_cmp(&scores[b]))
                .unwrap_or(0);
            assert_eq!(
                best, i,
                "{} is read as {}",
                ALPHABET[i] as char, ALPHABET[best] as char
            );
        }
    }
}
