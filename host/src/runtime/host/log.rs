//! `portico:area/log`: lines in the host log, tagged with request and area.

use super::{HostCall, HostState};
use crate::runtime::bindings::portico::area::log::{Host, Level};

/// Longest line kept; the rest is cut so a plugin cannot flood the log.
const MAX_LINE: usize = 4096;

impl Host for HostState {
    fn write(&mut self, level: Level, message: String) {
        let Ok(scope) = self.authorize(HostCall::LogWrite) else {
            return;
        };
        let mut message = message;
        if message.len() > MAX_LINE {
            let mut cut = MAX_LINE;
            while !message.is_char_boundary(cut) {
                cut -= 1;
            }
            message.truncate(cut);
        }
        let (rid, area) = (&scope.request_id, &scope.area);
        match level {
            Level::Debug => tracing::debug!(request_id = %rid, area = %area, "{message}"),
            Level::Info => tracing::info!(request_id = %rid, area = %area, "{message}"),
            Level::Warn => tracing::warn!(request_id = %rid, area = %area, "{message}"),
            Level::Error => tracing::error!(request_id = %rid, area = %area, "{message}"),
        }
    }
}
