//! The simulator's accept loop and its two endpoints.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Extension, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use base64::Engine as _;
use futures_util::StreamExt;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use rand::Rng as _;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use super::{Fault, IssuedToken, ProcessRecord, Shared};
use crate::api::{Endpoint, ImageSlot};

/// Asks the connection's task to reset the TCP connection (the `ConnectionReset` fault).
#[derive(Clone)]
struct ResetConnection(Arc<Mutex<Option<oneshot::Sender<()>>>>);

impl ResetConnection {
    fn fire(&self) {
        let sender = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        if let Some(sender) = sender {
            // The connection may have closed already; nothing to reset then.
            let _ = sender.send(());
        }
    }
}

/// Accepts connections until `stopped` fires. Each connection is served by hyper with the
/// router; a `ResetConnection` in its extensions lets a handler end it with a TCP RST.
pub(super) async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut stopped: oneshot::Receiver<()>,
) {
    let router = Router::new()
        .route("/api/v2/token", post(token))
        .route("/api/v2/process", post(process))
        .fallback(not_found)
        .with_state(shared);
    loop {
        let accepted = tokio::select! {
            _ = &mut stopped => return,
            accepted = listener.accept() => accepted,
        };
        let Ok((stream, _)) = accepted else { continue };
        // A second handle on the socket, to set linger on it after hyper has taken the stream.
        let Some((stream, control)) = split_control(stream) else {
            continue;
        };
        let router = router.clone();
        tokio::spawn(async move {
            let (reset_sender, reset_requested) = oneshot::channel();
            let reset = ResetConnection(Arc::new(Mutex::new(Some(reset_sender))));
            let service = TowerToHyperService::new(router.layer(Extension(reset)));
            let connection = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service);
            tokio::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                Ok(()) = reset_requested => {
                    // Linger 0 makes the close send RST instead of FIN: a real reset.
                    let _ = socket2::SockRef::from(&control).set_linger(Some(Duration::ZERO));
                }
            }
        });
    }
}

/// Reads and discards a request body (bounded, so a runaway client cannot keep it busy).
async fn drain(request: Request) {
    let mut body = request.into_body().into_data_stream();
    let mut read = 0usize;
    while let Some(Ok(chunk)) = body.next().await {
        read += chunk.len();
        if read > 100_000_000 {
            break;
        }
    }
}

fn split_control(
    stream: tokio::net::TcpStream,
) -> Option<(tokio::net::TcpStream, std::net::TcpStream)> {
    let std_stream = stream.into_std().ok()?;
    let control = std_stream.try_clone().ok()?;
    Some((tokio::net::TcpStream::from_std(std_stream).ok()?, control))
}

async fn not_found() -> Response {
    api_error(StatusCode::NOT_FOUND, None, "Not found")
}

/// The standard error body (spec: direct-processing, "An example response that failed").
fn api_error(status: StatusCode, identifier: Option<&str>, message: &str) -> Response {
    let mut body = json!({ "message": message });
    if let Some(identifier) = identifier {
        body["identifier"] = json!(identifier);
        body["documentation"] = json!("https://github.com/markid/Documentation");
        body["severity"] = json!("NOT_SEVERE");
    }
    (status, Json(body)).into_response()
}

fn html_error(status: u16) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    let reason = code.canonical_reason().unwrap_or("Error");
    let page = format!(
        "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    );
    (code, [(header::CONTENT_TYPE, "text/html")], page).into_response()
}

