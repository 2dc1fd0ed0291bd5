//! The model survives UBL and CII: model → XML → model is the identity,
//! for generated invoices covering every business term the model keeps.

use issued_invoices::en16931::model::*;
use issued_invoices::en16931::{Dec, write};
use issued_invoices::xml;
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;

fn text() -> impl Strategy<Value = String> {
    // Trimmed, not blank; with characters XML must escape.
    "[a-zA-Z0-9éà&<>'\"][a-zA-Z0-9éà&<>'\" .,]{0,14}[a-zA-Z0-9]"
}

fn code() -> impl Strategy<Value = String> {
    "[A-Z0-9]{1,4}"
}

fn date() -> impl Strategy<Value = String> {
    (1990u32..2100, 1u32..13, 1u32..29).prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}"))
}

fn dec() -> impl Strategy<Value = Dec> {
    (-1_000_000_000i128..1_000_000_000, 0u32..5).prop_map(|(m, s)| Dec::new(m, s))
}

fn id() -> impl Strategy<Value = Id> {
    ("[A-Z0-9]{3,14}", option::of("[0-9]{4}")).prop_map(|(value, scheme)| Id { value, scheme })
}

fn address() -> impl Strategy<Value = Address> {
    (
        vec(text(), 0..=3),
        option::of(text()),
        option::of(code()),
        option::of(text()),
        option::of("[A-Z]{2}"),
    )
        .prop_map(|(lines, city, postcode, subdivision, country)| Address {
            lines,
            city,
            postcode,
            subdivision,
            country,
        })
}

fn party() -> impl Strategy<Value = Party> {
    (
        (
            option::of(text()),
            option::of(text()),
            vec(id(), 0..3),
            option::of(id()),
        ),
        (
            option::of("[A-Z]{2}[0-9]{8}"),
            option::of(code()),
            option::of(id()),
            option::of(address()),
            option::of(text()),
        ),
    )
        .prop_map(
            |(
                (name, trading_name, mut ids, legal_id),
                (vat_id, tax_registration, electronic_address, address, contact),
            )| {
                // CII writes identifiers without a scheme (ram:ID) before
                // those with one (ram:GlobalID).
                ids.sort_by_key(|i| i.scheme.is_some());
                Party {
                    name,
                    trading_name,
                    ids,
                    legal_id,
                    vat_id,
                    tax_registration,
                    electronic_address,
                    address,
                    contact,
                }
            },
        )
}

fn allowance_charge(document: bool) -> impl Strategy<Value = AllowanceCharge> {
    (
        any::<bool>(),
        option::of(dec()),
        option::of(dec()),
        option::of(dec()),
        option::of(prop_oneof!["S", "Z", "E", "O", "AE"]),
        option::of(dec()),
        option::of(text()),
        option::of(code()),
    )
        .prop_map(
            move |(charge, amount, base, percent, cat, rate, reason, reason_code)| {
                AllowanceCharge {
                    charge,
                    amount,
                    base,
                    percent,
                    // Line allowances and charges carry no VAT category in CII.
                    vat_category: if document { cat } else { None },
                    vat_rate: if document { rate } else { None },
                    reason,
                    reason_code,
                }
            },
        )
}

fn period() -> impl Strategy<Value = Period> {
    (date(), option::of(date())).prop_map(|(s, e)| Period {
        start: Some(s),
        end: e,
    })
}

fn line() -> impl Strategy<Value = Line> {
    (
        (
            option::of(code()),
            option::of(text()),
            option::of(dec()),
            option::of("[A-Z0-9]{2,3}"),
        ),
        (
            option::of(dec()),
            option::of(code()),
            option::of(period()),
            vec(allowance_charge(false), 0..3),
        ),
        (
            option::of(dec()),
            option::of(dec()),
            option::of(dec()),
            option::of(dec()),
        ),
        (
            option::of(prop_oneof!["S", "Z", "E", "O", "K"]),
            option::of(dec()),
            option::of(text()),
            option::of(text()),
            option::of(code()),
            option::of(id()),
        ),
    )
        .prop_map(|(a, b, c, d)| {
            let (id, note, quantity, unit) = a;
            let (net, order_line, period, allowances_charges) = b;
            let (net_price, price_discount, gross_price, base_quantity) = c;
            let (vat_category, vat_rate, name, description, seller_item_id, standard_id) = d;
            Line {
                id,
                note,
                // A unit of measure is an attribute of the quantity.
                unit: quantity.and(unit),
                quantity,
                net,
                order_line,
                period,
                allowances_charges,
                net_price,
                price_discount,
                gross_price,
                base_quantity,
                vat_category,
                vat_rate,
                name,
                description,
                seller_item_id,
                // Identifiers in the standard item slot carry a scheme.
                standard_id: standard_id.map(|mut i| {
                    i.scheme.get_or_insert_with(|| "0160".into());
                    i
                }),
            }
        })
}

