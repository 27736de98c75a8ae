//! The real binary in demo mode under Xvfb: a window opens and shows the Welcome screen; and,
//! read over AT-SPI as a screen reader reads it, a session left alone warns and ends on time
//! with no input at all (kittest steps frames continuously, so only a real window shows whether
//! the app wakes by itself). Needs Xvfb, ImageMagick's `import`, a D-Bus session bus, the
//! AT-SPI bus and Debian's python3-pyatspi (scripts/deps-debian.sh installs them).

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test set-up panics on a missing tool, which is the failure we want"
)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Kills a child process when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts Xvfb on a free display (it writes the number it chose) and returns it.
fn start_xvfb() -> (Running, String) {
    let mut xvfb = Command::new("Xvfb");
    xvfb.args([
        "-displayfd",
        "1",
        "-screen",
        "0",
        "1280x800x24",
        "-nolisten",
        "tcp",
    ]);
    let (xvfb, display) = start_and_read_line(xvfb, "Xvfb");
    (xvfb, format!(":{display}"))
}

/// Starts `command` and returns it with the first line it prints (a display number, a bus
/// address).
fn start_and_read_line(mut command: Command, what: &str) -> (Running, String) {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|_| panic!("{what} is needed: run scripts/deps-debian.sh"));
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    (Running(child), line.trim().to_owned())
}

fn screenshot(display: &str) -> Option<image::RgbImage> {
    let output = Command::new("import")
        .args(["-display", display, "-window", "root", "png:-"])
        .output()
        .ok()?;
    image::load_from_memory(&output.stdout)
        .ok()
        .map(|image| image.into_rgb8())
}

fn has_colour(image: &image::RgbImage, colour: [u8; 3]) -> bool {
    image.pixels().filter(|p| p.0 == colour).count() > 200
}

