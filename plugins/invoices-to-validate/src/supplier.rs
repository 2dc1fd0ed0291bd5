//! The supplier's side: enter a payment request, send it to its validator,
//! follow every status, correct a wrong validator, and once validated (or
//! tacitly) send it on to the public recipient's Received invoices.

use crate::model::{
    self, AskMsg, ChunkMsg, Content, DecisionMsg, FileMeta, Line, Party, PaymentRequest, Step,
    Totals, VatLine, WithdrawnMsg,
};
use crate::{RECEIVED_AREA, files, money, publish_turns};
use portico_sdk::{
    Context, Error, Form, Message, Request, Response, StructureKind, View, i18n, kv, messages,
};
use serde_json::{Value, json};

/// Line rows the entry form shows.
pub const FORM_LINES: usize = 5;
/// Longest number (Chorus Pro: 20).
pub const MAX_NUMBER_CHARS: usize = 20;
/// Longest comment or message.
pub const MAX_COMMENT_CHARS: usize = 2000;
/// Requests read per storage page.
const LIST_PAGE: u32 = 1000;

fn key(id: &str) -> String {
    format!("req/{id}")
}

/// One of this structure's requests.
pub fn load(id: &str) -> Result<PaymentRequest, Error> {
    kv::get_json(&key(id))?.ok_or(Error::NotFound)
}

fn save(r: &PaymentRequest) -> Result<(), Error> {
    kv::set_json(&key(&r.id), r)
}

/// Every request this structure entered.
pub fn all() -> Result<Vec<PaymentRequest>, Error> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = kv::list_json::<PaymentRequest>("req/", after.as_deref(), LIST_PAGE)?;
        out.extend(page.items.into_iter().map(|(_, v)| v));
        match page.next {
            Some(n) => after = Some(n),
            None => return Ok(out),
        }
    }
}

fn me(cx: &Context) -> Result<Party, Error> {
    let s = cx.structure.as_ref().ok_or(Error::NotFound)?;
    Ok(Party {
        id: s.id.clone(),
        name: s.name.clone(),
    })
}

/// The person acting, as history shows them.
pub fn who(cx: &Context) -> String {
    format!("{} {}", cx.user.first_name, cx.user.last_name)
        .trim()
        .to_string()
}

/// The entry form.
pub fn new_page(_cx: &Context) -> Result<View, Error> {
    View::new(
        "new.html",
        &i18n::message("new.title", &[]),
        &json!({
            "frameworks": model::FRAMEWORKS,
            "lines": (1..=FORM_LINES).collect::<Vec<_>>(),
            "tacit_days": model::TACIT_DAYS,
            "extensions": files::EXTENSIONS.join(", "),
        }),
    )
}

fn siret(value: &str) -> Result<(), String> {
    portico_sdk::siret::validate(value)
        .map(|_| ())
        .map_err(|_| i18n::message("error.siret", &[("value", value)]))
}

/// Checks a validator's SIRET live: an active private structure other than
/// this one. Returns its name, or records the error on `field`.
fn check_validator(form: &mut Form, field: &str, id: &str, me: &str) -> Result<String, Error> {
    if id.is_empty() || form.has_error(field) {
        return Ok(String::new());
    }
    if id == me {
        form.error(field, i18n::message("error.validator-self", &[]));
        return Ok(String::new());
    }
    match messages::lookup(id)? {
        None => form.error(field, i18n::message("error.unknown", &[("value", id)])),
        Some(s) if s.kind != StructureKind::Private => form.error(
            field,
            i18n::message("error.validator-public", &[("name", &s.name)]),
        ),
        Some(s) if !s.active => {
            form.error(field, i18n::message("error.inactive", &[("name", &s.name)]))
        }
        Some(s) => return Ok(s.name),
    }
    Ok(String::new())
}

/// Normalised `id` (spaces removed) if it is a SIRET, else as given.
fn normal(id: &str) -> String {
    portico_sdk::siret::validate(id).unwrap_or_else(|_| id.trim().to_string())
}

