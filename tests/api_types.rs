//! Layer 1: validation rules, serde round trips of the spec's examples, error mapping.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers panic on a broken fixture, which is the failure we want"
)]

use markid_kiosk::api::error::HttpFailure;
use markid_kiosk::api::{
    ApiError, CustomSettings, CustomerAdvice, DocumentKind, Endpoint, Identifier, ImageSlot,
    NetworkFailure, TokenFields, TokenRequest, TokenResponse,
};
use markid_kiosk::secret::Personal;
use serde_json::{Value, json};

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn without_nulls(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            Value::Object(map.into_iter().filter(|(_, v)| !v.is_null()).collect())
        }
        other => other,
    }
}

/// Parses a spec request example into our types.
fn request_from_example(example: &Value) -> TokenRequest {
    let mut fields = example.as_object().unwrap().clone();
    let client_id = fields
        .remove("clientId")
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned();
    let fields: TokenFields = serde_json::from_value(Value::Object(fields)).unwrap();
    TokenRequest {
        client_id,
        fields,
        settings: CustomSettings::default(),
    }
}

#[test]
fn spec_request_examples_round_trip_and_validate() {
    for name in [
        "token-request-minimal.json",
        "token-request-names.json",
        "token-request-full.json",
    ] {
        let example = fixture(name);
        let request = request_from_example(&example);
        assert_eq!(request.validate(), Ok(()), "{name}");
        let written = serde_json::to_value(&request).unwrap();
        assert_eq!(written, without_nulls(example), "{name}");
    }
}

#[test]
fn custom_settings_go_at_the_top_level_of_the_body() {
    let request = TokenRequest {
        client_id: "c1".into(),
        fields: TokenFields::default(),
        settings: CustomSettings {
            check_liveness: Some(true),
            max_attempt_count: Some(0),
            ..CustomSettings::default()
        },
    };
    assert_eq!(
        serde_json::to_value(&request).unwrap(),
        json!({ "clientId": "c1", "checkLiveness": true, "maxAttemptCount": 0 })
    );
}

#[test]
fn spec_response_examples_parse() {
    let full: TokenResponse = serde_json::from_value(fixture("token-response-full.json")).unwrap();
    assert_eq!(
        full.auth_token.clone().unwrap().expose(),
        "pgYQX0z2T8mtcpNj9I20uWVCLKNuG0vgr12f0wAC"
    );
    assert_eq!(
        full.scan_ref.as_deref(),
        Some("ec6a7108-8c26-11e9-9758-309c231b1bac")
    );
    assert_eq!(full.expiry_time, Some(600));
    assert_eq!(full.digit_string.as_deref(), Some("4823657"));
    assert_eq!(
        full.allowed_document_kinds(Some("lt")),
        vec![DocumentKind::Passport]
    );

    let defaults: TokenResponse =
        serde_json::from_value(fixture("token-response-defaults.json")).unwrap();
    assert_eq!(defaults.expiry_time, Some(3600));
    assert_eq!(defaults.session_length, Some(300));
    assert_eq!(defaults.country, None);
    assert_eq!(defaults.person_scan_ref.as_deref(), Some("100000"));
    assert_eq!(defaults.allowed_document_kinds(None).len(), 4);
}

#[test]
fn response_tolerates_missing_null_unknown_and_oddly_typed_fields() {
    let response: TokenResponse = serde_json::from_value(json!({
        "authToken": "T", "scanRef": null, "expiryTime": "900", "digitString": 12345678,
        "documents": ["ID_CARD", "SOMETHING_NEW"], "brandNewField": {"x": 1}, "allowedDocuments": null
    }))
    .unwrap();
    assert_eq!(response.scan_ref, None);
    assert_eq!(response.expiry_time, Some(900));
    assert_eq!(response.digit_string.as_deref(), Some("12345678"));
    assert_eq!(
        response.allowed_document_kinds(None),
        vec![DocumentKind::IdCard]
    );
    let empty: TokenResponse = serde_json::from_str("{}").unwrap();
    assert!(empty.auth_token.is_none());
    assert_eq!(empty.allowed_document_kinds(None).len(), 18);
}

