//! Data flows end to end: files of invoices deposited in the Data flow
//! overview area, integrated in the background into Issued invoices through
//! the durable outbox, followed to the last invoice; a kill -9 between the
//! acknowledged deposit and its integration loses nothing.

mod invoicing;
mod support;

use invoicing::*;
use std::io::Write;
use std::time::Duration;
use support::{Client, Page, Portal};

const WAIT: Duration = Duration::from_secs(20);
const AREA: &str = "data-flow-overview";

/// The invoicing areas, with Issued invoices granted `flows` and the Data
/// flow overview open to every structure (it is on-request in areas.yaml).
fn flow_areas() -> String {
    let base = areas("default").replace(
        "    capabilities: [kv, facts, messages, log]\n    limits: { memory-mib: 128, timeout-ms: 5000 }",
        "    capabilities: [kv, facts, messages, flows, log]\n    limits: { memory-mib: 128, timeout-ms: 5000 }",
    );
    assert!(
        base.contains("messages, flows, log"),
        "the catalog changed: {base}"
    );
    format!(
        "{base}  - id: {AREA}\n    title: Data flow overview\n    plugin: {}\n    version: 1.0.0\n    order: 90\n    structure-kinds: [private]\n    capabilities: [flows, log]\n    limits: {{ memory-mib: 128, timeout-ms: 5000 }}\n",
        support::plugin(AREA).display()
    )
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(support::repo().join("tests/fixtures").join(name)).unwrap()
}

/// The UBL fixture under another invoice number.
fn ubl(number: &str) -> String {
    fixture("invoice-ubl.xml").replace("UBL-2026-001", number)
}

fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in members {
        w.start_file(*name, options).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// Deposits `bytes` as `name` in the Data flow overview.
async fn deposit(c: &Client, name: &str, bytes: Vec<u8>, mode: &str) -> Page {
    let page = format!("/s/{SUPPLIER}/{AREA}");
    let token = c.get(&page).await.csrf();
    let form = reqwest::multipart::Form::new()
        .text("_csrf", token)
        .text("mode", mode.to_string())
        .part(
            "file",
            reqwest::multipart::Part::bytes(bytes)
                .file_name(name.to_string())
                .mime_str("application/octet-stream")
                .unwrap(),
        );
    let r = c
        .http
        .post(format!("{}{page}/deposit", c.base))
        .multipart(form)
        .send()
        .await
        .unwrap();
    Client::page(r).await
}

/// The flow number a deposit redirected to.
fn flow_id(page: &Page) -> String {
    let loc = page
        .location
        .as_deref()
        .unwrap_or_else(|| panic!("no redirect: {} {}", page.status, page.body));
    let rest = loc.split("/flow/").nth(1).expect("redirect to the flow");
    rest.split('?').next().unwrap().to_string()
}

/// Waits for the buyer's Received invoices to hold `n` invoices.
async fn buyer_has(buyer: &Client, n: u64) {
    eventually("the buyer to receive it", WAIT, || async {
        let r = buyer
            .get_json(&format!("/s/{BUYER}/received-invoices"))
            .await;
        (r.json()["total"] == n).then_some(())
    })
    .await;
}

/// The flow (with its report) once its status is final.
async fn settled(c: &Client, id: &str) -> serde_json::Value {
    eventually(&format!("flow {id} to settle"), WAIT, || async {
        let page = c.get_json(&format!("/s/{SUPPLIER}/{AREA}/flow/{id}")).await;
        assert_eq!(page.status, 200, "{}", page.body);
        let f = page.json()["flow"].clone();
        matches!(
            f["status"].as_str(),
            Some("integrated" | "partially-integrated" | "rejected")
        )
        .then_some(f)
    })
    .await
}

#[tokio::test]
async fn flows_of_ubl_zip_and_factur_x_are_followed_to_the_last_invoice() {
    use issued_invoices::corpus::{Role, with_siret};
    use issued_invoices::en16931::facturx;
    let portal = Portal::start(&flow_areas());
    let (supplier, buyer) = supplier_and_buyer(&portal).await;

    // A ZIP of one good invoice and one without an issue date.
    let good = ubl("FLOW-2026-001");
    let bad = ubl("FLOW-2026-002").replace("<cbc:IssueDate>2026-11-20</cbc:IssueDate>", "");
    let zip = zip_of(&[("good.xml", good.as_bytes()), ("bad.xml", bad.as_bytes())]);
    let page = deposit(&supplier, "november.zip", zip.clone(), "production").await;
    assert_eq!(page.status, 303, "{}", page.body);
    let id = flow_id(&page);
    let f = settled(&supplier, &id).await;
    assert_eq!(f["status"], "partially-integrated", "{f:#}");
    assert_eq!(f["chorus-status"], "IN_INTEGRE_PARTIEL");
    assert_eq!(
        (
            f["invoices"].as_u64(),
            f["integrated"].as_u64(),
            f["rejected"].as_u64()
        ),
        (Some(2), Some(1), Some(1))
    );
    let report = f["report"].as_array().unwrap();
    assert_eq!(report[0]["filename"], "good.xml");
    assert_eq!(report[0]["verdict"], "receivable");
    assert_eq!(report[0]["number"], "FLOW-2026-001");
    assert_eq!(report[0]["recipient"], BUYER);
    let invoice = report[0]["invoice-id"]
        .as_str()
        .expect("an invoice id")
        .to_string();
    assert_eq!(report[1]["verdict"], "not-receivable");
    assert_eq!(report[1]["number"], "FLOW-2026-002");
    let errors = report[1]["errors"].as_array().unwrap();
    assert!(!errors.is_empty());
    let e = &errors[0];
    assert!(e["code"].as_str().unwrap().starts_with("BR-"), "{e}");
    assert_eq!(e["field"], "BT-2", "the issue date: {e}");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("issue date"),
        "{e}"
    );
    assert!(!e["fix"].as_str().unwrap().is_empty(), "{e}");
    // The good one is an issued invoice, sent: the buyer receives it.
    let inv = until_status(&supplier, &invoice, "MISE_A_DISPOSITION").await;
    assert_eq!(inv["number"], "FLOW-2026-001");
    buyer_has(&buyer, 1).await;

    // The page says it in words, in French too; the original is downloadable.
    let html = supplier
        .get(&format!("/s/{SUPPLIER}/{AREA}/flow/{id}"))
        .await;
    assert!(
        html.body.contains("Partially integrated") && html.body.contains("FLOW-2026-002"),
        "{}",
        html.body
    );
    let fr = portal.client_in("fr");
    fr.log_in("claire@example.com", PASSWORD).await;
    let html = fr.get(&format!("/s/{SUPPLIER}/{AREA}/flow/{id}")).await;
    assert!(
        html.body.contains("Intégré partiellement") && html.body.contains("Irrecevable"),
        "{}",
        html.body
    );
    let original = supplier
        .get(&format!("/s/{SUPPLIER}/{AREA}/flow/{id}/original"))
        .await;
    assert_eq!(original.status, 200);
    assert!(
        original.headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains("november.zip")
    );

    // A Factur-X (this project's richest CII sample inside): the CII is read.
    let cii = std::fs::read_to_string(support::repo().join("tests/fixtures/invoice-cii-nok.xml"))
        .unwrap();
    let cii = with_siret(&cii, Role::Seller, SUPPLIER).unwrap();
    let cii = with_siret(&cii, Role::Buyer, BUYER).unwrap();
    let pdf = facturx::build(cii.as_bytes(), "factur-x.xml", true);
    let page = deposit(&supplier, "facture.pdf", pdf, "production").await;
    let fx = settled(&supplier, &flow_id(&page)).await;
    assert_eq!(fx["status"], "integrated", "{fx:#}");
    assert_eq!(fx["format"], "factur-x");
    assert_eq!(fx["report"][0]["number"], "CII-2026-NOK-7");

    // Qualification: checked and reported, nothing reaches the buyer.
    let page = deposit(
        &supplier,
        "test.xml",
        ubl("QUALIF-1").into_bytes(),
        "qualification",
    )
    .await;
    let q = settled(&supplier, &flow_id(&page)).await;
    assert_eq!(
        (q["status"].as_str(), q["mode"].as_str()),
        (Some("integrated"), Some("qualification"))
    );
    assert_eq!(q["report"][0]["verdict"], "receivable");
    assert!(
        q["report"][0]["invoice-id"].is_null(),
        "nothing kept: {q:#}"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let total = buyer
        .get_json(&format!("/s/{BUYER}/received-invoices"))
        .await
        .json()["total"]
        .clone();
    assert_eq!(
        total, 2,
        "the ZIP's good invoice and the Factur-X; not the qualification one"
    );
    // The same number can then go to production: qualification kept nothing.
    let page = deposit(
        &supplier,
        "real.xml",
        ubl("QUALIF-1").into_bytes(),
        "production",
    )
    .await;
    assert_eq!(
        settled(&supplier, &flow_id(&page)).await["status"],
        "integrated"
    );

    // Refused at once, nothing recorded: path tricks and nested archives.
    let tricky = zip_of(&[("../evil.xml", good.as_bytes()), ("inner.zip", &zip)]);
    let refused = deposit(&supplier, "tricky.zip", tricky, "production").await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused.body.contains("leaves the archive")
            && refused.body.contains("archive inside the archive"),
        "{}",
        refused.body
    );
    let refused = deposit(&supplier, "notes.txt", b"hello".to_vec(), "production").await;
    assert_eq!(refused.status, 422);
    assert!(
        refused.body.contains("neither XML, nor a PDF, nor a ZIP"),
        "{}",
        refused.body
    );

    // The list: every flow with its status, filters by status and client.
    let list = supplier
        .get_json(&format!("/s/{SUPPLIER}/{AREA}"))
        .await
        .json();
    assert_eq!(list["rows"].as_array().unwrap().len(), 4, "{list:#}");
    let partial = supplier
        .get_json(&format!(
            "/s/{SUPPLIER}/{AREA}?status=partially-integrated&client=portal"
        ))
        .await
        .json();
    let rows = partial["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["id"], id.as_str());
    assert_eq!(
        rows[0]["client"], "Claire Tester",
        "the person's name: {rows:?}"
    );
    let html = supplier.get(&format!("/s/{SUPPLIER}/{AREA}")).await;
    assert!(
        html.body.contains("<svg") && html.body.contains("Share of invoices rejected per week"),
        "the chart"
    );

    // Another structure's flow is not found.
    let other = manager_of(
        portal.client(),
        "Eve",
        "eve@example.com",
        "55200000000018",
        "Other SARL",
        "private",
    )
    .await;
    let theirs = other
        .get(&format!("/s/55200000000018/{AREA}/flow/{id}"))
        .await;
    assert_eq!(theirs.status, 404);
}

#[tokio::test]
async fn a_kill_9_in_the_middle_of_the_integration_loses_nothing_and_sends_nothing_twice() {
    // The flow is acknowledged with delivery held...
    let portal = Portal::start_with(
        tempfile::tempdir().unwrap(),
        &flow_areas(),
        &[],
        &[("PORTICO_HOLD_DELIVERY", "1")],
    );
    let (supplier, _buyer) = supplier_and_buyer(&portal).await;
    let zip = zip_of(&[
        ("a.xml", ubl("MID-1").as_bytes()),
        ("b.xml", ubl("MID-2").as_bytes()),
        ("c.xml", ubl("MID-3").as_bytes()),
    ]);
    let page = deposit(&supplier, "mid.zip", zip, "production").await;
    assert_eq!(page.status, 303, "{}", page.body);
    let id = flow_id(&page);
    let dir = portal.stop();

    // ...then a host integrates the first invoice (kept, sent to the buyer,
    // its verdict queued, all committed) and is killed with SIGKILL before
    // the others. It may die before it even says it listens: run it bare.
    let data = dir.path().join("data");
    let mut host = std::process::Command::new(env!("CARGO_BIN_EXE_portico"))
        .args(["serve", "--listen", "127.0.0.1:0", "--config"])
        .arg(dir.path().join("areas.yaml"))
        .arg("--plugin-dir")
        .arg(support::plugin_dir())
        .arg("--data")
        .arg(&data)
        .args(support::store_args(&data))
        .env(
            "PORTICO_COMPILE_CACHE",
            concat!(env!("CARGO_TARGET_TMPDIR"), "/compile-cache"),
        )
        .env("PORTICO_TEST_MOVABLE_CLOCK", "1")
        .env("PORTICO_TEST_KILL_AFTER_DELIVERIES", "1")
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("portico starts");
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = host.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(120) {
            let _ = host.kill();
            panic!("the host was to kill itself after its first delivery");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    use std::os::unix::process::ExitStatusExt as _;
    assert_eq!(status.signal(), Some(9), "{status:?}");

    // Restarted: every invoice integrated once, the buyer has each once.
    let portal = Portal::start_in(dir, &flow_areas(), &[]);
    let supplier = portal.client();
    supplier.log_in("claire@example.com", PASSWORD).await;
    let buyer = portal.client();
    buyer.log_in("paul@example.com", PASSWORD).await;
    let f = settled(&supplier, &id).await;
    assert_eq!(f["status"], "integrated", "{f:#}");
    let numbers: Vec<&str> = f["report"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["number"].as_str().unwrap())
        .collect();
    assert_eq!(numbers, ["MID-1", "MID-2", "MID-3"]);
    eventually("the buyer to receive all three", WAIT, || async {
        let r = buyer
            .get_json(&format!("/s/{BUYER}/received-invoices"))
            .await;
        (r.json()["total"] == 3).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let total = buyer
        .get_json(&format!("/s/{BUYER}/received-invoices"))
        .await
        .json()["total"]
        .clone();
    assert_eq!(total, 3, "each invoice reaches the buyer once");
}

#[tokio::test]
async fn a_kill_9_after_the_deposit_loses_nothing_acknowledged() {
    // Delivery held: the deposit is acknowledged, its integration not begun.
    let portal = Portal::start_with(
        tempfile::tempdir().unwrap(),
        &flow_areas(),
        &[],
        &[("PORTICO_HOLD_DELIVERY", "1")],
    );
    let (supplier, _buyer) = supplier_and_buyer(&portal).await;
    let zip = zip_of(&[
        ("a.xml", ubl("KILL-1").as_bytes()),
        ("b.xml", ubl("KILL-2").as_bytes()),
        ("c.xml", ubl("KILL-3").as_bytes()),
    ]);
    let page = deposit(&supplier, "kill.zip", zip, "production").await;
    assert_eq!(page.status, 303, "{}", page.body);
    let id = flow_id(&page);
    let dir = portal.stop(); // SIGKILL

    let portal = Portal::start_in(dir, &flow_areas(), &[]);
    let supplier = portal.client();
    supplier.log_in("claire@example.com", PASSWORD).await;
    let f = settled(&supplier, &id).await;
    assert_eq!(f["status"], "integrated", "{f:#}");
    let numbers: Vec<&str> = f["report"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["number"].as_str().unwrap())
        .collect();
    assert_eq!(numbers, ["KILL-1", "KILL-2", "KILL-3"]);
}

/// `n` bytes of XML comment that deflate does not shrink much (the ZIP's
/// bomb check refuses members that inflate too far).
fn padding(n: usize) -> String {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut s = String::with_capacity(n + 16);
    s.push_str("<!-- ");
    while s.len() < n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s.push_str(&format!("{x:016x}"));
    }
    s.push_str(" -->");
    s
}

#[tokio::test]
async fn a_full_storage_is_reported_at_once_with_what_would_help() {
    // Issued invoices with the smallest storage quota: 1 MiB per structure.
    let areas = flow_areas().replacen(
        "messages, flows, log]\n    limits: { memory-mib: 128, timeout-ms: 5000 }",
        "messages, flows, log]\n    limits: { memory-mib: 128, timeout-ms: 5000, storage-mib: 1 }",
        1,
    );
    assert!(areas.contains("storage-mib: 1 }"), "{areas}");
    let portal = Portal::start(&areas);
    let (supplier, _buyer) = supplier_and_buyer(&portal).await;
    // Three invoices of ~450 KB each (a comment inside): the first two fit
    // the quota, the third does not.
    let pad = padding(450 * 1024);
    let invoices: Vec<(String, String)> = (1..=3)
        .map(|i| {
            (
                format!("big-{i}.xml"),
                ubl(&format!("FULL-2026-{i:03}")).replacen(
                    "<cbc:IssueDate>",
                    &format!("{pad}<cbc:IssueDate>"),
                    1,
                ),
            )
        })
        .collect();
    let members: Vec<(&str, &[u8])> = invoices
        .iter()
        .map(|(n, x)| (n.as_str(), x.as_bytes()))
        .collect();
    let page = deposit(&supplier, "big.zip", zip_of(&members), "production").await;
    assert_eq!(page.status, 303, "{}", page.body);
    // Settled within the test's patience: a full storage is not retried
    // for 40 minutes before anyone hears of it.
    let f = settled(&supplier, &flow_id(&page)).await;
    assert_eq!(f["status"], "partially-integrated", "{f:#}");
    let report = f["report"].as_array().unwrap();
    let verdicts: Vec<&str> = report
        .iter()
        .map(|i| i["verdict"].as_str().unwrap())
        .collect();
    assert_eq!(
        verdicts,
        ["receivable", "receivable", "not-receivable"],
        "{f:#}"
    );
    let e = &report[2]["errors"][0];
    assert_eq!(e["code"], "FLOW-STORAGE-FULL", "{e}");
    let message = e["message"].as_str().unwrap();
    assert!(
        message.contains("is full")
            && message.contains("of its 1 MiB")
            && !message.contains("i18n:"),
        "the message says what is full, in words: {e}"
    );
    let fix = e["fix"].as_str().unwrap();
    assert!(
        fix.contains("storage-mib") && !fix.contains("adds the"),
        "the fix is about storage, not about adding the area: {e}"
    );
}

#[tokio::test]
async fn a_due_date_past_the_legal_delay_is_receivable_with_errors() {
    let portal = Portal::start(&flow_areas());
    let (supplier, buyer) = supplier_and_buyer(&portal).await;
    // Due 60 days after its issue date: a public buyer has 30 to pay.
    let late = ubl("LATE-2026-001").replace(
        "<cbc:DueDate>2026-12-20</cbc:DueDate>",
        "<cbc:DueDate>2027-01-19</cbc:DueDate>",
    );
    assert!(late.contains("2027-01-19"), "the fixture changed");
    for mode in ["qualification", "production"] {
        let page = deposit(&supplier, "late.xml", late.clone().into_bytes(), mode).await;
        assert_eq!(page.status, 303, "{}", page.body);
        let id = flow_id(&page);
        let f = settled(&supplier, &id).await;
        assert_eq!(f["status"], "integrated", "accepted all the same: {f:#}");
        let i = &f["report"][0];
        assert_eq!(i["verdict"], "receivable-with-errors", "{f:#}");
        let e = &i["errors"][0];
        assert_eq!(
            (e["code"].as_str(), e["field"].as_str()),
            (Some("CHORUS-PAYMENT-DELAY"), Some("BT-9")),
            "{e}"
        );
        assert!(
            e["message"].as_str().unwrap().contains("60 days")
                && e["fix"].as_str().unwrap().contains("30 days"),
            "{e}"
        );
        assert_eq!(i["invoice-id"].is_string(), mode == "production", "{i}");
        let html = supplier
            .get(&format!("/s/{SUPPLIER}/{AREA}/flow/{id}"))
            .await;
        assert!(
            html.body.contains("Receivable with errors"),
            "{}",
            html.body
        );
    }
    // Accepted means sent: the buyer has it.
    buyer_has(&buyer, 1).await;
}
