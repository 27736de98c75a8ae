//! The quality engine on its own thread, so that the UI never waits for it: preview frames are
//! judged one at a time and a frame that comes while one is being judged is not queued (the
//! camera's newest frame is sent next); an auto-captured still is judged at full resolution
//! before it is used.

use std::sync::{Arc, Condvar, Mutex, mpsc};
use std::thread::JoinHandle;

use image::{GrayImage, RgbImage};

use crate::api::ImageSlot;
use crate::guide::{self, FrameVerdict, Hint};
use crate::quality::{QualitySettings, analyze_document, analyze_face, luma_of};

/// What is photographed: it decides which analysis runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Subject {
    Document,
    Face,
}

impl Subject {
    pub(super) fn of(slot: ImageSlot) -> Self {
        match slot {
            ImageSlot::Face => Subject::Face,
            ImageSlot::Front | ImageSlot::Back | ImageSlot::UtilityBill => Subject::Document,
        }
    }
}

/// A picture to judge.
enum Job {
    /// A preview frame, `full_width` the camera's own width (thresholds in pixels are scaled
    /// to it).
    Preview {
        subject: Subject,
        frame: RgbImage,
        full_width: u32,
    },
    /// A full-resolution still, handed back with its verdict.
    Still { slot: ImageSlot, still: RgbImage },
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
                    if let Ok(mut mailbox) = inbox.0.lock() {
                        mailbox.busy = false;
                    }
                    if sender.send(judged).is_err() {
                        return;
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
    pub(super) fn preview(&self, subject: Subject, frame: RgbImage, full_width: u32) {
        if self.idle() {
            self.post(Job::Preview {
                subject,
                frame,
                full_width,
            });
        }
    }

    /// Judges a still (it waits for the frame being judged, if any; a preview job waiting is
    /// replaced).
    pub(super) fn still(&self, slot: ImageSlot, still: RgbImage) {
        self.post(Job::Still { slot, still });
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
            subject,
            frame,
            full_width,
        } => {
            let luma = luma_of(&frame);
            let (verdict, hint) = match subject {
                Subject::Document => {
                    // The size check is about the still: a preview half as wide needs half the
                    // pixels.
                    let scale = frame.width() as f32 / full_width.max(1) as f32;
                    let mut scaled = settings.clone();
                    scaled.min_document_px =
                        ((settings.min_document_px as f32 * scale.min(1.0)) as u32).max(1);
                    judge_document(&luma, &scaled)
                }
                Subject::Face => judge_face(&luma, settings),
            };
            Judged::Preview { verdict, hint }
        }
        Job::Still { slot, still } => {
            let luma = luma_of(&still);
            let (verdict, hint) = match Subject::of(slot) {
                Subject::Document => judge_document(&luma, settings),
                Subject::Face => judge_face(&luma, settings),
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

fn judge_document(luma: &GrayImage, settings: &QualitySettings) -> (FrameVerdict, Hint) {
    let report = analyze_document(luma, settings);
    let outline = report
        .corners
        .map(|corners| guide::shares_of_frame(&corners, luma.width(), luma.height()));
    let verdict = FrameVerdict {
        usable: report.usable(),
        outline,
    };
    (verdict, guide::hint_for_document(&report))
}

fn judge_face(luma: &GrayImage, settings: &QualitySettings) -> (FrameVerdict, Hint) {
    let report = analyze_face(luma, settings);
    let outline = report
        .face
        .map(|face| guide::face_outline(face, luma.width(), luma.height()));
    let verdict = FrameVerdict {
        usable: report.usable(),
        outline,
    };
    (verdict, guide::hint_for_face(&report))
}
