//! Issued invoices: the supplier side of invoicing.
//!
//! Enter an invoice by form or deposit a UBL/CII/PDF file, keep drafts, send
//! to a public structure (a durable message to its Received invoices area),
//! follow the statuses it sends back, and act on returned invoices. Publishes
//! the fact `payment-reached` the first time an invoice reaches Payment (it
//! opens Commitments) and `to-acknowledge` for the homepage.
//!
//! Storage (kv, this structure): `inv/{id}` invoice, `num/{number}` → id
//! (numbers are unique per supplier), `file/{id}/{n}/{chunk}` files,
//! `sent/{message id}` → invoice id (to match a `delivery-failed`).

pub mod chorus;
pub mod corpus;
pub mod en16931;
pub mod files;
pub mod model;
pub mod money;
pub mod xml;

use model::{FileRef, HistoryEntry, Invoice, InvoiceInput, LineInput};
use portico_sdk::messages::{self, Recipient};
use portico_sdk::{
    Area, Context, Error, FieldError, Form, Message, Request, Response, View, facts, i18n, kv,
    tally,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The area that receives invoices at public structures.
pub const RECEIVED_AREA: &str = "received-invoices";
/// Invoices listed per page of storage reads.
const LIST_PAGE: u32 = 1000;
/// Most invoices shown in the list at once.
const MAX_SHOWN: usize = 500;

/// The Issued invoices area.
pub struct IssuedInvoices;

portico_sdk::export_area!(IssuedInvoices);

impl Area for IssuedInvoices {
    fn templates() -> &'static [(&'static str, &'static str)] {
        &[
            ("macros.html", include_str!("../templates/macros.html")),
            ("list.html", include_str!("../templates/list.html")),
            ("form.html", include_str!("../templates/form.html")),
            ("invoice.html", include_str!("../templates/invoice.html")),
            ("deposit.html", include_str!("../templates/deposit.html")),
        ]
    }

    fn messages() -> &'static [(&'static str, &'static str)] {
        portico_sdk::messages!() // i18n/fr.json and i18n/en.json
    }

    fn handle(cx: &Context, req: &Request) -> Result<Response, Error> {
        let parts: Vec<&str> = req.path.trim_matches('/').split('/').collect();
        match (req.is_post(), parts.as_slice()) {
            (false, [""]) => list(cx, req),
            (false, ["new"]) => {
                let input = prefill(req);
                Ok(Response::View(form_view(cx, &input, None, None)?))
            }
            (true, ["new"]) => save(cx, req, None),
            (false, ["deposit"]) => {
                Ok(Response::View(deposit_view(&[], &InvoiceInput::default())?))
            }
            (true, ["deposit"]) => deposit(cx, req),
            (false, ["invoice", id]) => show(cx, req, id),
            (false, ["invoice", id, "edit"]) => {
                let inv = load(id)?;
                if !inv.is_draft() {
                    return Ok(Response::forbidden(i18n::message("errors.not-draft", &[])));
                }
                Ok(Response::View(form_view(
                    cx,
                    &to_input(&inv),
                    Some(&inv),
                    None,
                )?))
            }
            (true, ["invoice", id, "edit"]) => save(cx, req, Some(id)),
            (true, ["invoice", id, "send"]) => send_draft(cx, req, id),
            (true, ["invoice", id, "delete"]) => delete_draft(cx, id),
            (true, ["invoice", id, "complete"]) => complete(cx, req, id),
            (true, ["invoice", id, "recycle"]) => recycle(cx, req, id),
            (true, ["invoice", id, "acknowledge"]) => acknowledge(cx, id),
            (false, ["invoice", id, "certificate"]) => certificate(cx, id),
            (false, ["invoice", id, "file", n]) => download(id, n),
            _ => Ok(Response::not_found()),
        }
    }

    fn on_message(cx: &Context, msg: &Message) -> Result<(), Error> {
        match msg.kind.as_str() {
            "status-changed" => status_changed(cx, msg),
            "delivery-failed" => delivery_failed(cx, msg),
            "flow-invoice" => flow_invoice(cx, msg),
            // Unknown kinds are ignored rather than retried forever.
            _ => Ok(()),
        }
    }
}

// ---- storage -------------------------------------------------------------

fn load(id: &str) -> Result<Invoice, Error> {
    kv::get_json::<Invoice>(&format!("inv/{id}"))?.ok_or(Error::NotFound)
}

fn store(inv: &Invoice) -> Result<(), Error> {
    kv::set_json(&format!("inv/{}", inv.id), inv)?;
    track(&inv.id, Some(inv))
}

/// The homepage's overview is a tally (`portico_sdk::tally`, kv
/// `overview/…`), and the invoices to acknowledge are kv `ack/{id}`: each
/// change moves them, so no call reads every invoice (a flow of 10,000
/// would otherwise cost 10,000 reads per invoice).
const OVERVIEW_TALLY: &str = "overview";

/// How many invoices to acknowledge the homepage fact lists by name.
const ACKNOWLEDGE_SHOWN: u32 = 20;

/// Invoice `id`'s part in the overview and the list to acknowledge, now
/// that it is `inv` (`None`: deleted).
fn track(id: &str, inv: Option<&Invoice>) -> Result<(), Error> {
    tally::record(
        OVERVIEW_TALLY,
        id,
        inv.map(contribution).as_ref(),
        rebuild_overview,
    )?;
    match inv {
        Some(i) if i.needs_acknowledgement() => {
            kv::set_json(&format!("ack/{id}"), &to_acknowledge(i))
        }
        _ => kv::delete(&format!("ack/{id}"))
            .map(|_| ())
            .map_err(Into::into),
    }
}

/// One invoice's counts in the overview: its status, and the month it was
/// paid with the days from deposit to payment.
fn contribution(inv: &Invoice) -> tally::Counts {
    let mut c = tally::Counts::new();
    c.insert(format!("status/{}", model::known_status(&inv.status)), 1);
    if inv.needs_acknowledgement() {
        c.insert("to-acknowledge".into(), 1);
    }
    let at = |status: &str| {
        inv.history
            .iter()
            .find(|h| h.status == status)
            .map(|h| h.at_ms)
    };
    if let (Some(d), Some(p)) = (at("DEPOSEE"), at("MISE_EN_PAIEMENT")) {
        let month = &portico_sdk::time::format_date(p)[..7];
        c.insert(format!("paid/{month}/count"), 1);
        c.insert(
            format!("paid/{month}/days"),
            p.saturating_sub(d) / 86_400_000,
        );
    }
    c
}

fn to_acknowledge(i: &Invoice) -> serde_json::Value {
    json!({"id": i.id, "number": i.number, "status": i.status, "label": model::status_label(&i.status)})
}

