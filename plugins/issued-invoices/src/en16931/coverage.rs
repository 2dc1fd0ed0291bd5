//! Which of the CEN/TC 434 artefacts' assertions Portico checks, and why
//! the others do not apply. The conformance test reads every assertion id
//! of the schematron files (`EN16931_SCHEMATRON_DIR`, see tests/fixtures/en16931/README.md) and fails
//! on one that `status` does not place, on a "warning" that the artefacts
//! make fatal, and on a checked code list that differs from theirs.

use super::findings::{CATEGORIES, worded};
use super::syntax::{CODED, SHAPES};

/// What Portico does with one assertion of the artefacts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Checked, and a breach refuses the invoice with this id.
    Checked,
    /// Checked, and reported under another id that says the same.
    ReportedAs(&'static str),
    /// Not checked, for this reason.
    NotApplicable(&'static str),
    /// The artefacts' own warning (`flag="warning"`): an element EN 16931
    /// does not use. It does not make an invoice invalid; the reader ignores it.
    Warning,
}

/// Decimal rules the checker reports (`BR-DEC-…`, at most two decimals).
pub const DECIMALS: &[&str] = &[
    "BR-DEC-01",
    "BR-DEC-02",
    "BR-DEC-05",
    "BR-DEC-06",
    "BR-DEC-09",
    "BR-DEC-10",
    "BR-DEC-11",
    "BR-DEC-12",
    "BR-DEC-13",
    "BR-DEC-14",
    "BR-DEC-15",
    "BR-DEC-16",
    "BR-DEC-17",
    "BR-DEC-18",
    "BR-DEC-19",
    "BR-DEC-20",
    "BR-DEC-23",
    "BR-DEC-24",
    "BR-DEC-25",
    "BR-DEC-27",
    "BR-DEC-28",
];

/// Assertions reported under another id: the artefacts check the same
/// thing twice.
pub const ALIASES: &[(&str, &str)] = &[
    ("BR-CO-21", "BR-33"),
    ("BR-CO-22", "BR-38"),
    ("BR-CO-23", "BR-42"),
    ("BR-CO-24", "BR-44"),
    // Either the IBAN or a proprietary id for a credit transfer: BR-61.
    ("CII-SR-470", "BR-61"),
    // The payee's name differs from the seller's: reported once, as UBL-SR-19.
    ("UBL-SR-20", "UBL-SR-19"),
    ("UBL-SR-21", "UBL-SR-19"),
];

/// Assertions deliberately not checked, and why.
pub const NOT_APPLICABLE: &[(&str, &str)] = &[
    (
        "BR-CO-05",
        "the artefacts test true(): that an allowance reason code and its reason say the same cannot be decided by a machine",
    ),
    (
        "BR-CO-06",
        "the artefacts test true() (charge reason code and reason)",
    ),
    (
        "BR-CO-07",
        "the artefacts test true() (line allowance reason code and reason)",
    ),
    (
        "BR-CO-08",
        "the artefacts test true() (line charge reason code and reason)",
    ),
];

/// Whether the artefacts' `flag` for `id` may be "warning" only: the
/// families of elements outside EN 16931, and BR-51 in UBL (fatal in CII,
/// where it is checked).
fn warning_family(id: &str) -> bool {
    ["UBL-CR-", "UBL-DT-", "CII-SR-", "CII-DT-"]
        .iter()
        .any(|p| id.starts_with(p))
}

/// Where `id` stands; `None` if the table does not place it (a defect the
/// conformance test reports).
pub fn status(id: &str) -> Option<Status> {
    if SHAPES.iter().any(|s| s.id == id) || CODED.iter().any(|c| c.id == id) {
        return Some(Status::Checked);
    }
    if let Some((_, to)) = ALIASES.iter().find(|(from, _)| *from == id) {
        return Some(Status::ReportedAs(to));
    }
    if let Some((_, why)) = NOT_APPLICABLE.iter().find(|(n, _)| *n == id) {
        return Some(Status::NotApplicable(why));
    }
    let worded = worded(id) && !id.starts_with("CHORUS");
    let category = CATEGORIES.iter().any(|(_, prefix, _)| {
        id.strip_prefix(&format!("BR-{prefix}-"))
            .is_some_and(|n| n.len() == 2 && n.bytes().all(|b| b.is_ascii_digit()))
    });
    if worded || category || DECIMALS.contains(&id) {
        return Some(Status::Checked);
    }
    if warning_family(id) {
        return Some(Status::Warning);
    }
    None
}