/// Checks that `fields` passes and `bad` fails naming `field`.
fn check_rule(field: &str, good: TokenFields, bad: TokenFields) {
    let request = |fields| TokenRequest {
        client_id: "c".into(),
        fields,
        settings: CustomSettings::default(),
    };
    assert_eq!(request(good).validate(), Ok(()), "good value of {field}");
    let Err(error) = request(bad).validate() else {
        panic!("bad value of {field} passed")
    };
    assert_eq!(error.field, field, "{error}");
}

fn name(value: &str) -> Option<Personal> {
    Some(Personal::from(value))
}

#[test]
fn client_id_is_required_and_at_most_100() {
    let request = |id: &str| TokenRequest {
        client_id: id.into(),
        ..TokenRequest::default()
    };
    assert!(request("a").validate().is_ok());
    assert!(request(&"x".repeat(100)).validate().is_ok());
    assert_eq!(request("").validate().unwrap_err().field, "clientId");
    assert_eq!(request("  ").validate().unwrap_err().field, "clientId");
    assert_eq!(
        request(&"x".repeat(101)).validate().unwrap_err().field,
        "clientId"
    );
}

#[test]
fn names_rules() {
    let with_first = |v: &str| TokenFields {
        first_name: name(v),
        ..TokenFields::default()
    };
    let with_last = |v: &str| TokenFields {
        last_name: name(v),
        ..TokenFields::default()
    };
    check_rule("firstName", with_first("John Tom"), with_first(""));
    check_rule(
        "firstName",
        with_first("Žemaitė-O'Neil"),
        with_first("R2D2"),
    );
    check_rule(
        "firstName",
        with_first(&"é".repeat(100)),
        with_first(&"é".repeat(101)),
    );
    for bad in "~!@#$%^*()_+={}[]|:;\",<>/?".chars() {
        check_rule(
            "lastName",
            with_last("Smith & Sons"),
            with_last(&format!("Sm{bad}ith")),
        );
    }
}

#[test]
fn number_ranges() {
    let expiry = |v| TokenFields {
        expiry_time: Some(v),
        ..TokenFields::default()
    };
    check_rule("expiryTime", expiry(1), expiry(0));
    check_rule("expiryTime", expiry(2_592_000), expiry(2_592_001));
    let session = |v| TokenFields {
        session_length: Some(v),
        ..TokenFields::default()
    };
    check_rule("sessionLength", session(61), session(60));
    check_rule("sessionLength", session(3599), session(3600));
}

#[test]
fn url_rules() {
    let success = |v: &str| TokenFields {
        success_url: Some(v.into()),
        ..TokenFields::default()
    };
    check_rule("successUrl", success("http://a.b/"), success("a.b"));
    check_rule(
        "successUrl",
        success("https://example.com/ok"),
        success(&format!("https://e.com/{}", "a".repeat(2040))),
    );
    let error = |v: &str| TokenFields {
        error_url: Some(v.into()),
        ..TokenFields::default()
    };
    check_rule(
        "errorUrl",
        error("https://example.com/fail"),
        error("ftp://example.com/"),
    );
    let unverified = |v: &str| TokenFields {
        unverified_url: Some(v.into()),
        ..TokenFields::default()
    };
    check_rule(
        "unverifiedUrl",
        unverified("https://example.com/u"),
        unverified("not a url"),
    );
    let callback = |v: &str| TokenFields {
        callback_url: Some(v.into()),
        ..TokenFields::default()
    };
    check_rule(
        "callbackUrl",
        callback("https://example.com/hook"),
        callback("http://example.com/hook"),
    );
}

