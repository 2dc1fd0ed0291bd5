//! Sent requests: questions to platform support, or to a public structure
//! about an invoice, with a thread visible to both sides.
//!
//! The category decides the route (the brief's referential, section 10):
//! "Invoice processing" goes to the public structure named (its Sent
//! requests area, as a durable message); "Portal use" goes to platform
//! support. The recipient answers, asks for information, or closes; the
//! issuer replies or closes. Every change is a message to the other side.
//!
//! Storage: the issuer keeps `req/{id}`; a public structure keeps what it
//! received under `in/{issuer}/{id}`. Support requests stay in the issuer's
//! `req/` with `to = "support"`, where the operator console reads them
//! (keys `req/…` of area `sent-requests`, route `support`).

use portico_sdk::{
    Area, Context, Error, Form, Message, Request, Response, StructureKind, View, facts, i18n, kv,
    messages,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Categories and sub-categories: (code, label, routed to a public body, sub-categories).
pub const CATEGORIES: [(&str, &str, bool, &[&str]); 2] = [
    (
        "INVOICE",
        "Invoice processing (to the public structure)",
        true,
        &[
            "Payment delay",
            "Status of an invoice",
            "Rejected or suspended invoice",
            "Other",
        ],
    ),
    (
        "PORTAL",
        "Portal use (to platform support)",
        false,
        &[
            "Account and sign-in",
            "Structure and roles",
            "Areas",
            "Other",
        ],
    ),
];
/// Longest subject.
pub const MAX_SUBJECT_CHARS: usize = 200;
/// Longest description or reply.
pub const MAX_TEXT_CHARS: usize = 4000;
/// Requests read per page.
const PAGE: u32 = 1000;

/// One post of a thread.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Post {
    /// When.
    pub at_ms: u64,
    /// Who.
    pub by: String,
    /// `issuer` or `recipient`.
    pub side: String,
    /// What was said.
    pub text: String,
}

/// A request.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Ticket {
    /// Id (issuer's creation time).
    pub id: String,
    /// Issuing structure.
    pub from_id: String,
    /// Its name.
    pub from_name: String,
    /// `support`, or the public structure's identifier.
    pub to: String,
    /// Recipient name.
    pub to_name: String,
    /// Category code.
    pub category: String,
    /// Sub-category.
    pub sub_category: String,
    /// Subject.
    pub subject: String,
    /// Related invoice number.
    pub invoice: String,
    /// `SUBMITTED`, `INFO_REQUESTED`, `ANSWERED`, `CLOSED`, `NOT_DELIVERED`.
    pub status: String,
    /// The thread, oldest first (the description is the first post).
    pub thread: Vec<Post>,
    /// Attachment names.
    pub attachments: Vec<String>,
    /// Message ids applied.
    #[serde(default)]
    pub messages: Vec<String>,
}

/// The statuses a request can have (labels: `status.<code>` in the catalogues).
pub const STATUSES: [&str; 5] = [
    "SUBMITTED",
    "INFO_REQUESTED",
    "ANSWERED",
    "CLOSED",
    "NOT_DELIVERED",
];

/// A status the catalogues know (an unknown one reads as submitted).
fn known_status(status: &str) -> &'static str {
    STATUSES
        .iter()
        .copied()
        .find(|s| *s == status)
        .unwrap_or("SUBMITTED")
}

/// The badge class of a status, for the side looking at it: "waiting" when
/// the next move is theirs.
fn badge(status: &str, side: &str) -> &'static str {
    match (known_status(status), side) {
        ("INFO_REQUESTED", "issuer") | ("SUBMITTED", "recipient") => "waiting",
        ("ANSWERED", "issuer") => "waiting",
        ("CLOSED", _) => "done",
        ("NOT_DELIVERED", _) => "problem",
        _ => "progress",
    }
}

