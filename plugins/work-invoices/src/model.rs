//! The works circuit of the brief (§6): a contract's identity sheet, and
//! its invoicing files (one per payment), each a timeline of pieces with
//! whose turn it is, since when, and until when.
//!
//! The circuit is a table: from each step, what its holder may do and
//! where that leads ([`next`]). Every party's area keeps a copy of the file;
//! only the holder's area changes it, and the others accept a new version
//! only from the structure that held the previous one.

use serde::{Deserialize, Serialize};

/// One day, in ms.
pub const DAY_MS: u64 = 86_400_000;
/// Days the MOE has for a draft statement, by default (AIFE).
pub const MOE_DAYS: u64 = 7;
/// Days the MOA has to validate a payment statement, by default.
pub const MOA_DAYS: u64 = 7;
/// Days from the MOE's receipt of the final draft to the general
/// statement (CCAG Travaux), by default.
pub const DG_DAYS: u64 = 30;
/// Days the MOA has to answer a tacit-procedure draft (A22), by default.
pub const A22_DAYS: u64 = 10;
/// Days the firm has to return the general statement signed (A8), by
/// default (CCAG Travaux 2021, art. 12.4.3: 30 days from its
/// notification). Past them, the general statement becomes the general and
/// definitive statement as it stands: recorded by whoever issued it, the
/// MOE with the delegation (A24) or the MOA (A25).
pub const SIGN_DAYS: u64 = 30;
/// The payment period, from the MOE's receipt of the request.
pub const PAYMENT_DAYS: u64 = 30;

/// The four actors of a works contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Actor {
    /// The firm (prime contractor).
    Supplier,
    /// The project manager (maître d'œuvre).
    Moe,
    /// The contracting authority (maître d'ouvrage).
    Moa,
    /// The financial service that pays.
    Financial,
}

impl Actor {
    /// Its word in catalogue keys.
    pub fn word(self) -> &'static str {
        match self {
            Actor::Supplier => "supplier",
            Actor::Moe => "moe",
            Actor::Moa => "moa",
            Actor::Financial => "financial",
        }
    }
}

/// A party: a structure, by identifier, with its name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Party {
    /// Identifier (SIRET).
    pub id: String,
    /// Name.
    pub name: String,
}

/// The contract's identity sheet (fiche d'identité du marché).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contract {
    /// Contract number.
    pub number: String,
    /// What the works are.
    pub object: String,
    /// The firm.
    pub supplier: Party,
    /// Project manager.
    pub moe: Party,
    /// Contracting authority.
    pub moa: Party,
    /// Financial service.
    pub financial: Party,
    /// Commitment (EJ) number.
    pub order_number: String,
    /// The financial service's service code, if any.
    pub service_code: String,
    /// Whether the MOE holds the delegation to issue the general
    /// statement itself (A18 instead of A17).
    pub moe_delegation: bool,
    /// The MOE does not use the portal (brief §6.3: "initial
    /// submission"): the firm deposits its statements straight to the MOA
    /// (A6 monthly, A7 final), and `moe` is empty.
    #[serde(default)]
    pub moe_absent: bool,
    /// MOE days per step.
    pub moe_days: u64,
    /// MOA days per payment statement.
    pub moa_days: u64,
    /// Days to the general statement.
    pub dg_days: u64,
    /// Days the MOA has to answer an A22.
    pub a22_days: u64,
    /// Days the firm has to sign the general statement (A8).
    #[serde(default = "default_sign_days")]
    pub sign_days: u64,
    /// Payment period.
    pub payment_days: u64,
    /// When it was set up.
    pub created_ms: u64,
}

impl Contract {
    /// The structure holding `actor`'s part.
    pub fn party(&self, actor: Actor) -> &Party {
        match actor {
            Actor::Supplier => &self.supplier,
            Actor::Moe => &self.moe,
            Actor::Moa => &self.moa,
            Actor::Financial => &self.financial,
        }
    }

    /// The parts `structure` plays in this contract.
    pub fn roles_of(&self, structure: &str) -> Vec<Actor> {
        [Actor::Supplier, Actor::Moe, Actor::Moa, Actor::Financial]
            .into_iter()
            .filter(|a| self.party(*a).id == structure)
            .collect()
    }

    /// Every distinct party structure.
    pub fn structures(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for a in [Actor::Supplier, Actor::Moe, Actor::Moa, Actor::Financial] {
            let id = &self.party(a).id;
            // An actor absent from the portal has no structure.
            if !id.is_empty() && !out.contains(id) {
                out.push(id.clone());
            }
        }
        out
    }

    /// Storage id: supplier and contract number.
    pub fn key(&self) -> String {
        format!("{}/{}", self.supplier.id, self.number)
    }
}

fn default_sign_days() -> u64 {
    SIGN_DAYS
}

/// One piece of the file (A4, A6, A16, A19, A7, A17, A18, A20, A8, A22,
/// A23, A24, A25).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Piece {
    /// Framework code (short: `A4`).
    pub code: String,
    /// Who deposited it.
    pub by: Actor,
    /// The person, or empty for the portal (tacit).
    pub person: String,
    /// When.
    pub at_ms: u64,
    /// Amount excl. VAT, cents.
    pub net: i64,
    /// VAT rate, basis points.
    pub vat_rate: i64,
    /// Comment (a correction's reason).
    pub comment: String,
    /// Deposited after its step's deadline: marked forever.
    pub late: bool,
    /// Supporting documents, as the depositor's structure stores them; the
    /// other parties hold copies of the bytes filed under the depositor.
    #[serde(default)]
    pub files: Vec<portico_sdk::attachments::FileRef>,
}

