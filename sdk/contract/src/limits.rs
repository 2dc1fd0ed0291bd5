//! What one host call may store or send, and the message an area gets when
//! it asks for more. The host enforces these; the SDK's test host applies
//! the same functions, so a native test meets the server's refusals.

use std::fmt;

/// Why the host refused a call's arguments: the two `host-error` cases a
/// check can produce, with the message the area receives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// `host-error::invalid`: one argument (`field`) is malformed.
    Invalid {
        /// The argument's name, as in the WIT (`key`, `name`, `to-area`…).
        field: &'static str,
        /// What is wrong and what would be right.
        message: String,
    },
    /// `host-error::limit-exceeded`: a size or count is over its limit.
    LimitExceeded(String),
}

impl Refusal {
    fn invalid(field: &'static str, message: String) -> Refusal {
        Refusal::Invalid { field, message }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Invalid { field, message } => write!(f, "{field}: {message}"),
            Refusal::LimitExceeded(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for Refusal {}

/// `kv`: storage private to (area, structure) or (area, user).
pub mod kv {
    use super::Refusal;

    /// Longest key, in bytes: keys are identifiers, not data, and every key
    /// is repeated in the store's index pages.
    pub const MAX_KEY_BYTES: usize = 256;
    /// Largest value, in bytes: bounds a request's memory.
    pub const MAX_VALUE_BYTES: usize = 1024 * 1024;
    /// Most entries one `list` returns: a page, so one call cannot read a
    /// whole namespace into memory. A larger `limit` is refused, not capped,
    /// so an area never mistakes a short page for the end of its data.
    pub const MAX_LIST: u32 = 1000;

    /// A key (or a `list` prefix: `what` names which) is at most
    /// [`MAX_KEY_BYTES`]. The empty key is a key like any other.
    pub fn check_key(what: &str, key: &str) -> Result<(), Refusal> {
        if key.len() > MAX_KEY_BYTES {
            return Err(Refusal::LimitExceeded(format!(
                "a kv {what} is at most {MAX_KEY_BYTES} bytes, this one is {} bytes",
                key.len()
            )));
        }
        Ok(())
    }

    /// A value is at most [`MAX_VALUE_BYTES`].
    pub fn check_value(len: usize) -> Result<(), Refusal> {
        if len > MAX_VALUE_BYTES {
            return Err(Refusal::LimitExceeded(format!(
                "a kv value is at most {MAX_VALUE_BYTES} bytes (1 MiB), this one is {len} bytes"
            )));
        }
        Ok(())
    }

    /// A `list` asks for at most [`MAX_LIST`] entries.
    pub fn check_list_limit(limit: u32) -> Result<(), Refusal> {
        if limit > MAX_LIST {
            return Err(Refusal::LimitExceeded(format!(
                "a listing returns at most {MAX_LIST} entries, {limit} were asked for"
            )));
        }
        Ok(())
    }
}

/// `facts`: what an area publishes about the current structure.
pub mod facts {
    use super::Refusal;

    /// Longest fact name, in bytes (`when` expressions name facts).
    pub const MAX_NAME_BYTES: usize = 64;
    /// Largest JSON value of one fact, in bytes: facts are read on every
    /// page of the structure, to compose its tabs.
    pub const MAX_VALUE_BYTES: usize = 4096;

    /// A fact name is 1 to [`MAX_NAME_BYTES`] characters of `a-z`, `0-9` and `-`.
    pub fn check_name(name: &str) -> Result<(), Refusal> {
        let ok = (1..=MAX_NAME_BYTES).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if ok {
            Ok(())
        } else {
            Err(Refusal::invalid(
                "name",
                format!(
                    "fact name `{name}` must be 1 to {MAX_NAME_BYTES} characters of a-z, 0-9 and -"
                ),
            ))
        }
    }

    /// A fact value is JSON of at most [`MAX_VALUE_BYTES`].
    pub fn check_value(value: &str) -> Result<(), Refusal> {
        if value.len() > MAX_VALUE_BYTES {
            return Err(Refusal::LimitExceeded(format!(
                "a fact's value is at most {MAX_VALUE_BYTES} bytes of JSON; got {}",
                value.len()
            )));
        }
        serde_json::from_str::<serde::de::IgnoredAny>(value).map_err(|e| {
            Refusal::invalid(
                "value",
                format!("a fact's value must be JSON, e.g. true, 3 or \"text\": {e}"),
            )
        })?;
        Ok(())
    }
}

/// `messages`: durable messages between structures.
pub mod messages {
    use super::Refusal;

    /// Longest structure identifier, area id or kind a message may name.
    pub const MAX_NAME_BYTES: usize = 128;
    /// Largest payload, in bytes: messages live in the outbox until delivered.
    pub const MAX_PAYLOAD_BYTES: usize = 256 * 1024;
    /// Most messages one call may send.
    pub const MAX_PER_CALL: usize = 100;

    /// `to-structure`, `to-area` and `kind` (`field`) are 1 to
    /// [`MAX_NAME_BYTES`] bytes.
    pub fn check_name(field: &'static str, value: &str) -> Result<(), Refusal> {
        if value.trim().is_empty() || value.len() > MAX_NAME_BYTES {
            return Err(Refusal::invalid(
                field,
                format!(
                    "{field} must be 1 to {MAX_NAME_BYTES} bytes, not blank; got {}",
                    value.len()
                ),
            ));
        }
        Ok(())
    }

    /// A payload is at most [`MAX_PAYLOAD_BYTES`].
    pub fn check_payload(len: usize) -> Result<(), Refusal> {
        if len > MAX_PAYLOAD_BYTES {
            return Err(Refusal::LimitExceeded(format!(
                "a message payload is at most {MAX_PAYLOAD_BYTES} bytes; this one is {len} bytes"
            )));
        }
        Ok(())
    }

    /// A call that already sent `sent` messages may send one more.
    pub fn check_count(sent: usize) -> Result<(), Refusal> {
        if sent >= MAX_PER_CALL {
            return Err(Refusal::LimitExceeded(format!(
                "one request may send at most {MAX_PER_CALL} messages"
            )));
        }
        Ok(())
    }
}

/// `timers` (contract 1.1.0): messages an area schedules for itself.
pub mod timers {
    use super::Refusal;

    /// Longest kind, in bytes, as for messages.
    pub const MAX_KIND_BYTES: usize = 128;
    /// Largest payload, in bytes: a timer carries a reference (a kv key, an
    /// id); the state it acts on stays in kv, under the storage quota.
    pub const MAX_PAYLOAD_BYTES: usize = 16 * 1024;
    /// Most timers one call may schedule.
    pub const MAX_PER_CALL: usize = 100;
    /// Most pending timers per (area, structure). With [`MAX_PAYLOAD_BYTES`]
    /// it bounds what timers hold outside the kv quota (16 MiB); a domain
    /// area holds one or two per open document.
    pub const MAX_PENDING: u64 = 1000;
    /// How far ahead a timer may be set: ten years. The domain's longest
    /// delays are months; this refuses nonsense such as `u64::MAX`, and
    /// keeps timer ids (which start with the due time in 13 digits) sorted.
    pub const MAX_HORIZON_MS: u64 = 10 * 366 * 24 * 3600 * 1000;

    /// A timer for `at_ms`, scheduled at `now_ms`, of `kind` with a payload
    /// of `payload_len` bytes. A time already past is accepted: it is due.
    pub fn check_schedule(
        at_ms: u64,
        now_ms: u64,
        kind: &str,
        payload_len: usize,
    ) -> Result<(), Refusal> {
        if at_ms > now_ms.saturating_add(MAX_HORIZON_MS) {
            return Err(Refusal::invalid(
                "at-ms",
                format!(
                    "a timer may be set at most {} days ahead; {at_ms} is {} days after now ({now_ms})",
                    MAX_HORIZON_MS / 86_400_000,
                    (at_ms - now_ms) / 86_400_000
                ),
            ));
        }
        if kind.trim().is_empty() || kind.len() > MAX_KIND_BYTES {
            return Err(Refusal::invalid(
                "kind",
                format!(
                    "kind must be 1 to {MAX_KIND_BYTES} bytes, not blank; got {}",
                    kind.len()
                ),
            ));
        }
        if payload_len > MAX_PAYLOAD_BYTES {
            return Err(Refusal::LimitExceeded(format!(
                "a timer's payload is at most {MAX_PAYLOAD_BYTES} bytes (keep the state in kv and pass its key); this one is {payload_len} bytes"
            )));
        }
        Ok(())
    }

    /// A call that already scheduled `scheduled` timers, for an area that
    /// has `pending` timers in the structure, may schedule one more.
    pub fn check_count(scheduled: usize, pending: u64) -> Result<(), Refusal> {
        if scheduled >= MAX_PER_CALL {
            return Err(Refusal::LimitExceeded(format!(
                "one request may schedule at most {MAX_PER_CALL} timers"
            )));
        }
        if pending >= MAX_PENDING {
            return Err(Refusal::LimitExceeded(format!(
                "this area already has {MAX_PENDING} pending timers in this structure; cancel some or let them fire"
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timer_times_kinds_payloads_and_counts() {
        let now = 1_700_000_000_000;
        assert!(
            timers::check_schedule(0, now, "due", 0).is_ok(),
            "the past is due"
        );
        assert!(timers::check_schedule(now + timers::MAX_HORIZON_MS, now, "k", 0).is_ok());
        assert!(matches!(
            timers::check_schedule(u64::MAX, now, "k", 0),
            Err(Refusal::Invalid { field: "at-ms", .. })
        ));
        assert!(matches!(
            timers::check_schedule(now, now, " ", 0),
            Err(Refusal::Invalid { field: "kind", .. })
        ));
        assert!(matches!(
            timers::check_schedule(now, now, "k", timers::MAX_PAYLOAD_BYTES + 1),
            Err(Refusal::LimitExceeded(_))
        ));
        assert!(timers::check_count(timers::MAX_PER_CALL - 1, timers::MAX_PENDING - 1).is_ok());
        assert!(timers::check_count(timers::MAX_PER_CALL, 0).is_err());
        assert!(timers::check_count(0, timers::MAX_PENDING).is_err());
    }

    #[test]
    fn kv_limits_name_the_limit() {
        assert!(kv::check_key("key", &"k".repeat(kv::MAX_KEY_BYTES)).is_ok());
        assert!(kv::check_key("key", "").is_ok());
        let Err(Refusal::LimitExceeded(m)) = kv::check_key("key", &"k".repeat(257)) else {
            panic!()
        };
        assert!(m.contains("256") && m.contains("257"), "{m}");
        assert!(kv::check_value(kv::MAX_VALUE_BYTES).is_ok());
        assert!(kv::check_value(kv::MAX_VALUE_BYTES + 1).is_err());
        assert!(kv::check_list_limit(kv::MAX_LIST).is_ok());
        let Err(Refusal::LimitExceeded(m)) = kv::check_list_limit(kv::MAX_LIST + 1) else {
            panic!()
        };
        assert!(m.contains("1001"), "{m}");
    }

    #[test]
    fn fact_names_and_values() {
        assert!(facts::check_name("payment-reached").is_ok());
        for bad in ["", "Payment", "a b", "é", &"a".repeat(65)] {
            assert!(
                matches!(
                    facts::check_name(bad),
                    Err(Refusal::Invalid { field: "name", .. })
                ),
                "{bad}"
            );
        }
        assert!(facts::check_value("true").is_ok());
        assert!(matches!(
            facts::check_value("not json"),
            Err(Refusal::Invalid { field: "value", .. })
        ));
        let big = format!("\"{}\"", "x".repeat(facts::MAX_VALUE_BYTES));
        assert!(matches!(
            facts::check_value(&big),
            Err(Refusal::LimitExceeded(_))
        ));
    }

    #[test]
    fn message_names_payloads_and_counts() {
        assert!(messages::check_name("kind", "invoice-sent").is_ok());
        assert!(messages::check_name("kind", " ").is_err());
        assert!(messages::check_name("to-area", &"a".repeat(129)).is_err());
        assert!(messages::check_payload(messages::MAX_PAYLOAD_BYTES).is_ok());
        assert!(messages::check_payload(messages::MAX_PAYLOAD_BYTES + 1).is_err());
        assert!(messages::check_count(messages::MAX_PER_CALL - 1).is_ok());
        assert!(messages::check_count(messages::MAX_PER_CALL).is_err());
    }
}
