//! Facts this area publishes about the current structure. Capability: `facts`.
//!
//! `when` expressions in `areas.yaml` read them with `fact('area', 'name')`,
//! so publishing a fact can make another area's tab appear. Values are JSON.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{Error, HostError, host};

/// Sets this area's fact `name` (1–64 characters of `a-z0-9-`) to `json`,
/// which must be a JSON value (e.g. `true`, `"2024"`, `{"n": 1}`).
pub fn set(name: &str, json: &str) -> Result<(), HostError> {
    host::facts_set(name, json)
}

/// Sets this area's fact `name` to `value`, serialized as JSON.
pub fn set_json<T: Serialize + ?Sized>(name: &str, value: &T) -> Result<(), Error> {
    let json = serde_json::to_string(value).map_err(|e| {
        Error::Failed(format!(
            "fact `{name}`: cannot encode the value as JSON: {e}"
        ))
    })?;
    set(name, &json)?;
    Ok(())
}

/// Removes this area's fact `name`.
pub fn clear(name: &str) -> Result<(), HostError> {
    host::facts_clear(name)
}

/// The JSON text of fact `name` of `area` on the current structure, if set.
pub fn get(area: &str, name: &str) -> Result<Option<String>, HostError> {
    host::facts_get(area, name)
}

/// Fact `name` of `area` on the current structure, decoded, if set.
pub fn get_json<T: DeserializeOwned>(area: &str, name: &str) -> Result<Option<T>, Error> {
    match get(area, name)? {
        Some(json) => serde_json::from_str(&json).map(Some).map_err(|e| {
            Error::Failed(format!(
                "fact `{area}/{name}` does not decode as {}: {e}",
                std::any::type_name::<T>()
            ))
        }),
        None => Ok(None),
    }
}
