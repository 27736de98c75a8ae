//! Any photo in, an upright, metadata-free JPEG out, at the best quality the API's limits allow.
//!
//! Pure functions over bytes and pixel buffers; callers run them off the UI thread.
//! `prepare_*` turn one input into a `PreparedImage`; `fit_request` makes a set of them fit
//! one /process request together. Nothing else in the crate encodes JPEG.

mod decode;
mod encode;
mod error;
mod pixels;

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use image::RgbImage;
use rayon::prelude::*;

pub use decode::{DecodeLimits, SniffedFormat, dct_reduction, jpeg_exif_orientation, sniff};
pub use encode::{
    EncodedJpeg, QualityRange, base64_len, encode_jpeg, encode_pixels, encode_planes,
    encode_to_budget,
};
pub use error::ImagingError;
pub use pixels::{Pixels, Ycbcr420, apply_orientation, fit_long_edge, resize, resize_luma};

use crate::api::ImageSlot;

/// What an image shows; it decides the resolution cap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageRole {
    /// A side of the ID document: full resolution up to the document cap, for OCR and MRZ.
    Document,
    /// The person's face.
    Face,
    /// A utility bill (a document page).
    UtilityBill,
}

impl ImageRole {
    /// The role of an API image slot.
    pub fn of_slot(slot: ImageSlot) -> ImageRole {
        match slot {
            ImageSlot::Front | ImageSlot::Back => ImageRole::Document,
            ImageSlot::Face => ImageRole::Face,
            ImageSlot::UtilityBill => ImageRole::UtilityBill,
        }
    }
}

/// The limits and targets, from the config's `[images]` table.
#[derive(Clone, Debug, PartialEq)]
pub struct ImagePolicy {
    /// Limits checked before decoding.
    pub decode: DecodeLimits,
    /// Largest Base64 string per image.
    pub max_base64_chars_per_image: usize,
    /// Largest request body.
    pub max_request_bytes: usize,
    /// Long-edge cap for documents and utility bills.
    pub document_long_edge: u32,
    /// Long-edge cap for faces.
    pub face_long_edge: u32,
    /// Quality search bounds.
    pub quality: QualityRange,
}

impl ImagePolicy {
    /// The long-edge cap for `role`.
    pub fn long_edge_cap(&self, role: ImageRole) -> u32 {
        match role {
            ImageRole::Document | ImageRole::UtilityBill => self.document_long_edge,
            ImageRole::Face => self.face_long_edge,
        }
    }
}

/// Bytes reserved for the JSON around the images (keys, token, country, document type).
pub const REQUEST_JSON_OVERHEAD: usize = 1024;

/// Milliseconds spent in each stage, for `prepare` and the benchmark.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct StageTimes {
    /// Reading and decoding (with DCT scaling).
    pub decode_ms: f64,
    /// Resizing to the cap and turning upright.
    pub resize_ms: f64,
    /// JPEG encoding, including the quality search.
    pub encode_ms: f64,
}

impl StageTimes {
    /// All stages.
    pub fn total_ms(&self) -> f64 {
        self.decode_ms + self.resize_ms + self.encode_ms
    }
}

/// One image ready for upload, with the upright pixels kept so that it can be re-encoded to a
/// smaller budget if the request as a whole is too large.
#[derive(Clone)]
pub struct PreparedImage {
    /// Its role.
    pub role: ImageRole,
    /// Upright pixels at the role's cap, the source of every encoding.
    pub upright: Arc<Pixels>,
    /// The JPEG to upload.
    pub jpeg: EncodedJpeg,
    /// Long edge of the source as stored.
    pub source_long_edge: u32,
    /// Time per stage.
    pub times: StageTimes,
    /// Which photo this is: copies share it, every new photo has its own (the app keys its
    /// textures by it).
    id: u64,
}

