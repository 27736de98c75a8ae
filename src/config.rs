//! The kiosk's configuration: one TOML file plus environment overrides, validated once at start.
//!
//! Where the file is: `--config PATH`, else `MARKID_KIOSK_CONFIG`, else `config.toml` in the
//! platform's config directory. A missing default file is not an error: the kiosk then has no
//! credentials and starts in demo mode.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize, Serializer};

use crate::api::{ClientSettings, CustomSettings, TokenFields};
use crate::secret::Secret;

/// Environment variable naming the config file.
pub const CONFIG_PATH_VAR: &str = "MARKID_KIOSK_CONFIG";
/// Environment override for `api.key`.
pub const API_KEY_VAR: &str = "MARKID_API_KEY";
/// Environment override for `api.secret`.
pub const API_SECRET_VAR: &str = "MARKID_API_SECRET";
/// Environment override for `api.base_url`.
pub const BASE_URL_VAR: &str = "MARKID_BASE_URL";

/// The production API.
pub const DEFAULT_BASE_URL: &str = "https://ivs.markid.eu";

/// Everything the kiosk can be told.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// How to reach the API.
    pub api: ApiConfig,
    /// Defaults for the token fields, in the API's own spelling (`tokenType`, `expiryTime`, ...).
    pub token: TokenFields,
    /// Custom settings sent with every token (`checkLiveness`, `maxAttemptCount`, ...).
    pub settings: CustomSettings,
    /// How each session's clientId is made.
    pub client_id: ClientIdConfig,
    /// Image size limits and targets.
    pub images: ImageConfig,
    /// How the kiosk window behaves.
    pub kiosk: KioskConfig,
    /// Which cameras take which pictures, and how.
    pub camera: CameraConfig,
    /// The staff's submission journal.
    pub journal: JournalConfig,
    /// What the capture quality engine accepts (`src/quality`).
    pub quality: crate::quality::QualitySettings,
    /// How the log file is written.
    pub logs: LogsConfig,
    /// Continuing on a phone when the kiosk's camera cannot do the job.
    pub handoff: HandoffConfig,
    /// Speech for customers who cannot see the screen well.
    pub accessibility: AccessibilityConfig,
}

/// The `[accessibility]` table.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct AccessibilityConfig {
    /// When the kiosk reads its screens aloud: "off" (the "Read aloud" toggle alone), "on",
    /// "on_headset".
    pub speech: crate::speech::SpeechMode,
    /// "system" (the OS's voices) or "log:PATH" (one JSON line an utterance, for tests).
    pub speech_backend: String,
}

impl Default for AccessibilityConfig {
    fn default() -> Self {
        Self {
            speech: crate::speech::SpeechMode::Off,
            speech_backend: "system".into(),
        }
    }
}

/// When the capture screen offers "Continue on my phone".
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum HandoffOffer {
    /// When the camera is unavailable, or after `quality.use_anyway_after` failed photos of a
    /// side.
    #[default]
    Fallback,
    /// On every capture screen.
    Always,
    /// Never (the token is then made without a digit string).
    Never,
}

/// The `[handoff]` table.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct HandoffConfig {
    /// When the capture screen offers the phone.
    pub offer: HandoffOffer,
    /// Mark ID's web UI, which the QR code opens with the session's token and language.
    pub web_ui_url: String,
}

impl Default for HandoffConfig {
    fn default() -> Self {
        Self {
            offer: HandoffOffer::Fallback,
            web_ui_url: "https://ui.markid.eu/".into(),
        }
    }
}

/// The `[logs]` table.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct LogsConfig {
    /// The log file's lines: text for people, or JSON for a log shipper.
    pub format: crate::logs::LogFormat,
}

/// The `[journal]` table.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct JournalConfig {
    /// The SQLite file; empty for `journal.sqlite3` in the app's data directory.
    pub path: String,
    /// Days a row is kept; older rows are deleted.
    pub retention_days: u32,
}

