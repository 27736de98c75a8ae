//! One function per screen: each draws the flow's current step and returns what the customer
//! did. Screens never touch the network, the camera or the disk.

use egui::{Align, Button, Layout, ProgressBar, RichText, TextureHandle, Ui};

use super::theme;
use crate::api::country::all_alpha2_codes;
use crate::api::{ImageSlot, Locale, ProcessDocumentType, UploadProgress};
use crate::camera::{CameraError, CameraStatus};
use crate::flow::{Failure, SubmitStage};

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
}

fn big_button(ui: &mut Ui, label: &str) -> bool {
    ui.add_sized(
        theme::BUTTON_SIZE,
        Button::new(RichText::new(label).font(theme::button_font())),
    )
    .clicked()
}

fn primary_button(ui: &mut Ui, label: &str) -> bool {
    let text = RichText::new(label)
        .font(theme::button_font())
        .color(egui::Color32::WHITE);
    ui.add_sized(theme::BUTTON_SIZE, Button::new(text).fill(theme::PRIMARY))
        .clicked()
}

fn small_button(ui: &mut Ui, label: &str) -> bool {
    ui.add_sized(theme::SMALL_BUTTON_SIZE, Button::new(label))
        .clicked()
}

fn title(ui: &mut Ui, text: &str) {
    ui.label(RichText::new(text).font(theme::title_font()).strong());
}

/// The English name of a slot, for titles.
pub fn slot_name(slot: ImageSlot) -> &'static str {
    match slot {
        ImageSlot::Front => "Front of your document",
        ImageSlot::Back => "Back of your document",
        ImageSlot::Face => "Your face",
        ImageSlot::UtilityBill => "Utility bill",
    }
}

/// The English name of a document type.
pub fn document_name(document: ProcessDocumentType) -> &'static str {
    match document {
        ProcessDocumentType::IdCard => "ID card",
        ProcessDocumentType::Passport => "Passport",
        ProcessDocumentType::ResidencePermit => "Residence permit",
        ProcessDocumentType::DriverLicense => "Driving licence",
        ProcessDocumentType::Other => "Other document",
    }
}

/// Cancel, bottom left, on every customer screen after Welcome.
fn cancel_row(ui: &mut Ui) -> Option<ScreenAction> {
    ui.add_space(theme::GAP);
    small_button(ui, "Cancel").then_some(ScreenAction::Cancel)
}

/// Welcome: Start and the language choice. No token exists yet.
pub fn welcome_ui(ui: &mut Ui, locale: Locale) -> Option<ScreenAction> {
    let mut action = None;
    ui.vertical_centered(|ui| {
        ui.add_space(theme::GAP * 3.0);
        title(ui, "Verify your identity");
        ui.label(
            RichText::new("You will need your ID document. It takes about two minutes.")
                .color(theme::MUTED),
        );
        ui.add_space(theme::GAP * 2.0);
        if primary_button(ui, "Start") {
            action = Some(ScreenAction::Start);
        }
        ui.add_space(theme::GAP * 2.0);
        ui.label("Language");
        ui.horizontal_wrapped(|ui| {
            for candidate in Locale::ALL {
                let label = candidate.as_str().to_ascii_uppercase();
                if ui
                    .add(Button::selectable(*candidate == locale, label))
                    .clicked()
                {
                    action = Some(ScreenAction::Language(*candidate));
                }
            }
        });
    });
    action
}

/// A spinner with a sentence, for every wait.
pub fn waiting_ui(ui: &mut Ui, text: &str) -> Option<ScreenAction> {
    let mut action = None;
    ui.vertical_centered(|ui| {
        ui.add_space(theme::GAP * 4.0);
        ui.add(egui::Spinner::new().size(theme::SPINNER));
        ui.label(RichText::new(text).font(theme::body_font()));
        action = cancel_row(ui);
    });
    action
}

/// Country (searchable) and document type, limited to what the token allows.
pub fn document_ui(
    ui: &mut Ui,
    country: Option<&str>,
    country_search: &mut String,
    allowed: &[ProcessDocumentType],
) -> Option<ScreenAction> {
    let mut action = None;
    title(ui, "Which document do you have?");
    ui.horizontal(|ui| {
        ui.label("Issuing country:");
        ui.label(RichText::new(country.unwrap_or("not chosen")).strong());
    });
    // A touch kiosk may have no keyboard: every country is in the list, and typing only narrows it.
    ui.add(
        egui::TextEdit::singleline(country_search)
            .hint_text("Search, e.g. LT")
            .desired_width(theme::SEARCH_WIDTH),
    );
    let search = country_search.trim().to_ascii_uppercase();
    egui::ScrollArea::vertical()
        .max_height(theme::COUNTRY_LIST_HEIGHT)
        .show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                for code in all_alpha2_codes().filter(|code| code.starts_with(&search)) {
                    if ui
                        .add(Button::selectable(country == Some(code), code))
                        .clicked()
                    {
                        action = Some(ScreenAction::Country(code.to_owned()));
                    }
                }
            });
        });
    ui.add_space(theme::GAP);
    ui.add_enabled_ui(country.is_some(), |ui| {
        ui.horizontal_wrapped(|ui| {
            for document in allowed {
                if big_button(ui, document_name(*document)) {
                    action = Some(ScreenAction::Document(*document));
                }
            }
        });
    });
    if country.is_none() {
        ui.label(
            RichText::new("Choose the country that issued your document first.")
                .color(theme::MUTED),
        );
    }
    cancel_row(ui).or(action)
}