impl std::fmt::Debug for PreparedImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedImage")
            .field("role", &self.role)
            .field("width", &self.jpeg.width)
            .field("height", &self.jpeg.height)
            .field("bytes", &self.jpeg.bytes.len())
            .field("quality", &self.jpeg.quality)
            .finish()
    }
}

/// Two prepared images are the same upload when their JPEG bytes are.
impl PartialEq for PreparedImage {
    fn eq(&self, other: &Self) -> bool {
        self.jpeg == other.jpeg
    }
}

/// The last copy of a session's image wipes its pixels (the JPEG wipes itself).
impl Drop for PreparedImage {
    fn drop(&mut self) {
        if let Some(pixels) = Arc::get_mut(&mut self.upright) {
            pixels.wipe();
        }
    }
}

/// Zeroes a buffer of personal data before it is freed (`zeroize`: writes the compiler cannot
/// drop as dead), then empties it.
pub fn wipe(bytes: &mut Vec<u8>) {
    #[cfg(test)]
    wiped::note(bytes.len());
    zeroize::Zeroize::zeroize(bytes);
}

/// Zeroes an image's pixels in place.
pub fn wipe_slice<P: image::Pixel<Subpixel = u8>>(image: &mut image::ImageBuffer<P, Vec<u8>>) {
    wipe_bytes(image);
}

/// Zeroes bytes of personal data in place, keeping the memory (for buffers that are reused).
pub(crate) fn wipe_bytes(bytes: &mut [u8]) {
    #[cfg(test)]
    wiped::note(bytes.len());
    zeroize::Zeroize::zeroize(bytes);
}

/// Counts the bytes wiped on this thread, so that unit tests can see that dropping a session's
/// images wipes them.
#[cfg(test)]
pub(crate) mod wiped {
    use std::cell::Cell;

    thread_local! {
        static BYTES: Cell<usize> = const { Cell::new(0) };
    }

    pub(crate) fn note(bytes: usize) {
        BYTES.with(|count| count.set(count.get() + bytes));
    }

    /// Bytes wiped on this thread so far.
    pub(crate) fn bytes() -> usize {
        BYTES.with(Cell::get)
    }
}

/// The next `PreparedImage::id`.
static NEXT_IMAGE_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

impl PreparedImage {
    /// Which photo this is: the same for its copies, another for every photo prepared.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Base64 length of the upload.
    pub fn base64_len(&self) -> usize {
        base64_len(self.jpeg.bytes.len())
    }

    /// Output long edge over the source's long edge.
    pub fn scale(&self) -> f64 {
        f64::from(self.jpeg.width.max(self.jpeg.height)) / f64::from(self.source_long_edge.max(1))
    }

    /// The upload as plain Base64.
    pub fn to_base64(&self) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(&self.jpeg.bytes)
    }
}

fn millis_since(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1000.0
}

/// Reads and prepares a file. The size limit is checked before the file is read.
pub fn prepare_file(
    path: &Path,
    role: ImageRole,
    policy: &ImagePolicy,
) -> Result<PreparedImage, ImagingError> {
    let bytes = read_within_limit(path, policy)?;
    prepare_bytes(&bytes, role, policy)
}

/// Reads a file and decodes it upright (EXIF orientation applied) at full resolution, within
/// the policy's limits: what the quality engine looks at.
pub fn load_upright(path: &Path, policy: &ImagePolicy) -> Result<RgbImage, ImagingError> {
    let bytes = read_within_limit(path, policy)?;
    decode_upright(&bytes, policy)
}

/// Decodes an encoded image upright at full resolution, within the policy's limits.
pub fn decode_upright(bytes: &[u8], policy: &ImagePolicy) -> Result<RgbImage, ImagingError> {
    let decoded = decode::decode(bytes, &policy.decode, u32::MAX)?;
    Ok(decoded
        .pixels
        .upright_within(u32::MAX, decoded.orientation)?
        .to_rgb())
}

