//! Justice costs invoice (*mémoires de frais de justice*): experts,
//! interpreters, tow-truck operators and bailiffs ask to be paid for work a
//! court or a judicial police officer ordered.
//!
//! Provider side (a private structure, or a private individual without
//! SIRET): `GET /` lists the statements; `GET /new` and
//! `GET /statement/{id}/edit` show the form in the brief's steps
//! (jurisdiction, designating decision, services and VAT, documents);
//! `POST /save` or `/statement/{id}/save` checks it all and keeps it as a
//! draft (`op=search` only filters the jurisdictions); `GET /statement/{id}`
//! is the summary; `POST /statement/{id}/send` sends it once the one-year
//! foreclosure, the structure's bank details and the jurisdiction's
//! presence on the portal allow it; then it is "made available" and only a
//! correction the jurisdiction asks for reopens it.
//!
//! Jurisdiction side (a public structure with the area): statements arrive
//! as `statement-sent` messages; `GET /` lists them; `POST
//! /received/{provider}/{id}/decide` certifies, asks for a correction,
//! rejects (both with a reason) or pays a certified one; each step goes back
//! to the provider as `status-changed`, and both publish an `attention`
//! fact the homepage shows.
//!
//! Storage (kv): `st/{id}` statements, `seq` the last id, `num/{number}`
//! numbers in use, `file/{id}/{kind}/…` documents; on the jurisdiction's
//! side `recv/{provider}/{id}`.

pub mod model;

use model::{Bank, Court, Decision, Document, Event, Line, Statement};
use portico_sdk::attachments::{self, FileRef};
use portico_sdk::attention::{self, Item};
use portico_sdk::{
    Area, Context, Error, FieldError, Message, Request, Response, StructureKind, View, facts,
    i18n::message, kv, messages,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The area that holds the structure's bank details, and its fact.
pub const BANK_AREA: &str = "manager-activities";
/// The fact, in [`BANK_AREA`], with the structure's bank details.
pub const BANK_FACT: &str = "bank-details";
/// Longest statement number.
const MAX_NUMBER_CHARS: usize = 30;
/// Longest reference, line label or reason.
const MAX_TEXT_CHARS: usize = 200;
/// Longest reason of a correction or rejection.
const MAX_REASON_CHARS: usize = 1000;
/// Largest amount of one line: 10 million euros, in cents.
const MAX_LINE_CENTS: i64 = 1_000_000_000;
/// Items of the homepage's attention list.
const ATTENTION_ITEMS: usize = 8;

/// The Justice costs area.
pub struct JusticeCosts;

portico_sdk::export_area!(JusticeCosts);

impl Area for JusticeCosts {
    fn templates() -> &'static [(&'static str, &'static str)] {
        &[
            ("list.html", include_str!("../templates/list.html")),
            ("form.html", include_str!("../templates/form.html")),
            (
                "statement.html",
                include_str!("../templates/statement.html"),
            ),
            ("inbox.html", include_str!("../templates/inbox.html")),
        ]
    }

    fn messages() -> &'static [(&'static str, &'static str)] {
        portico_sdk::messages!()
    }

    fn handle(cx: &Context, req: &Request) -> Result<Response, Error> {
        let parts: Vec<&str> = req.path.trim_matches('/').split('/').collect();
        let court = cx
            .structure
            .as_ref()
            .is_some_and(|s| s.kind == StructureKind::Public);
        match (req.is_post(), court, parts.as_slice()) {
            (false, false, [""]) => list(cx, req),
            (false, true, [""]) => inbox(cx),
            (false, false, ["new"]) => Ok(Response::View(form_view(cx, req, None)?)),
            (true, false, ["save"]) => save(cx, req, None),
            (false, false, ["statement", id]) => summary(cx, req, id),
            (false, false, ["statement", id, "edit"]) => {
                let st = load(id)?;
                if !editable(&st) {
                    return Ok(Response::redirect(cx.href(&format!("/statement/{id}"))));
                }
                Ok(Response::View(form_view(cx, req, Some(&st))?))
            }
            (true, false, ["statement", id, "save"]) => save(cx, req, Some(id)),
            (true, false, ["statement", id, "send"]) => send(cx, id),
            (false, false, ["statement", id, "file", kind]) => {
                let st = load(id)?;
                download(st.documents.iter().find(|d| d.kind == *kind))
            }
            (false, true, ["received", provider, id]) => {
                let r = load_received(provider, id)?;
                Ok(Response::View(received_view(
                    cx,
                    &r,
                    req.query_value("done"),
                )?))
            }
            (false, true, ["received", provider, id, "file", kind]) => {
                let r = load_received(provider, id)?;
                download(r.statement.documents.iter().find(|d| d.kind == *kind))
            }
            (true, true, ["received", provider, id, "decide"]) => decide(cx, req, provider, id),
            _ => Ok(Response::not_found()),
        }
    }

    fn on_message(cx: &Context, msg: &Message) -> Result<(), Error> {
        // The documents' bytes, ahead of the statement that names them.
        if attachments::receive(msg)? {
            return Ok(());
        }
        match msg.kind.as_str() {
            "statement-sent" => received(cx, msg),
            "status-changed" => status_changed(cx, msg),
            "delivery-failed" => delivery_failed(cx, msg),
            _ => Ok(()),
        }
    }
}