impl Default for JournalConfig {
    fn default() -> Self {
        Self {
            path: String::new(),
            retention_days: crate::journal::DEFAULT_RETENTION_DAYS,
        }
    }
}

impl JournalConfig {
    /// The journal file in use.
    pub fn resolved_path(&self) -> Option<PathBuf> {
        if self.path.is_empty() {
            crate::journal::default_path()
        } else {
            Some(PathBuf::from(&self.path))
        }
    }

    /// How long a row is kept.
    pub fn retention(&self) -> Duration {
        Duration::from_secs(u64::from(self.retention_days) * 86_400)
    }
}

/// The `[camera]` table.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct CameraConfig {
    /// The camera for the document: "auto" (the first one), an index ("0", "1"), part of a
    /// device name ("BRIO"), "synthetic", or "play:PATH" (a folder of images or an MJPEG file).
    pub document: String,
    /// The camera for the face, in the same terms; may be the same device as the document's.
    pub face: String,
    /// Frames dropped after the stream starts, while exposure and white balance settle.
    pub warmup_frames: u32,
    /// Seconds between attempts to reopen a missing, busy or failed camera.
    pub retry_secs: u64,
    /// The smallest still wanted; the largest mode at or above it is used.
    pub min_width: u32,
    /// See `min_width`.
    pub min_height: u32,
    /// The lowest frame rate for a fluid preview.
    pub min_fps: u32,
}

impl Default for CameraConfig {
    fn default() -> Self {
        Self {
            document: "auto".to_owned(),
            face: "auto".to_owned(),
            warmup_frames: 5,
            retry_secs: 2,
            min_width: 1920,
            min_height: 1080,
            min_fps: 15,
        }
    }
}

/// The `[kiosk]` table.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct KioskConfig {
    /// Seconds the success screen stays before the kiosk returns to Welcome.
    pub success_return_secs: u64,
    /// Seconds a customer screen may be left alone before the session ends.
    pub idle_timeout_secs: u64,
    /// Seconds before that end when the warning with "I need more time" shows.
    pub idle_warning_secs: u64,
    /// Fullscreen without decorations, closing refused; exit and the file dialog only for
    /// staff (also `--kiosk`).
    pub kiosk_mode: bool,
    /// The staff PIN's argon2id hash, from `markid-kiosk hash-pin`. Required in kiosk mode.
    pub staff_pin_hash: String,
    /// Text and controls larger for people who need it: 1.0 is normal, up to 2.0.
    pub text_scale: f32,
    /// Countries listed first on the document choice (alpha-2), e.g. the branch's own.
    pub countries_first: Vec<String>,
}

impl Default for KioskConfig {
    fn default() -> Self {
        Self {
            success_return_secs: 15,
            idle_timeout_secs: 90,
            idle_warning_secs: 20,
            kiosk_mode: false,
            staff_pin_hash: String::new(),
            text_scale: 1.0,
            countries_first: Vec::new(),
        }
    }
}

/// The `[api]` table.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApiConfig {
    /// Scheme and host of the API; https unless the host is this machine.
    pub base_url: String,
    /// API key (basic-auth user).
    pub key: String,
    /// API secret (basic-auth password). Printed as `[redacted]`.
    #[serde(serialize_with = "serialize_redacted")]
    pub secret: Secret,
    /// Seconds to open a connection.
    pub connect_timeout_secs: u64,
    /// Seconds for a whole token call.
    pub token_timeout_secs: u64,
    /// Seconds for a whole /process call, upload included: 20 MB at 1 Mbit/s takes 160 s.
    pub process_timeout_secs: u64,
    /// Seconds the upload may stand still (no byte taken by the connection) before it fails.
    pub upload_stall_secs: u64,
    /// Seconds to wait for the /process answer after the last byte was sent.
    pub answer_timeout_secs: u64,
    /// Retries of a transient token failure.
    pub token_retries: u32,
    /// Longest wait between retries, and the longest Retry-After honoured, in seconds.
    pub max_backoff_secs: u64,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            key: String::new(),
            secret: Secret::default(),
            connect_timeout_secs: 10,
            token_timeout_secs: 30,
            process_timeout_secs: 300,
            upload_stall_secs: 30,
            answer_timeout_secs: 60,
            token_retries: 3,
            max_backoff_secs: 8,
        }
    }
}

