//! The delivery worker: hands each queued message to the recipient area's
//! `on-message`, at least once, in a fresh sandbox scoped to the recipient
//! structure with the recipient area's capabilities.
//!
//! - Order: the outbox is walked oldest first, and a destination (structure,
//!   area) whose oldest message waits for a retry holds back its later ones,
//!   so "suspended" never overtakes "taken into account".
//! - Retries: a recipient that answers an error, traps or finds the pool busy
//!   is retried with exponential backoff ([`FIRST_RETRY`] doubling up to
//!   [`MAX_RETRY_DELAY`]), [`MAX_DELIVERY_ATTEMPTS`] times.
//! - Failure is visible: a recipient structure that does not exist, or to
//!   which the area is not open ([`crate::access::decide`] for the
//!   structure: not added, wrong kind, a `requires` area missing, `when`
//!   false), or a
//!   message out of attempts, marks the flow failed and sends the sender
//!   area a `delivery-failed` message (payload: the original id, recipient,
//!   kind and reason), queued in the same transaction. The reason is a
//!   message reference (`i18n:delivery.… {args}`, the area's title in both
//!   languages): the sender shows it with `{{ t_message(reason) }}` in its
//!   reader's language; the log and the outbox record keep it in English.
//! - Timers (contract 1.1.0): each pass first moves the timers that are due
//!   by the host's clock into the outbox (`store/timers.rs`); from there a
//!   timer is a message like any other, to its own area.
//! - Crash safety: the message leaves the outbox in the same transaction as
//!   the recipient's writes; a crash before that redelivers it, and the
//!   recipient's inbox record lets a redelivery be recognised.
//! - Several hosts on one store: before delivering a message a host claims
//!   it — one transaction reads it from the outbox and takes its
//!   destination's lease (`store/leases.rs`) — renews the lease every
//!   [`LEASE_RENEW_MS`](crate::store::LEASE_RENEW_MS) while the call runs,
//!   and releases its leases when the pass ends. Another host finds the
//!   destination busy and holds back all its messages, so one destination
//!   is never delivered by two hosts at once and order per destination
//!   holds. A host killed mid-delivery leaves its lease to expire
//!   ([`LEASE_MS`](crate::store::LEASE_MS)); then another host takes over.
//!   Due timers move to the outbox in one transaction per batch, so two
//!   hosts promoting at once never move one twice.
//! - Every call goes through [`crate::runtime::Sandbox::call`] like a page:
//!   it takes the area's and the sandbox's slots without waiting (a busy
//!   sandbox is retried later) and runs on this task.

use crate::access::{self, Party, Place, Reason, Verdict};
use crate::catalog::Catalog;
use crate::runtime::{Answer, AreaFailure, Call, CallKind};
use crate::store::{Claim, LEASE_RENEW_MS, OutboxEntry, OutgoingMessage, Store, new_message_id};
use crate::web::AppState;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

/// How often the worker looks at the outbox when it found nothing to do.
pub const DELIVERY_POLL_INTERVAL: Duration = Duration::from_millis(100);

/// Outbox entries read per page.
const DELIVERY_PAGE: usize = 100;

/// Entries looked at in one pass, so a huge backlog cannot starve the loop's
/// sleep (and the log) forever.
const DELIVERY_PASS_MAX: usize = 1000;

/// Delay before the first retry; doubles with every failed attempt.
pub const FIRST_RETRY: Duration = Duration::from_secs(1);

/// Longest delay between two attempts.
pub const MAX_RETRY_DELAY: Duration = Duration::from_secs(600);

/// Attempts before a message is given up and bounced to its sender
/// (about 40 minutes of retries with the delays above).
pub const MAX_DELIVERY_ATTEMPTS: u32 = 12;

/// Set to `1` to keep queued messages in the outbox (operators pausing
/// delivery; the crash test sends with delivery held, kills the host and
/// restarts it without).
pub const HOLD_ENV: &str = "PORTICO_HOLD_DELIVERY";