// ---- storage -----------------------------------------------------------------

fn key(id: &str) -> String {
    format!("st/{id}")
}

fn load(id: &str) -> Result<Statement, Error> {
    kv::get_json(&key(id))?.ok_or(Error::NotFound)
}

fn store(st: &Statement) -> Result<(), Error> {
    kv::set_json(&key(&st.id), st)
}

/// A statement the provider may still change: a draft, or one the
/// jurisdiction asked to correct.
fn editable(st: &Statement) -> bool {
    matches!(st.status.as_str(), "BROUILLON" | "A_CORRIGER")
}

fn who(cx: &Context) -> String {
    format!("{} {}", cx.user.first_name, cx.user.last_name)
        .trim()
        .to_string()
}

/// A document as a download: the provider's own copy, or the jurisdiction's
/// copy of the bytes the provider sent with the statement ("not found"
/// while they are still arriving).
fn download(doc: Option<&Document>) -> Result<Response, Error> {
    match doc {
        Some(d) => attachments::download(&d.file),
        None => Ok(Response::not_found()),
    }
}

/// The structure's bank details, from Manager activities' fact.
fn bank_details() -> Result<Option<Bank>, Error> {
    Ok(facts::get_json::<Bank>(BANK_AREA, BANK_FACT)?.filter(|b| !b.iban.is_empty()))
}

/// Where a manager adds bank details: the Manager activities tab, if this user sees it.
fn bank_href(cx: &Context) -> Option<String> {
    cx.tabs
        .iter()
        .find(|t| t.id == BANK_AREA)
        .map(|t| format!("{}/bank", t.href))
}

// ---- views -------------------------------------------------------------------

/// A statement as pages and JSON show it: codes with their amounts as
/// exact decimal strings.
fn statement_json(st: &Statement) -> Value {
    let (net, vat, gross) = model::totals(&st.lines);
    json!({
        "id": st.id,
        "number": st.number,
        "status": st.status,
        "tone": model::tone(&st.status),
        "court": st.court,
        "decision": st.decision,
        "deadline": model::deadline(&st.decision.mission_end),
        "grouped": st.grouped,
        "vat_option": st.vat_option,
        "lines": st.lines.iter().map(|l| json!({
            "kind": l.kind, "label": l.label, "net": model::decimal(l.net),
            "vat_rate": model::rate(l.vat_rate), "vat": model::decimal(l.vat()),
            "gross": model::decimal(l.net + l.vat()),
        })).collect::<Vec<_>>(),
        "totals": {"net": model::decimal(net), "vat": model::decimal(vat), "gross": model::decimal(gross)},
        "documents": st.documents.iter().map(|d| json!({"kind": d.kind, "name": d.file.name, "size": d.file.size})).collect::<Vec<_>>(),
        "provider": {"id": st.provider_id, "identifier_type": st.provider_type, "name": st.provider_name},
        "bank": st.bank,
        "history": st.history.iter().rev().collect::<Vec<_>>(),
    })
}

