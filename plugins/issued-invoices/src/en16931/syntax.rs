//! The rules EN 16931 states on the XML itself rather than on the model:
//! the code lists (BR-CL-…), the syntax bindings' cardinalities and
//! restrictions (UBL-SR, UBL-DT, UBL-CR, CII-SR, CII-DT) and the few
//! business rules on elements the model does not keep (BR-51, BR-54,
//! BR-57, BR-65). Each entry follows one assertion of the CEN/TC 434
//! artefacts (`EN16931_SCHEMATRON_DIR`, see tests/fixtures/en16931/README.md); elements are matched
//! by local name, which is unambiguous within each syntax.

use super::codes::{self, listed};
use super::findings::Finding;
use super::model::Syntax;
use roxmltree::Node;

/// Where an assertion applies.
#[derive(Debug, Clone, Copy)]
pub enum At {
    /// The element at this path from the root (root's name first).
    Root(&'static [&'static str]),
    /// Any element whose own name and its ancestors' end with these names.
    Any(&'static [&'static str]),
    /// Any element whose name ends with this.
    EndsWith(&'static str),
    /// As `Any`, but not inside an element of one of these names.
    AnyOutside(&'static [&'static str], &'static [&'static str]),
    /// As `Any`, where the parent's child at the path has this text.
    ParentHas(
        &'static [&'static str],
        &'static [&'static str],
        &'static str,
    ),
    /// As `Any`, where the element's own child at the path has this text.
    SelfHas(
        &'static [&'static str],
        &'static [&'static str],
        &'static str,
    ),
    /// Any element whose name ends with the first, other than the second.
    EndsWithBut(&'static str, &'static str),
}

/// A condition on an element, for the counts that select what they count.
#[derive(Debug, Clone, Copy)]
pub enum Cond {
    /// The child at the path has this text (case aside).
    ChildIs(&'static [&'static str], &'static str),
    /// The child at the path has another text (case aside).
    ChildIsNot(&'static [&'static str], &'static str),
    /// The element has this attribute with this value (case aside).
    AttrIs(&'static str, &'static str),
    /// The element has this attribute with another value (case aside).
    AttrIsNot(&'static str, &'static str),
    /// The element has this attribute.
    HasAttr(&'static str),
}

/// What an assertion requires of the element it applies to.
#[derive(Debug, Clone, Copy)]
pub enum Check {
    /// At most `n` descendants along the path.
    AtMost(&'static [&'static str], usize),
    /// Exactly `n` descendants along the path.
    Exactly(&'static [&'static str], usize),
    /// No descendant along the path: EN 16931 does not use it.
    Absent(&'static [&'static str]),
    /// A descendant along the path.
    Present(&'static [&'static str]),
    /// No such attribute.
    NoAttr(&'static str),
    /// This attribute.
    Attr(&'static str),
    /// Every descendant along the path has the same text.
    AllSame(&'static [&'static str]),
    /// The child at the path, when present, has this text.
    IfPresentIs(&'static [&'static str], &'static str),
    /// The text is a date written YYYYMMDD when its `format` is 102.
    Date102,
    /// At most `max` of what `then` reaches from the descendants along
    /// `path` that meet `cond` (`then` empty: those descendants).
    CountWhere {
        path: &'static [&'static str],
        cond: Cond,
        then: &'static [&'static str],
        max: usize,
    },
    /// No descendant along the path, unless the element is one of `unless`.
    AbsentUnless(&'static [&'static str], &'static [At]),
    /// A quantity's unit code is allowed only where the lines state theirs.
    UnitWithBilled,
    /// A payee (BG-10) is not the seller: its name differs from the
    /// seller's (UBL-SR-19, -20, -21).
    PayeeNotSeller,
    /// At most two decimals, in the amounts UBL-DT-01 names.
    AmountDecimals,
    /// An object identifier (code 130), a credit note's tender reference
    /// (50), or a plain supporting document (UBL-SR-43).
    DocumentKind,
}

/// One assertion of a syntax binding.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub id: &'static str,
    pub syntax: Syntax,
    pub at: &'static [At],
    pub check: Check,
}

