//! ICT refunds request (*demande de remboursement TIC*): a farm asks, once
//! per campaign, for the partial refund of the energy taxes on the fuel it
//! bought (non-road diesel, heavy fuel oil, LPG, natural gas).
//!
//! Farm side (a private structure): `GET /` lists its requests and, for an
//! accounting firm, the requests it filed for its clients; `GET /new` the
//! form (campaign, category, RIB, fuel invoices with their copies, advances
//! already paid); `POST /save` checks it and keeps a draft whose summary
//! shows the refund line by line (`GET /request/{year}`); `POST
//! /request/{year}/send` sends it to the campaign's customs office. A second
//! request for a campaign is refused with a link to the first.
//!
//! Delegation: an accounting firm's people are linked to each farm through
//! the host's link requests, so they file in the farm's structure. The firm
//! first declares, from its own structure (`POST /mandates`), the farms it
//! files for; each farm's area is told (`mandate`, `mandate-withdrawn`).
//! A request may name a firm only if that firm declared the farm, and the
//! firm's side keeps a farm's copy (and every status) only while it files
//! for that farm; its list shows whose request is whose.
//!
//! Customs side (a public structure with the area): requests arrive as
//! `request-sent`; it accepts, adjusts the amount with a reason, or rejects
//! with a reason; the farm (and its firm) get each step as `status-changed`
//! and follow it in the event thread.
//!
//! The RIB and the invoices' copies travel to the customs with the request
//! (`file-part` messages ahead of it, see `portico_sdk::attachments`): the
//! customs download them from their own copy.
//!
//! Storage (kv): `req/{year}`, `file/{year}/…`, `firm/{firm}` the firms that
//! declared filing for the farm; the firm: `mandate/{farm}`,
//! `client/{farm}/{year}`; the customs: `recv/{farm}/{year}`, `received-file/…`.

pub mod model;

use model::{Event, Firm, Invoice, RefundRequest};
use portico_sdk::attachments::{self, FileRef};
use portico_sdk::attention::{self, Item};
use portico_sdk::{
    Area, Context, Error, FieldError, Message, Request, Response, StructureKind, View, facts,
    i18n::message, kv, messages,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Where the structure's bank details live (Manager activities' fact).
const BANK: (&str, &str) = ("manager-activities", "bank-details");
/// Largest volume of one invoice, in hundredths of a unit (10 million units).
const MAX_VOLUME: i64 = 1_000_000_000;
/// Longest supplier name or reason.
const MAX_TEXT_CHARS: usize = 200;
/// This area's id, which the messages between farms and firms name.
const AREA: &str = "ict-refunds";

/// The ICT refunds area.
pub struct IctRefunds;

portico_sdk::export_area!(IctRefunds);

impl Area for IctRefunds {
    fn templates() -> &'static [(&'static str, &'static str)] {
        &[
            ("list.html", include_str!("../templates/list.html")),
            ("form.html", include_str!("../templates/form.html")),
            ("request.html", include_str!("../templates/request.html")),
        ]
    }

    fn messages() -> &'static [(&'static str, &'static str)] {
        portico_sdk::messages!()
    }

    fn handle(cx: &Context, req: &Request) -> Result<Response, Error> {
        let parts: Vec<&str> = req.path.trim_matches('/').split('/').collect();
        let customs = cx
            .structure
            .as_ref()
            .is_some_and(|s| s.kind == StructureKind::Public);
        match (req.is_post(), customs, parts.as_slice()) {
            (false, _, [""]) => list(cx, req, customs),
            (false, false, ["new"]) => Ok(Response::View(form_view(cx, req, None)?)),
            (true, false, ["save"]) => save(cx, req),
            (true, false, ["mandates"]) => mandates(cx, req),
            (false, false, ["request", year]) => summary(cx, req, year),
            (false, false, ["request", year, "edit"]) => {
                let r = load(year)?;
                if r.status != "BROUILLON" {
                    return Ok(Response::redirect(cx.href(&format!("/request/{year}"))));
                }
                Ok(Response::View(form_view(cx, req, Some(&r))?))
            }
            (true, false, ["request", year, "send"]) => send(cx, year),
            (false, false, ["request", year, "file", n]) => {
                let r = load(year)?;
                file(&r, n)
            }
            (false, true, ["received", farm, year]) => {
                let r: RefundRequest = get(&format!("recv/{farm}/{year}"))?;
                Ok(Response::View(received_view(
                    cx,
                    &r,
                    req.query_value("done"),
                )?))
            }
            (false, true, ["received", farm, year, "file", n]) => {
                let r: RefundRequest = get(&format!("recv/{farm}/{year}"))?;
                file(&r, n)
            }
            (true, true, ["received", farm, year, "decide"]) => decide(cx, req, farm, year),
            _ => Ok(Response::not_found()),
        }
    }

    fn on_message(cx: &Context, msg: &Message) -> Result<(), Error> {
        // The RIB's and the copies' bytes, ahead of the request.
        if attachments::receive(msg)? {
            return Ok(());
        }
        match msg.kind.as_str() {
            "request-sent" => received(cx, msg),
            "status-changed" => status_changed(cx, msg),
            "client-request" => client_request(msg),
            "mandate" | "mandate-withdrawn" => mandate_changed(msg),
            _ => Ok(()),
        }
    }
}

