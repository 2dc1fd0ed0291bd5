//! Area developers' tools, end to end: `portico new` writes a project that
//! builds, passes its own tests, passes `portico check`, and serves through
//! the real host.
//!
//! The scaffolds build in one target directory under `target/tmp` (kept
//! between runs, so only the first run compiles their dependencies).

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use support::{Portal, plugin};

const PASSWORD: &str = "correct horse battery staple";
const SUPPLIER: &str = "73282932000074";

/// Where scaffolded projects build (not the workspace's own target: `cargo
/// test` holds its lock while tests run).
fn scaffold_target() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("scaffold-target")
}

fn portico(args: &[&str], dir: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_portico"))
        .args(args)
        .current_dir(dir)
        .env_remove("RUST_LOG")
        .output()
        .expect("portico runs")
}

fn cargo(args: &[&str], dir: &Path) {
    let out = Command::new(env!("CARGO"))
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", scaffold_target())
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "cargo {args:?} in {}:\n{}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn a_new_rust_area_builds_passes_its_tests_and_check_and_serves() {
    let tmp = tempfile::tempdir().unwrap();
    let made = portico(&["new", "supplier-notes"], tmp.path());
    assert!(made.status.success(), "{made:?}");
    let stdout = String::from_utf8_lossy(&made.stdout);
    assert!(
        stdout.contains("cargo test"),
        "says what to run next: {stdout}"
    );
    let project = tmp.path().join("supplier-notes");
    // The dependency versions this repository is tested with (cargo trims
    // the rest), so the scaffold builds offline from the cache.
    std::fs::copy(
        support::repo().join("Cargo.lock"),
        project.join("Cargo.lock"),
    )
    .unwrap();

    cargo(&["test", "--quiet"], &project);
    cargo(
        &["build", "--release", "--target", "wasm32-wasip2", "--quiet"],
        &project,
    );
    let built = scaffold_target().join("wasm32-wasip2/release/supplier_notes.wasm");

    // `portico check areas.yaml` in the project, as its README says: the
    // entry points at the project's own target directory.
    let release = project.join("target/wasm32-wasip2/release");
    std::fs::create_dir_all(&release).unwrap();
    std::fs::copy(&built, release.join("supplier_notes.wasm")).unwrap();
    let checked = portico(&["check", "areas.yaml"], &project);
    let out = String::from_utf8_lossy(&checked.stdout);
    assert!(
        checked.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&checked.stderr)
    );
    assert!(out.contains("ok  supplier-notes"), "{out}");
    assert!(
        !out.contains("INFO") && !out.contains('\x1b'),
        "plain stdout: {out:?}"
    );

    // Its entry, pasted into a portal's areas.yaml, serves through the host.
    let entry = std::fs::read_to_string(project.join("areas.yaml")).unwrap();
    let entry = entry.split_once("areas:\n").unwrap().1.replace(
        "target/wasm32-wasip2/release/supplier_notes.wasm",
        &release.join("supplier_notes.wasm").display().to_string(),
    );
    serve_and_use(tmp.path(), &entry, "supplier-notes", "Supplier notes").await;
}

/// Serves a scaffolded area's `entry` (its plugin path made absolute) in a
/// portal, and uses it as a person would: the empty page, a form with two
/// wrong fields, an item added and shown with the host's date filter.
async fn serve_and_use(plugin_dir: &Path, entry: &str, id: &str, title: &str) {
    let yaml = format!(
        "areas:\n  - id: homepage\n    title: Home\n    plugin: {}\n    version: 1.0.0\n    order: 10\n  - id: my-account\n    title: My account\n    plugin: {}\n    version: 1.0.0\n    order: 1000\n    scope: user\n    capabilities: [account, log]\n{entry}",
        plugin("homepage").display(),
        plugin("my-account").display()
    );
    let portal = Portal::start_in(
        tempfile::tempdir().unwrap(),
        &yaml,
        &["--plugin-dir", &plugin_dir.display().to_string()],
    );
    let alice = portal.client();
    alice.sign_up("Alice", "alice@example.com", PASSWORD).await;
    let created = alice
        .create_structure(SUPPLIER, "Ateliers Dupont", "private")
        .await;
    assert_eq!(created.status, 303, "{}", created.body);
    let tab = format!("/s/{SUPPLIER}/{id}");
    let page = alice.get(&tab).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.tabs().contains(&title.to_string()),
        "{:?}",
        page.tabs()
    );
    assert!(page.body.contains("Nothing to do yet."), "{}", page.body);

    let refused = alice
        .submit(
            &tab,
            &format!("{tab}/items"),
            &[("what", ""), ("due", "31/03/2027")],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused.body.contains("This field is required."),
        "{}",
        refused.body
    );
    assert!(
        refused
            .body
            .contains("” is not a date: write it as year-month-day"),
        "{}",
        refused.body
    );

    let added = alice
        .submit(
            &tab,
            &format!("{tab}/items"),
            &[("what", "Send the March invoice"), ("due", "2027-03-31")],
        )
        .await;
    assert_eq!(added.status, 303, "{}", added.body);
    let page = alice.get(&tab).await;
    assert!(
        page.body.contains("Send the March invoice"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("March 31, 2027"),
        "the host's date filter: {}",
        page.body
    );
}

