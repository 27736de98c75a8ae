//! Guidance while the customer holds the document up or faces the camera: the one hint worth
//! reading now, and when to take the photo by itself. Pure decisions, fed with the quality
//! engine's reports and the clock, like the flow; the capture screen draws what they say and the
//! app does what they ask.
//!
//! - [`hint_for_document`] and [`hint_for_face`] turn a report's most important problem into one
//!   short instruction;
//! - [`HintSelector`] keeps a hint on screen long enough to read: a new one must be the clear
//!   majority of the recent reports and the old one must have been up for a while, so hints never
//!   flicker;
//! - [`AutoCapture`] takes the photo when every check has passed, on a steady picture, for long
//!   enough, after a visible countdown; and goes on watching when the still itself fails.

use std::time::{Duration, Instant};

use crate::quality::{Corner, DocumentProblem, DocumentReport, FaceProblem, FaceReport, Problem};

/// One short instruction to the customer; each is one translation key (`hint.*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Hint {
    /// No document in sight.
    ShowDocument,
    /// Part of the document is outside the picture.
    WholeDocument,
    /// The document is too far away.
    MoveCloser,
    /// The picture is blurred: the document (or the face) moved, or is out of focus.
    HoldStill,
    /// A reflection hides part of the document.
    TiltForGlare,
    /// Too dark.
    MoreLight,
    /// Too bright.
    LessLight,
    /// No face in sight.
    ShowFace,
    /// More than one face.
    OnePerson,
    /// The face is too far away.
    FaceCloser,
    /// The face is not in the oval.
    IntoOval,
    /// Every check passes: hold on while the photo is taken.
    Ready,
}

impl Hint {
    /// Every hint, for the translation checks.
    pub const ALL: [Hint; 12] = [
        Hint::ShowDocument,
        Hint::WholeDocument,
        Hint::MoveCloser,
        Hint::HoldStill,
        Hint::TiltForGlare,
        Hint::MoreLight,
        Hint::LessLight,
        Hint::ShowFace,
        Hint::OnePerson,
        Hint::FaceCloser,
        Hint::IntoOval,
        Hint::Ready,
    ];

    /// The translation key of the sentence shown (and later spoken).
    pub fn key(self) -> &'static str {
        match self {
            Hint::ShowDocument => "hint.show_document",
            Hint::WholeDocument => "hint.whole_document",
            Hint::MoveCloser => "hint.move_closer",
            Hint::HoldStill => "hint.hold_still",
            Hint::TiltForGlare => "hint.tilt_for_glare",
            Hint::MoreLight => "hint.more_light",
            Hint::LessLight => "hint.less_light",
            Hint::ShowFace => "hint.show_face",
            Hint::OnePerson => "hint.one_person",
            Hint::FaceCloser => "hint.face_closer",
            Hint::IntoOval => "hint.into_oval",
            Hint::Ready => "hint.ready",
        }
    }
}

/// What to tell the customer about a problem: the instruction that fixes it (Ready when there
/// is none). Live on the capture screen, and as the reason on the review of a photo that failed.
pub fn hint_for(problem: Option<Problem>) -> Hint {
    match problem {
        None => Hint::Ready,
        Some(Problem::Document(problem)) => match problem {
            DocumentProblem::NoDocument => Hint::ShowDocument,
            DocumentProblem::CutOff => Hint::WholeDocument,
            DocumentProblem::TooSmall => Hint::MoveCloser,
            DocumentProblem::Blurry => Hint::HoldStill,
            DocumentProblem::Glare => Hint::TiltForGlare,
            DocumentProblem::TooDark => Hint::MoreLight,
            DocumentProblem::TooBright => Hint::LessLight,
        },
        Some(Problem::Face(problem)) => match problem {
            FaceProblem::NoFace => Hint::ShowFace,
            FaceProblem::MultipleFaces => Hint::OnePerson,
            FaceProblem::FaceTooSmall => Hint::FaceCloser,
            FaceProblem::FaceOffCentre => Hint::IntoOval,
            FaceProblem::Blurry => Hint::HoldStill,
            FaceProblem::TooDark => Hint::MoreLight,
            FaceProblem::TooBright => Hint::LessLight,
        },
    }
}

