//! Every colour and size of the kiosk in one place: large, touch-friendly controls readable from
//! a metre away. Text colours keep at least 4.5:1 contrast against their backgrounds.

use egui::{Color32, FontId, Vec2};

/// Window background.
pub const BACKGROUND: Color32 = Color32::from_rgb(0xF4, 0xF6, 0xFA);
/// Body text (contrast 15:1 on BACKGROUND).
pub const TEXT: Color32 = Color32::from_rgb(0x1A, 0x20, 0x2C);
/// Secondary text (contrast 7:1 on BACKGROUND).
pub const MUTED: Color32 = Color32::from_rgb(0x4A, 0x55, 0x68);
/// Primary buttons' fill (white text on it: 7.5:1).
pub const PRIMARY: Color32 = Color32::from_rgb(0x1D, 0x4E, 0xD8);
/// Error accents (white text on it: 6.5:1).
pub const DANGER: Color32 = Color32::from_rgb(0xB9, 0x1C, 0x1C);
/// Success accents (white text on it: 5.9:1).
pub const SUCCESS: Color32 = Color32::from_rgb(0x15, 0x80, 0x3D);
/// The keyboard focus outline: as dark as the text, `FOCUS_WIDTH` thick, around the control
/// that Enter would press (seen from a step back; 15:1 on BACKGROUND).
pub const FOCUS: Color32 = TEXT;
/// Its width in points.
pub const FOCUS_WIDTH: f32 = 4.0;
/// The DEMO badge.
pub const DEMO_BADGE: Color32 = Color32::from_rgb(0xB4, 0x53, 0x09);

/// Titles.
pub fn title_font() -> FontId {
    FontId::proportional(40.0)
}
/// Body text.
pub fn body_font() -> FontId {
    FontId::proportional(24.0)
}
/// The live capture hint: read from a step back.
pub fn hint_font() -> FontId {
    FontId::proportional(30.0)
}
/// The phone code's digits: read from a step away and typed into a phone.
pub fn digits_font() -> FontId {
    FontId::monospace(56.0)
}
/// Button labels.
pub fn button_font() -> FontId {
    FontId::proportional(26.0)
}
/// Small print (staff details).
pub fn small_font() -> FontId {
    FontId::monospace(16.0)
}

/// Primary buttons: well over the 48 px minimum touch target.
pub const BUTTON_SIZE: Vec2 = Vec2::new(320.0, 72.0);
/// Secondary buttons.
pub const SMALL_BUTTON_SIZE: Vec2 = Vec2::new(220.0, 56.0);
/// Space between blocks.
pub const GAP: f32 = 24.0;
/// The smallest height of anything touchable (WCAG 2.5.8 asks 24 px; a kiosk finger needs 48).
pub const MIN_TOUCH: f32 = 48.0;
/// Width of one language in the language lists.
pub const LANGUAGE_ITEM_WIDTH: f32 = 150.0;
/// The language grid on Welcome wraps at this width (four per row).
pub const LANGUAGE_GRID_WIDTH: f32 = 660.0;
/// Height of the language drop-down list on the other screens.
pub const LANGUAGE_LIST_HEIGHT: f32 = 480.0;
/// Text size of the technical reason shown to staff under a customer message.
pub const STAFF_DETAIL_SIZE: f32 = 15.0;
/// The photo under review fits this box, in points: large enough to check the text on it.
pub const REVIEW_IMAGE: Vec2 = Vec2::new(880.0, 420.0);
/// Room kept under a screen's photo for its row of big buttons and the gap above it, so that
/// the buttons never fall below the window's edge.
pub const BUTTON_ROW_ROOM: f32 = 110.0;
/// The least side of the phone screen's QR code, in points (the texture is 8 pixels a module;
/// larger still is easier for a phone).
pub const HANDOFF_QR_SIDE: f32 = 360.0;
/// Each photo on the summary fits this box (three side by side at 1280 points).
pub const SUMMARY_IMAGE: Vec2 = Vec2::new(380.0, 330.0);
/// The widest the content of a customer screen gets, in points; wider windows centre it.
pub const CONTENT_MAX_WIDTH: f32 = 1400.0;
/// A document type's tile on the document choice: a pictogram over its name.
pub const TILE_SIZE: Vec2 = Vec2::new(240.0, 168.0);
/// One country in the document choice's list.
pub const COUNTRY_ITEM_WIDTH: f32 = 270.0;
/// Tallest the live preview may be, in points.
pub const PREVIEW_MAX_HEIGHT: f32 = 432.0;
/// Share of the width the live preview may take (16:9 at the tallest: 768 of 1280 points).
pub const PREVIEW_WIDTH_SHARE: f32 = 0.7;
/// Spinners on waiting screens.
pub const SPINNER: f32 = 64.0;
/// The upload progress bar's width.
pub const PROGRESS_WIDTH: f32 = 600.0;
/// The country search field's width.
pub const SEARCH_WIDTH: f32 = 420.0;
/// Width of the staff settings and journal panels.
pub const STAFF_PANEL_WIDTH: f32 = 640.0;
/// One line of a staff dialog's outcome message; the room for it is reserved so that the dialog
/// keeps its size when the message arrives.
pub const STAFF_MESSAGE_LINE: f32 = 30.0;
/// Height of the journal's scrolling table.
pub const JOURNAL_HEIGHT: f32 = 380.0;
/// Height of the scrollable country list.
/// About two and a half rows at 1280x800: the cut row shows that the list scrolls, and the
/// document tiles and Cancel below stay on screen.
pub const COUNTRY_LIST_HEIGHT: f32 = 176.0;

