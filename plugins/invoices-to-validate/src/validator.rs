//! The validator's side: the requests addressed to this structure, with the
//! days left; validate (an explicit tick and a message), refuse (a reason
//! that fits the framework and a comment), or say it is not ours. The
//! 15-day clock is a durable timer here, so the answer and the deadline are
//! decided in one place: whichever comes first wins, the other finds the
//! request already answered.

use crate::model::{self, AskMsg, ChunkMsg, DecisionMsg, Party, Step, ToValidate, WithdrawnMsg};
use crate::supplier::{MAX_COMMENT_CHARS, content_json, history_json, who};
use crate::{files, publish_turns};
use portico_sdk::{
    Context, Error, Form, Message, Request, Response, View, i18n, kv, messages, timers,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Items read per storage page.
const LIST_PAGE: u32 = 1000;

fn key(supplier: &str, id: &str) -> String {
    format!("val/{supplier}/{id}")
}

fn file_prefix(supplier: &str, id: &str, round: u32, file: usize) -> String {
    format!("vfile/{supplier}/{id}/{round}/{file}")
}

fn load(supplier: &str, id: &str) -> Result<ToValidate, Error> {
    kv::get_json(&key(supplier, id))?.ok_or(Error::NotFound)
}

fn save(v: &ToValidate) -> Result<(), Error> {
    kv::set_json(&key(&v.supplier.id, &v.request_id), v)
}

fn all() -> Result<Vec<ToValidate>, Error> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = kv::list_json::<ToValidate>("val/", after.as_deref(), LIST_PAGE)?;
        out.extend(page.items.into_iter().map(|(_, v)| v));
        match page.next {
            Some(n) => after = Some(n),
            None => return Ok(out),
        }
    }
}

/// The requests waiting for this structure's answer.
pub fn waiting(_cx: &Context) -> Result<Vec<ToValidate>, Error> {
    Ok(all()?
        .into_iter()
        .filter(|v| v.status == "A_VALIDER")
        .collect())
}

/// The tacit-validation timer's payload.
#[derive(Serialize, Deserialize)]
struct Tacit {
    supplier: String,
    request_id: String,
    round: u32,
}

/// `file-chunk`: kept until the request it belongs to arrives.
pub fn file_chunk(msg: &Message) -> Result<(), Error> {
    let c: ChunkMsg = serde_json::from_str(&msg.payload)
        .map_err(|e| Error::failed(format!("file-chunk: bad payload: {e}")))?;
    files::store_encoded(
        &format!(
            "{}/{}",
            file_prefix(&msg.from_structure, &c.request_id, c.round, c.file),
            c.chunk
        ),
        &c.data,
    )
}

/// `to-validate`: a supplier asks this structure; the clock starts.
pub fn ask(cx: &Context, msg: &Message) -> Result<(), Error> {
    if msg.from_area != cx.area {
        return Ok(());
    }
    let a: AskMsg = serde_json::from_str(&msg.payload)
        .map_err(|e| Error::failed(format!("to-validate: bad payload: {e}")))?;
    let existing: Option<ToValidate> = kv::get_json(&key(&msg.from_structure, &a.request_id))?;
    if let Some(e) = &existing {
        if e.round >= a.round {
            return Ok(()); // a redelivery, or older than what we hold
        }
        if e.status == "A_VALIDER" {
            timers::cancel(&e.timer)?;
        }
    }
    // The supplier's area set the deadline when it sent; never more than
    // the full delay from now (a delivery held longer fires at once).
    let due = a.due_ms.min(cx.now_ms + model::TACIT_DAYS * model::DAY_MS);
    let timer = timers::at_json(
        due,
        "tacit",
        &Tacit {
            supplier: msg.from_structure.clone(),
            request_id: a.request_id.clone(),
            round: a.round,
        },
    )?;
    let supplier = Party {
        id: msg.from_structure.clone(),
        name: a.supplier_name.clone(),
    };
    let v = ToValidate {
        history: vec![Step {
            status: "A_VALIDER".into(),
            at_ms: cx.now_ms,
            by: String::new(),
            by_structure: supplier.name.clone(),
            reason: String::new(),
            comment: String::new(),
        }],
        supplier,
        request_id: a.request_id,
        round: a.round,
        level: a.level,
        first: a.first,
        chunks_received: a.content.files.iter().map(|f| f.chunks).collect(),
        content: a.content,
        status: "A_VALIDER".into(),
        received_ms: cx.now_ms,
        due_ms: due,
        timer,
    };
    save(&v)
}

