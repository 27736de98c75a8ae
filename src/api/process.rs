//! POST /api/v2/process: the request body. The answer carries no verdict (results reach the
//! partner's backend by webhook), so there is no response type: success is a 2xx with no error.

use std::fmt;

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use super::enums::{ImageSlot, ProcessDocumentType};
use crate::secret::Secret;

/// The Base64 images of one request, each plain Base64 without a `data:` prefix.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ProcessImages {
    slots: Vec<(ImageSlot, String)>,
}

/// The Base64 photos are wiped from memory with the request (the session's end), not left in
/// freed memory for the next allocation to find.
impl Drop for ProcessImages {
    fn drop(&mut self) {
        for (_, image) in &mut self.slots {
            zeroize::Zeroize::zeroize(image);
        }
    }
}

impl ProcessImages {
    /// Sets the image for `slot`, replacing any earlier one.
    pub fn set(&mut self, slot: ImageSlot, base64_jpeg: String) {
        self.slots.retain(|(existing, _)| *existing != slot);
        self.slots.push((slot, base64_jpeg));
    }

    /// The image in `slot`, if any.
    pub fn get(&self, slot: ImageSlot) -> Option<&str> {
        self.slots
            .iter()
            .find(|(s, _)| *s == slot)
            .map(|(_, image)| image.as_str())
    }

    /// Which slots are filled.
    pub fn slots(&self) -> impl Iterator<Item = ImageSlot> + '_ {
        self.slots.iter().map(|(slot, _)| *slot)
    }
}

impl fmt::Debug for ProcessImages {
    /// Lengths only: the images are personal data.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.slots.iter().map(|(slot, image)| (slot, image.len())))
            .finish()
    }
}

impl Serialize for ProcessImages {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.slots.len()))?;
        // Spec order: FRONT, BACK, FACE, UTILITY_BILL.
        for slot in ImageSlot::ALL {
            if let Some(image) = self.get(*slot) {
                map.serialize_entry(slot.as_str(), image)?;
            }
        }
        map.end()
    }
}

/// One /process body.
#[derive(Clone, Debug)]
pub struct ProcessRequest {
    /// The session token; spent by this call whatever its outcome.
    pub auth_token: Secret,
    /// Document country, upper-case alpha-2 ("Country code in 3166-1 alpha-2 format").
    pub country: String,
    /// One of the five document types /process accepts.
    pub document_type: ProcessDocumentType,
    /// The images.
    pub images: ProcessImages,
}

impl Serialize for ProcessRequest {
    /// Written by hand because `Secret` deliberately has no `Serialize`: this body is the one
    /// place the token may be written out.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(4))?;
        map.serialize_entry("authToken", self.auth_token.expose())?;
        map.serialize_entry("country", &self.country.to_ascii_uppercase())?;
        map.serialize_entry("documentType", &self.document_type)?;
        map.serialize_entry("images", &self.images)?;
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_like_the_spec_example_and_hides_token_in_debug() {
        let mut images = ProcessImages::default();
        images.set(ImageSlot::Face, "CCC".into());
        images.set(ImageSlot::Front, "AAA".into());
        images.set(ImageSlot::Back, "BBB".into());
        let request = ProcessRequest {
            auth_token: Secret::new("3FA5TFPA2ZE3LMPGGS1EGOJNJE"),
            country: "lt".into(),
            document_type: ProcessDocumentType::IdCard,
            images,
        };
        let json = serde_json::to_string(&request).unwrap();
        assert_eq!(
            json,
            r#"{"authToken":"3FA5TFPA2ZE3LMPGGS1EGOJNJE","country":"LT","documentType":"ID_CARD","images":{"FRONT":"AAA","BACK":"BBB","FACE":"CCC"}}"#
        );
        let debug = format!("{request:?}");
        assert!(!debug.contains("3FA5TFPA2ZE3"), "{debug}");
        assert!(!debug.contains("AAA"), "{debug}");
    }
}
