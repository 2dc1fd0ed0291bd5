//! Data flow overview (Suivi des flux): every flow of the structure — files
//! of invoices deposited by its software through the API or by a person
//! here — with its status in plain words, filters by date, status and
//! client, each flow's detailed report (every invoice: its number,
//! recipient and either its invoice id or its errors, each with how to fix
//! it), the original file, a chart of the last 90 days, and the log of the
//! webhook notifications sent.
//!
//! The host owns the flows (`flows` import, scoped to the current
//! structure); this area keeps nothing of its own.

use portico_sdk::{Area, Context, Error, FieldError, Request, Response, View, flows, i18n};
use serde_json::{Value, json};

/// The Data flow overview area.
pub struct DataFlowOverview;

portico_sdk::export_area!(DataFlowOverview);

const DAY_MS: u64 = 86_400_000;
/// The chart's window.
const CHART_DAYS: u64 = 91;
/// Flows shown in the list at most.
const LIST_LIMIT: u32 = 200;
/// The statuses, in the order of the filter.
const STATUSES: [&str; 5] = [
    "received",
    "in-processing",
    "integrated",
    "partially-integrated",
    "rejected",
];

impl Area for DataFlowOverview {
    fn templates() -> &'static [(&'static str, &'static str)] {
        &[
            ("list.html", include_str!("../templates/list.html")),
            ("flow.html", include_str!("../templates/flow.html")),
            (
                "notifications.html",
                include_str!("../templates/notifications.html"),
            ),
        ]
    }

    fn messages() -> &'static [(&'static str, &'static str)] {
        portico_sdk::messages!() // i18n/fr.json and i18n/en.json
    }

    fn handle(cx: &Context, req: &Request) -> Result<Response, Error> {
        let parts: Vec<&str> = req.path.trim_matches('/').split('/').collect();
        match (req.is_post(), parts.as_slice()) {
            (false, [""]) => Ok(Response::View(list(cx, req, None)?)),
            (true, ["deposit"]) => deposit(cx, req),
            (false, ["flow", id]) => flow(cx, id),
            (false, ["flow", id, "original"]) => match flows::original(id)? {
                Some(d) => Ok(Response::Download(d)),
                None => Ok(Response::not_found()),
            },
            (false, ["notifications"]) => notifications(),
            _ => Ok(Response::not_found()),
        }
    }
}

/// Whether the reader reads French.
fn french(cx: &Context) -> bool {
    cx.locale.starts_with("fr")
}

