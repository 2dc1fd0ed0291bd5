//! Received invoices: the public structure's side of invoicing.
//!
//! Invoices arrive as `invoice-sent` messages from suppliers' Issued
//! invoices areas; the inbox lists them (filter by status and service); each
//! moves along the status matrix of the brief, only allowed transitions are
//! offered, and every change goes back to the supplier as `status-changed`.
//!
//! Storage (kv, this structure): `inv/{supplier}/{supplier's invoice id}`.

use portico_sdk::{Area, Context, Error, Form, Message, Request, Response, View, kv, messages};
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

/// Statuses, in the order of the processing chain: (code, label).
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
    kv::set_json(&key(&r.supplier_id, &r.invoice_id), r)
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
    save(&r)
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
    status: String,
    label: String,
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
            gross: format!(
                "{} {}",
                amount(&r.invoice["totals"]["gross"]),
                r.invoice["currency"].as_str().unwrap_or("")
            ),
            label: label(&r.status).into(),
            supplier: r.supplier_name,
            supplier_id: r.supplier_id,
            invoice_id: r.invoice_id,
            status: r.status,
        })
        .collect();
    let statuses: Vec<_> = STATUSES
        .iter()
        .map(|(c, l)| json!({"value": c, "label": l}))
        .collect();
    Ok(Response::view(
        "inbox.html",
        "Received invoices",
        &json!({"rows": rows, "total": total, "filter": {"status": status, "service": service}, "statuses": statuses}),
    ))
}

fn view(cx: &Context, r: &Received, done: Option<&str>) -> Result<View, Error> {
    let inv = &r.invoice;
    let transitions: Vec<_> = allowed(&r.status)
        .into_iter()
        .map(|s| json!({"value": s, "label": label(s), "reason": needs_reason(s)}))
        .collect();
    View::new(
        "invoice.html",
        &format!("Received invoice {}", inv["number"].as_str().unwrap_or("")),
        &json!({
            "r": r,
            "inv": inv,
            "label": label(&r.status),
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
            "history": r.history.iter().rev().map(|h| json!({"label": label(&h.status), "at_ms": h.at_ms, "by": h.by, "comment": h.comment})).collect::<Vec<_>>(),
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
            format!(
                "From “{}” the invoice can go to: {}.",
                label(&r.status),
                options
                    .iter()
                    .map(|s| label(s))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
        .value();
    let reason = form.field("reason").max_chars(MAX_REASON_CHARS).value();
    if needs_reason(&status) && reason.is_empty() {
        form.error(
            "reason",
            format!(
                "Say why the invoice is {}: the supplier reads it.",
                label(&status).to_lowercase()
            ),
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