/// The catalogue key (`sub.<key>`) of a stored sub-category.
fn sub_key(sub: &str) -> &'static str {
    match sub {
        "Payment delay" => "payment-delay",
        "Status of an invoice" => "invoice-status",
        "Rejected or suspended invoice" => "rejected-suspended",
        "Account and sign-in" => "account",
        "Structure and roles" => "structure-roles",
        "Areas" => "areas",
        _ => "other",
    }
}

/// The Sent requests area.
pub struct SentRequests;

portico_sdk::export_area!(SentRequests);

impl Area for SentRequests {
    fn templates() -> &'static [(&'static str, &'static str)] {
        &[("requests.html", include_str!("../templates/requests.html"))]
    }

    fn messages() -> &'static [(&'static str, &'static str)] {
        portico_sdk::messages!() // i18n/fr.json and i18n/en.json
    }

    fn handle(cx: &Context, req: &Request) -> Result<Response, Error> {
        let parts: Vec<&str> = req.path.trim_matches('/').split('/').collect();
        match (req.is_post(), parts.as_slice()) {
            (false, [""]) => Ok(Response::View(page(cx, None)?)),
            (true, ["new"]) => create(cx, req),
            (false, ["sent", id]) => {
                Ok(Response::View(page(cx, Some(load(&format!("req/{id}"))?))?))
            }
            (false, ["received", from, id]) => Ok(Response::View(page(
                cx,
                Some(load(&format!("in/{from}/{id}"))?),
            )?)),
            (true, ["sent", id, "act"]) => act(cx, req, &format!("req/{id}"), "issuer"),
            (true, ["received", from, id, "act"]) => {
                act(cx, req, &format!("in/{from}/{id}"), "recipient")
            }
            _ => Ok(Response::not_found()),
        }
    }

    fn on_message(_cx: &Context, msg: &Message) -> Result<(), Error> {
        match msg.kind.as_str() {
            "request-created" => {
                let mut t: Ticket = serde_json::from_str(&msg.payload)
                    .map_err(|e| Error::failed(format!("request-created: {e}")))?;
                if t.from_id != msg.from_structure {
                    return Ok(());
                }
                let key = format!("in/{}/{}", t.from_id, t.id);
                if kv::get(&key)?.is_none() {
                    t.messages = vec![msg.id.clone()];
                    kv::set_json(&key, &t)?;
                }
                Ok(())
            }
            "request-updated" => {
                let v: serde_json::Value = serde_json::from_str(&msg.payload).unwrap_or_default();
                let id = v["id"].as_str().unwrap_or("");
                // To the issuer: `req/{id}`; to the recipient: `in/{issuer}/{id}`.
                let key = if v["side"] == "recipient" {
                    format!("req/{id}")
                } else {
                    format!("in/{}/{id}", msg.from_structure)
                };
                let Some(mut t) = kv::get_json::<Ticket>(&key)? else {
                    return Ok(());
                };
                let counterpart = if v["side"] == "recipient" {
                    t.to.clone()
                } else {
                    t.from_id.clone()
                };
                if counterpart != msg.from_structure || t.messages.contains(&msg.id) {
                    return Ok(());
                }
                if let Ok(post) = serde_json::from_value::<Post>(v["post"].clone()) {
                    t.thread.push(post);
                }
                t.status = v["status"].as_str().unwrap_or(&t.status).to_string();
                t.messages.push(msg.id.clone());
                kv::set_json(&key, &t)?;
                publish_open()
            }
            "delivery-failed" => {
                let v: serde_json::Value = serde_json::from_str(&msg.payload).unwrap_or_default();
                let Some(id) = kv::get_json::<String>(&format!(
                    "sent/{}",
                    v["message-id"].as_str().unwrap_or("")
                ))?
                else {
                    return Ok(());
                };
                let key = format!("req/{id}");
                let Some(mut t) = kv::get_json::<Ticket>(&key)? else {
                    return Ok(());
                };
                t.status = "NOT_DELIVERED".into();
                t.thread.push(Post {
                    at_ms: 0,
                    by: "Portal".into(),
                    side: "recipient".into(),
                    text: v["reason"].as_str().unwrap_or("").into(),
                });
                kv::set_json(&key, &t)?;
                publish_open()
            }
            _ => Ok(()),
        }
    }
}