fn read_within_limit(path: &Path, policy: &ImagePolicy) -> Result<Vec<u8>, ImagingError> {
    let size = std::fs::metadata(path)
        .map_err(|e| ImagingError::Unreadable(e.kind().to_string()))?
        .len();
    if size > policy.decode.max_file_bytes {
        return Err(ImagingError::FileTooLarge {
            bytes: size,
            max: policy.decode.max_file_bytes,
        });
    }
    std::fs::read(path).map_err(|e| ImagingError::Unreadable(e.kind().to_string()))
}

/// Prepares an encoded image (a file's content, a dropped file, an MJPEG still).
pub fn prepare_bytes(
    bytes: &[u8],
    role: ImageRole,
    policy: &ImagePolicy,
) -> Result<PreparedImage, ImagingError> {
    let cap = policy.long_edge_cap(role);
    let started = Instant::now();
    let decoded = decode::decode(bytes, &policy.decode, cap)?;
    let decode_ms = millis_since(started);
    let started = Instant::now();
    let upright = decoded.pixels.upright_within(cap, decoded.orientation)?;
    let resize_ms = millis_since(started);
    finish(
        upright,
        role,
        policy,
        decoded.source_long_edge,
        StageTimes {
            decode_ms,
            resize_ms,
            encode_ms: 0.0,
        },
    )
}

/// Prepares raw upright pixels (a camera still).
pub fn prepare_pixels(
    pixels: RgbImage,
    role: ImageRole,
    policy: &ImagePolicy,
) -> Result<PreparedImage, ImagingError> {
    let source_long_edge = pixels.width().max(pixels.height());
    let started = Instant::now();
    let upright = Pixels::Rgb(pixels).fit_long_edge(policy.long_edge_cap(role))?;
    let resize_ms = millis_since(started);
    finish(
        upright,
        role,
        policy,
        source_long_edge,
        StageTimes {
            resize_ms,
            ..StageTimes::default()
        },
    )
}

fn finish(
    upright: Pixels,
    role: ImageRole,
    policy: &ImagePolicy,
    source_long_edge: u32,
    mut times: StageTimes,
) -> Result<PreparedImage, ImagingError> {
    let started = Instant::now();
    let jpeg = encode_to_budget(&upright, policy.max_base64_chars_per_image, policy.quality)?;
    times.encode_ms = millis_since(started);
    Ok(PreparedImage {
        role,
        upright: Arc::new(upright),
        jpeg,
        source_long_edge,
        times,
        id: NEXT_IMAGE_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
    })
}

/// Prepares a document photo from a file as the kiosk uploads it: upright, rectified to the
/// document's corners when the quality engine finds them whole in the frame.
pub fn prepare_document_file(
    path: &Path,
    policy: &ImagePolicy,
    quality: &crate::quality::QualitySettings,
) -> Result<PreparedImage, ImagingError> {
    let rgb = load_upright(path, policy)?;
    prepare_checked(rgb, ImageRole::Document, policy, quality).map(|(prepared, _)| prepared)
}

