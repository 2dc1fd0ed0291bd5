//! Received invoices: the public structure's side of invoicing.
//!
//! Invoices arrive as `invoice-sent` messages from suppliers' Issued
//! invoices areas; the inbox lists them (filter by status and service); each
//! moves along the status matrix of the brief, only allowed transitions are
//! offered, and every change goes back to the supplier as `status-changed`.
//!
//! Storage (kv, this structure): `inv/{supplier}/{supplier's invoice id}`.

use portico_sdk::{
    Area, Context, Error, Form, HostError, Message, Request, Response, View, facts, i18n, kv,
    messages, tally,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The supplier-side area statuses go back to, unless another area sent it.
pub const ISSUED_AREA: &str = "issued-invoices";
/// Longest reason of a suspension, rejection or recycling.
pub const MAX_REASON_CHARS: usize = 1000;
/// Invoices read per storage page.
const LIST_PAGE: u32 = 1000;
/// Most invoices shown at once.
const MAX_SHOWN: usize = 500;

/// Statuses, in the order of the processing chain: (code, English label;
/// pages show the catalogues' `status.<code>`).
pub const STATUSES: [(&str, &str); 12] = [
    ("MISE_A_DISPOSITION", "Made available"),
    ("COMPLETEE", "Completed by the supplier"),
    ("PRISE_EN_COMPTE_DESTINATAIRE", "Taken into account"),
    ("SUSPENDUE", "Suspended"),
    ("A_RECYCLER", "To recycle"),
    ("REJETEE", "Rejected"),
    ("SERVICE_FAIT", "Service rendered"),
    ("MANDATEE", "Mandated"),
    (
        "MISE_A_DISPOSITION_COMPTABLE",
        "Made available to the accountant",
    ),
    ("COMPTABILISEE", "Accounted"),
    ("MISE_EN_PAIEMENT", "Payment"),
    ("RETIREE", "Withdrawn (sent again elsewhere)"),
];

/// The label of a status code.
pub fn label(code: &str) -> &str {
    STATUSES
        .iter()
        .find(|(c, _)| *c == code)
        .map_or(code, |(_, l)| l)
}

/// The badge class of a status, seen from the recipient: "waiting" when the
/// next move is theirs, "progress" while the supplier acts.
pub fn badge(code: &str) -> &'static str {
    match code {
        "SUSPENDUE" | "A_RECYCLER" => "progress",
        "REJETEE" => "problem",
        "MISE_EN_PAIEMENT" | "RETIREE" => "done",
        _ => "waiting",
    }
}

/// A status code the catalogues know; anything else reads as "made available".
fn known(code: &str) -> &'static str {
    STATUSES
        .iter()
        .find(|(c, _)| *c == code)
        .map_or("MISE_A_DISPOSITION", |(c, _)| c)
}

