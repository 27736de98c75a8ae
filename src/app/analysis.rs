//! The quality engine on its own thread, so that the UI never waits for it: preview frames are
//! judged one at a time and a frame that comes while one is being judged is not queued (the
//! camera's newest frame is sent next); an auto-captured still is judged at full resolution
//! before it is used.

use std::sync::{Arc, Condvar, Mutex, mpsc};
use std::thread::JoinHandle;

use image::{GrayImage, RgbImage};

use crate::api::ImageSlot;
use crate::camera::CameraRole;
use crate::guide::{self, FrameVerdict, Hint};
use crate::quality::{Depth, QualitySettings, analyze_document_at, analyze_face_at, luma_of};

/// A picture to judge.
enum Job {
    /// A preview frame, `full_width` the camera's own width (thresholds in pixels are scaled
    /// to it).
    Preview {
        role: CameraRole,
        frame: RgbImage,
        full_width: u32,
    },
    /// A full-resolution still, handed back with its verdict.
    Still {
        slot: ImageSlot,
        role: CameraRole,
        still: RgbImage,
    },
}

/// A judged picture.
pub(super) enum Judged {
    Preview {
        verdict: FrameVerdict,
        hint: Hint,
    },
    Still {
        slot: ImageSlot,
        still: RgbImage,
        usable: bool,
        hint: Hint,
    },
}

#[derive(Default)]
struct Mailbox {
    job: Option<Job>,
    busy: bool,
    stop: bool,
}

type Shared = Arc<(Mutex<Mailbox>, Condvar)>;

/// The analysis thread and its mailbox.
pub(super) struct Analyser {
    shared: Shared,
    answers: mpsc::Receiver<Judged>,
    thread: Option<JoinHandle<()>>,
}

impl Analyser {
    /// Starts the thread; `wake` asks the UI for a frame when an answer is ready.
    pub(super) fn start(settings: QualitySettings, wake: impl Fn() + Send + 'static) -> Self {
        let shared: Shared = Arc::default();
        let (sender, answers) = mpsc::channel();
        let inbox = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("quality".into())
            .spawn(move || {
                while let Some(job) = next_job(&inbox) {
                    let judged = judge(job, &settings);
                    // Answer first: once `idle()` says so, the answer is there to read.
                    if sender.send(judged).is_err() {
                        return;
                    }
                    if let Ok(mut mailbox) = inbox.0.lock() {
                        mailbox.busy = false;
                    }
                    wake();
                }
            })
            .map_err(|error| tracing::error!(%error, "the quality thread did not start"))
            .ok();
        Self {
            shared,
            answers,
            thread,
        }
    }

    /// Whether a preview frame would be judged now (no copy is made of one that would wait).
    pub(super) fn idle(&self) -> bool {
        self.thread.is_some()
            && self
                .shared
                .0
                .lock()
                .is_ok_and(|mailbox| !mailbox.busy && mailbox.job.is_none())
    }

    /// Judges a preview frame if the thread is idle; drops it otherwise.
    pub(super) fn preview(&self, role: CameraRole, frame: RgbImage, full_width: u32) {
        if self.idle() {
            self.post(Job::Preview {
                role,
                frame,
                full_width,
            });
        }
    }

    /// Judges a still (it waits for the frame being judged, if any; a preview job waiting is
    /// replaced).
    pub(super) fn still(&self, slot: ImageSlot, role: CameraRole, still: RgbImage) {
        self.post(Job::Still { slot, role, still });
    }

    fn post(&self, job: Job) {
        let (lock, signal) = &*self.shared;
        if let Ok(mut mailbox) = lock.lock() {
            mailbox.job = Some(job);
            signal.notify_one();
        }
    }

    /// The answers that came since the last call.
    pub(super) fn answers(&self) -> Vec<Judged> {
        self.answers.try_iter().collect()
    }

    /// Drops a picture waiting to be judged and every answer not yet read (the session ended:
    /// nothing of it may stay).
    pub(super) fn clear(&self) {
        let waiting = self
            .shared
            .0
            .lock()
            .ok()
            .and_then(|mut mailbox| mailbox.job.take());
        // A customer's still is wiped before it is freed, like every copy of their photos.
        if let Some(Job::Still { mut still, .. }) = waiting {
            crate::imaging::wipe_slice(&mut still);
        }
        for answer in self.answers.try_iter() {
            if let Judged::Still { mut still, .. } = answer {
                crate::imaging::wipe_slice(&mut still);
            }
        }
    }
}