// ---- storage and shared bits ---------------------------------------------------

fn get<T: for<'de> Deserialize<'de>>(key: &str) -> Result<T, Error> {
    kv::get_json(key)?.ok_or(Error::NotFound)
}

fn load(year: &str) -> Result<RefundRequest, Error> {
    get(&format!("req/{year}"))
}

fn store(r: &RefundRequest) -> Result<(), Error> {
    kv::set_json(&format!("req/{}", r.year), r)
}

fn all<T: for<'de> Deserialize<'de>>(prefix: &str) -> Result<Vec<T>, Error> {
    kv::list_all_json(prefix)
}

/// A field error with a message of the catalogue.
fn fe(field: &str, key: &str, args: &[(&str, &str)]) -> FieldError {
    FieldError::new(field, message(key, args))
}

fn who(cx: &Context) -> String {
    format!("{} {}", cx.user.first_name, cx.user.last_name)
        .trim()
        .to_string()
}

fn bank_details() -> Result<Option<Value>, Error> {
    Ok(facts::get_json::<Value>(BANK.0, BANK.1)?
        .filter(|b| b["iban"].as_str().is_some_and(|i| !i.is_empty())))
}

fn bank_href(cx: &Context) -> Option<String> {
    cx.tabs
        .iter()
        .find(|t| t.id == BANK.0)
        .map(|t| format!("{}/bank", t.href))
}

fn file(r: &RefundRequest, n: &str) -> Result<Response, Error> {
    let f: Option<&FileRef> = if n == "rib" {
        Some(&r.rib)
    } else {
        n.parse::<usize>()
            .ok()
            .and_then(|i| r.invoices.get(i.wrapping_sub(1)))
            .map(|i| &i.copy)
    };
    match f {
        Some(f) => attachments::download(f),
        None => Ok(Response::not_found()),
    }
}

/// A request as pages and JSON show it, amounts as exact decimal strings.
fn request_json(r: &RefundRequest) -> Value {
    let campaign = model::campaign(r.year);
    json!({
        "year": r.year,
        "status": r.status,
        "tone": model::tone(&r.status),
        "category": r.category,
        "farm": {"id": r.farm_id, "name": r.farm_name},
        "filed_by": r.filed_by,
        "firm": r.firm,
        "rib": r.rib.name,
        "bank": r.bank,
        "invoices": r.invoices.iter().map(|i| {
            let rate = campaign.as_ref().and_then(|c| c.rates.get(&i.product));
            json!({
                "supplier": i.supplier, "date": i.date, "product": i.product,
                "volume": model::decimal(i.volume), "unit": rate.map(|r| r.unit.clone()),
                "rate": rate.map(|r| r.refund.clone()), "refund": model::decimal(i.refund),
                "copy": i.copy.name,
            })
        }).collect::<Vec<_>>(),
        "gross": model::decimal(r.gross()),
        "advances": model::decimal(r.advances),
        "adjusted": r.adjusted.map(model::decimal),
        "refund": model::decimal(r.refund()),
        "source": campaign.as_ref().map(|c| c.source.clone()),
        "illustrative": campaign.as_ref().is_some_and(|c| c.illustrative),
        "customs": campaign.map(|c| c.customs),
        "history": r.history.iter().rev().collect::<Vec<_>>(),
    })
}

// ---- the attention list of the homepage ---------------------------------------

fn publish_farm() -> Result<(), Error> {
    let items = all::<RefundRequest>("req/")?
        .into_iter()
        .filter(|r| r.unseen)
        .map(|r| {
            let year = r.year.to_string();
            Item::new::<IctRefunds>(
                format!("/request/{year}"),
                model::tone(&r.status),
                &[
                    &message("attention.request", &[("year", &year)]),
                    &message(&format!("status.{}", r.status), &[]),
                ],
            )
        })
        .collect::<Vec<_>>();
    attention::publish(&items)
}