/// `POST /new`: check everything, keep the request and send it to the
/// validator in one call.
pub fn create(cx: &Context, req: &Request) -> Result<Response, Error> {
    let me = me(cx)?;
    let mut form = Form::new(req);
    let framework = form
        .field("framework")
        .required()
        .one_of(&model::FRAMEWORKS)
        .value();
    let number = form
        .field("number")
        .required()
        .max_chars(MAX_NUMBER_CHARS)
        .value();
    let date = form
        .field("date")
        .required()
        .check(is_date, i18n::message("error.date", &[]))
        .value();
    let recipient_id = normal(&form.field("recipient").required().check_with(siret).value());
    let service_code = form.field("service_code").max_chars(30).value();
    let order_number = form.field("order_number").max_chars(50).value();
    let contract_number = form.field("contract_number").max_chars(50).value();
    let validator_id = normal(&form.field("validator").required().check_with(siret).value());
    let second_id = normal(&form.field("second").check_with(siret).value());
    let comment = form.field("comment").max_chars(MAX_COMMENT_CHARS).value();

    let mut recipient = Party {
        id: recipient_id.clone(),
        name: String::new(),
    };
    if !recipient_id.is_empty() && !form.has_error("recipient") {
        match messages::lookup(&recipient_id)? {
            None => form.error(
                "recipient",
                i18n::message("error.unknown", &[("value", &recipient_id)]),
            ),
            Some(s) if s.kind != StructureKind::Public => form.error(
                "recipient",
                i18n::message("error.recipient-private", &[("name", &s.name)]),
            ),
            Some(s) if !s.active => form.error(
                "recipient",
                i18n::message("error.inactive", &[("name", &s.name)]),
            ),
            Some(s) => {
                if !service_code.is_empty() && !s.services.iter().any(|(c, _)| *c == service_code) {
                    let codes: Vec<&str> = s.services.iter().map(|(c, _)| c.as_str()).collect();
                    form.error(
                        "service_code",
                        i18n::message(
                            "error.service-unknown",
                            &[("code", &service_code), ("codes", &codes.join(", "))],
                        ),
                    );
                }
                if s.requires_service_code() && service_code.is_empty() {
                    form.error(
                        "service_code",
                        i18n::message("error.service-required", &[("name", &s.name)]),
                    );
                }
                if s.requires_commitment_number() && order_number.is_empty() {
                    form.error(
                        "order_number",
                        i18n::message("error.order-required", &[("name", &s.name)]),
                    );
                }
                if s.requires_either() && order_number.is_empty() && service_code.is_empty() {
                    form.error(
                        "order_number",
                        i18n::message("error.either-required", &[("name", &s.name)]),
                    );
                }
                recipient.name = s.name;
            }
        }
    }
    let validator_name = check_validator(&mut form, "validator", &validator_id, &me.id)?;
    let second_name = if second_id.is_empty() {
        String::new()
    } else if !model::is_subcontractor(&framework) {
        form.error("second", i18n::message("error.second-framework", &[]));
        String::new()
    } else if second_id == validator_id {
        form.error("second", i18n::message("error.second-same", &[]));
        String::new()
    } else {
        check_validator(&mut form, "second", &second_id, &me.id)?
    };
    if !number.is_empty() && all()?.iter().any(|r| r.content.number == number) {
        form.error(
            "number",
            i18n::message("error.number-used", &[("number", &number)]),
        );
    }
    let (lines, nets) = read_lines(req, &mut form);
    let uploads: Vec<_> = req
        .files
        .iter()
        .filter(|f| f.field == "attachments" && !f.filename.is_empty())
        .collect();
    if uploads.len() > files::MAX_FILES {
        form.error(
            "attachments",
            i18n::message(
                "error.files-count",
                &[("max", &files::MAX_FILES.to_string())],
            ),
        );
    }
    for upload in &uploads {
        if let Err(e) = files::check(upload) {
            form.error("attachments", e);
        }
    }
    form.finish(|| new_page(cx))?;

    let seq = kv::update_json("seq", |n: Option<u64>| Some(n.unwrap_or(0) + 1))?.unwrap_or(1);
    let id = format!("{seq:06}");
    let mut metas = Vec::new();
    for (i, upload) in uploads.iter().enumerate() {
        let chunks = files::store(&format!("file/{id}/{i}"), &upload.bytes)?;
        metas.push(FileMeta {
            name: upload.filename.trim().to_string(),
            content_type: upload.content_type.clone(),
            size: upload.bytes.len(),
            chunks,
        });
    }
    let (vat_summary, totals) = totals_of(&nets);
    let mut r = PaymentRequest {
        id: id.clone(),
        content: Content {
            framework,
            number,
            date,
            recipient,
            service_code,
            order_number,
            contract_number,
            currency: "EUR".into(),
            lines,
            vat_summary,
            totals,
            comment,
            files: metas,
        },
        validator: Party {
            id: validator_id,
            name: validator_name,
        },
        second: (!second_id.is_empty()).then_some(Party {
            id: second_id,
            name: second_name,
        }),
        level: 1,
        round: 0,
        status: String::new(),
        due_ms: None,
        history: vec![Step {
            status: "DEPOSEE".into(),
            at_ms: cx.now_ms,
            by: who(cx),
            by_structure: me.name.clone(),
            reason: String::new(),
            comment: String::new(),
        }],
        created_ms: cx.now_ms,
        seen: Vec::new(),
    };
    send_to_validator(cx, &mut r, &who(cx))?;
    save(&r)?;
    publish_turns(cx)?;
    Ok(Response::redirect(
        cx.href(&format!("/request/{id}?done=sent")),
    ))
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && s[..4]
            .parse::<u32>()
            .is_ok_and(|y| (2000..=2100).contains(&y))
        && s[5..7].parse::<u32>().is_ok_and(|m| (1..=12).contains(&m))
        && s[8..].parse::<u32>().is_ok_and(|d| (1..=31).contains(&d))
}

