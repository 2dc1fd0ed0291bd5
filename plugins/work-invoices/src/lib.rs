//! Work invoices: public-works pieces going back and forth between the
//! firm, the project manager (MOE), the contracting authority (MOA) and
//! the financial service (brief §6), with a clock per step.
//!
//! - The firm sets up the contract's identity sheet once (parties by SIRET,
//!   commitment number, service code, delegation, each step's delay); every
//!   party's area receives a copy (`contract` message).
//! - Each payment is an invoicing file: monthly (A4 → MOE A16 → MOA A19 →
//!   financial service) or final (A7 → MOE A17, or A18 with delegation →
//!   MOA A20 → firm signs A8 → financial service; A22 → A23 when the DG
//!   is late; A24 / A25 when the firm lets the MOE's or the MOA's general
//!   statement go unsigned, README "The tacit procedures"). The holder's area alone changes the file, checked against
//!   the circuit ([`model::next`]), then sends the new version to every
//!   party (`dossier` message); a copy accepts it only from the structure
//!   that held the previous version.
//! - Every step's deadline is a durable timer in the holder's structure:
//!   when it passes, the step is marked overdue (and a piece deposited
//!   late stays marked late); the DG's delay opens the tacit procedure; the
//!   A22's delay makes the tacit general and definitive statement (A23).
//! - Once payable, the firm's area sends it to the financial service's
//!   Received invoices (`invoice-sent`), whose statuses come back.

pub mod model;

use model::{Actor, Contract, Dossier, Event, Kind, Party, Piece};
use portico_sdk::attachments::{self, FileRef};
use portico_sdk::{
    Area, Context, Error, Form, Message, Request, Response, StructureKind, View, facts, i18n, kv,
    messages, timers,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[path = "../../issued-invoices/src/money.rs"]
#[allow(dead_code, unreachable_pub)] // shared with Issued invoices: one copy of the arithmetic
mod money;

/// Where payable pieces go, in the financial service's structure.
pub const RECEIVED_AREA: &str = "received-invoices";
/// Longest contract number (used in URLs: letters, digits, `-`, `_`, `.`).
const MAX_CONTRACT_CHARS: usize = 30;
/// Longest comment.
const MAX_COMMENT_CHARS: usize = 2000;
/// Most items in the `turns` fact (at most 4 KiB).
const FACT_ITEMS: usize = 8;
/// Items read per storage page.
const LIST_PAGE: u32 = 1000;

/// The area.
pub struct WorkInvoices;

portico_sdk::export_area!(WorkInvoices);

impl Area for WorkInvoices {
    fn templates() -> &'static [(&'static str, &'static str)] {
        &[
            ("list.html", include_str!("../templates/list.html")),
            ("row.html", include_str!("../templates/row.html")),
            ("amount.html", include_str!("../templates/amount.html")),
            (
                "documents.html",
                include_str!("../templates/documents.html"),
            ),
            (
                "contract-new.html",
                include_str!("../templates/contract-new.html"),
            ),
            ("contract.html", include_str!("../templates/contract.html")),
            ("file.html", include_str!("../templates/file.html")),
        ]
    }

    fn messages() -> &'static [(&'static str, &'static str)] {
        portico_sdk::messages!()
    }

    fn handle(cx: &Context, req: &Request) -> Result<Response, Error> {
        let parts: Vec<&str> = req.path.trim_matches('/').split('/').collect();
        match (req.is_post(), parts.as_slice()) {
            (false, [""]) => list(cx),
            (false, ["contract", "new"]) => Ok(Response::View(contract_form(cx)?)),
            (true, ["contract", "new"]) => create_contract(cx, req),
            (false, ["contract", s, n]) => {
                let c = load_contract(s, n)?;
                Ok(Response::View(contract_view(
                    cx,
                    &c,
                    req.query_value("done"),
                )?))
            }
            (true, ["contract", s, n, "deposit"]) => deposit(cx, req, s, n),
            (false, ["file", s, n, no]) => {
                let d = load_dossier(s, n, no)?;
                Ok(Response::View(file_view(cx, &d, req.query_value("done"))?))
            }
            (false, ["file", s, n, no, "piece", i, j]) => piece_file(cx, s, n, no, i, j),
            (true, ["file", s, n, no, action]) => act(cx, req, s, n, no, action),
            _ => Ok(Response::not_found()),
        }
    }

    fn on_message(cx: &Context, msg: &Message) -> Result<(), Error> {
        // A piece's documents, ahead of the file that names them.
        if attachments::receive(msg)? {
            return Ok(());
        }
        match msg.kind.as_str() {
            "contract" => contract_received(cx, msg),
            "dossier" => dossier_received(cx, msg),
            "step-due" if msg.is_timer(cx) => step_due(cx, msg),
            "status-changed" => payment_status(cx, msg),
            _ => Ok(()),
        }?;
        publish_turns(cx)
    }
}

fn me(cx: &Context) -> Result<Party, Error> {
    let s = cx.structure.as_ref().ok_or(Error::NotFound)?;
    Ok(Party {
        id: s.id.clone(),
        name: s.name.clone(),
    })
}

fn who(cx: &Context) -> String {
    format!("{} {}", cx.user.first_name, cx.user.last_name)
        .trim()
        .to_string()
}

fn contract_key(supplier: &str, number: &str) -> String {
    format!("contract/{supplier}/{number}")
}