/// The tally and the list to acknowledge from every invoice: once, when an
/// area upgraded with invoices already stored first needs them.
fn rebuild_overview() -> Result<Vec<(String, tally::Counts)>, Error> {
    let invoices = all_invoices()?;
    for i in invoices.iter().filter(|i| i.needs_acknowledgement()) {
        kv::set_json(&format!("ack/{}", i.id), &to_acknowledge(i))?;
    }
    Ok(invoices
        .iter()
        .map(|i| (i.id.clone(), contribution(i)))
        .collect())
}

fn all_invoices() -> Result<Vec<Invoice>, Error> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = kv::list_json::<Invoice>("inv/", after.as_deref(), LIST_PAGE)?;
        out.extend(page.items.into_iter().map(|(_, v)| v));
        match page.next {
            Some(n) => after = Some(n),
            None => return Ok(out),
        }
    }
}

/// A fresh id: the creation time, made unique within the structure.
fn new_id(now_ms: u64) -> Result<String, Error> {
    let base = format!("{now_ms:013}");
    for n in 0..100 {
        let id = if n == 0 {
            base.clone()
        } else {
            format!("{base}-{n}")
        };
        if kv::get(&format!("inv/{id}"))?.is_none() {
            return Ok(id);
        }
    }
    Err(Error::failed("could not allocate an invoice id"))
}

/// Months of payment delays kept in the `overview` fact (the homepage
/// shows the last twelve; two years keep the fact well under its 4 KiB).
const OVERVIEW_MONTHS: usize = 24;

/// The homepage's picture of this supplier, from the invoices themselves:
/// how many are in each status, and per month of payment the number paid
/// and the days from deposit to payment (summed, for an average).
fn overview(totals: &tally::Counts) -> serde_json::Value {
    let by_status: std::collections::BTreeMap<&str, u64> = totals
        .iter()
        .filter_map(|(k, n)| Some((k.strip_prefix("status/")?, *n)))
        .collect();
    let mut months = std::collections::BTreeMap::<&str, (u64, u64)>::new();
    for (k, n) in totals {
        let Some(rest) = k.strip_prefix("paid/") else {
            continue;
        };
        let Some((month, what)) = rest.split_once('/') else {
            continue;
        };
        let entry = months.entry(month).or_default();
        match what {
            "count" => entry.0 = *n,
            "days" => entry.1 = *n,
            _ => {}
        }
    }
    months.retain(|_, (n, _)| *n > 0);
    let payments: Vec<_> = months
        .iter()
        .rev()
        .take(OVERVIEW_MONTHS)
        .rev()
        .map(|(m, (n, days))| json!({"month": m, "count": n, "days": days}))
        .collect();
    json!({"by_status": by_status, "payments": payments})
}

/// Publishes what the homepage shows: invoices returned and not yet
/// acknowledged, and the overview of statuses and payment delays.
fn publish_to_acknowledge() -> Result<(), Error> {
    let totals = tally::totals(OVERVIEW_TALLY, rebuild_overview)?;
    facts::set_json("overview", &overview(&totals))?;
    // The first few (a fact stays small); the count is all of them.
    let items: Vec<serde_json::Value> = kv::list_json("ack/", None, ACKNOWLEDGE_SHOWN)?
        .items
        .into_iter()
        .map(|(_, v)| v)
        .collect();
    let count = totals.get("to-acknowledge").copied().unwrap_or(0);
    facts::set_json("to-acknowledge", &json!({"count": count, "items": items}))
}

fn history(
    inv: &mut Invoice,
    status: &str,
    at_ms: u64,
    by: &str,
    comment: &str,
    message_id: Option<&str>,
) {
    inv.status = status.to_string();
    inv.history.push(HistoryEntry {
        status: status.to_string(),
        at_ms,
        by: by.to_string(),
        comment: comment.to_string(),
        message_id: message_id.map(str::to_string),
    });
}

fn who(cx: &Context) -> String {
    format!("{} {}", cx.user.first_name, cx.user.last_name)
        .trim()
        .to_string()
}

// ---- list ------------------------------------------------------------------

#[derive(Serialize)]
struct Row {
    id: String,
    number: String,
    recipient: String,
    date: String,
    status: String,
    badge: &'static str,
    gross: String,
    currency: String,
    needs_ack: bool,
}

fn list(_cx: &Context, req: &Request) -> Result<Response, Error> {
    let status = req.query_value("status").unwrap_or("").to_string();
    let from = req.query_value("from").unwrap_or("").to_string();
    let to = req.query_value("to").unwrap_or("").to_string();
    let mut invoices = all_invoices()?;
    invoices.retain(|i| {
        (status.is_empty() || i.status == status)
            && (from.is_empty() || i.date.as_str() >= from.as_str())
            && (to.is_empty() || i.date.as_str() <= to.as_str())
    });
    invoices.sort_by(|a, b| b.id.cmp(&a.id));
    let total = invoices.len();
    let rows: Vec<Row> = invoices
        .into_iter()
        .take(MAX_SHOWN)
        .map(|i| Row {
            needs_ack: i.needs_acknowledgement(),
            badge: model::badge(&i.status),
            gross: money::cents(i.totals.gross),
            id: i.id,
            number: i.number,
            recipient: if i.recipient_name.is_empty() {
                i.recipient_id
            } else {
                i.recipient_name
            },
            date: i.date,
            status: model::known_status(&i.status).to_owned(),
            currency: i.currency,
        })
        .collect();
    let statuses: Vec<&str> = model::STATUSES.iter().map(|(c, _)| *c).collect();
    Ok(Response::view(
        "list.html",
        &i18n::message("title", &[]),
        &json!({
            "rows": rows, "total": total, "shown": rows.len(),
            "filter": {"status": status, "from": from, "to": to},
            "statuses": statuses,
        }),
    ))
}

// ---- entry form ------------------------------------------------------------

/// Reads the form into an [`InvoiceInput`].
fn read_input(req: &Request) -> InvoiceInput {
    let f = |name: &str| req.form_value(name).unwrap_or("").trim().to_string();
    let mut lines = Vec::new();
    for i in 1..=model::MAX_LINES {
        let g = |name: &str| {
            req.form_value(&format!("line-{i}-{name}"))
                .map(|v| v.trim().to_string())
        };
        let Some(designation) = g("designation") else {
            break;
        };
        lines.push(LineInput {
            reference: g("reference").unwrap_or_default(),
            designation,
            quantity: g("quantity").unwrap_or_default(),
            unit: g("unit").unwrap_or_default(),
            unit_price: g("unit_price").unwrap_or_default(),
            discount: g("discount").unwrap_or_default(),
            vat_rate: g("vat_rate").unwrap_or_default(),
        });
    }
    InvoiceInput {
        recipient: f("recipient").replace(' ', ""),
        service_code: f("service_code"),
        order_number: f("order_number"),
        contract_number: f("contract_number"),
        framework: f("framework"),
        number: f("number"),
        date: f("date"),
        kind: f("kind"),
        currency: f("currency").to_uppercase(),
        vat_regime: f("vat_regime"),
        vat_exemption_reason: f("vat_exemption_reason"),
        payment_mode: f("payment_mode"),
        original_number: f("original_number"),
        comment: f("comment"),
        lines,
        stated: None,
    }
}

