//! The five MRZ layouts of ICAO 9303 as the recogniser needs them: how many lines of how many
//! characters, which characters each position may hold, and which positions each check digit
//! covers (the field parsing itself is the `mrz` crate's).

/// An MRZ layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// ID-1 cards: 3 lines of 30.
    Td1,
    /// ID-2 documents: 2 lines of 36.
    Td2,
    /// Passports: 2 lines of 44.
    Td3,
    /// Visas, passport size: 2 lines of 44.
    MrvA,
    /// Visas, ID-2 size: 2 lines of 36.
    MrvB,
}

/// What a position may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A letter (document code, state, names) or the filler.
    Alpha,
    /// A digit (dates, check digits) or the filler.
    Digit,
    /// Anything (document and personal numbers, optional data).
    Any,
    /// Sex: F, M, X or `<`.
    Sex,
}

/// A check digit and the positions it covers, as (line, column) ranges.
#[derive(Clone, Debug)]
pub struct Check {
    pub name: &'static str,
    pub digit: (usize, usize),
    pub covers: Vec<(usize, std::ops::Range<usize>)>,
}

impl Layout {
    /// The code the CLI and the journal print.
    pub fn code(self) -> &'static str {
        match self {
            Layout::Td1 => "TD1",
            Layout::Td2 => "TD2",
            Layout::Td3 => "TD3",
            Layout::MrvA => "MRVA",
            Layout::MrvB => "MRVB",
        }
    }

    /// How many lines the zone has.
    pub fn lines(self) -> usize {
        if self == Layout::Td1 { 3 } else { 2 }
    }

    /// How many characters each line has.
    pub fn width(self) -> usize {
        match self {
            Layout::Td1 => 30,
            Layout::Td2 | Layout::MrvB => 36,
            Layout::Td3 | Layout::MrvA => 44,
        }
    }

    /// What position `column` of line `line` may hold.
    pub fn kind(self, line: usize, column: usize) -> Kind {
        use Kind::*;
        match (self, line) {
            // Line 1 of the two-line layouts: code, state, names. TD1's line 3: names.
            (Layout::Td2 | Layout::Td3 | Layout::MrvA | Layout::MrvB, 0) | (Layout::Td1, 2) => {
                Alpha
            }
            (Layout::Td1, 0) => match column {
                0..=4 => Alpha,
                14 => Digit,
                _ => Any,
            },
            (Layout::Td1, 1) => match column {
                0..=6 | 8..=14 | 29 => Digit,
                7 => Sex,
                15..=17 => Alpha,
                _ => Any,
            },
            // Line 2 of TD2, TD3 and the visas: number, check, nationality, birth, check, sex,
            // expiry, check, then optional data (with check digits on TD2 and TD3).
            (_, _) => match column {
                0..=8 => Any,
                9 | 13..=19 | 21..=27 => Digit,
                10..=12 => Alpha,
                20 => Sex,
                35 if self == Layout::Td2 => Digit,
                42 | 43 if self == Layout::Td3 => Digit,
                _ => Any,
            },
        }
    }

    /// Every check digit the layout prints, with what it covers.
    pub fn checks(self) -> Vec<Check> {
        let check = |name, digit, covers| Check {
            name,
            digit,
            covers,
        };
        match self {
            Layout::Td1 => vec![
                check("document_number", (0, 14), vec![(0, 5..14)]),
                check("date_of_birth", (1, 6), vec![(1, 0..6)]),
                check("date_of_expiry", (1, 14), vec![(1, 8..14)]),
                check(
                    "composite",
                    (1, 29),
                    vec![(0, 5..30), (1, 0..7), (1, 8..15), (1, 18..29)],
                ),
            ],
            Layout::Td2 => vec![
                check("document_number", (1, 9), vec![(1, 0..9)]),
                check("date_of_birth", (1, 19), vec![(1, 13..19)]),
                check("date_of_expiry", (1, 27), vec![(1, 21..27)]),
                check(
                    "composite",
                    (1, 35),
                    vec![(1, 0..10), (1, 13..20), (1, 21..35)],
                ),
            ],
            Layout::Td3 => vec![
                check("document_number", (1, 9), vec![(1, 0..9)]),
                check("date_of_birth", (1, 19), vec![(1, 13..19)]),
                check("date_of_expiry", (1, 27), vec![(1, 21..27)]),
                check("personal_number", (1, 42), vec![(1, 28..42)]),
                check(
                    "composite",
                    (1, 43),
                    vec![(1, 0..10), (1, 13..20), (1, 21..43)],
                ),
            ],
            Layout::MrvA | Layout::MrvB => vec![
                check("document_number", (1, 9), vec![(1, 0..9)]),
                check("date_of_birth", (1, 19), vec![(1, 13..19)]),
                check("date_of_expiry", (1, 27), vec![(1, 21..27)]),
            ],
        }
    }

    /// The issuing state's and the nationality's positions: (line, first column).
    pub fn state_fields(self) -> [(usize, usize); 2] {
        match self {
            Layout::Td1 => [(0, 2), (1, 15)],
            _ => [(0, 2), (1, 10)],
        }
    }

    /// Whether position (line, column) is under some check digit (or is one).
    pub fn checked(self, line: usize, column: usize) -> bool {
        self.checks().iter().any(|c| {
            c.digit == (line, column)
                || c.covers
                    .iter()
                    .any(|(l, range)| *l == line && range.contains(&column))
        })
    }
}

