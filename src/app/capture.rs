//! Cameras, stills and the textures that show them: which camera runs on which screen, the
//! live preview, "Take photo", and the review thumbnails, kept in step with the session.

use std::collections::BTreeMap;
use std::sync::mpsc::{self, TryRecvError};
use std::time::{Duration, Instant};

use egui::{ColorImage, TextureHandle, TextureOptions};
use image::RgbImage;

use super::theme;
use crate::api::ImageSlot;
use crate::camera::{CameraError, CameraRig, CameraRole, CameraStatus};
use crate::flow::{CapturedImage, Step};
use crate::imaging::PreparedImage;

/// Smallest width of the live preview frames, in pixels (a 1080p camera's half size).
const MIN_PREVIEW_WIDTH: u32 = 640;
/// How long "Take photo" waits for the camera's next full frame.
const STILL_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest edge of review thumbnails' textures.
const THUMBNAIL_PIXELS: u32 = 800;
/// How often a still asked of the camera is looked for.
const STILL_POLL: Duration = Duration::from_millis(50);

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
}

impl Capture {
    pub(super) fn new(cameras: CameraRig) -> Self {
        Self {
            cameras,
            status: None,
            error: None,
            still: None,
            preview: None,
            thumbnails: Thumbnails::default(),
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

    /// When the still on its way is looked for next.
    pub(super) fn next_deadline(&self, now: Instant) -> Option<Instant> {
        self.still.as_ref().map(|_| now + STILL_POLL)
    }

    /// Drops the session's pictures (the thumbnails follow the session on the next frame).
    pub(super) fn wipe(&mut self) {
        self.still = None;
        self.preview = None;
    }

    /// "Take photo" on the capture screen for `slot`.
    pub(super) fn take_photo(&mut self, slot: ImageSlot) {
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
                });
            }
            Err(error) => self.error = Some(error),
        }
    }

    /// Runs the camera the current screen needs (none outside capture and review: no camera
    /// light while nobody is being photographed) and shows its newest frame.
    pub(super) fn update_preview(&mut self, ctx: &egui::Context, step: &Step) {
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

    /// The still the camera delivered for the screen on show, or nothing yet; says why none
    /// came when it did not.
    pub(super) fn poll_still(&mut self, step: &Step) -> Option<(ImageSlot, CapturedImage)> {
        let request = self.still.as_ref()?;
        let answer = match request.receiver.try_recv() {
            Ok(answer) => answer,
            Err(TryRecvError::Empty) if request.asked_at.elapsed() < STILL_TIMEOUT => return None,
            Err(_) => Err(CameraError::Other(
                "the camera did not deliver a picture in time".to_owned(),
            )),
        };
        let slot = request.slot;
        self.still = None;
        let same_screen = matches!(step, Step::Capture { slot: current, .. } if *current == slot);
        match answer {
            Ok(still) if same_screen => Some((slot, CapturedImage::Still(still))),
            Ok(_) => None,
            Err(error) => {
                tracing::warn!(%error, "no still from the camera");
                self.error = Some(error);
                None
            }
        }
    }
}
