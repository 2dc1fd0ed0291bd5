//! The validated catalog: what the rest of the host reads. Every value here
//! has been checked; every reference between areas resolved.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

use super::WhenExpr;
use crate::directory::{Role, StructureKind};

/// Default linear-memory cap of one instance: enough for a Rust component
/// rendering a page of data, small enough for many concurrent requests.
pub const DEFAULT_MEMORY_MIB: u32 = 64;
/// Smallest memory cap accepted: a Rust component's shadow stack alone is
/// 1 MiB, so below this instantiation fails, a mistake better caught here.
pub const MIN_MEMORY_MIB: u32 = 4;
/// Largest memory cap accepted: the pooling allocator reserves this much
/// address space per slot, for every slot of the pool.
pub const MAX_MEMORY_MIB: u32 = 256;
/// Default wall-clock deadline of one call (epoch interruption). Pages
/// should answer well under a second, and it must stay ≥ 100 ms so that a
/// healthy area does not time out on a loaded 2-core host.
pub const DEFAULT_TIMEOUT_MS: u32 = 500;
/// Shortest deadline accepted: epoch ticks are coarse (~10 ms), below this
/// the deadline is mostly jitter.
pub const MIN_TIMEOUT_MS: u32 = 50;
/// Longest deadline accepted: a call holds a pooled instance and a worker;
/// longer work belongs in messages, not in a request.
pub const MAX_TIMEOUT_MS: u32 = 30_000;
/// Longest `page-cache-s`: an hour. A page kept longer would be late on
/// what the clock alone changes (a deadline passing) by more than people
/// accept from a page they reload.
pub const MAX_PAGE_CACHE_S: u32 = 3_600;

/// Default storage quota of one area for one structure (or user): kv keys
/// plus values. Generous for forms and documents' metadata; stops a runaway
/// plugin from filling the disk (a whole structure's invoices are far less).
pub const DEFAULT_STORAGE_MIB: u32 = 64;
/// Smallest storage quota accepted: one maximal kv value (1 MiB) must fit.
pub const MIN_STORAGE_MIB: u32 = 1;
/// Largest storage quota accepted: past this, data belongs in a real
/// document store, not in an area's kv namespace.
pub const MAX_STORAGE_MIB: u32 = 10_240;

/// A validated `areas.yaml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AreasSpec {
    /// The file, as it was named to [`super::load`] or [`super::parse`].
    pub path: PathBuf,
    /// The areas, sorted by `order` then `id` (tab order).
    pub areas: Vec<AreaSpec>,
}

impl AreasSpec {
    /// The area with this id.
    pub fn area(&self, id: &str) -> Option<&AreaSpec> {
        self.areas.iter().find(|a| a.id.as_str() == id)
    }
}

/// One validated area.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AreaSpec {
    /// Unique, used in URLs.
    pub id: AreaId,
    /// Tab label, per language.
    pub title: super::Localized,
    /// One sentence for the catalog, per language; empty if not given.
    pub description: super::Localized,
    /// The component, resolved relative to the YAML's directory, canonical.
    pub plugin: PathBuf,
    /// Semver of the plugin build.
    pub version: semver::Version,
    /// Tab order, ascending (0 if not given).
    pub order: i64,
    /// Structure (default) or user.
    pub scope: Scope,
    /// Every structure has it (default), or a manager adds it.
    pub install: Install,
    /// Roles that see it (default: all).
    pub roles: BTreeSet<Role>,
    /// Structure kinds it is offered to (default: all).
    pub structure_kinds: BTreeSet<StructureKind>,
    /// Eligibility expression, if any.
    pub when: Option<WhenExpr>,
    /// Host interfaces it may call (default: none).
    pub capabilities: BTreeSet<Capability>,
    /// Other areas it needs, and which of their versions.
    pub requires: BTreeMap<AreaId, semver::VersionReq>,
    /// Sandbox bounds.
    pub limits: Limits,
    /// How long (seconds) the host may serve a GET page of this area again
    /// to the same session, from the page cache, while nothing the page
    /// read has changed (`web/page_cache.rs`); 0 (the default): never.
    pub page_cache_s: u32,
    /// Line of the area's item in the file.
    pub line: usize,
    /// Line of each field written (`plugin`, `limits.memory-mib`), for
    /// errors found after validation; read it with [`AreaSpec::line_of`].
    pub field_lines: BTreeMap<String, usize>,
}

impl AreaSpec {
    /// The line where `field` (`plugin`, `limits.memory-mib`) is written;
    /// the area's line if it is not.
    pub fn line_of(&self, field: &str) -> usize {
        let parent = field.split_once('.').map(|(p, _)| p);
        self.field_lines
            .get(field)
            .or_else(|| parent.and_then(|p| self.field_lines.get(p)))
            .copied()
            .unwrap_or(self.line)
    }

