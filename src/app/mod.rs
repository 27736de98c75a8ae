//! The eframe app: `logic()` drains task results, feeds the clock and runs the flow's effects on
//! the tokio runtime that `run_kiosk` owns; `ui()` only draws the current screen.

pub mod screens;
pub mod staff_screens;
pub mod theme;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::mpsc::TryRecvError;
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant, SystemTime};

use egui::{ColorImage, RichText, TextureHandle, TextureOptions};
use image::RgbImage;
use tokio::runtime::Handle;
use tokio::task::JoinHandle;

use crate::api::{
    ApiError, ConnectionCheck, ImageSlot, Locale, MarkIdClient, TokenFields, ValidationError,
};
use crate::camera::{CameraChoice, CameraError, CameraRig, CameraRole, CameraStatus, Wake};
use crate::config::{Config, LoadedConfig};
use crate::flow::{Effect, Event, Flow, FlowSettings, Step, Submission};
use crate::imaging::{self, ImagePolicy, ImageRole, ImagingError, PreparedImage};
use crate::journal::{Journal, JournalEntry};
use crate::simulator::{SimulatorConfig, SimulatorHandle};
use crate::staff::{PinGuard, PinOutcome};
use screens::ScreenAction;
use staff_screens::{SettingsDraft, StaffAction};

/// Smallest width of the live preview frames, in pixels (a 1080p camera's half size).
const MIN_PREVIEW_WIDTH: u32 = 640;
/// How long "Take photo" waits for the camera's next full frame.
const STILL_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest edge of review thumbnails' textures.
const THUMBNAIL_PIXELS: u32 = 800;

/// Journal rows the staff screen shows.
const JOURNAL_ROWS_SHOWN: usize = 200;

/// What reaches the UI thread from tasks.
enum Message {
    /// A flow event (a task result).
    Flow(Event),
    /// A file was chosen in the dialog for this slot.
    FileChosen(ImageSlot, PathBuf),
    /// The connection test ended: (the kiosk can work, what to tell staff).
    ConnectionChecked(bool, String),
}

/// Sends task results to the UI thread and wakes it.
#[derive(Clone)]
struct Inbox {
    sender: mpsc::Sender<Message>,
    ctx: egui::Context,
}

impl Inbox {
    fn send(&self, message: Message) {
        // The receiver lives as long as the app; after it is gone nobody needs the answer.
        let _ = self.sender.send(message);
        self.ctx.request_repaint();
    }
}

/// A still asked of the camera, not yet delivered.
struct StillRequest {
    slot: ImageSlot,
    receiver: mpsc::Receiver<Result<RgbImage, CameraError>>,
    asked_at: Instant,
}

fn camera_role(slot: ImageSlot) -> CameraRole {
    match slot {
        ImageSlot::Face => CameraRole::Face,
        ImageSlot::Front | ImageSlot::Back | ImageSlot::UtilityBill => CameraRole::Document,
    }
}

/// Which staff screen is open (only ever over Welcome: never while a customer is served).
#[derive(Default)]
enum StaffScreen {
    #[default]
    Closed,
    Pad,
    Menu,
    Settings(Box<SettingsDraft>),
    Journal,
}

/// Staff access: the PIN being typed, wrong-PIN lockout, the open staff screen.
struct StaffAccess {
    screen: StaffScreen,
    /// The digits typed so far while the pad is open (wiped on close).
    pad: zeroize::Zeroizing<String>,
    guard: PinGuard,
    /// The pad's last refusal, shown under the dots (the wait counts down live).
    pad_refusal: Option<PinOutcome>,
    /// The outcome of the last save, export or connection test.
    message: Option<(bool, String)>,
    /// A connection test is under way.
    testing: bool,
    /// The journal as last read for the journal screen.
    journal_rows: Result<Vec<JournalEntry>, String>,
    /// Last staff input, for `STAFF_IDLE`.
    last_input: Instant,
    /// Staff chose "Exit": the next close request goes through.
    exit: bool,
}

impl Default for StaffAccess {
    fn default() -> Self {
        Self {
            screen: StaffScreen::Closed,
            pad: zeroize::Zeroizing::new(String::new()),
            guard: PinGuard::default(),
            pad_refusal: None,
            message: None,
            testing: false,
            journal_rows: Ok(Vec::new()),
            last_input: Instant::now(),
            exit: false,
        }
    }
}

impl StaffAccess {
    fn unlocked(&self) -> bool {
        matches!(
            self.screen,
            StaffScreen::Menu | StaffScreen::Settings(_) | StaffScreen::Journal
        )
    }

    /// When a staff screen changes by itself: it closes `idle` after the last input, and a
    /// locked pad shows its wait each second and opens at the lock's end.
    fn next_deadline(&self, now: Instant, idle: Duration) -> Option<Instant> {
        if matches!(self.screen, StaffScreen::Closed) {
            return None;
        }
        let close = self.last_input + idle;
        let lock = matches!(self.screen, StaffScreen::Pad)
            .then(|| self.guard.next_deadline(now))
            .flatten();
        [Some(close), lock].into_iter().flatten().min()
    }