#[test]
fn length_limits() {
    let reference = |v: &str| TokenFields {
        external_ref: Some(v.into()),
        ..TokenFields::default()
    };
    check_rule(
        "externalRef",
        reference(&"r".repeat(40)),
        reference(&"r".repeat(41)),
    );
    let address = |v: &str| TokenFields {
        address: name(v),
        ..TokenFields::default()
    };
    check_rule(
        "address",
        address(&"a".repeat(255)),
        address(&"a".repeat(256)),
    );
    let personal = |v: &str| TokenFields {
        personal_number: name(v),
        ..TokenFields::default()
    };
    check_rule("personalNumber", personal("1"), personal(""));
    let document = |v: &str| TokenFields {
        document_number: name(v),
        ..TokenFields::default()
    };
    check_rule("documentNumber", document("AB1"), document(" "));
}

#[test]
fn exclusive_and_dependent_fields() {
    let steps = json!({ "UTILITY_BILL": { "ADDITIONAL_DOC": "..." } });
    let bill_and_steps = TokenFields {
        utility_bill: Some(true),
        additional_steps: Some(steps.clone()),
        ..TokenFields::default()
    };
    let steps_only = TokenFields {
        additional_steps: Some(steps.clone()),
        ..TokenFields::default()
    };
    check_rule("utilityBill", steps_only.clone(), bill_and_steps);
    let data_only = TokenFields {
        additional_data: Some(json!({ "ssn": "1" })),
        ..TokenFields::default()
    };
    let data_with_steps = TokenFields {
        additional_data: Some(json!({ "ssn": "1" })),
        ..steps_only
    };
    check_rule("additionalData", data_with_steps, data_only);
    let not_object = TokenFields {
        additional_steps: Some(json!([1])),
        ..TokenFields::default()
    };
    check_rule("additionalSteps", TokenFields::default(), not_object);
}

#[test]
fn dates_countries_and_lists() {
    let birth = |v: &str| TokenFields {
        date_of_birth: name(v),
        ..TokenFields::default()
    };
    check_rule("dateOfBirth", birth("1990-12-20"), birth("1990-13-01"));
    check_rule("dateOfBirth", birth("2024-02-29"), birth("2023-02-29"));
    check_rule("dateOfBirth", birth("2000-01-01"), birth("2000-1-1"));
    let expiry = |v: &str| TokenFields {
        date_of_expiry: name(v),
        ..TokenFields::default()
    };
    check_rule("dateOfExpiry", expiry("2031-06-30"), expiry("30/06/2031"));
    let issue = |v: &str| TokenFields {
        date_of_issue: name(v),
        ..TokenFields::default()
    };
    check_rule("dateOfIssue", issue("2021-06-30"), issue("2021-06-31"));
    let country = |v: &str| TokenFields {
        country: Some(v.into()),
        ..TokenFields::default()
    };
    check_rule("country", country("lt"), country("LTU"));
    check_rule("country", country("DE"), country("XX"));
    let nationality = |v: &str| TokenFields {
        nationality: Some(v.into()),
        ..TokenFields::default()
    };
    check_rule("nationality", nationality("lv"), nationality("Latvia"));
    let documents = |v: Vec<DocumentKind>| TokenFields {
        documents: Some(v),
        ..TokenFields::default()
    };
    check_rule(
        "documents",
        documents(vec![DocumentKind::Passport]),
        documents(vec![]),
    );
}

#[test]
fn closed_lists_reject_unknown_values_when_parsed() {
    // Sex, locale, tokenType and documents are enums: a wrong value cannot be built, and parsing
    // one (from the config or the command line) fails with the allowed list.
    assert!(serde_json::from_value::<TokenFields>(json!({ "sex": "X" })).is_err());
    assert!(serde_json::from_value::<TokenFields>(json!({ "sex": "F" })).is_ok());
    assert!(serde_json::from_value::<TokenFields>(json!({ "locale": "pt" })).is_err());
    assert!(serde_json::from_value::<TokenFields>(json!({ "locale": "cs" })).is_ok());
    assert!(serde_json::from_value::<TokenFields>(json!({ "tokenType": "SELFIE" })).is_err());
    assert!(
        serde_json::from_value::<TokenFields>(json!({ "documents": ["ID_CARD", "LIBRARY_CARD"] }))
            .is_err()
    );
    assert!(serde_json::from_value::<CustomSettings>(json!({ "fraudServices": ["LID"] })).is_ok());
    assert!(serde_json::from_value::<CustomSettings>(json!({ "fraudServices": ["FBI"] })).is_err());
    assert!(
        serde_json::from_value::<CustomSettings>(json!({ "detectionTypes": ["NOSE"] })).is_err()
    );
}