fn serialize_redacted<S: Serializer>(secret: &Secret, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(if secret.is_empty() { "" } else { "[redacted]" })
}

/// How a session's `clientId` is made.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ClientIdMode {
    /// A new UUID for every session, after the optional prefix.
    #[default]
    Generated,
    /// Staff type it (e.g. the customer number of the bank).
    Typed,
}

/// The `[client_id]` table.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClientIdConfig {
    /// Generated or typed.
    pub mode: ClientIdMode,
    /// Put before a generated UUID, e.g. `branch-12-`.
    pub prefix: String,
}

/// Length of a hyphenated UUID.
const UUID_CHARS: usize = 36;

impl ClientIdConfig {
    /// A new clientId for a generated session: prefix + UUID v4, at most 100 characters.
    pub fn generate(&self) -> String {
        format!("{}{}", self.prefix, uuid::Uuid::new_v4())
    }
}

/// The `[images]` table: the API's limits and our quality targets.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ImageConfig {
    /// Largest Base64 string per image. Spec: "Max size of 6MB"; read as 6,000,000 characters,
    /// the smaller of the decimal and binary readings.
    pub max_base64_chars_per_image: usize,
    /// Largest whole /process body. Spec: "The maximum request size is 20 MB"; read as
    /// 20,000,000 bytes.
    pub max_request_bytes: usize,
    /// Largest input file accepted, in bytes.
    pub max_file_bytes: u64,
    /// Largest input image accepted, in megapixels (checked before decoding).
    pub max_megapixels: f64,
    /// Longest edge of a document image; enough for OCR and the MRZ.
    pub document_long_edge: u32,
    /// Longest edge of a face image.
    pub face_long_edge: u32,
    /// JPEG quality tried first.
    pub start_quality: u8,
    /// Lowest JPEG quality before the image is scaled down instead.
    pub min_quality: u8,
}

impl Default for ImageConfig {
    fn default() -> Self {
        Self {
            max_base64_chars_per_image: 6_000_000,
            max_request_bytes: 20_000_000,
            max_file_bytes: 100_000_000,
            max_megapixels: 100.0,
            document_long_edge: 3000,
            face_long_edge: 1600,
            start_quality: 92,
            min_quality: 70,
        }
    }
}

/// A configuration problem, naming the file and the key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML or has an unknown key or a wrong type.
    #[error("config file {path} is invalid: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The TOML parser's message, with line, column and key.
        message: String,
    },
    /// A value breaks a rule.
    #[error("config {origin}: key `{key}` {problem}")]
    Invalid {
        /// The file, or "defaults and environment" when there is none.
        origin: String,
        /// The key, e.g. `api.base_url` or `token.sessionLength`.
        key: String,
        /// What is wrong.
        problem: String,
    },
}

/// A setting whose value breaks a rule.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{key}` {problem}")]
pub struct InvalidSetting {
    /// The key, e.g. `api.base_url`.
    pub key: String,
    /// What is wrong.
    pub problem: String,
}

