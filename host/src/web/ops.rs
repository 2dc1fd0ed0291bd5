//! The operator console (`/ops`) and the Prometheus endpoint (`/metrics`).
//!
//! `/ops` is for operator accounts only (`portico operator add EMAIL`):
//! anonymous visitors are sent to sign in, other accounts get 403.
//! `/metrics` carries no personal or tenant data (area ids and counters
//! only), but it is not open: on the main address it answers only a scraper
//! presenting `serve --metrics-token` as a bearer token; `serve
//! --metrics-listen ADDR` serves it on a separate address instead.

use super::security::RequestId;
use super::{AppError, AppState};
use crate::ops::metrics::{AreaStats, LATENCY_BUCKETS};
use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use minijinja::context;
use serde::Serialize;
use std::fmt::Write as _;

/// One row of the console's area table.
#[derive(Serialize)]
struct AreaRow {
    id: String,
    title: String,
    version: String,
    api_version: String,
    scope: &'static str,
    capabilities: String,
    limits: String,
    loaded: bool,
    load_state: String,
    calls: u64,
    errors: u64,
    traps: u64,
    busy: u64,
    p50: String,
    p95: String,
    p99: String,
    last_error: Option<String>,
}

fn ms(q: Option<f64>) -> String {
    match q {
        None => "–".into(),
        Some(s) if s.is_infinite() => format!(
            "> {} ms",
            LATENCY_BUCKETS[LATENCY_BUCKETS.len() - 1] * 1000.0
        ),
        Some(s) => format!("≤ {} ms", s * 1000.0),
    }
}

/// `GET /ops`.
pub(crate) async fn console(
    State(state): State<AppState>,
    Extension(rid): Extension<RequestId>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let Some(me) = state.signed_in(&headers)? else {
        return Ok(Redirect::to("/login?next=%2Fops").into_response());
    };
    if !me.user.operator {
        return Err(AppError::Forbidden(
            "The operator console is for operator accounts; an operator of this portal can grant access with `portico operator add`.".into(),
        ));
    }
    let catalog = state.catalog();
    let stats = state.ops().metrics().snapshot();
    let empty = AreaStats::default();
    let areas: Vec<AreaRow> = catalog
        .areas
        .iter()
        .map(|a| {
            let s = stats.get(a.spec.id.as_str()).unwrap_or(&empty);
            let (loaded, load_state, api_version) = match &a.loaded {
                Ok(l) => (
                    true,
                    format!("loaded ({})", l.area.compiled.as_str()),
                    l.area.api_version.to_string(),
                ),
                Err(e) => (false, format!("failed: {e}"), "–".into()),
            };
            AreaRow {
                id: a.spec.id.to_string(),
                title: a.spec.title.en().to_owned(),
                version: a.spec.version.to_string(),
                api_version,
                scope: match a.spec.scope {
                    crate::config::Scope::Structure => "structure",
                    crate::config::Scope::User => "user",
                },
                capabilities: a
                    .spec
                    .capabilities
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                limits: format!(
                    "{} MiB · {} ms · {} MiB stored",
                    a.spec.limits.memory_mib, a.spec.limits.timeout_ms, a.spec.limits.storage_mib
                ),
                loaded,
                load_state,
                calls: s.calls,
                errors: s.errors,
                traps: s.traps,
                busy: s.busy,
                p50: ms(s.quantile(0.5)),
                p95: ms(s.quantile(0.95)),
                p99: ms(s.quantile(0.99)),
                last_error: s
                    .last_error
                    .as_ref()
                    .map(|(at, m)| format!("{} — {m}", super::areas::format_time(*at))),
            }
        })
        .collect();
    let (generation, reloads) = {
        let log = state.ops().reloads();
        let reloads: Vec<_> = log
            .recent()
            .map(|r| {
                context! {
                    attempt => r.attempt,
                    generation => r.generation,
                    at => super::areas::format_time(r.at_ms),
                    trigger => r.trigger.as_str(),
                    ok => r.ok,
                    duration_ms => r.duration_ms,
                    changes => r.changes.join(" "),
                    errors => r.errors.clone(),
                }
            })
            .collect();
        (log.generation(), reloads)
    };
    let (flows, support) = messaging_overview(&state)?;
    let mailbox = mailbox_overview(&state);
    let hosts = hosts_overview(&state)?;
    let pages = &state.inner.pages;
    let content = pages
        .get_template("ops.html")
        .and_then(|t| {
            t.render(context! {
                areas => minijinja::Value::from(minijinja::value::Serde(&areas)),
                reloads, generation,
                slots => state.ops().sandbox_slots(),
                slots_in_use => state.sandbox_slots_in_use(),
                now => super::areas::format_time(state.clock().now_ms()),
                flows, support, mailbox,
                mail_to => state.mailer().describe(),
                timers => pending_timers(&state)?,
                timers_shown => CONSOLE_TIMERS,
                clock_offset => clock_offset(&state),
                clock_env => crate::clock::TEST_CLOCK_ENV,
                hosts => hosts.rows,
                hosts_live => hosts.live,
                catalogues_differ => hosts.catalogues_differ,
                this_host => crate::hosts::id(),
                leases => hosts.leases,
            })
        })
        .map_err(|e| AppError::Internal(anyhow::anyhow!("rendering ops.html: {e}")))?;
    let page = pages
        .get_template("layout.html")
        .and_then(|t| {
            t.render(context! {
                title => crate::i18n::tr("ops.title", &[]),
                user => context! { first_name => me.user.first_name.clone() },
                content => minijinja::Value::from_safe_string(content),
                request_id => rid.0,
                __portico_csrf => me.host_form_token(),
            })
        })
        .map_err(|e| AppError::Internal(anyhow::anyhow!("rendering the layout: {e}")))?;
    Ok(Html(page).into_response())
}

