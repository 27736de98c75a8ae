//! POST /api/v2/token: the request with every field and custom setting of the specification,
//! its client-side validation, and a response type that tolerates nulls and unknown fields.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

use super::country::normalize_alpha2;
use super::enums::{DetectionType, DocumentKind, FraudService, Locale, Sex, TokenType};
use crate::secret::{Personal, Secret};

/// A client-side validation failure, naming the field (in the API's spelling) and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct ValidationError {
    /// The field in the API's spelling, e.g. `sessionLength`.
    pub field: &'static str,
    /// What is wrong and what is allowed. Never contains the rejected personal value.
    pub problem: String,
}

impl ValidationError {
    fn new(field: &'static str, problem: impl Into<String>) -> Self {
        Self {
            field,
            problem: problem.into(),
        }
    }
}

/// Every optional token field of the specification's table. Used both for the configured
/// defaults (the `[token]` table of the config file, in the API's own spelling so that staff can
/// copy from the Mark ID documentation) and for the per-customer values of one request.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TokenFields {
    /// Customer's first name(s).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<Personal>,
    /// Customer's surname(s).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<Personal>,
    /// Where the web UI sends the customer after a successful verification.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub success_url: Option<String>,
    /// Where the web UI sends the customer after a failed verification.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_url: Option<String>,
    /// Where the web UI sends the customer after a verification that was not analysed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unverified_url: Option<String>,
    /// Webhook for the results; must be HTTPS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callback_url: Option<String>,
    /// Language of the verification UI.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locale: Option<Locale>,
    /// Whether instructions are shown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub show_instructions: Option<bool>,
    /// Seconds until the token becomes invalid: 1..=2592000.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiry_time: Option<u64>,
    /// Seconds the customer has in the identification UI: strictly between 60 and 3600.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_length: Option<u64>,
    /// Document country, alpha-2; the customer cannot choose another.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Document kinds the customer may use.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub documents: Option<Vec<DocumentKind>>,
    /// Date of birth, YYYY-MM-DD.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<Personal>,
    /// Document expiry date, YYYY-MM-DD.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_of_expiry: Option<Personal>,
    /// Document issue date, YYYY-MM-DD.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_of_issue: Option<Personal>,
    /// Nationality, alpha-2.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nationality: Option<String>,
    /// Personal or national number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub personal_number: Option<Personal>,
    /// Document number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document_number: Option<Personal>,
    /// Sex, M or F.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sex: Option<Sex>,
    /// Whether to generate an 8-digit code for the mobile app.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generate_digit_string: Option<bool>,
    /// Customer address, at most 255 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<Personal>,
    /// What processing the customer goes through.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_type: Option<TokenType>,
    /// Questions for a video call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub video_call_questions: Option<Vec<String>>,
    /// Partner's reference, at most 40 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_ref: Option<String>,
    /// Require a utility bill; excludes `additionalSteps`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub utility_bill: Option<bool>,
    /// Additional photo steps, a JSON object; excludes `utilityBill`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub additional_steps: Option<serde_json::Value>,
    /// Data for the additional steps; needs `additionalSteps`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub additional_data: Option<serde_json::Value>,
}

/// The custom settings of the specification ("Sending a request with custom settings"). They go
/// at the top level of the token request body, beside the token fields.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CustomSettings {
    /// Add liveness face detection.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check_liveness: Option<bool>,
    /// Manual review of successful verifications.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review_successful: Option<bool>,
    /// Manual review of failed verifications.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review_failed: Option<bool>,
    /// Allow uploading the back of a driving licence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub driver_license_back: Option<bool>,
    /// Add the verified person to AML monitoring.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_aml_monitoring: Option<bool>,
    /// Fraud services to run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fraud_services: Option<Vec<FraudService>>,
    /// Check for an IP proxy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check_ip_proxy: Option<bool>,
    /// Retries allowed after a failed automatic processing (0 = first try must succeed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_attempt_count: Option<u32>,
    /// Check the selfie against the face blacklist.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check_face_blacklist: Option<bool>,
    /// Check the document photo against the face blacklist.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check_doc_face_blacklist: Option<bool>,
    /// Look for an earlier verification of the same face.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check_duplicate_faces: Option<bool>,
    /// Look for an earlier verification of the same document face.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check_duplicate_doc_faces: Option<bool>,
    /// Require NFC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nfc_required: Option<bool>,
    /// Face matching sensitivity (default 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub face_matching_threshold_modifier: Option<f64>,
    /// Levenshtein ratio for text matching (default 0.8).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub levenshtein_text_match_ratio: Option<f64>,
    /// Levenshtein ratio for the MRZ (default 0.7).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub levenshtein_mrz_match_ratio: Option<f64>,
    /// Utility address check.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check_urjanet: Option<bool>,
    /// Selfie detection priority.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detection_types: Option<Vec<DetectionType>>,
}

