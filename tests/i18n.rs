//! Translations: every language has every key with the same placeholders, the code uses only
//! keys that exist, the screens hard-code no text, and the bundled fonts draw every character.

#![expect(
    clippy::unwrap_used,
    reason = "test set-up panics on a broken fixture, which is the failure we want"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use markid_kiosk::api::Locale;
use markid_kiosk::i18n::{language_name, tr, tr_with};

fn locales_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/locales")
}

/// A translation file as `key.path -> text`.
fn load(code: &str) -> BTreeMap<String, String> {
    let path = locales_dir().join(format!("{code}.yml"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let value: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    let mut flat = BTreeMap::new();
    flatten("", &value, &mut flat);
    flat
}

fn flatten(prefix: &str, value: &serde_yaml::Value, out: &mut BTreeMap<String, String>) {
    match value {
        serde_yaml::Value::Mapping(map) => {
            for (key, value) in map {
                let key = key.as_str().unwrap();
                let path = if prefix.is_empty() {
                    key.to_owned()
                } else {
                    format!("{prefix}.{key}")
                };
                flatten(&path, value, out);
            }
        }
        serde_yaml::Value::String(text) => {
            out.insert(prefix.to_owned(), text.clone());
        }
        other => panic!("{prefix}: not text: {other:?}"),
    }
}

fn placeholders(text: &str) -> BTreeSet<String> {
    text.split("%{")
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.to_owned()))
        .collect()
}

#[test]
fn every_language_has_every_key_with_the_same_placeholders() {
    let english = load("en");
    assert!(english.len() > 50, "{} keys", english.len());
    for locale in Locale::ALL {
        let translation = load(locale.as_str());
        let missing: Vec<_> = english
            .keys()
            .filter(|k| !translation.contains_key(*k))
            .collect();
        let extra: Vec<_> = translation
            .keys()
            .filter(|k| !english.contains_key(*k))
            .collect();
        assert!(missing.is_empty(), "{locale}: missing {missing:?}");
        assert!(extra.is_empty(), "{locale}: unknown keys {extra:?}");
        for (key, text) in &translation {
            assert!(!text.trim().is_empty(), "{locale}: {key} is empty");
            assert_eq!(
                placeholders(text),
                placeholders(&english[key]),
                "{locale}: {key} has other placeholders than English"
            );
        }
    }
}

#[test]
fn the_app_shows_each_language_in_its_own_words() {
    assert_eq!(tr(Locale::De, "welcome.start"), "Starten");
    assert_eq!(tr(Locale::Ja, "common.cancel"), "キャンセル");
    assert_eq!(tr(Locale::Ru, "summary.send"), "Отправить");
    assert_eq!(
        tr_with(
            Locale::Lt,
            "submitting.progress",
            &[("sent", "1.0"), ("total", "2.5")]
        ),
        "1.0 iš 2.5 MB"
    );
    let names: BTreeSet<String> = Locale::ALL
        .iter()
        .map(|locale| language_name(*locale).into_owned())
        .collect();
    assert_eq!(names.len(), 16, "{names:?}");
    assert!(names.contains("日本語") && names.contains("Български"));
}

/// The double-quoted string literals of Rust source, skipping comments and the test module.
fn string_literals(source: &str) -> Vec<String> {
    let code = source.split("#[cfg(test)]").next().unwrap_or(source);
    let mut literals = Vec::new();
    for line in code.lines() {
        let mut chars = line.chars().peekable();
        let mut current: Option<String> = None;
        while let Some(c) = chars.next() {
            match (&mut current, c) {
                (None, '/') if chars.peek() == Some(&'/') => break,
                (None, '"') => current = Some(String::new()),
                (Some(text), '\\') => {
                    if let Some(escaped) = chars.next() {
                        text.push(escaped);
                    }
                }
                (Some(_), '"') => literals.extend(current.take()),
                (Some(text), c) => text.push(c),
                (None, _) => {}
            }
        }
    }
    literals
}

fn looks_like_key(text: &str) -> bool {
    text.contains('.')
        && text.split('.').all(|part| {
            !part.is_empty() && part.chars().all(|c| c.is_ascii_lowercase() || c == '_')
        })
}

