//! What can go wrong inside a sandboxed call, as a value: the web layer
//! renders it as that tab's error panel, never as a host crash.

use std::time::Duration;
use wasmtime::Trap;

/// A sandboxed call that did not produce an answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AreaFailure {
    /// The call ran past its epoch deadline (`limits.timeout-ms`).
    #[error("the area did not answer within its {limit_ms} ms time limit")]
    Timeout {
        /// The area's limit.
        limit_ms: u32,
    },
    /// The call tried to grow its memory past `limits.memory-mib`.
    #[error("the area tried to use more than its {limit_mib} MiB memory limit")]
    MemoryLimit {
        /// The area's limit.
        limit_mib: u32,
    },
    /// Unbounded recursion hit the wasm stack cap.
    #[error("the area overflowed its call stack")]
    StackOverflow,
    /// The area panicked; `message` is the panic text it printed, if any.
    #[error("the area crashed{}", if message.is_empty() { String::new() } else { format!(": {message}") })]
    Panic {
        /// The panic message, from the plugin's stderr.
        message: String,
    },
    /// Any other trap (bad memory access, unreachable, integer overflow…).
    #[error("the area stopped with a fault: {reason}")]
    Trap {
        /// wasmtime's description.
        reason: String,
    },
    /// The answer broke a host limit (e.g. a view's data too large).
    #[error("the area's answer was refused: {reason}")]
    BadAnswer {
        /// Which limit, with the sizes.
        reason: String,
    },
    /// The area answered `failed(message)`.
    #[error("the area reported a failure: {message}")]
    Reported {
        /// The area's own message.
        message: String,
    },
    /// The call's writes collided with another request's, again and again
    /// until the call's deadline (see `FIRST_CONFLICT_BACKOFF`); nothing was written.
    #[error(
        "someone else changed the same data at the same time; nothing was saved, please try again ({reason})"
    )]
    Conflict {
        /// Which key changed.
        reason: String,
    },
    /// The call's writes could not be committed (a full disk, an I/O
    /// failure): the answer was not sent, and the change may not be saved.
    #[error(
        "Portico cannot save anything right now: {reason}. What you just sent may not have been saved: check it, and try again in a few minutes"
    )]
    Storage {
        /// Why, in plain words (the system's are in the log).
        reason: String,
    },
    /// A message's call was refused a write by the area's storage quota
    /// (`limits.storage-mib`) for this structure, and the area gave up:
    /// retrying cannot help until data is deleted or the quota raised.
    #[error(
        "the area's storage for this structure is full ({used_mib} MiB used of its {limit_mib} MiB, `limits.storage-mib` in areas.yaml)"
    )]
    StorageQuota {
        /// The area's quota, MiB.
        limit_mib: u32,
        /// What the namespace used when the write was refused, MiB (rounded up).
        used_mib: u64,
    },
    /// Every sandbox slot is busy; retry shortly.
    #[error("the portal is busy; retry in a moment")]
    Busy,
}

impl AreaFailure {
    /// Turns a wasmtime error into the failure a person can understand.
    pub(crate) fn classify(
        err: wasmtime::Error,
        limit_ms: u32,
        limit_mib: u32,
        _elapsed: Duration,
        output: &str,
    ) -> AreaFailure {
        let text = format!("{err:#}");
        if let Some(trap) = err.downcast_ref::<Trap>() {
            match trap {
                Trap::Interrupt => return AreaFailure::Timeout { limit_ms },
                Trap::StackOverflow => return AreaFailure::StackOverflow,
                Trap::UnreachableCodeReached => {
                    if let Some(message) = panic_message(output) {
                        return AreaFailure::Panic { message };
                    }
                    if output.contains("memory allocation of") {
                        return AreaFailure::MemoryLimit { limit_mib };
                    }
                    return AreaFailure::Panic {
                        message: String::new(),
                    };
                }
                // Rust guests keep a shadow stack in linear memory that grows
                // down from a fixed size: unbounded recursion walks below 0
                // and faults near the top of the 32-bit address space.
                Trap::MemoryOutOfBounds
                    if fault_address(&text).is_some_and(|a| a >= SHADOW_STACK_WRAP) =>
                {
                    return AreaFailure::StackOverflow;
                }
                other => {
                    tracing::debug!(trap = %text, "area trapped");
                    return AreaFailure::Trap {
                        reason: other.to_string(),
                    };
                }
            }
        }
        // `trap_on_grow_failure` reports a failed memory.grow this way.
        if text.contains("forcing trap when growing memory")
            || text.contains("memory allocation of")
        {
            return AreaFailure::MemoryLimit { limit_mib };
        }
        // Not a trap (a host-side error, e.g. an instantiation failure): one line.
        AreaFailure::Trap {
            reason: text.lines().next().unwrap_or("unknown error").to_string(),
        }
    }

    /// What the person using the portal is told. A panic's text stays out
    /// of it (it may carry another request's data or the area's internals):
    /// it goes to the log and to `/ops` with the request id.
    pub fn public_message(&self) -> String {
        match self {
            AreaFailure::Panic { .. } => "the area crashed".to_string(),
            // A host refusal the area passed on (`host call failed: not
            // found: i18n:refusal.…`) reads in the reader's language.
            other => crate::i18n::translate_embedded(crate::i18n::current(), &other.to_string()),
        }
    }

    /// The HTTP status this failure maps to.
    pub fn status(&self) -> u16 {
        match self {
            AreaFailure::Busy => 503,
            AreaFailure::Conflict { .. } => 409,
            AreaFailure::Storage { .. } => 503,
            AreaFailure::Timeout { .. } => 504,
            _ => 500,
        }
    }
}

/// A faulting address at or above this is a wrapped-around stack pointer.
const SHADOW_STACK_WRAP: u64 = 0xFFF0_0000;

/// The address in wasmtime's "memory fault at wasm address 0x…" note.
fn fault_address(text: &str) -> Option<u64> {
    let at = text.find("wasm address 0x")? + "wasm address 0x".len();
    let hex: String = text[at..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    u64::from_str_radix(&hex, 16).ok()
}

/// Rust's panic hook prints `thread '…' panicked at src/lib.rs:1:2:\nmessage`.
fn panic_message(output: &str) -> Option<String> {
    let start = output.find("panicked at ")?;
    let rest = &output[start..];
    let mut lines = rest.lines();
    let first = lines.next()?;
    let message: Vec<&str> = lines.take_while(|l| !l.starts_with("note:")).collect();
    let message = message.join("\n");
    let message = if message.trim().is_empty() {
        first.trim_start_matches("panicked at ").to_string()
    } else {
        message.trim().to_string()
    };
    Some(message.chars().take(500).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panic_text_is_extracted() {
        let out = "thread '<unnamed>' panicked at plugins/fixture/src/lib.rs:10:5:\nthe fixture panicked on purpose\nnote: run with `RUST_BACKTRACE=1`";
        assert_eq!(
            panic_message(out).as_deref(),
            Some("the fixture panicked on purpose")
        );
        assert_eq!(panic_message("hello"), None);
    }

    #[test]
    fn fault_addresses_are_read() {
        let t =
            "memory fault at wasm address 0x100000160 in linear memory of size 0x110000: wasm trap";
        assert_eq!(fault_address(t), Some(0x1_0000_0160));
        assert_eq!(fault_address("no address"), None);
    }
}
