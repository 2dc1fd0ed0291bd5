//! `portico dev [DIR]`: the development loop. Serves the demo portal with
//! the area being written added to it, watches the project's sources,
//! rebuilds the component on every save and installs it, and the host's
//! reload picks it up. A build (or load) error shows in the terminal and on
//! the area's tab; the last good version keeps serving.
//!
//! Layout under the project: `target/portico-dev/` holds the combined
//! `areas.yaml` (the checkout's demo areas + this one), the installed
//! component `plugins/<id>.wasm` and the portal's data (`data/`).

use crate::ops::{Reloader, Trigger};
use crate::web::AppState;
use anyhow::{Context as _, bail};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Quiet time after the last file event before a rebuild: an editor's
/// save is often several writes (temp file, rename, chmod).
const SETTLE: Duration = Duration::from_millis(50);
/// Longest wait for the host to report the reload of a new build.
const RELOAD_WAIT: Duration = Duration::from_secs(60);

/// The project being developed.
pub struct Project {
    /// Its directory (absolute).
    pub dir: PathBuf,
    /// The area id, from its `areas.yaml` entry.
    pub id: String,
    /// Its `areas.yaml` entry, without the `areas:` line.
    entry: String,
    /// The `plugin:` value of the entry (where its own build lands).
    plugin: String,
    /// What the area is written in, and how it builds.
    lang: ProjectLang,
}

/// How a project builds.
#[derive(Debug, PartialEq, Eq)]
enum ProjectLang {
    /// `Cargo.toml`: `cargo build --release --target wasm32-wasip2`; the
    /// cargo package name.
    Rust { package: String },
    /// `app.py`: `python -m portico_sdk.build` (componentize-py), with the
    /// project's `.venv` when it has one.
    Python,
}

impl Project {
    /// Reads `DIR/Cargo.toml` (or `DIR/app.py`) and `DIR/areas.yaml` (as
    /// `portico new` writes them).
    pub fn open(dir: &Path) -> anyhow::Result<Project> {
        let dir = dir
            .canonicalize()
            .with_context(|| format!("{}: no such directory", dir.display()))?;
        let manifest = dir.join("Cargo.toml");
        let lang = if !manifest.exists() && dir.join("app.py").exists() {
            ProjectLang::Python
        } else {
            let cargo = std::fs::read_to_string(&manifest).with_context(|| {
                format!(
                    "{} is not an area project: it has no Cargo.toml (Rust) or app.py (Python); make one with `portico new ID [--lang python]`",
                    dir.display()
                )
            })?;
            let package = toml_value(&cargo, "name").with_context(|| {
                format!("{}: no `name = \"…\"` in [package]", manifest.display())
            })?;
            ProjectLang::Rust { package }
        };
        let areas = dir.join("areas.yaml");
        let yaml = std::fs::read_to_string(&areas).with_context(|| {
            format!(
                "{}: missing; `portico dev` serves the area its `areas:` entry describes (see `portico new`)",
                areas.display()
            )
        })?;
        let entry = yaml
            .split_once("\nareas:\n")
            .or_else(|| yaml.strip_prefix("areas:\n").map(|rest| ("", rest)))
            .map(|(_, rest)| rest.trim_end().to_owned())
            .with_context(|| format!("{}: no `areas:` list", areas.display()))?;
        let id = yaml_value(&entry, "- id")
            .with_context(|| format!("{}: the entry has no `- id:`", areas.display()))?;
        let plugin = yaml_value(&entry, "plugin")
            .with_context(|| format!("{}: the entry has no `plugin:`", areas.display()))?;
        if entry.matches("- id:").count() > 1 {
            bail!(
                "{}: `portico dev` serves one area; this file lists several",
                areas.display()
            );
        }
        Ok(Project {
            dir,
            id,
            entry,
            plugin,
            lang,
        })
    }

    /// The build command, for the terminal.
    pub fn build_command(&self) -> String {
        match self.lang {
            ProjectLang::Rust { .. } => "cargo build --release --target wasm32-wasip2".to_owned(),
            ProjectLang::Python => format!(
                "{} -m portico_sdk.build . (componentize-py)",
                self.python().display()
            ),
        }
    }

