//! Durable timers (contract 1.1.0). Capability: `timers`, structure-scoped
//! areas only.
//!
//! A timer is a message this area sends to itself, in the current
//! structure, delivered to [`Area::on_message`](crate::Area::on_message) no
//! earlier than a given time — a 15-day tacit validation, a reminder before
//! a secret expires. It is stored in the same transaction as the call's
//! other writes (a `failed` answer or a crash schedules nothing), survives
//! restarts, and is delivered at least once like any message: check
//! [`Message::id`](crate::Message::id) (the id [`at`] returned) and the
//! state it acts on before acting. [`Message::is_timer`](crate::Message::is_timer)
//! tells a timer from a message another area sent.
//!
//! Time is the host's clock, as in [`Context::now_ms`](crate::Context::now_ms);
//! in unit tests, [`TestHost::advance`](crate::testing::TestHost::advance)
//! moves it and fires what is due.
//!
//! ```
//! use portico_sdk::{Area, Context, Error, Message, Request, Response, kv, timers};
//! use std::time::Duration;
//!
//! struct Deposits;
//! impl Area for Deposits {
//!     fn templates() -> &'static [(&'static str, &'static str)] {
//!         &[("ok.html", "{{ data.state }}")]
//!     }
//!     fn handle(cx: &Context, req: &Request) -> Result<Response, Error> {
//!         if req.is_post() {
//!             kv::set_json("invoice/1", &"deposited")?;
//!             // Accepted tacitly after 15 days without an answer.
//!             timers::after_json(cx, Duration::from_secs(15 * 86_400), "tacit", &"invoice/1")?;
//!         }
//!         let state: Option<String> = kv::get_json("invoice/1")?;
//!         Ok(Response::view("ok.html", "Deposits", &serde_json::json!({ "state": state })))
//!     }
//!     fn on_message(cx: &Context, msg: &Message) -> Result<(), Error> {
//!         if msg.is_timer(cx) && msg.kind == "tacit" {
//!             let key: String = serde_json::from_str(&msg.payload).map_err(|e| Error::failed(e.to_string()))?;
//!             if kv::get_json::<String>(&key)?.as_deref() == Some("deposited") {
//!                 kv::set_json(&key, &"accepted")?;
//!             }
//!         }
//!         Ok(())
//!     }
//! }
//!
//! use portico_sdk::testing::TestHost;
//! let host = TestHost::new().grant(&["kv", "timers"]);
//! host.handle::<Deposits>(&Request::post("/", [("go", "1")]));
//! assert_eq!(host.scheduled_timers().len(), 1);
//! host.advance::<Deposits>(Duration::from_secs(14 * 86_400));
//! assert_eq!(host.kv_json("invoice/1").unwrap(), "deposited");
//! let fired = host.advance::<Deposits>(Duration::from_secs(86_400));
//! assert_eq!(fired.len(), 1);
//! assert_eq!(host.kv_json("invoice/1").unwrap(), "accepted");
//! ```

use std::time::Duration;

use serde::Serialize;

use crate::{Context, Error, HostError, host};

/// Schedules message `kind` with `payload` for this area of the current
/// structure, delivered no earlier than `at_ms` (ms since the Unix epoch; a
/// time already past fires at once). Returns the timer's id, which is also
/// the delivered message's id. At most ten years ahead.
pub fn at(at_ms: u64, kind: &str, payload: &str) -> Result<String, HostError> {
    host::timers_schedule(at_ms, kind, payload)
}

/// [`at`] `delay` after the request's [`Context::now_ms`].
pub fn after(cx: &Context, delay: Duration, kind: &str, payload: &str) -> Result<String, HostError> {
    at(due(cx, delay), kind, payload)
}

/// [`at`] with `payload` serialized as JSON.
pub fn at_json<T: Serialize + ?Sized>(at_ms: u64, kind: &str, payload: &T) -> Result<String, Error> {
    let payload = serde_json::to_string(payload).map_err(|e| {
        Error::Failed(format!("timer `{kind}`: cannot encode the payload as JSON: {e}"))
    })?;
    Ok(at(at_ms, kind, &payload)?)
}

/// [`after`] with `payload` serialized as JSON.
pub fn after_json<T: Serialize + ?Sized>(
    cx: &Context,
    delay: Duration,
    kind: &str,
    payload: &T,
) -> Result<String, Error> {
    at_json(due(cx, delay), kind, payload)
}

/// Cancels a pending timer of this area and structure. `true` if it was
/// pending and now never fires; `false` if it is unknown, another area's,
/// or already fired (its message may be on its way: check state in
/// `on_message`). The cancel commits with the call's other writes.
pub fn cancel(id: &str) -> Result<bool, HostError> {
    host::timers_cancel(id)
}

fn due(cx: &Context, delay: Duration) -> u64 {
    let delay = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
    cx.now_ms.saturating_add(delay)
}