/// What to tell the customer about a document report (its problems come most important first).
pub fn hint_for_document(report: &DocumentReport) -> Hint {
    hint_for(report.problems.first().copied().map(Problem::Document))
}

/// What to tell the customer about a face report.
pub fn hint_for_face(report: &FaceReport) -> Hint {
    hint_for(report.problems.first().copied().map(Problem::Face))
}

/// The reports a hint is chosen from: those of the last this long.
pub const HINT_WINDOW: Duration = Duration::from_millis(600);
/// A hint stays on screen at least this long (so at most two changes a second).
pub const HINT_MIN_SHOWN: Duration = Duration::from_millis(500);
/// The share of the window's reports a new hint needs to replace the one shown.
const HINT_MAJORITY: f32 = 0.6;

/// The hint on screen, changed with hysteresis: a new hint must be the clear majority of the
/// recent reports (a problem seen on every other frame of an analysis that wavers between two
/// readings does not make the text jump), and the one shown must have been up long enough to
/// read.
#[derive(Clone, Debug, Default)]
pub struct HintSelector {
    shown: Option<(Hint, Instant)>,
    recent: std::collections::VecDeque<(Hint, Instant)>,
}

impl HintSelector {
    /// Takes the hint of the newest report; returns the hint to show.
    pub fn update(&mut self, hint: Hint, now: Instant) -> Hint {
        self.recent.push_back((hint, now));
        while self
            .recent
            .front()
            .is_some_and(|(_, at)| now.duration_since(*at) > HINT_WINDOW)
        {
            self.recent.pop_front();
        }
        let Some((shown, shown_at)) = self.shown else {
            // The first hint of a screen shows at once.
            self.shown = Some((hint, now));
            return hint;
        };
        let votes = self.recent.iter().filter(|(h, _)| *h == hint).count();
        let majority = votes as f32 >= HINT_MAJORITY * self.recent.len() as f32;
        let read = now.duration_since(shown_at) >= HINT_MIN_SHOWN;
        if hint != shown && majority && read {
            self.shown = Some((hint, now));
            hint
        } else {
            shown
        }
    }

    /// The hint on screen, if any report came yet.
    pub fn shown(&self) -> Option<Hint> {
        self.shown.map(|(hint, _)| hint)
    }
}

/// The timings of auto-capture (`[quality] auto_capture` turns it on).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AutoCaptureSettings {
    /// Every check must pass, on a steady picture, this long before the countdown starts.
    pub steady_for: Duration,
    /// The countdown ring's run; the photo is taken when it closes.
    pub countdown: Duration,
    /// The furthest a corner may move from one report to the next and count as steady, as a
    /// share of the frame's diagonal.
    pub max_motion: f32,
    /// Reports older than this no longer count (the analysis stalled or the camera stopped).
    pub report_timeout: Duration,
}

impl Default for AutoCaptureSettings {
    fn default() -> Self {
        Self {
            steady_for: Duration::from_millis(700),
            countdown: Duration::from_millis(400),
            max_motion: 0.015,
            report_timeout: Duration::from_millis(400),
        }
    }
}

/// What one analysed preview frame says, in the frame's own shares (0 to 1 across and down), so
/// that the preview's size does not matter.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FrameVerdict {
    /// Every check passed.
    pub usable: bool,
    /// The document's corners, or the face box's, as shares of the frame.
    pub outline: Option<[Corner; 4]>,
}

/// Where auto-capture is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AutoState {
    /// Waiting for a good, steady picture.
    Watching,
    /// Good and steady.
    Steady {
        /// Since the first good, steady report.
        since: Instant,
    },
    /// The countdown ring runs.
    Countdown {
        /// When it started.
        started: Instant,
    },
    /// A still was asked of the camera (by the countdown or by "Take photo"); its verdict is
    /// awaited.
    Taking,
}

/// What auto-capture asks the app to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AutoAction {
    /// Take the full-resolution still now.
    TakeStill,
}