/// Messages of the mailbox shown on the console.
const CONSOLE_MAIL: usize = 20;

/// The newest messages of the mailbox (when no SMTP server is configured):
/// the demo's and the tests' way to follow emailed links.
fn mailbox_overview(state: &AppState) -> Vec<minijinja::Value> {
    let Some(mailbox) = state.mailer().mailbox() else {
        return Vec::new();
    };
    match mailbox.list(CONSOLE_MAIL) {
        Ok(list) => list
            .into_iter()
            .map(|m| {
                context! {
                    at => super::areas::format_time(m.at_ms),
                    to => m.to, subject => m.subject, text => m.text,
                }
            })
            .collect(),
        Err(e) => {
            tracing::warn!(error = %e, "cannot list the mailbox");
            Vec::new()
        }
    }
}

/// Flows shown on the console.
const CONSOLE_FLOWS: usize = 50;
/// Pending timers shown on the console, soonest first.
const CONSOLE_TIMERS: usize = 50;

/// The soonest pending timers (contract 1.1.0), as console rows.
fn pending_timers(state: &AppState) -> Result<Vec<minijinja::Value>, minijinja::Error> {
    let timers = state.store().pending_timers(CONSOLE_TIMERS).map_err(|e| {
        minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, e.to_string())
    })?;
    Ok(timers
        .into_iter()
        .map(|t| {
            context! {
                due => super::areas::format_time(t.due_ms),
                created => super::areas::format_time(t.created_ms),
                owner => format!("{} / {}", t.message.to_structure, t.message.to_area),
                kind => t.message.kind,
                id => t.message.id,
            }
        })
        .collect())
}

/// The hosts serving this portal (their heartbeats) and the destinations
/// being delivered (their leases).
struct HostsOverview {
    rows: Vec<minijinja::Value>,
    live: usize,
    catalogues_differ: bool,
    leases: Vec<minijinja::Value>,
}