fn dossier_key(supplier: &str, number: &str, no: &str) -> String {
    format!("dossier/{supplier}/{number}/{no}")
}

fn load_contract(supplier: &str, number: &str) -> Result<Contract, Error> {
    kv::get_json(&contract_key(supplier, number))?.ok_or(Error::NotFound)
}

fn load_dossier(supplier: &str, number: &str, no: &str) -> Result<Dossier, Error> {
    kv::get_json(&dossier_key(supplier, number, no))?.ok_or(Error::NotFound)
}

fn list_all<T: serde::de::DeserializeOwned>(prefix: &str) -> Result<Vec<T>, Error> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = kv::list_json::<T>(prefix, after.as_deref(), LIST_PAGE)?;
        out.extend(page.items.into_iter().map(|(_, v)| v));
        match page.next {
            Some(n) => after = Some(n),
            None => return Ok(out),
        }
    }
}

fn dossiers() -> Result<Vec<Dossier>, Error> {
    list_all("dossier/")
}

/// What `structure` is in a file: the actors it plays.
fn roles(d: &Dossier, structure: &str) -> Vec<Actor> {
    d.contract.roles_of(structure)
}

fn holder_is(d: &Dossier, structure: &str) -> bool {
    d.holder
        .is_some_and(|h| d.contract.party(h).id == structure)
}

// ---------------------------------------------------------------- contract

fn contract_form(_cx: &Context) -> Result<View, Error> {
    View::new(
        "contract-new.html",
        &i18n::message("contract.new-title", &[]),
        &json!({"defaults": {
            "moe_days": model::MOE_DAYS, "moa_days": model::MOA_DAYS, "dg_days": model::DG_DAYS,
            "a22_days": model::A22_DAYS, "sign_days": model::SIGN_DAYS, "payment_days": model::PAYMENT_DAYS,
        }}),
    )
}

fn siret(value: &str) -> Result<(), String> {
    portico_sdk::siret::validate(value)
        .map(|_| ())
        .map_err(|_| i18n::message("error.siret", &[("value", value)]))
}

/// A party found in the directory, its services (code, name) and recipient rule.
type Found = (Party, Vec<(String, String)>, String);

/// Looks a party up live: it must exist, be active and of `kind`.
fn party(form: &mut Form, field: &str, id: &str, kind: StructureKind) -> Result<Found, Error> {
    let none = (Party::default(), Vec::new(), String::new());
    if id.is_empty() || form.has_error(field) {
        return Ok(none);
    }
    let id = portico_sdk::siret::validate(id).unwrap_or_else(|_| id.to_string());
    match messages::lookup(&id)? {
        None => form.error(field, i18n::message("error.unknown", &[("value", &id)])),
        Some(s) if s.kind != kind => form.error(
            field,
            i18n::message(
                if kind == StructureKind::Public {
                    "error.must-be-public"
                } else {
                    "error.must-be-private"
                },
                &[("name", &s.name)],
            ),
        ),
        Some(s) if !s.active => {
            form.error(field, i18n::message("error.inactive", &[("name", &s.name)]))
        }
        Some(s) => {
            let rule = s.recipient_rule.clone();
            return Ok((Party { id, name: s.name }, s.services, rule));
        }
    }
    Ok(none)
}

fn days(form: &mut Form, field: &str) -> u64 {
    let v = form
        .field(field)
        .required()
        .check(
            |v| v.parse::<u64>().is_ok_and(|d| (1..=120).contains(&d)),
            i18n::message("error.days", &[]),
        )
        .value();
    v.parse().unwrap_or(0)
}

