//! The command line: `check-config`, `simulate`, `submit`, `prepare`, `bench`.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand, ValueEnum};
use zeroize::Zeroize as _;

use crate::api::{
    ApiError, ConnectionCheck, ImageSlot, ProcessDocumentType, TokenFields, TokenType,
};
use crate::config::{Config, LoadedConfig};
use crate::imaging::{self, ImagePolicy, ImageRole, PreparedImage};
use crate::journal::{Journal, JournalError};
use crate::secret::Personal;
use crate::services::{Services, ServicesError};
use crate::simulator::{DEMO_KEY, DEMO_SECRET, Fault, FaultPlan, SimulatorConfig, SimulatorHandle};
use crate::submit::{ImageSource, SubmitError, SubmitInput};

/// Exit code for a failed operation.
const EXIT_FAILED: u8 = 1;
/// Exit code for an invalid configuration or invocation.
const EXIT_INVALID: u8 = 2;

/// Identity-verification kiosk for the Mark ID API.
#[derive(Debug, Parser)]
#[command(name = "markid-kiosk", version, about)]
pub struct Cli {
    /// Config file (default: $MARKID_KIOSK_CONFIG, else the platform's config directory).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Use the built-in API simulator instead of Mark ID (no credentials needed, no credit spent).
    #[arg(long, global = true)]
    pub demo: bool,
    /// Kiosk mode: fullscreen, closing refused, exit behind the staff PIN ([kiosk] kiosk_mode).
    #[arg(long, global = true)]
    pub kiosk: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the effective configuration (secret redacted); exit non-zero when it is invalid.
    CheckConfig,
    /// Run the Mark ID API simulator on 127.0.0.1.
    Simulate(SimulateArgs),
    /// Verify one person from image files: create a session, prepare the images, upload them.
    Submit(SubmitArgs),
    /// Turn photos into exactly the JPEGs that would be uploaded.
    Prepare(PrepareArgs),
    /// Judge photos as the kiosk does before it spends a token: exit 0 when every one is usable,
    /// 1 when any is not, 2 when one cannot be read.
    Check(CheckArgs),
    /// Read the machine-readable zone (MRZ) of document photos and verify its check digits:
    /// exit 0 when every image has a valid MRZ, 1 when any has none or an invalid one, 2 when
    /// one cannot be read. Names, numbers and dates are printed only with --show-fields.
    Mrz(MrzArgs),
    /// Time the image pipeline per stage on real photos, against libvips when installed.
    Bench(crate::bench::BenchArgs),
    /// List the connected cameras, with the index and name `[camera]` in the config takes.
    Cameras,
    /// Read a staff PIN (4-12 digits) from standard input and print its hash for
    /// `[kiosk] staff_pin_hash`.
    HashPin,
    /// Check the API address and credentials without spending a token.
    TestConnection,
    /// Show the submission journal, or export it as CSV.
    Journal(JournalArgs),
}

/// `journal` options.
#[derive(Debug, clap::Args)]
pub struct JournalArgs {
    /// Write every kept entry to this CSV file ("-" for standard output) instead of a table.
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
    /// How many of the newest entries the table shows.
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
}

/// `simulate` options.
#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    /// Port on 127.0.0.1 (0 picks a free one and prints it).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// API key it accepts.
    #[arg(long, default_value = DEMO_KEY)]
    pub key: String,
    /// API secret it accepts.
    #[arg(long, default_value = DEMO_SECRET)]
    pub secret: String,
    /// A fault on every call: slow, hang, stall, reset, html502, html503, 429, ok-with-error,
    /// token-not-valid, 401.
    #[arg(long)]
    pub fault: Option<String>,
}

