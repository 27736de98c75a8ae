//! Staff mode as a pure state machine, like the customers' `Flow`: the PIN gate and its lockout,
//! the menu, the settings draft, the journal view and the export. The app feeds it what staff
//! did and what its tasks answered, and runs the `StaffEffect`s that come out; nothing here
//! touches a file, a camera, the network or egui. What it tells staff are i18n keys.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::{PIN_DIGITS, PinGuard, PinOutcome};
use crate::api::Locale;
use crate::journal::{JournalEntry, JournalUnavailable};

/// What staff did.
#[derive(Clone, Debug, PartialEq)]
pub enum StaffAction {
    /// Open the PIN pad (or the menu, where no PIN is needed).
    Open,
    /// A digit on the pad.
    Digit(char),
    /// Clear what was typed.
    Clear,
    /// Check the PIN.
    Enter,
    /// Close the pad or the menu.
    Close,
    /// Leave the kiosk (close the program).
    Exit,
    /// Open the settings.
    Settings,
    /// Keep the settings as edited: use them now and write them to the config file.
    SaveSettings,
    /// Open the journal.
    Journal,
    /// Write the journal as CSV into the data directory.
    ExportJournal,
    /// Check the API address and credentials without spending a token.
    TestConnection,
    /// Back from a staff screen to the menu.
    Menu,
    /// Start a customer session in which the OS file dialog is offered (kiosk mode).
    AssistedSession,
}

/// The settings staff can change, as edited on the settings screen.
#[derive(Clone, Debug, PartialEq)]
pub struct SettingsDraft {
    /// `[camera] document`: "auto", an index, part of a name, "synthetic" or "play:PATH".
    pub document_camera: String,
    /// `[camera] face`, in the same terms.
    pub face_camera: String,
    /// `[token] locale`: the language Welcome greets each new customer in.
    pub language: Locale,
    /// `[kiosk] text_scale`.
    pub text_scale: f32,
    /// `[kiosk] idle_timeout_secs`.
    pub idle_timeout_secs: u64,
    /// `[kiosk] success_return_secs`.
    pub success_return_secs: u64,
    /// `[kiosk] kiosk_mode`, from the next start.
    pub kiosk_mode: bool,
    /// The cameras to choose from: the config's words and the devices found, as (value, label).
    /// Filled in when the device list arrives (listing may wait on the OS).
    pub camera_choices: Vec<(String, String)>,
}

/// Which staff screen is open (only ever over Welcome: never while a customer is served).
#[derive(Clone, Debug, Default, PartialEq)]
pub enum StaffScreen {
    /// None: the discreet staff button.
    #[default]
    Closed,
    /// The PIN pad.
    Pad,
    /// The staff menu.
    Menu,
    /// The settings, as edited.
    Settings(Box<SettingsDraft>),
    /// The journal.
    Journal,
}

/// The journal as the journal screen shows it.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum JournalView {
    /// Being read.
    #[default]
    Reading,
    /// The newest entries.
    Rows(Vec<JournalEntry>),
    /// Why it cannot be read, for staff.
    Unreadable(String),
}

/// A sentence for staff: an i18n key, its placeholders, and whether it is good news.
#[derive(Clone, Debug, PartialEq)]
pub struct StaffNotice {
    /// Good news (green) or a problem (red).
    pub ok: bool,
    /// The key under `staff.` in `assets/locales/`.
    pub key: &'static str,
    /// The placeholders' values.
    pub args: Vec<(&'static str, String)>,
}

impl StaffNotice {
    fn new(ok: bool, key: &'static str, args: &[(&'static str, String)]) -> Self {
        Self {
            ok,
            key,
            args: args.to_vec(),
        }
    }
}

/// Why settings were not saved.
#[derive(Clone, Debug, PartialEq)]
pub enum SaveProblem {
    /// The draft breaks a rule: nothing was applied.
    Invalid {
        /// The config key.
        key: String,
        /// What is wrong with it.
        problem: String,
    },
    /// In force, but the config file could not be written.
    NotWritten(String),
}