/// One POST /api/v2/token body: the client id, the token fields and the custom settings.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenRequest {
    /// The partner's id for this customer; required, at most 100 characters.
    pub client_id: String,
    /// The optional token fields.
    #[serde(flatten)]
    pub fields: TokenFields,
    /// The custom settings.
    #[serde(flatten)]
    pub settings: CustomSettings,
}

/// Characters a name must not contain (spec: `firstName`/`lastName` constraints).
const FORBIDDEN_NAME_CHARACTERS: &str = "~!@#$%^*()_+={}[]|:;\",<>/?";

impl TokenRequest {
    /// Checks every constraint of the specification's tables before any network call, so that
    /// a mistake costs no token. The first violation is returned, naming the field.
    pub fn validate(&self) -> Result<(), ValidationError> {
        validate_client_id(&self.client_id)?;
        self.fields.validate()?;
        self.settings.validate()
    }
}

/// `clientId`: "Not null, Max length 100".
pub fn validate_client_id(client_id: &str) -> Result<(), ValidationError> {
    if client_id.trim().is_empty() {
        return Err(ValidationError::new("clientId", "is required"));
    }
    check_length("clientId", client_id, 1, 100)
}

impl TokenFields {
    /// Checks the constraints of every field that is set, and the rules between fields.
    pub fn validate(&self) -> Result<(), ValidationError> {
        if let Some(name) = &self.first_name {
            validate_name("firstName", name.as_str())?;
        }
        if let Some(name) = &self.last_name {
            validate_name("lastName", name.as_str())?;
        }
        for (field, url) in [
            ("successUrl", &self.success_url),
            ("errorUrl", &self.error_url),
            ("unverifiedUrl", &self.unverified_url),
        ] {
            if let Some(url) = url {
                validate_url(field, url, false)?;
            }
        }
        if let Some(url) = &self.callback_url {
            validate_url("callbackUrl", url, true)?;
        }
        if let Some(expiry) = self.expiry_time {
            // "More than 0, not exceeding 2592000 (30 days)".
            if !(1..=2_592_000).contains(&expiry) {
                return Err(ValidationError::new(
                    "expiryTime",
                    "must be 1 to 2592000 seconds (30 days)",
                ));
            }
        }
        if let Some(length) = self.session_length {
            // "More than 60, less than 3600": both bounds exclusive.
            if !(61..=3599).contains(&length) {
                return Err(ValidationError::new(
                    "sessionLength",
                    "must be more than 60 and less than 3600 seconds",
                ));
            }
        }
        if let Some(country) = &self.country {
            validate_country("country", country)?;
        }
        if let Some(nationality) = &self.nationality {
            validate_country("nationality", nationality)?;
        }
        if self.documents.as_ref().is_some_and(Vec::is_empty) {
            return Err(ValidationError::new(
                "documents",
                "must list at least one document kind",
            ));
        }
        for (field, date) in [
            ("dateOfBirth", &self.date_of_birth),
            ("dateOfExpiry", &self.date_of_expiry),
            ("dateOfIssue", &self.date_of_issue),
        ] {
            if let Some(date) = date {
                validate_date(field, date.as_str())?;
            }
        }
        for (field, value) in [
            ("personalNumber", &self.personal_number),
            ("documentNumber", &self.document_number),
        ] {
            if value.as_ref().is_some_and(|v| v.as_str().trim().is_empty()) {
                return Err(ValidationError::new(field, "must not be empty"));
            }
        }
        if let Some(address) = &self.address {
            check_length("address", address.as_str(), 0, 255)?;
        }
        if let Some(reference) = &self.external_ref {
            check_length("externalRef", reference, 0, 40)?;
        }
        self.validate_additional_steps()
    }

    fn validate_additional_steps(&self) -> Result<(), ValidationError> {
        let steps = self.additional_steps.as_ref().filter(|v| !v.is_null());
        let data = self.additional_data.as_ref().filter(|v| !v.is_null());
        if steps.is_some_and(|v| !v.is_object()) {
            return Err(ValidationError::new(
                "additionalSteps",
                "must be a JSON object",
            ));
        }
        if data.is_some_and(|v| !v.is_object()) {
            return Err(ValidationError::new(
                "additionalData",
                "must be a JSON object",
            ));
        }
        if steps.is_some() && self.utility_bill == Some(true) {
            return Err(ValidationError::new(
                "utilityBill",
                "cannot be used together with additionalSteps",
            ));
        }
        if data.is_some() && steps.is_none() {
            return Err(ValidationError::new(
                "additionalData",
                "must be used with additionalSteps",
            ));
        }
        Ok(())
    }

