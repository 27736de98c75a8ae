//! Logs: to stderr for whoever started the program, and to a file in the app's data directory
//! for staff, a new one each day, the last `KEPT_LOG_FILES` kept. No secret, token, name or
//! image is ever logged: secrets are `Secret` and names `Personal` (both print as
//! `[redacted]`), images never pass through tracing, and the HTTP libraries, which could print
//! headers at trace level, are capped at warnings. `tests/logs.rs` runs whole sessions at the
//! most verbose level and searches the files for the secret, the token and the names.

use std::io::Write as _;
use std::path::PathBuf;

use tracing::field::{Field, Visit};
use tracing_subscriber::fmt::MakeWriter;

use serde::{Deserialize, Serialize};

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

/// Where the log files go: `$MARKID_LOG_DIR`, else `logs/` in the app's data directory.
pub fn log_dir() -> Option<PathBuf> {
    crate::paths::log_dir()
}

/// How each line of the log file is written.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One readable line per event.
    #[default]
    Text,
    /// One JSON object per line: `time`, `level`, `target`, `event`, `fields`.
    Json,
}

fn filter(variable: &str, default: &str) -> EnvFilter {
    let wanted = std::env::var(variable).unwrap_or_else(|_| default.to_owned());
    EnvFilter::try_new(format!("{wanted},{NEVER_VERBOSE}"))
        .unwrap_or_else(|_| EnvFilter::new(format!("{default},{NEVER_VERBOSE}")))
}

/// Starts logging: stderr at `$MARKID_LOG` (default warnings), the file at `$MARKID_LOG_FILE`
/// (default info) in `format`. Without a writable log directory only stderr is used, and it
/// says so.
pub fn init(format: LogFormat) -> LogGuard {
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
    let (text_file, json_file, guard) = match (file, format) {
        (Some((writer, guard)), LogFormat::Text) => (
            Some(
                tracing_subscriber::fmt::layer()
                    .with_ansi(false)
                    .with_writer(writer)
                    .with_filter(filter("MARKID_LOG_FILE", "info")),
            ),
            None,
            Some(guard),
        ),
        (Some((writer, guard)), LogFormat::Json) => (
            None,
            Some(JsonLines { writer }.with_filter(filter("MARKID_LOG_FILE", "info"))),
            Some(guard),
        ),
        (None, _) => (None, None, None),
    };
    let no_file = text_file.is_none() && json_file.is_none();
    // Only fails when a subscriber is already set (tests); the first one stays.
    let _ = tracing_subscriber::registry()
        .with(stderr)
        .with(text_file)
        .with(json_file)
        .try_init();
    if no_file {
        tracing::warn!("no writable log directory: logging to stderr only");
    }
    LogGuard { _file: guard }
}

/// Writes each event as one JSON object on one line, for a fleet's log shipper:
/// `{"time": RFC 3339 UTC, "level", "target", "event": the message, "fields": {...}}`. Values
/// are recorded as the text layer prints them, so `Secret` and `Personal` stay `[redacted]`.
struct JsonLines<W> {
    writer: W,
}

impl<S, W> tracing_subscriber::Layer<S> for JsonLines<W>
where
    S: tracing::Subscriber,
    W: for<'writer> MakeWriter<'writer> + 'static,
{
    fn on_event(
        &self,
        event: &tracing::Event<'_>,
        _context: tracing_subscriber::layer::Context<'_, S>,
    ) {
        let mut fields = JsonFields::default();
        event.record(&mut fields);
        let message = fields
            .values
            .remove("message")
            .unwrap_or(serde_json::Value::String(String::new()));
        let metadata = event.metadata();
        let time = chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now())
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let line = serde_json::json!({
            "time": time,
            "level": metadata.level().as_str(),
            "target": metadata.target(),
            "event": message,
            "fields": fields.values,
        });
        let mut writer = self.writer.make_writer();
        // A log line that cannot be written has nowhere else to go.
        let _ = writeln!(writer, "{line}");
    }
}

/// An event's fields as JSON values: numbers and booleans as such, everything else as text.
#[derive(Default)]
struct JsonFields {
    values: serde_json::Map<String, serde_json::Value>,
}

impl Visit for JsonFields {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.values.insert(field.name().to_owned(), value.into());
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.values.insert(field.name().to_owned(), value.into());
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.values.insert(field.name().to_owned(), value.into());
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.values.insert(field.name().to_owned(), value.into());
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.values.insert(field.name().to_owned(), value.into());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.values
            .insert(field.name().to_owned(), format!("{value:?}").into());
    }
}
