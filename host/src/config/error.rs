//! The one error shape every `areas.yaml` problem takes, whoever finds it:
//! this module while validating, or the runtime while compiling and linking
//! plugins. An operator reads `file:line: area `x`, field `y`: what is wrong`.

use std::fmt;
use std::path::{Path, PathBuf};

use super::AreaSpec;

/// One problem in an `areas.yaml` file, located to the line and field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file, as the operator named it.
    pub file: PathBuf,
    /// 1-based line; 0 when no line applies (the file could not be read).
    pub line: usize,
    /// The area's id as written, when the problem belongs to one area.
    pub area: Option<String>,
    /// The field as written in YAML (`roles`, `limits.memory-mib`), if any.
    pub field: Option<String>,
    /// What is wrong and, where possible, what would be valid.
    pub message: String,
}

impl ConfigError {
    /// An error about a field of an area that passed validation, located with
    /// the lines recorded while parsing. This is how later stages (plugin
    /// compilation, linking, templates) report in the same form:
    /// `ConfigError::for_area(&spec.path, area, Some("plugin"), "does not compile: …")`.
    pub fn for_area(
        file: &Path,
        area: &AreaSpec,
        field: Option<&str>,
        message: impl Into<String>,
    ) -> ConfigError {
        ConfigError {
            file: file.to_path_buf(),
            line: field.map_or(area.line, |f| area.line_of(f)),
            area: Some(area.id.to_string()),
            field: field.map(str::to_owned),
            message: message.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
        }
        f.write_str(": ")?;
        match (&self.area, &self.field) {
            (Some(area), Some(field)) => write!(f, "area `{area}`, field `{field}`: ")?,
            (Some(area), None) => write!(f, "area `{area}`: ")?,
            (None, Some(field)) => write!(f, "field `{field}`: ")?,
            (None, None) => {}
        }
        f.write_str(&self.message)
    }
}

/// Every problem found in one file, in line order. Never empty when returned
/// as an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl ConfigErrors {
    /// The errors, in line order.
    pub fn iter(&self) -> std::slice::Iter<'_, ConfigError> {
        self.0.iter()
    }

    /// How many problems were found.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there is no error (never the case for a returned error).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::error::Error for ConfigError {}

impl std::error::Error for ConfigErrors {}

impl From<ConfigError> for ConfigErrors {
    fn from(error: ConfigError) -> Self {
        ConfigErrors(vec![error])
    }
}

impl<'a> IntoIterator for &'a ConfigErrors {
    type Item = &'a ConfigError;
    type IntoIter = std::slice::Iter<'a, ConfigError>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl IntoIterator for ConfigErrors {
    type Item = ConfigError;
    type IntoIter = std::vec::IntoIter<ConfigError>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// One error per line, so `portico check` can print the whole value.
impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}
