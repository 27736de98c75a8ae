//! One verification from start to end: check the inputs, prepare the images, create the
//! session, upload. Everything that can be checked is checked before the token is created,
//! because every token costs a credit.

use std::path::PathBuf;

use image::RgbImage;

use crate::api::country::normalize_alpha2;
use crate::api::{
    ApiError, ImageSlot, MarkIdClient, ProcessDocumentType, ProcessImages, ProcessRequest,
    ProgressCallback, TokenFields, TokenRequest, TokenType,
};
use crate::config::{ClientIdMode, Config};
use crate::flow::Submission;
use crate::imaging::{self, ImagePolicy, ImageRole, ImagingError, PreparedImage};
use crate::secret::Secret;

/// Where an image comes from.
pub enum ImageSource {
    /// A file on disk (chosen by staff or given on the command line).
    File(PathBuf),
    /// An encoded image in memory (a dropped file, an MJPEG still).
    Encoded(Vec<u8>),
    /// Upright RGB pixels (a camera still).
    Pixels(RgbImage),
}

/// What one verification needs.
pub struct SubmitInput {
    /// Document country, alpha-2 in either case.
    pub country: String,
    /// The document type for /process.
    pub document_type: ProcessDocumentType,
    /// The images by slot.
    pub images: Vec<(ImageSlot, ImageSource)>,
    /// The clientId, when typed by staff; generated otherwise.
    pub client_id: Option<String>,
    /// Per-customer token fields (names, token type, ...) over the configured defaults.
    pub token_overrides: TokenFields,
}

/// Facts about one uploaded image (no pixel data).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageReport {
    /// The API slot.
    pub slot: String,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// JPEG bytes.
    pub bytes: usize,
    /// Base64 characters.
    pub base64_len: usize,
    /// JPEG quality.
    pub quality: u8,
}

/// A verification that was handed to Mark ID for processing.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SubmitOutcome {
    /// Mark ID's reference, for staff.
    pub scan_ref: String,
    /// Our client id.
    pub client_id: String,
    /// The images sent.
    pub images: Vec<ImageReport>,
}

/// Why a verification did not go through.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// An image the document needs was not given. No token was spent.
    #[error("the {} image is required for {document} ({reason}); no token was spent", slot.as_str())]
    MissingImage {
        /// The slot.
        slot: ImageSlot,
        /// The document type.
        document: ProcessDocumentType,
        /// Why it is needed.
        reason: &'static str,
    },
    /// The country is not an alpha-2 code. No token was spent.
    #[error("country '{0}' is not an ISO 3166-1 alpha-2 code such as LT; no token was spent")]
    BadCountry(String),
    /// The config says staff type the clientId, and none was given. No token was spent.
    #[error("a clientId is required (client_id.mode = \"typed\"); no token was spent")]
    MissingClientId,
    /// An image could not be prepared. No token was spent.
    #[error("the {} image: {error}; no token was spent", slot.as_str())]
    Image {
        /// The slot.
        slot: ImageSlot,
        /// What went wrong.
        error: ImagingError,
    },
    /// The API call failed.
    #[error(transparent)]
    Api(#[from] ApiError),
}

/// The token request for one customer: config defaults, then the overrides; clientId typed or
/// generated.
pub fn token_request(
    config: &Config,
    client_id: Option<String>,
    overrides: TokenFields,
) -> Result<TokenRequest, SubmitError> {
    let client_id = match (
        client_id.filter(|id| !id.trim().is_empty()),
        config.client_id.mode,
    ) {
        (Some(id), _) => id,
        (None, ClientIdMode::Generated) => config.client_id.generate(),
        (None, ClientIdMode::Typed) => return Err(SubmitError::MissingClientId),
    };
    Ok(TokenRequest {
        client_id,
        fields: config.token.clone().overridden_by(overrides),
        settings: config.settings.clone(),
    })
}

/// The token request for a kiosk session in the customer's language. A token that may be
/// handed off to a phone (`[handoff] offer` is not "never") asks for the mobile app's digit
/// string; `expiryTime` stays as configured (unset by default), since with a digit string the
/// API allows no longer expiry than its default.
pub fn kiosk_token_request(
    config: &Config,
    locale: crate::api::Locale,
) -> Result<TokenRequest, SubmitError> {
    let handoff = config.handoff.offer != crate::config::HandoffOffer::Never;
    let overrides = TokenFields {
        locale: Some(locale),
        generate_digit_string: handoff.then_some(true),
        ..TokenFields::default()
    };
    token_request(config, None, overrides)
}

