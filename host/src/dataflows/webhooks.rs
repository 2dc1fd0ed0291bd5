//! Webhooks: signed notifications of a structure's flow results and invoice
//! status changes to the URLs its API clients registered, retried with
//! exponential backoff from a durable queue (`WebhookQueue`), every attempt
//! kept in a log the Data flow overview shows.
//!
//! - Signature (as Stripe does): header
//!   `Portico-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`;
//!   the receiver recomputes it over the raw body and refuses an old `t`.
//! - Body: `{"id", "type", "created-ms", "structure", "data"}`; `id` is the
//!   same on every retry of one delivery (receivers ignore one they saw).
//! - Addresses: `https://` only, to public addresses (checked on the URL's
//!   literal and on every address its name resolves to, at each delivery).
//!   Loopback (`http://127.0.0.1:…`, `localhost`, `[::1]`) is accepted only
//!   when the server runs with `PORTICO_WEBHOOKS_ALLOW_LOOPBACK=1` (tests,
//!   a developer's machine); private networks never.
//! - The client: [`TIMEOUT`] per attempt, redirects never followed (a 3xx
//!   is a failure), the answer's body not read.
//! - Time: the store's clock, so tests move it instead of sleeping.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use crate::auth::form_token::hmac_sha256;
use crate::store::Store;
use crate::store::dataflows::{Webhook, WebhookItem, WebhookLogEntry};

/// Set to `1` to accept loopback webhook URLs (tests, local development).
pub const ALLOW_LOOPBACK_ENV: &str = "PORTICO_WEBHOOKS_ALLOW_LOOPBACK";
/// One attempt's deadline (connect, send, answer headers).
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// Delay before the first retry; doubles each time.
pub const FIRST_RETRY: Duration = Duration::from_secs(10);
/// Longest delay between attempts.
pub const MAX_RETRY: Duration = Duration::from_secs(3600);
/// Attempts before a delivery is given up (about 10 hours of retries).
pub const MAX_ATTEMPTS: u32 = 12;
/// How often the worker looks at the queue.
const POLL: Duration = Duration::from_millis(100);

/// Set by in-process tests (the environment cannot be changed safely
/// from a running test).
static LOOPBACK_FOR_TESTS: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

/// Whether loopback URLs are accepted on this server.
pub fn loopback_allowed() -> bool {
    LOOPBACK_FOR_TESTS.load(std::sync::atomic::Ordering::Relaxed)
        || std::env::var(ALLOW_LOOPBACK_ENV).is_ok_and(|v| v == "1")
}

/// Tests only: accept loopback URLs in this process.
#[cfg(test)]
pub(crate) fn allow_loopback_for_tests() {
    LOOPBACK_FOR_TESTS.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// Whether `ip` is on the public internet.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_unspecified()
                || v4.is_multicast()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1]))
                || (o[0] == 198 && (18..20).contains(&o[1]))
                || o[0] >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let s = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || s[0] == 0x2001 && s[1] == 0x0db8)
        }
    }
}

fn allowed(ip: IpAddr, loopback: bool) -> bool {
    is_public(ip) || (loopback && ip.is_loopback())
}

/// Checks a webhook URL as a client gives it; the error says what would be right.
pub fn check_url(url: &str, loopback: bool) -> Result<reqwest::Url, String> {
    let parsed = reqwest::Url::parse(url.trim()).map_err(|e| {
        format!("`{url}` is not a URL ({e}); give e.g. https://erp.example.fr/portico/events")
    })?;
    if url.len() > 2000 {
        return Err("a webhook URL is at most 2000 characters".into());
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("a webhook URL carries no user name or password: the signature authenticates the portal".into());
    }
    if parsed.fragment().is_some() {
        return Err("a webhook URL has no #fragment".into());
    }
    let is_loopback_host = match parsed.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => return Err(format!("`{url}` names no host")),
    };
    if is_loopback_host {
        if !loopback {
            return Err(format!(
                "`{url}` is a loopback address; this portal accepts them only when it runs with {ALLOW_LOOPBACK_ENV}=1 (tests); give a public https URL"
            ));
        }
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err("a webhook URL starts with https://".into());
        }
        return Ok(parsed);
    }
    if parsed.scheme() != "https" {
        return Err(format!(
            "`{url}` is not https; notifications carry invoice data and go only to https:// URLs"
        ));
    }
    let literal = match parsed.host() {
        Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
        _ => None,
    };
    if let Some(ip) = literal
        && !is_public(ip)
    {
        return Err(format!(
            "`{url}` is a private address; notifications go only to public addresses"
        ));
    }
    Ok(parsed)
}