/// `submit` options.
#[derive(Debug, clap::Args)]
pub struct SubmitArgs {
    /// Document country, ISO 3166-1 alpha-2 (e.g. LT).
    #[arg(long)]
    pub country: String,
    /// Document type: ID_CARD, PASSPORT, RESIDENCE_PERMIT, DRIVER_LICENSE, OTHER.
    #[arg(long, value_parser = parse_wire::<ProcessDocumentType>)]
    pub document: ProcessDocumentType,
    /// Photo of the document's front.
    #[arg(long)]
    pub front: PathBuf,
    /// Photo of the document's back (required unless PASSPORT).
    #[arg(long)]
    pub back: Option<PathBuf>,
    /// Photo of the person's face (required unless --token-type DOCUMENT).
    #[arg(long)]
    pub face: Option<PathBuf>,
    /// Photo of a utility bill.
    #[arg(long)]
    pub utility_bill: Option<PathBuf>,
    /// The clientId (default: generated, see client_id in the config).
    #[arg(long)]
    pub client_id: Option<String>,
    /// The person's first name(s).
    #[arg(long)]
    pub first_name: Option<String>,
    /// The person's surname(s).
    #[arg(long)]
    pub last_name: Option<String>,
    /// DOCUMENT, IDENTIFICATION, VIDEO_CALL, VIDEO_CALL_PHOTOS or VIDEO_CALL_IDENTIFICATION.
    #[arg(long, value_parser = parse_wire::<TokenType>)]
    pub token_type: Option<TokenType>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// What an image shows, for `prepare`.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum RoleArg {
    /// A document side (3000 px cap by default).
    Document,
    /// A face (1600 px cap by default).
    Face,
}

/// `prepare` options.
#[derive(Debug, clap::Args)]
pub struct PrepareArgs {
    /// Input images (any of JPEG, PNG, WebP, BMP, TIFF, GIF).
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Where to write the JPEGs (input stem + .jpg).
    #[arg(long)]
    pub out_dir: PathBuf,
    /// What the images show.
    #[arg(long, value_enum, default_value_t = RoleArg::Document)]
    pub role: RoleArg,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Rectify documents to their corners first, as the kiosk uploads them ([quality]).
    #[arg(long)]
    pub crop: bool,
}

/// `check` options.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Images to judge (any of JPEG, PNG, WebP, BMP, TIFF, GIF).
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// What the images show.
    #[arg(long, value_enum, default_value_t = RoleArg::Document)]
    pub role: RoleArg,
    /// Print one JSON object per image instead of a line.
    #[arg(long)]
    pub json: bool,
}

/// `mrz` options.
#[derive(Debug, clap::Args)]
pub struct MrzArgs {
    /// Document photos or scans (any of JPEG, PNG, WebP, BMP, TIFF, GIF).
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Print one JSON object per image instead of a line.
    #[arg(long)]
    pub json: bool,
    /// Also print the names, numbers, dates and the zone's lines: personal data, for staff
    /// debugging only.
    #[arg(long)]
    pub show_fields: bool,
}

fn parse_wire<T: std::str::FromStr<Err = String>>(value: &str) -> Result<T, String> {
    value.trim().to_ascii_uppercase().parse()
}

/// Parses the command line and runs it.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    // The log file's format is the config's; a config that does not load says why in the
    // command, with text logs meanwhile.
    let format = LoadedConfig::load(cli.config.as_deref())
        .map(|loaded| loaded.config.logs.format)
        .unwrap_or_default();
    // Flushes the log file when `run` returns.
    let _logs = crate::logs::init(format);
    match cli.command {
        Some(Command::CheckConfig) => check_config(cli.config.as_deref()),
        Some(Command::Simulate(args)) => with_runtime(simulate(args)),
        Some(Command::Submit(args)) => match load_config(cli.config.as_deref()) {
            Ok(config) => submit(config.config, cli.demo, args),
            Err(code) => code,
        },
        Some(Command::Prepare(args)) => match load_config(cli.config.as_deref()) {
            Ok(config) => prepare(&config.config, args),
            Err(code) => code,
        },
        Some(Command::Check(args)) => match load_config(cli.config.as_deref()) {
            Ok(config) => check(&config.config, &args),
            Err(code) => code,
        },
        Some(Command::Mrz(args)) => match load_config(cli.config.as_deref()) {
            Ok(config) => read_mrz(&config.config, &args),
            Err(code) => code,
        },
        Some(Command::Bench(args)) => crate::bench::run(args),
        Some(Command::Cameras) => list_cameras(),
        Some(Command::HashPin) => hash_pin(),
        Some(Command::TestConnection) => match load_config(cli.config.as_deref()) {
            Ok(config) => test_connection(config.config, cli.demo),
            Err(code) => code,
        },
        Some(Command::Journal(args)) => match load_config(cli.config.as_deref()) {
            Ok(config) => show_journal(&config.config, &args),
            Err(code) => code,
        },
        None => crate::app::run_kiosk(cli.config.as_deref(), cli.demo, cli.kiosk),
    }
}