/// The entered lines, normalised, and each (net cents, rate bp); errors
/// land on the line's fields.
pub fn read_lines(req: &Request, form: &mut Form) -> (Vec<Line>, Vec<(i64, i64)>) {
    let mut lines = Vec::new();
    let mut nets = Vec::new();
    for n in 1..=FORM_LINES {
        let f = |name: &str| format!("line-{n}-{name}");
        let raw = |name: &str| req.form_value(&f(name)).unwrap_or("").trim().to_string();
        let (designation, quantity, price, rate) = (
            raw("designation"),
            raw("quantity"),
            raw("unit_price"),
            raw("vat_rate"),
        );
        if designation.is_empty() && quantity.is_empty() && price.is_empty() && rate.is_empty() {
            continue;
        }
        if designation.is_empty() {
            form.error(
                &f("designation"),
                i18n::message("error.line-designation", &[]),
            );
        }
        let number = |text: &str, field: &str, decimals: u32, form: &mut Form| {
            if text.is_empty() {
                form.error(field, i18n::message("form.required", &[]));
                return None;
            }
            match money::parse_scaled(text, decimals) {
                Ok(v) => Some(v),
                Err(_) => {
                    form.error(
                        field,
                        i18n::message(
                            "error.number",
                            &[("value", text), ("decimals", &decimals.to_string())],
                        ),
                    );
                    None
                }
            }
        };
        let q = number(&quantity, &f("quantity"), money::MAX_DECIMALS, form);
        let p = number(&price, &f("unit_price"), money::MAX_DECIMALS, form);
        let r = if rate.is_empty() {
            form.error(&f("vat_rate"), i18n::message("form.required", &[]));
            None
        } else {
            match money::parse_rate(&rate) {
                Ok(v) => Some(v),
                Err(_) => {
                    form.error(
                        &f("vat_rate"),
                        i18n::message("error.rate", &[("value", &rate)]),
                    );
                    None
                }
            }
        };
        if let (Some(q), Some(p), Some(r)) = (q, p, r) {
            let amounts = money::LineAmounts {
                quantity: q,
                unit_price: p,
                discount: 0,
                vat_rate: r,
            };
            match amounts.net() {
                Ok(net) if net >= 0 => {
                    nets.push((net, r));
                    lines.push(Line {
                        designation: designation.clone(),
                        quantity: money::format_scaled(q, money::MAX_DECIMALS, 0),
                        unit: "C62".into(),
                        unit_price: money::format_scaled(p, money::MAX_DECIMALS, 2),
                        vat_rate: money::rate(r),
                        net: money::cents(net),
                    });
                }
                _ => form.error(&f("quantity"), i18n::message("error.line-amount", &[])),
            }
        }
    }
    if lines.is_empty() && form.is_valid() {
        form.error("line-1-designation", i18n::message("error.no-line", &[]));
    }
    (lines, nets)
}

/// VAT per rate and totals, in cents.
pub fn totals_of(nets: &[(i64, i64)]) -> (Vec<VatLine>, Totals) {
    let (summary, totals) = money::summarize(nets, false);
    (
        summary
            .into_iter()
            .map(|l| VatLine {
                rate: l.rate,
                base: l.base,
                vat: l.vat,
            })
            .collect(),
        Totals {
            net: totals.net,
            vat: totals.vat,
            gross: totals.gross,
            due: totals.due,
        },
    )
}

