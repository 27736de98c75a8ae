//! A stand-in for the Mark ID API on 127.0.0.1, written from the specification: basic auth,
//! both endpoints with their validation and error bodies, tokens that die after /process, the
//! size limits, and faults that can be switched on (slow, reset, 5xx HTML, 429, 200-with-error,
//! TOKEN_NOT_VALID, 401 without identifier, any answer).
//!
//! It runs as `markid-kiosk simulate --port N`, in-process for tests, and behind demo mode.

mod handlers;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::api::{Endpoint, ImageSlot};

/// Credentials and limits of a simulated environment.
#[derive(Clone, Debug)]
pub struct SimulatorConfig {
    /// The API key it accepts.
    pub key: String,
    /// The API secret it accepts.
    pub secret: String,
    /// Largest /process body, in bytes (spec: 20 MB).
    pub max_request_bytes: usize,
    /// Largest Base64 image, in characters (spec: 6 MB).
    pub max_image_chars: usize,
}

/// Credentials of the built-in demo environment.
pub const DEMO_KEY: &str = "demo-key";
/// Secret of the built-in demo environment (not a real secret: it only opens the simulator).
pub const DEMO_SECRET: &str = "demo-secret";

impl Default for SimulatorConfig {
    fn default() -> Self {
        Self {
            key: DEMO_KEY.to_owned(),
            secret: DEMO_SECRET.to_owned(),
            max_request_bytes: 20_000_000,
            max_image_chars: 6_000_000,
        }
    }
}

/// A misbehaviour to show instead of the normal answer.
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// Wait this long before answering normally.
    Slow(Duration),
    /// Read the whole request, then never answer (an upstream that hangs behind a proxy).
    Hang,
    /// Read nothing of the body and never answer (a connection that stopped moving).
    Stall,
    /// Read part of the request, then reset the connection (TCP RST).
    ConnectionReset,
    /// Answer this 5xx status with an HTML page, as a proxy or load balancer does.
    HtmlServerError(u16),
    /// Answer 429 with this `Retry-After` (seconds).
    TooManyRequests {
        /// Seconds to wait.
        retry_after_secs: u64,
    },
    /// /process answers 200 with an error body ("document not detected"); the token is spent.
    OkWithError,
    /// Answer 400 TOKEN_NOT_VALID.
    TokenNotValid,
    /// Answer 401 "Invalid authorization credentials" with no identifier.
    UnauthorizedWithoutIdentifier,
    /// Answer this status with this JSON body.
    Answer {
        /// HTTP status.
        status: u16,
        /// JSON body.
        body: serde_json::Value,
    },
}

impl Fault {
    /// Parses a name as the `simulate --fault` option takes it.
    pub fn from_name(name: &str) -> Option<Fault> {
        Some(match name {
            "slow" => Fault::Slow(Duration::from_secs(40)),
            "hang" => Fault::Hang,
            "stall" => Fault::Stall,
            "reset" => Fault::ConnectionReset,
            "html502" => Fault::HtmlServerError(502),
            "html503" => Fault::HtmlServerError(503),
            "429" => Fault::TooManyRequests {
                retry_after_secs: 1,
            },
            "ok-with-error" => Fault::OkWithError,
            "token-not-valid" => Fault::TokenNotValid,
            "401" => Fault::UnauthorizedWithoutIdentifier,
            _ => return None,
        })
    }

    /// The names `from_name` knows.
    pub const NAMES: &'static [&'static str] = &[
        "slow",
        "hang",
        "stall",
        "reset",
        "html502",
        "html503",
        "429",
        "ok-with-error",
        "token-not-valid",
        "401",
    ];
}

/// When a fault applies.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultPlan {
    /// The fault.
    pub fault: Fault,
    /// Only calls to this endpoint; `None` for both.
    pub endpoint: Option<Endpoint>,
    /// How many calls it applies to; `None` for all until cleared.
    pub times: Option<u32>,
}

impl FaultPlan {
    /// Every call to `endpoint` from now on.
    pub fn always(fault: Fault, endpoint: Option<Endpoint>) -> Self {
        Self {
            fault,
            endpoint,
            times: None,
        }
    }

    /// The next `times` calls to `endpoint`.
    pub fn times(fault: Fault, endpoint: Option<Endpoint>, times: u32) -> Self {
        Self {
            fault,
            endpoint,
            times: Some(times),
        }
    }
}

