//! Tab composition: which areas of the current catalog a person sees.
//!
//! A structure-scoped area is shown when it is (default or installed for the
//! structure) ∧ allowed for the member's role ∧ allowed for the structure's
//! kind ∧ its `when` holds ∧ its plugin loaded. User-scoped areas (My
//! account) are shown to every signed-in person, with or without a structure.

use crate::catalog::{Catalog, CatalogArea};
use crate::config::{Install, Scope};
use crate::directory::Role;
use crate::store::Structure;
use serde::Serialize;
use std::collections::BTreeSet;

/// Facts of one structure: area → name → value.
pub(crate) use crate::config::Facts;

/// One tab of the tab bar.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Tab {
    /// Area id.
    pub id: String,
    /// Label.
    pub title: String,
    /// Absolute path.
    pub href: String,
}

/// Where the person stands: in a structure with a role, or nowhere yet.
pub struct Place<'a> {
    /// The current structure and the person's role there.
    pub structure: Option<(&'a Structure, Role)>,
    /// Areas the structure installed.
    pub installs: &'a BTreeSet<String>,
    /// The structure's facts.
    pub facts: &'a Facts,
}

/// Whether `area` is open to this place (without looking at user scope).
pub(crate) fn structure_area_open(
    area: &CatalogArea,
    structure: &Structure,
    role: Role,
    installs: &BTreeSet<String>,
    facts: &Facts,
) -> bool {
    let spec = &area.spec;
    spec.scope == Scope::Structure
        && area.loaded.is_ok()
        && (spec.install == Install::Default || installs.contains(spec.id.as_str()))
        && spec.roles.contains(&role)
        && spec.structure_kinds.contains(&structure.kind)
        && spec
            .when
            .as_ref()
            .is_none_or(|w| w.eval(facts, structure.kind, role))
}

/// The tab bar for this place, in `order`.
pub fn compose_tabs(catalog: &Catalog, place: &Place<'_>) -> Vec<Tab> {
    catalog
        .areas
        .iter()
        .filter_map(|area| {
            let spec = &area.spec;
            let href = match (spec.scope, place.structure) {
                (Scope::User, _) if area.loaded.is_ok() => format!("/me/{}", spec.id),
                (Scope::Structure, Some((s, role)))
                    if structure_area_open(area, s, role, place.installs, place.facts) =>
                {
                    format!("/s/{}/{}", s.id, spec.id)
                }
                _ => return None,
            };
            Some(Tab {
                id: spec.id.to_string(),
                title: spec.title.clone(),
                href,
            })
        })
        .collect()
}