/// Codes the catalogues translate (`framework.*`, `type.*`, `payment-mode.*`,
/// `vat-category.*`, `unit.*`); others are shown as they came.
const FRAMEWORK_CODES: [&str; 25] = [
    "A1_FACTURE_FOURNISSEUR",
    "A2_FACTURE_FOURNISSEUR_DEJA_PAYEE",
    "A3_MEMOIRE_JUSTICE",
    "A4_PROJET_DECOMPTE_MENSUEL_FOURNISSEUR",
    "A5_ETAT_ACOMPTE_FOURNISSEUR",
    "A6_ETAT_ACOMPTE_VALIDE_FOURNISSEUR",
    "A7_PROJET_DECOMPTE_FINAL_FOURNISSEUR",
    "A8_DECOMPTE_GENERAL_DEFINITIF_FOURNISSEUR",
    "A9_FACTURE_SOUSTRAITANT",
    "A10_PROJET_DECOMPTE_MENSUEL_SOUSTRAITANT",
    "A11_PROJET_DECOMPTE_FINAL_SOUSTRAITANT",
    "A12_FACTURE_COTRAITANT",
    "A13_PROJET_DECOMPTE_MENSUEL_COTRAITANT",
    "A14_PROJET_DECOMPTE_FINAL_COTRAITANT",
    "A15_ETAT_ACOMPTE_MOE",
    "A16_ETAT_ACOMPTE_VALIDE_MOE",
    "A17_PROJET_DECOMPTE_GENERAL_MOE",
    "A18_DECOMPTE_GENERAL_MOE",
    "A19_ETAT_ACOMPTE_VALIDE_MOA",
    "A20_DECOMPTE_GENERAL_MOA",
    "A21_DEMANDE_REMBOURSEMENT_TIC",
    "A22_PROJET_DECOMPTE_GENERAL_FOURNISSEUR_PROCEDURE_TACITE",
    "A23_DECOMPTE_GENERAL_DEFINITIF_TACITE_FOURNISSEUR",
    "A24_DECOMPTE_GENERAL_DEFINITIF_TACITE_MOE",
    "A25_DECOMPTE_GENERAL_DEFINITIF_MOE_PROCEDURE_TACITE",
];
const TYPE_CODES: [&str; 3] = ["FACTURE", "AVOIR", "ACOMPTE"];
const PAYMENT_CODES: [&str; 6] = [
    "VIREMENT",
    "CHEQUE",
    "PRELEVEMENT",
    "ESPECE",
    "AUTRE",
    "REPORT",
];
const VAT_CATEGORIES: [&str; 9] = ["S", "Z", "E", "AE", "K", "G", "O", "L", "M"];
const UNITS: [&str; 11] = [
    "C62", "H87", "HUR", "DAY", "MON", "KGM", "MTR", "LTR", "MTK", "KMT", "E48",
];

/// Statuses that need a reason.
pub fn needs_reason(status: &str) -> bool {
    matches!(status, "SUSPENDUE" | "A_RECYCLER" | "REJETEE")
}

/// The forward processing chain; the optional steps may be skipped.
const CHAIN: [&str; 6] = [
    "PRISE_EN_COMPTE_DESTINATAIRE",
    "SERVICE_FAIT",
    "MANDATEE",
    "MISE_A_DISPOSITION_COMPTABLE",
    "COMPTABILISEE",
    "MISE_EN_PAIEMENT",
];

/// The statuses the recipient may set from `current` (the brief's matrix,
/// implemented server-side): from "made available" or "completed", any
/// processing step up to "made available to the accountant", or a return
/// (suspend, recycle, reject); returns stay possible until the service is
/// rendered; "accounted" and "payment" belong to the accountant, after the
/// invoice was made available to them; returned and paid invoices wait.
pub fn allowed(current: &str) -> Vec<&'static str> {
    let returns = ["SUSPENDUE", "A_RECYCLER", "REJETEE"];
    let accountant = ["COMPTABILISEE", "MISE_EN_PAIEMENT"];
    let position = match current {
        "MISE_A_DISPOSITION" | "COMPLETEE" => None,
        other => match CHAIN.iter().position(|c| *c == other) {
            Some(p) => Some(p),
            None => return Vec::new(), // returned, paid, withdrawn: nothing to do
        },
    };
    let mut out: Vec<&'static str> = CHAIN
        .iter()
        .enumerate()
        .filter(|(i, _)| position.is_none_or(|p| *i > p))
        .map(|(_, s)| *s)
        .filter(|s| {
            !accountant.contains(s)
                || matches!(current, "MISE_A_DISPOSITION_COMPTABLE" | "COMPTABILISEE")
        })
        .collect();
    if position.is_none_or(|p| CHAIN[p] == "PRISE_EN_COMPTE_DESTINATAIRE") {
        out.extend(returns);
    }
    out
}

/// One status change.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Change {
    /// Status code.
    pub status: String,
    /// When.
    pub at_ms: u64,
    /// Who.
    pub by: String,
    /// Reason or comment.
    pub comment: String,
}