/// `POST /contract/new`: the firm sets up the identity sheet once.
fn create_contract(cx: &Context, req: &Request) -> Result<Response, Error> {
    let me = me(cx)?;
    let mut form = Form::new(req);
    let number = form
        .field("number")
        .required()
        .max_chars(MAX_CONTRACT_CHARS)
        .check(
            |n| {
                n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            },
            i18n::message("error.contract-number", &[]),
        )
        .value();
    let object = form.field("object").required().max_chars(200).value();
    // An MOE absent from the portal: the firm deposits straight to the MOA.
    let moe_absent = req.form_value("moe_absent") == Some("yes");
    let moe_id = if moe_absent {
        String::new()
    } else {
        form.field("moe").required().check_with(siret).value()
    };
    let moa_id = form.field("moa").required().check_with(siret).value();
    let fin_id = form.field("financial").required().check_with(siret).value();
    let order_number = form.field("order_number").max_chars(50).value();
    let service_code = form.field("service_code").max_chars(30).value();
    let moe_delegation = req.form_value("moe_delegation") == Some("yes");
    let moe_days = days(&mut form, "moe_days");
    let moa_days = days(&mut form, "moa_days");
    let dg_days = days(&mut form, "dg_days");
    let a22_days = days(&mut form, "a22_days");
    // Optional (a sheet filled before it existed, or a program's): the
    // CCAG's 30 days.
    let sign_days = if req
        .form_value("sign_days")
        .is_none_or(|v| v.trim().is_empty())
    {
        model::SIGN_DAYS
    } else {
        days(&mut form, "sign_days")
    };
    let payment_days = days(&mut form, "payment_days");
    if cx
        .structure
        .as_ref()
        .is_some_and(|s| s.kind == StructureKind::Public)
    {
        form.error("number", i18n::message("error.supplier-private", &[]));
    }
    let (moe, _, _) = party(&mut form, "moe", &moe_id, StructureKind::Private)?;
    let (moa, _, _) = party(&mut form, "moa", &moa_id, StructureKind::Public)?;
    let (financial, services, rule) =
        party(&mut form, "financial", &fin_id, StructureKind::Public)?;
    if !financial.id.is_empty() {
        if !service_code.is_empty() && !services.iter().any(|(c, _)| *c == service_code) {
            let codes: Vec<&str> = services.iter().map(|(c, _)| c.as_str()).collect();
            form.error(
                "service_code",
                i18n::message(
                    "error.service-unknown",
                    &[("code", &service_code), ("codes", &codes.join(", "))],
                ),
            );
        }
        match rule.as_str() {
            "service-code" if service_code.is_empty() => form.error(
                "service_code",
                i18n::message("error.service-required", &[("name", &financial.name)]),
            ),
            "commitment-number" if order_number.is_empty() => form.error(
                "order_number",
                i18n::message("error.order-required", &[("name", &financial.name)]),
            ),
            "either" if order_number.is_empty() && service_code.is_empty() => form.error(
                "order_number",
                i18n::message("error.either-required", &[("name", &financial.name)]),
            ),
            _ => {}
        }
    }
    if !moe.id.is_empty() && moe.id == me.id {
        form.error("moe", i18n::message("error.moe-self", &[]));
    }
    if !number.is_empty() && kv::get(&contract_key(&me.id, &number))?.is_some() {
        form.error(
            "number",
            i18n::message("error.contract-exists", &[("number", &number)]),
        );
    }
    form.finish(|| contract_form(cx))?;
    let c = Contract {
        number,
        object,
        supplier: me,
        moe,
        moa,
        financial,
        order_number,
        service_code,
        moe_delegation: moe_delegation && !moe_absent,
        moe_absent,
        moe_days,
        moa_days,
        dg_days,
        a22_days,
        sign_days,
        payment_days,
        created_ms: cx.now_ms,
    };
    kv::set_json(&contract_key(&c.supplier.id, &c.number), &c)?;
    for s in c.structures() {
        if s != c.supplier.id {
            messages::send_json(&s, &cx.area, "contract", &c)?;
        }
    }
    Ok(Response::redirect(cx.href(&format!(
        "/contract/{}/{}?done=created",
        c.supplier.id, c.number
    ))))
}

/// `contract` from the firm: kept if this structure is a party.
fn contract_received(cx: &Context, msg: &Message) -> Result<(), Error> {
    let c: Contract = serde_json::from_str(&msg.payload)
        .map_err(|e| Error::failed(format!("contract: bad payload: {e}")))?;
    let me = me(cx)?;
    if msg.from_area != cx.area
        || c.supplier.id != msg.from_structure
        || c.roles_of(&me.id).is_empty()
    {
        return Ok(());
    }
    let key = contract_key(&c.supplier.id, &c.number);
    if kv::get(&key)?.is_none() {
        kv::set_json(&key, &c)?;
    }
    Ok(())
}

fn contract_view(cx: &Context, c: &Contract, done: Option<&str>) -> Result<View, Error> {
    let me = me(cx)?;
    let files: Vec<Value> = dossiers()?
        .iter()
        .filter(|d| d.contract.key() == c.key())
        .map(|d| row(cx, d))
        .collect();
    View::new(
        "contract.html",
        &i18n::message("contract.title", &[("number", &c.number)]),
        &json!({
            "c": c,
            "roles": c.roles_of(&me.id),
            "is_supplier": c.supplier.id == me.id,
            "files": files,
            "done": done,
            "action": cx.href(&format!("/contract/{}/{}/deposit", c.supplier.id, c.number)),
        }),
    )
}

// ---------------------------------------------------------------- files

