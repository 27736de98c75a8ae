//! The kiosk's verification flow as a pure state machine: which screen comes next, what a
//! document needs, when a token is spent, what the customer is told. No egui, tokio, reqwest or
//! camera code here: the app feeds `Event`s in and runs the `Effect`s that come out, so every
//! rule is unit-tested without a window.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::api::{
    ApiError, CustomerAdvice, ImageSlot, Locale, ProcessDocumentType, TokenSession, TokenType,
    UploadProgress,
};
use crate::imaging::{ImagingError, PreparedImage};
use crate::mrz::{MrzStatus, MrzSummary};
use crate::quality::{MrzPolicy, PhotoCheck};
use crate::secret::Secret;
use image::RgbImage;
use std::path::PathBuf;

/// How a session ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Mark ID accepted the images for processing.
    Accepted,
    /// The upload failed or the API refused the images (the token is spent).
    SubmitFailed,
    /// No token could be created.
    SessionFailed,
    /// The customer (or staff) cancelled after the token was created.
    Cancelled,
    /// The customer walked away; the idle timeout ended the session.
    TimedOut,
    /// The customer went on on their phone with the session's token; the kiosk sent nothing.
    HandedOff,
}

impl Outcome {
    /// The word stored in the journal and exported.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Accepted => "accepted",
            Self::SubmitFailed => "submit_failed",
            Self::SessionFailed => "session_failed",
            Self::Cancelled => "cancelled",
            Self::TimedOut => "timed_out",
            Self::HandedOff => "handed_off",
        }
    }

    /// The outcome a journal word names.
    pub fn from_journal(text: &str) -> Option<Self> {
        [
            Self::Accepted,
            Self::SubmitFailed,
            Self::SessionFailed,
            Self::Cancelled,
            Self::TimedOut,
            Self::HandedOff,
        ]
        .into_iter()
        .find(|outcome| outcome.as_str() == text)
    }
}

/// One finished session, as the flow reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRecord {
    /// The clientId the token was created for; empty when no token was created.
    pub client_id: String,
    /// Mark ID's reference; empty when no token was created.
    pub scan_ref: String,
    /// The document type chosen, as /process names it (`ID_CARD`...), if one was.
    pub document_type: Option<String>,
    /// How it ended.
    pub outcome: Outcome,
    /// The API's error identifier, or what failed (`HTTP_502`, `NETWORK_TIMEOUT`...).
    pub error: Option<String>,
    /// From Start to the end.
    pub duration: Duration,
    /// Photos taken or chosen in the session (each retake counts).
    pub captures: u32,
    /// How often each problem code was found on those photos: codes only, never what the
    /// photos show.
    pub problems: BTreeMap<String, u32>,
    /// Whether the MRZ of the side that carries one was read: `valid`, `invalid` or `absent`
    /// (None when it was not looked for). Nothing read from it.
    pub mrz: Option<&'static str>,
}

/// The journal's error code when the kiosk gave up on its own task (a panic, or a deadline).
pub const KIOSK_TASK_FAILED: &str = "KIOSK_TASK_FAILED";

/// Settings the flow needs from the config.
#[derive(Clone, Debug)]
pub struct FlowSettings {
    /// The document country the token is created for (`[token] country`, alpha-2): the
    /// customer is not asked.
    pub default_country: Option<String>,
    /// How long the success screen stays before the kiosk returns to Welcome.
    pub success_return_after: Duration,
    /// A customer screen left alone this long ends the session (WCAG 2.2.1: after a warning).
    pub idle_timeout: Duration,
    /// How long before the end the warning with "I need more time" shows.
    pub idle_warning: Duration,
    /// The language each new customer is greeted in.
    pub default_locale: Locale,
    /// How long each waiting step may wait for its task before the flow gives up on it.
    pub wait_limits: WaitLimits,
    /// After this many photos of one side fail the checks, "Use anyway" is offered, so that
    /// nobody is stuck on a check that is wrong about their document.
    pub use_anyway_after: u32,
    /// A staff workstation (not kiosk mode): every session is staff-assisted.
    pub staff_workstation: bool,
    /// When "Continue on my phone" is offered (`[handoff] offer`).
    pub handoff: crate::config::HandoffOffer,
    /// `[quality] mrz`: whether the first photo comes before the document choice and the MRZ
    /// side must read. Off in the flow's own tests unless they say so.
    pub mrz: MrzPolicy,
}

/// The longest the kiosk waits for its own tasks. Each task reports, but a deadline in the flow
/// itself means that no screen with a spinner can outlast it, whatever a task does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WaitLimits {
    /// Creating the token, retries included.
    pub session: Duration,
    /// Decoding, checking and compressing one photo.
    pub photo: Duration,
    /// The whole upload and its answer.
    pub upload: Duration,
}

impl Default for WaitLimits {
    fn default() -> Self {
        Self {
            session: Duration::from_secs(150),
            photo: Duration::from_secs(60),
            upload: Duration::from_secs(330),
        }
    }
}

impl Default for FlowSettings {
    fn default() -> Self {
        Self {
            default_country: None,
            success_return_after: Duration::from_secs(15),
            idle_timeout: Duration::from_secs(90),
            idle_warning: Duration::from_secs(20),
            default_locale: Locale::En,
            wait_limits: WaitLimits::default(),
            use_anyway_after: 3,
            staff_workstation: false,
            handoff: crate::config::HandoffOffer::Fallback,
            mrz: MrzPolicy::Off,
        }
    }
}

/// Where the upload is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubmitStage {
    /// Fitting the images into one request.
    PreparingImages,
    /// Sending; bytes sent of total.
    Uploading(UploadProgress),
}

/// What went wrong, as the error screen shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct Failure {
    /// What the customer should do.
    pub advice: CustomerAdvice,
    /// HTTP status, identifier, message and how to fix it, for staff.
    pub staff_details: String,
}

impl Failure {
    fn from_api(error: &ApiError) -> Self {
        Self {
            advice: error.customer_advice(),
            staff_details: error.staff_text(),
        }
    }
}

/// The screen on show, with that screen's own data.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// Start button and language choice. No token exists: each one costs a credit.
    Welcome,
    /// The token is being created.
    CreatingSession,
    /// Country and document type.
    ChooseDocument,
    /// Camera or file for one image; `problem` explains why the last try was refused.
    Capture {
        /// Which image.
        slot: ImageSlot,
        /// Why the last try could not be used: the screen tells the customer in their language,
        /// staff the English detail.
        problem: Option<ImagingError>,
    },
    /// The image is being decoded and compressed.
    Preparing(ImageSlot),
    /// The prepared image, to accept or retake.
    Review(ImageSlot),
    /// Every image, each with a retake, and the submit button.
    Summary,
    /// Upload under way.
    Submitting(SubmitStage),
    /// Handed to Mark ID.
    Success {
        /// Mark ID's reference, for staff.
        scan_ref: String,
        /// When the screen appeared, for the return to Welcome.
        shown_at: Instant,
    },
    /// Something failed; `Try again` starts a new session.
    Failed(Failure),
    /// The customer continues on their phone with this session's token: its QR code and
    /// digit string are on screen. No photo is sent from here.
    HandOff {
        /// When the screen appeared: it ends when the token's session length runs out.
        shown_at: Instant,
    },
}

/// What can happen: customer intents, task results and the clock.
#[derive(Debug)]
pub enum Event {
    /// The customer pressed Start.
    Start,
    /// Staff started a session from their menu to help a customer: Start, staff-assisted.
    StartAssisted,
    /// The customer chose a language (also the token's `locale`).
    ChooseLanguage(Locale),
    /// The token was created.
    SessionCreated(Box<TokenSession>),
    /// The token could not be created.
    SessionFailed(ApiError),
    /// The customer picked the document country.
    ChooseCountry(String),
    /// The customer picked the document type.
    ChooseDocument(ProcessDocumentType),
    /// A photo or file was taken for the current capture screen.
    Captured(ImageSlot, Box<CapturedImage>),
    /// The taken image is ready, with the quality engine's verdict on it.
    ImagePrepared(ImageSlot, Box<PreparedImage>, PhotoCheck),
    /// The taken image could not be used.
    ImageFailed(ImageSlot, ImagingError),
    /// The customer accepted the image under review.
    Accept,
    /// The customer wants to take an image again.
    Retake(ImageSlot),
    /// The customer pressed Send on the summary.
    Submit,
    /// The customer chose the document type themselves: from "Show your document", or from
    /// a review where the MRZ chose it.
    ChooseManually,
    /// Upload progress.
    Progress(UploadProgress),
    /// Mark ID accepted the images.
    Submitted,
    /// The submission failed.
    SubmitFailed(ApiError),
    /// The customer (or staff) cancelled the session.
    Cancel,
    /// The customer pressed Try again on the error screen.
    TryAgain,
    /// The customer chose "Continue on my phone" on a capture screen; whether the camera is
    /// unavailable decides, with the failed photos, whether it is offered.
    HandOff {
        /// The capture screen has no working camera.
        camera_unavailable: bool,
    },
    /// The customer pressed Done on the phone screen.
    HandOffDone,
    /// The customer touched, clicked or typed: the idle timer starts again.
    Activity,
    /// The customer pressed "I need more time" on the idle warning.
    MoreTime,
    /// A task the kiosk started ended without its answer (it panicked, or its runtime went):
    /// the waiting step it belongs to gives up with this detail for staff.
    TaskFailed(Task, String),
    /// Time passed.
    Tick,
}

/// The tasks a waiting step waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Task {
    /// Creating the token (`CreatingSession`).
    Session,
    /// Preparing this photo (`Preparing`).
    Photo(ImageSlot),
    /// The upload (`Submitting`).
    Upload,
}

impl Task {
    fn name(self) -> &'static str {
        match self {
            Task::Session => "session",
            Task::Photo(_) => "photo",
            Task::Upload => "upload",
        }
    }
}

/// Side effects for the app to run. Their results come back as events.
#[derive(Debug, PartialEq)]
pub enum Effect {
    /// Create a token in this language; answer with `SessionCreated` or `SessionFailed`.
    CreateSession(Locale),
    /// Turn the camera still or chosen file into the upload for `slot`; answer with
    /// `ImagePrepared` or `ImageFailed`.
    PrepareImage(ImageSlot, Box<CapturedImage>),
    /// Fit the images into one request and upload them; answer with `Progress`, then
    /// `Submitted` or `SubmitFailed`.
    Submit(Box<Submission>),
    /// Stop the upload under way (the token is spent all the same).
    CancelSubmit,
    /// The session's token is over: the app drops what it holds of it (textures, camera stills,
    /// tasks). The flow drops its own data itself; after a failed upload it keeps the prepared
    /// photos until "Try again" or "Cancel", so that the customer need not take them again.
    WipeSession,
    /// A session ended (or none could be made): write it to the staff's journal.
    Record(SessionRecord),
}

/// What was taken on a capture screen, as it travels to the task that prepares it.
#[derive(Debug, PartialEq)]
pub enum CapturedImage {
    /// A camera still, upright.
    Still(RgbImage),
    /// A chosen or dropped file, read off the UI thread.
    File(PathBuf),
}

/// Everything one upload needs.
#[derive(Debug, PartialEq)]
pub struct Submission {
    /// The session's token.
    pub auth_token: Secret,
    /// Upper-case alpha-2.
    pub country: String,
    /// The document type.
    pub document: ProcessDocumentType,
    /// The prepared images, in slot order.
    pub images: Vec<(ImageSlot, PreparedImage)>,
}