fn hosts_overview(state: &AppState) -> Result<HostsOverview, AppError> {
    use crate::store::HOST_LIVE_MS;
    let now = state.clock().now_ms();
    let me = crate::hosts::id();
    let hosts = state.store().hosts()?;
    let live: Vec<_> = hosts
        .iter()
        .filter(|h| h.id == me || now.saturating_sub(h.last_seen_ms) < HOST_LIVE_MS)
        .collect();
    let catalogues_differ = live.iter().any(|h| h.catalogue != live[0].catalogue);
    let rows = hosts
        .iter()
        .map(|h| {
            let gone = now.saturating_sub(h.last_seen_ms);
            context! {
                id => h.id.clone(),
                me => h.id == me,
                live => h.id == me || gone < HOST_LIVE_MS,
                gone_secs => gone / 1000,
                address => h.address.clone(),
                version => h.version.clone(),
                generation => h.generation,
                catalogue => h.catalogue.clone(),
                areas => h.areas,
                started => super::areas::format_time(h.started_ms),
                last_seen => super::areas::format_time(h.last_seen_ms),
            }
        })
        .collect();
    let leases = state
        .store()
        .leases()?
        .into_iter()
        .filter(|l| l.lease.expires_ms > now)
        .map(|l| {
            context! {
                destination => format!("{} / {}", l.structure, l.area),
                host => l.lease.host,
                until => super::areas::format_time(l.lease.expires_ms),
            }
        })
        .collect();
    Ok(HostsOverview {
        rows,
        live: live.len(),
        catalogues_differ,
        leases,
    })
}

/// How far a test clock was moved, shown so nobody mistakes it for real time.
fn clock_offset(state: &AppState) -> Option<String> {
    let clock = state.clock();
    clock
        .is_movable()
        .then(|| format!("{} s", clock.offset().as_secs()))
}

/// Support requests shown on the console.
const CONSOLE_SUPPORT: usize = 200;

/// The newest message flows, and the requests areas addressed to platform
/// support (Sent requests keeps them as `req/…` with `to: "support"`).
fn messaging_overview(
    state: &AppState,
) -> Result<(Vec<minijinja::Value>, Vec<minijinja::Value>), AppError> {
    let flows = state
        .store()
        .recent_flows(CONSOLE_FLOWS)?
        .into_iter()
        .map(|f| {
            context! {
                at => super::areas::format_time(f.created_ms),
                from => format!("{} / {}", f.from_structure, f.from_area),
                to => format!("{} / {}", f.to_structure, f.to_area),
                kind => f.kind, attempts => f.attempts,
                state => format!("{:?}", f.state).to_lowercase(),
                error => f.last_error,
            }
        })
        .collect();
    let support = state
        .store()
        .kv_scan_area("sent-requests", "req/", CONSOLE_SUPPORT)?
        .into_iter()
        .filter_map(|(owner, _, v)| serde_json::from_slice::<serde_json::Value>(&v).ok().map(|t| (owner, t)))
        .filter(|(_, t)| t["to"] == "support")
        .map(|(owner, t)| {
            context! {
                structure => format!("{} ({owner})", t["from_name"].as_str().unwrap_or("")),
                subject => t["subject"].as_str().unwrap_or("").to_string(),
                category => format!("{} — {}", t["category"].as_str().unwrap_or(""), t["sub_category"].as_str().unwrap_or("")),
                status => t["status"].as_str().unwrap_or("").to_string(),
                text => t["thread"][0]["text"].as_str().unwrap_or("").to_string(),
            }
        })
        .collect();
    Ok((flows, support))
}

/// Escapes a Prometheus label value.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// One metric without labels: its help, its type and its value.
fn single(w: &mut String, name: &str, kind: &str, help: &str, value: impl std::fmt::Display) {
    let _ = writeln!(w, "# HELP {name} {help}");
    let _ = writeln!(w, "# TYPE {name} {kind}");
    let _ = writeln!(w, "{name} {value}");
}

/// `GET /metrics`: Prometheus text exposition format 0.0.4.
/// `GET /metrics` on the main address: the bearer token, or nothing.
pub(crate) async fn guarded_metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(expected) = state.inner.edge.metrics_token.as_deref() else {
        return AppError::Forbidden(
            "/metrics is not served on this address. Start Portico with --metrics-token (then scrape with that bearer token) or --metrics-listen ADDR.".into(),
        )
        .into_response();
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if !crate::auth::csrf_matches(expected, given.trim()) {
        let mut r = AppError::Unauthorized(
            "/metrics needs the scraper's bearer token (Authorization: Bearer …), as given to --metrics-token.".into(),
        )
        .into_response();
        r.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return r;
    }
    metrics(State(state)).await
}

