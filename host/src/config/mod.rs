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
mod raw;
mod spec;
mod validate;
mod when;

use std::path::Path;

pub use error::{ConfigError, ConfigErrors};
pub use spec::{
    AreaId, AreaIdError, AreaSpec, AreasSpec, Capability, DEFAULT_MEMORY_MIB, DEFAULT_STORAGE_MIB,
    DEFAULT_TIMEOUT_MS, Install, Limits, MAX_MEMORY_MIB, MAX_STORAGE_MIB, MAX_TIMEOUT_MS,
    MIN_MEMORY_MIB, MIN_STORAGE_MIB, MIN_TIMEOUT_MS, Scope,
};
pub use when::{Facts, WHEN_FUEL, WhenError, WhenExplained, WhenExpr};

/// Reads and validates the file at `path`.
pub fn load(path: &Path) -> Result<AreasSpec, ConfigErrors> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
        file: path.to_path_buf(),
        line: 0,
        area: None,
        field: None,
        message: format!("cannot read the file: {e}"),
    })?;
    parse(&text, path)
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
    let file: raw::AreasFile = serde_yaml::from_str(text).map_err(|e| {
        let line = e.location().map_or(1, |l| l.line());
        error(line, e.to_string())
    })?;
    validate::validate(file, text, path)
}
