//! markid-kiosk: an identity-verification kiosk for the Mark ID API.
//!
//! The library holds everything testable; `main.rs` only parses the command line.

pub mod api;
pub mod app;
pub mod bench;
pub mod camera;
pub mod cli;
pub mod config;
pub mod countries;
pub mod flow;
pub mod fuzzing;
pub mod guide;
pub mod handoff;
pub mod i18n;
pub mod imaging;
pub mod journal;
pub mod logs;
pub mod mrz;
pub mod paths;
pub mod quality;
pub mod secret;
pub mod services;
pub mod simulator;
pub mod speech;
pub mod staff;
pub mod submit;

// Every translation under assets/locales/, embedded at compile time; English fills any gap.
rust_i18n::i18n!("assets/locales", fallback = "en");