/// Applies a fault before the normal handling. `None` means: carry on normally.
async fn apply_fault(
    shared: &Shared,
    endpoint: Endpoint,
    request: Request,
    reset: &ResetConnection,
) -> Result<Request, Response> {
    let Some(fault) = shared.take_fault(endpoint) else {
        return Ok(request);
    };
    let answers_instead = !matches!(
        fault,
        Fault::Slow(_) | Fault::Stall | Fault::ConnectionReset | Fault::OkWithError
    );
    let request = if answers_instead {
        // Like a proxy in front of a failing upstream: the whole request is read, then answered.
        // Answering mid-upload would make the client's outcome a race (error or answer).
        drain(request).await;
        Request::new(axum::body::Body::empty())
    } else {
        request
    };
    match fault {
        Fault::Slow(delay) => {
            tokio::time::sleep(delay).await;
            Ok(request)
        }
        Fault::Hang | Fault::Stall => {
            // Hang has read the whole body above; Stall holds the connection without reading.
            let _request = request;
            std::future::pending::<()>().await;
            Err(StatusCode::GATEWAY_TIMEOUT.into_response())
        }
        Fault::ConnectionReset => {
            // Take a first piece of the body so that the client has started sending it.
            let mut body = request.into_body().into_data_stream();
            let _ = tokio::time::timeout(Duration::from_secs(2), body.next()).await;
            reset.fire();
            std::future::pending::<()>().await;
            Err(StatusCode::INTERNAL_SERVER_ERROR.into_response())
        }
        Fault::HtmlServerError(status) => Err(html_error(status)),
        Fault::TooManyRequests { retry_after_secs } => {
            let mut response = api_error(
                StatusCode::TOO_MANY_REQUESTS,
                Some("TOO_MANY_REQUESTS"),
                "Too many requests.",
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, retry_after_secs.into());
            Err(response)
        }
        Fault::OkWithError if endpoint == Endpoint::Process => {
            spend_token_of(shared, request).await;
            Err((StatusCode::OK, Json(json!({ "message": "Document was not detected in the photo.", "identifier": "DOCUMENT_NOT_DETECTED" }))).into_response())
        }
        Fault::OkWithError => Ok(request),
        Fault::TokenNotValid => Err(api_error(
            StatusCode::BAD_REQUEST,
            Some("TOKEN_NOT_VALID"),
            "Token is not valid.",
        )),
        Fault::UnauthorizedWithoutIdentifier => Err((
            StatusCode::UNAUTHORIZED,
            Json(json!({ "message": "Invalid authorization credentials" })),
        )
            .into_response()),
        Fault::Answer { status, body } => Err((
            StatusCode::from_u16(status).unwrap_or(StatusCode::IM_A_TEAPOT),
            Json(body),
        )
            .into_response()),
    }
}

/// The `OkWithError` fault still spends the token, as the real call does.
async fn spend_token_of(shared: &Shared, request: Request) {
    let Ok(body) = axum::body::to_bytes(request.into_body(), shared.config.max_request_bytes).await
    else {
        return;
    };
    let Ok(json) = serde_json::from_slice::<Value>(&body) else {
        return;
    };
    if let Some(token) = json.get("authToken").and_then(Value::as_str)
        && let Some(issued) = shared.lock().tokens.get_mut(token)
    {
        issued.used = true;
    }
}

/// Basic auth: user = API key, password = API secret.
fn authorized(shared: &Shared, headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let Some(encoded) = value.strip_prefix("Basic ") else {
        return false;
    };
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded.trim()) else {
        return false;
    };
    let expected = format!("{}:{}", shared.config.key, shared.config.secret);
    decoded == expected.as_bytes()
}

fn unauthorized() -> Response {
    api_error(
        StatusCode::UNAUTHORIZED,
        Some("UNAUTHORIZED"),
        "Invalid authorization credentials",
    )
}

fn too_large() -> Response {
    html_error(413)
}

async fn read_json(request: Request, limit: usize) -> Result<Value, Response> {
    let body = axum::body::to_bytes(request.into_body(), limit)
        .await
        .map_err(|_| too_large())?;
    serde_json::from_slice(&body).map_err(|_| {
        api_error(
            StatusCode::BAD_REQUEST,
            Some("JSON_ERROR"),
            "Malformed JSON body.",
        )
    })
}

fn bad_value(message: String) -> Response {
    api_error(StatusCode::BAD_REQUEST, Some("BAD_VALUE"), &message)
}

fn random_token() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..40)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

fn random_digits(count: usize) -> String {
    let mut rng = rand::rng();
    (0..count)
        .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
        .collect()
}