/// Outlines kept to judge steadiness against.
const RECENT_OUTLINES: usize = 5;

/// The decision to take the photo by itself.
#[derive(Clone, Debug)]
pub struct AutoCapture {
    settings: AutoCaptureSettings,
    enabled: bool,
    state: AutoState,
    /// The newest reports' outlines (oldest first), and when the newest came.
    recent: std::collections::VecDeque<[Corner; 4]>,
    last_report: Option<Instant>,
    /// Good reports in a row whose outline strayed from the recent ones.
    wobbles: u8,
    /// When the previous report came, if it passed every check.
    previous_usable: Option<Instant>,
}

impl AutoCapture {
    /// `enabled` false: it never takes a photo by itself ("Take photo" still works).
    pub fn new(settings: AutoCaptureSettings, enabled: bool) -> Self {
        Self {
            settings,
            enabled,
            state: AutoState::Watching,
            recent: std::collections::VecDeque::new(),
            last_report: None,
            wobbles: 0,
            previous_usable: None,
        }
    }

    /// Whether `outline` is where the recent outlines are: within `max_motion` of their median,
    /// corner by corner. The median, because an outline finder can misplace an edge on one
    /// frame of a steady document (noise, a shadow): one stray frame must not look like motion.
    fn steady(&self, outline: &[Corner; 4]) -> bool {
        if self.recent.is_empty() {
            return false;
        }
        let mut median = [[0.0f32; 2]; 4];
        for (corner, point) in median.iter_mut().enumerate() {
            for (axis, value) in point.iter_mut().enumerate() {
                let mut values: Vec<f32> = self.recent.iter().map(|o| o[corner][axis]).collect();
                values.sort_by(f32::total_cmp);
                *value = values[values.len() / 2];
            }
        }
        largest_motion(&median, outline) <= self.settings.max_motion
    }

    fn forget_outlines(&mut self) {
        self.recent.clear();
        self.last_report = None;
        self.wobbles = 0;
    }

    /// Where it is.
    pub fn state(&self) -> AutoState {
        self.state
    }

    /// A new preview frame's verdict.
    pub fn report(&mut self, verdict: FrameVerdict, now: Instant) -> Option<AutoAction> {
        let fresh = self
            .last_report
            .is_some_and(|at| now.duration_since(at) <= self.settings.report_timeout);
        if !fresh {
            self.recent.clear();
        }
        let steady = verdict.outline.is_some_and(|outline| self.steady(&outline));
        match verdict.outline {
            Some(outline) => {
                if self.recent.len() == RECENT_OUTLINES {
                    self.recent.pop_front();
                }
                self.recent.push_back(outline);
            }
            None => self.recent.clear(),
        }
        self.last_report = Some(now);
        // A steady spell starts at the first good report of it, not at the second, which is
        // only the first that can be compared with another: at 10 frames a second that is
        // 100 ms of the customer's wait.
        let good_since = self.previous_usable.filter(|_| fresh).unwrap_or(now);
        self.previous_usable = (verdict.usable && verdict.outline.is_some()).then_some(now);
        if !self.enabled || self.state == AutoState::Taking {
            return None;
        }
        // One stray outline on a good frame is tolerated; two in a row are motion.
        self.wobbles = if steady {
            0
        } else {
            self.wobbles.saturating_add(1)
        };
        let moving = self.wobbles >= 2 || matches!(self.state, AutoState::Watching) && !steady;
        if !verdict.usable || moving {
            self.state = AutoState::Watching;
            return None;
        }
        self.state = match self.state {
            AutoState::Watching => AutoState::Steady { since: good_since },
            AutoState::Steady { since }
                if now.duration_since(since) >= self.settings.steady_for =>
            {
                AutoState::Countdown { started: now }
            }
            AutoState::Countdown { started }
                if now.duration_since(started) >= self.settings.countdown =>
            {
                self.state = AutoState::Taking;
                return Some(AutoAction::TakeStill);
            }
            other => other,
        };
        None
    }