/// The kiosk binary in demo mode (no credentials) on `display`, with `config`.
fn kiosk(config: &std::path::Path, display: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_markid-kiosk"));
    command
        .arg("--config")
        .arg(config)
        .env("DISPLAY", display)
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("MARKID_API_KEY")
        .env_remove("MARKID_API_SECRET")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

#[test]
fn demo_window_shows_the_welcome_screen() {
    let (_xvfb, display) = start_xvfb();
    let config_dir = tempfile::tempdir().unwrap();
    let config = config_dir.path().join("config.toml");
    std::fs::write(&config, "").unwrap();
    let _kiosk = Running(kiosk(&config, &display).spawn().unwrap());
    // No credentials in the config: demo mode, so the DEMO badge and the Start button show.
    let demo_badge = [0xB4, 0x53, 0x09];
    let start_button = [0x1D, 0x4E, 0xD8];
    let started = Instant::now();
    loop {
        let shot = screenshot(&display);
        if let Some(shot) = &shot
            && has_colour(shot, demo_badge)
            && has_colour(shot, start_button)
        {
            let distinct: std::collections::HashSet<[u8; 3]> = shot.pixels().map(|p| p.0).collect();
            assert!(distinct.len() > 20, "the window has text, not a blank fill");
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no Welcome screen within 60 s on {display}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// A session bus and the AT-SPI bus on it, for one display, stopped with the test.
struct AccessibilityBus {
    address: String,
    _dbus: Running,
    _launcher: Running,
}

fn start_accessibility_bus(display: &str) -> AccessibilityBus {
    let mut dbus = Command::new("dbus-daemon");
    dbus.args(["--session", "--nofork", "--print-address=1"]);
    let (dbus, address) = start_and_read_line(dbus, "dbus-daemon");
    let launcher = Command::new("/usr/libexec/at-spi-bus-launcher")
        .arg("--launch-immediately")
        .env("DBUS_SESSION_BUS_ADDRESS", &address)
        .env("DISPLAY", display)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("at-spi-bus-launcher is needed: run scripts/deps-debian.sh");
    // Assistive technology is on, as when a screen reader runs: AccessKit then serves the tree.
    let started = Instant::now();
    loop {
        let enabled = Command::new("dbus-send")
            .args([
                "--session",
                "--print-reply",
                "--dest=org.a11y.Bus",
                "/org/a11y/bus",
                "org.freedesktop.DBus.Properties.Set",
                "string:org.a11y.Status",
                "string:IsEnabled",
                "variant:boolean:true",
            ])
            .env("DBUS_SESSION_BUS_ADDRESS", &address)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        if enabled.success() {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the AT-SPI bus did not start"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    AccessibilityBus {
        address,
        _dbus: dbus,
        _launcher: Running(launcher),
    }
}

/// The kiosk's window as a screen reader sees it, through `tests/support/atspi_probe.py`.
struct ScreenReader<'a> {
    bus: &'a AccessibilityBus,
    display: &'a str,
}

impl ScreenReader<'_> {
    fn probe(&self, args: &[&str]) -> std::process::Output {
        Command::new("/usr/bin/python3")
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/support/atspi_probe.py"
            ))
            .args(args)
            .env("DBUS_SESSION_BUS_ADDRESS", &self.bus.address)
            .env("DISPLAY", self.display)
            .output()
            .expect("python3-pyatspi is needed: run scripts/deps-debian.sh")
    }

    /// Every text in the window's accessibility tree.
    fn texts(&self) -> Vec<String> {
        let output = self.probe(&["texts", APP_NAME]);
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .map(str::to_owned)
            .collect()
    }

    fn shows(&self, text: &str) -> bool {
        self.texts().iter().any(|t| t == text)
    }

    /// Waits until the window shows `text`; returns when it first did.
    fn wait_for(&self, text: &str, within: Duration) -> Instant {
        let started = Instant::now();
        loop {
            let texts = self.texts();
            if texts.iter().any(|t| t == text) {
                return Instant::now();
            }
            assert!(
                started.elapsed() < within,
                "{text:?} not shown within {within:?}; the window shows {texts:?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Presses the control labelled `label`, as a screen reader's "activate" does.
    fn press(&self, label: &str) {
        let started = Instant::now();
        while !self.probe(&["press", APP_NAME, label]).status.success() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "no control {label:?}; the window shows {:?}",
                self.texts()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// From Welcome through a passport's two photos (the demo camera's scenes, which pass every
    /// check, so each photo is taken by itself: no press on "Take photo") to the summary; returns
    /// when the last press began and when the summary was first seen.
    fn passport_to_summary(&self) -> (Instant, Instant) {
        self.press("Start");
        self.press("Passport");
        self.wait_for("Check: Front of your document", Duration::from_secs(30));
        self.press("Use this photo");
        // The face's review: the summary follows the last press.
        self.wait_for("Check: Your face", Duration::from_secs(30));
        let pressed = Instant::now();
        self.press("Use this photo");
        let shown = self.wait_for("Ready to send", Duration::from_secs(20));
        (pressed, shown)
    }

    /// Waits, touching nothing, for the idle warning and then for Welcome; checks both came on
    /// time and that the screen stayed put before the warning. The screen appeared between
    /// `pressed` (just before the press that led to it) and `shown` (when the reader first saw
    /// it; polling a busy machine can lag): nothing may come before its time counted from the
    /// first, nor more than 3 s late counted from the second.
    fn left_alone(&self, pressed: Instant, shown: Instant, screen_text: &str) {
        let on_time = |what: &str, at: Instant, due: Duration| {
            let earliest = at.duration_since(shown);
            let latest = at.duration_since(pressed);
            assert!(
                latest + Duration::from_millis(200) >= due
                    && earliest <= due + Duration::from_secs(3),
                "{what} came {earliest:?} to {latest:?} after the screen, not {due:?}"
            );
        };
        let warning = self.wait_for(IDLE_TITLE, Duration::from_secs(15));
        on_time("the warning", warning, WARNING_AFTER);
        assert!(
            self.shows(screen_text),
            "{screen_text:?} is still behind the warning"
        );
        let welcome = self.wait_for(WELCOME_TITLE, Duration::from_secs(30));
        on_time("the end of the session", welcome, IDLE_TIMEOUT);
        assert!(!self.shows(IDLE_TITLE), "the warning went with the session");
    }
}

/// The window's application name on the accessibility bus (its app id).
const APP_NAME: &str = "markid-kiosk";
const WELCOME_TITLE: &str = "Verify your identity";
const IDLE_TITLE: &str = "Are you still there?";
const IDLE_TIMEOUT: Duration = Duration::from_secs(25);
/// `idle_timeout_secs` less `idle_warning_secs` (20, the shortest the config takes).
const WARNING_AFTER: Duration = Duration::from_secs(5);

/// The issue this guards: egui sleeps while nobody touches the screen, and nothing woke it when
/// the idle warning was due, so a customer's session (and photos) stayed up for the next one.
#[test]
fn a_real_window_left_alone_warns_ends_the_session_and_returns_by_itself() {
    let (_xvfb, display) = start_xvfb();
    let bus = start_accessibility_bus(&display);
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config.toml");
    let journal = home.path().join("journal.sqlite3");
    let logs = home.path().join("logs");
    std::fs::write(
        &config,
        format!(
            "[kiosk]\nidle_timeout_secs = {}\nidle_warning_secs = 20\nsuccess_return_secs = 3\n\
             [token]\ncountry = \"LT\"\n[journal]\npath = {:?}\n",
            IDLE_TIMEOUT.as_secs(),
            journal.display().to_string()
        ),
    )
    .unwrap();
    let _kiosk = Running(
        kiosk(&config, &display)
            .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
            .env("HOME", home.path())
            .env("XDG_DATA_HOME", home.path().join("data"))
            .env("XDG_CONFIG_HOME", home.path().join("config"))
            .env("MARKID_LOG_DIR", &logs)
            .spawn()
            .unwrap(),
    );
    let reader = ScreenReader {
        bus: &bus,
        display: &display,
    };
    reader.wait_for(WELCOME_TITLE, Duration::from_secs(60));

    // 1. Start, then nothing: the document choice warns, then ends the session.
    let pressed = Instant::now();
    reader.press("Start");
    let shown = reader.wait_for("Which document do you have?", Duration::from_secs(20));
    reader.left_alone(pressed, shown, "Which document do you have?");

    // 2. The summary, with the customer's photos in full view.
    let (pressed, shown) = reader.passport_to_summary();
    reader.left_alone(pressed, shown, "Ready to send");

    // 3. Sent: the thank-you screen returns to Welcome by itself.
    reader.passport_to_summary();
    reader.press("Send");
    let thanked = reader.wait_for("Thank you! Your photos were sent.", Duration::from_secs(30));
    let back = reader.wait_for(WELCOME_TITLE, Duration::from_secs(10));
    let returned_after = back.duration_since(thanked);
    assert!(
        returned_after <= Duration::from_secs(6),
        "Success returned after {returned_after:?}, not 3 s"
    );

    // 4. A staff screen left open closes after the idle timeout.
    reader.press("Staff");
    let opened = reader.wait_for("Test connection", Duration::from_secs(10));
    let started = Instant::now();
    while reader.shows("Test connection") {
        assert!(
            started.elapsed() < IDLE_TIMEOUT + Duration::from_secs(5),
            "the staff menu stayed open"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let closed_after = opened.elapsed();
    assert!(
        closed_after >= IDLE_TIMEOUT - Duration::from_secs(1),
        "the staff menu closed after {closed_after:?}, before the timeout"
    );

    // From outside the process: the journal has both abandoned sessions and the sent one, and
    // the log says each session's photos went with it.
    let csv = Command::new(env!("CARGO_BIN_EXE_markid-kiosk"))
        .arg("--config")
        .arg(&config)
        .args(["journal", "--csv", "-"])
        .env("HOME", home.path())
        .output()
        .unwrap();
    let csv = String::from_utf8_lossy(&csv.stdout);
    assert_eq!(csv.matches("timed_out").count(), 2, "{csv}");
    assert_eq!(csv.matches("accepted").count(), 1, "{csv}");
    let log: String = std::fs::read_dir(&logs)
        .unwrap()
        .map(|entry| std::fs::read_to_string(entry.unwrap().path()).unwrap())
        .collect();
    assert_eq!(
        log.matches("session over: its photos, previews and token wiped")
            .count(),
        3,
        "{log}"
    );
}
