//! What the area keeps: a payment request on the supplier's side, its copy
//! on each validator's side, the frameworks, statuses and refusal reasons
//! of the brief (§4.2, §4.3, §5), and the messages between the two sides.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Days a validator has to answer before the request is validated tacitly.
pub const TACIT_DAYS: u64 = 15;
/// One day, in ms.
pub const DAY_MS: u64 = 86_400_000;

/// The frameworks a subcontractor or co-contractor deposits here, and who
/// validates them: (code, short label key, second level possible).
pub const FRAMEWORKS: [&str; 6] = [
    "A9_FACTURE_SOUSTRAITANT",
    "A12_FACTURE_COTRAITANT",
    "A10_PROJET_DECOMPTE_MENSUEL_SOUSTRAITANT",
    "A11_PROJET_DECOMPTE_FINAL_SOUSTRAITANT",
    "A13_PROJET_DECOMPTE_MENSUEL_COTRAITANT",
    "A14_PROJET_DECOMPTE_FINAL_COTRAITANT",
];

/// Whether `framework` is a subcontractor's (A9, A10, A11): only those can
/// have a second level (a subcontractor of a co-contractor).
pub fn is_subcontractor(framework: &str) -> bool {
    framework.starts_with("A9_") || framework.starts_with("A10_") || framework.starts_with("A11_")
}

/// Whether `framework` is a works piece (A10, A11, A13, A14).
pub fn is_works(framework: &str) -> bool {
    ["A10_", "A11_", "A13_", "A14_"]
        .iter()
        .any(|p| framework.starts_with(p))
}

/// The refusal reasons that fit a framework (catalogue keys `reason.*`).
pub fn refusal_reasons(framework: &str) -> Vec<&'static str> {
    let mut out = vec!["not-performed", "not-conform"];
    if is_subcontractor(framework) {
        out.extend(["above-subcontract", "not-accepted"]);
    } else {
        out.push("above-share");
    }
    if is_works(framework) {
        out.push("progress");
    }
    out.extend(["documents-missing", "other"]);
    out
}

/// A party of the request: a structure, by identifier, with its name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Party {
    /// Identifier (SIRET).
    pub id: String,
    /// Registered name, as the directory gave it.
    pub name: String,
}

/// One line of the request, as entered; amounts as decimal strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    /// What was done.
    pub designation: String,
    /// Quantity, normalised.
    pub quantity: String,
    /// Unit code (`C62`: unit).
    pub unit: String,
    /// Unit price excl. VAT, normalised.
    pub unit_price: String,
    /// VAT rate in percent, normalised.
    pub vat_rate: String,
    /// Line total excl. VAT, `12.30`.
    pub net: String,
}

/// One VAT rate's base and tax, in cents (the shape Received invoices reads).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VatLine {
    /// Rate, basis points.
    pub rate: i64,
    /// Base, cents.
    pub base: i64,
    /// VAT, cents.
    pub vat: i64,
}

/// Totals, in cents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Totals {
    /// Excl. VAT.
    pub net: i64,
    /// VAT.
    pub vat: i64,
    /// Incl. VAT.
    pub gross: i64,
    /// To pay.
    pub due: i64,
}

/// An attachment: its bytes are kept in chunks under `key`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileMeta {
    /// File name.
    pub name: String,
    /// Media type as given.
    pub content_type: String,
    /// Size in bytes.
    pub size: usize,
    /// Number of stored chunks.
    pub chunks: usize,
}

/// One step of the request's life.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// Status code.
    pub status: String,
    /// When.
    pub at_ms: u64,
    /// Who (a person's name, or empty for the portal).
    pub by: String,
    /// For which structure.
    pub by_structure: String,
    /// Reason key (`reason.*`) of a refusal, if any.
    #[serde(default)]
    pub reason: String,
    /// Message or comment.
    pub comment: String,
}

/// The content both sides show: what the supplier entered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Content {
    /// Framework code.
    pub framework: String,
    /// The supplier's number for it.
    pub number: String,
    /// Date, `YYYY-MM-DD`.
    pub date: String,
    /// Public recipient.
    pub recipient: Party,
    /// Recipient service code.
    pub service_code: String,
    /// Commitment (EJ) number.
    pub order_number: String,
    /// Contract (market) number.
    pub contract_number: String,
    /// Currency.
    pub currency: String,
    /// Lines.
    pub lines: Vec<Line>,
    /// VAT per rate.
    pub vat_summary: Vec<VatLine>,
    /// Totals.
    pub totals: Totals,
    /// The supplier's comment.
    pub comment: String,
    /// Attachments.
    pub files: Vec<FileMeta>,
}