    /// The clock: a countdown or a steady spell with no fresh report ends; a countdown that ran
    /// its time on fresh, good reports takes the photo without waiting for the next one.
    pub fn tick(&mut self, now: Instant) -> Option<AutoAction> {
        let stale = self
            .last_report
            .is_none_or(|at| now.duration_since(at) > self.settings.report_timeout);
        match self.state {
            AutoState::Steady { .. } | AutoState::Countdown { .. } if stale => {
                self.state = AutoState::Watching;
                None
            }
            AutoState::Countdown { started }
                if now.duration_since(started) >= self.settings.countdown =>
            {
                self.state = AutoState::Taking;
                Some(AutoAction::TakeStill)
            }
            _ => None,
        }
    }

    /// The customer pressed "Take photo".
    pub fn manual(&mut self) {
        self.state = AutoState::Taking;
    }

    /// The still was taken and judged: unusable (the customer moved at the last moment) means
    /// watching again; a usable one leaves the screen, and the next screen starts afresh.
    pub fn still_judged(&mut self, usable: bool) {
        if !usable {
            // The outlines seen stay: if the document did not move, the next steady spell
            // starts at once.
            self.state = AutoState::Watching;
        }
    }

    /// The camera gave no still: watch again.
    pub fn still_failed(&mut self) {
        self.state = AutoState::Watching;
        self.forget_outlines();
    }

    /// How far the countdown ring has run, 0 to 1, while it runs.
    pub fn countdown(&self, now: Instant) -> Option<f32> {
        match self.state {
            AutoState::Countdown { started } => {
                let run = now.duration_since(started).as_secs_f32();
                Some((run / self.settings.countdown.as_secs_f32()).clamp(0.0, 1.0))
            }
            _ => None,
        }
    }

    /// When the next decision falls due without a new report (a countdown's end, a report
    /// going stale), so that a sleeping window wakes for it.
    pub fn next_deadline(&self) -> Option<Instant> {
        match self.state {
            AutoState::Steady { .. } => self
                .last_report
                .map(|at| at + self.settings.report_timeout + Duration::from_millis(1)),
            AutoState::Countdown { started } => {
                let stale = self
                    .last_report
                    .map(|at| at + self.settings.report_timeout + Duration::from_millis(1));
                let end = started + self.settings.countdown;
                Some(stale.map_or(end, |stale| stale.min(end)))
            }
            _ => None,
        }
    }
}

/// The furthest any corner moved between two outlines, as a share of the frame's diagonal (the
/// outlines are in shares of the frame, whose diagonal is then √2).
fn largest_motion(before: &[Corner; 4], after: &[Corner; 4]) -> f32 {
    before
        .iter()
        .zip(after)
        .map(|(a, b)| ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt())
        .fold(0.0, f32::max)
        / std::f32::consts::SQRT_2
}

/// A face box (x, y, w, h in pixels of a `width` x `height` frame) as four corners in shares of
/// the frame, clockwise from the top-left, so that a face's steadiness is judged like a
/// document's.
pub fn face_outline(face: [u32; 4], width: u32, height: u32) -> [Corner; 4] {
    let (w, h) = (width.max(1) as f32, height.max(1) as f32);
    let [x, y, fw, fh] = face.map(|v| v as f32);
    [
        [x / w, y / h],
        [(x + fw) / w, y / h],
        [(x + fw) / w, (y + fh) / h],
        [x / w, (y + fh) / h],
    ]
}

/// Document corners in a `width` x `height` frame's pixels, as shares of the frame.
pub fn shares_of_frame(corners: &[Corner; 4], width: u32, height: u32) -> [Corner; 4] {
    let (w, h) = (width.max(1) as f32, height.max(1) as f32);
    corners.map(|[x, y]| [x / w, y / h])
}

#[cfg(test)]
mod tests {
    use super::*;

    const CARD: [Corner; 4] = [[0.2, 0.2], [0.8, 0.2], [0.8, 0.7], [0.2, 0.7]];

    fn good() -> FrameVerdict {
        FrameVerdict {
            usable: true,
            outline: Some(CARD),
        }
    }