fn publish_customs() -> Result<(), Error> {
    let waiting = all::<RefundRequest>("recv/")?
        .iter()
        .filter(|r| r.status == "MISE_A_DISPOSITION")
        .count();
    attention::waiting::<IctRefunds>(waiting, "attention.to-process")
}

// ---- the farm's pages ---------------------------------------------------------------

fn list(cx: &Context, req: &Request, customs: bool) -> Result<Response, Error> {
    if customs {
        let mut rows: Vec<RefundRequest> = all("recv/")?;
        rows.sort_by_key(|r| std::cmp::Reverse(r.history.last().map_or(0, |e| e.at_ms)));
        let rows: Vec<Value> = rows
            .iter()
            .map(|r| {
                let mut v = request_json(r);
                v["href"] = cx
                    .href(&format!("/received/{}/{}", r.farm_id, r.year))
                    .into();
                v
            })
            .collect();
        return Ok(Response::View(View::new(
            "list.html",
            &message("inbox.title", &[]),
            &json!({"side": "customs", "received": rows}),
        )?));
    }
    Ok(Response::View(list_view(cx, req)?))
}

/// The farm's (or firm's) list: its requests, those it filed for the farms
/// it declared, those farms, and the firms that file for it.
fn list_view(cx: &Context, req: &Request) -> Result<View, Error> {
    let mine: Vec<Value> = all::<RefundRequest>("req/")?
        .iter()
        .map(request_json)
        .collect();
    let clients: Vec<Value> = all::<RefundRequest>("client/")?
        .iter()
        .map(request_json)
        .collect();
    let open: Vec<u32> = model::campaigns()
        .iter()
        .map(|c| c.year)
        .filter(|y| !mine.iter().any(|m| m["year"] == *y))
        .collect();
    View::new(
        "list.html",
        &message("title", &[]),
        &json!({
            "side": "farm", "requests": mine, "clients": clients, "open": open,
            "bank": bank_details()?.is_some(), "bank_href": bank_href(cx),
            "done": req.query_value("done"),
            "mandates": all::<Firm>("mandate/")?,
            "firms": all::<Firm>("firm/")?,
        }),
    )
}

fn values(req: &Request, r: Option<&RefundRequest>) -> serde_json::Map<String, Value> {
    let mut v = serde_json::Map::new();
    if req.is_post() {
        for (k, val) in &req.form {
            v.insert(k.clone(), Value::String(val.clone()));
        }
        return v;
    }
    let Some(r) = r else {
        if let Some(y) = req.query_value("campaign") {
            v.insert("campaign".into(), y.into());
        }
        v.insert("advances".into(), "0".into());
        return v;
    };
    let mut put = |k: String, val: String| {
        v.insert(k, Value::String(val));
    };
    put("campaign".into(), r.year.to_string());
    put("category".into(), r.category.clone());
    put("advances".into(), model::decimal(r.advances));
    if let Some(f) = &r.firm {
        put("firm".into(), f.id.clone());
    }
    for (i, inv) in r.invoices.iter().enumerate() {
        let n = i + 1;
        put(format!("supplier-{n}"), inv.supplier.clone());
        put(format!("date-{n}"), inv.date.clone());
        put(format!("product-{n}"), inv.product.clone());
        put(format!("volume-{n}"), model::decimal(inv.volume));
    }
    v
}

fn form_view(cx: &Context, req: &Request, r: Option<&RefundRequest>) -> Result<View, Error> {
    let campaigns: Vec<Value> = model::campaigns()
        .iter()
        .map(|c| json!({"year": c.year, "source": c.source, "illustrative": c.illustrative, "customs": c.customs.name, "rates": c.rates}))
        .collect();
    let values = values(req, r);
    let chosen = values
        .get("campaign")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let first = match chosen.parse::<u32>() {
        Ok(y) => kv::get_json::<RefundRequest>(&format!("req/{y}"))?
            .filter(|f| f.status != "BROUILLON")
            .map(|_| cx.href(&format!("/request/{y}"))),
        Err(_) => None,
    };
    View::new(
        "form.html",
        &message("new.title", &[]),
        &json!({
            "values": values,
            "first": first,
            "campaigns": campaigns,
            "categories": model::CATEGORIES,
            "products": model::PRODUCTS,
            "rows": (1..=model::MAX_INVOICES).map(|n| json!({
                "n": n,
                "stored": r.and_then(|r| r.invoices.get(n - 1)).map(|i| &i.copy.name),
            })).collect::<Vec<_>>(),
            "rib": r.map(|r| &r.rib.name),
            "editing": r.map(|r| r.year),
            "bank": bank_details()?.is_some(),
            "bank_href": bank_href(cx),
            "firms": all::<Firm>("firm/")?,
        }),
    )
}