fn test_connection(mut config: Config, demo: bool) -> ExitCode {
    let services = match start_services(&mut config, demo) {
        Ok(services) => services,
        Err(code) => return code,
    };
    println!("testing {} ...", config.api.base_url);
    let (ok, text) =
        ConnectionCheck::report(&services.block_on(services.client.check_connection()));
    println!("{text}");
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FAILED)
    }
}

fn show_journal(config: &Config, args: &JournalArgs) -> ExitCode {
    let Some(path) = config.journal.resolved_path() else {
        eprintln!("error: no data directory on this system: set [journal] path in the config");
        return ExitCode::from(EXIT_INVALID);
    };
    let journal = match Journal::open(&path, config.journal.retention()) {
        Ok(journal) => journal,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(EXIT_FAILED);
        }
    };
    let result = match &args.csv {
        Some(file) if file.as_os_str() == "-" => journal
            .export_csv(&mut std::io::stdout().lock())
            .map(|_| ()),
        Some(file) => std::fs::File::create(file)
            .map_err(JournalError::Export)
            .and_then(|out| journal.export_csv(&mut std::io::BufWriter::new(out)))
            .map(|rows| eprintln!("{rows} entries written to {}", file.display())),
        None => journal.recent(args.limit).map(|entries| {
            println!(
                "# {} (kept {} days)",
                path.display(),
                config.journal.retention_days
            );
            println!("{}", crate::journal::TABLE_HEADER);
            for entry in &entries {
                println!("{}", entry.table_row());
            }
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(EXIT_FAILED)
        }
    }
}

fn hash_pin() -> ExitCode {
    use std::io::IsTerminal as _;
    if std::io::stdin().is_terminal() {
        eprint!("staff PIN (4-12 digits), then Enter: ");
    }
    let mut line = String::new();
    if let Err(error) = std::io::stdin().read_line(&mut line) {
        eprintln!("error: cannot read the PIN: {error}");
        return ExitCode::from(EXIT_FAILED);
    }
    let pin = zeroize::Zeroizing::new(line.trim().to_owned());
    line.zeroize();
    match crate::staff::hash_pin(&pin) {
        Ok(hash) => {
            println!("{hash}");
            eprintln!("put it in the config: [kiosk] staff_pin_hash = \"{hash}\"");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(EXIT_INVALID)
        }
    }
}