/// What reaches the staff flow: staff's actions, the tasks' answers, the clock.
#[derive(Clone, Debug, PartialEq)]
pub enum StaffInput {
    /// Staff did something.
    Action(StaffAction),
    /// The cameras that can be chosen, as (value, label).
    CamerasListed(Vec<(String, String)>),
    /// The journal's newest entries, or why not.
    JournalRead(Result<Vec<JournalEntry>, JournalUnavailable>),
    /// The export: rows and the file, or why not.
    Exported(Result<(usize, PathBuf), JournalUnavailable>),
    /// The settings save: the file written, or the problem.
    Saved(Result<PathBuf, SaveProblem>),
    /// The connection test: (the kiosk can work, the report for staff).
    ConnectionChecked(bool, String),
    /// Time passed.
    Tick,
}

/// What the app runs for staff. Answers come back as `StaffInput`s.
#[derive(Clone, Debug, PartialEq)]
pub enum StaffEffect {
    /// List the cameras (may wait on the OS): answer `CamerasListed`.
    ListCameras,
    /// Read the journal's newest rows: answer `JournalRead`.
    ReadJournal(usize),
    /// Export the journal as CSV: answer `Exported`.
    ExportJournal,
    /// Validate and apply the draft, then write it to the config file: answer `Saved`.
    SaveSettings(Box<SettingsDraft>),
    /// Test the connection: answer `ConnectionChecked`.
    TestConnection,
    /// Start a customer session with the file dialog.
    StartAssistedSession,
    /// Close the program.
    Exit,
}

/// Journal rows the staff screen shows.
pub const JOURNAL_ROWS_SHOWN: usize = 200;

/// The staff state machine.
#[derive(Debug)]
pub struct StaffFlow {
    screen: StaffScreen,
    /// The digits typed so far while the pad is open (wiped on close).
    pad: zeroize::Zeroizing<String>,
    guard: PinGuard,
    /// The pad's last refusal (its wait is shown live, from the guard).
    pad_refusal: Option<PinOutcome>,
    notice: Option<StaffNotice>,
    testing: bool,
    journal: JournalView,
    last_input: Option<Instant>,
    /// The argon2id hash of the PIN; empty: no PIN.
    pin_hash: String,
    kiosk_mode: bool,
    idle: Duration,
}

impl StaffFlow {
    /// Closed. `pin_hash` empty means no PIN (only outside kiosk mode); staff screens close
    /// after `idle` without input.
    pub fn new(pin_hash: &str, kiosk_mode: bool, idle: Duration) -> Self {
        Self {
            screen: StaffScreen::Closed,
            pad: zeroize::Zeroizing::new(String::new()),
            guard: PinGuard::default(),
            pad_refusal: None,
            notice: None,
            testing: false,
            journal: JournalView::default(),
            last_input: None,
            pin_hash: pin_hash.to_owned(),
            kiosk_mode,
            idle,
        }
    }

    /// Staff changed the settings: a new idle timeout applies from now.
    pub fn set_idle(&mut self, idle: Duration) {
        self.idle = idle;
    }

    /// The open screen.
    pub fn screen(&self) -> &StaffScreen {
        &self.screen
    }

    /// The settings draft, for the settings screen to edit.
    pub fn draft_mut(&mut self) -> Option<&mut SettingsDraft> {
        match &mut self.screen {
            StaffScreen::Settings(draft) => Some(draft),
            _ => None,
        }
    }

    /// Whether staff are in (past the PIN).
    pub fn unlocked(&self) -> bool {
        matches!(
            self.screen,
            StaffScreen::Menu | StaffScreen::Settings(_) | StaffScreen::Journal
        )
    }

    /// How many digits are typed (the pad shows dots).
    pub fn typed(&self) -> usize {
        self.pad.len()
    }

