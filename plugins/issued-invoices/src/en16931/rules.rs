//! The EN 16931 business rules, checked on the model: presence (BR-01…),
//! calculations (BR-CO-…), decimals (BR-DEC-…), the code lists that matter
//! here (BR-CL-…) and the ten rules of each VAT category (BR-S-…, BR-Z-…,
//! BR-E-…, BR-AE-…, BR-IC-…, BR-G-…, BR-O-…, BR-AF-…, BR-AG-…). Each rule
//! follows the CEN/TC 434 validation artefacts (their tolerances included),
//! so a file they accept is accepted here and one they refuse is refused
//! with the same rule id.

use super::decimal::Dec;
use super::findings::{CATEGORIES, Finding, place as place_msg, place_in};
use super::model::{AllowanceCharge, Invoice, Profile, Syntax};
use portico_sdk::i18n::{self, Arg};

/// Invoice type codes of UNTDID 1001 that EN 16931 allows (BR-CL-01).
pub const INVOICE_TYPES: &str = " 71 80 81 82 84 102 130 202 203 204 211 218 219 295 325 326 331 380 382 383 384 385 386 387 388 389 390 393 394 395 456 457 471 472 473 500 501 527 553 575 623 633 751 780 817 870 875 876 877 935 ";
/// Credit note type codes of UNTDID 1001 (BR-CL-01).
pub const CREDIT_NOTE_TYPES: &str = " 81 83 261 262 296 308 381 396 420 458 502 503 532 ";
pub use super::codes::CURRENCIES;
use super::codes::{UNCL_5305 as VAT_CATEGORIES, listed};

fn show(d: Option<Dec>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

fn sum(items: impl IntoIterator<Item = Option<Dec>>) -> Dec {
    Dec::sum(items.into_iter().flatten()).unwrap_or(Dec::ZERO)
}

fn add(a: Dec, b: Dec) -> Dec {
    a.checked_add(b).unwrap_or(a)
}

fn sub(a: Dec, b: Dec) -> Dec {
    a.checked_sub(b).unwrap_or(a)
}

/// Within one currency unit, as the artefacts' `± 1` tolerances.
fn within_one(a: Dec, b: Dec) -> bool {
    sub(a, b).abs() < Dec::int(1)
}

/// Checks `inv` against the EN 16931 rules; empty when it conforms.
pub fn check(inv: &Invoice) -> Vec<Finding> {
    let mut c = Check {
        inv,
        out: Vec::new(),
    };
    c.document();
    c.parties();
    c.lines();
    c.allowances_charges();
    c.totals();
    c.vat();
    c.categories();
    c.out
}

struct Check<'a> {
    inv: &'a Invoice,
    out: Vec<Finding>,
}

