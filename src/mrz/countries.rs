//! The MRZ's issuing state as the alpha-2 code the Mark ID API and the country picker use.
//!
//! MRZs carry ISO 3166-1 alpha-3 codes, with ICAO 9303 (part 3, section 5) exceptions: Germany
//! is `D` (padded `D<<`), the United Kingdom's nationality classes have their own codes, and some
//! codes name no country at all (the United Nations, refugees, stateless persons, and `UTO`,
//! ICAO's fictional Utopia on specimen documents). Those give `None`: the customer picks the
//! country as before.

use super::alpha3::ISO_ALPHA3_TO_ALPHA2;

/// ICAO codes that are not ISO alpha-3 but do name one ISO country.
const ICAO_CODES: [(&str, &str); 7] = [
    // Germany: the MRZ prints `D<<`; the filler is stripped before the lookup.
    ("D", "DE"),
    // British citizens of dependent or overseas territories, nationals (overseas), protected
    // persons and subjects: all issued by the United Kingdom.
    ("GBD", "GB"),
    ("GBN", "GB"),
    ("GBO", "GB"),
    ("GBP", "GB"),
    ("GBS", "GB"),
    // Kosovo: ICAO's RKS; XK is the code the EU and most issuers use for it.
    ("RKS", "XK"),
];

/// The alpha-2 code for an MRZ's state code (`LTU`, `D<<`, `D`), or `None` for a code that
/// names no country (`UTO`, `XXA`, `UNO`, ...) or is not a code at all.
pub fn alpha2_for_mrz_state(code: &str) -> Option<&'static str> {
    let code = code.trim_end_matches('<');
    ICAO_CODES
        .iter()
        .find(|(icao, _)| *icao == code)
        .map(|(_, alpha2)| *alpha2)
        .or_else(|| {
            ISO_ALPHA3_TO_ALPHA2
                .binary_search_by(|(alpha3, _)| (*alpha3).cmp(code))
                .ok()
                .map(|index| ISO_ALPHA3_TO_ALPHA2[index].1)
        })
}

/// ICAO 9303 codes that name no ISO country but may stand in an MRZ (part 3, section 5): the
/// United Nations and its agencies, the EU, refugees, stateless persons, Interpol, the Order
/// of Malta, and ICAO's specimen state Utopia.
const ICAO_ONLY_CODES: [&str; 13] = [
    "UNO", "UNA", "UNK", "XBA", "XIM", "XCC", "XCO", "XEC", "XPO", "XOM", "XXA", "XXB", "UTO",
];

/// Whether an MRZ may hold `code` (fillers removed) as an issuing state or a nationality. A
/// read that is no code at all is a misread, so the reader tries the runner-ups.
pub fn is_mrz_state(code: &str) -> bool {
    let code = code.trim_end_matches('<');
    alpha2_for_mrz_state(code).is_some()
        || ICAO_ONLY_CODES.contains(&code)
        || matches!(code, "XXC" | "XXX" | "EUE")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_codes_icao_exceptions_and_codes_of_no_country() {
        assert_eq!(alpha2_for_mrz_state("LTU"), Some("LT"));
        assert_eq!(alpha2_for_mrz_state("CZE"), Some("CZ"));
        assert_eq!(alpha2_for_mrz_state("ZWE"), Some("ZW"));
        assert_eq!(alpha2_for_mrz_state("ABW"), Some("AW"));
        // Germany in the MRZ, with and without its fillers; DEU is also ISO's.
        assert_eq!(alpha2_for_mrz_state("D<<"), Some("DE"));
        assert_eq!(alpha2_for_mrz_state("D"), Some("DE"));
        assert_eq!(alpha2_for_mrz_state("DEU"), Some("DE"));
        assert_eq!(alpha2_for_mrz_state("GBD"), Some("GB"));
        assert_eq!(alpha2_for_mrz_state("RKS"), Some("XK"));
        // Utopia (ICAO's specimens), stateless, refugee, the UN: no country to set.
        assert_eq!(alpha2_for_mrz_state("UTO"), None);
        assert_eq!(alpha2_for_mrz_state("XXA"), None);
        assert_eq!(alpha2_for_mrz_state("XXB"), None);
        assert_eq!(alpha2_for_mrz_state("UNO"), None);
        assert_eq!(alpha2_for_mrz_state(""), None);
        assert_eq!(alpha2_for_mrz_state("<<<"), None);
    }

    #[test]
    fn state_codes_of_countries_and_of_icao_are_codes_and_misreads_are_not() {
        for code in ["LTU", "D<<", "UTO", "XXA", "CHE", "TWN", "GBD"] {
            assert!(is_mrz_state(code), "{code}");
        }
        for code in ["CHF", "YWN", "LTV", "<<<", "QQQ"] {
            assert!(!is_mrz_state(code), "{code}");
        }
    }

    #[test]
    fn the_table_is_sorted_for_the_binary_search() {
        assert!(ISO_ALPHA3_TO_ALPHA2.windows(2).all(|w| w[0].0 < w[1].0));
    }
}
