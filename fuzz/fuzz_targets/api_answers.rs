//! The token and /process answer parsers and the error-body mapping (`markid_kiosk::fuzzing::api_answers`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| markid_kiosk::fuzzing::api_answers(data));