/// `withdrawn`: the supplier named another validator.
pub fn withdrawn(cx: &Context, msg: &Message) -> Result<(), Error> {
    let w: WithdrawnMsg = serde_json::from_str(&msg.payload)
        .map_err(|e| Error::failed(format!("withdrawn: bad payload: {e}")))?;
    let Some(mut v) = kv::get_json::<ToValidate>(&key(&msg.from_structure, &w.request_id))? else {
        return Ok(());
    };
    if msg.from_area != cx.area || v.round != w.round || v.status != "A_VALIDER" {
        return Ok(());
    }
    timers::cancel(&v.timer)?;
    v.status = "RETIREE".into();
    v.history.push(Step {
        status: "RETIREE".into(),
        at_ms: cx.now_ms,
        by: String::new(),
        by_structure: v.supplier.name.clone(),
        reason: String::new(),
        comment: String::new(),
    });
    save(&v)
}

/// The 15 days are over: validated tacitly, recorded as such, and the
/// request goes on by itself.
pub fn tacit(cx: &Context, msg: &Message) -> Result<(), Error> {
    let t: Tacit = serde_json::from_str(&msg.payload)
        .map_err(|e| Error::failed(format!("tacit: bad payload: {e}")))?;
    let Some(mut v) = kv::get_json::<ToValidate>(&key(&t.supplier, &t.request_id))? else {
        return Ok(());
    };
    if v.status != "A_VALIDER" || v.round != t.round || v.timer != msg.id {
        return Ok(()); // answered meanwhile, or an older round's timer
    }
    decide(cx, &mut v, "HORS_DELAI", "tacit", "", "", "")
}

/// Records the answer and tells the supplier (one transaction).
fn decide(
    cx: &Context,
    v: &mut ToValidate,
    status: &str,
    outcome: &str,
    by: &str,
    reason: &str,
    comment: &str,
) -> Result<(), Error> {
    v.status = status.into();
    let me = cx
        .structure
        .as_ref()
        .map(|s| s.name.clone())
        .unwrap_or_default();
    v.history.push(Step {
        status: status.into(),
        at_ms: cx.now_ms,
        by: by.into(),
        by_structure: if outcome == "tacit" {
            String::new()
        } else {
            me
        },
        reason: reason.into(),
        comment: comment.into(),
    });
    messages::send_json(
        &v.supplier.id,
        &cx.area,
        "decision",
        &DecisionMsg {
            request_id: v.request_id.clone(),
            round: v.round,
            level: v.level,
            outcome: outcome.into(),
            reason: reason.into(),
            comment: comment.into(),
            by: by.into(),
            at_ms: cx.now_ms,
        },
    )?;
    save(v)
}

