//! One error type for every way an API call can fail, and the two texts each failure maps to:
//! what the customer at the kiosk should do now, and what staff need to know to fix it.

use std::fmt;
use std::time::Duration;

use super::enums::ImageSlot;
use super::token::ValidationError;

/// Which endpoint a failure came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// POST /api/v2/token.
    Token,
    /// POST /api/v2/process.
    Process,
}

impl Endpoint {
    /// The path, as staff see it in logs and the API documentation.
    pub fn path(self) -> &'static str {
        match self {
            Endpoint::Token => "/api/v2/token",
            Endpoint::Process => "/api/v2/process",
        }
    }
}

/// The API's `identifier`, an open set: the ones API-NOTES.md lists, and any other kept as text
/// so that it still shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Identifier {
    /// `INTERNAL_ERROR`: a fault on Mark ID's side.
    InternalError,
    /// `BAD_VALUE`: a field has a wrong value; the message names it.
    BadValue,
    /// `MISSING_VALUE`: a required value or image is missing; the message names it.
    MissingValue,
    /// `UNAUTHORIZED`: key or secret rejected.
    Unauthorized,
    /// `ENCODING_ERROR`: an image or the body could not be decoded.
    EncodingError,
    /// `JSON_ERROR`: the body is not valid JSON.
    JsonError,
    /// `TOKEN_NOT_VALID`: the session token has expired or was used.
    TokenNotValid,
    /// `PARTNER_CONTRACT_ERROR`: the contract does not allow this.
    PartnerContractError,
    /// `METHOD_NOT_ALLOWED`: wrong HTTP method.
    MethodNotAllowed,
    /// `PERMISSIONS_ERROR`: not permitted, e.g. "Partner reached token limit."
    PermissionsError,
    /// `PARTNER_ERROR`.
    PartnerError,
    /// `TOO_MANY_REQUESTS`: rate limit (iDenfy: 10,000 requests an hour).
    TooManyRequests,
    /// `VALIDATION_ERROR`.
    ValidationError,
    /// Any identifier not known when this was written.
    Unknown(String),
}

impl Identifier {
    /// Every known identifier, for tests and documentation.
    pub const KNOWN: &'static [Identifier] = &[
        Identifier::InternalError,
        Identifier::BadValue,
        Identifier::MissingValue,
        Identifier::Unauthorized,
        Identifier::EncodingError,
        Identifier::JsonError,
        Identifier::TokenNotValid,
        Identifier::PartnerContractError,
        Identifier::MethodNotAllowed,
        Identifier::PermissionsError,
        Identifier::PartnerError,
        Identifier::TooManyRequests,
        Identifier::ValidationError,
    ];

    /// Parses the wire text; unknown text is kept.
    pub fn parse(text: &str) -> Identifier {
        Self::KNOWN
            .iter()
            .find(|known| known.as_str() == text)
            .cloned()
            .unwrap_or_else(|| Identifier::Unknown(text.to_owned()))
    }

    /// The wire text.
    pub fn as_str(&self) -> &str {
        match self {
            Identifier::InternalError => "INTERNAL_ERROR",
            Identifier::BadValue => "BAD_VALUE",
            Identifier::MissingValue => "MISSING_VALUE",
            Identifier::Unauthorized => "UNAUTHORIZED",
            Identifier::EncodingError => "ENCODING_ERROR",
            Identifier::JsonError => "JSON_ERROR",
            Identifier::TokenNotValid => "TOKEN_NOT_VALID",
            Identifier::PartnerContractError => "PARTNER_CONTRACT_ERROR",
            Identifier::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            Identifier::PermissionsError => "PERMISSIONS_ERROR",
            Identifier::PartnerError => "PARTNER_ERROR",
            Identifier::TooManyRequests => "TOO_MANY_REQUESTS",
            Identifier::ValidationError => "VALIDATION_ERROR",
            Identifier::Unknown(text) => text,
        }
    }
}

impl fmt::Display for Identifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a request got no HTTP answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NetworkFailure {
    /// The server could not be reached: DNS, refused, unreachable. No byte was sent.
    Connect,
    /// The TLS handshake failed: a certificate or a proxy intercepting HTTPS.
    Tls,
    /// No answer within the configured timeout.
    Timeout,
    /// The connection was closed or reset while the request or answer was under way.
    Reset,
    /// The upload stopped: the connection took no byte of the body for the stall timeout.
    Stalled,
    /// The whole body was sent, and no answer came within the answer timeout.
    NoAnswer,
}

