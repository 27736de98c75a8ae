//! The `markid-kiosk` binary: a thin shell over the library's command line.

/// Image buffers are tens of megabytes; glibc returns each to the OS on free and faults it in
/// again for the next photo. mimalloc keeps and reuses them (about a third of `prepare`'s time).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    markid_kiosk::cli::run()
}
