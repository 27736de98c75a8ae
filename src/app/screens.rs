//! One function per screen: each draws the flow's current step and returns what the customer
//! did. Screens never touch the network, the camera or the disk. Every customer text is a key
//! into `assets/locales/` (`tests/i18n.rs` fails on a hard-coded one); staff details stay English.

use std::borrow::Cow;

use egui::{Align, Button, Layout, ProgressBar, RichText, TextureHandle, Ui};

use super::theme;
use crate::api::{ImageSlot, Locale, ProcessDocumentType, UploadProgress};
use crate::camera::{CameraError, CameraStatus};
use crate::countries::CountryNames;
use crate::flow::{Failure, MrzNotice, Review, SubmitStage};
use crate::guide::{Hint, hint_for};
use crate::i18n::{language_name, tr, tr_with};
use crate::imaging::ImagingError;
use crate::quality::Corner;

/// What the customer did on a screen.
#[derive(Clone, Debug, PartialEq)]
pub enum ScreenAction {
    /// Start a verification.
    Start,
    /// Switch language.
    Language(Locale),
    /// Pick the document country.
    Country(String),
    /// Pick the document type.
    Document(ProcessDocumentType),
    /// Take a photo with the camera.
    TakePhoto,
    /// "I need more time" on the idle warning.
    MoreTime,
    /// Choose a file instead.
    ChooseFile,
    /// Keep the image under review.
    Accept,
    /// Take this image again.
    Retake(ImageSlot),
    /// Send everything.
    Submit,
    /// End the session.
    Cancel,
    /// New session after an error.
    TryAgain,
    /// Staff pad and menu (kiosk mode).
    Staff(super::staff_screens::StaffAction),
    /// "Call staff" on the error screen.
    CallStaff,
    /// "Continue on my phone" on a capture screen.
    HandOff,
    /// Choose the document type by hand ("Show your document", or a type the MRZ set).
    ChooseManually,
    /// Done on the phone screen.
    HandOffDone,
    /// "Read aloud" switched on or off.
    ReadAloud,
    /// The customer closed the "staff is on the way" notice.
    StaffComing,
}

/// Sets customer buttons' ids apart from any other id made from the same text.
const STEADY_BUTTON_SALT: u64 = 0x6b69_6f73_6b42_7574;

/// Adds a customer button whose identity comes from its label, not from its place on the
/// screen. egui numbers widgets in the order they are drawn, so a button below the live preview
/// changes its number when the preview or a hint above it comes or goes; a screen reader (or a
/// switch device) that activates the button it just read would then press nothing. Labels are
/// unique within a screen.
fn steady_button(ui: &mut Ui, label: &str, size: egui::Vec2, button: Button<'_>) -> bool {
    steady(ui, label, size, |ui| ui.add_sized(size, button).clicked())
}

/// Draws `add` into `size` of room taken from `ui`'s layout, in a child whose id comes from
/// `label` (see `steady_button`). The room is taken first, so that a wrapping row (the country
/// list, the document tiles) wraps before it as it does before a plain widget; a child placed
/// at the cursor would run off the row's end, as it did at 1280x800.
fn steady<R>(ui: &mut Ui, label: &str, size: egui::Vec2, add: impl FnOnce(&mut Ui) -> R) -> R {
    let id = egui::Id::unique((STEADY_BUTTON_SALT, label));
    let (_, rect) = ui.allocate_space(size);
    let mut child = ui.new_child(
        egui::UiBuilder::new()
            .scope_id(id)
            .max_rect(rect)
            .layout(*ui.layout()),
    );
    add(&mut child)
}

fn big_button(ui: &mut Ui, label: &str) -> bool {
    let text = RichText::new(label).font(theme::button_font());
    steady_button(ui, label, theme::BUTTON_SIZE, Button::new(text))
}

fn primary_button(ui: &mut Ui, label: &str) -> bool {
    let text = RichText::new(label)
        .font(theme::button_font())
        .color(egui::Color32::WHITE);
    let button = Button::new(text).fill(theme::PRIMARY);
    steady_button(ui, label, theme::BUTTON_SIZE, button)
}

fn small_button(ui: &mut Ui, label: &str) -> bool {
    steady_button(ui, label, theme::SMALL_BUTTON_SIZE, Button::new(label))
}

fn title(ui: &mut Ui, text: &str) {
    ui.label(RichText::new(text).font(theme::title_font()).strong());
}

/// The capture screen's instruction before the first frame is judged (shown, and read aloud).
pub fn capture_instruction(slot: ImageSlot) -> &'static str {
    if slot == ImageSlot::Face {
        "capture.face_hint"
    } else {
        "capture.document_hint"
    }
}

/// The name of a slot, for titles.
pub fn slot_name(locale: Locale, slot: ImageSlot) -> Cow<'static, str> {
    tr(
        locale,
        match slot {
            ImageSlot::Front => "slot.front",
            ImageSlot::Back => "slot.back",
            ImageSlot::Face => "slot.face",
            ImageSlot::UtilityBill => "slot.utility_bill",
        },
    )
}

/// The name of a document type.
pub fn document_name(locale: Locale, document: ProcessDocumentType) -> Cow<'static, str> {
    tr(
        locale,
        match document {
            ProcessDocumentType::IdCard => "document.id_card",
            ProcessDocumentType::Passport => "document.passport",
            ProcessDocumentType::ResidencePermit => "document.residence_permit",
            ProcessDocumentType::DriverLicense => "document.driver_license",
            ProcessDocumentType::Other => "document.other",
        },
    )
}

