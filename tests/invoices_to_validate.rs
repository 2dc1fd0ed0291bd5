//! Invoices to validate end to end, over HTTP, on a real host with the
//! movable clock: a subcontractor's payment request goes to its prime
//! contractor (or a co-contractor, then the representative), who validates
//! or refuses; 15 days without an answer validate it tacitly; a validated
//! request reaches the public buyer's Received invoices with no other step.
//! No test sleeps to let time pass: the clock moves.

mod support;

use serde_json::Value;
use support::Page;
use support::clocked::{Actor, Host, advance, eventually};

/// The subcontractor.
const SUB: &str = "44100000000014";
/// The prime contractor.
const PRIME: &str = "55200000000018";
/// A co-contractor of the group (validates its own subcontractor first).
const CO: &str = "66300000000013";
/// The public buyer.
const BUYER: &str = "13000165200010";
const DAY: u64 = 86_400_000;
const AREA: &str = "invoices-to-validate";

fn catalog() -> String {
    format!(
        r#"areas:
  - id: homepage
    title: Logged-in homepage
    plugin: {homepage}
    version: 1.0.0
    order: 10
    capabilities: [facts, log]
  - id: invoices-to-validate
    title: Invoices to validate
    plugin: {itv}
    version: 1.0.0
    order: 60
    structure-kinds: [private]
    capabilities: [kv, facts, messages, timers, log]
    limits: {{ timeout-ms: 5000 }}
  - id: received-invoices
    title: Received invoices
    plugin: {received}
    version: 1.0.0
    order: 75
    structure-kinds: [public]
    capabilities: [kv, messages, log]
  - id: my-account
    title: My account
    plugin: {account}
    version: 1.0.0
    order: 1000
    scope: user
    capabilities: [account, log]
"#,
        homepage = support::plugin("homepage").display(),
        itv = support::plugin("invoices-to-validate").display(),
        received = support::plugin("received-invoices").display(),
        account = support::plugin("my-account").display(),
    )
}

