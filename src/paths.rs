//! Where the kiosk keeps its files, at the bottom of the module tree: config, journal and logs
//! all ask here, and none of them asks another.

use std::path::PathBuf;

/// The app's data directory (logs, the journal): `$MARKID_DATA_DIR`, else the platform's
/// (`~/.local/share/markid-kiosk` on Linux, `%LOCALAPPDATA%\markid\markid-kiosk\data` on
/// Windows, `~/Library/Application Support/eu.markid.markid-kiosk` on macOS).
pub fn data_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("MARKID_DATA_DIR").filter(|dir| !dir.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("eu", "markid", "markid-kiosk")
        .map(|dirs| dirs.data_local_dir().to_path_buf())
}

/// `config.toml` in the platform's config directory (e.g. `~/.config/markid-kiosk/` on Linux,
/// `%APPDATA%\markid\markid-kiosk\config\` on Windows).
pub fn default_config_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("eu", "markid", "markid-kiosk")
        .map(|dirs| dirs.config_dir().join("config.toml"))
}

/// Where a config is looked for when none is named, first found wins: the user's own, then on
/// Linux the machine-wide `/etc/markid-kiosk/config.toml`, where a package-installed kiosk keeps
/// it (one file for the kiosk account, writable only by root).
pub fn default_config_paths() -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = default_config_path().into_iter().collect();
    if cfg!(all(unix, not(target_os = "macos"))) {
        paths.push(PathBuf::from("/etc/markid-kiosk/config.toml"));
    }
    paths
}

/// The journal's default file: `journal.sqlite3` in the data directory.
pub fn default_journal_path() -> Option<PathBuf> {
    data_dir().map(|dir| dir.join("journal.sqlite3"))
}

/// Where the log files go: `$MARKID_LOG_DIR`, else `logs/` in the data directory.
pub fn log_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("MARKID_LOG_DIR").filter(|dir| !dir.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    data_dir().map(|dir| dir.join("logs"))
}
