//! The first step, "parse": `areas.yaml` as serde sees it, close to the
//! YAML and forgiving of values. Nothing outside `config` sees these types.
//!
//! Values are kept as written (strings for roles, kinds, capabilities,
//! versions…) and each field's own type errors are kept beside the field
//! ([`Checked`]) instead of aborting the whole file, so validation can report
//! every problem at once, each with its field.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct AreasFile {
    /// The areas, in file order.
    pub(super) areas: Vec<RawItem>,
}

/// One item of the `areas` list: the area if serde could read it, otherwise
/// serde's message (an item that is not a mapping).
#[derive(Debug)]
pub(super) struct RawItem {
    /// The area, or serde's message.
    pub(super) area: Result<RawArea, String>,
    /// Unknown fields (field, serde's message). They are removed one by one
    /// and the item read again, so that one typo does not hide the rest.
    pub(super) unknown: Vec<(String, String)>,
    /// The item's `id` when it has one that reads as a string, even if the
    /// item failed: other areas may name it in `requires`, and a duplicate
    /// is still a duplicate.
    pub(super) id: Option<String>,
}

impl<'de> Deserialize<'de> for RawItem {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut value = serde_yaml::Value::deserialize(deserializer)?;
        let id = value.get("id").and_then(scalar_to_string);
        let mut unknown = Vec::new();
        let area = loop {
            let Some(mapping) = value.as_mapping_mut() else {
                break Err(format!(
                    "expected an area (a mapping of `id:`, `title:`, `plugin:` …), found {}",
                    describe(&value)
                ));
            };
            match serde_yaml::from_value(serde_yaml::Value::Mapping(mapping.clone())) {
                Ok(area) => break Ok(area),
                Err(e) => {
                    let message = e.to_string();
                    // Each retry removes a key, so this ends.
                    match unknown_field(&message) {
                        Some(field) if mapping.remove(field.as_str()).is_some() => {
                            unknown.push((field, message));
                        }
                        _ => break Err(message),
                    }
                }
            }
        };
        Ok(RawItem { area, unknown, id })
    }
}

/// One area, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawArea {
    pub(super) id: Option<Checked<Scalar>>,
    /// A text, or a mapping language → text (as `when-explained`).
    pub(super) title: Option<Checked<serde_yaml::Value>>,
    pub(super) description: Option<Checked<serde_yaml::Value>>,
    pub(super) plugin: Option<Checked<Scalar>>,
    pub(super) version: Option<Checked<Scalar>>,
    pub(super) order: Option<Checked<i64>>,
    pub(super) scope: Option<Checked<Scalar>>,
    pub(super) install: Option<Checked<Scalar>>,
    pub(super) roles: Option<Checked<Vec<Scalar>>>,
    pub(super) structure_kinds: Option<Checked<Vec<Scalar>>>,
    pub(super) when: Option<Checked<Scalar>>,
    /// A text, or a mapping language → text; read in validation, which
    /// says what is wrong with any other shape.
    pub(super) when_explained: Option<Checked<serde_yaml::Value>>,
    pub(super) capabilities: Option<Checked<Vec<Scalar>>>,
    /// Area id → version requirement, both as written.
    pub(super) requires: Option<Checked<BTreeMap<Scalar, Scalar>>>,
    pub(super) limits: Option<Checked<RawLimits>>,
    pub(super) page_cache_s: Option<Checked<i64>>,
}

/// `limits: { memory-mib, timeout-ms, storage-mib }`. Signed so that a negative number is
/// reported as out of range rather than as a type error.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawLimits {
    pub(super) memory_mib: Option<Checked<i64>>,
    pub(super) timeout_ms: Option<Checked<i64>>,
    pub(super) storage_mib: Option<Checked<i64>>,
}

/// A field's value, or serde's message if its value has the wrong shape (a
/// list where a string was expected…). Keeps one bad field from hiding the
/// others.
#[derive(Debug)]
pub(super) struct Checked<T>(pub(super) Result<T, String>);

impl<'de, T: serde::de::DeserializeOwned> Deserialize<'de> for Checked<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_yaml::Value::deserialize(deserializer)?;
        Ok(Checked(
            serde_yaml::from_value(value).map_err(|e| plain(&e.to_string())),
        ))
    }
}

/// A scalar read as the text the operator wrote: `version: 1.0` is the
/// string `1.0` (then reported as an incomplete version), not a float type
/// error; `requires: { a: 1 }` is the requirement `1`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Scalar(pub(super) String);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_yaml::Value::deserialize(deserializer)?;
        scalar_to_string(&value).map(Scalar).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "expected a single value, found {}",
                describe(&value)
            ))
        })
    }
}

/// serde's type names in operator words.
fn plain(message: &str) -> String {
    message
        .replace("expected i64", "expected an integer")
        .replace("expected a sequence", "expected a list such as [a, b]")
        .replace(
            "expected a map",
            "expected a mapping such as { key: value }",
        )
}

/// The field serde names in "unknown field `x`, expected …".
fn unknown_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    rest.split_once('`').map(|(field, _)| field.to_owned())
}

/// The text of a string, number or boolean.
fn scalar_to_string(value: &serde_yaml::Value) -> Option<String> {
    match value {
        serde_yaml::Value::String(s) => Some(s.clone()),
        serde_yaml::Value::Number(n) => Some(n.to_string()),
        serde_yaml::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// "a list", "a mapping"… for messages about shapes.
fn describe(value: &serde_yaml::Value) -> &'static str {
    match value {
        serde_yaml::Value::Null => "nothing",
        serde_yaml::Value::Bool(_) => "a boolean",
        serde_yaml::Value::Number(_) => "a number",
        serde_yaml::Value::String(_) => "a string",
        serde_yaml::Value::Sequence(_) => "a list",
        serde_yaml::Value::Mapping(_) => "a mapping",
        serde_yaml::Value::Tagged(_) => "a tagged value",
    }
}