impl NetworkFailure {
    fn describe(self) -> &'static str {
        match self {
            NetworkFailure::Connect => "could not connect",
            NetworkFailure::Tls => "TLS handshake failed",
            NetworkFailure::Timeout => "timed out",
            NetworkFailure::Reset => "connection reset or closed",
            NetworkFailure::Stalled => "the upload stalled",
            NetworkFailure::NoAnswer => "no answer after the upload",
        }
    }
}

/// An HTTP answer that is an error: a non-2xx status, or a /process 2xx with an error body.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HttpFailure {
    /// The HTTP status.
    pub status: u16,
    /// The API's identifier, when the body had one.
    pub identifier: Option<Identifier>,
    /// The API's message, when the body had one.
    pub message: Option<String>,
    /// The API's severity, e.g. `NOT_SEVERE`.
    pub severity: Option<String>,
    /// The API's documentation link.
    pub documentation: Option<String>,
    /// The start of a body that was not the API's JSON (an HTML page from a proxy), as text.
    pub body_excerpt: Option<String>,
    /// How long the server asked us to wait (429 `Retry-After`).
    pub retry_after: Option<Duration>,
}

/// Longest body excerpt kept, in characters.
const EXCERPT_CHARS: usize = 200;

impl HttpFailure {
    /// Reads an error answer: the API's JSON when it is that, otherwise a short text excerpt.
    pub fn from_body(status: u16, body: &[u8], retry_after: Option<Duration>) -> HttpFailure {
        let mut failure = HttpFailure {
            status,
            retry_after,
            ..HttpFailure::default()
        };
        match serde_json::from_slice::<serde_json::Value>(body) {
            Ok(serde_json::Value::Object(fields)) => {
                let text = |key: &str| fields.get(key).and_then(|v| v.as_str()).map(str::to_owned);
                failure.identifier = text("identifier").map(|id| Identifier::parse(&id));
                failure.message = text("message")
                    .or_else(|| text("detail"))
                    .or_else(|| text("error"));
                failure.severity = text("severity");
                failure.documentation = text("documentation");
            }
            _ => failure.body_excerpt = excerpt(body),
        }
        failure
    }

    /// Whether a /process 2xx body says the call failed ("document not detected"): it carries a
    /// message or an identifier.
    pub fn is_error_body(&self) -> bool {
        self.identifier.is_some() || self.message.is_some()
    }
}

/// A readable excerpt of a non-JSON body: an HTML page's title when it has one, else its text
/// with tags removed and white space folded.
fn excerpt(body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    let lower = text.to_ascii_lowercase();
    let title = lower.find("<title>").and_then(|start| {
        let from = start + "<title>".len();
        lower[from..]
            .find("</title>")
            .map(|len| text[from..from + len].trim().to_owned())
    });
    let plain = title.filter(|t| !t.is_empty()).unwrap_or_else(|| {
        let mut out = String::new();
        let mut in_tag = false;
        for c in text.chars() {
            match c {
                '<' => in_tag = true,
                '>' => {
                    in_tag = false;
                    out.push(' ');
                }
                _ if !in_tag => out.push(c),
                _ => {}
            }
        }
        out.split_whitespace().collect::<Vec<_>>().join(" ")
    });
    if plain.is_empty() {
        return None;
    }
    let mut short: String = plain.chars().take(EXCERPT_CHARS).collect();
    if plain.chars().count() > EXCERPT_CHARS {
        short.push('…');
    }
    Some(short)
}

