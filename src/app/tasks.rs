//! The effects' tasks: everything that waits (the network, files, the journal, the OS camera
//! list) runs here on the tokio runtime, never on the UI thread, and answers through the
//! inbox. Every task reports exactly once: with its answer, or, when it panics, with the
//! failure its caller names.

use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, mpsc};
use std::time::SystemTime;

use tokio::runtime::Handle;
use tokio::task::{AbortHandle, JoinError, JoinHandle};

use crate::api::{ApiError, ConnectionCheck, ImageSlot, MarkIdClient, ValidationError};
use crate::config::Config;
use crate::flow::{CapturedImage, Effect, Event, Submission, Task};
use crate::imaging::{self, ImagePolicy, ImageRole, PreparedImage};
use crate::journal::{Journal, JournalError, JournalUnavailable};
use crate::quality::PhotoCheck;
use crate::staff::StaffInput;
use crate::submit::{SubmitError, upload_images};

/// What reaches the UI thread from tasks.
pub(super) enum Message {
    /// A flow event (a task result).
    Flow(Event),
    /// A staff flow input (a task result).
    Staff(StaffInput),
    /// A file was chosen in the dialog for this slot.
    FileChosen(ImageSlot, PathBuf),
}

/// Sends task results to the UI thread and wakes it.
#[derive(Clone)]
pub(super) struct Inbox {
    sender: mpsc::Sender<Message>,
    ctx: egui::Context,
}

impl Inbox {
    /// An inbox that wakes `ctx`, and the receiving end for the UI thread.
    pub(super) fn new(ctx: &egui::Context) -> (Self, mpsc::Receiver<Message>) {
        let (sender, receiver) = mpsc::channel();
        (
            Self {
                sender,
                ctx: ctx.clone(),
            },
            receiver,
        )
    }

    /// The window's context, for viewport commands.
    pub(super) fn ctx(&self) -> &egui::Context {
        &self.ctx
    }

    pub(super) fn send(&self, message: Message) {
        // The receiver lives as long as the app; after it is gone nobody needs the answer.
        let _ = self.sender.send(message);
        self.ctx.request_repaint();
    }
}

use crate::services::SharedJournal;

/// Starts tasks and keeps what can be cancelled.
pub(super) struct Tasks {
    runtime: Handle,
    inbox: Inbox,
    client: MarkIdClient,
    /// The submission journal, or why there is none (the kiosk works on without it).
    journal: Result<SharedJournal, JournalUnavailable>,
    upload: Option<AbortHandle>,
}

/// What a task that ended without its answer says: its panic message when it had one.
fn failure_detail(error: JoinError) -> String {
    match error.try_into_panic() {
        Ok(payload) => {
            let text = payload
                .downcast_ref::<&str>()
                .map(|text| (*text).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "no message".to_owned());
            format!("it panicked ({text})")
        }
        Err(error) => format!("it ended early ({error})"),
    }
}

/// Sends `task`'s answer when it ends, or `failed(detail)` when it panics. A task cancelled on
/// purpose (the flow asked for it) says nothing: nobody waits for it any more.
fn report_when_done(
    runtime: &Handle,
    inbox: Inbox,
    task: JoinHandle<Message>,
    failed: impl FnOnce(String) -> Message + Send + 'static,
) {
    runtime.spawn(async move {
        let message = match task.await {
            Ok(message) => message,
            Err(error) if error.is_cancelled() => return,
            Err(error) => failed(failure_detail(error)),
        };
        inbox.send(message);
    });
}

impl Tasks {
    pub(super) fn new(
        runtime: Handle,
        inbox: Inbox,
        client: MarkIdClient,
        journal: Result<SharedJournal, JournalUnavailable>,
    ) -> Self {
        Self {
            runtime,
            inbox,
            client,
            journal,
            upload: None,
        }
    }

    /// The inbox tasks answer through.
    pub(super) fn inbox(&self) -> &Inbox {
        &self.inbox
    }

    /// The runtime, for the file dialog.
    pub(super) fn runtime(&self) -> &Handle {
        &self.runtime
    }

    /// Spawns `task`; its answer, or `failed(detail)` if it panics, reaches the inbox once.
    pub(super) fn spawn(
        &self,
        task: impl Future<Output = Message> + Send + 'static,
        failed: impl FnOnce(String) -> Message + Send + 'static,
    ) -> AbortHandle {
        let handle = self.runtime.spawn(task);
        let abort = handle.abort_handle();
        report_when_done(&self.runtime, self.inbox.clone(), handle, failed);
        abort
    }