/// Resolves names to public addresses only (loopback when allowed): a name
/// that points into a private network is refused at every delivery, not
/// only at registration.
struct PublicOnly {
    loopback: bool,
}

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let loopback = self.loopback;
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| allowed(a.ip(), loopback))
                .collect();
            if addrs.is_empty() {
                return Err(format!("{host} resolves to no public address").into());
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The signature header's value for `body` sent at `t` (unix seconds).
pub fn signature(secret: &str, t: u64, body: &str) -> String {
    let mac = hmac_sha256(secret.as_bytes(), format!("{t}.{body}").as_bytes());
    format!("t={t},v1={}", hex::encode(mac))
}

/// A new signing secret: 256 random bits.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    let _ = getrandom::fill(&mut bytes);
    format!("whsec_{}", hex::encode(bytes))
}

/// The delay before attempt `attempts + 1`.
pub fn retry_delay(attempts: u32) -> Duration {
    FIRST_RETRY
        .saturating_mul(2u32.saturating_pow(attempts.saturating_sub(1)))
        .min(MAX_RETRY)
}

/// Starts the worker on the current runtime.
pub fn spawn(store: Store) {
    let loopback = loopback_allowed();
    if loopback {
        tracing::warn!("{ALLOW_LOOPBACK_ENV}=1: webhooks may be delivered to loopback addresses");
    }
    let client = match reqwest::Client::builder()
        .timeout(TIMEOUT)
        .connect_timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent("Portico-Webhooks/1")
        .dns_resolver(Arc::new(PublicOnly { loopback }))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "webhooks: the HTTP client could not be built; no notification will be sent");
            return;
        }
    };
    tokio::spawn(async move {
        loop {
            if pass(&store, &client, loopback).await == 0 {
                tokio::time::sleep(POLL).await;
            }
        }
    });
}

/// One look at the queue; returns how many items it handled.
async fn pass(store: &Store, client: &reqwest::Client, loopback: bool) -> usize {
    let items = match store.webhook_queue(50) {
        Ok(i) => i,
        Err(e) => {
            tracing::error!(error = %e, "webhooks: reading the queue failed");
            return 0;
        }
    };
    let mut done = 0;
    for item in items {
        if item.next_attempt_ms > store.clock().now_ms() {
            break; // the queue is sorted by due time
        }
        let result = match &item.webhook {
            None => fan_out(store, &item).await,
            Some(id) => deliver(store, client, loopback, &item, id).await,
        };
        if let Err(e) = result {
            tracing::error!(item = %item.id, error = %e, "webhooks: recording failed");
            return done;
        }
        done += 1;
    }
    done
}

async fn blocking<T: Send + 'static>(
    store: &Store,
    f: impl FnOnce(&Store) -> Result<T, crate::store::StoreError> + Send + 'static,
) -> Result<T, crate::store::StoreError> {
    let store = store.clone();
    tokio::task::spawn_blocking(move || f(&store))
        .await
        .unwrap_or_else(|e| Err(crate::store::StoreError::Backend(e.to_string())))
}

async fn fan_out(store: &Store, event: &WebhookItem) -> Result<(), crate::store::StoreError> {
    let event = event.clone();
    blocking(store, move |s| {
        let hooks = s.webhooks(&event.structure)?;
        s.webhook_fan_out(&event, &hooks)
    })
    .await
}

/// The JSON body of a delivery.
fn envelope(item: &WebhookItem) -> String {
    let data: serde_json::Value = serde_json::from_str(&item.body).unwrap_or_default();
    serde_json::json!({
        "id": format!("evt_{}", item.id.get(14..).unwrap_or(&item.id)),
        "type": item.event,
        "created-ms": item.created_ms,
        "structure": item.structure,
        "data": data,
    })
    .to_string()
}