/// The layout is designed for this window size, in points; larger screens are zoomed so that it
/// fills them (a 4K screen without OS scaling would otherwise show it a third of the size).
pub const DESIGN_SIZE: Vec2 = Vec2::new(1280.0, 800.0);

/// The zoom that makes `DESIGN_SIZE` fill a window of `physical` pixels on a screen whose OS
/// scale is `native_pixels_per_point`: never below 1 (the OS scale is respected), at most 4.
pub fn zoom_for(physical: Vec2, native_pixels_per_point: f32) -> f32 {
    let points = physical / native_pixels_per_point.max(0.5);
    (points.x / DESIGN_SIZE.x)
        .min(points.y / DESIGN_SIZE.y)
        .clamp(1.0, 4.0)
}

/// Applies the theme to a context.
pub fn apply(ctx: &egui::Context) {
    let mut style = (*ctx.global_style()).clone();
    style.visuals = egui::Visuals::light();
    style.visuals.panel_fill = BACKGROUND;
    style.visuals.override_text_color = Some(TEXT);
    // egui draws a focused control (Tab) with the `active` visuals, as a pressed one: a thick
    // dark outline shows where the keyboard is. Text fields show focus with `selection.stroke`.
    style.visuals.widgets.active.bg_stroke = egui::Stroke::new(FOCUS_WIDTH, FOCUS);
    style.visuals.selection.stroke = egui::Stroke::new(FOCUS_WIDTH, FOCUS);
    style.spacing.button_padding = Vec2::new(20.0, 14.0);
    style.spacing.item_spacing = Vec2::new(16.0, 16.0);
    style.spacing.interact_size = Vec2::new(48.0, 48.0);
    // Check boxes big enough to see and hit.
    style.spacing.icon_width = 28.0;
    style.spacing.icon_width_inner = 16.0;
    style.text_styles.insert(egui::TextStyle::Body, body_font());
    style
        .text_styles
        .insert(egui::TextStyle::Button, button_font());
    style
        .text_styles
        .insert(egui::TextStyle::Heading, title_font());
    style
        .text_styles
        .insert(egui::TextStyle::Monospace, small_font());
    ctx.set_global_style(style);
    ctx.set_fonts(fonts());
}

/// egui's fonts (Ubuntu Light: Latin, Greek, Cyrillic) with Droid Sans Fallback behind them for
/// Japanese. Built in: a kiosk must not depend on what fonts the machine happens to have.
pub fn fonts() -> egui::FontDefinitions {
    const CJK_FALLBACK: &[u8] = include_bytes!("../../assets/fonts/DroidSansFallbackFull.ttf");
    let mut fonts = egui::FontDefinitions::default();
    fonts.font_data.insert(
        "droid-sans-fallback".to_owned(),
        std::sync::Arc::new(egui::FontData::from_static(CJK_FALLBACK)),
    );
    for family in [egui::FontFamily::Proportional, egui::FontFamily::Monospace] {
        fonts
            .families
            .entry(family)
            .or_default()
            .push("droid-sans-fallback".to_owned());
    }
    fonts
}

#[cfg(test)]
mod tests {
    use super::*;

