//! One named capture thread per open camera. It opens the source, starts the best mode that
//! works, drops the first frames while exposure settles, and then, frame by frame, decodes a
//! preview at display size into a one-slot mailbox (a frame the UI has not taken yet is
//! replaced, its buffer reused) and answers still requests at full resolution. When the camera
//! fails or goes away it says why and tries again every retry interval, so a replugged camera
//! comes back without a restart. The UI only ever takes what is there: it never waits.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, mpsc};
use std::time::{Duration, Instant};

use image::RgbImage;

use super::convert::{FrameDecoder, RgbFrame};
use super::negotiate::{FormatTarget, rank_modes};
use super::source::{CameraError, FrameSource, Mode, SourceOpener};

/// How a capture thread works.
#[derive(Clone, Debug, PartialEq)]
pub struct CaptureSettings {
    /// The mode to aim for.
    pub target: FormatTarget,
    /// Frames dropped after the stream starts, while exposure and white balance settle.
    pub warmup_frames: u32,
    /// Wait between attempts to open a camera that is missing, busy or failed.
    pub retry_interval: Duration,
}

impl Default for CaptureSettings {
    fn default() -> Self {
        Self {
            target: FormatTarget::default(),
            warmup_frames: 5,
            retry_interval: Duration::from_secs(2),
        }
    }
}

/// What a camera is doing, for the capture screen and for staff.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CameraStatus {
    /// Opening the camera and starting the stream.
    Starting,
    /// Streaming in this mode.
    Live {
        /// The device's name.
        name: String,
        /// The mode in use.
        mode: Mode,
    },
    /// No pictures, for this reason; the thread tries again by itself.
    Unavailable(CameraError),
}

/// A preview frame and its number (they count up from 1 per camera thread).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreviewFrame {
    /// The pixels, at about the requested preview width.
    pub frame: RgbFrame,
    /// Counts frames delivered to the mailbox.
    pub sequence: u64,
}

type StillReply = mpsc::Sender<Result<RgbImage, CameraError>>;

/// A repaint request for the UI when a new frame is in the mailbox.
pub type Wake = Arc<dyn Fn() + Send + Sync>;

struct Shared {
    status: Mutex<CameraStatus>,
    mailbox: Mutex<Option<PreviewFrame>>,
    spare_buffers: Mutex<Vec<Vec<u8>>>,
    preview_width: AtomicU32,
    still_requests: Mutex<Vec<StillReply>>,
    stop: AtomicBool,
    finished: AtomicBool,
    wake: Option<Wake>,
}

/// The last frames of a camera show a face or a document: wiped when the camera stops.
impl Drop for Shared {
    fn drop(&mut self) {
        let buffers = self
            .spare_buffers
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for buffer in buffers.iter_mut() {
            zeroize::Zeroize::zeroize(buffer);
        }
        let mailbox = self
            .mailbox
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(frame) = mailbox.as_mut() {
            zeroize::Zeroize::zeroize(&mut frame.frame.pixels);
        }
    }
}

/// A lock that survives a panicked holder: the data are plain values, still consistent.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    fn set_status(&self, status: CameraStatus) {
        *lock(&self.status) = status;
        if let Some(wake) = &self.wake {
            wake();
        }
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// Sleeps `duration` in short steps, returning early when asked to stop.
    fn pause(&self, duration: Duration) {
        let until = Instant::now() + duration;
        while !self.stopped() && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(20).min(duration));
        }
    }

    fn fail_stills(&self, error: &CameraError) {
        for reply in lock(&self.still_requests).drain(..) {
            // The requester may have given up waiting; nothing to do then.
            let _ = reply.send(Err(error.clone()));
        }
    }

    fn publish(&self, frame: PreviewFrame) {
        let stale = lock(&self.mailbox).replace(frame);
        if let Some(stale) = stale {
            lock(&self.spare_buffers).push(stale.frame.pixels);
        }
        if let Some(wake) = &self.wake {
            wake();
        }
    }
}

/// A camera with its capture thread. Dropping it stops the thread (without waiting for it: a
/// camera driver stuck in a read must not freeze the UI).
pub struct Camera {
    shared: Arc<Shared>,
}

impl Camera {
    /// Starts a capture thread named `camera-{label}` on the source `opener` opens.
    pub fn start(
        label: &str,
        opener: SourceOpener,
        settings: CaptureSettings,
        wake: Option<Wake>,
    ) -> Result<Camera, CameraError> {
        let shared = Arc::new(Shared {
            status: Mutex::new(CameraStatus::Starting),
            mailbox: Mutex::new(None),
            spare_buffers: Mutex::new(Vec::new()),
            preview_width: AtomicU32::new(960),
            still_requests: Mutex::new(Vec::new()),
            stop: AtomicBool::new(false),
            finished: AtomicBool::new(false),
            wake,
        });
        let thread_shared = Arc::clone(&shared);
        std::thread::Builder::new()
            .name(format!("camera-{label}"))
            .spawn(move || {
                capture_loop(&thread_shared, opener, &settings);
                thread_shared.finished.store(true, Ordering::Relaxed);
            })
            .map_err(|e| CameraError::Other(format!("cannot start the capture thread: {e}")))?;
        Ok(Camera { shared })
    }

    /// What the camera is doing now.
    pub fn status(&self) -> CameraStatus {
        lock(&self.shared.status).clone()
    }

    /// The newest preview frame, if one arrived since the last call.
    pub fn take_preview(&self) -> Option<PreviewFrame> {
        lock(&self.shared.mailbox).take()
    }

    /// Gives a preview buffer back for the next frames.
    pub fn recycle(&self, pixels: Vec<u8>) {
        let mut spare = lock(&self.shared.spare_buffers);
        if spare.len() < 2 {
            spare.push(pixels);
        }
    }