    fn moved(by: f32) -> FrameVerdict {
        FrameVerdict {
            usable: true,
            outline: Some(CARD.map(|[x, y]| [x + by, y])),
        }
    }

    /// Feeds `verdict` every `every` from `start` for `for_how_long`; returns when a still was
    /// asked, if it was.
    fn feed(
        auto: &mut AutoCapture,
        start: Instant,
        every: Duration,
        for_how_long: Duration,
        verdict: impl Fn(u32) -> FrameVerdict,
    ) -> Option<Duration> {
        let mut n = 0;
        while every * n <= for_how_long {
            let now = start + every * n;
            if auto.tick(now) == Some(AutoAction::TakeStill)
                || auto.report(verdict(n), now) == Some(AutoAction::TakeStill)
            {
                return Some(every * n);
            }
            n += 1;
        }
        None
    }

    /// A fresh auto-capture fed `verdict` every `every` for `for_how_long`: when it took the photo.
    fn watch(
        every: Duration,
        for_how_long: Duration,
        verdict: impl Fn(u32) -> FrameVerdict,
    ) -> Option<Duration> {
        let mut auto = AutoCapture::new(AutoCaptureSettings::default(), true);
        feed(&mut auto, Instant::now(), every, for_how_long, verdict)
    }

    /// An auto-capture fed good frames every `every` until its countdown runs; and the time.
    fn in_countdown(every: Duration) -> (AutoCapture, Instant) {
        let mut auto = AutoCapture::new(AutoCaptureSettings::default(), true);
        let mut now = Instant::now();
        while auto.countdown(now).is_none() {
            now += every;
            auto.report(good(), now);
        }
        (auto, now)
    }

    #[test]
    fn a_good_steady_document_is_taken_after_the_steady_spell_and_the_countdown() {
        let mut auto = AutoCapture::new(AutoCaptureSettings::default(), true);
        let start = Instant::now();
        let frame = Duration::from_millis(50);
        let taken = feed(&mut auto, start, frame, Duration::from_secs(3), |_| good());
        let taken = taken.expect("a good, steady document is taken by itself");
        // The steady spell counts from the first good report (found steady at the second,
        // the first that has another to compare with): 0.7 s steady, then the 0.4 s
        // countdown, so the photo is asked exactly 1.1 s after the first report.
        assert_eq!(taken, Duration::from_millis(1100), "{taken:?}");
        assert_eq!(auto.state(), AutoState::Taking);
        // No second still while the first is judged.
        assert_eq!(auto.report(good(), start + Duration::from_secs(4)), None);
    }

    #[test]
    fn a_countdown_runs_visibly_before_the_photo() {
        let mut auto = AutoCapture::new(AutoCaptureSettings::default(), true);
        let start = Instant::now();
        let frame = Duration::from_millis(50);
        let mut seen = Vec::new();
        for n in 0..40 {
            let now = start + frame * n;
            if auto.report(good(), now).is_some() {
                break;
            }
            seen.extend(auto.countdown(now));
        }
        assert!(
            seen.len() >= 8,
            "the ring shows for the countdown: {seen:?}"
        );
        assert!(seen.windows(2).all(|w| w[0] <= w[1]), "{seen:?}");
        assert!(seen.first().is_some_and(|first| *first < 0.2), "{seen:?}");
    }

    #[test]
    fn a_moving_document_is_never_taken() {
        // 1% of the width each frame (a fifth of it a second): a hand bringing the card in.
        let frame = Duration::from_millis(50);
        let taken = watch(frame, Duration::from_secs(5), |n| {
            moved(0.01 * (n % 60) as f32)
        });
        assert_eq!(taken, None);
        // Shaking: far off the steady place every other frame.
        let taken = watch(frame, Duration::from_secs(5), |n| {
            moved(if n % 3 == 0 {
                0.0
            } else {
                0.04 * (n % 3) as f32
            })
        });
        assert_eq!(taken, None);
    }