/// ICAO 9303's check digit: values 0-9, A-Z = 10-35, `<` = 0, weighted 7, 3, 1, modulo 10.
pub fn check_digit(chars: impl Iterator<Item = u8>) -> u8 {
    let sum: u32 = chars
        .zip([7u32, 3, 1].into_iter().cycle())
        .map(|(c, weight)| {
            let value = match c {
                b'0'..=b'9' => u32::from(c - b'0'),
                b'A'..=b'Z' => u32::from(c - b'A') + 10,
                _ => 0,
            };
            value * weight
        })
        .sum();
    b'0' + (sum % 10) as u8
}

/// Whether `check`'s digit agrees with what it covers in `lines`. A `<` digit over an all-filler
/// field is what ICAO prints for an absent optional field.
pub fn check_holds(check: &Check, lines: &[Vec<u8>]) -> bool {
    let covered = || {
        check
            .covers
            .iter()
            .flat_map(|(line, range)| lines[*line][range.clone()].iter().copied())
    };
    let digit = lines[check.digit.0][check.digit.1];
    if digit == b'<' {
        return covered().all(|c| c == b'<');
    }
    digit == check_digit(covered())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &[&str]) -> Vec<Vec<u8>> {
        text.iter().map(|l| l.as_bytes().to_vec()).collect()
    }

    #[test]
    fn icao_9303_examples_pass_every_check_and_a_wrong_digit_is_caught() {
        // ICAO Doc 9303 part 4 (TD3), part 6 (TD2), part 5 (TD1) specimen zones.
        let td3 = lines(&[
            "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
            "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
        ]);
        let td2 = lines(&[
            "I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<",
            "D231458907UTO7408122F1204159<<<<<<<6",
        ]);
        let td1 = lines(&[
            "I<UTOD231458907<<<<<<<<<<<<<<<",
            "7408122F1204159UTO<<<<<<<<<<<6",
            "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
        ]);
        for (layout, zone) in [
            (Layout::Td3, &td3),
            (Layout::Td2, &td2),
            (Layout::Td1, &td1),
        ] {
            assert_eq!(zone.len(), layout.lines());
            assert!(zone.iter().all(|l| l.len() == layout.width()));
            for check in layout.checks() {
                assert!(check_holds(&check, zone), "{layout:?} {}", check.name);
            }
            // Every printed check digit is a digit or filler where the layout says so.
            for check in layout.checks() {
                assert_eq!(layout.kind(check.digit.0, check.digit.1), Kind::Digit);
            }
        }
        // One digit of the date of birth wrong: its own check and the composite fail.
        let mut wrong = td3.clone();
        wrong[1][15] = b'9';
        let failed: Vec<&str> = Layout::Td3
            .checks()
            .iter()
            .filter(|c| !check_holds(c, &wrong))
            .map(|c| c.name)
            .collect();
        assert_eq!(failed, ["date_of_birth", "composite"]);
        assert_eq!(check_digit(b"L898902C3".iter().copied()), b'6');
        assert_eq!(check_digit(b"740812".iter().copied()), b'2');
    }
}
