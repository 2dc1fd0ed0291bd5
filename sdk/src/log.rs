//! The host log. Lines carry the request id and the area id; a line is
//! truncated to 4 KiB by the host.
//!
//! ```
//! portico_sdk::log::info("invoice 42 sent");
//! portico_sdk::log::warn(&format!("retrying message {}", "m-1"));
//! ```

/// Severity of a log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Level {
    /// Detail for the area's developer.
    Debug,
    /// Normal operation.
    Info,
    /// Something unexpected that the area handled.
    Warn,
    /// A failure.
    Error,
}

/// Writes one line at `level`.
pub fn write(level: Level, message: &str) {
    crate::host::log_write(level, message);
}

/// Writes a debug line.
pub fn debug(message: &str) {
    write(Level::Debug, message);
}

/// Writes an info line.
pub fn info(message: &str) {
    write(Level::Info, message);
}

/// Writes a warning line.
pub fn warn(message: &str) {
    write(Level::Warn, message);
}

/// Writes an error line.
pub fn error(message: &str) {
    write(Level::Error, message);
}