/// Why staff settings were not written to the config file.
#[derive(Debug, thiserror::Error)]
pub enum SaveSettingsError {
    /// The file exists but cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not TOML the kiosk can edit (or the edited text would not load).
    #[error("{path}: {problem}")]
    NotEditable {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// The new file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// A loaded, validated configuration and where it came from.
#[derive(Clone, Debug)]
pub struct LoadedConfig {
    /// The values.
    pub config: Config,
    /// The file read, if any.
    pub path: Option<PathBuf>,
    /// Which environment overrides were applied (names only).
    pub env_overrides: Vec<&'static str>,
}

impl LoadedConfig {
    /// Reads the file `explicit_path`, else the one `MARKID_KIOSK_CONFIG` names, else the first
    /// of the default paths that exists; applies the environment overrides; validates.
    pub fn load(explicit_path: Option<&Path>) -> Result<LoadedConfig, ConfigError> {
        Self::load_with(
            explicit_path,
            |name| std::env::var(name).ok(),
            default_config_paths(),
        )
    }

    /// `load` with the environment and the default paths given, for tests.
    pub fn load_with(
        explicit_path: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
        default_paths: Vec<PathBuf>,
    ) -> Result<LoadedConfig, ConfigError> {
        let named = explicit_path.map(Path::to_path_buf).or_else(|| {
            env(CONFIG_PATH_VAR)
                .filter(|p| !p.is_empty())
                .map(PathBuf::from)
        });
        let path = match named {
            Some(path) => Some(path),
            None => default_paths.into_iter().find(|p| p.exists()),
        };
        let mut config = match &path {
            Some(path) => Config::from_file(path)?,
            None => Config::default(),
        };
        let env_overrides = config.apply_env(&env);
        let origin = path.as_ref().map_or_else(
            || "defaults and environment".to_owned(),
            |p| p.display().to_string(),
        );
        config
            .validate()
            .map_err(|(key, problem)| ConfigError::Invalid {
                origin,
                key,
                problem,
            })?;
        Ok(LoadedConfig {
            config,
            path,
            env_overrides,
        })
    }
}

/// Writes the settings staff can change (`[camera] document/face`, `[token] locale`, `[kiosk]
/// text_scale, idle_timeout_secs, success_return_secs, kiosk_mode`) into the config file at
/// `path`, keeping everything else in it as it was (comments, the credentials, key order); the
/// file is made if missing. Written beside and renamed over, so that a crash never leaves half
/// a config; the file keeps its permissions.
pub fn save_staff_settings(path: &Path, config: &Config) -> Result<(), SaveSettingsError> {
    let not_editable = |problem: String| SaveSettingsError::NotEditable {
        path: path.to_owned(),
        problem,
    };
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(source) => {
            return Err(SaveSettingsError::Read {
                path: path.to_owned(),
                source,
            });
        }
    };
    let mut document: toml_edit::DocumentMut = text
        .parse()
        .map_err(|error| not_editable(format!("not valid TOML: {error}")))?;
    let kiosk = &config.kiosk;
    let locale = config.token.locale.map(|l| l.as_str()).unwrap_or("en");
    let values: [(&str, &str, toml_edit::Value); 7] = [
        ("camera", "document", config.camera.document.as_str().into()),
        ("camera", "face", config.camera.face.as_str().into()),
        ("token", "locale", locale.into()),
        ("kiosk", "text_scale", f64::from(kiosk.text_scale).into()),
        (
            "kiosk",
            "idle_timeout_secs",
            (kiosk.idle_timeout_secs as i64).into(),
        ),
        (
            "kiosk",
            "success_return_secs",
            (kiosk.success_return_secs as i64).into(),
        ),
        ("kiosk", "kiosk_mode", kiosk.kiosk_mode.into()),
    ];
    for (table, key, value) in values {
        let table = document
            .entry(table)
            .or_insert_with(toml_edit::table)
            .as_table_like_mut()
            .ok_or_else(|| not_editable(format!("[{table}] is not a table")))?;
        match table.get_mut(key).and_then(|item| item.as_value_mut()) {
            // Keeps the comment after the value.
            Some(old) => {
                let decor = old.decor().clone();
                *old = value;
                *old.decor_mut() = decor;
            }
            None => {
                table.insert(key, toml_edit::Item::Value(value));
            }
        }
    }
    let text = document.to_string();
    // What is written must load again.
    let reloaded: Config = toml::from_str(&text)
        .map_err(|error| not_editable(format!("the edited file would not load: {error}")))?;
    drop(reloaded);
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| SaveSettingsError::Write {
            path: dir.to_owned(),
            source,
        })?;
    }
    let mut new_path = path.as_os_str().to_owned();
    new_path.push(".new");
    let new_path = PathBuf::from(new_path);
    std::fs::write(&new_path, &text).map_err(|source| SaveSettingsError::Write {
        path: new_path.clone(),
        source,
    })?;
    if let Ok(metadata) = std::fs::metadata(path) {
        // The config may hold the API secret: keep it as private as it was.
        let _ = std::fs::set_permissions(&new_path, metadata.permissions());
    }
    std::fs::rename(&new_path, path).map_err(|source| {
        let _ = std::fs::remove_file(&new_path);
        SaveSettingsError::Write {
            path: path.to_owned(),
            source,
        }
    })
}