/// One customer's session: the token and what they chose and captured.
#[derive(Debug)]
pub struct Session {
    /// The token answer.
    pub token: TokenSession,
    /// Document country, alpha-2.
    pub country: Option<String>,
    /// Document type.
    pub document: Option<ProcessDocumentType>,
    /// Accepted images, and the one under review.
    pub images: BTreeMap<ImageSlot, PreparedImage>,
    /// The token fixed the country (`[token] country`): the customer is not asked.
    pub country_fixed: bool,
    /// The verdict on each image, while it is under review or kept.
    pub checks: BTreeMap<ImageSlot, PhotoCheck>,
    /// Photos of each side that failed the checks.
    pub failed_tries: BTreeMap<ImageSlot, u32>,
    /// Photos taken or chosen, for the journal.
    pub captures: u32,
    /// Problem codes found on them, with how often, for the journal.
    pub problems_seen: BTreeMap<&'static str, u32>,
    /// The document type (and country) were set from the MRZ of the first photo: the review
    /// says so and offers the choice screen.
    pub identified_by_mrz: bool,
}

impl Session {
    /// The document types this token allows that /process accepts.
    pub fn allowed_documents(&self) -> Vec<ProcessDocumentType> {
        let kinds = self
            .token
            .response
            .allowed_document_kinds(self.country.as_deref());
        let allowed: Vec<ProcessDocumentType> = kinds
            .into_iter()
            .filter_map(ProcessDocumentType::from_token_kind)
            .collect();
        if allowed.is_empty() {
            vec![ProcessDocumentType::IdCard, ProcessDocumentType::Passport]
        } else {
            allowed
        }
    }

    /// The slots the chosen document needs, in capture order.
    pub fn required_slots(&self) -> Vec<ImageSlot> {
        match self.document {
            Some(document) => self.slots_for(document),
            None => Vec::new(),
        }
    }

    /// The slots `document` needs with this token, in capture order.
    pub fn slots_for(&self, document: ProcessDocumentType) -> Vec<ImageSlot> {
        let token_type = self
            .token
            .response
            .token_type
            .as_deref()
            .and_then(|t| t.parse().ok())
            .unwrap_or(TokenType::Identification);
        let utility_bill = self.token.response.utility_bill.unwrap_or(false);
        document
            .required_slots(token_type, utility_bill)
            .into_iter()
            .map(|(slot, _)| slot)
            .collect()
    }

    fn new(token: TokenSession, country: Option<String>, country_fixed: bool) -> Self {
        Self {
            token,
            country,
            document: None,
            images: BTreeMap::new(),
            country_fixed,
            checks: BTreeMap::new(),
            failed_tries: BTreeMap::new(),
            captures: 0,
            problems_seen: BTreeMap::new(),
            identified_by_mrz: false,
        }
    }

    /// Counts a photo and its verdict for `slot`, and keeps the verdict for the review.
    fn checked(&mut self, slot: ImageSlot, check: PhotoCheck) {
        self.captures += 1;
        for problem in &check.problems {
            *self.problems_seen.entry(problem.code()).or_default() += 1;
        }
        if !check.passed() {
            *self.failed_tries.entry(slot).or_default() += 1;
        }
        self.checks.insert(slot, check);
    }

    /// The first photo, shown before the document was chosen: when its MRZ reads and names a
    /// document and country this token allows, they are set and the photo goes to the side
    /// that carries the MRZ, for review; otherwise it is kept as the front and the customer
    /// chooses.
    fn shown(&mut self, image: PreparedImage, check: PhotoCheck) -> Step {
        let read = check
            .mrz
            .as_ref()
            .filter(|summary| summary.status == MrzStatus::Valid)
            .and_then(|summary| Some((summary.document?, summary.country.clone())));
        let fits = read.as_ref().is_some_and(|(document, country)| {
            let country_fits = match (&self.country, country) {
                (Some(fixed), Some(read)) if self.country_fixed => fixed.eq_ignore_ascii_case(read),
                (_, Some(_)) => true,
                // No country in the MRZ (a specimen's Utopia): only with one already set.
                (current, None) => current.is_some(),
            };
            country_fits && self.allowed_documents().contains(document)
        });
        let slot = match (fits, read) {
            (true, Some((document, country))) => {
                self.document = Some(document);
                if !self.country_fixed && country.is_some() {
                    self.country = country;
                }
                self.identified_by_mrz = true;
                self.mrz_side().unwrap_or(ImageSlot::Front)
            }
            _ => ImageSlot::Front,
        };
        self.images.insert(slot, image);
        self.checked(slot, check);
        if self.identified_by_mrz {
            Step::Review(slot)
        } else {
            Step::ChooseDocument
        }
    }

    /// The side that carries the MRZ: a passport's photo page (its front); the back of an ID
    /// card or residence permit (ICAO TD1, and the TD2 cards of the same issuers). Driving
    /// licences and other documents have none.
    pub fn mrz_side(&self) -> Option<ImageSlot> {
        match self.document? {
            ProcessDocumentType::Passport => Some(ImageSlot::Front),
            ProcessDocumentType::IdCard | ProcessDocumentType::ResidencePermit => {
                Some(ImageSlot::Back)
            }
            _ => None,
        }
    }

    /// What the MRZ reader made of the MRZ side's photo, once there is one.
    pub fn mrz_summary(&self) -> Option<&MrzSummary> {
        self.checks.get(&self.mrz_side()?)?.mrz.as_ref()
    }

    /// The MRZ says the document has expired.
    pub fn expired(&self) -> bool {
        self.mrz_summary()
            .is_some_and(|summary| summary.expired == Some(true))
    }

    fn next_missing_slot(&self) -> Option<ImageSlot> {
        self.required_slots()
            .into_iter()
            .find(|slot| !self.images.contains_key(slot))
    }
}

/// The review of a photo: its verdict, and whether it may be used.
#[derive(Clone, Debug, PartialEq)]
pub struct Review<'a> {
    /// Which image.
    pub slot: ImageSlot,
    /// The quality engine's verdict.
    pub check: &'a PhotoCheck,
    /// The photo may be used: it passed, or it failed `use_anyway_after` times (or staff are
    /// helping) and the customer may send it all the same.
    pub usable: bool,
    /// What the review says of the MRZ, on the side that carries it.
    pub mrz: Option<MrzNotice>,
}

/// What a review or the summary tells of the MRZ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MrzNotice {
    /// The code at the bottom could not be read with valid check digits.
    Unreadable,
    /// It reads, and the document has expired.
    Expired,
}

/// The state machine.
#[derive(Debug)]
pub struct Flow {
    settings: FlowSettings,
    step: Step,
    locale: Locale,
    session: Option<Session>,
    /// Images kept across a failed submission, so that "Try again" need not retake them all.
    kept_images: BTreeMap<ImageSlot, PreparedImage>,
    kept_choice: Option<(Option<String>, ProcessDocumentType)>,
    /// The customer's last input or the last change of screen, for the idle timeout.
    last_activity: Option<Instant>,
    /// When the customer pressed Start (or Try again), for the journal's duration.
    started_at: Option<Instant>,
    /// When the screen on show appeared, for the waiting steps' limits.
    step_since: Option<Instant>,
    /// Staff started this session from their menu (until it ends at Welcome).
    assisted: bool,
}

impl Flow {
    /// A flow at Welcome.
    pub fn new(settings: FlowSettings) -> Self {
        Self {
            step: Step::Welcome,
            locale: settings.default_locale,
            settings,
            session: None,
            kept_images: BTreeMap::new(),
            kept_choice: None,
            last_activity: None,
            started_at: None,
            step_since: None,
            assisted: false,
        }
    }

    /// Staff changed the settings: they apply from the next screen on (and the language at
    /// once, when nobody is being served).
    pub fn set_settings(&mut self, settings: FlowSettings) {
        if self.step == Step::Welcome {
            self.locale = settings.default_locale;
        }
        self.settings = settings;
    }

    /// The screen on show.
    pub fn step(&self) -> &Step {
        &self.step
    }

    /// The chosen language.
    pub fn locale(&self) -> Locale {
        self.locale
    }

    /// Where the customer is, as step `n` of `total`, for the step indicator: the document
    /// choice, one step per photo (with its review), and the summary where they send. On the
    /// document choice the total is that of the longest document on offer. None before and
    /// after those screens.
    pub fn progress(&self) -> Option<(usize, usize)> {
        let session = self.session()?;
        let total = |photos: usize| photos + 2;
        match &self.step {
            Step::ChooseDocument => {
                let most = session
                    .allowed_documents()
                    .into_iter()
                    .map(|document| session.slots_for(document).len())
                    .max()?;
                Some((1, total(most)))
            }
            Step::Capture { slot, .. } | Step::Preparing(slot) | Step::Review(slot) => {
                let slots = session.required_slots();
                let at = slots.iter().position(|required| required == slot)?;
                Some((at + 2, total(slots.len())))
            }
            Step::Summary => {
                let photos = session.required_slots().len();
                Some((total(photos), total(photos)))
            }
            _ => None,
        }
    }

    /// Whether staff are helping: a staff workstation, or a session staff started. Staff may
    /// then use a file dialog, and a photo that fails the checks.
    pub fn staff_assisted(&self) -> bool {
        self.settings.staff_workstation || self.assisted
    }

    /// Whether the screen on show offers "Continue on my phone": a capture or review screen of
    /// a session whose token came with a way to hand it off, by `[handoff] offer`.
    pub fn handoff_offered(&self, camera_unavailable: bool) -> bool {
        let Some(session) = self.session.as_ref() else {
            return false;
        };
        let Some(slot) = self
            .step_slot()
            .filter(|_| !matches!(self.step, Step::Preparing(_)))
        else {
            return false;
        };
        let failed = session.failed_tries.get(&slot).copied().unwrap_or(0);
        crate::handoff::offered(
            self.settings.handoff,
            camera_unavailable,
            failed,
            self.settings.use_anyway_after,
        )
    }

