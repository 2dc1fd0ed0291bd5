//! Issue 16: several hosts on one store, and moving a portal between stores.
//!
//! On sled (one process per data directory, by sled's lock) these tests
//! cover one host: it lists itself on `/ops` with its catalogue generation,
//! and `portico export` / `portico import` move its portal whole. The tests
//! with several hosts need a shared database: `tests/multihost_pg.rs`.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use support::{Portal, standard_areas};

const PASSWORD: &str = "correct horse battery staple";
const A: &str = "73282932000074";

/// `portico operator add ops@example.com` on `data`; the password.
fn add_operator(data: &Path) -> String {
    let out = portico(&["operator", "add", "ops@example.com", "--data"], &[data]);
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out)
        .lines()
        .find_map(|l| l.strip_prefix("password: "))
        .expect("a generated password is printed")
        .to_string()
}

fn portico(args: &[&str], paths: &[&Path]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_portico"))
        .args(args)
        .args(paths)
        .output()
        .unwrap()
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The per-tree lines (`  name  count  hash`) of an export or import table.
fn table(said: &str, after: &str) -> Vec<String> {
    said.split(after)
        .nth(1)
        .unwrap_or_else(|| panic!("{after:?} in {said}"))
        .lines()
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn one_host_lists_itself_with_its_generation_and_its_portal_moves_whole() {
    let dir = tempfile::tempdir().unwrap();
    let password = add_operator(&dir.path().join("data"));
    let portal = Portal::start_with(dir, &standard_areas(), &[], &[("PORTICO_HOST_ID", "web-1")]);
    let alice = portal.client();
    alice.sign_up("Alice", "alice@example.com", PASSWORD).await;
    let created = alice
        .create_structure(A, "Ateliers Dupont", "private")
        .await;
    assert_eq!(created.status, 303, "{}", created.body);
    let ops = portal.client();
    assert_eq!(ops.log_in("ops@example.com", &password).await.status, 303);
    let console = ops.get("/ops").await;
    assert!(
        console
            .body
            .contains(r#"data-host="web-1" data-generation="1""#),
        "{}",
        console.body
    );
    assert!(console.body.contains("(this host)"), "{}", console.body);

    // A reload shows on the host list within seconds (heartbeat on change).
    portal.write_areas(&standard_areas().replace("title: Bare fixture", "title: Bare"));
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let body = ops.get("/ops").await.body;
        if body.contains(r#"data-host="web-1" data-generation="2""#) {
            break;
        }
        assert!(Instant::now() < deadline, "generation 2 on /ops: {body}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Export refuses while the server holds the directory, and says why.
    let file = portal.dir.path().join("portal.export");
    let data = portal.data();
    let busy = portico(&["export", "--to"], &[&file, Path::new("--store"), &data]);
    assert!(!busy.status.success());
    assert!(
        stderr(&busy).contains("stop the server"),
        "{}",
        stderr(&busy)
    );

    let dir = portal.stop();
    let data = dir.path().join("data");
    let out = portico(&["export", "--to"], &[&file, Path::new("--store"), &data]);
    assert!(out.status.success(), "{}", stderr(&out));
    let exported = stdout(&out);
    let sent = table(&exported, "exported ");
    assert!(
        sent.iter()
            .any(|l| l.trim_start().starts_with("users ") && l.contains(" 2 ")),
        "two accounts: {exported}"
    );
    // Never overwrites a file.
    let again = portico(&["export", "--to"], &[&file, Path::new("--store"), &data]);
    assert!(
        stderr(&again).contains("never overwritten"),
        "{}",
        stderr(&again)
    );

    let moved = tempfile::tempdir().unwrap();
    let to = moved.path().join("data");
    let out = portico(&["import", "--from"], &[&file, Path::new("--store"), &to]);
    assert!(out.status.success(), "{}", stderr(&out));
    let imported = stdout(&out);
    assert!(
        imported.contains("every count and hash matches"),
        "{imported}"
    );
    assert_eq!(table(&imported, "holds:"), sent, "the file as exported");
    assert_eq!(
        table(&imported, "now holds, recounted:"),
        sent,
        "the store as exported"
    );
    // A second import would mix two portals: refused unless told.
    let out = portico(&["import", "--from"], &[&file, Path::new("--store"), &to]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--replace"), "{}", stderr(&out));

    // The moved portal serves: the operator signs in, Alice's structure is there.
    let portal = Portal::start_in(moved, &standard_areas(), &[]);
    let ops = portal.client();
    assert_eq!(ops.log_in("ops@example.com", &password).await.status, 303);
    let alice = portal.client();
    assert_eq!(
        alice.log_in("alice@example.com", PASSWORD).await.status,
        303
    );
    let home = alice.get("/me/my-account").await;
    assert!(home.body.contains("Ateliers Dupont"), "{}", home.body);
}
