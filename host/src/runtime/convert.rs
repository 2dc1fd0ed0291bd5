//! Domain types → WIT records, at the edge.

use super::bindings::types;
use crate::directory::{RequestStatus, Role, StructureKind, SubscriptionMode};
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

pub(crate) fn role_from(r: types::Role) -> Role {
    match r {
        types::Role::PrimaryManager => Role::PrimaryManager,
        types::Role::SecondaryManager => Role::SecondaryManager,
        types::Role::User => Role::User,
    }
}

pub(crate) fn kind_from(k: types::StructureKind) -> StructureKind {
    match k {
        types::StructureKind::Private => StructureKind::Private,
        types::StructureKind::Public => StructureKind::Public,
    }
}

pub(crate) fn status(s: RequestStatus) -> types::RequestStatus {
    match s {
        RequestStatus::Pending => types::RequestStatus::Pending,
        RequestStatus::Approved => types::RequestStatus::Approved,
        RequestStatus::Refused => types::RequestStatus::Refused,
    }
}

pub(crate) fn mode(m: SubscriptionMode) -> types::SubscriptionMode {
    match m {
        SubscriptionMode::Consultation => types::SubscriptionMode::Consultation,
        SubscriptionMode::Modification => types::SubscriptionMode::Modification,
    }
}

pub(crate) fn mode_from(m: types::SubscriptionMode) -> SubscriptionMode {
    match m {
        types::SubscriptionMode::Consultation => SubscriptionMode::Consultation,
        types::SubscriptionMode::Modification => SubscriptionMode::Modification,
    }
}

pub(crate) fn service(s: crate::store::Service) -> types::Service {
    types::Service {
        code: s.code,
        name: s.name,
        active: s.active,
    }
}