    /// The fields of `overrides` that are set replace those of `self` (config defaults first,
    /// then what staff or the command line give for one customer).
    pub fn overridden_by(mut self, overrides: TokenFields) -> TokenFields {
        macro_rules! take {
            ($($field:ident),+) => { $( if overrides.$field.is_some() { self.$field = overrides.$field; } )+ };
        }
        take!(
            first_name,
            last_name,
            success_url,
            error_url,
            unverified_url,
            callback_url,
            locale,
            show_instructions,
            expiry_time,
            session_length,
            country,
            documents,
            date_of_birth,
            date_of_expiry,
            date_of_issue,
            nationality,
            personal_number,
            document_number,
            sex,
            generate_digit_string,
            address,
            token_type,
            video_call_questions,
            external_ref,
            utility_bill,
            additional_steps,
            additional_data
        );
        self
    }
}

impl CustomSettings {
    /// Numbers must be finite and the Levenshtein ratios between 0 and 1.
    pub fn validate(&self) -> Result<(), ValidationError> {
        if let Some(modifier) = self.face_matching_threshold_modifier
            && (!modifier.is_finite() || modifier <= 0.0)
        {
            return Err(ValidationError::new(
                "faceMatchingThresholdModifier",
                "must be a positive number (the tested default is 1)",
            ));
        }
        for (field, ratio) in [
            (
                "levenshteinTextMatchRatio",
                self.levenshtein_text_match_ratio,
            ),
            ("levenshteinMrzMatchRatio", self.levenshtein_mrz_match_ratio),
        ] {
            if ratio.is_some_and(|r| !(0.0..=1.0).contains(&r)) {
                return Err(ValidationError::new(field, "must be a ratio from 0 to 1"));
            }
        }
        Ok(())
    }
}

fn check_length(
    field: &'static str,
    value: &str,
    min: usize,
    max: usize,
) -> Result<(), ValidationError> {
    // The spec counts characters, not bytes: "Žemaitė" is 7 long.
    let length = value.chars().count();
    if length < min || length > max {
        let bounds = if min == 0 {
            format!("at most {max}")
        } else {
            format!("{min} to {max}")
        };
        return Err(ValidationError::new(
            field,
            format!("must be {bounds} characters long, is {length}"),
        ));
    }
    Ok(())
}

/// Names: "Min length 1, Max length 100, Not digits, Not characters: ~!@#$%^*()_+={}[]|:;",<>/?".
pub fn validate_name(field: &'static str, name: &str) -> Result<(), ValidationError> {
    if name.trim().is_empty() {
        return Err(ValidationError::new(field, "must not be empty"));
    }
    check_length(field, name, 1, 100)?;
    if name.chars().any(char::is_numeric) {
        return Err(ValidationError::new(field, "must not contain digits"));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| FORBIDDEN_NAME_CHARACTERS.contains(*c))
    {
        return Err(ValidationError::new(
            field,
            format!("must not contain '{bad}' (none of {FORBIDDEN_NAME_CHARACTERS})"),
        ));
    }
    Ok(())
}

/// URLs: "Min length 5, Max length 2048", and an absolute http(s) URL; `callbackUrl` "Must be
/// HTTPS URL".
fn validate_url(field: &'static str, value: &str, https_only: bool) -> Result<(), ValidationError> {
    check_length(field, value, 5, 2048)?;
    let parsed = url::Url::parse(value).map_err(|_| {
        ValidationError::new(
            field,
            "must be an absolute URL such as https://example.com/done",
        )
    })?;
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if !https_only => Ok(()),
        _ if https_only => Err(ValidationError::new(field, "must be an https:// URL")),
        _ => Err(ValidationError::new(
            field,
            "must be an http:// or https:// URL",
        )),
    }
}

/// Countries: "Any country in alpha-2 code".
fn validate_country(field: &'static str, value: &str) -> Result<(), ValidationError> {
    normalize_alpha2(value).map(|_| ()).ok_or_else(|| {
        ValidationError::new(
            field,
            "must be an ISO 3166-1 alpha-2 country code such as LT",
        )
    })
}

/// Dates: "Format: YYYY-MM-DD", and a day that exists.
fn validate_date(field: &'static str, value: &str) -> Result<(), ValidationError> {
    let shaped = value.len() == 10
        && value.char_indices().all(|(i, c)| {
            if i == 4 || i == 7 {
                c == '-'
            } else {
                c.is_ascii_digit()
            }
        });
    if !shaped || chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").is_err() {
        return Err(ValidationError::new(
            field,
            "must be a real date written YYYY-MM-DD",
        ));
    }
    Ok(())
}

