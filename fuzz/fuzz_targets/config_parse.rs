//! The config parser and its validation (`markid_kiosk::fuzzing::config_parse`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| markid_kiosk::fuzzing::config_parse(data));
