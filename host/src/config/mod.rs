//! `areas.yaml` → a validated [`AreasSpec`], in two explicit steps:
//! parse (`raw`: serde, close to the YAML, `deny_unknown_fields`) then
//! validate (`validate`: domain types, references between areas resolved,
//! plugin files found). Nothing downstream sees the raw form.
//!
//! Every problem of a file is collected and returned together as
//! [`ConfigErrors`], each naming the file, line, area and field, and saying
//! what would be valid. Plugin compilation and linking are the runtime's;
//! it reports in the same form with [`ConfigError::for_area`].
//!
//! What is checked, every check on every area:
//! - YAML syntax and shape (serde_yaml's message, line and column); unknown
//!   fields (serde's message, listing the valid ones);
//! - `id`: present, `^[a-z][a-z0-9-]{1,39}$` without trailing or doubled
//!   dash, unique in the file (both lines named);
//! - `title` present and not blank; `plugin` present and an existing file
//!   (resolved path shown); `version` semver;
//! - `scope`, `install`, `roles`, `structure-kinds`, `capabilities`: known
//!   words (the valid ones listed); `roles`/`structure-kinds` not empty;
//! - `when` compiles and names only `fact`, `role`, `structure.kind` and
//!   minijinja's globals;
//! - `requires`: known areas, valid requirements, met by the declared versions;
//! - `limits` within [`MIN_MEMORY_MIB`]..=[`MAX_MEMORY_MIB`] and
//!   [`MIN_TIMEOUT_MS`]..=[`MAX_TIMEOUT_MS`] and
//!   [`MIN_STORAGE_MIB`]..=[`MAX_STORAGE_MIB`];
//! - user-scoped areas have no `when`, `structure-kinds`, `requires` or
//!   `install: on-request`; `directory` only on structure-scoped areas,
//!   `account` only on user-scoped ones.
//!
//! ```no_run
//! # use std::path::Path;
//! match portico::config::load(Path::new("areas.yaml")) {
//!     Ok(spec) => println!("{} areas", spec.areas.len()),
//!     Err(errors) => eprintln!("{errors}"),
//! }
//! ```

mod error;
mod lines;
mod localized;
mod raw;
mod spec;
mod validate;
mod when;

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::RwLock;

/// Largest `areas.yaml` read: a catalogue of hundreds of areas is a few
/// dozen KiB.
pub const MAX_CONFIG_BYTES: u64 = 1 << 20;
/// Largest plugin file: a Python area, the largest kind, is ~20 MB.
pub const MAX_PLUGIN_BYTES: u64 = 64 << 20;
/// Longest `title` (a tab label).
pub const MAX_TITLE_CHARS: usize = 80;
/// Longest `description` (a line or two shown to managers).
pub const MAX_DESCRIPTION_CHARS: usize = 1000;
/// Deepest nesting of YAML collections; the file needs 4. Checked before
/// the YAML parser runs, so a file of nested brackets is refused at once.
pub const MAX_NESTING: usize = 16;

/// Directories outside the configuration's where plugins may live
/// (`--plugin-dir`), canonical. Set once at start-up by the command line.
static EXTRA_PLUGIN_DIRS: RwLock<Vec<PathBuf>> = RwLock::new(Vec::new());

/// Allows plugins under `dirs` as well as under the configuration's own
/// directory (`portico serve/check --plugin-dir`).
pub fn allow_plugin_dirs(dirs: &[PathBuf]) -> std::io::Result<()> {
    let mut canonical = Vec::new();
    for dir in dirs {
        canonical.push(dir.canonicalize()?);
    }
    *EXTRA_PLUGIN_DIRS.write().unwrap_or_else(|e| e.into_inner()) = canonical;
    Ok(())
}

/// Where plugins of a configuration in `base_dir` may live.
fn plugin_roots(base_dir: &Path) -> Vec<PathBuf> {
    let mut roots: Vec<PathBuf> = base_dir.canonicalize().into_iter().collect();
    roots.extend(
        EXTRA_PLUGIN_DIRS
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .cloned(),
    );
    roots
}

pub use error::{ConfigError, ConfigErrors};
pub use localized::Localized;
pub use spec::{
    AreaId, AreaIdError, AreaSpec, AreasSpec, Capability, DEFAULT_MEMORY_MIB, DEFAULT_STORAGE_MIB,
    DEFAULT_TIMEOUT_MS, Install, Limits, MAX_MEMORY_MIB, MAX_PAGE_CACHE_S, MAX_STORAGE_MIB,
    MAX_TIMEOUT_MS, MIN_MEMORY_MIB, MIN_STORAGE_MIB, MIN_TIMEOUT_MS, Scope,
};
pub use when::{Facts, WHEN_FUEL, WhenError, WhenExplained, WhenExpr};