/// Every way a Mark ID call can fail. `Display` is the staff text; it never contains the
/// secret, the auth token, images or names.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// Our own checks refused the request before any network call: no token was spent.
    #[error("request not sent: {0}")]
    Invalid(#[from] ValidationError),
    /// No HTTP answer.
    #[error("{} {}: {}{}", endpoint.path(), failure.describe(), detail, if *token_spent { " (the session token may be spent)" } else { "" })]
    Network {
        /// Which call.
        endpoint: Endpoint,
        /// What kind of failure.
        failure: NetworkFailure,
        /// True when a /process body may have reached the server: the token is then spent.
        token_spent: bool,
        /// The underlying error, without URLs' credentials (there are none: auth is a header).
        detail: String,
    },
    /// The server answered with an error.
    #[error("{}", describe_http(*endpoint, failure))]
    Http {
        /// Which call.
        endpoint: Endpoint,
        /// The answer.
        failure: HttpFailure,
    },
    /// A 2xx answer we cannot use, e.g. a token answer without `authToken`.
    #[error("{} answered HTTP {status} but {problem}", endpoint.path())]
    UnexpectedAnswer {
        /// Which call.
        endpoint: Endpoint,
        /// The HTTP status.
        status: u16,
        /// What was wrong with it.
        problem: String,
    },
}

fn describe_http(endpoint: Endpoint, failure: &HttpFailure) -> String {
    let mut text = format!("{} answered HTTP {}", endpoint.path(), failure.status);
    if let Some(identifier) = &failure.identifier {
        text.push_str(&format!(" {identifier}"));
    }
    if let Some(message) = &failure.message {
        text.push_str(&format!(": {message}"));
    }
    if let Some(excerpt) = &failure.body_excerpt {
        text.push_str(&format!(" (body: {excerpt})"));
    }
    text
}

/// What the customer should do now. The GUI turns each into a translated sentence; `text()`
/// gives the English one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CustomerAdvice {
    /// The kiosk cannot work until staff fix something (credentials, credit, contract).
    AskStaff,
    /// The session expired or was used up: start a new one.
    StartAgain,
    /// A photo is missing or could not be read: start again and capture it (again).
    Retake(Option<ImageSlot>),
    /// Something the customer entered was not accepted.
    CheckDetails,
    /// A passing problem (network, server busy): try again in a moment.
    TryAgainLater,
}

impl CustomerAdvice {
    /// The sentence for the customer, as a key into `assets/locales/`.
    pub fn key(&self) -> &'static str {
        match self {
            CustomerAdvice::AskStaff => "advice.ask_staff",
            CustomerAdvice::StartAgain => "advice.start_again",
            CustomerAdvice::Retake(Some(ImageSlot::Front)) => "advice.retake_front",
            CustomerAdvice::Retake(Some(ImageSlot::Back)) => "advice.retake_back",
            CustomerAdvice::Retake(Some(ImageSlot::Face)) => "advice.retake_face",
            CustomerAdvice::Retake(Some(ImageSlot::UtilityBill)) => "advice.retake_utility_bill",
            CustomerAdvice::Retake(None) => "advice.retake_all",
            CustomerAdvice::CheckDetails => "advice.check_details",
            CustomerAdvice::TryAgainLater => "advice.try_later",
        }
    }
}

impl ApiError {
    /// What the customer should do.
    pub fn customer_advice(&self) -> CustomerAdvice {
        match self {
            ApiError::Invalid(error) if is_customer_field(error.field) => {
                CustomerAdvice::CheckDetails
            }
            ApiError::Invalid(_) => CustomerAdvice::AskStaff,
            ApiError::Network {
                token_spent: true, ..
            } => CustomerAdvice::StartAgain,
            ApiError::Network { .. } => CustomerAdvice::TryAgainLater,
            ApiError::UnexpectedAnswer { .. } => CustomerAdvice::AskStaff,
            ApiError::Http { endpoint, failure } => http_advice(*endpoint, failure),
        }
    }

    /// The text for staff: what failed, the API's own words, and how to fix it.
    pub fn staff_text(&self) -> String {
        format!("{self}. {}", self.staff_hint())
    }