const DOCUMENT_KINDS: &[&str] = &[
    "ID_CARD",
    "PASSPORT",
    "RESIDENCE_PERMIT",
    "DRIVER_LICENSE",
    "AADHAAR",
    "PAN_CARD",
    "VISA",
    "BORDER_CROSSING",
    "ASYLUM",
    "NATIONAL_PASSPORT",
    "INTERNATIONAL_PASSPORT",
    "VOTER_CARD",
    "OLD_ID_CARD",
    "TRAVEL_CARD",
    "PHOTO_CARD",
    "MILITARY_CARD",
    "PROOF_OF_AGE_CARD",
    "DIPLOMATIC_ID",
];
const LOCALES: &[&str] = &[
    "lt", "en", "ru", "pl", "lv", "ro", "it", "de", "fr", "sv", "es", "hu", "ja", "bg", "et", "cs",
];
const TOKEN_TYPES: &[&str] = &[
    "DOCUMENT",
    "IDENTIFICATION",
    "VIDEO_CALL",
    "VIDEO_CALL_PHOTOS",
    "VIDEO_CALL_IDENTIFICATION",
];
const PROCESS_DOCUMENT_TYPES: &[&str] = &[
    "ID_CARD",
    "PASSPORT",
    "RESIDENCE_PERMIT",
    "DRIVER_LICENSE",
    "OTHER",
];

/// The simulated environment's defaults, as the spec's second example response shows them.
const DEFAULT_EXPIRY_SECS: u64 = 3600;
const DEFAULT_SESSION_SECS: u64 = 300;

/// Checks the token body the way the API's table describes; the message names the field.
fn check_token_body(body: &Value) -> Result<(), Response> {
    let Some(fields) = body.as_object() else {
        return Err(api_error(
            StatusCode::BAD_REQUEST,
            Some("JSON_ERROR"),
            "Body must be a JSON object.",
        ));
    };
    match fields.get("clientId") {
        Some(Value::String(id)) if !id.is_empty() && id.chars().count() <= 100 => {}
        Some(Value::String(_)) => {
            return Err(bad_value("clientId must be 1 to 100 characters.".into()));
        }
        _ => {
            return Err(api_error(
                StatusCode::BAD_REQUEST,
                Some("MISSING_VALUE"),
                "Missing value for 'clientId'.",
            ));
        }
    }
    let text = |key: &str| fields.get(key).and_then(Value::as_str);
    for key in ["firstName", "lastName"] {
        if let Some(name) = text(key) {
            let bad = name.is_empty()
                || name.chars().count() > 100
                || name
                    .chars()
                    .any(|c| c.is_ascii_digit() || "~!@#$%^*()_+={}[]|:;\",<>/?".contains(c));
            if bad {
                return Err(bad_value(format!("Invalid value for '{key}'.")));
            }
        }
    }
    if let Some(locale) = text("locale")
        && !LOCALES.contains(&locale)
    {
        return Err(bad_value("Invalid value for 'locale'.".into()));
    }
    if let Some(kind) = text("tokenType")
        && !TOKEN_TYPES.contains(&kind)
    {
        return Err(bad_value("Invalid value for 'tokenType'.".into()));
    }
    if let Some(documents) = fields.get("documents").and_then(Value::as_array)
        && documents
            .iter()
            .any(|d| !d.as_str().is_some_and(|d| DOCUMENT_KINDS.contains(&d)))
    {
        return Err(bad_value("Invalid value for 'documents'.".into()));
    }
    if let Some(expiry) = fields.get("expiryTime")
        && !expiry
            .as_u64()
            .is_some_and(|e| (1..=2_592_000).contains(&e))
    {
        return Err(bad_value("Invalid value for 'expiryTime'.".into()));
    }
    if let Some(length) = fields.get("sessionLength")
        && !length.as_u64().is_some_and(|l| l > 60 && l < 3600)
    {
        return Err(bad_value("Invalid value for 'sessionLength'.".into()));
    }
    for key in ["country", "nationality"] {
        if let Some(code) = text(key)
            && (code.len() != 2 || !code.chars().all(|c| c.is_ascii_alphabetic()))
        {
            return Err(bad_value(format!("Invalid value for '{key}'.")));
        }
    }
    if fields.get("utilityBill").and_then(Value::as_bool) == Some(true)
        && fields.get("additionalSteps").is_some_and(|v| !v.is_null())
    {
        return Err(bad_value(
            "'utilityBill' can't be used together with 'additionalSteps'.".into(),
        ));
    }
    if let Some(url) = text("callbackUrl")
        && !url.starts_with("https://")
    {
        return Err(bad_value("Invalid value for 'callbackUrl'.".into()));
    }
    Ok(())
}