/// `POST /validate/{supplier}/{id}/{validate|refuse|not-mine}`: checked
/// against the stored state, whatever the form says.
pub fn act(
    cx: &Context,
    req: &Request,
    supplier: &str,
    id: &str,
    action: &str,
) -> Result<Response, Error> {
    let mut v = load(supplier, id)?;
    if !matches!(action, "validate" | "refuse" | "not-mine") {
        return Ok(Response::not_found());
    }
    if v.status != "A_VALIDER" {
        return Ok(Response::forbidden(i18n::message(
            "error.already-answered",
            &[],
        )));
    }
    if cx.now_ms >= v.due_ms {
        return Ok(Response::forbidden(i18n::message("error.too-late", &[])));
    }
    let mut form = Form::new(req);
    let (status, outcome, reason, comment) = match action {
        "validate" => {
            if req.form_value("confirm") != Some("yes") {
                form.error(
                    "confirm",
                    i18n::message(&format!("error.confirm-{}", v.level), &[]),
                );
            }
            let message = form
                .field("message")
                .required()
                .max_chars(MAX_COMMENT_CHARS)
                .value();
            ("VALIDEE", "validated", String::new(), message)
        }
        "refuse" => {
            let reasons = model::refusal_reasons(&v.content.framework);
            let reason = form.field("reason").required().one_of(&reasons).value();
            let comment = form
                .field("comment")
                .required()
                .max_chars(MAX_COMMENT_CHARS)
                .value();
            ("REFUSEE", "refused", reason, comment)
        }
        _ => {
            let comment = form.field("note").max_chars(MAX_COMMENT_CHARS).value();
            ("ERREUR_VALIDEUR", "wrong-validator", String::new(), comment)
        }
    };
    form.finish(|| view(cx, &v, None))?;
    timers::cancel(&v.timer)?;
    decide(cx, &mut v, status, outcome, &who(cx), &reason, &comment)?;
    publish_turns(cx)?;
    Ok(Response::redirect(cx.href(&format!(
        "/validate/{supplier}/{id}?done={outcome}"
    ))))
}

/// `GET /validate/{supplier}/{id}`.
pub fn show(cx: &Context, supplier: &str, id: &str, done: Option<&str>) -> Result<Response, Error> {
    let v = load(supplier, id)?;
    Ok(Response::View(view(cx, &v, done)?))
}

fn view(cx: &Context, v: &ToValidate, done: Option<&str>) -> Result<View, Error> {
    let pending = v.status == "A_VALIDER";
    let days = model::days_left(cx.now_ms, v.due_ms);
    let base = cx.href(&format!("/validate/{}/{}", v.supplier.id, v.request_id));
    View::new(
        "validate.html",
        &i18n::message("validate.title", &[("number", &v.content.number)]),
        &json!({
            "supplier": v.supplier,
            "first": v.first,
            "level": v.level,
            "status": v.status,
            "tone": model::tone(&v.status),
            "content": content_json(&v.content),
            "pending": pending,
            "received_ms": v.received_ms,
            "due_ms": v.due_ms,
            "days_left": days,
            "reasons": model::refusal_reasons(&v.content.framework),
            "history": history_json(&v.history),
            "done": done,
            "base": base,
        }),
    )
}

/// `GET /validate/{supplier}/{id}/file/{n}`: the attachment as received.
pub fn download(supplier: &str, id: &str, n: &str) -> Result<Response, Error> {
    let v = load(supplier, id)?;
    let Some((i, meta)) = n
        .parse::<usize>()
        .ok()
        .and_then(|i| v.content.files.get(i).map(|m| (i, m)))
    else {
        return Ok(Response::not_found());
    };
    files::download(&file_prefix(supplier, id, v.round, i), meta)
}

/// The synthesis rows of requests addressed to this structure: waiting
/// ones first (soonest due first), then the others, newest first.
pub fn rows(cx: &Context) -> Result<Vec<Value>, Error> {
    let mut list = all()?;
    list.sort_by_key(|v| {
        (
            v.status != "A_VALIDER",
            if v.status == "A_VALIDER" {
                v.due_ms
            } else {
                u64::MAX - v.received_ms
            },
        )
    });
    Ok(list
        .iter()
        .map(|v| {
            let pending = v.status == "A_VALIDER";
            json!({
                "href": cx.href(&format!("/validate/{}/{}", v.supplier.id, v.request_id)),
                "number": v.content.number,
                "framework": v.content.framework,
                "supplier": v.supplier.name,
                "level": v.level,
                "gross": crate::money::cents(v.content.totals.gross),
                "currency": v.content.currency,
                "status": v.status,
                "tone": model::tone(&v.status),
                "due_ms": pending.then_some(v.due_ms),
                "days_left": pending.then(|| model::days_left(cx.now_ms, v.due_ms)),
            })
        })
        .collect())
}