/// Where a coded value is read.
#[derive(Debug, Clone, Copy)]
pub enum Value {
    Text,
    /// The text in upper case (the artefacts compare VATEX codes so).
    Upper,
    Attr(&'static str),
}

/// The list a code belongs to.
#[derive(Debug, Clone, Copy)]
pub enum List {
    Codes(&'static str),
    Mime,
    /// UBL notes carry their subject code as `#AAA#text` (UNTDID 4451).
    NoteSubject,
    /// ISO 6523 ICD, or `SEPA` (a creditor identifier) for the seller's or
    /// the payee's identifiers, as the UBL artefacts allow.
    PartyScheme,
}

/// One code-list rule (BR-CL-…) in one syntax.
#[derive(Debug, Clone, Copy)]
pub struct Coded {
    pub id: &'static str,
    pub term: &'static str,
    pub syntax: Syntax,
    pub at: &'static [At],
    pub value: Value,
    pub list: List,
}

fn name<'a>(n: Node<'a, '_>) -> &'a str {
    n.tag_name().name()
}

/// Whether `n`'s name and its ancestors' names end with `path`.
fn ends_with(n: Node<'_, '_>, path: &[&str]) -> bool {
    let mut cur = Some(n);
    for step in path.iter().rev() {
        match cur {
            Some(c) if c.is_element() && name(c) == *step => cur = c.parent(),
            _ => return false,
        }
    }
    true
}

/// The descendants of `n` along `path` (children by name, step by step).
fn along<'a, 'i>(n: Node<'a, 'i>, path: &[&str]) -> Vec<Node<'a, 'i>> {
    let mut cur = vec![n];
    for step in path {
        cur = cur
            .iter()
            .flat_map(|c| c.children().filter(|k| k.is_element() && name(*k) == *step))
            .collect();
    }
    cur
}

fn text(n: Node<'_, '_>) -> String {
    let t: String = n
        .children()
        .filter(|c| c.is_text())
        .filter_map(|c| c.text())
        .collect();
    t.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn has_text(n: Node<'_, '_>, path: &[&str], value: &str) -> bool {
    along(n, path)
        .first()
        .is_some_and(|c| text(*c).eq_ignore_ascii_case(value))
}

impl Check {
    /// The key of its wording in the catalogue (`en16931.rule.…`).
    pub fn wording(&self) -> &'static str {
        match self {
            Check::AtMost(..) | Check::CountWhere { .. } => "SHAPE-AT-MOST",
            Check::Exactly(..) => "SHAPE-EXACTLY",
            Check::Absent(_) | Check::AbsentUnless(..) => "SHAPE-ABSENT",
            Check::Present(_) => "SHAPE-PRESENT",
            Check::NoAttr(_) => "SHAPE-NO-ATTR",
            Check::Attr(_) => "SHAPE-ATTR",
            Check::AllSame(_) => "SHAPE-ALL-SAME",
            Check::IfPresentIs(..) => "SHAPE-VALUE",
            Check::Date102 => "SHAPE-DATE",
            Check::UnitWithBilled => "SHAPE-UNIT",
            Check::PayeeNotSeller => "SHAPE-PAYEE",
            Check::AmountDecimals => "SHAPE-DECIMALS",
            Check::DocumentKind => "SHAPE-DOCUMENT",
        }
    }
}

impl At {
    fn matches(&self, n: Node<'_, '_>) -> bool {
        match *self {
            At::Root(path) => {
                ends_with(n, path) && {
                    let mut top = n;
                    for _ in 1..path.len() {
                        top = top.parent().unwrap_or(top);
                    }
                    top.parent().is_some_and(|p| p.is_root())
                }
            }
            At::Any(path) => ends_with(n, path),
            At::EndsWith(suffix) => name(n).ends_with(suffix),
            At::AnyOutside(path, outside) => {
                ends_with(n, path) && !n.ancestors().skip(1).any(|a| outside.contains(&name(a)))
            }
            At::ParentHas(path, child, value) => {
                ends_with(n, path) && n.parent().is_some_and(|p| has_text(p, child, value))
            }
            At::SelfHas(path, child, value) => ends_with(n, path) && has_text(n, child, value),
            At::EndsWithBut(suffix, but) => name(n).ends_with(suffix) && name(n) != but,
        }
    }
}

/// Where a finding is: the element's path from the root, by local names.
fn place(n: Node<'_, '_>) -> String {
    let mut names: Vec<&str> = n
        .ancestors()
        .filter(|a| a.is_element())
        .map(|a| name(a))
        .collect();
    names.reverse();
    names.join("/")
}

/// Whether a profile's own rules set aside one of the CEN syntax rules.
/// Factur-X's Minimum, Basic WL, Basic and Extended profiles (and ZUGFeRD
/// 2's) are validated against Factur-X's own XSD and schematron, not CEN's
/// CII binding: their amount type carries an optional `currencyID` (the
/// FNFE's published French examples write it on every amount), and no
/// Factur-X schematron has CII-DT-031. A plain CII file, or Factur-X's
/// EN 16931 profile (`urn:cen.eu:en16931:2017`), keeps CEN's rule.
pub fn waived(rule: &str, specification: Option<&str>) -> bool {
    let spec = specification.unwrap_or("").to_ascii_lowercase();
    rule == "CII-DT-031" && (spec.contains("factur-x.eu:") || spec.contains("zugferd.de:"))
}

/// Checks the document's syntax-level rules; empty when it conforms.
pub fn check(root: Node<'_, '_>, syntax: Syntax) -> Vec<Finding> {
    let shapes: Vec<&Shape> = SHAPES.iter().filter(|s| s.syntax == syntax).collect();
    let coded: Vec<&Coded> = CODED.iter().filter(|c| c.syntax == syntax).collect();
    let mut out = Vec::new();
    for n in root.descendants().filter(|n| n.is_element()) {
        for s in &shapes {
            if s.at.iter().any(|a| a.matches(n)) {
                shape(s, n, &mut out);
            }
        }
        for c in &coded {
            if c.at.iter().any(|a| a.matches(n)) {
                code(c, n, &mut out);
            }
        }
        business(n, syntax, &mut out);
    }
    out
}

fn shape(s: &Shape, n: Node<'_, '_>, out: &mut Vec<Finding>) {
    let broken = match s.check {
        Check::AtMost(path, max) => {
            let count = along(n, path).len();
            (count > max).then(|| (path.join("/"), count.to_string(), max.to_string()))
        }
        Check::Exactly(path, want) => {
            let count = along(n, path).len();
            (count != want).then(|| (path.join("/"), count.to_string(), want.to_string()))
        }
        Check::Absent(path) => {
            let found = along(n, path);
            found
                .first()
                .map(|f| (path.join("/"), text(*f), String::new()))
        }
        Check::Present(path) => along(n, path)
            .is_empty()
            .then(|| (path.join("/"), String::new(), String::new())),
        Check::NoAttr(attr) => n
            .attribute(attr)
            .map(|v| (format!("@{attr}"), v.to_string(), String::new())),
        Check::Attr(attr) => n
            .attribute(attr)
            .is_none()
            .then(|| (format!("@{attr}"), String::new(), String::new())),
        Check::AllSame(path) => {
            let mut texts: Vec<String> = n
                .descendants()
                .filter(|d| d.is_element() && ends_with(*d, path))
                .map(text)
                .collect();
            texts.sort();
            texts.dedup();
            (texts.len() > 1).then(|| (path.join("/"), texts.join(", "), String::new()))
        }
        Check::IfPresentIs(path, value) => along(n, path)
            .first()
            .map(|c| text(*c))
            .filter(|t| t != value)
            .map(|t| (path.join("/"), t, value.to_string())),
        Check::CountWhere {
            path,
            cond,
            then,
            max,
        } => {
            let count: usize = n
                .descendants()
                .filter(|d| d.is_element() && ends_with(*d, path) && cond.holds(*d))
                .map(|d| along(d, then).len())
                .sum();
            (count > max).then(|| (path.join("/"), count.to_string(), max.to_string()))
        }
        Check::AbsentUnless(path, unless) => {
            let found = along(n, path);
            match found.first() {
                Some(f) if !unless.iter().any(|u| u.matches(n)) => {
                    Some((path.join("/"), text(*f), String::new()))
                }
                _ => None,
            }
        }
        Check::UnitWithBilled => {
            let billed = || {
                n.document().descendants().any(|d| {
                    d.is_element()
                        && ends_with(
                            d,
                            &[
                                "IncludedSupplyChainTradeLineItem",
                                "SpecifiedLineTradeDelivery",
                                "BilledQuantity",
                            ],
                        )
                        && d.attribute("unitCode").is_some()
                })
            };
            match n.attribute("unitCode") {
                Some(u) if !billed() => Some(("@unitCode".into(), u.to_string(), String::new())),
                _ => None,
            }
        }
        Check::PayeeNotSeller => {
            let payee: Vec<String> = along(n, &["PartyName", "Name"])
                .into_iter()
                .map(text)
                .collect();
            let seller: Vec<String> = n
                .parent()
                .map(|p| {
                    along(
                        p,
                        &[
                            "AccountingSupplierParty",
                            "Party",
                            "PartyLegalEntity",
                            "RegistrationName",
                        ],
                    )
                    .into_iter()
                    .map(text)
                    .collect()
                })
                .unwrap_or_default();
            let differs = payee.iter().any(|p| seller.iter().any(|s| s != p));
            (!differs).then(|| ("PartyName/Name".into(), payee.join(", "), String::new()))
        }
        Check::AmountDecimals => {
            let priced = n.ancestors().skip(1).any(|a| {
                name(a) == "AllowanceCharge" && a.parent().is_some_and(|p| name(p) == "Price")
            });
            let t = text(n);
            let decimals = t.split_once('.').map_or(0, |(_, d)| d.chars().count());
            (!name(n).ends_with("PriceAmount") && !priced && decimals > 2)
                .then(|| (String::new(), t, "2".to_string()))
        }
        Check::DocumentKind => {
            let code = along(n, &["DocumentTypeCode"]).first().map(|c| text(*c));
            let credit_note = name(n.document().root_element()) == "CreditNote";
            let schemed = along(n, &["ID"])
                .first()
                .is_some_and(|i| i.attribute("schemeID").is_some());
            let ok = code.as_deref() == Some("130")
                || (credit_note && code.as_deref() == Some("50"))
                || (!schemed && code.is_none());
            (!ok).then(|| {
                (
                    "DocumentTypeCode".into(),
                    code.unwrap_or_default(),
                    "130".to_string(),
                )
            })
        }
        Check::Date102 => {
            let t = text(n);
            let ok = n.attribute("format") != Some("102") || is_date_102(&t);
            (!ok).then(|| (String::new(), t, "20261205".to_string()))
        }
    };
    if let Some((what, found, expected)) = broken {
        let at = if what.is_empty() {
            place(n)
        } else {
            format!("{}/{what}", place(n))
        };
        out.push(Finding::new(s.id, "", found, expected).at(at));
    }
}

impl Cond {
    fn holds(&self, n: Node<'_, '_>) -> bool {
        let attr = |a: &str| n.attribute(a).map(|v| v.trim().to_ascii_uppercase());
        match *self {
            Cond::ChildIs(path, v) => has_text(n, path, v),
            Cond::ChildIsNot(path, v) => along(n, path)
                .first()
                .is_some_and(|c| !text(*c).eq_ignore_ascii_case(v)),
            Cond::AttrIs(a, v) => attr(a).is_some_and(|x| x.eq_ignore_ascii_case(v)),
            Cond::AttrIsNot(a, v) => attr(a).is_some_and(|x| !x.eq_ignore_ascii_case(v)),
            Cond::HasAttr(a) => n.attribute(a).is_some(),
        }
    }
}

fn is_date_102(t: &str) -> bool {
    let b = t.as_bytes();
    if b.len() != 8 || !b.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let month: u32 = t[4..6].parse().unwrap_or(0);
    let day: u32 = t[6..8].parse().unwrap_or(0);
    (1..=12).contains(&month) && (1..=31).contains(&day)
}

fn code(c: &Coded, n: Node<'_, '_>, out: &mut Vec<Finding>) {
    let value = match c.value {
        Value::Text => Some(text(n)),
        Value::Upper => Some(text(n).to_uppercase()),
        Value::Attr(a) => n.attribute(a).map(|v| v.trim().to_string()),
    };
    let Some(value) = value else { return };
    let ok = match c.list {
        List::Codes(list) => listed(list, &value),
        List::Mime => codes::MIME.contains(&value.as_str()),
        List::PartyScheme => {
            listed(codes::ICD, &value)
                || (value == "SEPA"
                    && n.ancestors()
                        .any(|a| matches!(name(a), "AccountingSupplierParty" | "PayeeParty")))
        }
        List::NoteSubject => match note_subject(&value) {
            Some(subject) => listed(codes::UNCL_4451_UBL, subject),
            None => true,
        },
    };
    if !ok {
        let shown = match c.list {
            List::NoteSubject => note_subject(&value).unwrap_or_default().to_string(),
            _ => value,
        };
        out.push(Finding::new(c.id, c.term, shown, example(c.id)).at(place(n)));
    }
}

/// The subject code of a UBL note written `#AAA#text`, when it is so written.
fn note_subject(note: &str) -> Option<&str> {
    let rest = note.split_once('#')?.1;
    let code = rest.split_once('#')?.0;
    (code.chars().count() == 3).then_some(code)
}

/// A valid code to show as an example of what would be right.
fn example(id: &str) -> &'static str {
    match id {
        "BR-CL-03" => "EUR",
        "BR-CL-06" => "3 (UBL) or 5 (CII)",
        "BR-CL-07" => "AAA",
        "BR-CL-08" => "AAI",
        "BR-CL-10" | "BR-CL-11" | "BR-CL-21" | "BR-CL-26" => "0009 (SIRET)",
        "BR-CL-13" => "STI",
        "BR-CL-14" | "BR-CL-15" => "FR",
        "BR-CL-16" => "30 (credit transfer)",
        "BR-CL-17" => "S",
        "BR-CL-19" => "95 (discount)",
        "BR-CL-20" => "FC (freight)",
        "BR-CL-22" => "VATEX-EU-G",
        "BR-CL-23" => "C62 (one), H87 (piece), HUR (hour)",
        "BR-CL-24" => "application/pdf",
        "BR-CL-25" => "0009 (SIRET)",
        _ => "",
    }
}

/// BR-51, BR-54, BR-57, BR-65: business rules on elements the model does
/// not keep.
fn business(n: Node<'_, '_>, syntax: Syntax, out: &mut Vec<Finding>) {
    let here = || place(n);
    match (syntax, name(n)) {
        // BR-51 is fatal in the CII artefacts, a warning in UBL's.
        (Syntax::Cii, "ApplicableTradeSettlementFinancialCard") => {
            let pan = along(n, &["ID"])
                .first()
                .map(|i| text(*i))
                .unwrap_or_default();
            if pan.chars().count() > 10 {
                out.push(Finding::new("BR-51", "BT-87", pan, "").at(here()));
            }
        }
        (Syntax::Ubl, "AdditionalItemProperty")
        | (Syntax::Cii, "ApplicableProductCharacteristic") => {
            let (label, value) = match syntax {
                Syntax::Ubl => ("Name", "Value"),
                Syntax::Cii => ("Description", "Value"),
            };
            if along(n, &[label]).is_empty() || along(n, &[value]).is_empty() {
                out.push(Finding::new("BR-54", "BG-32", "", "").at(here()));
            }
        }
        (Syntax::Ubl, "Address")
            if ends_with(n, &["Delivery", "DeliveryLocation", "Address"])
                && along(n, &["Country", "IdentificationCode"]).is_empty() =>
        {
            out.push(Finding::new("BR-57", "BT-80", "", "").at(here()));
        }
        (Syntax::Cii, "PostalTradeAddress")
            if ends_with(
                n,
                &[
                    "ApplicableHeaderTradeDelivery",
                    "ShipToTradeParty",
                    "PostalTradeAddress",
                ],
            ) && along(n, &["CountryID"])
                .first()
                .is_none_or(|c| text(*c).is_empty()) =>
        {
            out.push(Finding::new("BR-57", "BT-80", "", "").at(here()));
        }
        (Syntax::Ubl, "ItemClassificationCode")
            if ends_with(
                n,
                &["Item", "CommodityClassification", "ItemClassificationCode"],
            ) && n.attribute("listID").is_none() =>
        {
            out.push(Finding::new("BR-65", "BT-158", text(n), "").at(here()));
        }
        (Syntax::Cii, "DesignatedProductClassification") => {
            if let Some(code) = along(n, &["ClassCode"]).first()
                && code.attribute("listID").is_none_or(|l| l.trim().is_empty())
            {
                out.push(Finding::new("BR-65", "BT-158", text(*code), "").at(here()));
            }
        }
        _ => {}
    }
}

/// The code-list rules, per syntax, as the artefacts bind them.
pub const CODED: &[Coded] = &[
    // UBL
    Coded {
        id: "BR-CL-03",
        term: "currencyID",
        syntax: Syntax::Ubl,
        at: &[
            At::Any(&["Amount"]),
            At::Any(&["BaseAmount"]),
            At::Any(&["PriceAmount"]),
            At::Any(&["TaxAmount"]),
            At::Any(&["TaxableAmount"]),
            At::Any(&["LineExtensionAmount"]),
            At::Any(&["TaxExclusiveAmount"]),
            At::Any(&["TaxInclusiveAmount"]),
            At::Any(&["AllowanceTotalAmount"]),
            At::Any(&["ChargeTotalAmount"]),
            At::Any(&["PrepaidAmount"]),
            At::Any(&["PayableRoundingAmount"]),
            At::Any(&["PayableAmount"]),
        ],
        value: Value::Attr("currencyID"),
        list: List::Codes(codes::CURRENCIES),
    },
    Coded {
        id: "BR-CL-06",
        term: "BT-8",
        syntax: Syntax::Ubl,
        at: &[At::Any(&["InvoicePeriod", "DescriptionCode"])],
        value: Value::Text,
        list: List::Codes(codes::VAT_POINT_CODES_UBL),
    },
    Coded {
        id: "BR-CL-07",
        term: "BT-18",
        syntax: Syntax::Ubl,
        at: &[
            At::ParentHas(
                &["AdditionalDocumentReference", "ID"],
                &["DocumentTypeCode"],
                "130",
            ),
            At::ParentHas(&["DocumentReference", "ID"], &["DocumentTypeCode"], "130"),
        ],
        value: Value::Attr("schemeID"),
        list: List::Codes(codes::UNTDID_1153),
    },
    Coded {
        id: "BR-CL-08",
        term: "BT-21",
        syntax: Syntax::Ubl,
        at: &[
            At::Root(&["Invoice", "Note"]),
            At::Root(&["CreditNote", "Note"]),
        ],
        value: Value::Text,
        list: List::NoteSubject,
    },
    Coded {
        id: "BR-CL-10",
        term: "BT-29",
        syntax: Syntax::Ubl,
        at: &[At::Any(&["PartyIdentification", "ID"])],
        value: Value::Attr("schemeID"),
        list: List::PartyScheme,
    },
    Coded {
        id: "BR-CL-11",
        term: "BT-30",
        syntax: Syntax::Ubl,
        at: &[At::Any(&["PartyLegalEntity", "CompanyID"])],
        value: Value::Attr("schemeID"),
        list: List::Codes(codes::ICD),
    },
    Coded {
        id: "BR-CL-13",
        term: "BT-158",
        syntax: Syntax::Ubl,
        at: &[At::Any(&[
            "CommodityClassification",
            "ItemClassificationCode",
        ])],
        value: Value::Attr("listID"),
        list: List::Codes(codes::UNTDID_7143),
    },
    Coded {
        id: "BR-CL-14",
        term: "BT-40",
        syntax: Syntax::Ubl,
        at: &[At::Any(&["Country", "IdentificationCode"])],
        value: Value::Text,
        list: List::Codes(codes::COUNTRIES_UBL),
    },
    Coded {
        id: "BR-CL-15",
        term: "BT-159",
        syntax: Syntax::Ubl,
        at: &[At::Any(&["OriginCountry", "IdentificationCode"])],
        value: Value::Text,
        list: List::Codes(codes::COUNTRIES_UBL),
    },
    Coded {
        id: "BR-CL-16",
        term: "BT-81",
        syntax: Syntax::Ubl,
        at: &[At::Any(&["PaymentMeans", "PaymentMeansCode"])],
        value: Value::Text,
        list: List::Codes(codes::UNCL_4461),
    },
    Coded {
        id: "BR-CL-17",
        term: "BT-118",
        syntax: Syntax::Ubl,
        at: &[At::Any(&["TaxCategory", "ID"])],
        value: Value::Text,
        list: List::Codes(codes::UNCL_5305),
    },
    Coded {
        id: "BR-CL-19",
        term: "BT-98",
        syntax: Syntax::Ubl,
        at: &[At::ParentHas(
            &["AllowanceCharge", "AllowanceChargeReasonCode"],
            &["ChargeIndicator"],
            "false",
        )],
        value: Value::Text,
        list: List::Codes(codes::UNCL_5189),
    },
    Coded {
        id: "BR-CL-20",
        term: "BT-105",
        syntax: Syntax::Ubl,
        at: &[At::ParentHas(
            &["AllowanceCharge", "AllowanceChargeReasonCode"],
            &["ChargeIndicator"],
            "true",
        )],
        value: Value::Text,
        list: List::Codes(codes::UNCL_7161),
    },
    Coded {
        id: "BR-CL-21",
        term: "BT-157",
        syntax: Syntax::Ubl,
        at: &[At::Any(&["StandardItemIdentification", "ID"])],
        value: Value::Attr("schemeID"),
        list: List::Codes(codes::ICD),
    },
    Coded {
        id: "BR-CL-22",
        term: "BT-121",
        syntax: Syntax::Ubl,
        at: &[At::Any(&["TaxExemptionReasonCode"])],
        value: Value::Upper,
        list: List::Codes(codes::VATEX),
    },
    Coded {
        id: "BR-CL-23",
        term: "BT-130",
        syntax: Syntax::Ubl,
        at: &[
            At::Any(&["InvoicedQuantity"]),
            At::Any(&["BaseQuantity"]),
            At::Any(&["CreditedQuantity"]),
        ],
        value: Value::Attr("unitCode"),
        list: List::Codes(codes::REC_20_21),
    },
    Coded {
        id: "BR-CL-24",
        term: "BT-125",
        syntax: Syntax::Ubl,
        at: &[At::Any(&["EmbeddedDocumentBinaryObject"])],
        value: Value::Attr("mimeCode"),
        list: List::Mime,
    },
    Coded {
        id: "BR-CL-25",
        term: "BT-34",
        syntax: Syntax::Ubl,
        at: &[At::Any(&["EndpointID"])],
        value: Value::Attr("schemeID"),
        list: List::Codes(codes::EAS),
    },
    Coded {
        id: "BR-CL-26",
        term: "BT-71",
        syntax: Syntax::Ubl,
        at: &[At::Any(&["DeliveryLocation", "ID"])],
        value: Value::Attr("schemeID"),
        list: List::Codes(codes::ICD),
    },
    // CII
    Coded {
        id: "BR-CL-03",
        term: "currencyID",
        syntax: Syntax::Cii,
        at: &[At::Any(&["TaxTotalAmount"])],
        value: Value::Attr("currencyID"),
        list: List::Codes(codes::CURRENCIES),
    },
    Coded {
        id: "BR-CL-06",
        term: "BT-8",
        syntax: Syntax::Cii,
        at: &[At::Any(&["DueDateTypeCode"])],
        value: Value::Text,
        list: List::Codes(codes::VAT_POINT_CODES_CII),
    },
    Coded {
        id: "BR-CL-07",
        term: "BT-18",
        syntax: Syntax::Cii,
        at: &[At::Any(&["ReferenceTypeCode"])],
        value: Value::Text,
        list: List::Codes(codes::UNTDID_1153),
    },
    Coded {
        id: "BR-CL-08",
        term: "BT-21",
        syntax: Syntax::Cii,
        at: &[At::Any(&["SubjectCode"])],
        value: Value::Text,
        list: List::Codes(codes::UNCL_4451),
    },
    Coded {
        id: "BR-CL-10",
        term: "BT-29",
        syntax: Syntax::Cii,
        at: &[At::AnyOutside(
            &["GlobalID"],
            &["SpecifiedTradeProduct", "ShipToTradeParty"],
        )],
        value: Value::Attr("schemeID"),
        list: List::Codes(codes::ICD),
    },
    Coded {
        id: "BR-CL-11",
        term: "BT-30",
        syntax: Syntax::Cii,
        at: &[At::AnyOutside(&["ID"], &["SpecifiedTaxRegistration"])],
        value: Value::Attr("schemeID"),
        list: List::Codes(codes::ICD),
    },
    Coded {
        id: "BR-CL-13",
        term: "BT-158",
        syntax: Syntax::Cii,
        at: &[At::Any(&["ClassCode"])],
        value: Value::Attr("listID"),
        list: List::Codes(codes::UNTDID_7143),
    },
    Coded {
        id: "BR-CL-14",
        term: "BT-40",
        syntax: Syntax::Cii,
        at: &[At::Any(&["CountryID"])],
        value: Value::Text,
        list: List::Codes(codes::COUNTRIES_CII),
    },
    Coded {
        id: "BR-CL-15",
        term: "BT-159",
        syntax: Syntax::Cii,
        at: &[At::Any(&["OriginTradeCountry", "ID"])],
        value: Value::Text,
        list: List::Codes(codes::COUNTRIES_CII),
    },
    Coded {
        id: "BR-CL-16",
        term: "BT-81",
        syntax: Syntax::Cii,
        at: &[At::Any(&[
            "SpecifiedTradeSettlementPaymentMeans",
            "TypeCode",
        ])],
        value: Value::Text,
        list: List::Codes(codes::UNCL_4461),
    },
    Coded {
        id: "BR-CL-17",
        term: "BT-118",
        syntax: Syntax::Cii,
        at: &[At::Any(&["CategoryTradeTax", "CategoryCode"])],
        value: Value::Text,
        list: List::Codes(codes::UNCL_5305),
    },
    Coded {
        id: "BR-CL-19",
        term: "BT-98",
        syntax: Syntax::Cii,
        at: &[At::ParentHas(
            &["SpecifiedTradeAllowanceCharge", "ReasonCode"],
            &["ChargeIndicator", "Indicator"],
            "false",
        )],
        value: Value::Text,
        list: List::Codes(codes::UNCL_5189),
    },
    Coded {
        id: "BR-CL-20",
        term: "BT-105",
        syntax: Syntax::Cii,
        at: &[At::ParentHas(
            &["SpecifiedTradeAllowanceCharge", "ReasonCode"],
            &["ChargeIndicator", "Indicator"],
            "true",
        )],
        value: Value::Text,
        list: List::Codes(codes::UNCL_7161),
    },
    Coded {
        id: "BR-CL-21",
        term: "BT-157",
        syntax: Syntax::Cii,
        at: &[At::Any(&["SpecifiedTradeProduct", "GlobalID"])],
        value: Value::Attr("schemeID"),
        list: List::Codes(codes::ICD),
    },
    Coded {
        id: "BR-CL-22",
        term: "BT-121",
        syntax: Syntax::Cii,
        at: &[At::Any(&["ExemptionReasonCode"])],
        value: Value::Upper,
        list: List::Codes(codes::VATEX),
    },
    Coded {
        id: "BR-CL-23",
        term: "BT-130",
        syntax: Syntax::Cii,
        at: &[At::Any(&["BasisQuantity"]), At::Any(&["BilledQuantity"])],
        value: Value::Attr("unitCode"),
        list: List::Codes(codes::REC_20_21),
    },
    Coded {
        id: "BR-CL-24",
        term: "BT-125",
        syntax: Syntax::Cii,
        at: &[At::Any(&["AttachmentBinaryObject"])],
        value: Value::Attr("mimeCode"),
        list: List::Mime,
    },
    Coded {
        id: "BR-CL-25",
        term: "BT-34",
        syntax: Syntax::Cii,
        at: &[At::Any(&["URIUniversalCommunication", "URIID"])],
        value: Value::Attr("schemeID"),
        list: List::Codes(codes::EAS),
    },
    Coded {
        id: "BR-CL-26",
        term: "BT-71",
        syntax: Syntax::Cii,
        at: &[At::Any(&[
            "ApplicableHeaderTradeDelivery",
            "ShipToTradeParty",
            "GlobalID",
        ])],
        value: Value::Attr("schemeID"),
        list: List::Codes(codes::ICD),
    },
];

/// A supporting document with an attachment (CII code 916).
const ATTACHED: &[At] = &[At::SelfHas(
    &["AdditionalReferencedDocument"],
    &["TypeCode"],
    "916",
)];

/// The syntax bindings' assertions that make a file invalid (the
/// artefacts' `fatal` ones; their warnings are listed in `coverage`).
pub const SHAPES: &[Shape] = &[
    Shape {
        id: "UBL-SR-42",
        syntax: Syntax::Ubl,
        at: &[At::Any(&["AccountingSupplierParty", "Party"])],
        check: Check::AtMost(&["PartyTaxScheme"], 2),
    },
    Shape {
        id: "UBL-SR-33",
        syntax: Syntax::Ubl,
        at: &[At::Any(&["AdditionalDocumentReference"])],
        check: Check::AtMost(&["DocumentDescription"], 1),
    },
    Shape {
        id: "UBL-DT-06",
        syntax: Syntax::Ubl,
        at: &[At::EndsWith("BinaryObject")],
        check: Check::Attr("mimeCode"),
    },
    Shape {
        id: "UBL-DT-07",
        syntax: Syntax::Ubl,
        at: &[At::EndsWith("BinaryObject")],
        check: Check::Attr("filename"),
    },
    Shape {
        id: "UBL-SR-25",
        syntax: Syntax::Ubl,
        at: &[At::Any(&["Delivery"])],
        check: Check::AtMost(&["DeliveryParty", "PartyName", "Name"], 1),
    },
    Shape {
        id: "UBL-SR-01",
        syntax: Syntax::Ubl,
        at: &[At::Root(&["Invoice"]), At::Root(&["CreditNote"])],
        check: Check::AtMost(&["ContractDocumentReference", "ID"], 1),
    },
    Shape {
        id: "UBL-SR-02",
        syntax: Syntax::Ubl,
        at: &[At::Root(&["Invoice"]), At::Root(&["CreditNote"])],
        check: Check::AtMost(&["ReceiptDocumentReference", "ID"], 1),
    },
    Shape {
        id: "UBL-SR-03",
        syntax: Syntax::Ubl,
        at: &[At::Root(&["Invoice"]), At::Root(&["CreditNote"])],
        check: Check::AtMost(&["DespatchDocumentReference", "ID"], 1),
    },
    Shape {
        id: "UBL-SR-05",
        syntax: Syntax::Ubl,
        at: &[At::Root(&["Invoice"]), At::Root(&["CreditNote"])],
        check: Check::AtMost(&["PaymentTerms", "Note"], 1),
    },
    Shape {
        id: "UBL-SR-08",
        syntax: Syntax::Ubl,
        at: &[At::Root(&["Invoice"]), At::Root(&["CreditNote"])],
        check: Check::AtMost(&["InvoicePeriod"], 1),
    },
    Shape {
        id: "UBL-SR-09",
        syntax: Syntax::Ubl,
        at: &[At::Root(&["Invoice"]), At::Root(&["CreditNote"])],
        check: Check::AtMost(
            &[
                "AccountingSupplierParty",
                "Party",
                "PartyLegalEntity",
                "RegistrationName",
            ],
            1,
        ),
    },
    Shape {
        id: "UBL-SR-10",
        syntax: Syntax::Ubl,
        at: &[At::Root(&["Invoice"]), At::Root(&["CreditNote"])],
        check: Check::AtMost(
            &["AccountingSupplierParty", "Party", "PartyName", "Name"],
            1,
        ),
    },
    Shape {
        id: "UBL-SR-11",
        syntax: Syntax::Ubl,
        at: &[At::Root(&["Invoice"]), At::Root(&["CreditNote"])],
        check: Check::AtMost(
            &[
                "AccountingSupplierParty",
                "Party",
                "PartyLegalEntity",
                "CompanyID",
            ],
            1,
        ),
    },
    Shape {
        id: "UBL-SR-14",
        syntax: Syntax::Ubl,
        at: &[At::Root(&["Invoice"]), At::Root(&["CreditNote"])],
        check: Check::AtMost(
            &[
                "AccountingSupplierParty",
                "Party",
                "PartyLegalEntity",
                "CompanyLegalForm",
            ],
            1,
        ),
    },
    Shape {
        id: "UBL-SR-15",
        syntax: Syntax::Ubl,
        at: &[At::Root(&["Invoice"]), At::Root(&["CreditNote"])],
        check: Check::AtMost(
            &[
                "AccountingCustomerParty",
                "Party",
                "PartyLegalEntity",
                "RegistrationName",
            ],
            1,
        ),
    },
    Shape {
        id: "UBL-SR-16",
        syntax: Syntax::Ubl,
        at: &[At::Root(&["Invoice"]), At::Root(&["CreditNote"])],
        check: Check::AtMost(
            &[
                "AccountingCustomerParty",
                "Party",
                "PartyIdentification",
                "ID",
            ],
            1,
        ),
    },
    Shape {
        id: "UBL-SR-17",
        syntax: Syntax::Ubl,
        at: &[At::Root(&["Invoice"]), At::Root(&["CreditNote"])],
        check: Check::AtMost(
            &[
                "AccountingCustomerParty",
                "Party",
                "PartyLegalEntity",
                "CompanyID",
            ],
            1,
        ),
    },
    Shape {
        id: "UBL-SR-24",
        syntax: Syntax::Ubl,
        at: &[At::Root(&["Invoice"]), At::Root(&["CreditNote"])],
        check: Check::AtMost(&["Delivery"], 1),
    },
    Shape {
        id: "UBL-SR-39",
        syntax: Syntax::Ubl,
        at: &[At::Root(&["Invoice"]), At::Root(&["CreditNote"])],
        check: Check::AtMost(&["ProjectReference", "ID"], 1),
    },
    Shape {
        id: "UBL-SR-40",
        syntax: Syntax::Ubl,
        at: &[At::Root(&["Invoice"]), At::Root(&["CreditNote"])],
        check: Check::AtMost(
            &["AccountingCustomerParty", "Party", "PartyName", "Name"],
            1,
        ),
    },
    Shape {
        id: "UBL-SR-45",
        syntax: Syntax::Ubl,
        at: &[At::Root(&["Invoice"]), At::Root(&["CreditNote"])],
        check: Check::AtMost(&["PaymentMeans", "PaymentDueDate"], 1),
    },
    Shape {
        id: "UBL-SR-49",
        syntax: Syntax::Ubl,
        at: &[At::Root(&["Invoice"]), At::Root(&["CreditNote"])],
        check: Check::AtMost(&["InvoicePeriod", "DescriptionCode"], 1),
    },
    Shape {
        id: "UBL-SR-54",
        syntax: Syntax::Ubl,
        at: &[At::Root(&["Invoice"]), At::Root(&["CreditNote"])],
        check: Check::AtMost(&["PaymentMeans", "CardAccount"], 1),
    },
    Shape {
        id: "UBL-SR-55",
        syntax: Syntax::Ubl,
        at: &[At::Root(&["Invoice"]), At::Root(&["CreditNote"])],
        check: Check::AtMost(&["PaymentMeans", "PaymentMandate"], 1),
    },
    Shape {
        id: "UBL-SR-56",
        syntax: Syntax::Ubl,
        at: &[At::Root(&["Invoice"]), At::Root(&["CreditNote"])],
        check: Check::AtMost(&["OriginatorDocumentReference", "ID"], 1),
    },
    Shape {
        id: "UBL-SR-34",
        syntax: Syntax::Ubl,
        at: &[At::Any(&["InvoiceLine"]), At::Any(&["CreditNoteLine"])],
        check: Check::AtMost(&["Note"], 1),
    },
    Shape {
        id: "UBL-SR-35",
        syntax: Syntax::Ubl,
        at: &[At::Any(&["InvoiceLine"]), At::Any(&["CreditNoteLine"])],
        check: Check::AtMost(&["OrderLineReference", "LineID"], 1),
    },
    Shape {
        id: "UBL-SR-36",
        syntax: Syntax::Ubl,
        at: &[At::Any(&["InvoiceLine"]), At::Any(&["CreditNoteLine"])],
        check: Check::AtMost(&["InvoicePeriod"], 1),
    },
    Shape {
        id: "UBL-SR-37",
        syntax: Syntax::Ubl,
        at: &[At::Any(&["InvoiceLine"]), At::Any(&["CreditNoteLine"])],
        check: Check::AtMost(&["Price", "AllowanceCharge", "Amount"], 1),
    },
    Shape {
        id: "UBL-SR-48",
        syntax: Syntax::Ubl,
        at: &[At::Any(&["InvoiceLine"]), At::Any(&["CreditNoteLine"])],
        check: Check::Exactly(&["Item", "ClassifiedTaxCategory"], 1),
    },
    Shape {
        id: "UBL-SR-50",
        syntax: Syntax::Ubl,
        at: &[At::Any(&["InvoiceLine"]), At::Any(&["CreditNoteLine"])],
        check: Check::AtMost(&["Item", "Description"], 1),
    },
    Shape {
        id: "UBL-SR-52",
        syntax: Syntax::Ubl,
        at: &[At::Any(&["InvoiceLine"]), At::Any(&["CreditNoteLine"])],
        check: Check::AtMost(&["DocumentReference"], 1),
    },
    Shape {
        id: "UBL-SR-26",
        syntax: Syntax::Ubl,
        at: &[At::Any(&["PaymentMeans"])],
        check: Check::AtMost(&["PaymentID"], 1),
    },
    Shape {
        id: "UBL-SR-27",
        syntax: Syntax::Ubl,
        at: &[At::Any(&["PaymentMeans"])],
        check: Check::AtMost(&["PaymentMeansCode"], 1),
    },
    Shape {
        id: "UBL-SR-28",
        syntax: Syntax::Ubl,
        at: &[At::Any(&["PaymentMeans"])],
        check: Check::AtMost(&["PaymentMandate", "ID"], 1),
    },
    Shape {
        id: "UBL-SR-06",
        syntax: Syntax::Ubl,
        at: &[At::Any(&["BillingReference"])],
        check: Check::AtMost(&["InvoiceDocumentReference"], 1),
    },
    Shape {
        id: "UBL-SR-07",
        syntax: Syntax::Ubl,
        at: &[At::Any(&["BillingReference"])],
        check: Check::Present(&["InvoiceDocumentReference", "ID"]),
    },
    Shape {
        id: "UBL-SR-22",
        syntax: Syntax::Ubl,
        at: &[At::Any(&["TaxRepresentativeParty"])],
        check: Check::AtMost(&["PartyName", "Name"], 1),
    },
    Shape {
        id: "UBL-SR-23",
        syntax: Syntax::Ubl,
        at: &[At::Any(&["TaxRepresentativeParty"])],
        check: Check::AtMost(&["PartyTaxScheme", "CompanyID"], 1),
    },
    Shape {
        id: "UBL-SR-32",
        syntax: Syntax::Ubl,
        at: &[At::Any(&["TaxSubtotal"])],
        check: Check::AtMost(&["TaxCategory", "TaxExemptionReason"], 1),
    },
    Shape {
        id: "CII-SR-009",
        syntax: Syntax::Cii,
        at: &[At::Root(&[
            "CrossIndustryInvoice",
            "ExchangedDocumentContext",
        ])],
        check: Check::Exactly(&["GuidelineSpecifiedDocumentContextParameter"], 1),
    },
    Shape {
        id: "CII-SR-010",
        syntax: Syntax::Cii,
        at: &[At::Root(&[
            "CrossIndustryInvoice",
            "ExchangedDocumentContext",
        ])],
        check: Check::Exactly(&["GuidelineSpecifiedDocumentContextParameter", "ID"], 1),
    },
    Shape {
        id: "CII-SR-014",
        syntax: Syntax::Cii,
        at: &[At::Root(&["CrossIndustryInvoice", "ExchangedDocument"])],
        check: Check::Exactly(&["TypeCode"], 1),
    },
    Shape {
        id: "CII-SR-069",
        syntax: Syntax::Cii,
        at: &[At::Root(&[
            "CrossIndustryInvoice",
            "SupplyChainTradeTransaction",
            "IncludedSupplyChainTradeLineItem",
            "SpecifiedTradeProduct",
            "ApplicableProductCharacteristic",
        ])],
        check: Check::Exactly(&["Description"], 1),
    },
    Shape {
        id: "CII-SR-072",
        syntax: Syntax::Cii,
        at: &[At::Root(&[
            "CrossIndustryInvoice",
            "SupplyChainTradeTransaction",
            "IncludedSupplyChainTradeLineItem",
            "SpecifiedTradeProduct",
            "ApplicableProductCharacteristic",
        ])],
        check: Check::Exactly(&["Value"], 1),
    },
    Shape {
        id: "CII-SR-439",
        syntax: Syntax::Cii,
        at: &[At::Root(&[
            "CrossIndustryInvoice",
            "SupplyChainTradeTransaction",
            "IncludedSupplyChainTradeLineItem",
            "SpecifiedLineTradeAgreement",
        ])],
        check: Check::Exactly(&["NetPriceProductTradePrice", "ChargeAmount"], 1),
    },
    Shape {
        id: "CII-SR-441",
        syntax: Syntax::Cii,
        at: &[At::Root(&[
            "CrossIndustryInvoice",
            "SupplyChainTradeTransaction",
            "IncludedSupplyChainTradeLineItem",
            "SpecifiedLineTradeAgreement",
        ])],
        check: Check::AtMost(&["NetPriceProductTradePrice", "ChargeAmount"], 1),
    },
    Shape {
        id: "CII-SR-463",
        syntax: Syntax::Cii,
        at: &[At::Any(&["SpecifiedTradeAllowanceCharge"])],
        check: Check::Present(&["ChargeIndicator"]),
    },
    Shape {
        id: "CII-SR-471",
        syntax: Syntax::Cii,
        at: &[At::Any(&["SpecifiedTradeAllowanceCharge"])],
        check: Check::AtMost(&["RateApplicablePercent"], 1),
    },
    Shape {
        id: "CII-SR-472",
        syntax: Syntax::Cii,
        at: &[At::Any(&["SpecifiedTradeAllowanceCharge"])],
        check: Check::AtMost(&["CategoryTradeTax"], 1),
    },
    Shape {
        id: "CII-SR-473",
        syntax: Syntax::Cii,
        at: &[At::Any(&["SpecifiedTradeAllowanceCharge"])],
        check: Check::AtMost(&["ActualAmount"], 1),
    },
    Shape {
        id: "CII-SR-440",
        syntax: Syntax::Cii,
        at: &[At::Any(&[
            "GrossPriceProductTradePrice",
            "AppliedTradeAllowanceCharge",
        ])],
        check: Check::AtMost(&["ActualAmount"], 1),
    },
    Shape {
        id: "CII-SR-455",
        syntax: Syntax::Cii,
        at: &[At::Root(&[
            "CrossIndustryInvoice",
            "SupplyChainTradeTransaction",
            "ApplicableHeaderTradeAgreement",
        ])],
        check: Check::AtMost(&["SellerTradeParty", "DefinedTradeContact"], 1),
    },
    Shape {
        id: "CII-SR-456",
        syntax: Syntax::Cii,
        at: &[At::Root(&[
            "CrossIndustryInvoice",
            "SupplyChainTradeTransaction",
            "ApplicableHeaderTradeAgreement",
        ])],
        check: Check::AtMost(&["BuyerTradeParty", "DefinedTradeContact"], 1),
    },
    Shape {
        id: "CII-SR-459",
        syntax: Syntax::Cii,
        at: &[At::Root(&[
            "CrossIndustryInvoice",
            "SupplyChainTradeTransaction",
            "ApplicableHeaderTradeAgreement",
        ])],
        check: Check::AtMost(&["SellerTradeParty", "URIUniversalCommunication"], 1),
    },
    Shape {
        id: "CII-SR-460",
        syntax: Syntax::Cii,
        at: &[At::Root(&[
            "CrossIndustryInvoice",
            "SupplyChainTradeTransaction",
            "ApplicableHeaderTradeAgreement",
        ])],
        check: Check::AtMost(&["BuyerTradeParty", "URIUniversalCommunication"], 1),
    },
    Shape {
        id: "CII-SR-461",
        syntax: Syntax::Cii,
        at: &[At::Root(&[
            "CrossIndustryInvoice",
            "SupplyChainTradeTransaction",
            "ApplicableHeaderTradeSettlement",
        ])],
        check: Check::AtMost(&["ApplicableTradeTax", "TaxPointDate"], 1),
    },
    Shape {
        id: "CII-SR-477",
        syntax: Syntax::Cii,
        at: &[At::Root(&[
            "CrossIndustryInvoice",
            "SupplyChainTradeTransaction",
            "ApplicableHeaderTradeSettlement",
            "SpecifiedTradeSettlementHeaderMonetarySummation",
        ])],
        check: Check::AtMost(&["LineTotalAmount"], 1),
    },
    Shape {
        id: "CII-SR-478",
        syntax: Syntax::Cii,
        at: &[At::Root(&[
            "CrossIndustryInvoice",
            "SupplyChainTradeTransaction",
            "ApplicableHeaderTradeSettlement",
            "SpecifiedTradeSettlementHeaderMonetarySummation",
        ])],
        check: Check::AtMost(&["ChargeTotalAmount"], 1),
    },
    Shape {
        id: "CII-SR-479",
        syntax: Syntax::Cii,
        at: &[At::Root(&[
            "CrossIndustryInvoice",
            "SupplyChainTradeTransaction",
            "ApplicableHeaderTradeSettlement",
            "SpecifiedTradeSettlementHeaderMonetarySummation",
        ])],
        check: Check::AtMost(&["AllowanceTotalAmount"], 1),
    },
    Shape {
        id: "CII-SR-480",
        syntax: Syntax::Cii,
        at: &[At::Root(&[
            "CrossIndustryInvoice",
            "SupplyChainTradeTransaction",
            "ApplicableHeaderTradeSettlement",
            "SpecifiedTradeSettlementHeaderMonetarySummation",
        ])],
        check: Check::AtMost(&["TaxBasisTotalAmount"], 1),
    },
    Shape {
        id: "CII-SR-481",
        syntax: Syntax::Cii,
        at: &[At::Root(&[
            "CrossIndustryInvoice",
            "SupplyChainTradeTransaction",
            "ApplicableHeaderTradeSettlement",
            "SpecifiedTradeSettlementHeaderMonetarySummation",
        ])],
        check: Check::AtMost(&["RoundingAmount"], 1),
    },
    Shape {
        id: "CII-SR-482",
        syntax: Syntax::Cii,
        at: &[At::Root(&[
            "CrossIndustryInvoice",
            "SupplyChainTradeTransaction",
            "ApplicableHeaderTradeSettlement",
            "SpecifiedTradeSettlementHeaderMonetarySummation",
        ])],
        check: Check::AtMost(&["GrandTotalAmount"], 1),
    },
    Shape {
        id: "CII-SR-483",
        syntax: Syntax::Cii,
        at: &[At::Root(&[
            "CrossIndustryInvoice",
            "SupplyChainTradeTransaction",
            "ApplicableHeaderTradeSettlement",
            "SpecifiedTradeSettlementHeaderMonetarySummation",
        ])],
        check: Check::AtMost(&["InformationAmount"], 1),
    },
    Shape {
        id: "CII-SR-484",
        syntax: Syntax::Cii,
        at: &[At::Root(&[
            "CrossIndustryInvoice",
            "SupplyChainTradeTransaction",
            "ApplicableHeaderTradeSettlement",
            "SpecifiedTradeSettlementHeaderMonetarySummation",
        ])],
        check: Check::AtMost(&["TotalPrepaidAmount"], 1),
    },
    Shape {
        id: "CII-SR-485",
        syntax: Syntax::Cii,
        at: &[At::Root(&[
            "CrossIndustryInvoice",
            "SupplyChainTradeTransaction",
            "ApplicableHeaderTradeSettlement",
            "SpecifiedTradeSettlementHeaderMonetarySummation",
        ])],
        check: Check::AtMost(&["TotalDiscountAmount"], 1),
    },
    Shape {
        id: "CII-SR-486",
        syntax: Syntax::Cii,
        at: &[At::Root(&[
            "CrossIndustryInvoice",
            "SupplyChainTradeTransaction",
            "ApplicableHeaderTradeSettlement",
            "SpecifiedTradeSettlementHeaderMonetarySummation",
        ])],
        check: Check::AtMost(&["TotalAllowanceChargeAmount"], 1),
    },
    Shape {
        id: "CII-SR-487",
        syntax: Syntax::Cii,
        at: &[At::Root(&[
            "CrossIndustryInvoice",
            "SupplyChainTradeTransaction",
            "ApplicableHeaderTradeSettlement",
            "SpecifiedTradeSettlementHeaderMonetarySummation",
        ])],
        check: Check::AtMost(&["DuePayableAmount"], 1),
    },
    Shape {
        id: "CII-SR-488",
        syntax: Syntax::Cii,
        at: &[At::Root(&[
            "CrossIndustryInvoice",
            "SupplyChainTradeTransaction",
            "ApplicableHeaderTradeSettlement",
            "SpecifiedTradeSettlementHeaderMonetarySummation",
        ])],
        check: Check::AtMost(&["RetailValueExcludingTaxInformationAmount"], 1),
    },
    Shape {
        id: "CII-SR-489",
        syntax: Syntax::Cii,
        at: &[At::Root(&[
            "CrossIndustryInvoice",
            "SupplyChainTradeTransaction",
            "ApplicableHeaderTradeSettlement",
            "SpecifiedTradeSettlementHeaderMonetarySummation",
        ])],
        check: Check::AtMost(&["TotalDepositFeeInformationAmount"], 1),
    },
    Shape {
        id: "CII-SR-490",
        syntax: Syntax::Cii,
        at: &[At::Root(&[
            "CrossIndustryInvoice",
            "SupplyChainTradeTransaction",
            "ApplicableHeaderTradeSettlement",
            "SpecifiedTradeSettlementHeaderMonetarySummation",
        ])],
        check: Check::AtMost(&["ProductValueExcludingTobaccoTaxInformationAmount"], 1),
    },
    Shape {
        id: "CII-SR-491",
        syntax: Syntax::Cii,
        at: &[At::Root(&[
            "CrossIndustryInvoice",
            "SupplyChainTradeTransaction",
            "ApplicableHeaderTradeSettlement",
            "SpecifiedTradeSettlementHeaderMonetarySummation",
        ])],
        check: Check::AtMost(&["TotalRetailValueInformationAmount"], 1),
    },
    Shape {
        id: "CII-SR-492",
        syntax: Syntax::Cii,
        at: &[At::Root(&[
            "CrossIndustryInvoice",
            "SupplyChainTradeTransaction",
            "ApplicableHeaderTradeSettlement",
            "SpecifiedTradeSettlementHeaderMonetarySummation",
        ])],
        check: Check::AtMost(&["GrossLineTotalAmount"], 1),
    },
    Shape {
        id: "CII-SR-493",
        syntax: Syntax::Cii,
        at: &[At::Root(&[
            "CrossIndustryInvoice",
            "SupplyChainTradeTransaction",
            "ApplicableHeaderTradeSettlement",
            "SpecifiedTradeSettlementHeaderMonetarySummation",
        ])],
        check: Check::AtMost(&["NetLineTotalAmount"], 1),
    },
    Shape {
        id: "CII-SR-494",
        syntax: Syntax::Cii,
        at: &[At::Root(&[
            "CrossIndustryInvoice",
            "SupplyChainTradeTransaction",
            "ApplicableHeaderTradeSettlement",
            "SpecifiedTradeSettlementHeaderMonetarySummation",
        ])],
        check: Check::AtMost(&["NetIncludingTaxesLineTotalAmount"], 1),
    },
    Shape {
        id: "CII-DT-013",
        syntax: Syntax::Cii,
        at: &[At::Root(&["CrossIndustryInvoice"])],
        check: Check::NoAttr("languageID"),
    },
    Shape {
        id: "CII-DT-014",
        syntax: Syntax::Cii,
        at: &[At::Root(&["CrossIndustryInvoice"])],
        check: Check::NoAttr("languageLocaleID"),
    },
    Shape {
        id: "CII-DT-001",
        syntax: Syntax::Cii,
        at: &[
            At::Root(&[
                "CrossIndustryInvoice",
                "ExchangedDocumentContext",
                "GuidelineSpecifiedDocumentContextParameter",
                "ID",
            ]),
            At::Root(&["CrossIndustryInvoice", "ExchangedDocument", "ID"]),
            At::Root(&[
                "CrossIndustryInvoice",
                "SupplyChainTradeTransaction",
                "IncludedSupplyChainTradeLineItem",
                "AssociatedDocumentLineDocument",
                "LineID",
            ]),
            At::Root(&[
                "CrossIndustryInvoice",
                "SupplyChainTradeTransaction",
                "IncludedSupplyChainTradeLineItem",
                "SpecifiedTradeProduct",
                "SellerAssignedID",
            ]),
        ],
        check: Check::NoAttr("schemeName"),
    },
    Shape {
        id: "CII-DT-002",
        syntax: Syntax::Cii,
        at: &[
            At::Root(&[
                "CrossIndustryInvoice",
                "ExchangedDocumentContext",
                "GuidelineSpecifiedDocumentContextParameter",
                "ID",
            ]),
            At::Root(&["CrossIndustryInvoice", "ExchangedDocument", "ID"]),
            At::Root(&[
                "CrossIndustryInvoice",
                "SupplyChainTradeTransaction",
                "IncludedSupplyChainTradeLineItem",
                "AssociatedDocumentLineDocument",
                "LineID",
            ]),
            At::Root(&[
                "CrossIndustryInvoice",
                "SupplyChainTradeTransaction",
                "IncludedSupplyChainTradeLineItem",
                "SpecifiedTradeProduct",
                "SellerAssignedID",
            ]),
        ],
        check: Check::NoAttr("schemeAgencyName"),
    },
    Shape {
        id: "CII-DT-003",
        syntax: Syntax::Cii,
        at: &[
            At::Root(&[
                "CrossIndustryInvoice",
                "ExchangedDocumentContext",
                "GuidelineSpecifiedDocumentContextParameter",
                "ID",
            ]),
            At::Root(&["CrossIndustryInvoice", "ExchangedDocument", "ID"]),
            At::Root(&[
                "CrossIndustryInvoice",
                "SupplyChainTradeTransaction",
                "IncludedSupplyChainTradeLineItem",
                "AssociatedDocumentLineDocument",
                "LineID",
            ]),
            At::Root(&[
                "CrossIndustryInvoice",
                "SupplyChainTradeTransaction",
                "IncludedSupplyChainTradeLineItem",
                "SpecifiedTradeProduct",
                "SellerAssignedID",
            ]),
        ],
        check: Check::NoAttr("schemeDataURI"),
    },
    Shape {
        id: "CII-DT-004",
        syntax: Syntax::Cii,
        at: &[
            At::Root(&[
                "CrossIndustryInvoice",
                "ExchangedDocumentContext",
                "GuidelineSpecifiedDocumentContextParameter",
                "ID",
            ]),
            At::Root(&["CrossIndustryInvoice", "ExchangedDocument", "ID"]),
            At::Root(&[
                "CrossIndustryInvoice",
                "SupplyChainTradeTransaction",
                "IncludedSupplyChainTradeLineItem",
                "AssociatedDocumentLineDocument",
                "LineID",
            ]),
            At::Root(&[
                "CrossIndustryInvoice",
                "SupplyChainTradeTransaction",
                "IncludedSupplyChainTradeLineItem",
                "SpecifiedTradeProduct",
                "SellerAssignedID",
            ]),
        ],
        check: Check::NoAttr("schemeURI"),
    },
    Shape {
        id: "CII-DT-005",
        syntax: Syntax::Cii,
        at: &[
            At::Root(&[
                "CrossIndustryInvoice",
                "ExchangedDocumentContext",
                "GuidelineSpecifiedDocumentContextParameter",
                "ID",
            ]),
            At::Root(&["CrossIndustryInvoice", "ExchangedDocument", "ID"]),
            At::Root(&[
                "CrossIndustryInvoice",
                "SupplyChainTradeTransaction",
                "IncludedSupplyChainTradeLineItem",
                "AssociatedDocumentLineDocument",
                "LineID",
            ]),
            At::Root(&[
                "CrossIndustryInvoice",
                "SupplyChainTradeTransaction",
                "IncludedSupplyChainTradeLineItem",
                "SpecifiedTradeProduct",
                "SellerAssignedID",
            ]),
        ],
        check: Check::NoAttr("schemeID"),
    },
    Shape {
        id: "CII-DT-006",
        syntax: Syntax::Cii,
        at: &[
            At::Root(&[
                "CrossIndustryInvoice",
                "ExchangedDocumentContext",
                "GuidelineSpecifiedDocumentContextParameter",
                "ID",
            ]),
            At::Root(&["CrossIndustryInvoice", "ExchangedDocument", "ID"]),
            At::Root(&[
                "CrossIndustryInvoice",
                "SupplyChainTradeTransaction",
                "IncludedSupplyChainTradeLineItem",
                "AssociatedDocumentLineDocument",
                "LineID",
            ]),
            At::Root(&[
                "CrossIndustryInvoice",
                "SupplyChainTradeTransaction",
                "IncludedSupplyChainTradeLineItem",
                "SpecifiedTradeProduct",
                "SellerAssignedID",
            ]),
        ],
        check: Check::NoAttr("schemeAgencyID"),
    },
    Shape {
        id: "CII-DT-007",
        syntax: Syntax::Cii,
        at: &[
            At::Root(&[
                "CrossIndustryInvoice",
                "ExchangedDocumentContext",
                "GuidelineSpecifiedDocumentContextParameter",
                "ID",
            ]),
            At::Root(&["CrossIndustryInvoice", "ExchangedDocument", "ID"]),
            At::Root(&[
                "CrossIndustryInvoice",
                "SupplyChainTradeTransaction",
                "IncludedSupplyChainTradeLineItem",
                "AssociatedDocumentLineDocument",
                "LineID",
            ]),
            At::Root(&[
                "CrossIndustryInvoice",
                "SupplyChainTradeTransaction",
                "IncludedSupplyChainTradeLineItem",
                "SpecifiedTradeProduct",
                "SellerAssignedID",
            ]),
        ],
        check: Check::NoAttr("schemeVersionID"),
    },
    Shape {
        id: "CII-DT-101",
        syntax: Syntax::Cii,
        at: &[At::EndsWith("ID")],
        check: Check::NoAttr("schemeName"),
    },
    Shape {
        id: "CII-DT-102",
        syntax: Syntax::Cii,
        at: &[At::EndsWith("ID")],
        check: Check::NoAttr("schemeAgencyName"),
    },
    Shape {
        id: "CII-DT-103",
        syntax: Syntax::Cii,
        at: &[At::EndsWith("ID")],
        check: Check::NoAttr("schemeDataURI"),
    },
    Shape {
        id: "CII-DT-104",
        syntax: Syntax::Cii,
        at: &[At::EndsWith("ID")],
        check: Check::NoAttr("schemeURI"),
    },
    Shape {
        id: "CII-DT-008",
        syntax: Syntax::Cii,
        at: &[At::Any(&["TypeCode"])],
        check: Check::NoAttr("name"),
    },
    Shape {
        id: "CII-DT-009",
        syntax: Syntax::Cii,
        at: &[At::Any(&["TypeCode"])],
        check: Check::NoAttr("listURI"),
    },
    Shape {
        id: "CII-DT-010",
        syntax: Syntax::Cii,
        at: &[At::Root(&[
            "CrossIndustryInvoice",
            "ExchangedDocument",
            "TypeCode",
        ])],
        check: Check::NoAttr("listID"),
    },
    Shape {
        id: "CII-DT-011",
        syntax: Syntax::Cii,
        at: &[At::Root(&[
            "CrossIndustryInvoice",
            "ExchangedDocument",
            "TypeCode",
        ])],
        check: Check::NoAttr("listAgencyID"),
    },
    Shape {
        id: "CII-DT-012",
        syntax: Syntax::Cii,
        at: &[At::Root(&[
            "CrossIndustryInvoice",
            "ExchangedDocument",
            "TypeCode",
        ])],
        check: Check::NoAttr("listVersionID"),
    },
    Shape {
        id: "CII-DT-016",
        syntax: Syntax::Cii,
        at: &[At::EndsWith("ReferencedDocument")],
        check: Check::Absent(&["StatusCode"]),
    },
    Shape {
        id: "CII-DT-017",
        syntax: Syntax::Cii,
        at: &[At::EndsWith("ReferencedDocument")],
        check: Check::Absent(&["CopyIndicator"]),
    },
    Shape {
        id: "CII-DT-019",
        syntax: Syntax::Cii,
        at: &[At::EndsWith("ReferencedDocument")],
        check: Check::Absent(&["GlobalID"]),
    },
    Shape {
        id: "CII-DT-020",
        syntax: Syntax::Cii,
        at: &[At::EndsWith("ReferencedDocument")],
        check: Check::Absent(&["RevisionID"]),
    },
    Shape {
        id: "CII-DT-023",
        syntax: Syntax::Cii,
        at: &[At::EndsWith("ReferencedDocument")],
        check: Check::Absent(&["Information"]),
    },
    Shape {
        id: "CII-DT-025",
        syntax: Syntax::Cii,
        at: &[At::EndsWith("ReferencedDocument")],
        check: Check::Absent(&["SectionName"]),
    },
    Shape {
        id: "CII-DT-026",
        syntax: Syntax::Cii,
        at: &[At::EndsWith("ReferencedDocument")],
        check: Check::Absent(&["PreviousRevisionID"]),
    },
    Shape {
        id: "CII-DT-028",
        syntax: Syntax::Cii,
        at: &[At::EndsWith("ReferencedDocument")],
        check: Check::Absent(&["EffectiveSpecifiedPeriod"]),
    },
    Shape {
        id: "CII-DT-029",
        syntax: Syntax::Cii,
        at: &[At::EndsWith("ReferencedDocument")],
        check: Check::Absent(&["IssuerTradeParty"]),
    },
    Shape {
        id: "CII-DT-030",
        syntax: Syntax::Cii,
        at: &[At::EndsWith("ReferencedDocument")],
        check: Check::Absent(&["AttachedSpecifiedBinaryFile"]),
    },
    Shape {
        id: "CII-DT-034",
        syntax: Syntax::Cii,
        at: &[At::EndsWith("Quantity")],
        check: Check::NoAttr("unitCodeListID"),
    },
    Shape {
        id: "CII-DT-035",
        syntax: Syntax::Cii,
        at: &[At::EndsWith("Quantity")],
        check: Check::NoAttr("unitCodeListAgencyID"),
    },
    Shape {
        id: "CII-DT-036",
        syntax: Syntax::Cii,
        at: &[At::EndsWith("Quantity")],
        check: Check::NoAttr("unitCodeListAgencyName"),
    },
    Shape {
        id: "CII-DT-068",
        syntax: Syntax::Cii,
        at: &[At::Any(&["BillingSpecifiedPeriod"])],
        check: Check::Absent(&["StartDateTime", "DateTime"]),
    },
    Shape {
        id: "CII-DT-069",
        syntax: Syntax::Cii,
        at: &[At::Any(&["BillingSpecifiedPeriod"])],
        check: Check::Absent(&["DurationMeasure"]),
    },
    Shape {
        id: "CII-DT-070",
        syntax: Syntax::Cii,
        at: &[At::Any(&["BillingSpecifiedPeriod"])],
        check: Check::Absent(&["InclusiveIndicator"]),
    },
    Shape {
        id: "CII-DT-071",
        syntax: Syntax::Cii,
        at: &[At::Any(&["BillingSpecifiedPeriod"])],
        check: Check::Absent(&["Description"]),
    },
    Shape {
        id: "CII-DT-072",
        syntax: Syntax::Cii,
        at: &[At::Any(&["BillingSpecifiedPeriod"])],
        check: Check::Absent(&["EndDateTime", "DateTime"]),
    },
    Shape {
        id: "CII-DT-073",
        syntax: Syntax::Cii,
        at: &[At::Any(&["BillingSpecifiedPeriod"])],
        check: Check::Absent(&["CompleteDateTime"]),
    },
    Shape {
        id: "CII-DT-074",
        syntax: Syntax::Cii,
        at: &[At::Any(&["BillingSpecifiedPeriod"])],
        check: Check::Absent(&["OpenIndicator"]),
    },
    Shape {
        id: "CII-DT-075",
        syntax: Syntax::Cii,
        at: &[At::Any(&["BillingSpecifiedPeriod"])],
        check: Check::Absent(&["SeasonCode"]),
    },
    Shape {
        id: "CII-DT-076",
        syntax: Syntax::Cii,
        at: &[At::Any(&["BillingSpecifiedPeriod"])],
        check: Check::Absent(&["ID"]),
    },
    Shape {
        id: "CII-DT-077",
        syntax: Syntax::Cii,
        at: &[At::Any(&["BillingSpecifiedPeriod"])],
        check: Check::Absent(&["Name"]),
    },
    Shape {
        id: "CII-DT-078",
        syntax: Syntax::Cii,
        at: &[At::Any(&["BillingSpecifiedPeriod"])],
        check: Check::Absent(&["SequenceNumeric"]),
    },
    Shape {
        id: "CII-DT-079",
        syntax: Syntax::Cii,
        at: &[At::Any(&["BillingSpecifiedPeriod"])],
        check: Check::Absent(&["StartDateFlexibilityCode"]),
    },
    Shape {
        id: "CII-DT-080",
        syntax: Syntax::Cii,
        at: &[At::Any(&["BillingSpecifiedPeriod"])],
        check: Check::Absent(&["ContinuousIndicator"]),
    },
    Shape {
        id: "CII-DT-081",
        syntax: Syntax::Cii,
        at: &[At::Any(&["BillingSpecifiedPeriod"])],
        check: Check::Absent(&["PurposeCode"]),
    },
    Shape {
        id: "CII-DT-082",
        syntax: Syntax::Cii,
        at: &[At::Any(&["PostalTradeAddress"])],
        check: Check::Absent(&["ID"]),
    },
    Shape {
        id: "CII-DT-083",
        syntax: Syntax::Cii,
        at: &[At::Any(&["PostalTradeAddress"])],
        check: Check::Absent(&["PostOfficeBox"]),
    },
    Shape {
        id: "CII-DT-084",
        syntax: Syntax::Cii,
        at: &[At::Any(&["PostalTradeAddress"])],
        check: Check::Absent(&["BuildingName"]),
    },
    Shape {
        id: "CII-DT-086",
        syntax: Syntax::Cii,
        at: &[At::Any(&["PostalTradeAddress"])],
        check: Check::Absent(&["LineFour"]),
    },
    Shape {
        id: "CII-DT-087",
        syntax: Syntax::Cii,
        at: &[At::Any(&["PostalTradeAddress"])],
        check: Check::Absent(&["LineFive"]),
    },
    Shape {
        id: "CII-DT-088",
        syntax: Syntax::Cii,
        at: &[At::Any(&["PostalTradeAddress"])],
        check: Check::Absent(&["StreetName"]),
    },
    Shape {
        id: "CII-DT-089",
        syntax: Syntax::Cii,
        at: &[At::Any(&["PostalTradeAddress"])],
        check: Check::Absent(&["CitySubDivisionName"]),
    },
    Shape {
        id: "CII-DT-090",
        syntax: Syntax::Cii,
        at: &[At::Any(&["PostalTradeAddress"])],
        check: Check::Absent(&["CountryName"]),
    },
    Shape {
        id: "CII-DT-091",
        syntax: Syntax::Cii,
        at: &[At::Any(&["PostalTradeAddress"])],
        check: Check::Absent(&["CountrySubDivisionID"]),
    },
    Shape {
        id: "CII-DT-092",
        syntax: Syntax::Cii,
        at: &[At::Any(&["PostalTradeAddress"])],
        check: Check::Absent(&["AttentionOf"]),
    },
    Shape {
        id: "CII-DT-093",
        syntax: Syntax::Cii,
        at: &[At::Any(&["PostalTradeAddress"])],
        check: Check::Absent(&["CareOf"]),
    },
    Shape {
        id: "CII-DT-094",
        syntax: Syntax::Cii,
        at: &[At::Any(&["PostalTradeAddress"])],
        check: Check::Absent(&["BuildingNumber"]),
    },
    Shape {
        id: "CII-DT-095",
        syntax: Syntax::Cii,
        at: &[At::Any(&["PostalTradeAddress"])],
        check: Check::Absent(&["DepartmentName"]),
    },
    Shape {
        id: "CII-DT-096",
        syntax: Syntax::Cii,
        at: &[At::Any(&["PostalTradeAddress"])],
        check: Check::Absent(&["AdditionalStreetName"]),
    },
    // Written by hand: the same assertions with a condition the generated
    // forms above do not express.
    Shape {
        id: "UBL-SR-51",
        syntax: Syntax::Ubl,
        at: &[At::Any(&["PostalAddress"]), At::Any(&["Address"])],
        check: Check::AtMost(&["AddressLine"], 1),
    },
    Shape {
        id: "UBL-SR-30",
        syntax: Syntax::Ubl,
        at: &[At::SelfHas(
            &["AllowanceCharge"],
            &["ChargeIndicator"],
            "false",
        )],
        check: Check::AtMost(&["AllowanceChargeReason"], 1),
    },
    Shape {
        id: "UBL-SR-31",
        syntax: Syntax::Ubl,
        at: &[At::SelfHas(
            &["AllowanceCharge"],
            &["ChargeIndicator"],
            "true",
        )],
        check: Check::AtMost(&["AllowanceChargeReason"], 1),
    },
    Shape {
        id: "UBL-SR-53",
        syntax: Syntax::Ubl,
        at: &[At::Any(&["PartyTaxScheme"])],
        check: Check::Present(&["TaxScheme", "ID"]),
    },
    Shape {
        id: "UBL-SR-53",
        syntax: Syntax::Ubl,
        at: &[At::Any(&["PartyTaxScheme"])],
        check: Check::Present(&["CompanyID"]),
    },
    Shape {
        id: "UBL-CR-666",
        syntax: Syntax::Ubl,
        at: &[At::SelfHas(
            &["AdditionalDocumentReference"],
            &["DocumentTypeCode"],
            "130",
        )],
        check: Check::Absent(&["Attachment"]),
    },
    Shape {
        id: "UBL-CR-673",
        syntax: Syntax::Ubl,
        at: &[At::SelfHas(
            &["AdditionalDocumentReference"],
            &["DocumentTypeCode"],
            "130",
        )],
        check: Check::Absent(&["DocumentDescription"]),
    },
    Shape {
        id: "UBL-SR-44",
        syntax: Syntax::Ubl,
        at: &[At::Root(&["Invoice"]), At::Root(&["CreditNote"])],
        check: Check::AllSame(&["PaymentID"]),
    },
    Shape {
        id: "UBL-SR-47",
        syntax: Syntax::Ubl,
        at: &[At::Root(&["Invoice"]), At::Root(&["CreditNote"])],
        check: Check::AllSame(&["PaymentMeansCode"]),
    },
    Shape {
        id: "CII-SR-462",
        syntax: Syntax::Cii,
        at: &[At::Root(&["CrossIndustryInvoice"])],
        check: Check::AllSame(&["ApplicableTradeTax", "DueDateTypeCode"]),
    },
    Shape {
        id: "CII-SR-467",
        syntax: Syntax::Cii,
        at: &[At::Root(&["CrossIndustryInvoice"])],
        check: Check::AllSame(&["SpecifiedTradeSettlementPaymentMeans", "TypeCode"]),
    },
    Shape {
        id: "CII-SR-468",
        syntax: Syntax::Cii,
        at: &[At::Root(&["CrossIndustryInvoice"])],
        check: Check::AllSame(&["SpecifiedTradeSettlementPaymentMeans", "Information"]),
    },
    Shape {
        id: "CII-SR-469",
        syntax: Syntax::Cii,
        at: &[At::Root(&[
            "CrossIndustryInvoice",
            "SupplyChainTradeTransaction",
            "ApplicableHeaderTradeSettlement",
        ])],
        check: Check::AtMost(&["PaymentReference"], 1),
    },
    Shape {
        id: "CII-DT-037",
        syntax: Syntax::Cii,
        at: &[At::EndsWith("TradeTax")],
        check: Check::IfPresentIs(&["TypeCode"], "VAT"),
    },
    Shape {
        id: "CII-DT-097",
        syntax: Syntax::Cii,
        at: &[At::Any(&["DateTimeString"])],
        check: Check::Date102,
    },
    Shape {
        id: "UBL-SR-04",
        syntax: Syntax::Ubl,
        at: &[At::Root(&["Invoice"]), At::Root(&["CreditNote"])],
        check: Check::CountWhere {
            path: &["AdditionalDocumentReference"],
            cond: Cond::ChildIs(&["DocumentTypeCode"], "130"),
            then: &["ID"],
            max: 1,
        },
    },
    Shape {
        id: "UBL-SR-12",
        syntax: Syntax::Ubl,
        at: &[At::Root(&["Invoice"]), At::Root(&["CreditNote"])],
        check: Check::CountWhere {
            path: &["AccountingSupplierParty", "Party", "PartyTaxScheme"],
            cond: Cond::ChildIs(&["TaxScheme", "ID"], "VAT"),
            then: &["CompanyID"],
            max: 1,
        },
    },
    Shape {
        id: "UBL-SR-13",
        syntax: Syntax::Ubl,
        at: &[At::Root(&["Invoice"]), At::Root(&["CreditNote"])],
        check: Check::CountWhere {
            path: &["AccountingSupplierParty", "Party", "PartyTaxScheme"],
            cond: Cond::ChildIsNot(&["TaxScheme", "ID"], "VAT"),
            then: &["CompanyID"],
            max: 1,
        },
    },
    Shape {
        id: "UBL-SR-18",
        syntax: Syntax::Ubl,
        at: &[At::Root(&["Invoice"]), At::Root(&["CreditNote"])],
        check: Check::CountWhere {
            path: &["AccountingCustomerParty", "Party", "PartyTaxScheme"],
            cond: Cond::ChildIs(&["TaxScheme", "ID"], "VAT"),
            then: &["CompanyID"],
            max: 1,
        },
    },
    Shape {
        id: "UBL-SR-29",
        syntax: Syntax::Ubl,
        at: &[At::Root(&["Invoice"]), At::Root(&["CreditNote"])],
        check: Check::CountWhere {
            path: &["PartyIdentification", "ID"],
            cond: Cond::AttrIs("schemeID", "SEPA"),
            then: &[],
            max: 1,
        },
    },
    Shape {
        id: "UBL-SR-46",
        syntax: Syntax::Ubl,
        at: &[At::Root(&["Invoice"]), At::Root(&["CreditNote"])],
        check: Check::CountWhere {
            path: &["PaymentMeans", "PaymentMeansCode"],
            cond: Cond::HasAttr("name"),
            then: &[],
            max: 1,
        },
    },
    Shape {
        id: "UBL-SR-19",
        syntax: Syntax::Ubl,
        at: &[At::Any(&["PayeeParty"])],
        check: Check::AtMost(&["PartyName", "Name"], 1),
    },
    Shape {
        id: "UBL-SR-20",
        syntax: Syntax::Ubl,
        at: &[At::Any(&["PayeeParty"])],
        check: Check::CountWhere {
            path: &["PayeeParty", "PartyIdentification", "ID"],
            cond: Cond::AttrIsNot("schemeID", "SEPA"),
            then: &[],
            max: 1,
        },
    },
    Shape {
        id: "UBL-SR-21",
        syntax: Syntax::Ubl,
        at: &[At::Any(&["PayeeParty"])],
        check: Check::AtMost(&["PartyLegalEntity", "CompanyID"], 1),
    },
    Shape {
        id: "UBL-SR-19",
        syntax: Syntax::Ubl,
        at: &[At::Any(&["PayeeParty"])],
        check: Check::PayeeNotSeller,
    },
    Shape {
        id: "UBL-SR-43",
        syntax: Syntax::Ubl,
        at: &[At::Any(&["AdditionalDocumentReference"])],
        check: Check::DocumentKind,
    },
    Shape {
        id: "UBL-DT-01",
        syntax: Syntax::Ubl,
        at: &[At::EndsWith("Amount")],
        check: Check::AmountDecimals,
    },
    Shape {
        id: "CII-SR-046",
        syntax: Syntax::Cii,
        at: &[At::Root(&[
            "CrossIndustryInvoice",
            "SupplyChainTradeTransaction",
            "IncludedSupplyChainTradeLineItem",
            "SpecifiedTradeProduct",
            "GlobalID",
        ])],
        check: Check::Attr("schemeID"),
    },
    Shape {
        id: "CII-SR-090",
        syntax: Syntax::Cii,
        at: &[At::Root(&[
            "CrossIndustryInvoice",
            "SupplyChainTradeTransaction",
            "IncludedSupplyChainTradeLineItem",
            "SpecifiedTradeProduct",
            "OriginTradeCountry",
        ])],
        check: Check::Exactly(&["ID"], 1),
    },
    Shape {
        id: "CII-DT-015",
        syntax: Syntax::Cii,
        at: &[At::EndsWith("ReferencedDocument")],
        check: Check::AbsentUnless(&["URIID"], ATTACHED),
    },
    Shape {
        id: "CII-DT-018",
        syntax: Syntax::Cii,
        at: &[At::EndsWith("ReferencedDocument")],
        check: Check::AbsentUnless(
            &["TypeCode"],
            &[
                At::SelfHas(&["AdditionalReferencedDocument"], &["TypeCode"], "50"),
                At::SelfHas(&["AdditionalReferencedDocument"], &["TypeCode"], "130"),
                At::SelfHas(&["AdditionalReferencedDocument"], &["TypeCode"], "916"),
            ],
        ),
    },
    Shape {
        id: "CII-DT-021",
        syntax: Syntax::Cii,
        at: &[At::EndsWith("ReferencedDocument")],
        check: Check::AbsentUnless(&["Name"], ATTACHED),
    },
    Shape {
        id: "CII-DT-022",
        syntax: Syntax::Cii,
        at: &[At::EndsWith("ReferencedDocument")],
        check: Check::AbsentUnless(&["AttachmentBinaryObject"], ATTACHED),
    },
    Shape {
        id: "CII-DT-024",
        syntax: Syntax::Cii,
        at: &[At::EndsWith("ReferencedDocument")],
        check: Check::AbsentUnless(
            &["ReferenceTypeCode"],
            &[At::SelfHas(
                &["AdditionalReferencedDocument"],
                &["TypeCode"],
                "130",
            )],
        ),
    },
    Shape {
        id: "CII-DT-027",
        syntax: Syntax::Cii,
        at: &[At::EndsWith("ReferencedDocument")],
        check: Check::AbsentUnless(
            &["FormattedIssueDateTime"],
            &[At::Any(&["InvoiceReferencedDocument"])],
        ),
    },
    Shape {
        id: "CII-DT-031",
        syntax: Syntax::Cii,
        at: &[At::EndsWithBut("Amount", "TaxTotalAmount")],
        check: Check::NoAttr("currencyID"),
    },
    Shape {
        id: "CII-DT-032",
        syntax: Syntax::Cii,
        at: &[At::EndsWithBut("Amount", "TaxTotalAmount")],
        check: Check::NoAttr("currencyCodeListVersionID"),
    },
    Shape {
        id: "CII-DT-033",
        syntax: Syntax::Cii,
        at: &[At::EndsWith("Quantity")],
        check: Check::UnitWithBilled,
    },
];
