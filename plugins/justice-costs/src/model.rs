//! The statement of costs (*mémoire de frais de justice*) and its rules:
//! the courts' referential, decision kinds, VAT options, document types,
//! statuses, amounts in integer cents, dates and the one-year foreclosure.

use portico_sdk::attachments::FileRef;
use serde::{Deserialize, Serialize};

/// The referential of jurisdictions, kept as data (see its `source`).
const COURTS: &str = include_str!("../data/courts.json");

/// A jurisdiction of the referential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Court {
    /// The location code the Cour de cassation publishes for it (Judilibre),
    /// e.g. `tj69123`, `ca_lyon`, `6901`; this portal's own (kind then the
    /// INSEE code of its seat, e.g. `CPH75056`) where none is published.
    pub code: String,
    /// `TJ`, `CA`, `CPH` or `TC`.
    pub kind: String,
    /// Its name, e.g. "Tribunal judiciaire de Lyon".
    pub name: String,
    /// The town of its seat.
    pub town: String,
    /// Department number of the seat.
    pub department: String,
    /// The structure receiving its statements on this portal.
    pub siret: String,
}

#[derive(Deserialize)]
struct Referential {
    courts: Vec<Court>,
}

/// Every jurisdiction, in the referential's order.
pub fn courts() -> Vec<Court> {
    serde_json::from_str::<Referential>(COURTS)
        .map(|r| r.courts)
        .unwrap_or_default()
}

/// Lower case without French accents, for searching.
pub fn fold(s: &str) -> String {
    s.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'à' | 'â' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' => 'i',
            'ô' | 'ö' => 'o',
            'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            '’' | '\'' | '-' => ' ',
            c => c,
        })
        .collect()
}

/// Jurisdictions whose name, town, department or code holds every word of `query`.
pub fn search(query: &str) -> Vec<Court> {
    let words: Vec<String> = fold(query).split_whitespace().map(str::to_owned).collect();
    courts()
        .into_iter()
        .filter(|c| {
            let hay = fold(&format!(
                "{} {} {} {}",
                c.name, c.town, c.department, c.code
            ));
            words.iter().all(|w| hay.contains(w.as_str()))
        })
        .collect()
}

/// Kinds of designating decision.
pub const DECISION_KINDS: [&str; 6] = [
    "requisition",
    "judgment",
    "order",
    "rogatory-commission",
    "report",
    "designation",
];

/// VAT options: not subject to VAT, VAT on receipts, VAT on debits.
pub const VAT_OPTIONS: [&str; 3] = ["none", "receipts", "debits"];

/// VAT rates offered on a service line, in basis points.
pub const VAT_RATES: [u32; 4] = [2000, 1000, 550, 0];

/// Supporting document types, and whether each is always required.
pub const DOC_TYPES: [(&str, bool); 6] = [
    ("requisition", true),
    ("certificate", false),
    ("travel", false),
    ("sworn", false),
    ("quote", false),
    ("slip", false),
];

/// Lines a statement holds at most (the form's rows).
pub const MAX_LINES: usize = 8;

/// Statuses: code and badge tone.
pub const STATUSES: [(&str, &str); 6] = [
    ("BROUILLON", "waiting"),
    ("MISE_A_DISPOSITION", "progress"),
    ("A_CORRIGER", "problem"),
    ("CERTIFIE", "progress"),
    ("REJETE", "problem"),
    ("MIS_EN_PAIEMENT", "done"),
];

/// The badge tone of a status.
pub fn tone(status: &str) -> &'static str {
    STATUSES
        .iter()
        .find(|(s, _)| *s == status)
        .map_or("waiting", |(_, t)| t)
}

/// The jurisdiction's actions from `status`: (action, resulting status).
pub fn actions(status: &str) -> Vec<(&'static str, &'static str)> {
    match status {
        "MISE_A_DISPOSITION" => vec![
            ("certify", "CERTIFIE"),
            ("correct", "A_CORRIGER"),
            ("reject", "REJETE"),
        ],
        "CERTIFIE" => vec![("pay", "MIS_EN_PAIEMENT")],
        _ => Vec::new(),
    }
}