/// Tests only, and only with the movable clock: set to `1`, the host kills
/// itself with SIGKILL right after a pass has durably moved due timers to
/// the outbox and before it delivers any of them — the one moment a crash
/// test cannot otherwise hit (`tests/timers.rs`).
pub const KILL_AFTER_PROMOTION_ENV: &str = "PORTICO_TEST_KILL_AFTER_PROMOTION";

/// Tests only, and only with the movable clock: set to `1`, the host kills
/// itself with SIGKILL right after it has claimed a message (its lease is
/// written) and before the recipient's call — a host dying mid-delivery
/// (`tests/multihost.rs`).
pub const KILL_AFTER_CLAIM_ENV: &str = "PORTICO_TEST_KILL_AFTER_CLAIM";

/// Tests only, and only with the movable clock: set to `N`, the host kills
/// itself with SIGKILL right after its `N`th delivery has committed — a host
/// dying in the middle of a flow's integration (`tests/flows.rs`).
pub const KILL_AFTER_DELIVERIES_ENV: &str = "PORTICO_TEST_KILL_AFTER_DELIVERIES";

/// Deliveries this process has committed (for [`KILL_AFTER_DELIVERIES_ENV`]).
static DELIVERED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// The message key of a delivery refused because the recipient area's
/// storage for the structure is full (the reason's key: senders tell it
/// apart to say what would help).
pub const QUOTA_FULL: &str = "delivery.quota-full";

/// Kind of the notice a sender gets when its message cannot be delivered.
pub const DELIVERY_FAILED: &str = "delivery-failed";

/// The area id a bounce claims to come from: the platform itself. Reserved
/// in `areas.yaml`; messages addressed to it are the host's
/// ([`crate::dataflows::receive`]).
pub const PLATFORM_AREA: &str = "portico";

/// Starts the worker on the current tokio runtime, unless [`HOLD_ENV`] is set.
pub fn spawn(state: AppState) {
    if std::env::var(HOLD_ENV).is_ok_and(|v| v == "1") {
        tracing::warn!("{HOLD_ENV}=1: message delivery is held; messages stay in the outbox");
        return;
    }
    tokio::spawn(async move {
        loop {
            if pass(&state).await == 0 {
                tokio::time::sleep(DELIVERY_POLL_INTERVAL).await;
            }
        }
    });
}