fn breakdown() -> impl Strategy<Value = VatBreakdown> {
    (
        option::of(dec()),
        option::of(dec()),
        option::of(prop_oneof!["S", "Z", "E", "O", "AE", "K"]),
        option::of(dec()),
        option::of(text()),
        option::of("VATEX-EU-[A-Z0-9]{1,3}"),
    )
        .prop_map(
            |(base, amount, category, rate, exemption_reason, exemption_code)| VatBreakdown {
                base,
                amount,
                category,
                rate,
                exemption_reason,
                exemption_code,
            },
        )
}

fn attachment() -> impl Strategy<Value = Attachment> {
    (
        option::of(code()),
        option::of(text()),
        option::of("https://example\\.org/[a-z]{1,8}"),
        option::of((
            0usize..200,
            "[a-z]{1,8}\\.pdf",
            prop_oneof!["application/pdf", "image/png"],
        )),
    )
        .prop_map(|(id, description, uri, embedded)| Attachment {
            id,
            description,
            uri,
            filename: embedded.as_ref().map(|e| e.1.clone()),
            mime: embedded.as_ref().map(|e| e.2.to_string()),
            embedded_bytes: embedded.map(|e| e.0),
        })
}

fn means() -> impl Strategy<Value = PaymentMeans> {
    (
        option::of(prop_oneof!["30", "58", "49", "10"]),
        option::of(text()),
        vec("FR76[0-9]{10}", 0..2),
        option::of("[0-9]{4}"),
    )
        .prop_map(|(code, text, accounts, card)| PaymentMeans {
            // UBL writes the text as the code's `name` attribute.
            text: code.as_ref().and(text),
            code,
            remittance: None,
            accounts,
            card,
            mandate: None,
        })
}

fn totals() -> impl Strategy<Value = Totals> {
    (
        (
            option::of(dec()),
            option::of(dec()),
            option::of(dec()),
            option::of(dec()),
        ),
        (
            option::of(dec()),
            option::of(dec()),
            option::of(dec()),
            option::of(dec()),
            option::of(dec()),
        ),
    )
        .prop_map(
            |(
                (line_net, allowances, charges, without_vat),
                (vat, with_vat, prepaid, rounding, payable),
            )| Totals {
                line_net,
                allowances,
                charges,
                without_vat,
                vat,
                vat_accounting: None,
                with_vat,
                prepaid,
                rounding,
                payable,
                vat_extra: Vec::new(),
            },
        )
}

prop_compose! {
    fn invoice()(
        head in (
            option::of("urn:cen\\.eu:en16931:2017(#compliant#urn:factur-x\\.eu:1p0:basic)?"),
            option::of(prop_oneof!["A1", "A2_FACTURE_FOURNISSEUR_DEJA_PAYEE", "urn:fdc:peppol\\.eu:2017:poacc:billing:01:1\\.0"]),
            option::of(code()),
            option::of(date()),
            option::of(prop_oneof!["380", "381", "386", "389"]),
            option::of(prop_oneof!["EUR", "SEK", "USD"]),
            option::of(prop_oneof!["EUR", "DKK"]),
        ),
        refs in (
            option::of(date()),
            option::of(date()),
            option::of(text()),
            option::of(text()),
            option::of(text()),
            option::of(text()),
            option::of(text()),
            option::of(text()),
            option::of(text()),
        ),
        notes in vec((option::of(prop_oneof!["AAI", "REG", "PMT"]), text()), 0..3),
        preceding in vec((option::of(code()), option::of(date())), 0..2),
        parties in (party(), party(), option::of((text(), vec(id(), 0..2), option::of(id()))), option::of((text(), address(), "[A-Z]{2}[0-9]{6}"))),
        delivery in (option::of(date()), option::of("[A-Z]{2}"), option::of(period()), option::of(prop_oneof!["3", "35", "432"])),
        payment in (vec(means(), 0..3), option::of(text()), option::of(code())),
        acs in vec(allowance_charge(true), 0..3),
        totals in totals(),
        accounting in option::of(dec()),
        vat in vec(breakdown(), 0..4),
        attachments in vec(attachment(), 0..3),
        lines in vec(line(), 0..4),
    ) -> Invoice {
        let (specification, process, number, issue_date, type_code, currency, vat_currency) = head;
        let (due_date, tax_point_date, buyer_reference, project, contract, order, sales_order, buyer_accounting, payment_terms) = refs;
        let (seller, buyer, payee, representative) = parties;
        let (delivery_date, delivery_country, period, tax_point_code) = delivery;
        let (mut payment_means, remittance, mandate) = payment;
        // CII states the remittance and the mandate once for all means.
        for m in &mut payment_means {
            m.remittance = remittance.clone();
            m.mandate = mandate.clone();
        }
        let mut totals = totals;
        // BT-111 exists only in a VAT accounting currency other than BT-5.
        if vat_currency.is_some() && vat_currency != currency && currency.is_some() {
            totals.vat_accounting = accounting;
        }
        Invoice {
            syntax: Syntax::Ubl,
            credit_note: false,
            specification,
            process,
            number,
            issue_date,
            type_code,
            currency,
            vat_currency,
            // CII states the VAT point date and code with the first VAT breakdown.
            tax_point_date: if vat.is_empty() { None } else { tax_point_date },
            tax_point_code: if vat.is_empty() { None } else { tax_point_code },
            due_date,
            buyer_reference,
            project,
            contract,
            // UBL states a sales order reference only beside the buyer's order.
            sales_order: order.as_ref().and(sales_order),
            order,
            buyer_accounting,
            payment_terms,
            notes: notes.into_iter().map(|(s, t)| Note { subject: s, text: t }).collect(),
            preceding: preceding.into_iter().map(|(number, date)| Preceding { number, date }).collect(),
            seller,
            buyer,
            payee: payee.map(|(name, ids, legal_id)| Party { name: Some(name), ids: { let mut ids = ids; ids.sort_by_key(|i| i.scheme.is_some()); ids }, legal_id, ..Party::default() }),
            tax_representative: representative.map(|(name, address, vat)| Party { name: Some(name), address: Some(address), vat_id: Some(vat), ..Party::default() }),
            delivery_date,
            delivery_country,
            period,
            payment_means,
            allowances_charges: acs,
            totals,
            vat_breakdown: vat,
            attachments,
            lines,
        }
    }
}