    /// The outcome of the last save, export or test.
    pub fn notice(&self) -> Option<&StaffNotice> {
        self.notice.as_ref()
    }

    /// A connection test is under way.
    pub fn testing(&self) -> bool {
        self.testing
    }

    /// The journal as read.
    pub fn journal(&self) -> &JournalView {
        &self.journal
    }

    /// The text under the PIN dots, as of `now`.
    pub fn pad_notice(&self, now: Instant) -> Option<StaffNotice> {
        match self.pad_refusal? {
            PinOutcome::Unlocked => None,
            PinOutcome::Wrong { tries_left } => Some(StaffNotice::new(
                false,
                "staff.wrong_pin",
                &[("tries", tries_left.to_string())],
            )),
            PinOutcome::Locked { .. } => Some(match self.guard.locked_for(now) {
                Some(wait) => StaffNotice::new(
                    false,
                    "staff.locked",
                    &[("seconds", wait.as_secs_f32().ceil().max(1.0).to_string())],
                ),
                None => StaffNotice::new(true, "staff.pad_open", &[]),
            }),
        }
    }

    /// When a staff screen changes by itself: it closes `idle` after the last input, and a
    /// locked pad shows its wait each second and opens at the lock's end.
    pub fn next_deadline(&self, now: Instant) -> Option<Instant> {
        if self.screen == StaffScreen::Closed {
            return None;
        }
        let close = self.last_input.map(|last| last + self.idle);
        let lock = (self.screen == StaffScreen::Pad)
            .then(|| self.guard.next_deadline(now))
            .flatten();
        [close, lock].into_iter().flatten().min()
    }

    /// Any input on any screen: a staff screen left open is not idle while someone uses it.
    pub fn activity(&mut self, now: Instant) {
        self.last_input = Some(now);
    }

    /// Applies one input; returns the effects to run.
    pub fn handle(&mut self, input: StaffInput, now: Instant) -> Vec<StaffEffect> {
        match input {
            StaffInput::Action(action) => {
                self.last_input = Some(now);
                self.act(action, now)
            }
            StaffInput::CamerasListed(devices) => {
                if let StaffScreen::Settings(draft) = &mut self.screen {
                    for device in devices {
                        if !draft.camera_choices.iter().any(|(v, _)| *v == device.0) {
                            draft.camera_choices.push(device);
                        }
                    }
                }
                Vec::new()
            }
            StaffInput::JournalRead(read) => {
                if self.screen == StaffScreen::Journal {
                    self.journal = match read {
                        Ok(rows) => JournalView::Rows(rows),
                        Err(reason) => JournalView::Unreadable(reason.to_string()),
                    };
                }
                Vec::new()
            }
            StaffInput::Exported(exported) => {
                if self.unlocked() {
                    self.notice = Some(match exported {
                        Ok((rows, path)) => StaffNotice::new(
                            true,
                            "staff.exported",
                            &[
                                ("rows", rows.to_string()),
                                ("path", path.display().to_string()),
                            ],
                        ),
                        Err(reason) => StaffNotice::new(
                            false,
                            "staff.not_exported",
                            &[("reason", reason.to_string())],
                        ),
                    });
                }
                Vec::new()
            }
            StaffInput::Saved(saved) => {
                if self.unlocked() {
                    self.notice = Some(match saved {
                        Ok(path) => StaffNotice::new(
                            true,
                            "staff.saved",
                            &[("path", path.display().to_string())],
                        ),
                        Err(SaveProblem::Invalid { key, problem }) => StaffNotice::new(
                            false,
                            "staff.not_saved",
                            &[("key", key), ("problem", problem)],
                        ),
                        Err(SaveProblem::NotWritten(reason)) => {
                            StaffNotice::new(false, "staff.not_written", &[("reason", reason)])
                        }
                    });
                }
                Vec::new()
            }
            StaffInput::ConnectionChecked(ok, report) => {
                self.testing = false;
                if self.unlocked() {
                    let key = if ok {
                        "staff.connection_ok"
                    } else {
                        "staff.connection_failed"
                    };
                    self.notice = Some(StaffNotice::new(ok, key, &[("report", report)]));
                }
                Vec::new()
            }
            StaffInput::Tick => {
                // Staff who walk away with a staff screen open must not leave it to the next
                // customer: it closes after the idle timeout.
                if self.screen != StaffScreen::Closed
                    && self
                        .last_input
                        .is_some_and(|last| now.saturating_duration_since(last) >= self.idle)
                {
                    tracing::info!(
                        "staff screen closed after {} s without input",
                        self.idle.as_secs()
                    );
                    self.close();
                }
                Vec::new()
            }
        }
    }

