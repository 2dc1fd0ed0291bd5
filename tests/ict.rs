//! ICT refunds request, end to end through the real host: a farm files
//! its request for a campaign (RIB, fuel invoices with copies, advances),
//! the refund is computed from the campaign's rates, a second request for
//! the campaign is refused with a link to the first, an accounting firm
//! linked to two farms files for both and sees whose request is whose,
//! and the customs office accepts, adjusts or rejects. One portal.

mod support;

use std::time::{Duration, Instant};
use support::{Client, Page, Portal, multipart, pdf};

const PASSWORD: &str = "correct horse battery staple";
/// The customs office of the campaigns (data/rates.json).
const CUSTOMS: &str = "11000201100044";
const FARM_A: &str = "44311871000013";
const FARM_B: &str = "51234567800019";
const FIRM: &str = "80123456700015";

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
  - id: ict-refunds
    title: ICT refunds request
    plugin: {ict}
    version: 1.0.0
    order: 30
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
        ict = support::plugin("ict-refunds").display(),
        account = support::plugin("my-account").display(),
    )
}

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

fn ma(s: &str, path: &str) -> String {
    format!("/s/{s}/manager-activities{path}")
}

async fn manage(c: &Client, s: &str, page: &str, action: &str, form: &[(&str, &str)]) {
    let r = c.submit(&ma(s, page), &ma(s, action), form).await;
    assert_eq!(r.status, 303, "{action}: {}", r.body);
}

/// A manager with a structure that has the area and bank details.
async fn structure(
    portal: &Portal,
    first: &str,
    email: &str,
    siret: &str,
    name: &str,
    kind: &str,
) -> Client {
    let c = portal.client();
    c.sign_up(first, email, PASSWORD).await;
    let created = c.create_structure(siret, name, kind).await;
    assert_eq!(created.status, 303, "{}", created.body);
    manage(
        &c,
        siret,
        "/areas",
        "/areas/add",
        &[("area", "ict-refunds")],
    )
    .await;
    c
}

async fn bank(c: &Client, s: &str, holder: &str) {
    manage(
        c,
        s,
        "/bank",
        "/bank",
        &[
            ("holder", holder),
            ("iban", "FR76 3000 6000 0112 3456 7890 189"),
            ("bic", "AGRIFRPP"),
        ],
    )
    .await;
}

/// The 2024 campaign's request: GNR 14.96 €/hl in 2023 and 18.10 €/hl in
/// 2024 (data/rates.json); volumes in hundredths.
fn request<'a>(category: &'a str, advances: &'a str, firm: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("campaign", "2024"),
        ("category", category),
        ("advances", advances),
        ("firm", firm),
        ("supplier-1", "Coopérative Agricole du Val"),
        ("date-1", "2024-03-12"),
        ("product-1", "gnr"),
        ("volume-1", "12,5"),
        ("supplier-2", "GRDF"),
        ("date-2", "2024-11-30"),
        ("product-2", "natural-gas"),
        ("volume-2", "3,25"),
    ]
}

/// A copy of 600 kB: more than one `file-part` message (190 KiB each).
fn big_pdf() -> Vec<u8> {
    let mut bytes = b"%PDF-1.4\n".to_vec();
    bytes.extend((0..600_000).map(|i| b'a' + (i % 26) as u8));
    bytes.extend_from_slice(b"\n%%EOF\n");
    bytes
}

fn copies() -> Vec<(&'static str, &'static str, Vec<u8>)> {
    vec![
        ("rib", "rib.pdf", pdf("rib")),
        ("copy-1", "facture-gnr.pdf", big_pdf()),
        ("copy-2", "facture-gaz.pdf", pdf("gaz")),
    ]
}

