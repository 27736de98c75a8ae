//! The eframe app. `logic()` drains the tasks' answers, feeds the clock and runs the flows'
//! effects; `ui()` only draws the current screen and collects what the customer did. The parts:
//! `run` (the bootstrap), `tasks` (every effect that waits, off the UI thread), `capture`
//! (cameras, stills, textures), `staff` (staff mode), `screens` and `staff_screens` (drawing).

mod analysis;
mod capture;
mod run;
pub mod screens;
mod staff;
pub mod staff_screens;
mod tasks;
pub mod theme;

pub use run::run_kiosk;

use std::path::PathBuf;
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use crate::api::{ImageSlot, Locale};
use crate::camera::{CameraRig, CameraStatus, Wake};
use crate::config::Config;
use crate::countries::CountryNames;
use crate::flow::{CapturedImage, Effect, Event, Flow, FlowSettings, Step, WaitLimits};
use crate::i18n::{tr, tr_with};
use crate::services::Services;
use crate::speech::{HeadsetWatch, Narrator, ScreenSpeech, Speech, SpeechBackend, SpeechMode};
use crate::staff::{StaffFlow, StaffInput, StaffScreen};
use capture::Capture;
use egui::{RichText, TextureHandle};
use screens::ScreenAction;
use tasks::{Inbox, Message, Tasks};

/// Longest wait for one photo to be decoded, checked and compressed (a 9 MP file takes < 1 s).
const PHOTO_WAIT_SECS: u64 = 60;

/// What the customer screens keep between frames.
#[derive(Default)]
struct CustomerUi {
    country_search: String,
    /// The country names of the language on show, made when the document choice first needs
    /// them in that language.
    countries: Option<CountryNames>,
    /// What the customer did in the last frame; `logic()` acts on it, `ui()` only draws.
    pending_actions: Vec<ScreenAction>,
    /// A customer pressed "Call staff" on the error screen.
    staff_called: bool,
    /// The phone screen's QR code (it holds the session's token) and the language in its
    /// address: made when the screen appears or the language changes, dropped when it ends.
    handoff_qr: Option<(Locale, TextureHandle)>,
    /// What to read aloud, and whether to.
    narrator: Narrator,
}

/// The window and how it may be left.
struct Window {
    demo: bool,
    /// Fullscreen, closing refused, exit and file dialog only for staff.
    kiosk_mode: bool,
    /// Staff chose "Exit": the next close request goes through.
    exit: bool,
    /// Where staff settings are saved: the config file in use, else the user's default one.
    config_path: Option<PathBuf>,
}

/// The kiosk app.
pub struct KioskApp {
    flow: Flow,
    staff: StaffFlow,
    config: Config,
    tasks: Tasks,
    receiver: mpsc::Receiver<Message>,
    capture: Capture,
    customer: CustomerUi,
    window: Window,
    /// The speech thread ("Read aloud").
    speech: Speech,
    /// With `speech = "on_headset"`: the headphones as the sound server sees them, and what
    /// was last acted on.
    headset: Option<(HeadsetWatch, Option<bool>)>,
    /// The runtime, the client, the journal and the demo simulator, for the app's lifetime.
    _services: Services,
}