    fn act(&mut self, action: StaffAction, now: Instant) -> Vec<StaffEffect> {
        // Only the pad and the way in work before the PIN.
        let before_pin = matches!(
            action,
            StaffAction::Open
                | StaffAction::Digit(_)
                | StaffAction::Clear
                | StaffAction::Enter
                | StaffAction::Close
        );
        if !before_pin && !self.unlocked() {
            return Vec::new();
        }
        match action {
            StaffAction::Open => {
                self.close();
                // A staff workstation without a PIN opens the menu at once; a kiosk never does
                // (kiosk mode cannot start without a PIN).
                self.screen = if self.pin_hash.is_empty() && !self.kiosk_mode {
                    StaffScreen::Menu
                } else {
                    StaffScreen::Pad
                };
            }
            StaffAction::Digit(digit) => {
                if self.screen == StaffScreen::Pad
                    && digit.is_ascii_digit()
                    && self.pad.len() < *PIN_DIGITS.end()
                {
                    self.pad.push(digit);
                }
            }
            StaffAction::Clear => self.pad.clear(),
            StaffAction::Enter => {
                if self.screen != StaffScreen::Pad {
                    return Vec::new();
                }
                let outcome = self.guard.enter(&self.pad, &self.pin_hash, now);
                self.pad.clear();
                match outcome {
                    PinOutcome::Unlocked => {
                        tracing::info!("staff unlocked the kiosk");
                        self.screen = StaffScreen::Menu;
                    }
                    PinOutcome::Wrong { tries_left } => {
                        tracing::warn!(tries_left, "wrong staff PIN");
                    }
                    PinOutcome::Locked { .. } => {
                        tracing::warn!("staff PIN pad locked after wrong PINs");
                    }
                }
                self.pad_refusal = Some(outcome);
            }
            StaffAction::Close => self.close(),
            StaffAction::Exit => {
                if self.kiosk_mode {
                    tracing::info!("staff closed the kiosk");
                    return vec![StaffEffect::Exit];
                }
            }
            StaffAction::Menu => {
                self.screen = StaffScreen::Menu;
                self.notice = None;
            }
            StaffAction::Settings => {
                // The draft is made by the app from the config in force (`open_settings`).
                self.notice = None;
            }
            StaffAction::SaveSettings => {
                if let StaffScreen::Settings(draft) = &self.screen {
                    return vec![StaffEffect::SaveSettings(draft.clone())];
                }
            }
            StaffAction::Journal => {
                self.notice = None;
                self.journal = JournalView::Reading;
                self.screen = StaffScreen::Journal;
                return vec![StaffEffect::ReadJournal(JOURNAL_ROWS_SHOWN)];
            }
            StaffAction::ExportJournal => {
                self.notice = None;
                return vec![StaffEffect::ExportJournal];
            }
            StaffAction::TestConnection => {
                if !self.testing {
                    self.testing = true;
                    self.notice = None;
                    return vec![StaffEffect::TestConnection];
                }
            }
            StaffAction::AssistedSession => {
                if self.kiosk_mode {
                    tracing::info!("staff started a session with the file dialog");
                    self.close();
                    return vec![StaffEffect::StartAssistedSession];
                }
            }
        }
        Vec::new()
    }

