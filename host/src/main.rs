//! The `portico` binary; everything lives in the library.

fn main() -> std::process::ExitCode {
    portico::cli::main()
}