impl KioskApp {
    /// Builds the app on `services` (`Services::start`); in demo mode their simulator stands in
    /// for Mark ID and the cameras are synthetic.
    pub fn new(ctx: &egui::Context, config: Config, services: Services) -> Self {
        theme::apply(ctx);
        let (inbox, receiver) = Inbox::new(ctx);
        let repaint = ctx.clone();
        let wake: Wake = Arc::new(move || repaint.request_repaint());
        let demo = services.demo();
        let cameras = CameraRig::new((&config.camera).into(), demo, Some(wake));
        let tasks = Tasks::new(
            services.handle(),
            inbox,
            services.client.clone(),
            services.journal.clone(),
        );
        Self {
            flow: Flow::new(flow_settings(&config)),
            staff: staff::staff_flow(&config),
            tasks,
            receiver,
            capture: Capture::new(cameras, &config.quality, ctx),
            customer: CustomerUi {
                narrator: Narrator::new(config.accessibility.speech == SpeechMode::On),
                ..CustomerUi::default()
            },
            // Validated with the config; a bad one speaks through the system.
            speech: Speech::start(
                SpeechBackend::parse(&config.accessibility.speech_backend)
                    .unwrap_or(SpeechBackend::System),
            ),
            headset: (config.accessibility.speech == SpeechMode::OnHeadset).then(|| {
                let repaint = ctx.clone();
                (HeadsetWatch::start(move || repaint.request_repaint()), None)
            }),
            window: Window {
                demo,
                kiosk_mode: config.kiosk.kiosk_mode,
                exit: false,
                config_path: crate::config::default_config_path(),
            },
            config,
            _services: services,
        }
    }

    /// Saves staff settings to `path` instead of the user's default config file.
    pub fn with_config_path(mut self, path: Option<PathBuf>) -> Self {
        if path.is_some() {
            self.window.config_path = path;
        }
        self
    }

    /// The flow, for tests.
    pub fn flow(&self) -> &Flow {
        &self.flow
    }

    /// The configuration in force (after staff settings), for tests.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Whether the app still holds anything of a customer: photos (textures, a pending still),
    /// or a running camera. False at Welcome, for tests.
    pub fn holds_customer_data(&self) -> bool {
        self.capture.holds_customer_data()
            || self.flow.session().is_some()
            || self.customer.handoff_qr.is_some()
    }

    /// Whether the phone screen's QR code (it spells the token) is held as a texture.
    pub fn holds_handoff_code(&self) -> bool {
        self.customer.handoff_qr.is_some()
    }

    /// Whether staff are in (past the PIN).
    pub fn staff_unlocked(&self) -> bool {
        self.staff.unlocked()
    }

    /// Review thumbnails held as textures, for tests (the soak test checks they go with each
    /// session).
    pub fn thumbnail_count(&self) -> usize {
        self.capture.thumbnails.len()
    }

    fn handle(&mut self, event: Event) {
        let was_welcome = *self.flow.step() == Step::Welcome;
        let effects = self.flow.handle(event, Instant::now());
        for effect in effects {
            self.run(effect);
        }
        // Back at Welcome, the next customer starts as configured ("Read aloud" is theirs to
        // choose). Not at the session's end: the thank-you is still read to this customer.
        if !was_welcome && *self.flow.step() == Step::Welcome {
            let headphones = self
                .headset
                .as_ref()
                .is_some_and(|(watch, _)| watch.plugged_in() == Some(true));
            self.customer
                .narrator
                .set(self.config.accessibility.speech == SpeechMode::On || headphones);
        }
    }

    fn run(&mut self, effect: Effect) {
        if effect == Effect::WipeSession {
            // The flow has dropped the session's photos (they zero themselves) and token;
            // staff can see in the log that the app's copies went with them.
            tracing::info!(
                previews = self.capture.thumbnails.len(),
                "session over: its photos, previews and token wiped"
            );
            self.capture.wipe();
            self.customer.country_search.clear();
            self.customer.handoff_qr = None;
            return;
        }
        self.tasks.run(effect, &self.config);
    }

    /// The capture screen's camera cannot be used (one of the reasons to offer the phone).
    fn camera_unavailable(&self) -> bool {
        matches!(self.capture.status, Some(CameraStatus::Unavailable(_)))
    }

    /// Reads aloud the name of the control the keyboard moved to in the last frame (egui tells
    /// screen readers the same through its output events).
    fn name_focused_control(&self, ctx: &egui::Context) {
        let labels: Vec<String> = ctx.output(|output| {
            output
                .events
                .iter()
                .filter_map(|event| match event {
                    egui::output::OutputEvent::FocusGained(info) => info.label.clone(),
                    _ => None,
                })
                .collect()
        });
        for label in labels {
            let said = self.customer.narrator.focused(self.flow.locale(), &label);
            self.speech.say(said);
        }
    }