fn list(cx: &Context, req: &Request) -> Result<Response, Error> {
    let mut list: Vec<Statement> = kv::list_all_json("st/")?;
    list.sort_by_key(|s| std::cmp::Reverse(s.history.first().map_or(0, |e| e.at_ms)));
    let rows: Vec<Value> = list.iter().map(statement_json).collect();
    Ok(Response::View(View::new(
        "list.html",
        &message("title", &[]),
        &json!({
            "statements": rows,
            "bank": bank_details()?.is_some(),
            "bank_href": bank_href(cx),
            "done": req.query_value("done"),
        }),
    )?))
}

/// The form's values, by field name, from a statement or the request.
fn values(req: &Request, st: Option<&Statement>) -> serde_json::Map<String, Value> {
    let mut v = serde_json::Map::new();
    if req.is_post() {
        for (k, val) in &req.form {
            v.insert(k.clone(), Value::String(val.clone()));
        }
        return v;
    }
    let Some(st) = st else {
        v.insert("vat-option".into(), "none".into());
        return v;
    };
    let mut put = |k: &str, val: &str| {
        v.insert(k.into(), Value::String(val.into()));
    };
    put("number", &st.number);
    put("court", &st.court.code);
    put("decision-kind", &st.decision.kind);
    put("decision-reference", &st.decision.reference);
    put("decision-date", &st.decision.date);
    put("mission-end", &st.decision.mission_end);
    put("vat-option", &st.vat_option);
    if st.grouped {
        put("grouped", "on");
    }
    for (i, l) in st.lines.iter().enumerate() {
        let n = i + 1;
        put(&format!("line-kind-{n}"), &l.kind);
        put(&format!("line-label-{n}"), &l.label);
        put(&format!("line-amount-{n}"), &model::decimal(l.net));
        put(&format!("line-rate-{n}"), &model::rate(l.vat_rate));
    }
    v
}

fn form_view(cx: &Context, req: &Request, st: Option<&Statement>) -> Result<View, Error> {
    let values = values(req, st);
    let query = req
        .form_value("q")
        .or_else(|| req.query_value("q"))
        .unwrap_or("")
        .trim()
        .to_string();
    let chosen = values.get("court").and_then(Value::as_str).unwrap_or("");
    let mut courts = if query.is_empty() {
        model::courts()
    } else {
        model::search(&query)
    };
    // The chosen jurisdiction stays on the list whatever the search.
    if !chosen.is_empty() && !courts.iter().any(|c| c.code == chosen) {
        courts.extend(model::courts().into_iter().filter(|c| c.code == chosen));
    }
    let action = match st {
        Some(s) => cx.href(&format!("/statement/{}/save", s.id)),
        None => cx.href("/save"),
    };
    View::new(
        "form.html",
        &message(
            if st.is_some() {
                "new.edit-title"
            } else {
                "new.title"
            },
            &[],
        ),
        &json!({
            "values": values,
            "query": query,
            "courts": courts,
            "decision_kinds": model::DECISION_KINDS,
            "vat_options": model::VAT_OPTIONS,
            "vat_rates": model::VAT_RATES.iter().map(|r| model::rate(*r)).collect::<Vec<_>>(),
            "rows": (1..=model::MAX_LINES).collect::<Vec<_>>(),
            "doc_types": model::DOC_TYPES.iter().map(|(k, required)| json!({
                "kind": k, "required": required,
                "stored": st.and_then(|s| s.documents.iter().find(|d| d.kind == *k)).map(|d| &d.file.name),
            })).collect::<Vec<_>>(),
            "action": action,
            "statement": st.map(statement_json),
            "bank": bank_details()?.is_some(),
            "bank_href": bank_href(cx),
            "today": model::date_string(model::today(cx.now_ms)),
        }),
    )
}