/// Prepares a photo as the kiosk uploads it, with the quality engine's verdict on it: a
/// document side is judged and, when it passes, rectified to its corners (`crop_for_upload`),
/// unless its MRZ lies outside that outline; a face is
/// judged as it is, a utility bill is not judged. Camera stills and chosen files alike come
/// through here, so that a file gets the same checks as the camera.
pub fn prepare_checked(
    rgb: RgbImage,
    role: ImageRole,
    policy: &ImagePolicy,
    quality: &crate::quality::QualitySettings,
) -> Result<(PreparedImage, crate::quality::PhotoCheck), ImagingError> {
    use crate::quality::{
        PhotoCheck, analyze_document_in_colour, analyze_face, crop_for_upload, luma_of,
        whole_document_corners,
    };
    match role {
        ImageRole::Document => {
            let report = analyze_document_in_colour(&luma_of(&rgb), Some(&rgb), quality);
            let mut check = PhotoCheck::from(&report);
            let mut outline_holds_the_zone = true;
            if quality.mrz != crate::quality::MrzPolicy::Off {
                // On the rectified document, and on the whole photo when that gives no valid
                // reading (an outline that clips the zone); only the summary leaves this
                // block, the reading is wiped when it drops.
                let reading = crate::mrz::read_document(&rgb, whole_document_corners(&report));
                outline_holds_the_zone = !reading.outside_outline;
                check.mrz = Some(reading.summary(crate::mrz::today()));
            }
            // A zone found outside the outline: the outline is around part of the document.
            let document = if outline_holds_the_zone {
                crop_for_upload(rgb, &report, quality)
            } else {
                rgb
            };
            Ok((prepare_pixels(document, role, policy)?, check))
        }
        ImageRole::Face => {
            let check = PhotoCheck::from(&analyze_face(&luma_of(&rgb), quality));
            Ok((prepare_pixels(rgb, role, policy)?, check))
        }
        ImageRole::UtilityBill => Ok((prepare_pixels(rgb, role, policy)?, PhotoCheck::unchecked())),
    }
}

/// Prepares several files in parallel (one per core), each result in input order.
pub fn prepare_files(
    inputs: &[(std::path::PathBuf, ImageRole)],
    policy: &ImagePolicy,
) -> Vec<Result<PreparedImage, ImagingError>> {
    inputs
        .par_iter()
        .map(|(path, role)| prepare_file(path, *role, policy))
        .collect()
}

/// Makes `images` fit one request together: when their Base64 plus the JSON around them exceeds
/// the request limit, the budget is shared (images under an equal share keep theirs; the rest
/// split what remains equally) and the larger ones are re-encoded from their upright pixels.
pub fn fit_request(images: &mut [PreparedImage], policy: &ImagePolicy) -> Result<(), ImagingError> {
    let available = policy
        .max_request_bytes
        .saturating_sub(REQUEST_JSON_OVERHEAD);
    let total: usize = images.iter().map(PreparedImage::base64_len).sum();
    if total <= available {
        return Ok(());
    }
    let shares = water_fill(
        &images
            .iter()
            .map(PreparedImage::base64_len)
            .collect::<Vec<_>>(),
        available,
    );
    let reencoded: Vec<Result<Option<EncodedJpeg>, ImagingError>> = images
        .par_iter()
        .zip(shares.par_iter())
        .map(|(image, share)| {
            if image.base64_len() <= *share {
                return Ok(None);
            }
            encode_to_budget(&image.upright, *share, policy.quality).map(Some)
        })
        .collect();
    for (image, result) in images.iter_mut().zip(reencoded) {
        if let Some(jpeg) = result? {
            image.jpeg = jpeg;
        }
    }
    Ok(())
}

/// Shares `available` among items of the given sizes: items smaller than an equal share keep
/// their size, the larger ones split the rest equally.
fn water_fill(sizes: &[usize], available: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..sizes.len()).collect();
    order.sort_by_key(|&index| sizes[index]);
    let mut shares = vec![0; sizes.len()];
    let mut remaining = available;
    for (position, &index) in order.iter().enumerate() {
        let equal_share = remaining / (sizes.len() - position);
        shares[index] = sizes[index].min(equal_share);
        remaining -= shares[index];
    }
    shares
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn water_fill_keeps_small_items_and_splits_the_rest() {
        assert_eq!(water_fill(&[1, 10, 10], 15), vec![1, 7, 7]);
        assert_eq!(water_fill(&[5, 5], 20), vec![5, 5]);
        let shares = water_fill(&[6_000_000, 6_000_000, 6_000_000, 6_000_000], 19_000_000);
        assert!(shares.iter().sum::<usize>() <= 19_000_000);
        assert!(shares.iter().all(|&s| s == 4_750_000));
    }
}
