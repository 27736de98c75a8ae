//! A camera that films a scene of its own, one for each role: an ID card lying on a desk for the
//! document camera, a person (a real public-domain portrait) for the face camera. Both are made
//! so that the quality engine judges them as it would a good real photo: the card has fine
//! print and a machine-readable zone to read as sharp, the portrait a face SeetaFace finds. So
//! demo mode shows what a customer sees: guidance, a green outline, the photo taken by itself.

use std::borrow::Cow;
use std::time::{Duration, Instant};

use image::{Rgb, RgbImage};

use super::CameraRole;
use super::source::{CameraError, FrameSource, Mode, PixelLayout, RawFrame};

/// The portrait shown to the face camera and on the card (`assets/demo/README.md`: scikit-image's
/// astronaut, NASA, public domain).
const PORTRAIT_JPEG: &[u8] = include_bytes!("../../assets/demo/portrait.jpg");

/// Where the face is in the portrait, as shares of its size (x 0.35-0.58, y 0.10-0.40 by hand).
const FACE_CENTRE_IN_PORTRAIT: [f64; 2] = [0.465, 0.25];

/// The card's width as a share of the frame's.
const CARD_WIDTH_SHARE: f64 = 0.55;

/// ID-1's aspect ratio (85.60 x 53.98 mm).
const ID1_ASPECT: f64 = 1.586;

/// The synthetic camera. Stills are 1920x1080, like a common webcam.
#[derive(Clone, Debug, Default)]
pub struct SyntheticCamera;

impl SyntheticCamera {
    /// The camera as a frame source for `role`: 1920x1080 at 15 frames a second.
    pub fn source(role: CameraRole) -> SyntheticSource {
        SyntheticSource {
            role,
            started: Instant::now(),
            next_frame_at: Instant::now(),
            scene: None,
            frame: Vec::new(),
            mode: SYNTHETIC_MODE,
        }
    }

    /// The scene for `role` at `width` x `height`, as filmed `seconds` after the camera started.
    pub fn draw(role: CameraRole, seconds: f64, width: u32, height: u32) -> RgbImage {
        Scene::new(role, width, height).frame(seconds)
    }
}

const SYNTHETIC_MODE: Mode = Mode {
    width: 1920,
    height: 1080,
    fps: 15,
    layout: PixelLayout::Rgb24,
};

/// A scene drawn once: a still backdrop and the subject, which sways a little as a held
/// document or a person does, so that the preview is visibly live.
struct Scene {
    backdrop: RgbImage,
    subject: RgbImage,
    /// The subject's top-left corner at rest, in frame pixels (may be negative: the portrait
    /// runs off the frame's bottom).
    rest: [i64; 2],
    /// Largest sway, in pixels.
    sway: f64,
}

impl Scene {
    fn new(role: CameraRole, width: u32, height: u32) -> Scene {
        let (w, h) = (f64::from(width), f64::from(height));
        match role {
            CameraRole::Document => {
                // An ID-1 card covering 55% of the width, centred in the guide frame, on a desk.
                let card_width = (w * CARD_WIDTH_SHARE).round().max(16.0);
                let card_height = (card_width / ID1_ASPECT).round();
                let subject = draw_card(card_width as u32, card_height as u32);
                Scene {
                    backdrop: draw_desk(width, height),
                    subject,
                    rest: [
                        ((w - card_width) / 2.0) as i64,
                        ((h - card_height) / 2.0) as i64,
                    ],
                    sway: w * 0.006,
                }
            }
            CameraRole::Face => {
                // Head and shoulders filling the frame's height, the face at the centre, as a
                // customer sits in front of the kiosk.
                let size = (h * 1.25).round().max(16.0) as u32;
                let subject = portrait(size);
                let size = f64::from(size);
                Scene {
                    backdrop: draw_wall(width, height),
                    subject,
                    rest: [
                        (w / 2.0 - FACE_CENTRE_IN_PORTRAIT[0] * size) as i64,
                        (h / 2.0 - FACE_CENTRE_IN_PORTRAIT[1] * size) as i64,
                    ],
                    sway: w * 0.004,
                }
            }
        }
    }

    fn frame(&self, seconds: f64) -> RgbImage {
        self.frame_into(seconds, Vec::new())
    }

    /// The frame at `seconds`, drawn into `buffer`'s memory (the previous frame's), so that a
    /// running camera does not allocate 6 MB fifteen times a second.
    fn frame_into(&self, seconds: f64, mut buffer: Vec<u8>) -> RgbImage {
        buffer.clear();
        buffer.extend_from_slice(self.backdrop.as_raw());
        let (width, height) = self.backdrop.dimensions();
        let Some(mut frame) = RgbImage::from_raw(width, height, buffer) else {
            // Cannot happen: the buffer holds exactly the backdrop's pixels.
            return self.backdrop.clone();
        };
        let offset = [
            ((seconds * 0.7).sin() * self.sway) as i64,
            ((seconds * 0.5).cos() * self.sway * 0.5) as i64,
        ];
        image::imageops::overlay(
            &mut frame,
            &self.subject,
            self.rest[0] + offset[0],
            self.rest[1] + offset[1],
        );
        frame
    }
}