/// The English detail for staff under a customer message, in small print.
fn staff_detail(ui: &mut Ui, text: &str) {
    ui.label(
        RichText::new(text)
            .size(theme::STAFF_DETAIL_SIZE)
            .color(theme::MUTED),
    );
}

/// Cancel at the end of a screen's button row, set apart from the others. Screens with a large
/// picture put it there: under the picture a row of its own would fall below a 1280x800
/// screen's edge.
fn cancel_in_row(ui: &mut Ui, locale: Locale) -> bool {
    ui.add_space(theme::GAP);
    big_button(ui, &tr(locale, "common.cancel"))
}

/// Cancel, bottom left, on every customer screen after Welcome.
fn cancel_row(ui: &mut Ui, locale: Locale) -> Option<ScreenAction> {
    ui.add_space(theme::GAP);
    small_button(ui, &tr(locale, "common.cancel")).then_some(ScreenAction::Cancel)
}

/// The language switch on every customer screen after Welcome: the current language's own
/// name, opening the list of all of them, each in its own language.
pub fn language_menu(
    ui: &mut Ui,
    locale: Locale,
    progress: Option<(usize, usize)>,
    reading_aloud: bool,
) -> Option<ScreenAction> {
    let mut action = None;
    ui.horizontal(|ui| {
        if read_aloud_toggle(ui, locale, reading_aloud) {
            action = Some(ScreenAction::ReadAloud);
        }
        ui.add_space(theme::GAP);
        // "Step 2 of 5" shares the row, so that the preview keeps its height.
        if let Some((n, total)) = progress {
            step_indicator(ui, locale, n, total);
            ui.add_space(theme::GAP);
        }
        let label = ui.label(RichText::new(tr(locale, "common.language")).color(theme::MUTED));
        let menu = egui::ComboBox::from_id_salt("language")
            .selected_text(language_name(locale))
            .height(theme::LANGUAGE_LIST_HEIGHT)
            .show_ui(ui, |ui| {
                for candidate in Locale::ALL {
                    let item = Button::selectable(*candidate == locale, language_name(*candidate))
                        .min_size(egui::vec2(theme::LANGUAGE_ITEM_WIDTH, theme::MIN_TOUCH));
                    if ui.add(item).clicked() {
                        action = Some(ScreenAction::Language(*candidate));
                    }
                }
            });
        // Screen readers name the menu by the visible word beside it.
        let _ = menu.response.labelled_by(label.id);
    });
    action
}

/// "Read aloud": a large toggle, first on every customer screen, so that a customer who cannot
/// read the screen finds it first (it is also first in the keyboard order).
fn read_aloud_toggle(ui: &mut Ui, locale: Locale, on: bool) -> bool {
    let label = tr(locale, "speech.read_aloud");
    // A framed button either way (a frameless one reads as text from a step back), filled
    // with the selection colour while on.
    let button = Button::new(RichText::new(label.as_ref()).font(theme::button_font()))
        .selected(on)
        .min_size(egui::vec2(theme::LANGUAGE_ITEM_WIDTH, theme::MIN_TOUCH));
    ui.add(button).clicked()
}

/// Welcome: Start and the language choice. No token exists yet.
pub fn welcome_ui(ui: &mut Ui, locale: Locale, reading_aloud: bool) -> Option<ScreenAction> {
    let mut action = None;
    // The toggle takes the room the title's top margin had, so that the language grid stays
    // on a 1280x800 screen.
    if read_aloud_toggle(ui, locale, reading_aloud) {
        action = Some(ScreenAction::ReadAloud);
    }
    ui.vertical_centered(|ui| {
        title(ui, &tr(locale, "welcome.title"));
        ui.label(RichText::new(tr(locale, "welcome.subtitle")).color(theme::MUTED));
        ui.add_space(theme::GAP * 2.0);
        if primary_button(ui, &tr(locale, "welcome.start")) {
            action = Some(ScreenAction::Start);
        }
        ui.add_space(theme::GAP * 2.0);
        ui.label(tr(locale, "common.language"));
        // A centred block of four per row: wrapping layouts start at the left edge.
        ui.horizontal(|ui| {
            ui.add_space(((ui.available_width() - theme::LANGUAGE_GRID_WIDTH) / 2.0).max(0.0));
            ui.vertical(|ui| {
                ui.set_max_width(theme::LANGUAGE_GRID_WIDTH);
                ui.horizontal_wrapped(|ui| {
                    for candidate in Locale::ALL {
                        let item =
                            Button::selectable(*candidate == locale, language_name(*candidate))
                                .min_size(egui::vec2(theme::LANGUAGE_ITEM_WIDTH, theme::MIN_TOUCH));
                        if ui.add(item).clicked() {
                            action = Some(ScreenAction::Language(*candidate));
                        }
                    }
                });
            });
        });
    });
    action
}

/// A spinner with a sentence (a translation key), for every wait.
pub fn waiting_ui(ui: &mut Ui, locale: Locale, key: &str) -> Option<ScreenAction> {
    let mut action = None;
    ui.vertical_centered(|ui| {
        ui.add_space(theme::GAP * 4.0);
        ui.add(egui::Spinner::new().size(theme::SPINNER));
        ui.label(RichText::new(tr(locale, key)).font(theme::body_font()));
        action = cancel_row(ui, locale);
    });
    action
}

