//! "Continue on my phone": when the kiosk's camera cannot do the job, the customer finishes
//! on their own phone with the same token: by scanning a QR code of Mark ID's web UI, or by
//! typing the token's 8-digit code into the Mark ID app. The kiosk then sends nothing itself.
//!
//! Pure: the decision to offer it, the address, the QR code's pixels and the code's grouping.
//! The screen that shows them is `app::screens::handoff`.

use image::GrayImage;

use crate::api::Locale;
use crate::config::HandoffOffer;
use crate::secret::Secret;

/// Pixels a QR module is drawn with: a phone reads it from arm's length off a kiosk's screen.
pub const PIXELS_PER_MODULE: u32 = 8;
/// Light modules around the code, as the QR standard asks, so that a phone finds its edges.
pub const QUIET_ZONE_MODULES: u32 = 4;

/// For staff, in small print, when the token came without its code (the API contract does not
/// allow it, but the screen must still work): only the QR code is shown.
pub const NO_DIGIT_STRING: &str = "The token came back without a digitString although generateDigitString was asked, so only the QR code is shown. Check that the Mark ID contract allows digit strings.";

/// Whether the capture screen offers the phone: by `offer`, when the camera is unavailable,
/// or once the side has failed `failed_after` photos (the same count that offers "Use
/// anyway").
pub fn offered(
    offer: HandoffOffer,
    camera_unavailable: bool,
    failed_photos: u32,
    failed_after: u32,
) -> bool {
    match offer {
        HandoffOffer::Never => false,
        HandoffOffer::Always => true,
        HandoffOffer::Fallback => camera_unavailable || failed_photos >= failed_after.max(1),
    }
}

/// The web UI's address with the session's token and the customer's language:
/// `https://ui.markid.eu/?authToken=TOKEN&lang=xx`. It holds the token: it is shown only as
/// the QR code, never logged.
pub fn web_ui_link(base: &str, token: &Secret, locale: Locale) -> Option<Secret> {
    let mut url = reqwest::Url::parse(base).ok()?;
    url.query_pairs_mut()
        .append_pair("authToken", token.expose())
        .append_pair("lang", locale.as_str());
    Some(Secret::new(String::from(url)))
}

/// The QR code of `text` as a grey image: dark modules 0, light 255, each module
/// `PIXELS_PER_MODULE` square, with the quiet zone. None when the text is too long for a QR
/// code.
pub fn qr_pixels(text: &str) -> Option<GrayImage> {
    let code = qrcode::QrCode::new(text.as_bytes()).ok()?;
    let modules = code.width() as u32;
    let colors = code.to_colors();
    let side = (modules + 2 * QUIET_ZONE_MODULES) * PIXELS_PER_MODULE;
    let mut image = GrayImage::from_pixel(side, side, image::Luma([255]));
    for (index, color) in colors.iter().enumerate() {
        if *color != qrcode::Color::Dark {
            continue;
        }
        let (column, row) = (index as u32 % modules, index as u32 / modules);
        let (x0, y0) = (
            (column + QUIET_ZONE_MODULES) * PIXELS_PER_MODULE,
            (row + QUIET_ZONE_MODULES) * PIXELS_PER_MODULE,
        );
        for y in y0..y0 + PIXELS_PER_MODULE {
            for x in x0..x0 + PIXELS_PER_MODULE {
                image.put_pixel(x, y, image::Luma([0]));
            }
        }
    }
    Some(image)
}

/// The mobile app's code in groups of four, as it is read aloud and typed: "1234 5678".
pub fn grouped_digits(digits: &str) -> String {
    digits
        .chars()
        .collect::<Vec<_>>()
        .chunks(4)
        .map(|group| group.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads a QR code with rqrr, a decoder that shares no code with the encoder.
    fn decode(image: &GrayImage) -> String {
        let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(
            image.width() as usize,
            image.height() as usize,
            |x, y| image.get_pixel(x as u32, y as u32)[0],
        );
        let grids = prepared.detect_grids();
        assert_eq!(grids.len(), 1, "one QR code");
        grids[0].decode().expect("a readable QR code").1
    }

    #[test]
    fn the_qr_code_reads_back_as_the_web_ui_address_with_token_and_language() {
        let token = Secret::new("Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7dEf0h");
        let link = web_ui_link("https://ui.markid.eu/", &token, Locale::Lt).expect("a link");
        let image = qr_pixels(link.expose()).expect("a QR code");
        let read = reqwest::Url::parse(&decode(&image)).expect("an address");
        assert_eq!(read.host_str(), Some("ui.markid.eu"));
        let pairs: Vec<(String, String)> = read.query_pairs().into_owned().collect();
        assert_eq!(
            pairs,
            vec![
                ("authToken".into(), token.expose().to_owned()),
                ("lang".into(), "lt".into())
            ]
        );
        // Dark on light, 8 px a module, 4 modules of quiet zone: the corner is light and the
        // finder pattern's dark starts 32 px in.
        assert_eq!(image.get_pixel(31, 31)[0], 255);
        assert_eq!(image.get_pixel(32, 32)[0], 0);
        assert_eq!(image.width() % PIXELS_PER_MODULE, 0);
    }

    #[test]
    fn a_token_with_reserved_characters_is_escaped_in_the_address() {
        let token = Secret::new("a&b=c d");
        let link = web_ui_link("https://ui.markid.eu/", &token, Locale::En).expect("a link");
        assert_eq!(
            link.expose(),
            "https://ui.markid.eu/?authToken=a%26b%3Dc+d&lang=en"
        );
    }

    #[test]
    fn the_phone_is_offered_as_configured() {
        use HandoffOffer::*;
        assert!(!offered(Never, true, 9, 3));
        assert!(offered(Always, false, 0, 3));
        assert!(!offered(Fallback, false, 2, 3));
        assert!(offered(Fallback, false, 3, 3));
        assert!(offered(Fallback, true, 0, 3));
        // "Use anyway" at once (0) still lets the customer try one photo first.
        assert!(!offered(Fallback, false, 0, 0));
    }

    #[test]
    fn the_code_is_grouped_in_fours() {
        assert_eq!(grouped_digits("12345678"), "1234 5678");
        assert_eq!(grouped_digits("4823657"), "4823 657");
        assert_eq!(grouped_digits(""), "");
    }
}