/// One walk over the outbox; returns how many messages it settled
/// (delivered or failed).
async fn pass(state: &AppState) -> usize {
    let store = state.store().clone();
    // Due timers join the outbox first, then travel like any message.
    match store.promote_due_timers(store.clock().now_ms()) {
        Ok(0) => {}
        Ok(n) => {
            tracing::info!(timers = n, "timers due: queued for delivery");
            if store.clock().is_movable()
                && std::env::var(KILL_AFTER_PROMOTION_ENV).is_ok_and(|v| v == "1")
            {
                kill_self(KILL_AFTER_PROMOTION_ENV);
            }
        }
        Err(e) => tracing::error!(error = %e, "moving due timers to the outbox failed"),
    }
    let catalog = state.catalog();
    let host = crate::hosts::id();
    let mut held: BTreeSet<(String, String)> = BTreeSet::new();
    let mut leased: Vec<(String, String)> = Vec::new();
    let mut after: Option<String> = None;
    let mut seen = 0;
    let mut settled = 0;
    while seen < DELIVERY_PASS_MAX {
        let page = match store.outbox_page(after.as_deref(), DELIVERY_PAGE) {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(error = %e, "reading the outbox failed");
                break;
            }
        };
        let full = page.len() == DELIVERY_PAGE;
        for entry in page {
            seen += 1;
            after = Some(entry.message.id.clone());
            let dest = (
                entry.message.to_structure.clone(),
                entry.message.to_area.clone(),
            );
            if held.contains(&dest) || entry.next_attempt_ms > store.clock().now_ms() {
                held.insert(dest);
                continue;
            }
            // The page may be stale: the claim reads the message again.
            let entry = match store.claim_delivery(host, &entry.message.id, store.clock().now_ms())
            {
                Ok(Claim::Claimed(entry)) => entry,
                Ok(Claim::Gone) => continue,
                Ok(Claim::Busy { .. } | Claim::NotDue(_)) => {
                    held.insert(dest);
                    continue;
                }
                Err(e) => {
                    tracing::error!(message = %entry.message.id, error = %e, "claiming a message failed");
                    held.insert(dest);
                    continue;
                }
            };
            if !leased.contains(&dest) {
                leased.push(dest.clone());
            }
            if store.clock().is_movable()
                && std::env::var(KILL_AFTER_CLAIM_ENV).is_ok_and(|v| v == "1")
            {
                kill_self(KILL_AFTER_CLAIM_ENV);
            }
            match renewing(
                &store,
                host,
                &dest,
                deliver(state, &store, &catalog, &entry),
            )
            .await
            {
                Ok(true) => {
                    settled += 1;
                    let n = DELIVERED.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                    if store.clock().is_movable()
                        && std::env::var(KILL_AFTER_DELIVERIES_ENV)
                            .is_ok_and(|v| v.parse::<usize>() == Ok(n))
                    {
                        kill_self(KILL_AFTER_DELIVERIES_ENV);
                    }
                }
                Ok(false) => {
                    held.insert(dest);
                }
                Err(e) => {
                    tracing::error!(message = %entry.message.id, error = %e, "recording a delivery failed");
                    held.insert(dest);
                }
            }
        }
        if !full {
            break;
        }
    }
    if let Err(e) = store.release_leases(host, &leased) {
        // They expire by themselves.
        tracing::warn!(error = %e, "releasing delivery leases failed");
    }
    settled
}

/// Runs `work` (one delivery) while renewing this host's lease on `dest`.
async fn renewing<T>(
    store: &Store,
    host: &str,
    dest: &(String, String),
    work: impl std::future::Future<Output = T>,
) -> T {
    let mut work = std::pin::pin!(work);
    let every = Duration::from_millis(LEASE_RENEW_MS);
    loop {
        tokio::select! {
            out = &mut work => return out,
            () = tokio::time::sleep(every) => {
                match store.renew_lease(host, &dest.0, &dest.1, store.clock().now_ms()) {
                    Ok(true) => {}
                    Ok(false) => tracing::warn!(structure = %dest.0, area = %dest.1,
                        "this host's delivery lease was taken over while it delivered (it stalled past the lease); the message may be delivered twice"),
                    Err(e) => tracing::warn!(error = %e, "renewing a delivery lease failed"),
                }
            }
        }
    }
}

/// Tests only: SIGKILL this process (the hook `env` asked for it).
fn kill_self(env: &str) {
    tracing::warn!("{env}=1: killing this process");
    let _ = rustix::process::kill_process(rustix::process::getpid(), rustix::process::Signal::KILL);
}

/// Runs a durable store write (it waits for fsync) off the async workers.
async fn durably<T: Send + 'static>(
    store: &Store,
    write: impl FnOnce(&Store) -> Result<T, crate::store::StoreError> + Send + 'static,
) -> Result<T, crate::store::StoreError> {
    let store = store.clone();
    tokio::task::spawn_blocking(move || write(&store))
        .await
        .unwrap_or_else(|e| {
            Err(crate::store::StoreError::Backend(format!(
                "the delivery's write thread failed: {e}"
            )))
        })
}

/// Why a message cannot be delivered.
enum Refusal {
    /// Retrying later may work (busy pool, area error, plugin not loaded).
    Retry(String),
    /// It never will (no such structure, area absent or not eligible).
    Final(String),
}

