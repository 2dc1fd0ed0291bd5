//! EDI and API connections: a structure's managers create the API clients
//! its software uses (name, areas and rights, qualification or production,
//! expiry), see each secret once, rotate it with an overlap they choose and
//! revoke a client at once. The host holds the secrets (hashes only) behind
//! the `api-clients` capability; this area never stores one.
//!
//! A client expiring within [`WARN_DAYS`] days is announced on the homepage
//! (the `attention` fact), refreshed on every change and by a daily timer.

use portico_sdk::api_clients::{self, Access, Client, Grant, Mode, NewClient};
use portico_sdk::i18n::{in_language, message};
use portico_sdk::{
    Area, Context, Error, FieldError, HostError, Message, Request, Response, View, facts, kv,
    timers,
};
use serde::Serialize;
use serde_json::{Value, json};

/// The area.
pub struct EdiApiConnections;

portico_sdk::export_area!(EdiApiConnections);

/// Days before its expiry a client is announced on the homepage.
pub const WARN_DAYS: u64 = 14;
const DAY_MS: u64 = 86_400_000;
/// Longest overlap a rotation may give, in days (the host's bound).
const MAX_OVERLAP_DAYS: u64 = 30;
/// The timer that refreshes the homepage notice.
const CHECK: &str = "expiry-check";

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `YYYY-MM-DD` → ms at the start of the next day (UTC): the date is the
/// last day the client works.
pub fn end_of_day_ms(date: &str) -> Option<u64> {
    let mut parts = date.trim().split('-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: u32 = parts.next()?.parse().ok()?;
    let d: u32 = parts.next()?.parse().ok()?;
    if parts.next().is_some() || !(1..=12).contains(&m) || !(1..=31).contains(&d) || y < 1970 {
        return None;
    }
    let days = days_from_civil(y, m, d);
    // 31 February is refused: it would silently be 3 March.
    let back = civil_from_days(days);
    if back != (y, m, d) {
        return None;
    }
    u64::try_from(days + 1).ok().map(|n| n * DAY_MS)
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// The last day a client expiring at `ms` works, `YYYY-MM-DD`.
pub fn last_day(ms: u64) -> String {
    let (y, m, d) = civil_from_days((ms.saturating_sub(1) / DAY_MS) as i64);
    format!("{y:04}-{m:02}-{d:02}")
}

#[derive(Serialize)]
struct Row {
    client: Client,
    status: &'static str,
    last_day: String,
    /// Titles of its areas with their access.
    grants: Vec<(String, &'static str)>,
}

fn status(c: &Client, now: u64) -> &'static str {
    if c.revoked_ms.is_some() {
        "revoked"
    } else if now >= c.expires_ms {
        "expired"
    } else if c.expires_ms - now <= WARN_DAYS * DAY_MS {
        "expiring"
    } else {
        "active"
    }
}

fn access_word(a: Access) -> &'static str {
    match a {
        Access::Read => "read",
        Access::ReadWrite => "read-write",
    }
}

/// The page: the clients, and the form to create one.
fn page(cx: &Context) -> Result<View, Error> {
    let now = cx.now_ms;
    let areas = api_clients::grantable()?;
    let title_of = |id: &str| {
        areas
            .iter()
            .find(|a| a.id == id)
            .map_or_else(|| id.to_owned(), |a| a.title.clone())
    };
    let mut rows: Vec<Row> = api_clients::list()?
        .into_iter()
        .map(|c| Row {
            status: status(&c, now),
            last_day: last_day(c.expires_ms),
            grants: c
                .grants
                .iter()
                .map(|g| (title_of(&g.area), access_word(g.access)))
                .collect(),
            client: c,
        })
        .collect();
    rows.reverse(); // newest first
    View::new(
        "clients.html",
        &message("title", &[]),
        &json!({
            "clients": rows,
            "areas": areas,
            "default_expiry": last_day(now + 365 * DAY_MS),
            "token_url": "/oauth/token",
            "api_base": format!("/api/v1/s/{}", cx.structure.as_ref().map_or("", |s| s.id.as_str())),
            "warn_days": WARN_DAYS,
        }),
    )
}

/// The secret, shown once (never stored, never in a URL).
fn secret_view(
    cx: &Context,
    issued: api_clients::Issued,
    rotated: bool,
) -> Result<Response, Error> {
    let structure = cx
        .structure
        .as_ref()
        .map_or("", |s| s.id.as_str())
        .to_owned();
    Ok(Response::View(View::new(
        "secret.html",
        &message("secret-title", &[]),
        &json!({
            "client": issued.client,
            "client_id": issued.client.id,
            "client_secret": issued.secret,
            "rotated": rotated,
            "last_day": last_day(issued.client.expires_ms),
            "structure": structure,
            "api_base": format!("/api/v1/s/{structure}"),
        }),
    )?))
}

/// The host's field errors for this form's fields.
fn host_fields(e: &HostError) -> Option<Vec<FieldError>> {
    match e {
        HostError::Invalid(fields) => Some(fields.clone()),
        _ => None,
    }
}

fn create(cx: &Context, req: &Request) -> Result<Response, Error> {
    let areas = api_clients::grantable()?;
    let mut errors = Vec::new();
    let name = req.form_value("name").unwrap_or("").trim().to_owned();
    if name.is_empty() {
        errors.push(FieldError::new("name", message("name-required", &[])));
    }
    let mut grants = Vec::new();
    for a in &areas {
        match req.form_value(&format!("grant.{}", a.id)).unwrap_or("none") {
            "read" => grants.push(Grant {
                area: a.id.clone(),
                access: Access::Read,
            }),
            "read-write" => grants.push(Grant {
                area: a.id.clone(),
                access: Access::ReadWrite,
            }),
            "none" | "" => {}
            other => errors.push(FieldError::new(
                "grants",
                message("grant-unknown", &[("value", other)]),
            )),
        }
    }
    if grants.is_empty() {
        errors.push(FieldError::new("grants", message("grants-required", &[])));
    }
    let mode = match req.form_value("mode").unwrap_or("") {
        "qualification" => Some(Mode::Qualification),
        "production" => Some(Mode::Production),
        _ => {
            errors.push(FieldError::new("mode", message("mode-required", &[])));
            None
        }
    };
    let expires = req.form_value("expires").unwrap_or("");
    let expires_ms = end_of_day_ms(expires);
    if expires_ms.is_none() {
        errors.push(FieldError::new(
            "expires",
            message("expires-format", &[("value", expires)]),
        ));
    }
    if let (true, Some(mode), Some(expires_ms)) = (errors.is_empty(), mode, expires_ms) {
        match api_clients::create(&NewClient {
            name,
            grants,
            mode,
            expires_ms,
        }) {
            Ok(issued) => {
                refresh_notice(cx)?;
                return secret_view(cx, issued, false);
            }
            Err(e) => match host_fields(&e) {
                Some(fields) => errors.extend(fields),
                None => return Err(e.into()),
            },
        }
    }
    Ok(Response::invalid(
        message("form-invalid", &[]),
        errors,
        page(cx)?,
    ))
}

fn rotate(cx: &Context, req: &Request) -> Result<Response, Error> {
    let id = req.form_value("id").unwrap_or("");
    let days = req.form_value("overlap").unwrap_or("").trim();
    let Some(days) = days.parse::<u64>().ok().filter(|d| *d <= MAX_OVERLAP_DAYS) else {
        let max = MAX_OVERLAP_DAYS.to_string();
        return Ok(Response::invalid(
            message("form-invalid", &[]),
            vec![FieldError::new(
                "overlap",
                message("overlap-format", &[("value", days), ("max", &max)]),
            )],
            page(cx)?,
        ));
    };
    match api_clients::rotate(id, cx.now_ms + days * DAY_MS) {
        Ok(issued) => {
            refresh_notice(cx)?;
            secret_view(cx, issued, true)
        }
        Err(HostError::NotFound(_)) => Ok(Response::not_found()),
        Err(e) => match host_fields(&e) {
            Some(fields) => Ok(Response::invalid(
                message("form-invalid", &[]),
                fields,
                page(cx)?,
            )),
            None => Err(e.into()),
        },
    }
}

fn revoke(cx: &Context, req: &Request) -> Result<Response, Error> {
    match api_clients::revoke(req.form_value("id").unwrap_or("")) {
        Ok(_) => {
            refresh_notice(cx)?;
            Ok(Response::redirect(cx.href("/")))
        }
        Err(HostError::NotFound(_)) => Ok(Response::not_found()),
        Err(e) => Err(e.into()),
    }
}

fn both(key: &str, args: &[(&str, &str)]) -> (String, String) {
    let text = message(key, args);
    let [(_, fr), (_, en)] = <EdiApiConnections as Area>::messages() else {
        return (text.clone(), text);
    };
    (
        in_language(&text, "fr", Some(fr)),
        in_language(&text, "en", Some(en)),
    )
}

/// Publishes the homepage notice of clients expiring within [`WARN_DAYS`]
/// days, and schedules the next check: when the next client enters that
/// window, or a day from now while one is in it (its notice says how long
/// is left; an expired client leaves it).
fn refresh_notice(cx: &Context) -> Result<(), Error> {
    let now = cx.now_ms;
    let clients = api_clients::list()?;
    let mut items: Vec<Value> = Vec::new();
    let mut next: Option<u64> = None;
    for c in clients.iter().filter(|c| c.active(now)) {
        let warn_at = c.expires_ms.saturating_sub(WARN_DAYS * DAY_MS);
        if now >= warn_at {
            let (fr, en) = both(
                "notice-expiring",
                &[("name", &c.name), ("date", &last_day(c.expires_ms))],
            );
            items.push(json!({ "href": "/", "tone": "warning", "fr": fr, "en": en }));
            next = Some(next.map_or(now + DAY_MS, |n| n.min(now + DAY_MS)));
        } else {
            next = Some(next.map_or(warn_at, |n| n.min(warn_at)));
        }
    }
    if items.is_empty() {
        facts::clear("attention")?;
    } else {
        facts::set_json("attention", &json!({ "items": items }))?;
    }
    // One pending check at a time.
    if let Some(old) = kv::get_json::<String>("check-timer")? {
        timers::cancel(&old)?;
    }
    match next {
        Some(at) => kv::set_json("check-timer", &timers::at(at, CHECK, "")?)?,
        None => {
            kv::delete("check-timer")?;
        }
    }
    Ok(())
}

impl Area for EdiApiConnections {
    fn templates() -> &'static [(&'static str, &'static str)] {
        &[
            ("clients.html", include_str!("../templates/clients.html")),
            ("secret.html", include_str!("../templates/secret.html")),
        ]
    }

    fn messages() -> &'static [(&'static str, &'static str)] {
        portico_sdk::messages!()
    }

    fn handle(cx: &Context, req: &Request) -> Result<Response, Error> {
        match (req.is_post(), req.path.as_str()) {
            (false, "/") => Ok(Response::View(page(cx)?)),
            (true, "/create") => create(cx, req),
            (true, "/rotate") => rotate(cx, req),
            (true, "/revoke") => revoke(cx, req),
            _ => Ok(Response::not_found()),
        }
    }

    fn on_message(cx: &Context, msg: &Message) -> Result<(), Error> {
        if msg.is_timer(cx) && msg.kind == CHECK {
            // `api-clients.list` answers this area's own timers.
            return refresh_notice(cx);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_and_impossible_ones_are_refused() {
        let ms = end_of_day_ms("2026-12-31").unwrap();
        assert_eq!(last_day(ms), "2026-12-31");
        assert_eq!(ms, 1_798_761_600_000);
        assert_eq!(end_of_day_ms("2026-02-31"), None);
        assert_eq!(end_of_day_ms("31/12/2026"), None);
        assert_eq!(last_day(end_of_day_ms("2028-02-29").unwrap()), "2028-02-29");
    }
}