    /// Runs blocking `work` on the runtime's blocking threads, reporting like `spawn`.
    pub(super) fn spawn_blocking(
        &self,
        work: impl FnOnce() -> Message + Send + 'static,
        failed: impl FnOnce(String) -> Message + Send + 'static,
    ) {
        let handle = self.runtime.spawn_blocking(work);
        report_when_done(&self.runtime, self.inbox.clone(), handle, failed);
    }

    /// Runs one of the flow's effects (all but `WipeSession`, which is the capture's).
    pub(super) fn run(&mut self, effect: Effect, config: &Config) {
        match effect {
            Effect::CreateSession(locale) => {
                let request = crate::submit::kiosk_token_request(config, locale);
                let client = self.client.clone();
                self.spawn(
                    async move {
                        let event = match request {
                            Ok(request) => match client.create_token(&request).await {
                                Ok(session) => Event::SessionCreated(Box::new(session)),
                                Err(error) => Event::SessionFailed(error),
                            },
                            Err(_) => Event::SessionFailed(ApiError::Invalid(ValidationError {
                                field: "clientId",
                                problem: "must be typed by staff (client_id.mode = \"typed\")"
                                    .into(),
                            })),
                        };
                        Message::Flow(event)
                    },
                    |detail| Message::Flow(Event::TaskFailed(Task::Session, detail)),
                );
            }
            Effect::PrepareImage(slot, captured) => {
                let policy = ImagePolicy::from(&config.images);
                let quality = config.quality.clone();
                self.spawn_blocking(
                    move || {
                        let prepared = prepare(slot, *captured, &policy, &quality);
                        Message::Flow(match prepared {
                            Ok((image, check)) => {
                                Event::ImagePrepared(slot, Box::new(image), check)
                            }
                            Err(error) => Event::ImageFailed(slot, error),
                        })
                    },
                    move |detail| Message::Flow(Event::TaskFailed(Task::Photo(slot), detail)),
                );
            }
            Effect::Submit(submission) => {
                let policy = ImagePolicy::from(&config.images);
                let upload = upload(self.client.clone(), *submission, policy, self.inbox.clone());
                self.upload = Some(self.spawn(upload, |detail| {
                    Message::Flow(Event::TaskFailed(Task::Upload, detail))
                }));
            }
            Effect::CancelSubmit => {
                if let Some(upload) = self.upload.take() {
                    upload.abort();
                }
            }
            Effect::Record(record) => {
                let Ok(journal) = &self.journal else { return };
                let journal = journal.clone();
                // Nobody waits for the journal: a failure is logged, not reported.
                self.runtime.spawn_blocking(move || {
                    let written = use_journal(&journal, |journal| {
                        journal.record(SystemTime::now(), &record)
                    });
                    if let Err(error) = written {
                        tracing::warn!("session not written to the journal: {error}");
                    }
                });
            }
            Effect::WipeSession => {}
        }
    }

    /// Checks the credentials without spending a token.
    pub(super) fn test_connection(&self) {
        let client = self.client.clone();
        self.spawn(
            async move {
                let (ok, text) = ConnectionCheck::report(&client.check_connection().await);
                Message::Staff(StaffInput::ConnectionChecked(ok, text))
            },
            |detail| {
                Message::Staff(StaffInput::ConnectionChecked(
                    false,
                    format!("The test ended without an answer: {detail}"),
                ))
            },
        );
    }

    /// Runs `work` on the journal off the UI thread; `answer` makes its message.
    pub(super) fn with_journal<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Journal) -> Result<T, JournalError> + Send + 'static,
        answer: impl Fn(Result<T, JournalUnavailable>) -> Message + Send + Sync + 'static,
    ) {
        let journal = self.journal.clone();
        let answer = Arc::new(answer);
        let on_panic = answer.clone();
        self.spawn_blocking(
            move || {
                answer(journal.and_then(|journal| {
                    use_journal(&journal, work).map_err(JournalUnavailable::from)
                }))
            },
            move |detail| on_panic(Err(JournalUnavailable::Failed(detail))),
        );
    }
}

/// Turns what was taken into the upload, with the quality engine's verdict on it (see
/// `imaging::prepare_checked`).
fn prepare(
    slot: ImageSlot,
    captured: CapturedImage,
    policy: &ImagePolicy,
    quality: &crate::quality::QualitySettings,
) -> Result<(PreparedImage, PhotoCheck), imaging::ImagingError> {
    let pixels = match captured {
        CapturedImage::Still(pixels) => pixels,
        CapturedImage::File(path) => imaging::load_upright(&path, policy)?,
    };
    imaging::prepare_checked(pixels, ImageRole::of_slot(slot), policy, quality)
}