/// `POST /contract/{s}/{n}/deposit`: the firm deposits a monthly draft
/// statement (A4) or its final draft (A7), addressed to the MOE; the
/// payment period starts now (the MOE's receipt). When the MOE does not use
/// the portal, an initial submission to the MOA (A6, or A7 for the MOA's
/// general statement), whose receipt starts the period.
fn deposit(cx: &Context, req: &Request, s: &str, n: &str) -> Result<Response, Error> {
    let c = load_contract(s, n)?;
    let me = me(cx)?;
    if c.supplier.id != me.id {
        return Ok(Response::not_found());
    }
    let existing: Vec<Dossier> = dossiers()?
        .into_iter()
        .filter(|d| d.contract.key() == c.key())
        .collect();
    let mut form = Form::new(req);
    let kind = form
        .field("kind")
        .required()
        .one_of(&["monthly", "final"])
        .value();
    let (net, rate) = amount_fields(&mut form, None);
    let comment = form.field("comment").max_chars(MAX_COMMENT_CHARS).value();
    let uploads = documents(&mut form, req, &c);
    if kind == "final"
        && existing
            .iter()
            .any(|d| d.kind == Kind::Final && d.step != "STOPPED")
    {
        form.error("kind", i18n::message("error.final-exists", &[]));
    }
    form.finish(|| contract_view(cx, &c, None))?;
    let kind = if kind == "final" {
        Kind::Final
    } else {
        Kind::Monthly
    };
    // Addressed to the MOE; without one on the portal, an initial
    // submission to the MOA (the firm's A6 validated account statement, or
    // its final draft A7 for the MOA's general statement).
    let (code, step, holder, days, status) = match (kind, c.moe_absent) {
        (Kind::Monthly, false) => (
            "A4",
            "A16",
            Actor::Moe,
            c.moe_days,
            "MISE_A_DISPOSITION_MOE",
        ),
        (Kind::Final, false) => (
            "A7",
            "A17",
            Actor::Moe,
            c.moe_days,
            "MISE_A_DISPOSITION_MOE",
        ),
        (Kind::Monthly, true) => (
            "A6",
            "A19",
            Actor::Moa,
            c.moa_days,
            "MISE_A_DISPOSITION_MOA",
        ),
        (Kind::Final, true) => ("A7", "A20", Actor::Moa, c.dg_days, "MISE_A_DISPOSITION_MOA"),
    };
    let now = cx.now_ms;
    let mut d = Dossier {
        contract: c.clone(),
        no: existing.iter().map(|d| d.no).max().unwrap_or(0) + 1,
        kind,
        version: 1,
        step: step.into(),
        holder: Some(holder),
        since_ms: now,
        due_ms: Some(now + days * model::DAY_MS),
        overdue: false,
        payment_from_ms: now,
        payment_due_ms: now + c.payment_days * model::DAY_MS,
        tacit_open: false,
        sent_to_financial: false,
        status: status.into(),
        pieces: vec![Piece {
            code: code.into(),
            by: Actor::Supplier,
            person: who(cx),
            at_ms: now,
            net,
            vat_rate: rate,
            comment: comment.clone(),
            late: false,
            files: Vec::new(),
        }],
        events: vec![Event {
            status: status.into(),
            at_ms: now,
            by: Some(Actor::Supplier),
            person: who(cx),
            reason: String::new(),
            comment,
        }],
    };
    d.pieces[0].files = share(cx, &d, &uploads)?;
    changed(cx, &mut d)?;
    publish_turns(cx)?;
    Ok(Response::redirect(cx.href(&format!(
        "/file/{}/{}/{}?done=deposited",
        c.supplier.id, c.number, d.no
    ))))
}

/// Reads `amount` and `vat_rate`; `previous` fills what is left empty.
fn amount_fields(form: &mut Form, previous: Option<(i64, i64)>) -> (i64, i64) {
    let amount = form.field("amount").value();
    let rate = form.field("vat_rate").value();
    let net = match (amount.is_empty(), previous) {
        (true, Some((p, _))) => Some(p),
        (true, None) => {
            form.error("amount", i18n::message("form.required", &[]));
            None
        }
        (false, _) => match money::parse_cents(&amount) {
            Ok(v) if v > 0 => Some(v),
            _ => {
                form.error(
                    "amount",
                    i18n::message("error.amount", &[("value", &amount)]),
                );
                None
            }
        },
    };
    let rate = match (rate.is_empty(), previous) {
        (true, Some((_, r))) => Some(r),
        (true, None) => Some(2000),
        (false, _) => match money::parse_rate(&rate) {
            Ok(v) => Some(v),
            Err(_) => {
                form.error("vat_rate", i18n::message("error.rate", &[("value", &rate)]));
                None
            }
        },
    };
    (net.unwrap_or(0), rate.unwrap_or(0))
}

/// `POST /file/{s}/{n}/{no}/{action}`: only the holder, only what the
/// circuit allows from the current step, whatever the form says.
fn act(
    cx: &Context,
    req: &Request,
    s: &str,
    n: &str,
    no: &str,
    action: &str,
) -> Result<Response, Error> {
    let mut d = load_dossier(s, n, no)?;
    let me = me(cx)?;
    let mine = roles(&d, &me.id);
    let allowed = if action == "tacit-draft" {
        mine.contains(&Actor::Supplier) && d.step == "A20" && d.tacit_open
    } else {
        holder_is(&d, &me.id) && model::actions(&d).contains(&action)
    };
    if !allowed {
        return Ok(Response::forbidden(i18n::message(
            "error.not-your-turn",
            &[],
        )));
    }
    let Some((code, step, holder, status)) = model::next(&d, action) else {
        return Ok(Response::forbidden(i18n::message(
            "error.not-your-turn",
            &[],
        )));
    };
    let mut form = Form::new(req);
    let previous = d.amount();
    let (mut net, mut rate) = previous;
    let mut reason = String::new();
    let comment;
    match action {
        "statement" | "validate" | "tacit-draft" => {
            (net, rate) = amount_fields(&mut form, Some(previous));
            comment = form.field("comment").max_chars(MAX_COMMENT_CHARS).value();
            if net != previous.0 && comment.trim().is_empty() && form.is_valid() {
                form.error("comment", i18n::message("error.correction-reason", &[]));
            }
            if action == "tacit-draft" && req.form_value("confirm") != Some("yes") {
                form.error("confirm", i18n::message("error.confirm-signed", &[]));
            }
        }
        "sign" => {
            if req.form_value("confirm") != Some("yes") {
                form.error("confirm", i18n::message("error.confirm-sign", &[]));
            }
            comment = form.field("comment").max_chars(MAX_COMMENT_CHARS).value();
        }
        _ => {
            reason = form
                .field("reason")
                .required()
                .one_of(&model::REASONS)
                .value();
            comment = form
                .field("comment")
                .required()
                .max_chars(MAX_COMMENT_CHARS)
                .value();
        }
    }
    let uploads = if matches!(action, "statement" | "validate" | "tacit-draft" | "sign") {
        documents(&mut form, req, &d.contract)
    } else {
        Vec::new()
    };
    form.finish(|| file_view(cx, &d, None))?;
    let now = cx.now_ms;
    let late = d.due_ms.is_some_and(|due| now > due);
    let by = if action == "tacit-draft" {
        Actor::Supplier
    } else {
        d.holder.unwrap_or(Actor::Supplier)
    };
    if !code.is_empty() {
        let files = share(cx, &d, &uploads)?;
        d.pieces.push(Piece {
            code: code.into(),
            by,
            person: who(cx),
            at_ms: now,
            net,
            vat_rate: rate,
            comment: comment.clone(),
            late: late && action != "tacit-draft",
            files,
        });
    }
    d.events.push(Event {
        status: status.into(),
        at_ms: now,
        by: Some(by),
        person: who(cx),
        reason,
        comment,
    });
    move_to(&mut d, step, holder, status, now);
    changed(cx, &mut d)?;
    publish_turns(cx)?;
    Ok(Response::redirect(
        cx.href(&format!("/file/{s}/{n}/{no}?done={action}")),
    ))
}