/// An invoice received.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Received {
    /// Supplier structure identifier.
    pub supplier_id: String,
    /// Supplier name.
    pub supplier_name: String,
    /// The supplier's invoice id (their storage key).
    pub invoice_id: String,
    /// Current status.
    pub status: String,
    /// The invoice as the supplier sent it (number, lines, totals…).
    pub invoice: Value,
    /// History, oldest first.
    pub history: Vec<Change>,
    /// Message ids already applied (a redelivery is ignored).
    pub messages: Vec<String>,
    /// When it first arrived.
    pub received_ms: u64,
    /// The supplier's area that sent it, where statuses go back: Issued
    /// invoices, or Invoices to validate for a validated subcontractor's
    /// or co-contractor's payment request.
    #[serde(default = "issued_area")]
    pub reply_area: String,
}

fn issued_area() -> String {
    ISSUED_AREA.to_string()
}

/// The Received invoices area.
pub struct ReceivedInvoices;

portico_sdk::export_area!(ReceivedInvoices);

impl Area for ReceivedInvoices {
    fn templates() -> &'static [(&'static str, &'static str)] {
        &[
            ("inbox.html", include_str!("../templates/inbox.html")),
            ("invoice.html", include_str!("../templates/invoice.html")),
        ]
    }

    fn messages() -> &'static [(&'static str, &'static str)] {
        portico_sdk::messages!() // i18n/fr.json and i18n/en.json
    }

    fn handle(cx: &Context, req: &Request) -> Result<Response, Error> {
        let parts: Vec<&str> = req.path.trim_matches('/').split('/').collect();
        match (req.is_post(), parts.as_slice()) {
            (false, [""]) => inbox(req),
            (false, ["invoice", supplier, id]) => {
                let r = load(supplier, id)?;
                Ok(Response::View(view(cx, &r, req.query_value("done"))?))
            }
            (true, ["invoice", supplier, id, "status"]) => set_status(cx, req, supplier, id),
            _ => Ok(Response::not_found()),
        }
    }

    fn on_message(cx: &Context, msg: &Message) -> Result<(), Error> {
        match msg.kind.as_str() {
            "invoice-sent" => invoice_sent(cx, msg),
            "invoice-completed" => invoice_completed(cx, msg),
            _ => Ok(()),
        }
    }
}

fn key(supplier: &str, id: &str) -> String {
    format!("inv/{supplier}/{id}")
}

fn load(supplier: &str, id: &str) -> Result<Received, Error> {
    kv::get_json(&key(supplier, id))?.ok_or(Error::NotFound)
}

fn save(r: &Received) -> Result<(), Error> {
    kv::set_json(&key(&r.supplier_id, &r.invoice_id), r)?;
    tally::record(
        OVERVIEW_TALLY,
        &format!("{}/{}", r.supplier_id, r.invoice_id),
        Some(&contribution(r)),
        rebuild_overview,
    )?;
    Ok(())
}

/// The homepage's overview is a tally (`portico_sdk::tally`, kv
/// `overview/…`) that each change moves: no call reads every invoice (10,000
/// invoices arriving would otherwise cost 10,000 reads each).
const OVERVIEW_TALLY: &str = "overview";

/// One invoice's counts in the overview: its status while it waits for
/// this structure, and the month it was paid with the days from receipt.
fn contribution(r: &Received) -> tally::Counts {
    let mut c = tally::Counts::new();
    if badge(&r.status) == "waiting" {
        c.insert(format!("waiting/{}", known(&r.status)), 1);
    }
    let paid = r
        .history
        .iter()
        .find(|h| h.status == "MISE_EN_PAIEMENT")
        .map(|h| h.at_ms);
    if let Some(p) = paid {
        let month = &portico_sdk::time::format_date(p)[..7];
        c.insert(format!("paid/{month}/count"), 1);
        c.insert(
            format!("paid/{month}/days"),
            p.saturating_sub(r.received_ms) / 86_400_000,
        );
    }
    c
}

/// The tally from every invoice: once, when an area upgraded with invoices
/// already stored first needs it.
fn rebuild_overview() -> Result<Vec<(String, tally::Counts)>, Error> {
    Ok(all()?
        .iter()
        .map(|r| {
            (
                format!("{}/{}", r.supplier_id, r.invoice_id),
                contribution(r),
            )
        })
        .collect())
}

