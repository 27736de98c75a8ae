//! Country names for the document choice, in the customer's language: CLDR's names through
//! ICU4X (compiled in, nothing downloaded), listed in that language's alphabetical order with the
//! countries staff put first (`[kiosk] countries_first`) at the top, and searched by name or by
//! code. Pure: no egui here, so the rules are unit-tested.

use std::cmp::Ordering;

use icu_collator::options::{CollatorOptions, Strength};
use icu_collator::{CollatorBorrowed, CollatorPreferences};
use icu_experimental::displaynames::{DisplayNamesOptions, multi::RegionDisplayNames};
use icu_locale_core::subtags::Region;

use crate::api::Locale;
use crate::api::country::all_alpha2_codes;

/// One country as the list shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Country {
    /// ISO 3166-1 alpha-2, upper case: what the API takes.
    pub code: &'static str,
    /// Its name in the list's language (the code where CLDR has none).
    pub name: String,
}

/// Every assigned country, named and ordered for one language.
#[derive(Debug)]
pub struct CountryNames {
    locale: Locale,
    /// Staff's first ones in their order, then the others alphabetically.
    countries: Vec<Country>,
    /// How many of `countries` are staff's first ones.
    first: usize,
    /// Compares letters only (primary strength): "cote" finds "Côte d’Ivoire", "lietuva" finds
    /// "Lietuva", while a language whose alphabet has "ö" as a letter of its own keeps it apart.
    search: Option<CollatorBorrowed<'static>>,
}

