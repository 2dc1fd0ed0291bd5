//! Durable messages between structures, end to end: a child `portico`
//! process is killed with SIGKILL between a send and its delivery, then
//! restarted on the same data directory; the message arrives.

mod invoicing;
mod support;

use invoicing::*;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A child `portico`, killed (SIGKILL) when dropped, so a failing test
/// leaves no server behind.
struct Host(Child);

impl Drop for Host {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `portico serve` on `data`; `hold` keeps delivery paused.
fn spawn(config: &Path, data: &Path, hold: bool) -> (Host, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_portico"));
    cmd.args(["serve", "--listen", "127.0.0.1:0", "--config"])
        .arg(config)
        .arg("--data")
        .arg(data)
        .args(support::store_args(data))
        .arg("--plugin-dir")
        .arg(support::plugin_dir())
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if hold {
        cmd.env("PORTICO_HOLD_DELIVERY", "1");
    } else {
        cmd.env_remove("PORTICO_HOLD_DELIVERY");
    }
    let mut child = cmd.spawn().expect("portico starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = loop {
        match lines.next() {
            Some(Ok(line)) => {
                if let Some(u) = line.strip_prefix("Portico listening on ") {
                    break u.trim().to_string();
                }
            }
            _ => panic!("portico exited before listening"),
        }
    };
    std::thread::spawn(move || for _ in lines {});
    (Host(child), url)
}

fn client(base: &str, http: Option<&reqwest::Client>, data: &Path) -> support::Client {
    support::Client {
        http: http.cloned().unwrap_or_else(support::browser),
        base: base.to_string(),
        mailbox: Some(data.join("mailbox")),
    }
}

#[tokio::test]
async fn a_message_survives_a_kill_9_between_send_and_delivery() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("areas.yaml");
    std::fs::write(&config, areas("default")).unwrap();
    let data = dir.path().join("data");

    let (mut first, url) = spawn(&config, &data, true);
    let supplier = manager_of(
        client(&url, None, &data),
        "Claire",
        "claire@example.com",
        SUPPLIER,
        "Ateliers Dupont",
        "private",
    )
    .await;
    let buyer = manager_of(
        client(&url, None, &data),
        "Paul",
        "paul@example.com",
        BUYER,
        "Préfecture",
        "public",
    )
    .await;
    let sent = enter_invoice(
        &supplier,
        &invoice_form("F-KILL-1"),
        &[("action", "send"), ("confirm", "yes")],
    )
    .await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    let id = invoice_id(&sent);
    assert_eq!(issued(&supplier, &id).await["status"], "DEPOSEE");
    // Delivery is held: nothing arrived.
    let inbox = buyer
        .get_json(&format!("/s/{BUYER}/received-invoices"))
        .await;
    assert_eq!(inbox.json()["total"], 0, "{}", inbox.body);

    first.0.kill().expect("SIGKILL"); // std's kill is SIGKILL on Unix
    first.0.wait().unwrap();

    let (_second, url) = spawn(&config, &data, false);
    let supplier = client(&url, Some(&supplier.http), &data);
    let buyer = client(&url, Some(&buyer.http), &data);
    let arrived = eventually(
        "the invoice in the buyer's inbox",
        Duration::from_secs(15),
        || async {
            let inbox = buyer
                .get_json(&format!("/s/{BUYER}/received-invoices"))
                .await;
            let v = inbox.json();
            (v["total"] == 1).then_some(v)
        },
    )
    .await;
    assert_eq!(arrived["rows"][0]["number"], "F-KILL-1");
    assert_eq!(arrived["rows"][0]["gross"], "360.60");
    assert_eq!(arrived["rows"][0]["currency"], "EUR");
    // And the acknowledgement came back: the supplier sees "made available".
    until_status(&supplier, &id, "MISE_A_DISPOSITION").await;
}

