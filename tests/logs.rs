//! The log file: a whole verification at the most verbose level leaves a record of what
//! happened, and no secret, token, name or image.

#![expect(
    clippy::unwrap_used,
    reason = "test set-up panics on a broken fixture, which is the failure we want"
)]

use std::path::{Path, PathBuf};
use std::process::Command;

use markid_kiosk::simulator::{
    DEMO_KEY, DEMO_SECRET, Fault, FaultPlan, SimulatorConfig, SimulatorHandle,
};

const BINARY: &str = env!("CARGO_BIN_EXE_markid-kiosk");
const FIRST_NAME: &str = "Jūratė";
const LAST_NAME: &str = "Žemaitytė-Kowalska";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/exif-orientation")
        .join(name)
}

/// Runs `submit` of an ID card with names against `simulator`, logging everything to `logs`;
/// returns (success, stderr).
fn submit(simulator: &SimulatorHandle, config_dir: &Path, logs: &Path) -> (bool, String) {
    submit_with(simulator, config_dir, logs, "")
}

/// `submit` with `config` as the config file.
fn submit_with(
    simulator: &SimulatorHandle,
    config_dir: &Path,
    logs: &Path,
    config: &str,
) -> (bool, String) {
    std::fs::write(config_dir.join("config.toml"), config).unwrap();
    let output = Command::new(BINARY)
        .arg("--config")
        .arg(config_dir.join("config.toml"))
        .args(["submit", "--country", "LT", "--document", "ID_CARD"])
        .arg("--front")
        .arg(fixture("Landscape_6.jpg"))
        .arg("--back")
        .arg(fixture("Landscape_3.jpg"))
        .arg("--face")
        .arg(fixture("Portrait_5.jpg"))
        .args(["--first-name", FIRST_NAME, "--last-name", LAST_NAME])
        .env("MARKID_API_KEY", DEMO_KEY)
        .env("MARKID_API_SECRET", DEMO_SECRET)
        .env("MARKID_BASE_URL", simulator.base_url())
        .env("MARKID_LOG_DIR", logs)
        .env("MARKID_LOG", "trace")
        .env("MARKID_LOG_FILE", "trace")
        .env_remove("MARKID_KIOSK_CONFIG")
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn read_logs(dir: &Path) -> String {
    let mut text = String::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        assert!(
            path.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("markid-kiosk"),
            "{}",
            path.display()
        );
        text.push_str(&std::fs::read_to_string(path).unwrap());
    }
    text
}

fn assert_nothing_personal(text: &str, token: Option<&str>, what: &str) {
    for secret in [DEMO_SECRET, FIRST_NAME, LAST_NAME] {
        assert!(!text.contains(secret), "{what} contains {secret:?}");
    }
    if let Some(token) = token {
        assert!(!token.is_empty());
        assert!(!text.contains(token), "{what} contains the session token");
    }
    // An image in Base64 would be one enormous line.
    let longest = text.lines().map(str::len).max().unwrap_or(0);
    assert!(longest < 4000, "{what} has a {longest}-character line");
}

/// A simulator (on its runtime, kept alive by the caller), a temporary directory for the config
/// and its `logs` folder.
fn simulator_and_dirs() -> (
    tokio::runtime::Runtime,
    SimulatorHandle,
    tempfile::TempDir,
    PathBuf,
) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let simulator = runtime
        .block_on(SimulatorHandle::start_local(SimulatorConfig::default()))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    (runtime, simulator, dir, logs)
}

#[test]
fn a_whole_verification_logs_what_happened_and_nothing_personal() {
    let (_runtime, simulator, dir, logs) = simulator_and_dirs();
    let (success, stderr) = submit(&simulator, dir.path(), &logs);
    assert!(success, "{stderr}");
    let stats = simulator.stats();
    assert_eq!(stats.processed.len(), 1);
    let token = stats.processed[0].auth_token.clone();

    let text = read_logs(&logs);
    assert!(text.contains("verification session created"), "{text}");
    assert!(text.contains("images accepted for processing"), "{text}");
    assert_nothing_personal(&text, Some(&token), "the log file");
    assert_nothing_personal(&stderr, Some(&token), "stderr");
}

#[test]
fn a_failed_verification_logs_the_reason_and_nothing_personal() {
    let (_runtime, simulator, dir, logs) = simulator_and_dirs();
    simulator.set_fault(FaultPlan::always(
        Fault::OkWithError,
        Some(markid_kiosk::api::Endpoint::Process),
    ));
    let (success, stderr) = submit(&simulator, dir.path(), &logs);
    assert!(!success);
    let text = read_logs(&logs);
    assert!(text.contains("images not accepted"), "{text}");
    assert_nothing_personal(&text, None, "the log file");
    assert_nothing_personal(&stderr, None, "stderr");
}

#[test]
fn json_logs_are_one_object_per_line_with_the_same_redaction() {
    let (_runtime, simulator, dir, logs) = simulator_and_dirs();
    let (success, stderr) =
        submit_with(&simulator, dir.path(), &logs, "[logs]\nformat = \"json\"\n");
    assert!(success, "{stderr}");
    let token = simulator.stats().processed[0].auth_token.clone();
    let text = read_logs(&logs);
    let mut events = Vec::new();
    for line in text.lines() {
        let object: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        for key in ["time", "level", "target", "event", "fields"] {
            assert!(object.get(key).is_some(), "no {key} in {line}");
        }
        let time = object["time"].as_str().unwrap();
        assert!(
            chrono::DateTime::parse_from_rfc3339(time).is_ok(),
            "time {time}"
        );
        assert!(object["fields"].is_object(), "{line}");
        events.push(object["event"].as_str().unwrap().to_owned());
    }
    assert!(
        events.iter().any(|e| e == "verification session created"),
        "{events:?}"
    );
    assert!(
        events.iter().any(|e| e == "images accepted for processing"),
        "{events:?}"
    );
    assert_nothing_personal(&text, Some(&token), "the JSON log file");
}