fn all() -> Result<Vec<Received>, Error> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = kv::list_json::<Received>("inv/", after.as_deref(), LIST_PAGE)?;
        out.extend(page.items.into_iter().map(|(_, v)| v));
        match page.next {
            Some(n) => after = Some(n),
            None => return Ok(out),
        }
    }
}

/// Tells the supplier; the message commits with our own change.
fn notify(r: &Received, change: &Change) -> Result<(), Error> {
    messages::send_json(
        &r.supplier_id,
        &r.reply_area,
        "status-changed",
        &json!({"invoice_id": r.invoice_id, "status": change.status, "reason": change.comment, "by": change.by}),
    )?;
    Ok(())
}

fn invoice_sent(cx: &Context, msg: &Message) -> Result<(), Error> {
    let v: Value = serde_json::from_str(&msg.payload)
        .map_err(|e| Error::failed(format!("invoice-sent: bad payload: {e}")))?;
    let invoice = v["invoice"].clone();
    let id = invoice["id"].as_str().unwrap_or("").to_string();
    if id.is_empty() || v["supplier_id"].as_str() != Some(msg.from_structure.as_str()) {
        return Ok(()); // malformed, or a supplier speaking for another
    }
    let existing: Option<Received> = kv::get_json(&key(&msg.from_structure, &id))?;
    if existing
        .as_ref()
        .is_some_and(|r| r.messages.contains(&msg.id))
    {
        return Ok(());
    }
    let mut r = existing.unwrap_or(Received {
        supplier_id: msg.from_structure.clone(),
        supplier_name: v["supplier_name"].as_str().unwrap_or("").to_string(),
        invoice_id: id,
        status: String::new(),
        invoice: Value::Null,
        history: Vec::new(),
        messages: Vec::new(),
        received_ms: cx.now_ms,
        reply_area: msg.from_area.clone(),
    });
    let again = !r.history.is_empty();
    r.invoice = invoice;
    r.messages.push(msg.id.clone());
    let change = Change {
        status: "MISE_A_DISPOSITION".into(),
        at_ms: cx.now_ms,
        by: "Portal".into(),
        comment: if again {
            "Sent again with corrected routing".into()
        } else {
            "Received".into()
        },
    };
    r.status = change.status.clone();
    r.history.push(change.clone());
    save(&r)?;
    publish_overview()?;
    notify(&r, &change)
}