/// The pinned Python tools (componentize-py, pytest), installed by the
/// project's own script.
fn python_tools() -> PathBuf {
    let out = Command::new(support::repo().join(".ci/python-tools"))
        .output()
        .expect(".ci/python-tools runs");
    assert!(
        out.status.success(),
        ".ci/python-tools: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

fn run(program: &Path, args: &[&str], dir: &Path, env: &[(&str, &Path)]) -> String {
    let mut cmd = Command::new(program);
    cmd.args(args).current_dir(dir);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "{} {args:?} in {}:\n{text}",
        program.display(),
        dir.display()
    );
    text
}

#[tokio::test]
async fn a_new_python_area_builds_passes_its_tests_and_check_and_serves() {
    let tmp = tempfile::tempdir().unwrap();
    let made = portico(&["new", "supplier-notes", "--lang", "python"], tmp.path());
    assert!(made.status.success(), "{made:?}");
    let stdout = String::from_utf8_lossy(&made.stdout);
    assert!(
        stdout.contains("pip install -r requirements.txt") && stdout.contains("pytest"),
        "says what to run next: {stdout}"
    );
    let project = tmp.path().join("supplier-notes");

    // The SDK from where requirements.txt says (this checkout), installed
    // as pip installs it (its package data included), offline: into a
    // directory of the project rather than a fresh venv, so the test needs
    // no index for componentize-py and pytest (the pinned tools have them).
    let requirements = std::fs::read_to_string(project.join("requirements.txt")).unwrap();
    let sdk = requirements
        .lines()
        .find_map(|l| l.strip_prefix("portico-sdk[build,test] @ file://"))
        .unwrap_or_else(|| panic!("the SDK by path: {requirements}"));
    let tools = python_tools();
    let site = project.join(".sdk");
    run(
        &tools.join("python"),
        &[
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--target",
            ".sdk",
            sdk,
        ],
        &project,
        &[],
    );
    // Its own tests, on the SDK's fake host.
    let tested = run(
        &tools.join("pytest"),
        &["-q", "-p", "no:cacheprovider", "tests"],
        &project,
        &[("PYTHONPATH", &site)],
    );
    assert!(tested.contains("4 passed"), "{tested}");
    // The component, as its README says.
    run(
        &tools.join("python"),
        &[
            "-m",
            "portico_sdk.build",
            ".",
            "-o",
            "build/supplier-notes.wasm",
        ],
        &project,
        &[("PYTHONPATH", &site)],
    );
    let checked = portico(&["check", "areas.yaml"], &project);
    let out = String::from_utf8_lossy(&checked.stdout);
    assert!(
        checked.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&checked.stderr)
    );
    assert!(out.contains("ok  supplier-notes"), "{out}");

    let entry = std::fs::read_to_string(project.join("areas.yaml")).unwrap();
    let entry = entry.split_once("areas:\n").unwrap().1.replace(
        "build/supplier-notes.wasm",
        &project
            .join("build/supplier-notes.wasm")
            .display()
            .to_string(),
    );
    serve_and_use(tmp.path(), &entry, "supplier-notes", "Supplier notes").await;
}

#[test]
fn new_refuses_a_bad_id_and_an_existing_directory_plainly() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = portico(&["new", "Supplier_Notes"], tmp.path());
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("`Supplier_Notes` cannot be an area id"),
        "{err}"
    );
    assert!(err.contains("e.g. `supplier-notes`"), "{err}");
    assert_eq!(
        std::fs::read_dir(tmp.path()).unwrap().count(),
        0,
        "nothing written"
    );

    std::fs::create_dir(tmp.path().join("notes")).unwrap();
    std::fs::write(tmp.path().join("notes/keep.txt"), "mine").unwrap();
    let taken = portico(&["new", "notes"], tmp.path());
    assert!(!taken.status.success());
    let err = String::from_utf8_lossy(&taken.stderr);
    assert!(err.contains("already exists and is not empty"), "{err}");
    assert_eq!(
        std::fs::read_dir(tmp.path().join("notes")).unwrap().count(),
        1
    );
}