pub use crate::paths::{data_dir, default_config_path, default_config_paths};

impl Config {
    /// Reads and parses one file, without environment overrides or validation.
    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Config::from_toml(&text).map_err(|error| ConfigError::Parse {
            path: path.to_owned(),
            message: error.to_string().trim_end().to_owned(),
        })
    }

    /// Parses TOML text. The error names the line and the key.
    pub fn from_toml(text: &str) -> Result<Config, toml::de::Error> {
        toml::from_str(text)
    }

    /// Applies `MARKID_API_KEY`, `MARKID_API_SECRET` and `MARKID_BASE_URL`; returns the names used.
    pub fn apply_env(&mut self, env: impl Fn(&str) -> Option<String>) -> Vec<&'static str> {
        let mut used = Vec::new();
        if let Some(key) = env(API_KEY_VAR) {
            self.api.key = key;
            used.push(API_KEY_VAR);
        }
        if let Some(secret) = env(API_SECRET_VAR) {
            self.api.secret = Secret::new(secret);
            used.push(API_SECRET_VAR);
        }
        if let Some(url) = env(BASE_URL_VAR) {
            self.api.base_url = url;
            used.push(BASE_URL_VAR);
        }
        used
    }

    /// True when both key and secret are set; without them the kiosk runs in demo mode.
    pub fn has_credentials(&self) -> bool {
        !self.api.key.trim().is_empty() && !self.api.secret.is_empty()
    }

    /// Checks every value; the error is (key, problem).
    pub fn validate(&self) -> Result<(), (String, String)> {
        let invalid = |key: &str, problem: &str| Err((key.to_owned(), problem.to_owned()));
        self.base_url()
            .map_err(|invalid| (invalid.key, invalid.problem))?;
        if self.api.key.trim().is_empty() != self.api.secret.is_empty() {
            return invalid(
                "api.key",
                "and api.secret must be set together (leave both empty for demo mode)",
            );
        }
        for (key, value) in [
            ("api.connect_timeout_secs", self.api.connect_timeout_secs),
            ("api.token_timeout_secs", self.api.token_timeout_secs),
            ("api.process_timeout_secs", self.api.process_timeout_secs),
            ("api.upload_stall_secs", self.api.upload_stall_secs),
            ("api.answer_timeout_secs", self.api.answer_timeout_secs),
        ] {
            if !(1..=3600).contains(&value) {
                return invalid(key, "must be 1 to 3600 seconds");
            }
        }
        if self.api.token_retries > 10 {
            return invalid("api.token_retries", "must be 0 to 10");
        }
        if crate::speech::SpeechBackend::parse(&self.accessibility.speech_backend).is_none() {
            return invalid(
                "accessibility.speech_backend",
                "must be \"system\" or \"log:PATH\"",
            );
        }
        match reqwest::Url::parse(&self.handoff.web_ui_url) {
            Ok(url) if url.scheme() == "https" && url.host().is_some() => {}
            _ => {
                return invalid(
                    "handoff.web_ui_url",
                    "must be an https:// address, e.g. https://ui.markid.eu/",
                );
            }
        }
        self.quality
            .validate()
            .map_err(|(key, problem)| (key.to_owned(), problem))?;
        if !self.kiosk.staff_pin_hash.is_empty() {
            crate::staff::check_hash(&self.kiosk.staff_pin_hash)
                .map_err(|error| ("kiosk.staff_pin_hash".to_owned(), error.to_string()))?;
        }
        if self.kiosk.kiosk_mode && self.kiosk.staff_pin_hash.is_empty() {
            return invalid(
                "kiosk.staff_pin_hash",
                "kiosk mode needs a staff PIN: run `markid-kiosk hash-pin` and put its output here",
            );
        }
        if !(1.0..=2.0).contains(&self.kiosk.text_scale) {
            return invalid(
                "kiosk.text_scale",
                "must be 1.0 (normal) to 2.0 (twice as large)",
            );
        }
        if let Some(unknown) = self
            .kiosk
            .countries_first
            .iter()
            .find(|code| crate::api::country::normalize_alpha2(code).is_none())
        {
            return invalid(
                "kiosk.countries_first",
                &format!("'{unknown}' is not an ISO 3166-1 alpha-2 code such as \"LT\""),
            );
        }
        if !(1..=3650).contains(&self.journal.retention_days) {
            return invalid("journal.retention_days", "must be 1 to 3650 days");
        }
        // WCAG 2.2.1: at least 20 seconds to react to the warning.
        if !(20..=3600).contains(&self.kiosk.idle_warning_secs) {
            return invalid("kiosk.idle_warning_secs", "must be 20 to 3600 seconds");
        }
        if self.kiosk.idle_timeout_secs <= self.kiosk.idle_warning_secs
            || self.kiosk.idle_timeout_secs > 86_400
        {
            return invalid(
                "kiosk.idle_timeout_secs",
                "must be longer than kiosk.idle_warning_secs and at most 86400 seconds",
            );
        }
        if !(1..=120).contains(&self.api.max_backoff_secs) {
            return invalid("api.max_backoff_secs", "must be 1 to 120 seconds");
        }
        if self.token.first_name.is_some() || self.token.last_name.is_some() {
            return invalid(
                "token.firstName",
                "and token.lastName are per customer and cannot be configured",
            );
        }
        self.token
            .validate()
            .map_err(|e| (format!("token.{}", e.field), e.problem.clone()))?;
        self.settings
            .validate()
            .map_err(|e| (format!("settings.{}", e.field), e.problem.clone()))?;
        if self.client_id.prefix.chars().count() > 100 - UUID_CHARS {
            return invalid(
                "client_id.prefix",
                "must be at most 64 characters (the clientId is at most 100)",
            );
        }
        if self.client_id.prefix.chars().any(char::is_whitespace) {
            return invalid("client_id.prefix", "must not contain spaces");
        }
        if !(3..=600).contains(&self.kiosk.success_return_secs) {
            return invalid("kiosk.success_return_secs", "must be 3 to 600 seconds");
        }
        self.validate_images()
    }

    fn validate_images(&self) -> Result<(), (String, String)> {
        let images = &self.images;
        let invalid = |key: &str, problem: &str| Err((format!("images.{key}"), problem.to_owned()));
        if !(100_000..=6_000_000).contains(&images.max_base64_chars_per_image) {
            return invalid(
                "max_base64_chars_per_image",
                "must be 100000 to 6000000 (the API's limit)",
            );
        }
        if !(images.max_base64_chars_per_image..=20_000_000).contains(&images.max_request_bytes) {
            return invalid(
                "max_request_bytes",
                "must be at least one image's limit and at most 20000000",
            );
        }
        if images.max_file_bytes < 1_000_000 {
            return invalid("max_file_bytes", "must be at least 1000000");
        }
        if !(1.0..=1000.0).contains(&images.max_megapixels) {
            return invalid("max_megapixels", "must be 1 to 1000");
        }
        for (key, edge) in [
            ("document_long_edge", images.document_long_edge),
            ("face_long_edge", images.face_long_edge),
        ] {
            if !(640..=10_000).contains(&edge) {
                return invalid(key, "must be 640 to 10000 pixels");
            }
        }
        if !(30..=100).contains(&images.start_quality) {
            return invalid("start_quality", "must be 30 to 100");
        }
        if !(30..=images.start_quality).contains(&images.min_quality) {
            return invalid("min_quality", "must be 30 to start_quality");
        }
        Ok(())
    }

    /// The parsed base URL. `https` is required unless the host is this machine (the simulator).
    pub fn base_url(&self) -> Result<url::Url, InvalidSetting> {
        let invalid = |problem: String| InvalidSetting {
            key: "api.base_url".to_owned(),
            problem,
        };
        let url = url::Url::parse(self.api.base_url.trim()).map_err(|error| {
            invalid(format!(
                "is not a URL ({error}); expected e.g. {DEFAULT_BASE_URL}"
            ))
        })?;
        let loopback = match url.host() {
            Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        };
        match url.scheme() {
            "https" => {}
            "http" if loopback => {}
            "http" => {
                return Err(invalid(
                    "must use https:// (plain http is allowed only for 127.0.0.1 or localhost)"
                        .to_owned(),
                ));
            }
            other => return Err(invalid(format!("has scheme {other}: must be https://"))),
        }
        if url.host().is_none() {
            return Err(invalid("has no host".to_owned()));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid(
                "must not carry credentials: use api.key and api.secret".to_owned(),
            ));
        }
        Ok(url)
    }

    /// The client settings for `MarkIdClient`.
    pub fn client_settings(&self) -> Result<ClientSettings, InvalidSetting> {
        Ok(ClientSettings {
            base_url: self.base_url()?,
            key: self.api.key.clone(),
            secret: self.api.secret.clone(),
            connect_timeout: Duration::from_secs(self.api.connect_timeout_secs),
            token_timeout: Duration::from_secs(self.api.token_timeout_secs),
            process_timeout: Duration::from_secs(self.api.process_timeout_secs),
            upload_stall_timeout: Duration::from_secs(self.api.upload_stall_secs),
            answer_timeout: Duration::from_secs(self.api.answer_timeout_secs),
            token_retries: self.api.token_retries,
            max_backoff: Duration::from_secs(self.api.max_backoff_secs),
        })
    }

    /// The effective config as TOML, secret redacted, for `check-config`.
    pub fn to_redacted_toml(&self) -> String {
        toml::to_string_pretty(self)
            .unwrap_or_else(|error| format!("# cannot print the config: {error}\n"))
    }
}