    /// The photo under review, with its verdict.
    pub fn review(&self) -> Option<Review<'_>> {
        let Step::Review(slot) = self.step else {
            return None;
        };
        let session = self.session.as_ref()?;
        let check = session.checks.get(&slot)?;
        let tries = session.failed_tries.get(&slot).copied().unwrap_or(0);
        let mrz = self.mrz_notice(session, slot);
        let required_unread =
            self.settings.mrz == MrzPolicy::Require && mrz == Some(MrzNotice::Unreadable);
        let usable = (check.passed() && !required_unread)
            || self.staff_assisted()
            || tries >= self.settings.use_anyway_after;
        Some(Review {
            slot,
            check,
            usable,
            mrz,
        })
    }

    /// What to tell of the MRZ on `slot`'s photo: only on the side that carries one, and only
    /// when the MRZ is read at all.
    fn mrz_notice(&self, session: &Session, slot: ImageSlot) -> Option<MrzNotice> {
        if self.settings.mrz == MrzPolicy::Off || session.mrz_side() != Some(slot) {
            return None;
        }
        let summary = session.checks.get(&slot)?.mrz.as_ref()?;
        if summary.status != MrzStatus::Valid {
            Some(MrzNotice::Unreadable)
        } else if summary.expired == Some(true) {
            Some(MrzNotice::Expired)
        } else {
            None
        }
    }

    /// Why Send is refused on the summary: an expired document, unless staff are helping.
    pub fn send_refused(&self) -> Option<MrzNotice> {
        let session = self.session.as_ref()?;
        (self.settings.mrz != MrzPolicy::Off && session.expired() && !self.staff_assisted())
            .then_some(MrzNotice::Expired)
    }

    /// The capture screen asks the customer to show their document before choosing its type:
    /// the MRZ of the first photo may choose it for them.
    pub fn showing_document(&self) -> bool {
        matches!(self.step, Step::Capture { .. } | Step::Preparing(_))
            && self.session.as_ref().is_some_and(|s| s.document.is_none())
    }

    /// The session, while there is one.
    pub fn session(&self) -> Option<&Session> {
        self.session.as_ref()
    }

    /// Applies one event; returns the effects to run.
    pub fn handle(&mut self, event: Event, now: Instant) -> Vec<Effect> {
        let before = std::mem::discriminant(&self.step);
        let before_slot = self.step_slot();
        let input = matches!(event, Event::Activity | Event::MoreTime);
        let effects = self.apply(event, now);
        let new_screen =
            std::mem::discriminant(&self.step) != before || self.step_slot() != before_slot;
        if new_screen || self.step_since.is_none() {
            self.step_since = Some(now);
        }
        // A new screen, or any input, starts the idle timer again.
        if input || new_screen || self.last_activity.is_none() {
            self.last_activity = Some(now);
        }
        effects
    }

    fn step_slot(&self) -> Option<ImageSlot> {
        match self.step {
            Step::Capture { slot, .. } | Step::Preparing(slot) | Step::Review(slot) => Some(slot),
            _ => None,
        }
    }

    /// Whether the screen on show ends by itself when left alone. Not Welcome (there is no
    /// session), not while the kiosk itself is working (the customer is waiting for it), and not
    /// Success (it has its own, shorter return).
    fn is_idle_timed(&self) -> bool {
        !matches!(
            self.step,
            Step::Welcome
                | Step::CreatingSession
                | Step::Preparing(_)
                | Step::Submitting(_)
                | Step::Success { .. }
        )
    }

    /// While the idle warning shows: the time left before the session ends.
    pub fn idle_countdown(&self, now: Instant) -> Option<Duration> {
        let last = self.last_activity?;
        if !self.is_idle_timed() {
            return None;
        }
        let left = self
            .settings
            .idle_timeout
            .saturating_sub(now.saturating_duration_since(last));
        (left <= self.settings.idle_warning).then_some(left)
    }

    /// The next moment at which this flow changes by itself, with no input: the idle
    /// warning's start, each second of its countdown (the screen shows whole seconds), the
    /// session's end, and Success's return to Welcome. The app asks for a repaint then, because
    /// egui sleeps while nobody touches the screen and a `Tick` would otherwise never come.
    /// Call it after the `Tick` for `now`: what is due at `now` has been handled, so every
    /// answer lies after `now`.
    pub fn next_deadline(&self, now: Instant) -> Option<Instant> {
        let success_return = match self.step {
            Step::Success { shown_at, .. } => Some(shown_at + self.settings.success_return_after),
            _ => None,
        };
        let idle = self
            .last_activity
            .filter(|_| self.is_idle_timed())
            .map(|last| {
                let end = last + self.settings.idle_timeout;
                let warning = end
                    .checked_sub(self.settings.idle_warning)
                    .unwrap_or(last)
                    .max(last);
                if now < warning {
                    warning
                } else {
                    next_whole_second_before(end, now)
                }
            });
        let given_up = self
            .waiting_for()
            .zip(self.step_since)
            .map(|((_, limit), since)| since + limit);
        [success_return, idle, given_up, self.handoff_end()]
            .into_iter()
            .flatten()
            .min()
    }

    /// When the phone screen ends by itself: once the token's session length (the time the
    /// customer has in Mark ID's UI) has run out, counted from the screen's appearance.
    fn handoff_end(&self) -> Option<Instant> {
        let Step::HandOff { shown_at } = self.step else {
            return None;
        };
        let length = self
            .session
            .as_ref()
            .and_then(|session| session.token.response.session_length)
            .unwrap_or(HANDOFF_SESSION_LENGTH_SECS);
        Some(shown_at + Duration::from_secs(length))
    }

    /// The task the screen on show waits for, and how long it may take.
    fn waiting_for(&self) -> Option<(Task, Duration)> {
        let limits = self.settings.wait_limits;
        match self.step {
            Step::CreatingSession => Some((Task::Session, limits.session)),
            Step::Preparing(slot) => Some((Task::Photo(slot), limits.photo)),
            Step::Submitting(_) => Some((Task::Upload, limits.upload)),
            _ => None,
        }
    }

    /// The waiting step stops waiting: its task failed, or outlasted its limit. The customer
    /// gets the step's own way on (another photo, or the error screen); staff the detail.
    fn give_up(&mut self, task: Task, detail: &str, now: Instant) -> Vec<Effect> {
        tracing::warn!(task = task.name(), "the kiosk stopped waiting: {detail}");
        let staff_details = format!(
            "The kiosk's {} task gave no answer: {detail}. Check the network and the log; if it keeps happening, report it with the log.",
            task.name()
        );
        match task {
            Task::Session => {
                let record =
                    self.record(Outcome::SessionFailed, Some(KIOSK_TASK_FAILED.into()), now);
                self.step = Step::Failed(Failure {
                    advice: CustomerAdvice::TryAgainLater,
                    staff_details,
                });
                vec![record]
            }
            Task::Photo(slot) => {
                self.step = Step::Capture {
                    slot,
                    problem: Some(ImagingError::Interrupted(detail.to_owned())),
                };
                Vec::new()
            }
            Task::Upload => {
                let record =
                    self.record(Outcome::SubmitFailed, Some(KIOSK_TASK_FAILED.into()), now);
                let mut effects = vec![Effect::CancelSubmit, record];
                effects.extend(self.submit_failed(Failure {
                    advice: CustomerAdvice::StartAgain,
                    staff_details,
                }));
                effects
            }
        }
    }

    fn apply(&mut self, event: Event, now: Instant) -> Vec<Effect> {
        match event {
            Event::ChooseLanguage(locale) => {
                self.locale = locale;
                Vec::new()
            }
            Event::Start if self.step == Step::Welcome => self.create_session(now),
            Event::StartAssisted if self.step == Step::Welcome => {
                self.assisted = true;
                self.create_session(now)
            }
            Event::TryAgain if matches!(self.step, Step::Failed(_)) => self.create_session(now),
            Event::SessionCreated(token) if self.step == Step::CreatingSession => {
                self.session_created(*token)
            }
            Event::SessionFailed(error) if self.step == Step::CreatingSession => {
                self.step = Step::Failed(Failure::from_api(&error));
                vec![self.record(Outcome::SessionFailed, Some(error.code()), now)]
            }
            Event::ChooseCountry(country) => {
                if let Some(session) = self.session.as_mut().filter(|s| !s.country_fixed) {
                    session.country = Some(country.to_ascii_uppercase());
                }
                Vec::new()
            }
            Event::ChooseDocument(document) if self.step == Step::ChooseDocument => {
                self.choose_document(document)
            }
            Event::Captured(slot, image) if matches!(self.step, Step::Capture { slot: s, .. } if s == slot) =>
            {
                self.step = Step::Preparing(slot);
                vec![Effect::PrepareImage(slot, image)]
            }
            Event::ImagePrepared(slot, image, check) if self.step == Step::Preparing(slot) => {
                let showing = self.showing_document();
                let require = self.settings.mrz == MrzPolicy::Require;
                if let Some(session) = self.session.as_mut() {
                    if showing {
                        self.step = session.shown(*image, check);
                        return Vec::new();
                    }
                    let unread = require
                        && session.mrz_side() == Some(slot)
                        && check
                            .mrz
                            .as_ref()
                            .is_some_and(|m| m.status != MrzStatus::Valid);
                    session.images.insert(slot, *image);
                    session.checked(slot, check);
                    if unread && session.checks.get(&slot).is_some_and(PhotoCheck::passed) {
                        *session.failed_tries.entry(slot).or_default() += 1;
                    }
                }
                self.step = Step::Review(slot);
                Vec::new()
            }
            Event::ChooseManually
                if self.showing_document()
                    || matches!(self.step, Step::Review(_))
                        && self.session.as_ref().is_some_and(|s| s.identified_by_mrz) =>
            {
                if let Some(session) = self.session.as_mut() {
                    session.images.clear();
                    session.checks.clear();
                    session.document = None;
                    session.identified_by_mrz = false;
                    if !session.country_fixed {
                        session.country = None;
                    }
                }
                self.step = Step::ChooseDocument;
                Vec::new()
            }
            Event::ImageFailed(slot, error) if self.step == Step::Preparing(slot) => {
                self.step = Step::Capture {
                    slot,
                    problem: Some(error),
                };
                Vec::new()
            }
            // A photo that failed is used only once "Use anyway" is offered.
            Event::Accept if self.review().is_some_and(|review| review.usable) => {
                self.advance_capture();
                Vec::new()
            }
            Event::Retake(slot) if matches!(self.step, Step::Review(_) | Step::Summary) => {
                if let Some(session) = self.session.as_mut() {
                    session.images.remove(&slot);
                    session.checks.remove(&slot);
                }
                self.step = Step::Capture {
                    slot,
                    problem: None,
                };
                Vec::new()
            }
            Event::Submit if self.step == Step::Summary && self.send_refused().is_none() => {
                self.submit()
            }
            Event::Progress(progress) if matches!(self.step, Step::Submitting(_)) => {
                self.step = Step::Submitting(SubmitStage::Uploading(progress));
                Vec::new()
            }
            Event::Submitted if matches!(self.step, Step::Submitting(_)) => {
                let scan_ref = self
                    .session
                    .as_ref()
                    .map(|s| s.token.scan_ref.clone())
                    .unwrap_or_default();
                let record = self.record(Outcome::Accepted, None, now);
                self.step = Step::Success {
                    scan_ref,
                    shown_at: now,
                };
                let mut effects = vec![record];
                effects.extend(self.end_session());
                effects
            }
            Event::SubmitFailed(error) if matches!(self.step, Step::Submitting(_)) => {
                let record = self.record(Outcome::SubmitFailed, Some(error.code()), now);
                let mut effects = vec![record];
                effects.extend(self.submit_failed(Failure::from_api(&error)));
                effects
            }
            Event::TaskFailed(task, detail)
                if self
                    .waiting_for()
                    .is_some_and(|(waiting, _)| waiting == task) =>
            {
                self.give_up(task, &detail, now)
            }
            Event::HandOff { camera_unavailable } if self.handoff_offered(camera_unavailable) => {
                self.step = Step::HandOff { shown_at: now };
                // The photos taken here stay unused: the customer takes them again on the phone.
                if let Some(session) = self.session.as_mut() {
                    session.images.clear();
                }
                Vec::new()
            }
            Event::HandOffDone if matches!(self.step, Step::HandOff { .. }) => {
                self.end_handoff(now)
            }
            Event::Cancel => self.cancel(Outcome::Cancelled, now),
            Event::Tick => self.tick(now),
            // Anything else is stale (a late task result, a double click) and changes nothing.
            _ => Vec::new(),
        }
    }

    fn create_session(&mut self, now: Instant) -> Vec<Effect> {
        self.step = Step::CreatingSession;
        self.started_at = Some(now);
        vec![Effect::CreateSession(self.locale)]
    }

    fn session_created(&mut self, token: TokenSession) -> Vec<Effect> {
        // `[token] country` goes into the token request, and the token then allows that
        // country alone; an answer that names one fixes it too.
        let fixed_country = token
            .response
            .country
            .clone()
            .filter(|c| !c.is_empty())
            .or_else(|| self.settings.default_country.clone())
            .map(|c| c.to_ascii_uppercase());
        let country_fixed = fixed_country.is_some();
        let mut session = Session::new(token, fixed_country, country_fixed);
        // After a failed submission the customer keeps their photos if the new token still
        // allows the document: they go straight to the summary to check or retake them.
        if let Some((country, document)) = self.kept_choice.take()
            && session.allowed_documents().contains(&document)
        {
            session.country = country.or(session.country);
            session.document = Some(document);
            session.images = std::mem::take(&mut self.kept_images);
        }
        self.kept_images.clear();
        self.session = Some(session);
        self.step = if self.settings.mrz == MrzPolicy::Off {
            Step::ChooseDocument
        } else {
            // "Show your document": the first photo's MRZ may choose the type and country.
            Step::Capture {
                slot: ImageSlot::Front,
                problem: None,
            }
        };
        if self.session.as_ref().is_some_and(|s| s.document.is_some()) {
            self.advance_capture();
        }
        Vec::new()
    }

    fn choose_document(&mut self, document: ProcessDocumentType) -> Vec<Effect> {
        let Some(session) = self.session.as_mut() else {
            return Vec::new();
        };
        if session.country.is_none() || !session.allowed_documents().contains(&document) {
            return Vec::new();
        }
        // The photo shown before the choice stays, as the front, for its review.
        let shown_first =
            session.document.is_none() && session.images.contains_key(&ImageSlot::Front);
        if session.document != Some(document) && !shown_first {
            session.images.clear();
        }
        session.document = Some(document);
        if shown_first {
            self.step = Step::Review(ImageSlot::Front);
        } else {
            self.advance_capture();
        }
        Vec::new()
    }

    /// The next missing image's capture screen, or the summary when all are there.
    fn advance_capture(&mut self) {
        let next = self.session.as_ref().and_then(Session::next_missing_slot);
        self.step = match next {
            Some(slot) => Step::Capture {
                slot,
                problem: None,
            },
            None => Step::Summary,
        };
    }

    fn submit(&mut self) -> Vec<Effect> {
        let Some(session) = self.session.as_ref() else {
            return Vec::new();
        };
        let (Some(country), Some(document)) = (session.country.clone(), session.document) else {
            return Vec::new();
        };
        if session.next_missing_slot().is_some() {
            self.advance_capture();
            return Vec::new();
        }
        let images = session
            .required_slots()
            .into_iter()
            .filter_map(|slot| session.images.get(&slot).map(|image| (slot, image.clone())))
            .collect();
        let submission = Submission {
            auth_token: session.token.auth_token.clone(),
            country,
            document,
            images,
        };
        self.step = Step::Submitting(SubmitStage::PreparingImages);
        vec![Effect::Submit(Box::new(submission))]
    }

    fn submit_failed(&mut self, failure: Failure) -> Vec<Effect> {
        // The token is spent whatever happened: keep the photos for the next session, unless the
        // API said the photos themselves are the problem.
        if let Some(session) = self.session.as_mut()
            && let Some(document) = session.document
        {
            self.kept_choice = Some((session.country.clone(), document));
            self.kept_images = std::mem::take(&mut session.images);
            if let CustomerAdvice::Retake(slot) = failure.advice {
                match slot {
                    Some(slot) => {
                        self.kept_images.remove(&slot);
                    }
                    None => self.kept_images.clear(),
                }
            }
        }
        self.step = Step::Failed(failure);
        self.session = None;
        vec![Effect::WipeSession]
    }

    /// The journal entry for the session ending now: what the customer chose, never what they
    /// showed.
    fn record(&self, outcome: Outcome, error: Option<String>, now: Instant) -> Effect {
        let session = self.session.as_ref();
        Effect::Record(SessionRecord {
            client_id: session
                .map(|s| s.token.client_id.clone())
                .unwrap_or_default(),
            scan_ref: session
                .map(|s| s.token.scan_ref.clone())
                .unwrap_or_default(),
            document_type: session
                .and_then(|s| s.document)
                .map(|document| document.as_str().to_owned()),
            outcome,
            error,
            duration: self
                .started_at
                .map(|started| now.saturating_duration_since(started))
                .unwrap_or_default(),
            captures: session.map_or(0, |s| s.captures),
            problems: session
                .map(|s| {
                    s.problems_seen
                        .iter()
                        .map(|(code, count)| ((*code).to_owned(), *count))
                        .collect()
                })
                .unwrap_or_default(),
            mrz: session
                .filter(|_| self.settings.mrz != MrzPolicy::Off)
                .and_then(Session::mrz_summary)
                .map(|summary| summary.status.code()),
        })
    }

    fn cancel(&mut self, outcome: Outcome, now: Instant) -> Vec<Effect> {
        if matches!(self.step, Step::Welcome) {
            return Vec::new();
        }
        let mut effects = Vec::new();
        if matches!(self.step, Step::Submitting(_)) {
            effects.push(Effect::CancelSubmit);
        }
        // A token was spent on this session: staff see where it went.
        if self.session.is_some() {
            effects.push(self.record(outcome, None, now));
        }
        self.step = Step::Welcome;
        effects.extend(self.end_session());
        effects
    }

    /// Drops the session and everything kept from it.
    fn end_session(&mut self) -> Vec<Effect> {
        self.session = None;
        self.assisted = false;
        self.kept_images.clear();
        self.kept_choice = None;
        vec![Effect::WipeSession]
    }

    /// The phone screen ends (Done, the idle timeout, or the token's session length): the
    /// session is journaled as handed off, its token and QR code wiped, and the kiosk greets
    /// the next customer.
    fn end_handoff(&mut self, now: Instant) -> Vec<Effect> {
        // As a cancel ends a session, with its own outcome.
        let effects = self.cancel(Outcome::HandedOff, now);
        self.locale = self.settings.default_locale;
        effects
    }

    fn tick(&mut self, now: Instant) -> Vec<Effect> {
        if let (Some((task, limit)), Some(since)) = (self.waiting_for(), self.step_since)
            && now.saturating_duration_since(since) >= limit
        {
            let detail = format!(
                "no answer within the kiosk's limit of {} s",
                limit.as_secs()
            );
            return self.give_up(task, &detail, now);
        }
        if let Step::Success { shown_at, .. } = self.step
            && now.duration_since(shown_at) >= self.settings.success_return_after
        {
            self.step = Step::Welcome;
            self.locale = self.settings.default_locale;
        }
        let handoff_over = self.handoff_end().is_some_and(|end| now >= end);
        if matches!(self.step, Step::HandOff { .. })
            && (handoff_over || self.idle_countdown(now) == Some(Duration::ZERO))
        {
            return self.end_handoff(now);
        }
        if self.idle_countdown(now) == Some(Duration::ZERO) {
            // The customer walked away: end the session as Cancel does, and greet the next
            // customer in the default language.
            let effects = self.cancel(Outcome::TimedOut, now);
            self.locale = self.settings.default_locale;
            return effects;
        }
        Vec::new()
    }
}