fn load(key: &str) -> Result<Ticket, Error> {
    kv::get_json(key)?.ok_or(Error::NotFound)
}

fn list(prefix: &str) -> Result<Vec<Ticket>, Error> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = kv::list_json::<Ticket>(prefix, after.as_deref(), PAGE)?;
        out.extend(page.items.into_iter().map(|(_, t)| t));
        match page.next {
            Some(n) => after = Some(n),
            None => return Ok(out),
        }
    }
}

/// The homepage's count of requests not closed.
fn publish_open() -> Result<(), Error> {
    let open = list("req/")?
        .iter()
        .filter(|t| t.status != "CLOSED")
        .count();
    facts::set_json("open-requests", &json!({"count": open}))
}

fn page(cx: &Context, open: Option<Ticket>) -> Result<View, Error> {
    let mut sent = list("req/")?;
    sent.reverse();
    let public = cx
        .structure
        .as_ref()
        .is_some_and(|s| s.kind == StructureKind::Public);
    let mut received = if public { list("in/")? } else { Vec::new() };
    received.reverse();
    let row = |t: &Ticket, href: String| {
        let mut t = t.clone();
        t.status = known_status(&t.status).to_owned();
        json!({"t": t, "badge": badge(&t.status, "issuer"), "badge_recipient": badge(&t.status, "recipient"), "href": href})
    };
    let open_side = open.as_ref().map(|t| {
        if cx.structure.as_ref().is_some_and(|s| s.id == t.from_id) {
            "issuer"
        } else {
            "recipient"
        }
    });
    let action = open.as_ref().map(|t| match open_side {
        Some("issuer") => cx.href(&format!("/sent/{}/act", t.id)),
        _ => cx.href(&format!("/received/{}/{}/act", t.from_id, t.id)),
    });
    View::new(
        "requests.html",
        &i18n::message("title", &[]),
        &json!({
            "sent": sent.iter().map(|t| row(t, cx.href(&format!("/sent/{}", t.id)))).collect::<Vec<_>>(),
            "received": received.iter().map(|t| row(t, cx.href(&format!("/received/{}/{}", t.from_id, t.id)))).collect::<Vec<_>>(),
            "public": public,
            "open": open.as_ref().map(|t| {
                let side = open_side.unwrap_or("recipient");
                let mut t = t.clone();
                t.status = known_status(&t.status).to_owned();
                json!({"t": t, "badge": badge(&t.status, side), "side": side, "sub_key": sub_key(&t.sub_category), "action": action})
            }),
            "categories": CATEGORIES.iter().map(|(c, _, _, subs)| json!({
                "value": c,
                "subs": subs.iter().map(|s| json!({"value": s, "key": sub_key(s)})).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        }),
    )
}

fn who(cx: &Context) -> String {
    format!("{} {}", cx.user.first_name, cx.user.last_name)
        .trim()
        .to_string()
}

fn create(cx: &Context, req: &Request) -> Result<Response, Error> {
    let me = cx.structure.as_ref().ok_or(Error::NotFound)?;
    let mut form = Form::new(req);
    let category = form
        .field("category")
        .required()
        .one_of(&CATEGORIES.map(|c| c.0))
        .value();
    let cat = CATEGORIES.iter().find(|c| c.0 == category);
    let subs: Vec<&str> = cat.map(|c| c.3.to_vec()).unwrap_or_default();
    let sub_category = form.field("sub_category").required().one_of(&subs).value();
    let subject = form
        .field("subject")
        .required()
        .max_chars(MAX_SUBJECT_CHARS)
        .value();
    let description = form
        .field("description")
        .required()
        .max_chars(MAX_TEXT_CHARS)
        .value();
    let invoice = form.field("invoice").max_chars(20).value();
    let to_business = cat.is_some_and(|c| c.2);
    let recipient = form.field("recipient").value().replace(' ', "");
    let mut to_name = "Platform support".to_string();
    if to_business {
        match messages::lookup(&recipient)? {
            Some(r) if r.kind == StructureKind::Public => to_name = r.name,
            Some(r) => form.error(
                "recipient",
                i18n::message("errors.not-public", &[("name", &r.name)]),
            ),
            None => form.error("recipient", i18n::message("errors.recipient", &[])),
        }
    }
    let mut attachments = Vec::new();
    for u in req
        .files
        .iter()
        .filter(|u| u.field == "attachments" && !u.filename.is_empty())
    {
        if u.filename.chars().count() > 50
            || !u.filename.contains('.')
            || u.bytes.is_empty()
            || u.bytes.len() >= 10_000_000
        {
            form.error(
                "attachments",
                i18n::message("errors.attachment", &[("name", &u.filename)]),
            );
        } else {
            attachments.push(u);
        }
    }
    form.finish(|| page(cx, None))?;
    let id = format!("{:013}", cx.now_ms);
    let mut names = Vec::new();
    for (i, u) in attachments.iter().enumerate() {
        kv::set(&format!("file/{id}/{i}"), &u.bytes)?;
        names.push(u.filename.clone());
    }
    let t = Ticket {
        id: id.clone(),
        from_id: me.id.clone(),
        from_name: me.name.clone(),
        to: if to_business {
            recipient.clone()
        } else {
            "support".into()
        },
        to_name,
        category,
        sub_category,
        subject,
        invoice,
        status: "SUBMITTED".into(),
        thread: vec![Post {
            at_ms: cx.now_ms,
            by: who(cx),
            side: "issuer".into(),
            text: description,
        }],
        attachments: names,
        messages: Vec::new(),
    };
    if to_business {
        let mid = messages::send_json(&recipient, "sent-requests", "request-created", &t)?;
        kv::set_json(&format!("sent/{mid}"), &id)?;
    }
    kv::set_json(&format!("req/{id}"), &t)?;
    publish_open()?;
    Ok(Response::redirect(cx.href(&format!("/sent/{id}"))))
}

/// An answer, a request for information, a reply or a closing, by `side`.
fn act(cx: &Context, req: &Request, key: &str, side: &str) -> Result<Response, Error> {
    let mut t = load(key)?;
    let mut form = Form::new(req);
    let allowed: &[&str] = if side == "issuer" {
        &["reply", "close"]
    } else {
        &["answer", "ask", "close"]
    };
    let action = form.field("action").required().one_of(allowed).value();
    let text = form.field("text").max_chars(MAX_TEXT_CHARS).value();
    if action != "close" && text.is_empty() {
        form.error("text", i18n::message("errors.text", &[]));
    }
    if t.status == "CLOSED" {
        form.fail(i18n::message("errors.closed", &[]));
    }
    form.finish(|| page(cx, Some(t.clone())))?;
    t.status = match action.as_str() {
        "answer" => "ANSWERED",
        "ask" => "INFO_REQUESTED",
        "close" => "CLOSED",
        _ => "SUBMITTED", // the issuer's reply or send-back
    }
    .into();
    let post = Post {
        at_ms: cx.now_ms,
        by: who(cx),
        side: side.into(),
        // Empty: a closing without words, shown as "Closed the request." in
        // the reader's language.
        text,
    };
    t.thread.push(post.clone());
    kv::set_json(key, &t)?;
    let counterpart = if side == "issuer" {
        t.to.clone()
    } else {
        t.from_id.clone()
    };
    if counterpart != "support" {
        messages::send_json(
            &counterpart,
            "sent-requests",
            "request-updated",
            &json!({"id": t.id, "status": t.status, "post": post, "side": side}),
        )?;
    }
    if side == "issuer" {
        publish_open()?;
    }
    let back = if side == "issuer" {
        format!("/sent/{}", t.id)
    } else {
        format!("/received/{}/{}", t.from_id, t.id)
    };
    Ok(Response::redirect(cx.href(&back)))
}
