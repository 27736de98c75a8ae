//! Staff screens in kiosk mode: the PIN pad and the staff menu. Staff read them, not
//! customers, so they are in English and outside the translated customer screens.

use egui::{Button, RichText};

use super::theme;

/// What staff did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StaffAction {
    /// Open the PIN pad.
    Open,
    /// A digit on the pad.
    Digit(char),
    /// Clear what was typed.
    Clear,
    /// Check the PIN.
    Enter,
    /// Close the pad or the menu.
    Close,
    /// Leave the kiosk (close the program).
    Exit,
}

/// The discreet way in, bottom right of Welcome: large enough to touch, quiet enough to ignore.
pub fn staff_button(ctx: &egui::Context) -> Option<StaffAction> {
    let mut action = None;
    egui::Area::new(egui::Id::unique("staff-button"))
        .anchor(
            egui::Align2::RIGHT_BOTTOM,
            egui::vec2(-theme::GAP, -theme::GAP),
        )
        .show(ctx, |ui| {
            let button = Button::new(RichText::new("Staff").color(theme::MUTED))
                .min_size(theme::SMALL_BUTTON_SIZE * egui::vec2(0.6, 1.0))
                .frame(false);
            if ui.add(button).clicked() {
                action = Some(StaffAction::Open);
            }
        });
    action
}

/// The PIN pad: dots for the digits typed, 0-9, clear, enter, close; the last outcome below.
pub fn pin_pad_ui(ctx: &egui::Context, typed: usize, message: Option<&str>) -> Option<StaffAction> {
    let mut action = None;
    egui::Modal::new(egui::Id::unique("staff-pin")).show(ctx, |ui| {
        ui.vertical_centered(|ui| {
            ui.heading("Staff PIN");
            // ASCII: every bundled font has it.
            let dots = "* ".repeat(typed) + &"_ ".repeat(4_usize.saturating_sub(typed));
            ui.label(RichText::new(dots.trim_end()).size(28.0));
            if let Some(message) = message {
                ui.label(RichText::new(message).color(theme::DANGER));
            }
            let key = egui::vec2(theme::MIN_TOUCH * 1.6, theme::MIN_TOUCH * 1.3);
            for row in ["123", "456", "789"] {
                ui.horizontal(|ui| {
                    for digit in row.chars() {
                        if ui.add_sized(key, Button::new(digit.to_string())).clicked() {
                            action = Some(StaffAction::Digit(digit));
                        }
                    }
                });
            }
            ui.horizontal(|ui| {
                if ui.add_sized(key, Button::new("Clear")).clicked() {
                    action = Some(StaffAction::Clear);
                }
                if ui.add_sized(key, Button::new("0")).clicked() {
                    action = Some(StaffAction::Digit('0'));
                }
                if ui
                    .add_sized(key, Button::new("OK").fill(theme::PRIMARY))
                    .clicked()
                {
                    action = Some(StaffAction::Enter);
                }
            });
            ui.add_space(theme::GAP / 2.0);
            if ui
                .add_sized(theme::SMALL_BUTTON_SIZE, Button::new("Close"))
                .clicked()
            {
                action = Some(StaffAction::Close);
            }
        });
    });
    action
}

/// What staff can do once in.
pub fn staff_menu_ui(ctx: &egui::Context) -> Option<StaffAction> {
    let mut action = None;
    egui::Modal::new(egui::Id::unique("staff-menu")).show(ctx, |ui| {
        ui.vertical_centered(|ui| {
            ui.heading("Staff");
            ui.add_space(theme::GAP / 2.0);
            if ui
                .add_sized(theme::BUTTON_SIZE, Button::new("Exit the kiosk"))
                .clicked()
            {
                action = Some(StaffAction::Exit);
            }
            if ui
                .add_sized(theme::BUTTON_SIZE, Button::new("Back to the kiosk"))
                .clicked()
            {
                action = Some(StaffAction::Close);
            }
        });
    });
    action
}
