//! The built binary: `submit` against the simulator, `check-config`, `prepare`.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers panic on a broken fixture, which is the failure we want"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use markid_kiosk::api::Endpoint;
use markid_kiosk::simulator::{
    DEMO_KEY, DEMO_SECRET, Fault, FaultPlan, SimulatorConfig, SimulatorHandle,
};

const BINARY: &str = env!("CARGO_BIN_EXE_markid-kiosk");

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A simulator on its own runtime, and an empty config file so no local config interferes.
struct Harness {
    runtime: tokio::runtime::Runtime,
    simulator: Option<SimulatorHandle>,
    dir: tempfile::TempDir,
}

impl Harness {
    fn new() -> Self {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let simulator = runtime
            .block_on(SimulatorHandle::start_local(SimulatorConfig::default()))
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("config.toml"), "").unwrap();
        Self {
            runtime,
            simulator: Some(simulator),
            dir,
        }
    }

    fn simulator(&self) -> &SimulatorHandle {
        self.simulator.as_ref().unwrap()
    }

    /// The binary with this harness's empty config and the simulator's address and key.
    fn command(&self, secret: &str) -> Command {
        let mut command = Command::new(BINARY);
        command
            .arg("--config")
            .arg(self.dir.path().join("config.toml"))
            .env("MARKID_API_KEY", DEMO_KEY)
            .env("MARKID_API_SECRET", secret)
            .env("MARKID_BASE_URL", self.simulator().base_url())
            .env("MARKID_LOG_DIR", self.dir.path().join("logs"))
            .env_remove("MARKID_KIOSK_CONFIG");
        command
    }

    /// `submit` of an ID card with all three images, plus `extra` options.
    fn submit(&self, secret: &str, extra: &[&str]) -> Output {
        let mut command = self.command(secret);
        command
            .args(["submit", "--country", "lt", "--document", "ID_CARD"])
            .arg("--front")
            .arg(fixture("exif-orientation/Landscape_6.jpg"))
            .arg("--back")
            .arg(fixture("exif-orientation/Landscape_3.jpg"))
            .arg("--face")
            .arg(fixture("exif-orientation/Portrait_5.jpg"))
            .args(extra);
        command.output().unwrap()
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        if let Some(simulator) = self.simulator.take() {
            let _guard = self.runtime.enter();
            simulator.stop();
        }
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn submit_succeeds_and_prints_the_scan_ref_as_json() {
    let harness = Harness::new();
    let output = harness.submit(
        DEMO_SECRET,
        &["--json", "--first-name", "Jonas", "--last-name", "Jonaitis"],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(json["scanRef"].as_str().is_some_and(|s| s.len() == 36));
    assert!(json["clientId"].as_str().is_some_and(|s| !s.is_empty()));
    let images = json["images"].as_array().unwrap();
    assert_eq!(images.len(), 3);
    // Landscape_6 is stored portrait with EXIF "rotate 90": uploaded upright, landscape.
    assert_eq!(
        (images[0]["width"].as_u64(), images[0]["height"].as_u64()),
        (Some(1800), Some(1200))
    );
    assert!(images.iter().all(|i| i["bytes"].as_u64().unwrap() > 10_000));
    assert_eq!(harness.simulator().stats().processed.len(), 1);
    let all_output = text(&output.stdout) + &text(&output.stderr);
    assert!(!all_output.contains("Jonas"), "names must not be printed");
}

#[test]
fn submit_plain_prints_only_the_scan_ref() {
    let harness = Harness::new();
    let output = harness.submit(DEMO_SECRET, &[]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout).trim().len(), 36);
}

#[test]
fn submit_with_wrong_secret_fails_without_showing_it() {
    let harness = Harness::new();
    let output = harness.submit("very-wrong-secret-123", &[]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("HTTP status: 401"), "{stderr}");
    assert!(stderr.contains("UNAUTHORIZED"), "{stderr}");
    assert!(stderr.contains("api.key and api.secret"), "{stderr}");
    assert!(!stderr.contains("very-wrong-secret-123"), "{stderr}");
}

#[test]
fn submit_200_with_error_fails_and_says_a_new_session_is_needed() {
    let harness = Harness::new();
    harness.simulator().set_fault(FaultPlan::always(
        Fault::OkWithError,
        Some(Endpoint::Process),
    ));
    let output = harness.submit(DEMO_SECRET, &[]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("HTTP status: 200"), "{stderr}");
    assert!(stderr.contains("Document was not detected"), "{stderr}");
    assert!(stderr.contains("token is spent"), "{stderr}");
}

#[test]
fn submit_502_html_shows_the_page_title() {
    let harness = Harness::new();
    harness.simulator().set_fault(FaultPlan::always(
        Fault::HtmlServerError(502),
        Some(Endpoint::Process),
    ));
    let output = harness.submit(DEMO_SECRET, &[]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("HTTP status: 502") && stderr.contains("502 Bad Gateway"),
        "{stderr}"
    );
    assert!(!stderr.contains("<html>"), "{stderr}");
    assert_eq!(
        harness.simulator().stats().process_calls,
        1,
        "never re-sent"
    );
}

#[test]
fn submit_reset_reports_the_network_failure() {
    let harness = Harness::new();
    harness.simulator().set_fault(FaultPlan::always(
        Fault::ConnectionReset,
        Some(Endpoint::Process),
    ));
    let output = harness.submit(DEMO_SECRET, &[]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("connection reset or closed"), "{stderr}");
    assert!(stderr.contains("token is spent"), "{stderr}");
    let token = harness.simulator().stats();
    assert_eq!(token.process_calls, 1);
}

#[test]
fn submit_without_back_spends_no_token() {
    let harness = Harness::new();
    let output = harness
        .command(DEMO_SECRET)
        .args([
            "submit",
            "--country",
            "LT",
            "--document",
            "id_card",
            "--front",
        ])
        .arg(fixture("exif-orientation/Landscape_1.jpg"))
        .arg("--face")
        .arg(fixture("exif-orientation/Portrait_5.jpg"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("BACK image is required"),
        "{}",
        text(&output.stderr)
    );
    assert_eq!(harness.simulator().stats().token_calls, 0);
}

#[test]
fn submit_with_a_bad_image_spends_no_token() {
    let harness = Harness::new();
    let bad = harness.dir.path().join("notes.jpg");
    std::fs::write(&bad, "this is not a photo").unwrap();
    let output = harness
        .command(DEMO_SECRET)
        .args([
            "submit",
            "--country",
            "LT",
            "--document",
            "PASSPORT",
            "--front",
        ])
        .arg(&bad)
        .arg("--face")
        .arg(fixture("exif-orientation/Portrait_5.jpg"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("FRONT image: the file is not an image"),
        "{}",
        text(&output.stderr)
    );
    assert_eq!(harness.simulator().stats().token_calls, 0);
}

fn check_config(config: &Path, env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(BINARY);
    command.arg("--config").arg(config).arg("check-config");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().unwrap()
}

#[test]
fn example_config_loads_as_is() {
    let output = check_config(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/config.example.toml"),
        &[],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("base_url = \"https://ivs.markid.eu\""));
}

#[test]
fn check_config_redacts_the_secret_and_lists_overrides() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, "[api]\nkey = \"k\"\nsecret = \"file-secret-xyz\"\n").unwrap();
    let output = check_config(&path, &[("MARKID_API_SECRET", "env-secret-abc")]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(stdout.contains("secret = \"[redacted]\""), "{stdout}");
    assert!(stdout.contains("MARKID_API_SECRET"), "{stdout}");
    assert!(
        !stdout.contains("file-secret-xyz") && !stdout.contains("env-secret-abc"),
        "{stdout}"
    );
}

#[test]
fn invalid_config_names_the_file_and_key_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "[api]\nbase_url = \"http://ivs.markid.eu\"\n",
            "api.base_url",
        ),
        ("[token]\nsessionLength = 4000\n", "token.sessionLength"),
        ("[token]\nlocale = \"pt\"\n", "locale"),
        (
            "[images]\nmax_base64_chars_per_image = 7000000\n",
            "images.max_base64_chars_per_image",
        ),
        ("[api]\ntimeout = 5\n", "timeout"),
        ("[api]\nkey = \"only-a-key\"\n", "api.key"),
        ("[client_id]\nprefix = \"has space\"\n", "client_id.prefix"),
        ("[kiosk]\nkiosk_mode = true\n", "kiosk.staff_pin_hash"),
        (
            "[kiosk]\nstaff_pin_hash = \"2468\"\n",
            "kiosk.staff_pin_hash",
        ),
        (
            "[kiosk]\nidle_warning_secs = 5\n",
            "kiosk.idle_warning_secs",
        ),
        (
            "[kiosk]\nidle_timeout_secs = 20\n",
            "kiosk.idle_timeout_secs",
        ),
        ("not toml at all [", "config.toml"),
    ];
    for (content, key) in cases {
        let path = dir.path().join("config.toml");
        std::fs::write(&path, content).unwrap();
        let output = check_config(&path, &[]);
        assert_eq!(output.status.code(), Some(2), "{content}");
        let stderr = text(&output.stderr);
        assert!(
            stderr.contains(key) && stderr.contains("config.toml"),
            "{content}: {stderr}"
        );
    }
    let output = check_config(&dir.path().join("missing.toml"), &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("missing.toml"));
}