/// Sends the request to the current level's validator: a new round, 15
/// days from now, the attachments first, then `to-validate`.
fn send_to_validator(cx: &Context, r: &mut PaymentRequest, by: &str) -> Result<(), Error> {
    r.round += 1;
    let due = cx.now_ms + model::TACIT_DAYS * model::DAY_MS;
    let to = r.current_validator().clone();
    for (i, meta) in r.content.files.iter().enumerate() {
        for (n, data) in files::encoded_chunks(&format!("file/{}/{i}", r.id), meta)?
            .into_iter()
            .enumerate()
        {
            messages::send_json(
                &to.id,
                &cx.area,
                "file-chunk",
                &ChunkMsg {
                    request_id: r.id.clone(),
                    round: r.round,
                    file: i,
                    chunk: n,
                    data,
                },
            )?;
        }
    }
    let first = (r.level == 2).then(|| r.validator.clone());
    let sent = messages::send_json(
        &to.id,
        &cx.area,
        "to-validate",
        &AskMsg {
            supplier_name: me(cx)?.name,
            request_id: r.id.clone(),
            round: r.round,
            level: r.level,
            first,
            content: r.content.clone(),
            due_ms: due,
        },
    )?;
    kv::set_json(&format!("sent/{sent}"), &r.id)?;
    r.status = format!("A_VALIDER_{}", r.level);
    r.due_ms = Some(due);
    r.history.push(Step {
        status: r.status.clone(),
        at_ms: cx.now_ms,
        by: by.to_string(),
        by_structure: me(cx)?.name,
        reason: String::new(),
        comment: to.name,
    });
    Ok(())
}

/// After a level's validation (explicit or tacit): the next level, or the
/// public recipient.
fn go_on(cx: &Context, r: &mut PaymentRequest) -> Result<(), Error> {
    if r.level == 1 && r.second.is_some() {
        r.level = 2;
        return send_to_validator(cx, r, "");
    }
    let me = me(cx)?;
    let sent = messages::send_json(
        &r.content.recipient.id,
        RECEIVED_AREA,
        "invoice-sent",
        &json!({
            "supplier_id": me.id,
            "supplier_name": me.name,
            "invoice": model::invoice_for_recipient(r),
        }),
    )?;
    kv::set_json(&format!("sent/{sent}"), &r.id)?;
    r.status = "TRANSMISE".into();
    r.due_ms = None;
    r.history.push(Step {
        status: "TRANSMISE".into(),
        at_ms: cx.now_ms,
        by: String::new(),
        by_structure: String::new(),
        reason: String::new(),
        comment: r.content.recipient.name.clone(),
    });
    Ok(())
}

/// `decision` from a validator: applied only if it comes from the
/// validator of the current level and round while the request waits for it.
pub fn decision(cx: &Context, msg: &Message) -> Result<(), Error> {
    let d: DecisionMsg = serde_json::from_str(&msg.payload)
        .map_err(|e| Error::failed(format!("decision: bad payload: {e}")))?;
    let Some(mut r) = kv::get_json::<PaymentRequest>(&key(&d.request_id))? else {
        return Ok(());
    };
    if r.seen.contains(&msg.id)
        || !r.pending()
        || d.round != r.round
        || d.level != r.level
        || msg.from_area != cx.area
        || msg.from_structure != r.current_validator().id
    {
        return Ok(()); // late, repeated, or not this request's validator
    }
    r.seen.push(msg.id.clone());
    let level = r.level;
    let validator = r.current_validator().name.clone();
    let tacit = d.outcome == "tacit";
    let step = |status: String| Step {
        status,
        at_ms: d.at_ms.min(cx.now_ms),
        by: d.by.clone(),
        // A tacit validation is the portal's doing, not the validator's.
        by_structure: if tacit {
            String::new()
        } else {
            validator.clone()
        },
        reason: d.reason.clone(),
        comment: d.comment.clone(),
    };
    match d.outcome.as_str() {
        "validated" | "tacit" => {
            let status = if d.outcome == "tacit" {
                format!("ABSENCE_VALIDATION_{level}_HORS_DELAI")
            } else {
                format!("VALIDEE_{level}")
            };
            r.history.push(step(status));
            go_on(cx, &mut r)?;
        }
        "refused" => {
            r.status = format!("REFUSEE_{level}");
            r.due_ms = None;
            r.history.push(step(r.status.clone()));
        }
        "wrong-validator" => {
            r.status = if level == 1 {
                "ERREUR_FOURNISSEUR_SUR_VALIDEUR".into()
            } else {
                "ERREUR_COTRAITANT_SUR_VALIDEUR".into()
            };
            r.due_ms = None;
            r.history.push(step(r.status.clone()));
        }
        _ => return Ok(()),
    }
    save(&r)
}

