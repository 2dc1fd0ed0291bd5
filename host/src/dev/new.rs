//! `portico new ID [--lang rust|python] [--dir DIR]`: writes a complete area
//! project (code, template, catalogues, tests, its `areas.yaml` entry, a
//! README) that builds, passes its own tests and runs under `portico dev`.
//!
//! The project's files are the ones under `sdk/templates/<language>/`,
//! embedded in the binary; a few placeholders (`__AREA_ID__`…) are replaced
//! when they are written. A language is one [`Lang`] variant and one table
//! of files in [`files`].

use std::fmt;
use std::path::{Path, PathBuf};

/// The languages an area can be written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    /// Rust, with the `portico-sdk` crate.
    Rust,
    /// Python, with the Python SDK (componentize-py).
    Python,
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Lang::Rust => "Rust",
            Lang::Python => "Python",
        })
    }
}

/// One file of a project template: where it goes in the project, and its text.
type TemplateFile = (&'static str, &'static str);

/// The Rust project (`sdk/templates/rust/`).
const RUST: &[TemplateFile] = &[
    (
        "Cargo.toml",
        include_str!("../../../sdk/templates/rust/Cargo.toml.tmpl"),
    ),
    (
        ".gitignore",
        include_str!("../../../sdk/templates/rust/gitignore"),
    ),
    (
        "README.md",
        include_str!("../../../sdk/templates/rust/README.md"),
    ),
    (
        "areas.yaml",
        include_str!("../../../sdk/templates/rust/areas.yaml"),
    ),
    (
        "src/lib.rs",
        include_str!("../../../sdk/templates/rust/src/lib.rs"),
    ),
    (
        "templates/page.html",
        include_str!("../../../sdk/templates/rust/templates/page.html"),
    ),
    (
        "i18n/en.json",
        include_str!("../../../sdk/templates/rust/i18n/en.json"),
    ),
    (
        "i18n/fr.json",
        include_str!("../../../sdk/templates/rust/i18n/fr.json"),
    ),
];

/// The Python project (`sdk/templates/python/`).
const PYTHON: &[TemplateFile] = &[
    (
        "requirements.txt",
        include_str!("../../../sdk/templates/python/requirements.txt"),
    ),
    (
        ".gitignore",
        include_str!("../../../sdk/templates/python/gitignore"),
    ),
    (
        "README.md",
        include_str!("../../../sdk/templates/python/README.md"),
    ),
    (
        "areas.yaml",
        include_str!("../../../sdk/templates/python/areas.yaml"),
    ),
    (
        "app.py",
        include_str!("../../../sdk/templates/python/app.py"),
    ),
    (
        "templates/page.html",
        include_str!("../../../sdk/templates/python/templates/page.html"),
    ),
    (
        "i18n/en.json",
        include_str!("../../../sdk/templates/python/i18n/en.json"),
    ),
    (
        "i18n/fr.json",
        include_str!("../../../sdk/templates/python/i18n/fr.json"),
    ),
    (
        "tests/conftest.py",
        include_str!("../../../sdk/templates/python/tests/conftest.py"),
    ),
    (
        "tests/test_app.py",
        include_str!("../../../sdk/templates/python/tests/test_app.py"),
    ),
];

/// The files of a project in `lang`.
fn files(lang: Lang) -> &'static [TemplateFile] {
    match lang {
        Lang::Rust => RUST,
        Lang::Python => PYTHON,
    }
}

/// Where the project takes the SDK from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sdk {
    /// A checkout's `sdk/` directory (absolute), e.g. the one this binary was built from.
    Path(PathBuf),
    /// A published version, e.g. `0.1`.
    Version(String),
}

impl Sdk {
    /// The SDK of the checkout this binary was built from when it is still
    /// there, else the published version of the same number.
    pub fn default_for_this_build() -> Sdk {
        let checkout = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sdk");
        match checkout.join("Cargo.toml").canonicalize() {
            Ok(manifest) => Sdk::Path(manifest.parent().unwrap_or(&checkout).to_path_buf()),
            Err(_) => Sdk::Version(env!("CARGO_PKG_VERSION").to_owned()),
        }
    }