async fn token(
    State(shared): State<Arc<Shared>>,
    Extension(reset): Extension<ResetConnection>,
    request: Request,
) -> Response {
    shared.lock().stats.token_calls += 1;
    let request = match apply_fault(&shared, Endpoint::Token, request, &reset).await {
        Ok(request) => request,
        Err(response) => return response,
    };
    if !authorized(&shared, request.headers()) {
        return unauthorized();
    }
    let body = match read_json(request, 1_000_000).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    if let Err(response) = check_token_body(&body) {
        return response;
    }
    let auth_token = random_token();
    let scan_ref = uuid::Uuid::new_v4().to_string();
    let mut answer = body.clone();
    let defaults = json!({
        "firstName": null, "lastName": null, "successUrl": null, "errorUrl": null, "unverifiedUrl": null,
        "locale": "en", "showInstructions": true, "country": null,
        "expiryTime": DEFAULT_EXPIRY_SECS, "sessionLength": DEFAULT_SESSION_SECS,
        "documents": ["ID_CARD", "PASSPORT", "RESIDENCE_PERMIT", "DRIVER_LICENSE"],
        "dateOfBirth": null, "dateOfExpiry": null, "dateOfIssue": null, "nationality": null,
        "personalNumber": null, "documentNumber": null, "sex": null, "digitString": null, "address": null,
        "tokenType": "IDENTIFICATION", "videoCallQuestions": [], "externalRef": null, "utilityBill": false,
        "additionalSteps": null, "additionalData": null,
    });
    if let (Some(answer), Some(defaults)) = (answer.as_object_mut(), defaults.as_object()) {
        for (key, value) in defaults {
            answer.entry(key.clone()).or_insert_with(|| value.clone());
        }
        // The API upper-cases names in its answer (spec example: "JOHN TOM").
        for key in ["firstName", "lastName"] {
            if let Some(Value::String(name)) = answer.get_mut(key) {
                *name = name.to_uppercase();
            }
        }
        // The 8-digit code for the mobile app, when asked for (null otherwise, as the spec says).
        if answer.get("generateDigitString").and_then(Value::as_bool) == Some(true) {
            answer.insert("digitString".into(), json!(random_digits(8)));
        }
        answer.insert("message".into(), json!("Token created successfully"));
        answer.insert("authToken".into(), json!(auth_token));
        answer.insert("scanRef".into(), json!(scan_ref));
        answer.insert("personScanRef".into(), answer["clientId"].clone());
        answer.insert(
            "allowedDocuments".into(),
            json!({ "ALL": ["ID_CARD", "PASSPORT", "RESIDENCE_PERMIT", "DRIVER_LICENSE"] }),
        );
    }
    let issued = IssuedToken {
        created: Instant::now(),
        expiry: Duration::from_secs(answer["expiryTime"].as_u64().unwrap_or(DEFAULT_EXPIRY_SECS)),
        used: false,
        token_type: answer["tokenType"]
            .as_str()
            .unwrap_or("IDENTIFICATION")
            .to_owned(),
        utility_bill: answer["utilityBill"].as_bool().unwrap_or(false),
    };
    {
        let mut inner = shared.lock();
        inner.stats.issued_tokens.push(auth_token.clone());
        inner.tokens.insert(auth_token, issued);
        inner.stats.tokens_issued += 1;
        if answer["digitString"].is_string() {
            inner.stats.digit_strings_asked += 1;
        }
    }
    (StatusCode::CREATED, Json(answer)).into_response()
}

async fn process(
    State(shared): State<Arc<Shared>>,
    Extension(reset): Extension<ResetConnection>,
    request: Request,
) -> Response {
    shared.lock().stats.process_calls += 1;
    let request = match apply_fault(&shared, Endpoint::Process, request, &reset).await {
        Ok(request) => request,
        Err(response) => return response,
    };
    if !authorized(&shared, request.headers()) {
        return unauthorized();
    }
    // "The maximum request size is 20 MB": a proxy in front answers 413 with a page.
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|length| length > shared.config.max_request_bytes) {
        drain(request).await;
        return too_large();
    }
    let bytes =
        match axum::body::to_bytes(request.into_body(), shared.config.max_request_bytes).await {
            Ok(bytes) => bytes,
            Err(_) => return too_large(),
        };
    let body: Value = match serde_json::from_slice(&bytes) {
        Ok(body) => body,
        Err(_) => {
            return api_error(
                StatusCode::BAD_REQUEST,
                Some("JSON_ERROR"),
                "Malformed JSON body.",
            );
        }
    };
    match check_process_body(&shared, &body) {
        Ok(images) => {
            let record = ProcessRecord {
                country: body["country"].as_str().unwrap_or_default().to_owned(),
                document_type: body["documentType"].as_str().unwrap_or_default().to_owned(),
                images,
                body_bytes: bytes.len(),
                auth_token: body["authToken"].as_str().unwrap_or_default().to_owned(),
            };
            shared.lock().stats.processed.push(record);
            StatusCode::OK.into_response()
        }
        Err(response) => response,
    }
}