/// The idle warning over any customer screen: the seconds left and "I need more time".
pub fn idle_warning_ui(ctx: &egui::Context, left: std::time::Duration) -> Option<ScreenAction> {
    let mut action = None;
    egui::Modal::new(egui::Id::unique("idle-warning")).show(ctx, |ui| {
        ui.set_width(theme::PROGRESS_WIDTH);
        ui.vertical_centered(|ui| {
            ui.heading("Are you still there?");
            ui.add_space(theme::GAP / 2.0);
            ui.label(format!(
                "For your privacy this session ends in {} seconds and your photos are deleted.",
                left.as_secs_f32().ceil() as u64
            ));
            ui.add_space(theme::GAP);
            if primary_button(ui, "I need more time") {
                action = Some(ScreenAction::MoreTime);
            }
        });
    });
    action
}

/// What the capture screen shows of the camera.
pub struct CameraView<'a> {
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
}

/// The customer's words for a camera that gives no pictures; the reason for staff is shown
/// beside it in small print.
fn camera_notice(error: &CameraError) -> &'static str {
    match error {
        CameraError::NoCamera | CameraError::NotFound(_) => {
            "There is no camera here right now. Please choose a photo file, or ask staff for help."
        }
        CameraError::Disconnected => {
            "The camera was disconnected. The picture comes back when it is plugged in again; you can also choose a photo file."
        }
        _ => {
            "The camera cannot be used right now. Please choose a photo file, or ask staff for help."
        }
    }
}

/// Live preview and the two ways in: the camera, or a file (also by dropping it on the window).
pub fn capture_ui(
    ui: &mut Ui,
    slot: ImageSlot,
    camera: &CameraView<'_>,
    problem: Option<&str>,
) -> Option<ScreenAction> {
    let mut action = None;
    title(ui, slot_name(slot));
    let live = matches!(camera.status, Some(CameraStatus::Live { .. }));
    if live {
        ui.label(
            RichText::new(if slot == ImageSlot::Face {
                "Look into the camera, with your face inside the frame."
            } else {
                "Hold the whole document in front of the camera, without glare."
            })
            .color(theme::MUTED),
        );
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
        ui.add(image);
    }
    match camera.status {
        Some(CameraStatus::Unavailable(error)) => {
            ui.label(RichText::new(camera_notice(error)).color(theme::DANGER));
            ui.label(
                RichText::new(error.to_string())
                    .size(theme::STAFF_DETAIL_SIZE)
                    .color(theme::MUTED),
            );
        }
        Some(CameraStatus::Starting) | None => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(RichText::new("Starting the camera…").color(theme::MUTED));
            });
        }
        Some(CameraStatus::Live { .. }) => {}
    }
    if let Some(error) = camera.error {
        ui.label(RichText::new("No photo was taken. Please try again.").color(theme::DANGER));
        ui.label(
            RichText::new(error.to_string())
                .size(theme::STAFF_DETAIL_SIZE)
                .color(theme::MUTED),
        );
    }
    if let Some(problem) = problem {
        ui.label(
            RichText::new(format!("This image cannot be used: {problem}")).color(theme::DANGER),
        );
    }
    ui.horizontal(|ui| {
        if camera.taking {
            ui.spinner();
            ui.label("Taking the photo…");
        } else if live && primary_button(ui, "Take photo") {
            action = Some(ScreenAction::TakePhoto);
        }
        if big_button(ui, "Choose a file") {
            action = Some(ScreenAction::ChooseFile);
        }
    });
    ui.label(RichText::new("You can also drop a photo onto this window.").color(theme::MUTED));
    cancel_row(ui).or(action)
}

/// An image scaled so that its longest edge is `long_edge` points.
fn thumbnail(ui: &mut Ui, texture: &TextureHandle, long_edge: f32) {
    let size = texture.size_vec2();
    let scale = long_edge / size.x.max(size.y);
    ui.add(egui::Image::new((texture.id(), size * scale)));
}