/// What the document choice shows of the country.
pub struct CountryChoice<'a> {
    /// The country chosen (alpha-2), if any.
    pub chosen: Option<&'a str>,
    /// The token fixed it: shown, not asked.
    pub fixed: bool,
    /// Every country, named in the customer's language.
    pub names: &'a CountryNames,
}

/// Country (searchable by name and code, staff's countries first) and the document type as
/// large tiles, limited to what the token allows.
pub fn document_ui(
    ui: &mut Ui,
    locale: Locale,
    country: &CountryChoice<'_>,
    country_search: &mut String,
    allowed: &[ProcessDocumentType],
) -> Option<ScreenAction> {
    let mut action = None;
    title(ui, &tr(locale, "choose_document.title"));
    ui.horizontal(|ui| {
        ui.label(RichText::new(tr(locale, "choose_document.country")).font(theme::body_font()));
        let chosen = match country.chosen {
            Some(code) => Cow::from(format!("{} ({code})", country.names.name(code))),
            None => tr(locale, "choose_document.not_chosen"),
        };
        ui.label(RichText::new(chosen).font(theme::body_font()).strong());
        if !country.fixed {
            ui.add_space(theme::GAP);
            country_search_field(ui, locale, country_search);
        }
    });
    if !country.fixed {
        action = country_list(ui, locale, country, country_search).or(action);
    }
    ui.add_space(theme::GAP / 2.0);
    ui.add_enabled_ui(country.chosen.is_some(), |ui| {
        ui.horizontal_wrapped(|ui| {
            for document in allowed {
                if document_tile(ui, &document_name(locale, *document), *document) {
                    action = Some(ScreenAction::Document(*document));
                }
            }
        });
    });
    if country.chosen.is_none() {
        ui.label(RichText::new(tr(locale, "choose_document.country_first")).color(theme::MUTED));
    }
    cancel_row(ui, locale).or(action)
}

/// The search field over the country list. A touch kiosk may have no keyboard: every country
/// is in the list, and typing only narrows it.
fn country_search_field(ui: &mut Ui, locale: Locale, country_search: &mut String) {
    let hint = tr(locale, "choose_document.search_hint");
    let _ = ui
        .add(
            egui::TextEdit::singleline(country_search)
                .hint_text(hint.as_ref())
                .font(theme::body_font())
                .desired_width(theme::SEARCH_WIDTH),
        )
        // The hint disappears while typing; screen readers keep the name.
        .accessible_name(hint.as_ref());
}

/// The countries matching the search, staff's first ones in a row of their own above the rest.
fn country_list(
    ui: &mut Ui,
    locale: Locale,
    country: &CountryChoice<'_>,
    country_search: &str,
) -> Option<ScreenAction> {
    let mut action = None;
    let matching = country.names.matching(country_search);
    let first = if country_search.trim().is_empty() {
        country.names.first_count()
    } else {
        0
    };
    let (staffs, rest) = matching.split_at(first.min(matching.len()));
    let mut item = |ui: &mut Ui, code: &str, name: &str| {
        let label = format!("{name} ({code})");
        let selected = country.chosen == Some(code);
        let text = RichText::new(&label).font(theme::body_font());
        // The item's room: its text on one line, padded as a button, at least the grid's cell.
        let galley = egui::WidgetText::from(text.clone()).into_galley(
            ui,
            Some(egui::TextWrapMode::Extend),
            f32::INFINITY,
            egui::TextStyle::Button,
        );
        let size = (galley.size() + 2.0 * ui.spacing().button_padding)
            .max(egui::vec2(theme::COUNTRY_ITEM_WIDTH, theme::MIN_TOUCH));
        let button = Button::selectable(selected, text).min_size(size);
        if steady(ui, &label, size, |ui| ui.add(button).clicked()) {
            action = Some(ScreenAction::Country(code.to_owned()));
        }
    };
    egui::ScrollArea::vertical()
        .max_height(theme::COUNTRY_LIST_HEIGHT)
        .auto_shrink([false, true])
        .show(ui, |ui| {
            if !staffs.is_empty() {
                ui.horizontal_wrapped(|ui| {
                    for listed in staffs {
                        item(ui, listed.code, &listed.name);
                    }
                });
                ui.separator();
            }
            ui.horizontal_wrapped(|ui| {
                for listed in rest {
                    item(ui, listed.code, &listed.name);
                }
            });
            if matching.is_empty() {
                ui.label(
                    RichText::new(tr(locale, "choose_document.no_match"))
                        .font(theme::body_font())
                        .color(theme::MUTED),
                );
            }
        });
    action
}

/// A document type as a large tile: its pictogram over its name. One button for screen
/// readers, named by the text on it.
fn document_tile(ui: &mut Ui, label: &str, document: ProcessDocumentType) -> bool {
    steady(ui, label, theme::TILE_SIZE, |ui| {
        let (rect, response) = ui.allocate_exact_size(theme::TILE_SIZE, egui::Sense::click());
        response
            .widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, ui.is_enabled(), label));
        if ui.is_rect_visible(rect) {
            let visuals = ui.style().interact(&response);
            let painter = ui.painter();
            painter.rect(
                rect,
                12.0,
                visuals.weak_bg_fill,
                visuals.bg_stroke,
                egui::StrokeKind::Inside,
            );
            let art = egui::Rect::from_center_size(
                rect.center_top() + egui::vec2(0.0, rect.height() * 0.38),
                egui::vec2(rect.width() * 0.5, rect.height() * 0.46),
            );
            let ink = if ui.is_enabled() {
                theme::PRIMARY
            } else {
                theme::MUTED
            };
            draw_pictogram(painter, art, document, ink);
            painter.text(
                rect.center_bottom() - egui::vec2(0.0, rect.height() * 0.16),
                egui::Align2::CENTER_CENTER,
                label,
                theme::button_font(),
                visuals.text_color(),
            );
        }
        response.clicked()
    })
}