    /// The SDK's root directory when it is a checkout.
    pub fn checkout(&self) -> Option<&Path> {
        match self {
            Sdk::Path(p) => Some(p),
            Sdk::Version(_) => None,
        }
    }

    /// The line of a Python project's `requirements.txt` that names the
    /// SDK (with its `build` and `test` extras: componentize-py, pytest).
    fn pip_requirement(&self) -> String {
        match self {
            Sdk::Path(p) => format!(
                "portico-sdk[build,test] @ file://{}",
                p.join("python").display()
            ),
            Sdk::Version(v) => format!("portico-sdk[build,test]=={v}"),
        }
    }

    /// The `portico-sdk = …` line of a Rust project's `Cargo.toml`.
    fn cargo_dependency(&self) -> String {
        match self {
            Sdk::Path(p) => format!("portico-sdk = {{ path = {:?} }}", p.display().to_string()),
            Sdk::Version(v) => format!("portico-sdk = \"{v}\""),
        }
    }
}

/// Why `portico new` wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum NewError {
    /// The id breaks the area id rule.
    #[error(
        "`{0}` cannot be an area id: use 2 to 40 lowercase letters, digits and single dashes, starting with a letter and not ending with a dash (e.g. `supplier-notes`)"
    )]
    BadId(String),
    /// The id is a name the language's tools refuse for a package.
    #[error(
        "`{0}` cannot be an area id for a {1} project: it is a reserved name there; choose another (e.g. `{0}-area`)"
    )]
    Reserved(String, Lang),
    /// The directory is there and holds something.
    #[error(
        "{0} already exists and is not empty: nothing was written; choose another --dir, or remove it first"
    )]
    Exists(PathBuf),
    /// Writing failed (what was written is removed again).
    #[error("writing {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
}

/// Names a language's package tools refuse (Rust keywords and the names of
/// crates every Rust project sees or this project depends on).
fn reserved(lang: Lang, id: &str) -> bool {
    const RUST: &[&str] = &[
        "as",
        "async",
        "await",
        "box",
        "break",
        "const",
        "continue",
        "crate",
        "do",
        "dyn",
        "else",
        "enum",
        "extern",
        "false",
        "final",
        "fn",
        "for",
        "gen",
        "if",
        "impl",
        "in",
        "let",
        "loop",
        "macro",
        "match",
        "mod",
        "move",
        "mut",
        "override",
        "priv",
        "pub",
        "ref",
        "return",
        "self",
        "static",
        "struct",
        "super",
        "trait",
        "true",
        "try",
        "type",
        "typeof",
        "unsafe",
        "unsized",
        "use",
        "virtual",
        "where",
        "while",
        "yield",
        "alloc",
        "core",
        "std",
        "test",
        "proc-macro",
        "serde",
        "serde-json",
        "portico-sdk",
        "portico-contract",
        "wit-bindgen",
    ];
    // The area's class is the id in CamelCase (`supplier-notes` →
    // `SupplierNotes`): it must not hide a name `app.py` imports or a
    // Python constant.
    const PYTHON: &[&str] = &[
        "area", "context", "form", "request", "response", "view", "optional", "true", "false",
        "none",
    ];
    match lang {
        Lang::Rust => RUST.contains(&id),
        Lang::Python => PYTHON.contains(&id),
    }
}

