//! `portico:area/facts`: an area's published facts about the current
//! structure, read by `when` expressions.

use super::{HostCall, HostState, store_error};
use crate::runtime::bindings::portico::area::facts::Host;
use crate::runtime::bindings::types::{FieldError, HostError};
use crate::store::FactChange;

/// Largest JSON value of one fact.
const MAX_FACT_BYTES: usize = 4096;

fn check_name(name: &str) -> Result<(), HostError> {
    let ok = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(HostError::Invalid(vec![FieldError {
            field: "name".into(),
            message: format!("fact name `{name}` must be 1 to 64 characters of a-z, 0-9 and -"),
        }]))
    }
}

impl Host for HostState {
    fn set(&mut self, name: String, value: String) -> Result<(), HostError> {
        let scope = self.authorize(HostCall::FactsSet)?.clone();
        check_name(&name)?;
        if value.len() > MAX_FACT_BYTES {
            return Err(HostError::LimitExceeded(format!(
                "a fact's value is at most {MAX_FACT_BYTES} bytes of JSON; got {}",
                value.len()
            )));
        }
        let value: serde_json::Value = serde_json::from_str(&value).map_err(|e| {
            HostError::Invalid(vec![FieldError {
                field: "value".into(),
                message: format!("not JSON: {e}"),
            }])
        })?;
        let structure = self.structure()?.to_string();
        // Committed with the call's other writes (see `HostState::commit`).
        self.batch.facts.push(FactChange {
            structure,
            area: scope.area,
            name,
            value: Some(value),
        });
        Ok(())
    }

    fn clear(&mut self, name: String) -> Result<(), HostError> {
        let scope = self.authorize(HostCall::FactsClear)?.clone();
        check_name(&name)?;
        let structure = self.structure()?.to_string();
        self.batch.facts.push(FactChange {
            structure,
            area: scope.area,
            name,
            value: None,
        });
        Ok(())
    }

    fn get(&mut self, area: String, name: String) -> Result<Option<String>, HostError> {
        let scope = self.authorize(HostCall::FactsGet)?.clone();
        let structure = self.structure()?.to_string();
        // The call's own pending change wins, as for kv.
        if area == scope.area
            && let Some(change) = self.batch.facts.iter().rev().find(|f| f.name == name)
        {
            return Ok(change.value.as_ref().map(|v| v.to_string()));
        }
        let value = self
            .store()?
            .fact(&structure, &area, &name)
            .map_err(|e| store_error(&scope, e))?;
        Ok(value.map(|v| v.to_string()))
    }
}