/// The metrics themselves (`metrics_app` serves this unguarded).
pub(crate) async fn metrics(State(state): State<AppState>) -> Response {
    let mut out = String::new();
    let (generation, attempts, last_ok) = {
        let log = state.ops().reloads();
        (
            log.generation(),
            log.attempts(),
            log.last().is_none_or(|r| r.ok),
        )
    };
    let catalog = state.catalog();
    let w = &mut out;
    single(
        w,
        "portico_catalog_generation",
        "gauge",
        "Catalog generation serving (1 = startup; +1 per successful reload).",
        generation,
    );
    single(
        w,
        "portico_reload_attempts_total",
        "counter",
        "Catalog builds attempted (startup included), successful or not.",
        attempts,
    );
    single(
        w,
        "portico_last_reload_success",
        "gauge",
        "1 if the last reload attempt succeeded, 0 if the previous catalog kept serving.",
        u8::from(last_ok),
    );
    let _ = writeln!(
        w,
        "# HELP portico_area_loaded 1 per area of the catalog whose plugin loaded, 0 if it failed."
    );
    let _ = writeln!(w, "# TYPE portico_area_loaded gauge");
    for a in &catalog.areas {
        let _ = writeln!(
            w,
            "portico_area_loaded{{area=\"{}\",version=\"{}\"}} {}",
            label(a.spec.id.as_str()),
            label(&a.spec.version.to_string()),
            u8::from(a.loaded.is_ok())
        );
    }
    single(
        w,
        "portico_sandbox_slots",
        "gauge",
        "Concurrent sandboxed calls allowed.",
        state.ops().sandbox_slots(),
    );
    single(
        w,
        "portico_sandbox_slots_in_use",
        "gauge",
        "Sandboxed calls running now.",
        state.sandbox_slots_in_use(),
    );
    let cache = state.page_cache();
    let (hits, misses) = cache.counts();
    single(
        w,
        "portico_page_cache_hits_total",
        "counter",
        "Pages served from the page cache (areas with page-cache-s).",
        hits,
    );
    single(
        w,
        "portico_page_cache_misses_total",
        "counter",
        "Pages of such areas built again: none kept, or the kept one no longer true.",
        misses,
    );
    single(
        w,
        "portico_page_cache_bytes",
        "gauge",
        "Memory the kept pages take (--page-cache-mib bounds it).",
        cache.bytes(),
    );
    let stats = state.ops().metrics().snapshot();
    for (name, help, get) in [
        (
            "portico_area_calls_total",
            "Sandboxed calls per area.",
            (|s: &AreaStats| s.calls) as fn(&AreaStats) -> u64,
        ),
        (
            "portico_area_errors_total",
            "Calls answered with an error panel.",
            |s| s.errors,
        ),
        (
            "portico_area_traps_total",
            "Calls stopped by the sandbox (timeout, memory, stack, crash).",
            |s| s.traps,
        ),
        (
            "portico_area_busy_total",
            "Requests refused with 503: every sandbox slot busy.",
            |s| s.busy,
        ),
    ] {
        let _ = writeln!(w, "# HELP {name} {help}");
        let _ = writeln!(w, "# TYPE {name} counter");
        for (area, s) in &stats {
            let _ = writeln!(w, "{name}{{area=\"{}\"}} {}", label(area), get(s));
        }
    }
    let name = "portico_area_call_duration_seconds";
    let _ = writeln!(w, "# HELP {name} Duration of sandboxed calls.");
    let _ = writeln!(w, "# TYPE {name} histogram");
    for (area, s) in &stats {
        let area = label(area);
        let mut cumulative = 0;
        for (i, le) in LATENCY_BUCKETS.iter().enumerate() {
            cumulative += s.buckets[i];
            let _ = writeln!(
                w,
                "{name}_bucket{{area=\"{area}\",le=\"{le}\"}} {cumulative}"
            );
        }
        cumulative += s.buckets[LATENCY_BUCKETS.len()];
        let _ = writeln!(
            w,
            "{name}_bucket{{area=\"{area}\",le=\"+Inf\"}} {cumulative}"
        );
        let _ = writeln!(w, "{name}_sum{{area=\"{area}\"}} {}", s.seconds_sum);
        let _ = writeln!(w, "{name}_count{{area=\"{area}\"}} {cumulative}");
    }
    let mut r = out.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    r
}
