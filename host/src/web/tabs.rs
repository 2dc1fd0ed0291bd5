//! Tab composition: which areas of the current catalog a person sees, and
//! why an area is not available to a structure.
//!
//! A structure-scoped area is open when its plugin loaded ∧ it is default
//! or the structure added it ∧ the member's role is among its `roles` ∧ for
//! an area added on request, the member is a manager or holds an approved
//! subscription ∧ it is *available* to the structure: the structure's kind
//! is offered, every `requires` area is available too, and `when` holds.
//! User-scoped areas (My account) are shown to every signed-in person, with
//! or without a structure.
//!
//! Everything here is computed from what the request read from the store
//! (membership, installs, subscriptions, facts): a change shows on the very
//! next page, without signing in again.

use crate::catalog::{Catalog, CatalogArea};
use crate::config::{Install, Scope};
use crate::directory::Role;
use crate::store::Structure;
use serde::Serialize;
use std::collections::BTreeSet;

/// Facts of one structure: area → name → value.
pub(crate) use crate::config::Facts;

/// How deep `requires` chains are followed. `areas.yaml` validation refuses
/// cycles; the bound keeps a future validation bug from looping a request.
const MAX_REQUIRES_DEPTH: usize = 8;

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
    /// Areas the person holds an approved subscription to, in this structure.
    pub subscriptions: &'a BTreeSet<String>,
}

/// Whether, and if not why not, a member may open a structure area.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// Shown as a tab; its URLs answer.
    Open,
    /// Available and added, but not to this role (403 with the reason).
    RoleMissing,
    /// Added on request; the member has no approved subscription (403).
    NotSubscribed,
    /// Not default, not added, not loaded, or not available (404).
    Absent,
}

/// Why `area` cannot be opened in `structure` whatever the role: its kind
/// is not offered, a required area is not available, or `when` does not
/// hold. `None` when it can. Installation is not looked at.
pub fn unavailable_because(
    catalog: &Catalog,
    area: &CatalogArea,
    structure: &Structure,
    role: Role,
    installs: &BTreeSet<String>,
    facts: &Facts,
) -> Option<String> {
    unavailable_at(catalog, area, structure, role, installs, facts, 0)
}

fn unavailable_at(
    catalog: &Catalog,
    area: &CatalogArea,
    structure: &Structure,
    role: Role,
    installs: &BTreeSet<String>,
    facts: &Facts,
    depth: usize,
) -> Option<String> {
    let spec = &area.spec;
    if !spec.structure_kinds.contains(&structure.kind) {
        return Some(format!(
            "offered to {} structures only",
            spec.structure_kinds
                .iter()
                .map(|k| k.as_str())
                .collect::<Vec<_>>()
                .join(" and ")
        ));
    }
    for required in spec.requires.keys() {
        let ready = depth < MAX_REQUIRES_DEPTH
            && catalog.area(required.as_str()).is_some_and(|r| {
                r.loaded.is_ok()
                    && (r.spec.install == Install::Default || installs.contains(r.spec.id.as_str()))
                    && unavailable_at(catalog, r, structure, role, installs, facts, depth + 1)
                        .is_none()
            });
        if !ready {
            let title = catalog
                .area(required.as_str())
                .map_or(required.as_str(), |r| r.spec.title.as_str());
            return Some(format!("needs {title} to be available and added first"));
        }
    }
    if let Some(when) = &spec.when
        && !when.eval(facts, structure.kind, role)
    {
        return Some(when.explanation().to_owned());
    }
    None
}

/// Whether the member at `place` may open structure `area`.
pub fn access(catalog: &Catalog, area: &CatalogArea, place: &Place<'_>) -> Access {
    let spec = &area.spec;
    let Some((structure, role)) = place.structure else {
        return Access::Absent;
    };
    let added = spec.install == Install::Default || place.installs.contains(spec.id.as_str());
    if spec.scope != Scope::Structure
        || area.loaded.is_err()
        || !added
        || unavailable_because(catalog, area, structure, role, place.installs, place.facts)
            .is_some()
    {
        return Access::Absent;
    }
    if !spec.roles.contains(&role) {
        return Access::RoleMissing;
    }
    if spec.install == Install::OnRequest
        && !role.is_manager()
        && !place.subscriptions.contains(spec.id.as_str())
    {
        return Access::NotSubscribed;
    }
    Access::Open
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
                (Scope::Structure, Some((s, _)))
                    if access(catalog, area, place) == Access::Open =>
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