/// A payment request, on the supplier's side (the source of truth).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentRequest {
    /// Storage id.
    pub id: String,
    /// What was entered.
    pub content: Content,
    /// Level 1 validator: the prime contractor, the representative, or the
    /// co-contractor of a second-level subcontractor.
    pub validator: Party,
    /// Level 2 validator (the representative), for a subcontractor of a
    /// co-contractor.
    pub second: Option<Party>,
    /// The level being validated (1 or 2).
    pub level: u8,
    /// Bumped each time the request goes to a validator: a late answer of
    /// an earlier round is ignored.
    pub round: u32,
    /// Current status code.
    pub status: String,
    /// When the current validator's time runs out (while one is pending).
    pub due_ms: Option<u64>,
    /// Every step, oldest first.
    pub history: Vec<Step>,
    /// Creation time.
    pub created_ms: u64,
    /// Message ids already applied.
    #[serde(default)]
    pub seen: Vec<String>,
}

impl PaymentRequest {
    /// The validator of the current level.
    pub fn current_validator(&self) -> &Party {
        match (&self.second, self.level) {
            (Some(second), 2) => second,
            _ => &self.validator,
        }
    }

    /// Whether the supplier may name another validator now: while waiting
    /// for one, or after one said it is not theirs or could not receive it.
    pub fn correctable(&self) -> bool {
        matches!(
            self.status.as_str(),
            "A_VALIDER_1"
                | "A_VALIDER_2"
                | "ERREUR_FOURNISSEUR_SUR_VALIDEUR"
                | "ERREUR_COTRAITANT_SUR_VALIDEUR"
                | "ECHEC_REMISE_VALIDEUR"
        )
    }

    /// Whether a validator holds it now.
    pub fn pending(&self) -> bool {
        matches!(self.status.as_str(), "A_VALIDER_1" | "A_VALIDER_2")
    }
}

/// The validator's copy of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToValidate {
    /// The supplier.
    pub supplier: Party,
    /// The supplier's request id.
    pub request_id: String,
    /// Round of the supplier's request this copy answers.
    pub round: u32,
    /// Level (1 or 2) this structure validates.
    pub level: u8,
    /// For level 2: who validated level 1.
    pub first: Option<Party>,
    /// What was entered.
    pub content: Content,
    /// `A_VALIDER`, `VALIDEE`, `REFUSEE`, `HORS_DELAI`, `ERREUR_VALIDEUR`, `RETIREE`.
    pub status: String,
    /// When it arrived.
    pub received_ms: u64,
    /// When the time to answer runs out.
    pub due_ms: u64,
    /// The tacit-validation timer.
    pub timer: String,
    /// Every step, oldest first.
    pub history: Vec<Step>,
    /// Attachment chunks received (by file, count).
    #[serde(default)]
    pub chunks_received: Vec<usize>,
}

/// `to-validate`: the supplier's area asks a validator's area.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AskMsg {
    /// Supplier's name.
    pub supplier_name: String,
    /// Request id.
    pub request_id: String,
    /// Round.
    pub round: u32,
    /// Level.
    pub level: u8,
    /// Who validated level 1 (for level 2).
    pub first: Option<Party>,
    /// The content.
    pub content: Content,
    /// When the validator's time runs out.
    pub due_ms: u64,
}

/// `file-chunk`: part of an attachment, sent before `to-validate`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChunkMsg {
    /// Request id.
    pub request_id: String,
    /// Round.
    pub round: u32,
    /// File index.
    pub file: usize,
    /// Chunk index.
    pub chunk: usize,
    /// Base64 bytes.
    pub data: String,
}

/// `withdrawn`: the supplier named another validator.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WithdrawnMsg {
    /// Request id.
    pub request_id: String,
    /// The round withdrawn.
    pub round: u32,
}

/// `decision`: a validator's answer (or its tacit validation).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DecisionMsg {
    /// Request id.
    pub request_id: String,
    /// Round answered.
    pub round: u32,
    /// Level answered.
    pub level: u8,
    /// `validated`, `refused`, `tacit`, `wrong-validator`.
    pub outcome: String,
    /// Reason key of a refusal.
    pub reason: String,
    /// Message or comment.
    pub comment: String,
    /// Who.
    pub by: String,
    /// When.
    pub at_ms: u64,
}