/// Checks a /process body; spends the token as soon as it is known, whatever follows.
fn check_process_body(shared: &Shared, body: &Value) -> Result<Vec<(ImageSlot, usize)>, Response> {
    let Some(token) = body.get("authToken").and_then(Value::as_str) else {
        return Err(api_error(
            StatusCode::BAD_REQUEST,
            Some("MISSING_VALUE"),
            "Missing value for 'authToken'.",
        ));
    };
    let issued = {
        let mut inner = shared.lock();
        let Some(issued) = inner.tokens.get_mut(token) else {
            return Err(api_error(
                StatusCode::BAD_REQUEST,
                Some("TOKEN_NOT_VALID"),
                "Token is not valid.",
            ));
        };
        let usable = !issued.used && issued.created.elapsed() < issued.expiry;
        // "The verification token is deactivated after this request."
        issued.used = true;
        if !usable {
            return Err(api_error(
                StatusCode::BAD_REQUEST,
                Some("TOKEN_NOT_VALID"),
                "Token is not valid.",
            ));
        }
        issued.clone()
    };
    let country = body
        .get("country")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if country.len() != 2 || !country.chars().all(|c| c.is_ascii_uppercase()) {
        return Err(bad_value("Invalid value for 'country'.".into()));
    }
    let document_type = body
        .get("documentType")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !PROCESS_DOCUMENT_TYPES.contains(&document_type) {
        return Err(bad_value("Invalid value for 'documentType'.".into()));
    }
    let Some(images) = body.get("images").and_then(Value::as_object) else {
        return Err(api_error(
            StatusCode::BAD_REQUEST,
            Some("MISSING_VALUE"),
            "Missing value for 'images'.",
        ));
    };
    let mut required = vec![ImageSlot::Front];
    if document_type != "PASSPORT" {
        required.push(ImageSlot::Back);
    }
    if issued.token_type != "DOCUMENT" {
        required.push(ImageSlot::Face);
    }
    if issued.utility_bill {
        required.push(ImageSlot::UtilityBill);
    }
    for slot in required {
        if images.get(slot.as_str()).is_none_or(Value::is_null) {
            let message = format!("No image provided for step '{}'", slot.as_str());
            return Err(api_error(
                StatusCode::BAD_REQUEST,
                Some("MISSING_VALUE"),
                &message,
            ));
        }
    }
    let mut sizes = Vec::new();
    for (name, value) in images {
        let Ok(slot) = name.parse::<ImageSlot>() else {
            return Err(bad_value(format!("Unknown image step '{name}'.")));
        };
        let Some(encoded) = value.as_str() else {
            continue;
        };
        if encoded.len() > shared.config.max_image_chars {
            return Err(bad_value(format!(
                "Image for step '{name}' is larger than 6MB."
            )));
        }
        let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded) else {
            return Err(api_error(
                StatusCode::BAD_REQUEST,
                Some("ENCODING_ERROR"),
                &format!("Image for step '{name}' is not valid Base64."),
            ));
        };
        let jpeg = decoded.starts_with(&[0xFF, 0xD8, 0xFF]);
        let png = decoded.starts_with(b"\x89PNG\r\n\x1a\n");
        if !jpeg && !png {
            return Err(api_error(
                StatusCode::BAD_REQUEST,
                Some("ENCODING_ERROR"),
                &format!("Image for step '{name}' must be JPEG or PNG."),
            ));
        }
        sizes.push((slot, encoded.len()));
    }
    Ok(sizes)
}