/// The answer to POST /api/v2/token. Every field is optional and unknown fields are ignored:
/// the spec's two examples already differ, and environments fill in different defaults.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TokenResponse {
    /// A message for the developer, e.g. "Token created successfully".
    #[serde(deserialize_with = "lenient_string")]
    pub message: Option<String>,
    /// The session's token for /process. Secret: never logged.
    pub auth_token: Option<Secret>,
    /// Mark ID's reference for this verification.
    #[serde(deserialize_with = "lenient_string")]
    pub scan_ref: Option<String>,
    /// Our client id, echoed.
    #[serde(deserialize_with = "lenient_string")]
    pub client_id: Option<String>,
    /// The person's reference, when given.
    #[serde(deserialize_with = "lenient_string")]
    pub person_scan_ref: Option<String>,
    /// The 8-digit mobile code, when asked for.
    #[serde(deserialize_with = "lenient_string")]
    pub digit_string: Option<String>,
    /// The documents the token allows, as strings: an environment may know kinds we do not.
    #[serde(deserialize_with = "lenient_string_list")]
    pub documents: Option<Vec<String>>,
    /// Allowed documents per country group, e.g. `{"ALL": ["ID_CARD", ...]}`.
    #[serde(deserialize_with = "lenient_allowed_documents")]
    pub allowed_documents: Option<BTreeMap<String, Vec<String>>>,
    /// The token type in force.
    #[serde(deserialize_with = "lenient_string")]
    pub token_type: Option<String>,
    /// The fixed document country, if any.
    #[serde(deserialize_with = "lenient_string")]
    pub country: Option<String>,
    /// The UI language.
    #[serde(deserialize_with = "lenient_string")]
    pub locale: Option<String>,
    /// Seconds until the token expires.
    #[serde(deserialize_with = "lenient_u64")]
    pub expiry_time: Option<u64>,
    /// Seconds the customer has in the session.
    #[serde(deserialize_with = "lenient_u64")]
    pub session_length: Option<u64>,
    /// Whether a utility bill is required.
    #[serde(deserialize_with = "lenient_bool")]
    pub utility_bill: Option<bool>,
}

impl TokenResponse {
    /// The document kinds this token allows: the `allowedDocuments` of the customer's country
    /// (or of `ALL`) intersected with `documents` when both are given. Unknown kinds are skipped.
    pub fn allowed_document_kinds(&self, country: Option<&str>) -> Vec<DocumentKind> {
        let parse = |names: &Vec<String>| -> Vec<DocumentKind> {
            names.iter().filter_map(|name| name.parse().ok()).collect()
        };
        let by_country = self.allowed_documents.as_ref().and_then(|groups| {
            country
                .and_then(|c| groups.get(&c.to_ascii_uppercase()))
                .or_else(|| groups.get("ALL"))
                .map(parse)
        });
        let requested = self.documents.as_ref().map(parse);
        match (by_country, requested) {
            (Some(allowed), Some(requested)) => {
                let both: Vec<DocumentKind> = requested
                    .into_iter()
                    .filter(|k| allowed.contains(k))
                    .collect();
                if both.is_empty() { allowed } else { both }
            }
            (Some(kinds), None) | (None, Some(kinds)) => kinds,
            (None, None) => DocumentKind::ALL.to_vec(),
        }
    }
}

fn lenient_string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Ok(match serde_json::Value::deserialize(deserializer)? {
        serde_json::Value::String(text) => Some(text),
        serde_json::Value::Number(number) => Some(number.to_string()),
        serde_json::Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    })
}

fn lenient_u64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    Ok(match serde_json::Value::deserialize(deserializer)? {
        serde_json::Value::Number(number) => number.as_u64(),
        serde_json::Value::String(text) => text.trim().parse().ok(),
        _ => None,
    })
}

fn lenient_bool<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<bool>, D::Error> {
    Ok(serde_json::Value::deserialize(deserializer)?.as_bool())
}

fn strings_of(value: &serde_json::Value) -> Option<Vec<String>> {
    value.as_array().map(|items| {
        items
            .iter()
            .filter_map(|item| item.as_str().map(str::to_owned))
            .collect()
    })
}

fn lenient_string_list<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Vec<String>>, D::Error> {
    Ok(strings_of(&serde_json::Value::deserialize(deserializer)?))
}

fn lenient_allowed_documents<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<BTreeMap<String, Vec<String>>>, D::Error> {
    let value = serde_json::Value::deserialize(deserializer)?;
    Ok(value.as_object().map(|groups| {
        groups
            .iter()
            .filter_map(|(group, kinds)| Some((group.clone(), strings_of(kinds)?)))
            .collect()
    }))
}
