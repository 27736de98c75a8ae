//! Cameras, stills and the textures that show them: which camera runs on which screen, the
//! live preview, "Take photo", and the review thumbnails, kept in step with the session.

use std::collections::BTreeMap;
use std::sync::mpsc::{self, TryRecvError};
use std::time::{Duration, Instant};

use egui::{ColorImage, TextureHandle, TextureOptions};
use image::RgbImage;

use super::analysis::{Analyser, Judged};
use super::theme;
use crate::api::ImageSlot;
use crate::camera::{CameraError, CameraRig, CameraRole, CameraStatus};
use crate::flow::{CapturedImage, Step};
use crate::guide::{
    AutoAction, AutoCapture, AutoCaptureSettings, FrameVerdict, Hint, HintSelector,
};
use crate::imaging::PreparedImage;
use crate::quality::QualitySettings;

/// Smallest width of the live preview frames, in pixels (a 1080p camera's half size).
const MIN_PREVIEW_WIDTH: u32 = 640;
/// How long "Take photo" waits for the camera's next full frame.
const STILL_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest edge of review thumbnails' textures: the review shows them up to 880 points wide,
/// which is 2400 pixels on a 4K screen; 1600 keeps the text on a card legible there.
const THUMBNAIL_PIXELS: u32 = 1600;
/// How often a still asked of the camera is looked for.
const STILL_POLL: Duration = Duration::from_millis(50);

/// A still asked of the camera, not yet delivered.
struct StillRequest {
    slot: ImageSlot,
    receiver: mpsc::Receiver<Result<RgbImage, CameraError>>,
    asked_at: Instant,
    /// Taken by auto-capture: judged at full resolution before it is used.
    automatic: bool,
}

/// What the capture screen on show has seen: the outline, the hint, and auto-capture's state.
/// Starts afresh each time a capture screen is entered.
struct Guidance {
    slot: ImageSlot,
    auto: AutoCapture,
    hints: HintSelector,
    latest: Option<FrameVerdict>,
    /// When the screen opened: auto-capture's delay is logged from it.
    opened: Instant,
}

/// What the capture screen draws of the guidance.
#[derive(Default)]
pub(super) struct GuidanceView {
    /// The newest outline (shares of the frame) and whether every check passed.
    pub(super) outline: Option<([crate::quality::Corner; 4], bool)>,
    /// The hint on show.
    pub(super) hint: Option<Hint>,
    /// How far the countdown ring has run.
    pub(super) countdown: Option<f32>,
}

/// The slot of the capture screen on show, if one is.
fn capturing(step: &Step) -> Option<ImageSlot> {
    match step {
        Step::Capture { slot, .. } => Some(*slot),
        _ => None,
    }
}

fn camera_role(slot: ImageSlot) -> CameraRole {
    match slot {
        ImageSlot::Face => CameraRole::Face,
        ImageSlot::Front | ImageSlot::Back | ImageSlot::UtilityBill => CameraRole::Document,
    }
}

/// The review thumbnails: one texture per photo in the session, keyed by the photo, so that a
/// retaken photo gets a new one and a photo that left the session takes its texture with it.
#[derive(Default)]
pub(super) struct Thumbnails {
    textures: BTreeMap<ImageSlot, (u64, TextureHandle)>,
}

impl Thumbnails {
    /// Makes the textures match `images`: drops those of photos no longer there, makes those of
    /// new ones.
    pub(super) fn reconcile(
        &mut self,
        ctx: &egui::Context,
        images: Option<&BTreeMap<ImageSlot, PreparedImage>>,
    ) {
        let empty = BTreeMap::new();
        let images = images.unwrap_or(&empty);
        self.textures
            .retain(|slot, (id, _)| images.get(slot).is_some_and(|image| image.id() == *id));
        for (slot, image) in images {
            if self.textures.contains_key(slot) {
                continue;
            }
            if let Ok(small) = image.upright.scaled_to_long_edge(THUMBNAIL_PIXELS) {
                let pixels = small.to_rgb();
                let texture = ctx.load_texture(
                    format!("thumbnail-{}", slot.as_str()),
                    ColorImage::from_rgb(
                        [pixels.width() as usize, pixels.height() as usize],
                        pixels.as_raw(),
                    ),
                    TextureOptions::LINEAR,
                );
                self.textures.insert(*slot, (image.id(), texture));
            }
        }
    }

    pub(super) fn get(&self, slot: ImageSlot) -> Option<&TextureHandle> {
        self.textures.get(&slot).map(|(_, texture)| texture)
    }