    /// The width the preview is shown at; frames are decoded at least that wide.
    pub fn set_preview_width(&self, width: u32) {
        self.shared.preview_width.store(width, Ordering::Relaxed);
    }

    /// Asks for the next frame at full resolution. The answer arrives on the receiver; an error
    /// at once when the camera has no pictures.
    pub fn request_still(&self) -> mpsc::Receiver<Result<RgbImage, CameraError>> {
        let (reply, receiver) = mpsc::channel();
        match self.status() {
            CameraStatus::Unavailable(error) => {
                // The receiver is right here; the send cannot fail.
                let _ = reply.send(Err(error));
            }
            _ => lock(&self.shared.still_requests).push(reply),
        }
        receiver
    }

    /// Asks the thread to stop; it ends after its current frame.
    pub fn stop(&self) {
        self.shared.stop.store(true, Ordering::Relaxed);
    }

    /// Whether the thread has ended.
    pub fn has_finished(&self) -> bool {
        self.shared.finished.load(Ordering::Relaxed)
    }
}

impl Drop for Camera {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Starts the first mode, best first, that the source accepts. Errors that no other mode can
/// fix (busy, permission, unplugged) end the search at once.
pub fn start_best_mode(
    source: &mut dyn FrameSource,
    target: &FormatTarget,
) -> Result<Mode, CameraError> {
    let modes = source.modes()?;
    let mut last_error = CameraError::NoUsableFormat;
    for mode in rank_modes(&modes, target) {
        match source.start(mode) {
            Ok(()) => return Ok(mode),
            Err(
                error @ (CameraError::Busy
                | CameraError::PermissionDenied
                | CameraError::Disconnected),
            ) => return Err(error),
            Err(error) => {
                tracing::debug!(%mode, %error, "camera mode did not start, trying the next");
                last_error = error;
            }
        }
    }
    Err(last_error)
}

/// Consecutive undecodable frames after which the stream counts as broken and is reopened.
const MAX_BAD_FRAMES: u32 = 30;

fn capture_loop(shared: &Shared, mut opener: SourceOpener, settings: &CaptureSettings) {
    let mut decoder = FrameDecoder::default();
    let mut sequence = 0u64;
    let mut last_error: Option<CameraError> = None;
    while !shared.stopped() {
        let opened = opener().and_then(|mut source| {
            let mode = start_best_mode(source.as_mut(), &settings.target)?;
            Ok((source, mode))
        });
        let (mut source, mode) = match opened {
            Ok(opened) => opened,
            Err(error) => {
                // While an unplugged camera is away, "disconnected" tells staff more than "no
                // camera": keep saying that until it is back.
                let error = match (&last_error, error) {
                    (
                        Some(CameraError::Disconnected),
                        CameraError::NoCamera | CameraError::NotFound(_),
                    ) => CameraError::Disconnected,
                    (_, error) => error,
                };
                shared.fail_stills(&error);
                shared.set_status(CameraStatus::Unavailable(error.clone()));
                last_error = Some(error);
                shared.pause(settings.retry_interval);
                continue;
            }
        };
        tracing::info!(camera = %source.name(), %mode, "camera streaming");
        shared.set_status(CameraStatus::Live {
            name: source.name(),
            mode,
        });
        let error = stream(
            shared,
            source.as_mut(),
            settings,
            &mut decoder,
            &mut sequence,
        );
        drop(source);
        if let Some(error) = error {
            tracing::warn!(%error, "camera stopped delivering");
            shared.fail_stills(&error);
            shared.set_status(CameraStatus::Unavailable(error.clone()));
            last_error = Some(error);
            shared.pause(settings.retry_interval);
        }
    }
    shared.fail_stills(&CameraError::Other("the camera was closed".to_owned()));
}

/// Delivers frames until asked to stop (`None`) or the source fails (its error).
fn stream(
    shared: &Shared,
    source: &mut dyn FrameSource,
    settings: &CaptureSettings,
    decoder: &mut FrameDecoder,
    sequence: &mut u64,
) -> Option<CameraError> {
    let mut warmup = settings.warmup_frames;
    let mut bad_frames = 0;
    while !shared.stopped() {
        let frame = match source.next_frame() {
            Ok(frame) => frame,
            Err(error) if error.is_transient() && bad_frames < MAX_BAD_FRAMES => {
                bad_frames += 1;
                continue;
            }
            Err(error) => return Some(error),
        };
        if warmup > 0 {
            warmup -= 1;
            continue;
        }
        let stills: Vec<StillReply> = std::mem::take(&mut *lock(&shared.still_requests));
        if !stills.is_empty() {
            let mut full = RgbFrame::default();
            match decoder.decode(&frame, 1, &mut full) {
                Ok(()) => {
                    if let Some(image) = full.into_image() {
                        for reply in stills {
                            let _ = reply.send(Ok(image.clone()));
                        }
                    }
                }
                // A corrupt frame: the next one answers the requests.
                Err(_) => lock(&shared.still_requests).extend(stills),
            }
        }
        let reduction = crate::imaging::dct_reduction(
            frame.width,
            shared.preview_width.load(Ordering::Relaxed),
        );
        let buffer = lock(&shared.spare_buffers).pop().unwrap_or_default();
        let mut preview = RgbFrame::with_buffer(buffer);
        match decoder.decode(&frame, reduction, &mut preview) {
            Ok(()) => {
                bad_frames = 0;
                *sequence += 1;
                shared.publish(PreviewFrame {
                    frame: preview,
                    sequence: *sequence,
                });
            }
            Err(error) if bad_frames < MAX_BAD_FRAMES => {
                tracing::debug!(%error, "camera frame dropped");
                bad_frames += 1;
            }
            Err(error) => return Some(error),
        }
    }
    None
}