    /// Turns a screen's action into flow events and effects.
    fn act(&mut self, action: ScreenAction) {
        match action {
            ScreenAction::Start => self.handle(Event::Start),
            ScreenAction::Language(locale) => self.handle(Event::ChooseLanguage(locale)),
            ScreenAction::Country(country) => self.handle(Event::ChooseCountry(country)),
            ScreenAction::Document(document) => self.handle(Event::ChooseDocument(document)),
            ScreenAction::TakePhoto => {
                if let Step::Capture { slot, .. } = *self.flow.step() {
                    self.capture.take_photo(slot);
                }
            }
            ScreenAction::ChooseFile => self.choose_file(),
            ScreenAction::Accept => self.handle(Event::Accept),
            ScreenAction::Retake(slot) => self.handle(Event::Retake(slot)),
            ScreenAction::Submit => self.handle(Event::Submit),
            ScreenAction::Cancel => self.handle(Event::Cancel),
            ScreenAction::TryAgain => self.handle(Event::TryAgain),
            ScreenAction::MoreTime => self.handle(Event::MoreTime),
            ScreenAction::Staff(action) => self.staff_input(StaffInput::Action(action)),
            ScreenAction::CallStaff => {
                if !self.customer.staff_called {
                    tracing::warn!("a customer asked for staff at the error screen");
                }
                self.customer.staff_called = true;
                // Flashes the kiosk in the task bar of a staff workstation.
                self.tasks.inbox().ctx().send_viewport_cmd(
                    egui::ViewportCommand::RequestUserAttention(egui::UserAttentionType::Critical),
                );
            }
            ScreenAction::StaffComing => self.customer.staff_called = false,
            ScreenAction::HandOff => {
                let camera_unavailable = self.camera_unavailable();
                self.handle(Event::HandOff { camera_unavailable });
            }
            ScreenAction::HandOffDone => self.handle(Event::HandOffDone),
            ScreenAction::ChooseManually => self.handle(Event::ChooseManually),
            ScreenAction::ReadAloud => self.customer.narrator.toggle(),
        }
    }

    /// An OS file dialog is a way out of a locked-down machine: in kiosk mode only in a session
    /// staff started (e.g. for a photo the customer brought on a USB stick).
    fn file_dialog_allowed(&self) -> bool {
        self.flow.staff_assisted()
    }

    fn choose_file(&mut self) {
        let Step::Capture { slot, .. } = *self.flow.step() else {
            return;
        };
        if !self.file_dialog_allowed() {
            return;
        }
        let inbox = self.tasks.inbox().clone();
        // The dialog answers when the customer closes it, however long that takes: not a task
        // the flow waits for.
        self.tasks.runtime().spawn(async move {
            let picked = rfd::AsyncFileDialog::new()
                .set_title("Choose a photo")
                .add_filter(
                    "Images",
                    &[
                        "jpg", "jpeg", "png", "webp", "bmp", "tif", "tiff", "gif", "heic",
                    ],
                )
                .pick_file()
                .await;
            if let Some(file) = picked {
                inbox.send(Message::FileChosen(slot, file.path().to_path_buf()));
            }
        });
    }

    /// A file chosen or dropped for `slot` is taken, if its capture screen is still on show.
    fn take_file(&mut self, slot: ImageSlot, path: PathBuf) {
        if matches!(self.flow.step(), Step::Capture { slot: current, .. } if *current == slot) {
            // The file is read off the UI thread, by the task that prepares it.
            self.handle(Event::Captured(slot, Box::new(CapturedImage::File(path))));
        }
    }