    /// The project's Python: its `.venv`'s, else `$PORTICO_PYTHON`, else `python3`.
    fn python(&self) -> PathBuf {
        let venv = self.dir.join(".venv/bin/python");
        if venv.exists() {
            return venv;
        }
        std::env::var_os("PORTICO_PYTHON")
            .filter(|v| !v.is_empty())
            .map_or_else(|| PathBuf::from("python3"), PathBuf::from)
    }

    /// Builds a Python project into `target/portico-dev/build/ID.wasm`.
    fn build_python(&self) -> Result<PathBuf, String> {
        let out_dir = self.work_dir().join("build");
        std::fs::create_dir_all(&out_dir)
            .map_err(|e| format!("creating {}: {e}", out_dir.display()))?;
        let wasm = out_dir.join(format!("{}.wasm", self.id));
        let python = self.python();
        let out = Command::new(&python)
            .args(["-m", "portico_sdk.build", "."])
            .arg("-o")
            .arg(&wasm)
            .current_dir(&self.dir)
            .output()
            .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
        if out.status.success() && wasm.exists() {
            return Ok(wasm);
        }
        let mut text = String::from_utf8_lossy(&out.stderr).trim().to_owned();
        let stdout = String::from_utf8_lossy(&out.stdout);
        if !stdout.trim().is_empty() {
            text = format!("{}\n{text}", stdout.trim());
        }
        if text.contains("No module named portico_sdk") {
            text.push_str(
                "\n(install the SDK in the project's .venv: see its README, `pip install -r requirements.txt`)",
            );
        }
        Err(text)
    }

    /// Where `portico dev` keeps its files.
    pub fn work_dir(&self) -> PathBuf {
        self.dir.join("target").join("portico-dev")
    }

    /// Builds the component; its path, or the compiler's words.
    pub fn build(&self) -> Result<PathBuf, String> {
        let package = match &self.lang {
            ProjectLang::Rust { package } => package,
            ProjectLang::Python => return self.build_python(),
        };
        let out = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
            .args([
                "build",
                "--release",
                "--target",
                "wasm32-wasip2",
                "--color",
                "never",
                "--message-format",
                "short",
            ])
            .current_dir(&self.dir)
            .output()
            .map_err(|e| format!("cannot run cargo: {e}"))?;
        if !out.status.success() {
            let text = String::from_utf8_lossy(&out.stderr);
            // The diagnostics, not cargo's progress lines.
            let lines: Vec<&str> = text
                .lines()
                .filter(|l| {
                    let t = l.trim_start();
                    !(t.starts_with("Compiling ")
                        || t.starts_with("Blocking ")
                        || t.starts_with("Updating ")
                        || t.starts_with("Locking ")
                        || t.starts_with("Downloaded ")
                        || t.starts_with("Downloading "))
                })
                .collect();
            return Err(lines.join("\n"));
        }
        let target = self.target_dir()?;
        let wasm = target
            .join("wasm32-wasip2/release")
            .join(format!("{}.wasm", package.replace('-', "_")));
        if wasm.exists() {
            Ok(wasm)
        } else {
            Err(format!(
                "the build succeeded but left no {} (is the crate a cdylib?)",
                wasm.display()
            ))
        }
    }

    /// Cargo's target directory for this project (`CARGO_TARGET_DIR` or a
    /// workspace setting included).
    fn target_dir(&self) -> Result<PathBuf, String> {
        let out = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
            .args(["metadata", "--no-deps", "--format-version", "1"])
            .current_dir(&self.dir)
            .output()
            .map_err(|e| format!("cannot run cargo metadata: {e}"))?;
        let meta: serde_json::Value =
            serde_json::from_slice(&out.stdout).map_err(|e| format!("cargo metadata: {e}"))?;
        meta["target_directory"]
            .as_str()
            .map(PathBuf::from)
            .ok_or_else(|| "cargo metadata gave no target_directory".to_owned())
    }
}

