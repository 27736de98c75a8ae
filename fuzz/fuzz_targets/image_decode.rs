//! The `prepare` path on any bytes, within the configured limits: an error, never a panic, a
//! hang or an allocation past the limits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use markid_kiosk::imaging::{ImagePolicy, ImageRole};

fuzz_target!(|data: &[u8]| {
    let mut policy = ImagePolicy::default();
    // Small limits keep each run quick; the checks are the same at any size.
    policy.decode.max_megapixels = 4.0;
    let _ = markid_kiosk::imaging::prepare_bytes(data, ImageRole::Document, &policy);
});