/// Uploads through the submit module's one upload path, reporting progress on the way.
async fn upload(
    client: MarkIdClient,
    submission: Submission,
    policy: ImagePolicy,
    inbox: Inbox,
) -> Message {
    let on_progress = Arc::new(move |progress| {
        inbox.send(Message::Flow(Event::Progress(progress)));
    });
    Message::Flow(
        match upload_images(&client, submission, policy, on_progress).await {
            Ok(()) => Event::Submitted,
            Err(SubmitError::Api(error)) => Event::SubmitFailed(error),
            Err(error) => Event::SubmitFailed(ApiError::Invalid(ValidationError {
                field: "images",
                problem: error.to_string(),
            })),
        },
    )
}

/// Runs `work` on the journal. A lock poisoned by a panic elsewhere still guards a consistent
/// SQLite connection (each statement is atomic), so it is used all the same.
pub(super) fn use_journal<T>(
    journal: &Mutex<Journal>,
    work: impl FnOnce(&Journal) -> Result<T, JournalError>,
) -> Result<T, JournalError> {
    let journal = journal
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    work(&journal)
}

/// Writes the whole journal as CSV into `exports/` beside it; returns rows and file.
pub(super) fn export_journal(journal: &Journal) -> Result<(usize, PathBuf), JournalError> {
    let dir = journal
        .path()
        .parent()
        .map_or_else(|| PathBuf::from("exports"), |dir| dir.join("exports"));
    let in_dir = |path: &std::path::Path| {
        let path = path.to_owned();
        move |source| JournalError::Directory { path, source }
    };
    std::fs::create_dir_all(&dir).map_err(in_dir(&dir))?;
    let stamp = chrono::DateTime::<chrono::Utc>::from(SystemTime::now()).format("%Y%m%d-%H%M%S");
    let path = dir.join(format!("journal-{stamp}.csv"));
    let file = std::fs::File::create(&path).map_err(in_dir(&path))?;
    let mut out = std::io::BufWriter::new(file);
    let rows = journal.export_csv(&mut out)?;
    std::io::Write::flush(&mut out).map_err(in_dir(&path))?;
    Ok((rows, path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::submit::run_blocking;
    use std::time::Duration;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    }

    /// Every message that arrives within a second.
    fn messages(receiver: &mpsc::Receiver<Message>) -> Vec<Message> {
        let mut all = Vec::new();
        while let Ok(message) = receiver.recv_timeout(Duration::from_secs(1)) {
            all.push(message);
        }
        all
    }

    fn reporting() -> (
        Inbox,
        mpsc::Receiver<Message>,
        impl Fn(String) -> Message + Clone + Send + 'static,
    ) {
        let (inbox, receiver) = Inbox::new(&egui::Context::default());
        let failed = |detail| Message::Flow(Event::TaskFailed(Task::Upload, detail));
        (inbox, receiver, failed)
    }

    #[test]
    fn a_task_that_panics_reports_its_failure_once() {
        let runtime = runtime();
        let (inbox, receiver, failed) = reporting();
        let task = runtime.spawn(async {
            let fitted: Result<(), ()> = run_blocking(|| panic!("fit_request broke")).await;
            let _ = fitted;
            Message::Flow(Event::Submitted)
        });
        report_when_done(runtime.handle(), inbox, task, failed);
        let got = messages(&receiver);
        assert_eq!(got.len(), 1);
        let Message::Flow(Event::TaskFailed(Task::Upload, detail)) = &got[0] else {
            panic!("not a failure report");
        };
        assert!(detail.contains("fit_request broke"), "{detail}");
    }

    #[test]
    fn a_task_reports_its_answer_once_and_a_cancelled_one_nothing() {
        let runtime = runtime();
        let (inbox, receiver, failed) = reporting();
        let task = runtime.spawn(async { Message::Flow(Event::Submitted) });
        report_when_done(runtime.handle(), inbox.clone(), task, failed.clone());
        let got = messages(&receiver);
        assert_eq!(got.len(), 1);
        assert!(matches!(got[0], Message::Flow(Event::Submitted)));
        let hung = runtime.spawn(async {
            std::future::pending::<()>().await;
            Message::Flow(Event::Submitted)
        });
        let abort = hung.abort_handle();
        report_when_done(runtime.handle(), inbox, hung, failed);
        abort.abort();
        assert!(messages(&receiver).is_empty());
    }
}
