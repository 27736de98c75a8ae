//! The API's closed lists of values (locales, document kinds, token types, ...), each a Rust enum
//! so that an invalid value cannot be built, with the wire spelling kept in one place.

/// Defines a string enum with its wire names: `ALL`, `as_str`, `Display`, `FromStr` and serde.
macro_rules! api_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every value, in the order the specification lists them.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The spelling the API uses.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $wire),+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;

            fn from_str(value: &str) -> Result<Self, Self::Err> {
                Self::ALL
                    .iter()
                    .copied()
                    .find(|candidate| candidate.as_str() == value)
                    .ok_or_else(|| {
                        let allowed: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
                        format!("'{value}' is not one of: {}", allowed.join(", "))
                    })
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = String::deserialize(deserializer)?;
                value.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

api_enum! {
    /// The 16 languages of the token's `locale` (spec: create-verification-session, `locale`).
    Locale {
        /// Lithuanian.
        Lt = "lt",
        /// English.
        En = "en",
        /// Russian.
        Ru = "ru",
        /// Polish.
        Pl = "pl",
        /// Latvian.
        Lv = "lv",
        /// Romanian.
        Ro = "ro",
        /// Italian.
        It = "it",
        /// German.
        De = "de",
        /// French.
        Fr = "fr",
        /// Swedish.
        Sv = "sv",
        /// Spanish.
        Es = "es",
        /// Hungarian.
        Hu = "hu",
        /// Japanese.
        Ja = "ja",
        /// Bulgarian.
        Bg = "bg",
        /// Estonian.
        Et = "et",
        /// Czech.
        Cs = "cs",
    }
}

api_enum! {
    /// The 18 document kinds a token may allow (spec: create-verification-session, `documents`).
    DocumentKind {
        /// National identity card.
        IdCard = "ID_CARD",
        /// Passport.
        Passport = "PASSPORT",
        /// Residence permit.
        ResidencePermit = "RESIDENCE_PERMIT",
        /// Driving licence.
        DriverLicense = "DRIVER_LICENSE",
        /// Indian Aadhaar card.
        Aadhaar = "AADHAAR",
        /// Indian PAN card.
        PanCard = "PAN_CARD",
        /// Visa.
        Visa = "VISA",
        /// Border crossing card.
        BorderCrossing = "BORDER_CROSSING",
        /// Asylum document.
        Asylum = "ASYLUM",
        /// National passport.
        NationalPassport = "NATIONAL_PASSPORT",
        /// International passport.
        InternationalPassport = "INTERNATIONAL_PASSPORT",
        /// Voter card.
        VoterCard = "VOTER_CARD",
        /// Old-style identity card.
        OldIdCard = "OLD_ID_CARD",
        /// Travel card.
        TravelCard = "TRAVEL_CARD",
        /// Photo card.
        PhotoCard = "PHOTO_CARD",
        /// Military card.
        MilitaryCard = "MILITARY_CARD",
        /// Proof-of-age card.
        ProofOfAgeCard = "PROOF_OF_AGE_CARD",
        /// Diplomatic identity card.
        DiplomaticId = "DIPLOMATIC_ID",
    }
}

api_enum! {
    /// The five document types `/process` accepts (spec: direct-processing, `documentType`).
    ProcessDocumentType {
        /// National identity card.
        IdCard = "ID_CARD",
        /// Passport: one photo page, no back side.
        Passport = "PASSPORT",
        /// Residence permit.
        ResidencePermit = "RESIDENCE_PERMIT",
        /// Driving licence.
        DriverLicense = "DRIVER_LICENSE",
        /// Any other document.
        Other = "OTHER",
    }
}

impl ProcessDocumentType {
    /// Whether the document has a back side that `/process` requires. API-NOTES: "`BACK` when the
    /// document has a back side (not `PASSPORT`)"; the API answers `MISSING_VALUE` otherwise.
    pub fn needs_back(self) -> bool {
        self != ProcessDocumentType::Passport
    }

    /// The image slots /process requires for this document, with why (API-NOTES: FRONT always;
    /// BACK unless PASSPORT; FACE unless tokenType DOCUMENT; UTILITY_BILL when the token asks).
    pub fn required_slots(
        self,
        token_type: TokenType,
        utility_bill: bool,
    ) -> Vec<(ImageSlot, &'static str)> {
        let mut slots = vec![(ImageSlot::Front, "every document")];
        if self.needs_back() {
            slots.push((ImageSlot::Back, "the document has a back side"));
        }
        if token_type.needs_face() {
            slots.push((
                ImageSlot::Face,
                "identification compares the face with the document",
            ));
        }
        if utility_bill {
            slots.push((ImageSlot::UtilityBill, "the token requires a utility bill"));
        }
        slots
    }

    /// The /process type for a token document kind, when /process has one.
    pub fn from_token_kind(kind: DocumentKind) -> Option<ProcessDocumentType> {
        Self::ALL
            .iter()
            .copied()
            .find(|t| t.token_kind() == Some(kind))
    }

    /// The token document kind this process type corresponds to, to check it against the token's
    /// allowed documents. `OTHER` has no single counterpart.
    pub fn token_kind(self) -> Option<DocumentKind> {
        match self {
            ProcessDocumentType::IdCard => Some(DocumentKind::IdCard),
            ProcessDocumentType::Passport => Some(DocumentKind::Passport),
            ProcessDocumentType::ResidencePermit => Some(DocumentKind::ResidencePermit),
            ProcessDocumentType::DriverLicense => Some(DocumentKind::DriverLicense),
            ProcessDocumentType::Other => None,
        }
    }
}

api_enum! {
    /// What processing the customer goes through (spec: create-verification-session, `tokenType`).
    TokenType {
        /// Document only: no face image is needed.
        Document = "DOCUMENT",
        /// Document and face.
        Identification = "IDENTIFICATION",
        /// A video call.
        VideoCall = "VIDEO_CALL",
        /// A video call with photos.
        VideoCallPhotos = "VIDEO_CALL_PHOTOS",
        /// A video call with identification.
        VideoCallIdentification = "VIDEO_CALL_IDENTIFICATION",
    }
}

impl TokenType {
    /// Whether `/process` needs a `FACE` image. API-NOTES: "`FACE` for identification (optional
    /// only for `tokenType: DOCUMENT`)".
    pub fn needs_face(self) -> bool {
        self != TokenType::Document
    }
}

api_enum! {
    /// The customer's sex as the token takes it.
    Sex {
        /// Male.
        M = "M",
        /// Female.
        F = "F",
    }
}

api_enum! {
    /// Fraud services a token can ask for (custom setting `fraudServices`).
    FraudService {
        /// AML names check.
        AmlNamesCheck = "AML_NAMES_CHECK",
        /// LID check.
        Lid = "LID",
        /// AML news check.
        AmlNews = "AML_NEWS",
    }
}

api_enum! {
    /// Selfie detection priority (custom setting `detectionTypes`).
    DetectionType {
        /// Detect the face.
        Face = "FACE",
        /// Detect the eyes.
        Eyes = "EYES",
    }
}

api_enum! {
    /// The image slots of a `/process` request (spec: direct-processing, "Contents of images").
    ImageSlot {
        /// Document front.
        Front = "FRONT",
        /// Document back.
        Back = "BACK",
        /// The person's face.
        Face = "FACE",
        /// A utility bill.
        UtilityBill = "UTILITY_BILL",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_have_the_sizes_the_spec_gives() {
        assert_eq!(Locale::ALL.len(), 16);
        assert_eq!(DocumentKind::ALL.len(), 18);
        assert_eq!(ProcessDocumentType::ALL.len(), 5);
        assert_eq!(TokenType::ALL.len(), 5);
    }

    #[test]
    fn parses_wire_names_and_rejects_others_with_the_allowed_list() {
        assert_eq!("ja".parse::<Locale>(), Ok(Locale::Ja));
        let error = "xx".parse::<Locale>().unwrap_err();
        assert!(error.contains("'xx' is not one of: lt, en"), "{error}");
        assert_eq!(
            "DIPLOMATIC_ID".parse::<DocumentKind>(),
            Ok(DocumentKind::DiplomaticId)
        );
        assert!("id_card".parse::<DocumentKind>().is_err());
        assert!("VISA".parse::<ProcessDocumentType>().is_err());
    }

    #[test]
    fn serde_uses_wire_names() {
        let json = serde_json::to_string(&[TokenType::VideoCallPhotos]).unwrap();
        assert_eq!(json, r#"["VIDEO_CALL_PHOTOS"]"#);
        let parsed: Vec<ImageSlot> = serde_json::from_str(r#"["UTILITY_BILL","FACE"]"#).unwrap();
        assert_eq!(parsed, vec![ImageSlot::UtilityBill, ImageSlot::Face]);
    }

    #[test]
    fn which_images_a_document_needs() {
        assert!(!ProcessDocumentType::Passport.needs_back());
        assert!(ProcessDocumentType::IdCard.needs_back());
        assert!(!TokenType::Document.needs_face());
        assert!(TokenType::Identification.needs_face());
    }
}