/// `status-changed` from the public recipient's Received invoices.
pub fn status_changed(cx: &Context, msg: &Message) -> Result<(), Error> {
    let v: Value = serde_json::from_str(&msg.payload)
        .map_err(|e| Error::failed(format!("status-changed: bad payload: {e}")))?;
    let id = v["invoice_id"].as_str().unwrap_or("");
    let Some(mut r) = kv::get_json::<PaymentRequest>(&key(id))? else {
        return Ok(());
    };
    if r.seen.contains(&msg.id)
        || msg.from_structure != r.content.recipient.id
        || msg.from_area != RECEIVED_AREA
        || !matches!(r.status.as_str(), "TRANSMISE" | "ECHEC_ACHEMINEMENT")
            && r.history.iter().all(|s| s.status != "TRANSMISE")
    {
        return Ok(());
    }
    let status = v["status"].as_str().unwrap_or("").to_string();
    if status.is_empty() {
        return Ok(());
    }
    r.seen.push(msg.id.clone());
    r.status = status.clone();
    r.history.push(Step {
        status,
        at_ms: cx.now_ms,
        by: v["by"].as_str().unwrap_or("").to_string(),
        by_structure: r.content.recipient.name.clone(),
        reason: String::new(),
        comment: v["reason"].as_str().unwrap_or("").to_string(),
    });
    save(&r)
}

/// A message the host could not deliver: the validator's structure (or the
/// recipient's) does not have the area. Said on the request, which the
/// supplier can then correct.
pub fn delivery_failed(cx: &Context, msg: &Message) -> Result<(), Error> {
    let v: Value = serde_json::from_str(&msg.payload)
        .map_err(|e| Error::failed(format!("delivery-failed: bad payload: {e}")))?;
    let kind = v["kind"].as_str().unwrap_or("");
    let Some(id) =
        kv::get_json::<String>(&format!("sent/{}", v["message-id"].as_str().unwrap_or("")))?
    else {
        return Ok(()); // a chunk, or not ours
    };
    let mut r = load(&id)?;
    if r.seen.contains(&msg.id) {
        return Ok(());
    }
    let status = match kind {
        "to-validate" if r.pending() && v["to-structure"] == r.current_validator().id.as_str() => {
            "ECHEC_REMISE_VALIDEUR"
        }
        "invoice-sent" if r.status == "TRANSMISE" => "ECHEC_ACHEMINEMENT",
        _ => return Ok(()),
    };
    r.seen.push(msg.id.clone());
    r.status = status.into();
    r.due_ms = None;
    r.history.push(Step {
        status: status.into(),
        at_ms: cx.now_ms,
        by: String::new(),
        by_structure: String::new(),
        reason: String::new(),
        comment: v["reason"].as_str().unwrap_or("").to_string(),
    });
    save(&r)
}

/// `POST /request/{id}/validator`: name another validator for the current
/// level without entering the request again; the former one (if it still
/// held it) is told, and the new one gets its full 15 days.
pub fn correct(cx: &Context, req: &Request, id: &str) -> Result<Response, Error> {
    let mut r = load(id)?;
    let me = me(cx)?;
    if !r.correctable() {
        return Ok(Response::forbidden(i18n::message(
            "error.not-correctable",
            &[],
        )));
    }
    let mut form = Form::new(req);
    let new_id = normal(&form.field("validator").required().check_with(siret).value());
    let current = r.current_validator().clone();
    let other = if r.level == 2 {
        Some(r.validator.id.clone())
    } else {
        r.second.as_ref().map(|s| s.id.clone())
    };
    if !new_id.is_empty() && other.as_deref() == Some(new_id.as_str()) {
        form.error("validator", i18n::message("error.second-same", &[]));
    }
    let name = check_validator(&mut form, "validator", &new_id, &me.id)?;
    form.finish(|| request_view(cx, &r, None))?;
    if r.pending() {
        messages::send_json(
            &current.id,
            &cx.area,
            "withdrawn",
            &WithdrawnMsg {
                request_id: r.id.clone(),
                round: r.round,
            },
        )?;
    }
    let new = Party { id: new_id, name };
    r.history.push(Step {
        status: "VALIDEUR_CORRIGE".into(),
        at_ms: cx.now_ms,
        by: who(cx),
        by_structure: me.name,
        reason: String::new(),
        comment: format!("{} → {}", current.name, new.name),
    });
    if r.level == 2 {
        r.second = Some(new);
    } else {
        r.validator = new;
    }
    send_to_validator(cx, &mut r, &who(cx))?;
    save(&r)?;
    publish_turns(cx)?;
    Ok(Response::redirect(
        cx.href(&format!("/request/{id}?done=corrected")),
    ))
}