fn save(cx: &Context, req: &Request) -> Result<Response, Error> {
    let text = |name: &str| req.form_value(name).unwrap_or("").trim().to_string();
    let view = |existing: Option<&RefundRequest>| form_view(cx, req, existing);
    let mut errors: Vec<FieldError> = Vec::new();
    let year: u32 = text("campaign").parse().unwrap_or(0);
    let Some(campaign) = model::campaign(year) else {
        errors.push(fe("campaign", "error.campaign", &[]));
        let summary = message("form.fix-one", &[]);
        return Ok(Response::invalid(summary, errors, view(None)?));
    };
    let existing: Option<RefundRequest> = kv::get_json(&format!("req/{year}"))?;
    if let Some(first) = &existing
        && first.status != "BROUILLON"
    {
        // One request per campaign: the form links to the first one.
        errors.push(fe(
            "campaign",
            "error.one-per-campaign",
            &[("year", &year.to_string())],
        ));
        let summary = message("form.fix-one", &[]);
        return Ok(Response::invalid(summary, errors, view(None)?));
    }
    let category = text("category");
    if !model::CATEGORIES.contains(&category.as_str()) {
        errors.push(fe("category", "error.category", &[]));
    }
    let advances = match model::parse_scaled(&text("advances"), 2) {
        Some(a) => a,
        None if text("advances").is_empty() => 0,
        None => {
            errors.push(fe(
                "advances",
                "error.amount",
                &[("value", &text("advances"))],
            ));
            0
        }
    };
    let firm_id: String = text("firm")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let mut firm = None;
    if !firm_id.is_empty() {
        match messages::lookup(&firm_id)? {
            Some(s)
                if s.active
                    && s.kind == StructureKind::Private
                    && Some(&s.id) != cx.structure.as_ref().map(|x| &x.id) =>
            {
                // The firm must have declared, from its own structure, that
                // it files for this farm.
                if kv::get_json::<Firm>(&format!("firm/{}", s.id))?.is_some() {
                    firm = Some(Firm {
                        id: s.id,
                        name: s.name,
                    });
                } else {
                    errors.push(fe("firm", "error.firm-no-mandate", &[("name", &s.name)]));
                }
            }
            _ => errors.push(fe("firm", "error.firm", &[("value", &firm_id)])),
        }
    }
    let rib_upload = req.file("rib").filter(|u| !u.filename.is_empty());
    if let Some(up) = rib_upload
        && let Err(m) = attachments::check(up)
    {
        errors.push(FieldError::new("rib", m));
    } else if rib_upload.is_none() && existing.is_none() {
        errors.push(fe("rib", "error.rib", &[]));
    }
    let mut rows = Vec::new();
    for n in 1..=model::MAX_INVOICES {
        let supplier = text(&format!("supplier-{n}"));
        let volume = text(&format!("volume-{n}"));
        let date = text(&format!("date-{n}"));
        if supplier.is_empty() && volume.is_empty() && date.is_empty() {
            continue;
        }
        if supplier.is_empty() || supplier.chars().count() > MAX_TEXT_CHARS {
            errors.push(fe(&format!("supplier-{n}"), "error.supplier", &[]));
        }
        let prefix = format!("{year}-");
        if date.len() != 10 || !date.starts_with(&prefix) {
            errors.push(fe(
                &format!("date-{n}"),
                "error.date",
                &[("year", &year.to_string())],
            ));
        }
        let product = text(&format!("product-{n}"));
        let rate = campaign.rates.get(&product);
        if rate.is_none() {
            errors.push(fe(&format!("product-{n}"), "error.product", &[]));
        }
        let volume = match model::parse_scaled(&volume, 2) {
            Some(v) if v > 0 && v <= MAX_VOLUME => v,
            _ => {
                errors.push(fe(
                    &format!("volume-{n}"),
                    "error.volume",
                    &[("value", &volume)],
                ));
                0
            }
        };
        let copy_field = format!("copy-{n}");
        let upload = req.file(&copy_field).filter(|u| !u.filename.is_empty());
        let stored = existing
            .as_ref()
            .and_then(|r| r.invoices.get(n - 1))
            .map(|i| i.copy.clone());
        match upload {
            Some(up) => {
                if let Err(m) = attachments::check(up) {
                    errors.push(FieldError::new(copy_field, m));
                }
            }
            None if stored.is_none() => errors.push(fe(&copy_field, "error.copy", &[])),
            None => {}
        }
        let refund = rate
            .and_then(|r| model::refund_cents(&r.refund, volume))
            .unwrap_or(0);
        rows.push((n, supplier, date, product, volume, refund, upload, stored));
    }
    if rows.is_empty() {
        errors.push(fe("supplier-1", "error.no-invoice", &[]));
    }
    // What one sending carries: the RIB and every copy, kept or new.
    let rib_size = rib_upload
        .map(|u| u.bytes.len())
        .or(existing.as_ref().map(|r| r.rib.size))
        .unwrap_or(0);
    let sizes = rows.iter().map(|row| match (&row.6, &row.7) {
        (Some(up), _) => up.bytes.len(),
        (None, Some(stored)) => stored.size,
        (None, None) => 0,
    });
    if let Err(m) = attachments::check_sendable(std::iter::once(rib_size).chain(sizes)) {
        errors.push(FieldError::new("rib", m));
    }
    if !errors.is_empty() {
        let summary = if errors.len() == 1 {
            message("form.fix-one", &[])
        } else {
            message("form.fix-many", &[("count", &errors.len().to_string())])
        };
        return Ok(Response::invalid(summary, errors, view(existing.as_ref())?));
    }
    let structure = cx.structure.clone().ok_or(Error::NotFound)?;
    let rib = match rib_upload {
        Some(up) => attachments::save(&format!("file/{year}/rib/{}", cx.now_ms), up)?,
        None => existing
            .as_ref()
            .map(|r| r.rib.clone())
            .ok_or(Error::NotFound)?,
    };
    let mut invoices = Vec::new();
    for (n, supplier, date, product, volume, refund, upload, stored) in rows {
        let copy = match upload {
            Some(up) => attachments::save(&format!("file/{year}/{n}/{}", cx.now_ms), up)?,
            None => stored.ok_or(Error::NotFound)?,
        };
        invoices.push(Invoice {
            supplier,
            date,
            product,
            volume,
            refund,
            copy,
        });
    }
    let mut history = existing
        .as_ref()
        .map(|r| r.history.clone())
        .unwrap_or_default();
    if history.is_empty() {
        history.push(Event {
            status: "BROUILLON".into(),
            at_ms: cx.now_ms,
            by: who(cx),
            comment: String::new(),
        });
    }
    let r = RefundRequest {
        year,
        category,
        farm_id: structure.id,
        farm_name: structure.name,
        filed_by: who(cx),
        firm,
        rib,
        bank: None,
        invoices,
        advances,
        adjusted: None,
        status: "BROUILLON".into(),
        history,
        unseen: false,
    };
    store(&r)?;
    Ok(Response::redirect(
        cx.href(&format!("/request/{year}?done=saved")),
    ))
}