/// `supplier-notes` → `SupplierNotes`.
fn type_name(id: &str) -> String {
    id.split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// `supplier-notes` → `Supplier notes`.
fn title(id: &str) -> String {
    let words = id.replace('-', " ");
    let mut c = words.chars();
    c.next()
        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
        .unwrap_or_default()
}

/// What `portico new` made.
#[derive(Debug)]
pub struct Created {
    /// The project directory.
    pub dir: PathBuf,
    /// The files written, relative to `dir`.
    pub files: Vec<&'static str>,
}

/// Writes the project for area `id` in `dir` (default `./ID`). Refuses a bad
/// id or a non-empty directory before writing anything; if a write fails,
/// removes what it wrote.
pub fn create(id: &str, lang: Lang, dir: Option<&Path>, sdk: &Sdk) -> Result<Created, NewError> {
    if !portico_contract::names::is_area_id(id) {
        return Err(NewError::BadId(id.to_owned()));
    }
    if reserved(lang, id) {
        return Err(NewError::Reserved(id.to_owned(), lang));
    }
    let files = files(lang);
    let dir = dir.map_or_else(|| PathBuf::from(id), Path::to_path_buf);
    let existed = dir.exists();
    if existed {
        let empty = std::fs::read_dir(&dir)
            .map_err(|source| NewError::Io {
                path: dir.clone(),
                source,
            })?
            .next()
            .is_none();
        if !empty {
            return Err(NewError::Exists(dir));
        }
    }
    let placeholders = [
        ("__AREA_ID__", id.to_owned()),
        ("__AREA_TYPE__", type_name(id)),
        ("__AREA_TITLE__", title(id)),
        ("__CRATE_FILE__", id.replace('-', "_")),
        ("__SDK_DEPENDENCY__", sdk.cargo_dependency()),
        ("__SDK_REQUIREMENT__", sdk.pip_requirement()),
        (
            "__SDK_SOURCE__",
            match sdk.checkout() {
                Some(p) => format!("the checkout at `{}`", p.join("python").display()),
                None => "the package index (PyPI)".to_owned(),
            },
        ),
        (
            "__SDK_README__",
            match (sdk.checkout(), lang) {
                (Some(p), Lang::Rust) => format!("`{}`", p.join("README.md").display()),
                (Some(p), Lang::Python) => {
                    format!("`{}`", p.join("python/README.md").display())
                }
                (None, Lang::Rust) => "https://docs.rs/portico-sdk".to_owned(),
                (None, Lang::Python) => "https://pypi.org/project/portico-sdk/".to_owned(),
            },
        ),
        (
            "__PORTICO_DOCS__",
            match sdk.checkout() {
                Some(p) => p.join("../README.md").display().to_string(),
                None => "https://docs.rs/portico-sdk".to_owned(),
            },
        ),
    ];
    let write = |rel: &str, text: &str| -> Result<(), NewError> {
        let path = dir.join(rel);
        let io = |source| NewError::Io {
            path: path.clone(),
            source,
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        let text = placeholders
            .iter()
            .fold(text.to_owned(), |t, (from, to)| t.replace(from, to));
        std::fs::write(&path, text).map_err(io)
    };
    for (rel, text) in files {
        if let Err(e) = write(rel, text) {
            // Leave nothing half made: the directory was ours, or empty.
            if existed {
                for (rel, _) in files {
                    let _ = std::fs::remove_file(dir.join(rel));
                }
            } else {
                let _ = std::fs::remove_dir_all(&dir);
            }
            return Err(e);
        }
    }
    Ok(Created {
        dir,
        files: files.iter().map(|(rel, _)| *rel).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sdk() -> Sdk {
        Sdk::default_for_this_build()
    }

    #[test]
    fn bad_ids_are_refused_with_the_rule_and_nothing_is_written() {
        let tmp = tempfile::tempdir().unwrap();
        for id in [
            "Notes",
            "1notes",
            "n",
            "notes-",
            "my--notes",
            "my_notes",
            "self",
            "test",
        ] {
            let dir = tmp.path().join("p");
            let err = create(id, Lang::Rust, Some(&dir), &sdk()).unwrap_err();
            let text = err.to_string();
            assert!(text.contains(&format!("`{id}`")), "{text}");
            assert!(text.contains("e.g. `"), "says what would be right: {text}");
            assert!(!dir.exists(), "{id}: nothing written");
        }
    }

    #[test]
    fn a_non_empty_directory_is_refused_and_kept() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("mine.txt"), "keep me").unwrap();
        let err = create("notes", Lang::Rust, Some(tmp.path()), &sdk()).unwrap_err();
        assert!(matches!(err, NewError::Exists(_)), "{err}");
        assert!(err.to_string().contains("nothing was written"), "{err}");
        assert_eq!(
            std::fs::read_to_string(tmp.path().join("mine.txt")).unwrap(),
            "keep me"
        );
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
    }

    #[test]
    fn the_rust_project_names_the_area_everywhere_and_the_sdk_by_absolute_path() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("supplier-notes");
        let created = create("supplier-notes", Lang::Rust, Some(&dir), &sdk()).unwrap();
        assert!(created.files.contains(&"src/lib.rs"));
        for rel in &created.files {
            let text = std::fs::read_to_string(dir.join(rel)).unwrap();
            assert!(!text.contains("__"), "{rel} keeps a placeholder:\n{text}");
        }
        let cargo = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
        assert!(cargo.contains("name = \"supplier-notes\""), "{cargo}");
        let sdk_line = cargo
            .lines()
            .find(|l| l.starts_with("portico-sdk"))
            .unwrap();
        let path = sdk_line.split('"').nth(1).unwrap();
        assert!(Path::new(path).is_absolute(), "{sdk_line}");
        assert!(Path::new(path).join("Cargo.toml").exists(), "{sdk_line}");
        let lib = std::fs::read_to_string(dir.join("src/lib.rs")).unwrap();
        assert!(lib.contains("pub struct SupplierNotes;"), "{lib}");
        let yaml = std::fs::read_to_string(dir.join("areas.yaml")).unwrap();
        assert!(yaml.contains("id: supplier-notes"), "{yaml}");
        assert!(yaml.contains("release/supplier_notes.wasm"), "{yaml}");
    }

    #[test]
    fn the_python_project_names_the_area_everywhere_and_the_sdk_by_absolute_path() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("supplier-notes");
        let created = create("supplier-notes", Lang::Python, Some(&dir), &sdk()).unwrap();
        for rel in [
            "app.py",
            "tests/test_app.py",
            "requirements.txt",
            "areas.yaml",
        ] {
            assert!(created.files.contains(&rel), "{rel}");
        }
        for rel in &created.files {
            let text = std::fs::read_to_string(dir.join(rel)).unwrap();
            assert!(
                !text.contains("__AREA") && !text.contains("__SDK"),
                "{rel} keeps a placeholder:\n{text}"
            );
        }
        let app = std::fs::read_to_string(dir.join("app.py")).unwrap();
        assert!(app.contains("class SupplierNotes(Area):"), "{app}");
        assert!(app.contains("Plugin = export(SupplierNotes)"), "{app}");
        let requirements = std::fs::read_to_string(dir.join("requirements.txt")).unwrap();
        let line = requirements
            .lines()
            .find(|l| l.starts_with("portico-sdk"))
            .unwrap();
        let path = line.split_once("file://").unwrap().1;
        assert!(Path::new(path).join("pyproject.toml").exists(), "{line}");
        let yaml = std::fs::read_to_string(dir.join("areas.yaml")).unwrap();
        assert!(yaml.contains("plugin: build/supplier-notes.wasm"), "{yaml}");
        let published = tmp.path().join("published");
        create(
            "notes",
            Lang::Python,
            Some(&published),
            &Sdk::Version("0.1.0".into()),
        )
        .unwrap();
        let requirements = std::fs::read_to_string(published.join("requirements.txt")).unwrap();
        assert!(
            requirements.contains("portico-sdk[build,test]==0.1.0"),
            "{requirements}"
        );
    }

    #[test]
    fn a_python_id_that_would_hide_an_import_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("p");
        let err = create("response", Lang::Python, Some(&dir), &sdk()).unwrap_err();
        assert!(matches!(err, NewError::Reserved(..)), "{err}");
        assert!(err.to_string().contains("Python project"), "{err}");
        assert!(!dir.exists());
    }

    #[test]
    fn a_published_sdk_is_a_version_dependency() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("notes");
        create("notes", Lang::Rust, Some(&dir), &Sdk::Version("0.1".into())).unwrap();
        let cargo = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
        assert!(cargo.contains("portico-sdk = \"0.1\""), "{cargo}");
    }

    #[test]
    fn an_empty_existing_directory_is_used() {
        let tmp = tempfile::tempdir().unwrap();
        create("notes", Lang::Rust, Some(tmp.path()), &sdk()).unwrap();
        assert!(tmp.path().join("Cargo.toml").exists());
    }
}
