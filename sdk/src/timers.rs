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
/// the delivered message's id. At most ten years ahead; the payload at most
/// 16 KiB (pass a kv key); at most 1000 pending per area and structure.
pub fn at(at_ms: u64, kind: &str, payload: &str) -> Result<String, HostError> {
    host::timers_schedule(at_ms, kind, payload)
}

/// [`at`] `delay` after the request's [`Context::now_ms`].
pub fn after(
    cx: &Context,
    delay: Duration,
    kind: &str,
    payload: &str,
) -> Result<String, HostError> {
    at(due(cx, delay), kind, payload)
}

/// [`at`] with `payload` serialized as JSON.
pub fn at_json<T: Serialize + ?Sized>(
    at_ms: u64,
    kind: &str,
    payload: &T,
) -> Result<String, Error> {
    let payload = serde_json::to_string(payload).map_err(|e| {
        Error::Failed(format!(
            "timer `{kind}`: cannot encode the payload as JSON: {e}"
        ))
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

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::testing::TestHost;
    use crate::{Area, Message, Request, Response, kv};

    /// Schedules `remind` in an hour (or cancels it with `?cancel=ID`);
    /// refuses timers of kind `flaky` until `kv` holds `ready`.
    struct Reminders;
    impl Area for Reminders {
        fn templates() -> &'static [(&'static str, &'static str)] {
            &[("t.html", "{{ data }}")]
        }
        fn handle(cx: &Context, req: &Request) -> Result<Response, Error> {
            let answer = match req.query_value("cancel") {
                Some(id) => serde_json::json!(cancel(id)?),
                None => serde_json::json!(after(
                    cx,
                    Duration::from_secs(3600),
                    req.query_value("kind").unwrap_or("remind"),
                    "p"
                )?),
            };
            Ok(Response::view(
                "t.html",
                "T",
                &serde_json::json!({ "ok": answer }),
            ))
        }
        fn on_message(cx: &Context, msg: &Message) -> Result<(), Error> {
            assert!(msg.is_timer(cx));
            if msg.kind == "flaky" && kv::get("ready")?.is_none() {
                return Err(Error::failed("not ready"));
            }
            kv::set(&format!("fired/{}", msg.id), msg.kind.as_bytes())?;
            Ok(())
        }
    }

    fn id(r: Response) -> String {
        r.as_view().unwrap().json()["ok"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    #[test]
    fn a_timer_fires_once_when_due_and_a_cancelled_one_never() {
        let host = TestHost::new().grant(&["kv", "timers"]);
        let kept = id(host.handle::<Reminders>(&Request::get("/")));
        let dropped = id(host.handle::<Reminders>(&Request::get("/")));
        let cancelled = host.handle::<Reminders>(&Request::get(&format!("/?cancel={dropped}")));
        assert_eq!(cancelled.as_view().unwrap().json()["ok"], true);
        assert!(
            host.advance::<Reminders>(Duration::from_secs(3599))
                .is_empty()
        );
        let fired = host.advance::<Reminders>(Duration::from_secs(1));
        assert_eq!(fired.len(), 1);
        assert_eq!(fired[0].message.id, kept);
        assert_eq!(host.kv_keys(), [format!("fired/{kept}")]);
        assert!(
            host.advance::<Reminders>(Duration::from_secs(86_400))
                .is_empty()
        );
        assert!(host.scheduled_timers().is_empty());
    }

    #[test]
    fn a_refused_timer_stays_due_and_fires_on_a_later_advance() {
        let host = TestHost::new().grant(&["kv", "timers"]);
        host.handle::<Reminders>(&Request::get("/?kind=flaky"));
        let first = host.advance::<Reminders>(Duration::from_secs(3600));
        assert_eq!(first.len(), 1);
        assert!(first[0].result.is_err());
        assert_eq!(host.scheduled_timers().len(), 1);
        kv::set("ready", b"1").unwrap();
        let second = host.advance::<Reminders>(Duration::ZERO);
        assert_eq!(second.len(), 1);
        assert_eq!(second[0].result, Ok(()));
        assert!(host.scheduled_timers().is_empty());
    }

    #[test]
    fn without_the_capability_scheduling_is_refused() {
        let host = TestHost::new().grant(&["kv"]);
        let Response::Failed(message) = host.handle::<Reminders>(&Request::get("/")) else {
            panic!("expected a failed answer")
        };
        assert!(message.contains("timers"), "{message}");
    }
}