fn summary(cx: &Context, req: &Request, year: &str) -> Result<Response, Error> {
    let mut r = load(year)?;
    if r.unseen {
        r.unseen = false;
        store(&r)?;
        publish_farm()?;
    }
    Ok(Response::View(summary_view(
        cx,
        &r,
        req.query_value("done"),
    )?))
}

fn summary_view(cx: &Context, r: &RefundRequest, done: Option<&str>) -> Result<View, Error> {
    View::new(
        "request.html",
        &message("request.title", &[("year", &r.year.to_string())]),
        &json!({
            "r": request_json(r), "side": "farm", "draft": r.status == "BROUILLON",
            "bank_ready": bank_details()?.is_some(), "bank_href": bank_href(cx),
            "base": cx.href(&format!("/request/{}", r.year)), "done": done,
        }),
    )
}

fn send(cx: &Context, year: &str) -> Result<Response, Error> {
    let mut r = load(year)?;
    if r.status != "BROUILLON" {
        return Ok(Response::forbidden(message("error.sent", &[])));
    }
    let campaign = model::campaign(r.year).ok_or(Error::NotFound)?;
    let mut problems = Vec::new();
    let bank = bank_details()?;
    if bank.is_none() {
        problems.push(FieldError::new("bank", message("error.no-bank", &[])));
    }
    let files = std::iter::once(&r.rib).chain(r.invoices.iter().map(|i| &i.copy));
    if let Err(m) = attachments::check_sendable(files.map(|f| f.size)) {
        problems.push(FieldError::new("documents", m));
    }
    let present = messages::lookup(&campaign.customs.siret)?
        .is_some_and(|s| s.active && s.kind == StructureKind::Public);
    if !present {
        problems.push(FieldError::new(
            "customs",
            message("error.customs-absent", &[("name", &campaign.customs.name)]),
        ));
    }
    if !problems.is_empty() {
        let summary = message("error.cannot-send", &[]);
        return Ok(Response::invalid(
            summary,
            problems,
            summary_view(cx, &r, None)?,
        ));
    }
    r.bank = bank;
    r.status = "MISE_A_DISPOSITION".into();
    r.history.push(Event {
        status: r.status.clone(),
        at_ms: cx.now_ms,
        by: who(cx),
        comment: String::new(),
    });
    for f in std::iter::once(&r.rib).chain(r.invoices.iter().map(|i| &i.copy)) {
        attachments::send(&campaign.customs.siret, &cx.area, f)?;
    }
    messages::send_json(&campaign.customs.siret, &cx.area, "request-sent", &r)?;
    if let Some(f) = &r.firm {
        messages::send_json(&f.id, &cx.area, "client-request", &r)?;
    }
    store(&r)?;
    Ok(Response::redirect(
        cx.href(&format!("/request/{year}?done=sent")),
    ))
}