/// The fields of a request from the subcontractor (3 × 400.00 at 20 %).
fn request(number: &str, validator: &str, second: &str, framework: &str) -> Vec<(String, String)> {
    [
        ("framework", framework),
        ("number", number),
        ("date", "2026-11-30"),
        ("validator", validator),
        ("second", second),
        ("recipient", BUYER),
        ("order_number", "EJ-2026-77"),
        ("contract_number", "M-2026-12"),
        ("line-1-designation", "Electrical wiring, building B"),
        ("line-1-quantity", "3"),
        ("line-1-unit_price", "400"),
        ("line-1-vat_rate", "20"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// Posts a new request (multipart, with one attachment); returns the answer.
async fn deposit(
    sub: &Actor,
    fields: &[(String, String)],
    attachment: Option<(&str, Vec<u8>)>,
) -> Page {
    let page = sub.c.get(&sub.path("/new")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let mut form = reqwest::multipart::Form::new().text("_csrf", page.csrf());
    for (k, v) in fields {
        form = form.text(k.clone(), v.clone());
    }
    if let Some((name, bytes)) = attachment {
        form = form.part(
            "attachments",
            reqwest::multipart::Part::bytes(bytes)
                .file_name(name.to_string())
                .mime_str("application/pdf")
                .unwrap(),
        );
    }
    let r = sub
        .c
        .http
        .post(format!("{}{}", sub.c.base, sub.path("/new")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let location = r
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string());
    let headers = r.headers().clone();
    Page {
        status,
        location,
        headers,
        body: r.text().await.unwrap(),
    }
}

/// Deposits a good request; returns its id.
async fn deposit_ok(
    sub: &Actor,
    number: &str,
    validator: &str,
    second: &str,
    framework: &str,
) -> String {
    let sent = deposit(sub, &request(number, validator, second, framework), None).await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    let loc = sent.location.unwrap();
    let id = loc.split("/request/").nth(1).unwrap();
    id.split('?').next().unwrap().to_string()
}

async fn supplier_status(sub: &Actor, id: &str) -> Value {
    sub.json(&format!("/request/{id}")).await
}

async fn until_supplier(sub: &Actor, id: &str, status: &str) -> Value {
    eventually(&format!("request {id} to be {status}"), || async {
        let r = supplier_status(sub, id).await;
        (r["status"] == status).then_some(r)
    })
    .await
}

async fn until_validator(v: &Actor, id: &str, status: &str) -> Value {
    eventually(&format!("{} to hold {id} as {status}", v.siret), || async {
        let page =
            v.c.get_json(&v.path(&format!("/validate/{SUB}/{id}")))
                .await;
        (page.status == 200 && page.json()["status"] == status).then(|| page.json())
    })
    .await
}

fn statuses(r: &Value) -> Vec<String> {
    let mut out: Vec<String> = r["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["status"].as_str().unwrap().to_string())
        .collect();
    out.reverse(); // oldest first
    out
}

/// The buyer's inbox: (supplier, invoice number) of each received invoice.
async fn buyer_inbox(buyer: &Actor) -> Vec<(String, String)> {
    let page = buyer
        .c
        .get_json(&format!("/s/{BUYER}/received-invoices"))
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    page.json()["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["supplier_id"].as_str().unwrap().to_string(),
                r["number"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn validate_refuse_correct_and_both_tacit_paths_reach_the_buyer() {
    let dir = tempfile::tempdir().unwrap();
    let host = Host::spawn(dir.path(), &catalog());
    let mut sub = Actor::new(
        &host,
        dir.path(),
        AREA,
        "Sami",
        SUB,
        "Électricité Sami",
        "private",
    )
    .await;
    let mut prime = Actor::new(
        &host,
        dir.path(),
        AREA,
        "Pauline",
        PRIME,
        "Bâtiments Pauline",
        "private",
    )
    .await;
    let mut co = Actor::new(
        &host,
        dir.path(),
        AREA,
        "Colin",
        CO,
        "Charpentes Colin",
        "private",
    )
    .await;
    let mut buyer = Actor::new(
        &host,
        dir.path(),
        AREA,
        "Bertrand",
        BUYER,
        "Préfecture",
        "public",
    )
    .await;

    // Bad input: each error says what is wrong, nothing is kept.
    for (field, value, expected) in [
        ("validator", SUB, "cannot validate your own request"),
        (
            "validator",
            "77400000000018",
            "No structure has SIRET 77400000000018",
        ),
        ("validator", "12345678912345", "is not a valid SIRET"),
        ("validator", BUYER, "is a public structure"),
        ("recipient", PRIME, "is a company"),
        ("second", CO, "only applies to a subcontractor"),
    ] {
        let mut fields = request("BAD-1", PRIME, "", "A12_FACTURE_COTRAITANT");
        fields.retain(|(k, _)| k != field);
        fields.push((field.to_string(), value.to_string()));
        let refused = deposit(&sub, &fields, None).await;
        assert_eq!(refused.status, 422, "{field}={value}: {}", refused.body);
        assert!(
            refused.body.contains(expected),
            "{field}={value}: {}",
            refused.body
        );
    }
    let mut no_line = request("BAD-2", PRIME, "", "A9_FACTURE_SOUSTRAITANT");
    no_line.retain(|(k, _)| !k.starts_with("line-"));
    let refused = deposit(&sub, &no_line, None).await;
    assert!(
        refused.body.contains("Enter at least one line"),
        "{}",
        refused.body
    );
    assert_eq!(sub.json("/").await["mine"].as_array().unwrap().len(), 0);

    // 1. Deposited with an attachment; the prime contractor has 15 days.
    let pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".repeat(4000); // ~180 KB: two chunks
    let sent = deposit(
        &sub,
        &request("ST-001", PRIME, "", "A9_FACTURE_SOUSTRAITANT"),
        Some(("situation-novembre.pdf", pdf.clone())),
    )
    .await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    let r1 = sent
        .location
        .unwrap()
        .split("/request/")
        .nth(1)
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let mine = supplier_status(&sub, &r1).await;
    assert_eq!(mine["status"], "A_VALIDER_1");
    assert_eq!(mine["turn"]["with"]["name"], "Bâtiments Pauline");
    assert_eq!(mine["turn"]["days_left"], 15);
    let held = until_validator(&prime, &r1, "A_VALIDER").await;
    assert_eq!(held["days_left"], 15);
    // Whose turn, with the days left, on both homepages.
    let home = prime.c.get(&format!("/s/{PRIME}/homepage")).await;
    assert!(
        home.body.contains("ST-001")
            && home.body.contains("Your turn")
            && home.body.contains("15 days left"),
        "{}",
        home.body
    );
    let home = sub.c.get(&format!("/s/{SUB}/homepage")).await;
    assert!(
        home.body.contains("Bâtiments Pauline&#x27;s turn")
            || home.body.contains("Bâtiments Pauline's turn"),
        "{}",
        home.body
    );
    assert_eq!(held["content"]["gross"], "1440.00");
    assert_eq!(
        held["content"]["lines"][0]["designation"],
        "Electrical wiring, building B"
    );
    let file = eventually("the attachment to arrive whole", || async {
        let f = prime
            .c
            .get(&prime.path(&format!("/validate/{SUB}/{r1}/file/0")))
            .await;
        (f.status == 200).then_some(f)
    })
    .await;
    assert_eq!(
        file.body.len(),
        pdf.len(),
        "the validator downloads the file as deposited"
    );
    let page = prime
        .c
        .get(&prime.path(&format!("/validate/{SUB}/{r1}")))
        .await;
    assert!(page.body.contains("15 days left"), "{}", page.body);
    assert!(
        page.body.contains("1,440.00"),
        "amounts through the amount filter: {}",
        page.body
    );
    let list = prime.c.get(&prime.path("/")).await;
    assert!(
        list.body.contains("ST-001") && list.body.contains("Électricité Sami"),
        "{}",
        list.body
    );

    // A structure that is not party to it gets 404, for reading and acting.
    let stranger = co.c.get(&co.path(&format!("/validate/{SUB}/{r1}"))).await;
    assert_eq!(stranger.status, 404);
    let forged = co
        .submit(
            "/new",
            &format!("/validate/{SUB}/{r1}/validate"),
            &[("confirm", "yes"), ("message", "ok")],
        )
        .await;
    assert_eq!(forged.status, 404, "{}", forged.body);
    assert_eq!(
        co.c.get(&co.path(&format!("/request/{r1}"))).await.status,
        404
    );

    // Validation needs the explicit tick and a message.
    let v = format!("/validate/{SUB}/{r1}");
    let unticked = prime
        .submit(
            &v,
            &format!("{v}/validate"),
            &[("message", "Travaux conformes")],
        )
        .await;
    assert_eq!(unticked.status, 422);
    assert!(unticked.body.contains("Tick the box"), "{}", unticked.body);
    let validated = prime
        .submit(
            &v,
            &format!("{v}/validate"),
            &[("confirm", "yes"), ("message", "Travaux conformes")],
        )
        .await;
    assert_eq!(validated.status, 303, "{}", validated.body);
    let again = prime
        .submit(
            "/new",
            &format!("{v}/refuse"),
            &[("reason", "other"), ("comment", "changed my mind")],
        )
        .await;
    assert_eq!(again.status, 403, "answered once: {}", again.body);
    // … and it reaches the buyer's Received invoices with no other step.
    let r = until_supplier(&sub, &r1, "MISE_A_DISPOSITION").await;
    assert_eq!(
        statuses(&r),
        [
            "DEPOSEE",
            "A_VALIDER_1",
            "VALIDEE_1",
            "TRANSMISE",
            "MISE_A_DISPOSITION"
        ]
    );
    let validation = &r["history"][2];
    assert_eq!(validation["by_structure"], "Bâtiments Pauline");
    assert_eq!(validation["comment"], "Travaux conformes");
    assert!(validation["by"].as_str().unwrap().starts_with("Pauline"));
    assert!(
        buyer_inbox(&buyer)
            .await
            .contains(&(SUB.to_string(), "ST-001".to_string()))
    );
    // The buyer's statuses come back to the subcontractor.
    let inv = format!("/s/{BUYER}/received-invoices/invoice/{SUB}/{r1}");
    let taken = buyer
        .c
        .submit(
            &inv,
            &format!("{inv}/status"),
            &[("status", "SERVICE_FAIT"), ("reason", "")],
        )
        .await;
    assert_eq!(taken.status, 303, "{}", taken.body);
    until_supplier(&sub, &r1, "SERVICE_FAIT").await;

    // 2. Refused: a reason that fits the framework, and a comment.
    let r2 = deposit_ok(&sub, "ST-002", PRIME, "", "A9_FACTURE_SOUSTRAITANT").await;
    until_validator(&prime, &r2, "A_VALIDER").await;
    let v = format!("/validate/{SUB}/{r2}");
    let wrong_reason = prime
        .submit(
            &v,
            &format!("{v}/refuse"),
            &[("reason", "above-share"), ("comment", "x")],
        )
        .await;
    assert_eq!(
        wrong_reason.status, 422,
        "a co-contractor's reason on a subcontractor's request"
    );
    let no_comment = prime
        .submit(&v, &format!("{v}/refuse"), &[("reason", "not-performed")])
        .await;
    assert_eq!(no_comment.status, 422);
    let refused = prime
        .submit(
            &v,
            &format!("{v}/refuse"),
            &[
                ("reason", "above-subcontract"),
                ("comment", "Acte spécial : 1 000 € HT"),
            ],
        )
        .await;
    assert_eq!(refused.status, 303, "{}", refused.body);
    let r = until_supplier(&sub, &r2, "REFUSEE_1").await;
    assert_eq!(r["history"][0]["reason"], "above-subcontract");
    assert_eq!(r["history"][0]["comment"], "Acte spécial : 1 000 € HT");
    let shown = sub.c.get(&sub.path(&format!("/request/{r2}"))).await;
    assert!(
        shown
            .body
            .contains("Amount above the accepted subcontracted amount"),
        "{}",
        shown.body
    );
    assert!(
        !buyer_inbox(&buyer).await.iter().any(|(_, n)| n == "ST-002"),
        "a refusal stops it"
    );

    // 3. Wrong validator: the co-contractor says so, the supplier corrects
    // it without entering the request again; the prime contractor gets it.
    let r3 = deposit_ok(&sub, "ST-003", CO, "", "A9_FACTURE_SOUSTRAITANT").await;
    until_validator(&co, &r3, "A_VALIDER").await;
    let v = format!("/validate/{SUB}/{r3}");
    let not_mine = co
        .submit(
            &v,
            &format!("{v}/not-mine"),
            &[("note", "Pas notre sous-traitant")],
        )
        .await;
    assert_eq!(not_mine.status, 303, "{}", not_mine.body);
    until_supplier(&sub, &r3, "ERREUR_FOURNISSEUR_SUR_VALIDEUR").await;
    let page = format!("/request/{r3}");
    let corrected = sub
        .submit(&page, &format!("{page}/validator"), &[("validator", PRIME)])
        .await;
    assert_eq!(corrected.status, 303, "{}", corrected.body);
    until_validator(&prime, &r3, "A_VALIDER").await;
    // A pending request moved to another validator is withdrawn from the first.
    let r4 = deposit_ok(&sub, "ST-004", CO, "", "A9_FACTURE_SOUSTRAITANT").await;
    until_validator(&co, &r4, "A_VALIDER").await;
    let page = format!("/request/{r4}");
    let corrected = sub
        .submit(&page, &format!("{page}/validator"), &[("validator", PRIME)])
        .await;
    assert_eq!(corrected.status, 303, "{}", corrected.body);
    until_validator(&co, &r4, "RETIREE").await;
    until_validator(&prime, &r4, "A_VALIDER").await;
    let v = format!("/validate/{SUB}/{r4}");
    let late = co
        .submit(
            "/new",
            &format!("{v}/validate"),
            &[("confirm", "yes"), ("message", "ok")],
        )
        .await;
    assert_eq!(late.status, 403, "withdrawn: {}", late.body);
    // Answered requests cannot be moved any more.
    let page = format!("/request/{r1}");
    let moved = sub
        .submit(&page, &format!("{page}/validator"), &[("validator", CO)])
        .await;
    assert_eq!(moved.status, 403, "{}", moved.body);

    // 4. Second level: the co-contractor validates, then the
    // representative stays silent: tacit at level 2.
    let r6 = deposit_ok(&sub, "ST-006", CO, PRIME, "A9_FACTURE_SOUSTRAITANT").await;
    until_validator(&co, &r6, "A_VALIDER").await;
    let v = format!("/validate/{SUB}/{r6}");
    let ok = co
        .submit(
            &v,
            &format!("{v}/validate"),
            &[("confirm", "yes"), ("message", "Bon pour accord")],
        )
        .await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    until_supplier(&sub, &r6, "A_VALIDER_2").await;
    let second = until_validator(&prime, &r6, "A_VALIDER").await;
    assert_eq!(second["level"], 2);
    assert_eq!(second["first"]["name"], "Charpentes Colin");

    // 5. Fourteen days pass: r3, r4 (level 1) and r6 (level 2) still wait,
    // one day left; nothing went on by itself.
    advance(&host, 14 * DAY).await;
    for a in [&mut sub, &mut prime, &mut co, &mut buyer] {
        a.back(&host, dir.path()).await;
    }
    let r = supplier_status(&sub, &r3).await;
    assert_eq!(
        (r["status"].as_str(), r["turn"]["days_left"].as_i64()),
        (Some("A_VALIDER_1"), Some(1))
    );
    let page = sub.c.get(&sub.path(&format!("/request/{r6}"))).await;
    assert!(page.body.contains("last day"), "{}", page.body);
    // The prime contractor validates r4 on its last day.
    let v = format!("/validate/{SUB}/{r4}");
    let ok = prime
        .submit(
            &v,
            &format!("{v}/validate"),
            &[("confirm", "yes"), ("message", "Vu")],
        )
        .await;
    assert_eq!(ok.status, 303, "{}", ok.body);

    // Day 15: r3 (level 1) and r6 (level 2) are validated tacitly, recorded
    // as such, and reach the buyer by themselves.
    advance(&host, DAY + 60_000).await;
    for a in [&mut sub, &mut prime, &mut buyer] {
        a.back(&host, dir.path()).await;
    }
    let r = until_supplier(&sub, &r3, "MISE_A_DISPOSITION").await;
    assert!(
        statuses(&r).contains(&"ABSENCE_VALIDATION_1_HORS_DELAI".to_string()),
        "{r}"
    );
    let r = until_supplier(&sub, &r6, "MISE_A_DISPOSITION").await;
    assert_eq!(
        statuses(&r),
        [
            "DEPOSEE",
            "A_VALIDER_1",
            "VALIDEE_1",
            "A_VALIDER_2",
            "ABSENCE_VALIDATION_2_HORS_DELAI",
            "TRANSMISE",
            "MISE_A_DISPOSITION"
        ]
    );
    until_supplier(&sub, &r4, "MISE_A_DISPOSITION").await;
    let held = until_validator(&prime, &r3, "HORS_DELAI").await;
    assert_eq!(held["pending"], false);
    let v = format!("/validate/{SUB}/{r3}");
    let after = prime
        .submit(
            "/new",
            &format!("{v}/refuse"),
            &[("reason", "other"), ("comment", "trop tard")],
        )
        .await;
    assert_eq!(
        after.status, 403,
        "after the tacit validation: {}",
        after.body
    );
    let inbox = buyer_inbox(&buyer).await;
    for n in ["ST-001", "ST-003", "ST-004", "ST-006"] {
        assert_eq!(
            inbox.iter().filter(|(_, x)| x == n).count(),
            1,
            "{n} once: {inbox:?}"
        );
    }
}

#[tokio::test]
async fn the_tacit_timer_survives_a_restart_and_fires_once() {
    let dir = tempfile::tempdir().unwrap();
    let first = Host::spawn(dir.path(), &catalog());
    let mut sub = Actor::new(
        &first,
        dir.path(),
        AREA,
        "Sami",
        SUB,
        "Électricité Sami",
        "private",
    )
    .await;
    let mut prime = Actor::new(
        &first,
        dir.path(),
        AREA,
        "Pauline",
        PRIME,
        "Bâtiments Pauline",
        "private",
    )
    .await;
    let mut buyer = Actor::new(
        &first,
        dir.path(),
        AREA,
        "Bertrand",
        BUYER,
        "Préfecture",
        "public",
    )
    .await;
    let r1 = deposit_ok(&sub, "ST-101", PRIME, "", "A12_FACTURE_COTRAITANT").await;
    until_validator(&prime, &r1, "A_VALIDER").await;
    advance(&first, 10 * DAY).await;
    drop(first); // SIGKILL

    // A new process, its clock back at the system's time: 15 days from now
    // the timer is due, and fires once.
    let second = Host::spawn(dir.path(), &catalog());
    advance(&second, 15 * DAY + 60_000).await;
    for a in [&mut sub, &mut prime, &mut buyer] {
        a.back(&second, dir.path()).await;
    }
    let r = until_supplier(&sub, &r1, "MISE_A_DISPOSITION").await;
    let tacit = statuses(&r)
        .iter()
        .filter(|s| s.starts_with("ABSENCE_VALIDATION"))
        .count();
    assert_eq!(tacit, 1, "{r}");
    drop(second);

    // Restarted again and 15 more days: a fresh request's timer fires (the
    // worker made its pass), and the first one was not validated twice.
    let third = Host::spawn(dir.path(), &catalog());
    for a in [&mut sub, &mut prime, &mut buyer] {
        a.back(&third, dir.path()).await;
    }
    let r2 = deposit_ok(&sub, "ST-102", PRIME, "", "A12_FACTURE_COTRAITANT").await;
    until_validator(&prime, &r2, "A_VALIDER").await;
    advance(&third, 15 * DAY + 60_000).await;
    for a in [&mut sub, &mut prime, &mut buyer] {
        a.back(&third, dir.path()).await;
    }
    until_supplier(&sub, &r2, "MISE_A_DISPOSITION").await;
    let r = supplier_status(&sub, &r1).await;
    assert_eq!(
        statuses(&r)
            .iter()
            .filter(|s| s.starts_with("ABSENCE_VALIDATION"))
            .count(),
        1,
        "{r}"
    );
    let inbox = buyer_inbox(&buyer).await;
    assert_eq!(
        inbox.iter().filter(|(_, n)| n == "ST-101").count(),
        1,
        "{inbox:?}"
    );
    let held = prime.json(&format!("/validate/{SUB}/{r1}")).await;
    assert_eq!(held["status"], "HORS_DELAI");
}