/// `GET /request/{id}/file/{n}`.
pub fn download(id: &str, n: &str) -> Result<Response, Error> {
    let r = load(id)?;
    let Some((i, meta)) = n
        .parse::<usize>()
        .ok()
        .and_then(|i| r.content.files.get(i).map(|m| (i, m)))
    else {
        return Ok(Response::not_found());
    };
    files::download(&format!("file/{id}/{i}"), meta)
}

/// `GET /request/{id}`.
pub fn show(cx: &Context, id: &str, done: Option<&str>) -> Result<Response, Error> {
    let r = load(id)?;
    Ok(Response::View(request_view(cx, &r, done)?))
}

/// What both sides show of the content: lines, totals and VAT as decimal
/// strings for the `amount` filter.
pub fn content_json(c: &Content) -> Value {
    json!({
        "framework": c.framework,
        "number": c.number,
        "date": c.date,
        "recipient": c.recipient,
        "service_code": c.service_code,
        "order_number": c.order_number,
        "contract_number": c.contract_number,
        "currency": c.currency,
        "lines": c.lines,
        "vat": c.vat_summary.iter().map(|v| json!({
            "rate": money::rate(v.rate), "base": money::cents(v.base), "vat": money::cents(v.vat),
        })).collect::<Vec<_>>(),
        "net": money::cents(c.totals.net),
        "vat_total": money::cents(c.totals.vat),
        "gross": money::cents(c.totals.gross),
        "comment": c.comment,
        "files": c.files.iter().enumerate().map(|(i, f)| json!({"n": i, "name": f.name, "size": f.size})).collect::<Vec<_>>(),
    })
}

/// History rows, newest first.
pub fn history_json(history: &[Step]) -> Vec<Value> {
    history
        .iter()
        .rev()
        .map(|s| {
            json!({
                "status": s.status, "tone": model::tone(&s.status), "at_ms": s.at_ms,
                "by": s.by, "by_structure": s.by_structure, "reason": s.reason, "comment": s.comment,
            })
        })
        .collect()
}

fn request_view(cx: &Context, r: &PaymentRequest, done: Option<&str>) -> Result<View, Error> {
    let turn = r.due_ms.filter(|_| r.pending()).map(|due| {
        let days = model::days_left(cx.now_ms, due);
        json!({"with": r.current_validator(), "due_ms": due, "days_left": days, "overdue": days < 0})
    });
    View::new(
        "request.html",
        &i18n::message("request.title", &[("number", &r.content.number)]),
        &json!({
            "id": r.id,
            "status": r.status,
            "tone": model::tone(&r.status),
            "level": r.level,
            "validator": r.validator,
            "second": r.second,
            "content": content_json(&r.content),
            "turn": turn,
            "correctable": r.correctable(),
            "history": history_json(&r.history),
            "done": done,
            "action": cx.href(&format!("/request/{}/validator", r.id)),
            "files_base": cx.href(&format!("/request/{}/file", r.id)),
        }),
    )
}

/// The synthesis rows of this structure's own requests, newest first.
pub fn rows(cx: &Context) -> Result<Vec<Value>, Error> {
    let mut list = all()?;
    list.sort_by_key(|r| std::cmp::Reverse(r.created_ms));
    Ok(list
        .iter()
        .map(|r| {
            let due = r.due_ms.filter(|_| r.pending());
            json!({
                "href": cx.href(&format!("/request/{}", r.id)),
                "number": r.content.number,
                "framework": r.content.framework,
                "recipient": r.content.recipient.name,
                "gross": money::cents(r.content.totals.gross),
                "currency": r.content.currency,
                "status": r.status,
                "tone": model::tone(&r.status),
                "with": r.pending().then(|| r.current_validator().name.clone()),
                "due_ms": due,
                "days_left": due.map(|d| model::days_left(cx.now_ms, d)),
            })
        })
        .collect())
}