/// A new invoice's defaults, plus what a link pre-fills (from a commitment).
fn prefill(req: &Request) -> InvoiceInput {
    let q = |n: &str| req.query_value(n).unwrap_or("").to_string();
    InvoiceInput {
        recipient: q("recipient"),
        service_code: q("service"),
        order_number: q("order"),
        framework: "A1_FACTURE_FOURNISSEUR".into(),
        kind: "FACTURE".into(),
        currency: "EUR".into(),
        vat_regime: "TVA_SUR_DEBIT".into(),
        payment_mode: "VIREMENT".into(),
        lines: if q("designation").is_empty() {
            Vec::new()
        } else {
            vec![LineInput {
                designation: q("designation"),
                quantity: "1".into(),
                unit_price: q("amount"),
                vat_rate: "20".into(),
                ..Default::default()
            }]
        },
        ..Default::default()
    }
}

fn to_input(inv: &Invoice) -> InvoiceInput {
    InvoiceInput {
        recipient: inv.recipient_id.clone(),
        service_code: inv.service_code.clone(),
        order_number: inv.order_number.clone(),
        contract_number: inv.contract_number.clone(),
        framework: inv.framework.clone(),
        number: inv.number.clone(),
        date: inv.date.clone(),
        kind: inv.kind.clone(),
        currency: inv.currency.clone(),
        vat_regime: inv.vat_regime.clone(),
        vat_exemption_reason: inv.vat_exemption_reason.clone(),
        payment_mode: inv.payment_mode.clone(),
        original_number: inv.original_number.clone(),
        comment: inv.comment.clone(),
        lines: inv
            .lines
            .iter()
            .map(|l| LineInput {
                reference: l.reference.clone(),
                designation: l.designation.clone(),
                quantity: l.quantity.clone(),
                unit: l.unit.clone(),
                unit_price: l.unit_price.clone(),
                discount: if l.discount == "0.00" {
                    String::new()
                } else {
                    l.discount.clone()
                },
                vat_rate: l.vat_rate.clone(),
            })
            .collect(),
        stated: None,
    }
}

