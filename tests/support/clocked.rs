//! A portal on the movable clock that tests stop (SIGKILL) and start again
//! on the same data, and people acting for structures in it: for the
//! tests of areas whose clocks run for days (`invoices_to_validate.rs`,
//! `work_invoices.rs`). Moving the clock by days ends sessions, so
//! [`Actor::back`] signs in again.

#![allow(dead_code, unreachable_pub)]

use super::{Client, Page};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PASSWORD: &str = "correct horse battery staple";

/// A child `portico serve` with the movable clock, killed (SIGKILL) on drop.
pub struct Host(pub Child, pub String);

impl Drop for Host {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Host {
    /// `portico serve` on `dir` (areas.yaml written there once, `data/`)
    /// with the movable clock; the URL is `.1`.
    pub fn spawn(dir: &Path, catalog: &str) -> Host {
        let config = dir.join("areas.yaml");
        if !config.exists() {
            std::fs::write(&config, catalog).unwrap();
        }
        let mut child = Command::new(env!("CARGO_BIN_EXE_portico"))
            .args(["serve", "--listen", "127.0.0.1:0", "--config"])
            .arg(&config)
            .arg("--plugin-dir")
            .arg(super::plugin_dir())
            .arg("--data")
            .arg(dir.join("data"))
            .args(super::store_args(&dir.join("data")))
            .env("RUST_LOG", "info")
            .env("PORTICO_TEST_MOVABLE_CLOCK", "1")
            .env_remove("PORTICO_HOLD_DELIVERY")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("portico starts");
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
        Host(child, url)
    }
}

/// One person acting for one structure.
pub struct Actor {
    pub c: Client,
    pub email: String,
    pub siret: &'static str,
    pub area: &'static str,
}

impl Actor {
    pub fn client(url: &str, dir: &Path) -> Client {
        Client {
            http: super::browser(),
            base: url.to_string(),
            mailbox: Some(dir.join("data").join("mailbox")),
        }
    }

    pub async fn new(
        host: &Host,
        dir: &Path,
        area: &'static str,
        first: &str,
        siret: &'static str,
        name: &str,
        kind: &str,
    ) -> Actor {
        let c = Self::client(&host.1, dir);
        let email = format!("{}@example.com", first.to_lowercase());
        c.sign_up(first, &email, PASSWORD).await;
        let created = c.create_structure(siret, name, kind).await;
        assert_eq!(created.status, 303, "creating {name}: {}", created.body);
        Actor {
            c,
            email,
            siret,
            area,
        }
    }

    /// Signs in again (moving the clock by days ends sessions), on `host`.
    pub async fn back(&mut self, host: &Host, dir: &Path) {
        self.c = Self::client(&host.1, dir);
        let page = self.c.log_in(&self.email, PASSWORD).await;
        assert_eq!(page.status, 303, "signing in again: {}", page.body);
    }

    pub fn path(&self, rest: &str) -> String {
        let rest = if rest == "/" { "" } else { rest }; // one URL per page: no trailing slash
        format!("/s/{}/{}{rest}", self.siret, self.area)
    }

    pub async fn json(&self, rest: &str) -> Value {
        let page = self.c.get_json(&self.path(rest)).await;
        assert_eq!(page.status, 200, "{rest}: {}", page.body);
        page.json()
    }

    pub async fn submit(&self, page: &str, action: &str, form: &[(&str, &str)]) -> Page {
        self.c
            .submit(&self.path(page), &self.path(action), form)
            .await
    }
}

pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub async fn advance(host: &Host, ms: u64) {
    let r = reqwest::Client::new()
        .post(format!("{}/test/clock?advance-ms={ms}", host.1))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}