/// The portrait, decoded and scaled to `size` x `size` (it is square). A plain grey square if
/// the embedded file could not be decoded, which a unit test rules out.
fn portrait(size: u32) -> RgbImage {
    match image::load_from_memory(PORTRAIT_JPEG) {
        Ok(picture) => image::imageops::resize(
            &picture.into_rgb8(),
            size,
            size,
            image::imageops::FilterType::Triangle,
        ),
        Err(_) => RgbImage::from_pixel(size, size, Rgb([128, 128, 128])),
    }
}

/// A wooden desk: warm browns with a soft grain, dark enough for a light card to stand out.
fn draw_desk(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        let (fx, fy) = (f64::from(x), f64::from(y));
        let grain = (fy * 0.045 + (fx * 0.004).sin() * 6.0).sin() * 9.0
            + (fy * 0.011 + fx * 0.0007).sin() * 6.0;
        let light = 1.0 - (fx / f64::from(width.max(1)) - 0.4).powi(2) * 0.5;
        let shade = |base: f64| (base * light + grain).clamp(0.0, 255.0) as u8;
        Rgb([shade(118.0), shade(84.0), shade(58.0)])
    })
}

/// A plain wall behind the customer.
fn draw_wall(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        let fade = (f64::from(y) / f64::from(height.max(1))) * 20.0
            + (f64::from(x) / f64::from(width.max(1))) * 10.0;
        let shade = |base: f64| (base - fade).clamp(0.0, 255.0) as u8;
        Rgb([shade(196.0), shade(200.0), shade(204.0)])
    })
}

/// Ink colours on the card.
const INK: Rgb<u8> = Rgb([30, 32, 48]);
const LABEL_INK: Rgb<u8> = Rgb([92, 104, 132]);
/// The machine-readable zone's white strip.
const ZONE_WHITE: Rgb<u8> = Rgb([244, 245, 246]);

/// An ID-1 card as a kiosk would film one: a tinted ground with a fine guilloche, a header
/// band, the holder's photo, labelled fields of small print, and a three-line machine-readable
/// zone at the bottom, as on a TD1 card. The print is pseudo-glyphs, not readable text: the
/// scene must look like a document to the quality engine, and carries no data.
fn draw_card(width: u32, height: u32) -> RgbImage {
    let (w, h) = (f64::from(width), f64::from(height));
    let mut card = RgbImage::from_fn(width, height, |x, y| {
        let (u, v) = (f64::from(x) / w, f64::from(y) / h);
        if v < 0.13 {
            // The header band: a light blue, as on many cards. A dark one would be as dark as
            // the desk, and the card's outline would run below it.
            return Rgb([168, 196, 230]);
        }
        let guilloche = ((u * 60.0 + (v * 9.0).sin() * 3.0).sin()
            * (v * 45.0 + (u * 7.0).cos() * 2.0).sin())
            * 6.0;
        let tint = |base: f64| (base + guilloche).clamp(0.0, 255.0) as u8;
        Rgb([tint(226.0), tint(232.0), tint(236.0)])
    });
    // One glyph cell: the card's width over the 30 characters and their gaps of a TD1 line.
    let cell = (width / 190).max(1);
    // The header's title.
    write_glyphs(&mut card, [width / 20, height / 32], cell + 1, 14, 1, INK);
    // The holder's photo.
    let photo = [
        width * 5 / 100,
        height * 19 / 100,
        width * 27 / 100,
        height * 46 / 100,
    ];
    let face = portrait(photo[2].max(photo[3]) * 2);
    // Head and shoulders from the portrait's upper middle.
    let head =
        image::imageops::crop_imm(&face, photo[2] * 7 / 10, photo[3] / 12, photo[2], photo[3]);
    image::imageops::overlay(&mut card, &*head, i64::from(photo[0]), i64::from(photo[1]));
    // Labelled fields right of the photo: surname, given names, date of birth, number.
    let mut row = height * 18 / 100;
    let label_cell = cell.saturating_sub(1).max(1);
    for (index, length) in [12u32, 14, 8, 10].into_iter().enumerate() {
        let left = width * 37 / 100;
        write_glyphs(
            &mut card,
            [left, row],
            label_cell,
            8,
            index as u64 * 2,
            LABEL_INK,
        );
        row += label_cell * 9;
        write_glyphs(
            &mut card,
            [left, row],
            cell,
            length,
            index as u64 * 2 + 1,
            INK,
        );
        row += cell * 10;
    }
    // The machine-readable zone on a white strip: three lines of 30 characters.
    let zone_top = height * 71 / 100;
    fill(
        &mut card,
        [0, zone_top],
        [width, height - zone_top],
        ZONE_WHITE,
    );
    for line in 0..3u32 {
        write_glyphs(
            &mut card,
            [
                width * 5 / 100,
                zone_top + height * 3 / 100 + line * cell * 10,
            ],
            cell,
            30,
            100 + u64::from(line),
            INK,
        );
    }
    card
}