async fn deliver(
    store: &Store,
    client: &reqwest::Client,
    loopback: bool,
    item: &WebhookItem,
    hook_id: &str,
) -> Result<(), crate::store::StoreError> {
    let now = store.clock().now_ms();
    let attempt = item.attempts + 1;
    let hook: Option<Webhook> = store.webhook(&item.structure, hook_id)?;
    let mut entry = WebhookLogEntry {
        at_ms: now,
        event: item.event.clone(),
        webhook: hook_id.to_string(),
        url: hook.as_ref().map(|h| h.url.clone()).unwrap_or_default(),
        status: None,
        attempt,
        error: None,
        settled: true,
        delivery: item.id.get(14..).unwrap_or(&item.id).to_string(),
    };
    let Some(hook) = hook else {
        entry.error = Some("the webhook was removed; not sent".into());
        let item = item.clone();
        return blocking(store, move |s| s.webhook_attempted(&item, &entry, None)).await;
    };
    let outcome = match check_url(&hook.url, loopback) {
        Err(e) => Err(e),
        Ok(url) => {
            let body = envelope(item);
            let t = now / 1000;
            let sent = client
                .post(url)
                .header("content-type", "application/json")
                .header("portico-signature", signature(&hook.secret, t, &body))
                .header("portico-event", &item.event)
                .header("portico-delivery", &entry.delivery)
                .body(body)
                .send()
                .await;
            match sent {
                Ok(r) => {
                    let status = r.status();
                    entry.status = Some(status.as_u16());
                    if status.is_success() {
                        Ok(())
                    } else if status.is_redirection() {
                        Err(format!("answered {status}; redirects are not followed"))
                    } else {
                        Err(format!("answered {status}"))
                    }
                }
                Err(e) if e.is_timeout() => {
                    Err(format!("no answer within {} s", TIMEOUT.as_secs()))
                }
                Err(e) => Err(format!("could not be reached: {}", root_cause(&e))),
            }
        }
    };
    let retry_at = match outcome {
        Ok(()) => {
            tracing::info!(webhook = %hook.id, event = %item.event, attempt, "webhook delivered");
            None
        }
        Err(why) => {
            entry.error = Some(why.clone());
            if attempt < MAX_ATTEMPTS {
                entry.settled = false;
                let at = now + retry_delay(attempt).as_millis() as u64;
                tracing::warn!(webhook = %hook.id, event = %item.event, attempt, %why, "webhook failed; will retry");
                Some(at)
            } else {
                entry.error = Some(format!("gave up after {attempt} attempts: {why}"));
                tracing::warn!(webhook = %hook.id, event = %item.event, attempt, %why, "webhook given up");
                None
            }
        }
    };
    let item = item.clone();
    blocking(store, move |s| s.webhook_attempted(&item, &entry, retry_at)).await
}

fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_https_and_public_unless_loopback_is_allowed() {
        assert!(check_url("https://erp.example.fr/hook", false).is_ok());
        assert!(
            check_url("http://erp.example.fr/hook", false)
                .unwrap_err()
                .contains("not https")
        );
        assert!(
            check_url("https://10.0.0.5/hook", false)
                .unwrap_err()
                .contains("private")
        );
        assert!(
            check_url("https://[fd00::1]/hook", false)
                .unwrap_err()
                .contains("private")
        );
        assert!(
            check_url("https://169.254.169.254/latest", false)
                .unwrap_err()
                .contains("private")
        );
        assert!(
            check_url("http://127.0.0.1:9/hook", false)
                .unwrap_err()
                .contains("loopback")
        );
        assert!(check_url("http://127.0.0.1:9/hook", true).is_ok());
        assert!(check_url("http://localhost:9/hook", true).is_ok());
        assert!(
            check_url("https://user:pw@erp.example.fr/", false)
                .unwrap_err()
                .contains("no user name")
        );
        assert!(check_url("ftp://erp.example.fr/", false).is_err());
    }

    #[test]
    fn the_signature_is_hmac_over_time_dot_body() {
        let s = signature("whsec_test", 1_700_000_000, "{\"a\":1}");
        let mac = hmac_sha256(b"whsec_test", b"1700000000.{\"a\":1}");
        assert_eq!(s, format!("t=1700000000,v1={}", hex::encode(mac)));
    }

    #[test]
    fn backoff_doubles_to_an_hour() {
        assert_eq!(retry_delay(1), FIRST_RETRY);
        assert_eq!(retry_delay(3), FIRST_RETRY * 4);
        assert_eq!(retry_delay(30), MAX_RETRY);
    }
}
