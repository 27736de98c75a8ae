//! The real binary in demo mode under Xvfb: a window opens and shows the Welcome screen.
//! Needs Xvfb and ImageMagick's `import` (scripts/deps-debian.sh installs them).

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
    let mut xvfb = Command::new("Xvfb")
        .args([
            "-displayfd",
            "1",
            "-screen",
            "0",
            "1280x800x24",
            "-nolisten",
            "tcp",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("Xvfb is needed: run scripts/deps-debian.sh");
    let mut line = String::new();
    BufReader::new(xvfb.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    (Running(xvfb), format!(":{}", line.trim()))
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

#[test]
fn demo_window_shows_the_welcome_screen() {
    let (_xvfb, display) = start_xvfb();
    let config_dir = tempfile::tempdir().unwrap();
    let config = config_dir.path().join("config.toml");
    std::fs::write(&config, "").unwrap();
    let _kiosk = Running(
        Command::new(env!("CARGO_BIN_EXE_markid-kiosk"))
            .arg("--config")
            .arg(&config)
            .env("DISPLAY", &display)
            .env_remove("WAYLAND_DISPLAY")
            .env_remove("MARKID_API_KEY")
            .env_remove("MARKID_API_SECRET")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
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
