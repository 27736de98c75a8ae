//! Layer 2: the real client against the simulator over real HTTP on 127.0.0.1, for success and
//! every fault.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers panic on a broken fixture, which is the failure we want"
)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use markid_kiosk::api::{
    ApiError, ClientSettings, ConnectionCheck, CustomerAdvice, Endpoint, Identifier, ImageSlot,
    MarkIdClient, NetworkFailure, ProcessDocumentType, ProcessImages, ProcessRequest, TokenRequest,
    TokenSession, UploadProgress,
};
use markid_kiosk::imaging::encode_jpeg;
use markid_kiosk::secret::Secret;
use markid_kiosk::simulator::{
    DEMO_KEY, DEMO_SECRET, Fault, FaultPlan, SimulatorConfig, SimulatorHandle,
};

fn settings(base_url: &str, secret: &str) -> ClientSettings {
    ClientSettings {
        base_url: base_url.parse().unwrap(),
        key: DEMO_KEY.into(),
        secret: Secret::new(secret),
        connect_timeout: Duration::from_secs(2),
        token_timeout: Duration::from_secs(5),
        process_timeout: Duration::from_secs(5),
        upload_stall_timeout: Duration::from_secs(5),
        answer_timeout: Duration::from_secs(5),
        token_retries: 2,
        max_backoff: Duration::from_secs(2),
    }
}

async fn setup() -> (SimulatorHandle, MarkIdClient) {
    let simulator = SimulatorHandle::start_local(SimulatorConfig::default())
        .await
        .unwrap();
    let client = MarkIdClient::new(settings(&simulator.base_url(), DEMO_SECRET)).unwrap();
    (simulator, client)
}

fn token_request() -> TokenRequest {
    TokenRequest {
        client_id: "test-client".into(),
        ..TokenRequest::default()
    }
}

fn small_jpeg_base64() -> String {
    let pixels = image::RgbImage::from_fn(64, 48, |x, y| {
        image::Rgb([(x * 4) as u8, (y * 5) as u8, 128])
    });
    base64::engine::general_purpose::STANDARD.encode(encode_jpeg(&pixels, 90).unwrap().into_bytes())
}

fn process_request(session: &TokenSession, slots: &[ImageSlot]) -> ProcessRequest {
    let image = small_jpeg_base64();
    let mut images = ProcessImages::default();
    for slot in slots {
        images.set(*slot, image.clone());
    }
    ProcessRequest {
        auth_token: session.auth_token.clone(),
        country: "lt".into(),
        document_type: ProcessDocumentType::IdCard,
        images,
    }
}

const ID_CARD_SLOTS: &[ImageSlot] = &[ImageSlot::Front, ImageSlot::Back, ImageSlot::Face];

/// Creates a session, switches `fault` on for /process, and sends an ID card: the error.
async fn process_under(fault: Fault) -> (SimulatorHandle, ApiError) {
    let (simulator, client) = setup().await;
    let session = client.create_token(&token_request()).await.unwrap();
    simulator.set_fault(FaultPlan::always(fault, Some(Endpoint::Process)));
    let error = client
        .process(&process_request(&session, ID_CARD_SLOTS), no_progress())
        .await
        .unwrap_err();
    (simulator, error)
}

fn no_progress() -> markid_kiosk::api::ProgressCallback {
    Arc::new(|_| {})
}

