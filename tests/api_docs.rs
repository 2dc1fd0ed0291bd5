//! The API's documentation, checked against a real host: the OpenAPI 3.1
//! document it serves passes `openapi-spec-validator` (pinned in
//! `sdk/python/requirements-tools.txt`), and every `sh` block of
//! `docs/api-quickstart.md` runs as written, in order, in one shell, with
//! the variables its step 1 names.

mod invoicing;
mod support;

use invoicing::{BUYER, SUPPLIER, supplier_and_buyer};
use support::Portal;

fn areas() -> String {
    format!(
        "{}  - id: edi-api-connections\n    title: EDI and API connections\n    plugin: {}\n    version: 1.0.0\n    order: 110\n    install: on-request\n    roles: [primary-manager, secondary-manager]\n    capabilities: [api-clients, kv, facts, timers, log]\n",
        invoicing::areas("default"),
        support::plugin("edi-api-connections").display()
    )
}

/// The ```sh blocks of a Markdown file, in order.
fn sh_blocks(markdown: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match (&mut current, line.trim_end()) {
            (None, "```sh") => current = Some(String::new()),
            (Some(block), "```") => {
                out.push(std::mem::take(block));
                current = None;
            }
            (Some(block), l) => {
                block.push_str(l);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    out
}

#[tokio::test]
async fn the_openapi_document_is_valid_and_the_quickstart_runs_as_written() {
    let portal = Portal::start(&areas());
    let (supplier, _buyer) = supplier_and_buyer(&portal).await;
    let base = format!("/s/{SUPPLIER}/manager-activities");
    let r = supplier
        .submit(
            &format!("{base}/areas"),
            &format!("{base}/areas/add"),
            &[("area", "edi-api-connections")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);

    // The document: served, valid OpenAPI 3.1, naming the built-in areas.
    let doc = reqwest::get(format!("{}/api/openapi.json", portal.url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let json: serde_json::Value = serde_json::from_str(&doc).unwrap();
    assert_eq!(json["openapi"], "3.1.0");
    assert!(json["paths"]["/oauth/token"]["post"].is_object());
    assert!(
        json["paths"]["/api/v1/s/{structure}/issued-invoices/{rest}"]["post"].is_object(),
        "{doc}"
    );
    let file = portal.dir.path().join("openapi.json");
    std::fs::write(&file, &doc).unwrap();
    let repo = support::repo();
    let tools = std::process::Command::new(repo.join(".ci/python-tools"))
        .output()
        .expect(".ci/python-tools runs");
    assert!(
        tools.status.success(),
        "{}",
        String::from_utf8_lossy(&tools.stderr)
    );
    let bin = String::from_utf8(tools.stdout).unwrap().trim().to_string();
    let check = std::process::Command::new(format!("{bin}/openapi-spec-validator"))
        .arg(&file)
        .output()
        .expect("openapi-spec-validator runs");
    assert!(
        check.status.success(),
        "{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );

    // Step 1, as a manager does it: a client for Issued invoices.
    let edi = format!("/s/{SUPPLIER}/edi-api-connections");
    let page = supplier
        .submit(
            &edi,
            &format!("{edi}/create"),
            &[
                ("name", "Compta Pro"),
                ("grant.issued-invoices", "read-write"),
                ("mode", "qualification"),
                ("expires", "2099-12-31"),
            ],
        )
        .await;
    // 2099 is more than two years ahead: refused, with the reason.
    assert_eq!(page.status, 422, "{}", page.body);
    assert!(page.body.contains("two years"), "{}", page.body);
    let page = supplier
        .submit(
            &edi,
            &format!("{edi}/create"),
            &[
                ("name", "Compta Pro"),
                ("grant.issued-invoices", "read-write"),
                ("mode", "qualification"),
                ("expires", "2027-12-31"),
            ],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let code = |id: &str| {
        let at = page.body.find(&format!(r#"<code id="{id}">"#)).unwrap();
        let rest = &page.body[at + id.len() + 12..];
        rest[..rest.find("</code>").unwrap()].to_string()
    };

    // Steps 2 to 4, as written.
    let guide = std::fs::read_to_string(repo.join("docs/api-quickstart.md")).unwrap();
    let blocks = sh_blocks(&guide);
    assert!(blocks.len() >= 4, "{blocks:?}");
    let script = format!("set -euo pipefail\n{}", blocks.join("\n"));
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(&script)
        .env("PORTICO", &portal.url)
        .env("CLIENT_ID", code("client-id"))
        .env("CLIENT_SECRET", code("client-secret"))
        .env("SIRET", SUPPLIER)
        .env("BUYER", BUYER)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the quickstart failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("Give the invoice number"), "{stdout}");
}