fn list_cameras() -> ExitCode {
    match crate::camera::list_devices() {
        Ok(devices) if devices.is_empty() => {
            println!("no camera found (the kiosk offers photo files instead)");
            ExitCode::SUCCESS
        }
        Ok(devices) => {
            println!("index  name");
            for device in devices {
                println!("{:>5}  {}", device.index, device.name);
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

fn with_runtime(work: impl std::future::Future<Output = ExitCode>) -> ExitCode {
    match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("markid-io")
        .build()
    {
        Ok(runtime) => runtime.block_on(work),
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            ExitCode::from(EXIT_FAILED)
        }
    }
}

fn load_config(path: Option<&Path>) -> Result<LoadedConfig, ExitCode> {
    LoadedConfig::load(path).map_err(|error| {
        eprintln!("error: {error}");
        ExitCode::from(EXIT_INVALID)
    })
}

fn check_config(path: Option<&Path>) -> ExitCode {
    let loaded = match load_config(path) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let source = loaded.path.as_ref().map_or_else(
        || "none (built-in defaults)".to_owned(),
        |p| p.display().to_string(),
    );
    println!("# config file: {source}");
    if !loaded.env_overrides.is_empty() {
        println!(
            "# environment overrides: {}",
            loaded.env_overrides.join(", ")
        );
    }
    if !loaded.config.has_credentials() {
        println!("# no API credentials: the kiosk starts in demo mode");
    }
    print!("{}", loaded.config.to_redacted_toml());
    ExitCode::SUCCESS
}

async fn simulate(args: SimulateArgs) -> ExitCode {
    let config = SimulatorConfig {
        key: args.key,
        secret: args.secret,
        ..SimulatorConfig::default()
    };
    let address = std::net::SocketAddr::from(([127, 0, 0, 1], args.port));
    let handle = match SimulatorHandle::start(config, address).await {
        Ok(handle) => handle,
        Err(error) => {
            eprintln!("error: cannot listen on {address}: {error}");
            return ExitCode::from(EXIT_FAILED);
        }
    };
    if let Some(name) = &args.fault {
        let Some(fault) = Fault::from_name(name) else {
            eprintln!(
                "error: unknown fault '{name}'; known: {}",
                Fault::NAMES.join(", ")
            );
            return ExitCode::from(EXIT_INVALID);
        };
        handle.set_fault(FaultPlan::always(fault, None));
    }
    println!(
        "Mark ID simulator on {} (Ctrl+C to stop)",
        handle.base_url()
    );
    let _ = std::io::stdout().flush();
    let _ = tokio::signal::ctrl_c().await;
    handle.stop();
    ExitCode::SUCCESS
}

/// The services for a command (`Services::start`, as the window's), with the demo simulator
/// when `demo`. Says what is wrong and gives the exit code otherwise.
fn start_services(config: &mut Config, demo: bool) -> Result<Services, ExitCode> {
    Services::start(config, demo).map_err(|error| {
        eprintln!("error: {error}");
        ExitCode::from(match error {
            ServicesError::Runtime(_) | ServicesError::Simulator(_) => EXIT_FAILED,
            _ => EXIT_INVALID,
        })
    })
}

fn submit(mut config: Config, demo: bool, args: SubmitArgs) -> ExitCode {
    let services = match start_services(&mut config, demo) {
        Ok(services) => services,
        Err(code) => return code,
    };
    let json = args.json;
    let input = submit_input(args);
    let submitted = services.block_on(crate::submit::submit(
        &services.client,
        &config,
        input,
        Arc::new(|_| {}),
    ));
    match submitted {
        Ok(outcome) => {
            if json {
                println!("{}", serde_json::to_string(&outcome).unwrap_or_default());
            } else {
                println!("{}", outcome.scan_ref);
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            report_submit_error(&error);
            ExitCode::from(EXIT_FAILED)
        }
    }
}

fn submit_input(args: SubmitArgs) -> SubmitInput {
    let mut images = vec![(ImageSlot::Front, ImageSource::File(args.front))];
    for (slot, path) in [
        (ImageSlot::Back, args.back),
        (ImageSlot::Face, args.face),
        (ImageSlot::UtilityBill, args.utility_bill),
    ] {
        if let Some(path) = path {
            images.push((slot, ImageSource::File(path)));
        }
    }
    let token_overrides = TokenFields {
        first_name: args.first_name.map(Personal),
        last_name: args.last_name.map(Personal),
        token_type: args.token_type,
        ..TokenFields::default()
    };
    SubmitInput {
        country: args.country,
        document_type: args.document,
        images,
        client_id: args.client_id,
        token_overrides,
    }
}

/// Prints a failure for the operator: status, identifier, message, what to do. The error types
/// never carry the secret or the token, so printing them is safe.
fn report_submit_error(error: &SubmitError) {
    let SubmitError::Api(api_error) = error else {
        eprintln!("error: {error}");
        return;
    };
    eprintln!("error: verification failed: {api_error}");
    if let Some(status) = api_error.status() {
        eprintln!("  HTTP status: {status}");
    }
    if let Some(identifier) = api_error.identifier() {
        eprintln!("  identifier:  {identifier}");
    }
    if let ApiError::Http { failure, .. } = api_error {
        if let Some(message) = &failure.message {
            eprintln!("  message:     {message}");
        }
        if let Some(excerpt) = &failure.body_excerpt {
            eprintln!("  body:        {excerpt}");
        }
    }
    eprintln!("  what to do:  {}", api_error.staff_hint());
    if api_error.token_spent() {
        eprintln!("  the session token is spent: run submit again for a new session");
    }
}

/// One line of `prepare` output.
#[derive(Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct PrepareReport {
    input: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    output: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    width: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    height: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bytes: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    base64_len: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    quality: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scale: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

fn prepare(config: &Config, args: PrepareArgs) -> ExitCode {
    if let Err(error) = std::fs::create_dir_all(&args.out_dir) {
        eprintln!("error: cannot create {}: {error}", args.out_dir.display());
        return ExitCode::from(EXIT_FAILED);
    }
    let role = match args.role {
        RoleArg::Document => ImageRole::Document,
        RoleArg::Face => ImageRole::Face,
    };
    let policy = ImagePolicy::from(&config.images);
    let inputs: Vec<(PathBuf, ImageRole)> = args
        .inputs
        .iter()
        .map(|path| (path.clone(), role))
        .collect();
    let results = if args.crop && matches!(role, ImageRole::Document) {
        use rayon::prelude::*;
        args.inputs
            .par_iter()
            .map(|path| imaging::prepare_document_file(path, &policy, &config.quality))
            .collect()
    } else {
        imaging::prepare_files(&inputs, &policy)
    };
    let mut reports = Vec::new();
    for (input, result) in args.inputs.iter().zip(results) {
        reports.push(write_prepared(input, result, &args.out_dir));
    }
    let failed = reports.iter().filter(|r| r.error.is_some()).count();
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&reports).unwrap_or_default()
        );
    } else {
        print_prepare_table(&reports);
    }
    if failed > 0 {
        eprintln!("error: {failed} of {} images failed", reports.len());
        return ExitCode::from(EXIT_FAILED);
    }
    ExitCode::SUCCESS
}

fn write_prepared(
    input: &Path,
    result: Result<PreparedImage, imaging::ImagingError>,
    out_dir: &Path,
) -> PrepareReport {
    let mut report = PrepareReport {
        input: input.display().to_string(),
        output: None,
        width: None,
        height: None,
        bytes: None,
        base64_len: None,
        quality: None,
        scale: None,
        ms: None,
        error: None,
    };
    let prepared = match result {
        Ok(prepared) => prepared,
        Err(error) => {
            report.error = Some(error.to_string());
            return report;
        }
    };
    let stem = input
        .file_stem()
        .map_or_else(|| "image".into(), |s| s.to_string_lossy().into_owned());
    let output = out_dir.join(format!("{stem}.jpg"));
    if let Err(error) = std::fs::write(&output, &prepared.jpeg.bytes) {
        report.error = Some(format!("cannot write {}: {error}", output.display()));
        return report;
    }
    report.output = Some(output.display().to_string());
    report.width = Some(prepared.jpeg.width);
    report.height = Some(prepared.jpeg.height);
    report.bytes = Some(prepared.jpeg.bytes.len());
    report.base64_len = Some(prepared.base64_len());
    report.quality = Some(prepared.jpeg.quality);
    report.scale = Some((prepared.scale() * 1000.0).round() / 1000.0);
    report.ms = Some((prepared.times.total_ms() * 10.0).round() / 10.0);
    report
}

fn print_prepare_table(reports: &[PrepareReport]) {
    println!(
        "{:<40} {:>6} {:>6} {:>10} {:>10} {:>4} {:>6} {:>8}",
        "input", "width", "height", "bytes", "base64", "q", "scale", "ms"
    );
    for report in reports {
        match &report.error {
            Some(error) => println!("{:<40} FAILED: {error}", report.input),
            None => println!(
                "{:<40} {:>6} {:>6} {:>10} {:>10} {:>4} {:>6.3} {:>8.1}",
                report.input,
                report.width.unwrap_or_default(),
                report.height.unwrap_or_default(),
                report.bytes.unwrap_or_default(),
                report.base64_len.unwrap_or_default(),
                report.quality.unwrap_or_default(),
                report.scale.unwrap_or_default(),
                report.ms.unwrap_or_default(),
            ),
        }
    }
}

/// One image's verdict, as `check --json` prints it.
#[derive(serde::Serialize)]
struct CheckReport {
    file: String,
    role: &'static str,
    usable: bool,
    problems: Vec<&'static str>,
    corners: Option<[crate::quality::Corner; 4]>,
    face: Option<[u32; 4]>,
    metrics: serde_json::Value,
    ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

fn check(config: &Config, args: &CheckArgs) -> ExitCode {
    use crate::quality::{analyze_document_in_colour, analyze_face, luma_of};
    let policy = ImagePolicy::from(&config.images);
    let mut worst = ExitCode::SUCCESS;
    let (mut unusable, mut unreadable) = (false, false);
    for input in &args.inputs {
        let started = std::time::Instant::now();
        let mut report = CheckReport {
            file: input.display().to_string(),
            role: match args.role {
                RoleArg::Document => "document",
                RoleArg::Face => "face",
            },
            usable: false,
            problems: Vec::new(),
            corners: None,
            face: None,
            metrics: serde_json::Value::Null,
            ms: 0.0,
            error: None,
        };
        match imaging::load_upright(input, &policy) {
            Ok(mut rgb) => {
                let luma = luma_of(&rgb);
                match args.role {
                    RoleArg::Document => {
                        // The photo, for its colour when luma shows no clear outline.
                        let found = analyze_document_in_colour(&luma, Some(&rgb), &config.quality);
                        report.usable = found.usable();
                        report.problems = found.problems.iter().map(|p| p.code()).collect();
                        report.corners = found.corners;
                        report.metrics = serde_json::to_value(&found.metrics).unwrap_or_default();
                    }
                    RoleArg::Face => {
                        let found = analyze_face(&luma, &config.quality);
                        report.usable = found.usable();
                        report.problems = found.problems.iter().map(|p| p.code()).collect();
                        report.face = found.face;
                        report.metrics = serde_json::to_value(&found.metrics).unwrap_or_default();
                    }
                }
                imaging::wipe_slice(&mut rgb);
                unusable |= !report.usable;
            }
            Err(error) => {
                report.error = Some(error.to_string());
                unreadable = true;
            }
        }
        report.ms = (started.elapsed().as_secs_f64() * 10_000.0).round() / 10.0;
        if args.json {
            println!("{}", serde_json::to_string(&report).unwrap_or_default());
        } else if let Some(error) = &report.error {
            println!("{}: error: {error}", report.file);
        } else if report.usable {
            println!("{}: usable ({} ms)", report.file, report.ms);
        } else {
            println!(
                "{}: not usable: {} ({} ms)",
                report.file,
                report.problems.join(", "),
                report.ms
            );
        }
    }
    if unreadable {
        worst = ExitCode::from(EXIT_INVALID);
    } else if unusable {
        worst = ExitCode::from(EXIT_FAILED);
    }
    worst
}

/// One line of `mrz --json`.
#[derive(serde::Serialize)]
struct MrzReport {
    file: String,
    found: bool,
    format: Option<&'static str>,
    valid: bool,
    checks: serde_json::Map<String, serde_json::Value>,
    document_code: Option<String>,
    issuing_state: Option<String>,
    expired: Option<bool>,
    ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    fields: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

fn read_mrz(config: &Config, args: &MrzArgs) -> ExitCode {
    use crate::quality::{analyze_document_in_colour, luma_of};
    let policy = ImagePolicy::from(&config.images);
    let today = crate::mrz::today();
    let (mut unreadable, mut invalid) = (false, false);
    for input in &args.inputs {
        let started = std::time::Instant::now();
        let mut report = MrzReport {
            file: input.display().to_string(),
            found: false,
            format: None,
            valid: false,
            checks: serde_json::Map::new(),
            document_code: None,
            issuing_state: None,
            expired: None,
            ms: 0.0,
            fields: None,
            error: None,
        };
        match imaging::load_upright(input, &policy) {
            Ok(mut rgb) => {
                // The outline as the kiosk finds it; the reader falls back to the whole image.
                let outline =
                    analyze_document_in_colour(&luma_of(&rgb), Some(&rgb), &config.quality);
                let reading = crate::mrz::read_document(&rgb, outline.corners.as_ref());
                imaging::wipe_slice(&mut rgb);
                report.found = reading.found;
                report.format = reading.layout.map(|l| l.code());
                report.valid = reading.valid;
                for (name, ok) in &reading.checks {
                    report.checks.insert((*name).to_string(), (*ok).into());
                }
                if reading.found && reading.layout.is_some() {
                    report.document_code = reading.document_code();
                    report.issuing_state = reading.issuing_state();
                    report.expired = reading.expired(today);
                }
                if args.show_fields {
                    report.fields = Some(mrz_fields(&reading));
                }
                invalid |= !reading.valid;
            }
            Err(error) => {
                report.error = Some(error.to_string());
                unreadable = true;
            }
        }
        report.ms = (started.elapsed().as_secs_f64() * 10_000.0).round() / 10.0;
        if args.json {
            println!("{}", serde_json::to_string(&report).unwrap_or_default());
        } else if let Some(error) = &report.error {
            println!("{}: error: {error}", report.file);
        } else if !report.found {
            println!("{}: no MRZ found ({} ms)", report.file, report.ms);
        } else {
            let failed: Vec<&String> = report
                .checks
                .iter()
                .filter(|(_, ok)| **ok == serde_json::Value::Bool(false))
                .map(|(name, _)| name)
                .collect();
            println!(
                "{}: {} {} {}{} ({} ms)",
                report.file,
                report.format.unwrap_or("unknown layout"),
                if report.valid { "valid" } else { "invalid" },
                report.document_code.as_deref().unwrap_or("?"),
                report
                    .issuing_state
                    .as_deref()
                    .map(|s| format!(" {s}"))
                    .unwrap_or_default(),
                report.ms
            );
            if !failed.is_empty() {
                println!("  failed checks: {failed:?}");
            }
            if let Some(fields) = &report.fields {
                println!("  {fields}");
            }
        }
    }
    if unreadable {
        ExitCode::from(EXIT_INVALID)
    } else if invalid {
        ExitCode::from(EXIT_FAILED)
    } else {
        ExitCode::SUCCESS
    }
}

/// The personal fields of a reading: `mrz --show-fields` only.
fn mrz_fields(reading: &crate::mrz::MrzReading) -> serde_json::Value {
    let mut fields = serde_json::json!({ "lines": reading.lines() });
    if let Some(data) = &reading.data {
        fields["surname"] = data.surname.clone().into();
        fields["given_names"] = data.given_names.clone().into();
        fields["document_number"] = data.full_document_number().to_string().into();
        fields["nationality"] = data.nationality.clone().into();
        fields["date_of_birth"] = data.date_of_birth.to_string().into();
        fields["sex"] = format!("{:?}", data.sex).into();
        fields["date_of_expiry"] = data.date_of_expiry.to_string().into();
    }
    fields
}