/// The reader's language out of a `{fr, en}` object.
fn pick(cx: &Context, v: &Value) -> String {
    let lang = if french(cx) { "fr" } else { "en" };
    v[lang].as_str().unwrap_or_default().to_string()
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date (Howard Hinnant's algorithm).
pub fn parse_date(s: &str) -> Option<u64> {
    let mut it = s.trim().splitn(3, '-');
    let y: i64 = it.next()?.parse().ok()?;
    let m: i64 = it.next()?.parse().ok()?;
    let d: i64 = it.next()?.parse().ok()?;
    if !(1970..=9999).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let back = portico_sdk::time::format_date((days as u64) * DAY_MS);
    // 2026-02-31 is not a date: it must read back as written.
    (back == format!("{:04}-{:02}-{:02}", if m <= 2 { y + 1 } else { y }, m, d))
        .then_some(days as u64)
}

fn list(cx: &Context, req: &Request, problems: Option<Vec<Value>>) -> Result<View, Error> {
    let q = |n: &str| req.query_value(n).unwrap_or("").trim().to_string();
    let (from, to, status, client) = (q("from"), q("to"), q("status"), q("client"));
    let mut filter_errors = Vec::new();
    let from_ms = if from.is_empty() {
        0
    } else {
        match parse_date(&from) {
            Some(d) => d * DAY_MS,
            None => {
                filter_errors.push(i18n::message("filter.bad-date", &[("value", &from)]));
                0
            }
        }
    };
    let to_ms = if to.is_empty() {
        u64::MAX / 2
    } else {
        match parse_date(&to) {
            Some(d) => (d + 1) * DAY_MS,
            None => {
                filter_errors.push(i18n::message("filter.bad-date", &[("value", &to)]));
                u64::MAX / 2
            }
        }
    };
    let status_filter = STATUSES
        .contains(&status.as_str())
        .then_some(status.as_str());
    let client_filter = (!client.is_empty()).then_some(client.as_str());
    let rows = flows::list(from_ms, to_ms, status_filter, client_filter, LIST_LIMIT)?;

    // The chart and the clients offered: the last 90 days, unfiltered.
    let today = cx.now_ms / DAY_MS;
    let start = (today + 1).saturating_sub(CHART_DAYS);
    let recent = flows::list(start * DAY_MS, u64::MAX / 2, None, None, 1000)?;
    let mut clients: Vec<String> = recent
        .iter()
        .filter(|f| f["source"] == "api")
        .filter_map(|f| f["client"].as_str().map(str::to_string))
        .collect();
    clients.sort();
    clients.dedup();
    let (weeks, days) = chart(&recent, start, today);

    View::new(
        "list.html",
        &i18n::message("title", &[]),
        &json!({
            "rows": rows,
            "filter": {"from": from, "to": to, "status": status, "client": client},
            "filter_errors": filter_errors,
            "statuses": STATUSES,
            "clients": clients,
            "weeks": weeks,
            "days": days,
            "total_recent": recent.len(),
            "limit": LIST_LIMIT,
            "problems": problems.unwrap_or_default(),
            "manager": cx.is_manager(),
        }),
    )
}

/// Thirteen weekly bars (flows, and the share of rejected invoices) and
/// the per-day figures of the text alternative, over `[start, today]`.
fn chart(recent: &[Value], start: u64, today: u64) -> (Vec<Value>, Vec<Value>) {
    let n_days = (today + 1 - start) as usize;
    let mut per_day = vec![(0u64, 0u64, 0u64); n_days]; // flows, invoices, rejected invoices
    for f in recent {
        let day = f["created-ms"].as_u64().unwrap_or(0) / DAY_MS;
        if day < start || day > today {
            continue;
        }
        let slot = &mut per_day[(day - start) as usize];
        slot.0 += 1;
        slot.1 += f["invoices"].as_u64().unwrap_or(0);
        slot.2 += f["rejected"].as_u64().unwrap_or(0);
    }
    let weeks = per_day
        .chunks(7)
        .enumerate()
        .map(|(w, chunk)| {
            let first = start + (w as u64) * 7;
            let (flows, invoices, rejected) = chunk
                .iter()
                .fold((0, 0, 0), |a, d| (a.0 + d.0, a.1 + d.1, a.2 + d.2));
            let rate = (rejected * 100 + invoices / 2)
                .checked_div(invoices)
                .unwrap_or(0);
            json!({"from": portico_sdk::time::format_date(first * DAY_MS), "flows": flows,
                   "invoices": invoices, "rejected": rejected, "rate": rate})
        })
        .collect();
    let days = per_day
        .iter()
        .enumerate()
        .filter(|(_, d)| d.0 > 0)
        .map(|(i, d)| {
            json!({"date": portico_sdk::time::format_date((start + i as u64) * DAY_MS),
                   "flows": d.0, "invoices": d.1, "rejected": d.2})
        })
        .collect();
    (weeks, days)
}

/// `POST /deposit`: a file deposited by the signed-in person.
fn deposit(cx: &Context, req: &Request) -> Result<Response, Error> {
    let Some(upload) = req.file("file").filter(|u| !u.filename.is_empty()) else {
        let view = list(cx, req, None)?;
        return Ok(Response::invalid(
            i18n::message("deposit.refused", &[]),
            vec![FieldError::new(
                "file",
                i18n::message("deposit.choose", &[]),
            )],
            view,
        ));
    };
    let qualification = req.form_value("mode") == Some("qualification");
    match flows::deposit(&upload.filename, &upload.bytes, qualification) {
        Ok(id) => Ok(Response::redirect(
            cx.href(&format!("/flow/{id}?deposited=1")),
        )),
        Err(portico_sdk::HostError::Invalid(fields)) => {
            // The host's refusals, in both languages: the reader's is shown.
            let problems: Vec<Value> = fields
                .iter()
                .map(|f| {
                    let v: Value = serde_json::from_str(&f.message)
                        .unwrap_or_else(|_| json!({"fr": f.message, "en": f.message}));
                    json!({
                        "code": v["code"],
                        "message": pick(cx, &v),
                        "fix": if french(cx) { v["fix-fr"].clone() } else { v["fix-en"].clone() },
                    })
                })
                .collect();
            let summary = problems
                .first()
                .and_then(|p| p["message"].as_str())
                .unwrap_or_default()
                .to_string();
            let view = list(cx, req, Some(problems))?;
            Ok(Response::invalid(
                i18n::message("deposit.refused", &[]),
                vec![FieldError::new("file", summary)],
                view,
            ))
        }
        Err(e) => Err(e.into()),
    }
}

fn flow(cx: &Context, id: &str) -> Result<Response, Error> {
    let Some(mut f) = flows::get(id)? else {
        return Ok(Response::not_found());
    };
    // Texts the host and Issued invoices wrote in both languages: the reader's.
    let localize = |errors: &mut Value| {
        if let Some(list) = errors.as_array_mut() {
            for e in list {
                let message = pick(cx, &e["message"]);
                let fix = pick(cx, &e["fix"]);
                e["message"] = json!(message);
                e["fix"] = json!(fix);
            }
        }
    };
    localize(&mut f["errors"]);
    if let Some(report) = f["report"].as_array_mut() {
        for inv in report {
            localize(&mut inv["errors"]);
        }
    }
    Ok(Response::View(View::new(
        "flow.html",
        &i18n::message("flow.title", &[("id", id)]),
        &json!({"flow": f}),
    )?))
}

fn notifications() -> Result<Response, Error> {
    let log = flows::deliveries(200)?;
    Ok(Response::View(View::new(
        "notifications.html",
        &i18n::message("notifications.title", &[]),
        &json!({"log": log}),
    )?))
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use portico_sdk::testing::TestHost;

    #[test]
    fn dates_parse_and_impossible_ones_do_not() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("2026-11-29"), Some(1_795_955_400_000 / DAY_MS));
        assert_eq!(
            parse_date("2024-02-29").map(|d| portico_sdk::time::format_date(d * DAY_MS)),
            Some("2024-02-29".into())
        );
        assert_eq!(parse_date("2026-02-31"), None);
        assert_eq!(parse_date("29/11/2026"), None);
    }

    #[test]
    fn the_chart_counts_flows_and_rejections_per_week() {
        let day = |d: u64| d * DAY_MS + 5;
        let recent = vec![
            json!({"created-ms": day(100), "invoices": 4, "rejected": 1}),
            json!({"created-ms": day(100), "invoices": 1, "rejected": 1}),
            json!({"created-ms": day(20), "invoices": 9, "rejected": 9}),
        ];
        let (weeks, days) = chart(&recent, 10, 100);
        assert_eq!(weeks.len(), 13);
        assert_eq!(weeks[12]["flows"], 2);
        assert_eq!(weeks[12]["rate"], 40);
        assert_eq!(weeks[1]["flows"], 1);
        assert_eq!(weeks[1]["rate"], 100);
        assert_eq!(days.len(), 2);
    }

    #[test]
    fn a_deposit_goes_to_the_host_in_the_persons_name() {
        let host = TestHost::new().grant(&["flows"]);
        let req = Request::post("/deposit", [("mode", "qualification")]).with_file(
            "file",
            "inv.xml",
            "application/xml",
            b"<Invoice/>".to_vec(),
        );
        let r = host.handle::<DataFlowOverview>(&req);
        assert!(
            r.redirect_target().is_some_and(|t| t.contains("/flow/")),
            "{r:?}"
        );
        let deposits = host.deposits();
        assert_eq!(deposits.len(), 1);
        assert_eq!(deposits[0].0, "inv.xml");
        assert!(deposits[0].2, "qualification asked");
    }
}
