//! The customer's language. Every text on a customer screen comes from
//! `assets/locales/<code>.yml` (rust-i18n, embedded at compile time), one file for each of the 16
//! languages of the API's `locale` list; `tests/i18n.rs` checks that each file has every key
//! with the same placeholders, and that every character has a glyph in the bundled fonts.

use std::borrow::Cow;

use crate::api::Locale;

/// The text of `key` in `locale` (English where a translation is missing; the key itself where
/// even that is, which `tests/i18n.rs` rules out).
pub fn tr(locale: Locale, key: &str) -> Cow<'_, str> {
    rust_i18n::t!(key, locale = locale.as_str())
}

/// The text of `key` with its `%{name}` placeholders filled in.
pub fn tr_with(locale: Locale, key: &str, values: &[(&str, &str)]) -> String {
    let mut text = tr(locale, key).into_owned();
    for (name, value) in values {
        text = text.replace(&format!("%{{{name}}}"), value);
    }
    text
}

/// The language's own name ("Deutsch", "日本語"), for the language switch.
pub fn language_name(locale: Locale) -> Cow<'static, str> {
    tr(locale, "language_name")
}
