//! Structures, their identifiers and members' roles: the domain types every
//! other module speaks. The closed sets of words (roles, kinds, rules,
//! statuses) and the identifier syntax are the contract's
//! (`portico_contract`), shared with the SDK; `Identifier` is the host's
//! validated newtype. Storage of these lives in `store`.

mod identifier;

pub use identifier::Identifier;
pub use portico_contract::{
    IdentifierError, IdentifierType, RecipientRule, RequestStatus, Role, StructureKind,
    SubscriptionMode,
};