/// A simple drawing of a document type inside `art`: a card with a photo and lines of text, a
/// passport booklet with its emblem, a residence permit's card with a stripe, a driving licence
/// with a steering wheel, or a page.
fn draw_pictogram(
    painter: &egui::Painter,
    art: egui::Rect,
    document: ProcessDocumentType,
    ink: egui::Color32,
) {
    use egui::{Rect, Stroke, pos2, vec2};
    let stroke = Stroke::new(3.0, ink);
    let fill = egui::Color32::WHITE;
    // A card in ID-1 proportions, centred in `art`.
    let card = Rect::from_center_size(
        art.center(),
        vec2(art.height() * 1.586, art.height()).min(vec2(art.width(), art.width() / 1.586)),
    );
    let text_lines = |painter: &egui::Painter, left: f32, right: f32, top: f32, step: f32| {
        for row in 0..3 {
            let y = top + step * row as f32;
            let end = if row == 2 {
                left + (right - left) * 0.6
            } else {
                right
            };
            painter.line_segment([pos2(left, y), pos2(end, y)], Stroke::new(3.0, ink));
        }
    };
    let photo = |card: Rect| {
        Rect::from_min_size(
            card.min + vec2(card.width() * 0.08, card.height() * 0.22),
            vec2(card.width() * 0.28, card.height() * 0.58),
        )
    };
    match document {
        ProcessDocumentType::IdCard | ProcessDocumentType::ResidencePermit => {
            painter.rect(card, 8.0, fill, stroke, egui::StrokeKind::Middle);
            let face = photo(card);
            painter.rect_filled(face, 3.0, ink.gamma_multiply(0.35));
            text_lines(
                painter,
                face.right() + card.width() * 0.08,
                card.right() - card.width() * 0.08,
                face.top() + card.height() * 0.08,
                card.height() * 0.2,
            );
            if document == ProcessDocumentType::ResidencePermit {
                let stripe = Rect::from_min_max(
                    card.min + vec2(1.5, 1.5),
                    pos2(card.right() - 1.5, card.top() + card.height() * 0.14),
                );
                painter.rect_filled(stripe, 6.0, ink);
            }
        }
        ProcessDocumentType::Passport => {
            let booklet =
                Rect::from_center_size(art.center(), vec2(art.height() * 0.72, art.height()));
            painter.rect(booklet, 8.0, ink, stroke, egui::StrokeKind::Middle);
            let emblem = booklet.center() - vec2(0.0, booklet.height() * 0.08);
            painter.circle_stroke(emblem, booklet.width() * 0.22, Stroke::new(3.0, fill));
            let y = booklet.bottom() - booklet.height() * 0.18;
            let inset = booklet.width() * 0.25;
            painter.line_segment(
                [
                    pos2(booklet.left() + inset, y),
                    pos2(booklet.right() - inset, y),
                ],
                Stroke::new(3.0, fill),
            );
        }
        ProcessDocumentType::DriverLicense => {
            painter.rect(card, 8.0, fill, stroke, egui::StrokeKind::Middle);
            let face = photo(card);
            painter.rect_filled(face, 3.0, ink.gamma_multiply(0.35));
            let wheel = pos2(
                card.right() - card.width() * 0.3,
                card.center().y + card.height() * 0.02,
            );
            let radius = card.height() * 0.26;
            painter.circle_stroke(wheel, radius, stroke);
            painter.circle_filled(wheel, radius * 0.25, ink);
            for angle in [0.5f32, 2.64, 4.71] {
                let spoke = vec2(angle.cos(), angle.sin()) * radius;
                painter.line_segment([wheel, wheel + spoke], stroke);
            }
        }
        ProcessDocumentType::Other => {
            let page =
                Rect::from_center_size(art.center(), vec2(art.height() * 0.74, art.height()));
            let fold = page.width() * 0.28;
            let outline = vec![
                page.left_top(),
                pos2(page.right() - fold, page.top()),
                pos2(page.right(), page.top() + fold),
                page.right_bottom(),
                page.left_bottom(),
            ];
            painter.add(egui::Shape::convex_polygon(outline, fill, stroke));
            text_lines(
                painter,
                page.left() + page.width() * 0.15,
                page.right() - page.width() * 0.15,
                page.top() + page.height() * 0.42,
                page.height() * 0.16,
            );
        }
    }
}

/// The idle warning over any customer screen: the seconds left and "I need more time".
pub fn idle_warning_ui(
    ctx: &egui::Context,
    locale: Locale,
    left: std::time::Duration,
) -> Option<ScreenAction> {
    let mut action = None;
    egui::Modal::new(egui::Id::unique("idle-warning")).show(ctx, |ui| {
        ui.set_width(theme::PROGRESS_WIDTH);
        ui.vertical_centered(|ui| {
            ui.heading(tr(locale, "idle.title"));
            ui.add_space(theme::GAP / 2.0);
            let seconds = (left.as_secs_f32().ceil() as u64).to_string();
            ui.label(tr_with(locale, "idle.body", &[("seconds", &seconds)]));
            ui.add_space(theme::GAP);
            if primary_button(ui, &tr(locale, "idle.more_time")) {
                action = Some(ScreenAction::MoreTime);
            }
        });
    });
    action
}