impl Drop for Analyser {
    fn drop(&mut self) {
        let (lock, signal) = &*self.shared;
        if let Ok(mut mailbox) = lock.lock() {
            mailbox.stop = true;
            mailbox.job = None;
            signal.notify_one();
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Waits for the next job; `None` when the analyser is dropped.
fn next_job(shared: &Shared) -> Option<Job> {
    let (lock, signal) = &**shared;
    let mut mailbox = lock.lock().ok()?;
    loop {
        if mailbox.stop {
            return None;
        }
        if let Some(job) = mailbox.job.take() {
            mailbox.busy = true;
            return Some(job);
        }
        mailbox = signal.wait(mailbox).ok()?;
    }
}

fn judge(job: Job, settings: &QualitySettings) -> Judged {
    match job {
        Job::Preview {
            role,
            frame,
            full_width,
        } => {
            let luma = luma_of(&frame);
            let (verdict, hint) = match role {
                CameraRole::Document => {
                    // The size check is about the still: a preview half as wide needs half the
                    // pixels.
                    let scale = frame.width() as f32 / full_width.max(1) as f32;
                    let mut scaled = settings.clone();
                    scaled.min_document_px =
                        ((settings.min_document_px as f32 * scale.min(1.0)) as u32).max(1);
                    judge_document(&luma, &frame, &scaled, Depth::Preview)
                }
                CameraRole::Face => judge_face(&luma, settings, Depth::Preview),
            };
            Judged::Preview { verdict, hint }
        }
        Job::Still { slot, role, still } => {
            let luma = luma_of(&still);
            let (verdict, hint) = match role {
                CameraRole::Document => judge_document(&luma, &still, settings, Depth::Full),
                CameraRole::Face => judge_face(&luma, settings, Depth::Full),
            };
            Judged::Still {
                slot,
                still,
                usable: verdict.usable,
                hint,
            }
        }
    }
}

fn judge_document(
    luma: &GrayImage,
    rgb: &RgbImage,
    settings: &QualitySettings,
    depth: Depth,
) -> (FrameVerdict, Hint) {
    let report = analyze_document_at(luma, Some(rgb), settings, depth);
    let outline = report
        .corners
        .map(|corners| guide::shares_of_frame(&corners, luma.width(), luma.height()));
    let verdict = FrameVerdict {
        usable: report.usable(),
        outline,
    };
    (verdict, guide::hint_for_document(&report))
}

fn judge_face(luma: &GrayImage, settings: &QualitySettings, depth: Depth) -> (FrameVerdict, Hint) {
    let report = analyze_face_at(luma, settings, depth);
    let outline = report
        .face
        .map(|face| guide::face_outline(face, luma.width(), luma.height()));
    let verdict = FrameVerdict {
        usable: report.usable(),
        outline,
    };
    (verdict, guide::hint_for_face(&report))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn answers_within(analyser: &Analyser, wanted: usize, within: Duration) -> Vec<Judged> {
        let started = Instant::now();
        let mut answers = Vec::new();
        while answers.len() < wanted && started.elapsed() < within {
            answers.extend(analyser.answers());
            std::thread::sleep(Duration::from_millis(5));
        }
        answers
    }

    #[test]
    fn a_frame_that_comes_while_one_is_judged_is_dropped_not_queued() {
        let woken = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = Arc::clone(&woken);
        let analyser = Analyser::start(QualitySettings::default(), move || {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        });
        // The frames that follow must come while the first is judged: they are copied before
        // it is sent, and the frame is large enough to take milliseconds (a 1280x720 grey
        // frame is judged in about 1 ms, within what a loaded host can pause this thread).
        let frame = RgbImage::from_pixel(3840, 2160, image::Rgb([90, 90, 90]));
        let followers: Vec<RgbImage> = (0..5).map(|_| frame.clone()).collect();
        assert!(analyser.idle());
        analyser.preview(CameraRole::Document, frame, 1920);
        assert!(!analyser.idle(), "the frame is being judged");
        for follower in followers {
            analyser.preview(CameraRole::Document, follower, 1920);
        }
        let answers = answers_within(&analyser, 1, Duration::from_secs(10));
        assert_eq!(answers.len(), 1);
        std::thread::sleep(Duration::from_millis(300));
        assert!(
            analyser.answers().is_empty(),
            "the frames sent while busy were dropped"
        );
        assert_eq!(woken.load(std::sync::atomic::Ordering::SeqCst), 1);
        let Judged::Preview { verdict, hint } = &answers[0] else {
            panic!("a preview's answer is a preview's");
        };
        assert!(!verdict.usable);
        assert_eq!(*hint, Hint::ShowDocument, "a grey frame has no document");
        assert!(analyser.idle());
    }

    #[test]
    fn a_still_comes_back_with_its_verdict_and_a_cleared_one_does_not() {
        let analyser = Analyser::start(QualitySettings::default(), || {});
        let still = RgbImage::from_pixel(640, 480, image::Rgb([200, 200, 200]));
        analyser.still(ImageSlot::Face, CameraRole::Face, still);
        let answers = answers_within(&analyser, 1, Duration::from_secs(10));
        let [
            Judged::Still {
                slot,
                still,
                usable,
                hint,
            },
        ] = answers.as_slice()
        else {
            panic!("one still's answer");
        };
        assert_eq!(*slot, ImageSlot::Face);
        assert_eq!(still.dimensions(), (640, 480));
        assert!(!usable);
        assert_eq!(*hint, Hint::ShowFace);

        // The session ends while a still waits or its answer is unread: nothing comes back.
        analyser.still(
            ImageSlot::Front,
            CameraRole::Document,
            RgbImage::new(320, 240),
        );
        analyser.clear();
        let started = Instant::now();
        while !analyser.idle() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "the thread stays busy"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        analyser.clear();
        assert!(analyser.answers().is_empty());
    }
}
