//! The Mark ID API: typed requests and answers, validation, errors and the HTTP client.

pub mod client;
pub mod country;
pub mod enums;
pub mod error;
pub mod process;
pub mod token;

pub use client::{
    ClientSettings, ConnectionCheck, MarkIdClient, ProgressCallback, TokenSession, UploadProgress,
};
pub use enums::{DocumentKind, ImageSlot, Locale, ProcessDocumentType, TokenType};
pub use error::{ApiError, CustomerAdvice, Endpoint, HttpFailure, Identifier, NetworkFailure};
pub use process::{ProcessImages, ProcessRequest};
pub use token::{CustomSettings, TokenFields, TokenRequest, TokenResponse, ValidationError};
