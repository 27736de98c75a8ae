//! Staff screens: the PIN pad, the staff menu, settings, the journal and the connection test.
//! Staff read them, not customers, so they are in English and outside the translated customer
//! screens. Like the customer screens they draw and return what was done; the app acts on it.

use egui::{Button, RichText};

use super::theme;
use crate::api::Locale;
use crate::i18n::language_name;
use crate::i18n::tr_with;
use crate::journal::JournalEntry;
pub use crate::staff::{JournalView, SettingsDraft, StaffAction, StaffNotice};

/// A staff notice in words.
pub struct Notice {
    /// Good news or a problem.
    pub ok: bool,
    /// The sentence.
    pub text: String,
}

impl Notice {
    /// The staff flow's notice in `locale`.
    pub fn of(notice: &StaffNotice, locale: Locale) -> Self {
        let args: Vec<(&str, &str)> = notice
            .args
            .iter()
            .map(|(name, value)| (*name, value.as_str()))
            .collect();
        Self {
            ok: notice.ok,
            text: tr_with(locale, notice.key, &args),
        }
    }
}

/// What the staff screens show besides the draft.
pub struct StaffView<'a> {
    /// The outcome of the last save, export or test: (it worked, what to say).
    pub notice: Option<&'a Notice>,
    /// A connection test is under way.
    pub testing: bool,
    /// The journal's newest entries, or why it cannot be read.
    pub journal: &'a JournalView,
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

/// A staff dialog over Welcome. Staff screens keep the normal size whatever the customers' text
/// size (`KioskApp::fit_zoom`), so that they always fit and Save stays reachable.
fn staff_modal(ctx: &egui::Context, id: &'static str, add_contents: impl FnOnce(&mut egui::Ui)) {
    egui::Modal::new(egui::Id::unique(id)).show(ctx, add_contents);
}

/// The outcome of the last save, export or test, in a space of fixed size: a dialog that grew
/// when it arrived would re-centre and move its buttons under a finger about to tap them.
fn message_area(ui: &mut egui::Ui, notice: Option<&Notice>, testing: bool, lines: f32) {
    let size = egui::vec2(ui.available_width(), theme::STAFF_MESSAGE_LINE * lines);
    ui.allocate_ui_with_layout(size, egui::Layout::top_down(egui::Align::Center), |ui| {
        ui.set_min_size(size);
        if testing {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Testing the connection...");
            });
        } else if let Some(notice) = notice {
            let colour = if notice.ok {
                theme::SUCCESS
            } else {
                theme::DANGER
            };
            ui.label(RichText::new(&notice.text).color(colour));
        }
    });
}

