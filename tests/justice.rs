//! Justice costs invoice, end to end through the real host: a provider
//! without SIRET (private individual) files a statement of costs for the
//! Tribunal judiciaire de Lyon, a public structure with the area; the rules
//! (foreclosure, bank details, documents), every status, the homepage and
//! tenant isolation. One portal for the file, with the movable clock.

mod support;

use std::time::{Duration, Instant};
use support::{Client, Page, Portal, multipart, pdf};

const PASSWORD: &str = "correct horse battery staple";
/// The Tribunal judiciaire de Lyon's structure in the referential.
const COURT: &str = "11004000200013";
/// The interpreter: a private individual.
const PROVIDER: &str = "MARTIN-SOPHIE-75";
/// Another private structure.
const OTHER: &str = "73282932000074";

fn areas() -> String {
    format!(
        r#"areas:
  - id: homepage
    title: Logged-in homepage
    plugin: {homepage}
    version: 1.0.0
    order: 10
    capabilities: [facts, log]
  - id: manager-activities
    title: Manager activities
    plugin: {manager}
    version: 1.0.0
    order: 20
    roles: [primary-manager, secondary-manager]
    capabilities: [directory, facts, log]
  - id: justice-costs
    title: Justice costs invoice
    plugin: {justice}
    version: 1.0.0
    order: 80
    install: on-request
    capabilities: [kv, facts, messages, log]
    limits: {{ memory-mib: 128, timeout-ms: 5000 }}
  - id: my-account
    title: My account
    plugin: {account}
    version: 1.0.0
    order: 1000
    scope: user
    capabilities: [account, log]
"#,
        homepage = support::plugin("homepage").display(),
        manager = support::plugin("manager-activities").display(),
        justice = support::plugin("justice-costs").display(),
        account = support::plugin("my-account").display(),
    )
}

/// Today's date on the portal's clock, `YYYY-MM-DD`, and `days` before it.
fn date(ms: u64, days_before: u64) -> String {
    // Howard Hinnant's civil_from_days.
    let z = (ms / 86_400_000 - days_before) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

async fn person(portal: &Portal, first: &str, email: &str) -> Client {
    let c = portal.client();
    c.sign_up(first, email, PASSWORD).await;
    c
}

async fn install(c: &Client, structure: &str) {
    let base = format!("/s/{structure}/manager-activities");
    let r = c
        .submit(
            &format!("{base}/areas"),
            &format!("{base}/areas/add"),
            &[("area", "justice-costs")],
        )
        .await;
    assert_eq!(r.status, 303, "install: {}", r.body);
}

/// A statement's fields; `mission_end` and the number vary.
fn statement<'a>(
    number: &'a str,
    decided: &'a str,
    mission_end: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("number", number),
        ("court", "tj69123"),
        ("decision-kind", "requisition"),
        ("decision-reference", "PV 2026/00123"),
        ("decision-date", decided),
        ("mission-end", mission_end),
        ("vat-option", "debits"),
        ("line-kind-1", "service"),
        ("line-label-1", "Interprétariat en garde à vue, 3 heures"),
        ("line-amount-1", "1 234,56"),
        ("line-rate-1", "20"),
        ("line-kind-2", "disbursement"),
        ("line-label-2", "Frais de péage"),
        ("line-amount-2", "18,40"),
        ("line-rate-2", "20"),
    ]
}

/// A scanned requisition of 500 kB: more than one `file-part` message.
fn requisition() -> Vec<u8> {
    let mut bytes = b"%PDF-1.4\n".to_vec();
    bytes.extend((0..500_000).map(|i| b'A' + (i % 26) as u8));
    bytes.extend_from_slice(b"\n%%EOF\n");
    bytes
}

