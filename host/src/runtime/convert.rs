//! Domain types → WIT records, at the edge.

use super::bindings::types;
use crate::directory::{Role, StructureKind};
use crate::store::Structure;

pub(crate) fn role(r: Role) -> types::Role {
    match r {
        Role::PrimaryManager => types::Role::PrimaryManager,
        Role::SecondaryManager => types::Role::SecondaryManager,
        Role::User => types::Role::User,
    }
}

pub(crate) fn kind(k: StructureKind) -> types::StructureKind {
    match k {
        StructureKind::Private => types::StructureKind::Private,
        StructureKind::Public => types::StructureKind::Public,
    }
}

pub(crate) fn structure(s: &Structure) -> types::Structure {
    types::Structure {
        id: s.id.to_string(),
        identifier_type: s.identifier_type.as_str().to_string(),
        name: s.name.clone(),
        kind: kind(s.kind),
    }
}