impl Check<'_> {
    fn f(
        &mut self,
        rule: impl Into<String>,
        term: &'static str,
        found: impl Into<String>,
        expected: impl Into<String>,
    ) {
        self.out.push(Finding::new(rule, term, found, expected));
    }

    fn at(
        &mut self,
        place: String,
        rule: impl Into<String>,
        term: &'static str,
        found: impl Into<String>,
        expected: impl Into<String>,
    ) {
        self.out
            .push(Finding::new(rule, term, found, expected).at_message(place));
    }

    fn document(&mut self) {
        let inv = self.inv;
        for (rule, term, v) in [
            ("BR-01", "BT-24", &inv.specification),
            ("BR-02", "BT-1", &inv.number),
            ("BR-03", "BT-2", &inv.issue_date),
            ("BR-04", "BT-3", &inv.type_code),
            ("BR-05", "BT-5", &inv.currency),
        ] {
            if v.is_none() {
                self.f(rule, term, "", "");
            }
        }
        if let Some(code) = &inv.type_code {
            let list = if inv.credit_note {
                CREDIT_NOTE_TYPES
            } else {
                INVOICE_TYPES
            };
            // CII has one document for both: the artefacts list every code.
            let either = inv.syntax == Syntax::Cii
                && (listed(INVOICE_TYPES, code) || listed(CREDIT_NOTE_TYPES, code));
            if !listed(list, code) && !either {
                let example = if inv.credit_note { "381" } else { "380" };
                self.f("BR-CL-01", "BT-3", code.clone(), example);
            }
        }
        if let Some(cur) = &inv.currency
            && !listed(CURRENCIES, cur)
        {
            self.f("BR-CL-04", "BT-5", cur.clone(), "EUR");
        }
        if let Some(cur) = &inv.vat_currency
            && !listed(CURRENCIES, cur)
        {
            self.f("BR-CL-05", "BT-6", cur.clone(), "EUR");
        }
        // With BT-6 equal to BT-5 the VAT total (BT-110) is also BT-111.
        let same = inv.vat_currency == inv.currency && inv.totals.vat.is_some();
        if inv.vat_currency.is_some() && inv.totals.vat_accounting.is_none() && !same {
            self.f("BR-53", "BT-111", "", "");
        }
        if inv.tax_point_date.is_some() && inv.tax_point_code.is_some() {
            self.f(
                "BR-CO-03",
                "BT-8",
                inv.tax_point_code.clone().unwrap_or_default(),
                "",
            );
        }
        if let Some(p) = &inv.period {
            if p.start.is_none() && p.end.is_none() && inv.tax_point_code.is_none() {
                self.f("BR-CO-19", "BG-14", "", "");
            }
            if let (Some(s), Some(e)) = (&p.start, &p.end)
                && e < s
            {
                self.f("BR-29", "BT-74", e.clone(), s.clone());
            }
        }
        for p in &inv.preceding {
            if p.number.is_none() {
                self.f("BR-55", "BT-25", "", "");
            }
        }
        for a in &inv.attachments {
            if a.id.is_none() {
                self.f("BR-52", "BT-122", "", "");
            }
        }
        for pm in &inv.payment_means {
            match pm.code.as_deref() {
                None => self.f("BR-49", "BT-81", "", ""),
                Some("30" | "58") if pm.accounts.iter().all(|a| a.is_empty()) => {
                    self.f("BR-61", "BT-84", "", "")
                }
                _ => {}
            }
            if pm.accounts.iter().any(|a| a.is_empty()) {
                self.f("BR-50", "BT-84", "", "");
            }
        }
        // Not on a UBL credit note (the artefacts check invoices only).
        // Minimum profile files carry no payment terms: the PDF does.
        if let Some(due) = self.inv.totals.payable
            && !inv.credit_note
            && inv.profile() != Profile::Minimum
            && due > Dec::ZERO
            && inv.due_date.is_none()
            && inv.payment_terms.is_none()
        {
            self.f("BR-CO-25", "BT-9", "", "");
        }
    }

    fn parties(&mut self) {
        let inv = self.inv;
        let minimum = inv.profile() == Profile::Minimum;
        if inv.seller.name.is_none() {
            self.f("BR-06", "BT-27", "", "");
        }
        if inv.buyer.name.is_none() {
            self.f("BR-07", "BT-44", "", "");
        }
        if !minimum {
            match &inv.seller.address {
                None => self.f("BR-08", "BG-5", "", ""),
                Some(a) if a.country.is_none() => self.f("BR-09", "BT-40", "", ""),
                _ => {}
            }
            match &inv.buyer.address {
                None => self.f("BR-10", "BG-8", "", ""),
                Some(a) if a.country.is_none() => self.f("BR-11", "BT-55", "", ""),
                _ => {}
            }
        }
        let s = &inv.seller;
        if s.ids.is_empty() && s.legal_id.is_none() && s.vat_id.is_none() {
            self.f("BR-CO-26", "BT-29", "", "");
        }
        if let Some(a) = &s.electronic_address
            && a.scheme.is_none()
        {
            self.f("BR-62", "BT-34", a.value.clone(), "");
        }
        if let Some(a) = &inv.buyer.electronic_address
            && a.scheme.is_none()
        {
            self.f("BR-63", "BT-49", a.value.clone(), "");
        }
        if let Some(p) = &inv.payee
            && p.name.is_none()
        {
            self.f("BR-17", "BT-59", "", "");
        }
        if let Some(t) = &inv.tax_representative {
            if t.name.is_none() {
                self.f("BR-18", "BT-62", "", "");
            }
            match &t.address {
                None => self.f("BR-19", "BG-12", "", ""),
                Some(a) if a.country.is_none() => self.f("BR-20", "BT-69", "", ""),
                _ => {}
            }
            if t.vat_id.is_none() {
                self.f("BR-56", "BT-63", "", "");
            }
        }
        let vat_ids = [
            (inv.seller.vat_id.as_ref(), "BT-31"),
            (inv.buyer.vat_id.as_ref(), "BT-48"),
            (
                inv.tax_representative
                    .as_ref()
                    .and_then(|t| t.vat_id.as_ref()),
                "BT-63",
            ),
        ];
        for (id, term) in vat_ids {
            if let Some(id) = id {
                let prefix_ok =
                    id.len() >= 2 && id.as_bytes()[..2].iter().all(u8::is_ascii_uppercase);
                if !prefix_ok {
                    self.f("BR-CO-09", term, id.clone(), "FR12345678901");
                }
            }
        }
    }

    fn lines(&mut self) {
        let inv = self.inv;
        if !inv.profile().has_lines() {
            return;
        }
        if inv.lines.is_empty() {
            self.f("BR-16", "BG-25", "", "");
        }
        for (i, l) in inv.lines.iter().enumerate() {
            let n = l.id.clone().unwrap_or_else(|| (i + 1).to_string());
            let place = place_msg("line", &[("n", Arg::Text(&n))]);
            let p = || place.clone();
            if l.id.is_none() {
                self.at(p(), "BR-21", "BT-126", "", "");
            }
            if l.quantity.is_none() {
                self.at(p(), "BR-22", "BT-129", "", "");
            }
            if l.quantity.is_some() && l.unit.is_none() {
                self.at(p(), "BR-23", "BT-130", "", "");
            }
            match l.net {
                None => self.at(p(), "BR-24", "BT-131", "", ""),
                Some(n) if n.decimals() > 2 => {
                    self.at(p(), "BR-DEC-23", "BT-131", n.to_string(), "")
                }
                _ => {}
            }
            if l.name.is_none() {
                self.at(p(), "BR-25", "BT-153", "", "");
            }
            match l.net_price {
                None => self.at(p(), "BR-26", "BT-146", "", ""),
                Some(pr) if pr.is_negative() => self.at(p(), "BR-27", "BT-146", pr.to_string(), ""),
                _ => {}
            }
            if let Some(g) = l.gross_price
                && g.is_negative()
            {
                self.at(p(), "BR-28", "BT-148", g.to_string(), "");
            }
            if l.vat_category.is_none() {
                self.at(p(), "BR-CO-04", "BT-151", "", "");
            }
            if let Some(c) = &l.vat_category
                && !listed(VAT_CATEGORIES, c)
            {
                self.at(p(), "BR-CL-18", "BT-151", c.clone(), "");
            }
            if let Some(per) = &l.period {
                if per.start.is_none() && per.end.is_none() {
                    self.at(p(), "BR-CO-20", "BG-26", "", "");
                }
                if let (Some(s), Some(e)) = (&per.start, &per.end)
                    && e < s
                {
                    self.at(p(), "BR-30", "BT-135", e.clone(), s.clone());
                }
            }
            if let Some(id) = &l.standard_id
                && id.scheme.is_none()
            {
                self.at(p(), "BR-64", "BT-157", id.value.clone(), "");
            }
            for ac in &l.allowances_charges {
                let (amount_rule, reason_rule, term, dec) = if ac.charge {
                    ("BR-43", "BR-44", "BT-141", ("BR-DEC-27", "BR-DEC-28"))
                } else {
                    ("BR-41", "BR-42", "BT-136", ("BR-DEC-24", "BR-DEC-25"))
                };
                match ac.amount {
                    None => self.at(p(), amount_rule, term, "", ""),
                    Some(a) if a.decimals() > 2 => self.at(p(), dec.0, term, a.to_string(), ""),
                    _ => {}
                }
                if let Some(b) = ac.base
                    && b.decimals() > 2
                {
                    self.at(p(), dec.1, term, b.to_string(), "");
                }
                if ac.reason.is_none() && ac.reason_code.is_none() {
                    self.at(p(), reason_rule, term, "", "");
                }
            }
        }
    }

    fn allowances_charges(&mut self) {
        for (i, ac) in self.inv.allowances_charges.iter().enumerate() {
            let (what, rules, term) = if ac.charge {
                (
                    "charge",
                    ["BR-36", "BR-37", "BR-38", "BR-DEC-05", "BR-DEC-06"],
                    "BT-99",
                )
            } else {
                (
                    "allowance",
                    ["BR-31", "BR-32", "BR-33", "BR-DEC-01", "BR-DEC-02"],
                    "BT-92",
                )
            };
            let place = place_msg(what, &[("n", Arg::Text(&(i + 1).to_string()))]);
            match ac.amount {
                None => self.at(place.clone(), rules[0], term, "", ""),
                Some(a) if a.decimals() > 2 => {
                    self.at(place.clone(), rules[3], term, a.to_string(), "")
                }
                _ => {}
            }
            if let Some(b) = ac.base
                && b.decimals() > 2
            {
                self.at(place.clone(), rules[4], term, b.to_string(), "");
            }
            match &ac.vat_category {
                None => self.at(place.clone(), rules[1], term, "", ""),
                Some(c) if !listed(VAT_CATEGORIES, c) => {
                    self.at(place.clone(), "BR-CL-18", term, c.clone(), "")
                }
                _ => {}
            }
            if ac.reason.is_none() && ac.reason_code.is_none() {
                self.at(place, rules[2], term, "", "");
            }
        }
    }

    fn totals(&mut self) {
        let inv = self.inv;
        let t = &inv.totals;
        let lines = inv.profile().has_lines();
        let minimum = inv.profile() == Profile::Minimum;
        let line_sum = sum(inv.lines.iter().map(|l| l.net)).round(2);
        let acs = |charge: bool| {
            sum(inv
                .allowances_charges
                .iter()
                .filter(|a| a.charge == charge)
                .map(|a| a.amount))
            .round(2)
        };
        let (allowances, charges) = (acs(false), acs(true));
        if t.line_net.is_none() && !minimum {
            self.f(
                "BR-12",
                "BT-106",
                "",
                if lines {
                    line_sum.fixed(2)
                } else {
                    String::new()
                },
            );
        }
        let without = t.line_net.map(|l| {
            add(
                sub(l, t.allowances.unwrap_or(Dec::ZERO)),
                t.charges.unwrap_or(Dec::ZERO),
            )
            .round(2)
        });
        if t.without_vat.is_none() {
            self.f(
                "BR-13",
                "BT-109",
                "",
                without.map(|w| w.fixed(2)).unwrap_or_default(),
            );
        }
        let with = t
            .without_vat
            .map(|w| add(w, t.vat.unwrap_or(Dec::ZERO)).round(2));
        if t.with_vat.is_none() {
            self.f(
                "BR-14",
                "BT-112",
                "",
                with.map(|w| w.fixed(2)).unwrap_or_default(),
            );
        }
        let due = t.with_vat.map(|w| {
            add(
                sub(w, t.prepaid.unwrap_or(Dec::ZERO)),
                t.rounding.unwrap_or(Dec::ZERO),
            )
            .round(2)
        });
        if t.payable.is_none() {
            self.f(
                "BR-15",
                "BT-115",
                "",
                due.map(|d| d.fixed(2)).unwrap_or_default(),
            );
        }
        for (v, rule, term) in [
            (t.line_net, "BR-DEC-09", "BT-106"),
            (t.allowances, "BR-DEC-10", "BT-107"),
            (t.charges, "BR-DEC-11", "BT-108"),
            (t.without_vat, "BR-DEC-12", "BT-109"),
            (t.vat, "BR-DEC-13", "BT-110"),
            (t.vat_accounting, "BR-DEC-15", "BT-111"),
            (t.with_vat, "BR-DEC-14", "BT-112"),
            (t.prepaid, "BR-DEC-16", "BT-113"),
            (t.rounding, "BR-DEC-17", "BT-114"),
            (t.payable, "BR-DEC-18", "BT-115"),
        ] {
            if let Some(v) = v
                && v.decimals() > 2
            {
                self.f(rule, term, v.to_string(), "");
            }
        }
        if lines
            && !inv.lines.is_empty()
            && let Some(l) = t.line_net
            && l != line_sum
        {
            self.f("BR-CO-10", "BT-106", l.to_string(), line_sum.fixed(2));
        }
        let has = |charge: bool| inv.allowances_charges.iter().any(|a| a.charge == charge);
        match t.allowances {
            Some(a) if a != allowances => {
                self.f("BR-CO-11", "BT-107", a.to_string(), allowances.fixed(2))
            }
            None if has(false) => self.f("BR-CO-11", "BT-107", "", allowances.fixed(2)),
            _ => {}
        }
        match t.charges {
            Some(c) if c != charges => {
                self.f("BR-CO-12", "BT-108", c.to_string(), charges.fixed(2))
            }
            None if has(true) => self.f("BR-CO-12", "BT-108", "", charges.fixed(2)),
            _ => {}
        }
        if let (Some(w), Some(expected)) = (t.without_vat, without)
            && w != expected
        {
            self.f("BR-CO-13", "BT-109", w.to_string(), expected.fixed(2));
        }
        if let (Some(w), Some(expected)) = (t.with_vat, with)
            && w != expected
        {
            self.f("BR-CO-15", "BT-112", w.to_string(), expected.fixed(2));
        } else if let Some(extra) = t.vat_extra.first() {
            // A second VAT total, or one in a currency that is neither the
            // invoice's nor the VAT accounting one.
            self.f("BR-CO-15", "BT-110", extra.to_string(), show(t.vat));
        } else if inv.syntax == Syntax::Ubl && t.vat.is_none() && t.with_vat.is_some() {
            // UBL states the VAT total in the invoice currency exactly once.
            self.f("BR-CO-15", "BT-110", "", "0.00");
        }
        // Factur-X Minimum has no prepaid amount (BT-113) nor rounding
        // (BT-114): the amount due may rightly differ from the total, and
        // Factur-X's Minimum schematron does not carry BR-CO-16.
        if let (Some(d), Some(expected)) = (t.payable, due)
            && d != expected
            && inv.profile() != Profile::Minimum
        {
            self.f("BR-CO-16", "BT-115", d.to_string(), expected.fixed(2));
        }
    }

    fn vat(&mut self) {
        let inv = self.inv;
        if inv.vat_breakdown.is_empty() {
            if inv.profile() != Profile::Minimum {
                self.f("BR-CO-18", "BG-23", "", "");
            }
            return;
        }
        let total = sum(inv.vat_breakdown.iter().map(|b| b.amount)).round(2);
        if let Some(v) = inv.totals.vat
            && v != total
        {
            self.f("BR-CO-14", "BT-110", v.to_string(), total.fixed(2));
        }
        for b in &inv.vat_breakdown {
            let category = b.category.clone().unwrap_or_default();
            let rate = b.rate.map(|r| format!(" {r} %")).unwrap_or_default();
            let place = place_msg(
                "breakdown",
                &[
                    ("category", Arg::Text(&category)),
                    ("rate", Arg::Text(&rate)),
                ],
            );
            let p = || place.clone();
            match b.base {
                None => self.at(p(), "BR-45", "BT-116", "", ""),
                Some(v) if v.decimals() > 2 => {
                    self.at(p(), "BR-DEC-19", "BT-116", v.to_string(), "")
                }
                _ => {}
            }
            match b.amount {
                None => self.at(p(), "BR-46", "BT-117", "", ""),
                Some(v) if v.decimals() > 2 => {
                    self.at(p(), "BR-DEC-20", "BT-117", v.to_string(), "")
                }
                _ => {}
            }
            match &b.category {
                None => self.at(p(), "BR-47", "BT-118", "", ""),
                Some(c) if !listed(VAT_CATEGORIES, c) => {
                    self.at(p(), "BR-CL-18", "BT-118", c.clone(), "")
                }
                _ => {}
            }
            if b.rate.is_none() && b.category.as_deref() != Some("O") {
                self.at(p(), "BR-48", "BT-119", "", "");
            }
            if b.rate.is_none()
                && let Some(amount) = b.amount
                && !amount.round(0).is_zero()
            {
                self.at(p(), "BR-CO-17", "BT-117", amount.to_string(), "0.00");
            }
            if let (Some(base), Some(amount), Some(rate)) = (b.base, b.amount, b.rate) {
                let expected = base
                    .abs()
                    .checked_mul(rate)
                    .and_then(|x| x.checked_div(Dec::int(100), 2))
                    .unwrap_or(Dec::ZERO);
                // CII's artefact accepts a difference of exactly 1, UBL's not.
                let ok = if rate.round(0).is_zero() {
                    amount.round(0).is_zero()
                } else if inv.syntax == Syntax::Cii {
                    sub(amount.abs(), expected).abs() <= Dec::int(1)
                } else {
                    within_one(amount.abs(), expected)
                };
                if !ok {
                    self.at(
                        p(),
                        "BR-CO-17",
                        "BT-117",
                        amount.to_string(),
                        expected.fixed(2),
                    );
                }
            }
        }
    }

    /// The ten rules of each VAT category, and the O-specific four.
    fn categories(&mut self) {
        let inv = self.inv;
        let lines_have = |cat: &str| {
            inv.lines
                .iter()
                .any(|l| l.vat_category.as_deref() == Some(cat))
        };
        let acs_have = |cat: &str, charge: bool| {
            inv.allowances_charges
                .iter()
                .any(|a| a.charge == charge && a.vat_category.as_deref() == Some(cat))
        };
        let seller_tax = inv.seller.vat_id.is_some()
            || inv.seller.tax_registration.is_some()
            || inv
                .tax_representative
                .as_ref()
                .is_some_and(|t| t.vat_id.is_some());
        let seller_vat = inv.seller.vat_id.is_some()
            || inv
                .tax_representative
                .as_ref()
                .is_some_and(|t| t.vat_id.is_some());
        let buyer_vat = inv.buyer.vat_id.is_some();
        let buyer_legal = inv.buyer.legal_id.is_some();
        // Split payment (B) is Italian only, and never beside S.
        let in_breakdown = |cat: &str| {
            inv.vat_breakdown
                .iter()
                .any(|b| b.category.as_deref() == Some(cat))
        };
        let anywhere = |cat: &str| {
            lines_have(cat) || acs_have(cat, false) || acs_have(cat, true) || in_breakdown(cat)
        };
        if anywhere("B") {
            let parties = [
                Some(&inv.seller),
                Some(&inv.buyer),
                inv.payee.as_ref(),
                inv.tax_representative.as_ref(),
            ];
            let countries = parties
                .into_iter()
                .flatten()
                .filter_map(|p| p.address.as_ref()?.country.clone())
                .chain(inv.delivery_country.clone());
            if let Some(other) = countries.into_iter().find(|c| c != "IT") {
                self.f("BR-B-01", "BT-40", other, "IT");
            }
            if anywhere("S") {
                self.f("BR-B-02", "BT-118", "S", "");
            }
        }
        for (cat, prefix, _) in CATEGORIES {
            let rule = |n: &str| format!("BR-{prefix}-{n}");
            let name = i18n::message(&format!("en16931.category.{cat}"), &[]);
            let place = place_msg(
                "category",
                &[("code", Arg::Text(cat)), ("name", Arg::Message(&name))],
            );
            let used = lines_have(cat) || acs_have(cat, false) || acs_have(cat, true);
            let groups = inv
                .vat_breakdown
                .iter()
                .filter(|b| b.category.as_deref() == Some(cat))
                .count();
            let exactly_one = !matches!(cat, "S" | "L" | "M");
            if used && (groups == 0 || (exactly_one && groups > 1)) {
                self.at(place.clone(), rule("01"), "BG-23", groups.to_string(), "");
            }
            let ids_ok = match cat {
                "AE" => seller_tax && (buyer_vat || buyer_legal),
                "K" => seller_vat && buyer_vat,
                "G" => seller_vat,
                "O" => !seller_vat && !buyer_vat,
                _ => seller_tax,
            };
            if !ids_ok {
                for (n, present) in [
                    ("02", lines_have(cat)),
                    ("03", acs_have(cat, false)),
                    ("04", acs_have(cat, true)),
                ] {
                    if present {
                        self.at(place.clone(), rule(n), "BT-31", "", "");
                    }
                }
            }
            let rate_ok = |r: Option<Dec>| match cat {
                "S" => r.is_some_and(|r| r > Dec::ZERO),
                "O" => r.is_none(),
                "L" | "M" => r.is_none_or(|r| !r.is_negative()),
                _ => r.is_some_and(|r| r.is_zero()),
            };
            for (i, l) in inv.lines.iter().enumerate() {
                if l.vat_category.as_deref() == Some(cat) && !rate_ok(l.vat_rate) {
                    let n = l.id.clone().unwrap_or_else(|| (i + 1).to_string());
                    let lp = place_in(&place, "category-line", &[("n", Arg::Text(&n))]);
                    self.at(lp, rule("05"), "BT-152", show(l.vat_rate), "");
                }
            }
            for ac in inv
                .allowances_charges
                .iter()
                .filter(|a| a.vat_category.as_deref() == Some(cat))
            {
                if !rate_ok(ac.vat_rate) {
                    let (n, term) = if ac.charge {
                        ("07", "BT-103")
                    } else {
                        ("06", "BT-96")
                    };
                    self.at(place.clone(), rule(n), term, show(ac.vat_rate), "");
                }
            }
            let per_rate = matches!(cat, "S" | "L" | "M");
            for b in inv
                .vat_breakdown
                .iter()
                .filter(|b| b.category.as_deref() == Some(cat))
            {
                let bp = match b.rate.filter(|_| per_rate) {
                    Some(r) => place_in(
                        &place,
                        "category-rate",
                        &[("rate", Arg::Text(&r.to_string()))],
                    ),
                    None => place.clone(),
                };
                let same = |c: Option<&String>, r: Option<Dec>| {
                    c.map(String::as_str) == Some(cat) && (!per_rate || r == b.rate)
                };
                let lines_net = sum(inv
                    .lines
                    .iter()
                    .filter(|l| same(l.vat_category.as_ref(), l.vat_rate))
                    .map(|l| l.net));
                let ac_sum = |charge: bool| {
                    sum(inv
                        .allowances_charges
                        .iter()
                        .filter(|a: &&AllowanceCharge| {
                            a.charge == charge && same(a.vat_category.as_ref(), a.vat_rate)
                        })
                        .map(|a| a.amount))
                };
                let expected = sub(add(lines_net, ac_sum(true)), ac_sum(false));
                if inv.profile().has_lines()
                    && let Some(base) = b.base
                {
                    let anything = inv
                        .lines
                        .iter()
                        .any(|l| same(l.vat_category.as_ref(), l.vat_rate))
                        || inv
                            .allowances_charges
                            .iter()
                            .any(|a| same(a.vat_category.as_ref(), a.vat_rate));
                    let ok = if per_rate {
                        anything && within_one(base, expected.round(2))
                    } else {
                        inv.lines.is_empty() || base == expected
                    };
                    if !ok && !inv.lines.is_empty() {
                        self.at(
                            bp.clone(),
                            rule("08"),
                            "BT-116",
                            base.to_string(),
                            expected.round(2).fixed(2),
                        );
                    }
                }
                if let Some(amount) = b.amount {
                    if per_rate {
                        if let (Some(base), Some(rate)) = (b.base, b.rate) {
                            let want = base
                                .abs()
                                .checked_mul(rate)
                                .and_then(|x| x.checked_div(Dec::int(100), 2))
                                .unwrap_or(Dec::ZERO);
                            if !within_one(amount.abs(), want) {
                                self.at(
                                    bp.clone(),
                                    rule("09"),
                                    "BT-117",
                                    amount.to_string(),
                                    want.fixed(2),
                                );
                            }
                        }
                    } else if !amount.is_zero() {
                        self.at(bp.clone(), rule("09"), "BT-117", amount.to_string(), "0.00");
                    }
                }
                let has_reason = b.exemption_reason.is_some() || b.exemption_code.is_some();
                let reason_needed = !matches!(cat, "S" | "Z" | "L" | "M");
                if has_reason != reason_needed {
                    let found = b
                        .exemption_code
                        .clone()
                        .or_else(|| b.exemption_reason.clone())
                        .unwrap_or_default();
                    self.at(bp.clone(), rule("10"), "BT-120", found, "");
                }
            }
            if cat == "K" && groups > 0 {
                let period = inv
                    .period
                    .as_ref()
                    .is_some_and(|p| p.start.is_some() || p.end.is_some());
                if inv.delivery_date.is_none() && !period {
                    self.at(place.clone(), "BR-IC-11", "BT-72", "", "");
                }
                if inv.delivery_country.is_none() {
                    self.at(place.clone(), "BR-IC-12", "BT-80", "", "");
                }
            }
            if cat == "O" && groups > 0 {
                let other = |c: Option<&String>| c.is_some_and(|c| c != "O");
                if inv.vat_breakdown.iter().any(|b| other(b.category.as_ref())) {
                    self.at(place.clone(), "BR-O-11", "BG-23", "", "");
                }
                if inv.lines.iter().any(|l| other(l.vat_category.as_ref())) {
                    self.at(place.clone(), "BR-O-12", "BT-151", "", "");
                }
                for (charge, n) in [(false, "13"), (true, "14")] {
                    if inv
                        .allowances_charges
                        .iter()
                        .any(|a| a.charge == charge && other(a.vat_category.as_ref()))
                    {
                        self.at(place.clone(), rule(n), "BT-95", "", "");
                    }
                }
            }
        }
    }
}
