//! The facts of Portico's area contract (`portico:area`) that both sides
//! must agree on, written once: the host enforces them, the SDK documents
//! them and its test host (`portico_sdk::testing`) applies the same checks,
//! so an area tested natively meets the same refusals as on the server.
//!
//! # Module map
//! - [`words`]: closed sets of words ([`Role`], [`StructureKind`],
//!   [`IdentifierType`], [`RecipientRule`], [`SubscriptionMode`],
//!   [`RequestStatus`]) with their wire spelling and labels.
//! - [`siret`]: the SIRET rule (Luhn, La Poste's exception, no all-zero SIREN).
//! - [`identifier`]: every identifier type's syntax, SIRET included.
//! - [`i18n`]: message references (`i18n:KEY {args}`), as the host and the
//!   SDK translate them; the SIRET and identifier errors give theirs.
//! - [`limits`]: what one host call may store or send (kv, facts, messages, timers),
//!   each check answering a [`Refusal`] with the message the area receives.
//! - [`names`]: the syntax of area ids, fact names, services and names of
//!   people and structures.
//!
//! Nothing here touches storage, WIT bindings or I/O: it is plain data and
//! pure functions, so it builds for the host and for `wasm32-wasip2` alike.

#![deny(missing_docs)]

pub mod i18n;
pub mod identifier;
pub mod limits;
pub mod names;
pub mod siret;
pub mod words;

pub use identifier::IdentifierError;
pub use limits::Refusal;
pub use siret::SiretError;
pub use words::{
    IdentifierType, RecipientRule, RequestStatus, Role, StructureKind, SubscriptionMode,
};