/// After "Call staff": a notice, large enough to be seen by staff across the room.
pub fn staff_called_ui(ctx: &egui::Context, locale: Locale) -> Option<ScreenAction> {
    let mut action = None;
    egui::Modal::new(egui::Id::unique("staff-called")).show(ctx, |ui| {
        ui.set_width(theme::PROGRESS_WIDTH);
        ui.vertical_centered(|ui| {
            ui.label(
                RichText::new(tr(locale, "staff_called.title"))
                    .font(theme::title_font())
                    .color(theme::PRIMARY),
            );
            ui.add_space(theme::GAP / 2.0);
            ui.label(RichText::new(tr(locale, "staff_called.body")).font(theme::body_font()));
            ui.add_space(theme::GAP);
            if small_button(ui, &tr(locale, "staff_called.ok")) {
                action = Some(ScreenAction::StaffComing);
            }
        });
    });
    action
}

/// What the capture screen shows of the camera.
pub struct CameraView<'a> {
    /// "Show your document": the first photo, before the document type is chosen.
    pub showing_document: bool,
    /// Offer the OS file dialog (not to customers in kiosk mode: it is a way out).
    pub file_dialog: bool,
    /// The newest preview frame.
    pub preview: Option<&'a TextureHandle>,
    /// Shown as a mirror (the face: what people expect to see; the still stays unmirrored).
    pub mirrored: bool,
    /// What the camera is doing.
    pub status: Option<&'a CameraStatus>,
    /// Why the last "Take photo" gave no picture.
    pub error: Option<&'a CameraError>,
    /// A still is on its way.
    pub taking: bool,
    /// Where to hold the document or the face.
    pub guide: GuideFrame,
    /// The newest outline found (shares of the frame) and whether every check passed.
    pub outline: Option<([Corner; 4], bool)>,
    /// The live hint.
    pub hint: Option<Hint>,
    /// How far auto-capture's countdown has run, 0 to 1.
    pub countdown: Option<f32>,
    /// Offer "Continue on my phone".
    pub handoff: bool,
}

/// The shape drawn over the preview to show where to hold what is photographed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum GuideFrame {
    /// A document of this width-to-height ratio (ID-1 card 1.586, passport page 1.42, A4 0.707).
    Document(f32),
    /// The face's oval.
    Oval,
}

impl GuideFrame {
    /// ISO/IEC 7810 ID-1: 85.60 x 53.98 mm.
    pub const ID_CARD: GuideFrame = GuideFrame::Document(1.586);
    /// ICAO 9303 TD3 passport data page: 125 x 88 mm.
    pub const PASSPORT_PAGE: GuideFrame = GuideFrame::Document(1.42);
    /// A4 upright, for a utility bill.
    pub const A4: GuideFrame = GuideFrame::Document(0.707);
}

/// Amber for an outline that fails a check (4.5:1 against the dark preview).
const OUTLINE_AMBER: egui::Color32 = egui::Color32::from_rgb(0xF5, 0x9E, 0x0B);

/// Draws the guide, the outline found and the countdown ring over the preview at `rect`.
fn draw_overlay(painter: &egui::Painter, rect: egui::Rect, camera: &CameraView<'_>) {
    use egui::{Shape, Stroke, pos2, vec2};
    let guide_stroke = Stroke::new(3.0, egui::Color32::from_white_alpha(210));
    match camera.guide {
        GuideFrame::Document(aspect) => {
            let height = (rect.height() * 0.8).min(rect.width() * 0.9 / aspect);
            let frame = egui::Rect::from_center_size(rect.center(), vec2(height * aspect, height));
            painter.rect_stroke(frame, 16.0, guide_stroke, egui::StrokeKind::Middle);
        }
        GuideFrame::Oval => {
            let radius = vec2(rect.height() * 0.27, rect.height() * 0.38);
            painter.add(Shape::ellipse_stroke(rect.center(), radius, guide_stroke));
        }
    }
    if let Some((outline, usable)) = camera.outline {
        let colour = if usable {
            theme::SUCCESS
        } else {
            OUTLINE_AMBER
        };
        let points = outline
            .iter()
            .map(|[x, y]| {
                let x = if camera.mirrored { 1.0 - x } else { *x };
                pos2(
                    rect.left() + x * rect.width(),
                    rect.top() + y * rect.height(),
                )
            })
            .collect();
        painter.add(Shape::closed_line(points, Stroke::new(5.0, colour)));
    }
    if let Some(run) = camera.countdown {
        let radius = rect.height().min(rect.width()) * 0.1;
        let centre = rect.center();
        painter.circle_stroke(
            centre,
            radius,
            Stroke::new(10.0, egui::Color32::from_black_alpha(120)),
        );
        let steps = 48;
        let points: Vec<_> = (0..=steps)
            .map(|i| {
                let angle = -std::f32::consts::FRAC_PI_2
                    + std::f32::consts::TAU * run * i as f32 / steps as f32;
                centre + radius * vec2(angle.cos(), angle.sin())
            })
            .collect();
        painter.add(Shape::line(points, Stroke::new(10.0, theme::SUCCESS)));
    }
}

/// The customer's words (a translation key) for a camera that gives no pictures; the reason
/// for staff is shown beside it in small print.
fn camera_notice(error: &CameraError) -> &'static str {
    match error {
        CameraError::NoCamera | CameraError::NotFound(_) => "camera.none",
        CameraError::Disconnected => "camera.disconnected",
        _ => "camera.unusable",
    }
}