    /// A file dropped on the window, on a capture screen, is taken as that image.
    fn take_dropped_file(&mut self, ctx: &egui::Context) {
        let dropped = ctx.input(|input| input.raw.dropped_files.first().cloned());
        let (Some(file), Step::Capture { slot, .. }) = (dropped, self.flow.step().clone()) else {
            return;
        };
        // Native drops carry a path; web-style drops with bytes only do not happen here.
        if !file.path().as_os_str().is_empty() {
            self.take_file(slot, file.path().to_path_buf());
        }
    }

    /// Zooms the layout to fill large screens (see `theme::zoom_for`).
    fn fit_zoom(&self, ctx: &egui::Context) {
        let (physical, native) = ctx.input(|input| {
            let native = input.viewport().native_pixels_per_point.unwrap_or(1.0);
            (
                input.content_rect().size() * input.pixels_per_point(),
                native,
            )
        });
        // The text size is the customers': staff screens keep the normal size so that they
        // always fit the window.
        let text_scale = match self.staff.screen() {
            StaffScreen::Closed => self.config.kiosk.text_scale,
            _ => 1.0,
        };
        let zoom = theme::zoom_for(physical, native) * text_scale;
        if (ctx.zoom_factor() - zoom).abs() > 0.01 {
            ctx.set_zoom_factor(zoom);
        }
    }

    /// egui draws only when something happens: input, a task's message, a camera frame. A
    /// screen that changes by itself (the idle warning, the end of a session, a waiting step's
    /// limit, Success's return, a staff screen's close, the PIN lock's end) would wait for the
    /// next touch, so every frame ends by asking for one at the earliest such deadline.
    fn wake_at_next_deadline(&self, ctx: &egui::Context) {
        let now = Instant::now();
        let deadline = [
            self.flow.next_deadline(now),
            self.staff.next_deadline(now),
            self.capture.next_deadline(now),
        ]
        .into_iter()
        .flatten()
        .min();
        if let Some(deadline) = deadline {
            // A millisecond late rather than early: woken early, the frame finds nothing due.
            let wait = deadline.saturating_duration_since(now) + Duration::from_millis(1);
            ctx.request_repaint_after(wait);
        }
    }