    /// WCAG 2.x contrast ratio of two opaque colours.
    fn contrast(a: Color32, b: Color32) -> f32 {
        fn luminance(colour: Color32) -> f32 {
            let linear = |channel: u8| {
                let c = f32::from(channel) / 255.0;
                if c <= 0.040_45 {
                    c / 12.92
                } else {
                    ((c + 0.055) / 1.055).powf(2.4)
                }
            };
            0.2126 * linear(colour.r()) + 0.7152 * linear(colour.g()) + 0.0722 * linear(colour.b())
        }
        let (la, lb) = (luminance(a), luminance(b));
        (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
    }

    #[test]
    fn contrast_formula_matches_known_values() {
        assert!((contrast(Color32::BLACK, Color32::WHITE) - 21.0).abs() < 0.01);
        assert!((contrast(Color32::from_gray(0x77), Color32::WHITE) - 4.48).abs() < 0.01);
    }

    #[test]
    fn every_text_has_at_least_4_5_to_1_contrast_on_what_it_is_drawn_on() {
        let ctx = egui::Context::default();
        apply(&ctx);
        let visuals = ctx.global_style().visuals.clone();
        let mut pairs = vec![
            ("body text on the window", TEXT, visuals.panel_fill),
            ("secondary text on the window", MUTED, visuals.panel_fill),
            ("error text on the window", DANGER, visuals.panel_fill),
            ("body text on dialogs", TEXT, visuals.window_fill),
            ("secondary text on dialogs", MUTED, visuals.window_fill),
            ("error text on dialogs", DANGER, visuals.window_fill),
            ("success text on dialogs", SUCCESS, visuals.window_fill),
            ("titles on dialogs", PRIMARY, visuals.window_fill),
            ("primary buttons", Color32::WHITE, PRIMARY),
            ("danger accents", Color32::WHITE, DANGER),
            ("success accents", Color32::WHITE, SUCCESS),
            ("the DEMO badge", Color32::WHITE, DEMO_BADGE),
            ("a selected list item", TEXT, visuals.selection.bg_fill),
        ];
        for (state, widget) in [
            ("button", &visuals.widgets.inactive),
            ("hovered button", &visuals.widgets.hovered),
            ("pressed button", &visuals.widgets.active),
        ] {
            pairs.push((state, TEXT, widget.weak_bg_fill));
            pairs.push((state, TEXT, widget.bg_fill));
        }
        assert_eq!(
            visuals.override_text_color,
            Some(TEXT),
            "all plain text is TEXT"
        );
        let too_faint: Vec<String> = pairs
            .iter()
            .map(|(what, text, background)| (what, contrast(*text, *background)))
            .filter(|(_, ratio)| *ratio < 4.5)
            .map(|(what, ratio)| format!("{what}: {ratio:.2}:1"))
            .collect();
        assert!(too_faint.is_empty(), "below 4.5:1: {too_faint:?}");
    }

    #[test]
    fn the_focus_outline_is_thick_and_stands_out_from_what_it_surrounds() {
        let ctx = egui::Context::default();
        apply(&ctx);
        let visuals = ctx.global_style().visuals.clone();
        let outline = visuals.widgets.active.bg_stroke;
        assert!(outline.width >= 3.0, "{outline:?}");
        // WCAG 1.4.11 (non-text contrast, 3:1) against the window around a control and against
        // a plain button's own fill, in both the focus and the text field's outline.
        for (what, background) in [
            ("the window", visuals.panel_fill),
            ("a button", visuals.widgets.inactive.weak_bg_fill),
            ("a button", visuals.widgets.inactive.bg_fill),
        ] {
            for stroke in [outline, visuals.selection.stroke] {
                let ratio = contrast(stroke.color, background);
                assert!(ratio >= 3.0, "focus on {what}: {ratio:.2}:1");
            }
        }
    }

    #[test]
    fn zoom_fills_large_screens_and_respects_os_scaling() {
        assert_eq!(zoom_for(Vec2::new(1280.0, 800.0), 1.0), 1.0);
        assert_eq!(zoom_for(Vec2::new(3840.0, 2160.0), 1.0), 2.7);
        assert_eq!(zoom_for(Vec2::new(3840.0, 2160.0), 2.0), 1.35);
        assert_eq!(
            zoom_for(Vec2::new(1024.0, 600.0), 1.0),
            1.0,
            "never shrinks below the OS scale"
        );
    }
}