/// `key = "value"` in a TOML file's first lines that set it.
fn toml_value(text: &str, key: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let (k, v) = l.split_once('=')?;
        (k.trim() == key).then(|| v.trim().trim_matches('"').to_owned())
    })
}

/// `key: value` in a YAML entry (first occurrence), unquoted.
fn yaml_value(text: &str, key: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let (k, v) = l.trim().split_once(':')?;
        (k.trim() == key).then(|| {
            let v = v.split(" #").next().unwrap_or(v).trim();
            v.trim_matches(|c| c == '"' || c == '\'').to_owned()
        })
    })
}

/// The portal's catalog: `demo` (the checkout's areas.yaml) with its plugin
/// paths made absolute, and the project's entry pointing at `installed`.
pub fn combined_areas(
    demo: &str,
    demo_dir: &Path,
    project: &Project,
    installed: &Path,
) -> anyhow::Result<String> {
    let mut out = String::new();
    for line in demo.lines() {
        let trimmed = line.trim_start();
        if let Some(id) = trimmed.strip_prefix("- id:")
            && id.trim() == project.id
        {
            bail!(
                "the demo portal already has an area `{}`; give yours another id in {}",
                project.id,
                project.dir.join("areas.yaml").display()
            );
        }
        match trimmed.strip_prefix("plugin:") {
            Some(path) => {
                let indent = &line[..line.len() - trimmed.len()];
                let path = path.split(" #").next().unwrap_or(path).trim();
                out.push_str(&format!(
                    "{indent}plugin: {}\n",
                    demo_dir.join(path).display()
                ));
            }
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out.push_str("\n  # The area being developed (portico dev).\n");
    for line in project.entry.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("plugin:") {
            let indent = &line[..line.len() - trimmed.len()];
            out.push_str(&format!("{indent}plugin: {}\n", installed.display()));
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    Ok(out)
}

/// Copies a build over the installed component in one rename, so the
/// host's watcher never reads half a file.
fn install(built: &Path, installed: &Path) -> std::io::Result<()> {
    let tmp = installed.with_extension("wasm.tmp");
    std::fs::copy(built, &tmp)?;
    std::fs::rename(&tmp, installed)
}

/// What the terminal shows for a build that failed, and the tab too.
fn report_build_error(state: Option<&AppState>, id: &str, text: &str) {
    eprintln!("portico dev: the build failed; the last good version keeps serving:\n{text}");
    if let Some(state) = state {
        state.set_dev_notice(id, Some(format!("build:\n{text}")));
    }
}

/// Waits for changes under the project (its `target/` ignored) and returns
/// when the sources settled; `None` when the watcher is gone.
fn next_change(rx: &mpsc::Receiver<notify::Result<notify::Event>>, dir: &Path) -> Option<Instant> {
    let target = dir.join("target");
    let relevant = |e: &notify::Event| {
        !matches!(e.kind, notify::EventKind::Access(_))
            && e.paths.iter().any(|p| {
                !p.starts_with(&target)
                    // Tools' directories: git, a Python venv and caches, a Python build.
                    && !p.components().any(|c| {
                        [".git", ".venv", "__pycache__", ".pytest_cache"]
                            .iter()
                            .any(|d| c.as_os_str() == *d)
                    })
                    && !p.starts_with(dir.join("build"))
                    && !p
                        .file_name()
                        .and_then(|n| n.to_str())
                        // Cargo.lock: cargo writes it while building.
                        .is_some_and(|n| {
                            n.ends_with('~')
                                || n.ends_with(".swp")
                                || n == "4913"
                                || n == "Cargo.lock"
                        })
            })
    };
    let first = loop {
        match rx.recv() {
            Ok(Ok(e)) if relevant(&e) => break Instant::now(),
            Ok(_) => {}
            Err(_) => return None,
        }
    };
    // Until the writes stop for SETTLE.
    loop {
        match rx.recv_timeout(SETTLE) {
            Ok(_) => {}
            Err(mpsc::RecvTimeoutError::Timeout) => return Some(first),
            Err(mpsc::RecvTimeoutError::Disconnected) => return None,
        }
    }
}

/// The loop after the portal started: rebuild on each change, install,
/// wait for the host's reload, report.
fn watch_loop(
    project: Project,
    installed: PathBuf,
    state: AppState,
    reloader: Reloader,
    rx: mpsc::Receiver<notify::Result<notify::Event>>,
) {
    while let Some(saved) = next_change(&rx, &project.dir) {
        eprintln!("portico dev: change seen, building…");
        let built = match project.build() {
            Ok(b) => b,
            Err(text) => {
                report_build_error(Some(&state), &project.id, &text);
                continue;
            }
        };
        let build_ms = saved.elapsed().as_millis();
        let before = state.ops().reloads().attempts();
        if let Err(e) = install(&built, &installed) {
            report_build_error(
                Some(&state),
                &project.id,
                &format!("installing the build: {e}"),
            );
            continue;
        }
        reloader.request(Trigger::FileChange);
        let record = loop {
            let last = {
                let log = state.ops().reloads();
                (log.attempts() > before)
                    .then(|| log.last().cloned())
                    .flatten()
            };
            if let Some(r) = last {
                break Some(r);
            }
            if saved.elapsed() > RELOAD_WAIT {
                break None;
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        match record {
            Some(r) if r.ok => {
                state.set_dev_notice(&project.id, None);
                eprintln!(
                    "portico dev: serving the new build, {} ms after the save (build {build_ms} ms, reload {} ms){}",
                    saved.elapsed().as_millis(),
                    r.duration_ms,
                    if r.changes.is_empty() {
                        " — no change the host could see".to_owned()
                    } else {
                        format!(": {}", r.changes.join(" "))
                    }
                );
            }
            Some(r) => {
                let text = r.errors.join("\n");
                eprintln!(
                    "portico dev: the new build does not load; the last good version keeps serving:\n{text}"
                );
                state.set_dev_notice(&project.id, Some(format!("portico check:\n{text}")));
            }
            None => eprintln!("portico dev: no reload within {RELOAD_WAIT:?}"),
        }
    }
}

/// Options of `portico dev`.
pub struct DevOptions {
    /// The project (default `.`).
    pub dir: PathBuf,
    /// Where the portal listens.
    pub listen: std::net::SocketAddr,
    /// The portal to add the area to (default: the checkout's demo `areas.yaml`).
    pub portal: Option<PathBuf>,
}

/// Runs the loop until interrupted.
pub fn run(opts: DevOptions) -> anyhow::Result<()> {
    use notify::Watcher as _;
    let project = Project::open(&opts.dir)?;
    let demo_config = match opts.portal {
        Some(p) => p,
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../areas.yaml"),
    };
    let demo_config = demo_config.canonicalize().with_context(|| {
        format!(
            "{}: the portal to add the area to is missing (pass --portal areas.yaml)",
            demo_config.display()
        )
    })?;
    let demo_dir = demo_config.parent().unwrap_or(Path::new("/")).to_path_buf();
    let demo = std::fs::read_to_string(&demo_config)
        .with_context(|| format!("reading {}", demo_config.display()))?;
    let work = project.work_dir();
    std::fs::create_dir_all(work.join("plugins"))
        .with_context(|| format!("creating {}", work.display()))?;
    let installed = work.join("plugins").join(format!("{}.wasm", project.id));
    let config = work.join("areas.yaml");
    std::fs::write(
        &config,
        combined_areas(&demo, &demo_dir, &project, &installed)?,
    )
    .with_context(|| format!("writing {}", config.display()))?;
    crate::config::allow_plugin_dirs(std::slice::from_ref(&demo_dir))?;

    // Watch first, so a save during the first build is not missed.
    let (tx, rx) = mpsc::channel();
    let mut watcher = notify::recommended_watcher(move |e| {
        let _ = tx.send(e);
    })
    .context("starting the file watcher")?;
    watcher
        .watch(&project.dir, notify::RecursiveMode::Recursive)
        .with_context(|| format!("watching {}", project.dir.display()))?;

    eprintln!(
        "portico dev: building `{}` in {} ({})…",
        project.id,
        project.dir.display(),
        project.build_command()
    );
    loop {
        match project.build() {
            Ok(built) => {
                install(&built, &installed)
                    .with_context(|| format!("installing {}", installed.display()))?;
                break;
            }
            Err(text) => {
                report_build_error(None, &project.id, &text);
                eprintln!(
                    "portico dev: the portal starts after the first good build; save to retry."
                );
                if next_change(&rx, &project.dir).is_none() {
                    bail!("the file watcher stopped");
                }
            }
        }
    }
    eprintln!(
        "portico dev: `{}` is built ({} in its entry); the portal serves a copy from {}",
        project.id,
        project.plugin,
        installed.display()
    );
    let on_ready: super::OnReady = Box::new(move |state: AppState, reloader: Reloader| {
        std::thread::Builder::new()
            .name("portico-dev".into())
            .spawn(move || {
                let _watcher = watcher; // lives as long as the loop
                watch_loop(project, installed, state, reloader, rx);
            })
            .map(drop)
    });
    crate::cli::serve_dev(&config, &work.join("data"), opts.listen, on_ready)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(entry: &str) -> Project {
        Project {
            dir: PathBuf::from("/p"),
            id: "notes".into(),
            entry: entry.into(),
            plugin: "target/x.wasm".into(),
            lang: ProjectLang::Rust {
                package: "notes".into(),
            },
        }
    }

    #[test]
    fn the_demo_keeps_its_areas_with_absolute_plugins_and_gains_the_project() {
        let demo =
            "areas:\n  - id: homepage\n    plugin: plugins/homepage.wasm # built\n    order: 10\n";
        let p = project("  - id: notes\n    plugin: target/x.wasm\n    capabilities: [kv]");
        let out = combined_areas(demo, Path::new("/repo"), &p, Path::new("/w/notes.wasm")).unwrap();
        assert!(
            out.contains("    plugin: /repo/plugins/homepage.wasm\n"),
            "{out}"
        );
        assert!(
            out.contains("  - id: notes\n    plugin: /w/notes.wasm\n    capabilities: [kv]\n"),
            "{out}"
        );
        let parsed: serde_yaml::Value = serde_yaml::from_str(&out).unwrap();
        assert_eq!(parsed["areas"].as_sequence().unwrap().len(), 2);
    }

    #[test]
    fn an_id_the_demo_has_is_refused() {
        let demo = "areas:\n  - id: notes\n    plugin: plugins/notes.wasm\n";
        let p = project("  - id: notes\n    plugin: x.wasm");
        let err = combined_areas(demo, Path::new("/repo"), &p, Path::new("/w.wasm")).unwrap_err();
        assert!(
            err.to_string().contains("already has an area `notes`"),
            "{err}"
        );
    }

    #[test]
    fn a_project_is_read_from_what_portico_new_writes() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("supplier-notes");
        super::super::new::create(
            "supplier-notes",
            super::super::new::Lang::Rust,
            Some(&dir),
            &super::super::new::Sdk::default_for_this_build(),
        )
        .unwrap();
        let p = Project::open(&dir).unwrap();
        assert_eq!(p.id, "supplier-notes");
        assert_eq!(
            p.lang,
            ProjectLang::Rust {
                package: "supplier-notes".into()
            }
        );
        assert_eq!(p.plugin, "target/wasm32-wasip2/release/supplier_notes.wasm");
        assert!(p.entry.starts_with("  - id: supplier-notes"), "{}", p.entry);

        let py = tmp.path().join("py-notes");
        super::super::new::create(
            "py-notes",
            super::super::new::Lang::Python,
            Some(&py),
            &super::super::new::Sdk::default_for_this_build(),
        )
        .unwrap();
        let p = Project::open(&py).unwrap();
        assert_eq!((p.id.as_str(), &p.lang), ("py-notes", &ProjectLang::Python));
        assert_eq!(p.plugin, "build/py-notes.wasm");
        assert!(p.build_command().contains("portico_sdk.build"));
    }
}