/// What Received invoices reads in `invoice-sent` (as Issued invoices sends
/// it): the supplier and the invoice, amounts in cents.
pub fn invoice_for_recipient(r: &PaymentRequest) -> Value {
    let c = &r.content;
    let cents = |v: i64| v;
    serde_json::json!({
        "id": r.id,
        "number": c.number,
        "framework": c.framework,
        "kind": "FACTURE",
        "date": c.date,
        "currency": c.currency,
        "service_code": c.service_code,
        "order_number": c.order_number,
        "contract_number": c.contract_number,
        "payment_mode": "VIREMENT",
        "comment": c.comment,
        "lines": c.lines.iter().map(|l| serde_json::json!({
            "designation": l.designation, "quantity": l.quantity, "unit": l.unit,
            "unit_price": l.unit_price, "vat_rate": l.vat_rate, "net": l.net,
        })).collect::<Vec<_>>(),
        "vat_summary": c.vat_summary.iter().map(|v| serde_json::json!({
            "category": "S", "rate": v.rate, "base": v.base, "vat": v.vat, "exemption": "",
        })).collect::<Vec<_>>(),
        "totals": {"net": cents(c.totals.net), "vat": cents(c.totals.vat),
                   "gross": cents(c.totals.gross), "due": cents(c.totals.due),
                   "lines": cents(c.totals.net)},
        "attachments": c.files.iter().map(|f| serde_json::json!({"name": f.name})).collect::<Vec<_>>(),
        "validation": r.history.iter().filter(|s| s.status.starts_with("VALIDEE") || s.status.starts_with("ABSENCE_VALIDATION")).map(|s| serde_json::json!({
            "status": s.status, "at_ms": s.at_ms, "by": s.by, "structure": s.by_structure,
        })).collect::<Vec<_>>(),
    })
}

/// Badge class of a status (the shared CSS: `waiting`, `progress`,
/// `done`, `problem`); the word is always printed beside the colour.
pub fn tone(status: &str) -> &'static str {
    match status {
        "A_VALIDER_1" | "A_VALIDER_2" | "A_VALIDER" => "waiting",
        "MISE_EN_PAIEMENT" | "VALIDEE" | "HORS_DELAI" | "RETIREE" => "done",
        "REFUSEE_1"
        | "REFUSEE_2"
        | "REFUSEE"
        | "REJETEE"
        | "ECHEC_ACHEMINEMENT"
        | "ECHEC_REMISE_VALIDEUR"
        | "ERREUR_FOURNISSEUR_SUR_VALIDEUR"
        | "ERREUR_COTRAITANT_SUR_VALIDEUR"
        | "ERREUR_VALIDEUR"
        | "SUSPENDUE"
        | "A_RECYCLER" => "problem",
        _ => "progress",
    }
}

/// Whole days left until `due_ms` (rounded up), negative once past.
pub fn days_left(now_ms: u64, due_ms: u64) -> i64 {
    let day = DAY_MS as i64;
    let diff = due_ms as i64 - now_ms as i64;
    if diff >= 0 {
        (diff + day - 1) / day
    } else {
        -((-diff + day - 1) / day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusal_reasons_fit_the_framework() {
        let sub = refusal_reasons("A9_FACTURE_SOUSTRAITANT");
        assert!(sub.contains(&"above-subcontract") && !sub.contains(&"above-share"));
        let co = refusal_reasons("A12_FACTURE_COTRAITANT");
        assert!(co.contains(&"above-share") && !co.contains(&"not-accepted"));
        assert!(!co.contains(&"progress"));
        assert!(refusal_reasons("A13_PROJET_DECOMPTE_MENSUEL_COTRAITANT").contains(&"progress"));
    }

    #[test]
    fn days_left_round_up_and_go_negative() {
        assert_eq!(days_left(0, 15 * DAY_MS), 15);
        assert_eq!(days_left(1, 15 * DAY_MS), 15);
        assert_eq!(days_left(15 * DAY_MS, 15 * DAY_MS), 0);
        assert_eq!(days_left(15 * DAY_MS + 1, 15 * DAY_MS), -1);
    }
}
