//! The `prepare` path on any bytes (`markid_kiosk::fuzzing::image_decode`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| markid_kiosk::fuzzing::image_decode(data));