impl CountryNames {
    /// The list for `locale`, with `first` (alpha-2 codes, any case; unknown ones skipped) at
    /// the top.
    pub fn new(locale: Locale, first: &[String]) -> Self {
        let icu_locale = icu_locale_core::Locale::try_from_str(locale.as_str()).ok();
        let names = icu_locale.as_ref().and_then(|tag| {
            RegionDisplayNames::try_new(tag.into(), DisplayNamesOptions::default())
                .inspect_err(|error| tracing::warn!("no country names for {locale}: {error}"))
                .ok()
        });
        let collator = |strength| {
            let prefs: CollatorPreferences = icu_locale.as_ref()?.into();
            let mut options = CollatorOptions::default();
            options.strength = Some(strength);
            CollatorBorrowed::try_new(prefs, options)
                .inspect_err(|error| tracing::warn!("no collation for {locale}: {error}"))
                .ok()
        };
        let name_of = |code: &'static str| {
            let name = Region::try_from_str(code)
                .ok()
                .zip(names.as_ref())
                .and_then(|(region, names)| names.of(region));
            Country {
                code,
                name: name.unwrap_or(code).to_owned(),
            }
        };
        let mut countries: Vec<Country> = Vec::with_capacity(250);
        for wanted in first {
            let upper = wanted.trim().to_ascii_uppercase();
            if let Some(code) = all_alpha2_codes().find(|code| *code == upper)
                && !countries.iter().any(|country| country.code == code)
            {
                countries.push(name_of(code));
            }
        }
        let first = countries.len();
        let mut rest: Vec<Country> = all_alpha2_codes()
            .filter(|code| !countries[..first].iter().any(|c| c.code == *code))
            .map(name_of)
            .collect();
        match collator(Strength::Tertiary) {
            Some(order) => rest.sort_by(|a, b| order.compare(&a.name, &b.name)),
            None => rest.sort_by(|a, b| a.name.cmp(&b.name)),
        }
        countries.extend(rest);
        Self {
            locale,
            countries,
            first,
            search: collator(Strength::Primary),
        }
    }

    /// The language of the names.
    pub fn locale(&self) -> Locale {
        self.locale
    }

    /// How many countries at the top of `matching("")` are staff's first ones.
    pub fn first_count(&self) -> usize {
        self.first
    }

    /// The name of `code` (any case) in this language; the code itself if it is not assigned.
    pub fn name<'a>(&'a self, code: &'a str) -> &'a str {
        self.countries
            .iter()
            .find(|country| country.code.eq_ignore_ascii_case(code))
            .map_or(code, |country| &country.name)
    }

    /// The countries whose name has a word starting with `query` (letters compared as the
    /// language compares them, ignoring case and accents), or, for a query of one or two
    /// letters, whose code starts with it; in list order. An empty query gives them all.
    pub fn matching(&self, query: &str) -> Vec<&Country> {
        let query = query.trim();
        if query.is_empty() {
            return self.countries.iter().collect();
        }
        let code = (query.len() <= 2 && query.chars().all(|c| c.is_ascii_alphabetic()))
            .then(|| query.to_ascii_uppercase());
        self.countries
            .iter()
            .filter(|country| {
                code.as_deref()
                    .is_some_and(|code| country.code.starts_with(code))
                    || self.name_has_word_starting(&country.name, query)
            })
            .collect()
    }

    fn name_has_word_starting(&self, name: &str, query: &str) -> bool {
        let length = query.chars().count();
        let mut previous: Option<char> = None;
        for (at, c) in name.char_indices() {
            let word_start = previous.is_none_or(|p| !p.is_alphanumeric()) && c.is_alphanumeric();
            previous = Some(c);
            if !word_start {
                continue;
            }
            let candidate: String = name[at..].chars().take(length).collect();
            let same = match &self.search {
                Some(collator) => collator.compare(&candidate, query) == Ordering::Equal,
                None => candidate.to_lowercase() == query.to_lowercase(),
            };
            if same {
                return true;
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes<'a>(countries: &[&'a Country]) -> Vec<&'a str> {
        countries.iter().map(|country| country.code).collect()
    }

    #[test]
    fn names_come_from_cldr_in_the_customers_language() {
        let lithuanian = CountryNames::new(Locale::Lt, &[]);
        assert_eq!(lithuanian.name("LT"), "Lietuva");
        assert_eq!(lithuanian.name("de"), "Vokietija");
        let german = CountryNames::new(Locale::De, &[]);
        assert_eq!(german.name("LT"), "Litauen");
        assert_eq!(CountryNames::new(Locale::Ja, &[]).name("LT"), "リトアニア");
        assert_eq!(
            german.name("XX"),
            "XX",
            "an unassigned code is shown as it is"
        );
        assert_eq!(german.matching("").len(), 249);
    }

    #[test]
    fn typing_lietuva_in_lithuanian_finds_lithuania() {
        let names = CountryNames::new(Locale::Lt, &[]);
        assert_eq!(codes(&names.matching("Lietuva")), ["LT"]);
        assert_eq!(codes(&names.matching("lietuva")), ["LT"], "case is ignored");
        assert!(codes(&names.matching("liet")).contains(&"LT"));
        assert_eq!(codes(&names.matching("LT")), ["LT"], "by code");
    }

    #[test]
    fn search_ignores_accents_and_finds_any_word() {
        let french = CountryNames::new(Locale::Fr, &[]);
        assert!(
            codes(&french.matching("cote")).contains(&"CI"),
            "Côte d’Ivoire"
        );
        let english = CountryNames::new(Locale::En, &[]);
        let kingdom = codes(&english.matching("kingdom"));
        assert!(kingdom.contains(&"GB"), "{kingdom:?}");
        assert!(
            !codes(&english.matching("ingdom")).contains(&"GB"),
            "words from the start"
        );
        assert!(english.matching("zzzz").is_empty());
    }

    #[test]
    fn the_list_follows_the_languages_alphabet_with_staffs_countries_first() {
        let names = CountryNames::new(Locale::De, &["lv".into(), "LT".into(), "XX".into()]);
        assert_eq!(names.first_count(), 2, "unknown codes are skipped");
        let all = names.matching("");
        assert_eq!(codes(&all[..2]), ["LV", "LT"]);
        assert_eq!(all.iter().filter(|c| c.code == "LT").count(), 1, "no twice");
        // German sorts Ö with O (Österreich before Pakistan), not after Z as bytes would.
        let at = all.iter().position(|c| c.code == "AT").unwrap();
        let pk = all.iter().position(|c| c.code == "PK").unwrap();
        let om = all.iter().position(|c| c.code == "OM").unwrap();
        assert!(
            om < at && at < pk,
            "Oman {om}, Österreich {at}, Pakistan {pk}"
        );
    }
}