    /// Whether the area may call the host interface `capability`.
    pub fn has(&self, capability: Capability) -> bool {
        self.capabilities.contains(&capability)
    }
}

/// An area id: `^[a-z][a-z0-9-]{1,39}$`, without a trailing or doubled dash.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct AreaId(String);

/// Why a string is not an [`AreaId`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid id `{0}`: an id is 2 to 40 characters, a lowercase letter then lowercase letters, digits or single dashes, not ending with a dash (e.g. `issued-invoices`)"
)]
pub struct AreaIdError(pub String);

impl AreaId {
    /// Longest id: it appears in URLs and storage keys.
    pub const MAX_LEN: usize = portico_contract::names::MAX_AREA_ID;

    /// Checks the syntax (the contract's rule).
    pub fn parse(s: &str) -> Result<AreaId, AreaIdError> {
        if portico_contract::names::is_area_id(s) {
            Ok(AreaId(s.to_owned()))
        } else {
            Err(AreaIdError(s.to_owned()))
        }
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AreaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::borrow::Borrow<str> for AreaId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

/// Generates a closed set of `areas.yaml` words: `ALL`, `as_str`, `parse`,
/// and the comma-separated list used in "valid values are …" messages.
macro_rules! words {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $word:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(rename_all = "kebab-case")]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The `areas.yaml` spelling.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $word,)+
                }
            }

            /// Parses the `areas.yaml` spelling.
            pub fn parse(s: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

words! {
    /// A host interface an area may import, as named in `capabilities`.
    Capability {
        /// Key-value storage namespaced to (area, structure) or (area, user).
        Kv => "kv",
        /// Setting this area's facts on the current structure.
        Facts => "facts",
        /// Durable messages to other structures' areas.
        Messages => "messages",
        /// Privileged: members, roles and installs of the current structure.
        Directory => "directory",
        /// Privileged: the current user's own account.
        Account => "account",
        /// Writing to the host log.
        Log => "log",
        /// Durable timers: messages to itself, delivered no earlier than a
        /// given time (contract 1.1.0; structure-scoped areas only).
        Timers => "timers",
        /// The current structure's data flows: list, report, original,
        /// deposit, webhook log (contract 1.2.0; structure-scoped areas only).
        Flows => "flows",
        /// Privileged: the current structure's API clients (contract 1.2.0;
        /// held by the area `edi-api-connections` alone).
        ApiClients => "api-clients",
    }
}

words! {
    /// Whether an area works inside a structure or for a user alone.
    #[derive(Default)]
    Scope {
        /// Under `/s/{structure}/…`, with a role and the structure's facts.
        #[default]
        Structure => "structure",
        /// Under `/me/…`, without a structure.
        User => "user",
    }
}

words! {
    /// Whether every structure has the area or a manager adds it.
    #[derive(Default)]
    Install {
        /// Every eligible structure has it.
        #[default]
        Default => "default",
        /// A manager adds it to the structure.
        OnRequest => "on-request",
    }
}

impl Capability {
    /// The scope a privileged capability is bound to, if any.
    pub fn required_scope(self) -> Option<Scope> {
        match self {
            Capability::Directory
            | Capability::Timers
            | Capability::Flows
            | Capability::ApiClients => Some(Scope::Structure),
            Capability::Account => Some(Scope::User),
            _ => None,
        }
    }
}

/// Per-area sandbox bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Limits {
    /// Linear-memory cap, MiB.
    pub memory_mib: u32,
    /// Wall-clock deadline of one call, ms.
    pub timeout_ms: u32,
    /// Storage quota per (area, structure) or (area, user), MiB.
    pub storage_mib: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory_mib: DEFAULT_MEMORY_MIB,
            timeout_ms: DEFAULT_TIMEOUT_MS,
            storage_mib: DEFAULT_STORAGE_MIB,
        }
    }
}

/// `a, b, c` from a list of words, for "valid values are …".
pub(super) fn list<'a>(words: impl IntoIterator<Item = &'a str>) -> String {
    words.into_iter().collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn area_ids() {
        for ok in [
            "ab",
            "issued-invoices",
            "a1",
            "my-account-2",
            &"a".repeat(40),
        ] {
            assert!(AreaId::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "a",
            "1a",
            "-a",
            "Ab",
            "a_b",
            "a--b",
            "ab-",
            "é-a",
            &"a".repeat(41),
        ] {
            assert!(AreaId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn words_round_trip() {
        for c in Capability::ALL {
            assert_eq!(Capability::parse(c.as_str()), Some(*c));
        }
        assert_eq!(Install::parse("on-request"), Some(Install::OnRequest));
        assert_eq!(Scope::default(), Scope::Structure);
        assert_eq!(Capability::parse("admin"), None);
    }
}