/// One event of the timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Status code (the brief's works statuses).
    pub status: String,
    /// When.
    pub at_ms: u64,
    /// Which actor (none: the portal).
    pub by: Option<Actor>,
    /// The person.
    pub person: String,
    /// Reason key (refusals).
    pub reason: String,
    /// Comment.
    pub comment: String,
}

/// Monthly (A4 …) or final (A7 …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A monthly payment.
    Monthly,
    /// The end of the contract.
    Final,
}

/// One invoicing file: every piece of one payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dossier {
    /// The contract it belongs to.
    pub contract: Contract,
    /// Its number within the contract.
    pub no: u32,
    /// Monthly or final.
    pub kind: Kind,
    /// Bumped on every change; a copy only moves forward.
    pub version: u64,
    /// What is expected next: `A16`, `A19`, `A17`, `A20`, `A22`, `A8`,
    /// `PAY`, `DONE`, `STOPPED`.
    pub step: String,
    /// Who holds it now.
    pub holder: Option<Actor>,
    /// Since when.
    pub since_ms: u64,
    /// Until when (the step's deadline), if the step has one.
    pub due_ms: Option<u64>,
    /// Whether the current step's deadline passed (recorded by its timer).
    pub overdue: bool,
    /// The payment period: from the MOE's receipt of the request.
    pub payment_from_ms: u64,
    /// Its end.
    pub payment_due_ms: u64,
    /// The tacit procedure (A22) may be opened: the DG was not notified
    /// within its delay after a regular final statement.
    pub tacit_open: bool,
    /// Sent to the financial service's Received invoices.
    pub sent_to_financial: bool,
    /// Current status code.
    pub status: String,
    /// The pieces, oldest first.
    pub pieces: Vec<Piece>,
    /// The timeline, oldest first.
    pub events: Vec<Event>,
}

impl Dossier {
    /// Storage id.
    pub fn key(&self) -> String {
        format!("{}/{}", self.contract.key(), self.no)
    }

    /// The last amount (excl. VAT, cents) and rate of the file.
    pub fn amount(&self) -> (i64, i64) {
        self.pieces.last().map_or((0, 0), |p| (p.net, p.vat_rate))
    }
}

/// What a holder may do at `step`: (action, allowed actor).
pub fn actions(d: &Dossier) -> Vec<&'static str> {
    match (d.step.as_str(), d.holder) {
        ("A16", Some(Actor::Moe)) | ("A17", Some(Actor::Moe)) => vec!["statement", "refuse"],
        ("A19", Some(Actor::Moa)) | ("A20", Some(Actor::Moa)) | ("A22", Some(Actor::Moa)) => {
            vec!["validate", "refuse"]
        }
        ("A8", Some(Actor::Supplier)) => vec!["sign"],
        _ => vec![],
    }
}

/// The step after `action` at `d.step`: (piece deposited, next step,
/// next holder, status).
pub fn next(
    d: &Dossier,
    action: &str,
) -> Option<(&'static str, &'static str, Option<Actor>, &'static str)> {
    Some(match (d.step.as_str(), action) {
        ("A16", "statement") => ("A16", "A19", Some(Actor::Moa), "MISE_A_DISPOSITION_MOA"),
        ("A19", "validate") => ("A19", "PAY", Some(Actor::Financial), "TRANSMISE_MOA"),
        ("A17", "statement") if d.contract.moe_delegation => {
            ("A18", "A8", Some(Actor::Supplier), "A_ASSOCIER_FOURNISSEUR")
        }
        ("A17", "statement") => ("A17", "A20", Some(Actor::Moa), "MISE_A_DISPOSITION_MOA"),
        ("A20", "validate") | ("A22", "validate") => {
            ("A20", "A8", Some(Actor::Supplier), "A_ASSOCIER_FOURNISSEUR")
        }
        ("A8", "sign") => ("A8", "PAY", Some(Actor::Financial), "TRANSMISE_MOA"),
        ("A20", "tacit-draft") => ("A22", "A22", Some(Actor::Moa), "MISE_A_DISPOSITION_MOA"),
        (_, "refuse") if actions(d).contains(&"refuse") => match d.holder {
            Some(Actor::Moe) => ("", "STOPPED", Some(Actor::Supplier), "REFUSEE_MOE"),
            _ => ("", "STOPPED", Some(Actor::Supplier), "REFUSEE_MOA"),
        },
        _ => return None,
    })
}

/// Refusal reasons (catalogue keys `reason.*`): never a wrong amount, which
/// is corrected instead (brief §6.3).
pub const REASONS: [&str; 5] = [
    "not-performed",
    "wrong-contract",
    "documents-missing",
    "reserves",
    "other",
];

/// Badge class of a status (shared CSS).
pub fn tone(status: &str) -> &'static str {
    match status {
        "MISE_EN_PAIEMENT" | "DGD_TACITE" => "done",
        s if s.starts_with("REFUSEE") || s == "REJETEE" || s == "SUSPENDUE" => "problem",
        "DELAI_DEPASSE" => "problem",
        "MISE_A_DISPOSITION_MOE" | "MISE_A_DISPOSITION_MOA" | "A_ASSOCIER_FOURNISSEUR" => "waiting",
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