/// The PIN pad: dots for the digits typed, 0-9, clear, enter, close; the last outcome below.
pub fn pin_pad_ui(
    ctx: &egui::Context,
    typed: usize,
    notice: Option<&Notice>,
) -> Option<StaffAction> {
    let mut action = None;
    staff_modal(ctx, "staff-pin", |ui| {
        ui.vertical_centered(|ui| {
            ui.heading("Staff PIN");
            // ASCII: every bundled font has it.
            let dots = "* ".repeat(typed) + &"_ ".repeat(4_usize.saturating_sub(typed));
            ui.label(RichText::new(dots.trim_end()).size(28.0));
            if let Some(notice) = notice {
                let colour = if notice.ok {
                    theme::SUCCESS
                } else {
                    theme::DANGER
                };
                ui.label(RichText::new(&notice.text).color(colour));
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
                let ok = RichText::new("OK").color(egui::Color32::WHITE);
                if ui
                    .add_sized(key, Button::new(ok).fill(theme::PRIMARY))
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

/// What staff can do once in. In kiosk mode also the way out, and a session with the OS file
/// dialog (which customers do not get).
pub fn staff_menu_ui(
    ctx: &egui::Context,
    view: &StaffView<'_>,
    kiosk_mode: bool,
) -> Option<StaffAction> {
    let mut action = None;
    staff_modal(ctx, "staff-menu", |ui| {
        ui.set_width(theme::BUTTON_SIZE.x * 1.5);
        ui.vertical_centered(|ui| {
            ui.heading("Staff");
            ui.add_space(theme::GAP / 2.0);
            let mut item = |ui: &mut egui::Ui, label: &str, what: StaffAction| {
                if ui
                    .add_sized(theme::BUTTON_SIZE, Button::new(label))
                    .clicked()
                {
                    action = Some(what);
                }
            };
            item(ui, "Settings", StaffAction::Settings);
            item(ui, "Submission journal", StaffAction::Journal);
            item(ui, "Test connection", StaffAction::TestConnection);
            if kiosk_mode {
                item(
                    ui,
                    "Start a session with files",
                    StaffAction::AssistedSession,
                );
                item(ui, "Exit the kiosk", StaffAction::Exit);
            }
            item(ui, "Back to the kiosk", StaffAction::Close);
            message_area(ui, view.notice, view.testing, 4.0);
        });
    });
    action
}

/// Settings: cameras, the default language, text size and timings. Saved to the config file.
pub fn settings_ui(
    ctx: &egui::Context,
    draft: &mut SettingsDraft,
    view: &StaffView<'_>,
) -> Option<StaffAction> {
    let mut action = None;
    staff_modal(ctx, "staff-settings", |ui| {
        ui.set_width(theme::STAFF_PANEL_WIDTH);
        ui.heading("Settings");
        ui.add_space(theme::GAP / 2.0);
        egui::Grid::new("staff-settings-grid")
            .num_columns(2)
            .spacing(egui::vec2(theme::GAP, theme::GAP / 2.0))
            .min_row_height(theme::MIN_TOUCH)
            .show(ui, |ui| {
                for (label, value) in [
                    ("Document camera", &mut draft.document_camera),
                    ("Face camera", &mut draft.face_camera),
                ] {
                    let name = ui.label(label);
                    let combo = camera_combo(ui, label, value, &draft.camera_choices);
                    let _ = combo.labelled_by(name.id);
                    ui.end_row();
                }
                let name = ui.label("Default language");
                let combo = egui::ComboBox::from_id_salt("staff-language")
                    .selected_text(language_name(draft.language))
                    .height(theme::LANGUAGE_LIST_HEIGHT)
                    .show_ui(ui, |ui| {
                        for candidate in Locale::ALL {
                            let item = Button::selectable(
                                *candidate == draft.language,
                                language_name(*candidate),
                            )
                            .min_size(egui::vec2(theme::LANGUAGE_ITEM_WIDTH, theme::MIN_TOUCH));
                            if ui.add(item).clicked() {
                                draft.language = *candidate;
                            }
                        }
                    });
                let _ = combo.response.labelled_by(name.id);
                ui.end_row();
                ui.label("Text size");
                ui.horizontal(|ui| {
                    for (label, scale) in
                        [("100%", 1.0), ("125%", 1.25), ("150%", 1.5), ("200%", 2.0)]
                    {
                        let chosen = (draft.text_scale - scale).abs() < 0.01;
                        let button = Button::selectable(chosen, label)
                            .min_size(egui::vec2(theme::MIN_TOUCH * 1.5, theme::MIN_TOUCH));
                        if ui.add(button).clicked() {
                            draft.text_scale = scale;
                        }
                    }
                });
                ui.end_row();
                let name = ui.label("Idle timeout (s)");
                let _ = ui
                    .add(egui::DragValue::new(&mut draft.idle_timeout_secs).range(40..=3600))
                    .labelled_by(name.id);
                ui.end_row();
                let name = ui.label("Thank-you screen (s)");
                let _ = ui
                    .add(egui::DragValue::new(&mut draft.success_return_secs).range(3..=300))
                    .labelled_by(name.id);
                ui.end_row();
                ui.label("Kiosk mode");
                ui.checkbox(
                    &mut draft.kiosk_mode,
                    "fullscreen and locked, from the next start",
                );
                ui.end_row();
            });
        ui.add_space(theme::GAP / 2.0);
        message_area(ui, view.notice, false, 2.0);
        ui.horizontal(|ui| {
            let save = RichText::new("Save").color(egui::Color32::WHITE);
            if ui
                .add_sized(
                    theme::SMALL_BUTTON_SIZE,
                    Button::new(save).fill(theme::PRIMARY),
                )
                .clicked()
            {
                action = Some(StaffAction::SaveSettings);
            }
            if back_to_menu(ui) {
                action = Some(StaffAction::Menu);
            }
        });
    });
    action
}

fn camera_combo(
    ui: &mut egui::Ui,
    id: &str,
    value: &mut String,
    choices: &[(String, String)],
) -> egui::Response {
    let shown = choices
        .iter()
        .find(|(choice, _)| choice == value)
        .map_or_else(|| value.clone(), |(_, label)| label.clone());
    egui::ComboBox::from_id_salt(id)
        .selected_text(shown)
        .width(theme::STAFF_PANEL_WIDTH / 2.0)
        .show_ui(ui, |ui| {
            for (choice, label) in choices {
                let item = Button::selectable(choice == value, label.as_str())
                    .min_size(egui::vec2(theme::STAFF_PANEL_WIDTH / 2.0, theme::MIN_TOUCH));
                if ui.add(item).clicked() {
                    value.clone_from(choice);
                }
            }
        })
        .response
}

/// The submission journal: newest first, with an export.
pub fn journal_ui(ctx: &egui::Context, view: &StaffView<'_>) -> Option<StaffAction> {
    let mut action = None;
    staff_modal(ctx, "staff-journal", |ui| {
        ui.set_width(theme::STAFF_PANEL_WIDTH * 1.4);
        ui.heading("Submission journal");
        match view.journal {
            JournalView::Reading => {
                ui.spinner();
            }
            JournalView::Rows(entries) if entries.is_empty() => {
                ui.label("No sessions yet.");
            }
            JournalView::Rows(entries) => {
                egui::ScrollArea::both()
                    .max_height(theme::JOURNAL_HEIGHT)
                    .show(ui, |ui| journal_table(ui, entries));
            }
            JournalView::Unreadable(reason) => {
                ui.label(RichText::new(reason).color(theme::DANGER));
            }
        }
        ui.add_space(theme::GAP / 2.0);
        message_area(ui, view.notice, false, 2.0);
        ui.horizontal(|ui| {
            if ui
                .add_sized(theme::SMALL_BUTTON_SIZE, Button::new("Export CSV"))
                .clicked()
            {
                action = Some(StaffAction::ExportJournal);
            }
            if back_to_menu(ui) {
                action = Some(StaffAction::Menu);
            }
        });
    });
    action
}

/// The journal as a striped table, newest first.
fn journal_table(ui: &mut egui::Ui, entries: &[JournalEntry]) {
    let cell = |text: &str| RichText::new(text).font(theme::small_font());
    egui::Grid::new("staff-journal-table")
        .striped(true)
        .spacing(egui::vec2(theme::GAP / 2.0, theme::GAP / 4.0))
        .show(ui, |ui| {
            for title in [
                "Time (UTC)",
                "Outcome",
                "Document",
                "Duration",
                "Photos",
                "Problems found",
                "Error",
                "scanRef",
                "clientId",
            ] {
                ui.label(cell(title).strong());
            }
            ui.end_row();
            for entry in entries {
                let record = &entry.record;
                let time = crate::journal::format_time(entry.time);
                ui.label(cell(time.trim_end_matches(" UTC")));
                let outcome = cell(record.outcome.as_str());
                ui.label(match record.outcome {
                    crate::journal::Outcome::Accepted => outcome.color(theme::SUCCESS),
                    _ => outcome.color(theme::DANGER),
                });
                ui.label(cell(record.document_type.as_deref().unwrap_or("-")));
                ui.label(cell(&format!("{:.1} s", record.duration.as_secs_f64())));
                ui.label(cell(&record.captures.to_string()));
                let problems = crate::journal::problems_text(&record.problems);
                ui.label(cell(if problems.is_empty() { "-" } else { &problems }));
                ui.label(cell(record.error.as_deref().unwrap_or("-")));
                ui.label(cell(&record.scan_ref));
                ui.label(cell(&record.client_id));
                ui.end_row();
            }
        });
}

/// The "Back" button under a staff dialog, to the staff menu; true when tapped.
fn back_to_menu(ui: &mut egui::Ui) -> bool {
    ui.add_sized(theme::SMALL_BUTTON_SIZE, Button::new("Back"))
        .clicked()
}