fn summary(cx: &Context, req: &Request, id: &str) -> Result<Response, Error> {
    let mut st = load(id)?;
    if st.unseen {
        st.unseen = false;
        store(&st)?;
        publish_provider()?;
    }
    Ok(Response::View(summary_view(
        cx,
        &st,
        req.query_value("done"),
    )?))
}

fn summary_view(cx: &Context, st: &Statement, done: Option<&str>) -> Result<View, Error> {
    let today = model::today(cx.now_ms);
    View::new(
        "statement.html",
        &message("statement.title", &[("number", &st.number)]),
        &json!({
            "s": statement_json(st),
            "side": "provider",
            "editable": editable(st),
            "sendable": editable(st),
            "foreclosed": model::foreclosed(&st.decision.mission_end, today),
            "bank_ready": bank_details()?.is_some(),
            "bank_href": bank_href(cx),
            "done": done,
            "base": cx.href(&format!("/statement/{}", st.id)),
        }),
    )
}

// ---- saving --------------------------------------------------------------------

fn save(cx: &Context, req: &Request, id: Option<&str>) -> Result<Response, Error> {
    let existing = match id {
        Some(id) => Some(load(id)?),
        None => None,
    };
    if let Some(st) = &existing
        && !editable(st)
    {
        return Ok(Response::forbidden(message("error.not-editable", &[])));
    }
    if req.form_value("op") == Some("search") {
        return Ok(Response::View(form_view(cx, req, existing.as_ref())?));
    }
    let view = || form_view(cx, req, existing.as_ref());
    let mut errors: Vec<FieldError> = Vec::new();
    let mut err = |field: &str, key: &str, args: &[(&str, &str)]| {
        errors.push(FieldError::new(field, message(key, args)));
    };
    let text = |name: &str| req.form_value(name).unwrap_or("").trim().to_string();
    let today = model::today(cx.now_ms);

    let number = text("number");
    if number.is_empty() {
        err("number", "form.required", &[]);
    } else if number.chars().count() > MAX_NUMBER_CHARS {
        err(
            "number",
            "error.number-long",
            &[("max", &MAX_NUMBER_CHARS.to_string())],
        );
    } else {
        let owner: Option<String> = kv::get_json(&format!("num/{number}"))?;
        if owner.is_some_and(|o| Some(o.as_str()) != id) {
            err("number", "error.number-taken", &[("number", &number)]);
        }
    }
    let code = text("court");
    let court: Option<Court> = model::courts().into_iter().find(|c| c.code == code);
    if court.is_none() {
        err("court", "error.court", &[]);
    }
    let kind = text("decision-kind");
    if !model::DECISION_KINDS.contains(&kind.as_str()) {
        err("decision-kind", "error.decision-kind", &[]);
    }
    let reference = text("decision-reference");
    if reference.is_empty() {
        err("decision-reference", "error.decision-reference", &[]);
    } else if reference.chars().count() > MAX_TEXT_CHARS {
        err(
            "decision-reference",
            "error.too-long",
            &[("max", &MAX_TEXT_CHARS.to_string())],
        );
    }
    let decision_date = text("decision-date");
    let decided = model::parse_date(&decision_date);
    match decided {
        None => err("decision-date", "error.date", &[]),
        Some(d) if d > today => err("decision-date", "error.future", &[]),
        _ => {}
    }
    let mission_end = text("mission-end");
    match model::parse_date(&mission_end) {
        None => err("mission-end", "error.date", &[]),
        Some(d) if d > today => err("mission-end", "error.mission-future", &[]),
        Some(d) if decided.is_some_and(|dd| d < dd) => {
            err("mission-end", "error.mission-before-decision", &[])
        }
        Some(_) if model::foreclosed(&mission_end, today) => err(
            "mission-end",
            "error.foreclosed",
            &[
                ("end", &mission_end),
                (
                    "deadline",
                    &model::deadline(&mission_end).unwrap_or_default(),
                ),
            ],
        ),
        _ => {}
    }
    let vat_option = text("vat-option");
    if !model::VAT_OPTIONS.contains(&vat_option.as_str()) {
        err("vat-option", "error.vat-option", &[]);
    }
    let grouped = req.form_value("grouped").is_some();

    let mut lines = Vec::new();
    for n in 1..=model::MAX_LINES {
        let label = text(&format!("line-label-{n}"));
        let amount = text(&format!("line-amount-{n}"));
        if label.is_empty() && amount.is_empty() {
            continue;
        }
        let kind = text(&format!("line-kind-{n}"));
        let kind = if kind == "disbursement" {
            kind
        } else {
            "service".to_string()
        };
        if label.is_empty() {
            err(&format!("line-label-{n}"), "error.line-label", &[]);
        } else if label.chars().count() > MAX_TEXT_CHARS {
            err(
                &format!("line-label-{n}"),
                "error.too-long",
                &[("max", &MAX_TEXT_CHARS.to_string())],
            );
        }
        let net = match model::parse_cents(&amount) {
            Some(c) if c > 0 && c <= MAX_LINE_CENTS => c,
            _ => {
                err(
                    &format!("line-amount-{n}"),
                    "error.amount",
                    &[("value", &amount)],
                );
                0
            }
        };
        // Disbursements (débours) are VAT-free, and so is everything of a
        // provider not subject to VAT.
        let vat_rate = if kind == "disbursement" || vat_option == "none" {
            0
        } else {
            let typed = text(&format!("line-rate-{n}"));
            match model::VAT_RATES
                .iter()
                .find(|r| model::rate(**r) == typed.replace(',', "."))
            {
                Some(r) => *r,
                None => {
                    err(&format!("line-rate-{n}"), "error.rate", &[]);
                    0
                }
            }
        };
        lines.push(Line {
            kind,
            label,
            net,
            vat_rate,
        });
    }
    if lines.is_empty() {
        err("line-label-1", "error.no-line", &[]);
    }

    // Documents: new uploads replace those of the same type.
    let mut documents: Vec<Document> = existing
        .as_ref()
        .map(|s| s.documents.clone())
        .unwrap_or_default();
    let mut uploads = Vec::new();
    for (kind, _) in model::DOC_TYPES {
        let field = format!("doc-{kind}");
        if let Some(up) = req.file(&field).filter(|u| !u.filename.is_empty()) {
            match attachments::check(up) {
                Ok(()) => uploads.push((kind, up)),
                Err(m) => errors.push(FieldError::new(field, m)),
            }
        }
    }
    // What one sending carries: the documents kept and the new ones.
    let sizes = documents
        .iter()
        .filter(|d| !uploads.iter().any(|(k, _)| *k == d.kind))
        .map(|d| d.file.size)
        .chain(uploads.iter().map(|(_, up)| up.bytes.len()));
    if let Err(m) = attachments::check_sendable(sizes)
        && let Some((kind, _)) = uploads.last()
    {
        errors.push(FieldError::new(format!("doc-{kind}"), m));
    }
    let has = |kind: &str| {
        documents.iter().any(|d| d.kind == kind) || uploads.iter().any(|(k, _)| *k == kind)
    };
    let mut missing = Vec::new();
    if !has("requisition") {
        missing.push(("doc-requisition", "error.doc-requisition"));
    }
    if grouped && !has("slip") {
        missing.push(("doc-slip", "error.doc-slip"));
    }
    for (field, key) in missing {
        if !errors.iter().any(|e| e.field == field) {
            errors.push(FieldError::new(field, message(key, &[])));
        }
    }
    if !errors.is_empty() {
        let count = errors.len().to_string();
        let summary = if errors.len() == 1 {
            message("form.fix-one", &[])
        } else {
            message("form.fix-many", &[("count", &count)])
        };
        return Ok(Response::invalid(summary, errors, view()?));
    }

    let structure = cx.structure.clone().ok_or(Error::NotFound)?;
    let id = match &existing {
        Some(s) => s.id.clone(),
        None => {
            let n = kv::update_json("seq", |n: Option<u64>| Some(n.unwrap_or(0) + 1))?.unwrap_or(1);
            format!("{n:06}")
        }
    };
    for (kind, up) in uploads {
        let file: FileRef = attachments::save(&format!("file/{id}/{kind}/{}", cx.now_ms), up)?;
        documents.retain(|d| d.kind != kind);
        documents.push(Document {
            kind: kind.to_string(),
            file,
        });
    }
    documents.sort_by_key(|d| model::DOC_TYPES.iter().position(|(k, _)| *k == d.kind));
    if let Some(old) = existing.as_ref().filter(|s| s.number != number) {
        kv::delete(&format!("num/{}", old.number))?;
    }
    kv::set_json(&format!("num/{number}"), &id)?;
    let mut history = existing
        .as_ref()
        .map(|s| s.history.clone())
        .unwrap_or_default();
    if history.is_empty() {
        history.push(Event {
            status: "BROUILLON".into(),
            at_ms: cx.now_ms,
            by: who(cx),
            comment: String::new(),
        });
    }
    let st = Statement {
        id: id.clone(),
        number,
        status: existing
            .as_ref()
            .map_or("BROUILLON".into(), |s| s.status.clone()),
        court: court.expect("checked"),
        decision: Decision {
            kind,
            reference,
            date: decision_date,
            mission_end,
        },
        grouped,
        vat_option,
        lines,
        documents,
        provider_id: structure.id,
        provider_type: structure.identifier_type,
        provider_name: structure.name,
        bank: None,
        history,
        unseen: false,
    };
    store(&st)?;
    Ok(Response::redirect(
        cx.href(&format!("/statement/{id}?done=saved")),
    ))
}