/// Whether an action needs a reason the provider reads.
pub fn needs_reason(action: &str) -> bool {
    matches!(action, "correct" | "reject")
}

/// The designating decision.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// One of [`DECISION_KINDS`].
    pub kind: String,
    /// Its reference (procedure number, PV number…).
    pub reference: String,
    /// Its date, `YYYY-MM-DD`.
    pub date: String,
    /// End of the mission, `YYYY-MM-DD`: the foreclosure runs from it.
    pub mission_end: String,
}

/// One service or disbursement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    /// `service` or `disbursement` (*débours*, VAT-free).
    pub kind: String,
    /// What was done.
    pub label: String,
    /// Amount excluding VAT, in cents.
    pub net: i64,
    /// VAT rate in basis points (0 for disbursements).
    pub vat_rate: u32,
}

impl Line {
    /// The line's VAT in cents, rounded half up.
    pub fn vat(&self) -> i64 {
        (self.net * i64::from(self.vat_rate) + 5_000) / 10_000
    }
}

/// A supporting document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    /// One of [`DOC_TYPES`].
    pub kind: String,
    /// The stored file.
    pub file: FileRef,
}

/// One step of a statement's life.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Status reached.
    pub status: String,
    /// When.
    pub at_ms: u64,
    /// Who.
    pub by: String,
    /// Reason or comment.
    pub comment: String,
}

/// Bank details as the structure held them when the statement was sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bank {
    /// Account holder.
    pub holder: String,
    /// IBAN, without spaces.
    pub iban: String,
    /// BIC.
    pub bic: String,
}

/// A statement of costs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
    /// Storage id.
    pub id: String,
    /// The provider's own number for it.
    pub number: String,
    /// Current status code.
    pub status: String,
    /// The jurisdiction.
    pub court: Court,
    /// The designating decision.
    pub decision: Decision,
    /// A grouped statement (several missions) carries a slip.
    pub grouped: bool,
    /// One of [`VAT_OPTIONS`].
    pub vat_option: String,
    /// Services and disbursements.
    pub lines: Vec<Line>,
    /// Supporting documents.
    pub documents: Vec<Document>,
    /// The provider structure: identifier, identifier type, name.
    pub provider_id: String,
    /// Identifier type of the provider (`siret`, `private-individual`…).
    pub provider_type: String,
    /// Provider name.
    pub provider_name: String,
    /// Bank details, recorded when sent.
    pub bank: Option<Bank>,
    /// Every step, oldest first.
    pub history: Vec<Event>,
    /// Whether a step of the jurisdiction was not seen by the provider yet.
    #[serde(default)]
    pub unseen: bool,
}

/// Totals in cents: (excluding VAT, VAT, including VAT).
pub fn totals(lines: &[Line]) -> (i64, i64, i64) {
    let net: i64 = lines.iter().map(|l| l.net).sum();
    let vat: i64 = lines.iter().map(Line::vat).sum();
    (net, vat, net + vat)
}

/// Cents as an exact decimal string for the `amount` filter: `123456` → `1234.56`.
pub fn decimal(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", cents.abs() / 100, cents.abs() % 100)
}

