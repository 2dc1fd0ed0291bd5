//! Tab composition: which areas of the current catalog a person sees.
//!
//! A structure area is a tab when [`crate::access::decide`] says it is
//! open to this member (the one access rule); user-scoped areas (My
//! account) are shown to every signed-in person, with or without a
//! structure.
//!
//! Everything here is computed from what the request read from the store
//! (membership, installs, subscriptions, facts): a change shows on the very
//! next page, without signing in again.

use crate::access::{self, Party, Verdict};
use crate::catalog::{Catalog, CatalogArea};
use crate::config::Scope;
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
    /// Areas the person holds an approved subscription to, in this structure.
    pub subscriptions: &'a BTreeSet<String>,
}

/// Whether the member at `place` may open structure `area`, and if not,
/// why; a place without a structure opens no structure area.
pub fn verdict(catalog: &Catalog, area: &CatalogArea, place: &Place<'_>) -> Verdict {
    let Some((structure, role)) = place.structure else {
        return Verdict::Closed(access::Reason::NotAdded);
    };
    let at = access::Place {
        structure,
        installs: place.installs,
        facts: place.facts,
    };
    let party = Party::Member {
        role,
        subscriptions: place.subscriptions,
    };
    access::decide(catalog, area, &at, party)
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
                    if verdict(catalog, area, place) == Verdict::Open =>
                {
                    format!("/s/{}/{}", s.id, spec.id)
                }
                _ => return None,
            };
            Some(Tab {
                id: spec.id.to_string(),
                title: spec.title.current().to_owned(),
                href,
            })
        })
        .collect()
}
