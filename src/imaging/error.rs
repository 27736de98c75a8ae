//! What can go wrong with an image, in words a customer and staff can act on.

/// Why an image could not be prepared. `Display` says what is wrong and what to do; it never
/// contains pixel data or the file's content.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ImagingError {
    /// The file could not be read.
    #[error("the file cannot be read ({0}): check that it exists and is not open elsewhere")]
    Unreadable(String),
    /// Zero bytes.
    #[error("the file is empty: choose another photo")]
    Empty,
    /// Over the configured file size.
    #[error("the file is {bytes} bytes, more than the {max} allowed: choose a smaller photo")]
    FileTooLarge {
        /// Its size.
        bytes: u64,
        /// The limit.
        max: u64,
    },
    /// Over the configured pixel count (a decompression bomb, or a huge scan).
    #[error(
        "the image is {width}x{height} pixels, more than {max_megapixels} megapixels: scan or save it at a lower resolution"
    )]
    TooManyPixels {
        /// Width.
        width: u32,
        /// Height.
        height: u32,
        /// The limit.
        max_megapixels: f64,
    },
    /// The decoder would need more memory than the limits allow.
    #[error("the image needs more memory to decode than allowed: save it at a lower resolution")]
    TooLargeToDecode,
    /// A known format we do not decode.
    #[error("unsupported format {0}: save it as JPEG or PNG")]
    Unsupported(&'static str),
    /// Not an image at all.
    #[error("the file is not an image: choose a JPEG or PNG photo")]
    NotAnImage,
    /// A damaged or incomplete file of a known format.
    #[error("the {format} file is damaged or incomplete ({detail}): take or save the photo again")]
    Corrupt {
        /// The format.
        format: &'static str,
        /// The decoder's words.
        detail: String,
    },
    /// Too small to be useful.
    #[error("the image is only {width}x{height} pixels: take a sharper photo")]
    TooSmall {
        /// Width.
        width: u32,
        /// Height.
        height: u32,
    },
    /// The encoder failed (not expected; reported rather than panicking).
    #[error("the image could not be compressed: {0}")]
    Encode(String),
    /// The task preparing the photo ended without an answer (it panicked or outlasted its limit).
    #[error("the photo could not be prepared ({0}): take it again")]
    Interrupted(String),
    /// Even the smallest allowed version is over the budget.
    #[error(
        "the image cannot be made to fit {budget} Base64 characters: raise the image limits or use fewer images"
    )]
    CannotFit {
        /// The budget that could not be met.
        budget: usize,
    },
}
