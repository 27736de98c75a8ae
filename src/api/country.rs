//! ISO 3166-1 alpha-2 country codes, the form both endpoints take for `country` and `nationality`.

/// The 249 officially assigned ISO 3166-1 alpha-2 codes.
const ALPHA2_CODES: &str = "\
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS \
BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE \
EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM \
HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC \
LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA \
NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW \
SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO \
TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

/// Every assigned code, upper case, in alphabetical order (for pickers and validation).
pub fn all_alpha2_codes() -> impl Iterator<Item = &'static str> {
    ALPHA2_CODES.split_ascii_whitespace()
}

/// Returns the upper-cased code when `value` is an assigned alpha-2 code in either case.
pub fn normalize_alpha2(value: &str) -> Option<String> {
    let upper = value.trim().to_ascii_uppercase();
    all_alpha2_codes()
        .any(|code| code == upper)
        .then_some(upper)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_all_249_codes() {
        assert_eq!(all_alpha2_codes().count(), 249);
    }

    #[test]
    fn accepts_either_case_and_rejects_unassigned() {
        assert_eq!(normalize_alpha2("lt").as_deref(), Some("LT"));
        assert_eq!(normalize_alpha2("DE").as_deref(), Some("DE"));
        assert_eq!(normalize_alpha2("XX"), None);
        assert_eq!(normalize_alpha2("LTU"), None);
        assert_eq!(normalize_alpha2(""), None);
    }
}
