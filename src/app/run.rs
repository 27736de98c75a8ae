//! The window's bootstrap: the config, the services (`Services::start`, shared with the
//! command line), then the window.

use std::path::Path;
use std::process::ExitCode;

use crate::config::LoadedConfig;
use crate::services::Services;

use super::KioskApp;

/// The installers' icon, also on the window (title bar, task switcher).
fn with_window_icon(viewport: egui::ViewportBuilder) -> egui::ViewportBuilder {
    const ICON_PNG: &[u8] = include_bytes!("../../assets/icons/markid-kiosk-128.png");
    match image::load_from_memory_with_format(ICON_PNG, image::ImageFormat::Png) {
        Ok(icon) => {
            let icon = icon.into_rgba8();
            viewport.with_icon(egui::IconData {
                width: icon.width(),
                height: icon.height(),
                rgba: icon.into_raw(),
            })
        }
        // The icon is built into the binary; a window without it still works.
        Err(_) => viewport,
    }
}

/// Runs the kiosk window. Demo mode (simulator, synthetic camera, DEMO badge) with `--demo` or
/// when no credentials are configured.
pub fn run_kiosk(config_path: Option<&Path>, demo: bool, kiosk: bool) -> ExitCode {
    let loaded = match LoadedConfig::load(config_path) {
        Ok(loaded) => loaded,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    let mut config = loaded.config;
    let config_path = loaded.path;
    config.kiosk.kiosk_mode |= kiosk;
    if config.kiosk.kiosk_mode && config.kiosk.staff_pin_hash.is_empty() {
        eprintln!(
            "error: kiosk mode needs a staff PIN: run `markid-kiosk hash-pin` and put its output in [kiosk] staff_pin_hash"
        );
        return ExitCode::from(2);
    }
    let kiosk_mode = config.kiosk.kiosk_mode;
    let demo = demo || !config.has_credentials();
    let services = match Services::start(&mut config, demo) {
        Ok(services) => services,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    let options = eframe::NativeOptions {
        viewport: with_window_icon(
            egui::ViewportBuilder::default()
                .with_inner_size([1280.0, 800.0])
                .with_title("Mark ID kiosk")
                // The desktop entry's StartupWMClass and the Wayland app id: docks group the
                // window under the installed icon.
                .with_app_id("markid-kiosk")
                .with_fullscreen(kiosk_mode)
                .with_decorations(!kiosk_mode),
        ),
        ..eframe::NativeOptions::default()
    };
    let result = eframe::run_native(
        "markid-kiosk",
        options,
        Box::new(move |cc| {
            Ok(Box::new(
                KioskApp::new(&cc.egui_ctx, config, services).with_config_path(config_path),
            ))
        }),
    );
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: cannot open the kiosk window: {error}");
            ExitCode::FAILURE
        }
    }
}