/// Waits for a page that satisfies `ok` (message delivery is asynchronous).
async fn eventually(c: &Client, path: &str, ok: impl Fn(&Page) -> bool) -> Page {
    let start = Instant::now();
    loop {
        let page = c.get(path).await;
        if ok(&page) {
            return page;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{path} never became as expected: {}",
            page.body
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_statement_of_costs_from_filing_to_payment() {
    let portal = Portal::start_movable(&areas());
    let today = date(now_ms(), 0);
    let decided = date(now_ms(), 40);
    let ended = date(now_ms(), 10);

    // The jurisdiction: a public structure with the area.
    let greffe = person(&portal, "Hélène", "helene@justice.example").await;
    greffe
        .create_structure(COURT, "Tribunal judiciaire de Lyon", "public")
        .await;
    install(&greffe, COURT).await;

    // The interpreter registers as a private individual (no SIRET).
    let sophie = person(&portal, "Sophie", "sophie@interpretes.example").await;
    let created = sophie
        .submit(
            "/me/my-account",
            "/me/my-account/structures",
            &[
                ("identifier-type", "private-individual"),
                ("identifier", PROVIDER),
                ("name", "Sophie Martin, interprète"),
                ("kind", "private"),
            ],
        )
        .await;
    assert_eq!(created.status, 303, "{}", created.body);
    install(&sophie, PROVIDER).await;
    let base = format!("/s/{PROVIDER}/justice-costs");
    let new = format!("{base}/new");

    // The referential: searchable by town, the form says where bank details go.
    let form = sophie.get(&new).await;
    assert_eq!(form.status, 200, "{}", form.body);
    assert!(
        form.body
            .contains("Tribunal judiciaire de Lyon — Lyon (tj69123)")
    );
    assert!(form.body.contains("Manager activities → Bank details"));
    let search = multipart(
        &sophie,
        &new,
        &format!("{base}/save"),
        &[("op", "search"), ("q", "nimes")],
        &[],
    )
    .await;
    assert_eq!(search.status, 200);
    assert!(search.body.contains("Cour d’appel de Nîmes"));
    assert!(!search.body.contains("Tribunal judiciaire de Lyon — "));

    // Field-level errors: nothing, a foreclosed mission, a wrong file.
    let empty = multipart(&sophie, &new, &format!("{base}/save"), &[], &[]).await;
    assert_eq!(empty.status, 422);
    for field in [
        "number-error",
        "court-error",
        "decision-kind-error",
        "mission-end-error",
        "line-label-1-error",
        "doc-requisition-error",
    ] {
        assert!(empty.body.contains(field), "{field}: {}", empty.body);
    }
    let old_end = date(now_ms(), 400);
    let old_decision = date(now_ms(), 500);
    let late = multipart(
        &sophie,
        &new,
        &format!("{base}/save"),
        &statement("M-OLD", &old_decision, &old_end),
        &[("doc-requisition", "requisition.pdf", pdf("req"))],
    )
    .await;
    assert_eq!(late.status, 422);
    assert!(
        late.body
            .contains("within one year of the end of the mission"),
        "{}",
        late.body
    );
    let wrong_file = multipart(
        &sophie,
        &new,
        &format!("{base}/save"),
        &statement("M-1", &decided, &ended),
        &[(
            "doc-requisition",
            "requisition.pdf",
            b"<html>not a pdf".to_vec(),
        )],
    )
    .await;
    assert_eq!(wrong_file.status, 422);
    assert!(
        wrong_file.body.contains("is not a PDF"),
        "{}",
        wrong_file.body
    );

    // A good statement: saved as a draft, the summary has exact totals.
    let saved = multipart(
        &sophie,
        &new,
        &format!("{base}/save"),
        &statement("M-1", &decided, &ended),
        &[("doc-requisition", "requisition.pdf", requisition())],
    )
    .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let first = saved.location.clone().unwrap();
    let first = first.trim_end_matches("?done=saved").to_string();
    let json = sophie.get_json(&first).await.json();
    assert_eq!(json["s"]["status"], "BROUILLON");
    // 1 234,56 at 20 % (246,91) + 18,40 VAT-free.
    assert_eq!(json["s"]["totals"]["net"], "1252.96");
    assert_eq!(json["s"]["totals"]["vat"], "246.91");
    assert_eq!(json["s"]["totals"]["gross"], "1499.87");
    assert_eq!(
        json["s"]["provider"]["identifier_type"],
        "private-individual"
    );

    // Sending needs bank details on the structure.
    let no_bank = sophie.submit(&first, &format!("{first}/send"), &[]).await;
    assert_eq!(no_bank.status, 422);
    assert!(
        no_bank.body.contains("has no bank details"),
        "{}",
        no_bank.body
    );
    assert!(
        no_bank.body.contains("manager-activities&#x2f;bank"),
        "{}",
        no_bank.body
    );
    let bank = format!("/s/{PROVIDER}/manager-activities/bank");
    let bad = sophie
        .submit(
            &bank,
            &bank,
            &[
                ("holder", "Sophie Martin"),
                ("iban", "FR76 3000 6000 0112 3456 7890 188"),
                ("bic", "AGRIFRPP"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("iban-error"));
    let good = sophie
        .submit(
            &bank,
            &bank,
            &[
                ("holder", "Sophie Martin"),
                ("iban", "FR76 3000 6000 0112 3456 7890 189"),
                ("bic", "AGRIFRPP"),
            ],
        )
        .await;
    assert_eq!(good.status, 303, "{}", good.body);

    // Sent: made available, locked, and at the jurisdiction.
    let sent = sophie.submit(&first, &format!("{first}/send"), &[]).await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    let json = sophie.get_json(&first).await.json();
    assert_eq!(json["s"]["status"], "MISE_A_DISPOSITION");
    assert_eq!(json["s"]["bank"]["iban"], "FR7630006000011234567890189");
    let edit = sophie.get(&format!("{first}/edit")).await;
    assert_eq!(edit.status, 303, "a sent statement cannot be edited");
    let resave = multipart(
        &sophie,
        &new,
        &format!("{first}/save"),
        &statement("M-1", &decided, &ended),
        &[],
    )
    .await;
    assert_eq!(resave.status, 403);

    let court_base = format!("/s/{COURT}/justice-costs");
    let inbox = eventually(&greffe, &court_base, |p| p.body.contains("M-1")).await;
    assert!(inbox.body.contains("Sophie Martin, interprète"));
    let home = greffe.get(&format!("/s/{COURT}/homepage")).await;
    assert!(
        home.body.contains("1 statement(s) of costs to process"),
        "{}",
        home.body
    );
    let received = format!("{court_base}/received/{PROVIDER}/000001");

    // A correction needs a reason; it goes back to the provider.
    let no_reason = greffe
        .submit(
            &received,
            &format!("{received}/decide"),
            &[("action", "correct")],
        )
        .await;
    assert_eq!(no_reason.status, 422);
    assert!(no_reason.body.contains("reason-error"));
    let correct = greffe
        .submit(
            &received,
            &format!("{received}/decide"),
            &[
                ("action", "correct"),
                ("reason", "Joindre l’attestation de mission."),
            ],
        )
        .await;
    assert_eq!(correct.status, 303, "{}", correct.body);
    eventually(&sophie, &format!("/s/{PROVIDER}/homepage"), |p| {
        p.body.contains("Statement M-1: Correction requested")
    })
    .await;
    let page = sophie.get(&first).await;
    assert!(page.body.contains("Joindre l’attestation de mission."));
    assert!(page.body.contains("Correction requested"));

    // The provider corrects (adds the certificate) and sends again.
    let corrected = multipart(
        &sophie,
        &format!("{first}/edit"),
        &format!("{first}/save"),
        &statement("M-1", &decided, &ended),
        &[("doc-certificate", "attestation.pdf", pdf("att"))],
    )
    .await;
    assert_eq!(corrected.status, 303, "{}", corrected.body);
    assert_eq!(
        sophie
            .submit(&first, &format!("{first}/send"), &[])
            .await
            .status,
        303
    );
    eventually(&greffe, &received, |p| p.body.contains("attestation.pdf")).await;
    // The jurisdiction downloads the documents the provider attached: the
    // same bytes, from its own copy (the requisition crossed in parts).
    for (kind, bytes) in [("requisition", requisition()), ("certificate", pdf("att"))] {
        let got = eventually(&greffe, &format!("{received}/file/{kind}"), |p| {
            p.status == 200
        })
        .await;
        assert_eq!(got.body.as_bytes(), bytes, "{kind}");
    }
    // Nobody else reads them.
    assert!(matches!(
        sophie
            .get(&format!("{received}/file/requisition"))
            .await
            .status,
        403 | 404
    ));

    // Certified, then paid; the provider sees each step with its date.
    for action in ["certify", "pay"] {
        let r = greffe
            .submit(
                &received,
                &format!("{received}/decide"),
                &[("action", action)],
            )
            .await;
        assert_eq!(r.status, 303, "{action}: {}", r.body);
    }
    let json = eventually(&sophie, &first, |p| p.body.contains(r#"id="status">Paid<"#)).await;
    let json_view = sophie.get_json(&first).await.json();
    let steps: Vec<&str> = json_view["s"]["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        [
            "MIS_EN_PAIEMENT",
            "CERTIFIE",
            "MISE_A_DISPOSITION",
            "A_CORRIGER",
            "MISE_A_DISPOSITION",
            "BROUILLON"
        ]
    );
    assert!(json.body.contains(&today[..4]), "dates shown");
    let paid_again = greffe
        .submit(
            &received,
            &format!("{received}/decide"),
            &[("action", "pay")],
        )
        .await;
    assert!(
        matches!(paid_again.status, 403 | 422),
        "nothing to do once paid: no form, and the area refuses"
    );

    // A second statement is rejected with a reason.
    let saved = multipart(
        &sophie,
        &new,
        &format!("{base}/save"),
        &statement("M-2", &decided, &ended),
        &[("doc-requisition", "requisition.pdf", pdf("req"))],
    )
    .await;
    let second = saved
        .location
        .unwrap()
        .trim_end_matches("?done=saved")
        .to_string();
    assert_eq!(
        sophie
            .submit(&second, &format!("{second}/send"), &[])
            .await
            .status,
        303
    );
    let received2 = format!("{court_base}/received/{PROVIDER}/000002");
    eventually(&greffe, &received2, |p| p.status == 200).await;
    let reject = greffe
        .submit(
            &received2,
            &format!("{received2}/decide"),
            &[("action", "reject"), ("reason", "Mission déjà payée.")],
        )
        .await;
    assert_eq!(reject.status, 303);
    eventually(&sophie, &second, |p| {
        p.body.contains("Mission déjà payée.") && p.body.contains("Rejected")
    })
    .await;

    // A number is used once; a grouped statement needs its slip.
    let mut grouped = statement("M-1", &decided, &ended);
    grouped.push(("grouped", "on"));
    let dup = multipart(
        &sophie,
        &new,
        &format!("{base}/save"),
        &grouped,
        &[("doc-requisition", "r.pdf", pdf("r"))],
    )
    .await;
    assert_eq!(dup.status, 422);
    assert!(
        dup.body
            .contains("You already have a statement numbered M-1")
    );
    assert!(dup.body.contains("doc-slip-error"));

    // Tenant isolation: another structure sees none of it.
    let other = person(&portal, "Claire", "claire@ateliers.example").await;
    other
        .create_structure(OTHER, "Ateliers Dupont", "private")
        .await;
    install(&other, OTHER).await;
    let theirs = other
        .get(&format!("/s/{OTHER}/justice-costs/statement/000001"))
        .await;
    assert_eq!(theirs.status, 404);
    let list = other.get(&format!("/s/{OTHER}/justice-costs")).await;
    assert!(!list.body.contains("M-1"));
    for path in [first.clone(), received.clone()] {
        let r = other.get(&path).await;
        assert!(matches!(r.status, 403 | 404), "{path}: {}", r.status);
    }

    // The one-year foreclosure, on the portal's clock: a statement saved
    // in time cannot be sent once the year after the mission has passed.
    let saved = multipart(
        &sophie,
        &new,
        &format!("{base}/save"),
        &statement("M-3", &decided, &today),
        &[("doc-requisition", "requisition.pdf", pdf("req"))],
    )
    .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let third = saved
        .location
        .unwrap()
        .trim_end_matches("?done=saved")
        .to_string();
    let moved = portal
        .client()
        .http
        .post(format!(
            "{}/test/clock?advance-ms={}",
            portal.url,
            367u64 * 86_400_000
        ))
        .send()
        .await
        .unwrap();
    assert!(moved.status().is_success());
    // A year later the session has long expired: sign in again.
    sophie.log_in("sophie@interpretes.example", PASSWORD).await;
    let late = sophie.submit(&third, &format!("{third}/send"), &[]).await;
    assert_eq!(late.status, 422);
    assert!(
        late.body
            .contains("within one year of the end of the mission"),
        "{}",
        late.body
    );
    assert_eq!(
        sophie.get_json(&third).await.json()["s"]["status"],
        "BROUILLON"
    );
}
