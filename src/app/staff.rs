//! Staff mode in the app: runs the `StaffFlow`'s effects as tasks and draws its screens.

use std::time::{Duration, Instant};

use super::KioskApp;
use super::staff_screens;
use super::tasks::{Message, export_journal};
use crate::api::Locale;
use crate::camera::CameraChoice;
use crate::camera::CameraRole;
use crate::config::Config;
use crate::flow::Event;
use crate::staff::{
    JournalView, SaveProblem, SettingsDraft, StaffAction, StaffEffect, StaffFlow, StaffInput,
    StaffScreen,
};

/// A staff flow for `config`.
pub(super) fn staff_flow(config: &Config) -> StaffFlow {
    StaffFlow::new(
        &config.kiosk.staff_pin_hash,
        config.kiosk.kiosk_mode,
        Duration::from_secs(config.kiosk.idle_timeout_secs),
    )
}

impl KioskApp {
    /// Feeds the staff flow and runs what comes out.
    pub(super) fn staff_input(&mut self, input: StaffInput) {
        let now = Instant::now();
        let opens_settings = input == StaffInput::Action(StaffAction::Settings);
        let mut effects = self.staff.handle(input, now);
        if opens_settings {
            effects.extend(self.staff.open_settings(settings_draft(&self.config)));
        }
        for effect in effects {
            self.run_staff(effect);
        }
    }

    fn run_staff(&mut self, effect: StaffEffect) {
        match effect {
            StaffEffect::ListCameras => {
                // Listing asks the OS (V4L2, Media Foundation, AVFoundation), which can wait on
                // a permission prompt: off the UI thread. A failure leaves the words.
                self.tasks.spawn_blocking(
                    || {
                        let devices = crate::camera::list_devices().unwrap_or_default();
                        Message::Staff(StaffInput::CamerasListed(
                            devices
                                .into_iter()
                                .map(|d| (d.index.to_string(), format!("{}: {}", d.index, d.name)))
                                .collect(),
                        ))
                    },
                    |_| Message::Staff(StaffInput::CamerasListed(Vec::new())),
                );
            }
            StaffEffect::ReadJournal(rows) => self.tasks.with_journal(
                move |journal| journal.recent(rows),
                |read| Message::Staff(StaffInput::JournalRead(read)),
            ),
            StaffEffect::ExportJournal => self.tasks.with_journal(export_journal, |exported| {
                Message::Staff(StaffInput::Exported(exported))
            }),
            StaffEffect::SaveSettings(draft) => self.save_settings(&draft),
            StaffEffect::TestConnection => self.tasks.test_connection(),
            StaffEffect::StartAssistedSession => {
                self.handle(Event::StartAssisted);
            }
            StaffEffect::Exit => self.window.exit = true,
        }
    }

    /// Applies the edited settings now and writes them to the config file off the UI thread.
    /// A file that cannot be written (a read-only /etc) still leaves them in force until the
    /// kiosk restarts.
    fn save_settings(&mut self, draft: &SettingsDraft) {
        let mut config = self.config.clone();
        apply_draft(&mut config, draft);
        if let Err((key, problem)) = config.validate() {
            let problem = SaveProblem::Invalid { key, problem };
            self.staff_input(StaffInput::Saved(Err(problem)));
            return;
        }
        self.capture.cameras.assign(
            CameraRole::Document,
            CameraChoice::parse(&config.camera.document),
        );
        self.capture
            .cameras
            .assign(CameraRole::Face, CameraChoice::parse(&config.camera.face));
        self.flow.set_settings(super::flow_settings(&config));
        self.staff
            .set_idle(Duration::from_secs(config.kiosk.idle_timeout_secs));
        tracing::info!("staff changed the settings");
        let path = self.window.config_path.clone();
        let saved = config.clone();
        self.config = config;
        self.tasks.spawn_blocking(
            move || {
                let written = match path {
                    Some(path) => crate::config::save_staff_settings(&path, &saved)
                        .map(|()| path)
                        .map_err(|error| error.to_string()),
                    None => Err("there is no config directory on this system".to_owned()),
                };
                Message::Staff(StaffInput::Saved(written.map_err(SaveProblem::NotWritten)))
            },
            |detail| Message::Staff(StaffInput::Saved(Err(SaveProblem::NotWritten(detail)))),
        );
    }

    /// The staff screen on show, over Welcome.
    pub(super) fn staff_ui(&mut self, ctx: &egui::Context) -> Option<StaffAction> {
        let locale = self.config.token.locale.unwrap_or(Locale::En);
        let now = Instant::now();
        let notice = self
            .staff
            .notice()
            .map(|notice| staff_screens::Notice::of(notice, locale));
        let pad_notice = self
            .staff
            .pad_notice(now)
            .map(|notice| staff_screens::Notice::of(&notice, locale));
        let testing = self.staff.testing();
        let kiosk_mode = self.window.kiosk_mode;
        let typed = self.staff.typed();
        let view = |journal| staff_screens::StaffView {
            notice: notice.as_ref(),
            testing,
            journal,
        };
        match self.staff.screen() {
            StaffScreen::Closed => staff_screens::staff_button(ctx),
            StaffScreen::Pad => staff_screens::pin_pad_ui(ctx, typed, pad_notice.as_ref()),
            StaffScreen::Menu => {
                staff_screens::staff_menu_ui(ctx, &view(self.staff.journal()), kiosk_mode)
            }
            StaffScreen::Journal => staff_screens::journal_ui(ctx, &view(self.staff.journal())),
            StaffScreen::Settings(_) => {
                // The settings screen edits the draft and shows no journal.
                let no_journal = JournalView::default();
                let view = view(&no_journal);
                let draft = self.staff.draft_mut()?;
                staff_screens::settings_ui(ctx, draft, &view)
            }
        }
    }
}

/// The settings screen's starting point: the config in force. The devices found join the
/// camera choices when they are listed.
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