#[test]
fn custom_setting_ratios() {
    let request = |settings| TokenRequest {
        client_id: "c".into(),
        fields: TokenFields::default(),
        settings,
    };
    let ratio = |v| CustomSettings {
        levenshtein_text_match_ratio: Some(v),
        ..CustomSettings::default()
    };
    assert!(request(ratio(0.8)).validate().is_ok());
    assert_eq!(
        request(ratio(1.5)).validate().unwrap_err().field,
        "levenshteinTextMatchRatio"
    );
    let modifier = |v| CustomSettings {
        face_matching_threshold_modifier: Some(v),
        ..CustomSettings::default()
    };
    assert!(request(modifier(1.0)).validate().is_ok());
    assert_eq!(
        request(modifier(f64::NAN)).validate().unwrap_err().field,
        "faceMatchingThresholdModifier"
    );
}

#[test]
fn names_never_reach_debug_output() {
    let request = TokenRequest {
        client_id: "c".into(),
        fields: TokenFields {
            first_name: name("Jonas"),
            last_name: name("Jonaitis"),
            ..TokenFields::default()
        },
        settings: CustomSettings::default(),
    };
    let debug = format!("{request:?}");
    assert!(!debug.contains("Jonas"), "{debug}");
}

fn http(endpoint: Endpoint, status: u16, body: Value) -> ApiError {
    ApiError::Http {
        endpoint,
        failure: HttpFailure::from_body(status, body.to_string().as_bytes(), None),
    }
}

#[test]
fn every_identifier_maps_to_advice_and_a_staff_hint() {
    for identifier in Identifier::KNOWN {
        let error = http(
            Endpoint::Process,
            400,
            json!({ "identifier": identifier.as_str(), "message": "m" }),
        );
        assert_eq!(error.identifier(), Some(identifier));
        let key = error.customer_advice().key();
        assert_ne!(
            markid_kiosk::i18n::tr(markid_kiosk::api::Locale::En, key),
            key
        );
        let staff = error.staff_text();
        assert!(
            staff.contains(identifier.as_str()) && staff.contains("HTTP 400"),
            "{staff}"
        );
    }
    let expectations = [
        ("UNAUTHORIZED", CustomerAdvice::AskStaff),
        ("PERMISSIONS_ERROR", CustomerAdvice::AskStaff),
        ("PARTNER_CONTRACT_ERROR", CustomerAdvice::AskStaff),
        ("TOKEN_NOT_VALID", CustomerAdvice::StartAgain),
        ("TOO_MANY_REQUESTS", CustomerAdvice::TryAgainLater),
        ("INTERNAL_ERROR", CustomerAdvice::TryAgainLater),
        ("BAD_VALUE", CustomerAdvice::CheckDetails),
    ];
    for (identifier, advice) in expectations {
        let error = http(
            Endpoint::Token,
            400,
            json!({ "identifier": identifier, "message": "Invalid value for 'country'." }),
        );
        assert_eq!(error.customer_advice(), advice, "{identifier}");
    }
}

#[test]
fn missing_value_names_the_step_to_retake() {
    let error = http(
        Endpoint::Process,
        400,
        json!({ "identifier": "MISSING_VALUE", "message": "No image provided for step 'BACK'" }),
    );
    assert_eq!(
        error.customer_advice(),
        CustomerAdvice::Retake(Some(ImageSlot::Back))
    );
    assert!(error.token_spent());
}