/// A rate in basis points as `5.5`.
pub fn rate(bp: u32) -> String {
    let s = format!("{}.{:02}", bp / 100, bp % 100);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Parses an amount typed in euros (`1 234,56`, `1234.5`, `80`) into cents.
pub fn parse_cents(text: &str) -> Option<i64> {
    let t: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{202f}' && *c != '€')
        .map(|c| if c == ',' { '.' } else { c })
        .collect();
    let (whole, frac) = t.split_once('.').unwrap_or((&t, ""));
    if whole.is_empty() || whole.len() > 9 || frac.len() > 2 {
        return None;
    }
    if !whole.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let cents: i64 = format!("{frac:0<2}").parse().ok()?;
    Some(whole.parse::<i64>().ok()? * 100 + cents)
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Parses `YYYY-MM-DD` (a real calendar date) into days since the epoch.
pub fn parse_date(s: &str) -> Option<i64> {
    let mut it = s.trim().splitn(3, '-');
    let y: i64 = it.next()?.parse().ok()?;
    let m: u32 = it.next()?.parse().ok()?;
    let d: u32 = it.next()?.parse().ok()?;
    if !(1900..=2999).contains(&y) || !(1..=12).contains(&m) || d == 0 {
        return None;
    }
    let days = days_from_civil(y, m, d);
    let next = if m == 12 {
        days_from_civil(y + 1, 1, 1)
    } else {
        days_from_civil(y, m + 1, 1)
    };
    (days < next).then_some(days)
}

/// Today's date (UTC) in days since the epoch.
pub fn today(now_ms: u64) -> i64 {
    (now_ms / 86_400_000) as i64
}

/// A day count as `YYYY-MM-DD`.
pub fn date_string(days: i64) -> String {
    portico_sdk::time::format_date(days.max(0) as u64 * 86_400_000)
}

/// The last day a statement may be sent: one year after the end of the
/// mission (art. 800 of the code de procédure pénale), same day and month.
pub fn deadline(mission_end: &str) -> Option<String> {
    let end = parse_date(mission_end)?;
    let (y, rest) = mission_end.split_once('-')?;
    let y: i64 = y.parse().ok()?;
    let candidate = format!("{:04}-{rest}", y + 1);
    // 29 February: the year after has none; the deadline is 28 February.
    Some(match parse_date(&candidate) {
        Some(_) => candidate,
        None => date_string(end + 365),
    })
}

/// Whether a mission that ended on `mission_end` is foreclosed on `today`.
pub fn foreclosed(mission_end: &str, today: i64) -> bool {
    deadline(mission_end)
        .and_then(|d| parse_date(&d))
        .is_some_and(|last| today > last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_exact_cents() {
        assert_eq!(parse_cents("1 234,56"), Some(123_456));
        assert_eq!(parse_cents("80"), Some(8_000));
        assert_eq!(parse_cents("12.5"), Some(1_250));
        assert_eq!(parse_cents("12,345"), None);
        assert_eq!(parse_cents("-3"), None);
        assert_eq!(decimal(123_456), "1234.56");
        let lines = [
            Line {
                kind: "service".into(),
                label: "a".into(),
                net: 33_333,
                vat_rate: 2000,
            },
            Line {
                kind: "disbursement".into(),
                label: "b".into(),
                net: 1_050,
                vat_rate: 0,
            },
        ];
        assert_eq!(totals(&lines), (34_383, 6_667, 41_050));
    }

    #[test]
    fn one_year_from_the_end_of_the_mission() {
        assert_eq!(deadline("2025-03-15").as_deref(), Some("2026-03-15"));
        assert_eq!(deadline("2024-02-29").as_deref(), Some("2025-02-28"));
        let day = |s| parse_date(s).unwrap();
        assert!(!foreclosed("2025-03-15", day("2026-03-15")));
        assert!(foreclosed("2025-03-15", day("2026-03-16")));
        assert_eq!(parse_date("2025-02-30"), None);
    }

    #[test]
    fn the_referential_is_searchable_by_name_or_town() {
        assert!(courts().len() > 50);
        let lyon = search("lyon");
        assert!(lyon.iter().any(|c| c.code == "tj69123"));
        assert!(
            search("cour appel nimes")
                .iter()
                .any(|c| c.code == "ca_nimes")
        );
        assert!(search("evry").iter().any(|c| c.kind == "TJ"));
        assert!(search("zzz").is_empty());
        for c in courts() {
            assert!(portico_sdk::siret::validate(&c.siret).is_ok(), "{}", c.code);
        }
    }
}
