//! What one page needs from the store, read in one call: the person's
//! memberships (for the structure switcher and their role in the current
//! structure) and the current structure's installs, facts and the person's
//! approved subscriptions (for the tab bar). The web layer reads this once
//! per request and renders everything — access, tabs, layout — from it.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::{Result, Store, Structure, UserId};
use crate::directory::Role;

/// Everything a page of `user` reads, as of one moment.
#[derive(Debug, Default)]
pub struct PageRead {
    /// Every structure the user belongs to with their role there, by name.
    pub memberships: Vec<(Structure, Role)>,
    /// Index in `memberships` of the structure asked for, if a member.
    pub current: Option<usize>,
    /// Areas the current structure installed (empty without one).
    pub installs: BTreeSet<String>,
    /// The current structure's facts: area → name → value.
    pub facts: BTreeMap<String, BTreeMap<String, Value>>,
    /// Areas the user holds an approved subscription to in the current structure.
    pub subscriptions: BTreeSet<String>,
}

impl PageRead {
    /// The current structure and the user's role there.
    pub fn structure(&self) -> Option<(&Structure, Role)> {
        self.current
            .map(|i| (&self.memberships[i].0, self.memberships[i].1))
    }
}

impl Store {
    /// What a page of `user` in `structure` (if any) needs. A structure the
    /// user is not a member of reads as no current structure: nothing of it
    /// is read, so nothing of it can leak.
    pub fn page_read(&self, user: &UserId, structure: Option<&str>) -> Result<PageRead> {
        let memberships = self.memberships_of(user)?;
        let current =
            structure.and_then(|sid| memberships.iter().position(|(s, _)| s.id.as_str() == sid));
        let mut read = PageRead {
            memberships,
            current,
            ..PageRead::default()
        };
        if let Some(i) = current {
            let sid = read.memberships[i].0.id.to_string();
            read.installs = self.installs(&sid)?;
            read.facts = self.facts(&sid)?;
            read.subscriptions = self.subscribed_areas(&sid, user)?;
        }
        Ok(read)
    }
}