    #[test]
    fn one_stray_outline_on_a_steady_document_does_not_stop_it() {
        // One frame in six misplaces an edge by 5% (seen on real composites with sensor noise).
        let frame = Duration::from_millis(100);
        let taken = watch(frame, Duration::from_secs(4), |n| {
            moved(if n % 6 == 5 { 0.05 } else { 0.0 })
        });
        assert!(
            taken.is_some_and(|at| at <= Duration::from_millis(1600)),
            "{taken:?}"
        );
    }

    #[test]
    fn small_tremor_still_counts_as_steady() {
        let frame = Duration::from_millis(50);
        let taken = watch(frame, Duration::from_secs(3), |n| {
            moved(if n % 2 == 0 { 0.0 } else { 0.004 })
        });
        assert!(taken.is_some());
    }

    #[test]
    fn one_failed_check_restarts_the_steady_spell_and_stops_the_countdown() {
        // A glint every 600 ms: the 700 ms of good frames never come.
        let frame = Duration::from_millis(50);
        let taken = watch(frame, Duration::from_secs(5), |n| {
            if n % 12 == 11 {
                FrameVerdict {
                    usable: false,
                    outline: Some(CARD),
                }
            } else {
                good()
            }
        });
        assert_eq!(taken, None);

        // A failure during the countdown stops the ring.
        let (mut auto, mut now) = in_countdown(frame);
        now += frame;
        let glare = FrameVerdict {
            usable: false,
            outline: Some(CARD),
        };
        assert_eq!(auto.report(glare, now), None);
        assert_eq!(auto.countdown(now), None);
        assert_eq!(auto.state(), AutoState::Watching);
    }

    #[test]
    fn a_stalled_analysis_ends_the_countdown_instead_of_firing_on_an_old_report() {
        let frame = Duration::from_millis(50);
        let (mut auto, now) = in_countdown(frame);
        let due = auto.next_deadline().expect("a countdown wakes the window");
        assert!(due > now);
        // No report came since: the countdown ends instead of firing.
        let stale = now + AutoCaptureSettings::default().report_timeout + frame;
        assert_eq!(auto.tick(stale), None);
        assert_eq!(auto.state(), AutoState::Watching);
        let due = stale;
        // A report after the gap has nothing fresh to compare with: no instant photo.
        assert_eq!(auto.report(good(), due + frame), None);
        assert!(matches!(auto.state(), AutoState::Watching));
    }

    #[test]
    fn a_failed_still_goes_back_to_watching_and_a_manual_photo_waits_for_its_verdict() {
        let mut auto = AutoCapture::new(AutoCaptureSettings::default(), true);
        let start = Instant::now();
        let frame = Duration::from_millis(50);
        feed(&mut auto, start, frame, Duration::from_secs(3), |_| good()).unwrap();
        auto.still_judged(false);
        assert_eq!(auto.state(), AutoState::Watching);
        let again = feed(
            &mut auto,
            start + Duration::from_secs(4),
            frame,
            Duration::from_secs(3),
            |_| good(),
        );
        assert!(again.is_some(), "capture goes on by itself");

        let mut auto = AutoCapture::new(AutoCaptureSettings::default(), true);
        auto.manual();
        assert_eq!(auto.state(), AutoState::Taking);
        auto.still_failed();
        assert_eq!(auto.state(), AutoState::Watching);
    }

    #[test]
    fn switched_off_it_never_takes_a_photo() {
        let mut auto = AutoCapture::new(AutoCaptureSettings::default(), false);
        let start = Instant::now();
        let frame = Duration::from_millis(50);
        let taken = feed(&mut auto, start, frame, Duration::from_secs(5), |_| good());
        assert_eq!(taken, None);
        assert_eq!(auto.countdown(start + Duration::from_secs(5)), None);
    }