/// Sets the next step and its deadline.
fn move_to(d: &mut Dossier, step: &str, holder: Option<Actor>, status: &str, now: u64) {
    let c = &d.contract;
    let moe_receipt = d.payment_from_ms;
    d.due_ms = match step {
        "A16" | "A17" => Some(now + c.moe_days * model::DAY_MS),
        "A19" => Some(now + c.moa_days * model::DAY_MS),
        "A20" => Some(moe_receipt + c.dg_days * model::DAY_MS),
        "A22" => Some(now + c.a22_days * model::DAY_MS),
        "A8" => Some(now + c.sign_days * model::DAY_MS),
        "PAY" => Some(d.payment_due_ms),
        _ => None,
    };
    d.step = step.into();
    d.holder = holder;
    d.since_ms = now;
    d.overdue = d.due_ms.is_some_and(|due| now > due);
    d.status = status.into();
    d.version += 1;
}

/// The timer of this structure's current turn on a file.
#[derive(Serialize, Deserialize)]
struct Due {
    key: String,
    version: u64,
}

/// After every change of a file by this structure: keep it, restart this
/// structure's clock for it, hand the payable piece to the financial
/// service (the firm's area does), and send the new version to every other
/// party — all in this call's one transaction.
fn changed(cx: &Context, d: &mut Dossier) -> Result<(), Error> {
    let me = me(cx)?;
    if d.step == "PAY" && !d.sent_to_financial && d.contract.supplier.id == me.id {
        send_to_financial(cx, d)?;
    }
    keep(cx, d)?;
    for s in d.contract.structures() {
        if s != me.id {
            messages::send_json(&s, &cx.area, "dossier", &*d)?;
        }
    }
    Ok(())
}

/// Stores this structure's copy and (re)schedules its clock if it holds
/// the file now.
fn keep(cx: &Context, d: &Dossier) -> Result<(), Error> {
    let me = me(cx)?;
    let key = d.key();
    let timer_key = format!("timer/{key}");
    if let Some(old) = kv::get_json::<String>(&timer_key)? {
        timers::cancel(&old)?;
        kv::delete(&timer_key)?;
    }
    if holder_is(d, &me.id)
        && let Some(due) = d.due_ms
        && !d.overdue
    {
        let id = timers::at_json(
            due,
            "step-due",
            &Due {
                key: key.clone(),
                version: d.version,
            },
        )?;
        kv::set_json(&timer_key, &id)?;
    }
    kv::set_json(&format!("dossier/{key}"), d)
}

/// `dossier` from another party: a newer version, from the structure
/// that held the previous one (or the firm, which follows the payment).
fn dossier_received(cx: &Context, msg: &Message) -> Result<(), Error> {
    let d: Dossier = serde_json::from_str(&msg.payload)
        .map_err(|e| Error::failed(format!("dossier: bad payload: {e}")))?;
    let me = me(cx)?;
    if msg.from_area != cx.area || roles(&d, &me.id).is_empty() {
        return Ok(());
    }
    let stored: Option<Dossier> = kv::get_json(&format!("dossier/{}", d.key()))?;
    let trusted = match &stored {
        None => msg.from_structure == d.contract.supplier.id || holder_was(&d, &msg.from_structure),
        Some(s) => {
            d.version > s.version
                && (holder_is(s, &msg.from_structure)
                    || msg.from_structure == s.contract.supplier.id
                    || s.step == "A20" && s.tacit_open)
                && s.contract == d.contract
        }
    };
    if !trusted {
        return Ok(());
    }
    let mut d = d;
    if d.step == "PAY" && !d.sent_to_financial && d.contract.supplier.id == me.id {
        // The MOA validated (or the A22 became tacit): the firm's area
        // hands the piece to the financial service with no other step.
        d.version += 1;
        return changed(cx, &mut d);
    }
    keep(cx, &d)
}

/// Whether `structure` could have made this version (a copy seen first).
fn holder_was(d: &Dossier, structure: &str) -> bool {
    !d.contract.roles_of(structure).is_empty()
}