/// The customs moved a request on.
#[derive(Debug, Serialize, Deserialize)]
struct StatusChanged {
    year: u32,
    status: String,
    adjusted: Option<i64>,
    reason: String,
    by: String,
}

fn status_changed(cx: &Context, msg: &Message) -> Result<(), Error> {
    let Ok(change) = serde_json::from_str::<StatusChanged>(&msg.payload) else {
        return Ok(());
    };
    let Some(mut r) = kv::get_json::<RefundRequest>(&format!("req/{}", change.year))? else {
        return Ok(());
    };
    let customs = model::campaign(r.year).map(|c| c.customs.siret);
    let known = model::STATUSES.iter().any(|(s, _)| *s == change.status);
    if customs.as_deref() != Some(msg.from_structure.as_str())
        || !known
        || r.status != "MISE_A_DISPOSITION"
    {
        return Ok(());
    }
    r.status = change.status.clone();
    r.adjusted = change.adjusted;
    r.history.push(Event {
        status: change.status,
        at_ms: cx.now_ms,
        by: change.by,
        comment: change.reason,
    });
    r.unseen = true;
    if let Some(f) = &r.firm {
        messages::send_json(&f.id, &cx.area, "client-request", &r)?;
    }
    store(&r)?;
    publish_farm()
}

/// A farm's copy for the accounting firm that files for it.
fn client_request(msg: &Message) -> Result<(), Error> {
    let Ok(r) = serde_json::from_str::<RefundRequest>(&msg.payload) else {
        return Ok(());
    };
    // A farm speaks only for itself, and the firm keeps only the requests
    // of the farms it declared filing for.
    if r.farm_id != msg.from_structure || msg.from_area != AREA {
        return Ok(());
    }
    if kv::get_json::<Firm>(&format!("mandate/{}", r.farm_id))?.is_none() {
        return Ok(());
    }
    kv::set_json(&format!("client/{}/{}", r.farm_id, r.year), &r)
}

// ---- the customs' side ------------------------------------------------------------

fn received(_cx: &Context, msg: &Message) -> Result<(), Error> {
    let Ok(mut r) = serde_json::from_str::<RefundRequest>(&msg.payload) else {
        return Ok(());
    };
    if r.farm_id != msg.from_structure {
        return Ok(());
    }
    // The files' bytes came ahead as parts, filed under the farm.
    r.rib = attachments::received(&msg.from_structure, &r.rib);
    for i in &mut r.invoices {
        i.copy = attachments::received(&msg.from_structure, &i.copy);
    }
    let key = format!("recv/{}/{}", r.farm_id, r.year);
    // One request per farm and campaign: a copy already here stays.
    if kv::get_json::<RefundRequest>(&key)?.is_some() {
        return Ok(());
    }
    kv::set_json(&key, &r)?;
    publish_customs()
}

fn received_view(cx: &Context, r: &RefundRequest, done: Option<&str>) -> Result<View, Error> {
    View::new(
        "request.html",
        &message("request.title", &[("year", &r.year.to_string())]),
        &json!({
            "r": request_json(r), "side": "customs",
            "open": r.status == "MISE_A_DISPOSITION",
            "base": cx.href(&format!("/received/{}/{}", r.farm_id, r.year)), "done": done,
        }),
    )
}