    /// The text under the PIN dots, as of `now`.
    fn pad_message(&self, now: Instant) -> Option<String> {
        match self.pad_refusal? {
            PinOutcome::Unlocked => None,
            PinOutcome::Wrong { tries_left } => {
                Some(format!("Wrong PIN. {tries_left} tries left."))
            }
            PinOutcome::Locked { .. } => Some(match self.guard.locked_for(now) {
                Some(wait) => format!(
                    "Too many wrong PINs. Try again in {} s.",
                    wait.as_secs_f32().ceil().max(1.0)
                ),
                None => "The pad is open again: enter the PIN.".to_owned(),
            }),
        }
    }

    fn close(&mut self) {
        self.screen = StaffScreen::Closed;
        self.pad.clear();
        self.pad_refusal = None;
        self.message = None;
        self.journal_rows = Ok(Vec::new());
    }
}

/// Where the image for the next `PrepareImage` comes from.
enum PendingSource {
    Still(RgbImage),
    File(PathBuf),
}

/// The kiosk app.
pub struct KioskApp {
    flow: Flow,
    config: Config,
    client: MarkIdClient,
    runtime: Handle,
    demo: bool,
    inbox: Option<Inbox>,
    receiver: Option<mpsc::Receiver<Message>>,
    cameras: CameraRig,
    /// Fullscreen, closing refused, exit and file dialog only for staff.
    kiosk_mode: bool,
    staff: StaffAccess,
    /// Where staff settings are saved: the config file in use, else the user's default one.
    config_path: Option<PathBuf>,
    /// The submission journal, or why there is none (the kiosk works on without it).
    journal: Result<Arc<Mutex<Journal>>, String>,
    /// A customer pressed "Call staff" on the error screen.
    staff_called: bool,
    /// Staff started this session from their menu: the OS file dialog is offered (kiosk mode),
    /// e.g. for a photo the customer brought on a USB stick. Ends with the session.
    staff_assisted: bool,
    camera_status: Option<CameraStatus>,
    /// Why the last "Take photo" gave no picture; cleared by the next try.
    camera_error: Option<CameraError>,
    still_request: Option<StillRequest>,
    preview: Option<TextureHandle>,
    thumbnails: BTreeMap<ImageSlot, TextureHandle>,
    pending_source: Option<PendingSource>,
    upload: Option<JoinHandle<()>>,
    country_search: String,
    /// What the customer did in the last frame; `logic()` acts on it, `ui()` only draws.
    pending_actions: Vec<ScreenAction>,
    /// Keeps the demo simulator running for the app's lifetime.
    _simulator: Option<SimulatorHandle>,
}

impl KioskApp {
    /// Builds the app. In demo mode `simulator` is the in-process Mark ID stand-in.
    pub fn new(
        ctx: &egui::Context,
        config: Config,
        runtime: Handle,
        simulator: Option<SimulatorHandle>,
    ) -> Result<Self, String> {
        theme::apply(ctx);
        let client = MarkIdClient::new(config.client_settings()?).map_err(|e| e.to_string())?;
        let (sender, receiver) = mpsc::channel();
        let demo = simulator.is_some();
        let kiosk_mode = config.kiosk.kiosk_mode;
        let repaint = ctx.clone();
        let wake: Wake = Arc::new(move || repaint.request_repaint());
        let cameras = CameraRig::new(&config.camera, demo, Some(wake));
        let journal = open_journal(&config);
        Ok(Self {
            flow: Flow::new(flow_settings(&config)),
            demo,
            config,
            client,
            runtime,
            inbox: Some(Inbox {
                sender,
                ctx: ctx.clone(),
            }),
            receiver: Some(receiver),
            cameras,
            kiosk_mode,
            staff: StaffAccess::default(),
            config_path: crate::config::default_config_path(),
            journal,
            staff_called: false,
            staff_assisted: false,
            camera_status: None,
            camera_error: None,
            still_request: None,
            preview: None,
            thumbnails: BTreeMap::new(),
            pending_source: None,
            upload: None,
            country_search: String::new(),
            pending_actions: Vec::new(),
            _simulator: simulator,
        })
    }