/// Reads and validates the file at `path`.
pub fn load(path: &Path) -> Result<AreasSpec, ConfigErrors> {
    let error = |message: String| ConfigError {
        file: path.to_path_buf(),
        line: 0,
        area: None,
        field: None,
        message,
    };
    let file =
        std::fs::File::open(path).map_err(|e| error(format!("cannot read the file: {e}")))?;
    let mut bytes = Vec::new();
    file.take(MAX_CONFIG_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| error(format!("cannot read the file: {e}")))?;
    if bytes.len() as u64 > MAX_CONFIG_BYTES {
        return Err(error(format!(
            "the file is larger than {} KiB; an areas.yaml is a few KiB",
            MAX_CONFIG_BYTES >> 10
        ))
        .into());
    }
    // The message says where, never what: the file could be anything.
    let text = String::from_utf8(bytes).map_err(|e| {
        error(format!(
            "the file is not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ))
    })?;
    parse(&text, path)
}

/// The line where collections nest deeper than [`MAX_NESTING`], if they do:
/// flow brackets (`[`, `{`) and block indentation levels, counted outside
/// quotes and comments.
fn too_deep(text: &str) -> Option<usize> {
    let mut flow = 0usize;
    for (n, line) in text.lines().enumerate() {
        // Block nesting: each level indents by at least one column, and a
        // `- ` item opens one more on the same line.
        let indent = line.len() - line.trim_start_matches([' ', '-']).len();
        if flow == 0 && indent / 2 > MAX_NESTING * 2 {
            return Some(n + 1);
        }
        let mut quote: Option<char> = None;
        for c in line.chars() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '\'' | '"') => quote = Some(c),
                (None, '#') => break,
                (None, '[' | '{') => {
                    flow += 1;
                    if flow > MAX_NESTING {
                        return Some(n + 1);
                    }
                }
                (None, ']' | '}') => flow = flow.saturating_sub(1),
                _ => {}
            }
        }
    }
    None
}

/// Validates `text`, the contents of `path`. `path` names the file in
/// messages and is the base that `plugin` paths are resolved against.
pub fn parse(text: &str, path: &Path) -> Result<AreasSpec, ConfigErrors> {
    let error = |line: usize, message: String| ConfigError {
        file: path.to_path_buf(),
        line,
        area: None,
        field: None,
        message,
    };
    let blank = text
        .lines()
        .map(str::trim)
        .all(|l| l.is_empty() || l.starts_with('#') || l == "---");
    if blank {
        // Likely a truncated deploy rather than a wish for no areas.
        return Err(error(
            1,
            "the file is empty; expected `areas:` followed by a list of areas (`areas: []` declares none)"
                .to_owned(),
        )
        .into());
    }
    if let Some(line) = too_deep(text) {
        return Err(error(
            line,
            format!(
                "collections nest deeper than {MAX_NESTING} levels here; areas.yaml needs 4 (areas → area → list or map → value)"
            ),
        )
        .into());
    }
    let file: raw::AreasFile = serde_yaml::from_str(text).map_err(|e| {
        let line = e.location().map_or(1, |l| l.line());
        error(line, e.to_string())
    })?;
    validate::validate(file, text, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_nesting_is_refused_before_the_yaml_parser_runs() {
        // 200 KB of brackets: the YAML parser took 37 s on this.
        let text = format!("areas: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
        let err = parse(&text, Path::new("areas.yaml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("nest deeper than 16 levels"), "{err}");
        let text = format!("areas:\n{}x\n", "- ".repeat(100_000));
        let err = parse(&text, Path::new("areas.yaml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("nest deeper than 16 levels"), "{err}");
        // Brackets in quotes and comments do not count.
        assert_eq!(
            too_deep(&format!("# {}\nx: '{}'\n", "[".repeat(99), "{".repeat(99))),
            None
        );
    }

    #[test]
    fn a_huge_file_is_refused_without_being_read_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("areas.yaml");
        let file = std::fs::File::create(&path).unwrap();
        file.set_len(1 << 30).unwrap(); // sparse: 1 GiB of zeros, no disk used
        let err = load(&path).unwrap_err().to_string();
        assert!(err.contains("larger than 1024 KiB"), "{err}");
    }

    #[test]
    fn a_file_that_is_not_text_is_refused_without_quoting_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("areas.yaml");
        std::fs::write(&path, b"root:$6$secretsalt$\xff\xfe hash").unwrap();
        let err = load(&path).unwrap_err().to_string();
        assert!(err.contains("not UTF-8"), "{err}");
        assert!(!err.contains("secretsalt"), "{err}");
    }
}