#[tokio::test]
async fn farms_file_once_per_campaign_firms_file_for_them_customs_decide() {
    let portal = Portal::start(&areas());
    let customs = structure(
        &portal,
        "Marc",
        "marc@douane.example",
        CUSTOMS,
        "DGDDI — service TIC agricole",
        "public",
    )
    .await;
    let anne = structure(
        &portal,
        "Anne",
        "anne@ferme-a.example",
        FARM_A,
        "EARL des Trois Chênes",
        "private",
    )
    .await;
    let base = format!("/s/{FARM_A}/ict-refunds");
    let new = format!("{base}/new?campaign=2024");

    // Field-level errors: no RIB, no copy, a volume that is not one, a date
    // outside the campaign's year, a wrong file.
    let bad = multipart(
        &anne,
        &new,
        &format!("{base}/save"),
        &[
            ("campaign", "2024"),
            ("category", "farming-company"),
            ("supplier-1", "Coop"),
            ("date-1", "2023-05-01"),
            ("product-1", "gnr"),
            ("volume-1", "douze"),
            ("supplier-2", "GRDF"),
            ("date-2", "2024-02-02"),
            ("product-2", "lpg"),
            ("volume-2", "4"),
        ],
        &[("copy-2", "copie.exe", b"MZ".to_vec())],
    )
    .await;
    assert_eq!(bad.status, 422);
    for field in [
        "rib-error",
        "copy-1-error",
        "volume-1-error",
        "date-1-error",
        "copy-2-error",
    ] {
        assert!(bad.body.contains(field), "{field}: {}", bad.body);
    }
    assert!(bad.body.contains("is not accepted"));

    // The computation, line by line, before sending.
    let saved = multipart(
        &anne,
        &new,
        &format!("{base}/save"),
        &request("farming-company", "50", ""),
        &copies(),
    )
    .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let summary = format!("{base}/request/2024");
    let json = anne.get_json(&summary).await.json();
    let r = &json["r"];
    // 18.10 €/hl × 12.5 hl = 226.25 €; 15.75 €/MWh × 3.25 MWh = 51.1875 → 51.19 €.
    assert_eq!(r["invoices"][0]["refund"], "226.25");
    assert_eq!(r["invoices"][0]["rate"], "18.10");
    assert_eq!(r["invoices"][1]["refund"], "51.19");
    assert_eq!(r["gross"], "277.44");
    assert_eq!(r["advances"], "50.00");
    assert_eq!(r["refund"], "227.44");
    assert!(
        r["source"]["en"]
            .as_str()
            .unwrap()
            .contains("code des impositions sur les biens et services")
    );
    assert!(
        r["source"]["fr"]
            .as_str()
            .unwrap()
            .contains("code des impositions sur les biens et services")
    );
    let page = anne.get(&summary).await;
    assert!(
        page.body.contains("Refund per unit"),
        "shown before sending"
    );

    // Sending needs the farm's bank details.
    let refused = anne.submit(&summary, &format!("{summary}/send"), &[]).await;
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("no bank details"), "{}", refused.body);
    bank(&anne, FARM_A, "EARL des Trois Chênes").await;
    let sent = anne.submit(&summary, &format!("{summary}/send"), &[]).await;
    assert_eq!(sent.status, 303, "{}", sent.body);

    // One request per campaign: the second is refused with a link to the first.
    let again = multipart(
        &anne,
        &new,
        &format!("{base}/save"),
        &request("farming-company", "0", ""),
        &copies(),
    )
    .await;
    assert_eq!(again.status, 422);
    assert!(
        again
            .body
            .contains("already sent its request for the 2024 campaign"),
        "{}",
        again.body
    );
    assert!(again.body.contains(r#"id="first-request""#));
    assert!(again.body.contains("ict-refunds&#x2f;request&#x2f;2024"));
    let list = anne.get(&base).await;
    assert!(
        list.body.contains("2023 campaign"),
        "the other campaign stays open"
    );
    assert!(!list.body.contains("File the request for the 2024 campaign"));

    // The customs adjust the amount, with a reason; the farm follows it.
    let received = format!("/s/{CUSTOMS}/ict-refunds/received/{FARM_A}/2024");
    eventually(&customs, &received, |p| p.status == 200).await;
    // The customs download the RIB and each copy the farm attached: the
    // same bytes, from their own copy (the large copy crossed in parts).
    for (n, bytes) in [("rib", pdf("rib")), ("1", big_pdf()), ("2", pdf("gaz"))] {
        let got = eventually(&customs, &format!("{received}/file/{n}"), |p| {
            p.status == 200
        })
        .await;
        assert_eq!(got.body.as_bytes(), bytes, "file {n}");
        let mine = anne.get(&format!("{summary}/file/{n}")).await;
        assert_eq!(mine.body.as_bytes(), bytes, "the farm's own file {n}");
    }
    let page = customs.get(&received).await;
    assert!(page.body.contains("facture-gnr.pdf"));
    let link = format!("{}/file/1", received.replace('/', "&#x2f;"));
    assert!(page.body.contains(&link), "{}", page.body);
    let home = customs.get(&format!("/s/{CUSTOMS}/homepage")).await;
    assert!(
        home.body.contains("1 ICT refund request(s) to process"),
        "{}",
        home.body
    );
    let no_reason = customs
        .submit(
            &received,
            &format!("{received}/decide"),
            &[("action", "adjust"), ("amount", "140")],
        )
        .await;
    assert_eq!(no_reason.status, 422);
    assert!(no_reason.body.contains("reason-error"));
    let adjusted = customs
        .submit(
            &received,
            &format!("{received}/decide"),
            &[
                ("action", "adjust"),
                ("amount", "140,00"),
                (
                    "reason",
                    "Facture GRDF hors périmètre agricole pour partie.",
                ),
            ],
        )
        .await;
    assert_eq!(adjusted.status, 303, "{}", adjusted.body);
    let page = eventually(&anne, &summary, |p| {
        p.body.contains("Accepted with an adjusted amount")
    })
    .await;
    assert!(
        page.body
            .contains("Facture GRDF hors périmètre agricole pour partie.")
    );
    assert_eq!(
        anne.get_json(&summary).await.json()["r"]["refund"],
        "140.00"
    );

    // An accounting firm linked to two farms files for each of them.
    let paul = structure(
        &portal,
        "Paul",
        "paul@compta-rurale.example",
        FIRM,
        "Compta Rurale",
        "private",
    )
    .await;
    let bruno = structure(
        &portal,
        "Bruno",
        "bruno@ferme-b.example",
        FARM_B,
        "GAEC du Moulin",
        "private",
    )
    .await;
    bank(&bruno, FARM_B, "GAEC du Moulin").await;
    for (farm, manager) in [(FARM_A, &anne), (FARM_B, &bruno)] {
        let asked = paul
            .submit(
                &format!("/me/my-account?q={farm}"),
                "/me/my-account/link-requests",
                &[("structure", farm)],
            )
            .await;
        assert_eq!(asked.status, 303, "{}", asked.body);
        let requests = manager.get_json(&ma(farm, "/link-requests")).await.json();
        let id = requests["link_requests"][0]["user_id"]
            .as_str()
            .unwrap()
            .to_string();
        manage(
            manager,
            farm,
            "/link-requests",
            "/link-requests",
            &[("user", &id), ("decision", "approve"), ("role", "user")],
        )
        .await;
        let sub = paul
            .submit(
                "/me/my-account",
                "/me/my-account/subscriptions",
                &[
                    ("structure", farm),
                    ("area", "ict-refunds"),
                    ("mode", "modification"),
                ],
            )
            .await;
        assert_eq!(sub.status, 303, "{}", sub.body);
        manage(
            manager,
            farm,
            "/subscriptions",
            "/subscriptions",
            &[
                ("user", &id),
                ("area", "ict-refunds"),
                ("decision", "approve"),
            ],
        )
        .await;
    }
    // Not linked to a farm: no access to its requests.
    let outsider = portal.client();
    outsider.sign_up("Eve", "eve@example.com", PASSWORD).await;
    assert!(matches!(outsider.get(&summary).await.status, 403 | 404));

    let b_base = format!("/s/{FARM_B}/ict-refunds");
    let firm_base = format!("/s/{FIRM}/ict-refunds");
    // Naming the firm needs the firm's own declaration: refused until then.
    let undeclared = multipart(
        &paul,
        &format!("{b_base}/new?campaign=2024"),
        &format!("{b_base}/save"),
        &request("individual-farm", "0", FIRM),
        &copies(),
    )
    .await;
    assert_eq!(undeclared.status, 422, "{}", undeclared.body);
    assert!(
        undeclared
            .body
            .contains("Compta Rurale has not declared, from its own structure"),
        "{}",
        undeclared.body
    );
    assert!(undeclared.body.contains("firm-error"));
    // The firm declares both farms from its own structure; a wrong SIRET
    // is refused on its field.
    let wrong = paul
        .submit(
            &firm_base,
            &format!("{firm_base}/mandates"),
            &[("op", "add"), ("farm", "12345678901234")],
        )
        .await;
    assert_eq!(wrong.status, 422);
    assert!(wrong.body.contains("farm-error"), "{}", wrong.body);
    for farm in [FARM_A, FARM_B] {
        let declared = paul
            .submit(
                &firm_base,
                &format!("{firm_base}/mandates"),
                &[("op", "add"), ("farm", farm)],
            )
            .await;
        assert_eq!(declared.status, 303, "{}", declared.body);
    }
    // Only a manager of the farm's structure (or its members) sees who
    // files for it; the farm's form names the firm.
    eventually(&bruno, &b_base, |p| p.body.contains(r#"id="firms""#)).await;
    let form = eventually(&paul, &format!("{b_base}/new?campaign=2024"), |p| {
        p.body.contains("firms-declared")
    })
    .await;
    assert!(form.body.contains("Compta Rurale"));
    let saved = multipart(
        &paul,
        &format!("{b_base}/new?campaign=2024"),
        &format!("{b_base}/save"),
        &request("individual-farm", "0", FIRM),
        &copies(),
    )
    .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let b_summary = format!("{b_base}/request/2024");
    assert_eq!(
        paul.submit(&b_summary, &format!("{b_summary}/send"), &[])
            .await
            .status,
        303
    );
    let a23 = multipart(
        &paul,
        &format!("{base}/new?campaign=2023"),
        &format!("{base}/save"),
        &[
            ("campaign", "2023"),
            ("category", "farming-company"),
            ("advances", "0"),
            ("firm", FIRM),
            ("supplier-1", "Coop"),
            ("date-1", "2023-06-01"),
            ("product-1", "gnr"),
            ("volume-1", "10"),
        ],
        &[
            ("rib", "rib.pdf", pdf("rib")),
            ("copy-1", "f.pdf", pdf("f")),
        ],
    )
    .await;
    assert_eq!(a23.status, 303, "{}", a23.body);
    let a23_summary = format!("{base}/request/2023");
    let json = paul.get_json(&a23_summary).await.json();
    assert_eq!(json["r"]["refund"], "149.60", "14.96 €/hl × 10 hl in 2023");
    assert_eq!(
        paul.submit(&a23_summary, &format!("{a23_summary}/send"), &[])
            .await
            .status,
        303
    );

    // The firm's own list says whose request is whose.
    let start = Instant::now();
    let json = loop {
        let json = paul.get_json(&firm_base).await.json();
        if json["clients"].as_array().is_some_and(|c| c.len() == 2) {
            break json;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "{json}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let firm_list = paul.get(&firm_base).await;
    assert!(firm_list.body.contains("Requests filed for your clients"));
    assert!(firm_list.body.contains("GAEC du Moulin"));
    let mut whose: Vec<(String, u64)> = json["clients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["farm"]["id"].as_str().unwrap().to_string(),
                r["year"].as_u64().unwrap(),
            )
        })
        .collect();
    whose.sort();
    assert_eq!(
        whose,
        [(FARM_A.to_string(), 2023), (FARM_B.to_string(), 2024)]
    );

    // Accepted and rejected; statuses reach the farm and the firm.
    let b_received = format!("/s/{CUSTOMS}/ict-refunds/received/{FARM_B}/2024");
    eventually(&customs, &b_received, |p| p.status == 200).await;
    assert_eq!(
        customs
            .submit(
                &b_received,
                &format!("{b_received}/decide"),
                &[("action", "accept")]
            )
            .await
            .status,
        303
    );
    let a_received = format!("/s/{CUSTOMS}/ict-refunds/received/{FARM_A}/2023");
    eventually(&customs, &a_received, |p| p.status == 200).await;
    let rejected = customs
        .submit(
            &a_received,
            &format!("{a_received}/decide"),
            &[("action", "reject"), ("reason", "Demande hors délai.")],
        )
        .await;
    assert_eq!(rejected.status, 303);
    eventually(&bruno, &format!("/s/{FARM_B}/homepage"), |p| {
        p.body.contains("ICT request 2024: Accepted")
    })
    .await;
    eventually(&anne, &a23_summary, |p| {
        p.body.contains("Demande hors délai.")
    })
    .await;
    let firm_json = eventually(&paul, &format!("/s/{FIRM}/ict-refunds"), |p| {
        p.body.contains("Accepted<") && p.body.contains("Rejected<")
    })
    .await;
    assert!(firm_json.body.contains("GAEC du Moulin"));

    // Tenant isolation: the customs' copies are theirs; a farm sees only its own.
    assert!(matches!(bruno.get(&summary).await.status, 403 | 404));
    assert!(matches!(anne.get(&received).await.status, 403 | 404));
    assert!(matches!(
        anne.get(&format!("{received}/file/rib")).await.status,
        403 | 404
    ));
}