    /// Saves staff settings to `path` instead of the user's default config file.
    pub fn with_config_path(mut self, path: Option<PathBuf>) -> Self {
        if path.is_some() {
            self.config_path = path;
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

    /// Whether the app still holds anything of a customer: photos (textures, a pending still
    /// or file), or a running camera. False at Welcome, for tests.
    pub fn holds_customer_data(&self) -> bool {
        !self.thumbnails.is_empty()
            || self.preview.is_some()
            || self.pending_source.is_some()
            || self.still_request.is_some()
            || self.cameras.is_running()
            || self.flow.session().is_some()
    }

    fn inbox(&self) -> Option<Inbox> {
        self.inbox.clone()
    }

    fn handle(&mut self, event: Event) {
        let effects = self.flow.handle(event, Instant::now());
        for effect in effects {
            self.run(effect);
        }
    }

    fn run(&mut self, effect: Effect) {
        let Some(inbox) = self.inbox() else { return };
        match effect {
            Effect::CreateSession(locale) => {
                let overrides = TokenFields {
                    locale: Some(locale),
                    ..TokenFields::default()
                };
                let request = crate::submit::token_request(&self.config, None, overrides);
                let client = self.client.clone();
                self.runtime.spawn(async move {
                    let event = match request {
                        Ok(request) => match client.create_token(&request).await {
                            Ok(session) => Event::SessionCreated(Box::new(session)),
                            Err(error) => Event::SessionFailed(error),
                        },
                        Err(_) => Event::SessionFailed(ApiError::Invalid(ValidationError {
                            field: "clientId",
                            problem: "must be typed by staff (client_id.mode = \"typed\")".into(),
                        })),
                    };
                    inbox.send(Message::Flow(event));
                });
            }
            Effect::PrepareImage(slot) => {
                let source = self.pending_source.take();
                let policy = ImagePolicy::from(&self.config.images);
                // Document photos are rectified to their corners before upload ([quality]).
                let quality = self.config.quality.clone();
                self.runtime.spawn_blocking(move || {
                    let role = ImageRole::of_slot(slot);
                    let crop = matches!(role, ImageRole::Document) && quality.crop_documents;
                    let prepared = match source {
                        Some(PendingSource::Still(pixels)) if crop => {
                            imaging::prepare_document_pixels(pixels, &policy, &quality)
                        }
                        Some(PendingSource::Still(pixels)) => {
                            imaging::prepare_pixels(pixels, role, &policy)
                        }
                        Some(PendingSource::File(path)) if crop => {
                            imaging::prepare_document_file(&path, &policy, &quality)
                        }
                        Some(PendingSource::File(path)) => {
                            imaging::prepare_file(&path, role, &policy)
                        }
                        None => Err(ImagingError::Unreadable("no image was taken".into())),
                    };
                    let event = match prepared {
                        Ok(image) => Event::ImagePrepared(slot, Box::new(image)),
                        Err(error) => Event::ImageFailed(slot, error),
                    };
                    inbox.send(Message::Flow(event));
                });
            }
            Effect::Submit(submission) => self.start_upload(*submission, inbox),
            Effect::CancelSubmit => {
                if let Some(upload) = self.upload.take() {
                    upload.abort();
                }
            }
            Effect::WipeSession => {
                // The flow has dropped the session's photos (they zero themselves) and token;
                // staff can see in the log that the app's copies went with them.
                tracing::info!(
                    previews = self.thumbnails.len(),
                    "session over: its photos, previews and token wiped"
                );
                self.thumbnails.clear();
                self.pending_source = None;
                self.still_request = None;
                self.preview = None;
                self.country_search.clear();
            }
            Effect::Record(record) => {
                let Ok(journal) = &self.journal else { return };
                let journal = journal.clone();
                self.runtime.spawn_blocking(move || {
                    let written = use_journal(&journal, |journal| {
                        journal
                            .record(SystemTime::now(), &record)
                            .map_err(|error| error.to_string())
                    });
                    if let Err(error) = written {
                        tracing::warn!("session not written to the journal: {error}");
                    }
                });
            }
        }
    }

    fn start_upload(&mut self, submission: Submission, inbox: Inbox) {
        let client = self.client.clone();
        let policy = ImagePolicy::from(&self.config.images);
        self.upload = Some(self.runtime.spawn(async move {
            let Submission {
                auth_token,
                country,
                document,
                images,
            } = submission;
            let (slots, mut prepared): (Vec<ImageSlot>, Vec<PreparedImage>) =
                images.into_iter().unzip();
            let fitted = tokio::task::spawn_blocking(move || {
                imaging::fit_request(&mut prepared, &policy).map(|()| prepared)
            })
            .await;
            let prepared = match fitted {
                Ok(Ok(prepared)) => prepared,
                Ok(Err(error)) => {
                    let problem = format!("the photos do not fit one request: {error}");
                    let error = ApiError::Invalid(ValidationError {
                        field: "images",
                        problem,
                    });
                    inbox.send(Message::Flow(Event::SubmitFailed(error)));
                    return;
                }
                Err(_) => return,
            };
            let images: Vec<(ImageSlot, PreparedImage)> = slots.into_iter().zip(prepared).collect();
            let request = crate::submit::process_request(auth_token, country, document, &images);
            let progress_inbox = inbox.clone();
            let on_progress = Arc::new(move |progress| {
                progress_inbox.send(Message::Flow(Event::Progress(progress)))
            });
            let event = match client.process(&request, on_progress).await {
                Ok(()) => Event::Submitted,
                Err(error) => Event::SubmitFailed(error),
            };
            inbox.send(Message::Flow(event));
        }));
    }

    /// Turns a screen's action into flow events and effects.
    fn act(&mut self, action: ScreenAction) {
        match action {
            ScreenAction::Start => self.handle(Event::Start),
            ScreenAction::Language(locale) => self.handle(Event::ChooseLanguage(locale)),
            ScreenAction::Country(country) => self.handle(Event::ChooseCountry(country)),
            ScreenAction::Document(document) => self.handle(Event::ChooseDocument(document)),
            ScreenAction::TakePhoto => {
                if let Step::Capture { slot, .. } = *self.flow.step()
                    && self.still_request.is_none()
                {
                    self.camera_error = None;
                    match self.cameras.camera_for(camera_role(slot)) {
                        Ok(camera) => {
                            self.still_request = Some(StillRequest {
                                slot,
                                receiver: camera.request_still(),
                                asked_at: Instant::now(),
                            });
                        }
                        Err(error) => self.camera_error = Some(error),
                    }
                }
            }
            ScreenAction::ChooseFile => self.choose_file(),
            ScreenAction::Accept => self.handle(Event::Accept),
            ScreenAction::Retake(slot) => {
                self.thumbnails.remove(&slot);
                self.handle(Event::Retake(slot));
            }
            ScreenAction::Submit => self.handle(Event::Submit),
            ScreenAction::Cancel => self.handle(Event::Cancel),
            ScreenAction::TryAgain => self.handle(Event::TryAgain),
            ScreenAction::MoreTime => self.handle(Event::MoreTime),
            ScreenAction::Staff(action) => self.staff_action(action),
            ScreenAction::CallStaff => {
                if !self.staff_called {
                    tracing::warn!("a customer asked for staff at the error screen");
                }
                self.staff_called = true;
                if let Some(inbox) = &self.inbox {
                    // Flashes the kiosk in the task bar of a staff workstation.
                    inbox
                        .ctx
                        .send_viewport_cmd(egui::ViewportCommand::RequestUserAttention(
                            egui::UserAttentionType::Critical,
                        ));
                }
            }
            ScreenAction::StaffComing => self.staff_called = false,
        }
    }

    fn staff_action(&mut self, action: StaffAction) {
        self.staff.last_input = Instant::now();
        // Only the pad and the way in work before the PIN.
        let before_pin = matches!(
            action,
            StaffAction::Open
                | StaffAction::Digit(_)
                | StaffAction::Clear
                | StaffAction::Enter
                | StaffAction::Close
        );
        if !before_pin && !self.staff.unlocked() {
            return;
        }
        let staff = &mut self.staff;
        match action {
            StaffAction::Open => {
                staff.close();
                // A staff workstation without a PIN opens the menu at once; a kiosk never does
                // (kiosk mode cannot start without a PIN).
                staff.screen = if self.config.kiosk.staff_pin_hash.is_empty() && !self.kiosk_mode {
                    StaffScreen::Menu
                } else {
                    StaffScreen::Pad
                };
            }
            StaffAction::Digit(digit) => {
                if matches!(staff.screen, StaffScreen::Pad)
                    && staff.pad.len() < *crate::staff::PIN_DIGITS.end()
                {
                    staff.pad.push(digit);
                }
            }
            StaffAction::Clear => staff.pad.clear(),
            StaffAction::Enter => {
                if !matches!(staff.screen, StaffScreen::Pad) {
                    return;
                }
                let outcome = staff.guard.enter(
                    &staff.pad,
                    &self.config.kiosk.staff_pin_hash,
                    Instant::now(),
                );
                staff.pad.clear();
                match outcome {
                    PinOutcome::Unlocked => {
                        tracing::info!("staff unlocked the kiosk");
                        staff.screen = StaffScreen::Menu;
                    }
                    PinOutcome::Wrong { tries_left } => {
                        tracing::warn!(tries_left, "wrong staff PIN");
                    }
                    PinOutcome::Locked { .. } => {
                        tracing::warn!("staff PIN pad locked after wrong PINs");
                    }
                }
                staff.pad_refusal = Some(outcome);
            }
            StaffAction::Close => staff.close(),
            StaffAction::Exit => {
                if self.kiosk_mode {
                    tracing::info!("staff closed the kiosk");
                    staff.exit = true;
                }
            }
            StaffAction::Menu => {
                staff.screen = StaffScreen::Menu;
                staff.message = None;
            }
            StaffAction::Settings => {
                staff.message = None;
                staff.screen = StaffScreen::Settings(Box::new(settings_draft(&self.config)));
            }
            StaffAction::SaveSettings => self.save_settings(),
            StaffAction::Journal => {
                staff.message = None;
                staff.journal_rows = self.journal.clone().and_then(|journal| {
                    use_journal(&journal, |journal| {
                        journal
                            .recent(JOURNAL_ROWS_SHOWN)
                            .map_err(|error| error.to_string())
                    })
                });
                staff.screen = StaffScreen::Journal;
            }
            StaffAction::ExportJournal => {
                let exported = self
                    .journal
                    .clone()
                    .and_then(|journal| use_journal(&journal, export_journal));
                staff.message = Some(match exported {
                    Ok((rows, path)) => (
                        true,
                        format!("{rows} entries written to {}", path.display()),
                    ),
                    Err(reason) => (false, format!("Not exported: {reason}")),
                });
            }
            StaffAction::TestConnection => self.test_connection(),
            StaffAction::AssistedSession => {
                if self.kiosk_mode && *self.flow.step() == Step::Welcome {
                    tracing::info!("staff started a session with the file dialog");
                    self.staff.close();
                    self.staff_assisted = true;
                    self.handle(Event::Start);
                }
            }
        }
    }

    /// Checks the credentials without spending a token; the answer comes back as a message.
    fn test_connection(&mut self) {
        let Some(inbox) = self.inbox() else { return };
        if self.staff.testing {
            return;
        }
        self.staff.testing = true;
        self.staff.message = None;
        let client = self.client.clone();
        self.runtime.spawn(async move {
            let (ok, text) = ConnectionCheck::report(&client.check_connection().await);
            inbox.send(Message::ConnectionChecked(ok, text));
        });
    }

    /// Applies the edited settings now and writes them to the config file. A file that cannot
    /// be written (a read-only /etc) still leaves them in force until the kiosk restarts.
    fn save_settings(&mut self) {
        let StaffScreen::Settings(draft) = &self.staff.screen else {
            return;
        };
        let mut config = self.config.clone();
        apply_draft(&mut config, draft);
        if let Err((key, problem)) = config.validate() {
            self.staff.message = Some((false, format!("Not saved: {key} {problem}")));
            return;
        }
        let saved = match &self.config_path {
            Some(path) => crate::config::save_staff_settings(path, &config)
                .map(|()| format!("Saved to {}.", path.display())),
            None => Err("there is no config directory on this system".to_owned()),
        };
        self.cameras.assign(
            CameraRole::Document,
            CameraChoice::parse(&config.camera.document),
        );
        self.cameras
            .assign(CameraRole::Face, CameraChoice::parse(&config.camera.face));
        self.flow.set_settings(flow_settings(&config));
        self.config = config;
        tracing::info!("staff changed the settings");
        self.staff.message = Some(match saved {
            Ok(text) => (true, text),
            Err(reason) => (
                false,
                format!("In force until the kiosk restarts, but not saved: {reason}"),
            ),
        });
    }

    /// Whether staff are in (past the PIN).
    pub fn staff_unlocked(&self) -> bool {
        self.staff.unlocked()
    }

    /// An OS file dialog is a way out of a locked-down machine: in kiosk mode only in a session
    /// staff started.
    fn file_dialog_allowed(&self) -> bool {
        !self.kiosk_mode || self.staff_assisted
    }

    fn choose_file(&mut self) {
        let Step::Capture { slot, .. } = *self.flow.step() else {
            return;
        };
        // An OS file dialog is a way out of a locked-down machine: not for customers.
        if !self.file_dialog_allowed() {
            return;
        }
        let Some(inbox) = self.inbox() else { return };
        self.runtime.spawn(async move {
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

    /// A file dropped on the window, on a capture screen, is taken as that image.
    fn take_dropped_file(&mut self, ctx: &egui::Context) {
        let dropped = ctx.input(|input| input.raw.dropped_files.first().cloned());
        let (Some(file), Step::Capture { slot, .. }) = (dropped, self.flow.step().clone()) else {
            return;
        };
        let path = file.path();
        if path.as_os_str().is_empty() {
            return;
        }
        // Native drops carry a path: the file is read off the UI thread with the others.
        self.pending_source = Some(PendingSource::File(path.to_path_buf()));
        self.handle(Event::Captured(slot));
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
        let text_scale = match self.staff.screen {
            StaffScreen::Closed => self.config.kiosk.text_scale,
            _ => 1.0,
        };
        let zoom = theme::zoom_for(physical, native) * text_scale;
        if (ctx.zoom_factor() - zoom).abs() > 0.01 {
            ctx.set_zoom_factor(zoom);
        }
    }

    /// Runs the camera the current screen needs (none outside capture and review: no camera
    /// light while nobody is being photographed) and shows its newest frame.
    fn update_preview(&mut self, ctx: &egui::Context) {
        let (slot, capturing) = match self.flow.step() {
            Step::Capture { slot, .. } => (*slot, true),
            Step::Preparing(slot) | Step::Review(slot) => (*slot, false),
            _ => {
                self.cameras.stop();
                self.camera_status = None;
                self.camera_error = None;
                self.still_request = None;
                self.preview = None;
                return;
            }
        };
        let camera = match self.cameras.camera_for(camera_role(slot)) {
            Ok(camera) => camera,
            Err(error) => {
                self.camera_status = Some(CameraStatus::Unavailable(error));
                self.preview = None;
                return;
            }
        };
        // Decode previews at the size they are shown in physical pixels, no larger.
        let shown_width =
            ctx.content_rect().width() * ctx.pixels_per_point() * theme::PREVIEW_WIDTH_SHARE;
        camera.set_preview_width((shown_width as u32).max(MIN_PREVIEW_WIDTH));
        let status = camera.status();
        let frame = camera.take_preview();
        if let Some(frame) = frame {
            if capturing {
                let size = [frame.frame.width as usize, frame.frame.height as usize];
                let image = ColorImage::from_rgb(size, &frame.frame.pixels);
                match &mut self.preview {
                    Some(texture) => texture.set(image, TextureOptions::LINEAR),
                    None => {
                        self.preview =
                            Some(ctx.load_texture("camera-preview", image, TextureOptions::LINEAR))
                    }
                }
            }
            camera.recycle(frame.frame.pixels);
        }
        if matches!(status, CameraStatus::Unavailable(_)) {
            self.preview = None;
        }
        self.camera_status = Some(status);
    }

    /// Hands a delivered still to the flow, or says why none came.
    fn poll_still(&mut self) {
        let Some(request) = &self.still_request else {
            return;
        };
        let answer = match request.receiver.try_recv() {
            Ok(answer) => answer,
            Err(TryRecvError::Empty) if request.asked_at.elapsed() < STILL_TIMEOUT => return,
            Err(_) => Err(CameraError::Other(
                "the camera did not deliver a picture in time".to_owned(),
            )),
        };
        let slot = request.slot;
        self.still_request = None;
        let same_screen =
            matches!(self.flow.step(), Step::Capture { slot: current, .. } if *current == slot);
        match answer {
            Ok(still) if same_screen => {
                self.pending_source = Some(PendingSource::Still(still));
                self.handle(Event::Captured(slot));
            }
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(%error, "no still from the camera");
                self.camera_error = Some(error);
            }
        }
    }

    fn update_thumbnails(&mut self, ctx: &egui::Context) {
        let Some(session) = self.flow.session() else {
            return;
        };
        let missing: Vec<(ImageSlot, PreparedImage)> = session
            .images
            .iter()
            .filter(|(slot, _)| !self.thumbnails.contains_key(slot))
            .map(|(slot, image)| (*slot, image.clone()))
            .collect();
        for (slot, image) in missing {
            let small = image.upright.scaled_to_long_edge(THUMBNAIL_PIXELS);
            if let Ok(small) = small {
                let texture = ctx.load_texture(
                    format!("thumbnail-{}", slot.as_str()),
                    color_image(&small.to_rgb()),
                    TextureOptions::LINEAR,
                );
                self.thumbnails.insert(slot, texture);
            }
        }
    }
}

/// The installers' icon, also on the window (title bar, task switcher).
fn with_window_icon(viewport: egui::ViewportBuilder) -> egui::ViewportBuilder {
    const ICON_PNG: &[u8] = include_bytes!("../../assets/icons/markid-kiosk-128.png");
    match image::load_from_memory_with_format(ICON_PNG, image::ImageFormat::Png) {
        Ok(icon) => {
            let icon = icon.into_rgba8();
            viewport.with_icon(egui::IconData {
                width: icon.width(),
                height: icon.height(),
                rgba: icon.into_raw(),
            })
        }
        // The icon is built into the binary; a window without it still works.
        Err(_) => viewport,
    }
}

fn color_image(pixels: &RgbImage) -> ColorImage {
    ColorImage::from_rgb(
        [pixels.width() as usize, pixels.height() as usize],
        pixels.as_raw(),
    )
}

impl eframe::App for KioskApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        let messages: Vec<Message> = self
            .receiver
            .as_ref()
            .map(|r| r.try_iter().collect())
            .unwrap_or_default();
        for message in messages {
            match message {
                Message::Flow(event) => self.handle(event),
                Message::ConnectionChecked(ok, text) => {
                    self.staff.testing = false;
                    if self.staff.unlocked() {
                        self.staff.message = Some((ok, text));
                    }
                }
                Message::FileChosen(slot, path) => {
                    if matches!(self.flow.step(), Step::Capture { slot: current, .. } if *current == slot)
                    {
                        self.pending_source = Some(PendingSource::File(path));
                        self.handle(Event::Captured(slot));
                    }
                }
            }
        }
        for action in std::mem::take(&mut self.pending_actions) {
            self.act(action);
        }
        self.take_dropped_file(ctx);
        if self.kiosk_mode {
            let close_requested = ctx.input(|input| input.viewport().close_requested());
            if close_requested && !self.staff.exit {
                // Alt+F4, the close button, the window manager: only staff may leave.
                ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
            }
            if self.staff.exit {
                ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            }
        }
        // Any touch, click, key or pointer movement is the customer (or staff) still there.
        let now = Instant::now();
        if ctx.input(|input| !input.events.is_empty() || input.pointer.is_moving()) {
            self.handle(Event::Activity);
            self.staff.last_input = now;
        }
        // Staff who walk away with a staff screen open must not leave it to the next
        // customer: it closes after the customers' idle timeout.
        let staff_idle = self.staff_idle();
        if !matches!(self.staff.screen, StaffScreen::Closed)
            && now.duration_since(self.staff.last_input) >= staff_idle
        {
            tracing::info!(
                "staff screen closed after {} s without input",
                staff_idle.as_secs()
            );
            self.staff.close();
        }
        if *self.flow.step() == Step::Welcome {
            self.staff_assisted = false;
        }
        if !matches!(self.flow.step(), Step::Failed(_)) {
            self.staff_called = false;
        }
        self.handle(Event::Tick);
        self.fit_zoom(ctx);
        self.update_preview(ctx);
        self.poll_still();
        self.update_thumbnails(ctx);
        self.wake_at_next_deadline(ctx);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let mut action = None;
        egui::CentralPanel::default().show(ui, |ui| {
            if self.demo {
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
                .show(ui, |ui| action = self.screen_ui(ui));
        });
        if let Some(left) = self.flow.idle_countdown(Instant::now()) {
            action = screens::idle_warning_ui(ui.ctx(), self.flow.locale(), left).or(action);
        }
        if *self.flow.step() == Step::Welcome {
            action = self.staff_ui(ui.ctx()).map(ScreenAction::Staff).or(action);
        }
        if self.staff_called && matches!(self.flow.step(), Step::Failed(_)) {
            action = screens::staff_called_ui(ui.ctx(), self.flow.locale()).or(action);
        }
        if let Some(action) = action {
            self.pending_actions.push(action);
            ui.ctx().request_repaint();
        }
    }
}

impl KioskApp {
    /// How long a staff screen stays open without input.
    fn staff_idle(&self) -> Duration {
        Duration::from_secs(self.config.kiosk.idle_timeout_secs)
    }

    /// egui draws only when something happens: input, a task's message, a camera frame. A
    /// screen that changes by itself (the idle warning, the end of a session, Success's return,
    /// a staff screen's close, the PIN lock's end) would wait for the next touch, so every
    /// frame ends by asking for one at the earliest such deadline.
    fn wake_at_next_deadline(&self, ctx: &egui::Context) {
        let now = Instant::now();
        // A still asked of the camera is polled until it comes (or `STILL_TIMEOUT` passes).
        let still = self
            .still_request
            .as_ref()
            .map(|_| now + Duration::from_millis(50));
        let deadline = [
            self.flow.next_deadline(now),
            self.staff.next_deadline(now, self.staff_idle()),
            still,
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

    fn staff_ui(&mut self, ctx: &egui::Context) -> Option<StaffAction> {
        let staff = &mut self.staff;
        let view = staff_screens::StaffView {
            message: staff.message.as_ref(),
            testing: staff.testing,
            journal: &staff.journal_rows,
        };
        match &mut staff.screen {
            StaffScreen::Closed => staff_screens::staff_button(ctx),
            StaffScreen::Pad => {
                let message = staff.pad_message(Instant::now());
                staff_screens::pin_pad_ui(ctx, staff.pad.len(), message.as_deref())
            }
            StaffScreen::Menu => staff_screens::staff_menu_ui(ctx, &view, self.kiosk_mode),
            StaffScreen::Settings(draft) => staff_screens::settings_ui(ctx, draft, &view),
            StaffScreen::Journal => staff_screens::journal_ui(ctx, &view),
        }
    }

    fn screen_ui(&mut self, ui: &mut egui::Ui) -> Option<ScreenAction> {
        let step = self.flow.step().clone();
        let locale = self.flow.locale();
        // Every customer screen after Welcome (which has the full list) can switch language.
        let language = match step {
            Step::Welcome => None,
            _ => screens::language_menu(ui, locale),
        };
        let action = match step {
            Step::Welcome => screens::welcome_ui(ui, locale),
            Step::CreatingSession => screens::waiting_ui(ui, locale, "waiting.session"),
            Step::ChooseDocument => {
                let session = self.flow.session()?;
                let allowed = session.allowed_documents();
                let country = session.country.clone();
                screens::document_ui(
                    ui,
                    locale,
                    country.as_deref(),
                    &mut self.country_search,
                    &allowed,
                )
            }
            Step::Capture { slot, problem } => {
                let camera = screens::CameraView {
                    file_dialog: self.file_dialog_allowed(),
                    preview: self.preview.as_ref(),
                    mirrored: slot == ImageSlot::Face,
                    status: self.camera_status.as_ref(),
                    error: self.camera_error.as_ref(),
                    taking: self.still_request.is_some(),
                };
                screens::capture_ui(ui, locale, slot, &camera, problem.as_deref())
            }
            Step::Preparing(_) => screens::waiting_ui(ui, locale, "waiting.photo"),
            Step::Review(slot) => screens::review_ui(ui, locale, slot, self.thumbnails.get(&slot)),
            Step::Summary => {
                let slots = self
                    .flow
                    .session()
                    .map(|s| s.required_slots())
                    .unwrap_or_default();
                let images: Vec<(ImageSlot, Option<&TextureHandle>)> = slots
                    .into_iter()
                    .map(|slot| (slot, self.thumbnails.get(&slot)))
                    .collect();
                screens::summary_ui(ui, locale, &images)
            }
            Step::Submitting(stage) => screens::submitting_ui(ui, locale, stage),
            Step::Success { scan_ref, .. } => screens::success_ui(ui, locale, &scan_ref),
            Step::Failed(failure) => screens::error_ui(ui, locale, &failure),
        };
        language.or(action)
    }
}

/// What the flow takes from the config.
fn flow_settings(config: &Config) -> FlowSettings {
    FlowSettings {
        default_country: config.token.country.clone(),
        success_return_after: Duration::from_secs(config.kiosk.success_return_secs),
        idle_timeout: Duration::from_secs(config.kiosk.idle_timeout_secs),
        idle_warning: Duration::from_secs(config.kiosk.idle_warning_secs),
        default_locale: config.token.locale.unwrap_or(Locale::En),
    }
}

/// The settings screen's starting point: the config in force and the cameras to choose from.
fn settings_draft(config: &Config) -> SettingsDraft {
    let mut camera_choices = vec![
        (
            "auto".to_owned(),
            "auto (the first camera found)".to_owned(),
        ),
        (
            "synthetic".to_owned(),
            "synthetic (test picture)".to_owned(),
        ),
    ];
    // Listing asks the OS (V4L2, Media Foundation, AVFoundation); a failure leaves the words.
    if let Ok(devices) = crate::camera::list_devices() {
        camera_choices.extend(devices.into_iter().map(|device| {
            (
                device.index.to_string(),
                format!("{}: {}", device.index, device.name),
            )
        }));
    }
    for configured in [&config.camera.document, &config.camera.face] {
        if !camera_choices.iter().any(|(value, _)| value == configured) {
            camera_choices.push((configured.clone(), configured.clone()));
        }
    }
    SettingsDraft {
        document_camera: config.camera.document.clone(),
        face_camera: config.camera.face.clone(),
        language: config.token.locale.unwrap_or(Locale::En),
        text_scale: config.kiosk.text_scale,
        idle_timeout_secs: config.kiosk.idle_timeout_secs,
        success_return_secs: config.kiosk.success_return_secs,
        kiosk_mode: config.kiosk.kiosk_mode,
        camera_choices,
    }
}

fn apply_draft(config: &mut Config, draft: &SettingsDraft) {
    config.camera.document.clone_from(&draft.document_camera);
    config.camera.face.clone_from(&draft.face_camera);
    config.token.locale = Some(draft.language);
    config.kiosk.text_scale = draft.text_scale;
    config.kiosk.idle_timeout_secs = draft.idle_timeout_secs;
    config.kiosk.success_return_secs = draft.success_return_secs;
    config.kiosk.kiosk_mode = draft.kiosk_mode;
}

/// Opens the configured journal; the kiosk serves customers without one, and staff see why.
fn open_journal(config: &Config) -> Result<Arc<Mutex<Journal>>, String> {
    let path = config
        .journal
        .resolved_path()
        .ok_or_else(|| "no data directory on this system: set [journal] path".to_owned())?;
    let retention = Duration::from_secs(u64::from(config.journal.retention_days) * 86_400);
    match Journal::open(&path, retention) {
        Ok(journal) => Ok(Arc::new(Mutex::new(journal))),
        Err(error) => {
            tracing::warn!("no submission journal: {error}");
            Err(error.to_string())
        }
    }
}

/// Runs `work` on the journal. A lock poisoned by a panic elsewhere still guards a consistent
/// SQLite connection (each statement is atomic), so it is used all the same.
fn use_journal<T>(
    journal: &Mutex<Journal>,
    work: impl FnOnce(&Journal) -> Result<T, String>,
) -> Result<T, String> {
    let journal = journal
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    work(&journal)
}

/// Writes the whole journal as CSV into `exports/` beside it; returns rows and file.
fn export_journal(journal: &Journal) -> Result<(usize, PathBuf), String> {
    let dir = journal
        .path()
        .parent()
        .map_or_else(|| PathBuf::from("exports"), |dir| dir.join("exports"));
    std::fs::create_dir_all(&dir).map_err(|error| format!("{}: {error}", dir.display()))?;
    let stamp = chrono::DateTime::<chrono::Utc>::from(SystemTime::now()).format("%Y%m%d-%H%M%S");
    let path = dir.join(format!("journal-{stamp}.csv"));
    let file =
        std::fs::File::create(&path).map_err(|error| format!("{}: {error}", path.display()))?;
    let mut out = std::io::BufWriter::new(file);
    let rows = journal
        .export_csv(&mut out)
        .map_err(|error| error.to_string())?;
    std::io::Write::flush(&mut out).map_err(|error| format!("{}: {error}", path.display()))?;
    Ok((rows, path))
}

/// Starts the in-process simulator and points `config` at it.
pub fn start_demo(
    config: &mut Config,
    runtime: &tokio::runtime::Runtime,
) -> std::io::Result<SimulatorHandle> {
    let simulator = runtime.block_on(SimulatorHandle::start_local(SimulatorConfig::default()))?;
    simulator.configure(config);
    Ok(simulator)
}

/// Runs the kiosk window. Demo mode (simulator, synthetic camera, DEMO badge) with `--demo` or
/// when no credentials are configured.
pub fn run_kiosk(config_path: Option<&Path>, demo: bool, kiosk: bool) -> ExitCode {
    let loaded = match LoadedConfig::load(config_path) {
        Ok(loaded) => loaded,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    let mut config = loaded.config;
    let config_path = loaded.path;
    config.kiosk.kiosk_mode |= kiosk;
    if config.kiosk.kiosk_mode && config.kiosk.staff_pin_hash.is_empty() {
        eprintln!(
            "error: kiosk mode needs a staff PIN: run `markid-kiosk hash-pin` and put its output in [kiosk] staff_pin_hash"
        );
        return ExitCode::from(2);
    }
    let kiosk_mode = config.kiosk.kiosk_mode;
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("markid-io")
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let simulator = if demo || !config.has_credentials() {
        match start_demo(&mut config, &runtime) {
            Ok(simulator) => Some(simulator),
            Err(error) => {
                eprintln!("error: cannot start the demo simulator: {error}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        None
    };
    let handle = runtime.handle().clone();
    let options = eframe::NativeOptions {
        viewport: with_window_icon(
            egui::ViewportBuilder::default()
                .with_inner_size([1280.0, 800.0])
                .with_title("Mark ID kiosk")
                // The desktop entry's StartupWMClass and the Wayland app id: docks group the
                // window under the installed icon.
                .with_app_id("markid-kiosk")
                .with_fullscreen(kiosk_mode)
                .with_decorations(!kiosk_mode),
        ),
        ..eframe::NativeOptions::default()
    };
    let result = eframe::run_native(
        "markid-kiosk",
        options,
        Box::new(move |cc| {
            Ok(Box::new(
                KioskApp::new(&cc.egui_ctx, config, handle, simulator)?
                    .with_config_path(config_path),
            ))
        }),
    );
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: cannot open the kiosk window: {error}");
            ExitCode::FAILURE
        }
    }
}