/// Runs a whole verification.
pub async fn submit(
    client: &MarkIdClient,
    config: &Config,
    input: SubmitInput,
    on_progress: ProgressCallback,
) -> Result<SubmitOutcome, SubmitError> {
    let request = token_request(config, input.client_id, input.token_overrides)?;
    request.validate().map_err(ApiError::from)?;
    let country =
        normalize_alpha2(&input.country).ok_or(SubmitError::BadCountry(input.country.clone()))?;
    let token_type = request
        .fields
        .token_type
        .unwrap_or(TokenType::Identification);
    let utility_bill = request.fields.utility_bill.unwrap_or(false);
    for (slot, reason) in input.document_type.required_slots(token_type, utility_bill) {
        if !input.images.iter().any(|(given, _)| *given == slot) {
            return Err(SubmitError::MissingImage {
                slot,
                document: input.document_type,
                reason,
            });
        }
    }
    let policy = ImagePolicy::from(&config.images);
    let policy_for_upload = policy.clone();
    let prepared = run_blocking(move || prepare_all(input.images, &policy)).await?;

    let session = client.create_token(&request).await?;
    let reports = prepared
        .iter()
        .map(|(slot, image)| ImageReport {
            slot: slot.as_str().to_owned(),
            width: image.jpeg.width,
            height: image.jpeg.height,
            bytes: image.jpeg.bytes.len(),
            base64_len: image.base64_len(),
            quality: image.jpeg.quality,
        })
        .collect();
    let submission = Submission {
        auth_token: session.auth_token.clone(),
        country,
        document: input.document_type,
        images: prepared,
    };
    upload_images(client, submission, policy_for_upload, on_progress).await?;
    Ok(SubmitOutcome {
        scan_ref: session.scan_ref,
        client_id: request.client_id,
        images: reports,
    })
}

/// The one upload path, for the window and the command line: fits the photos into one request
/// (off the async threads), then sends it with progress.
pub async fn upload_images(
    client: &MarkIdClient,
    submission: Submission,
    policy: ImagePolicy,
    on_progress: ProgressCallback,
) -> Result<(), SubmitError> {
    let Submission {
        auth_token,
        country,
        document,
        images,
    } = submission;
    let (slots, mut prepared): (Vec<ImageSlot>, Vec<PreparedImage>) = images.into_iter().unzip();
    let fitted =
        run_blocking(move || imaging::fit_request(&mut prepared, &policy).map(|()| prepared)).await;
    let prepared = fitted.map_err(|error| SubmitError::Image {
        slot: slots.first().copied().unwrap_or(ImageSlot::Front),
        error,
    })?;
    let images: Vec<(ImageSlot, PreparedImage)> = slots.into_iter().zip(prepared).collect();
    let request = process_request(auth_token, country, document, &images);
    client.process(&request, on_progress).await?;
    Ok(())
}

/// Runs blocking `work` from inside a task; its panic goes on as the task's own, so that
/// whoever watches the task (the app's `Tasks`) reports it rather than the task ending without
/// a word.
pub async fn run_blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    match tokio::task::spawn_blocking(work).await {
        Ok(value) => value,
        Err(error) => match error.try_into_panic() {
            Ok(payload) => std::panic::resume_unwind(payload),
            // The runtime is shutting down: so is the program, and nobody reads the answer.
            Err(error) => std::panic::panic_any(error.to_string()),
        },
    }
}

/// The /process body for prepared images: each as plain Base64 in its slot.
pub fn process_request(
    auth_token: Secret,
    country: String,
    document_type: ProcessDocumentType,
    prepared: &[(ImageSlot, PreparedImage)],
) -> ProcessRequest {
    let mut images = ProcessImages::default();
    for (slot, image) in prepared {
        images.set(*slot, image.to_base64());
    }
    ProcessRequest {
        auth_token,
        country,
        document_type,
        images,
    }
}

/// Prepares every image in parallel and makes them fit one request together.
pub fn prepare_all(
    sources: Vec<(ImageSlot, ImageSource)>,
    policy: &ImagePolicy,
) -> Result<Vec<(ImageSlot, PreparedImage)>, SubmitError> {
    use rayon::prelude::*;
    let results: Vec<(ImageSlot, Result<PreparedImage, ImagingError>)> = sources
        .into_par_iter()
        .map(|(slot, source)| {
            let role = ImageRole::of_slot(slot);
            let prepared = match source {
                ImageSource::File(path) => imaging::prepare_file(&path, role, policy),
                ImageSource::Encoded(bytes) => imaging::prepare_bytes(&bytes, role, policy),
                ImageSource::Pixels(pixels) => imaging::prepare_pixels(pixels, role, policy),
            };
            (slot, prepared)
        })
        .collect();
    let mut slots = Vec::with_capacity(results.len());
    let mut images = Vec::with_capacity(results.len());
    for (slot, result) in results {
        images.push(result.map_err(|error| SubmitError::Image { slot, error })?);
        slots.push(slot);
    }
    imaging::fit_request(&mut images, policy).map_err(|error| SubmitError::Image {
        slot: ImageSlot::Front,
        error,
    })?;
    Ok(slots.into_iter().zip(images).collect())
}
