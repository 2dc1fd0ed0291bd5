//! `portico:area/facts`: an area's published facts about the current
//! structure, read by `when` expressions.

use super::{HostCall, HostState, refused, store_error};
use crate::runtime::bindings::portico::area::facts::Host;
use crate::runtime::bindings::types::HostError;
use crate::store::FactChange;
use portico_contract::limits::facts::{check_name, check_value};

impl Host for HostState {
    fn set(&mut self, name: String, value: String) -> Result<(), HostError> {
        let scope = self.authorize(HostCall::FactsSet)?.clone();
        check_name(&name).map_err(refused)?;
        check_value(&value).map_err(refused)?;
        let value: serde_json::Value = serde_json::from_str(&value).map_err(|e| {
            refused(portico_contract::Refusal::Invalid {
                field: "value",
                message: format!("not JSON: {e}"),
            })
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
        check_name(&name).map_err(refused)?;
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