    pub(super) fn len(&self) -> usize {
        self.textures.len()
    }
}

/// The cameras and what the capture screens show of them.
pub(super) struct Capture {
    pub(super) cameras: CameraRig,
    pub(super) status: Option<CameraStatus>,
    /// Why the last "Take photo" gave no picture; cleared by the next try.
    pub(super) error: Option<CameraError>,
    still: Option<StillRequest>,
    pub(super) preview: Option<TextureHandle>,
    pub(super) thumbnails: Thumbnails,
    analyser: Analyser,
    guidance: Option<Guidance>,
    auto_capture: bool,
}

impl Capture {
    pub(super) fn new(cameras: CameraRig, quality: &QualitySettings, ctx: &egui::Context) -> Self {
        let repaint = ctx.clone();
        Self {
            cameras,
            status: None,
            error: None,
            still: None,
            preview: None,
            thumbnails: Thumbnails::default(),
            analyser: Analyser::start(quality.clone(), move || repaint.request_repaint()),
            guidance: None,
            auto_capture: quality.auto_capture,
        }
    }

    /// The guidance of the capture screen on show.
    pub(super) fn guidance(&self, now: Instant) -> GuidanceView {
        match &self.guidance {
            Some(guidance) => GuidanceView {
                outline: guidance
                    .latest
                    .and_then(|verdict| verdict.outline.map(|outline| (outline, verdict.usable))),
                hint: guidance.hints.shown(),
                countdown: guidance.auto.countdown(now),
            },
            None => GuidanceView::default(),
        }
    }

    /// Starts the guidance afresh on entering a capture screen, and drops it on leaving one.
    fn follow_screen(&mut self, step: &Step) {
        match (capturing(step), &self.guidance) {
            (Some(slot), Some(guidance)) if guidance.slot == slot => {}
            (Some(slot), _) => {
                self.guidance = Some(Guidance {
                    slot,
                    auto: AutoCapture::new(AutoCaptureSettings::default(), self.auto_capture),
                    hints: HintSelector::default(),
                    latest: None,
                    opened: Instant::now(),
                });
            }
            (None, Some(_)) => {
                self.guidance = None;
                self.analyser.clear();
            }
            (None, None) => {}
        }
    }

    /// Whether anything of a customer is held: a preview, a still on its way, a running camera.
    pub(super) fn holds_customer_data(&self) -> bool {
        self.thumbnails.len() > 0
            || self.preview.is_some()
            || self.still.is_some()
            || self.cameras.is_running()
    }

    /// A still is on its way.
    pub(super) fn taking(&self) -> bool {
        self.still.is_some()
    }

    /// When the still on its way is looked for next, or auto-capture decides by the clock.
    pub(super) fn next_deadline(&self, now: Instant) -> Option<Instant> {
        let still = self.still.as_ref().map(|_| now + STILL_POLL);
        let auto = self
            .guidance
            .as_ref()
            .and_then(|guidance| guidance.auto.next_deadline());
        still.into_iter().chain(auto).min()
    }

    /// Drops the session's pictures (the thumbnails follow the session on the next frame).
    pub(super) fn wipe(&mut self) {
        self.still = None;
        self.preview = None;
        self.guidance = None;
        self.analyser.clear();
    }

    /// "Take photo" on the capture screen for `slot`.
    pub(super) fn take_photo(&mut self, slot: ImageSlot) {
        if let Some(guidance) = &mut self.guidance {
            guidance.auto.manual();
        }
        self.ask_still(slot, false);
    }

    fn ask_still(&mut self, slot: ImageSlot, automatic: bool) {
        if self.still.is_some() {
            return;
        }
        self.error = None;
        match self.cameras.camera_for(camera_role(slot)) {
            Ok(camera) => {
                self.still = Some(StillRequest {
                    slot,
                    receiver: camera.request_still(),
                    asked_at: Instant::now(),
                    automatic,
                });
            }
            Err(error) => {
                if let Some(guidance) = &mut self.guidance {
                    guidance.auto.still_failed();
                }
                self.error = Some(error);
            }
        }
    }