#[test]
fn http_is_accepted_for_loopback_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, "").unwrap();
    for (url, ok) in [
        ("http://127.0.0.1:9000", true),
        ("http://localhost:9", true),
        ("http://[::1]:9", true),
        ("http://10.0.0.1", false),
        ("https://10.0.0.1", true),
    ] {
        let output = check_config(&path, &[("MARKID_BASE_URL", url)]);
        assert_eq!(
            output.status.success(),
            ok,
            "{url}: {}",
            text(&output.stderr)
        );
    }
}

#[test]
fn prepare_reports_bad_files_by_name_and_processes_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("broken.png");
    std::fs::write(&bad, b"\x89PNG\r\n\x1a\n truncated").unwrap();
    let out = dir.path().join("out");
    let output = Command::new(BINARY)
        .arg("prepare")
        .arg(fixture("exif-orientation/Landscape_8.jpg"))
        .arg(&bad)
        .arg(fixture("exif-orientation/Portrait_6.jpg"))
        .arg("--out-dir")
        .arg(&out)
        .arg("--json")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let reports: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let reports = reports.as_array().unwrap();
    assert_eq!(reports.len(), 3);
    assert!(
        reports[1]["error"]
            .as_str()
            .unwrap()
            .contains("PNG file is damaged"),
        "{reports:?}"
    );
    for (index, name, width, height) in [
        (0, "Landscape_8.jpg", 1800, 1200),
        (2, "Portrait_6.jpg", 1200, 1800),
    ] {
        let report = &reports[index];
        assert_eq!(
            (report["width"].as_u64(), report["height"].as_u64()),
            (Some(width), Some(height))
        );
        let written = std::fs::read(out.join(name)).unwrap();
        assert_eq!(written.len() as u64, report["bytes"].as_u64().unwrap());
        assert_eq!(
            report["base64Len"].as_u64().unwrap(),
            written.len().div_ceil(3) as u64 * 4
        );
        for key in ["quality", "scale", "ms"] {
            assert!(report[key].is_number(), "{key}");
        }
    }
    assert!(!out.join("broken.jpg").exists());
}