    fn screen_ui(&mut self, ui: &mut egui::Ui) -> Option<ScreenAction> {
        let step = self.flow.step().clone();
        let locale = self.flow.locale();
        // Every customer screen after Welcome (which has the full list) can switch language.
        let language = match step {
            Step::Welcome => None,
            _ => screens::language_menu(
                ui,
                locale,
                self.flow.progress(),
                self.customer.narrator.enabled(),
            ),
        };
        let action = match step {
            Step::Welcome => screens::welcome_ui(ui, locale, self.customer.narrator.enabled()),
            Step::CreatingSession => screens::waiting_ui(ui, locale, "waiting.session"),
            Step::ChooseDocument => {
                let session = self.flow.session()?;
                let allowed = session.allowed_documents();
                if self.customer.countries.as_ref().map(CountryNames::locale) != Some(locale) {
                    let first = &self.config.kiosk.countries_first;
                    self.customer.countries = Some(CountryNames::new(locale, first));
                }
                let names = self.customer.countries.as_ref()?;
                let country = screens::CountryChoice {
                    chosen: session.country.as_deref(),
                    fixed: session.country_fixed,
                    names,
                };
                screens::document_ui(
                    ui,
                    locale,
                    &country,
                    &mut self.customer.country_search,
                    &allowed,
                )
            }
            Step::Capture { slot, problem } => {
                let guidance = self.capture.guidance(Instant::now());
                let guide = match slot {
                    ImageSlot::Face => screens::GuideFrame::Oval,
                    ImageSlot::UtilityBill => screens::GuideFrame::A4,
                    ImageSlot::Front | ImageSlot::Back => {
                        let passport = self.flow.session().and_then(|s| s.document)
                            == Some(crate::api::ProcessDocumentType::Passport);
                        if passport {
                            screens::GuideFrame::PASSPORT_PAGE
                        } else {
                            screens::GuideFrame::ID_CARD
                        }
                    }
                };
                let camera = screens::CameraView {
                    showing_document: self.flow.showing_document(),
                    guide,
                    outline: guidance.outline,
                    hint: guidance.hint,
                    countdown: guidance.countdown,
                    handoff: self.flow.handoff_offered(self.camera_unavailable()),
                    file_dialog: self.file_dialog_allowed(),
                    preview: self.capture.preview.as_ref(),
                    mirrored: slot == ImageSlot::Face,
                    status: self.capture.status.as_ref(),
                    error: self.capture.error.as_ref(),
                    taking: self.capture.taking(),
                };
                screens::capture_ui(ui, locale, slot, &camera, problem.as_ref())
            }
            Step::Preparing(_) => screens::waiting_ui(ui, locale, "waiting.photo"),
            Step::Review(slot) => {
                let review = self.flow.review()?;
                let identified = self
                    .flow
                    .session()
                    .filter(|s| s.identified_by_mrz)
                    .and_then(|s| {
                        let document = screens::document_name(locale, s.document?);
                        Some(match s.country.as_deref() {
                            Some(code) => {
                                if self.customer.countries.as_ref().map(CountryNames::locale)
                                    != Some(locale)
                                {
                                    let first = &self.config.kiosk.countries_first;
                                    self.customer.countries =
                                        Some(CountryNames::new(locale, first));
                                }
                                let name = self
                                    .customer
                                    .countries
                                    .as_ref()
                                    .map(|names| names.name(code).to_owned())
                                    .unwrap_or_else(|| code.to_owned());
                                format!("{document}, {name}")
                            }
                            None => document.into_owned(),
                        })
                    });
                screens::review_ui(
                    ui,
                    locale,
                    &review,
                    identified.as_deref(),
                    self.capture.thumbnails.get(slot),
                )
            }
            Step::Summary => {
                let slots = self
                    .flow
                    .session()
                    .map(|s| s.required_slots())
                    .unwrap_or_default();
                let images: Vec<(ImageSlot, Option<&TextureHandle>)> = slots
                    .into_iter()
                    .map(|slot| (slot, self.capture.thumbnails.get(slot)))
                    .collect();
                screens::summary_ui(ui, locale, &images, self.flow.send_refused())
            }
            Step::Submitting(stage) => screens::submitting_ui(ui, locale, stage),
            Step::Success { scan_ref, .. } => screens::success_ui(ui, locale, &scan_ref),
            Step::Failed(failure) => screens::error_ui(ui, locale, &failure),
            Step::HandOff { .. } => {
                let token = &self.flow.session()?.token;
                // The web UI opens in the language on show: a new code when it changes.
                if self.customer.handoff_qr.as_ref().map(|(shown, _)| *shown) != Some(locale) {
                    self.customer.handoff_qr =
                        handoff_texture(ui.ctx(), &self.config, &token.auth_token, locale)
                            .map(|texture| (locale, texture));
                }
                let qr = self
                    .customer
                    .handoff_qr
                    .as_ref()
                    .map(|(_, texture)| texture);
                let digits = token.response.digit_string.as_deref();
                screens::handoff_ui(ui, locale, qr, digits)
            }
        };
        language.or(action)
    }
}