    /// Runs the camera the current screen needs (none outside capture and review: no camera
    /// light while nobody is being photographed) and shows its newest frame.
    pub(super) fn update_preview(&mut self, ctx: &egui::Context, step: &Step) {
        self.follow_screen(step);
        let (slot, capturing) = match step {
            Step::Capture { slot, .. } => (*slot, true),
            Step::Preparing(slot) | Step::Review(slot) => (*slot, false),
            _ => {
                self.cameras.stop();
                self.status = None;
                self.error = None;
                self.still = None;
                self.preview = None;
                return;
            }
        };
        let camera = match self.cameras.camera_for(camera_role(slot)) {
            Ok(camera) => camera,
            Err(error) => {
                self.status = Some(CameraStatus::Unavailable(error));
                self.preview = None;
                return;
            }
        };
        // Decode previews at the size they are shown in physical pixels, no larger.
        let shown_width =
            ctx.content_rect().width() * ctx.pixels_per_point() * theme::PREVIEW_WIDTH_SHARE;
        camera.set_preview_width((shown_width as u32).max(MIN_PREVIEW_WIDTH));
        let status = camera.status();
        if let Some(frame) = camera.take_preview() {
            if capturing
                && self.analyser.idle()
                && let CameraStatus::Live { mode, .. } = &status
                && let Some(copy) = RgbImage::from_raw(
                    frame.frame.width,
                    frame.frame.height,
                    frame.frame.pixels.clone(),
                )
            {
                self.analyser.preview(camera_role(slot), copy, mode.width);
            }
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
        self.status = Some(status);
    }

    /// The photo for the screen on show, when there is one: a still the customer took, or one
    /// auto-capture took and the full analysis passed. Feeds the analyses to the guidance, and
    /// says why no still came when none did.
    pub(super) fn poll(&mut self, step: &Step, now: Instant) -> Option<(ImageSlot, CapturedImage)> {
        let on_screen = capturing(step);
        let mut photo = None;
        for judged in self.analyser.answers() {
            match judged {
                Judged::Preview { verdict, hint } => {
                    let Some(guidance) = &mut self.guidance else {
                        continue;
                    };
                    guidance.latest = Some(verdict);
                    guidance.hints.update(hint, now);
                    let before = guidance.auto.state();
                    let action = guidance.auto.report(verdict, now);
                    tracing::debug!(
                        after_ms = guidance.opened.elapsed().as_millis() as u64,
                        usable = verdict.usable,
                        state = ?guidance.auto.state(),
                        ?before,
                        "preview judged"
                    );
                    if action == Some(AutoAction::TakeStill) {
                        let slot = guidance.slot;
                        self.ask_still(slot, true);
                    }
                }
                Judged::Still {
                    slot,
                    mut still,
                    usable,
                    hint,
                } => {
                    tracing::debug!(usable, ?hint, "still judged");
                    if usable && on_screen == Some(slot) {
                        if let Some(guidance) = &self.guidance {
                            let after = guidance.opened.elapsed();
                            tracing::info!(
                                slot = slot.as_str(),
                                after_ms = after.as_millis() as u64,
                                "auto-capture took the photo"
                            );
                        }
                        photo = Some((slot, CapturedImage::Still(still)));
                        continue;
                    }
                    // The customer moved at the last moment: capture goes on by itself.
                    if let Some(guidance) = &mut self.guidance {
                        guidance.auto.still_judged(false);
                        guidance.hints.update(hint, now);
                    }
                    crate::imaging::wipe_slice(&mut still);
                }
            }
        }
        let countdown_over = self
            .guidance
            .as_mut()
            .and_then(|guidance| guidance.auto.tick(now).map(|_| guidance.slot));
        if let Some(slot) = countdown_over {
            self.ask_still(slot, true);
        }
        photo.or_else(|| self.poll_still(on_screen))
    }

    fn poll_still(&mut self, on_screen: Option<ImageSlot>) -> Option<(ImageSlot, CapturedImage)> {
        let request = self.still.as_ref()?;
        let answer = match request.receiver.try_recv() {
            Ok(answer) => answer,
            Err(TryRecvError::Empty) if request.asked_at.elapsed() < STILL_TIMEOUT => return None,
            Err(_) => Err(CameraError::Other(
                "the camera did not deliver a picture in time".to_owned(),
            )),
        };
        let (slot, automatic) = (request.slot, request.automatic);
        self.still = None;
        match answer {
            Ok(still) if on_screen == Some(slot) && automatic => {
                self.analyser.still(slot, camera_role(slot), still);
                None
            }
            Ok(still) if on_screen == Some(slot) => Some((slot, CapturedImage::Still(still))),
            Ok(mut still) => {
                crate::imaging::wipe_slice(&mut still);
                None
            }
            Err(error) => {
                tracing::warn!(%error, "no still from the camera");
                if let Some(guidance) = &mut self.guidance {
                    guidance.auto.still_failed();
                }
                self.error = Some(error);
                None
            }
        }
    }
}