/// The session length Mark ID gives a token when it is not set (the spec's default), for the
/// phone screen's end when the token's answer does not say.
const HANDOFF_SESSION_LENGTH_SECS: u64 = 1800;

/// The next instant after `now` that is a whole number of seconds before `end` (`end` itself
/// at the last), when a countdown to `end` shown in whole seconds changes.
pub fn next_whole_second_before(end: Instant, now: Instant) -> Instant {
    let left = end.saturating_duration_since(now);
    let whole = if left.subsec_nanos() == 0 {
        left.as_secs().saturating_sub(1)
    } else {
        left.as_secs()
    };
    end.checked_sub(Duration::from_secs(whole)).unwrap_or(end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::error::HttpFailure;
    use crate::api::{Endpoint, TokenResponse};
    use crate::imaging::{ImagePolicy, ImageRole, prepare_pixels};
    use crate::quality::{DocumentProblem, FaceProblem, Problem};

    fn token(token_type: Option<&str>, allowed: &[&str]) -> TokenSession {
        let response = TokenResponse {
            token_type: token_type.map(str::to_owned),
            allowed_documents: Some(
                [(
                    "ALL".to_owned(),
                    allowed.iter().map(|s| (*s).to_owned()).collect(),
                )]
                .into(),
            ),
            ..TokenResponse::default()
        };
        TokenSession {
            auth_token: Secret::new("T"),
            scan_ref: "scan-1".into(),
            client_id: "c".into(),
            response,
        }
    }

    fn still() -> Box<CapturedImage> {
        Box::new(CapturedImage::Still(image::RgbImage::new(4, 4)))
    }

    fn image() -> Box<PreparedImage> {
        let pixels = image::RgbImage::from_pixel(64, 48, image::Rgb([10, 20, 30]));
        Box::new(prepare_pixels(pixels, ImageRole::Document, &ImagePolicy::default()).unwrap())
    }

    fn started(settings: FlowSettings, token: TokenSession) -> (Flow, Instant) {
        let now = Instant::now();
        let mut flow = Flow::new(settings);
        assert_eq!(
            flow.handle(Event::Start, now),
            vec![Effect::CreateSession(Locale::En)]
        );
        assert_eq!(flow.step(), &Step::CreatingSession);
        flow.handle(Event::SessionCreated(Box::new(token)), now);
        (flow, now)
    }

    fn with_country() -> FlowSettings {
        FlowSettings {
            default_country: Some("lt".into()),
            ..FlowSettings::default()
        }
    }

    fn capture(flow: &mut Flow, slot: ImageSlot, now: Instant) {
        assert_eq!(
            flow.step(),
            &Step::Capture {
                slot,
                problem: None
            }
        );
        assert_eq!(
            flow.handle(Event::Captured(slot, still()), now),
            vec![Effect::PrepareImage(slot, still())]
        );
        flow.handle(
            Event::ImagePrepared(slot, image(), PhotoCheck::default()),
            now,
        );
        assert_eq!(flow.step(), &Step::Review(slot));
        flow.handle(Event::Accept, now);
    }

    /// A photo of `slot` taken on its capture screen, prepared with `check`.
    fn photo(flow: &mut Flow, slot: ImageSlot, check: &PhotoCheck, now: Instant) {
        flow.handle(Event::Captured(slot, still()), now);
        flow.handle(Event::ImagePrepared(slot, image(), check.clone()), now);
        assert_eq!(flow.step(), &Step::Review(slot));
    }

    fn glare() -> PhotoCheck {
        PhotoCheck {
            problems: vec![
                Problem::Document(DocumentProblem::Glare),
                Problem::Document(DocumentProblem::Blurry),
            ],
            mrz: None,
        }
    }

    fn reading_mrz(policy: MrzPolicy) -> FlowSettings {
        FlowSettings {
            mrz: policy,
            ..FlowSettings::default()
        }
    }

    fn mrz(
        status: MrzStatus,
        document: Option<ProcessDocumentType>,
        country: Option<&str>,
        expired: Option<bool>,
    ) -> PhotoCheck {
        PhotoCheck {
            problems: Vec::new(),
            mrz: Some(MrzSummary {
                status,
                layout: None,
                document,
                country: country.map(str::to_owned),
                expired,
            }),
        }
    }

    #[test]
    fn a_readable_passport_chooses_itself_and_an_id_card_goes_to_its_back() {
        let (mut flow, now) = started(
            reading_mrz(MrzPolicy::Warn),
            token(None, &["ID_CARD", "PASSPORT"]),
        );
        // "Show your document": the first photo comes before the choice.
        assert!(flow.showing_document());
        let passport = mrz(
            MrzStatus::Valid,
            Some(ProcessDocumentType::Passport),
            Some("LT"),
            Some(false),
        );
        photo(&mut flow, ImageSlot::Front, &passport, now);
        let session = flow.session().unwrap();
        assert_eq!(session.document, Some(ProcessDocumentType::Passport));
        assert_eq!(session.country.as_deref(), Some("LT"));
        assert!(session.identified_by_mrz);
        assert_eq!(flow.review().unwrap().mrz, None);
        flow.handle(Event::Accept, now);
        assert_eq!(
            flow.step(),
            &Step::Capture {
                slot: ImageSlot::Face,
                problem: None
            }
        );

        // A TD1 card's MRZ is on its back: the photo is the back, the front comes next.
        let (mut flow, now) = started(
            reading_mrz(MrzPolicy::Warn),
            token(None, &["ID_CARD", "PASSPORT"]),
        );
        let card = mrz(
            MrzStatus::Valid,
            Some(ProcessDocumentType::IdCard),
            Some("DE"),
            Some(false),
        );
        flow.handle(Event::Captured(ImageSlot::Front, still()), now);
        flow.handle(Event::ImagePrepared(ImageSlot::Front, image(), card), now);
        assert_eq!(flow.step(), &Step::Review(ImageSlot::Back));
        flow.handle(Event::Accept, now);
        assert_eq!(
            flow.step(),
            &Step::Capture {
                slot: ImageSlot::Front,
                problem: None
            }
        );
        assert_eq!(flow.session().unwrap().country.as_deref(), Some("DE"));
    }

    #[test]
    fn a_read_passport_whose_photo_failed_a_check_is_kept_anyway_on_a_staff_workstation() {
        let settings = FlowSettings {
            staff_workstation: true,
            ..reading_mrz(MrzPolicy::Warn)
        };
        let (mut flow, now) = started(settings, token(None, &["ID_CARD", "PASSPORT"]));
        let mut small = mrz(
            MrzStatus::Valid,
            Some(ProcessDocumentType::Passport),
            Some("CZ"),
            Some(true),
        );
        small.problems = vec![Problem::Document(DocumentProblem::TooSmall)];
        photo(&mut flow, ImageSlot::Front, &small, now);
        let review = flow.review().unwrap();
        assert!(review.usable);
        assert_eq!(review.mrz, Some(MrzNotice::Expired));
        flow.handle(Event::Accept, now);
        assert_eq!(
            flow.step(),
            &Step::Capture {
                slot: ImageSlot::Face,
                problem: None
            }
        );
    }

    #[test]
    fn without_a_reading_the_choice_comes_back_and_keeps_the_photo() {
        let (mut flow, now) = started(
            reading_mrz(MrzPolicy::Warn),
            token(None, &["ID_CARD", "PASSPORT"]),
        );
        let unread = mrz(MrzStatus::Absent, None, None, None);
        flow.handle(Event::Captured(ImageSlot::Front, still()), now);
        flow.handle(Event::ImagePrepared(ImageSlot::Front, image(), unread), now);
        assert_eq!(flow.step(), &Step::ChooseDocument);
        flow.handle(Event::ChooseCountry("lt".into()), now);
        flow.handle(Event::ChooseDocument(ProcessDocumentType::IdCard), now);
        // The photo shown first is the front, reviewed now.
        assert_eq!(flow.step(), &Step::Review(ImageSlot::Front));
        // A country the token fixes must match the MRZ's, else the customer chooses.
        let (mut flow, now) = started(with_country(), token(None, &["PASSPORT"]));
        let _ = &mut flow;
        let mut settings = with_country();
        settings.mrz = MrzPolicy::Warn;
        let (mut flow2, _) = started(settings, token(None, &["PASSPORT"]));
        let german = mrz(
            MrzStatus::Valid,
            Some(ProcessDocumentType::Passport),
            Some("DE"),
            Some(false),
        );
        flow2.handle(Event::Captured(ImageSlot::Front, still()), now);
        flow2.handle(Event::ImagePrepared(ImageSlot::Front, image(), german), now);
        assert_eq!(flow2.step(), &Step::ChooseDocument);
        // "Choose the document type" on the first screen skips the photo.
        let (mut flow3, _) = started(reading_mrz(MrzPolicy::Warn), token(None, &["PASSPORT"]));
        flow3.handle(Event::ChooseManually, now);
        assert_eq!(flow3.step(), &Step::ChooseDocument);
        // With the MRZ off, the choice comes first, as before.
        assert_eq!(flow.step(), &Step::ChooseDocument);
    }

    #[test]
    fn an_unreadable_mrz_warns_or_blocks_and_an_expired_document_cannot_be_sent() {
        let settings = FlowSettings {
            default_country: Some("lt".into()),
            ..reading_mrz(MrzPolicy::Require)
        };
        let (mut flow, now) = started(settings, token(None, &["PASSPORT"]));
        flow.handle(Event::ChooseManually, now);
        flow.handle(Event::ChooseDocument(ProcessDocumentType::Passport), now);
        let unread = mrz(MrzStatus::Invalid, None, None, None);
        photo(&mut flow, ImageSlot::Front, &unread, now);
        let review = flow.review().unwrap();
        assert_eq!(review.mrz, Some(MrzNotice::Unreadable));
        assert!(!review.usable, "require: retaken");
        // Warn: told, usable.
        let settings = FlowSettings {
            default_country: Some("lt".into()),
            ..reading_mrz(MrzPolicy::Warn)
        };
        let (mut flow, now) = started(settings, token(None, &["PASSPORT"]));
        flow.handle(Event::ChooseManually, now);
        flow.handle(Event::ChooseDocument(ProcessDocumentType::Passport), now);
        photo(&mut flow, ImageSlot::Front, &unread, now);
        let review = flow.review().unwrap();
        assert_eq!(review.mrz, Some(MrzNotice::Unreadable));
        assert!(review.usable);
        // An expired passport: told on the review, and Send is refused on the summary.
        flow.handle(Event::Retake(ImageSlot::Front), now);
        let expired = mrz(
            MrzStatus::Valid,
            Some(ProcessDocumentType::Passport),
            Some("LT"),
            Some(true),
        );
        photo(&mut flow, ImageSlot::Front, &expired, now);
        assert_eq!(flow.review().unwrap().mrz, Some(MrzNotice::Expired));
        flow.handle(Event::Accept, now);
        photo(&mut flow, ImageSlot::Face, &PhotoCheck::default(), now);
        flow.handle(Event::Accept, now);
        assert_eq!(flow.step(), &Step::Summary);
        assert_eq!(flow.send_refused(), Some(MrzNotice::Expired));
        assert!(flow.handle(Event::Submit, now).is_empty());
        assert_eq!(flow.step(), &Step::Summary);
        // The journal notes only whether it read.
        let effects = flow.handle(Event::Cancel, now);
        assert!(
            effects
                .iter()
                .any(|e| matches!(e, Effect::Record(r) if r.mrz == Some("valid")))
        );
    }

    #[test]
    fn a_photo_that_fails_is_used_only_after_three_tries() {
        let (mut flow, now) = started(with_country(), token(None, &["ID_CARD"]));
        flow.handle(Event::ChooseDocument(ProcessDocumentType::IdCard), now);
        for tries in 1..=3 {
            photo(&mut flow, ImageSlot::Front, &glare(), now);
            let review = flow.review().unwrap();
            assert_eq!(review.check, &glare());
            assert_eq!(review.usable, tries == 3, "after {tries} tries");
            if tries < 3 {
                flow.handle(Event::Accept, now);
                assert_eq!(
                    flow.step(),
                    &Step::Review(ImageSlot::Front),
                    "Accept is refused"
                );
                flow.handle(Event::Retake(ImageSlot::Front), now);
            }
        }
        flow.handle(Event::Accept, now);
        assert!(matches!(
            flow.step(),
            Step::Capture {
                slot: ImageSlot::Back,
                ..
            }
        ));
        // Each side has its own count; a photo that passes is usable at once.
        photo(&mut flow, ImageSlot::Back, &glare(), now);
        assert!(!flow.review().unwrap().usable);
        flow.handle(Event::Retake(ImageSlot::Back), now);
        photo(&mut flow, ImageSlot::Back, &PhotoCheck::default(), now);
        assert!(flow.review().unwrap().usable);
    }

    /// The outcome of every journal record among `effects`.
    fn outcomes(effects: &[Effect]) -> Vec<Outcome> {
        effects
            .iter()
            .filter_map(|effect| match effect {
                Effect::Record(record) => Some(record.outcome),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn the_phone_is_offered_after_three_failed_photos_and_done_sends_nothing() {
        let (mut flow, now) = started(with_country(), token(None, &["ID_CARD"]));
        flow.handle(Event::ChooseDocument(ProcessDocumentType::IdCard), now);
        for _ in 0..2 {
            photo(&mut flow, ImageSlot::Front, &glare(), now);
            flow.handle(Event::Retake(ImageSlot::Front), now);
        }
        assert!(!flow.handoff_offered(false), "two failed photos");
        assert!(flow.handoff_offered(true), "no camera: at once");
        // Refused while not offered: the screen shows no button, and a stray event does nothing.
        assert!(
            flow.handle(
                Event::HandOff {
                    camera_unavailable: false
                },
                now
            )
            .is_empty()
        );
        assert!(matches!(flow.step(), Step::Capture { .. }));
        photo(&mut flow, ImageSlot::Front, &glare(), now);
        flow.handle(Event::Retake(ImageSlot::Front), now);
        assert!(flow.handoff_offered(false), "three failed photos");
        flow.handle(
            Event::HandOff {
                camera_unavailable: false,
            },
            now,
        );
        assert_eq!(flow.step(), &Step::HandOff { shown_at: now });
        // Nothing is sent from here: Submit is refused, and Done only journals and wipes.
        assert!(flow.handle(Event::Submit, now).is_empty());
        let later = now + Duration::from_secs(30);
        let effects = flow.handle(Event::HandOffDone, later);
        assert_eq!(outcomes(&effects), vec![Outcome::HandedOff]);
        assert!(effects.contains(&Effect::WipeSession));
        assert!(!effects.iter().any(|e| matches!(e, Effect::Submit(_))));
        assert_eq!(flow.step(), &Step::Welcome);
        assert!(flow.session().is_none());
        assert_eq!(
            Outcome::from_journal("handed_off"),
            Some(Outcome::HandedOff)
        );
    }

    #[test]
    fn the_phone_screen_is_wiped_on_the_idle_timeout_and_when_the_session_length_runs_out() {
        let settings = FlowSettings {
            handoff: crate::config::HandoffOffer::Always,
            ..with_country()
        };
        // The idle timeout (90 s) comes first.
        let (mut flow, now) = started(settings.clone(), token(None, &["PASSPORT"]));
        flow.handle(Event::ChooseDocument(ProcessDocumentType::Passport), now);
        flow.handle(
            Event::HandOff {
                camera_unavailable: false,
            },
            now,
        );
        assert!(matches!(flow.step(), Step::HandOff { .. }));
        let end = flow.next_deadline(now).unwrap();
        assert!(end <= now + settings.idle_timeout);
        let effects = flow.handle(Event::Tick, now + settings.idle_timeout);
        assert_eq!(outcomes(&effects), vec![Outcome::HandedOff]);
        assert!(effects.contains(&Effect::WipeSession));
        assert_eq!(flow.step(), &Step::Welcome);
        // A token with a shorter session length ends the screen then, though the customer
        // keeps touching the kiosk.
        let mut short = token(None, &["PASSPORT"]);
        short.response.session_length = Some(70);
        let (mut flow, now) = started(settings, short);
        flow.handle(Event::ChooseDocument(ProcessDocumentType::Passport), now);
        flow.handle(
            Event::HandOff {
                camera_unavailable: false,
            },
            now,
        );
        flow.handle(Event::Activity, now + Duration::from_secs(60));
        assert_eq!(
            flow.next_deadline(now + Duration::from_secs(60)),
            Some(now + Duration::from_secs(70))
        );
        assert!(
            flow.handle(Event::Tick, now + Duration::from_secs(69))
                .is_empty()
        );
        let effects = flow.handle(Event::Tick, now + Duration::from_secs(70));
        assert_eq!(outcomes(&effects), vec![Outcome::HandedOff]);
        assert_eq!(flow.step(), &Step::Welcome);
    }

    #[test]
    fn the_phone_is_never_offered_when_switched_off() {
        let settings = FlowSettings {
            handoff: crate::config::HandoffOffer::Never,
            ..with_country()
        };
        let (mut flow, now) = started(settings, token(None, &["PASSPORT"]));
        flow.handle(Event::ChooseDocument(ProcessDocumentType::Passport), now);
        assert!(!flow.handoff_offered(true));
        flow.handle(
            Event::HandOff {
                camera_unavailable: true,
            },
            now,
        );
        assert!(matches!(flow.step(), Step::Capture { .. }));
    }

    #[test]
    fn a_staff_assisted_session_may_use_a_failed_photo_at_once() {
        let settings = FlowSettings {
            use_anyway_after: 5,
            ..with_country()
        };
        let now = Instant::now();
        let mut flow = Flow::new(settings.clone());
        flow.handle(Event::StartAssisted, now);
        assert!(flow.staff_assisted());
        flow.handle(
            Event::SessionCreated(Box::new(token(None, &["PASSPORT"]))),
            now,
        );
        flow.handle(Event::ChooseDocument(ProcessDocumentType::Passport), now);
        photo(&mut flow, ImageSlot::Front, &glare(), now);
        assert!(flow.review().unwrap().usable);
        // The next customer, on their own, is not assisted.
        flow.handle(Event::Cancel, now);
        assert!(!flow.staff_assisted());
        let (mut flow, now) = started(settings.clone(), token(None, &["PASSPORT"]));
        flow.handle(Event::ChooseDocument(ProcessDocumentType::Passport), now);
        photo(&mut flow, ImageSlot::Front, &glare(), now);
        assert!(!flow.review().unwrap().usable);
        // A staff workstation is always assisted.
        let workstation = FlowSettings {
            staff_workstation: true,
            ..settings
        };
        let (mut flow, now) = started(workstation, token(None, &["PASSPORT"]));
        flow.handle(Event::ChooseDocument(ProcessDocumentType::Passport), now);
        photo(&mut flow, ImageSlot::Front, &glare(), now);
        assert!(flow.review().unwrap().usable);
    }

    #[test]
    fn the_journal_counts_the_photos_and_the_problem_codes_of_a_session() {
        let (mut flow, now) = started(with_country(), token(None, &["PASSPORT"]));
        flow.handle(Event::ChooseDocument(ProcessDocumentType::Passport), now);
        photo(&mut flow, ImageSlot::Front, &glare(), now);
        flow.handle(Event::Retake(ImageSlot::Front), now);
        photo(&mut flow, ImageSlot::Front, &glare(), now);
        flow.handle(Event::Retake(ImageSlot::Front), now);
        photo(&mut flow, ImageSlot::Front, &PhotoCheck::default(), now);
        flow.handle(Event::Accept, now);
        let no_face = PhotoCheck {
            problems: vec![Problem::Face(FaceProblem::NoFace)],
            mrz: None,
        };
        photo(&mut flow, ImageSlot::Face, &no_face, now);
        let effects = flow.handle(Event::Cancel, now);
        let Some(Effect::Record(record)) = effects.first() else {
            panic!("no record: {effects:?}");
        };
        assert_eq!(record.captures, 4);
        let problems: Vec<(&str, u32)> = record
            .problems
            .iter()
            .map(|(code, n)| (code.as_str(), *n))
            .collect();
        assert_eq!(problems, [("blurry", 2), ("glare", 2), ("no_face", 1)]);
    }

    #[test]
    fn a_country_the_token_fixes_cannot_be_changed() {
        let (mut flow, now) = started(with_country(), token(None, &["PASSPORT"]));
        assert!(flow.session().unwrap().country_fixed);
        flow.handle(Event::ChooseCountry("EE".into()), now);
        assert_eq!(flow.session().unwrap().country.as_deref(), Some("LT"));
        let (flow, _) = started(FlowSettings::default(), token(None, &["PASSPORT"]));
        assert!(!flow.session().unwrap().country_fixed);
    }

    fn http_error(status: u16, body: &str) -> ApiError {
        ApiError::Http {
            endpoint: Endpoint::Process,
            failure: HttpFailure::from_body(status, body.as_bytes(), None),
        }
    }

    #[test]
    fn the_step_indicator_counts_the_choice_each_photo_and_the_summary() {
        let (mut flow, now) = started(with_country(), token(None, &["ID_CARD", "PASSPORT"]));
        assert_eq!(
            flow.progress(),
            Some((1, 5)),
            "an ID card's path is the longest"
        );
        flow.handle(Event::ChooseDocument(ProcessDocumentType::Passport), now);
        assert_eq!(flow.progress(), Some((2, 4)));
        capture(&mut flow, ImageSlot::Front, now);
        assert_eq!(flow.progress(), Some((3, 4)));
        capture(&mut flow, ImageSlot::Face, now);
        assert_eq!(flow.step(), &Step::Summary);
        assert_eq!(flow.progress(), Some((4, 4)));
        flow.handle(Event::Submit, now);
        assert_eq!(flow.progress(), None);

        let (mut flow, now) = started(with_country(), token(None, &["ID_CARD"]));
        flow.handle(Event::ChooseDocument(ProcessDocumentType::IdCard), now);
        capture(&mut flow, ImageSlot::Front, now);
        assert_eq!(flow.progress(), Some((3, 5)), "the back of an ID card");
        assert_eq!(Flow::new(with_country()).progress(), None, "Welcome");
    }

    #[test]
    fn id_card_happy_path_to_success_and_back_to_welcome() {
        let (mut flow, now) = started(with_country(), token(None, &["ID_CARD", "PASSPORT"]));
        assert_eq!(flow.step(), &Step::ChooseDocument);
        assert_eq!(flow.session().unwrap().country.as_deref(), Some("LT"));
        flow.handle(Event::ChooseDocument(ProcessDocumentType::IdCard), now);
        for slot in [ImageSlot::Front, ImageSlot::Back, ImageSlot::Face] {
            capture(&mut flow, slot, now);
        }
        assert_eq!(flow.step(), &Step::Summary);
        let effects = flow.handle(Event::Submit, now);
        let [Effect::Submit(submission)] = effects.as_slice() else {
            panic!("{effects:?}")
        };
        assert_eq!(submission.country, "LT");
        assert_eq!(
            submission
                .images
                .iter()
                .map(|(s, _)| *s)
                .collect::<Vec<_>>(),
            vec![ImageSlot::Front, ImageSlot::Back, ImageSlot::Face]
        );
        assert_eq!(flow.step(), &Step::Submitting(SubmitStage::PreparingImages));
        let progress = UploadProgress {
            sent: 10,
            total: 100,
        };
        flow.handle(Event::Progress(progress), now);
        assert_eq!(
            flow.step(),
            &Step::Submitting(SubmitStage::Uploading(progress))
        );
        assert_eq!(
            flow.handle(Event::Submitted, now + Duration::from_secs(42)),
            vec![
                Effect::Record(SessionRecord {
                    client_id: "c".into(),
                    scan_ref: "scan-1".into(),
                    document_type: Some("ID_CARD".into()),
                    outcome: Outcome::Accepted,
                    error: None,
                    duration: Duration::from_secs(42),
                    captures: 3,
                    problems: BTreeMap::new(),
                    mrz: None,
                }),
                Effect::WipeSession
            ]
        );
        assert!(matches!(flow.step(), Step::Success { scan_ref, .. } if scan_ref == "scan-1"));
        assert!(flow.session().is_none(), "personal data dropped at once");
        flow.handle(Event::Tick, now + Duration::from_secs(42 + 5));
        assert!(matches!(flow.step(), Step::Success { .. }));
        flow.handle(Event::Tick, now + Duration::from_secs(42 + 15));
        assert_eq!(flow.step(), &Step::Welcome);
    }

    #[test]
    fn passport_needs_no_back_and_document_tokens_no_face() {
        let (mut flow, now) = started(with_country(), token(None, &["PASSPORT"]));
        flow.handle(Event::ChooseDocument(ProcessDocumentType::Passport), now);
        capture(&mut flow, ImageSlot::Front, now);
        assert_eq!(
            flow.step(),
            &Step::Capture {
                slot: ImageSlot::Face,
                problem: None
            }
        );

        let (mut flow, now) = started(with_country(), token(Some("DOCUMENT"), &["ID_CARD"]));
        flow.handle(Event::ChooseDocument(ProcessDocumentType::IdCard), now);
        capture(&mut flow, ImageSlot::Front, now);
        capture(&mut flow, ImageSlot::Back, now);
        assert_eq!(flow.step(), &Step::Summary);
    }

    #[test]
    fn only_documents_the_token_allows_can_be_chosen() {
        let (mut flow, now) = started(with_country(), token(None, &["PASSPORT", "VISA"]));
        assert_eq!(
            flow.session().unwrap().allowed_documents(),
            vec![ProcessDocumentType::Passport]
        );
        flow.handle(Event::ChooseDocument(ProcessDocumentType::IdCard), now);
        assert_eq!(flow.step(), &Step::ChooseDocument);
    }

    #[test]
    fn a_country_is_needed_before_the_document() {
        let (mut flow, now) = started(FlowSettings::default(), token(None, &["ID_CARD"]));
        flow.handle(Event::ChooseDocument(ProcessDocumentType::IdCard), now);
        assert_eq!(flow.step(), &Step::ChooseDocument);
        flow.handle(Event::ChooseCountry("ee".into()), now);
        flow.handle(Event::ChooseDocument(ProcessDocumentType::IdCard), now);
        assert_eq!(
            flow.step(),
            &Step::Capture {
                slot: ImageSlot::Front,
                problem: None
            }
        );
        assert_eq!(flow.session().unwrap().country.as_deref(), Some("EE"));
    }

    #[test]
    fn retake_from_review_and_from_summary() {
        let (mut flow, now) = started(with_country(), token(None, &["PASSPORT"]));
        flow.handle(Event::ChooseDocument(ProcessDocumentType::Passport), now);
        flow.handle(Event::Captured(ImageSlot::Front, still()), now);
        flow.handle(
            Event::ImagePrepared(ImageSlot::Front, image(), PhotoCheck::default()),
            now,
        );
        flow.handle(Event::Retake(ImageSlot::Front), now);
        assert_eq!(
            flow.step(),
            &Step::Capture {
                slot: ImageSlot::Front,
                problem: None
            }
        );
        capture(&mut flow, ImageSlot::Front, now);
        capture(&mut flow, ImageSlot::Face, now);
        assert_eq!(flow.step(), &Step::Summary);
        flow.handle(Event::Retake(ImageSlot::Front), now);
        assert!(
            !flow
                .session()
                .unwrap()
                .images
                .contains_key(&ImageSlot::Front)
        );
        capture(&mut flow, ImageSlot::Front, now);
        assert_eq!(
            flow.step(),
            &Step::Summary,
            "back to the summary, the face is still there"
        );
    }

    #[test]
    fn a_bad_file_stays_on_the_capture_screen_with_the_reason() {
        let (mut flow, now) = started(with_country(), token(None, &["PASSPORT"]));
        flow.handle(Event::ChooseDocument(ProcessDocumentType::Passport), now);
        flow.handle(Event::Captured(ImageSlot::Front, still()), now);
        flow.handle(
            Event::ImageFailed(ImageSlot::Front, ImagingError::Unsupported("HEIC/HEIF")),
            now,
        );
        let Step::Capture {
            slot: ImageSlot::Front,
            problem: Some(problem),
        } = flow.step()
        else {
            panic!("{:?}", flow.step())
        };
        assert!(
            problem.to_string().contains("save it as JPEG or PNG"),
            "{problem}"
        );
    }

    #[test]
    fn session_failure_shows_advice_and_try_again_creates_a_new_token() {
        let now = Instant::now();
        let mut flow = Flow::new(with_country());
        flow.handle(Event::ChooseLanguage(Locale::De), now);
        flow.handle(Event::Start, now);
        flow.handle(
            Event::SessionFailed(http_error(
                401,
                r#"{"message":"Invalid authorization credentials"}"#,
            )),
            now,
        );
        let Step::Failed(failure) = flow.step() else {
            panic!()
        };
        assert_eq!(failure.advice, CustomerAdvice::AskStaff);
        assert!(failure.staff_details.contains("HTTP 401"));
        assert_eq!(
            flow.handle(Event::TryAgain, now),
            vec![Effect::CreateSession(Locale::De)]
        );
    }

    #[test]
    fn a_failed_upload_keeps_the_photos_for_the_next_session() {
        let (mut flow, now) = started(with_country(), token(None, &["PASSPORT"]));
        flow.handle(Event::ChooseDocument(ProcessDocumentType::Passport), now);
        capture(&mut flow, ImageSlot::Front, now);
        capture(&mut flow, ImageSlot::Face, now);
        flow.handle(Event::Submit, now);
        let effects = flow.handle(
            Event::SubmitFailed(http_error(502, "<title>502 Bad Gateway</title>")),
            now,
        );
        assert_eq!(effects.last(), Some(&Effect::WipeSession));
        assert_eq!(records(&effects)[0].outcome, Outcome::SubmitFailed);
        let Step::Failed(failure) = flow.step() else {
            panic!()
        };
        assert_eq!(failure.advice, CustomerAdvice::TryAgainLater);
        assert!(flow.session().is_none(), "the spent token is gone");
        flow.handle(Event::TryAgain, now);
        flow.handle(
            Event::SessionCreated(Box::new(token(None, &["PASSPORT"]))),
            now,
        );
        assert_eq!(flow.step(), &Step::Summary);
        assert_eq!(flow.session().unwrap().images.len(), 2);
    }

    /// A flow on the summary of a passport session, with short limits for its waiting steps.
    fn at_summary(limits: WaitLimits) -> (Flow, Instant) {
        let settings = FlowSettings {
            wait_limits: limits,
            ..with_country()
        };
        let (mut flow, now) = started(settings, token(None, &["PASSPORT"]));
        flow.handle(Event::ChooseDocument(ProcessDocumentType::Passport), now);
        capture(&mut flow, ImageSlot::Front, now);
        capture(&mut flow, ImageSlot::Face, now);
        assert_eq!(flow.step(), &Step::Summary);
        (flow, now)
    }

    const SHORT: WaitLimits = WaitLimits {
        session: Duration::from_secs(40),
        photo: Duration::from_secs(20),
        upload: Duration::from_secs(100),
    };

    #[test]
    fn no_waiting_step_outlasts_its_limit() {
        let settings = FlowSettings {
            wait_limits: SHORT,
            ..with_country()
        };
        // Creating the session: its limit ends it as a failed session, in the journal.
        let start = Instant::now();
        let mut flow = Flow::new(settings.clone());
        flow.handle(Event::Start, start);
        assert_eq!(flow.next_deadline(start), Some(start + SHORT.session));
        assert!(
            flow.handle(Event::Tick, start + Duration::from_secs(39))
                .is_empty()
        );
        let effects = flow.handle(Event::Tick, start + SHORT.session);
        assert_eq!(records(&effects)[0].outcome, Outcome::SessionFailed);
        assert_eq!(
            records(&effects)[0].error.as_deref(),
            Some(KIOSK_TASK_FAILED)
        );
        let Step::Failed(failure) = flow.step() else {
            panic!("{:?}", flow.step())
        };
        assert_eq!(failure.advice, CustomerAdvice::TryAgainLater);
        assert!(
            failure.staff_details.contains("40 s"),
            "{}",
            failure.staff_details
        );
        // A late answer changes nothing.
        flow.handle(
            Event::SessionCreated(Box::new(token(None, &["PASSPORT"]))),
            start + SHORT.session,
        );
        assert!(matches!(flow.step(), Step::Failed(_)));

        // Preparing a photo: back to its capture screen, with the reason.
        let (mut flow, now) = started(settings, token(None, &["PASSPORT"]));
        flow.handle(Event::ChooseDocument(ProcessDocumentType::Passport), now);
        flow.handle(Event::Captured(ImageSlot::Front, still()), now);
        assert_eq!(flow.next_deadline(now), Some(now + SHORT.photo));
        flow.handle(Event::Tick, now + SHORT.photo);
        assert!(matches!(
            flow.step(),
            Step::Capture {
                slot: ImageSlot::Front,
                problem: Some(ImagingError::Interrupted(_))
            }
        ));

        // The upload, however its progress moves: stopped, journaled, photos kept.
        let (mut flow, now) = at_summary(SHORT);
        flow.handle(Event::Submit, now);
        let progress = UploadProgress {
            sent: 10,
            total: 20,
        };
        flow.handle(Event::Progress(progress), now + Duration::from_secs(99));
        assert_eq!(flow.next_deadline(now), Some(now + SHORT.upload));
        let effects = flow.handle(Event::Tick, now + SHORT.upload);
        assert_eq!(effects[0], Effect::CancelSubmit);
        assert_eq!(records(&effects)[0].outcome, Outcome::SubmitFailed);
        assert_eq!(effects.last(), Some(&Effect::WipeSession));
        flow.handle(Event::TryAgain, now + SHORT.upload);
        flow.handle(
            Event::SessionCreated(Box::new(token(None, &["PASSPORT"]))),
            now + SHORT.upload,
        );
        assert_eq!(flow.step(), &Step::Summary, "the photos were kept");
    }

    #[test]
    fn a_task_that_failed_ends_its_waiting_step_at_once() {
        let (mut flow, now) = at_summary(SHORT);
        flow.handle(Event::Submit, now);
        // A report for a task nobody waits for is stale.
        assert!(
            flow.handle(Event::TaskFailed(Task::Session, "late".into()), now)
                .is_empty()
        );
        assert!(matches!(flow.step(), Step::Submitting(_)));
        let effects = flow.handle(
            Event::TaskFailed(Task::Upload, "it panicked (fit_request)".into()),
            now,
        );
        assert_eq!(effects[0], Effect::CancelSubmit);
        let Step::Failed(failure) = flow.step() else {
            panic!("{:?}", flow.step())
        };
        assert_eq!(failure.advice, CustomerAdvice::StartAgain);
        assert!(failure.staff_details.contains("fit_request"));

        let (mut flow, now) = started(with_country(), token(None, &["PASSPORT"]));
        flow.handle(Event::ChooseDocument(ProcessDocumentType::Passport), now);
        flow.handle(Event::Captured(ImageSlot::Front, still()), now);
        flow.handle(
            Event::TaskFailed(Task::Photo(ImageSlot::Front), "it panicked".into()),
            now,
        );
        assert!(matches!(
            flow.step(),
            Step::Capture {
                slot: ImageSlot::Front,
                problem: Some(ImagingError::Interrupted(_))
            }
        ));

        let mut flow = Flow::new(FlowSettings::default());
        flow.handle(Event::Start, now);
        flow.handle(Event::TaskFailed(Task::Session, "it panicked".into()), now);
        assert!(matches!(flow.step(), Step::Failed(_)));
    }

    #[test]
    fn photos_the_api_rejected_are_taken_again() {
        let (mut flow, now) = started(with_country(), token(None, &["ID_CARD"]));
        flow.handle(Event::ChooseDocument(ProcessDocumentType::IdCard), now);
        for slot in [ImageSlot::Front, ImageSlot::Back, ImageSlot::Face] {
            capture(&mut flow, slot, now);
        }
        flow.handle(Event::Submit, now);
        let missing_back =
            r#"{"identifier":"MISSING_VALUE","message":"No image provided for step 'BACK'"}"#;
        flow.handle(Event::SubmitFailed(http_error(400, missing_back)), now);
        flow.handle(Event::TryAgain, now);
        flow.handle(
            Event::SessionCreated(Box::new(token(None, &["ID_CARD"]))),
            now,
        );
        assert_eq!(
            flow.step(),
            &Step::Capture {
                slot: ImageSlot::Back,
                problem: None
            }
        );
    }

    #[test]
    fn cancel_wipes_the_session_and_stops_an_upload() {
        let (mut flow, now) = started(with_country(), token(None, &["PASSPORT"]));
        flow.handle(Event::ChooseDocument(ProcessDocumentType::Passport), now);
        capture(&mut flow, ImageSlot::Front, now);
        capture(&mut flow, ImageSlot::Face, now);
        flow.handle(Event::Submit, now);
        let effects = flow.handle(Event::Cancel, now);
        assert_eq!(effects.first(), Some(&Effect::CancelSubmit));
        assert_eq!(effects.last(), Some(&Effect::WipeSession));
        assert_eq!(records(&effects)[0].outcome, Outcome::Cancelled);
        assert_eq!(flow.step(), &Step::Welcome);
        assert!(flow.session().is_none());
        // A late answer of the cancelled upload changes nothing.
        flow.handle(Event::Submitted, now);
        assert_eq!(flow.step(), &Step::Welcome);
    }

    #[test]
    fn no_token_is_created_at_idle_or_twice() {
        let now = Instant::now();
        let mut flow = Flow::new(FlowSettings::default());
        assert!(
            flow.handle(Event::Tick, now + Duration::from_secs(3600))
                .is_empty()
        );
        assert_eq!(flow.handle(Event::Start, now).len(), 1);
        assert!(
            flow.handle(Event::Start, now).is_empty(),
            "a double press creates one token"
        );
    }

    #[test]
    fn a_customer_screen_left_alone_warns_then_ends_the_session() {
        let (mut flow, start) = started(with_country(), token(None, &["ID_CARD"]));
        flow.handle(Event::ChooseLanguage(Locale::De), start);
        flow.handle(Event::ChooseDocument(ProcessDocumentType::IdCard), start);
        capture(&mut flow, ImageSlot::Front, start);
        let at = |secs: u64| start + Duration::from_secs(secs);
        assert_eq!(
            flow.idle_countdown(at(69)),
            None,
            "no warning before the last 20 s"
        );
        assert_eq!(flow.idle_countdown(at(75)), Some(Duration::from_secs(15)));
        // "I need more time" starts the full timeout again.
        flow.handle(Event::MoreTime, at(75));
        assert_eq!(flow.idle_countdown(at(144)), None);
        // Any touch does too.
        flow.handle(Event::Activity, at(140));
        assert!(flow.handle(Event::Tick, at(229)).is_empty());
        assert!(flow.session().is_some());
        let effects = flow.handle(Event::Tick, at(230));
        assert_eq!(effects.last(), Some(&Effect::WipeSession));
        assert_eq!(records(&effects)[0].outcome, Outcome::TimedOut);
        assert_eq!(flow.step(), &Step::Welcome);
        assert!(flow.session().is_none(), "the photos and token are gone");
        assert_eq!(
            flow.locale(),
            Locale::En,
            "the next customer starts in the default language"
        );
    }

    /// Wakes the flow only at the deadlines it names, as the real window does when nobody
    /// touches it, until it names none; returns each wake-up with the step, the effects and the
    /// idle countdown after it.
    fn left_alone(
        flow: &mut Flow,
        from: Instant,
    ) -> Vec<(Instant, Step, Vec<Effect>, Option<Duration>)> {
        let mut wakes = Vec::new();
        let mut now = from;
        while let Some(deadline) = flow.next_deadline(now) {
            assert!(
                deadline > now,
                "a deadline lies ahead, or the app would spin"
            );
            now = deadline;
            let effects = flow.handle(Event::Tick, now);
            wakes.push((now, flow.step().clone(), effects, flow.idle_countdown(now)));
            assert!(wakes.len() < 100, "the deadlines run out");
        }
        wakes
    }

    #[test]
    fn every_timed_screen_names_its_next_deadline() {
        let settings = with_country();
        let warning_at = settings.idle_timeout - settings.idle_warning;
        let (mut flow, start) = started(settings.clone(), token(None, &["ID_CARD"]));
        let secs = |s: u64| Duration::from_secs(s);
        // Choice, capture, review and summary: the warning, then every second, then the end.
        assert_eq!(flow.step(), &Step::ChooseDocument);
        assert_eq!(flow.next_deadline(start), Some(start + warning_at));
        let in_warning = start + warning_at + Duration::from_millis(300);
        assert_eq!(
            flow.next_deadline(in_warning),
            Some(start + warning_at + secs(1)),
            "the countdown's next whole second"
        );
        assert_eq!(
            flow.next_deadline(start + settings.idle_timeout - Duration::from_millis(10)),
            Some(start + settings.idle_timeout)
        );
        flow.handle(Event::ChooseDocument(ProcessDocumentType::IdCard), start);
        assert!(matches!(flow.step(), Step::Capture { .. }));
        assert_eq!(flow.next_deadline(start), Some(start + warning_at));
        let later = start + secs(5);
        flow.handle(Event::Captured(ImageSlot::Front, still()), later);
        assert_eq!(
            flow.next_deadline(later),
            Some(later + settings.wait_limits.photo),
            "preparing: no idle timer, only the limit on the kiosk's own work"
        );
        flow.handle(
            Event::ImagePrepared(ImageSlot::Front, image(), PhotoCheck::default()),
            later,
        );
        assert_eq!(flow.step(), &Step::Review(ImageSlot::Front));
        assert_eq!(flow.next_deadline(later), Some(later + warning_at));
        flow.handle(Event::Accept, later);
        capture(&mut flow, ImageSlot::Back, later);
        capture(&mut flow, ImageSlot::Face, later);
        assert_eq!(flow.step(), &Step::Summary);
        assert_eq!(flow.next_deadline(later), Some(later + warning_at));
        // Input moves the deadline.
        let touched = later + secs(30);
        flow.handle(Event::Activity, touched);
        assert_eq!(flow.next_deadline(touched), Some(touched + warning_at));
        flow.handle(Event::Submit, touched);
        assert_eq!(
            flow.next_deadline(touched),
            Some(touched + settings.wait_limits.upload),
            "uploading: only the limit on the kiosk's own work"
        );
        flow.handle(Event::Submitted, touched);
        assert!(matches!(flow.step(), Step::Success { .. }));
        assert_eq!(
            flow.next_deadline(touched),
            Some(touched + settings.success_return_after)
        );
        flow.handle(Event::Tick, touched + settings.success_return_after);
        assert_eq!(flow.step(), &Step::Welcome);
        assert_eq!(
            flow.next_deadline(touched + secs(100)),
            None,
            "Welcome waits"
        );
        // The error screen keeps photos for "Try again": it is timed too.
        let (mut flow, start) = started(settings.clone(), token(None, &["PASSPORT"]));
        flow.handle(Event::ChooseDocument(ProcessDocumentType::Passport), start);
        capture(&mut flow, ImageSlot::Front, start);
        capture(&mut flow, ImageSlot::Face, start);
        flow.handle(Event::Submit, start);
        flow.handle(Event::SubmitFailed(http_error(502, "<html>")), start);
        assert!(matches!(flow.step(), Step::Failed(_)));
        assert_eq!(flow.next_deadline(start), Some(start + warning_at));
        // Creating the session: the kiosk works, within its limit.
        let mut creating = Flow::new(settings.clone());
        creating.handle(Event::Start, start);
        assert_eq!(
            creating.next_deadline(start),
            Some(start + settings.wait_limits.session)
        );
    }

    #[test]
    fn a_screen_woken_only_at_its_deadlines_warns_counts_down_and_ends() {
        let settings = with_country();
        let (mut flow, start) = started(settings.clone(), token(None, &["ID_CARD"]));
        let wakes = left_alone(&mut flow, start);
        let warning_at = start + settings.idle_timeout - settings.idle_warning;
        assert_eq!(
            wakes[0].0, warning_at,
            "the first wake-up is the warning's start"
        );
        assert_eq!(wakes[0].3, Some(settings.idle_warning), "the warning shows");
        assert_eq!(
            wakes[1].3,
            Some(settings.idle_warning - Duration::from_secs(1))
        );
        // One wake-up for the warning, one per second of the countdown, the last at the end.
        assert_eq!(wakes.len() as u64, settings.idle_warning.as_secs() + 1);
        let (ended_at, step, effects, _) = wakes.last().expect("woken");
        assert_eq!(*ended_at, start + settings.idle_timeout);
        assert_eq!(step, &Step::Welcome);
        assert_eq!(effects.last(), Some(&Effect::WipeSession));
        assert_eq!(records(effects)[0].outcome, Outcome::TimedOut);
        assert!(
            wakes[..wakes.len() - 1]
                .iter()
                .all(|(_, step, _, _)| *step == Step::ChooseDocument),
            "nothing changes before the end"
        );
    }

    #[test]
    fn whole_seconds_of_a_countdown() {
        let end = Instant::now() + Duration::from_secs(100);
        let before = |ms: u64| end - Duration::from_millis(ms);
        assert_eq!(next_whole_second_before(end, before(4300)), before(4000));
        assert_eq!(next_whole_second_before(end, before(4000)), before(3000));
        assert_eq!(next_whole_second_before(end, before(200)), end);
        assert_eq!(next_whole_second_before(end, end), end);
    }

    #[test]
    fn a_new_screen_restarts_the_idle_timer_and_waiting_screens_are_not_idle_timed() {
        let (mut flow, start) = started(with_country(), token(None, &["ID_CARD"]));
        let at = |secs: u64| start + Duration::from_secs(secs);
        flow.handle(Event::ChooseDocument(ProcessDocumentType::IdCard), at(80));
        assert_eq!(
            flow.idle_countdown(at(100)),
            None,
            "capture screen timed from 80 s"
        );
        // The kiosk is preparing the photo: the customer waits for it, not the other way round;
        // only the kiosk's own limit on the work ends the wait.
        flow.handle(Event::Captured(ImageSlot::Front, still()), at(100));
        assert_eq!(flow.idle_countdown(at(159)), None);
        assert!(flow.handle(Event::Tick, at(159)).is_empty());
        assert_eq!(flow.step(), &Step::Preparing(ImageSlot::Front));
        // Welcome has no session to end.
        let mut idle = Flow::new(FlowSettings::default());
        idle.handle(Event::Tick, start);
        assert!(idle.handle(Event::Tick, at(10_000)).is_empty());
        assert_eq!(idle.idle_countdown(at(10_000)), None);
    }

    #[test]
    fn an_error_screen_left_alone_forgets_the_kept_photos() {
        let (mut flow, start) = started(with_country(), token(None, &["PASSPORT"]));
        flow.handle(Event::ChooseDocument(ProcessDocumentType::Passport), start);
        capture(&mut flow, ImageSlot::Front, start);
        capture(&mut flow, ImageSlot::Face, start);
        flow.handle(Event::Submit, start);
        flow.handle(
            Event::SubmitFailed(http_error(502, "<html>Bad Gateway</html>")),
            start,
        );
        assert!(matches!(flow.step(), Step::Failed(_)));
        flow.handle(Event::Tick, start + Duration::from_secs(90));
        assert_eq!(flow.step(), &Step::Welcome);
        // The next session starts from nothing: no photos of the previous customer.
        flow.handle(Event::Start, start + Duration::from_secs(91));
        flow.handle(
            Event::SessionCreated(Box::new(token(None, &["PASSPORT"]))),
            start + Duration::from_secs(92),
        );
        assert_eq!(flow.step(), &Step::ChooseDocument);
        assert!(flow.session().unwrap().images.is_empty());
    }

    fn records(effects: &[Effect]) -> Vec<&SessionRecord> {
        effects
            .iter()
            .filter_map(|effect| match effect {
                Effect::Record(record) => Some(record),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn the_journal_gets_every_ending_that_cost_a_token_and_failed_sessions() {
        // The API refused the token: recorded without scanRef, with the identifier.
        let mut flow = Flow::new(with_country());
        let now = Instant::now();
        flow.handle(Event::Start, now);
        let effects = flow.handle(
            Event::SessionFailed(http_error(401, r#"{"identifier":"UNAUTHORIZED"}"#)),
            now + Duration::from_secs(2),
        );
        let [record] = records(&effects)[..] else {
            panic!("{effects:?}")
        };
        assert_eq!(record.outcome, Outcome::SessionFailed);
        assert_eq!(record.error.as_deref(), Some("UNAUTHORIZED"));
        assert_eq!(record.scan_ref, "");
        assert_eq!(record.duration, Duration::from_secs(2));
        // Cancelling from the error screen records nothing more: no token was made.
        assert!(records(&flow.handle(Event::Cancel, now)).is_empty());

        // A failed upload: the error code, the document chosen.
        let (mut flow, now) = started(with_country(), token(None, &["PASSPORT"]));
        flow.handle(Event::ChooseDocument(ProcessDocumentType::Passport), now);
        capture(&mut flow, ImageSlot::Front, now);
        capture(&mut flow, ImageSlot::Face, now);
        flow.handle(Event::Submit, now);
        let effects = flow.handle(Event::SubmitFailed(http_error(502, "<html>")), now);
        let [record] = records(&effects)[..] else {
            panic!("{effects:?}")
        };
        assert_eq!(
            (
                record.outcome,
                record.error.as_deref(),
                record.document_type.as_deref()
            ),
            (Outcome::SubmitFailed, Some("HTTP_502"), Some("PASSPORT"))
        );

        // Cancel after the token: the token went somewhere, staff see where.
        let (mut flow, now) = started(with_country(), token(None, &["PASSPORT"]));
        let effects = flow.handle(Event::Cancel, now);
        assert_eq!(records(&effects)[0].outcome, Outcome::Cancelled);
        assert_eq!(records(&effects)[0].scan_ref, "scan-1");

        // Walking away: timed out.
        let (mut flow, now) = started(with_country(), token(None, &["PASSPORT"]));
        let effects = flow.handle(Event::Tick, now + Duration::from_secs(91));
        assert_eq!(flow.step(), &Step::Welcome);
        assert_eq!(records(&effects)[0].outcome, Outcome::TimedOut);
    }

    #[test]
    fn each_customer_is_greeted_in_the_default_language() {
        let settings = FlowSettings {
            default_locale: Locale::Lt,
            ..with_country()
        };
        let mut flow = Flow::new(settings.clone());
        assert_eq!(flow.locale(), Locale::Lt);
        let now = Instant::now();
        flow.handle(Event::ChooseLanguage(Locale::De), now);
        assert_eq!(
            flow.handle(Event::Start, now),
            vec![Effect::CreateSession(Locale::De)]
        );
        flow.handle(Event::Cancel, now);
        flow.handle(Event::Tick, now + Duration::from_secs(1));
        // Cancel keeps the language for the same person; the idle timeout does not.
        flow.handle(Event::Start, now);
        flow.handle(
            Event::SessionCreated(Box::new(token(None, &["PASSPORT"]))),
            now,
        );
        flow.handle(Event::Tick, now + Duration::from_secs(200));
        assert_eq!(flow.locale(), Locale::Lt);
        // Staff choose another default: it greets from Welcome on.
        flow.set_settings(FlowSettings {
            default_locale: Locale::Ja,
            ..settings
        });
        assert_eq!(flow.locale(), Locale::Ja);
    }

    #[test]
    fn ending_a_session_wipes_its_photos_in_memory() {
        let (mut flow, now) = started(with_country(), token(None, &["PASSPORT"]));
        flow.handle(Event::ChooseDocument(ProcessDocumentType::Passport), now);
        capture(&mut flow, ImageSlot::Front, now);
        let session = flow.session().unwrap();
        let image = &session.images[&ImageSlot::Front];
        let photo_bytes = image.jpeg.bytes.len() + image.upright.to_rgb().len() / 2;
        let before = crate::imaging::wiped::bytes();
        assert_eq!(
            flow.handle(Event::Cancel, now).last(),
            Some(&Effect::WipeSession)
        );
        let wiped = crate::imaging::wiped::bytes() - before;
        // The JPEG and the pixels (4:2:0 planes are half the RGB size) were zeroed, not just freed.
        assert!(wiped >= photo_bytes, "wiped {wiped} of {photo_bytes} bytes");
    }
}