    #[test]
    fn hints_change_at_most_twice_a_second_and_only_after_leading() {
        let mut hints = HintSelector::default();
        let start = Instant::now();
        let frame = Duration::from_millis(33);
        // Flickering problems, a new leader every frame: the first hint stays.
        let mut changes = 0;
        let mut shown = hints.update(Hint::MoveCloser, start);
        for n in 1..90 {
            let hint = if n % 2 == 0 {
                Hint::HoldStill
            } else {
                Hint::TiltForGlare
            };
            let now = start + frame * n;
            let next = hints.update(hint, now);
            if next != shown {
                changes += 1;
                shown = next;
            }
        }
        assert_eq!(changes, 0, "a hint that is no clear majority never shows");

        // A steady new problem shows after it has led for the settle time.
        let mut hints = HintSelector::default();
        hints.update(Hint::MoveCloser, start);
        let mut switched = None;
        for n in 1..60 {
            let now = start + frame * n;
            if hints.update(Hint::HoldStill, now) == Hint::HoldStill {
                switched = Some(frame * n);
                break;
            }
        }
        let switched = switched.expect("the new hint shows");
        assert!(switched >= HINT_MIN_SHOWN && switched <= HINT_MIN_SHOWN + frame);

        // A problem on three frames in four (the analysis wavers on the fourth) shows.
        let mut hints = HintSelector::default();
        hints.update(Hint::WholeDocument, start);
        let frame = Duration::from_millis(100);
        let mut shown = Hint::WholeDocument;
        for n in 1..20 {
            let hint = if n % 4 == 0 {
                Hint::WholeDocument
            } else {
                Hint::TiltForGlare
            };
            shown = hints.update(hint, start + frame * n);
        }
        assert_eq!(shown, Hint::TiltForGlare);
        let frame = Duration::from_millis(33);

        // Alternating slowly (every 400 ms): never more than two changes in any second.
        let mut hints = HintSelector::default();
        let mut change_times = Vec::new();
        let mut shown = hints.update(Hint::MoveCloser, start);
        for n in 1..300 {
            let now = start + frame * n;
            let hint = if (n * 33 / 400) % 2 == 0 {
                Hint::MoveCloser
            } else {
                Hint::MoreLight
            };
            let next = hints.update(hint, now);
            if next != shown {
                change_times.push(now);
                shown = next;
            }
        }
        assert!(!change_times.is_empty());
        for window in change_times.windows(3) {
            assert!(window[2].duration_since(window[0]) >= Duration::from_secs(1));
        }
    }

    #[test]
    fn every_problem_has_its_own_hint() {
        use std::collections::HashSet;
        let document = [
            DocumentProblem::NoDocument,
            DocumentProblem::CutOff,
            DocumentProblem::TooSmall,
            DocumentProblem::Blurry,
            DocumentProblem::Glare,
            DocumentProblem::TooDark,
            DocumentProblem::TooBright,
        ]
        .map(|problem| {
            hint_for_document(&DocumentReport {
                problems: vec![problem],
                ..DocumentReport::default()
            })
        });
        assert_eq!(document.iter().collect::<HashSet<_>>().len(), 7);
        assert_eq!(hint_for_document(&DocumentReport::default()), Hint::Ready);
        let face = [
            FaceProblem::NoFace,
            FaceProblem::MultipleFaces,
            FaceProblem::FaceTooSmall,
            FaceProblem::FaceOffCentre,
            FaceProblem::Blurry,
            FaceProblem::TooDark,
            FaceProblem::TooBright,
        ]
        .map(|problem| {
            hint_for_face(&FaceReport {
                face: None,
                metrics: Default::default(),
                problems: vec![problem],
            })
        });
        assert_eq!(face.iter().collect::<HashSet<_>>().len(), 7);
        let keys: HashSet<_> = Hint::ALL.iter().map(|hint| hint.key()).collect();
        assert_eq!(keys.len(), Hint::ALL.len());
    }

    #[test]
    fn outlines_are_shares_of_the_frame() {
        assert_eq!(
            face_outline([480, 270, 960, 540], 1920, 1080),
            [[0.25, 0.25], [0.75, 0.25], [0.75, 0.75], [0.25, 0.75]]
        );
        assert_eq!(
            shares_of_frame(
                &[[0.0, 0.0], [1920.0, 0.0], [1920.0, 1080.0], [0.0, 1080.0]],
                1920,
                1080
            ),
            [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]
        );
    }
}