impl eframe::App for KioskApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        let messages: Vec<Message> = self.receiver.try_iter().collect();
        for message in messages {
            match message {
                Message::Flow(event) => self.handle(event),
                Message::Staff(input) => self.staff_input(input),
                Message::FileChosen(slot, path) => self.take_file(slot, path),
            }
        }
        for action in std::mem::take(&mut self.customer.pending_actions) {
            self.act(action);
        }
        self.take_dropped_file(ctx);
        if self.window.kiosk_mode {
            let close_requested = ctx.input(|input| input.viewport().close_requested());
            if close_requested && !self.window.exit {
                // Alt+F4, the close button, the window manager: only staff may leave.
                ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
            }
            if self.window.exit {
                ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            }
        }
        // Any touch, click, key or pointer movement is the customer (or staff) still there.
        let now = Instant::now();
        if ctx.input(|input| !input.events.is_empty() || input.pointer.is_moving()) {
            self.handle(Event::Activity);
            self.staff.activity(now);
        }
        self.staff_input(StaffInput::Tick);
        if !matches!(self.flow.step(), Step::Failed(_)) {
            self.customer.staff_called = false;
        }
        self.handle(Event::Tick);
        self.fit_zoom(ctx);
        let step = self.flow.step().clone();
        self.capture.update_preview(ctx, &step);
        if let Some((slot, still)) = self.capture.poll(&step, now) {
            self.handle(Event::Captured(slot, Box::new(still)));
        }
        // Escape cancels, as the Cancel button does, on every customer screen (not while a menu
        // is open: Escape closes the menu; not on staff screens, which have their own).
        let escape = ctx.input(|input| input.key_pressed(egui::Key::Escape));
        if escape
            && *self.flow.step() != Step::Welcome
            && !egui::Popup::is_any_open(ctx)
            && *self.staff.screen() == StaffScreen::Closed
        {
            self.handle(Event::Cancel);
        }
        // Headphones plugged in start reading aloud, pulled out stop it ("on_headset").
        if let Some((watch, acted_on)) = self.headset.as_mut() {
            let now_plugged = watch.plugged_in();
            if now_plugged != *acted_on {
                *acted_on = now_plugged;
                if let Some(plugged) = now_plugged {
                    self.customer.narrator.set(plugged);
                }
            }
        }
        // Read aloud what the screen now shows (nothing when "Read aloud" is off).
        let hint = self.capture.guidance(now).hint;
        let spoken = screen_speech(self.flow.step(), self.flow.locale(), hint);
        let said = self.customer.narrator.update(self.flow.locale(), spoken);
        self.speech.say(said);
        self.capture
            .thumbnails
            .reconcile(ctx, self.flow.session().map(|session| &session.images));
        self.wake_at_next_deadline(ctx);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let mut action = None;
        egui::CentralPanel::default().show(ui, |ui| {
            if self.window.demo {
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Min), |ui| {
                    ui.label(
                        RichText::new(" DEMO ")
                            .strong()
                            .color(egui::Color32::WHITE)
                            .background_color(theme::DEMO_BADGE),
                    );
                });
            }
            // Scrolls when a large text size makes a screen taller than the window.
            egui::ScrollArea::vertical()
                .auto_shrink(false)
                .show(ui, |ui| {
                    // A wide screen (21:9, or a 4K one turned to landscape at a low zoom)
                    // keeps the content in a centred column rather than spread to its edges.
                    let width = ui.available_width().min(theme::CONTENT_MAX_WIDTH);
                    let margin = (ui.available_width() - width) / 2.0;
                    ui.horizontal_top(|ui| {
                        ui.add_space(margin);
                        ui.vertical(|ui| {
                            ui.set_width(width);
                            action = self.screen_ui(ui);
                        });
                    });
                });
        });
        if let Some(left) = self.flow.idle_countdown(Instant::now()) {
            action = screens::idle_warning_ui(ui.ctx(), self.flow.locale(), left).or(action);
        }
        if *self.flow.step() == Step::Welcome {
            action = self.staff_ui(ui.ctx()).map(ScreenAction::Staff).or(action);
        }
        if self.customer.staff_called && matches!(self.flow.step(), Step::Failed(_)) {
            action = screens::staff_called_ui(ui.ctx(), self.flow.locale()).or(action);
        }
        // After drawing: egui has told this frame's focus change.
        self.name_focused_control(ui.ctx());
        if let Some(action) = action {
            self.customer.pending_actions.push(action);
            ui.ctx().request_repaint();
        }
    }
}

