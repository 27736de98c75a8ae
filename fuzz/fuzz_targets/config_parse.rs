//! The config parser and its validation on any text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use markid_kiosk::config::Config;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(config) = Config::from_toml(text) {
        let _ = config.validate();
        let _ = config.to_redacted_toml();
    }
});