/// What the customer is told about an image that cannot be used: one sentence per kind of
/// problem, in their language.
pub fn image_problem_key(problem: &ImagingError) -> &'static str {
    match problem {
        ImagingError::Unreadable(_) | ImagingError::Empty => "capture.problem.unreadable",
        ImagingError::FileTooLarge { .. }
        | ImagingError::TooManyPixels { .. }
        | ImagingError::TooLargeToDecode => "capture.problem.too_large",
        ImagingError::Unsupported(_) | ImagingError::NotAnImage => "capture.problem.not_a_photo",
        ImagingError::Corrupt { .. } => "capture.problem.damaged",
        ImagingError::TooSmall { .. } => "capture.problem.too_small",
        ImagingError::Encode(_) | ImagingError::CannotFit { .. } | ImagingError::Interrupted(_) => {
            "capture.problem.failed"
        }
    }
}

/// "Step 2 of 5": where the customer is in the session.
fn step_indicator(ui: &mut Ui, locale: Locale, n: usize, total: usize) {
    let text = tr_with(
        locale,
        "common.step",
        &[("n", &n.to_string()), ("total", &total.to_string())],
    );
    ui.label(RichText::new(text).color(theme::MUTED));
}

/// Live preview and the two ways in: the camera, or a file (also by dropping it on the window).
pub fn capture_ui(
    ui: &mut Ui,
    locale: Locale,
    slot: ImageSlot,
    camera: &CameraView<'_>,
    problem: Option<&ImagingError>,
) -> Option<ScreenAction> {
    let mut action = None;
    if camera.showing_document {
        // Before the document is chosen: its MRZ may choose it.
        title(ui, &tr(locale, "show.title"));
        ui.label(RichText::new(tr(locale, "show.hint")).font(theme::body_font()));
    } else {
        title(ui, &slot_name(locale, slot));
    }
    let live = matches!(camera.status, Some(CameraStatus::Live { .. }));
    if live {
        // The live hint once the first frame is judged; until then the screen's instruction.
        match camera.hint {
            Some(hint) => {
                let colour = if hint == Hint::Ready {
                    theme::SUCCESS
                } else {
                    theme::TEXT
                };
                ui.label(
                    RichText::new(tr(locale, hint.key()))
                        .font(theme::hint_font())
                        .strong()
                        .color(colour),
                );
            }
            None => {
                let instruction = capture_instruction(slot);
                ui.label(
                    RichText::new(tr(locale, instruction))
                        .font(theme::hint_font())
                        .color(theme::MUTED),
                );
            }
        }
    }
    if let Some(preview) = camera.preview.filter(|_| live) {
        let size = preview.size_vec2();
        let scale = (ui.available_width() * theme::PREVIEW_WIDTH_SHARE / size.x)
            .min(theme::PREVIEW_MAX_HEIGHT / size.y);
        let mut image = egui::Image::new((preview.id(), size * scale));
        if camera.mirrored {
            image = image.uv(egui::Rect::from_min_max(
                egui::pos2(1.0, 0.0),
                egui::pos2(0.0, 1.0),
            ));
        }
        ui.vertical_centered(|ui| {
            let shown = ui.add(image);
            draw_overlay(&ui.painter_at(shown.rect), shown.rect, camera);
        });
    }
    match camera.status {
        Some(CameraStatus::Unavailable(error)) => {
            ui.label(RichText::new(tr(locale, camera_notice(error))).color(theme::DANGER));
            staff_detail(ui, &error.to_string());
        }
        Some(CameraStatus::Starting) | None => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(RichText::new(tr(locale, "camera.starting")).color(theme::MUTED));
            });
        }
        Some(CameraStatus::Live { .. }) => {}
    }
    if let Some(error) = camera.error {
        ui.label(RichText::new(tr(locale, "capture.no_photo")).color(theme::DANGER));
        staff_detail(ui, &error.to_string());
    }
    if let Some(problem) = problem {
        ui.label(RichText::new(tr(locale, image_problem_key(problem))).color(theme::DANGER));
        // The English detail (sizes, the decoder's words) is for staff, in small print.
        staff_detail(ui, &problem.to_string());
    }
    ui.horizontal(|ui| {
        if camera.taking {
            ui.spinner();
            ui.label(tr(locale, "capture.taking"));
        } else if live && primary_button(ui, &tr(locale, "capture.take_photo")) {
            action = Some(ScreenAction::TakePhoto);
        }
        if camera.file_dialog && big_button(ui, &tr(locale, "capture.choose_file")) {
            action = Some(ScreenAction::ChooseFile);
        }
        if camera.showing_document && big_button(ui, &tr(locale, "show.choose")) {
            action = Some(ScreenAction::ChooseManually);
        }
        if camera.handoff && big_button(ui, &tr(locale, "handoff.offer")) {
            action = Some(ScreenAction::HandOff);
        }
        if cancel_in_row(ui, locale) {
            action = Some(ScreenAction::Cancel);
        }
    });
    ui.label(RichText::new(tr(locale, "capture.drop_hint")).color(theme::MUTED));
    action
}

/// An image scaled to fit `room` (in points), keeping its proportions.
fn fitted(ui: &mut Ui, texture: &TextureHandle, room: egui::Vec2) {
    let size = texture.size_vec2();
    let scale = (room.x / size.x).min(room.y / size.y);
    ui.add(egui::Image::new((texture.id(), size * scale)));
}