    /// How staff can fix it.
    pub fn staff_hint(&self) -> &'static str {
        match self {
            ApiError::Invalid(_) => {
                "Fix the value named above (in the config file or the form); no token was spent."
            }
            ApiError::Network {
                failure: NetworkFailure::Connect,
                ..
            } => {
                "Check the network cable or Wi-Fi, the proxy and api.base_url; run `markid-kiosk check-config`."
            }
            ApiError::Network {
                failure: NetworkFailure::Tls,
                ..
            } => {
                "Check the system clock and whether a proxy intercepts HTTPS; api.base_url must be the Mark ID host."
            }
            ApiError::Network {
                failure: NetworkFailure::Timeout,
                ..
            } => {
                "The line is slow or the service is overloaded; raise api.process_timeout_secs for slow uploads."
            }
            ApiError::Network {
                failure: NetworkFailure::Reset,
                ..
            } => "The connection dropped; check the network and any proxy or firewall in between.",
            ApiError::Network {
                failure: NetworkFailure::Stalled,
                ..
            } => {
                "The upload stopped moving: check the network and any proxy or firewall in between; api.upload_stall_secs sets how long the kiosk waits."
            }
            ApiError::Network {
                failure: NetworkFailure::NoAnswer,
                ..
            } => {
                "Mark ID took the photos but did not answer in api.answer_timeout_secs; the token is spent. If it keeps happening, the service may be overloaded: check Mark ID's status."
            }
            ApiError::UnexpectedAnswer { .. } => {
                "The answer was not what Mark ID documents; check that api.base_url points at Mark ID and not at a captive portal."
            }
            ApiError::Http { failure, .. } => http_staff_hint(failure),
        }
    }

    /// Whether the same request may succeed if sent again later (for the token retry policy).
    pub fn is_transient(&self) -> bool {
        match self {
            ApiError::Network { failure, .. } => *failure != NetworkFailure::Tls,
            ApiError::Http { failure, .. } => failure.status == 429 || failure.status >= 500,
            ApiError::Invalid(_) | ApiError::UnexpectedAnswer { .. } => false,
        }
    }

    /// True when this failure left the session's token unusable: anything after the /process
    /// body may have reached the server, and TOKEN_NOT_VALID. The next try needs a new session.
    pub fn token_spent(&self) -> bool {
        match self {
            ApiError::Network { token_spent, .. } => *token_spent,
            ApiError::Http {
                endpoint: Endpoint::Process,
                ..
            } => true,
            ApiError::Http { failure, .. } => failure.identifier == Some(Identifier::TokenNotValid),
            _ => false,
        }
    }

    /// The HTTP status, when there was an answer.
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Http { failure, .. } => Some(failure.status),
            ApiError::UnexpectedAnswer { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// A short, stable code for the journal and exports: the API's identifier when it gave one,
    /// else what failed (`HTTP_502`, `NETWORK_TIMEOUT`, `INVALID_images`, `UNEXPECTED_ANSWER`).
    pub fn code(&self) -> String {
        match self {
            ApiError::Invalid(error) => format!("INVALID_{}", error.field),
            ApiError::Network { failure, .. } => {
                let kind = match failure {
                    NetworkFailure::Connect => "CONNECT",
                    NetworkFailure::Tls => "TLS",
                    NetworkFailure::Timeout => "TIMEOUT",
                    NetworkFailure::Reset => "RESET",
                    NetworkFailure::Stalled => "STALLED",
                    NetworkFailure::NoAnswer => "NO_ANSWER",
                };
                format!("NETWORK_{kind}")
            }
            ApiError::Http { failure, .. } => match &failure.identifier {
                Some(identifier) => identifier.as_str().to_owned(),
                None => format!("HTTP_{}", failure.status),
            },
            ApiError::UnexpectedAnswer { .. } => "UNEXPECTED_ANSWER".to_owned(),
        }
    }

    /// The API's identifier, when there was one.
    pub fn identifier(&self) -> Option<&Identifier> {
        match self {
            ApiError::Http { failure, .. } => failure.identifier.as_ref(),
            _ => None,
        }
    }
}

/// Fields the customer (or staff typing for them) fills in, as opposed to kiosk configuration.
fn is_customer_field(field: &str) -> bool {
    matches!(
        field,
        "firstName"
            | "lastName"
            | "dateOfBirth"
            | "dateOfExpiry"
            | "dateOfIssue"
            | "nationality"
            | "personalNumber"
            | "documentNumber"
            | "sex"
            | "address"
            | "country"
            | "clientId"
    )
}

/// The image step a message like "No image provided for step 'BACK'" names.
fn named_slot(message: Option<&str>) -> Option<ImageSlot> {
    let message = message?.to_ascii_uppercase();
    // UTILITY_BILL first: its name does not contain the others, but check the longest first.
    [
        ImageSlot::UtilityBill,
        ImageSlot::Front,
        ImageSlot::Back,
        ImageSlot::Face,
    ]
    .into_iter()
    .find(|slot| message.contains(slot.as_str()))
}