/// Tries one message; `Ok(true)` when it left the outbox.
async fn deliver(
    state: &AppState,
    store: &Store,
    catalog: &Arc<Catalog>,
    entry: &OutboxEntry,
) -> Result<bool, crate::store::StoreError> {
    let m = &entry.message;
    if store.inbox_has(&m.to_structure, &m.to_area, &m.id)? {
        let m = m.clone();
        durably(store, move |s| s.mark_delivered(&m, s.clock().now_ms())).await?;
        return Ok(true);
    }
    // Verdicts on a flow's invoices and the like: the host's own messages.
    if m.to_area == PLATFORM_AREA {
        let m = m.clone();
        return durably(store, move |s| crate::dataflows::receive(s, &m)).await;
    }
    let refusal = match try_deliver(state, store, catalog, m).await {
        Ok(()) => {
            tracing::info!(message = %m.id, kind = %m.kind, to = %m.to_structure, area = %m.to_area, "message delivered");
            return Ok(true);
        }
        Err(r) => r,
    };
    let attempts = entry.attempts + 1;
    match refusal {
        Refusal::Retry(reason) if attempts < MAX_DELIVERY_ATTEMPTS => {
            let delay = retry_delay(attempts);
            tracing::warn!(message = %m.id, attempts, retry_in_ms = delay.as_millis() as u64, %reason, "delivery failed; will retry");
            let id = m.id.clone();
            durably(store, move |s| {
                let now = s.clock().now_ms();
                s.delivery_retry(&id, &reason, now + delay.as_millis() as u64, now)
            })
            .await?;
            Ok(false)
        }
        Refusal::Retry(reason) | Refusal::Final(reason) => {
            // A reference the sender area shows in its reader's language
            // (`t_message`); the log and the outbox record keep English.
            let reason = if attempts >= MAX_DELIVERY_ATTEMPTS {
                crate::i18n::reference(
                    "delivery.gave-up",
                    &[
                        ("attempts", &attempts.to_string()),
                        (
                            "reason",
                            &crate::i18n::translate_message(crate::i18n::Lang::En, None, &reason),
                        ),
                    ],
                )
            } else {
                reason
            };
            let bounce_reason = reason;
            let reason =
                crate::i18n::translate_message(crate::i18n::Lang::En, None, &bounce_reason);
            tracing::warn!(message = %m.id, %reason, "delivery failed for good; telling the sender");
            let now = store.clock().now_ms();
            let bounce = (m.kind != DELIVERY_FAILED).then(|| bounce(m, &bounce_reason, now));
            let id = m.id.clone();
            durably(store, move |s| {
                s.delivery_failed(&id, &reason, bounce.as_ref(), now)
            })
            .await?;
            Ok(true)
        }
    }
}

/// The delay before attempt `attempts + 1`.
pub fn retry_delay(attempts: u32) -> Duration {
    let factor = 2u32.saturating_pow(attempts.saturating_sub(1));
    FIRST_RETRY.saturating_mul(factor).min(MAX_RETRY_DELAY)
}

/// The sender's `delivery-failed` notice for `m`.
fn bounce(m: &OutgoingMessage, reason: &str, now_ms: u64) -> OutgoingMessage {
    OutgoingMessage {
        id: new_message_id(now_ms),
        from_structure: m.to_structure.clone(),
        from_area: PLATFORM_AREA.into(),
        to_structure: m.from_structure.clone(),
        to_area: m.from_area.clone(),
        kind: DELIVERY_FAILED.into(),
        payload: serde_json::json!({
            "message-id": m.id,
            "to-structure": m.to_structure,
            "to-area": m.to_area,
            "kind": m.kind,
            "reason": reason,
        })
        .to_string(),
    }
}

