//! Fixture-driven tests of `areas.yaml` validation: each `config/NAME.yaml`
//! is loaded and the full error text compared with `config/NAME.err` (absent
//! or empty: the file must be valid). Paths in the text are shown relative
//! to the fixture directory so the expectations are stable.
//!
//! `BLESS=1 cargo test -p portico --test config` rewrites the `.err` files
//! from the current output; review the diff before committing.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use portico::config::{self, Capability, Install, Scope};
use portico::directory::{Role, StructureKind};

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/config")
}

/// The error text of one fixture, as the operator would see it.
fn actual(yaml: &Path) -> String {
    match config::load(yaml) {
        Ok(_) => String::new(),
        Err(errors) => {
            let prefix = format!("{}/", fixture_dir().display());
            let dir = fixture_dir().display().to_string();
            format!("{errors}\n")
                .replace(&prefix, "")
                .replace(&dir, "<fixtures>")
        }
    }
}

#[test]
fn config_fixtures() {
    let bless = std::env::var_os("BLESS").is_some_and(|v| v != "0");
    let mut yamls: Vec<PathBuf> = fs::read_dir(fixture_dir())
        .expect("fixture directory")
        .map(|entry| entry.expect("fixture entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "yaml"))
        .collect();
    yamls.sort();
    assert!(yamls.len() >= 15, "fixtures missing: {yamls:?}");

    let mut failures = Vec::new();
    for yaml in &yamls {
        let err_path = yaml.with_extension("err");
        let got = actual(yaml);
        if bless {
            if got.is_empty() {
                let _ = fs::remove_file(&err_path);
            } else {
                fs::write(&err_path, &got).expect("write .err");
            }
            continue;
        }
        let expected = fs::read_to_string(&err_path).unwrap_or_default();
        if got != expected {
            failures.push(format!(
                "{}:\n--- expected\n{expected}--- actual\n{got}",
                yaml.display()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} fixture(s) differ (BLESS=1 to accept):\n\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn config_valid_fixture_reads_every_field() {
    let spec = config::load(&fixture_dir().join("valid.yaml")).expect("valid.yaml is valid");
    let ids: Vec<&str> = spec.areas.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "issued-invoices",
            "received-invoices",
            "commitments",
            "manager",
            "my-account"
        ],
        "sorted by order, then id"
    );

    let commitments = spec.area("commitments").expect("commitments");
    assert_eq!(commitments.title.en(), "Commitments");
    assert!(
        commitments
            .description
            .en()
            .starts_with("Legal commitments")
    );
    assert_eq!(
        commitments.plugin,
        fixture_dir()
            .join("plugins/commitments.wasm")
            .canonicalize()
            .expect("plugin exists")
    );
    assert!(commitments.plugin.is_absolute());
    assert_eq!(commitments.version, semver::Version::new(1, 0, 0));
    assert_eq!(commitments.order, 40);
    assert_eq!(commitments.scope, Scope::Structure);
    assert_eq!(commitments.install, Install::OnRequest);
    assert_eq!(commitments.roles, Role::ALL.into_iter().collect());
    assert_eq!(
        commitments.structure_kinds,
        BTreeSet::from([StructureKind::Private])
    );
    assert_eq!(
        commitments.when.as_ref().map(|w| w.source()),
        Some("fact('issued-invoices', 'payment-reached')")
    );
    assert_eq!(
        commitments
            .when
            .as_ref()
            .map(|w| w.explanation(portico::i18n::Lang::En)),
        Some("opens once one of the structure's invoices reached Payment")
    );
    assert_eq!(
        commitments.capabilities,
        BTreeSet::from([Capability::Kv, Capability::Facts, Capability::Messages])
    );
    let req = &commitments.requires[&config::AreaId::parse("issued-invoices").expect("id")];
    assert_eq!(req.to_string(), "^1");
    assert_eq!(commitments.limits.memory_mib, 32);
    assert_eq!(commitments.limits.timeout_ms, 500);
    assert_eq!(commitments.line, 3);
    assert_eq!(commitments.line_of("plugin"), 6);
    assert_eq!(commitments.line_of("limits.memory-mib"), 17);

    // Defaults.
    let issued = spec.area("issued-invoices").expect("issued-invoices");
    assert_eq!(issued.scope, Scope::Structure);
    assert_eq!(issued.install, Install::Default);
    assert_eq!(issued.roles.len(), Role::ALL.len());
    assert!(issued.when.is_none());
    assert!(issued.requires.is_empty());
    assert_eq!(issued.title.text("fr"), "Factures émises");
    assert_eq!(issued.title.text("en"), "Issued invoices");
    assert_eq!(
        issued.description.text("fr"),
        "Saisir et suivre ses factures."
    );
    assert_eq!(issued.limits, config::Limits::default());
    assert_eq!(issued.limits.memory_mib, config::DEFAULT_MEMORY_MIB);
    assert_eq!(issued.limits.timeout_ms, config::DEFAULT_TIMEOUT_MS);

    let received = spec.area("received-invoices").expect("received-invoices");
    assert_eq!(received.limits.memory_mib, config::MAX_MEMORY_MIB);
    assert_eq!(received.limits.timeout_ms, config::MAX_TIMEOUT_MS);
    assert_eq!(received.line_of("requires.issued-invoices"), 47);
    // Managers read `when-explained`, never the expression.
    assert_eq!(
        received
            .when
            .as_ref()
            .map(|w| w.explanation(portico::i18n::Lang::En)),
        Some("for the managers of public structures")
    );

    let account = spec.area("my-account").expect("my-account");
    assert_eq!(account.scope, Scope::User);
    assert!(account.has(Capability::Account));
    assert!(!account.has(Capability::Directory));
}

#[test]
fn config_empty_list_is_a_portal_without_areas() {
    let spec = config::load(&fixture_dir().join("empty_list.yaml")).expect("valid");
    assert!(spec.areas.is_empty());
}

#[test]
fn config_error_lines_point_at_the_field() {
    let errors = config::load(&fixture_dir().join("many_errors.yaml")).expect_err("invalid");
    let at = |field: &str, area: &str| {
        errors
            .iter()
            .find(|e| e.field.as_deref() == Some(field) && e.area.as_deref() == Some(area))
            .map(|e| e.line)
    };
    assert_eq!(at("roles", "commitments"), Some(7));
    assert_eq!(at("requires", "commitments"), Some(8));
    assert_eq!(at("plugin", "issued-invoices"), Some(12));
    assert_eq!(at("limits.timeout-ms", "issued-invoices"), Some(17));
    assert_eq!(at("id", "commitments"), Some(32), "the duplicate");
    let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
    assert!(lines.is_sorted(), "{lines:?}");
}

#[test]
fn config_missing_file_is_one_error() {
    let errors = config::load(&fixture_dir().join("no-such-file.yaml")).expect_err("missing");
    assert_eq!(errors.len(), 1);
    assert!(
        errors.to_string().contains("cannot read the file"),
        "{errors}"
    );
}

#[test]
fn config_errors_from_later_stages_use_the_same_form() {
    let spec = config::load(&fixture_dir().join("valid.yaml")).expect("valid");
    let area = spec.area("commitments").expect("commitments");
    let error = config::ConfigError::for_area(
        Path::new("areas.yaml"),
        area,
        Some("plugin"),
        "does not compile: bad magic number",
    );
    assert_eq!(
        error.to_string(),
        "areas.yaml:6: area `commitments`, field `plugin`: does not compile: bad magic number"
    );
}