/// The step's deadline passed with the file still there.
fn step_due(cx: &Context, msg: &Message) -> Result<(), Error> {
    let t: Due = serde_json::from_str(&msg.payload)
        .map_err(|e| Error::failed(format!("step-due: bad payload: {e}")))?;
    let Some(mut d) = kv::get_json::<Dossier>(&format!("dossier/{}", t.key))? else {
        return Ok(());
    };
    let me = me(cx)?;
    if d.version != t.version || !holder_is(&d, &me.id) || d.overdue {
        return Ok(()); // acted on meanwhile
    }
    kv::delete(&format!("timer/{}", t.key))?;
    let now = cx.now_ms;
    d.events.push(Event {
        status: "DELAI_DEPASSE".into(),
        at_ms: now,
        by: d.holder,
        person: String::new(),
        reason: String::new(),
        comment: d.step.clone(),
    });
    // A silence that makes the general and definitive statement, on the
    // file's last amounts: the MOA's to the tacit-procedure draft (A23, on
    // the firm's side), or the firm's to the general statement, recorded by
    // whoever issued it — the MOE holding the delegation (A24, after an
    // A18) or the MOA (A25, after an A20).
    let tacit = match d.step.as_str() {
        "A22" => Some(("A23", Actor::Supplier, None)),
        "A8" if issued_by_moe(&d) => Some(("A24", Actor::Moe, Some(Actor::Moe))),
        "A8" => Some(("A25", Actor::Moa, Some(Actor::Moa))),
        _ => None,
    };
    if let Some((code, by, event_by)) = tacit {
        let (net, rate) = d.amount();
        d.pieces.push(Piece {
            code: code.into(),
            by,
            person: String::new(),
            at_ms: now,
            net,
            vat_rate: rate,
            comment: String::new(),
            late: false,
            files: Vec::new(),
        });
        d.events.push(Event {
            status: "DGD_TACITE".into(),
            at_ms: now,
            by: event_by,
            person: String::new(),
            reason: String::new(),
            comment: String::new(),
        });
        move_to(&mut d, "PAY", Some(Actor::Financial), "DGD_TACITE", now);
    } else {
        if d.step == "A20" && d.kind == Kind::Final {
            d.tacit_open = true; // the 30-day wait is over: A22 may be deposited
        }
        d.overdue = true;
        d.version += 1;
    }
    changed(cx, &mut d)
}

/// Whether the file's general statement was the MOE's (A18, with the
/// delegation) rather than the MOA's (A20).
fn issued_by_moe(d: &Dossier) -> bool {
    d.pieces
        .iter()
        .rev()
        .find(|p| matches!(p.code.as_str(), "A18" | "A20"))
        .is_some_and(|p| p.code == "A18")
}

/// Sends the payable piece to the financial service's Received invoices.
fn send_to_financial(cx: &Context, d: &mut Dossier) -> Result<(), Error> {
    let me = me(cx)?;
    let c = &d.contract;
    let (net, rate) = d.amount();
    let vat = (i128::from(net) * i128::from(rate) / 10_000) as i64;
    let code = d.pieces.last().map_or("", |p| p.code.as_str());
    let number = format!("{}-{}-{}", c.number, code, d.no);
    messages::send_json(
        &c.financial.id,
        RECEIVED_AREA,
        "invoice-sent",
        &json!({
            "supplier_id": me.id,
            "supplier_name": me.name,
            "invoice": {
                "id": format!("{}~{}", c.number, d.no),
                "number": number,
                "framework": framework(code),
                "kind": "FACTURE",
                "date": portico_sdk::time::format_date(cx.now_ms),
                "currency": "EUR",
                "service_code": c.service_code,
                "order_number": c.order_number,
                "contract_number": c.number,
                "payment_mode": "VIREMENT",
                "comment": c.object,
                "lines": [{
                    "designation": format!("{} — {}", code, c.object),
                    "quantity": "1", "unit": "C62",
                    "unit_price": money::cents(net), "vat_rate": money::rate(rate), "net": money::cents(net),
                }],
                "vat_summary": [{"category": "S", "rate": rate, "base": net, "vat": vat, "exemption": ""}],
                "totals": {"net": net, "vat": vat, "gross": net + vat, "due": net + vat, "lines": net},
                "attachments": [],
            },
        }),
    )?;
    d.sent_to_financial = true;
    d.events.push(Event {
        status: "TRANSMISE_FINANCIER".into(),
        at_ms: cx.now_ms,
        by: None,
        person: String::new(),
        reason: String::new(),
        comment: c.financial.name.clone(),
    });
    Ok(())
}

/// The framework code of a piece, as Received invoices shows it.
fn framework(code: &str) -> &'static str {
    match code {
        "A19" => "A19_ETAT_ACOMPTE_VALIDE_MOA",
        "A8" => "A8_DECOMPTE_GENERAL_DEFINITIF_FOURNISSEUR",
        "A23" => "A23_DECOMPTE_GENERAL_DEFINITIF_TACITE_FOURNISSEUR",
        "A24" => "A24_DECOMPTE_GENERAL_DEFINITIF_TACITE_MOE",
        "A25" => "A25_DECOMPTE_GENERAL_DEFINITIF_MOE_PROCEDURE_TACITE",
        _ => "A4_PROJET_DECOMPTE_MENSUEL_FOURNISSEUR",
    }
}