async fn try_deliver(
    state: &AppState,
    store: &Store,
    catalog: &Arc<Catalog>,
    m: &OutgoingMessage,
) -> Result<(), Refusal> {
    let storage = |e: crate::store::StoreError| Refusal::Retry(format!("storage: {e}"));
    let Some(structure) = store.structure(&m.to_structure).map_err(storage)? else {
        return Err(Refusal::Final(crate::i18n::reference(
            "delivery.no-structure",
            &[("id", &m.to_structure)],
        )));
    };
    let Some(area) = catalog
        .areas
        .iter()
        .find(|a| a.spec.id.as_str() == m.to_area)
    else {
        return Err(Refusal::Final(crate::i18n::reference(
            "delivery.no-area",
            &[("area", &m.to_area)],
        )));
    };
    let spec = &area.spec;
    // The area's title in both languages, for the sender's reader.
    let title = || {
        crate::i18n::both(
            spec.title.in_lang(crate::i18n::Lang::Fr),
            spec.title.in_lang(crate::i18n::Lang::En),
        )
    };
    let installs = store.installs(&m.to_structure).map_err(storage)?;
    let facts = store.facts(&m.to_structure).map_err(storage)?;
    let place = Place {
        structure: &structure,
        installs: &installs,
        facts: &facts,
    };
    // A message is addressed to the structure, not to a member.
    match access::decide(catalog, area, &place, Party::Structure) {
        Verdict::Open => {}
        Verdict::Closed(Reason::NotLoaded(e)) => {
            return Err(Refusal::Retry(format!(
                "area `{}` is not loaded: {e}",
                m.to_area
            )));
        }
        Verdict::Closed(Reason::UserArea) => {
            return Err(Refusal::Final(crate::i18n::reference_with(
                "delivery.user-area",
                &[("area", title())],
            )));
        }
        Verdict::Closed(Reason::NotAdded) => {
            return Err(Refusal::Final(crate::i18n::reference_with(
                "delivery.not-added",
                &[
                    ("structure", structure.name.clone().into()),
                    ("area", title()),
                ],
            )));
        }
        Verdict::Closed(reason) => {
            return Err(Refusal::Final(crate::i18n::reference_with(
                "delivery.closed",
                &[
                    ("structure", structure.name.clone().into()),
                    ("area", title()),
                    (
                        "reason",
                        crate::i18n::both(
                            &reason.text(crate::i18n::Lang::Fr),
                            &reason.text(crate::i18n::Lang::En),
                        ),
                    ),
                ],
            )));
        }
    }
    let call = Call {
        request_id: format!("msg-{}", m.id),
        catalog,
        area,
        kind: CallKind::Delivery {
            structure: &structure,
            message: m,
        },
        now_ms: store.clock().now_ms(),
        // A busy sandbox is retried with the message's backoff.
        wait: Duration::ZERO,
    };
    match state.sandbox().call(call).await {
        Ok(Answer::Message(Ok(()))) => Ok(()),
        Ok(Answer::Message(Err(reason))) => {
            Err(Refusal::Retry(format!("the area refused it: {reason}")))
        }
        Ok(Answer::Page(_)) => unreachable!("a delivery answers a verdict"),
        // Full storage does not empty itself: the sender hears it now, with
        // what would help, instead of after 40 minutes of retries.
        Err(AreaFailure::StorageQuota {
            limit_mib,
            used_mib,
        }) => Err(Refusal::Final(crate::i18n::reference_with(
            QUOTA_FULL,
            &[
                ("structure", structure.name.clone().into()),
                ("area", title()),
                ("used", used_mib.to_string().into()),
                ("limit", limit_mib.to_string().into()),
            ],
        ))),
        Err(failure) => Err(Refusal::Retry(failure.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(retry_delay(1), FIRST_RETRY);
        assert_eq!(retry_delay(2), FIRST_RETRY * 2);
        assert_eq!(retry_delay(4), FIRST_RETRY * 8);
        assert_eq!(retry_delay(40), MAX_RETRY_DELAY);
    }
}