fn decide(cx: &Context, req: &Request, farm: &str, year: &str) -> Result<Response, Error> {
    let key = format!("recv/{farm}/{year}");
    let mut r: RefundRequest = get(&key)?;
    let action = req.form_value("action").unwrap_or("");
    let reason = req.form_value("reason").unwrap_or("").trim().to_string();
    let mut errors = Vec::new();
    let status = match (r.status.as_str(), action) {
        ("MISE_A_DISPOSITION", "accept") => "ACCEPTEE",
        ("MISE_A_DISPOSITION", "adjust") => "AJUSTEE",
        ("MISE_A_DISPOSITION", "reject") => "REJETEE",
        _ => {
            errors.push(FieldError::new("action", message("error.action", &[])));
            ""
        }
    };
    let mut adjusted = None;
    if status == "AJUSTEE" {
        match model::parse_scaled(req.form_value("amount").unwrap_or(""), 2) {
            Some(a) => adjusted = Some(a),
            None => errors.push(FieldError::new(
                "amount",
                message(
                    "error.amount",
                    &[("value", req.form_value("amount").unwrap_or(""))],
                ),
            )),
        }
    }
    if matches!(status, "AJUSTEE" | "REJETEE") && reason.is_empty() {
        errors.push(FieldError::new("reason", message("error.reason", &[])));
    }
    if reason.chars().count() > MAX_TEXT_CHARS * 5 {
        errors.push(FieldError::new("reason", message("error.too-long", &[])));
    }
    if !errors.is_empty() {
        let summary = message("form.fix-one", &[]);
        return Ok(Response::invalid(
            summary,
            errors,
            received_view(cx, &r, None)?,
        ));
    }
    let by = match &cx.structure {
        Some(s) => format!("{} ({})", who(cx), s.name),
        None => who(cx),
    };
    r.status = status.to_string();
    r.adjusted = adjusted;
    r.history.push(Event {
        status: r.status.clone(),
        at_ms: cx.now_ms,
        by: by.clone(),
        comment: reason.clone(),
    });
    kv::set_json(&key, &r)?;
    messages::send_json(
        farm,
        &cx.area,
        "status-changed",
        &StatusChanged {
            year: r.year,
            status: r.status.clone(),
            adjusted,
            reason,
            by,
        },
    )?;
    publish_customs()?;
    Ok(Response::redirect(
        cx.href(&format!("/received/{farm}/{year}?done=1")),
    ))
}

// ---- delegation: the farms a firm files for ------------------------------------

/// `mandate` / `mandate-withdrawn`: what a firm says of itself to a farm.
#[derive(Debug, Serialize, Deserialize)]
struct Mandate {
    /// The firm's name, as its structure has it.
    name: String,
}

/// The firm declares (`op=add`, `farm`) or withdraws (`op=remove`) a farm
/// it files for; the farm's area is told.
fn mandates(cx: &Context, req: &Request) -> Result<Response, Error> {
    let me = cx.structure.clone().ok_or(Error::NotFound)?;
    let farm: String = req
        .form_value("farm")
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let payload = Mandate {
        name: me.name.clone(),
    };
    if req.form_value("op") == Some("remove") {
        if kv::get_json::<Firm>(&format!("mandate/{farm}"))?.is_some() {
            kv::delete(&format!("mandate/{farm}"))?;
            messages::send_json(&farm, AREA, "mandate-withdrawn", &payload)?;
        }
        return Ok(Response::redirect(cx.href("/?done=withdrawn")));
    }
    let found = messages::lookup(&farm)?
        .filter(|s| s.active && s.kind == StructureKind::Private && s.id != me.id);
    let Some(found) = found else {
        let errors = vec![fe("farm", "error.farm", &[("value", &farm)])];
        let view = list_view(cx, req)?;
        return Ok(Response::invalid(
            message("form.fix-one", &[]),
            errors,
            view,
        ));
    };
    kv::set_json(
        &format!("mandate/{}", found.id),
        &Firm {
            id: found.id.clone(),
            name: found.name,
        },
    )?;
    messages::send_json(&found.id, AREA, "mandate", &payload)?;
    Ok(Response::redirect(cx.href("/?done=declared")))
}