/// What one accepted /process call carried, for tests to check (sizes only, no image data).
#[derive(Clone, Debug, PartialEq)]
pub struct ProcessRecord {
    /// Upper-case alpha-2.
    pub country: String,
    /// As sent.
    pub document_type: String,
    /// Each image slot and its Base64 length.
    pub images: Vec<(ImageSlot, usize)>,
    /// Size of the whole body.
    pub body_bytes: usize,
    /// The session token it carried (tests check where else it went).
    pub auth_token: String,
}

/// Counters for tests.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SimulatorStats {
    /// Token calls answered (any outcome).
    pub token_calls: u32,
    /// Tokens created.
    pub tokens_issued: u32,
    /// Token requests that asked for the mobile app's digit string (`generateDigitString`).
    pub digit_strings_asked: u32,
    /// The tokens created, for tests that search logs and files for them.
    pub issued_tokens: Vec<String>,
    /// /process calls answered (any outcome).
    pub process_calls: u32,
    /// Accepted /process calls.
    pub processed: Vec<ProcessRecord>,
}

/// A token the simulator issued.
#[derive(Clone, Debug)]
struct IssuedToken {
    created: Instant,
    expiry: Duration,
    used: bool,
    token_type: String,
    utility_bill: bool,
}

#[derive(Debug, Default)]
struct Inner {
    tokens: HashMap<String, IssuedToken>,
    fault: Option<FaultPlan>,
    stats: SimulatorStats,
}

/// State shared by the handlers.
#[derive(Debug)]
struct Shared {
    config: SimulatorConfig,
    inner: Mutex<Inner>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A handler that panicked while holding the lock leaves plain data behind, still usable.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Takes the fault for one call to `endpoint`, counting it down.
    fn take_fault(&self, endpoint: Endpoint) -> Option<Fault> {
        let mut inner = self.lock();
        let plan = inner.fault.as_mut()?;
        if plan.endpoint.is_some_and(|only| only != endpoint) {
            return None;
        }
        let fault = plan.fault.clone();
        if let Some(times) = plan.times.as_mut() {
            *times = times.saturating_sub(1);
            if *times == 0 {
                inner.fault = None;
            }
        }
        Some(fault)
    }
}

/// A running simulator. Dropping it stops the server.
#[derive(Debug)]
pub struct SimulatorHandle {
    address: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
}

impl SimulatorHandle {
    /// Starts a simulator on `address` (port 0 picks a free port) on the current tokio runtime.
    pub async fn start(
        config: SimulatorConfig,
        address: SocketAddr,
    ) -> std::io::Result<SimulatorHandle> {
        let listener = TcpListener::bind(address).await?;
        let address = listener.local_addr()?;
        let shared = Arc::new(Shared {
            config,
            inner: Mutex::new(Inner::default()),
        });
        let (stop, stopped) = oneshot::channel();
        tokio::spawn(handlers::serve(listener, shared.clone(), stopped));
        tracing::info!(%address, "Mark ID simulator listening");
        Ok(SimulatorHandle {
            address,
            shared,
            stop: Some(stop),
        })
    }

    /// Starts a simulator on 127.0.0.1 with a free port, on the current tokio runtime.
    pub async fn start_local(config: SimulatorConfig) -> std::io::Result<SimulatorHandle> {
        Self::start(config, SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// The address it listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The base URL to configure a client with.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Points `config` at this simulator, with the credentials it accepts (demo mode).
    pub fn configure(&self, config: &mut crate::config::Config) {
        config.api.base_url = self.base_url();
        config.api.key = self.shared.config.key.clone();
        config.api.secret = crate::secret::Secret::new(self.shared.config.secret.clone());
    }

    /// Switches a fault on (replacing any earlier one).
    pub fn set_fault(&self, plan: FaultPlan) {
        self.shared.lock().fault = Some(plan);
    }

    /// Back to normal answers.
    pub fn clear_fault(&self) {
        self.shared.lock().fault = None;
    }

    /// A copy of the counters.
    pub fn stats(&self) -> SimulatorStats {
        self.shared.lock().stats.clone()
    }

    /// Stops the server.
    pub fn stop(mut self) {
        self.stop_now();
    }

    fn stop_now(&mut self) {
        if let Some(stop) = self.stop.take() {
            // The server may already be gone; then there is nothing to stop.
            let _ = stop.send(());
        }
    }
}

impl Drop for SimulatorHandle {
    fn drop(&mut self) {
        self.stop_now();
    }
}
