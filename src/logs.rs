//! Logs: to stderr for whoever started the program, and to a file in the app's data directory
//! for staff, a new one each day, the last `KEPT_LOG_FILES` kept. No secret, token, name or
//! image is ever logged: secrets are `Secret` and names `Personal` (both print as
//! `[redacted]`), images never pass through tracing, and the HTTP libraries, which could print
//! headers at trace level, are capped at warnings. `tests/logs.rs` runs whole sessions at the
//! most verbose level and searches the files for the secret, the token and the names.

use std::path::PathBuf;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer as _;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

/// Daily files kept; older ones are deleted when a new day starts.
pub const KEPT_LOG_FILES: usize = 30;

/// Libraries that may log request headers (the auth token) at debug or trace level.
const NEVER_VERBOSE: &str = "hyper=warn,hyper_util=warn,h2=warn,reqwest=warn,rustls=warn";

/// Keeps the file writer flushing; drop it last (at exit) so that the last lines reach the disk.
pub struct LogGuard {
    _file: Option<tracing_appender::non_blocking::WorkerGuard>,
}

/// Where the log files go: `$MARKID_LOG_DIR`, else `logs/` in the app's data directory
/// (`config::data_dir`).
pub fn log_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("MARKID_LOG_DIR").filter(|dir| !dir.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    crate::config::data_dir().map(|dir| dir.join("logs"))
}

fn filter(variable: &str, default: &str) -> EnvFilter {
    let wanted = std::env::var(variable).unwrap_or_else(|_| default.to_owned());
    EnvFilter::try_new(format!("{wanted},{NEVER_VERBOSE}"))
        .unwrap_or_else(|_| EnvFilter::new(format!("{default},{NEVER_VERBOSE}")))
}

/// Starts logging: stderr at `$MARKID_LOG` (default warnings), the file at `$MARKID_LOG_FILE`
/// (default info). Without a writable log directory only stderr is used, and it says so.
pub fn init() -> LogGuard {
    let stderr = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_filter(filter("MARKID_LOG", "warn"));
    let file = log_dir().and_then(|dir| {
        std::fs::create_dir_all(&dir).ok()?;
        let appender = tracing_appender::rolling::Builder::new()
            .rotation(tracing_appender::rolling::Rotation::DAILY)
            .filename_prefix("markid-kiosk")
            .filename_suffix("log")
            .max_log_files(KEPT_LOG_FILES)
            .build(&dir)
            .ok()?;
        Some(tracing_appender::non_blocking(appender))
    });
    let (file_layer, guard) = match file {
        Some((writer, guard)) => (
            Some(
                tracing_subscriber::fmt::layer()
                    .with_ansi(false)
                    .with_writer(writer)
                    .with_filter(filter("MARKID_LOG_FILE", "info")),
            ),
            Some(guard),
        ),
        None => (None, None),
    };
    let no_file = file_layer.is_none();
    // Only fails when a subscriber is already set (tests); the first one stays.
    let _ = tracing_subscriber::registry()
        .with(stderr)
        .with(file_layer)
        .try_init();
    if no_file {
        tracing::warn!("no writable log directory: logging to stderr only");
    }
    LogGuard { _file: guard }
}
