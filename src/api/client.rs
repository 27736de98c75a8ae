//! The Mark ID HTTP client: one `reqwest::Client`, basic auth, timeouts, the token retry policy
//! and a streamed /process upload that reports its progress.

use std::error::Error as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::StreamExt;
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER};

use super::error::{ApiError, Endpoint, HttpFailure, NetworkFailure};
use super::process::ProcessRequest;
use super::token::{TokenRequest, TokenResponse};
use crate::secret::Secret;

/// How the client reaches the API. Built from the config's `[api]` table.
#[derive(Clone, Debug)]
pub struct ClientSettings {
    /// Scheme and host, e.g. `https://ivs.markid.eu`.
    pub base_url: url::Url,
    /// API key: the basic-auth user name.
    pub key: String,
    /// API secret: the basic-auth password.
    pub secret: Secret,
    /// Time allowed to open a connection.
    pub connect_timeout: Duration,
    /// Time allowed for a whole token call.
    pub token_timeout: Duration,
    /// Time allowed for a whole /process call, upload included (20 MB on a slow line): the cap
    /// over the two below.
    pub process_timeout: Duration,
    /// The /process upload fails when the connection takes no byte of the body for this long.
    pub upload_stall_timeout: Duration,
    /// The /process call fails when no answer comes this long after the last byte was sent.
    pub answer_timeout: Duration,
    /// How many times a transient token failure is retried.
    pub token_retries: u32,
    /// The longest wait between two tries, also the cap on a 429's Retry-After.
    pub max_backoff: Duration,
}

/// Bytes of the /process body handed to the connection so far, out of the total.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UploadProgress {
    /// Bytes sent.
    pub sent: u64,
    /// Bytes in the whole body.
    pub total: u64,
}

impl UploadProgress {
    /// Fraction done, 0.0 to 1.0.
    pub fn fraction(&self) -> f32 {
        if self.total == 0 {
            0.0
        } else {
            (self.sent as f64 / self.total as f64) as f32
        }
    }
}

/// Receives upload progress; called from the runtime's threads, so it must be quick.
pub type ProgressCallback = Arc<dyn Fn(UploadProgress) + Send + Sync>;

/// A created verification session.
#[derive(Clone, Debug)]
pub struct TokenSession {
    /// The token for /process; spent by that call.
    pub auth_token: Secret,
    /// Mark ID's reference for this verification, shown to staff.
    pub scan_ref: String,
    /// The client id the session was created for.
    pub client_id: String,
    /// The whole answer, for the allowed documents and the defaults in force.
    pub response: TokenResponse,
}

/// What "Test connection" learned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConnectionCheck {
    /// The API took the credentials and refused the deliberately empty request (no `clientId`),
    /// so no token was made; a request with wrong credentials was refused as unauthorised.
    CredentialsAccepted {
        /// The refusal's status (400).
        status: u16,
        /// The refusal's identifier (`MISSING_VALUE`).
        identifier: Option<String>,
    },
    /// The server refused the empty request whatever the credentials: it checks the body before
    /// authorisation, so this test cannot tell whether the credentials are right.
    Inconclusive {
        /// The status that both requests got.
        status: u16,
    },
    /// The API made a session from a request without `clientId` (which the specification says
    /// it refuses): one token was spent.
    TokenSpent,
}

impl ConnectionCheck {
    /// Whether the kiosk can work (`true`) and what to tell staff, for the CLI and the staff
    /// screen alike.
    pub fn report(result: &Result<Self, ApiError>) -> (bool, String) {
        match result {
            Ok(Self::CredentialsAccepted { status, identifier }) => (
                true,
                format!(
                    "Connected: the API accepted the key and secret (a test request without clientId was refused with HTTP {status}{}, so no token was spent).",
                    identifier.as_ref().map(|i| format!(" {i}")).unwrap_or_default()
                ),
            ),
            Ok(Self::Inconclusive { status }) => (
                false,
                format!(
                    "The API answered, but refused the test request with HTTP {status} even with made-up credentials, so this test cannot tell whether the key and secret are right. No token was spent."
                ),
            ),
            Ok(Self::TokenSpent) => (
                true,
                "Connected: the API accepted the credentials, but it created a session from the test request (one token spent).".to_owned(),
            ),
            Err(error) => (false, format!("Not connected: {}", error.staff_text())),
        }
    }
}