// ---- sending -------------------------------------------------------------------

fn send(cx: &Context, id: &str) -> Result<Response, Error> {
    let mut st = load(id)?;
    if !editable(&st) {
        return Ok(Response::forbidden(message("error.not-editable", &[])));
    }
    let today = model::today(cx.now_ms);
    let mut problems: Vec<FieldError> = Vec::new();
    if model::foreclosed(&st.decision.mission_end, today) {
        problems.push(FieldError::new(
            "mission-end",
            message(
                "error.foreclosed",
                &[
                    ("end", &st.decision.mission_end),
                    (
                        "deadline",
                        &model::deadline(&st.decision.mission_end).unwrap_or_default(),
                    ),
                ],
            ),
        ));
    }
    let bank = bank_details()?;
    if bank.is_none() {
        problems.push(FieldError::new("bank", message("error.no-bank", &[])));
    }
    if let Err(m) = attachments::check_sendable(st.documents.iter().map(|d| d.file.size)) {
        problems.push(FieldError::new("documents", m));
    }
    let on_portal = messages::lookup(&st.court.siret)?
        .is_some_and(|r| r.active && r.kind == StructureKind::Public);
    if !on_portal {
        problems.push(FieldError::new(
            "court",
            message("error.court-absent", &[("court", &st.court.name)]),
        ));
    }
    if !problems.is_empty() {
        let summary = message("error.cannot-send", &[]);
        return Ok(Response::invalid(
            summary,
            problems,
            summary_view(cx, &st, None)?,
        ));
    }
    let again = st.status == "A_CORRIGER";
    st.bank = bank;
    st.status = "MISE_A_DISPOSITION".into();
    st.history.push(Event {
        status: st.status.clone(),
        at_ms: cx.now_ms,
        by: who(cx),
        comment: if again {
            "corrected".into()
        } else {
            String::new()
        },
    });
    for d in &st.documents {
        attachments::send(&st.court.siret, &cx.area, &d.file)?;
    }
    messages::send_json(&st.court.siret, &cx.area, "statement-sent", &st)?;
    store(&st)?;
    publish_provider()?;
    Ok(Response::redirect(
        cx.href(&format!("/statement/{id}?done=sent")),
    ))
}

