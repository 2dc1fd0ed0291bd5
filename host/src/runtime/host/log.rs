//! `portico:area/log`: lines in the host log, tagged with request and area.
//!
//! An area cannot flood the log or forge lines in it: each call may write at
//! most [`MAX_CALL_LOG`] bytes (like stdout), the rest is dropped with one
//! notice; control characters (newlines included) are escaped, so a message
//! stays on its own line; and every line starts with `area <id>:` and carries
//! the area and request id as fields.

use super::{HostCall, HostState};
use crate::runtime::bindings::portico::area::log::{Host, Level};
use std::fmt::Write as _;

/// Longest line kept; the rest is cut.
const MAX_LINE: usize = 4096;

/// Bytes one call may write to the log, all lines together (the same cap as
/// stdout and stderr together).
pub(crate) const MAX_CALL_LOG: usize = crate::runtime::output::OUTPUT_CAP;

impl Host for HostState {
    fn write(&mut self, level: Level, message: String) {
        let Ok(scope) = self.authorize(HostCall::LogWrite) else {
            return;
        };
        let (rid, area) = (scope.request_id.clone(), scope.area.clone());
        let room = MAX_CALL_LOG.saturating_sub(self.log_bytes);
        if room == 0 {
            return; // the notice below was written once already
        }
        let mut message = message;
        let limit = room.min(MAX_LINE);
        let cut = message.len() > limit;
        if cut {
            let mut at = limit;
            while !message.is_char_boundary(at) {
                at -= 1;
            }
            message.truncate(at);
        }
        self.log_bytes += message.len();
        let mut line = escape(&message);
        if cut {
            line.push_str(" [cut]");
        }
        match level {
            Level::Debug => tracing::debug!(request_id = %rid, area = %area, "area {area}: {line}"),
            Level::Info => tracing::info!(request_id = %rid, area = %area, "area {area}: {line}"),
            Level::Warn => tracing::warn!(request_id = %rid, area = %area, "area {area}: {line}"),
            Level::Error => tracing::error!(request_id = %rid, area = %area, "area {area}: {line}"),
        }
        if self.log_bytes >= MAX_CALL_LOG {
            tracing::warn!(request_id = %rid, area = %area, "area {area}: log cap of {MAX_CALL_LOG} bytes per call reached; further lines of this call are dropped");
        }
    }
}

/// `message` with control characters escaped (`\n`, `\r`, `\t`, `\u{1b}`…)
/// and backslashes doubled, so what an area writes is one line that no
/// reader can mistake for the host's own.
pub(crate) fn escape(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    for c in message.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{85}') => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_forged_line_stays_on_the_area_line() {
        let forged = "ok\n2026-12-06T00:00:00Z  INFO login ok user=admin\r\x1b[2K";
        let line = escape(forged);
        assert!(!line.contains(['\n', '\r', '\x1b']), "{line}");
        assert_eq!(
            line,
            "ok\\n2026-12-06T00:00:00Z  INFO login ok user=admin\\r\\u{1b}[2K"
        );
        assert_eq!(
            escape("a\\nb"),
            "a\\\\nb",
            "a literal backslash-n is not a newline"
        );
    }
}