/// Size of the pieces the /process body is streamed in; small enough for smooth progress.
const UPLOAD_CHUNK_BYTES: usize = 64 * 1024;

/// First wait before retrying a transient token failure; doubled on each try.
const FIRST_BACKOFF: Duration = Duration::from_millis(500);

/// The Mark ID API client. Cheap to clone: the connection pool is shared.
#[derive(Clone, Debug)]
pub struct MarkIdClient {
    http: reqwest::Client,
    settings: Arc<ClientSettings>,
}

impl MarkIdClient {
    /// Builds the client. Fails only when the TLS backend cannot start.
    pub fn new(settings: ClientSettings) -> Result<Self, ApiError> {
        let http = reqwest::Client::builder()
            .connect_timeout(settings.connect_timeout)
            .user_agent(concat!("markid-kiosk/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| ApiError::Network {
                endpoint: Endpoint::Token,
                failure: NetworkFailure::Tls,
                token_spent: false,
                detail: error_chain(&error),
            })?;
        Ok(Self {
            http,
            settings: Arc::new(settings),
        })
    }

    /// The settings in force.
    pub fn settings(&self) -> &ClientSettings {
        &self.settings
    }

    fn url(&self, endpoint: Endpoint) -> url::Url {
        let mut url = self.settings.base_url.clone();
        let base_path = url.path().trim_end_matches('/').to_owned();
        url.set_path(&format!("{base_path}{}", endpoint.path()));
        url
    }

    /// Checks the address and the credentials without spending a token: POST /api/v2/token with
    /// an empty JSON object. `clientId` is mandatory, so an API that accepts the credentials
    /// answers 400 (`MISSING_VALUE`) and creates nothing; wrong credentials get 401/403. To be
    /// sure that the server checks credentials before the body, a 400 is confirmed with a
    /// second request under made-up credentials, which must be refused as unauthorised.
    /// No retries: staff want the first answer.
    pub async fn check_connection(&self) -> Result<ConnectionCheck, ApiError> {
        let status = match self
            .send_empty_token_request(&self.settings.key, self.settings.secret.expose())
            .await
        {
            Ok(()) => return Ok(ConnectionCheck::TokenSpent),
            Err(ApiError::Http { failure, .. })
                if failure.status == 400 || failure.status == 422 =>
            {
                (
                    failure.status,
                    failure.identifier.map(|i| i.as_str().to_owned()),
                )
            }
            Err(error) => return Err(error),
        };
        let made_up_key = format!("connection-test-{}", uuid::Uuid::new_v4());
        let made_up_secret = uuid::Uuid::new_v4().to_string();
        match self
            .send_empty_token_request(&made_up_key, &made_up_secret)
            .await
        {
            Err(ApiError::Http { failure, .. }) if matches!(failure.status, 401 | 403) => {
                Ok(ConnectionCheck::CredentialsAccepted {
                    status: status.0,
                    identifier: status.1,
                })
            }
            _ => Ok(ConnectionCheck::Inconclusive { status: status.0 }),
        }
    }

    /// One token call with `{}` as the body: `Ok` only on 2xx.
    async fn send_empty_token_request(&self, key: &str, secret: &str) -> Result<(), ApiError> {
        let endpoint = Endpoint::Token;
        let response = self
            .http
            .post(self.url(endpoint))
            .basic_auth(key, Some(secret))
            .header(CONTENT_TYPE, "application/json")
            .timeout(self.settings.token_timeout)
            .body("{}")
            .send()
            .await
            .map_err(|error| network_error(endpoint, &error, false))?;
        let (status, retry_after, body) = read_answer(endpoint, response, false).await?;
        if (200..300).contains(&status) {
            return Ok(());
        }
        Err(ApiError::Http {
            endpoint,
            failure: HttpFailure::from_body(status, &body, retry_after),
        })
    }