#[tokio::test]
async fn a_recipient_without_the_area_bounces_back_to_the_sender_visibly() {
    let portal = support::Portal::start(&areas("on-request"));
    let supplier = manager_of(
        portal.client(),
        "Claire",
        "claire@example.com",
        SUPPLIER,
        "Ateliers Dupont",
        "private",
    )
    .await;
    let _buyer = manager_of(
        portal.client(),
        "Paul",
        "paul@example.com",
        BUYER,
        "Préfecture",
        "public",
    )
    .await;
    let sent = enter_invoice(
        &supplier,
        &invoice_form("F-BOUNCE"),
        &[("action", "send"), ("confirm", "yes")],
    )
    .await;
    let id = invoice_id(&sent);
    let inv = until_status(&supplier, &id, "ECHEC_ACHEMINEMENT").await;
    let last = &inv["history"].as_array().unwrap().last().unwrap()["comment"];
    assert!(
        last.as_str()
            .unwrap()
            .starts_with("i18n:delivery.not-added "),
        "the reason travels as a message reference: {last}"
    );
    let page = supplier
        .get(&format!("/s/{SUPPLIER}/issued-invoices/invoice/{id}"))
        .await;
    assert!(
        page.body.contains("Could not be delivered"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("Correct the routing"),
        "the supplier can act on it"
    );
    assert!(
        page.body
            .contains("Préfecture has not added the area “Received invoices”"),
        "the reason is shown in the reader's language, with the area's title: {}",
        page.body
    );
}

#[tokio::test]
async fn a_failed_answer_sends_nothing_and_writes_nothing() {
    // An invalid send (no confirmation) answers 422: nothing is saved and no
    // message leaves, though the area reached its send code path.
    let portal = support::Portal::start(&areas("default"));
    let (supplier, buyer) = supplier_and_buyer(&portal).await;
    let refused = enter_invoice(
        &supplier,
        &invoice_form("F-NOCONFIRM"),
        &[("action", "send")],
    )
    .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body.contains("Tick the box"), "{}", refused.body);
    let list = supplier
        .get_json(&format!("/s/{SUPPLIER}/issued-invoices"))
        .await;
    assert_eq!(list.json()["total"], 0);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let inbox = buyer
        .get_json(&format!("/s/{BUYER}/received-invoices"))
        .await;
    assert_eq!(inbox.json()["total"], 0);
}

/// The kv quota's usage counter is written in the same transaction as each
/// kv write: a SIGKILL in the middle of many concurrent writes (new keys,
/// overwrites that grow and shrink, deletes) leaves every namespace's
/// counter equal to a recount of its data, and every acknowledged write there.
#[tokio::test]
async fn a_kill_9_during_kv_writes_leaves_the_usage_counter_exact() {
    use portico::store::Namespace;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("areas.yaml");
    std::fs::write(&config, support::standard_areas()).unwrap();
    let data = dir.path().join("data");
    let (mut host, url) = spawn(&config, &data, false);
    let owner = client(&url, None, &data);
    owner
        .sign_up("Claire", "claire@example.com", PASSWORD)
        .await;
    let created = owner
        .create_structure(SUPPLIER, "Ateliers Dupont", "private")
        .await;
    assert_eq!(created.status, 303, "{}", created.body);

    let acked = Arc::new(std::sync::Mutex::new(Vec::new()));
    let count = Arc::new(AtomicUsize::new(0));
    let mut writers = tokio::task::JoinSet::new();
    for i in 0..400usize {
        let (http, url, acked, count) = (
            owner.http.clone(),
            url.clone(),
            acked.clone(),
            count.clone(),
        );
        writers.spawn(async move {
            // Unique keys, plus a few shared ones overwritten with values of
            // varying length, and deletes of earlier keys.
            let value = "v".repeat(i * 37 % 700);
            let path = match i % 4 {
                0 => format!("kv/set?key=shared/{}&value={value}", i % 3),
                1 if i > 8 => format!("kv/delete?key=own/{}", i - 8),
                _ => format!("kv/set?key=own/{i}&value={value}"),
            };
            let r = http
                .get(format!("{url}/s/{SUPPLIER}/fixture/{path}"))
                .header("accept", "application/json")
                .send()
                .await;
            if let Ok(r) = r
                && r.status() == 200
            {
                if path.starts_with("kv/set?key=own/") {
                    acked.lock().unwrap().push((format!("own/{i}"), value));
                }
                count.fetch_add(1, Ordering::SeqCst);
            }
        });
    }
    eventually(
        "60 acknowledged writes",
        Duration::from_secs(30),
        || async { (count.load(Ordering::SeqCst) >= 60).then_some(()) },
    )
    .await;
    host.0.kill().expect("SIGKILL");
    host.0.wait().unwrap();
    while writers.join_next().await.is_some() {}

    let store = support::open_store(&data);
    let ns = Namespace::structure("fixture", SUPPLIER);
    let counted = store.kv_usage(&ns).unwrap();
    assert!(counted > 0);
    assert_eq!(counted, store.kv_usage_recount(&ns).unwrap());
    let deleted: std::collections::BTreeSet<String> = (9..400)
        .filter(|i| i % 4 == 1)
        .map(|i| format!("own/{}", i - 8))
        .collect();
    for (key, value) in acked.lock().unwrap().iter() {
        if !deleted.contains(key) {
            assert_eq!(
                store.kv_get(&ns, key).unwrap().as_deref(),
                Some(value.as_bytes()),
                "acknowledged write {key}"
            );
        }
    }
}