#[tokio::test]
async fn success_reports_upload_progress_and_spends_the_token() {
    let (simulator, client) = setup().await;
    let session = client.create_token(&token_request()).await.unwrap();
    assert_eq!(session.auth_token.expose().len(), 40);
    assert!(!session.scan_ref.is_empty());
    assert_eq!(session.client_id, "test-client");

    let seen: Arc<Mutex<Vec<UploadProgress>>> = Arc::default();
    let recorder = seen.clone();
    let request = process_request(&session, ID_CARD_SLOTS);
    client
        .process(
            &request,
            Arc::new(move |p| recorder.lock().unwrap().push(p)),
        )
        .await
        .unwrap();
    let seen = seen.lock().unwrap().clone();
    let total = serde_json::to_vec(&request).unwrap().len() as u64;
    assert_eq!(seen.last(), Some(&UploadProgress { sent: total, total }));
    assert!(
        seen.windows(2).all(|w| w[0].sent <= w[1].sent),
        "progress goes forward"
    );

    let stats = simulator.stats();
    assert_eq!(stats.processed.len(), 1);
    assert_eq!(stats.processed[0].country, "LT");
    assert_eq!(stats.processed[0].images.len(), 3);

    // "The verification token is deactivated after this request."
    let again = client.process(&request, no_progress()).await.unwrap_err();
    assert_eq!(again.identifier(), Some(&Identifier::TokenNotValid));
    assert_eq!(again.customer_advice(), CustomerAdvice::StartAgain);
}

#[tokio::test]
async fn upload_progress_moves_in_steps_for_a_large_body() {
    let (_simulator, client) = setup().await;
    let session = client.create_token(&token_request()).await.unwrap();
    let mut request = process_request(&session, ID_CARD_SLOTS);
    // A valid JPEG padded to ~1 MB: the simulator checks only the magic bytes.
    let mut big = base64::engine::general_purpose::STANDARD
        .decode(small_jpeg_base64())
        .unwrap();
    big.resize(1_000_000, 0);
    request.images.set(
        ImageSlot::Front,
        base64::engine::general_purpose::STANDARD.encode(&big),
    );
    let seen: Arc<Mutex<Vec<UploadProgress>>> = Arc::default();
    let recorder = seen.clone();
    client
        .process(
            &request,
            Arc::new(move |p| recorder.lock().unwrap().push(p)),
        )
        .await
        .unwrap();
    let distinct: std::collections::BTreeSet<u64> =
        seen.lock().unwrap().iter().map(|p| p.sent).collect();
    assert!(
        distinct.len() > 10,
        "expected many progress steps, got {}",
        distinct.len()
    );
}

#[tokio::test]
async fn wrong_secret_is_unauthorized_and_not_retried() {
    let (simulator, _) = setup().await;
    let client = MarkIdClient::new(settings(&simulator.base_url(), "wrong")).unwrap();
    let error = client.create_token(&token_request()).await.unwrap_err();
    assert_eq!(error.status(), Some(401));
    assert_eq!(error.identifier(), Some(&Identifier::Unauthorized));
    assert_eq!(error.customer_advice(), CustomerAdvice::AskStaff);
    assert_eq!(simulator.stats().token_calls, 1);
    assert!(
        !error.staff_text().contains("wrong"),
        "the secret must not show"
    );
}

#[tokio::test]
async fn invalid_request_is_refused_before_any_call() {
    let (simulator, client) = setup().await;
    let request = TokenRequest {
        client_id: String::new(),
        ..TokenRequest::default()
    };
    let error = client.create_token(&request).await.unwrap_err();
    assert!(
        matches!(error, ApiError::Invalid(ref v) if v.field == "clientId"),
        "{error}"
    );
    assert_eq!(simulator.stats().token_calls, 0);
}

#[tokio::test]
async fn too_many_requests_is_retried_after_retry_after() {
    let (simulator, client) = setup().await;
    simulator.set_fault(FaultPlan::times(
        Fault::TooManyRequests {
            retry_after_secs: 1,
        },
        Some(Endpoint::Token),
        1,
    ));
    let started = Instant::now();
    client.create_token(&token_request()).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After honoured"
    );
    assert_eq!(simulator.stats().token_calls, 2);
}

#[tokio::test]
async fn retry_after_longer_than_the_cap_is_not_waited_for() {
    let (simulator, client) = setup().await;
    simulator.set_fault(FaultPlan::always(
        Fault::TooManyRequests {
            retry_after_secs: 3600,
        },
        None,
    ));
    let error = client.create_token(&token_request()).await.unwrap_err();
    assert_eq!(error.status(), Some(429));
    assert_eq!(error.customer_advice(), CustomerAdvice::TryAgainLater);
    assert_eq!(simulator.stats().token_calls, 1);
}

