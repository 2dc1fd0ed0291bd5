//! Work invoices end to end, over HTTP, on a real host with the movable
//! clock: the contract's identity sheet, a monthly cycle through the firm,
//! the MOE (who corrects an amount), the MOA and the financial service's
//! Received invoices up to Payment; a refusal that stops the circuit; an
//! MOE step done late and marked so; the end of contract with the tacit
//! procedure (A22 → A23) across a restart; a general statement the firm
//! does not sign in time becoming definitive (A24 after the MOE's A18, A25
//! after the MOA's A20). The clock moves; no sleeps.

mod support;

use serde_json::Value;
use support::clocked::{Actor, Host, advance, eventually};

const AREA: &str = "work-invoices";
const FIRM: &str = "55200000000018";
const MOE: &str = "66300000000013";
const MOA: &str = "13000165200010";
const FIN: &str = "21300000000017";
const STRANGER: &str = "77400000000018";
const DAY: u64 = 86_400_000;

fn catalog() -> String {
    format!(
        r#"areas:
  - id: homepage
    title: Logged-in homepage
    plugin: {homepage}
    version: 1.0.0
    order: 10
    capabilities: [facts, log]
  - id: work-invoices
    title: Work invoices
    plugin: {works}
    version: 1.0.0
    order: 65
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
        works = support::plugin("work-invoices").display(),
        received = support::plugin("received-invoices").display(),
        account = support::plugin("my-account").display(),
    )
}

struct Cast {
    firm: Actor,
    moe: Actor,
    moa: Actor,
    fin: Actor,
}

impl Cast {
    async fn new(host: &Host, dir: &std::path::Path) -> Cast {
        Cast {
            firm: Actor::new(
                host,
                dir,
                AREA,
                "Florence",
                FIRM,
                "Bâtiments Florence",
                "private",
            )
            .await,
            moe: Actor::new(
                host,
                dir,
                AREA,
                "Mathieu",
                MOE,
                "Atelier d'architecture Mathieu",
                "private",
            )
            .await,
            moa: Actor::new(host, dir, AREA, "Agnès", MOA, "Préfecture", "public").await,
            fin: Actor::new(
                host,
                dir,
                AREA,
                "Fabrice",
                FIN,
                "Service facturier",
                "public",
            )
            .await,
        }
    }

    async fn back(&mut self, host: &Host, dir: &std::path::Path) {
        for a in [&mut self.firm, &mut self.moe, &mut self.moa, &mut self.fin] {
            a.back(host, dir).await;
        }
    }
}

fn sheet(number: &str) -> Vec<(&'static str, String)> {
    vec![
        ("number", number.to_string()),
        ("object", "Rénovation de l'aile nord".into()),
        ("moe", MOE.into()),
        ("moa", MOA.into()),
        ("financial", FIN.into()),
        ("order_number", "EJ-2026-0500".into()),
        ("moe_days", "7".into()),
        ("moa_days", "7".into()),
        ("dg_days", "30".into()),
        ("a22_days", "10".into()),
        ("payment_days", "30".into()),
    ]
}

async fn create_contract(firm: &Actor, number: &str) {
    let fields = sheet(number);
    let form: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let created = firm.submit("/contract/new", "/contract/new", &form).await;
    assert_eq!(created.status, 303, "{}", created.body);
}

async fn deposit(firm: &Actor, number: &str, kind: &str, amount: &str) -> String {
    let page = format!("/contract/{FIRM}/{number}");
    let sent = firm
        .submit(
            &page,
            &format!("{page}/deposit"),
            &[("kind", kind), ("amount", amount), ("vat_rate", "20")],
        )
        .await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    let loc = sent.location.unwrap();
    loc.split('/')
        .next_back()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_string()
}

fn file_path(number: &str, no: &str) -> String {
    format!("/file/{FIRM}/{number}/{no}")
}

async fn file(a: &Actor, number: &str, no: &str) -> Option<Value> {
    let page = a.c.get_json(&a.path(&file_path(number, no))).await;
    (page.status == 200).then(|| page.json())
}

async fn until_step(a: &Actor, number: &str, no: &str, step: &str) -> Value {
    eventually(
        &format!("{} to see {number}/{no} at {step}", a.siret),
        || async {
            file(a, number, no)
                .await
                .filter(|f| f["row"]["step"] == step)
        },
    )
    .await
}

async fn act(
    a: &Actor,
    number: &str,
    no: &str,
    action: &str,
    form: &[(&str, &str)],
) -> support::Page {
    let p = file_path(number, no);
    a.submit(&p, &format!("{p}/{action}"), form).await
}