fn hash_pin(input: &str) -> Output {
    use std::io::Write as _;
    let mut child = Command::new(BINARY)
        .arg("hash-pin")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn hash_pin_prints_a_hash_that_kiosk_mode_accepts() {
    let output = hash_pin("2468\n");
    assert!(output.status.success(), "{}", text(&output.stderr));
    let hash = text(&output.stdout).trim().to_owned();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(!hash.contains("2468"), "only the hash is printed");
    assert!(markid_kiosk::staff::verify_pin("2468", &hash));
    // The config takes it, in kiosk mode too.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(
        &path,
        format!("[kiosk]\nkiosk_mode = true\nstaff_pin_hash = \"{hash}\"\n"),
    )
    .unwrap();
    let output = check_config(&path, &[]);
    assert!(output.status.success(), "{}", text(&output.stderr));

    let refused = hash_pin("12ab\n");
    assert_eq!(refused.status.code(), Some(2));
    assert!(text(&refused.stderr).contains("4 to 12 digits"));
}

#[test]
fn test_connection_spends_no_token_and_fails_on_a_wrong_secret() {
    let harness = Harness::new();
    let output = harness
        .command(DEMO_SECRET)
        .arg("test-connection")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        text(&output.stdout).contains("Connected"),
        "{}",
        text(&output.stdout)
    );
    assert_eq!(harness.simulator().stats().tokens_issued, 0);

    let output = harness
        .command("not-the-secret")
        .arg("test-connection")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let printed = text(&output.stdout);
    assert!(
        printed.contains("Not connected") && printed.contains("401"),
        "{printed}"
    );
    assert!(!printed.contains("not-the-secret"));
}