fn http_advice(endpoint: Endpoint, failure: &HttpFailure) -> CustomerAdvice {
    use Identifier as Id;
    match (&failure.identifier, failure.status) {
        // A 2xx from /process with an error body: the document was not found in the photos.
        (_, 200..=299) if endpoint == Endpoint::Process => CustomerAdvice::Retake(None),
        (Some(Id::TokenNotValid), _) => CustomerAdvice::StartAgain,
        (Some(Id::MissingValue), _) if endpoint == Endpoint::Process => {
            CustomerAdvice::Retake(named_slot(failure.message.as_deref()))
        }
        (Some(Id::EncodingError), _) if endpoint == Endpoint::Process => {
            CustomerAdvice::Retake(None)
        }
        (Some(Id::BadValue | Id::ValidationError), _) => {
            let message = failure
                .message
                .as_deref()
                .unwrap_or_default()
                .to_ascii_lowercase();
            if message.contains("image") || named_slot(Some(&message)).is_some() {
                CustomerAdvice::Retake(named_slot(Some(&message)))
            } else {
                CustomerAdvice::CheckDetails
            }
        }
        (Some(Id::TooManyRequests | Id::InternalError), _) => CustomerAdvice::TryAgainLater,
        (
            Some(
                Id::Unauthorized
                | Id::PermissionsError
                | Id::PartnerContractError
                | Id::PartnerError
                | Id::MethodNotAllowed
                | Id::JsonError,
            ),
            _,
        ) => CustomerAdvice::AskStaff,
        (_, 401 | 402 | 403 | 404 | 405 | 413) => CustomerAdvice::AskStaff,
        (_, 429) => CustomerAdvice::TryAgainLater,
        (_, status) if status >= 500 => CustomerAdvice::TryAgainLater,
        _ => CustomerAdvice::AskStaff,
    }
}

fn http_staff_hint(failure: &HttpFailure) -> &'static str {
    use Identifier as Id;
    let message = failure
        .message
        .as_deref()
        .unwrap_or_default()
        .to_ascii_lowercase();
    match (&failure.identifier, failure.status) {
        (Some(Id::Unauthorized), _) | (None, 401) => {
            "The API key or secret was rejected: check api.key and api.secret (or MARKID_API_KEY / MARKID_API_SECRET)."
        }
        (_, 402) => "The Mark ID account is out of funds or over its limit: contact Mark ID sales.",
        (Some(Id::PermissionsError), _) if message.contains("token limit") => {
            "The environment has used all its tokens: contact Mark ID to raise the limit."
        }
        (_, 403) if message.contains("not available for") => {
            "These keys belong to another environment (e.g. test keys against production): check api.base_url and the keys."
        }
        (_, 403)
        | (Some(Id::PermissionsError | Id::PartnerContractError | Id::PartnerError), _) => {
            "The account is inactive or the contract does not allow this request or setting: contact Mark ID support, or remove the setting from the [settings] table."
        }
        (Some(Id::TokenNotValid), _) => {
            "The session token expired or was already used; a new session is needed."
        }
        (Some(Id::MissingValue), _) => {
            "A required value or image was missing; the message names it."
        }
        (Some(Id::BadValue | Id::ValidationError), _) => {
            "A value was refused; the message names the field."
        }
        (Some(Id::EncodingError), _) => {
            "An image could not be decoded by the API; capture it again."
        }
        (Some(Id::JsonError | Id::MethodNotAllowed), _) => {
            "The request was malformed: a bug in the kiosk or a proxy rewriting requests; report it with this text."
        }
        (Some(Id::TooManyRequests), _) | (_, 429) => {
            "Rate limit reached: wait and retry; tell Mark ID if it keeps happening."
        }
        (_, 413) => {
            "The request was too large for the server or a proxy in between: lower the image limits in the config."
        }
        (_, 404 | 405) => "api.base_url does not point at the Mark ID API.",
        (_, status) if status >= 500 => {
            "Mark ID or a proxy in between is failing: retry later, check status with Mark ID support."
        }
        (_, 200..=299) => {
            "The API took the request but could not use the images (e.g. no document detected)."
        }
        _ => "Unexpected answer: report it to Mark ID support with this text.",
    }
}
