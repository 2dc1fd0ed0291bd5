//! Invoices to validate: payment requests of first-rank subcontractors and
//! co-contractors (frameworks A9, A12; works A10, A11, A13, A14), which the
//! prime contractor or the representative validates before the public
//! recipient pays (brief §5).
//!
//! One area, two sides, each a structure's own storage:
//! - the **supplier** (`supplier.rs`) enters the request, names its
//!   validator(s) and the public recipient, follows every status, and can
//!   correct a wrong validator; its copy is the source of truth;
//! - the **validator** (`validator.rs`) sees the requests addressed to it,
//!   with the days left, and validates or refuses; 15 days without an answer
//!   validate it tacitly (a durable timer on the validator's side, so the
//!   answer and the deadline are decided in one place).
//!
//! Messages between the sides (this area in both structures): `file-chunk`
//! and `to-validate` (supplier → validator), `withdrawn` (supplier →
//! former validator), `decision` (validator → supplier). Once the last level
//! validated, the supplier's side sends `invoice-sent` to the recipient's
//! Received invoices with no other step; its statuses come back as
//! `status-changed`.

mod files;
pub mod model;
#[path = "../../issued-invoices/src/money.rs"]
#[allow(dead_code, unreachable_pub)] // shared with Issued invoices: one copy of the arithmetic
mod money;
pub mod supplier;
pub mod validator;

use portico_sdk::{Area, Context, Error, Message, Request, Response, facts, i18n};
use serde::Serialize;

/// Where validated requests go, in the public recipient's structure.
pub const RECEIVED_AREA: &str = "received-invoices";
/// Most items the `turns` fact lists (it is at most 4 KiB).
const FACT_ITEMS: usize = 8;

/// The area.
pub struct InvoicesToValidate;

portico_sdk::export_area!(InvoicesToValidate);

impl Area for InvoicesToValidate {
    fn templates() -> &'static [(&'static str, &'static str)] {
        &[
            ("list.html", include_str!("../templates/list.html")),
            ("new.html", include_str!("../templates/new.html")),
            ("request.html", include_str!("../templates/request.html")),
            ("validate.html", include_str!("../templates/validate.html")),
            ("lines.html", include_str!("../templates/lines.html")),
            ("history.html", include_str!("../templates/history.html")),
        ]
    }

    fn messages() -> &'static [(&'static str, &'static str)] {
        portico_sdk::messages!()
    }

    fn handle(cx: &Context, req: &Request) -> Result<Response, Error> {
        let parts: Vec<&str> = req.path.trim_matches('/').split('/').collect();
        match (req.is_post(), parts.as_slice()) {
            (false, [""]) => list(cx),
            (false, ["new"]) => Ok(Response::View(supplier::new_page(cx)?)),
            (true, ["new"]) => supplier::create(cx, req),
            (false, ["request", id]) => supplier::show(cx, id, req.query_value("done")),
            (true, ["request", id, "validator"]) => supplier::correct(cx, req, id),
            (false, ["request", id, "file", n]) => supplier::download(id, n),
            (false, ["validate", supplier, id]) => {
                validator::show(cx, supplier, id, req.query_value("done"))
            }
            (true, ["validate", supplier, id, action]) => {
                validator::act(cx, req, supplier, id, action)
            }
            (false, ["validate", supplier, id, "file", n]) => validator::download(supplier, id, n),
            _ => Ok(Response::not_found()),
        }
    }

    fn on_message(cx: &Context, msg: &Message) -> Result<(), Error> {
        match msg.kind.as_str() {
            "file-chunk" => validator::file_chunk(msg),
            "to-validate" => validator::ask(cx, msg),
            "withdrawn" => validator::withdrawn(cx, msg),
            "tacit" if msg.is_timer(cx) => validator::tacit(cx, msg),
            "decision" => supplier::decision(cx, msg),
            "status-changed" => supplier::status_changed(cx, msg),
            "delivery-failed" => supplier::delivery_failed(cx, msg),
            _ => Ok(()),
        }?;
        publish_turns(cx)
    }
}

/// The synthesis: what waits for this structure's answer, then its own
/// requests, each with whose turn it is and the days left.
fn list(cx: &Context) -> Result<Response, Error> {
    let to_validate = validator::rows(cx)?;
    let mine = supplier::rows(cx)?;
    Ok(Response::view(
        "list.html",
        &i18n::message("title", &[]),
        &serde_json::json!({
            "to_validate": to_validate,
            "mine": mine,
            "tacit_days": model::TACIT_DAYS,
        }),
    ))
}

/// One line of the homepage's "whose turn" list.
#[derive(Serialize)]
struct TurnItem {
    /// The piece's number.
    number: String,
    /// Path below the area.
    path: String,
    /// Whose turn: a structure name, or empty for "yours".
    with: String,
    /// When the step's time runs out.
    due_ms: u64,
}

/// Publishes `turns`: the requests waiting for this structure (its turn)
/// and those of its own waiting for someone else, soonest due first, so the
/// homepage shows them with the days left without calling this area.
pub(crate) fn publish_turns(cx: &Context) -> Result<(), Error> {
    let mut mine: Vec<TurnItem> = validator::waiting(cx)?
        .into_iter()
        .map(|v| TurnItem {
            number: v.content.number.clone(),
            path: format!("/validate/{}/{}", v.supplier.id, v.request_id),
            with: String::new(),
            due_ms: v.due_ms,
        })
        .collect();
    let mut others: Vec<TurnItem> = supplier::all()?
        .into_iter()
        .filter(|r| r.pending())
        .map(|r| TurnItem {
            number: r.content.number.clone(),
            path: format!("/request/{}", r.id),
            with: r.current_validator().name.clone(),
            due_ms: r.due_ms.unwrap_or(0),
        })
        .collect();
    mine.sort_by_key(|t| t.due_ms);
    others.sort_by_key(|t| t.due_ms);
    let your_turn = mine.len();
    let waiting = others.len();
    let items: Vec<TurnItem> = mine.into_iter().chain(others).take(FACT_ITEMS).collect();
    if your_turn + waiting == 0 {
        facts::clear("turns")?;
        return Ok(());
    }
    facts::set_json(
        "turns",
        &serde_json::json!({"your_turn": your_turn, "waiting": waiting, "items": items}),
    )
}