#[test]
fn journal_prints_a_table_and_exports_csv() {
    use markid_kiosk::journal::{Journal, Outcome, SessionRecord};
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("journal.sqlite3");
    let journal = Journal::open(&database, std::time::Duration::from_secs(86_400)).unwrap();
    journal
        .record(
            std::time::SystemTime::now(),
            &SessionRecord {
                client_id: "kiosk-7".into(),
                scan_ref: "scan-abc".into(),
                document_type: Some("PASSPORT".into()),
                outcome: Outcome::Accepted,
                error: None,
                duration: std::time::Duration::from_millis(61_500),
                captures: 3,
                problems: [("glare".to_owned(), 1)].into(),
                mrz: Some("valid"),
            },
        )
        .unwrap();
    drop(journal);
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[journal]\npath = {:?}\nretention_days = 7\n",
            database.display().to_string()
        ),
    )
    .unwrap();
    let run = |args: &[&str]| {
        Command::new(BINARY)
            .arg("--config")
            .arg(&config)
            .env("MARKID_LOG_DIR", dir.path().join("logs"))
            .args(args)
            .output()
            .unwrap()
    };
    let output = run(&["journal"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let table = text(&output.stdout);
    assert!(table.contains("kept 7 days"), "{table}");
    assert!(
        table.contains("accepted")
            && table.contains("PASSPORT")
            && table.contains("61.5s")
            && table.contains("glare:1"),
        "{table}"
    );
    let csv = dir.path().join("out.csv");
    let output = run(&["journal", "--csv", csv.to_str().unwrap()]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let exported = std::fs::read_to_string(&csv).unwrap();
    let lines: Vec<&str> = exported.lines().collect();
    assert_eq!(lines.len(), 2, "{exported}");
    assert!(
        lines[1].ends_with(",kiosk-7,scan-abc,PASSPORT,accepted,,61500,3,glare:1,valid"),
        "{exported}"
    );
}

#[test]
fn bench_prints_each_stage_and_the_fastest_run_for_a_photo() {
    let photo = fixture("exif-orientation/Landscape_6.jpg");
    let output = Command::new(BINARY)
        .args(["bench", "--runs", "3", "--no-vips"])
        .arg(&photo)
        .env("MARKID_KIOSK_CONFIG", "/nonexistent/markid.toml")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    let table = text(&output.stdout);
    assert!(table.contains("best"), "{table}");
    let row = table
        .lines()
        .find(|line| line.starts_with("Landscape_6.jpg"))
        .unwrap_or_else(|| panic!("no row for the photo: {table}"));
    // decode, resize, encode, total (median), best, bytes, PSNR; vips columns are "-".
    let numbers: Vec<f64> = row
        .split_whitespace()
        .skip(1)
        .filter_map(|cell| cell.parse().ok())
        .collect();
    assert_eq!(numbers.len(), 7, "{row}");
    let (total, best) = (numbers[3], numbers[4]);
    assert!(best > 0.0 && best <= total, "{row}");
    assert!(numbers[6] > 30.0, "PSNR against the source: {row}");
    assert!(table.contains("(vips left out)"), "{table}");
}

#[path = "support/eval_set.rs"]
#[expect(dead_code, reason = "only the document frames are used here")]
mod eval_set;

/// One JSON object per line of the command's standard output.
fn json_lines(output: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// `markid-kiosk SUBCOMMAND IMAGE... EXTRA...` without a config, logging under `dir`.
fn on_images(subcommand: &str, dir: &Path, images: &[&Path], extra: &[&str]) -> Output {
    Command::new(BINARY)
        .arg(subcommand)
        .args(images)
        .args(extra)
        .env_remove("MARKID_KIOSK_CONFIG")
        .env("MARKID_LOG_DIR", dir.join("logs"))
        .output()
        .unwrap()
}

#[test]
fn check_judges_photos_with_json_and_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let set = eval_set::document_set(1, 29);
    let frame_of = |class: eval_set::DocClass| {
        let sample = set.iter().find(|s| s.class == class).unwrap();
        let path = dir.path().join(format!("{class:?}.jpg"));
        sample.frame.save(&path).unwrap();
        (path, sample.corners)
    };
    let (good, truth) = frame_of(eval_set::DocClass::Good);
    let (empty, _) = frame_of(eval_set::DocClass::NoDocument);
    let run = |args: &[&Path], extra: &[&str]| on_images("check", dir.path(), args, extra);
    let output = run(&[&good], &["--json"]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["role"], "document");
    assert_eq!(report["usable"], true);
    assert_eq!(report["problems"], serde_json::json!([]));
    assert!(report["face"].is_null());
    assert!(report["ms"].as_f64().unwrap() > 0.0);
    assert!(report["metrics"]["sharpness"].as_f64().is_some());
    // The corners, in the image's pixels, where the document was put.
    let corners = report["corners"].as_array().unwrap();
    for (found, want) in corners.iter().zip(truth.unwrap()) {
        let (x, y) = (found[0].as_f64().unwrap(), found[1].as_f64().unwrap());
        assert!(
            (x - f64::from(want[0])).hypot(y - f64::from(want[1])) < 60.0,
            "{corners:?} vs {truth:?}"
        );
    }
    // One unusable image makes the exit code 1; each image gets its own line.
    let output = run(&[&good, &empty], &["--json"]);
    assert_eq!(output.status.code(), Some(1));
    let lines = json_lines(&output);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1]["problems"], serde_json::json!(["no_document"]));
    assert!(lines[1]["corners"].is_null());
    // As a face: no face in an empty scene.
    let output = run(&[&empty], &["--role", "face", "--json"]);
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["problems"], serde_json::json!(["no_face"]));
    // A broken file: exit 2, its own clear line, the other images still judged.
    let broken = dir.path().join("broken.jpg");
    std::fs::write(&broken, b"\xff\xd8\xff\xe0 not really").unwrap();
    let output = run(&[&broken, &good], &[]);
    assert_eq!(output.status.code(), Some(2));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("broken.jpg: error: the JPEG file is damaged"),
        "{text}"
    );
    assert!(text.contains("Good.jpg: usable"), "{text}");
}