    /// POST /api/v2/token. Validates the request first (no token is spent on a mistake), then
    /// retries transient failures (connect errors, 429 honouring Retry-After, 5xx) with a capped
    /// exponential backoff.
    pub async fn create_token(&self, request: &TokenRequest) -> Result<TokenSession, ApiError> {
        request.validate()?;
        let body = serde_json::to_vec(request).map_err(|error| ApiError::UnexpectedAnswer {
            endpoint: Endpoint::Token,
            status: 0,
            problem: format!("the request could not be encoded: {error}"),
        })?;
        let mut attempt = 0;
        loop {
            match self.send_token(body.clone()).await {
                Ok(session) => {
                    tracing::info!(scan_ref = %session.scan_ref, "verification session created");
                    return Ok(session);
                }
                Err(error) if error.is_transient() && attempt < self.settings.token_retries => {
                    let Some(wait) = self.retry_wait(&error, attempt) else {
                        return Err(error);
                    };
                    tracing::warn!(
                        attempt,
                        wait_ms = wait.as_millis() as u64,
                        "token call failed, retrying: {error}"
                    );
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                Err(error) => {
                    tracing::warn!("verification session not created: {error}");
                    return Err(error);
                }
            }
        }
    }

    /// How long to wait before the next try, or `None` when the server asks for longer than we
    /// are willing to keep a customer waiting.
    fn retry_wait(&self, error: &ApiError, attempt: u32) -> Option<Duration> {
        let cap = self.settings.max_backoff;
        if let ApiError::Http {
            failure:
                HttpFailure {
                    retry_after: Some(asked),
                    ..
                },
            ..
        } = error
        {
            return (*asked <= cap).then_some(*asked);
        }
        Some(
            FIRST_BACKOFF
                .saturating_mul(2u32.saturating_pow(attempt))
                .min(cap),
        )
    }

    async fn send_token(&self, body: Vec<u8>) -> Result<TokenSession, ApiError> {
        let endpoint = Endpoint::Token;
        let response = self
            .http
            .post(self.url(endpoint))
            .basic_auth(&self.settings.key, Some(self.settings.secret.expose()))
            .header(CONTENT_TYPE, "application/json")
            .timeout(self.settings.token_timeout)
            .body(body)
            .send()
            .await
            .map_err(|error| network_error(endpoint, &error, false))?;
        let (status, retry_after, body) = read_answer(endpoint, response, false).await?;
        parse_token_answer(status, retry_after, &body)
    }

    /// POST /api/v2/process, streaming the body and reporting progress. It is never re-sent once
    /// its body may have reached the server, because the call spends the token whatever happens;
    /// only a failure to connect (nothing sent) is tried again.
    pub async fn process(
        &self,
        request: &ProcessRequest,
        on_progress: ProgressCallback,
    ) -> Result<(), ApiError> {
        let endpoint = Endpoint::Process;
        let body = Bytes::from(serde_json::to_vec(request).map_err(|error| {
            ApiError::UnexpectedAnswer {
                endpoint,
                status: 0,
                problem: format!("the request could not be encoded: {error}"),
            }
        })?);
        let total = body.len() as u64;
        // The overall `process_timeout` alone would hold a customer for minutes when a server
        // takes the body and never answers: a watch on the upload ends it much sooner.
        let watch = Arc::new(UploadWatch::new());
        let watched: ProgressCallback = {
            let watch = watch.clone();
            Arc::new(move |progress| {
                watch.saw(progress);
                on_progress(progress);
            })
        };
        let stall = self.settings.upload_stall_timeout;
        let answer_wait = self.settings.answer_timeout;
        let outcome = tokio::select! {
            answer = self.send_process(body.clone(), watched.clone()) => answer,
            failure = watch.expiry(stall, answer_wait) => Err(ApiError::Network {
                endpoint,
                failure,
                token_spent: true,
                detail: match failure {
                    NetworkFailure::Stalled => format!(
                        "the connection took no byte of the upload for {} s",
                        stall.as_secs()
                    ),
                    _ => format!(
                        "no answer came {} s after the last byte was sent",
                        answer_wait.as_secs()
                    ),
                },
            }),
        };
        // The request (and its copies of the body) is gone: the photos' Base64 can be wiped.
        wipe_sent_body(body);
        let (status, retry_after, answer) = outcome?;
        watched(UploadProgress { sent: total, total });
        match parse_process_answer(status, retry_after, &answer) {
            Ok(()) => {
                tracing::info!(bytes = total, "images accepted for processing");
                Ok(())
            }
            Err(error) => {
                tracing::warn!("images not accepted: {error}");
                Err(error)
            }
        }
    }

    /// Sends the /process body (again only when the connection failed before any byte left)
    /// and reads the answer.
    async fn send_process(
        &self,
        body: Bytes,
        on_progress: ProgressCallback,
    ) -> Result<(u16, Option<Duration>, Bytes), ApiError> {
        let endpoint = Endpoint::Process;
        let total = body.len() as u64;
        let mut attempt = 0;
        let response = loop {
            on_progress(UploadProgress { sent: 0, total });
            let sent = self
                .http
                .post(self.url(endpoint))
                .basic_auth(&self.settings.key, Some(self.settings.secret.expose()))
                .header(CONTENT_TYPE, "application/json")
                .header(CONTENT_LENGTH, total)
                .timeout(self.settings.process_timeout)
                .body(progress_body(body.clone(), on_progress.clone()))
                .send()
                .await;
            match sent {
                Ok(response) => break response,
                Err(error) if error.is_connect() && attempt < self.settings.token_retries => {
                    let wait = FIRST_BACKOFF
                        .saturating_mul(2u32.saturating_pow(attempt))
                        .min(self.settings.max_backoff);
                    tracing::warn!(
                        attempt,
                        "process call could not connect, retrying: {}",
                        error_chain(&error)
                    );
                    // Waiting to retry is not a stalled upload.
                    on_progress(UploadProgress { sent: 0, total });
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                Err(error) => return Err(network_error(endpoint, &error, !error.is_connect())),
            }
        };
        read_answer(endpoint, response, true).await
    }
}

/// Reads a token answer: the session on a 2xx with an `authToken`, otherwise the error.
pub fn parse_token_answer(
    status: u16,
    retry_after: Option<Duration>,
    body: &[u8],
) -> Result<TokenSession, ApiError> {
    let endpoint = Endpoint::Token;
    if !(200..300).contains(&status) {
        return Err(ApiError::Http {
            endpoint,
            failure: HttpFailure::from_body(status, body, retry_after),
        });
    }
    let unexpected = |problem: &str| ApiError::UnexpectedAnswer {
        endpoint,
        status,
        problem: problem.to_owned(),
    };
    let response: TokenResponse = serde_json::from_slice(body)
        .map_err(|_| unexpected("its body is not the expected JSON object"))?;
    let auth_token = response.auth_token.clone().filter(|t| !t.is_empty());
    let auth_token = auth_token.ok_or_else(|| unexpected("it carries no authToken"))?;
    let scan_ref = response.scan_ref.clone().unwrap_or_default();
    let client_id = response.client_id.clone().unwrap_or_default();
    Ok(TokenSession {
        auth_token,
        scan_ref,
        client_id,
        response,
    })
}

/// Reads a /process answer. Success is "a response with a positive 200 status" and no message;
/// a 2xx that carries a message or identifier means the photos could not be used (API-NOTES).
pub fn parse_process_answer(
    status: u16,
    retry_after: Option<Duration>,
    body: &[u8],
) -> Result<(), ApiError> {
    let failure = HttpFailure::from_body(status, body, retry_after);
    if (200..300).contains(&status) && !failure.is_error_body() {
        return Ok(());
    }
    Err(ApiError::Http {
        endpoint: Endpoint::Process,
        failure,
    })
}

/// The /process body holds the Base64 photos: once the connection has let go of it, it is wiped
/// rather than freed as it is. (Copies inside the TLS and HTTP layers are beyond our reach.)
fn wipe_sent_body(body: Bytes) {
    if let Ok(mut owned) = body.try_into_mut() {
        zeroize::Zeroize::zeroize(&mut owned[..]);
    }
}

/// When the /process upload last moved: the last byte the connection took, and when it had
/// taken them all.
struct UploadWatch {
    state: std::sync::Mutex<WatchState>,
}

#[derive(Clone, Copy)]
struct WatchState {
    last_byte_at: Instant,
    all_sent_at: Option<Instant>,
}

impl UploadWatch {
    fn new() -> Self {
        Self {
            state: std::sync::Mutex::new(WatchState {
                last_byte_at: Instant::now(),
                all_sent_at: None,
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, WatchState> {
        // Two plain `Instant`s cannot be left half-written by a panic elsewhere.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Progress was reported (each attempt starts at 0, each chunk the connection takes adds).
    fn saw(&self, progress: UploadProgress) {
        let now = Instant::now();
        let mut state = self.state();
        state.last_byte_at = now;
        state.all_sent_at = (progress.total > 0 && progress.sent >= progress.total).then_some(now);
    }

    /// Resolves when the upload has stalled for `stall`, or when no answer has come `answer`
    /// after the last byte; never while it moves.
    async fn expiry(&self, stall: Duration, answer: Duration) -> NetworkFailure {
        loop {
            let state = *self.state();
            let (deadline, failure) = match state.all_sent_at {
                Some(sent) => (sent + answer, NetworkFailure::NoAnswer),
                None => (state.last_byte_at + stall, NetworkFailure::Stalled),
            };
            if Instant::now() >= deadline {
                return failure;
            }
            tokio::time::sleep_until(tokio::time::Instant::from_std(deadline)).await;
        }
    }
}

/// Streams `body` in chunks, reporting how much has been handed to the connection.
fn progress_body(body: Bytes, on_progress: ProgressCallback) -> reqwest::Body {
    let total = body.len() as u64;
    let chunk_count = body.len().div_ceil(UPLOAD_CHUNK_BYTES);
    let chunks = (0..chunk_count).map(move |index| {
        let start = index * UPLOAD_CHUNK_BYTES;
        let end = (start + UPLOAD_CHUNK_BYTES).min(body.len());
        body.slice(start..end)
    });
    let mut sent = 0u64;
    let reported = futures_util::stream::iter(chunks).map(move |chunk| {
        sent += chunk.len() as u64;
        on_progress(UploadProgress { sent, total });
        Ok::<Bytes, std::io::Error>(chunk)
    });
    reqwest::Body::wrap_stream(reported)
}

/// Reads status, Retry-After and body. A failure while reading the answer of /process still
/// means the token is spent.
async fn read_answer(
    endpoint: Endpoint,
    response: reqwest::Response,
    body_was_sent: bool,
) -> Result<(u16, Option<Duration>, Bytes), ApiError> {
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get(RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let body = response
        .bytes()
        .await
        .map_err(|error| network_error(endpoint, &error, body_was_sent))?;
    Ok((status, retry_after, body))
}

/// Classifies a reqwest failure. `body_may_have_reached_server` marks the /process token spent.
fn network_error(
    endpoint: Endpoint,
    error: &reqwest::Error,
    body_may_have_reached_server: bool,
) -> ApiError {
    let detail = error_chain(error);
    let failure = if error.is_connect() {
        if looks_like_tls(&detail) {
            NetworkFailure::Tls
        } else {
            NetworkFailure::Connect
        }
    } else if error.is_timeout() {
        NetworkFailure::Timeout
    } else {
        NetworkFailure::Reset
    };
    ApiError::Network {
        endpoint,
        failure,
        token_spent: body_may_have_reached_server,
        detail,
    }
}

fn looks_like_tls(detail: &str) -> bool {
    let lower = detail.to_ascii_lowercase();
    ["certificate", "tls", "handshake", "rustls"]
        .iter()
        .any(|word| lower.contains(word))
}

/// The error and its sources, joined: reqwest's own text alone ("error sending request") does
/// not say what happened. URLs in it carry no credentials: auth travels in a header.
fn error_chain(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