fn invoice_completed(cx: &Context, msg: &Message) -> Result<(), Error> {
    let v: Value = serde_json::from_str(&msg.payload)
        .map_err(|e| Error::failed(format!("invoice-completed: bad payload: {e}")))?;
    let id = v["invoice_id"].as_str().unwrap_or("");
    let Some(mut r) = kv::get_json::<Received>(&key(&msg.from_structure, id))? else {
        return Ok(());
    };
    if r.messages.contains(&msg.id) || r.status != "SUSPENDUE" {
        return Ok(());
    }
    let files: Vec<&str> = v["attachments"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut comment = v["comment"].as_str().unwrap_or("").to_string();
    if !files.is_empty() {
        comment.push_str(&format!(" (attachments: {})", files.join(", ")));
    }
    r.messages.push(msg.id.clone());
    r.status = "COMPLETEE".into();
    r.history.push(Change {
        status: "COMPLETEE".into(),
        at_ms: cx.now_ms,
        by: r.supplier_name.clone(),
        comment,
    });
    save(&r)?;
    publish_overview()
}

/// Months of processing delays kept in the `overview` fact (the homepage
/// shows the last twelve; two years keep the fact under its 4 KiB).
const OVERVIEW_MONTHS: usize = 24;

/// The homepage's picture of this public structure, from the tally of the
/// invoices it received: how many wait for it in each status, and per month
/// of payment the number paid and the days from receipt to payment (summed).
fn overview(totals: &tally::Counts) -> Value {
    let waiting: std::collections::BTreeMap<&str, u64> = totals
        .iter()
        .filter_map(|(k, n)| Some((k.strip_prefix("waiting/")?, *n)))
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
    json!({"waiting": waiting, "payments": payments})
}

/// Publishes the `overview` fact the homepage draws. A deployment that does
/// not grant `facts` loses the picture, not the invoice: the refusal is
/// logged and processing goes on.
fn publish_overview() -> Result<(), Error> {
    let totals = tally::totals(OVERVIEW_TALLY, rebuild_overview)?;
    match facts::set_json("overview", &overview(&totals)) {
        Err(Error::Host(HostError::CapabilityDenied(why))) => {
            portico_sdk::log::warn(&format!("no homepage overview: {why}"));
            Ok(())
        }
        other => other,
    }
}

#[derive(Serialize)]
struct Row {
    supplier_id: String,
    invoice_id: String,
    supplier: String,
    number: String,
    service: String,
    date: String,
    gross: String,
    currency: String,
    status: String,
    badge: &'static str,
}

fn amount(v: &Value) -> String {
    let cents = v.as_i64().unwrap_or(0);
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", cents.abs() / 100, cents.abs() % 100)
}

/// A VAT rate in basis points as `5.5`.
fn rate(v: &Value) -> String {
    let bp = v.as_i64().unwrap_or(0);
    let whole = format!("{}.{:02}", bp / 100, (bp % 100).abs());
    whole
        .trim_end_matches('0')
        .trim_end_matches('.')
        .to_string()
}

fn inbox(req: &Request) -> Result<Response, Error> {
    let status = req.query_value("status").unwrap_or("").to_string();
    let service = req.query_value("service").unwrap_or("").to_string();
    let mut list = all()?;
    list.retain(|r| {
        (status.is_empty() || r.status == status)
            && (service.is_empty() || r.invoice["service_code"].as_str() == Some(service.as_str()))
    });
    list.sort_by_key(|r| std::cmp::Reverse(r.received_ms));
    let total = list.len();
    let rows: Vec<Row> = list
        .into_iter()
        .take(MAX_SHOWN)
        .map(|r| Row {
            number: r.invoice["number"].as_str().unwrap_or("").into(),
            service: r.invoice["service_code"].as_str().unwrap_or("").into(),
            date: r.invoice["date"].as_str().unwrap_or("").into(),
            gross: amount(&r.invoice["totals"]["gross"]),
            currency: r.invoice["currency"].as_str().unwrap_or("EUR").into(),
            badge: badge(&r.status),
            supplier: r.supplier_name,
            supplier_id: r.supplier_id,
            invoice_id: r.invoice_id,
            status: known(&r.status).to_owned(),
        })
        .collect();
    let statuses: Vec<&str> = STATUSES.iter().map(|(c, _)| *c).collect();
    Ok(Response::view(
        "inbox.html",
        &i18n::message("title", &[]),
        &json!({"rows": rows, "total": total, "filter": {"status": status, "service": service}, "statuses": statuses}),
    ))
}

fn view(cx: &Context, r: &Received, done: Option<&str>) -> Result<View, Error> {
    let inv = &r.invoice;
    let transitions: Vec<_> = allowed(&r.status)
        .into_iter()
        .map(|s| json!({"value": s, "reason": needs_reason(s)}))
        .collect();
    let mut r = r.clone();
    r.status = known(&r.status).to_owned();
    let code_in =
        |field: &str, codes: &[&str]| inv[field].as_str().is_some_and(|c| codes.contains(&c));
    View::new(
        "invoice.html",
        &i18n::message(
            "invoice-title",
            &[("number", inv["number"].as_str().unwrap_or(""))],
        ),
        &json!({
            "r": r,
            "inv": inv,
            "badge": badge(&r.status),
            "known": {
                "framework": code_in("framework", &FRAMEWORK_CODES),
                "kind": code_in("kind", &TYPE_CODES),
                "payment_mode": code_in("payment_mode", &PAYMENT_CODES),
            },
            "vat_categories": VAT_CATEGORIES,
            "units": UNITS,
            "attachment_names": inv["attachments"].as_array().map(|a| a.iter().filter_map(|f| f["name"].as_str()).collect::<Vec<_>>().join(", ")).unwrap_or_default(),
            "totals": {
                "net": amount(&inv["totals"]["net"]), "vat": amount(&inv["totals"]["vat"]),
                "gross": amount(&inv["totals"]["gross"]), "due": amount(&inv["totals"]["due"]),
                "lines": amount(&inv["totals"]["lines"]), "allowances": amount(&inv["totals"]["allowances"]),
                "charges": amount(&inv["totals"]["charges"]), "prepaid": amount(&inv["totals"]["prepaid"]),
                "rounding": amount(&inv["totals"]["rounding"]),
                "vat_accounting": inv["totals"]["vat_accounting"].as_array().map(|a| json!({
                    "currency": a.first().and_then(Value::as_str).unwrap_or(""),
                    "amount": amount(a.get(1).unwrap_or(&Value::Null)),
                })),
            },
            "vat_summary": inv["vat_summary"].as_array().map(|rows| rows.iter().map(|v| json!({
                "category": v["category"], "rate": rate(&v["rate"]), "base": amount(&v["base"]),
                "vat": amount(&v["vat"]), "exemption": v["exemption"],
            })).collect::<Vec<_>>()).unwrap_or_default(),
            "transitions": transitions,
            "history": r.history.iter().rev().map(|h| json!({"status": known(&h.status), "at_ms": h.at_ms, "by": h.by, "comment": h.comment})).collect::<Vec<_>>(),
            "action": cx.href(&format!("/invoice/{}/{}/status", r.supplier_id, r.invoice_id)),
            "done": done,
        }),
    )
}

fn set_status(cx: &Context, req: &Request, supplier: &str, id: &str) -> Result<Response, Error> {
    let mut r = load(supplier, id)?;
    let mut form = Form::new(req);
    let options = allowed(&r.status);
    let status = form
        .field("status")
        .required()
        .check(
            |s| options.contains(&s),
            i18n::message("errors.transition", &[]),
        )
        .value();
    let reason = form.field("reason").max_chars(MAX_REASON_CHARS).value();
    if needs_reason(&status) && reason.is_empty() {
        form.error(
            "reason",
            i18n::message(&format!("errors.reason.{status}"), &[]),
        );
    }
    form.finish(|| view(cx, &r, None))?;
    let change = Change {
        status: status.clone(),
        at_ms: cx.now_ms,
        by: format!("{} {}", cx.user.first_name, cx.user.last_name)
            .trim()
            .to_string(),
        comment: reason,
    };
    r.status = status;
    r.history.push(change.clone());
    save(&r)?;
    publish_overview()?;
    notify(&r, &change)?;
    Ok(Response::redirect(
        cx.href(&format!("/invoice/{supplier}/{id}?done=1")),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_matrix() {
        let from_available = allowed("MISE_A_DISPOSITION");
        assert_eq!(
            from_available,
            [
                "PRISE_EN_COMPTE_DESTINATAIRE",
                "SERVICE_FAIT",
                "MANDATEE",
                "MISE_A_DISPOSITION_COMPTABLE",
                "SUSPENDUE",
                "A_RECYCLER",
                "REJETEE"
            ]
        );
        assert_eq!(allowed("COMPLETEE"), from_available);
        assert!(allowed("PRISE_EN_COMPTE_DESTINATAIRE").contains(&"REJETEE"));
        assert!(
            !allowed("SERVICE_FAIT").contains(&"REJETEE"),
            "no return after service rendered"
        );
        assert!(
            !allowed("MANDATEE").contains(&"MISE_EN_PAIEMENT"),
            "payment is the accountant's, after hand-over"
        );
        assert_eq!(
            allowed("MISE_A_DISPOSITION_COMPTABLE"),
            ["COMPTABILISEE", "MISE_EN_PAIEMENT"]
        );
        assert_eq!(allowed("COMPTABILISEE"), ["MISE_EN_PAIEMENT"]);
        for waiting in ["SUSPENDUE", "A_RECYCLER", "REJETEE", "MISE_EN_PAIEMENT"] {
            assert!(allowed(waiting).is_empty(), "{waiting}");
        }
    }
}