// The conversions from the config's tables into the settings types of the modules below it
// live here, so that imaging and camera know nothing of the config.

impl From<&ImageConfig> for crate::imaging::ImagePolicy {
    fn from(config: &ImageConfig) -> Self {
        Self {
            decode: crate::imaging::DecodeLimits {
                max_file_bytes: config.max_file_bytes,
                max_megapixels: config.max_megapixels,
            },
            max_base64_chars_per_image: config.max_base64_chars_per_image,
            max_request_bytes: config.max_request_bytes,
            document_long_edge: config.document_long_edge,
            face_long_edge: config.face_long_edge,
            quality: crate::imaging::QualityRange {
                start: config.start_quality,
                floor: config.min_quality,
            },
        }
    }
}

impl Default for crate::imaging::ImagePolicy {
    fn default() -> Self {
        crate::imaging::ImagePolicy::from(&ImageConfig::default())
    }
}

impl From<&CameraConfig> for crate::camera::CaptureSettings {
    fn from(config: &CameraConfig) -> Self {
        crate::camera::CaptureSettings {
            target: crate::camera::FormatTarget {
                min_width: config.min_width,
                min_height: config.min_height,
                min_fps: config.min_fps,
            },
            warmup_frames: config.warmup_frames,
            retry_interval: Duration::from_secs(config.retry_secs.max(1)),
        }
    }
}