/// `status-changed` from the financial service's Received invoices.
fn payment_status(cx: &Context, msg: &Message) -> Result<(), Error> {
    let v: Value = serde_json::from_str(&msg.payload)
        .map_err(|e| Error::failed(format!("status-changed: bad payload: {e}")))?;
    let id = v["invoice_id"].as_str().unwrap_or("");
    let Some((number, no)) = id.split_once('~') else {
        return Ok(());
    };
    let me = me(cx)?;
    let Some(mut d) = kv::get_json::<Dossier>(&dossier_key(&me.id, number, no))? else {
        return Ok(());
    };
    let status = v["status"].as_str().unwrap_or("").to_string();
    if msg.from_structure != d.contract.financial.id
        || msg.from_area != RECEIVED_AREA
        || status.is_empty()
        || !matches!(d.step.as_str(), "PAY")
        || d.events.iter().any(|e| e.comment == msg.id)
    {
        return Ok(());
    }
    let now = cx.now_ms;
    d.events.push(Event {
        status: status.clone(),
        at_ms: now,
        by: Some(Actor::Financial),
        person: v["by"].as_str().unwrap_or("").to_string(),
        reason: String::new(),
        comment: v["reason"].as_str().unwrap_or("").to_string(),
    });
    d.status = status.clone();
    d.version += 1;
    if status == "MISE_EN_PAIEMENT" {
        let late = d.due_ms.is_some_and(|due| now > due);
        d.step = "DONE".into();
        d.holder = None;
        d.due_ms = None;
        d.since_ms = now;
        if late {
            d.overdue = true;
        }
    }
    changed(cx, &mut d)
}

// ---------------------------------------------------------------- views

fn row(cx: &Context, d: &Dossier) -> Value {
    let me = cx.structure.as_ref().map(|s| s.id.as_str()).unwrap_or("");
    let (net, rate) = d.amount();
    json!({
        "href": cx.href(&format!("/file/{}/{}/{}", d.contract.supplier.id, d.contract.number, d.no)),
        "contract": d.contract.number,
        "no": d.no,
        "kind": d.kind,
        "step": d.step,
        "status": d.status,
        "tone": model::tone(&d.status),
        "holder": d.holder.map(|h| json!({"actor": h, "name": d.contract.party(h).name})),
        "yours": holder_is(d, me),
        "since_ms": d.since_ms,
        "due_ms": d.due_ms,
        "days_left": d.due_ms.map(|due| model::days_left(cx.now_ms, due)),
        "overdue": d.overdue || d.due_ms.is_some_and(|due| cx.now_ms > due),
        "late_pieces": d.pieces.iter().filter(|p| p.late).count(),
        "net": money::cents(net),
        "gross": money::cents(net + (i128::from(net) * i128::from(rate) / 10_000) as i64),
    })
}

fn list(cx: &Context) -> Result<Response, Error> {
    let mut files = dossiers()?;
    let me = me(cx)?;
    files.sort_by_key(|d| (!holder_is(d, &me.id), d.due_ms.unwrap_or(u64::MAX)));
    let contracts: Vec<Contract> = list_all("contract/")?;
    Ok(Response::view(
        "list.html",
        &i18n::message("title", &[]),
        &json!({
            "files": files.iter().map(|d| row(cx, d)).collect::<Vec<_>>(),
            "contracts": contracts.iter().map(|c| json!({
                "href": cx.href(&format!("/contract/{}/{}", c.supplier.id, c.number)),
                "number": c.number, "object": c.object, "supplier": c.supplier.name,
                "roles": c.roles_of(&me.id),
            })).collect::<Vec<_>>(),
            "can_create": cx.structure.as_ref().is_some_and(|s| s.kind == StructureKind::Private),
        }),
    ))
}