/// Where two invoices differ, as JSON paths (empty when equal).
fn differences(a: &Invoice, b: &Invoice) -> Vec<String> {
    fn walk(path: String, a: &serde_json::Value, b: &serde_json::Value, out: &mut Vec<String>) {
        match (a, b) {
            (serde_json::Value::Object(x), serde_json::Value::Object(y)) => {
                for (k, v) in x {
                    walk(
                        format!("{path}.{k}"),
                        v,
                        y.get(k).unwrap_or(&serde_json::Value::Null),
                        out,
                    );
                }
            }
            (serde_json::Value::Array(x), serde_json::Value::Array(y)) if x.len() == y.len() => {
                for (i, (v, w)) in x.iter().zip(y).enumerate() {
                    walk(format!("{path}[{i}]"), v, w, out);
                }
            }
            (x, y) if x != y => out.push(format!("{path}: {x} ≠ {y}")),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(
        String::new(),
        &serde_json::to_value(a).unwrap(),
        &serde_json::to_value(b).unwrap(),
        &mut out,
    );
    out
}

/// Reads written XML back. The generated models carry arbitrary codes
/// and leave out what they like, so the syntax checks (code lists,
/// cardinalities) may object; what must hold is that every value reads
/// back as a value (no NUMBER or XML finding).
fn read(xml_text: &str) -> Invoice {
    let (inv, findings) = xml::read(xml_text.as_bytes()).expect("written XML reads back");
    let unread: Vec<_> = findings
        .iter()
        .filter(|f| matches!(f.rule.as_str(), "NUMBER" | "XML"))
        .collect();
    assert!(unread.is_empty(), "{unread:?}");
    inv
}

/// Runs `check` on generated invoices, on a thread with room for the
/// strategy's deep (debug-build) stack frames.
fn for_invoices(check: fn(Invoice) -> Result<(), TestCaseError>) {
    std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(move || {
            let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
                cases: 64,
                ..ProptestConfig::default()
            });
            if let Err(e) = runner.run(&invoice().boxed(), check) {
                panic!("{e}");
            }
        })
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn the_model_round_trips_through_ubl() {
    for_invoices(|inv| {
        let back = read(&write::ubl(&inv));
        prop_assert!(back == inv, "{:?}", differences(&back, &inv));
        Ok(())
    });
}

#[test]
fn the_model_round_trips_through_cii() {
    for_invoices(|mut inv| {
        inv.syntax = Syntax::Cii;
        let back = read(&write::cii(&inv));
        prop_assert!(back == inv, "{:?}", differences(&back, &inv));
        Ok(())
    });
}

#[test]
fn ubl_and_cii_say_the_same() {
    for_invoices(|inv| {
        let from_ubl = read(&write::ubl(&inv));
        let mut via_cii = read(&write::cii(&inv));
        via_cii.syntax = Syntax::Ubl;
        prop_assert!(
            via_cii == from_ubl,
            "{:?}",
            differences(&via_cii, &from_ubl)
        );
        Ok(())
    });
}

#[test]
fn a_credit_note_round_trips_through_ubl() {
    let inv = Invoice {
        credit_note: true,
        type_code: Some("381".into()),
        due_date: Some("2026-12-31".into()),
        payment_means: vec![PaymentMeans {
            code: Some("30".into()),
            accounts: vec!["FR7612345678901234567890123".into()],
            ..PaymentMeans::default()
        }],
        lines: vec![Line {
            id: Some("1".into()),
            quantity: Some(Dec::int(-2)),
            unit: Some("C62".into()),
            ..Line::default()
        }],
        ..Invoice::default()
    };
    assert_eq!(read(&write::ubl(&inv)), inv);
}