/// The photo under review, large (a document as the rectified crop that is uploaded), with the
/// quality engine's verdict. One that passed is kept with one touch; one that failed says what
/// is wrong and how to fix it, "Take it again" is the primary button, and "Use anyway" shows only
/// when the flow offers it (after repeated tries, or when staff help).
pub fn review_ui(
    ui: &mut Ui,
    locale: Locale,
    review: &Review<'_>,
    identified: Option<&str>,
    image: Option<&TextureHandle>,
) -> Option<ScreenAction> {
    let mut action = None;
    let slot = review.slot;
    let name = slot_name(locale, slot);
    title(ui, &tr_with(locale, "review.title", &[("slot", &name)]));
    if let Some(document) = identified {
        ui.horizontal(|ui| {
            ui.label(
                RichText::new(tr_with(locale, "mrz.identified", &[("document", document)]))
                    .font(theme::body_font()),
            );
            if small_button(ui, &tr(locale, "mrz.not_right")) {
                action = Some(ScreenAction::ChooseManually);
            }
        });
    }
    match review.mrz {
        Some(MrzNotice::Unreadable) => {
            ui.label(
                RichText::new(tr(locale, "mrz.unreadable"))
                    .font(theme::hint_font())
                    .strong()
                    .color(theme::DANGER),
            );
        }
        Some(MrzNotice::Expired) => {
            ui.label(
                RichText::new(tr(locale, "mrz.expired"))
                    .font(theme::hint_font())
                    .strong()
                    .color(theme::DANGER),
            );
        }
        None => {}
    }
    // A photo that passed the checks but whose required MRZ does not read is retaken.
    let passed = review.check.passed() && (review.usable || review.mrz.is_none());
    if passed {
        ui.horizontal(|ui| {
            ui.label(
                RichText::new(tr(locale, "review.passed"))
                    .font(theme::body_font())
                    .color(theme::SUCCESS),
            );
            ui.label(RichText::new(tr(locale, "review.question")).color(theme::MUTED));
        });
    } else {
        ui.horizontal(|ui| {
            ui.label(
                RichText::new(tr(locale, "review.failed"))
                    .font(theme::body_font())
                    .color(theme::DANGER),
            );
            ui.label(
                RichText::new(tr(locale, hint_for(review.check.first()).key()))
                    .font(theme::hint_font())
                    .strong(),
            );
        });
        // The codes, for staff, in small print.
        let codes: Vec<&str> = review.check.problems.iter().map(|p| p.code()).collect();
        staff_detail(ui, &codes.join(", "));
    }
    if let Some(image) = image {
        // The buttons below stay on screen however many notices stand above: the photo takes
        // the room left, up to its usual size.
        let room = egui::vec2(
            theme::REVIEW_IMAGE.x,
            theme::REVIEW_IMAGE
                .y
                .min(ui.available_height() - theme::BUTTON_ROW_ROOM)
                .max(120.0),
        );
        ui.vertical_centered(|ui| fitted(ui, image, room));
    }
    let use_label = tr(locale, "review.use");
    let anyway_label = tr(locale, "review.use_anyway");
    let retake_label = tr(locale, "review.retake");
    ui.horizontal(|ui| {
        if passed {
            if primary_button(ui, &use_label) {
                action = Some(ScreenAction::Accept);
            }
            if big_button(ui, &retake_label) {
                action = Some(ScreenAction::Retake(slot));
            }
        } else {
            if primary_button(ui, &retake_label) {
                action = Some(ScreenAction::Retake(slot));
            }
            if review.usable && big_button(ui, &anyway_label) {
                action = Some(ScreenAction::Accept);
            }
        }
        if cancel_in_row(ui, locale) {
            action = Some(ScreenAction::Cancel);
        }
    });
    action
}

/// Every image, large, each with a retake, and Send.
pub fn summary_ui(
    ui: &mut Ui,
    locale: Locale,
    images: &[(ImageSlot, Option<&TextureHandle>)],
    refused: Option<MrzNotice>,
) -> Option<ScreenAction> {
    let mut action = None;
    title(ui, &tr(locale, "summary.title"));
    ui.horizontal_wrapped(|ui| {
        for (slot, texture) in images {
            ui.vertical(|ui| {
                ui.label(slot_name(locale, *slot));
                if let Some(texture) = texture {
                    fitted(ui, texture, theme::SUMMARY_IMAGE);
                }
                let retake = match slot {
                    ImageSlot::Front => "summary.retake_front",
                    ImageSlot::Back => "summary.retake_back",
                    ImageSlot::Face => "summary.retake_face",
                    ImageSlot::UtilityBill => "summary.retake_utility_bill",
                };
                if small_button(ui, &tr(locale, retake)) {
                    action = Some(ScreenAction::Retake(*slot));
                }
            });
        }
    });
    ui.add_space(theme::GAP / 2.0);
    if refused.is_some() {
        ui.label(
            RichText::new(tr(locale, "mrz.send_refused"))
                .font(theme::hint_font())
                .strong()
                .color(theme::DANGER),
        );
    }
    ui.horizontal(|ui| {
        if refused.is_none() && primary_button(ui, &tr(locale, "summary.send")) {
            action = Some(ScreenAction::Submit);
        }
        if cancel_in_row(ui, locale) {
            action = Some(ScreenAction::Cancel);
        }
    });
    action
}