/// The jurisdiction moved a statement on.
#[derive(Debug, Serialize, Deserialize)]
struct StatusChanged {
    id: String,
    status: String,
    reason: String,
    by: String,
}

fn status_changed(cx: &Context, msg: &Message) -> Result<(), Error> {
    let Ok(change) = serde_json::from_str::<StatusChanged>(&msg.payload) else {
        return Ok(());
    };
    let Some(mut st) = kv::get_json::<Statement>(&key(&change.id))? else {
        return Ok(());
    };
    // Only the statement's jurisdiction speaks for it, and a redelivered
    // message changes nothing.
    let known = model::STATUSES.iter().any(|(s, _)| *s == change.status);
    if msg.from_structure != st.court.siret || !known || st.status == change.status {
        return Ok(());
    }
    st.status = change.status.clone();
    st.history.push(Event {
        status: change.status,
        at_ms: cx.now_ms,
        by: change.by,
        comment: change.reason,
    });
    st.unseen = true;
    store(&st)?;
    publish_provider()
}

fn delivery_failed(cx: &Context, msg: &Message) -> Result<(), Error> {
    let v: Value = serde_json::from_str(&msg.payload).unwrap_or(Value::Null);
    if v["kind"].as_str() != Some("statement-sent") {
        return Ok(());
    }
    let to = v["to-structure"].as_str().unwrap_or("");
    for mut st in kv::list_all_json::<Statement>("st/")? {
        if st.status == "MISE_A_DISPOSITION" && st.court.siret == to {
            st.status = "BROUILLON".into();
            st.history.push(Event {
                status: "BROUILLON".into(),
                at_ms: cx.now_ms,
                by: "Portico".into(),
                comment: "not-delivered".into(),
            });
            st.unseen = true;
            store(&st)?;
        }
    }
    publish_provider()
}

