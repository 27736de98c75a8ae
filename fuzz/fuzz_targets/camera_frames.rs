//! The MJPEG splitter and the frame converters (`markid_kiosk::fuzzing::camera_frames`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| markid_kiosk::fuzzing::camera_frames(data));