#[test]
fn unknown_identifiers_still_show() {
    let error = http(
        Endpoint::Token,
        400,
        json!({ "identifier": "SHINY_NEW_ERROR", "message": "Something new" }),
    );
    assert_eq!(
        error.identifier(),
        Some(&Identifier::Unknown("SHINY_NEW_ERROR".into()))
    );
    assert!(
        error
            .staff_text()
            .contains("SHINY_NEW_ERROR: Something new")
    );
}

#[test]
fn auth_failures_without_identifier() {
    let cases = [
        (
            401,
            "Invalid authorization credentials",
            "api.key and api.secret",
        ),
        (
            402,
            "Action not allowed due to lack of funds or exceeded limit.",
            "out of funds",
        ),
        (403, "Partner inactive", "inactive"),
        (
            403,
            "This endpoint is not available for PRODUCTION partners.",
            "another environment",
        ),
    ];
    for (status, message, hint) in cases {
        let error = http(Endpoint::Token, status, json!({ "message": message }));
        assert_eq!(error.identifier(), None);
        assert_eq!(
            error.customer_advice(),
            CustomerAdvice::AskStaff,
            "{status}"
        );
        let staff = error.staff_text();
        assert!(staff.contains(message) && staff.contains(hint), "{staff}");
        assert!(!error.is_transient());
    }
}

#[test]
fn html_bodies_become_a_short_excerpt() {
    let page = "<html>\r\n<head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>";
    let failure = HttpFailure::from_body(502, page.as_bytes(), None);
    assert_eq!(failure.body_excerpt.as_deref(), Some("502 Bad Gateway"));
    let error = ApiError::Http {
        endpoint: Endpoint::Process,
        failure,
    };
    assert!(error.is_transient());
    assert_eq!(error.customer_advice(), CustomerAdvice::TryAgainLater);
    let long = format!("<p>{}</p>", "x".repeat(5000));
    let excerpt = HttpFailure::from_body(503, long.as_bytes(), None)
        .body_excerpt
        .unwrap();
    assert!(excerpt.chars().count() <= 201);
    assert_eq!(HttpFailure::from_body(504, b"", None).body_excerpt, None);
}

#[test]
fn process_ok_with_error_body_is_a_failure_to_retake() {
    let failure = HttpFailure::from_body(200, br#"{"message":"Document was not detected."}"#, None);
    assert!(failure.is_error_body());
    assert!(!HttpFailure::from_body(200, b"", None).is_error_body());
    let error = ApiError::Http {
        endpoint: Endpoint::Process,
        failure,
    };
    assert_eq!(error.customer_advice(), CustomerAdvice::Retake(None));
}

#[test]
fn network_failures_tell_customer_and_staff_apart() {
    let network = |failure, token_spent| ApiError::Network {
        endpoint: Endpoint::Process,
        failure,
        token_spent,
        detail: "d".into(),
    };
    assert_eq!(
        network(NetworkFailure::Connect, false).customer_advice(),
        CustomerAdvice::TryAgainLater
    );
    assert_eq!(
        network(NetworkFailure::Reset, true).customer_advice(),
        CustomerAdvice::StartAgain
    );
    assert!(
        network(NetworkFailure::Timeout, true)
            .staff_text()
            .contains("process_timeout_secs")
    );
    assert!(
        network(NetworkFailure::Tls, false)
            .staff_text()
            .contains("clock")
    );
    assert!(!network(NetworkFailure::Tls, false).is_transient());
}

/// Every saved fuzz input (seeds and the crashes fuzzing found, `fuzz/regressions/`) runs
/// through the fuzz targets' own code: none panics.
#[test]
fn saved_fuzz_inputs_of_the_answer_and_config_parsers_run_clean() {
    for (target, run) in [
        (
            "api_answers",
            markid_kiosk::fuzzing::api_answers as fn(&[u8]),
        ),
        ("config_parse", markid_kiosk::fuzzing::config_parse),
    ] {
        let inputs = markid_kiosk::fuzzing::saved_inputs(target);
        assert!(inputs.len() >= 3, "{target}: {} inputs", inputs.len());
        for (path, bytes) in inputs {
            eprintln!("{target}: {}", path.display());
            run(&bytes);
        }
    }
}