/// The codes of a file's pieces, oldest first.
fn piece_codes(f: &Value) -> Vec<&str> {
    f["pieces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].as_str().unwrap())
        .collect()
}

fn statuses(f: &Value) -> Vec<String> {
    let mut v: Vec<String> = f["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["status"].as_str().unwrap().to_string())
        .collect();
    v.reverse();
    v
}

#[tokio::test]
async fn a_monthly_cycle_through_four_actors_a_refusal_and_a_late_moe() {
    let dir = tempfile::tempdir().unwrap();
    let host = Host::spawn(dir.path(), &catalog());
    let mut cast = Cast::new(&host, dir.path()).await;
    let stranger = Actor::new(
        &host,
        dir.path(),
        AREA,
        "Sylvie",
        STRANGER,
        "Autre SARL",
        "private",
    )
    .await;

    // The identity sheet: parties checked live, each told.
    let mut bad = sheet("C-BAD");
    bad.retain(|(k, _)| *k != "moe");
    bad.push(("moe", MOA.into()));
    let form: Vec<(&str, &str)> = bad.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let refused = cast
        .firm
        .submit("/contract/new", "/contract/new", &form)
        .await;
    assert_eq!(refused.status, 422);
    assert!(
        refused.body.contains("the project manager is a company"),
        "{}",
        refused.body
    );
    create_contract(&cast.firm, "M-2026-07").await;
    for a in [&cast.moe, &cast.moa, &cast.fin] {
        eventually("the sheet to reach every party", || async {
            let p =
                a.c.get_json(&a.path(&format!("/contract/{FIRM}/M-2026-07")))
                    .await;
            (p.status == 200).then_some(())
        })
        .await;
    }

    // 1. The firm deposits its monthly draft (A4): the MOE has 7 days.
    let no = deposit(&cast.firm, "M-2026-07", "monthly", "10000").await;
    let f = until_step(&cast.moe, "M-2026-07", &no, "A16").await;
    assert_eq!(f["row"]["yours"], true);
    assert_eq!(f["row"]["days_left"], 7);
    let f = until_step(&cast.moa, "M-2026-07", &no, "A16").await;
    assert_eq!(f["row"]["holder"]["name"], "Atelier d'architecture Mathieu");
    assert_eq!(f["row"]["yours"], false);
    // Nobody skips a step: the MOA, the firm, a stranger.
    assert_eq!(
        act(&cast.moa, "M-2026-07", &no, "validate", &[])
            .await
            .status,
        403
    );
    assert_eq!(
        act(&cast.firm, "M-2026-07", &no, "sign", &[("confirm", "yes")])
            .await
            .status,
        403
    );
    assert_eq!(
        stranger
            .c
            .get(&stranger.path(&file_path("M-2026-07", &no)))
            .await
            .status,
        404
    );
    // The MOE corrects the amount (never refuses for it), and says why.
    let silent = act(
        &cast.moe,
        "M-2026-07",
        &no,
        "statement",
        &[("amount", "9500")],
    )
    .await;
    assert_eq!(silent.status, 422);
    assert!(silent.body.contains("say why"), "{}", silent.body);
    let ok = act(
        &cast.moe,
        "M-2026-07",
        &no,
        "statement",
        &[
            ("amount", "9500"),
            ("comment", "Lot peinture : 95 % réalisés, pas 100 %"),
        ],
    )
    .await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    let f = until_step(&cast.moa, "M-2026-07", &no, "A19").await;
    assert_eq!(f["row"]["yours"], true);
    assert_eq!(f["amount"], "9500.00");
    // The MOA validates: the piece reaches the financial service.
    let ok = act(&cast.moa, "M-2026-07", &no, "validate", &[("comment", "")]).await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    let f = until_step(&cast.firm, "M-2026-07", &no, "PAY").await;
    let codes = piece_codes(&f);
    assert_eq!(codes, ["A4", "A16", "A19"]);
    let invoice = format!("/s/{FIN}/received-invoices/invoice/{FIRM}/M-2026-07~{no}");
    let received = eventually("the financial service to receive it", || async {
        let p = cast.fin.c.get_json(&invoice).await;
        (p.status == 200).then(|| p.json())
    })
    .await;
    assert_eq!(received["inv"]["totals"]["net"], 950_000);
    assert_eq!(received["inv"]["order_number"], "EJ-2026-0500");
    for status in ["MISE_A_DISPOSITION_COMPTABLE", "MISE_EN_PAIEMENT"] {
        let set = cast
            .fin
            .c
            .submit(
                &invoice,
                &format!("{invoice}/status"),
                &[("status", status), ("reason", "")],
            )
            .await;
        assert_eq!(set.status, 303, "{}", set.body);
    }
    let f = until_step(&cast.moe, "M-2026-07", &no, "DONE").await;
    assert_eq!(f["row"]["status"], "MISE_EN_PAIEMENT");
    assert!(statuses(&f).contains(&"MISE_EN_PAIEMENT".to_string()));

    // 2. A refusal stops the circuit and says why.
    let no2 = deposit(&cast.firm, "M-2026-07", "monthly", "8000").await;
    until_step(&cast.moe, "M-2026-07", &no2, "A16").await;
    let no_reason = act(&cast.moe, "M-2026-07", &no2, "refuse", &[("comment", "x")]).await;
    assert_eq!(no_reason.status, 422);
    let refused = act(
        &cast.moe,
        "M-2026-07",
        &no2,
        "refuse",
        &[
            ("reason", "wrong-contract"),
            ("comment", "Ce décompte concerne le lot 4"),
        ],
    )
    .await;
    assert_eq!(refused.status, 303, "{}", refused.body);
    let f = until_step(&cast.firm, "M-2026-07", &no2, "STOPPED").await;
    assert_eq!(f["row"]["status"], "REFUSEE_MOE");
    assert_eq!(f["events"][0]["reason"], "wrong-contract");
    assert_eq!(
        act(&cast.moa, "M-2026-07", &no2, "validate", &[])
            .await
            .status,
        403
    );

    // 3. The MOE lets 7 days pass: overdue on every actor's view; done on
    // day 9, the piece stays marked late.
    let no3 = deposit(&cast.firm, "M-2026-07", "monthly", "7000").await;
    until_step(&cast.moe, "M-2026-07", &no3, "A16").await;
    advance(&host, 8 * DAY).await;
    cast.back(&host, dir.path()).await;
    let f = eventually("the MOE step to be overdue", || async {
        file(&cast.firm, "M-2026-07", &no3)
            .await
            .filter(|f| statuses(f).contains(&"DELAI_DEPASSE".to_string()))
    })
    .await;
    assert_eq!(f["row"]["overdue"], true);
    let page = cast
        .moa
        .c
        .get(&cast.moa.path(&file_path("M-2026-07", &no3)))
        .await;
    assert!(page.body.contains("day(s) overdue"), "{}", page.body);
    let home = cast.moa.c.get(&format!("/s/{MOA}/homepage")).await;
    assert!(
        home.body.contains("M-2026-07 n° 3") && home.body.contains("day(s) overdue"),
        "the overdue MOE step on the MOA's homepage: {}",
        home.body
    );
    let late = act(&cast.moe, "M-2026-07", &no3, "statement", &[("amount", "")]).await;
    assert_eq!(late.status, 303, "{}", late.body);
    let f = until_step(&cast.moa, "M-2026-07", &no3, "A19").await;
    assert_eq!(f["pieces"][1]["code"], "A16");
    assert_eq!(
        f["pieces"][1]["late"], true,
        "done late, marked late forever"
    );
    assert_eq!(
        f["row"]["overdue"], false,
        "the MOA's own clock starts fresh"
    );

    // 4. An MOE absent from the portal: the sheet says so (no SIRET), and
    // the firm's monthly piece is an initial submission (A6) to the MOA,
    // whose receipt starts the payment period; the MOE has no step.
    let mut absent: Vec<(&str, String)> = sheet("M-2026-09");
    absent.retain(|(k, _)| *k != "moe");
    absent.push(("moe_absent", "yes".into()));
    let form: Vec<(&str, &str)> = absent.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let created = cast
        .firm
        .submit("/contract/new", "/contract/new", &form)
        .await;
    assert_eq!(created.status, 303, "{}", created.body);
    let page = cast
        .firm
        .c
        .get(&cast.firm.path(&format!("/contract/{FIRM}/M-2026-09")))
        .await;
    assert!(page.body.contains("Not on the portal"), "{}", page.body);
    assert!(page.body.contains("Deposit to the contracting authority"));
    // With a supporting document: a wrong type is refused on its field;
    // the MOA downloads the very bytes from its own copy.
    let contract_page = cast.firm.path(&format!("/contract/{FIRM}/M-2026-09"));
    let deposit_path = format!("{contract_page}/deposit");
    let fields = [("kind", "monthly"), ("amount", "4000"), ("vat_rate", "20")];
    let wrong = support::multipart(
        &cast.firm.c,
        &contract_page,
        &deposit_path,
        &fields,
        &[("documents", "situation.exe", b"MZ".to_vec())],
    )
    .await;
    assert_eq!(wrong.status, 422);
    assert!(wrong.body.contains("documents-error"), "{}", wrong.body);
    let mut situation = b"%PDF-1.4\n".to_vec();
    situation.extend((0..300_000).map(|i| b'a' + (i % 26) as u8));
    situation.extend_from_slice(b"\n%%EOF\n");
    let sent = support::multipart(
        &cast.firm.c,
        &contract_page,
        &deposit_path,
        &fields,
        &[("documents", "situation-09.pdf", situation.clone())],
    )
    .await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    let no4 = sent
        .location
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let f = until_step(&cast.moa, "M-2026-09", &no4, "A19").await;
    assert_eq!(f["pieces"][0]["code"], "A6");
    assert_eq!(f["pieces"][0]["files"][0]["name"], "situation-09.pdf");
    let doc = cast
        .moa
        .path(&format!("{}/piece/0/0", file_path("M-2026-09", &no4)));
    let got = eventually("the MOA to have the document's bytes", || async {
        let p = cast.moa.c.get(&doc).await;
        (p.status == 200).then_some(p)
    })
    .await;
    assert_eq!(got.body.as_bytes(), situation);
    assert!(matches!(cast.moe.c.get(&doc).await.status, 403 | 404));
    assert_eq!(f["row"]["yours"], true);
    assert!(
        file(&cast.moe, "M-2026-09", &no4).await.is_none(),
        "the MOE named on another contract gets nothing of this one"
    );
    let ok = act(&cast.moa, "M-2026-09", &no4, "validate", &[("comment", "")]).await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    let f = until_step(&cast.firm, "M-2026-09", &no4, "PAY").await;
    let codes = piece_codes(&f);
    assert_eq!(codes, ["A6", "A19"]);
    eventually("the financial service to receive the A6 file", || async {
        let p = cast
            .fin
            .c
            .get_json(&format!(
                "/s/{FIN}/received-invoices/invoice/{FIRM}/M-2026-09~{no4}"
            ))
            .await;
        (p.status == 200).then_some(())
    })
    .await;
}

#[tokio::test]
async fn the_end_of_contract_tacit_procedure_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let first = Host::spawn(dir.path(), &catalog());
    let mut cast = Cast::new(&first, dir.path()).await;
    create_contract(&cast.firm, "M-2026-08").await;
    eventually("the sheet to reach the MOE", || async {
        let p = cast
            .moe
            .c
            .get_json(&cast.moe.path(&format!("/contract/{FIRM}/M-2026-08")))
            .await;
        (p.status == 200).then_some(())
    })
    .await;
    let no = deposit(&cast.firm, "M-2026-08", "final", "120000").await;
    until_step(&cast.moe, "M-2026-08", &no, "A17").await;
    let ok = act(&cast.moe, "M-2026-08", &no, "statement", &[("amount", "")]).await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    let f = until_step(&cast.firm, "M-2026-08", &no, "A20").await;
    assert_eq!(
        f["row"]["days_left"], 30,
        "30 days from the MOE's receipt of the final draft"
    );
    // Before the 30 days, no tacit procedure.
    let early = act(
        &cast.firm,
        "M-2026-08",
        &no,
        "tacit-draft",
        &[("confirm", "yes")],
    )
    .await;
    assert_eq!(early.status, 403, "{}", early.body);
    drop(first); // SIGKILL

    // A new process (its clock back at the system's time): 31 days on, the
    // DG's timer fires once in the MOA's structure and opens the procedure.
    let second = Host::spawn(dir.path(), &catalog());
    advance(&second, 31 * DAY).await;
    cast.back(&second, dir.path()).await;
    let f = eventually("the DG deadline to pass", || async {
        file(&cast.firm, "M-2026-08", &no)
            .await
            .filter(|f| f["tacit_draft"] == true)
    })
    .await;
    assert_eq!(
        statuses(&f)
            .iter()
            .filter(|s| *s == "DELAI_DEPASSE")
            .count(),
        1
    );
    let unsigned = act(
        &cast.firm,
        "M-2026-08",
        &no,
        "tacit-draft",
        &[("amount", "")],
    )
    .await;
    assert_eq!(unsigned.status, 422);
    let a22 = act(
        &cast.firm,
        "M-2026-08",
        &no,
        "tacit-draft",
        &[("amount", ""), ("confirm", "yes")],
    )
    .await;
    assert_eq!(a22.status, 303, "{}", a22.body);
    let f = until_step(&cast.moa, "M-2026-08", &no, "A22").await;
    assert_eq!(f["row"]["days_left"], 10);
    drop(second);

    // Restarted again (the clock back at the system's time, so 31 + 11
    // days on): no answer from the MOA within 10 days, the tacit general
    // and definitive statement (A23), once, and on to the financial service.
    let third = Host::spawn(dir.path(), &catalog());
    advance(&third, 42 * DAY).await;
    cast.back(&third, dir.path()).await;
    let f = until_step(&cast.firm, "M-2026-08", &no, "PAY").await;
    let codes = piece_codes(&f);
    assert_eq!(codes, ["A7", "A17", "A22", "A23"]);
    assert_eq!(
        statuses(&f).iter().filter(|s| *s == "DGD_TACITE").count(),
        1
    );
    let invoice = format!("/s/{FIN}/received-invoices/invoice/{FIRM}/M-2026-08~{no}");
    let received = eventually("the financial service to receive the A23", || async {
        let p = cast.fin.c.get_json(&invoice).await;
        (p.status == 200).then(|| p.json())
    })
    .await;
    assert_eq!(
        received["inv"]["framework"],
        "A23_DECOMPTE_GENERAL_DEFINITIF_TACITE_FOURNISSEUR"
    );
}

#[tokio::test]
async fn an_unsigned_general_statement_becomes_definitive_recorded_by_its_issuer() {
    let dir = tempfile::tempdir().unwrap();
    let host = Host::spawn(dir.path(), &catalog());
    let mut cast = Cast::new(&host, dir.path()).await;
    // Two contracts: the MOA notifies the general statement (A20) on the
    // first; the MOE holds the delegation and issues it (A18) on the second.
    create_contract(&cast.firm, "M-2026-20").await;
    let mut delegated = sheet("M-2026-21");
    delegated.push(("moe_delegation", "yes".into()));
    let form: Vec<(&str, &str)> = delegated.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let created = cast
        .firm
        .submit("/contract/new", "/contract/new", &form)
        .await;
    assert_eq!(created.status, 303, "{}", created.body);
    let mut files = Vec::new();
    for number in ["M-2026-20", "M-2026-21"] {
        eventually("the sheet to reach the MOE", || async {
            let p = cast
                .moe
                .c
                .get_json(&cast.moe.path(&format!("/contract/{FIRM}/{number}")))
                .await;
            (p.status == 200).then_some(())
        })
        .await;
        let no = deposit(&cast.firm, number, "final", "90000").await;
        until_step(&cast.moe, number, &no, "A17").await;
        let ok = act(&cast.moe, number, &no, "statement", &[("amount", "")]).await;
        assert_eq!(ok.status, 303, "{}", ok.body);
        files.push((number, no));
    }
    let a20 = &files[0];
    until_step(&cast.moa, a20.0, &a20.1, "A20").await;
    let ok = act(&cast.moa, a20.0, &a20.1, "validate", &[("comment", "")]).await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    for (number, no) in &files {
        let f = until_step(&cast.firm, number, no, "A8").await;
        assert_eq!(f["row"]["days_left"], 30, "30 days to sign: {f}");
    }
    let page = cast
        .firm
        .c
        .get(&cast.firm.path(&file_path(a20.0, &a20.1)))
        .await;
    assert!(
        page.body.contains("id=\"sign-help\""),
        "the firm is told what silence does: {}",
        page.body
    );

    // The firm signs neither: 31 days on, each becomes the general and
    // definitive statement as it stands, recorded by whoever issued it,
    // and goes to the financial service.
    advance(&host, 31 * DAY).await;
    // (Everyone signs in again: a month on, their sessions have expired.)
    cast.back(&host, dir.path()).await;
    let expected: [(&[&str], &str); 2] = [
        (
            &["A7", "A17", "A20", "A25"],
            "A25_DECOMPTE_GENERAL_DEFINITIF_MOE_PROCEDURE_TACITE",
        ),
        (
            &["A7", "A18", "A24"],
            "A24_DECOMPTE_GENERAL_DEFINITIF_TACITE_MOE",
        ),
    ];
    for ((number, no), (pieces, framework)) in files.iter().zip(expected) {
        let f = until_step(&cast.firm, number, no, "PAY").await;
        let codes = piece_codes(&f);
        assert_eq!(codes, pieces, "{f}");
        assert_eq!(
            statuses(&f).iter().filter(|s| *s == "DGD_TACITE").count(),
            1
        );
        let invoice = format!("/s/{FIN}/received-invoices/invoice/{FIRM}/{number}~{no}");
        let received = eventually("the financial service to receive it", || async {
            let p = cast.fin.c.get_json(&invoice).await;
            (p.status == 200).then(|| p.json())
        })
        .await;
        assert_eq!(received["inv"]["framework"], framework);
    }
}