#[tokio::test]
async fn html_502_is_retried_then_reported_with_its_title() {
    let (simulator, client) = setup().await;
    simulator.set_fault(FaultPlan::times(
        Fault::HtmlServerError(502),
        Some(Endpoint::Token),
        1,
    ));
    client.create_token(&token_request()).await.unwrap();
    assert_eq!(simulator.stats().token_calls, 2);

    simulator.set_fault(FaultPlan::always(
        Fault::HtmlServerError(503),
        Some(Endpoint::Token),
    ));
    let error = client.create_token(&token_request()).await.unwrap_err();
    assert_eq!(
        simulator.stats().token_calls,
        2 + 3,
        "one try and two retries"
    );
    let ApiError::Http { failure, .. } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(failure.status, 503);
    assert_eq!(
        failure.body_excerpt.as_deref(),
        Some("503 Service Unavailable")
    );
    assert_eq!(error.customer_advice(), CustomerAdvice::TryAgainLater);
}

#[tokio::test]
async fn process_5xx_is_not_resent() {
    let (simulator, error) = process_under(Fault::HtmlServerError(502)).await;
    assert_eq!(error.status(), Some(502));
    assert!(error.token_spent());
    assert_eq!(simulator.stats().process_calls, 1);
}

#[tokio::test]
async fn reset_during_upload_is_not_resent_and_needs_a_new_session() {
    let (simulator, error) = process_under(Fault::ConnectionReset).await;
    let ApiError::Network {
        failure,
        token_spent,
        ..
    } = &error
    else {
        panic!("{error:?}")
    };
    assert_eq!(*failure, NetworkFailure::Reset, "{error}");
    assert!(*token_spent);
    assert_eq!(error.customer_advice(), CustomerAdvice::StartAgain);
    assert_eq!(simulator.stats().process_calls, 1);
}

#[tokio::test]
async fn reset_on_token_is_retried() {
    let (simulator, client) = setup().await;
    simulator.set_fault(FaultPlan::times(
        Fault::ConnectionReset,
        Some(Endpoint::Token),
        1,
    ));
    client.create_token(&token_request()).await.unwrap();
    assert_eq!(simulator.stats().token_calls, 2);
}