#[test]
fn mrz_reads_specimens_with_json_exit_codes_and_no_personal_fields_unless_asked() {
    let dir = tempfile::tempdir().unwrap();
    let readable = fixture("mrz/pass-uto.jpg");
    let unreadable = fixture("exif-orientation/Landscape_6.jpg");
    let run = |args: &[&Path], extra: &[&str]| on_images("mrz", dir.path(), args, extra);
    let output = run(&[&readable], &["--json"]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["found"], true);
    assert_eq!(report["format"], "TD3");
    assert_eq!(report["valid"], true);
    assert_eq!(report["document_code"], "P");
    assert_eq!(report["issuing_state"], "UTO");
    // ICAO's specimen expired on 15 April 2012.
    assert_eq!(report["expired"], true);
    for check in [
        "document_number",
        "date_of_birth",
        "date_of_expiry",
        "personal_number",
        "composite",
    ] {
        assert_eq!(report["checks"][check], true, "{report}");
    }
    assert!(report["ms"].as_f64().unwrap() > 0.0);
    // Names and numbers only with --show-fields.
    let plain = String::from_utf8_lossy(&output.stdout);
    assert!(
        !plain.contains("ERIKSSON") && !plain.contains("L898902C3"),
        "{plain}"
    );
    assert!(report.get("fields").is_none());
    let output = run(&[&readable], &["--json", "--show-fields"]);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["fields"]["surname"], "ERIKSSON");
    assert_eq!(report["fields"]["document_number"], "L898902C3");
    assert_eq!(report["fields"]["date_of_expiry"], "2012-04-15");
    // A photo without an MRZ: exit 1, its own line; a broken file: exit 2.
    let output = run(&[&readable, &unreadable], &["--json"]);
    assert_eq!(output.status.code(), Some(1));
    let lines = json_lines(&output);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1]["valid"], false);
    let broken = dir.path().join("broken.jpg");
    std::fs::write(&broken, b"\xff\xd8\xff\xe0 not really").unwrap();
    let output = run(&[&broken, &readable], &[]);
    assert_eq!(output.status.code(), Some(2));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("broken.jpg: error:"), "{text}");
    assert!(text.contains("pass-uto.jpg: TD3 valid P UTO"), "{text}");
    // Nothing personal in the log either.
    let logs: String = std::fs::read_dir(dir.path().join("logs"))
        .map(|entries| {
            entries
                .flatten()
                .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
                .collect()
        })
        .unwrap_or_default();
    assert!(!logs.contains("ERIKSSON") && !logs.contains("L898902C3"));
}
