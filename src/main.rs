//! The `markid-kiosk` binary: a thin shell over the library's command line.

fn main() -> std::process::ExitCode {
    markid_kiosk::cli::run()
}