impl From<&CameraConfig> for crate::camera::RigSettings {
    fn from(config: &CameraConfig) -> Self {
        crate::camera::RigSettings {
            document: crate::camera::CameraChoice::parse(&config.document),
            face: crate::camera::CameraChoice::parse(&config.face),
            capture: config.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Locale;

    #[test]
    fn the_first_existing_default_config_wins() {
        let dir = tempfile::tempdir().unwrap();
        let machine_wide = dir.path().join("machine.toml");
        std::fs::write(
            &machine_wide,
            "[api]\nkey = \"from-machine\"\nsecret = \"s\"\n",
        )
        .unwrap();
        let candidates = vec![dir.path().join("user.toml"), machine_wide.clone()];
        let loaded = LoadedConfig::load_with(None, |_| None, candidates.clone()).unwrap();
        assert_eq!(loaded.path.as_deref(), Some(machine_wide.as_path()));
        assert_eq!(loaded.config.api.key, "from-machine");

        std::fs::write(
            &candidates[0],
            "[api]\nkey = \"from-user\"\nsecret = \"s\"\n",
        )
        .unwrap();
        let loaded = LoadedConfig::load_with(None, |_| None, candidates).unwrap();
        assert_eq!(loaded.config.api.key, "from-user");
    }

    #[test]
    fn staff_settings_are_written_into_the_file_keeping_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        let original = "# branch 12\n[api]\nkey = \"k\"\nsecret = \"s3cret\" # from the vault\n\n[kiosk]\nidle_timeout_secs = 90 # WCAG\n";
        std::fs::write(&path, original).unwrap();
        let mut config: Config = toml::from_str(original).unwrap();
        config.camera.document = "1".into();
        config.camera.face = "BRIO".into();
        config.token.locale = Some(Locale::Lv);
        config.kiosk.text_scale = 1.5;
        config.kiosk.idle_timeout_secs = 120;
        save_staff_settings(&path, &config).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with(
                "# branch 12\n[api]\nkey = \"k\"\nsecret = \"s3cret\" # from the vault\n"
            ),
            "{text}"
        );
        assert!(text.contains("idle_timeout_secs = 120 # WCAG"), "{text}");
        let loaded = LoadedConfig::load_with(Some(&path), |_| None, Vec::new())
            .unwrap()
            .config;
        assert_eq!(loaded.camera.document, "1");
        assert_eq!(loaded.camera.face, "BRIO");
        assert_eq!(loaded.token.locale, Some(Locale::Lv));
        assert!((loaded.kiosk.text_scale - 1.5).abs() < f32::EPSILON);
        assert_eq!(loaded.kiosk.idle_timeout_secs, 120);
        assert_eq!(loaded.api.secret.expose(), "s3cret");
        assert!(!dir.path().join("config.toml.new").exists());

        // No file yet: made, with just the staff settings.
        let fresh = dir.path().join("new/config.toml");
        save_staff_settings(&fresh, &config).unwrap();
        let loaded = LoadedConfig::load_with(Some(&fresh), |_| None, Vec::new())
            .unwrap()
            .config;
        assert_eq!(loaded.camera.face, "BRIO");
        assert!(!std::fs::read_to_string(&fresh).unwrap().contains("s3cret"));

        // A file that is not TOML is left alone, with a reason.
        std::fs::write(&path, "[api\n").unwrap();
        let error = save_staff_settings(&path, &config).unwrap_err();
        assert!(error.to_string().contains("not valid TOML"), "{error}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "[api\n");
    }
}