/// A `portico dev` process; killed on drop.
struct Dev {
    child: std::process::Child,
    url: String,
    stderr: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Drop for Dev {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Dev {
    fn start(project: &Path) -> Dev {
        use std::io::{BufRead, BufReader};
        let mut child = Command::new(env!("CARGO_BIN_EXE_portico"))
            .args(["dev", "--listen", "127.0.0.1:0"])
            .arg(project)
            .env("CARGO", env!("CARGO"))
            .env("CARGO_TARGET_DIR", scaffold_target())
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("portico dev starts");
        let stderr = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let sink = stderr.clone();
        let err = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                eprintln!("[dev] {line}");
                let mut s = sink.lock().unwrap();
                s.push_str(&line);
                s.push('\n');
            }
        });
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let url = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(u) = line.strip_prefix("Portico listening on ") {
                        break u.trim().to_owned();
                    }
                }
                _ => panic!(
                    "portico dev exited before listening:\n{}",
                    stderr.lock().unwrap()
                ),
            }
        };
        std::thread::spawn(move || for _ in lines.map_while(Result::ok) {});
        Dev { child, url, stderr }
    }

    /// Waits (real time: a build is real work) until stderr holds `what`
    /// `count` times; returns that line.
    async fn wait_for(&self, what: &str, count: usize) -> String {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(300);
        loop {
            {
                let text = self.stderr.lock().unwrap();
                if let Some(line) = text.lines().filter(|l| l.contains(what)).nth(count - 1) {
                    return line.to_owned();
                }
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no {what:?} (x{count}) from portico dev:\n{}",
                self.stderr.lock().unwrap()
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{} lacks {from:?}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

#[tokio::test]
async fn dev_rebuilds_on_save_shows_errors_on_the_tab_and_keeps_the_last_good_version() {
    let tmp = tempfile::tempdir().unwrap();
    let made = portico(&["new", "dev-notes"], tmp.path());
    assert!(made.status.success(), "{made:?}");
    let project = tmp.path().join("dev-notes");
    std::fs::copy(
        support::repo().join("Cargo.lock"),
        project.join("Cargo.lock"),
    )
    .unwrap();
    let dev = Dev::start(&project);

    let (email, _, _, password, siret) = portico::demo::ACCOUNTS[0];
    let client = support::Client {
        http: reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .default_headers(
                [(reqwest::header::ACCEPT_LANGUAGE, "en".parse().unwrap())]
                    .into_iter()
                    .collect(),
            )
            .build()
            .unwrap(),
        base: dev.url.clone(),
        mailbox: None,
    };
    let signed_in = client.log_in(email, password).await;
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    let tab = format!("/s/{siret}/dev-notes");
    let page = client.get(&tab).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Nothing to do yet."), "{}", page.body);
    assert!(
        page.tabs().contains(&"Dev notes".to_owned()),
        "{:?}",
        page.tabs()
    );

    // A save: the next page is the new version.
    edit(
        &project.join("i18n/en.json"),
        "Nothing to do yet.",
        "All clear for now.",
    );
    let served = dev.wait_for("serving the new build", 1).await;
    println!("save → served: {served}");
    let page = client.get(&tab).await;
    assert!(page.body.contains("All clear for now."), "{}", page.body);

    // A compile error: in the terminal and on the tab, over the last good version.
    let lib = project.join("src/lib.rs");
    edit(
        &lib,
        "const PAGE_SIZE: u32 = 20;",
        "const PAGE_SIZE: u32 = \"twenty\";",
    );
    dev.wait_for("the build failed", 1).await;
    let page = client.get(&tab).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("All clear for now."),
        "still serving: {}",
        page.body
    );
    assert!(
        page.body.contains("The latest change does not build")
            && page.body.contains("mismatched types"),
        "{}",
        page.body
    );
    edit(
        &lib,
        "const PAGE_SIZE: u32 = \"twenty\";",
        "const PAGE_SIZE: u32 = 20;",
    );
    dev.wait_for("serving the new build", 2).await;
    let page = client.get(&tab).await;
    assert!(
        !page.body.contains("The latest change does not build"),
        "{}",
        page.body
    );

    // A template that does not compile: named with its line, old version kept.
    edit(&project.join("templates/page.html"), "{% endfor %}", "");
    let refused = dev.wait_for("does not load", 1).await;
    let page = client.get(&tab).await;
    assert!(page.body.contains("All clear for now."), "{}", page.body);
    let notice = page.body.split("dev-notice").nth(1).unwrap_or_default();
    assert!(
        notice.contains("page.html") && notice.contains("line ") && notice.contains("syntax error"),
        "{refused}\n{}",
        page.body
    );
}