#[test]
fn the_screens_hard_code_no_text_and_use_only_existing_keys() {
    let english = load("en");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    // Identifiers, not words a customer reads: widget ids, a number format, and the names of
    // the placeholders the translations have.
    let placeholder_names: BTreeSet<String> =
        english.values().flat_map(|t| placeholders(t)).collect();
    let allowed = [
        "language",
        "idle-warning",
        "staff-called",
        "droid-sans-fallback",
        "{:.1}",
        // A country's name with its ISO code: the same in every language.
        "{} ({code})",
        "{name} ({code})",
        // Between the problem codes in the staff small print.
        ", ",
    ];
    for file in ["src/app/screens.rs", "src/app/mod.rs", "src/api/error.rs"] {
        let source = std::fs::read_to_string(root.join(file)).unwrap();
        for literal in string_literals(&source) {
            if looks_like_key(&literal)
                && english
                    .keys()
                    .any(|k| k.starts_with(literal.split('.').next().unwrap_or_default()))
            {
                assert!(
                    english.contains_key(&literal),
                    "{file}: unknown key {literal:?}"
                );
            } else if file == "src/app/screens.rs" {
                assert!(
                    allowed.contains(&literal.as_str()) || placeholder_names.contains(&literal),
                    "{file}: hard-coded text {literal:?}: put it in assets/locales/"
                );
            }
        }
    }
}

#[test]
fn the_bundled_fonts_draw_every_character_of_every_language() {
    use skrifa::MetadataProvider as _;
    let cjk = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/fonts/DroidSansFallbackFull.ttf"),
    )
    .unwrap();
    let fonts = [
        skrifa::FontRef::new(epaint_default_fonts::UBUNTU_LIGHT).unwrap(),
        skrifa::FontRef::new(&cjk).unwrap(),
    ];
    for locale in Locale::ALL {
        let mut missing = BTreeSet::new();
        for text in load(locale.as_str()).values() {
            for c in text.chars().filter(|c| !c.is_whitespace()) {
                if fonts.iter().all(|font| font.charmap().map(c).is_none()) {
                    missing.insert(c);
                }
            }
        }
        assert!(missing.is_empty(), "{locale}: no glyph for {missing:?}");
    }
}

#[test]
fn an_unusable_image_is_told_in_the_customers_language_with_no_english_detail_inside() {
    use markid_kiosk::app::screens::image_problem_key;
    use markid_kiosk::imaging::ImagingError;
    let every_kind = [
        ImagingError::Unreadable("permission denied".into()),
        ImagingError::Empty,
        ImagingError::FileTooLarge {
            bytes: 90_000_000,
            max: 40_000_000,
        },
        ImagingError::TooManyPixels {
            width: 20_000,
            height: 20_000,
            max_megapixels: 100.0,
        },
        ImagingError::TooLargeToDecode,
        ImagingError::Unsupported("HEIC/HEIF"),
        ImagingError::NotAnImage,
        ImagingError::Corrupt {
            format: "JPEG",
            detail: "premature end of data segment".into(),
        },
        ImagingError::TooSmall {
            width: 40,
            height: 30,
        },
        ImagingError::Encode("encoder failed".into()),
        ImagingError::CannotFit { budget: 6_000_000 },
        ImagingError::Interrupted("it panicked".into()),
    ];
    for problem in &every_kind {
        let key = image_problem_key(problem);
        let english = tr(Locale::En, key);
        assert_ne!(english, key, "{key} has no English text");
        let japanese = tr(Locale::Ja, key);
        // Only the format names JPEG and PNG may stay in Latin letters.
        let latin: String = japanese
            .replace("JPEG", "")
            .replace("PNG", "")
            .chars()
            .filter(char::is_ascii_alphabetic)
            .collect();
        assert!(latin.is_empty(), "{key}: {japanese}");
        assert!(
            !japanese.contains(&problem.to_string()),
            "{key}: the English detail is not in the customer's sentence"
        );
    }
}

#[test]
fn every_capture_hint_is_translated_into_every_language() {
    use markid_kiosk::guide::Hint;
    let english = load("en");
    for locale in Locale::ALL {
        let texts = load(locale.as_str());
        for hint in Hint::ALL {
            let text = texts.get(hint.key());
            assert!(
                text.is_some_and(|t| !t.trim().is_empty()),
                "{}: no {}",
                locale.as_str(),
                hint.key()
            );
            if *locale != Locale::En {
                assert_ne!(
                    text,
                    english.get(hint.key()),
                    "{}: {} is still English",
                    locale.as_str(),
                    hint.key()
                );
            }
        }
    }
}