#[tokio::test]
async fn slow_process_times_out_without_resending() {
    let (simulator, _) = setup().await;
    let mut quick = settings(&simulator.base_url(), DEMO_SECRET);
    quick.process_timeout = Duration::from_millis(700);
    let client = MarkIdClient::new(quick).unwrap();
    let session = client.create_token(&token_request()).await.unwrap();
    simulator.set_fault(FaultPlan::always(
        Fault::Slow(Duration::from_secs(3)),
        Some(Endpoint::Process),
    ));
    let error = client
        .process(&process_request(&session, ID_CARD_SLOTS), no_progress())
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            ApiError::Network {
                failure: NetworkFailure::Timeout,
                token_spent: true,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(simulator.stats().process_calls, 1);
}

/// A client whose upload watch is short, under a 60 s overall cap that must not be what ends
/// the call; with `fault` on /process.
async fn watched_client(fault: Fault) -> (SimulatorHandle, MarkIdClient, TokenSession) {
    let (simulator, _) = setup().await;
    let mut watched = settings(&simulator.base_url(), DEMO_SECRET);
    watched.process_timeout = Duration::from_secs(60);
    watched.upload_stall_timeout = Duration::from_millis(1500);
    watched.answer_timeout = Duration::from_millis(2500);
    let client = MarkIdClient::new(watched).unwrap();
    let session = client.create_token(&token_request()).await.unwrap();
    simulator.set_fault(FaultPlan::always(fault, Some(Endpoint::Process)));
    (simulator, client, session)
}

#[tokio::test]
async fn a_server_that_takes_the_body_and_never_answers_fails_after_the_answer_timeout() {
    let (simulator, client, session) = watched_client(Fault::Hang).await;
    let progress = Arc::new(Mutex::new(Vec::new()));
    let seen = progress.clone();
    let on_progress: markid_kiosk::api::ProgressCallback =
        Arc::new(move |p: UploadProgress| seen.lock().unwrap().push(p));
    let started = Instant::now();
    let error = client
        .process(&process_request(&session, ID_CARD_SLOTS), on_progress)
        .await
        .unwrap_err();
    let waited = started.elapsed();
    assert!(
        matches!(
            error,
            ApiError::Network {
                failure: NetworkFailure::NoAnswer,
                token_spent: true,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(
        waited >= Duration::from_millis(2400) && waited < Duration::from_secs(10),
        "{waited:?}"
    );
    // The whole body went: the screen can say that it waits for the answer.
    let last = *progress.lock().unwrap().last().unwrap();
    assert!(last.total > 0 && last.sent == last.total, "{last:?}");
    assert!(error.staff_text().contains("api.answer_timeout_secs"));
    assert_eq!(simulator.stats().process_calls, 1);
}

#[tokio::test]
async fn an_upload_the_connection_stops_taking_fails_after_the_stall_timeout() {
    let (_simulator, client, session) = watched_client(Fault::Stall).await;
    // 15 MB: far more than the loopback socket buffers hold, so the sender must stop.
    let mut request = process_request(&session, ID_CARD_SLOTS);
    for slot in ID_CARD_SLOTS {
        request.images.set(*slot, "A".repeat(5_000_000));
    }
    let started = Instant::now();
    let error = client.process(&request, no_progress()).await.unwrap_err();
    assert!(
        matches!(
            error,
            ApiError::Network {
                failure: NetworkFailure::Stalled,
                token_spent: true,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    assert!(error.staff_text().contains("api.upload_stall_secs"));
}

#[tokio::test]
async fn a_slow_answer_within_the_answer_timeout_is_taken() {
    let (simulator, client, session) =
        watched_client(Fault::Slow(Duration::from_millis(1200))).await;
    client
        .process(&process_request(&session, ID_CARD_SLOTS), no_progress())
        .await
        .unwrap();
    assert_eq!(simulator.stats().process_calls, 1);
}

#[tokio::test]
async fn slow_token_times_out() {
    let (simulator, _) = setup().await;
    let mut quick = settings(&simulator.base_url(), DEMO_SECRET);
    quick.token_timeout = Duration::from_millis(500);
    quick.token_retries = 0;
    let client = MarkIdClient::new(quick).unwrap();
    simulator.set_fault(FaultPlan::always(
        Fault::Slow(Duration::from_secs(3)),
        Some(Endpoint::Token),
    ));
    let error = client.create_token(&token_request()).await.unwrap_err();
    assert!(
        matches!(
            error,
            ApiError::Network {
                failure: NetworkFailure::Timeout,
                token_spent: false,
                ..
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn ok_with_error_body_is_a_failure_and_spends_the_token() {
    let (simulator, client) = setup().await;
    let session = client.create_token(&token_request()).await.unwrap();
    simulator.set_fault(FaultPlan::times(
        Fault::OkWithError,
        Some(Endpoint::Process),
        1,
    ));
    let request = process_request(&session, ID_CARD_SLOTS);
    let error = client.process(&request, no_progress()).await.unwrap_err();
    assert_eq!(error.status(), Some(200));
    assert_eq!(error.customer_advice(), CustomerAdvice::Retake(None));
    assert!(error.staff_text().contains("Document was not detected"));
    let again = client.process(&request, no_progress()).await.unwrap_err();
    assert_eq!(again.identifier(), Some(&Identifier::TokenNotValid));
}

#[tokio::test]
async fn token_not_valid_fault() {
    let (_simulator, error) = process_under(Fault::TokenNotValid).await;
    assert_eq!(error.identifier(), Some(&Identifier::TokenNotValid));
    assert_eq!(error.customer_advice(), CustomerAdvice::StartAgain);
}

#[tokio::test]
async fn unauthorized_without_identifier() {
    let (simulator, client) = setup().await;
    simulator.set_fault(FaultPlan::always(
        Fault::UnauthorizedWithoutIdentifier,
        None,
    ));
    let error = client.create_token(&token_request()).await.unwrap_err();
    assert_eq!(error.status(), Some(401));
    assert_eq!(error.identifier(), None);
    assert!(
        error
            .staff_text()
            .contains("Invalid authorization credentials")
    );
    assert_eq!(error.customer_advice(), CustomerAdvice::AskStaff);
}

#[tokio::test]
async fn token_limit_reached() {
    let (simulator, client) = setup().await;
    let body = serde_json::json!({ "identifier": "PERMISSIONS_ERROR", "message": "Partner reached token limit." });
    simulator.set_fault(FaultPlan::always(
        Fault::Answer { status: 400, body },
        Some(Endpoint::Token),
    ));
    let error = client.create_token(&token_request()).await.unwrap_err();
    assert_eq!(error.customer_advice(), CustomerAdvice::AskStaff);
    assert!(error.staff_hint().contains("used all its tokens"));
}

#[tokio::test]
async fn missing_back_names_the_step() {
    let (_simulator, client) = setup().await;
    let session = client.create_token(&token_request()).await.unwrap();
    let request = process_request(&session, &[ImageSlot::Front, ImageSlot::Face]);
    let error = client.process(&request, no_progress()).await.unwrap_err();
    assert_eq!(error.identifier(), Some(&Identifier::MissingValue));
    assert_eq!(
        error.customer_advice(),
        CustomerAdvice::Retake(Some(ImageSlot::Back))
    );
}

#[tokio::test]
async fn passport_needs_no_back_and_document_tokens_need_no_face() {
    let (simulator, client) = setup().await;
    let session = client.create_token(&token_request()).await.unwrap();
    let mut request = process_request(&session, &[ImageSlot::Front, ImageSlot::Face]);
    request.document_type = ProcessDocumentType::Passport;
    client.process(&request, no_progress()).await.unwrap();

    let mut document_only = token_request();
    document_only.fields.token_type = Some(markid_kiosk::api::TokenType::Document);
    let session = client.create_token(&document_only).await.unwrap();
    let request = process_request(&session, &[ImageSlot::Front, ImageSlot::Back]);
    client.process(&request, no_progress()).await.unwrap();
    assert_eq!(simulator.stats().processed.len(), 2);
}

#[tokio::test]
async fn size_limits_are_enforced() {
    let (_simulator, client) = setup().await;
    let session = client.create_token(&token_request()).await.unwrap();
    let mut request = process_request(&session, ID_CARD_SLOTS);
    let mut big = base64::engine::general_purpose::STANDARD
        .decode(small_jpeg_base64())
        .unwrap();
    big.resize(4_600_000, 0); // 6,133,336 Base64 characters: over 6,000,000
    request.images.set(
        ImageSlot::Front,
        base64::engine::general_purpose::STANDARD.encode(&big),
    );
    let error = client.process(&request, no_progress()).await.unwrap_err();
    assert_eq!(error.identifier(), Some(&Identifier::BadValue), "{error}");

    let session = client.create_token(&token_request()).await.unwrap();
    let mut request = process_request(&session, ID_CARD_SLOTS);
    let mut large = base64::engine::general_purpose::STANDARD
        .decode(small_jpeg_base64())
        .unwrap();
    large.resize(4_400_000, 0); // 5.87 M characters each, 23.5 MB together
    let encoded = base64::engine::general_purpose::STANDARD.encode(&large);
    for slot in [
        ImageSlot::Front,
        ImageSlot::Back,
        ImageSlot::Face,
        ImageSlot::UtilityBill,
    ] {
        request.images.set(slot, encoded.clone());
    }
    let error = client.process(&request, no_progress()).await.unwrap_err();
    assert_eq!(error.status(), Some(413), "{error}");
    assert_eq!(error.customer_advice(), CustomerAdvice::AskStaff);
}

#[tokio::test]
async fn nothing_listening_is_a_connect_failure() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let mut settings = settings(&format!("http://{address}"), DEMO_SECRET);
    settings.token_retries = 1;
    let client = MarkIdClient::new(settings).unwrap();
    let error = client.create_token(&token_request()).await.unwrap_err();
    assert!(
        matches!(
            error,
            ApiError::Network {
                failure: NetworkFailure::Connect,
                token_spent: false,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(error.customer_advice(), CustomerAdvice::TryAgainLater);
}

#[tokio::test]
async fn connection_test_accepts_good_credentials_without_spending_a_token() {
    let (simulator, client) = setup().await;
    let check = client.check_connection().await.unwrap();
    assert_eq!(
        check,
        ConnectionCheck::CredentialsAccepted {
            status: 400,
            identifier: Some("MISSING_VALUE".into())
        }
    );
    let stats = simulator.stats();
    assert_eq!(stats.tokens_issued, 0, "the test must not spend a token");
    // The second call proved that made-up credentials are refused.
    assert_eq!(stats.token_calls, 2);
    let (ok, text) = ConnectionCheck::report(&Ok(check));
    assert!(ok && text.starts_with("Connected"), "{text}");
}

#[tokio::test]
async fn connection_test_reports_a_wrong_secret_and_a_dead_address() {
    let simulator = SimulatorHandle::start_local(SimulatorConfig::default())
        .await
        .unwrap();
    let client = MarkIdClient::new(settings(&simulator.base_url(), "wrong-secret")).unwrap();
    let result = client.check_connection().await;
    assert_eq!(result.as_ref().unwrap_err().status(), Some(401));
    let (ok, text) = ConnectionCheck::report(&result);
    assert!(!ok && text.contains("401"), "{text}");
    assert!(
        !text.contains("wrong-secret"),
        "the secret must not be shown: {text}"
    );
    let dead_url = simulator.base_url();
    simulator.stop();
    let client = MarkIdClient::new(settings(&dead_url, DEMO_SECRET)).unwrap();
    let result = client.check_connection().await;
    assert!(
        matches!(
            result,
            Err(ApiError::Network {
                failure: NetworkFailure::Connect,
                ..
            })
        ),
        "{result:?}"
    );
}

#[tokio::test]
async fn connection_test_is_inconclusive_when_the_server_refuses_any_body_first() {
    let (simulator, client) = setup().await;
    // A server that refuses the body before it looks at the credentials: every call gets 400.
    simulator.set_fault(FaultPlan::always(
        Fault::Answer {
            status: 400,
            body: serde_json::json!({"identifier": "JSON_ERROR", "message": "bad body"}),
        },
        Some(Endpoint::Token),
    ));
    let check = client.check_connection().await.unwrap();
    assert_eq!(check, ConnectionCheck::Inconclusive { status: 400 });
    let (ok, _) = ConnectionCheck::report(&Ok(check));
    assert!(!ok);
}

#[tokio::test]
async fn a_kiosk_token_asks_for_the_phone_code_unless_handoff_is_off() {
    use markid_kiosk::api::Locale;
    use markid_kiosk::config::{Config, HandoffOffer};
    let (simulator, client) = setup().await;
    let config = Config::default();
    let request = markid_kiosk::submit::kiosk_token_request(&config, Locale::Lt).unwrap();
    let body = serde_json::to_value(&request).unwrap();
    assert_eq!(body["generateDigitString"], serde_json::json!(true));
    assert!(
        body.get("expiryTime").is_none(),
        "no expiry beside a digit string"
    );
    let session = client.create_token(&request).await.unwrap();
    let digits = session.response.digit_string.clone().unwrap();
    assert_eq!(digits.len(), 8);
    assert!(digits.chars().all(|c| c.is_ascii_digit()));
    assert_eq!(simulator.stats().digit_strings_asked, 1);

    let mut off = Config::default();
    off.handoff.offer = HandoffOffer::Never;
    let request = markid_kiosk::submit::kiosk_token_request(&off, Locale::En).unwrap();
    assert!(
        serde_json::to_value(&request)
            .unwrap()
            .get("generateDigitString")
            .is_none()
    );
    let session = client.create_token(&request).await.unwrap();
    assert_eq!(session.response.digit_string, None);
    assert_eq!(simulator.stats().digit_strings_asked, 1);
}
