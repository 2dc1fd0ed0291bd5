//! The `portico` binary; everything lives in the library.

/// mimalloc: fewer instructions per allocation than glibc's on a page's
/// thousands of small allocations (BENCHMARKS.md §1).
#[cfg(not(feature = "system-allocator"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    portico::cli::main()
}