/// Writes `count` pseudo-glyphs from `at`: 5x7 cells of `cell` pixels, a cell apart, each
/// pattern drawn from `seed` and its position.
fn write_glyphs(card: &mut RgbImage, at: [u32; 2], cell: u32, count: u32, seed: u64, ink: Rgb<u8>) {
    for index in 0..count {
        let mut bits = mix(seed.wrapping_mul(1_000_003).wrapping_add(u64::from(index)));
        // A stem on the left, as most letters and digits have, so the print reads as type.
        bits |= 0b00001_00001_00001_00001_00001_00001_00001;
        let left = at[0] + index * cell * 6;
        for row in 0..7u32 {
            for column in 0..5u32 {
                if bits >> (row * 5 + column) & 1 == 1 {
                    let corner = [left + column * cell, at[1] + row * cell];
                    fill(card, corner, [cell, cell], ink);
                }
            }
        }
    }
}

/// Fills `size` pixels from `at` with `colour`, clipped to the card.
fn fill(card: &mut RgbImage, at: [u32; 2], size: [u32; 2], colour: Rgb<u8>) {
    let (Ok(x), Ok(y)) = (i32::try_from(at[0]), i32::try_from(at[1])) else {
        return;
    };
    let area = imageproc::rect::Rect::at(x, y).of_size(size[0].max(1), size[1].max(1));
    imageproc::drawing::draw_filled_rect_mut(card, area, colour);
}

/// SplitMix64's finaliser: a well-spread bit pattern from any number.
fn mix(value: u64) -> u64 {
    let mut z = value.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The synthetic camera as a `FrameSource`.
pub struct SyntheticSource {
    role: CameraRole,
    started: Instant,
    next_frame_at: Instant,
    /// Drawn at the first frame, in the mode the camera was started in.
    scene: Option<Scene>,
    frame: Vec<u8>,
    mode: Mode,
}

impl FrameSource for SyntheticSource {
    fn name(&self) -> String {
        "Synthetic camera".to_owned()
    }

    fn modes(&mut self) -> Result<Vec<Mode>, CameraError> {
        Ok(vec![SYNTHETIC_MODE])
    }

    fn start(&mut self, mode: Mode) -> Result<(), CameraError> {
        self.mode = mode;
        self.scene = None;
        Ok(())
    }

    fn next_frame(&mut self) -> Result<RawFrame<'_>, CameraError> {
        // Paced like a camera: one frame per interval.
        let now = Instant::now();
        if self.next_frame_at > now {
            std::thread::sleep(self.next_frame_at - now);
        }
        self.next_frame_at =
            Instant::now() + Duration::from_secs_f64(1.0 / f64::from(self.mode.fps.max(1)));
        let (role, width, height) = (self.role, self.mode.width, self.mode.height);
        let scene = self
            .scene
            .get_or_insert_with(|| Scene::new(role, width, height));
        let seconds = self.started.elapsed().as_secs_f64();
        self.frame = scene
            .frame_into(seconds, std::mem::take(&mut self.frame))
            .into_raw();
        Ok(RawFrame {
            width: self.mode.width,
            height: self.mode.height,
            layout: PixelLayout::Rgb24,
            bytes: Cow::Borrowed(&self.frame),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quality::{QualitySettings, analyze_document_in_colour, analyze_face, luma_of};

    #[test]
    fn the_embedded_portrait_decodes() {
        assert!(image::load_from_memory(PORTRAIT_JPEG).is_ok());
    }

    /// Demo mode must show what a good photo looks like: each scene passes every check, at
    /// several moments of its sway, and the card's outline is where it was drawn.
    #[test]
    fn each_role_films_a_scene_that_passes_the_quality_checks() {
        let settings = QualitySettings::default();
        for seconds in [0.0, 1.3, 2.9, 4.4] {
            let document = SyntheticCamera::draw(CameraRole::Document, seconds, 1920, 1080);
            let report =
                analyze_document_in_colour(&luma_of(&document), Some(&document), &settings);
            assert!(
                report.problems.is_empty(),
                "document at {seconds} s: {:?}",
                report.problems
            );
            // The whole card, header band included: as drawn, within 1% of the frame's width.
            let corners = report.corners.expect("the card's outline");
            let card_width = (1920.0 * CARD_WIDTH_SHARE).round() as f32;
            let card_height = (card_width / ID1_ASPECT as f32).round();
            let found = [corners[1][0] - corners[0][0], corners[3][1] - corners[0][1]];
            assert!(
                (found[0] - card_width).abs() < 19.0 && (found[1] - card_height).abs() < 19.0,
                "the card is {card_width}x{card_height} px, found {found:?}"
            );
            let face = SyntheticCamera::draw(CameraRole::Face, seconds, 1920, 1080);
            let report = analyze_face(&luma_of(&face), &settings);
            assert!(
                report.problems.is_empty(),
                "face at {seconds} s: {:?}",
                report.problems
            );
        }
    }
}
