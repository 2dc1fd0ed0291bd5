//! Commitments (legal commitments, *engagements juridiques*; "orders" on
//! the supplier side).
//!
//! A public structure creates a commitment (number, type, object, date,
//! amount, supplier, invoice recipient service); it is sent to the
//! supplier's Commitments area, where the supplier accepts or refuses it
//! and starts an invoice pre-filled from it (Issued invoices). The answer
//! comes back as a message; a supplier that cannot receive it (the area is
//! not open to them yet) comes back as "not delivered" with the reason.
//!
//! Storage: buyer side `out/{number}`, supplier side `in/{buyer}/{number}`.

use portico_sdk::{
    Area, Context, Error, Form, Message, Request, Response, StructureKind, View, i18n, kv,
    messages, siret,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Commitment types shown to suppliers: (code, label).
pub const TYPES: [(&str, &str); 5] = [
    ("PURCHASE_ORDER", "Purchase order"),
    ("SERVICE_ORDER", "Service order"),
    ("LEASE", "Lease"),
    ("SUBSIDY", "Subsidy"),
    ("OTHER_CONTRACT", "Other contract"),
];
/// Longest commitment number (as the invoice's order number allows).
pub const MAX_NUMBER_CHARS: usize = 50;
/// Longest object.
pub const MAX_OBJECT_CHARS: usize = 300;
/// Commitments read per page.
const PAGE: u32 = 1000;

/// A commitment, as both sides keep it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Commitment {
    /// EJ number.
    pub number: String,
    /// Type code.
    pub kind: String,
    /// What it is for.
    pub object: String,
    /// Date, `YYYY-MM-DD`.
    pub date: String,
    /// Amount incl. VAT, as entered (`1234.56`).
    pub amount: String,
    /// Issuing public structure.
    pub buyer_id: String,
    /// Its name.
    pub buyer_name: String,
    /// Service to invoice.
    pub service_code: String,
    /// The supplier.
    pub supplier_id: String,
    /// `sent`, `accepted`, `refused`, `not-delivered`.
    pub state: String,
    /// Why (refusal comment, delivery failure).
    pub note: String,
    /// Message ids applied.
    #[serde(default)]
    pub messages: Vec<String>,
}

/// The Commitments area.
pub struct Commitments;

portico_sdk::export_area!(Commitments);

fn is_public(cx: &Context) -> bool {
    cx.structure
        .as_ref()
        .is_some_and(|s| s.kind == StructureKind::Public)
}

impl Area for Commitments {
    fn templates() -> &'static [(&'static str, &'static str)] {
        &[(
            "commitments.html",
            include_str!("../templates/commitments.html"),
        )]
    }

    fn messages() -> &'static [(&'static str, &'static str)] {
        portico_sdk::messages!() // i18n/fr.json and i18n/en.json
    }

    fn handle(cx: &Context, req: &Request) -> Result<Response, Error> {
        let parts: Vec<&str> = req.path.trim_matches('/').split('/').collect();
        match (req.is_post(), parts.as_slice()) {
            (false, [""]) => Ok(Response::View(page(cx)?)),
            (true, ["create"]) if is_public(cx) => create(cx, req),
            (true, ["answer", buyer, number]) if !is_public(cx) => answer(cx, req, buyer, number),
            _ => Ok(Response::not_found()),
        }
    }

    fn on_message(_cx: &Context, msg: &Message) -> Result<(), Error> {
        match msg.kind.as_str() {
            "commitment-created" => received(msg),
            "commitment-answered" => answered(msg),
            "delivery-failed" => not_delivered(msg),
            _ => Ok(()),
        }
    }
}

fn list(prefix: &str) -> Result<Vec<Commitment>, Error> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = kv::list_json::<Commitment>(prefix, after.as_deref(), PAGE)?;
        out.extend(page.items.into_iter().map(|(_, c)| c));
        match page.next {
            Some(n) => after = Some(n),
            None => return Ok(out),
        }
    }
}

fn page(cx: &Context) -> Result<View, Error> {
    let public = is_public(cx);
    let items = if public { list("out/")? } else { list("in/")? };
    let me = cx
        .structure
        .as_ref()
        .map(|s| s.id.clone())
        .unwrap_or_default();
    let rows: Vec<_> = items
        .iter()
        .map(|c| {
            let invoice = format!(
                "/s/{me}/issued-invoices/new?recipient={}&service={}&order={}&designation={}&amount={}",
                enc(&c.buyer_id), enc(&c.service_code), enc(&c.number), enc(&c.object), enc(&c.amount)
            );
            let kind = TYPES.iter().find(|t| t.0 == c.kind).map_or("OTHER_CONTRACT", |t| t.0);
            let state = STATES.iter().copied().find(|s| *s == c.state).unwrap_or("sent");
            json!({"c": c, "kind": kind, "state": state, "badge": badge(state, public), "invoice_href": invoice})
        })
        .collect();
    View::new(
        "commitments.html",
        &i18n::message("title", &[]),
        &json!({"public": public, "rows": rows, "types": TYPES.iter().map(|(v, _)| *v).collect::<Vec<_>>()}),
    )
}

/// A commitment's states (labels: `states.<state>`).
const STATES: [&str; 4] = ["sent", "accepted", "refused", "not-delivered"];

/// The badge class of a state: "waiting" when the next move is the reader's.
fn badge(state: &str, public: bool) -> &'static str {
    match (state, public) {
        ("sent", false) => "waiting",
        ("sent", true) => "progress",
        ("accepted", _) => "done",
        _ => "problem",
    }
}