/// Preparing, then uploading with a byte progress bar.
pub fn submitting_ui(ui: &mut Ui, locale: Locale, stage: SubmitStage) -> Option<ScreenAction> {
    let mut action = None;
    ui.vertical_centered(|ui| {
        ui.add_space(theme::GAP * 3.0);
        match stage {
            SubmitStage::PreparingImages => {
                title(ui, &tr(locale, "submitting.preparing"));
                ui.add(egui::Spinner::new().size(theme::SPINNER));
            }
            SubmitStage::Uploading(UploadProgress { sent, total })
                if total > 0 && sent >= total =>
            {
                // Every byte went: what is left is Mark ID's answer, which can take a while.
                title(ui, &tr(locale, "submitting.waiting_answer"));
                ui.add(egui::Spinner::new().size(theme::SPINNER));
            }
            SubmitStage::Uploading(UploadProgress { sent, total }) => {
                title(ui, &tr(locale, "submitting.sending"));
                let fraction = UploadProgress { sent, total }.fraction();
                let megabytes = |bytes: u64| format!("{:.1}", bytes as f64 / 1e6);
                let text = tr_with(
                    locale,
                    "submitting.progress",
                    &[("sent", &megabytes(sent)), ("total", &megabytes(total))],
                );
                ui.add(
                    ProgressBar::new(fraction)
                        .text(text)
                        .desired_width(theme::PROGRESS_WIDTH),
                );
            }
        }
        action = cancel_row(ui, locale);
    });
    action
}

/// Handed to Mark ID; the reference is for staff.
pub fn success_ui(ui: &mut Ui, locale: Locale, scan_ref: &str) -> Option<ScreenAction> {
    let mut action = None;
    ui.vertical_centered(|ui| {
        ui.add_space(theme::GAP * 3.0);
        ui.label(
            RichText::new(tr(locale, "success.title"))
                .font(theme::title_font())
                .color(theme::SUCCESS),
        );
        ui.label(tr(locale, "success.body"));
        ui.add_space(theme::GAP);
        ui.label(
            RichText::new(tr_with(
                locale,
                "success.reference",
                &[("scan_ref", scan_ref)],
            ))
            .font(theme::small_font())
            .color(theme::MUTED),
        );
        ui.add_space(theme::GAP);
        if big_button(ui, &tr(locale, "success.done")) {
            action = Some(ScreenAction::Cancel);
        }
    });
    action
}

/// "Continue on your phone": the QR code of Mark ID's web UI with this session's token, and
/// the token's 8-digit code for the Mark ID app, large and in groups of four, with what to do.
/// Without a code (the API sent none) only the QR code is shown, and staff are told why.
pub fn handoff_ui(
    ui: &mut Ui,
    locale: Locale,
    qr: Option<&TextureHandle>,
    digits: Option<&str>,
) -> Option<ScreenAction> {
    let mut action = None;
    title(ui, &tr(locale, "handoff.title"));
    ui.horizontal_top(|ui| {
        if let Some(qr) = qr {
            // At least the texture's own size: 8 pixels a module, as a phone reads it.
            let side = qr.size_vec2().x.max(theme::HANDOFF_QR_SIDE);
            ui.add(
                egui::Image::new((qr.id(), egui::vec2(side, side)))
                    .alt_text(tr(locale, "handoff.qr_alt")),
            );
        }
        ui.add_space(theme::GAP * 2.0);
        ui.vertical(|ui| {
            ui.label(RichText::new(tr(locale, "handoff.scan")).font(theme::body_font()));
            if let Some(digits) = digits {
                ui.add_space(theme::GAP);
                ui.label(RichText::new(tr(locale, "handoff.app")).font(theme::body_font()));
                ui.label(
                    RichText::new(crate::handoff::grouped_digits(digits))
                        .font(theme::digits_font())
                        .strong(),
                );
            } else {
                staff_detail(ui, crate::handoff::NO_DIGIT_STRING);
            }
            ui.add_space(theme::GAP);
            ui.label(RichText::new(tr(locale, "handoff.when_done")).color(theme::MUTED));
        });
    });
    ui.add_space(theme::GAP);
    ui.horizontal(|ui| {
        if primary_button(ui, &tr(locale, "handoff.done")) {
            action = Some(ScreenAction::HandOffDone);
        }
        if cancel_in_row(ui, locale) {
            action = Some(ScreenAction::Cancel);
        }
    });
    action
}

/// One sentence for the customer, one clear action, and the details for staff.
pub fn error_ui(ui: &mut Ui, locale: Locale, failure: &Failure) -> Option<ScreenAction> {
    let mut action = None;
    ui.vertical_centered(|ui| {
        ui.add_space(theme::GAP * 3.0);
        ui.label(
            RichText::new(tr(locale, "error.title"))
                .font(theme::title_font())
                .color(theme::DANGER),
        );
        ui.label(RichText::new(tr(locale, failure.advice.key())).font(theme::body_font()));
        ui.add_space(theme::GAP);
        if primary_button(ui, &tr(locale, "error.try_again")) {
            action = Some(ScreenAction::TryAgain);
        }
        if small_button(ui, &tr(locale, "error.start_over")) {
            action = Some(ScreenAction::Cancel);
        }
        if small_button(ui, &tr(locale, "error.call_staff")) {
            action = Some(ScreenAction::CallStaff);
        }
        ui.add_space(theme::GAP);
        ui.with_layout(Layout::top_down(Align::Min), |ui| {
            egui::CollapsingHeader::new(tr(locale, "error.staff_details")).show(ui, |ui| {
                ui.label(RichText::new(&failure.staff_details).font(theme::small_font()));
            });
        });
    });
    action
}