fn file_view(cx: &Context, d: &Dossier, done: Option<&str>) -> Result<View, Error> {
    let me = me(cx)?;
    let mine = roles(d, &me.id);
    let actions: Vec<&str> = if holder_is(d, &me.id) {
        model::actions(d)
    } else {
        Vec::new()
    };
    let (net, rate) = d.amount();
    let base = cx.href(&format!(
        "/file/{}/{}/{}",
        d.contract.supplier.id, d.contract.number, d.no
    ));
    View::new(
        "file.html",
        &i18n::message(
            "file.title",
            &[("number", &d.contract.number), ("no", &d.no.to_string())],
        ),
        &json!({
            "row": row(cx, d),
            "c": d.contract,
            "kind": d.kind,
            "roles": mine,
            "actions": actions,
            "next_piece": model::next(d, actions.first().copied().unwrap_or("")).map(|n| n.0),
            "tacit_draft": mine.contains(&Actor::Supplier) && d.step == "A20" && d.tacit_open,
            "amount": money::cents(net),
            "vat_rate": money::rate(rate),
            "payment_from_ms": d.payment_from_ms,
            "payment_due_ms": d.payment_due_ms,
            "payment_days_left": model::days_left(cx.now_ms, d.payment_due_ms),
            "pieces": d.pieces.iter().enumerate().map(|(i, p)| json!({
                "code": p.code, "by": p.by, "by_name": d.contract.party(p.by).name, "person": p.person,
                "at_ms": p.at_ms, "net": money::cents(p.net), "vat_rate": money::rate(p.vat_rate),
                "comment": p.comment, "late": p.late,
                "files": p.files.iter().enumerate().map(|(j, f)| json!({
                    "name": f.name, "size": f.size, "href": format!("{base}/piece/{i}/{j}"),
                })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "events": d.events.iter().rev().map(|e| json!({
                "status": e.status, "tone": model::tone(&e.status), "at_ms": e.at_ms,
                "by": e.by.map(|a| d.contract.party(a).name.clone()), "person": e.person,
                "reason": e.reason, "comment": e.comment,
            })).collect::<Vec<_>>(),
            "reasons": model::REASONS,
            "done": done,
            "base": base,
        }),
    )
}

/// One line of the homepage's "whose turn" list.
#[derive(Serialize)]
struct TurnItem {
    number: String,
    path: String,
    with: String,
    due_ms: Option<u64>,
    overdue: bool,
}

/// Publishes `turns` for the homepage: the files this structure holds
/// (its turn), then those it waits for, soonest due first.
fn publish_turns(cx: &Context) -> Result<(), Error> {
    let me = me(cx)?;
    let open: Vec<Dossier> = dossiers()?
        .into_iter()
        .filter(|d| d.holder.is_some() && !matches!(d.step.as_str(), "DONE" | "STOPPED"))
        .collect();
    let item = |d: &Dossier, with: String| TurnItem {
        number: format!("{} n° {}", d.contract.number, d.no),
        path: format!(
            "/file/{}/{}/{}",
            d.contract.supplier.id, d.contract.number, d.no
        ),
        with,
        due_ms: d.due_ms,
        overdue: d.overdue || d.due_ms.is_some_and(|due| cx.now_ms > due),
    };
    let mut mine: Vec<TurnItem> = open
        .iter()
        .filter(|d| holder_is(d, &me.id))
        .map(|d| item(d, String::new()))
        .collect();
    let mut others: Vec<TurnItem> = open
        .iter()
        .filter(|d| !holder_is(d, &me.id))
        .map(|d| {
            let h = d.holder.map(|h| d.contract.party(h).name.clone());
            item(d, h.unwrap_or_default())
        })
        .collect();
    mine.sort_by_key(|t| t.due_ms.unwrap_or(u64::MAX));
    others.sort_by_key(|t| t.due_ms.unwrap_or(u64::MAX));
    let (your_turn, waiting) = (mine.len(), others.len());
    let overdue = mine
        .iter()
        .chain(others.iter())
        .filter(|t| t.overdue)
        .count();
    if your_turn + waiting == 0 {
        return Ok(facts::clear("turns")?);
    }
    let items: Vec<TurnItem> = mine.into_iter().chain(others).take(FACT_ITEMS).collect();
    facts::set_json(
        "turns",
        &json!({"your_turn": your_turn, "waiting": waiting, "overdue": overdue, "items": items}),
    )
}

// ---------------------------------------------------------------- documents

/// Most documents on one piece.
const MAX_FILES: usize = 5;

/// The piece's documents (`documents`, several files), each checked
/// against the portal's upload rules, and all together against what one
/// sending carries to every party; errors go on the field.
fn documents<'r>(form: &mut Form, req: &'r Request, c: &Contract) -> Vec<&'r portico_sdk::Upload> {
    let uploads: Vec<&portico_sdk::Upload> = req
        .files
        .iter()
        .filter(|u| u.field == "documents" && !u.filename.is_empty())
        .collect();
    if uploads.len() > MAX_FILES {
        form.error(
            "documents",
            i18n::message("error.too-many-files", &[("max", &MAX_FILES.to_string())]),
        );
        return Vec::new();
    }
    for up in &uploads {
        if let Err(m) = attachments::check(up) {
            form.error("documents", m);
            return Vec::new();
        }
    }
    // Every other party receives every byte, in this one call.
    let destinations = c.structures().len().saturating_sub(1);
    if let Err(m) =
        attachments::check_sendable_to(uploads.iter().map(|u| u.bytes.len()), destinations)
    {
        form.error("documents", m);
        return Vec::new();
    }
    uploads
}

/// Stores the piece's documents and sends their bytes to every other party
/// (ahead of the file's new version, which names them).
fn share(
    cx: &Context,
    d: &Dossier,
    uploads: &[&portico_sdk::Upload],
) -> Result<Vec<FileRef>, Error> {
    let me = me(cx)?;
    let mut out = Vec::new();
    for (j, up) in uploads.iter().enumerate() {
        let key = format!("doc/{}/{}/{}/{j}", d.key(), d.pieces.len(), cx.now_ms);
        let file = attachments::save(&key, up)?;
        for s in d.contract.structures() {
            if s != me.id {
                attachments::send(&s, &cx.area, &file)?;
            }
        }
        out.push(file);
    }
    Ok(out)
}

/// `GET /file/{s}/{n}/{no}/piece/{i}/{j}`: a piece's document, from this
/// structure's own storage if it deposited the piece, else from the copy
/// of the bytes its depositor sent (filed under the depositor).
fn piece_file(
    cx: &Context,
    s: &str,
    n: &str,
    no: &str,
    i: &str,
    j: &str,
) -> Result<Response, Error> {
    let d = load_dossier(s, n, no)?;
    let me = me(cx)?;
    let piece = i.parse::<usize>().ok().and_then(|i| d.pieces.get(i));
    let Some((piece, file)) =
        piece.and_then(|p| Some((p, j.parse::<usize>().ok().and_then(|j| p.files.get(j))?)))
    else {
        return Ok(Response::not_found());
    };
    let depositor = &d.contract.party(piece.by).id;
    if *depositor == me.id {
        attachments::download(file)
    } else {
        attachments::download(&attachments::received(depositor, file))
    }
}