/// Percent-encodes a query value.
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn create(cx: &Context, req: &Request) -> Result<Response, Error> {
    let me = cx.structure.as_ref().ok_or(Error::NotFound)?;
    let mut form = Form::new(req);
    let number = form
        .field("number")
        .required()
        .max_chars(MAX_NUMBER_CHARS)
        .value();
    let kind = form
        .field("kind")
        .required()
        .one_of(&TYPES.map(|t| t.0))
        .value();
    let object = form
        .field("object")
        .required()
        .max_chars(MAX_OBJECT_CHARS)
        .value();
    let date = form
        .field("date")
        .required()
        .check(
            |d| d.len() == 10 && d.as_bytes()[4] == b'-' && d.as_bytes()[7] == b'-',
            i18n::message("errors.date", &[]),
        )
        .value();
    let amount = form
        .field("amount")
        .required()
        .check(
            |a| {
                let (i, f) = a.split_once('.').unwrap_or((a, ""));
                !i.is_empty()
                    && i.chars().all(|c| c.is_ascii_digit())
                    && f.len() <= 2
                    && f.chars().all(|c| c.is_ascii_digit())
            },
            i18n::message("errors.amount", &[]),
        )
        .value();
    let supplier = form.field("supplier").required().value().replace(' ', "");
    let service_code = form.field("service_code").max_chars(30).value();
    if !supplier.is_empty() && siret::validate(&supplier).is_err() {
        form.error(
            "supplier",
            i18n::message("errors.siret", &[("supplier", &supplier)]),
        );
    } else if !supplier.is_empty() && messages::lookup(&supplier)?.is_none() {
        form.error(
            "supplier",
            i18n::message("errors.unknown", &[("supplier", &supplier)]),
        );
    }
    if !number.is_empty() && kv::get(&format!("out/{number}"))?.is_some() {
        form.error(
            "number",
            i18n::message("errors.exists", &[("number", &number)]),
        );
    }
    form.finish(|| page(cx))?;
    let c = Commitment {
        number: number.clone(),
        kind,
        object,
        date,
        amount,
        buyer_id: me.id.clone(),
        buyer_name: me.name.clone(),
        service_code,
        supplier_id: supplier.clone(),
        state: "sent".into(),
        note: String::new(),
        messages: Vec::new(),
    };
    let id = messages::send_json(&supplier, "commitments", "commitment-created", &c)?;
    kv::set_json(&format!("sent/{id}"), &number)?;
    kv::set_json(&format!("out/{number}"), &c)?;
    Ok(Response::redirect(cx.href("/")))
}

fn answer(cx: &Context, req: &Request, buyer: &str, number: &str) -> Result<Response, Error> {
    let key = format!("in/{buyer}/{number}");
    let mut c: Commitment = kv::get_json(&key)?.ok_or(Error::NotFound)?;
    let mut form = Form::new(req);
    let decision = form
        .field("decision")
        .required()
        .one_of(&["accepted", "refused"])
        .value();
    let note = form.field("note").max_chars(MAX_OBJECT_CHARS).value();
    form.finish(|| page(cx))?;
    c.state = decision.clone();
    c.note = note.clone();
    kv::set_json(&key, &c)?;
    messages::send_json(
        buyer,
        "commitments",
        "commitment-answered",
        &json!({"number": number, "state": decision, "note": note}),
    )?;
    Ok(Response::redirect(cx.href("/")))
}

fn received(msg: &Message) -> Result<(), Error> {
    let mut c: Commitment = serde_json::from_str(&msg.payload)
        .map_err(|e| Error::failed(format!("commitment-created: {e}")))?;
    if c.buyer_id != msg.from_structure {
        return Ok(());
    }
    let key = format!("in/{}/{}", c.buyer_id, c.number);
    if kv::get(&key)?.is_some() {
        return Ok(()); // a redelivery, or a number the buyer already sent
    }
    c.state = "sent".into();
    c.messages = vec![msg.id.clone()];
    kv::set_json(&key, &c)
}

fn answered(msg: &Message) -> Result<(), Error> {
    let v: serde_json::Value = serde_json::from_str(&msg.payload).unwrap_or_default();
    let number = v["number"].as_str().unwrap_or("");
    let key = format!("out/{number}");
    let Some(mut c) = kv::get_json::<Commitment>(&key)? else {
        return Ok(());
    };
    if c.supplier_id != msg.from_structure || c.messages.contains(&msg.id) {
        return Ok(());
    }
    c.state = v["state"].as_str().unwrap_or("sent").to_string();
    c.note = v["note"].as_str().unwrap_or("").to_string();
    c.messages.push(msg.id.clone());
    kv::set_json(&key, &c)
}

fn not_delivered(msg: &Message) -> Result<(), Error> {
    let v: serde_json::Value = serde_json::from_str(&msg.payload).unwrap_or_default();
    let Some(number) =
        kv::get_json::<String>(&format!("sent/{}", v["message-id"].as_str().unwrap_or("")))?
    else {
        return Ok(());
    };
    let key = format!("out/{number}");
    let Some(mut c) = kv::get_json::<Commitment>(&key)? else {
        return Ok(());
    };
    c.state = "not-delivered".into();
    c.note = v["reason"].as_str().unwrap_or("").to_string();
    kv::set_json(&key, &c)
}