// ---- the homepage's attention list --------------------------------------------

/// The provider's side: statements whose new status was not seen yet.
fn publish_provider() -> Result<(), Error> {
    let mut list: Vec<Statement> = kv::list_all_json("st/")?;
    list.retain(|s| s.unseen);
    list.sort_by_key(|s| std::cmp::Reverse(s.history.last().map_or(0, |e| e.at_ms)));
    let items = list
        .iter()
        .take(ATTENTION_ITEMS)
        .map(|s| {
            Item::new::<JusticeCosts>(
                format!("/statement/{}", s.id),
                model::tone(&s.status),
                &[
                    &message("attention.statement", &[("number", &s.number)]),
                    &message(&format!("status.{}", s.status), &[]),
                ],
            )
        })
        .collect::<Vec<_>>();
    attention::publish(&items)
}

// ---- the jurisdiction's side ---------------------------------------------------

/// A statement as the jurisdiction holds it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Received {
    statement: Statement,
    /// Message ids already applied.
    messages: Vec<String>,
    received_ms: u64,
}

fn received_key(provider: &str, id: &str) -> String {
    format!("recv/{provider}/{id}")
}

fn load_received(provider: &str, id: &str) -> Result<Received, Error> {
    kv::get_json(&received_key(provider, id))?.ok_or(Error::NotFound)
}

fn received(cx: &Context, msg: &Message) -> Result<(), Error> {
    let Ok(mut st) = serde_json::from_str::<Statement>(&msg.payload) else {
        return Ok(());
    };
    // A provider speaks only for itself.
    if st.provider_id != msg.from_structure {
        return Ok(());
    }
    let k = received_key(&st.provider_id, &st.id);
    let existing: Option<Received> = kv::get_json(&k)?;
    if existing
        .as_ref()
        .is_some_and(|r| r.messages.contains(&msg.id))
    {
        return Ok(());
    }
    // The documents' bytes came ahead as parts, filed under the provider.
    for d in &mut st.documents {
        d.file = attachments::received(&msg.from_structure, &d.file);
    }
    st.unseen = false;
    let mut r = existing.unwrap_or(Received {
        statement: st.clone(),
        messages: Vec::new(),
        received_ms: cx.now_ms,
    });
    r.statement = st;
    r.messages.push(msg.id.clone());
    kv::set_json(&k, &r)?;
    publish_court()
}