    /// Opens the settings on `draft` (the config in force); the cameras are listed off the UI
    /// thread and join its choices when they come.
    pub fn open_settings(&mut self, draft: SettingsDraft) -> Vec<StaffEffect> {
        if !self.unlocked() {
            return Vec::new();
        }
        self.notice = None;
        self.screen = StaffScreen::Settings(Box::new(draft));
        vec![StaffEffect::ListCameras]
    }

    fn close(&mut self) {
        self.screen = StaffScreen::Closed;
        self.pad.clear();
        self.pad_refusal = None;
        self.notice = None;
        self.journal = JournalView::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::staff::{LOCKOUT, MAX_FAILURES, hash_pin};

    fn draft() -> SettingsDraft {
        SettingsDraft {
            document_camera: "auto".into(),
            face_camera: "auto".into(),
            language: Locale::En,
            text_scale: 1.0,
            idle_timeout_secs: 90,
            success_return_secs: 15,
            kiosk_mode: true,
            camera_choices: vec![("auto".into(), "auto".into())],
        }
    }

    fn press(flow: &mut StaffFlow, action: StaffAction, now: Instant) -> Vec<StaffEffect> {
        flow.handle(StaffInput::Action(action), now)
    }

    fn type_pin(flow: &mut StaffFlow, pin: &str, now: Instant) {
        for digit in pin.chars() {
            press(flow, StaffAction::Digit(digit), now);
        }
        press(flow, StaffAction::Enter, now);
    }

    #[test]
    fn the_pin_gates_the_menu_and_locks_after_five_wrong_pins() {
        let hash = hash_pin("2468").unwrap();
        let now = Instant::now();
        let mut flow = StaffFlow::new(&hash, true, Duration::from_secs(90));
        // Nothing behind the PIN works before it.
        assert!(press(&mut flow, StaffAction::Journal, now).is_empty());
        assert!(press(&mut flow, StaffAction::Exit, now).is_empty());
        press(&mut flow, StaffAction::Open, now);
        assert_eq!(flow.screen(), &StaffScreen::Pad);
        type_pin(&mut flow, "1111", now);
        assert_eq!(flow.screen(), &StaffScreen::Pad);
        let notice = flow.pad_notice(now).unwrap();
        assert_eq!(notice.key, "staff.wrong_pin");
        assert_eq!(notice.args, vec![("tries", (MAX_FAILURES - 1).to_string())]);
        for _ in 1..MAX_FAILURES {
            type_pin(&mut flow, "1111", now);
        }
        assert_eq!(flow.pad_notice(now).unwrap().key, "staff.locked");
        // Even the right PIN waits; the pad wakes the app each second of the lock.
        type_pin(&mut flow, "2468", now + Duration::from_secs(10));
        assert_eq!(flow.screen(), &StaffScreen::Pad);
        assert_eq!(
            flow.next_deadline(now + Duration::from_millis(10_300)),
            Some(now + Duration::from_secs(11))
        );
        let open = now + LOCKOUT;
        assert_eq!(flow.pad_notice(open).unwrap().key, "staff.pad_open");
        type_pin(&mut flow, "2468", open);
        assert!(flow.unlocked());
        assert_eq!(
            press(&mut flow, StaffAction::Exit, open),
            vec![StaffEffect::Exit]
        );
    }

    #[test]
    fn a_workstation_without_a_pin_opens_the_menu_and_a_kiosk_never_does() {
        let now = Instant::now();
        let mut workstation = StaffFlow::new("", false, Duration::from_secs(90));
        press(&mut workstation, StaffAction::Open, now);
        assert!(workstation.unlocked());
        // Exit and the assisted session are kiosk things.
        assert!(press(&mut workstation, StaffAction::Exit, now).is_empty());
        let mut kiosk = StaffFlow::new("", true, Duration::from_secs(90));
        press(&mut kiosk, StaffAction::Open, now);
        assert_eq!(kiosk.screen(), &StaffScreen::Pad);
        type_pin(&mut kiosk, "0000", now);
        assert!(!kiosk.unlocked(), "an empty hash matches no PIN");
    }

    #[test]
    fn journal_export_and_settings_are_effects_whose_answers_become_notices() {
        let now = Instant::now();
        let mut flow = StaffFlow::new("", false, Duration::from_secs(90));
        press(&mut flow, StaffAction::Open, now);
        assert_eq!(
            press(&mut flow, StaffAction::Journal, now),
            vec![StaffEffect::ReadJournal(JOURNAL_ROWS_SHOWN)]
        );
        assert_eq!(flow.journal(), &JournalView::Reading);
        flow.handle(
            StaffInput::JournalRead(Err(JournalUnavailable::Failed("disk gone".into()))),
            now,
        );
        assert_eq!(flow.journal(), &JournalView::Unreadable("disk gone".into()));
        assert_eq!(
            press(&mut flow, StaffAction::ExportJournal, now),
            vec![StaffEffect::ExportJournal]
        );
        flow.handle(
            StaffInput::Exported(Ok((3, PathBuf::from("/data/exports/j.csv")))),
            now,
        );
        let notice = flow.notice().unwrap();
        assert!(notice.ok);
        assert_eq!(notice.key, "staff.exported");
        press(&mut flow, StaffAction::Settings, now);
        assert_eq!(flow.open_settings(draft()), vec![StaffEffect::ListCameras]);
        flow.handle(
            StaffInput::CamerasListed(vec![("0".into(), "0: USB camera".into())]),
            now,
        );
        flow.draft_mut().unwrap().idle_timeout_secs = 120;
        let effects = press(&mut flow, StaffAction::SaveSettings, now);
        let [StaffEffect::SaveSettings(saved)] = effects.as_slice() else {
            panic!("{effects:?}");
        };
        assert_eq!(saved.idle_timeout_secs, 120);
        assert_eq!(
            saved.camera_choices.len(),
            2,
            "the listed camera joined the choices"
        );
        flow.handle(
            StaffInput::Saved(Err(SaveProblem::NotWritten("read-only".into()))),
            now,
        );
        assert_eq!(flow.notice().unwrap().key, "staff.not_written");
        // One test at a time.
        assert_eq!(
            press(&mut flow, StaffAction::TestConnection, now),
            vec![StaffEffect::TestConnection]
        );
        assert!(press(&mut flow, StaffAction::TestConnection, now).is_empty());
        flow.handle(StaffInput::ConnectionChecked(true, "Connected".into()), now);
        assert!(!flow.testing());
        assert_eq!(flow.notice().unwrap().key, "staff.connection_ok");
    }

    #[test]
    fn a_staff_screen_left_alone_closes_at_the_idle_timeout_and_wipes_the_pad() {
        let hash = hash_pin("2468").unwrap();
        let now = Instant::now();
        let idle = Duration::from_secs(25);
        let mut flow = StaffFlow::new(&hash, true, idle);
        assert_eq!(flow.next_deadline(now), None);
        press(&mut flow, StaffAction::Open, now);
        press(&mut flow, StaffAction::Digit('2'), now);
        assert_eq!(flow.typed(), 1);
        assert_eq!(flow.next_deadline(now), Some(now + idle));
        flow.handle(StaffInput::Tick, now + idle - Duration::from_millis(1));
        assert_eq!(flow.screen(), &StaffScreen::Pad);
        flow.handle(StaffInput::Tick, now + idle);
        assert_eq!(flow.screen(), &StaffScreen::Closed);
        assert_eq!(flow.typed(), 0);
        // A late answer to a closed screen changes nothing.
        flow.handle(StaffInput::JournalRead(Ok(Vec::new())), now + idle);
        assert_eq!(flow.journal(), &JournalView::Reading);
    }
}