/// The codes of a (code, label) list; templates label them from the catalogues.
fn choices(list: &[(&'static str, &str)]) -> Vec<&'static str> {
    list.iter().map(|(c, _)| *c).collect()
}

/// The framework codes offered, with their catalogue labels and explanations.
fn frameworks() -> Vec<serde_json::Value> {
    model::FRAMEWORKS
        .iter()
        .map(|(c, _, _)| json!({"value": c}))
        .collect()
}

fn form_view(
    cx: &Context,
    input: &InvoiceInput,
    existing: Option<&Invoice>,
    recipient: Option<&Recipient>,
) -> Result<View, Error> {
    let mut lines = input.lines.clone();
    while lines.len() < model::FORM_LINES.max(input.lines.len() + 1) {
        lines.push(LineInput::default());
    }
    let action = match existing {
        Some(inv) => cx.href(&format!("/invoice/{}/edit", inv.id)),
        None => cx.href("/new"),
    };
    let recipient = match recipient {
        Some(r) => Some(r.clone()),
        None if !input.recipient.is_empty() => messages::lookup(&input.recipient).ok().flatten(),
        None => None,
    };
    let recipient_services = recipient.as_ref().map(|r| {
        r.services
            .iter()
            .map(|(code, name)| format!("{code} ({name})"))
            .collect::<Vec<_>>()
            .join(", ")
    });
    View::new(
        "form.html",
        &i18n::message(
            if existing.is_some() {
                "edit-draft"
            } else {
                "new-invoice"
            },
            &[],
        ),
        &json!({
            "action": action,
            "values": input,
            "lines": lines,
            "recipient": recipient,
            "recipient_services": recipient_services,
            "frameworks": frameworks(),
            "types": choices(&model::TYPES),
            "vat_regimes": choices(&model::VAT_REGIMES),
            "payment_modes": choices(&model::PAYMENT_MODES),
            "currencies": model::CURRENCIES,
            "max_number": model::MAX_NUMBER_CHARS,
        }),
    )
}

/// The recipient's directory entry, if the identifier names one.
fn recipient_of(input: &InvoiceInput) -> Result<Option<Recipient>, Error> {
    if input.recipient.is_empty() {
        return Ok(None);
    }
    Ok(messages::lookup(&input.recipient)?)
}

/// Errors as form field errors, with `view` re-rendered: a 422.
fn invalid(message: &str, errors: Vec<(String, String)>, view: View) -> Response {
    Response::invalid(
        message,
        errors
            .into_iter()
            .map(|(f, m)| FieldError::new(f, m))
            .collect(),
        view,
    )
}

/// Checks the number is free for this supplier (other than `own` invoice).
fn number_taken(number: &str, own: Option<&str>) -> Result<bool, Error> {
    Ok(match kv::get_json::<String>(&format!("num/{number}"))? {
        Some(id) => Some(id.as_str()) != own,
        None => false,
    })
}

/// `POST /new` and `POST /invoice/{id}/edit`: save a draft, send, or just
/// check the recipient.
fn save(cx: &Context, req: &Request, id: Option<&str>) -> Result<Response, Error> {
    let existing = id.map(load).transpose()?;
    if existing.as_ref().is_some_and(|inv| !inv.is_draft()) {
        return Ok(Response::forbidden(i18n::message(
            "errors.sent-no-edit",
            &[],
        )));
    }
    let input = read_input(req);
    let action = req.form_value("action").unwrap_or("draft");
    let recipient = recipient_of(&input)?;
    if action == "check" {
        return Ok(Response::View(form_view(
            cx,
            &input,
            existing.as_ref(),
            recipient.as_ref(),
        )?));
    }
    let sending = action == "send";
    let (checked, mut errors) = model::check(&input, recipient.as_ref(), sending);
    if !input.number.is_empty() && number_taken(&input.number, id)? {
        errors.push((
            "number".into(),
            i18n::message("errors.number-used", &[("number", &input.number)]),
        ));
    }
    if sending && req.form_value("confirm") != Some("yes") {
        errors.push(("confirm".into(), i18n::message("errors.confirm", &[])));
    }
    if !errors.is_empty() || checked.is_none() {
        let view = form_view(cx, &input, existing.as_ref(), recipient.as_ref())?;
        let what = if sending {
            "errors.not-sent"
        } else {
            "errors.not-saved"
        };
        return Ok(invalid(&i18n::message(what, &[]), errors, view));
    }
    let checked = checked.expect("checked when there are no errors");
    let now = cx.now_ms;
    let mut inv = match existing {
        Some(inv) => inv,
        None => Invoice::new_draft(new_id(now)?, "SAISIE_WEB", None, now),
    };
    if inv.number != input.number {
        if !inv.number.is_empty() {
            kv::delete(&format!("num/{}", inv.number))?;
        }
        kv::set_json(&format!("num/{}", input.number), &inv.id)?;
    }
    apply(&mut inv, &input, recipient.as_ref(), checked);
    for upload in req
        .files
        .iter()
        .filter(|u| u.field == "attachments" && !u.filename.is_empty())
    {
        if let Err(m) = files::check(upload) {
            let view = form_view(cx, &input, Some(&inv), recipient.as_ref())?;
            return Ok(invalid(
                &i18n::message("errors.attachment", &[]),
                vec![("attachments".into(), m)],
                view,
            ));
        }
        let file = files::save(
            &format!("file/{}/{}", inv.id, inv.attachments.len() + 1),
            upload,
        )?;
        inv.attachments.push(file);
    }
    if inv.history.is_empty() {
        history(&mut inv, "BROUILLON", now, &who(cx), "Saved as draft", None);
    }
    if sending {
        send(cx, &mut inv)?;
    }
    store(&inv)?;
    publish_to_acknowledge()?;
    let notice = if sending { "sent" } else { "draft" };
    Ok(Response::redirect(
        cx.href(&format!("/invoice/{}?done={notice}", inv.id)),
    ))
}

fn apply(
    inv: &mut Invoice,
    input: &InvoiceInput,
    recipient: Option<&Recipient>,
    checked: model::Checked,
) {
    inv.number = input.number.clone();
    inv.framework = input.framework.clone();
    inv.kind = input.kind.clone();
    inv.date = input.date.clone();
    inv.currency = input.currency.clone();
    inv.vat_regime = input.vat_regime.clone();
    inv.vat_exemption_reason = input.vat_exemption_reason.clone();
    inv.payment_mode = input.payment_mode.clone();
    inv.recipient_id = recipient.map_or(input.recipient.clone(), |r| r.id.clone());
    inv.recipient_name = recipient.map_or(String::new(), |r| r.name.clone());
    inv.service_code = input.service_code.clone();
    inv.order_number = input.order_number.clone();
    inv.contract_number = input.contract_number.clone();
    inv.original_number = input.original_number.clone();
    inv.comment = input.comment.clone();
    inv.lines = checked.lines;
    inv.vat_summary = checked.vat_summary;
    inv.totals = checked.totals;
}

/// What the recipient receives with `invoice-sent`.
#[derive(Serialize)]
struct Sent<'a> {
    supplier_id: &'a str,
    supplier_name: &'a str,
    invoice: &'a Invoice,
}

/// Sends `inv` (deposited now): the status, the history and the durable
/// message to the recipient commit together with the caller's writes.
fn send(cx: &Context, inv: &mut Invoice) -> Result<(), Error> {
    let supplier = cx.structure.as_ref().ok_or(Error::NotFound)?;
    inv.deposited_ms = Some(cx.now_ms);
    inv.acknowledged = false;
    history(
        inv,
        "DEPOSEE",
        cx.now_ms,
        &who(cx),
        &format!("Sent to {}", display_recipient(inv)),
        None,
    );
    let mut snapshot = inv.clone();
    snapshot.history.clear();
    let id = messages::send_json(
        &inv.recipient_id,
        RECEIVED_AREA,
        "invoice-sent",
        &Sent {
            supplier_id: &supplier.id,
            supplier_name: &supplier.name,
            invoice: &snapshot,
        },
    )?;
    kv::set_json(&format!("sent/{id}"), &inv.id)
}

fn display_recipient(inv: &Invoice) -> String {
    let mut s = if inv.recipient_name.is_empty() {
        inv.recipient_id.clone()
    } else {
        format!("{} ({})", inv.recipient_name, inv.recipient_id)
    };
    if !inv.service_code.is_empty() {
        s.push_str(&format!(", service {}", inv.service_code));
    }
    s
}

/// `POST /invoice/{id}/send`: send a saved draft (with confirmation).
fn send_draft(cx: &Context, req: &Request, id: &str) -> Result<Response, Error> {
    let mut inv = load(id)?;
    if !inv.is_draft() {
        return Ok(Response::forbidden(i18n::message(
            "errors.already-sent",
            &[],
        )));
    }
    let input = to_input(&inv);
    let recipient = recipient_of(&input)?;
    let (checked, mut errors) = model::check(&input, recipient.as_ref(), true);
    if req.form_value("confirm") != Some("yes") {
        errors.push(("confirm".into(), i18n::message("errors.confirm-send", &[])));
    }
    if !errors.is_empty() {
        let view = invoice_view(cx, &inv, None)?;
        return Ok(invalid(
            &i18n::message("errors.draft-not-sent", &[]),
            errors,
            view,
        ));
    }
    if let Some(c) = checked {
        apply(&mut inv, &input, recipient.as_ref(), c);
    }
    send(cx, &mut inv)?;
    store(&inv)?;
    publish_to_acknowledge()?;
    Ok(Response::redirect(
        cx.href(&format!("/invoice/{id}?done=sent")),
    ))
}

fn delete_draft(cx: &Context, id: &str) -> Result<Response, Error> {
    let inv = load(id)?;
    if !inv.is_draft() {
        return Ok(Response::forbidden(i18n::message("errors.no-delete", &[])));
    }
    kv::delete(&format!("inv/{id}"))?;
    kv::delete(&format!("num/{}", inv.number))?;
    track(id, None)?;
    publish_to_acknowledge()?;
    Ok(Response::redirect(cx.href("/")))
}

// ---- one invoice -------------------------------------------------------------

/// One history entry as shown: the portal's own comments (stored in English
/// by earlier versions and by the recipient's area) become catalogue
/// sentences (`history.<note>`); people's words are shown as written.
fn history_row(h: &HistoryEntry) -> serde_json::Value {
    let (note, arg) = match h.comment.as_str() {
        "Saved as draft" => (Some("saved-draft"), ""),
        "Received" => (Some("received"), ""),
        "Sent again with corrected routing" => (Some("received-again"), ""),
        "Acknowledged." => (Some("acknowledged"), ""),
        c if c.starts_with("Rejection acknowledged") => (Some("ack-rejection"), ""),
        c if c.starts_with("Suspension acknowledged") => (Some("ack-suspension"), ""),
        c => match c.strip_prefix("Sent to ") {
            Some(rest) => (Some("sent-to"), rest),
            None => (None, ""),
        },
    };
    let (portal, by_rest) = match h.by.strip_prefix("Portal") {
        Some(rest) => (true, rest.trim()),
        None => (false, ""),
    };
    json!({
        "status": model::known_status(&h.status),
        "at_ms": h.at_ms,
        "by": h.by,
        "portal": portal,
        "by_rest": by_rest,
        "comment": h.comment,
        "note": note,
        "arg": arg,
    })
}

fn invoice_view(cx: &Context, inv: &Invoice, done: Option<&str>) -> Result<View, Error> {
    let history: Vec<_> = inv.history.iter().rev().map(history_row).collect();
    // Texts: `notice.<done>`.
    let notice = ["draft", "sent", "completed", "recycled", "acknowledged"]
        .into_iter()
        .find(|n| Some(*n) == done);
    let recipient = messages::lookup(&inv.recipient_id).ok().flatten();
    View::new(
        "invoice.html",
        &i18n::message("invoice", &[("number", &inv.number)]),
        &json!({
            "inv": inv,
            "status": model::known_status(&inv.status),
            "badge": model::badge(&inv.status),
            "known": {
                "framework": model::FRAMEWORK_CODES.contains(&inv.framework.as_str()),
                "kind": model::TYPES.iter().any(|t| t.0 == inv.kind),
                "vat_regime": model::VAT_REGIMES.iter().any(|t| t.0 == inv.vat_regime),
                "payment_mode": model::PAYMENT_MODES.iter().any(|t| t.0 == inv.payment_mode),
                "source": model::SOURCES.contains(&inv.source.as_str()),
            },
            "vat_categories": model::VAT_CATEGORIES,
            "units": model::UNITS,
            "totals": {
                "net": money::cents(inv.totals.net), "vat": money::cents(inv.totals.vat),
                "gross": money::cents(inv.totals.gross), "due": money::cents(inv.totals.due),
                "lines": money::cents(inv.totals.lines), "allowances": money::cents(inv.totals.allowances),
                "charges": money::cents(inv.totals.charges), "prepaid": money::cents(inv.totals.prepaid),
                "rounding": money::cents(inv.totals.rounding),
                "vat_accounting": inv.totals.vat_accounting.as_ref().map(|(c, v)| json!({"currency": c, "amount": money::cents(*v)})),
            },
            "vat_summary": inv.vat_summary.iter().map(|v| json!({"category": v.category, "rate": money::rate(v.rate), "base": money::cents(v.base), "vat": money::cents(v.vat), "exemption": v.exemption})).collect::<Vec<_>>(),
            "history": history,
            "notice": notice,
            "recipient": recipient,
            "can": {
                "edit": inv.is_draft(),
                "complete": inv.status == "SUSPENDUE",
                "recycle": matches!(inv.status.as_str(), "A_RECYCLER" | "ECHEC_ACHEMINEMENT"),
                "acknowledge": inv.needs_acknowledgement(),
                "certificate": inv.deposited_ms.is_some(),
            },
            "base": cx.href(&format!("/invoice/{}", inv.id)),
        }),
    )
}

fn show(cx: &Context, req: &Request, id: &str) -> Result<Response, Error> {
    let inv = load(id)?;
    Ok(Response::View(invoice_view(
        cx,
        &inv,
        req.query_value("done"),
    )?))
}

/// `POST /invoice/{id}/complete`: answer a suspension with a comment and
/// attachments; the invoice goes back to the recipient as Completed.
fn complete(cx: &Context, req: &Request, id: &str) -> Result<Response, Error> {
    let mut inv = load(id)?;
    if inv.status != "SUSPENDUE" {
        return Ok(Response::forbidden(i18n::message(
            "errors.not-suspended",
            &[],
        )));
    }
    let mut form = Form::new(req);
    let comment = form
        .field("comment")
        .required()
        .max_chars(model::MAX_COMMENT_CHARS)
        .value();
    let mut added = Vec::new();
    for upload in req
        .files
        .iter()
        .filter(|u| u.field == "attachments" && !u.filename.is_empty())
    {
        match files::check(upload) {
            Ok(()) => added.push(upload),
            Err(m) => form.error("attachments", m),
        }
    }
    form.finish(|| invoice_view(cx, &inv, None))?;
    let mut names = Vec::new();
    for upload in added {
        let file = files::save(
            &format!("file/{}/{}", inv.id, inv.attachments.len() + 1),
            upload,
        )?;
        names.push(file.name.clone());
        inv.attachments.push(file);
    }
    history(&mut inv, "COMPLETEE", cx.now_ms, &who(cx), &comment, None);
    inv.acknowledged = true;
    messages::send_json(
        &inv.recipient_id,
        RECEIVED_AREA,
        "invoice-completed",
        &json!({"invoice_id": inv.id, "comment": comment, "attachments": names}),
    )?;
    store(&inv)?;
    publish_to_acknowledge()?;
    Ok(Response::redirect(
        cx.href(&format!("/invoice/{id}?done=completed")),
    ))
}

/// `POST /invoice/{id}/recycle`: fix the routing (recipient, service,
/// commitment number) of an invoice to recycle and send it again, same number.
fn recycle(cx: &Context, req: &Request, id: &str) -> Result<Response, Error> {
    let mut inv = load(id)?;
    if !matches!(inv.status.as_str(), "A_RECYCLER" | "ECHEC_ACHEMINEMENT") {
        return Ok(Response::forbidden(i18n::message(
            "errors.not-recyclable",
            &[],
        )));
    }
    // Only the routing changes: the amounts stay those that were sent.
    let recipient_id = req.form_value("recipient").unwrap_or("").replace(' ', "");
    let service_code = req
        .form_value("service_code")
        .unwrap_or("")
        .trim()
        .to_string();
    let order_number = req
        .form_value("order_number")
        .unwrap_or("")
        .trim()
        .to_string();
    let recipient = if recipient_id.is_empty() {
        None
    } else {
        messages::lookup(&recipient_id)?
    };
    let mut routing: Vec<(String, String)> = chorus::routing(
        &recipient_id,
        recipient.as_ref(),
        &service_code,
        &order_number,
    )
    .into_iter()
    .map(|(f, finding)| (f.to_string(), finding.reference()))
    .collect();
    if recipient_id.is_empty() {
        routing.push((
            "recipient".into(),
            i18n::message("errors.recipient-needed", &[]),
        ));
    }
    if order_number.chars().count() > model::MAX_ORDER_CHARS {
        routing.push((
            "order_number".into(),
            i18n::message(
                "errors.order-too-long",
                &[("max", &model::MAX_ORDER_CHARS.to_string())],
            ),
        ));
    }
    if !routing.is_empty() {
        let view = invoice_view(cx, &inv, None)?;
        return Ok(invalid(
            &i18n::message("errors.not-resent", &[]),
            routing,
            view,
        ));
    }
    inv.recipient_id = recipient_id;
    inv.recipient_name = recipient.map(|r| r.name).unwrap_or_default();
    inv.service_code = service_code;
    inv.order_number = order_number;
    send(cx, &mut inv)?;
    store(&inv)?;
    publish_to_acknowledge()?;
    Ok(Response::redirect(
        cx.href(&format!("/invoice/{id}?done=recycled")),
    ))
}

/// `POST /invoice/{id}/acknowledge`: the supplier saw the return.
fn acknowledge(cx: &Context, id: &str) -> Result<Response, Error> {
    let mut inv = load(id)?;
    if !inv.needs_acknowledgement() {
        return Ok(Response::redirect(cx.href(&format!("/invoice/{id}"))));
    }
    let action = match inv.status.as_str() {
        "REJETEE" => {
            "Rejection acknowledged (ACQUITTEMENT_REJET); issue a new invoice with a new number."
        }
        "SUSPENDUE" => "Suspension acknowledged (ACQUITTEMENT_SUSPENSION).",
        _ => "Acknowledged.",
    };
    inv.acknowledged = true;
    let status = inv.status.clone();
    history(&mut inv, &status, cx.now_ms, &who(cx), action, None);
    store(&inv)?;
    publish_to_acknowledge()?;
    Ok(Response::redirect(
        cx.href(&format!("/invoice/{id}?done=acknowledged")),
    ))
}

fn certificate(cx: &Context, id: &str) -> Result<Response, Error> {
    let inv = load(id)?;
    let Some(at) = inv.deposited_ms else {
        return Ok(Response::forbidden(
            "A draft has no deposit certificate: it was not sent.",
        ));
    };
    let supplier = cx.structure.as_ref().ok_or(Error::NotFound)?;
    let text = format!(
        "DEPOSIT CERTIFICATE\n\
         ===================\n\n\
         The invoice below was deposited on the portal on {deposited}.\n\
         The date of deposit starts the legal payment period.\n\n\
         Supplier:          {sname} ({sid})\n\
         Recipient:         {recipient}\n\
         Invoice number:    {number}\n\
         Invoice date:      {date}\n\
         Type:              {kind}\n\
         Billing framework: {framework}\n\
         Commitment number: {order}\n\
         Total excl. VAT:   {net} {cur}\n\
         VAT:               {vat} {cur}\n\
         Total incl. VAT:   {gross} {cur}\n\
         Amount to pay:     {due} {cur}\n\
         Deposit mode:      {source}\n\
         Reference:         {id}\n",
        deposited = portico_sdk::time::format_utc(at),
        sname = supplier.name,
        sid = supplier.id,
        recipient = display_recipient(&inv),
        number = inv.number,
        date = inv.date,
        kind = inv.kind,
        framework = inv.framework,
        order = if inv.order_number.is_empty() {
            "—"
        } else {
            &inv.order_number
        },
        net = money::cents(inv.totals.net),
        vat = money::cents(inv.totals.vat),
        gross = money::cents(inv.totals.gross),
        due = money::cents(inv.totals.due),
        cur = inv.currency,
        source = inv.source,
        id = inv.id,
    );
    Ok(Response::download(
        format!("deposit-certificate-{}.txt", inv.number),
        "text/plain; charset=utf-8",
        text.into_bytes(),
    ))
}

fn download(id: &str, n: &str) -> Result<Response, Error> {
    let inv = load(id)?;
    let file: Option<&FileRef> = if n == "main" {
        inv.main_file.as_ref()
    } else {
        n.parse::<usize>()
            .ok()
            .and_then(|i| inv.attachments.get(i.wrapping_sub(1)))
    };
    let Some(file) = file else {
        return Ok(Response::not_found());
    };
    Ok(Response::download(
        &file.name,
        &file.content_type,
        files::load(file)?,
    ))
}

// ---- deposit -------------------------------------------------------------------

fn deposit_view(problems: &[String], input: &InvoiceInput) -> Result<View, Error> {
    View::new(
        "deposit.html",
        &i18n::message("deposit-title", &[]),
        &json!({"problems": problems, "values": input, "types": choices(&model::TYPES), "vat_regimes": choices(&model::VAT_REGIMES), "payment_modes": choices(&model::PAYMENT_MODES), "frameworks": model::FRAMEWORKS.iter().map(|(c, _, _)| *c).collect::<Vec<_>>()}),
    )
}

/// `POST /deposit`: a UBL, CII or Factur-X file is read into the EN 16931
/// model, checked against the standard's rules then Chorus Pro's; a plain
/// PDF needs the same fields entered beside it. The invoice is sent at once
/// only when "send once accepted" is ticked (sending starts the legal
/// payment period); otherwise it is kept as a draft to send later.
fn deposit(cx: &Context, req: &Request) -> Result<Response, Error> {
    let me = cx.structure.as_ref().ok_or(Error::NotFound)?;
    let refuse = |message: String| -> Result<Response, Error> {
        let view = deposit_view(&[], &read_input(req))?;
        Ok(invalid(
            &i18n::message("errors.file-refused", &[]),
            vec![("file".into(), message)],
            view,
        ))
    };
    let Some(upload) = req.file("file").filter(|u| !u.filename.is_empty()) else {
        let view = deposit_view(&[], &read_input(req))?;
        return Ok(invalid(
            &i18n::message("errors.choose-file", &[]),
            vec![("file".into(), i18n::message("errors.choose-file-kind", &[]))],
            view,
        ));
    };
    let (doc, source, recipient) = match read_structured(&me.id, upload)? {
        Structured::Read {
            doc,
            source,
            recipient,
        } => (doc, source, recipient),
        Structured::PlainPdf => return deposit_pdf(cx, req, upload),
        Structured::Refused(m) => return refuse(m),
        Structured::Findings { findings, .. } => {
            let problems: Vec<String> = findings.iter().map(|f| f.reference()).collect();
            let view = deposit_view(&problems, &InvoiceInput::default())?;
            let n = problems.len();
            return Ok(invalid(
                &i18n::message("errors.not-deposited", &[("count", &n.to_string())]),
                Vec::new(),
                view,
            ));
        }
    };
    let now = cx.now_ms;
    let id = new_id(now)?;
    let main = files::save(&format!("file/{id}/main"), upload)?;
    let mut inv = Invoice::new_draft(id.clone(), source.code(), Some(main), now);
    chorus::apply(
        &doc,
        &mut inv,
        recipient.as_ref(),
        source == xml::Source::FacturX,
    );
    kv::set_json(&format!("num/{}", inv.number), &inv.id)?;
    // "Send once accepted" unticked: kept as a draft (sending starts the
    // legal payment period).
    let send_now = req.form_value("confirm") == Some("yes");
    if send_now {
        send(cx, &mut inv)?;
    }
    store(&inv)?;
    publish_to_acknowledge()?;
    let done = if send_now { "sent" } else { "draft" };
    Ok(Response::redirect(
        cx.href(&format!("/invoice/{id}?done={done}")),
    ))
}

/// What reading a deposited file gave.
enum Structured {
    /// An invoice that passed every check.
    Read {
        doc: Box<en16931::model::Invoice>,
        source: xml::Source,
        recipient: Option<Recipient>,
    },
    /// A PDF without an embedded invoice: its fields must be entered.
    PlainPdf,
    /// The file itself is refused (a translatable message).
    Refused(String),
    /// The invoice breaks rules of the standard or of Chorus Pro.
    Findings {
        findings: Vec<en16931::Finding>,
        number: String,
        recipient: String,
    },
}

/// Reads a UBL, CII or Factur-X file into the EN 16931 model and checks it
/// against the standard's rules, then Chorus Pro's (routing to the buyer,
/// number not used yet): the one path of `POST /deposit` and of flows.
fn read_structured(me: &str, upload: &portico_sdk::Upload) -> Result<Structured, Error> {
    if let Err(m) = files::check(upload) {
        return Ok(Structured::Refused(m));
    }
    let lower = upload.filename.to_lowercase();
    let structured = if lower.ends_with(".xml") {
        Some((upload.bytes.clone(), xml::Source::Ubl))
    } else if lower.ends_with(".pdf") {
        match en16931::facturx::embedded_invoice(&upload.bytes) {
            Ok(Some(x)) => Some((x, xml::Source::FacturX)),
            Ok(None) => None,
            Err(m) => return Ok(Structured::Refused(m)),
        }
    } else {
        return Ok(Structured::Refused(i18n::message("errors.file-kind", &[])));
    };
    let Some((bytes, source)) = structured else {
        return Ok(Structured::PlainPdf);
    };
    let (doc, mut findings) = match xml::read(&bytes) {
        Ok(read) => read,
        Err(why) => {
            return Ok(Structured::Refused(portico_sdk::i18n::compose(
                "en16931.unreadable.file",
                &[
                    ("file", portico_sdk::i18n::Arg::Text(&upload.filename)),
                    ("why", portico_sdk::i18n::Arg::Message(&why)),
                ],
            )));
        }
    };
    let source = match (source, doc.syntax) {
        (xml::Source::FacturX, _) => xml::Source::FacturX,
        (_, en16931::model::Syntax::Cii) => xml::Source::Cii,
        _ => xml::Source::Ubl,
    };
    findings.extend(en16931::rules::check(&doc));
    let recipient = match chorus::buyer_siret(&doc) {
        Ok(siret) => messages::lookup(&siret)?,
        Err(_) => None,
    };
    findings.extend(chorus::check(&doc, me, recipient.as_ref()));
    let number = doc.number.clone().unwrap_or_default();
    if !number.is_empty() && number_taken(&number, None)? {
        findings.push(en16931::Finding::new(
            "CHORUS-NUMBER-USED",
            "BT-1",
            &number,
            "",
        ));
    }
    if findings.is_empty() {
        Ok(Structured::Read {
            doc: Box::new(doc),
            source,
            recipient,
        })
    } else {
        Ok(Structured::Findings {
            findings,
            number,
            recipient: chorus::buyer_siret(&doc).unwrap_or_default(),
        })
    }
}

/// A plain PDF: its fields are entered beside it and checked as a form.
fn deposit_pdf(
    cx: &Context,
    req: &Request,
    upload: &portico_sdk::Upload,
) -> Result<Response, Error> {
    let input = read_input(req);
    let recipient = recipient_of(&input)?;
    let (checked, errors) = model::check(&input, recipient.as_ref(), true);
    let mut problems: Vec<String> = errors.into_iter().map(|(_, m)| m).collect();
    if !input.number.is_empty() && number_taken(&input.number, None)? {
        problems.push(format!(
            "You already used the number {}: every invoice needs its own number.",
            input.number
        ));
    }
    let checked = match checked {
        Some(c) if problems.is_empty() => c,
        _ => {
            let view = deposit_view(&problems, &input)?;
            let n = problems.len();
            return Ok(invalid(
                &i18n::message("errors.not-deposited", &[("count", &n.to_string())]),
                Vec::new(),
                view,
            ));
        }
    };
    let now = cx.now_ms;
    let id = new_id(now)?;
    let main = files::save(&format!("file/{id}/main"), upload)?;
    let mut inv = Invoice::new_draft(id.clone(), "DEPOT_PDF", Some(main), now);
    apply(&mut inv, &input, recipient.as_ref(), checked);
    kv::set_json(&format!("num/{}", inv.number), &inv.id)?;
    let send_now = req.form_value("confirm") == Some("yes");
    if send_now {
        send(cx, &mut inv)?;
    }
    store(&inv)?;
    publish_to_acknowledge()?;
    let done = if send_now { "sent" } else { "draft" };
    Ok(Response::redirect(
        cx.href(&format!("/invoice/{id}?done={done}")),
    ))
}

// ---- flows ---------------------------------------------------------------------

/// The platform: flows' invoices come from it, their verdicts go to it.
const PLATFORM: &str = "portico";
const FR: &str = include_str!("../i18n/fr.json");
const EN: &str = include_str!("../i18n/en.json");

#[derive(Deserialize)]
struct FlowInvoice {
    flow: String,
    index: u32,
    #[serde(default)]
    mode: String,
}

/// A translatable message in both languages, for the flow's report (the
/// Data flow overview and the API show texts this area wrote).
fn both(text: &str) -> serde_json::Value {
    json!({
        "fr": i18n::in_language(text, "fr", Some(FR)),
        "en": i18n::in_language(text, "en", Some(EN)),
    })
}

fn flow_error(code: &str, field: &str, message: &str, fix: &str) -> serde_json::Value {
    json!({"code": code, "field": field, "message": both(message), "fix": both(fix)})
}

/// One invoice of a data flow (message `flow-invoice` from the platform):
/// checked exactly as `POST /deposit` checks a file; in production it is
/// kept and sent to its recipient at once (as a person ticking "send once
/// accepted"), in qualification only checked. The verdict goes back to the
/// platform in the same transaction (`flow-invoice-result`).
fn flow_invoice(cx: &Context, msg: &Message) -> Result<(), Error> {
    let me = cx.structure.as_ref().ok_or(Error::NotFound)?;
    // Only the platform deposits flows, for this very structure.
    if msg.from_area != PLATFORM || msg.from_structure != me.id {
        return Ok(());
    }
    let m: FlowInvoice = serde_json::from_str(&msg.payload)
        .map_err(|e| Error::failed(format!("flow-invoice: bad payload: {e}")))?;
    let qualification = m.mode == "qualification";
    let answer = |verdict: &str,
                  number: &str,
                  recipient: &str,
                  invoice_id: Option<&str>,
                  errors: Vec<serde_json::Value>|
     -> Result<(), Error> {
        messages::send_json(
            &me.id,
            PLATFORM,
            "flow-invoice-result",
            &json!({
                "flow": m.flow, "index": m.index, "verdict": verdict, "number": number,
                "recipient": recipient, "invoice_id": invoice_id, "errors": errors,
            }),
        )?;
        Ok(())
    };
    let Some(file) = portico_sdk::flows::invoice_file(&m.flow, m.index)? else {
        return answer(
            "not-receivable",
            "",
            "",
            None,
            vec![flow_error(
                "FLOW-FILE-MISSING",
                "file",
                &i18n::message("flow.file-missing", &[]),
                &i18n::message("flow.deposit-again", &[]),
            )],
        );
    };
    let upload = portico_sdk::Upload {
        field: "file".into(),
        filename: file.filename,
        content_type: file.content_type,
        bytes: file.bytes,
    };
    let (doc, source, recipient) = match read_structured(&me.id, &upload)? {
        Structured::Read {
            doc,
            source,
            recipient,
        } => (doc, source, recipient),
        Structured::PlainPdf => {
            return answer(
                "not-receivable",
                "",
                "",
                None,
                vec![flow_error(
                    "FLOW-PDF-WITHOUT-XML",
                    "file",
                    &i18n::message("flow.plain-pdf", &[]),
                    &i18n::message("flow.plain-pdf-fix", &[]),
                )],
            );
        }
        Structured::Refused(why) => {
            return answer(
                "not-receivable",
                "",
                "",
                None,
                vec![flow_error(
                    "FLOW-FILE",
                    "file",
                    &why,
                    &i18n::message("flow.file-fix", &[]),
                )],
            );
        }
        Structured::Findings {
            findings,
            number,
            recipient,
        } => {
            let errors = findings
                .iter()
                .map(|f| {
                    let fix = if f.expected.is_empty() {
                        i18n::message(
                            &format!("en16931.rule.{}", en16931::findings::wording(&f.rule)),
                            &[],
                        )
                    } else {
                        portico_sdk::i18n::compose(
                            "en16931.expected.default",
                            &[("value", portico_sdk::i18n::Arg::Text(&f.expected))],
                        )
                    };
                    flow_error(&f.rule, f.term, &f.reference(), &fix)
                })
                .collect();
            return answer("not-receivable", &number, &recipient, None, errors);
        }
    };
    let number = doc.number.clone().unwrap_or_default();
    let recipient_id = chorus::buyer_siret(&doc).unwrap_or_default();
    // What does not refuse the invoice but its sender must know.
    let notices: Vec<serde_json::Value> = chorus::payment_days(&doc)
        .filter(|days| *days > chorus::LEGAL_PAYMENT_DAYS)
        .map(|days| {
            let days = days.to_string();
            let legal = chorus::LEGAL_PAYMENT_DAYS.to_string();
            let args = [("days", days.as_str()), ("legal", legal.as_str())];
            flow_error(
                "CHORUS-PAYMENT-DELAY",
                "BT-9",
                &i18n::message("flow.payment-delay", &args),
                &i18n::message("flow.payment-delay-fix", &args),
            )
        })
        .into_iter()
        .collect();
    let verdict = if notices.is_empty() {
        "receivable"
    } else {
        "receivable-with-errors"
    };
    if qualification {
        // Checked and reported; nothing kept, nothing sent.
        return answer(verdict, &number, &recipient_id, None, notices);
    }
    let now = cx.now_ms;
    let id = new_id(now)?;
    let main = files::save(&format!("file/{id}/main"), &upload)?;
    let mut inv = Invoice::new_draft(id.clone(), source.code(), Some(main), now);
    chorus::apply(
        &doc,
        &mut inv,
        recipient.as_ref(),
        source == xml::Source::FacturX,
    );
    kv::set_json(&format!("num/{}", inv.number), &inv.id)?;
    send(cx, &mut inv)?;
    store(&inv)?;
    publish_to_acknowledge()?;
    answer(verdict, &inv.number, &inv.recipient_id, Some(&id), notices)
}

/// Tells the platform an invoice's status changed, for the structure's
/// webhooks (`invoice.status-changed`).
fn notify_status(cx: &Context, inv: &Invoice, status: &str, reason: &str) -> Result<(), Error> {
    let me = cx.structure.as_ref().ok_or(Error::NotFound)?;
    messages::send_json(
        &me.id,
        PLATFORM,
        "invoice-status",
        &json!({
            "invoice-id": inv.id, "number": inv.number, "recipient": inv.recipient_id,
            "status": status, "reason": reason, "at-ms": cx.now_ms,
        }),
    )?;
    Ok(())
}

// ---- messages ------------------------------------------------------------------

#[derive(Deserialize)]
struct StatusChanged {
    invoice_id: String,
    status: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    by: String,
}

fn status_changed(cx: &Context, msg: &Message) -> Result<(), Error> {
    let m: StatusChanged = serde_json::from_str(&msg.payload)
        .map_err(|e| Error::failed(format!("status-changed: bad payload: {e}")))?;
    let Some(mut inv) = kv::get_json::<Invoice>(&format!("inv/{}", m.invoice_id))? else {
        return Ok(()); // not ours (deleted draft ids never reach a recipient)
    };
    // Only the invoice's recipient may set its statuses.
    if msg.from_structure != inv.recipient_id
        || !model::RECIPIENT_STATUSES.contains(&m.status.as_str())
    {
        return Ok(());
    }
    if inv
        .history
        .iter()
        .any(|h| h.message_id.as_deref() == Some(msg.id.as_str()))
    {
        return Ok(()); // a redelivery
    }
    let by = if m.by.is_empty() {
        inv.recipient_name.clone()
    } else {
        format!("{} ({})", m.by, inv.recipient_name)
    };
    history(
        &mut inv,
        &m.status,
        cx.now_ms,
        &by,
        &m.reason,
        Some(&msg.id),
    );
    if matches!(m.status.as_str(), "SUSPENDUE" | "REJETEE" | "A_RECYCLER") {
        inv.acknowledged = false;
    }
    store(&inv)?;
    notify_status(cx, &inv, &m.status, &m.reason)?;
    if m.status == "MISE_EN_PAIEMENT" && facts::get("issued-invoices", "payment-reached")?.is_none()
    {
        facts::set_json(
            "payment-reached",
            &json!({"first": inv.number, "at_ms": cx.now_ms}),
        )?;
    }
    publish_to_acknowledge()
}

fn delivery_failed(cx: &Context, msg: &Message) -> Result<(), Error> {
    let v: serde_json::Value = serde_json::from_str(&msg.payload).unwrap_or_default();
    let original = v["message-id"].as_str().unwrap_or("");
    let Some(id) = kv::get_json::<String>(&format!("sent/{original}"))? else {
        return Ok(());
    };
    let Some(mut inv) = kv::get_json::<Invoice>(&format!("inv/{id}"))? else {
        return Ok(());
    };
    if inv
        .history
        .iter()
        .any(|h| h.message_id.as_deref() == Some(msg.id.as_str()))
    {
        return Ok(());
    }
    let reason = v["reason"]
        .as_str()
        .unwrap_or("the recipient could not be reached");
    history(
        &mut inv,
        "ECHEC_ACHEMINEMENT",
        cx.now_ms,
        "Portal",
        reason,
        Some(&msg.id),
    );
    inv.acknowledged = false;
    store(&inv)?;
    publish_to_acknowledge()
}