/// The phone screen's QR code as a texture: the web UI's address with the token and the
/// language, drawn dark on light with a quiet zone, sampled without smoothing so that every
/// module stays sharp. The pixels are wiped once uploaded (they spell the token).
fn handoff_texture(
    ctx: &egui::Context,
    config: &Config,
    token: &crate::secret::Secret,
    locale: Locale,
) -> Option<TextureHandle> {
    let link = crate::handoff::web_ui_link(&config.handoff.web_ui_url, token, locale)?;
    let mut pixels = crate::handoff::qr_pixels(link.expose())?;
    let size = [pixels.width() as usize, pixels.height() as usize];
    let image = egui::ColorImage::from_gray(size, pixels.as_raw());
    crate::imaging::wipe_slice(&mut pixels);
    Some(ctx.load_texture("handoff-qr", image, egui::TextureOptions::NEAREST))
}

/// What a customer screen says aloud: its title and instructions, from the same translation
/// keys the screen shows, and the live capture hint. Never anything of the customer's (no
/// names, no codes, not the phone code).
fn screen_speech(step: &Step, locale: Locale, hint: Option<crate::guide::Hint>) -> ScreenSpeech {
    let say = |key: &str| tr(locale, key).into_owned();
    let lines = match step {
        Step::Welcome => vec![say("welcome.title"), say("welcome.subtitle")],
        Step::CreatingSession => vec![say("waiting.session")],
        Step::ChooseDocument => vec![say("choose_document.title")],
        Step::Capture { slot, .. } => vec![
            screens::slot_name(locale, *slot).into_owned(),
            say(screens::capture_instruction(*slot)),
        ],
        Step::Preparing(_) => vec![say("waiting.photo")],
        Step::Review(slot) => vec![tr_with(
            locale,
            "review.title",
            &[("slot", &screens::slot_name(locale, *slot))],
        )],
        Step::Summary => vec![say("summary.title")],
        Step::Submitting(_) => vec![say("submitting.sending")],
        Step::Success { .. } => vec![say("success.title"), say("success.body")],
        Step::Failed(failure) => vec![say("error.title"), say(failure.advice.key())],
        Step::HandOff { .. } => vec![
            say("handoff.title"),
            say("handoff.scan"),
            say("handoff.app"),
            say("handoff.when_done"),
        ],
    };
    let hint = match step {
        Step::Capture { .. } => hint.map(|hint| say(hint.key())),
        _ => None,
    };
    ScreenSpeech { lines, hint }
}

/// What the flow takes from the config.
fn flow_settings(config: &Config) -> FlowSettings {
    FlowSettings {
        default_country: config.token.country.clone(),
        success_return_after: Duration::from_secs(config.kiosk.success_return_secs),
        idle_timeout: Duration::from_secs(config.kiosk.idle_timeout_secs),
        idle_warning: Duration::from_secs(config.kiosk.idle_warning_secs),
        default_locale: config.token.locale.unwrap_or(Locale::En),
        wait_limits: wait_limits(config),
        use_anyway_after: config.quality.use_anyway_after,
        staff_workstation: !config.kiosk.kiosk_mode,
        handoff: config.handoff.offer,
        mrz: config.quality.mrz,
    }
}

/// How long the flow waits for its tasks: a little longer than the client's own timeouts and
/// retries allow, so that those end the call first and say why, and the flow's limit only
/// catches a task that never reports.
fn wait_limits(config: &Config) -> WaitLimits {
    let api = &config.api;
    let slack = 10;
    let tries = u64::from(api.token_retries) + 1;
    let session = (api.connect_timeout_secs + api.token_timeout_secs) * tries
        + api.max_backoff_secs * (tries - 1)
        + slack;
    let upload = api.process_timeout_secs
        + (api.connect_timeout_secs + api.max_backoff_secs) * tries
        + slack;
    WaitLimits {
        session: Duration::from_secs(session),
        photo: Duration::from_secs(PHOTO_WAIT_SECS),
        upload: Duration::from_secs(upload),
    }
}