/// The prepared image, to keep or take again.
pub fn review_ui(
    ui: &mut Ui,
    slot: ImageSlot,
    image: Option<&TextureHandle>,
) -> Option<ScreenAction> {
    let mut action = None;
    title(ui, &format!("Check: {}", slot_name(slot)));
    ui.label(RichText::new("Is everything sharp and readable, without glare?").color(theme::MUTED));
    if let Some(image) = image {
        thumbnail(ui, image, theme::THUMBNAIL);
    }
    ui.horizontal(|ui| {
        if primary_button(ui, "Use this photo") {
            action = Some(ScreenAction::Accept);
        }
        if big_button(ui, "Take it again") {
            action = Some(ScreenAction::Retake(slot));
        }
    });
    cancel_row(ui).or(action)
}

/// Every image with a retake, and Send.
pub fn summary_ui(
    ui: &mut Ui,
    images: &[(ImageSlot, Option<&TextureHandle>)],
) -> Option<ScreenAction> {
    let mut action = None;
    title(ui, "Ready to send");
    ui.horizontal_wrapped(|ui| {
        for (slot, texture) in images {
            ui.vertical(|ui| {
                ui.label(slot_name(*slot));
                if let Some(texture) = texture {
                    thumbnail(ui, texture, theme::SUMMARY_THUMBNAIL);
                }
                if small_button(
                    ui,
                    &format!(
                        "Retake {}",
                        slot.as_str().to_ascii_lowercase().replace('_', " ")
                    ),
                ) {
                    action = Some(ScreenAction::Retake(*slot));
                }
            });
        }
    });
    ui.add_space(theme::GAP);
    if primary_button(ui, "Send") {
        action = Some(ScreenAction::Submit);
    }
    cancel_row(ui).or(action)
}

/// Preparing, then uploading with a byte progress bar.
pub fn submitting_ui(ui: &mut Ui, stage: SubmitStage) -> Option<ScreenAction> {
    let mut action = None;
    ui.vertical_centered(|ui| {
        ui.add_space(theme::GAP * 3.0);
        match stage {
            SubmitStage::PreparingImages => {
                title(ui, "Preparing your photos");
                ui.add(egui::Spinner::new().size(theme::SPINNER));
            }
            SubmitStage::Uploading(UploadProgress { sent, total }) => {
                title(ui, "Sending your photos");
                let fraction = UploadProgress { sent, total }.fraction();
                let text = format!("{:.1} of {:.1} MB", sent as f64 / 1e6, total as f64 / 1e6);
                ui.add(
                    ProgressBar::new(fraction)
                        .text(text)
                        .desired_width(theme::PROGRESS_WIDTH),
                );
            }
        }
        action = cancel_row(ui);
    });
    action
}

/// Handed to Mark ID; the reference is for staff.
pub fn success_ui(ui: &mut Ui, scan_ref: &str) -> Option<ScreenAction> {
    let mut action = None;
    ui.vertical_centered(|ui| {
        ui.add_space(theme::GAP * 3.0);
        ui.label(
            RichText::new("Thank you! Your photos were sent.")
                .font(theme::title_font())
                .color(theme::SUCCESS),
        );
        ui.label("The result will reach the bank shortly. You may now leave the kiosk.");
        ui.add_space(theme::GAP);
        ui.label(
            RichText::new(format!("Reference for staff: {scan_ref}"))
                .font(theme::small_font())
                .color(theme::MUTED),
        );
        ui.add_space(theme::GAP);
        if big_button(ui, "Done") {
            action = Some(ScreenAction::Cancel);
        }
    });
    action
}

/// One sentence for the customer, one clear action, and the details for staff.
pub fn error_ui(ui: &mut Ui, failure: &Failure) -> Option<ScreenAction> {
    let mut action = None;
    ui.vertical_centered(|ui| {
        ui.add_space(theme::GAP * 3.0);
        ui.label(
            RichText::new("Something went wrong")
                .font(theme::title_font())
                .color(theme::DANGER),
        );
        ui.label(RichText::new(failure.advice.text()).font(theme::body_font()));
        ui.add_space(theme::GAP);
        if primary_button(ui, "Try again") {
            action = Some(ScreenAction::TryAgain);
        }
        if small_button(ui, "Start over") {
            action = Some(ScreenAction::Cancel);
        }
        ui.add_space(theme::GAP);
        ui.with_layout(Layout::top_down(Align::Min), |ui| {
            egui::CollapsingHeader::new("Details for staff").show(ui, |ui| {
                ui.label(RichText::new(&failure.staff_details).font(theme::small_font()));
            });
        });
    });
    action
}