/// On the farm's side: a firm declared filing for it, or withdrew.
fn mandate_changed(msg: &Message) -> Result<(), Error> {
    if msg.from_area != AREA {
        return Ok(());
    }
    let Ok(m) = serde_json::from_str::<Mandate>(&msg.payload) else {
        return Ok(());
    };
    let key = format!("firm/{}", msg.from_structure);
    if msg.kind == "mandate" {
        kv::set_json(
            &key,
            &Firm {
                id: msg.from_structure.clone(),
                name: m.name,
            },
        )
    } else {
        kv::delete(&key)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use portico_sdk::messages::{Recipient, register_test_recipient};
    use portico_sdk::testing::TestHost;

    const FARM: &str = "44311871000013";
    /// The test host's own structure plays the firm.
    const FIRM: &str = "73282932000074";

    fn farm_recipient() {
        register_test_recipient(Recipient {
            id: FARM.into(),
            name: "EARL des Trois Chênes".into(),
            kind: StructureKind::Private,
            active: true,
            services: Vec::new(),
            recipient_rule: "none".into(),
        });
    }

    fn from(structure: &str, kind: &str, payload: &str) -> Message {
        Message {
            id: format!("{structure}-{kind}-{}", payload.len()),
            from_structure: structure.into(),
            from_area: AREA.into(),
            kind: kind.into(),
            payload: payload.into(),
        }
    }

    fn client_copy() -> String {
        let r = RefundRequest {
            year: 2024,
            category: "farming-company".into(),
            farm_id: FARM.into(),
            farm_name: "EARL des Trois Chênes".into(),
            filed_by: "Paul".into(),
            firm: Some(Firm {
                id: FIRM.into(),
                name: "Acme Supplies".into(),
            }),
            rib: FileRef {
                name: "rib.pdf".into(),
                content_type: "application/pdf".into(),
                size: 1,
                key: "file/2024/rib/1".into(),
            },
            bank: None,
            invoices: Vec::new(),
            advances: 0,
            adjusted: None,
            status: "MISE_A_DISPOSITION".into(),
            history: Vec::new(),
            unseen: false,
        };
        serde_json::to_string(&r).unwrap()
    }

    #[test]
    fn a_firm_keeps_a_farms_requests_only_while_it_files_for_that_farm() {
        farm_recipient();
        let host = TestHost::new()
            .area(AREA)
            .grant(&["kv", "messages", "facts"]);
        // Not declared: the farm's copy is dropped.
        host.deliver::<IctRefunds>(&from(FARM, "client-request", &client_copy()))
            .unwrap();
        assert!(host.kv_json(&format!("client/{FARM}/2024")).is_none());
        // Declared from the firm's structure: the farm is told, copies kept.
        let declared =
            host.handle::<IctRefunds>(&Request::post("/mandates", [("op", "add"), ("farm", FARM)]));
        assert!(declared.redirect_target().is_some(), "{declared:?}");
        let told = host.sent_messages();
        assert_eq!(
            (told[0].to_structure.as_str(), told[0].kind.as_str()),
            (FARM, "mandate")
        );
        host.deliver::<IctRefunds>(&from(FARM, "client-request", &client_copy()))
            .unwrap();
        assert!(host.kv_json(&format!("client/{FARM}/2024")).is_some());
        // Withdrawn: the farm is told, and later copies are dropped.
        host.handle::<IctRefunds>(&Request::post(
            "/mandates",
            [("op", "remove"), ("farm", FARM)],
        ));
        assert_eq!(host.sent_messages()[1].kind, "mandate-withdrawn");
        assert!(host.kv_json(&format!("mandate/{FARM}")).is_none());
        // An unknown SIRET is refused on its field.
        let wrong = host.handle::<IctRefunds>(&Request::post(
            "/mandates",
            [("op", "add"), ("farm", "12345678901234")],
        ));
        assert!(matches!(wrong, Response::Invalid(ref i) if i.fields[0].field == "farm"));
    }

    #[test]
    fn a_farm_learns_which_firms_file_for_it_from_the_firms_alone() {
        let host = TestHost::new()
            .area(AREA)
            .grant(&["kv", "messages", "facts"]);
        let mandate = r#"{"name":"Compta Rurale"}"#;
        host.deliver::<IctRefunds>(&from("80123456700015", "mandate", mandate))
            .unwrap();
        assert_eq!(
            host.kv_json("firm/80123456700015").unwrap()["name"],
            "Compta Rurale"
        );
        // Another area of the firm cannot speak for it.
        let mut forged = from("51234567800019", "mandate", mandate);
        forged.from_area = "sent-requests".into();
        host.deliver::<IctRefunds>(&forged).unwrap();
        assert!(host.kv_json("firm/51234567800019").is_none());
        host.deliver::<IctRefunds>(&from("80123456700015", "mandate-withdrawn", mandate))
            .unwrap();
        assert!(host.kv_json("firm/80123456700015").is_none());
    }
}