fn inbox(cx: &Context) -> Result<Response, Error> {
    let mut list: Vec<Received> = kv::list_all_json("recv/")?;
    list.sort_by_key(|r| std::cmp::Reverse(r.received_ms));
    let rows: Vec<Value> = list
        .iter()
        .map(|r| {
            let mut v = statement_json(&r.statement);
            v["href"] = cx
                .href(&format!(
                    "/received/{}/{}",
                    r.statement.provider_id, r.statement.id
                ))
                .into();
            v["received_ms"] = r.received_ms.into();
            v
        })
        .collect();
    Ok(Response::View(View::new(
        "inbox.html",
        &message("inbox.title", &[]),
        &json!({ "statements": rows }),
    )?))
}

fn received_view(cx: &Context, r: &Received, done: Option<&str>) -> Result<View, Error> {
    let st = &r.statement;
    View::new(
        "statement.html",
        &message("statement.title", &[("number", &st.number)]),
        &json!({
            "s": statement_json(st),
            "side": "court",
            "actions": model::actions(&st.status).iter().map(|(a, _)| json!({"action": a, "reason": model::needs_reason(a)})).collect::<Vec<_>>(),
            "done": done,
            "base": cx.href(&format!("/received/{}/{}", st.provider_id, st.id)),
        }),
    )
}

fn decide(cx: &Context, req: &Request, provider: &str, id: &str) -> Result<Response, Error> {
    let mut r = load_received(provider, id)?;
    let options = model::actions(&r.statement.status);
    let action = req.form_value("action").unwrap_or("");
    let reason = req.form_value("reason").unwrap_or("").trim().to_string();
    let mut errors = Vec::new();
    let target = options.iter().find(|(a, _)| *a == action).map(|(_, s)| *s);
    if target.is_none() {
        errors.push(FieldError::new("action", message("error.action", &[])));
    }
    if model::needs_reason(action) && reason.is_empty() {
        errors.push(FieldError::new("reason", message("error.reason", &[])));
    }
    if reason.chars().count() > MAX_REASON_CHARS {
        errors.push(FieldError::new(
            "reason",
            message("error.too-long", &[("max", &MAX_REASON_CHARS.to_string())]),
        ));
    }
    if !errors.is_empty() {
        let summary = message("form.fix-one", &[]);
        return Ok(Response::invalid(
            summary,
            errors,
            received_view(cx, &r, None)?,
        ));
    }
    let status = target.expect("checked").to_string();
    let by = match &cx.structure {
        Some(s) => format!("{} ({})", who(cx), s.name),
        None => who(cx),
    };
    r.statement.status = status.clone();
    r.statement.history.push(Event {
        status: status.clone(),
        at_ms: cx.now_ms,
        by: by.clone(),
        comment: reason.clone(),
    });
    kv::set_json(&received_key(provider, id), &r)?;
    messages::send_json(
        provider,
        &cx.area,
        "status-changed",
        &StatusChanged {
            id: id.to_string(),
            status,
            reason,
            by,
        },
    )?;
    publish_court()?;
    Ok(Response::redirect(
        cx.href(&format!("/received/{provider}/{id}?done=1")),
    ))
}

/// The jurisdiction's side: how many statements wait for a decision.
fn publish_court() -> Result<(), Error> {
    let waiting = kv::list_all_json::<Received>("recv/")?
        .iter()
        .filter(|r| r.statement.status == "MISE_A_DISPOSITION")
        .count();
    attention::waiting::<JusticeCosts>(waiting, "attention.to-process")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attention_items_read_in_both_languages() {
        let item = Item::new::<JusticeCosts>(
            "/statement/000001",
            "done",
            &[
                &message("attention.statement", &[("number", "M-1")]),
                &message("status.CERTIFIE", &[]),
            ],
        );
        assert_eq!(item.fr, "Mémoire M-1 : Certifié");
        assert_eq!(item.en, "Statement M-1: Certified");
    }
}
